"""Chinese numerals and dates, read one way wherever they are read.

A 公文 writes its 成文日期 in Chinese numerals (二〇一九年三月五日, with 〇 often typed as 零, ○, ◯ or the
letter O), a 令 its number (令第二十三号), an older catalogue its dates in any of a dozen forms (20190305,
2019.3.5, 2019年3月5日, an Excel date). The reader of a 公文 (gongwen), the 文号 parser (docno), the
catalogue importer, the import of packages and every date a person types (bounds.parse_date) go through here.

A leaf module: it imports nothing of the archive.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

# ---- numerals ----------------------------------------------------------------------------------------
ZERO = "〇○ＯOo零0０◯"  # how a zero is written in a year: 〇, 零, a circle, the letter O, a digit
DIGITS = {**{ch: 0 for ch in ZERO}, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
          "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000}
TENS = {"廿": 20, "卅": 30}  # 廿三 = 23, in dates of older texts
YEAR_CHARS = "〇○ＯOo零0０◯一二三四五六七八九"  # a year written digit by digit
SMALL_CHARS = "一二三四五六七八九十"  # a month or day (一 .. 三十一)
_ZH_CHARS = "〇○◯零一二三四五六七八九十百千两廿卅"  # the characters that are only numerals


def number(text: str | None) -> int | None:
    """A number in Arabic or Chinese numerals -> int; None when it is not one.

    ``23``, ``２３``, ``二十三``, ``廿三``, ``一百零五``, ``十`` as counted; ``一〇五``, ``二〇一九``, ``二O一九`` digit
    by digit (a run of digits without 十/百/千); ``元`` (元月, the first month) is 1."""
    if not text:
        return None
    s = unicodedata.normalize("NFKC", text.strip())
    if s.isascii() and s.isdigit():
        return int(s)
    if s == "元":
        return 1
    if not s or not all(ch in DIGITS or ch in UNITS or ch in TENS for ch in s) or s.isascii():
        return None
    if all(ch in DIGITS for ch in s):  # digit by digit: 一〇五, 二〇一九
        return int("".join(str(DIGITS[ch]) for ch in s))
    total, cur = 0, None
    for ch in s:
        if ch in DIGITS:
            if cur is not None and cur != 0 and DIGITS[ch] != 0:
                return None  # 二三十: two digits with no unit between
            cur = DIGITS[ch]
        elif ch in TENS:
            if cur:
                return None
            total += TENS[ch]
            cur = None
        else:
            total += (1 if cur is None else cur or 1) * UNITS[ch]
            cur = None
    return total + (cur or 0)


_RUN = re.compile(f"[{_ZH_CHARS}OoＯ0-9０-９]+")
_BEFORE = ("第", "〔", "[", "［", "【", "(", "（")
_AFTER = ("年", "月", "日", "号", "號", "期", "〕", "]", "］", "】", ")", "）")


def to_arabic(text: str) -> str:
    """Chinese numerals of 文号 and dates as Arabic digits, everything else as it is.

    ``〔二〇一九〕二十三号`` -> ``〔2019〕23号``, ``二〇一九年三月五日`` -> ``2019年3月5日``, ``令第二十三号`` -> ``令第23号``.
    Only a run of numerals that a 年/月/日/号/期 follows, or that 第 or an opening bracket precedes, is a
    number here: 统一, 一把手 and 两会 stay words."""
    def one(m: re.Match) -> str:
        run = m.group(0)
        if not any(ch in _ZH_CHARS for ch in run):
            return run  # Arabic digits or the letter O alone
        before, after = text[:m.start()], text[m.end():]
        if not (before.endswith(_BEFORE) or after.startswith(_AFTER)):
            return run
        n = number(run)
        return run if n is None else str(n)
    return _RUN.sub(one, text)


# ---- dates -------------------------------------------------------------------------------------------
# in running text (the reader of a 公文): 2019年3月5日 and 二〇一九年三月五日
DATE_AR = re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
DATE_ZH = re.compile("([%s]{4})\\s*年\\s*([%s]{1,3}|元)\\s*月\\s*([%s]{1,3})\\s*日" % (YEAR_CHARS, SMALL_CHARS, SMALL_CHARS))


def make_date(y: int | None, m: int | None, d: int | None, first: int = 1900, last: int = 2100) -> dt.date | None:
    """The date, or None when a part is missing, the year is outside first..last or the day does not exist."""
    if y is None or m is None or d is None or not first <= y <= last:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def iter_dates(flat: str) -> list[tuple[dt.date | None, int, int]]:
    """(date or None when it does not exist, start, end) for every written date in ``flat``, in order."""
    found = []
    for m in DATE_AR.finditer(flat):
        found.append((make_date(int(m.group(1)), int(m.group(2)), int(m.group(3))), m.start(), m.end()))
    for m in DATE_ZH.finditer(flat):
        found.append((make_date(number(m.group(1)), number(m.group(2)), number(m.group(3))), m.start(), m.end()))
    found.sort(key=lambda t: t[1])
    return found


# a whole value (a cell, a typed argument): the forms a person or an older catalogue writes
_TIME = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_ZH_WHOLE = re.compile("([%s]{4})年([%s]{1,3}|元)月(?:([%s]{1,3})日)?" % (YEAR_CHARS, SMALL_CHARS + "廿卅",
                                                                     SMALL_CHARS + "廿卅"))
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})?")
_SEPARATED = re.compile(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*(?:[-./月]\s*(\d{1,2})\s*日?|月)?")


def date_parts(value) -> tuple[int, int, int | None] | None:
    """(year, month, day) as written in a whole value, day None for a month alone (2019年3月, 201903); None when
    the value is no date. The parts are not checked: ``date_parts("2015-02-30")`` is (2015, 2, 30).

    Forms: 20190305, 2019-03-05, 2019-3-5, 2019.3.5, 2019/3/5, 2019年3月5日, 二〇一九年三月五日 (〇 also as 零 ○ ◯ O),
    二〇一九年元月五日, full-width digits, a time after the date (2019-03-05 10:30); 2019年3月, 2019-03, 201903."""
    s = unicodedata.normalize("NFKC", str(value)).strip()
    s = s.translate({0x2014: "-", 0x2013: "-", 0x2212: "-"})
    s = _TIME.sub("", s)
    m = _ZH_WHOLE.fullmatch(s)
    if m:
        parts = (number(m[1]), number(m[2]), number(m[3]) if m[3] else None)
        return None if None in parts[:2] or (m[3] and parts[2] is None) else parts
    m = _COMPACT.fullmatch(s) or _SEPARATED.fullmatch(s)
    if m:
        return int(m[1]), int(m[2]), int(m[3]) if m[3] else None
    return None


def parse_date(value) -> dt.date | None:
    """A whole date in any form of ``date_parts`` (or a date, a datetime, an Excel 20190305) -> the date;
    None for an empty value. ValueError when it is no date, names a month alone, or does not exist."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    parts = date_parts(value)
    if parts is None or parts[2] is None:
        try:  # what Python reads as ISO 8601 beyond the forms above (2019-W10-2)
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(f"not a date: {value!r}") from None
    return dt.date(*parts)


def parse_span(value) -> tuple[dt.date, dt.date] | None:
    """A year, a month or a day in any written form -> (first day, last day); None when it is none.
    ``2019`` / ``二〇一九年`` -> the year, ``2019年3月`` / ``201903`` -> the month, ``2019年3月5日`` -> the day."""
    s = unicodedata.normalize("NFKC", str(value)).strip()
    year = re.fullmatch(f"(\\d{{4}}|[{YEAR_CHARS}]{{4}})年?(?:度)?", s)
    if year and (y := number(year[1])) is not None:
        try:
            return dt.date(y, 1, 1), dt.date(y, 12, 31)
        except ValueError:
            return None
    parts = date_parts(s)
    if parts is None:
        return None
    y, m, d = parts
    try:
        if d is None:
            first = dt.date(y, m, 1)
            return first, (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        day = dt.date(y, m, d)
    except ValueError:
        return None
    return day, day
