"""Ingest throughput per format, and PDF text extraction pages/s.

Run from the repository root:  python3 bench/ingest_bench.py [N]      (N files per format, default 200)

1. PDF text: ``archive.extract.pdf.extract_pdf`` in-process on N generated multi-page PDFs (wqy-zenhei text
   layer, 1-6 pages each) and the real PDFs of ../shared/corpus when present; pages/s.
2. ``Archive.ingest_file`` per file, then ``Archive.ingest_many`` (what ``archive ingest`` runs: group commit),
   of N files of one format at a time, each in a fresh store, through the isolated extraction worker, catalog
   commits and the full-text index included (the index written when each unit of work ends is timed too): documents/s per format
   and for a mixed folder.

Figures are printed, never asserted. Run the same script on an older checkout for "before" figures.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive import pipeline
from archive.config import load_config  # noqa: E402
from archive.session import open_archive  # noqa: E402
from tests.conftest import write_config  # noqa: E402
from tests.gongwen_gen import gongwen_lines  # noqa: E402
from tests.makedocs import make_docx, make_pdf, make_text  # noqa: E402

CORPUS_PDFS = Path("/work/shared/corpus/files")


def _lines(i: int, pages: int = 1) -> list[str]:
    lines = gongwen_lines(i, kind=i % 10)
    body = lines[3:-4] or lines
    while len(lines) < 22 * pages:
        lines = lines[:-4] + body + lines[-4:]
    return lines


def pdf_pages_per_s(folder: Path, n: int) -> None:
    from archive.extract.pdf import extract_pdf

    folder.mkdir()
    files = [make_pdf(folder / f"p{i:04d}.pdf", _lines(i, 1 + i % 6)) for i in range(n)]
    for label, group in (("generated", files),
                         ("corpus", sorted(CORPUS_PDFS.rglob("*.pdf")) if CORPUS_PDFS.exists() else [])):
        if not group:
            continue
        pages = chars = 0
        t0 = time.perf_counter()
        for f in group:
            try:
                ex = extract_pdf(f)
            except Exception as e:  # noqa: BLE001 - a benchmark reports, it does not stop
                print(f"  {f.name}: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            pages += ex.pages or 0
            chars += len(ex.text)
        dt = time.perf_counter() - t0
        print(f"PDF text ({label}): {len(group)} PDFs, {pages} pages, {chars:,} chars in {dt:.2f} s: "
              f"{pages / dt:.0f} pages/s, {len(group) / dt:.0f} PDFs/s")


def ingest(tmp: Path, label: str, files: list[Path], many: bool) -> None:
    """``many``: Archive.ingest_many (what ``archive ingest`` runs: group commit), else ingest_file per file."""
    how = "ingest_many" if many else "ingest_file"
    home = tmp / f"arc-{label}-{how}"
    home.mkdir()
    cfg = load_config(write_config(home))
    arc = open_archive(cfg, create=True)
    pipeline.ingest_file(arc, files[0])  # start the worker (a one-off cost per process), not counted
    outcomes: dict[str, int] = {}
    w0 = _worker_cpu(arc)
    t0 = time.perf_counter()
    c0 = time.process_time()
    if many and hasattr(arc, "ingest_many"):
        results = pipeline.ingest_many(arc, files[1:])
    else:
        results = [pipeline.ingest_file(arc, f) for f in files[1:]]
    for r in results:
        outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    wcpu = _worker_cpu(arc) - w0
    arc.close()
    k = len(files) - 1
    both = 1000 * (cpu + wcpu) / k
    print(f"ingest {label:5} ({how:11}): {k} files in {elapsed:6.2f} s: {k / elapsed:6.1f} docs/s; CPU per doc "
          f"{1000 * cpu / k:.1f} ms here + {1000 * wcpu / k:.1f} ms in the worker = {both:.1f} ms "
          f"(one core: {1000 / both:.0f} docs/s)  {outcomes}", flush=True)


def _worker_cpu(arc) -> float:
    """CPU seconds used so far by the extraction worker process (from /proc; 0 when unknown)."""
    proc = getattr(getattr(arc, "_worker", None), "_proc", None)
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except Exception:  # noqa: BLE001
        return 0.0


def main(n: int = 200) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pdf_pages_per_s(tmp / "pdfs", n)
        makers = {"txt": lambda p, l: make_text(p, "\n".join(l)), "docx": make_docx, "pdf": make_pdf}
        by_ext: dict[str, list[Path]] = {}
        for ext, make in makers.items():
            src = tmp / f"src-{ext}"
            src.mkdir()
            # distinct content per format (a same text in two formats would be a different file anyway)
            by_ext[ext] = [make(src / f"doc{i:04d}.{ext}", _lines(i + 100000 * len(by_ext), 1 + i % 2))
                           for i in range(n + 1)]
        mixed = [f for trio in zip(*by_ext.values()) for f in trio]
        for many in (False, True):
            for ext, files in by_ext.items():
                ingest(tmp, ext, files, many)
            # the mixed run re-ingests the same files into a fresh store
            ingest(tmp, "mixed", mixed, many)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
