"""What a PDF/A 版式副本 costs (issue 27): seconds per DOCX record for the rendition (LibreOffice PDF/A-2b
export, the page-count layout, the checks, the 涉密 gate on the result, the store), and the sizes.

    PYTHONPATH=. python bench/rendition_bench.py [N]

Prints one line per record and the median; nothing is asserted.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def main(n: int = 3) -> None:
    from archive import catalog, pipeline, rendition
    from archive.config import load_config
    from archive.session import open_archive
    from conftest import write_config
    from makedocs import make_docx

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        arc = open_archive(load_config(write_config(tmp)), create=True)
        try:
            times = []
            for i in range(n):
                body = [f"关于做好2026年第{i + 1}项工作的通知", "各乡镇人民政府，县直各单位："]
                body += [f"第{k}条　各单位要落实责任制，加强值班值守，确保工作落实到位。" for k in range(1, 20 + 30 * i)]
                body += ["示例县人民政府办公室", "2026年6月1日"]
                src = make_docx(tmp / f"doc{i}.docx", body)
                rec = pipeline.ingest_file(arc, src).record
                row = catalog.get_record(arc.conn, rec["id"])
                t = time.perf_counter()
                out = rendition.make(arc, row)
                took = time.perf_counter() - t
                times.append(took)
                size = src.stat().st_size
                print(f"record {rec['id']}: {out.outcome} {out.pages or '-'} pages, {took:.2f} s, "
                      f"DOCX {size // 1024} KB {out.reason}")
            print(f"median {statistics.median(times):.2f} s per record over {n} records")
        finally:
            arc.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
