"""定期整理归档 on a year of documents (tests/filing_gen.py): how long each step takes, and how many records a
clerk must look at (待定, 须更正, 提示) before the year can be filed.

    PYTHONPATH=. python bench/filing_bench.py [--fillers 290] [--keep DIR]

Prints the figures; the archive is built in a temporary folder (or DIR).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import filing_gen as gen  # noqa: E402


def run(cfg: Path, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "archive", "--config", str(cfg), *args], cwd=ROOT, text=True,
                       capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if r.returncode != 0:
        raise SystemExit(f"archive {' '.join(args)} failed: {r.stderr}")
    return time.perf_counter() - t, r


def options(prefix: str, **extra: int) -> tuple[argparse.Namespace, Path]:
    """--fillers, --keep and ``extra`` integer options (``box_pages=60`` is ``--box-pages 60``); the folder to build
    in (made)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--fillers", type=int, default=290)
    ap.add_argument("--keep", type=Path)
    for name, default in extra.items():
        ap.add_argument("--" + name.replace("_", "-"), type=int, default=default)
    a = ap.parse_args()
    folder = a.keep or Path(tempfile.mkdtemp(prefix=prefix))
    folder.mkdir(parents=True, exist_ok=True)
    return a, folder


def main() -> None:
    a, folder = options("filing-bench-")
    cfg = folder / "config.toml"
    cfg.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    docs = gen.year_of_documents(folder / "docs", n_fillers=a.fillers)
    files = [str(p) for p in gen.arrival_order(folder / "docs")]
    t_ingest, _ = run(cfg, "ingest", *files)
    t_dry, r = run(cfg, "arrange", "--year", "2023", "--dry-run", "--json")
    plan = json.loads(r.stdout)
    kinds: dict[str, int] = {}
    for p in plan["problems"]:
        kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
    t_arr, _ = run(cfg, "arrange", "--year", "2023", "--by", "张三", "--leave-pending")
    t_chk, _ = run(cfg, "arrange", "check", "--year", "2023", "--by", "李四")
    t_close, r = run(cfg, "arrange", "close", "--year", "2023", "--received-by", "王五", "--json")
    closed = json.loads(r.stdout)
    n = sum(g["件数"] for g in closed["groups"])
    print(f"documents generated: {len(docs)} (2023 and 2022), taken in in random order")
    print(f"ingest: {t_ingest:.1f} s ({len(docs) / t_ingest:.0f} files/s)")
    print(f"2023: {plan['counts']['待编号']} records to number in {len(plan['groups'])} groups")
    print(f"clerk's queue for 2023: 待定 {plan['counts']['待定']}, 须更正 {plan['counts']['须更正']}, "
          f"提示 {plan['counts']['提示']} (by kind: {kinds or 'none'})")
    print(f"arrange --dry-run: {t_dry:.2f} s; arrange: {t_arr:.2f} s; check: {t_chk:.2f} s; close: {t_close:.2f} s "
          f"(each a whole process, start-up included)")
    print(f"filed: {n} records; " + "; ".join(f"{g['name']} {g['件数']} 件 {g['页数']} 页" for g in closed["groups"]))
    print(f"归档移交清单: {', '.join(closed['files'])}")


if __name__ == "__main__":
    main()
