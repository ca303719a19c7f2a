"""Plain text files: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030. One page."""

from __future__ import annotations

from pathlib import Path

from archive.extract import fail
from archive.extract.detect import decode_text
from archive.models import Extracted

__all__ = ["extract_text"]

MAX_TEXT_BYTES = 64 * 1024 * 1024


def extract_text(path) -> Extracted:
    path = Path(path)
    try:
        if path.stat().st_size > MAX_TEXT_BYTES:
            raise fail(path, f"文本文件过大（超过 {MAX_TEXT_BYTES // (1024 * 1024)} MB）", "请拆分后再试")
        data = path.read_bytes()
    except OSError as e:
        raise fail(path, f"无法打开文件（{e.strerror or e}）", "请检查文件权限后重试") from e
    text = decode_text(data)
    if text is None:
        raise fail(path, "文本编码无法识别（不是 UTF-8、UTF-16 或 GB18030）", "请用 UTF-8 编码另存后再试")
    return Extracted(media_type="text", text=text, pages=1, page_texts=[text])
