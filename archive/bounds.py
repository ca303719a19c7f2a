"""Values checked where they enter the program (command line, imported catalogues and packages, a clerk's
review), so a malformed value is refused with one Chinese line instead of being committed for ever.

A 年度 lies between 1949 and next year (a document dated after today is accepted with a warning: a
clerk may file next year's plan in December); a 页数 and a 件号 are small positive numbers; a record id
is ASCII digits that fit SQLite's integer; text arguments are valid UTF-8 without control characters.
"""

from __future__ import annotations

import datetime as dt
import re

from archive import zhnum
from archive.errors import UsageError

FIRST_YEAR = 1949  # the archives this program keeps start with the People's Republic
MAX_PAGES = 99_999  # 页数 of one 件
MAX_ITEM = 999_999  # 件号: six digits (the 档号 grammar reads at most six)
MAX_ID = 2**63 - 1  # SQLite INTEGER
MAX_REF = 200  # characters of a REF or a filter value; longer is not a 档号, 文号 or id
MAX_QUERY = 1000  # characters of a search query

# C0 and C1 control characters and DEL; tab, line feed and carriage return are handled by clean_text
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BREAKS = re.compile(r"[\t\r\n\u2028\u2029]+")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class BoundsError(UsageError):
    """A value outside what it may be (exit 2): the message says which value and what is allowed."""


def _today() -> dt.date:
    """Today on the agency's clock ([agency] timezone), not the machine's."""
    from archive.display import today

    return today()


def last_year(today: dt.date | None = None) -> int:
    return (today or _today()).year + 1


def check_year(value, what: str = "年度") -> int:
    """An int 年度 in 1949..next year, or BoundsError."""
    try:
        year = int(value)
    except (TypeError, ValueError, OverflowError):
        raise BoundsError(f"{what} “{value}” 不是年份：应为 {FIRST_YEAR} 到 {last_year()} 之间的四位数字") from None
    if not FIRST_YEAR <= year <= last_year():
        raise BoundsError(f"{what} {_short(value)} 超出范围：应为 {FIRST_YEAR} 到 {last_year()} 之间的年份")
    return year


def future_warning(year: int | None = None, date: dt.date | None = None) -> str | None:
    """A warning (Chinese) when a 年度 or 成文日期 lies after today; None otherwise."""
    today = _today()
    if date is not None and date > today:
        return f"日期 {date.isoformat()} 晚于今天（{today.isoformat()}），请核对"
    if year is not None and year > today.year:
        return f"年度 {year} 晚于今年（{today.year}），请核对"
    return None


def parse_date(value: str | None, what: str) -> dt.date | None:
    """A date typed by a person (2022-08-28, 20220828, 2022/8/28, 2022.8.28, 2022年8月28日, 二〇二二年八月二十八日:
    archive.zhnum reads them), or None when left empty."""
    try:
        return zhnum.parse_date(value)
    except ValueError:
        raise BoundsError(f"{what} “{value}” 不是有效日期：请写成 2022-08-28 或 20220828") from None


def check_int(value, what: str, low: int, high: int) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError, OverflowError):
        raise BoundsError(f"{what} “{_short(value)}” 不是整数") from None
    if not low <= n <= high:
        raise BoundsError(f"{what} {_short(value)} 超出范围：应为 {low} 到 {high}")
    return n


def check_pages(value) -> int:
    return check_int(value, "页数", 1, MAX_PAGES)


def check_text_arg(value: str, what: str, limit: int = MAX_REF) -> str:
    """A command-line text (REF, query, filter): valid UTF-8, no control characters, not absurdly long."""
    if _SURROGATE.search(value):  # bytes that are not UTF-8 arrive as lone surrogates
        raise BoundsError(f"{what} 含有无法识别的字符（不是有效的 UTF-8 文字）：请重新输入")
    if _CONTROL.search(value) or "\n" in value or "\r" in value:
        raise BoundsError(f"{what} 含有控制字符：请重新输入")
    if len(value) > limit:
        raise BoundsError(f"{what} 过长（{len(value)} 个字符，上限 {limit}）")
    return value


_ID_RE = re.compile(r"[0-9０-９]{1,19}")


def as_record_id(ref: str) -> int | None:
    """The record id a REF names, or None when it is not one. Only ASCII or full-width digits count: ``²`` and
    ``①`` are digits to Python but name no record; an id past SQLite's integer names none either."""
    if not _ID_RE.fullmatch(ref):
        return None
    n = int(ref.translate({0xFF10 + i: 0x30 + i for i in range(10)}))
    return n if 0 < n <= MAX_ID else None


def clean_text(value, keep_breaks: bool = False):
    """Text without control characters (a 题名 from a damaged file or a hostile catalogue): line breaks and
    tabs become one space (kept when ``keep_breaks``), other control characters and lone surrogates go.
    Non-strings are returned as they are."""
    if not isinstance(value, str):
        return value
    if not keep_breaks:
        value = _BREAKS.sub(" ", value)
    value = _CONTROL.sub("", value)
    value = _SURROGATE.sub("\ufffd", value)
    return value


FORMULA_START = ("=", "+", "-", "@")


def spreadsheet_text(value, *, csv: bool):
    """A cell value safe to open in a spreadsheet: control characters removed; in CSV a text starting with
    ``= + - @`` gets the usual leading ``'`` so Excel and WPS show it as text instead of running it.
    (In XLSX such a cell is written with the string type instead, see catalogue.write_xlsx.)"""
    value = clean_text(value)
    if csv and isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def unescape_spreadsheet_text(value):
    """The reverse of spreadsheet_text's CSV escape, for a catalogue read back (``'=x`` -> ``=x``)."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in FORMULA_START:
        return value[1:]
    return value


def _short(value) -> str:
    s = str(value)
    return s if len(s) <= 24 else s[:20] + "…"


# an approval's document number: a 文号 (示档〔2026〕5号, 示档函〔2026〕3号) or a 批示/登记 number with digits
# (批示2026-07, 审批表第12号); a word standing for "none" is refused
_NO_DOCUMENT = {"无", "没有", "暂无", "待定", "未定", "空", "略", "无文号", "无文件", "none", "null", "n/a", "na", "-", "/", "0"}


def document_number(value, what: str = "批准文件") -> str:
    """The number of an approval document as typed: a 文号 or a number with digits; BoundsError for 无 and the like."""
    text = " ".join(str(value or "").replace("\u3000", " ").split())
    if not text or text.casefold() in _NO_DOCUMENT or not any(ch.isdigit() for ch in text) or len(text) > MAX_REF:
        raise BoundsError(f"{what} “{_short(value)}” 无效：须写批准文件的文号（如 示档〔2026〕5号）或批示编号（须含数字），"
                          "不能写 无")
    return text

