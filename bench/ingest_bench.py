"""Ingest throughput on ~300 small generated files (100 text, 100 DOCX, 100 PDF).

Run from the repository root:  python3 bench/ingest_bench.py [N]
Prints documents per second for ``archive ingest`` of one folder, in-process (the CLI's own loop),
so the figure compares extraction in-process with extraction in the isolated worker.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.config import load_config  # noqa: E402
from archive.pipeline import open_archive  # noqa: E402
from tests.conftest import write_config  # noqa: E402
from tests.gongwen_gen import gongwen_lines  # noqa: E402
from tests.makedocs import make_docx, make_pdf, make_text  # noqa: E402


def main(n: int = 300) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "src"
        src.mkdir()
        makers = [("txt", lambda p, l: make_text(p, "\n".join(l))), ("docx", make_docx), ("pdf", make_pdf)]
        for i in range(n):
            ext, make = makers[i % 3]
            make(src / f"doc{i:04d}.{ext}", gongwen_lines(i, kind=i % 10))
        cfg = load_config(write_config(tmp))
        arc = open_archive(cfg, create=True)
        files = sorted(src.iterdir())
        t0 = time.perf_counter()
        outcomes: dict[str, int] = {}
        for f in files:
            r = arc.ingest_file(f)
            outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
        arc.flush_index()
        elapsed = time.perf_counter() - t0
        arc.close()
        print(f"files: {len(files)}  outcomes: {outcomes}")
        print(f"ingest: {elapsed:.1f} s, {len(files) / elapsed:.1f} docs/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
