"""CPU seconds of one `archive` command in a fresh process (the real-process tests start hundreds): the median
of N runs of each command, user + system of the child (steadier than wall time on a shared machine).

    python bench/test_time_startup.py [--runs 7] [--root TREE]   # TREE: another checkout to compare (before)

Each command runs against a fresh archive in a temporary folder; `ingest` files one small text file (its
extraction worker is counted: the child waits for it). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

COMMANDS = (["--help"], ["stats"], ["list", "--json"], ["verify"], ["search", "通知"],
            ["ingest", "{a}", "{b}", "--json"], ["confirm", "1", "2"], ["health"])


def cpu_of(cmd: list[str], env: dict, cwd: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = ap.parse_args()
    root = args.root.resolve()
    sys.path.insert(0, str(root))
    from tests.conftest import write_config

    env = {**os.environ, "PYTHONPATH": str(root)}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cfg = write_config(tmp)
        a, b = tmp / "甲.txt", tmp / "乙.txt"
        base = [sys.executable, "-m", "archive", "--config", str(cfg)]
        subprocess.run(base + ["init"], env=env, cwd=root, capture_output=True, check=True)
        total = 0.0
        print(f"{root} — median CPU seconds (user + system) of {args.runs} runs; load average {os.getloadavg()[0]:.1f}")
        for command in COMMANDS:
            runs = []
            for i in range(args.runs):
                a.write_text(f"关于甲的通知 {i}\n", encoding="utf-8")
                b.write_text(f"关于乙的通知 {i}\n", encoding="utf-8")
                runs.append(cpu_of(base + [c.format(a=a, b=b) for c in command], env, root))
            median = statistics.median(runs)
            total += median
            print(f"{median:7.3f} s  archive {' '.join(command)}")
        print(f"{total:7.3f} s  all {len(COMMANDS)} commands")


if __name__ == "__main__":
    main()
