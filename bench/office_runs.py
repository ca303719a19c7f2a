"""LibreOffice runs and wall time of one .doc ingest's readers, without and with the conversion cache.

    python bench/office_runs.py [FILE.doc] [--rounds N]

The extraction worker (a process of its own: the text via DOCX and the 页数 via a PDF layout) and then the 涉密
gate in the main process (DOCX again), as ``pipeline.ingest`` runs them. LibreOffice runs are counted by
wrapping ``office._run`` in each process; "off" sets ``office.CACHE_TTL`` to 0 (every entry stale).
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive import secrecy  # noqa: E402
from archive.extract import extract, office  # noqa: E402

RUNS = [0]
_real_run = office._run


def _counting(*a, **k):
    RUNS[0] += 1
    return _real_run(*a, **k)


office._run = _counting


def _worker(path: str, ttl: float, q) -> None:
    office.CACHE_TTL = ttl
    RUNS[0] = 0
    extract(path)
    q.put(RUNS[0])


def one(path: Path, ttl: float) -> tuple[int, float]:
    office.CACHE_TTL = ttl
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    t0 = time.monotonic()
    p = ctx.Process(target=_worker, args=(str(path), ttl, q))
    p.start()
    worker_runs = q.get()
    p.join()
    RUNS[0] = 0
    secrecy.gate(path)
    return worker_runs + RUNS[0], time.monotonic() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file", nargs="?", default=str(ROOT / "tests" / "fixtures" / "extract" / "lo_gongwen.doc"))
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tempfile.tempdir = tmp  # a cache of this run's own
        for mode, ttl in (("off", 0.0), ("on", office.CACHE_TTL)):
            runs, secs = [], []
            for k in range(a.rounds):
                src = Path(tmp) / f"{mode}{k}.doc"
                shutil.copyfile(a.file, src)
                with open(src, "ab") as fh:  # other bytes each round: no entry of an earlier round is reused
                    fh.write(b"\0" * (k + 1) + mode.encode())
                n, s = one(src, ttl)
                runs.append(n)
                secs.append(s)
            print(f"cache {mode}: LibreOffice runs per .doc ingest {sum(runs) / len(runs):.1f}, "
                  f"wall {sum(secs) / len(secs):.2f} s (rounds {a.rounds}, {Path(a.file).name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
