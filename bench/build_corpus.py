"""Build N realistic, distinct 公文 from the real texts of the shared corpus, and ingest them.

Used by ``bench/search_bench.py``; runnable alone to only write the files:

    python bench/build_corpus.py --n 10000 --out /tmp/archbench/n10000

Every generated document gets a real body (docs.jsonl and docs_without_number.jsonl, header and
signature block cut off) under a new GB/T 9704 header: 发文机关标志, a unique 发文字号 (机关代字, year and
serial vary), a title built from a real title, a 主送机关, then the 署名 and 成文日期. Issuers are chosen so
that the example agency's retention table (config.toml: 示例县档案局, codes 示档/示档发/示档函) sees a
realistic mix: its own documents, superior ones addressed to 县直各单位 (or not), peers, a subordinate
and unknown issuers (pending).

Formats: TEXT_SHARE plain UTF-8 .txt (fast), DOCX_SHARE .docx and PDF_SHARE .pdf made with
tests/makedocs.py (the same helpers the test-suite uses).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ../shared/corpus beside the repository, or two levels up (a git worktree under /work/wt/<branch>)
CORPUS = next((p for p in (ROOT.parent / "shared" / "corpus", ROOT.parent.parent / "shared" / "corpus")
               if p.exists()), ROOT.parent / "shared" / "corpus")
sys.path.insert(0, str(ROOT / "tests"))

DOCX_SHARE = 0.02
PDF_SHARE = 0.01
TEXT_SHARE = 1 - DOCX_SHARE - PDF_SHARE
PDF_MAX_CHARS = 2500  # PDFs keep the first ~2,500 body characters (a few pages), to keep rendering time sane

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"


# ------------------------------------------------------------------------------------- corpus
def load_corpus(corpus: Path = CORPUS, files=("docs.jsonl", "docs_without_number.jsonl")) -> list[dict]:
    rows = []
    for f in files:
        with open(corpus / f, encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    return rows


_DATE_LINE = re.compile(r"[\d〇零一二三四五六七八九十○Ｏ]{2,4}\s*年\s*[\d一二三四五六七八九十]{1,3}\s*月\s*[\d一二三四五六七八九十]{1,3}\s*日.{0,4}")
_RUNON_SIG = re.compile(r"[^\n，。；：]{0,30}\d{4}年\d{1,2}月\d{1,2}日\s*[（(]此件")
_TAIL_LINE = re.compile(r"(印发|抄送|抄报|^\s*[（(].*[）)]\s*$|年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$|^\s*附件)")


def body_lines(row: dict) -> list[str]:
    """The real body of a corpus document without its header, title and signature block."""
    text = (row.get("body_text") or "").replace("\r", "")
    title = (row.get("title") or "").strip()
    if title and title in text[:600]:
        text = text[text.index(title) + len(title):]
    # run-on (OCR-like) texts carry their signature inside a line: "…国网产业部2020年12月25日(此件不公开发布…"
    m = _RUNON_SIG.search(text)
    if m:
        text = text[:m.start()]
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    # drop a leading 主送 line (ends with a colon)
    if lines and len(lines[0]) < 120 and lines[0].endswith(("：", ":")):
        lines = lines[1:]
    # the original 成文日期 (a date on a line of its own) ends the document proper; what follows is an
    # attachment with its own dates, and the generated signature block must be the only one
    for k, ln in enumerate(lines):
        if _DATE_LINE.fullmatch(ln):
            lines = lines[:k]
            break
    while lines and (len(lines[-1]) < 40 or _TAIL_LINE.search(lines[-1])):
        lines.pop()
    # drop secrecy marks that would make the pipeline refuse a document (not what this bench measures)
    lines = [re.sub(r"(绝密|机密|秘密)", "保密", ln) for ln in lines]
    out, total = [], 0
    for ln in lines:
        out.append(ln)
        total += len(ln)
        if total > 8000:
            break
    return out


def title_core(title: str) -> str:
    """关于加强个人所得税纳税信用建设的通知 -> 加强个人所得税纳税信用建设."""
    t = re.sub(r"\s+", "", title or "")
    if "关于" in t:
        t = t[t.index("关于") + 2:]
    t = re.sub(r"的?(实施意见|指导意见|通知|决定|意见|报告|请示|批复|函|复函|通报|通告|公告|纪要|办法|规定|方案|细则|规划|要点)$", "", t)
    t = re.sub(r"^(印发|转发)", "", t)
    t = t.strip("《》“”")
    return t if 4 <= len(t) <= 40 and re.search(f"[{_CJK}]", t) else ""


# ------------------------------------------------------------------------------------- issuers
@dataclass
class Issuer:
    name: str
    codes: list[str]
    kind: str  # own / superior / peer / subordinate / other
    weight: float
    mark: str = ""  # 发文机关标志 (default: name + 文件)
    types: list[str] = field(default_factory=list)


OWN = "示例县档案局"
ISSUERS = [
    Issuer(OWN, ["示档发", "示档函", "示档"], "own", 30,
           types=["通知"] * 5 + ["决定", "意见", "请示", "报告", "函", "纪要", "办法", "批复"]),
    Issuer("示例县人民政府", ["示政发"], "superior", 10, types=["通知"] * 4 + ["决定", "意见", "批复", "通报"]),
    Issuer("示例县人民政府办公室", ["示政办发", "示政办函"], "superior", 8, types=["通知"] * 4 + ["意见", "通报", "函"]),
    Issuer("中共示例县委员会", ["示委发"], "superior", 4, types=["通知", "决定", "意见"]),
    Issuer("示例市档案局", ["示市档发", "示市档函"], "superior", 6, types=["通知"] * 3 + ["意见", "批复", "通报"]),
    Issuer("示例市人民政府", ["示市政发"], "superior", 4, types=["通知", "意见", "决定"]),
    Issuer("河北省档案局", ["冀档发"], "superior", 3, types=["通知", "意见", "办法"]),
    Issuer("示例县财政局", ["示财发", "示财函"], "peer", 5, types=["通知", "函"]),
    Issuer("示例县教育局", ["示教发"], "peer", 3, types=["通知", "函"]),
    Issuer("示例县自然资源局", ["示自然资发"], "peer", 3, types=["通知", "函"]),
    Issuer("示例县卫生健康委员会", ["示卫健发"], "peer", 3, types=["通知", "函", "通报"]),
    Issuer("示例县发展和改革局", ["示发改发"], "peer", 3, types=["通知", "函"]),
    Issuer("示例县档案馆", ["示档馆发"], "subordinate", 4, types=["报告", "请示", "通知", "简报"]),
    Issuer("华北示范科技有限公司", ["华示科"], "other", 2, types=["函", "报告"]),
    Issuer("示例县档案学会", ["示档学"], "other", 2, types=["通知", "函"]),
]
_WEIGHTS = [i.weight for i in ISSUERS]

OWN_CORES = ["做好{y}年度文书档案归档工作", "开展{y}年档案安全检查", "加强档案业务指导", "{y}年度工作计划",
             "{y}年工作总结", "调整内设机构", "任免干部", "{y}年国庆节放假安排", "举办档案业务培训班",
             "申请档案馆馆舍建设项目经费", "召开全县档案工作会议", "规范电子文件归档管理", "{y}年值班安排"]

RECIPIENTS = {
    "own": ["县直各单位", "各乡镇人民政府、县直各单位", "县直各部门", "示例县人民政府"],
    "superior_us": ["县直各单位", "各乡镇人民政府、县直各单位", "县档案局", "示例县档案局", "县直有关单位"],
    "superior_not": ["各乡镇人民政府", "县公安局", "各村民委员会", "县财政局"],
    "peer_us": ["示例县档案局", "县档案局"],
    "peer_not": ["各股室", "各乡镇财政所", "各中小学校"],
    "other": ["示例县档案局", "县档案局"],
}

_CN_DIGIT = "〇一二三四五六七八九"


def _cn_date(y: int, m: int, d: int) -> str:
    def small(n: int) -> str:
        if n < 10:
            return _CN_DIGIT[n]
        return ("" if n < 20 else _CN_DIGIT[n // 10]) + "十" + (_CN_DIGIT[n % 10] if n % 10 else "")
    return "".join(_CN_DIGIT[int(c)] for c in str(y)) + "年" + small(m) + "月" + small(d) + "日"


def printed_number(code: str, year: int, serial: int, rnd: random.Random) -> str:
    """The 发文字号 as printed in the header: mostly GB/T 9704, some real-world variants."""
    r = rnd.random()
    if r < 0.85:
        return f"{code}〔{year}〕{serial}号"
    if r < 0.90:
        return f"{code}[{year}]{serial}号"
    if r < 0.95:
        return f"{code}（{year}）{serial}号"
    return f"{code}﹝{year}﹞{serial}号"


@dataclass
class GenDoc:
    key: str          # file stem
    fmt: str          # txt / docx / pdf
    lines: list[str]
    issuer: str
    kind: str
    code: str
    year: int
    serial: int
    title: str

    @property
    def canonical(self) -> str:
        return f"{self.code}〔{self.year}〕{self.serial}号"


def generate(n: int, seed: int = 1, corpus: Path = CORPUS) -> list[GenDoc]:
    """N distinct documents (unique 发文字号 and content), deterministic for a seed."""
    rnd = random.Random(seed)
    rows = load_corpus(corpus)
    bodies = [b for b in (body_lines(r) for r in rows) if sum(map(len, b)) >= 200]
    cores = sorted({c for c in (title_core(r.get("title", "")) for r in rows) if c})
    serials: dict[tuple[str, int], int] = {}
    docs = []
    for i in range(n):
        iss = rnd.choices(ISSUERS, _WEIGHTS)[0]
        year = rnd.randint(2005, 2023)
        code = rnd.choice(iss.codes)
        s = serials.get((code, year), rnd.randint(0, 20)) + rnd.randint(1, 3)
        serials[(code, year)] = s
        dtype = rnd.choice(iss.types)
        if code.endswith("函") and dtype not in ("函",):
            dtype = rnd.choice(["函", dtype])
        if iss.kind == "own" and rnd.random() < 0.3:
            core = rnd.choice(OWN_CORES).format(y=year)
        else:
            core = rnd.choice(cores)
        if rnd.random() < 0.25:
            core = re.sub(r"20\d\d", str(year), core) if re.search(r"20\d\d", core) else f"做好{year}年{core}"
        title = f"关于{core}的{dtype}" if dtype != "简报" else f"{core}工作简报"
        if iss.kind == "superior":
            rec = rnd.choice(RECIPIENTS["superior_us" if rnd.random() < 0.7 else "superior_not"])
        elif iss.kind == "peer":
            rec = rnd.choice(RECIPIENTS["peer_us" if rnd.random() < 0.6 else "peer_not"])
        elif iss.kind == "own":
            rec = rnd.choice(RECIPIENTS["own"])
        else:
            rec = rnd.choice(RECIPIENTS["other"])
        month, day = rnd.randint(1, 12), rnd.randint(1, 28)
        date = _cn_date(year, month, day) if rnd.random() < 0.1 else f"{year}年{month}月{day}日"
        body = rnd.choice(bodies)
        if len(body) > 6 and rnd.random() < 0.5:  # vary the body too: a window of its paragraphs
            a = rnd.randint(0, len(body) // 3)
            body = body[a:]
        lines = [iss.mark or f"{iss.name}文件", printed_number(code, year, s, rnd), title, f"{rec}：", *body,
                 iss.name, date]
        if rnd.random() < 0.3:
            lines.append("（此件公开发布）")
        r = rnd.random()
        fmt = "pdf" if r < PDF_SHARE else "docx" if r < PDF_SHARE + DOCX_SHARE else "txt"
        docs.append(GenDoc(f"d{i:06d}", fmt, lines, iss.name, iss.kind, code, year, s, title))
    return docs


def write_docs(docs: list[GenDoc], out: Path) -> dict[str, float]:
    """Write every document under out/ (txt in bulk, DOCX/PDF via tests/makedocs.py); seconds per format."""
    from makedocs import make_docx, make_pdf

    out.mkdir(parents=True, exist_ok=True)
    spent = {"txt": 0.0, "docx": 0.0, "pdf": 0.0}
    for d in docs:
        p = out / f"{d.key}.{d.fmt}"
        t0 = time.perf_counter()
        if d.fmt == "txt":
            p.write_text("\n".join(d.lines) + "\n", encoding="utf-8")
        elif d.fmt == "docx":
            make_docx(p, d.lines)
        else:
            lines, total = [], 0
            for ln in d.lines[:-2]:
                lines.append(ln)
                total += len(ln)
                if total > PDF_MAX_CHARS:
                    break
            # wrap long paragraphs into printed lines of ~28 characters, as a typeset page would
            wrapped = []
            for ln in lines + d.lines[-2:]:
                wrapped += [ln[k:k + 28] for k in range(0, len(ln), 28)] or [""]
            make_pdf(p, wrapped)
        spent[d.fmt] += time.perf_counter() - t0
    return spent


def write_manifest(docs: list[GenDoc], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"key": d.key, "fmt": d.fmt, "issuer": d.issuer, "kind": d.kind, "code": d.code,
                                "year": d.year, "serial": d.serial, "title": d.title}, ensure_ascii=False) + "\n")


CONFIG_SRC = ROOT / "config.toml"


def make_config(workdir: Path) -> Path:
    """A copy of the example config.toml whose inbox and store live under ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    text = CONFIG_SRC.read_text(encoding="utf-8")
    cfg = workdir / "config.toml"
    cfg.write_text(text, encoding="utf-8")  # [paths] are relative to the config file: workdir/inbox, workdir/store
    return cfg


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=Path("/tmp/archbench/gen"))
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    t0 = time.perf_counter()
    docs = generate(a.n, a.seed)
    spent = write_docs(docs, a.out / "src")
    write_manifest(docs, a.out / "manifest.jsonl")
    print(f"{a.n} documents written to {a.out / 'src'} in {time.perf_counter() - t0:.1f} s "
          f"({', '.join(f'{k} {v:.1f} s' for k, v in spent.items())})")


if __name__ == "__main__":
    main()
