"""A PDF rendition of a stored DOCX, made by LibreOffice headless, for the 归档章.

LibreOffice runs exactly as for reading .doc/.wps (archive/extract/office.py): ``soffice.bin`` started
directly, its own profile per process, its resource limits, death with its parent and a wall-clock
timeout. It works on a copy with a plain name in a private temporary folder, never on the stored file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archive.errors import ExportError


@contextmanager
def pdf_rendition(src: Path, ref: str) -> Iterator[Path]:
    """Yield a PDF made from the DOCX ``src``; the temporary folder is removed afterwards."""
    from archive.extract.office import CONVERT_TIMEOUT, converted, soffice_program

    binary = soffice_program()
    if binary is None:
        raise ExportError(f"{ref} 是 DOCX，加盖归档章需要先用 LibreOffice 转为 PDF，但本机未安装 LibreOffice："
                          "请安装（Debian/Ubuntu：sudo apt-get install libreoffice-writer-nogui）后重试")
    with converted(binary, src, "docx", "pdf:writer_pdf_Export", "pdf") as c:
        if c.rc is None:
            raise ExportError(f"LibreOffice 将 {ref} 的 DOCX 转为 PDF 超时（超过 {CONVERT_TIMEOUT:g} 秒），已终止："
                              "请检查文件，或用 WPS/Word 另存为 PDF")
        if not c.made:
            raise ExportError(f"LibreOffice 无法把 {ref} 的 DOCX 转为 PDF（退出码 {c.rc}{'：' + c.tail if c.tail else ''}）："
                              "请运行 archive verify 检查该文件")
        yield c.result
