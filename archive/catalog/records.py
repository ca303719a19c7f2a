"""Table gateway of ``documents``: reading records (by id, by 档号, by status) and their index marks.

Every query serves one 全宗 (fonds) where a caller names one; ``fonds=None`` reads the catalog as it is (one
全宗 per catalog today). ``SELECT * FROM documents WHERE id=?`` is written once, in ``get_record``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable


def get_record(conn: sqlite3.Connection, document_id: int):
    """One record by its id (None when there is none): the one place ``SELECT * FROM documents WHERE id=?``
    is written. Callers read it by column name (``rec["title"]``)."""
    return conn.execute("SELECT * FROM documents WHERE id=?", (document_id,)).fetchone()


def _fonds(fonds: str | None, where: str = "") -> tuple[str, tuple]:
    return (f"{where} AND fonds=?" if where else " WHERE fonds=?", (fonds,)) if fonds else (where, ())


def records(conn: sqlite3.Connection, ids: Iterable[int]) -> list[sqlite3.Row]:
    """The records of these ids that exist, in id order."""
    ids = list(ids)
    out: list[sqlite3.Row] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out += conn.execute(f"SELECT * FROM documents WHERE id IN ({','.join('?' * len(chunk))}) ORDER BY id",
                            chunk).fetchall()
    return sorted(out, key=lambda r: r["id"]) if len(ids) > 500 else out


def records_between(conn: sqlite3.Connection, low: int, high: int) -> list[sqlite3.Row]:
    """The records whose ids lie in low..high, in id order (a range a clerk typed: 12-40)."""
    return conn.execute("SELECT * FROM documents WHERE id BETWEEN ? AND ? ORDER BY id", (low, high)).fetchall()


def all_records(conn: sqlite3.Connection, fonds: str | None = None) -> list[sqlite3.Row]:
    """Every record, in id order."""
    where, args = _fonds(fonds)
    return conn.execute(f"SELECT * FROM documents{where} ORDER BY id", args).fetchall()


def record_ids(conn: sqlite3.Connection, *, status: str | None = None, fonds: str | None = None) -> list[int]:
    """The ids of every record (of ``status``), in order."""
    where, args = (" WHERE status=?", (status,)) if status else ("", ())
    where, more = _fonds(fonds, where)
    return [r[0] for r in conn.execute(f"SELECT id FROM documents{where} ORDER BY id", args + more)]


def pending_records(conn: sqlite3.Connection, fonds: str | None = None) -> list[sqlite3.Row]:
    """The 待定 records, in id order."""
    where, args = _fonds(fonds, " WHERE status='pending'")
    return conn.execute(f"SELECT * FROM documents{where} ORDER BY id", args).fetchall()


def suggested_records(conn: sqlite3.Connection, rule_id: str | None = None, *, with_org: bool = False,
                      fonds: str | None = None) -> list[sqlite3.Row]:
    """待定 records a rule suggested a verdict for: those of ``rule_id``, or every one with a suggested 保管期限
    (``with_org``: and a suggested 机构)."""
    if rule_id is not None:
        where, args = " WHERE status='pending' AND rule_id=?", (rule_id,)
    else:
        where = " WHERE status='pending' AND retention IS NOT NULL" + (
            " AND org IS NOT NULL AND org != ''" if with_org else "")
        args = ()
    where, more = _fonds(fonds, where)
    return conn.execute(f"SELECT * FROM documents{where} ORDER BY id", args + more).fetchall()


def status_of(conn: sqlite3.Connection, document_id: int) -> str | None:
    """A record's status (None when there is no such record)."""
    row = conn.execute("SELECT status FROM documents WHERE id=?", (document_id,)).fetchone()
    return row[0] if row else None


def by_archival_code(conn: sqlite3.Connection, code: str):
    """The record carrying this 档号 exactly as written (canonical spelling), or None."""
    return conn.execute("SELECT * FROM documents WHERE archival_code=?", (code,)).fetchone()


