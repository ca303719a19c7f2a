"""The appraisal tables' gateway: ``appraisals`` (one row per 鉴定, filled step by step), ``appraisal_items``
(the group's decision on each record), ``dispositions`` (what was done to a record) and the destruction of a
record's stored text and further files. The only place their SQL is written (docs/architecture.md).

Every query is by an appraisal's or a record's id, which names its 全宗 already.
"""

from __future__ import annotations

import json
import sqlite3

from archive.catalog import texts


def get(conn: sqlite3.Connection, appraisal_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM appraisals WHERE id=?", (appraisal_id,)).fetchone()


def all_appraisals(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM appraisals ORDER BY id").fetchall()


def items(conn: sqlite3.Connection, appraisal_id: int) -> list[sqlite3.Row]:
    """An appraisal's decisions with the columns of their records the sheets show."""
    return conn.execute(
        "SELECT i.*, d.archival_code, d.doc_number, d.doc_number_raw, d.issuer, d.title, d.date, d.pages, d.fonds, "
        "d.year, d.status, d.retention_old FROM appraisal_items i JOIN documents d ON d.id = i.document_id "
        "WHERE i.appraisal_id=? ORDER BY d.year, d.archival_code", (appraisal_id,)).fetchall()


def next_batch(conn: sqlite3.Connection) -> int:
    """The next disposition batch number: one more than any batch of a disposition or an appraisal."""
    (a,) = conn.execute("SELECT coalesce(max(batch), 0) + 1 FROM dispositions").fetchone()
    (b,) = conn.execute("SELECT coalesce(max(batch), 0) + 1 FROM appraisals").fetchone()
    return max(a, b)


def add(conn: sqlite3.Connection, *, batch: int, as_of: str, members: list[str], at: str, by: str) -> int:
    cur = conn.execute("INSERT INTO appraisals(batch, as_of, members, appraised_at, appraised_by) VALUES (?,?,?,?,?)",
                       (batch, as_of, json.dumps(members, ensure_ascii=False), at, by))
    return cur.lastrowid


def add_item(conn: sqlite3.Connection, appraisal_id: int, document_id: int, *, decision: str,
             retention_before: str | None, retention_after: str | None, reason: str, doubtful: bool) -> None:
    conn.execute("INSERT INTO appraisal_items(appraisal_id, document_id, decision, retention_before, "
                 "retention_after, reason, doubtful) VALUES (?,?,?,?,?,?,?)",
                 (appraisal_id, document_id, decision, retention_before, retention_after, reason, int(doubtful)))


def set_approved(conn: sqlite3.Connection, appraisal_id: int, *, by: str, on: str, document: str, at: str) -> None:
    """Filled once: an appraisal approved already keeps its approval."""
    conn.execute("UPDATE appraisals SET approved_by=?, approved_on=?, approval_doc=?, approved_at=? "
                 "WHERE id=? AND approved_at IS NULL", (by, on, document, at, appraisal_id))


def set_destroyed(conn: sqlite3.Connection, appraisal_id: int, *, at: str, supervisors: list[str], method: str,
                  place: str, by: str) -> None:
    """Filled once: an appraisal carried out already keeps its record of the destruction."""
    conn.execute("UPDATE appraisals SET destroyed_at=?, supervisors=?, method=?, place=?, destroyed_by=? "
                 "WHERE id=? AND destroyed_at IS NULL",
                 (at, json.dumps(supervisors, ensure_ascii=False), method, place, by, appraisal_id))


DOCUMENT_COLUMNS = ("report_id", "approval_id", "register_id")


def set_document(conn: sqlite3.Connection, appraisal_id: int, column: str, document_id: int) -> None:
    """The record archiving one of the procedure's documents (filled once)."""
    if column not in DOCUMENT_COLUMNS:
        raise ValueError(column)
    conn.execute(f"UPDATE appraisals SET {column}=? WHERE id=? AND {column} IS NULL", (document_id, appraisal_id))


def is_held(conn: sqlite3.Connection, document_id: int) -> bool:
    """Whether a hold (冻结) stands on the record now."""
    return conn.execute("SELECT 1 FROM holds WHERE document_id=? AND released_at IS NULL",
                        (document_id,)).fetchone() is not None


def hold_of(conn: sqlite3.Connection, document_id: int) -> sqlite3.Row | None:
    """The standing hold of one record (reason, by whom, when), or None."""
    return conn.execute("SELECT reason, held_by, held_at FROM holds WHERE document_id=? AND released_at IS NULL",
                        (document_id,)).fetchone()


def count_holds(conn: sqlite3.Connection) -> int:
    """How many holds stand now."""
    return conn.execute("SELECT count(*) FROM holds WHERE released_at IS NULL").fetchone()[0]


def list_holds(conn: sqlite3.Connection, limit: int = 500) -> list[sqlite3.Row]:
    """Holds with their records' 档号, 题名 and 文号: standing ones first, newest first."""
    return conn.execute("SELECT h.*, d.archival_code, d.title, d.doc_number FROM holds h JOIN documents d "
                        "ON d.id = h.document_id ORDER BY h.released_at IS NOT NULL, h.id DESC LIMIT ?",
                        (limit,)).fetchall()


def dispositions_of(conn: sqlite3.Connection, ids: list[int]) -> list[sqlite3.Row]:
    """The dispositions of these records (a chunk of at most 500 ids), in the order they were made."""
    return conn.execute(f"SELECT * FROM dispositions WHERE document_id IN ({','.join('?' * len(ids))}) "
                        "ORDER BY id", ids).fetchall()


def clear_stored(conn: sqlite3.Connection, document_id: int) -> None:
    """A destroyed record's further files leave the store and its text is emptied (the record stays)."""
    conn.execute("UPDATE document_files SET stored_path=NULL WHERE document_id=?", (document_id,))
    conn.execute("UPDATE document_texts SET text='' WHERE document_id=?", (document_id,))
    texts.seal_text(conn, document_id)
