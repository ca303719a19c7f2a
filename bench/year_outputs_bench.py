"""The year's outputs and boxes (issue 25 items 3 and 4) on a generated year (tests/filing_gen.py): how long close,
the outputs on demand and the boxing take (wall and CPU seconds of the child process: the machine may be shared),
and what they make (files, pages, sizes, boxes); then the catalog deleted and recovered, with the paper and
box registrations put back from the store's journal.

    PYTHONPATH=. python bench/year_outputs_bench.py [--fillers 290] [--box-pages 60] [--keep DIR]
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import filing_gen as gen  # noqa: E402


def run(cfg: Path, *args: str) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall s, CPU s user+sys of the child, the result)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "archive", "--config", str(cfg), *args], cwd=ROOT, text=True,
                       capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"archive {' '.join(args)} failed: {r.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), r


def pages(path: Path) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def main() -> None:
    from bench.filing_bench import options

    a, folder = options("year-outputs-bench-", box_pages=60)
    cfg = folder / "config.toml"
    text = (ROOT / "config.toml").read_text(encoding="utf-8").replace("box_pages = 0", f"box_pages = {a.box_pages}")
    cfg.write_text(text, encoding="utf-8")
    gen.year_of_documents(folder / "docs", n_fillers=a.fillers)
    run(cfg, "ingest", *[str(p) for p in gen.arrival_order(folder / "docs")])
    run(cfg, "arrange", "--year", "2023", "--by", "张三", "--leave-pending", "--paper", "有")
    run(cfg, "arrange", "check", "--year", "2023", "--by", "李四")
    w_close, c_close, r = run(cfg, "arrange", "close", "--year", "2023", "--received-by", "王五", "--json")
    closed = json.loads(r.stdout)
    n = sum(g["件数"] for g in closed["groups"])
    w_out, c_out, r = run(cfg, "arrange", "outputs", "--year", "2023", "-o", str(folder / "out"), "--json")
    files = [Path(f) for f in json.loads(r.stdout)["files"]]
    w_box, c_box, r = run(cfg, "arrange", "box", "--year", "2023", "--by", "张三", "--checked-by", "李四", "--json")
    boxed = json.loads(r.stdout)
    w_out2, c_out2, r = run(cfg, "arrange", "outputs", "--year", "2023", "-o", str(folder / "out2"), "--json")
    files2 = [Path(f) for f in json.loads(r.stdout)["files"]]
    print(f"2023: {n} records filed in {len(closed['groups'])} groups (each a whole process, start-up included)")
    print(f"arrange close (numbering, 归档移交清单 and the year's outputs): {w_close:.1f} s wall, {c_close:.1f} s CPU")
    print(f"arrange outputs on demand ({len(files)} files): {w_out:.1f} s wall, {c_out:.1f} s CPU; after boxing: {w_out2:.1f} s wall, "
          f"{c_out2:.1f} s CPU")
    for f in files2:
        size = f.stat().st_size / 1024
        print(f"  {f.name}: {size:.0f} KB" + (f", {pages(f)} pages" if f.suffix == ".pdf" else ""))
    print(f"arrange box (box_pages {a.box_pages}): {w_box:.1f} s wall, {c_box:.1f} s CPU; {boxed['placed']} records "
          f"in {len(boxed['boxes'])} boxes: " + "; ".join(
              f"{b['retention']}-{b['org']} 盒{b['box_no']} {len(b['items'])} 件 {b['pages']} 页" for b in boxed["boxes"]))
    # the catalog lost: recover rebuilds every record 待定 and puts the paper and box registrations back from the
    # store's journal (archive/paper_journal.py)
    for suffix in ("", "-wal", "-shm"):
        (folder / "store" / f"catalog.sqlite{suffix}").unlink(missing_ok=True)
    w_rec, c_rec, r = run(cfg, "recover", "--json")
    reg = json.loads(r.stdout)["registrations"]
    print(f"archive recover after the catalog was deleted: {w_rec:.1f} s wall, {c_rec:.1f} s CPU; "
          f"{json.loads(r.stdout)['records']} records rebuilt, paper registrations put back {reg['paper']} "
          f"(lost {reg['paper_lost']}), boxes {reg['boxes']} with {reg['boxed']} 件 (lost {reg['boxes_lost']} / "
          f"{reg['boxed_lost']}), unconfirmed entries {reg['unconfirmed']}, unreadable {reg['damaged']}")
    journal = folder / "store" / "journal" / "paper-boxes.jsonl"
    print(f"  the journal: {journal.stat().st_size / 1024:.0f} KB, {len(journal.read_bytes().splitlines())} lines")
    print(f"machine load (1/5/15 min): {os.getloadavg()}")


if __name__ == "__main__":
    main()
