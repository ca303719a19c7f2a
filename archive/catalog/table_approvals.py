"""Gateway of ``table_approvals``: the recorded agreements of the 归档范围和保管期限表, each tied to the digest of
the rules it agreed to (archive/rules_table.py). Rows are added, never changed or deleted (triggers)."""

from __future__ import annotations

import sqlite3


def add(conn: sqlite3.Connection, *, digest: str, rule_count: int, by: str, on: str, document: str, at: str,
        actor: str) -> int:
    cur = conn.execute("INSERT INTO table_approvals(digest, rule_count, approved_by, approved_on, approval_doc, "
                       "recorded_at, recorded_by) VALUES (?,?,?,?,?,?,?)",
                       (digest, rule_count, by, on, document, at, actor))
    return cur.lastrowid


def for_digest(conn: sqlite3.Connection, digest: str) -> sqlite3.Row | None:
    """The latest agreement of the table with this content, or None."""
    return conn.execute("SELECT * FROM table_approvals WHERE digest=? ORDER BY id DESC LIMIT 1", (digest,)).fetchone()


def latest(conn: sqlite3.Connection) -> sqlite3.Row | None:
    """The latest agreement of any content (to say that the table changed since)."""
    return conn.execute("SELECT * FROM table_approvals ORDER BY id DESC LIMIT 1").fetchone()
