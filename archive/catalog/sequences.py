"""Table gateway of ``sequences``: the last 件号 taken in each group (全宗, 年度, 保管期限, 机构)."""

from __future__ import annotations

import sqlite3


def next_item(conn: sqlite3.Connection, fonds: str, year: int, retention: str, org: str | None) -> int:
    """Take the next 件号 of a group (call inside the transaction that inserts the record)."""
    key = (fonds, year, retention, org or "")
    conn.execute("INSERT INTO sequences(fonds, year, retention, org, last_item) VALUES (?,?,?,?,0) "
                 "ON CONFLICT(fonds, year, retention, org) DO NOTHING", key)
    conn.execute("UPDATE sequences SET last_item = last_item + 1 WHERE fonds=? AND year=? AND retention=? AND org=?",
                 key)
    return last_item(conn, fonds, year, retention, org) or 0


def last_item(conn: sqlite3.Connection, fonds: str, year: int, retention: str, org: str | None) -> int | None:
    """The last 件号 taken in a group (None: none yet)."""
    row = conn.execute("SELECT last_item FROM sequences WHERE fonds=? AND year=? AND retention=? AND org=?",
                       (fonds, year, retention, org or "")).fetchone()
    return row[0] if row else None


def raise_sequence(conn: sqlite3.Connection, fonds: str, year: int, retention: str, org: str | None,
                   item_no: int) -> None:
    """A 件号 given from outside (an import) is taken: the group's next one comes after it."""
    conn.execute(
        "INSERT INTO sequences(fonds, year, retention, org, last_item) VALUES (?,?,?,?,?) "
        "ON CONFLICT(fonds, year, retention, org) DO UPDATE SET last_item = max(last_item, excluded.last_item)",
        (fonds, year, retention, org or "", item_no))


def all_sequences(conn: sqlite3.Connection, fonds: str | None = None) -> list[sqlite3.Row]:
    if fonds:
        return conn.execute("SELECT * FROM sequences WHERE fonds=?", (fonds,)).fetchall()
    return conn.execute("SELECT * FROM sequences").fetchall()
