"""What taking in an OA 归档信息包 costs (issue 27, item 5): N packages (an OFD 正本, a DOCX 定稿, a PDF 处理单, a PDF
附件, three 办理过程 steps) taken in as N records, against the same 4·N files taken in one by one (ingest_many).

The package route reads more than the plain one: a private copy of every file checked against its SHA-256, the
涉密 gate on every file before anything is stored, the 正本 read a second time for its classification. Wall time
and CPU seconds (user+sys of this process and of the extraction worker, counted after the worker has exited) are
printed for both; the machine is shared, so wall time is noisy and CPU seconds are the figure to compare.

    PYTHONPATH=. python bench/oa_package_bench.py [--n 20]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from archive import oa_package, pipeline  # noqa: E402
from archive.config import load_config  # noqa: E402
from archive.session import open_archive  # noqa: E402
from conftest import write_config  # noqa: E402
from makedocs import make_docx, make_ofd, make_pdf  # noqa: E402
from oa_packages import FORM, write_manifest  # noqa: E402


def build(folder: Path, i: int) -> Path:
    folder.mkdir(parents=True)
    make_ofd(folder / "正本.ofd", ["示例县人民政府办公室文件", f"示政办发〔2026〕{i + 1}号", f"关于做好第{i + 1}项工作的通知",
                                  "各乡镇人民政府：", f"请做好第{i + 1}项工作。", "示例县人民政府办公室", "2026年3月1日"])
    make_docx(folder / "定稿.docx", [f"关于做好第{i + 1}项工作的通知（定稿）", "请做好工作。"])
    make_pdf(folder / "处理单.pdf", [*FORM, f"编号 {i + 1}"])
    make_pdf(folder / "附件1.pdf", ["附件1", f"第{i + 1}项工作安排表"])
    write_manifest(folder, [("正本.ofd", "正本"), ("定稿.docx", "定稿"), ("处理单.pdf", "处理单"), ("附件1.pdf", "附件")],
                   meta={"题名": f"关于做好第{i + 1}项工作的通知", "阅件办件": "办件"})
    return folder


def cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def run(label: str, tmp: Path, work) -> None:
    tmp.mkdir(parents=True)
    arc = open_archive(load_config(write_config(tmp)), create=True)
    c0, t0 = cpu(), time.perf_counter()
    records = work(arc)
    arc.close()  # the extraction worker exits: its CPU seconds are counted
    wall, used = time.perf_counter() - t0, cpu() - c0
    print(f"{label:<28} {records:>4} 条记录  墙钟 {wall:6.2f} s  CPU {used:6.2f} s（每条 {used / max(records, 1):.3f} s）")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20)
    n = ap.parse_args().n
    tmp = Path(tempfile.mkdtemp(prefix="oa-bench-"))
    try:
        pkgs = [build(tmp / "src" / f"{i:04d}.oa", i) for i in range(n)]
        files = [p for d in pkgs for p in sorted(d.iterdir()) if p.name != "manifest.json"]
        print(f"{n} 个归档信息包（各 4 个文件、3 个办理环节）；机器与他人共用，墙钟时间仅供参考")
        run("归档信息包（每包一件）", tmp / "a",
            lambda arc: sum(oa_package.take_in(arc, p).record is not None for p in pkgs))
        run("同样的文件逐个入库", tmp / "b",
            lambda arc: sum(r.record is not None for r in pipeline.ingest_many(arc, files)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
