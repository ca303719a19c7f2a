"""Extract stage: read a file's text, whatever its format, and normalise it.

``extract(path)`` detects the type by content (``detect.detect_type``), reads the text with the
format's module (``pdf``, ``docx``, ``ofd``, ``text``), runs it through ``textnorm.normalize`` and
returns an ``Extracted``. Every failure is an ``ExtractionError`` with a one-line Chinese message
(what went wrong, which file, what to do). A file that has pages but no text at all (a scanned PDF,
an image, an image-only OFD) raises the subclass ``NoTextLayerError``: that is where OCR hooks in.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from archive.errors import ExtractionError
from archive.models import Extracted
from archive.textnorm import normalize

__all__ = ["extract", "ExtractionError", "NoTextLayerError", "fail", "open_zip"]

# A DOCX/OFD zip may not inflate to more than this, nor hold more entries (zip bombs).
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 20_000
# Stop reading a PDF after this many seconds (checked between pages).
PDF_TIME_LIMIT = 300.0


class NoTextLayerError(ExtractionError):
    """The file has pages but no text layer (scan, image): it needs OCR.

    ``media_type`` is "pdf", "ofd" or "image"; ``pages`` the page count where known.
    """

    def __init__(self, message: str, media_type: str = "pdf", pages: int = 0):
        super().__init__(message)
        self.media_type = media_type
        self.pages = pages


def fail(path, what: str, todo: str, cls: type[ExtractionError] = ExtractionError, **kw) -> ExtractionError:
    """Build the one-line error: 无法读取文件 <path>：<what>。<todo>。"""
    return cls(f"无法读取文件 {path}：{what}。{todo}。", **kw)


def open_zip(path, kind: str) -> zipfile.ZipFile:
    """Open a DOCX/OFD zip after checking it is sound and not a zip bomb (declared sizes)."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise fail(path, f"{kind} 文件已损坏，无法解压（{e}）", "请重新获取或另存该文件后再试") from e
    infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    if len(infos) > MAX_ZIP_ENTRIES or total > MAX_ZIP_UNCOMPRESSED:
        zf.close()
        raise fail(
            path,
            f"{kind} 文件解压后过大（{total // (1024 * 1024)} MB，{len(infos)} 个部件，"
            f"上限 {MAX_ZIP_UNCOMPRESSED // (1024 * 1024)} MB），可能是恶意压缩包",
            "请核实文件来源，或转换为 PDF 后再试",
        )
    return zf


def extract(path) -> Extracted:
    """Read ``path`` and return its normalised text, page count and warnings."""
    from archive.extract.detect import detect_type

    path = Path(path)
    kind = detect_type(path)
    if kind == "pdf":
        from archive.extract.pdf import extract_pdf as reader
    elif kind == "docx":
        from archive.extract.docx import extract_docx as reader
    elif kind == "ofd":
        from archive.extract.ofd import extract_ofd as reader
    elif kind == "text":
        from archive.extract.text import extract_text as reader
    elif kind == "image":
        raise fail(path, "图像文件需要 OCR，尚不支持", "请提供带文字层的 PDF、DOCX 或 OFD 文件",
                   NoTextLayerError, media_type="image", pages=1)
    else:  # pragma: no cover - detect_type raises for everything else
        raise fail(path, f"未知文件类型（{kind}）", "请提供 PDF、DOCX、OFD 或文本文件")

    raw = reader(path)
    page_texts = [normalize(t) for t in raw.page_texts] if raw.page_texts else []
    text = normalize(raw.text)
    if not text.strip():
        raise fail(path, "文件中没有可读文字", "请确认文件内容，扫描件请提供带文字层的版本")
    return Extracted(
        media_type=raw.media_type,
        text=text,
        pages=max(1, raw.pages),
        page_texts=page_texts or [text],
        method=raw.method,
        warnings=list(raw.warnings),
    )
