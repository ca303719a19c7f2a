"""Detect a file's type by its content (magic bytes), never by its name.

Returns "pdf", "docx", "ofd", "doc" (an OLE2 word-processing file: Word 97–2003 .doc, WPS Office .wps,
Works .wps), "rtf", "html", "mht", "text" or "image"; raises ExtractionError for an empty file, an encrypted
or non-text OLE2 Office file (Excel, PowerPoint), a zip that is neither DOCX nor OFD, and anything unknown.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import zipfile
from pathlib import Path

from archive.errors import library_reason
from archive.extract import fail

__all__ = ["detect_type", "decode_text"]

_SAMPLE = 64 * 1024
_CHECK = 200_000  # characters checked for "mostly printable"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")
_SUPPORTED = "请提供 PDF、DOCX、OFD、DOC/WPS、RTF、网页或文本文件"
_OLE_OTHER = {"Workbook": "Excel", "Book": "Excel", "PowerPoint Document": "PowerPoint"}
_HTML_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|div|table|section|article|center)\b",
                         re.I | re.S)
_MHT = re.compile(rb"^(?:[\x21-\x7e]+:[^\n]*\r?\n(?:[ \t][^\n]*\r?\n)*)*?content-type:\s*multipart/related", re.I)


def detect_type(path) -> str:
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(_SAMPLE)
    except FileNotFoundError as e:
        raise fail(path, "文件不存在", "请检查路径") from e
    except IsADirectoryError as e:
        raise fail(path, "这是一个文件夹，不是文件", "请指定文件") from e
    except OSError as e:
        raise fail(path, f"无法打开文件（{e.strerror or e}）", "请检查文件权限后重试") from e
    if size == 0 or not head:
        raise fail(path, "文件为空", "请确认文件已完整保存或复制后再试")

    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(path)
    if head.startswith(_OLE2):
        if _ENCRYPTED_OOXML in head or _contains(path, _ENCRYPTED_OOXML):
            raise fail(path, "Office 文件已加密（受密码保护）", "请去掉密码后另存为 DOCX 或 PDF")
        for stream, app in _OLE_OTHER.items():
            if stream.encode("utf-16-le") in head and "WordDocument".encode("utf-16-le") not in head:
                raise fail(path, f"{app} 文件不受支持", _SUPPORTED)
        return "doc"
    if head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image"
    if head.startswith((b"II*\x00", b"MM\x00*", b"GIF87a", b"GIF89a")):
        return "image"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf"):
        return "rtf"
    if _MHT.match(head[:4096]):
        return "mht"
    if _HTML_START.match(head[:4096]):
        return "html"
    if decode_text(head, sample=size > len(head)) is not None:
        return "text"
    raise fail(path, "未知文件类型（不是 PDF、DOCX、OFD、图像或文本）", _SUPPORTED)


def _contains(path: Path, needle: bytes, limit: int = 4 * 1024 * 1024) -> bool:
    with path.open("rb") as f:
        return needle in f.read(limit)


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise fail(path, f"压缩文件已损坏（{library_reason(e) or e}）", "请重新获取或另存该文件后再试") from e
    lower = {n.replace("\\", "/").lstrip("/").lower() for n in names}
    if "word/document.xml" in lower:
        return "docx"
    if "ofd.xml" in lower:
        return "ofd"
    if "content.xml" in lower and "mimetype" in lower:
        raise fail(path, "OpenDocument（ODT）格式不受支持", "请另存为 DOCX 或 PDF")
    if any(n.startswith(("xl/", "ppt/")) for n in lower):
        raise fail(path, "Excel/PowerPoint 文件不受支持", _SUPPORTED)
    raise fail(path, "未知文件类型（ZIP 压缩包，不是 DOCX 或 OFD）", "请解压后分别放入，或提供 PDF、DOCX、OFD 文件")


def decode_text(data: bytes, sample: bool = False) -> str | None:
    """Decode bytes that look like text: UTF-8 (±BOM), UTF-16 with BOM, else GB18030.

    Returns None if the bytes do not decode to mostly printable text. ``sample``: ``data`` is the
    beginning of a longer file, so a multi-byte character cut at the end is not an error.
    """
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                     (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            text = _decode(data[len(bom):], enc, sample)
            return text if text is not None and _mostly_printable(text[:_CHECK]) else None
    if b"\x00" in data:
        return None
    for enc in ("utf-8", "gb18030"):
        text = _decode(data, enc, sample)
        if text is not None and _mostly_printable(text[:_CHECK], strict=enc != "utf-8"):
            return text
    return None


def _decode(data: bytes, enc: str, sample: bool) -> str | None:
    dec = codecs.getincrementaldecoder(enc)("strict")
    try:
        return dec.decode(data, final=not sample)
    except UnicodeDecodeError:
        return None


def _mostly_printable(text: str, strict: bool = False) -> bool:
    if not text:
        return False
    bad = 0
    rare = 0
    for ch in text:
        if ch in "\n\r\t\f":
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs", "Co", "Cn"):
            bad += 1
        elif strict and ord(ch) > 0x7F and not _common(ch, cat):
            rare += 1
    n = len(text)
    if bad > n * 0.02:
        return False
    # GB18030 decodes many byte strings; real Chinese text is CJK, ASCII and common punctuation.
    return not strict or rare <= n * 0.05


def _common(ch: str, cat: str) -> bool:
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF  # CJK unified ideographs
        or 0x3000 <= cp <= 0x303F  # CJK punctuation
        or 0xFF00 <= cp <= 0xFFEF  # full-width forms
        or 0x2000 <= cp <= 0x206F  # general punctuation
        or 0x2460 <= cp <= 0x24FF  # enclosed numbers
        or 0x2500 <= cp <= 0x257F  # box drawing
        or cat == "Zs"
        or ch in "·×÷°±№"
    )
