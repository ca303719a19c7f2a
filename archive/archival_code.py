"""档号 (archival code) per DA/T 22-2015: where a document's 档号 is decided.

    全宗号-门类代码·年度-保管期限代码-机构(问题)代码-件号      Z109-WS·2022-Y-BGS-0001
    全宗号-门类代码·年度-保管期限代码-件号                    Z109-WS·2022-D10-0007   (no 机构 classification)

件号 is a sequence within 年度 + 保管期限 (+ 机构), four digits or more, zero-padded. Numbers are
allocated from the catalog's ``sequences`` table inside the same transaction that inserts the record, and
the counter only ever goes up: a number is never reused, even after reclassification or destruction.
"""

from __future__ import annotations

import re
import unicodedata
import sqlite3
from dataclasses import dataclass

from archive.retention import OLD_CODE_OF_NAME, OLD_NAMES

CATEGORY = "WS"  # 门类代码: 文书


@dataclass(frozen=True)
class ArchivalCode:
    fonds: str  # 全宗号
    year: int  # 年度
    retention: str  # Y / D30 / D10
    org: str | None  # 机构(问题) code
    item_no: int  # 件号

    def __str__(self) -> str:
        head = f"{self.fonds}-{CATEGORY}·{self.year}-{self.retention}"
        if self.org:
            head += f"-{self.org}"
        return f"{head}-{self.item_no:04d}"


# Accept what people type: the middle dot as ·, •, ., -, or missing; any case. 机构(问题) codes are three
# letters or up to three digits (DA/T 22 allows both). An older catalogue's 档号 may carry a pre-2006
# 保管期限 (长期 C, 短期 D, or the word itself): parsed as C / D so its parts are still searchable and
# checked, while the record keeps the 档号 exactly as it was written.
_CODE_RE = re.compile(
    r"^\s*(?P<fonds>[A-Za-z0-9]+)-(?P<cat>[A-Za-z]{2})[·•・.\-]?(?P<year>\d{4})-"
    r"(?P<ret>Y|D30|D10|C|D|永久|长期|短期)"
    r"(?:-(?P<org>[A-Za-z]{3}|\d{1,3}))?-(?P<item>\d{1,6})\s*$",
    re.IGNORECASE,
)
OLD_CODES = OLD_NAMES  # 保管期限代码 of the 1987 rule: C 长期, D 短期
_WORDS = {"永久": "Y", **OLD_CODE_OF_NAME}


def parse(text: str) -> ArchivalCode | None:
    m = _CODE_RE.match(unicodedata.normalize("NFKC", text))
    if not m:
        return None
    org = m.group("org")
    ret = m.group("ret")
    return ArchivalCode(m.group("fonds").upper(), int(m.group("year")), _WORDS.get(ret, ret.upper()),
                        org.upper() if org else None, int(m.group("item")))


def is_old(code: ArchivalCode) -> bool:
    """A 档号 with a pre-2006 保管期限 (长期/短期)."""
    return code.retention in OLD_CODES


def allocate(conn: sqlite3.Connection, fonds: str, year: int, retention: str,
             org: str | None) -> ArchivalCode:
    """Take the next 件号 for (全宗, 年度, 保管期限, 机构). Call inside the inserting transaction."""
    from archive.catalog.sequences import next_item  # the catalog package reads this module's neighbours

    item = next_item(conn, fonds, year, retention, org)
    return ArchivalCode(fonds, year, retention, org, item)


def same_code(conn: sqlite3.Connection, code_text: str):
    """The record whose 档号 names the same 件 as ``code_text`` however either is spelled
    (`Z109-WS-2015-Y-1` and `Z109-WS·2015-Y-0001` are one 档号)."""
    from archive.catalog.records import in_item

    code = parse(code_text)
    if code is None:
        return None
    for r in in_item(conn, code.fonds, code.year, code.item_no, code.org):
        if parse(r["archival_code"] or "") == code:
            return r
    return None


# ---- when a 档号 is given: at ingest, or at the year's filing (docs/domain.md "The year's cycle") ------------
AT_FILING, AT_INGEST = "at_filing", "at_ingest"
MODE_NAMES = {AT_FILING: "年度整理归档时编号（at_filing）", AT_INGEST: "入库即编号（at_ingest）"}


def numbering(conn: sqlite3.Connection, wanted: str | None) -> str:
    """The catalog's numbering mode. ``wanted``: what config.toml says ([filing] numbering; None: nothing).

    The first use of a new catalog records the config's mode (default at_filing); a catalog migrated with
    records in it says at_ingest (migration 16). A config that names the other mode is refused once any record
    has a 档号; before that the catalog follows it. Call inside a transaction (it may write the mode)."""
    from archive import catalog
    from archive.catalog import filing as gateway
    from archive.errors import FilingError

    row = gateway.mode_row(conn)
    if row is not None and (wanted is None or wanted == row["numbering"]):
        return row["numbering"]
    if row is not None and gateway.any_numbered(conn):
        raise FilingError(
            f"本档案库的编号方式是{MODE_NAMES[row['numbering']]}，已有记录编了档号，不能改为"
            f"{MODE_NAMES[wanted]}：请把 config.toml 的 [filing] numbering 改回 \"{row['numbering']}\"（或删去该行）")
    mode = wanted or AT_FILING
    gateway.set_mode(conn, mode, catalog.now(), catalog.actor())
    if row is not None:  # a switch (no 档号 yet) is an event; a new catalog's first mode is just recorded
        catalog.append_event(conn, "filing_mode", None, {"numbering": mode, "before": row["numbering"]})
    return mode


def numbers_at_ingest(conn: sqlite3.Connection, wanted: str | None) -> bool:
    """Whether a record archived now gets its 件号 now (at_ingest), or is 预归档 until its year is filed."""
    return numbering(conn, wanted) == AT_INGEST


def year_filed(conn: sqlite3.Connection, fonds: str, year: int) -> bool:
    """Whether the 年度 was filed (archive arrange close) and not reopened."""
    from archive.catalog import filing as gateway

    row = gateway.year_row(conn, fonds, year)
    return row is not None and row["state"] == "closed"


def numbering_of(conn: sqlite3.Connection) -> str | None:
    """The catalog's numbering mode as recorded (None: a new catalog, decided at its first record)."""
    from archive.catalog import filing as gateway

    row = gateway.mode_row(conn)
    return row["numbering"] if row is not None else None