def by_sha256(conn: sqlite3.Connection, sha256: str):
    """The record whose own file has this content, or None."""
    return conn.execute("SELECT * FROM documents WHERE sha256=?", (sha256,)).fetchone()


def in_item(conn: sqlite3.Connection, fonds: str, year: int, item_no: int, org: str | None) -> list[sqlite3.Row]:
    """Records numbered ``item_no`` in a 全宗's year (and 机构): the candidates for one 档号 in any spelling."""
    return conn.execute("SELECT * FROM documents WHERE fonds=? AND year=? AND item_no=? AND coalesce(org,'')=?",
                        (fonds, year, item_no, org or "")).fetchall()


def codes_of_year(conn: sqlite3.Connection, fonds: str, year: int) -> list[str | None]:
    """The 档号 of every record of a 全宗's year (None for a record without one)."""
    return [r[0] for r in conn.execute("SELECT archival_code FROM documents WHERE fonds=? AND year=?",
                                       (fonds, year))]


def _live(conn: sqlite3.Connection, where: str, args: tuple) -> list[sqlite3.Row]:
    """Short rows (id, issuer, title, date, doc_number, archival_code, status) of the records a file may join
    (any but a destroyed one) that match ``where``, oldest first."""
    return conn.execute("SELECT id, issuer, title, date, doc_number, archival_code, status FROM documents "
                        f"WHERE status != 'destroyed' AND {where} ORDER BY id", args).fetchall()


# a record's title without spaces, in SQL (the scan runs in SQLite, not row by row in Python)
_FLAT_TITLE = "replace(replace(replace(replace(title, ' ', ''), char(12288), ''), char(10), ''), char(9), '')"


def live_by_doc_number(conn: sqlite3.Connection, canonical: str) -> list[sqlite3.Row]:
    """Records not destroyed with this 发文字号 (canonical spelling)."""
    return _live(conn, "doc_number = ?", (canonical,))


def live_by_flat_title(conn: sqlite3.Connection, flat: str, *, unnumbered: bool = False) -> list[sqlite3.Row]:
    """Records not destroyed whose 题名, spaces and line breaks taken out, is ``flat`` (``unnumbered``: only
    those without a 发文字号)."""
    return _live(conn, f"{'doc_number IS NULL AND ' if unnumbered else ''}{_FLAT_TITLE} = ?", (flat,))


def live_titles_in(conn: sqlite3.Connection, flat: str, min_length: int) -> list[sqlite3.Row]:
    """Records not destroyed whose 题名 (of at least ``min_length`` characters), spaces taken out, is written
    in ``flat``."""
    return _live(conn, f"length(title) >= ? AND instr(?, {_FLAT_TITLE}) > 0", (min_length, flat))


def pages_of(conn: sqlite3.Connection, document_id: int) -> int | None:
    row = conn.execute("SELECT pages FROM documents WHERE id=?", (document_id,)).fetchone()
    return row[0] if row else None


# ---- the Whoosh index's marks (``indexed``) ------------------------------------------------------------------
def unindexed_ids(conn: sqlite3.Connection) -> list[int]:
    """Records committed but not yet written to a Whoosh index."""
    return [r[0] for r in conn.execute("SELECT id FROM documents WHERE indexed = 0")]


def mark_indexed(conn: sqlite3.Connection, ids: list[int] | None = None) -> None:
    """Mark these records (None: every record) as written to the Whoosh index."""
    if ids is None:
        conn.execute("UPDATE documents SET indexed = 1 WHERE indexed = 0")
        return
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        conn.execute(f"UPDATE documents SET indexed = 1 WHERE id IN ({','.join('?' * len(chunk))})", chunk)


def mark_unindexed(conn: sqlite3.Connection) -> None:
    """No record is in a Whoosh index (the engine was switched to SQLite)."""
    conn.execute("UPDATE documents SET indexed = 0 WHERE indexed = 1")


def count_documents(conn: sqlite3.Connection) -> int:
    """How many records the catalog holds, whatever their status (the total of a progress bar)."""
    return conn.execute("SELECT count(*) FROM documents").fetchone()[0]


def count_events(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM events").fetchone()[0]
