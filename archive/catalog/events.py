"""Table gateway of ``events`` (the append-only, hash-chained log): reads that are not the chain itself."""

from __future__ import annotations

import sqlite3


def last_change(conn: sqlite3.Connection, document_id: int, unsealed: tuple[str, ...] = ("duplicate",)):
    """The latest event that changed a record (ts, actor, action, detail), or None."""
    q = ",".join("?" * len(unsealed))
    return conn.execute(f"SELECT ts, actor, action, detail FROM events WHERE document_id=? AND action NOT IN ({q}) "
                        "ORDER BY id DESC LIMIT 1", (document_id, *unsealed)).fetchone()


def event_rows(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """(id, action, document_id, detail) of every event, in order."""
    return conn.execute("SELECT id, action, document_id, detail FROM events ORDER BY id").fetchall()


def record_digests(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """(document_id, detail) of every event about a record, in order (their ``digest`` seals its state)."""
    return conn.execute("SELECT document_id, detail FROM events WHERE document_id IS NOT NULL ORDER BY id").fetchall()
