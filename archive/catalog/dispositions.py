"""Table gateways of ``dispositions`` (what was decided at the end of a record's period: extended, destroyed)
and ``holds`` (a record frozen against disposition)."""

from __future__ import annotations

import sqlite3


# ---- dispositions -------------------------------------------------------------------------------------------
def add_disposition(conn: sqlite3.Connection, *, batch: int, document_id: int, decision: str,
                    archival_code: str | None, retention_before: str | None, retention_after: str | None,
                    approved_by: str, supervisors: str | None, reason: str, decided_at: str, actor: str) -> None:
    """One decision of a batch (extend, destroy): the one writer of ``dispositions``."""
    conn.execute(
        "INSERT INTO dispositions(batch, document_id, decision, archival_code, retention_before, "
        "retention_after, approved_by, supervisors, reason, decided_at, actor) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (batch, document_id, decision, archival_code, retention_before, retention_after, approved_by, supervisors,
         reason, decided_at, actor))


def next_batch(conn: sqlite3.Connection) -> int:
    """The number the next batch of decisions takes."""
    return conn.execute("SELECT coalesce(max(batch), 0) + 1 FROM dispositions").fetchone()[0]


def extended_ids(conn: sqlite3.Connection) -> set[int]:
    """Records whose period an appraisal (or an extension) has extended."""
    return {r[0] for r in conn.execute("SELECT document_id FROM dispositions WHERE decision='extend'")}


def destroyed_without_appraisal(conn: sqlite3.Connection, batch: int | None = None) -> list[sqlite3.Row]:
    """Destructions recorded before the appraisal procedure existed (one dispose call), with the fields of
    their 销毁清册, by batch and 档号."""
    sql = ("SELECT p.*, d.doc_number, d.doc_number_raw, d.issuer, d.title, d.date, d.pages, d.fonds "
           "FROM dispositions p JOIN documents d ON d.id = p.document_id WHERE p.decision='destroy'")
    args: list = []
    if batch is not None:
        sql += " AND p.batch=?"
        args.append(batch)
    return conn.execute(sql + " AND p.batch NOT IN (SELECT batch FROM appraisals) ORDER BY p.batch, p.archival_code",
                        args).fetchall()


def appraisals_destroying(conn: sqlite3.Connection, batch: int | None = None) -> list[sqlite3.Row]:
    """Appraisals (of ``batch``) that decided to destroy at least one record, by batch."""
    sql = ("SELECT * FROM appraisals WHERE EXISTS (SELECT 1 FROM appraisal_items i WHERE "
           "i.appraisal_id = appraisals.id AND i.decision='destroy')")
    return conn.execute(sql + (" AND batch=?" if batch is not None else "") + " ORDER BY batch",
                        (batch,) if batch is not None else ()).fetchall()


def destruction_pending(conn: sqlite3.Connection) -> dict[int, int]:
    """Records an appraisal decided to destroy whose destruction has not happened: record -> appraisal."""
    return {r[0]: r[1] for r in conn.execute(
        "SELECT i.document_id, a.id FROM appraisal_items i JOIN appraisals a ON a.id = i.appraisal_id "
        "WHERE i.decision='destroy' AND a.destroyed_at IS NULL")}


# ---- holds --------------------------------------------------------------------------------------------------
def active_holds(conn: sqlite3.Connection) -> dict[int, str]:
    """Records frozen now: record -> the reason."""
    return {r[0]: r[1] for r in conn.execute("SELECT document_id, reason FROM holds WHERE released_at IS NULL")}


def is_held(conn: sqlite3.Connection, document_id: int) -> bool:
    return conn.execute("SELECT 1 FROM holds WHERE document_id=? AND released_at IS NULL",
                        (document_id,)).fetchone() is not None


def add_hold(conn: sqlite3.Connection, document_id: int, reason: str, held_by: str, held_at: str) -> None:
    conn.execute("INSERT INTO holds(document_id, reason, held_by, held_at) VALUES (?,?,?,?)",
                 (document_id, reason, held_by, held_at))


def release_hold(conn: sqlite3.Connection, document_id: int, released_by: str, released_at: str,
                 reason: str) -> bool:
    """End a record's hold; False when it had none."""
    cur = conn.execute("UPDATE holds SET released_by=?, released_at=?, release_reason=? "
                       "WHERE document_id=? AND released_at IS NULL", (released_by, released_at, reason, document_id))
    return cur.rowcount > 0
