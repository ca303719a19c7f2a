"""Table gateway of ``access_log``: every view, download, ``archive open`` and 归档章 copy, with who and when
(archive/access_log.py). Appended only: the table's triggers refuse a change or a deletion."""

from __future__ import annotations

import sqlite3


def add(conn: sqlite3.Connection, *, ts: str, actor: str, action: str, route: str, document_id: int | None,
        archival_code: str | None, detail: str | None) -> int:
    cur = conn.execute("INSERT INTO access_log(ts, actor, action, route, document_id, archival_code, detail) "
                       "VALUES (?,?,?,?,?,?,?)", (ts, actor, action, route, document_id, archival_code, detail))
    return cur.lastrowid


def entries(conn: sqlite3.Connection, document_id: int | None = None) -> list[dict]:
    """Entries, oldest first, of one record or all (the service picks the days: times carry their offsets)."""
    if document_id is None:
        return [dict(r) for r in conn.execute("SELECT * FROM access_log ORDER BY id")]
    return [dict(r) for r in conn.execute("SELECT * FROM access_log WHERE document_id=? ORDER BY id", (document_id,))]
