"""Start-up time of the command line (issue 13 point 9): `archive --help` and whole `archive search` runs on a
10,000-document archive, each run N times in a fresh process; the median is printed (wall clock and CPU time
of the child: on a shared, loaded machine the CPU time is the steadier figure).

    python bench/startup_bench.py                 # builds /tmp/archbench-startup/n10000 once, then reuses it
    python bench/startup_bench.py --runs 15 --n 10000 --work /tmp/x
    python bench/startup_bench.py --modules       # also list the heavy modules each command imports

The archive is written by bench/search_bench.build_catalog (generated 公文 through catalog.insert_record, the
program's own write path; FTS5 full text). Targets: --help under 0.3 s, a whole search under 0.5 s.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

HEAVY = ("pydantic", "jsonschema", "onnxruntime", "rapidocr_onnxruntime", "pypdfium2", "pypdf", "openpyxl", "whoosh",
         "docx", "watchdog", "reportlab", "bagit", "starlette", "uvicorn", "jinja2", "PIL", "numpy", "cv2",
         "rich.table", "rich.progress", "archive.pipeline", "archive.extract.pdf", "archive.gongwen")

TARGETS = {"--help": 0.3, "search": 0.5}


def build(n: int, work: Path) -> Path:
    """The archive of ``n`` generated documents, reused when a previous run left a complete one."""
    cfg = work / "config.toml"
    info = work / "catalog.json"
    if cfg.exists() and info.exists() and json.loads(info.read_text())["documents"] == n:
        return cfg
    import search_bench as sb

    t0 = time.perf_counter()
    sb.build_catalog(n, work, seed=7)
    print(f"built {n} documents in {time.perf_counter() - t0:.1f} s → {work}", flush=True)
    return cfg


def run(argv: list[str], runs: int) -> tuple[float, float, int]:
    """(median wall seconds, median CPU seconds of the child, exit code of the last run)."""
    walls, cpus, rc = [], [], 0
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
        rc = p.returncode
    return statistics.median(walls), statistics.median(cpus), rc


def modules(args: list[str]) -> list[str]:
    """The heavy modules a command has imported by the time it ends (run in a child)."""
    code = ("import sys\nfrom archive.cli import main\ntry:\n    main(%r)\nexcept SystemExit:\n    pass\n"
            "import json\nsys.__stdout__.write('\\n@@' + json.dumps(sorted(set(m for m in sys.modules "
            "if any(m == h or m.startswith(h + '.') for h in %r)))))\n") % (args, HEAVY)
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    tail = p.stdout.rsplit("@@", 1)
    found = json.loads(tail[1]) if len(tail) == 2 else []
    return sorted({h for h in HEAVY for m in found if m == h or m.startswith(h + ".")})


def main() -> None:
    ap = argparse.ArgumentParser(description="archive start-up time")
    ap.add_argument("--n", type=int, default=10_000, help="documents in the archive (default 10000)")
    ap.add_argument("--runs", type=int, default=11, help="runs of each command (median printed)")
    ap.add_argument("--work", type=Path, default=None, help="where the archive is built (default /tmp/archbench-startup/nN)")
    ap.add_argument("--modules", action="store_true", help="list the heavy modules each command imports")
    a = ap.parse_args()
    work = a.work or Path(f"/tmp/archbench-startup/n{a.n}")
    cfg = build(a.n, work)
    py = [sys.executable, "-m", "archive"]
    cases = [
        ("--help", "archive --help", py + ["--help"]),
        ("", "python -c 'import archive.cli'", [sys.executable, "-c", "import archive.cli"]),
        ("search", "archive search 档案 (words)", py + ["--config", str(cfg), "search", "档案"]),
        ("search", "archive search 国发〔2019〕5号 (number)", py + ["--config", str(cfg), "search", "国发〔2019〕5号"]),
        ("search", "archive search 〔二〇一九〕5号 (numerals, no 代字)", py + ["--config", str(cfg), "search", "〔二〇一九〕5号"]),
        ("search", "archive search 通知 AND year:2019 --json", py + ["--config", str(cfg), "search", "通知 AND year:2019", "--json"]),
        ("", "python -c 'pass' (the interpreter alone)", [sys.executable, "-c", "pass"]),
    ]
    run([sys.executable, "-c", "import archive.cli"], 2)  # warm the page cache and the .pyc files
    print(f"archive of {a.n} documents at {work}; median of {a.runs} runs; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"{'command':58} {'wall s':>7} {'CPU s':>7} {'target':>7}")
    for key, label, argv in cases:
        wall, cpu, rc = run(argv, a.runs)
        target = TARGETS.get(key)
        verdict = "" if target is None else ("ok" if cpu < target else "over")
        print(f"{label:58} {wall:7.3f} {cpu:7.3f} {(f'{target:.1f}' if target else ''):>7} {verdict}"
              + ("" if rc in (0,) else f"  (exit {rc})"), flush=True)
    if a.modules:
        for args in (["--help"], ["--config", str(cfg), "search", "档案"]):
            print(f"heavy modules after archive {' '.join(args[-2:])}: {', '.join(modules(args)) or 'none'}")


if __name__ == "__main__":
    main()
