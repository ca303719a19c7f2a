"""A PDF rendition of a stored DOCX, made by LibreOffice headless, for the 归档章.

LibreOffice runs exactly as for reading .doc/.wps (archive/extract/office.py): ``soffice.bin`` started
directly, its own profile per process, its resource limits, death with its parent and a wall-clock
timeout. It works on a copy with a plain name in a private temporary folder, never on the stored file.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archive.errors import ExportError


@contextmanager
def pdf_rendition(src: Path, ref: str) -> Iterator[Path]:
    """Yield a PDF made from the DOCX ``src``; the temporary folder is removed afterwards."""
    from archive.extract.office import CONVERT_TIMEOUT, convert, soffice_program

    binary = soffice_program()
    if binary is None:
        raise ExportError(f"{ref} 是 DOCX，加盖归档章需要先用 LibreOffice 转为 PDF，但本机未安装 LibreOffice："
                          "请安装（Debian/Ubuntu：sudo apt-get install libreoffice-writer-nogui）后重试")
    with tempfile.TemporaryDirectory(prefix="archive-rendition-") as tmp:
        tmp = Path(tmp)
        copy = tmp / "input.docx"  # a plain name: no shell or option surprises
        shutil.copyfile(src, copy)
        outdir = tmp / "out"
        outdir.mkdir()
        rc, log = convert(binary, copy, outdir, "pdf:writer_pdf_Export")
        pdf = outdir / "input.pdf"
        if rc is None:
            raise ExportError(f"LibreOffice 将 {ref} 的 DOCX 转为 PDF 超时（超过 {CONVERT_TIMEOUT:g} 秒），已终止："
                              "请检查文件，或用 WPS/Word 另存为 PDF")
        if not pdf.exists() or pdf.stat().st_size == 0:
            tail = " ".join(log.strip().splitlines()[-1:])[:200]
            raise ExportError(f"LibreOffice 无法把 {ref} 的 DOCX 转为 PDF（退出码 {rc}{'：' + tail if tail else ''}）："
                              "请运行 archive verify 检查该文件")
        yield pdf
