"""One 件, several files, scored on the evaluation set made by ``bench/eval_set.py`` (documents the grouping
rules were not written against: the same 公文 as DOCX, as a PDF LibreOffice made of it, as a saved web page and
its text, and optionally as scans).

    python bench/eval_grouping.py --set DIR [--split test|tune|all] [--formats docx,pdf,html,webtext] [--scans N]

All files of the split are ingested into a new archive (one batch, as ``archive ingest`` does). Each file ends
in one record (its own, or the one it was joined to); a file refused as 涉密 ends in none. Then:

- **wrongly joined**: records holding files of more than one document (a 件 that mixes two 公文) — must be 0;
- **split**: documents whose files ended in more than one record (another rendering not recognised), and of
  those how many carry the suggestion (pending, 待定原因 naming the record) for a clerk's ``archive attach``;
- records per document, and the outcome counts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive import pipeline
from archive.config import load_config  # noqa: E402
from archive.session import open_archive  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", default=str(ROOT.parent / "eval-out"))
    ap.add_argument("--split", default="test", choices=("test", "tune", "all"))
    ap.add_argument("--formats", default="docx,pdf,html,webtext")
    ap.add_argument("--scans", type=int, default=0,
                    help="also this many scans without a 密级 mark (png/jpg/scanpdf; OCR is slow)")
    args = ap.parse_args()
    base = Path(args.set)
    formats = set(args.formats.split(","))
    entries, scans = [], []
    for line in (base / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        e = json.loads(line)
        if args.split != "all" and e["split"] != args.split:
            continue
        if e["format"] in formats:
            entries.append(e)
        elif e["format"] in ("png", "jpg", "scanpdf") and len(scans) < args.scans and not e["gold"].get("secrecy"):
            scans.append(e)
    entries += scans
    work = Path(tempfile.mkdtemp(prefix="eval-grouping-"))
    try:
        shutil.copy(ROOT / "config.toml", work / "config.toml")
        cfg = load_config(work / "config.toml")
        arc = open_archive(cfg, create=True)
        doc_of: dict[str, str] = {}
        paths = []
        for e in entries:
            src = base / e["file"]
            dest = work / "in" / f"{len(paths):04d}-{src.name}"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dest)
            doc_of[str(dest)] = e["doc_id"]
            paths.append(dest)
        t0 = time.perf_counter()
        results = pipeline.ingest_many(arc, paths)
        seconds = time.perf_counter() - t0
        outcomes = Counter(r.outcome for r in results)
        records_of_doc: dict[str, set[int]] = defaultdict(set)
        docs_of_record: dict[int, set[str]] = defaultdict(set)
        for r in results:
            if r.record is None:
                continue
            rid = r.record["id"]
            records_of_doc[doc_of[r.file]].add(rid)
            docs_of_record[rid].add(doc_of[r.file])
        wrong = {rid: docs for rid, docs in docs_of_record.items() if len(docs) > 1}
        split = {d: rids for d, rids in records_of_doc.items() if len(rids) > 1}
        suggested = 0
        for rids in split.values():
            reasons = [arc.conn.execute("SELECT reason FROM documents WHERE id=?", (i,)).fetchone()[0] or ""
                       for i in rids]
            if any("archive attach" in x for x in reasons):
                suggested += 1
        arc.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n_docs = len({e["doc_id"] for e in entries})
    print(f"split {args.split}: {len(entries)} files of {n_docs} documents ({', '.join(sorted(formats))}"
          f"{f', {len(scans)} scans' if scans else ''}), ingested in {seconds:.1f} s")
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    print(f"records holding files of more than one document (wrongly joined): {len(wrong)}")
    for rid, docs in list(wrong.items())[:10]:
        print(f"  record {rid}: {sorted(docs)}")
    print(f"documents with files in more than one record (not joined): {len(split)} "
          f"(of which with the suggestion for a clerk: {suggested})")
    for d, rids in list(split.items())[:10]:
        print(f"  {d}: records {sorted(rids)}")
    stored_docs = len(records_of_doc)
    print(f"documents stored: {stored_docs}; records: {len(docs_of_record)}; "
          f"documents in exactly one record: {stored_docs - len(split)} "
          f"({100 * (stored_docs - len(split)) / max(stored_docs, 1):.1f}%)")


if __name__ == "__main__":
    main()
