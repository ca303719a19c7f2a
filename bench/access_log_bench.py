"""What the access log costs: one entry is one unit of work (write lock + transaction + fsync) added to every
view and download; and reading one record's entries out of many. Prints the figures.

    PYTHONPATH=. python bench/access_log_bench.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def main(n: int = 500) -> None:
    from archive import access_log, pipeline
    from archive.config import load_config
    from archive.session import open_archive
    from conftest import write_config
    from gongwen_gen import gongwen_lines
    from makedocs import make_pdf

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        arc = open_archive(load_config(write_config(folder)), create=True)
        (folder / "src").mkdir()
        rows = []
        for i in range(4):
            r = pipeline.ingest_file(arc, make_pdf(folder / "src" / f"{i}.pdf", gongwen_lines(i, 0, 2015)))
            rows.append(arc.resolve(str(r.record["id"])))
        t = time.perf_counter()
        for i in range(n):
            access_log.record(arc, rows[i % len(rows)], "view", "web", "bench", actor="bench")
        per = (time.perf_counter() - t) / n
        t = time.perf_counter()
        one = access_log.entries(arc, rows[0])
        read_one = time.perf_counter() - t
        t = time.perf_counter()
        every = access_log.entries(arc)
        read_all = time.perf_counter() - t
        arc.close()
    print(f"access log: {n} entries written, {per * 1000:.2f} ms per entry (one unit of work each)")
    print(f"read one record's {len(one)} entries: {read_one * 1000:.1f} ms; all {len(every)}: {read_all * 1000:.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
