"""Plain text files: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030. One page."""

from __future__ import annotations

from pathlib import Path

from archive.extract import fail, read_limited
from archive.extract.detect import decode_text
from archive.models import Extracted

__all__ = ["extract_text"]

MAX_TEXT_BYTES = 64 * 1024 * 1024


def extract_text(path) -> Extracted:
    path = Path(path)
    data = read_limited(path, MAX_TEXT_BYTES, "文本文件", "请拆分后再试")
    text = decode_text(data)
    if text is None:
        raise fail(path, "文本编码无法识别（不是 UTF-8、UTF-16 或 GB18030）", "请用 UTF-8 编码另存后再试")
    return Extracted(media_type="text", text=text, pages=1, page_texts=[text])
