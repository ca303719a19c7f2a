"""Number search precision (issue 24 item 1): a query with a 机关代字 must answer with that number only.

    python bench/number_search_bench.py                 # 10,000 documents, 1,000 queries, FTS backend
    python bench/number_search_bench.py --n 10000 --queries 1000 --seed 7 --engine whoosh

A real catalog (open_archive on a temporary folder, records written by catalog.insert_record, so their
docno_keys are the ones ingest writes) holds ``--n`` generated documents whose 〔年〕号 each exist under at
least 20 机关代字 (5 years x serials x 20+ codes drawn from a pool that also holds 代字 one OCR misreading
apart, 冀政办发 / 费政办发 / 冀攻办发), some numbers carried by two records (a 件's copy). ``--queries`` numbers are then
asked for in the spellings people type (other brackets, 2023年, Chinese numerals, spaces, full-width digits,
leading zeros, 2023-1, a 文号： label). A query is right when the hits labelled 文号匹配 ("docno") are exactly
the records carrying that number. The share right is printed, with the near numbers (相近文号) shown and the
time per query; nothing is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive import catalog, docno  # noqa: E402
from archive.config import load_config  # noqa: E402
from archive.search import search  # noqa: E402
from archive.session import open_archive  # noqa: E402

PLACES = "冀晋辽吉黑苏浙皖闽赣鲁豫鄂湘粤琼川黔滇陕甘青"
ORGANS = ["政办发", "政发", "科农规", "科区", "农发", "教发", "财预", "卫健发", "水发", "自然资发", "人社发",
          "应急函", "发改投资", "商务函", "文旅发", "市监发", "林草发", "民政函", "住建发", "交运发"]
YEARS = range(2019, 2024)
_CN = "〇一二三四五六七八九"
_FW = str.maketrans("0123456789", "０１２３４５６７８９")


def codes(k: int, rng: random.Random) -> list[str]:
    """``k`` distinct 代字, with a few one OCR misreading apart (冀 / 费, 政 / 攻)."""
    pool = sorted({p + o for p in PLACES for o in ORGANS})
    rng.shuffle(pool)
    out = [c for c in pool[:k] if c not in ("冀政办发", "冀科区")]
    out += ["冀政办发", "冀科区", "费政办发", "冀攻办发", "某农发", "翼科区"]  # twins of 冀政办发, 冀科区
    return out


def cn_digits(n: int) -> str:
    return "".join(_CN[int(c)] for c in str(n))


def cn_serial(n: int) -> str:
    if n < 10:
        return _CN[n]
    if n < 20:
        return "十" + (_CN[n % 10] if n % 10 else "")
    if n < 100:
        return _CN[n // 10] + "十" + (_CN[n % 10] if n % 10 else "")
    return cn_digits(n)


SPELLINGS = [
    lambda c, y, n: f"{c}〔{y}〕{n}号",
    lambda c, y, n: f"{c}[{y}]{n}号",
    lambda c, y, n: f"{c}({y}){n}号",
    lambda c, y, n: f"{c}（{y}）{n}号",
    lambda c, y, n: f"{c}【{y}】{n}号",
    lambda c, y, n: f"{c}{y}年{n}号",
    lambda c, y, n: f"{c}{y}年第{n}号",
    lambda c, y, n: f"{c}〔{cn_digits(y)}〕{cn_serial(n)}号",
    lambda c, y, n: f"{c}〔{y}〕{cn_serial(n)}号",
    lambda c, y, n: f"{c} 〔 {y} 〕 {n} 号",
    lambda c, y, n: f"{c}〔{y}〕{n}号".translate(_FW),
    lambda c, y, n: f"{c}[{y}]{n:03d}号",
    lambda c, y, n: f"{c}{y}-{n}",
    lambda c, y, n: f"{c} {y} {n}",
    lambda c, y, n: f"文号：{c}〔{y}〕{n}号",
    lambda c, y, n: f"{c}﹝{y}﹞{n}号",
]


def build(arc, n: int, rng: random.Random) -> dict[str, list[int]]:
    """Insert about ``n`` records (whole 〔年〕号 groups); returns canonical number -> the record ids carrying it."""
    pool = codes(40, rng)
    per_number = 24  # 代字 per 〔年〕号 (>= 20)
    serials = max(1, n // (len(YEARS) * per_number))
    carriers: dict[str, list[int]] = {}
    made = 0
    stamp = catalog.now()
    with arc.change():
        while made < n:
            for y in YEARS:
                for s in range(1, serials + 1):
                    if made >= n:  # whole groups only: every 〔年〕号 keeps its 24 代字
                        break
                    for c in rng.sample(pool, per_number):
                        number = f"{c}〔{y}〕{s}号"
                        dn = docno.parse(number)
                        copies = 2 if rng.random() < 0.05 else 1
                        for k in range(copies):
                            sha = hashlib.sha256(f"{number}/{k}/{made}".encode()).hexdigest()
                            i = catalog.insert_record(arc.conn, {
                                "sha256": sha, "filename": f"{made}.txt", "media_type": "text/plain", "size": 100,
                                "status": "archived", "ingested_at": stamp, "updated_at": stamp,
                                "doc_number": dn.canonical, "title": f"关于第{s}项工作的通知", "year": y,
                                "date": f"{y}-03-0{1 + k}"}, f"{number}\n关于第{s}项工作的通知", dn)
                            carriers.setdefault(dn.canonical, []).append(i)
                            made += 1
            serials += 1  # only when n is not reached by the first round
    return carriers


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=24)
    ap.add_argument("--engine", choices=("sqlite", "whoosh"), default="sqlite")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    with tempfile.TemporaryDirectory(prefix="numbench-") as tmp:
        tmp = Path(tmp)
        src = (ROOT / "config.toml").read_text(encoding="utf-8").replace('engine = "sqlite"', f'engine = "{a.engine}"')
        (tmp / "config.toml").write_text(src, encoding="utf-8")
        arc = open_archive(load_config(tmp / "config.toml"), create=True)
        t0 = time.perf_counter()
        carriers = build(arc, a.n, rng)
        arc.reindex()
        print(f"{catalog.count_documents(arc.conn):,} documents, {len(carriers):,} numbers "
              f"({time.perf_counter() - t0:.1f} s to build)")
        by_year_serial: dict[str, set[str]] = {}
        for number in carriers:
            d = docno.parse(number)
            by_year_serial.setdefault(f"{d.year}-{d.serial}", set()).add(d.code)
        print(f"代字 per 〔年〕号: min {min(map(len, by_year_serial.values()))}, "
              f"median {statistics.median(map(len, by_year_serial.values()))}")
        right, wrong, near_shown, times = 0, [], 0, []
        numbers = sorted(carriers)
        for q in range(a.queries):
            number = rng.choice(numbers)
            d = docno.parse(number)
            spell = SPELLINGS[q % len(SPELLINGS)]
            query = spell(d.code, d.year, d.serial)
            t = time.perf_counter()
            res = search(arc.conn, arc.index, query, limit=100)
            times.append(time.perf_counter() - t)
            got = sorted(h.record["id"] for h in res.hits if h.matched == "docno")
            near_shown += sum(1 for h in res.hits if h.matched == "docno_near")
            if got == sorted(carriers[number]):
                right += 1
            else:
                wrong.append((query, number, [h.record["doc_number"] for h in res.hits if h.matched == "docno"]))
        arc.close()
    share = right / a.queries
    print(f"exact-number queries answered with exactly their records as 文号匹配: {right}/{a.queries} = {share:.2%}")
    print(f"相近文号 shown after them: {near_shown}; per query: median {statistics.median(times) * 1000:.1f} ms, "
          f"max {max(times) * 1000:.1f} ms")
    for query, number, got in wrong[:20]:
        print(f"  WRONG {query!r} (want {number}): {got}")


if __name__ == "__main__":
    main()
