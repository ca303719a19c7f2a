"""Score the 公文 reader on the evaluation set made by ``bench/eval_set.py``.

    python bench/eval_reader.py --set DIR [--split test|tune|all] [--formats docx,pdf,webtext] [--misses FILE]

Every file of ``DIR/manifest.jsonl`` is read with ``archive.extract.extract`` and parsed with
``archive.gongwen.parse``; the own 发文字号, 标题, 发文机关 and 成文日期 are compared with the gold the
file prints. Figures per split × layout × format, then per split × format and per split × layout.

Matching (from ``bench/corpus_fields.py``): 发文字号 equal after ``docno.normalize`` or by
代字/年份/序号; a 纪要 has no 发文字号 (right when none is given). 标题 and 发文机关 "lenient" as in
corpus_fields (punctuation unified; a joint issuer's names in any separator); a 令 has no title of its
own: its mark (``XX令``, with or without its 令号) or the name of the regulation it promulgates
(``title_alt``) count. 成文日期 exact.

While tuning look at ``--split tune`` only; the report gives ``--split test``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from archive import gongwen  # noqa: E402
from archive.errors import ArchiveError  # noqa: E402
from archive.extract import extract  # noqa: E402
from corpus_fields import issuer_match, number_ok, title_match, unify  # noqa: E402

FIELDS = ("docno", "title", "issuer", "date", "title_noq")
BORN_DIGITAL = ("docx", "pdf", "webtext", "html", "ofd")


def score(gold: dict, layout: str, f) -> dict[str, bool]:
    out = {}
    if gold["doc_number"] is None:
        out["docno"] = f.doc_number is None
    else:
        out["docno"] = number_ok(gold["doc_number"], f.doc_number)
    t_ok = title_match(gold["title"], f.title, gold["doc_number"])[1] or bool(
        gold.get("title_alt") and title_match(gold["title_alt"], f.title, None)[1])
    if not t_ok and layout == "命令格式" and f.title:
        t_ok = unify(f.title) in (unify(gold["title"]), unify(gold["doc_number"]))
    out["title"] = t_ok
    # the same with quotation marks ignored: PDF text layers of LibreOffice output emit “ ” out of
    # place (a fallback-font glyph written after its line); this column separates that from the reader
    strip = str.maketrans("", "", "“”‘’\"'")
    out["title_noq"] = t_ok or bool(f.title) and (
        title_match(gold["title"].translate(strip), f.title.translate(strip), gold["doc_number"])[1]
        or bool(gold.get("title_alt") and title_match(gold["title_alt"].translate(strip), f.title.translate(strip),
                                                      None)[1]))
    out["issuer"] = gold["issuer"] is None or issuer_match(gold["issuer"], f.issuer)[1]  # None: not printed
    out["date"] = gold["date"] is None or (f.date is not None and f.date == dt.date.fromisoformat(gold["date"]))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", default=str(ROOT.parent / "eval-out"))
    ap.add_argument("--split", default="test", choices=("test", "tune", "all"))
    ap.add_argument("--formats", default="docx,pdf,webtext", help="comma list, or 'all'")
    ap.add_argument("--misses", default="", help="write the misses (TSV) here")
    a = ap.parse_args(argv)
    base = Path(a.set)
    rows = [json.loads(x) for x in open(base / "manifest.jsonl", encoding="utf-8")]
    if a.split != "all":
        rows = [r for r in rows if r["split"] == a.split]
    if a.formats != "all":
        fmts = a.formats.split(",")
        rows = [r for r in rows if r["format"] in fmts]
    tally: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0])  # n, 5 fields, failed
    misses = []
    t0 = time.monotonic()
    for r in rows:
        keys = [(r["split"], r["layout"], r["format"]), (r["split"], "全部", r["format"]),
                (r["split"], r["layout"], "全部"),
                (r["split"], "全部", "born-digital" if r["format"] in BORN_DIGITAL else "scans")]
        try:
            text = extract(base / r["file"]).text
        except ArchiveError as e:
            for k in keys:
                tally[k][0] += 1
                tally[k][6] += 1
            misses.append((r["file"], "extract", "", str(e)))
            continue
        f = gongwen.parse(text)
        s = score(r["gold"], r["layout"], f)
        for k in keys:
            tally[k][0] += 1
            for i, name in enumerate(FIELDS):
                tally[k][1 + i] += s[name]
        got = {"docno": f.doc_number.raw if f.doc_number else None, "title": f.title, "issuer": f.issuer,
               "date": f.date.isoformat() if f.date else None}
        want = {"docno": r["gold"]["doc_number"], "title": r["gold"]["title"], "issuer": r["gold"]["issuer"],
                "date": r["gold"]["date"]}
        for name in FIELDS[:4]:
            if not s[name]:
                misses.append((r["file"], name, str(want[name]), str(got[name])))
    secs = time.monotonic() - t0
    print(f"{'split':5} {'layout':8} {'format':12} {'n':>4}  {'发文字号':>6} {'标题':>6} {'发文机关':>6} {'成文日期':>6} {'标题*':>6}  failed")
    for k in sorted(tally, key=lambda k: (k[0], k[1] == "全部", k[1], k[2] in ("全部", "born-digital", "scans"), k[2])):
        n, *v, failed = tally[k]
        print(f"{k[0]:5} {k[1]:8} {k[2]:12} {n:4d}  " + " ".join(f"{100 * x / n:6.1f}" for x in v) + f"  {failed}")
    print("标题*: 标题 with quotation marks ignored (see score())")
    print(f"{len(rows)} files in {secs:.0f} s; {len(misses)} misses"
          + (f" -> {a.misses}" if a.misses else ""))
    if a.misses:
        with open(a.misses, "w", encoding="utf-8") as fh:
            fh.write("file\tfield\tgold\tours\n")
            for m in misses:
                fh.write("\t".join(x.replace("\t", " ").replace("\n", "⏎") for x in m) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
