"""What the DA/T 70 items of issue 27 cost and find: the example set (samples/) ingested and verified (outcomes,
duplicates found, each item's result), then N generated 2019 PDF records verified with and without ClamAV
(a small signature database written here: the official one cannot be downloaded on this machine, and loading
it is most of a real clamscan run's cost), then their package exported and imported with the package checks.

    PYTHONPATH=. python bench/dat70_bench.py [N]

Prints wall and CPU seconds (user+sys of this process and its children: clamscan, the extraction worker);
nothing is asserted. The machine is shared: wall times are noisy, CPU seconds less so.
"""

from __future__ import annotations

import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def _cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


class Timer:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, _cpu() - self.cpu

    def __str__(self) -> str:
        return f"{self.wall:.2f} s wall, {self.cpu:.2f} s CPU"


def main(n: int = 200) -> None:
    from archive import catalog, pipeline
    from archive.config import load_config
    from archive.export.package import export_package, import_package
    from archive.session import open_archive
    from archive.verify import verify
    from conftest import write_config
    from gongwen_gen import gongwen_lines
    from makedocs import make_pdf

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # 1. the example set
        (tmp / "samples").mkdir()
        arc = open_archive(load_config(write_config(tmp / "samples")), create=True)
        try:
            with Timer() as t:
                results = pipeline.ingest_many(arc, sorted((ROOT / "samples").iterdir()))
            print(f"samples: {len(results)} files, outcomes {dict(Counter(r.outcome for r in results))}; {t}")
            with Timer() as t:
                rep = verify(arc)
            dup = {i["item"]: (i["result"], i["errors"], i["notices"]) for i in rep.by_item()
                   if i["item"] in ("重复文号", "重复题名", "病毒", "过程信息")}
            print(f"samples verify: {dup}; {t}")
        finally:
            arc.close()
        # 2. N generated records
        (tmp / "gen").mkdir()
        arc = open_archive(load_config(write_config(tmp / "gen")), create=True)
        src = tmp / "src"
        src.mkdir()
        try:
            with Timer() as t:
                files = [make_pdf(src / f"{i}.pdf", gongwen_lines(i, 0, 2019)) for i in range(n)]
                results = pipeline.ingest_many(arc, files)
            print(f"generated: {n} PDFs, outcomes {dict(Counter(r.outcome for r in results))}; {t}")
            stored = len(catalog.referenced_files(arc.conn))
            with Timer() as t:
                rep = verify(arc)
            print(f"verify, no scanner usable here ({rep.not_run.get('病毒', 'scanner used')}): {t}")
            if shutil.which("clamscan"):
                db = tmp / "sigs"
                db.mkdir()
                (db / "marker.ndb").write_text("Archive.Bench.Marker:0:*:" + b"NOT-A-REAL-VIRUS-BENCH".hex() + "\n")
                arc.cfg.virus = replace(arc.cfg.virus, database=db)
                with Timer() as t:
                    rep = verify(arc)
                item = next(i for i in rep.by_item() if i["item"] == "病毒")
                print(f"verify with clamscan (one-signature database): {item['examined']} of {stored} stored files "
                      f"scanned, {item['result']}; {t}")
            with Timer() as t:
                export_package(arc, 2019, tmp / "pkg")
            print(f"export package: {t}")
        finally:
            arc.close()
        (tmp / "dst").mkdir()
        arc = open_archive(load_config(write_config(tmp / "dst")), create=True)
        try:
            if shutil.which("clamscan"):
                arc.cfg.virus = replace(arc.cfg.virus, database=tmp / "sigs")
            checks: list = []
            with Timer() as t:
                done = import_package(arc, tmp / "pkg", checks=checks)
            print(f"import package: {len(done)} records; {t}")
            for c in checks:
                print(f"  [{c['item']}：{c['result']}] {c['detail'][:120]}")
        finally:
            arc.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
