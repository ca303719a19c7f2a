"""Why records are left 待定 for ``fields.doubtful_date``: true disagreements or reading mistakes.

    python bench/doubtful_dates.py --set DIR [--split test] [--formats all]

Every file of the set is read as ``bench/eval_reader.py`` reads it. Each file whose 成文日期 the reader
calls doubtful is put in one of three classes, by the gold (what the file prints):
- ``printed``: the printed 成文日期 itself disagrees with the printed 文号's year (or the page's table)
  by the reader's own rule: asking the clerk is right;
- ``misread``: the reader's 成文日期 or 文号 differs from the printed one: a reading mistake;
- ``other``: neither (the rule itself is too strict for what the file prints).
Figures: files, doubtful files (share), and the three classes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from archive import docno, gongwen  # noqa: E402
from archive.extract import extract  # noqa: E402
from corpus_fields import number_ok  # noqa: E402


def printed_disagrees(gold: dict) -> bool:
    if not gold.get("date") or not gold.get("doc_number"):
        return False
    num = docno.parse(gold["doc_number"])
    d = dt.date.fromisoformat(gold["date"])
    return bool(num and num.year and num.kind != "order" and not (num.year - 1 <= d.year <= num.year))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", required=True)
    ap.add_argument("--split", default="test", choices=("test", "tune", "all"))
    ap.add_argument("--formats", default="all")
    a = ap.parse_args(argv)
    base = Path(a.set)
    rows = [json.loads(x) for x in open(base / "manifest.jsonl", encoding="utf-8")]
    rows = [r for r in rows if a.split == "all" or r["split"] == a.split]
    rows = [r for r in rows if a.formats == "all" or r["format"] in a.formats.split(",")]
    rows = [r for r in rows if r.get("dpi") is None]  # born-digital files only
    n, cls, seen = 0, Counter(), []
    for r in rows:
        f = gongwen.parse(extract(base / r["file"]).text)
        n += 1
        if not f.doubtful_date:
            continue
        g = r["gold"]
        date_ok = g.get("date") is None or (f.date is not None and f.date.isoformat() == g["date"])
        num_ok = g.get("doc_number") is None or number_ok(g["doc_number"], f.doc_number)
        if not (date_ok and num_ok):
            kind = "misread"
        elif printed_disagrees(g) or "网页标注" in f.doubtful_date:
            kind = "printed"
        else:
            kind = "other"
        cls[kind] += 1
        seen.append((kind, r["file"], f.doubtful_date))
    for kind, name, why in seen:
        print(f"{kind}\t{name}\t{why}")
    d = sum(cls.values())
    print(f"{n} files, {d} with a doubtful 成文日期 ({100 * d / max(n, 1):.1f}%): "
          f"printed {cls['printed']}, misread {cls['misread']}, other {cls['other']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
