"""What finding the virus scanner costs per file at ingest (issue: [virus] at_ingest rebuilt it for every file).

Finds the scanner N times the old way (``virus.scanner`` for each file: PATH, the database folder, a clamd ping)
and once the new way (``virus.session_scanner``), with a stand-in ``clamdscan`` on PATH that answers the ping
(a real process, as the daemon's client is) and with clamscan and a small database folder. Prints wall time and
CPU seconds (ours and the children's). Run: PYTHONPATH=. python bench/virus_session_bench.py [--n 200]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from archive import virus
from archive.config import VirusSettings


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _measure(label: str, n: int, find) -> None:
    w0, c0 = time.perf_counter(), _cpu()
    for _ in range(n):
        find()
    wall, cpu = time.perf_counter() - w0, _cpu() - c0
    print(f"{label:<44} {n:>5} finds  wall {wall:7.3f} s ({wall / n * 1000:6.2f} ms each)  "
          f"CPU {cpu:6.3f} s ({cpu / n * 1000:6.2f} ms each)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    n = ap.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "bin").mkdir()
        fake = t / "bin" / "clamdscan"
        fake.write_text("#!/bin/sh\nexit 0\n")
        fake.chmod(0o755)
        db = t / "sigs"
        db.mkdir()
        for i in range(40):  # a database folder of about the official one's number of files
            (db / f"part{i}.ndb").write_text("")
        old_path = os.environ["PATH"]
        try:
            os.environ["PATH"] = f"{t / 'bin'}{os.pathsep}{old_path}"
            s = VirusSettings(command="clamdscan", at_ingest=True)
            _measure("clamdscan: found for each file (before)", n, lambda: virus.scanner(s))
            batch = object.__new__(type("Batch", (), {}))
            _measure("clamdscan: found once per batch (after)", n, lambda: virus.session_scanner(batch, s))
        finally:
            os.environ["PATH"] = old_path
        s = VirusSettings(command="clamscan", database=db, at_ingest=True)
        if virus.scanner(s).available:
            _measure("clamscan + database folder: each file (before)", n, lambda: virus.scanner(s))
            batch2 = object.__new__(type("Batch", (), {}))
            _measure("clamscan + database folder: once (after)", n, lambda: virus.session_scanner(batch2, s))
        else:
            print("clamscan not installed: its part not measured")
    print(f"machine load (1/5/15 min): {os.getloadavg()}")


if __name__ == "__main__":
    main()
