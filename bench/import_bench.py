"""Measure `archive import catalog` on the migration test's set: a 2,000-row xlsx and 1,500 scans/PDFs.

Usage: python bench/import_bench.py [WORKDIR]   (default /tmp/import_bench; rebuilt each run)

Prints rows/s for the catalogue alone (no --files), for catalogue + files, and for a dry run, then the
report of the run with files. Each run imports into a fresh archive.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from archive.config import load_config  # noqa: E402
from archive.import_catalog import import_catalog  # noqa: E402
from archive.session import open_archive  # noqa: E402
from catalog_gen import build  # noqa: E402
from conftest import write_config  # noqa: E402


def fresh_archive(folder: Path):
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return open_archive(load_config(write_config(folder)), create=True)


def main() -> None:
    work = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/import_bench")
    t = time.perf_counter()
    xlsx, scans, exp = build(work / "old")
    print(f"built {exp.rows} rows, {exp.files} files in {time.perf_counter() - t:.1f} s")
    results = {}
    for label, files, dry in (("catalogue only", None, False), ("dry run with files", scans, True),
                              ("catalogue + files", scans, False)):
        arc = fresh_archive(work / label.replace(" ", "_"))
        t = time.perf_counter()
        rep = import_catalog(arc, xlsx, files_dir=files, dry_run=dry)
        arc.close()  # includes the last index flush
        secs = time.perf_counter() - t
        results[label] = rep
        print(f"{label:20s} {rep.rows_read} rows, {rep.imported} records, {rep.files_attached} files: "
              f"{secs:6.1f} s  {rep.rows_read / secs:7.1f} rows/s")
    print(json.dumps(results["catalogue + files"].summary(), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
