"""Table gateway of ``events`` (the append-only, hash-chained log): reads that are not the chain itself."""

from __future__ import annotations

import json
import sqlite3


def last_change(conn: sqlite3.Connection, document_id: int, unsealed: tuple[str, ...] = ("duplicate", "reseal")):
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


def events_for(conn: sqlite3.Connection, document_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT id, ts, actor, action, detail FROM events WHERE document_id=? ORDER BY id", (document_id,))]


def former_code(conn: sqlite3.Connection, code: str) -> dict | None:
    """The latest change that took ``code`` (canonical 档号) from a record: {document_id, ts, actor, new_code
    (given by that change), current_code (the record's 档号 now), reason}, or None. The event log keeps it (``vacated_code`` of a reclassify); no column is needed."""
    row = conn.execute(
        "SELECT e.document_id, e.ts, e.actor, e.detail, d.archival_code AS current_code FROM events e "
        "JOIN documents d ON d.id = e.document_id WHERE json_extract(e.detail, '$.vacated_code') = ? "
        "ORDER BY e.id DESC LIMIT 1", (code,)).fetchone()
    if row is None:
        return None
    detail = json.loads(row["detail"])
    return {"document_id": row["document_id"], "ts": row["ts"], "actor": row["actor"],
            "new_code": (detail.get("after") or {}).get("archival_code"), "current_code": row["current_code"],
            "reason": detail.get("reason")}


# ---- the chain's head, for a witness outside the machine (verify --anchor) -----------------------------------
def chain_head(conn: sqlite3.Connection) -> dict:
    """{hash, count, ts} of the event log's last event (hash and ts None, count 0, when it is empty)."""
    count = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    row = conn.execute("SELECT hash, ts FROM events ORDER BY id DESC LIMIT 1").fetchone()
    return {"hash": row["hash"] if row else None, "count": count, "ts": row["ts"] if row else None}


def event_at(conn: sqlite3.Connection, position: int) -> sqlite3.Row | None:
    """The ``position``-th event (1 = the first) of the log in order, or None when it has fewer."""
    if position < 1:
        return None
    return conn.execute("SELECT id, ts, hash FROM events ORDER BY id LIMIT 1 OFFSET ?", (position - 1,)).fetchone()


def events_with_hash(conn: sqlite3.Connection, prefix: str) -> list[int]:
    """Positions (1 = the first) of the events whose hash starts with ``prefix`` (lowercase hex)."""
    return [i for i, (h,) in enumerate(conn.execute("SELECT hash FROM events ORDER BY id"), 1) if h.startswith(prefix)]


def last_event(conn: sqlite3.Connection, action: str) -> dict | None:
    """The newest event of ``action`` (ts, actor, detail decoded), or None: the last backup, the last drill."""
    row = conn.execute("SELECT ts, actor, detail FROM events WHERE action=? ORDER BY id DESC LIMIT 1",
                       (action,)).fetchone()
    if row is None:
        return None
    return {"ts": row["ts"], "actor": row["actor"], "detail": json.loads(row["detail"])}
