"""Table gateway of ``access_log``: every view, download, ``archive open`` and 归档章 copy, with who and when
(archive/access_log.py). Appended only: the table's triggers refuse a change or a deletion."""

from __future__ import annotations

import sqlite3


def add(conn: sqlite3.Connection, *, ts: str, actor: str, action: str, route: str, document_id: int | None,
        archival_code: str | None, detail: str | None) -> int:
    cur = conn.execute("INSERT INTO access_log(ts, actor, action, route, document_id, archival_code, detail) "
                       "VALUES (?,?,?,?,?,?,?)", (ts, actor, action, route, document_id, archival_code, detail))
    return cur.lastrowid


def entries(conn: sqlite3.Connection, *, document_id: int | None = None, since: str | None = None,
            before: str | None = None, limit: int | None = None) -> list[dict]:
    """Entries, oldest first (the latest ``limit`` when given), of one record or all, in [since, before)."""
    where, args = [], []
    if document_id is not None:
        where.append("document_id = ?")
        args.append(document_id)
    if since:
        where.append("ts >= ?")
        args.append(since)
    if before:
        where.append("ts < ?")
        args.append(before)
    sql = "SELECT * FROM access_log" + (" WHERE " + " AND ".join(where) if where else "")
    if limit:
        rows = conn.execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()[::-1]
    else:
        rows = conn.execute(sql + " ORDER BY id", args).fetchall()
    return [dict(r) for r in rows]
