"""A CJK TrueType font for PDF output (reportlab embeds it so the Chinese prints and reads back)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from archive.errors import ExportError

FONT_NAME = "ArchiveCJK"
# Debian/Ubuntu, Fedora and Arch locations of fonts that reportlab can embed (TrueType outlines)
KNOWN_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "C:/Windows/Fonts/simsun.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)


def find_cjk_font() -> Path:
    """``ARCHIVE_CJK_FONT`` if set, else a known path, else the first TrueType font fontconfig lists for zh."""
    override = os.environ.get("ARCHIVE_CJK_FONT")
    if override:
        if Path(override).is_file():
            return Path(override)
        raise ExportError(f"ARCHIVE_CJK_FONT 指向的字体文件 {override} 不存在：请改为一个中文 TrueType 字体（.ttf/.ttc）")
    for p in KNOWN_PATHS:
        if Path(p).is_file():
            return Path(p)
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    for line in sorted(out.splitlines()):
        path = line.split(":", 1)[0].strip()
        if path.lower().endswith((".ttf", ".ttc")) and Path(path).is_file():
            return Path(path)
    raise ExportError("找不到中文字体，无法生成 PDF：请安装文泉驿正黑（apt-get install fonts-wqy-zenhei），"
                      "或用环境变量 ARCHIVE_CJK_FONT 指定一个中文 TrueType 字体文件")


def register() -> str:
    """Register the CJK font with reportlab once; returns its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        path = find_cjk_font()
        try:
            font = TTFont(FONT_NAME, str(path), subfontIndex=0) if path.suffix.lower() == ".ttc" \
                else TTFont(FONT_NAME, str(path))
        except Exception as e:
            raise ExportError(f"无法载入字体 {path}：{e}（请用 ARCHIVE_CJK_FONT 指定另一个中文 TrueType 字体）") from e
        pdfmetrics.registerFont(font)
    return FONT_NAME
