"""The confidence gate: how far to trust the 版头 (发文字号 and 标题) and the 成文日期 of a scan, from each
character's OCR confidence where it stands on the page; below [ocr] min_header_confidence a record waits for a
person (待定)."""

from __future__ import annotations

import re

from archive.extract.ocr.model import OcrLine, OcrSettings

# ---- how far to trust the 版头 ---------------------------------------------------------------------
def _compact(s: str | None) -> str:
    return re.sub(r"\s+", "", s or "")


def _page_chars(lines: list[OcrLine], page: int = 1) -> tuple[str, list[float]]:
    """Page ``page``'s text without white space, and each character's confidence."""
    text, confs = [], []
    for ln in lines:
        if ln.page != page:
            continue
        cc = ln.char_conf if len(ln.char_conf) == len(ln.text) else [ln.confidence] * len(ln.text)
        for ch, c in zip(ln.text, cc):
            if not ch.isspace():
                text.append(ch)
                confs.append(c)
    return "".join(text), confs


# characters whose exact shape does not change what is read: brackets of a 发文字号 (canonicalised), punctuation
_NEUTRAL = set("〔〕[]［］【】()（）﹝﹞{}<>《》“”\"'‘’、，,。.：:；;·-—_ ")


def _span_conf(text: str, confs: list[float], needle: str) -> float | None:
    """Lowest confidence of the characters of ``needle`` where it stands in ``text`` (brackets and
    punctuation left out), None when it is not there."""
    needle = _compact(needle)
    if not needle:
        return None
    i = text.find(needle)
    if i < 0:
        return None
    vals = [c for ch, c in zip(needle, confs[i:i + len(needle)]) if ch not in _NEUTRAL]
    return min(vals) if vals else None


def header_confidence(lines: list[OcrLine], doc_number_raw: str | None, title: str | None) -> float | None:
    """Confidence of the 版头: the lowest confidence of any character of the 发文字号 and of the 标题 as they
    stand on page 1 (the characters themselves, not a line's average; brackets do not count).

    A field that is not found on page 1 as printed falls back to the lines that carry it, and when neither
    is found, to the top third of page 1; None without OCR lines."""
    page1 = [ln for ln in lines if ln.page == 1]
    if not page1:
        return None
    text, confs = _page_chars(page1)
    picked = []
    for needle in (doc_number_raw, title):
        c = _span_conf(text, confs, needle) if needle else None
        if c is not None:
            picked.append(c)
    if len(picked) == len([n for n in (doc_number_raw, title) if n]) and picked:
        return min(picked)
    num, ttl = _compact(doc_number_raw), _compact(title)
    for ln in page1:
        t = _compact(ln.text)
        if len(t) < 2:
            continue
        if num and (num in t or (len(t) >= 4 and t in num)):
            picked.append(min(ln.char_conf) if ln.char_conf else ln.confidence)
        elif ttl and len(t) >= 4 and (t in ttl or ttl in t):
            picked.append(min(ln.char_conf) if ln.char_conf else ln.confidence)
    if not picked:
        picked = [ln.confidence for ln in page1 if ln.page_height and ln.top < ln.page_height / 3]
    return min(picked) if picked else None


_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_CN_DIGITS = "〇一二三四五六七八九"


def _cn_date(date) -> str:
    def small(n: int) -> str:
        if n < 10:
            return _CN_DIGITS[n]
        return ("" if n < 20 else _CN_DIGITS[n // 10]) + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    year = "".join(_CN_DIGITS[int(d)] for d in str(date.year))
    return f"{year}年{small(date.month)}月{small(date.day)}日"


def date_confidence(lines: list[OcrLine], date) -> float | None:
    """Confidence of the characters of the 成文日期 (its year is the 档号's 年度): the lowest character
    confidence over the places it is printed; None when it is not found (or the date is not known)."""
    if date is None:
        return None
    found = []
    for page in sorted({ln.page for ln in lines}):
        text, confs = _page_chars(lines, page)
        for m in _DATE.finditer(text):
            if (int(m[1]), int(m[2]), int(m[3])) == (date.year, date.month, date.day):
                found.append(min(confs[m.start():m.end()]))
        c = _span_conf(text, confs, _cn_date(date))
        if c is not None:
            found.append(c)
    return min(found) if found else None


def low_confidence_reason(header: float | None, settings: OcrSettings, date: float | None = None) -> str | None:
    """The pending reason when the 版头 (or the 成文日期) was not read with confidence, else None."""
    low = settings.min_header_confidence
    parts, check = [], []
    if header is not None and header < low:
        parts.append(f"版头 {header:.0f}%")
        check.append("发文字号和题名")
    if date is not None and date < low:
        parts.append(f"成文日期 {date:.0f}%")
        check.append("成文日期")
    if not parts:
        return None
    return f"OCR 识别置信度低（{'，'.join(parts)}），请人工核对{'、'.join(check)}"
