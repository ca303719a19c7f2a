"""Where the test suite's time goes: runs the suite as bench/test_time.md measures it (or reads the output of
such a run) and prints the wall time, the CPU time of the whole process tree, the sum of the per-test
durations by file (setup / call / teardown), the slowest tests, and how many LibreOffice conversions the
test-only cache (tests/soffice_cache.py) answered.

On a shared machine the durations are wall time and carry the other users' load; the CPU seconds of each test
phase (tests/conftest.py writes them with ARCHIVE_TEST_CPU=FILE: the test process and the children it waited
for) do not, and are printed by file and for the costliest tests, with the LibreOffice runs by file.

    python bench/test_time.py                 # runs: pytest -n 2 --dist worksteal --durations=0 tests/
    python bench/test_time.py OUTPUT.txt [CPU.txt [COUNT.txt]]   # reads a saved run's output instead
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


def cpu_report(cpu_text: str, count_text: str = "", top: int = 25, files: int = 30) -> None:
    """CPU seconds by test file (setup / call / teardown) and of the costliest tests, LibreOffice runs by file."""
    by_file: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    by_test: collections.Counter = collections.Counter()
    for line in cpu_text.splitlines():
        seconds, phase, node = line.split(" ", 2)
        by_file[node.split("::")[0]][phase] += float(seconds)
        by_test[node] += float(seconds)
    runs: collections.Counter = collections.Counter()
    for line in count_text.splitlines():
        what, _, test = line.partition("\t")
        if what == "run":
            runs[test.split("::")[0]] += 1
    total = sum(by_test.values())
    print(f"\nCPU seconds of the test phases (processes and the children they waited for): {total:.0f} s")
    print(f"\nCPU by file (top {files}; LibreOffice runs):")
    for name, c in sorted(by_file.items(), key=lambda kv: -sum(kv[1].values()))[:files]:
        print(f"{sum(c.values()):8.1f} s  setup {c['setup']:7.1f}  call {c['call']:7.1f}  teardown "
              f"{c['teardown']:6.1f}  soffice {runs.get(name, 0):4d}  {name}")
    print(f"\ncostliest {top} tests (CPU):")
    for node, seconds in by_test.most_common(top):
        print(f"{seconds:8.2f} s  {node}")


def main() -> None:
    if len(sys.argv) > 1:
        report(Path(sys.argv[1]).read_text(encoding="utf-8", errors="replace"))
        if len(sys.argv) > 2:
            cpu_report(Path(sys.argv[2]).read_text(encoding="utf-8", errors="replace"),
                       Path(sys.argv[3]).read_text(encoding="utf-8", errors="replace") if len(sys.argv) > 3 else "")
        return
    cpu = Path(tempfile.mkstemp(prefix="test-cpu-")[1])
    count = Path(tempfile.mkstemp(prefix="soffice-count-")[1])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ARCHIVE_TEST_SOFFICE_COUNT": str(count), "ARCHIVE_TEST_CPU": str(cpu)}
    load = os.getloadavg()
    start = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "worksteal", "-q", "-p", "no:cacheprovider",
                        "--durations=0", "tests/"], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.monotonic() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"wall {wall:.0f} s; CPU of the process tree {usage.ru_utime + usage.ru_stime:.0f} s (user "
          f"{usage.ru_utime:.0f}, system {usage.ru_stime:.0f}); load average at start {load[0]:.1f}, at end "
          f"{os.getloadavg()[0]:.1f} (the machine is shared); pytest exit {p.returncode}")
    counted = count.read_text(encoding="utf-8") if count.stat().st_size else ""
    conversions = collections.Counter(line.split("\t")[0] for line in counted.splitlines())
    count.unlink()
    print(f"LibreOffice conversions: {conversions.get('run', 0)} run, {conversions.get('hit', 0)} answered by the "
          f"test-only cache")
    report(p.stdout + p.stderr)
    cpu_report(cpu.read_text(encoding="utf-8"), counted)
    cpu.unlink()


if __name__ == "__main__":
    main()
