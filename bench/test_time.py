"""Where the test suite's time goes: runs the suite as bench/test_time.md measures it (or reads the output of
such a run) and prints the wall time, the CPU time of the whole process tree, the sum of the per-test
durations by file (setup / call / teardown), the slowest tests, and how many LibreOffice conversions the
test-only cache (tests/soffice_cache.py) answered.

    python bench/test_time.py                 # runs: pytest -n 2 --dist worksteal --durations=0 tests/
    python bench/test_time.py OUTPUT.txt      # reads a saved run's output instead
"""

from __future__ import annotations

import collections
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^([\d.]+)s (setup|call|teardown)\s+(\S+)", re.M)


def report(text: str, top: int = 20, files: int = 25) -> None:
    rows = LINE.findall(text)
    by_file: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    total: collections.Counter = collections.Counter()
    for seconds, phase, node in rows:
        by_file[node.split("::")[0]][phase] += float(seconds)
        total[phase] += float(seconds)
    progress = "".join(re.findall(r"^([.sFEx]+)\s*(?:\[\s*\d+%\])?$", text.split("slowest durations")[0], re.M))
    counts = collections.Counter(progress)
    print(f"tests: {counts['.']} passed, {counts['s']} skipped, {counts['F'] + counts['E']} failed or errors")
    print(f"sum of test durations: {sum(total.values()):.0f} s (setup {total['setup']:.0f}, call "
          f"{total['call']:.0f}, teardown {total['teardown']:.0f})")
    print(f"\nby file (top {files}):")
    for name, c in sorted(by_file.items(), key=lambda kv: -sum(kv[1].values()))[:files]:
        print(f"{sum(c.values()):8.1f} s  setup {c['setup']:7.1f}  call {c['call']:7.1f}  {name}")
    print(f"\nslowest {top}:")
    for seconds, phase, node in sorted(rows, key=lambda r: -float(r[0]))[:top]:
        print(f"{float(seconds):8.2f} s  {phase:8s} {node}")


def main() -> None:
    if len(sys.argv) > 1:
        report(Path(sys.argv[1]).read_text(encoding="utf-8", errors="replace"))
        return
    count = Path(tempfile.mkstemp(prefix="soffice-count-")[1])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ARCHIVE_TEST_SOFFICE_COUNT": str(count)}
    load = os.getloadavg()
    start = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "worksteal", "-q", "-p", "no:cacheprovider",
                        "--durations=0", "tests/"], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.monotonic() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"wall {wall:.0f} s; CPU of the process tree {usage.ru_utime + usage.ru_stime:.0f} s (user "
          f"{usage.ru_utime:.0f}, system {usage.ru_stime:.0f}); load average at start {load[0]:.1f}, at end "
          f"{os.getloadavg()[0]:.1f} (the machine is shared); pytest exit {p.returncode}")
    conversions = collections.Counter(count.read_text(encoding="ascii").split()) if count.stat().st_size else {}
    count.unlink()
    print(f"LibreOffice conversions: {conversions.get('run', 0)} run, {conversions.get('hit', 0)} answered by the "
          f"test-only cache")
    report(p.stdout + p.stderr)


if __name__ == "__main__":
    main()
