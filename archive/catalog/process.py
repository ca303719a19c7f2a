"""Table gateway of ``process_steps`` (migration 25): the 办理过程 of a record that came from an OA system's
归档信息包 (archive/oa_package.py; docs/oa_package.md), one row per step: 环节, 处理人, 时间, 意见. Added once,
with the record, never changed (the table's triggers refuse an update or a delete). The only place its SQL is
written (docs/architecture.md)."""

from __future__ import annotations

import hashlib
import json
import sqlite3

FIELDS = ("step", "actor", "at", "opinion")  # 环节, 处理人, 时间, 意见
LABELS = {"step": "环节", "actor": "处理人", "at": "时间", "opinion": "意见"}


def digest(steps: list[dict]) -> str:
    """SHA-256 of the steps as stored (in order): sealed in the record's ingest event, checked by verify."""
    rows = [[s.get(k) for k in FIELDS] for s in steps]
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode("utf-8")).hexdigest()


def add_steps(conn: sqlite3.Connection, document_id: int, steps: list[dict], source: str) -> int:
    """The steps of one record, in order, inside the caller's transaction. Returns how many."""
    conn.executemany(
        "INSERT INTO process_steps(document_id, seq, step, actor, at, opinion, source) VALUES (?,?,?,?,?,?,?)",
        [(document_id, i + 1, s["step"], s.get("actor"), s.get("at"), s.get("opinion"), source)
         for i, s in enumerate(steps)])
    return len(steps)


def steps_of(conn: sqlite3.Connection, document_id: int) -> list[dict]:
    """A record's steps in order (empty when it has none, or the catalog is older than migration 25)."""
    try:
        rows = conn.execute("SELECT seq, step, actor, at, opinion, source FROM process_steps WHERE document_id=? "
                            "ORDER BY seq", (document_id,)).fetchall()
    except sqlite3.OperationalError:
        return []
    return [dict(zip(("seq", "step", "actor", "at", "opinion", "source"), r)) for r in rows]


def step_counts(conn: sqlite3.Connection) -> dict[int, int]:
    """Record id -> number of stored steps (verify's 过程信息)."""
    try:
        return dict(conn.execute("SELECT document_id, count(*) FROM process_steps GROUP BY document_id").fetchall())
    except sqlite3.OperationalError:
        return {}

