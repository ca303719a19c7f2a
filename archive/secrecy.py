"""The one 涉密 gate: every way a document enters the archive (ingest, watch, imports, the web page) asks here.

A document marked 秘密, 机密 or 绝密 must not be processed on this non-classified system: it is refused, never
stored and never indexed. When unsure, the answer is "refuse"; a wrong refusal costs a clerk a look, a wrong
acceptance leaks a secret.

Three things are read:

* the 密级 the 公文 parser found in the text (``fields.secrecy``);
* for a scan or image (page 1 read by OCR, ``ex.ocr_lines``): the upper part of page 1, where GB/T 9704 puts the
  密级 (top left, above the 发文机关标志), for anything that may be a mark, including the forms OCR makes of
  one (★ read as 女/广/大/*, 密 misread, a bare ``★1年`` period). A scan whose 版头 cannot be read at all
  (nothing recognised in the upper part, or neither a 发文字号 nor a 标题 found) is refused as well: nobody
  can tell it is not marked;
* for a PDF whose page 1 is an image under a text layer (a scan someone OCR'd; ``ex.image_probe``): the image's
  upper part read by OCR without the text layer, with the same rules, and refused when that image shows no
  readable text or text that does not match the text layer. Born-digital pages (no large image) are not probed.
"""

from __future__ import annotations

import re

from archive.models import Extracted, GongwenFields

SECRET_LEVELS = ("绝密", "机密", "秘密")  # 密级, most secret first
# what secret_level returns when a refusal is not for a printed 密级 (see refusal_reason)
SUSPECTED = "疑似密级标志"
UNREADABLE = "版头无法识别"
MISMATCH = "文字层与页面图像不符"

# the upper part of page 1 searched for a mark (share of the page height)
MARK_ZONE = 0.4
# the mark stands on a short line of its own (密级 and 保密期限, perhaps with the 份号 or 紧急程度)
SHORT = 18

_STARS = "★☆✩✪✫✬✭✮✯✰⭐*＊※女广大太火文犬六木"  # ★ and what OCR reads for it
_LEVEL_CH = "秘机绝"
_MI_LIKE = "密蜜宓谧滵嘧峦窑寀宻容害宙"  # 密 and its OCR look-alikes
_PERIOD = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*(?:年|个月|月)|长期"
_EXACT = re.compile(r"(绝密|机密|秘密)")
_DAMAGED = [
    re.compile(rf"([{_LEVEL_CH}])[{_MI_LIKE}]"),  # 秘蜜, 机宓 …
    re.compile(rf"([{_LEVEL_CH}]?)[{_MI_LIKE}]?\s*[{_STARS}]\s*(?:{_PERIOD})"),  # ★1年, 女1年, 密★长期
    re.compile(rf"[{_LEVEL_CH}祕泌必]\s*密"),  # 密 read right, the first character not
    re.compile(r"密\s*[★☆✩✪✫✬✭✮✯✰⭐*＊※]"),
    re.compile(r"[★☆✩✪✫✬✭✮✯✰⭐]"),  # a star in the 版头 is only ever a 密级 mark
    re.compile(r"密级"),
]


def mark_in_text(text: str) -> str | None:
    """The 密级 a short 版头 line may show: a level when one is legible, SUSPECTED for a damaged mark."""
    t = re.sub(r"\s+", "", text)
    m = _EXACT.search(t)
    if m:
        return m.group(1)
    for rx in _DAMAGED:
        m = rx.search(t)
        if m:
            first = m.group(1) if m.groups() else ""
            return {"绝": "绝密", "机": "机密", "秘": "秘密"}.get(first or "", SUSPECTED)
    return None


def mark_in_lines(lines, page: int = 1) -> str | None:
    """A 密级 mark among the OCR lines in the upper part of ``page``; the most secret one found."""
    found = []
    for ln in lines:
        if getattr(ln, "page", 1) != page:
            continue
        height = ln.page_height or 0
        if height and ln.top > height * MARK_ZONE:
            continue
        compact = re.sub(r"\s+", "", ln.text)
        m = _EXACT.search(compact)
        if m and (len(compact) <= SHORT or re.search(rf"{m.group(1)}\s*[{_STARS}]", compact)):
            found.append(m.group(1))
            continue
        if len(compact) <= SHORT:
            level = mark_in_text(compact)
            if level:
                found.append(level)
    for level in SECRET_LEVELS + (SUSPECTED,):
        if level in found:
            return level
    return None


def _upper_text(lines, page: int = 1) -> str:
    return "".join(re.sub(r"\s+", "", ln.text) for ln in lines
                   if getattr(ln, "page", 1) == page and (not ln.page_height or ln.top <= ln.page_height * 0.5))


def _bigrams(s: str) -> set[str]:
    s = "".join(ch for ch in s if "\u4e00" <= ch <= "\u9fff")
    return {s[i:i + 2] for i in range(len(s) - 1)}


def _header_unreadable(fields: GongwenFields, lines) -> bool:
    upper = _upper_text(lines)
    if sum(1 for ch in upper if "\u4e00" <= ch <= "\u9fff") < 4:
        return True
    return fields.doc_number is None and not fields.title


def secret_level(fields: GongwenFields, ex: Extracted | None = None) -> str | None:
    """Why this document must be refused as 涉密, or None: the 密级 it is marked with (绝密/机密/秘密),
    SUSPECTED (a mark OCR damaged), UNREADABLE (a scan whose 版头 cannot be read) or MISMATCH (a text layer
    over a page image that says something else). ``refusal_reason`` turns it into the clerk's message."""
    if fields.secrecy in SECRET_LEVELS:
        return fields.secrecy
    if ex is None:
        return None
    page1 = [ln for ln in (ex.ocr_lines or []) if getattr(ln, "page", 1) == 1]
    if page1 or (ex.method == "ocr" and ex.media_type in ("image", "pdf", "ofd")):
        level = mark_in_lines(page1)
        if level:
            return level
        if _header_unreadable(fields, page1):
            return UNREADABLE
    probe = getattr(ex, "image_probe", None)
    if probe:
        lines = probe.get("lines") or []
        level = mark_in_lines(lines, probe.get("page", 1))
        if level:
            return level
        shown = _upper_text(lines, probe.get("page", 1))
        if sum(1 for ch in shown if "\u4e00" <= ch <= "\u9fff") < 4:
            return UNREADABLE
        layer = _bigrams(probe.get("text_layer") or "")
        seen = _bigrams(shown)
        if seen and len(seen & layer) < 0.3 * len(seen):
            return MISMATCH
    return None


def refusal_reason(level: str, fields: GongwenFields | None = None) -> str:
    """The clerk's one-line reason for a refusal (without where the file went)."""
    if level in SECRET_LEVELS:
        term = fields.secrecy_term if fields is not None and fields.secrecy == level else None
        return f"涉密文件（{level}{'★' + term if term else ''}）不得在非涉密系统中处理：未存储、未索引"
    if level == SUSPECTED:
        return "首页上部疑似有密级标志（识别不清），可能为涉密文件，已隔离，请人工查看：未存储、未索引"
    if level == MISMATCH:
        return "PDF 的文字层与页面图像内容不符（可能以文字层掩盖了扫描页），可能为涉密文件，已隔离，请人工查看：未存储、未索引"
    return "版头无法识别，可能为涉密文件，已隔离，请人工查看：未存储、未索引"
