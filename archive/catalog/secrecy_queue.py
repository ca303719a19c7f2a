"""Table gateway of ``secrecy_queue``: the files the 涉密 gate was unsure of, held for a 保密员
(archive/secrecy_queue.py). The only place its SQL is written (docs/architecture.md)."""

from __future__ import annotations

import json
import sqlite3


def add_held(conn: sqlite3.Connection, values: dict) -> int:
    """A new held file (undecided); ``values['reasons']`` a list. Returns its number."""
    v = dict(values, reasons=json.dumps(list(values.get("reasons") or []), ensure_ascii=False))
    cols = ",".join(v)
    cur = conn.execute(f"INSERT INTO secrecy_queue({cols}) VALUES ({','.join('?' * len(v))})", tuple(v.values()))
    return cur.lastrowid


def _row(r: sqlite3.Row | None) -> dict | None:
    if r is None:
        return None
    d = dict(r)
    d["reasons"] = json.loads(d["reasons"] or "[]")
    return d


def held(conn: sqlite3.Connection, held_id: int) -> dict | None:
    return _row(conn.execute("SELECT * FROM secrecy_queue WHERE id=?", (held_id,)).fetchone())


def undecided_by_sha(conn: sqlite3.Connection, sha256: str) -> dict | None:
    """The undecided hold of this content, or None."""
    return _row(conn.execute("SELECT * FROM secrecy_queue WHERE sha256=? AND decided_at IS NULL ORDER BY id",
                             (sha256,)).fetchone())


def queue(conn: sqlite3.Connection, include_decided: bool = False) -> list[dict]:
    """The held files, undecided first (oldest first), then (``include_decided``) the decided, latest first."""
    where = "" if include_decided else "WHERE decided_at IS NULL"
    return [_row(r) for r in conn.execute(
        f"SELECT * FROM secrecy_queue {where} ORDER BY decided_at IS NOT NULL, "
        "CASE WHEN decided_at IS NULL THEN id ELSE -id END")]


def count_held(conn: sqlite3.Connection) -> int:
    """How many files wait for a 保密员 (0 on a catalog without the queue)."""
    try:
        return conn.execute("SELECT count(*) FROM secrecy_queue WHERE decided_at IS NULL").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def set_path(conn: sqlite3.Connection, held_id: int, path: str) -> None:
    """Where the held file really went (the move picked another free name)."""
    conn.execute("UPDATE secrecy_queue SET quarantine_path=? WHERE id=? AND decided_at IS NULL", (path, held_id))


def decide(conn: sqlite3.Connection, held_id: int, *, at: str, by: str, decision: str, reason: str,
           record_id: int | None, path: str | None = None) -> None:
    """Record the 保密员's decision (once: the table's trigger refuses a second)."""
    conn.execute("UPDATE secrecy_queue SET decided_at=?, decided_by=?, decision=?, decision_reason=?, record_id=?, "
                 "quarantine_path=COALESCE(?, quarantine_path) WHERE id=?",
                 (at, by, decision, reason, record_id, path, held_id))


def decision_of_record(conn: sqlite3.Connection, record_id: int) -> dict | None:
    """The 保密员's decision that let this record in, or None."""
    try:
        return _row(conn.execute("SELECT * FROM secrecy_queue WHERE record_id=? ORDER BY id DESC",
                                 (record_id,)).fetchone())
    except sqlite3.OperationalError:
        return None
