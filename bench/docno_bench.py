"""Measure archive.docno against 38k real 发文字号 field values and their normalised guesses.

Usage: python bench/docno_bench.py [path/to/docnum_strings.csv]

The guess column was made by someone else's heuristics and is not gold: the report splits the
disagreements into categories, says for each whether the guess is demonstrably wrong, and prints
the agreement rate both raw and with those rows excluded. It also parses the body-text / PDF / OCR
examples of DOCNUM_VARIANTS.md sections B-D.
"""

from __future__ import annotations

import csv
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive import docno  # noqa: E402

DEFAULT_CSV = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "docnum_strings.csv"

# category -> (guess demonstrably wrong?, justification)
CATEGORIES: dict[str, tuple[bool, str]] = {
    "order-with-year form": (
        False,
        "same parts; the guess prints 令 numbers with a year as 令YYYY年第N号, docno gives every 令 "
        "number with a year ONE canonical form 令〔Y〕N号 (GB/T 9704 shape; a convention, not an error)",
    ),
    "guess empty, YYYY年第N号 without 公告": (
        True,
        "a real announcement-family number (国家发展改革委2017年第9号 is NDRC's 2017 No. 9 公告); "
        "dropping it loses a searchable number",
    ),
    "guess empty, 公告 without issuer": (
        True,
        "公告2018年第14号 is a complete announcement number whose issuer is implied by the site",
    ),
    "guess empty, 号 and serial swapped": (
        True,
        "〔2014〕号16 has exactly one serial; a typing slip, GB/T 9704 order is 〔2014〕16号",
    ),
    "guess keeps text in front of the code": (
        True,
        "the scraped value is run-on (…的通知沪府发, 根据国办公开办函, 省人民政府辽政发, 号市人大公告): "
        "a title tail, a verb, the issuer's name or a previous number's 号 is not part of the 机关代字; "
        "our code is the guess's code with that prefix cut off, year and serial equal",
    ),
    "we reject, guess accepts": (False, "to review"),
    "we accept, guess empty (other)": (False, "to review"),
    "code differs (other)": (False, "to review"),
    "year/serial differ": (False, "to review"),
}

SECTION_EXAMPLES = {
    "B": [
        "国办发〔2018〕128号", "中华人民共和国国务院令第707号", "国务院令\n第707号", "文号： 浙政发〔2016〕49号",
        "财税[2007]17号", "国办发[2006]79号", "冀政〔１９９８〕４５号", "冀直房改〔１９９９〕４号", "沪科合〔2008〕第006号",
        "国科发成字〔1995〕048号", "沪科〔2007〕第533号", "河北省人民政府令〔2008〕第18号", "中发﹝2015﹞8号",
        "冀政﹝2014﹞118号", "国家电网后勤〔2021)113号", "商办合函〔2021]80号", "财会〔2018 } 10号",
        "商务部令2018 年 第 2 号", "对外贸易经济合作部令2002年第3号", "鲁应急函(2020)4号", "国科农社函（2003）57号",
        "鲁交城市函（2020）39号", "陕发改能电力[2021] 634号", "冀科办【2011】14号", "省政府令【2009】第5号",
        "国科发政字［2001］253号", "国家电网资本〔2020〕668", "货币金融服务(14)68",
    ],
    "C": ["发改办财金规〔2019〕860 号", "国办发〔2021〕43 号", "府办专督〔2020〕 24 号", "临翔发改复[2018]172号"],
    "D (find_all)": [
        "国网渭南供电公司纪律检查委员会文件国网渭电纪〔2021〕1号",
        "内部事项国家电网有限公司部门文件后勤总务〔2021〕70号",
        "签发盖章于国安等级特急·明电鲁政办发明电〔2021〕1号",
        "〔2021〕1号 签发人：XXX",
        "河北省人民政府办公厅关于进一步强化奶业振兴支持政策的通知冀政办字〔2022〕93号",
    ],
}


def categorize(raw: str, ours: str | None, guess: str) -> str:
    d = docno.parse(raw)
    g = docno.parse(guess) if guess else None
    if ours is None:
        return "we reject, guess accepts"
    if not guess:
        compact = "".join(raw.split())
        if "〕号" in compact or "]号" in compact:
            return "guess empty, 号 and serial swapped"
        if d.kind == "announcement" and d.code == "公告":
            return "guess empty, 公告 without issuer"
        if d.kind == "announcement" and not d.code.endswith("公告"):
            if any(compact.startswith(p) for p in ("据", "号")):
                return "guess empty, YYYY年第N号 without 公告"
            return "guess empty, YYYY年第N号 without 公告"
        return "we accept, guess empty (other)"
    if guess.endswith(ours) and len(guess) > len(ours):
        return "guess keeps text in front of the code"
    if g is not None and (g.code, g.year, g.serial, g.kind) == (d.code, d.year, d.serial, d.kind):
        return "order-with-year form" if d.code.endswith("令") and d.year else "code differs (other)"
    if g is not None and (g.year, g.serial) == (d.year, d.serial):
        if len(g.code) > len(d.code) and g.code.endswith(d.code) and d.code:
            return "guess keeps text in front of the code"
        return "code differs (other)"
    return "year/serial differ"


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_CSV
    with path.open(encoding="utf-8", newline="") as f:
        rows = [(r["raw_doc_number"], r["normalized_guess"]) for r in csv.DictReader(f)]

    t0 = time.perf_counter()
    results = [docno.normalize(raw) for raw, _ in rows]
    elapsed = time.perf_counter() - t0

    agree = 0
    cats: dict[str, list[tuple[str, str | None, str]]] = defaultdict(list)
    for (raw, guess), ours in zip(rows, results):
        if (ours or "") == guess:
            agree += 1
        else:
            cats[categorize(raw, ours, guess)].append((raw, ours, guess))

    total = len(rows)
    print(f"rows: {total}   parse time: {elapsed:.3f} s ({elapsed / total * 1e6:.1f} µs/row)")
    print(f"agree (exact string): {agree} / {total} = {agree / total:.4%}")
    print()
    print("disagreements by category:")
    wrong_guess = 0
    same_parts = 0
    for cat, items in sorted(cats.items(), key=lambda kv: -len(kv[1])):
        is_wrong, why = CATEGORIES.get(cat, (False, "to review"))
        if is_wrong:
            wrong_guess += len(items)
        if cat == "order-with-year form":
            same_parts += len(items)
        verdict = "GUESS WRONG" if is_wrong else "not excluded"
        print(f"  [{len(items):5d}] {cat}  ({verdict}: {why})")
        for raw, ours, guess in items[:6]:
            print(f"           raw={raw!r:40} ours={ours!r:34} guess={guess!r}")
    print()
    adj_total = total - wrong_guess
    print(f"agree excluding rows where the guess is demonstrably wrong: "
          f"{agree} / {adj_total} = {agree / adj_total:.4%}   ({wrong_guess} rows excluded)")
    print(f"agree counting same-parts convention rows as agreement: "
          f"{agree + same_parts} / {adj_total} = {(agree + same_parts) / adj_total:.4%}")
    print()
    for section, examples in SECTION_EXAMPLES.items():
        print(f"DOCNUM_VARIANTS section {section}:")
        for ex in examples:
            if section.startswith("D"):
                hits = docno.find_all(ex)
                shown = [(d.canonical, d.code, s, e) for d, s, e in hits]
                print(f"  {ex!r:60} find_all -> {shown}")
            else:
                d = docno.parse(ex)
                shown = (d.canonical, d.code, d.year, d.serial, d.kind) if d else None
                print(f"  {ex!r:40} -> {shown}")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
