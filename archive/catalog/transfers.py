"""Table gateway of 移交: ``transfer_reviews`` (the 开放审核 of a record), ``transfers`` (a package written, then
confirmed by the 档案馆's receipt) and ``transfer_items``; archive/transfer.py is the service."""

from __future__ import annotations

import sqlite3


def set_review(conn: sqlite3.Connection, document_id: int, values: dict) -> None:
    """The record's 开放审核 (a later decision replaces an earlier one; the event log keeps both)."""
    v = {"document_id": document_id, **values}
    conn.execute(f"INSERT OR REPLACE INTO transfer_reviews({','.join(v)}) VALUES ({','.join('?' * len(v))})",
                 tuple(v.values()))


def reviews(conn: sqlite3.Connection, ids: list[int]) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for r in conn.execute(f"SELECT * FROM transfer_reviews WHERE document_id IN ({','.join('?' * len(chunk))})",
                              chunk):
            out[r["document_id"]] = dict(r)
    return out


def add_transfer(conn: sqlite3.Connection, values: dict, document_ids: list[int]) -> int:
    cur = conn.execute(f"INSERT INTO transfers({','.join(values)}) VALUES ({','.join('?' * len(values))})",
                       tuple(values.values()))
    conn.executemany("INSERT INTO transfer_items(transfer_id, document_id) VALUES (?,?)",
                     [(cur.lastrowid, d) for d in document_ids])
    return cur.lastrowid


def transfer(conn: sqlite3.Connection, transfer_id: int) -> dict | None:
    r = conn.execute("SELECT * FROM transfers WHERE id=?", (transfer_id,)).fetchone()
    return dict(r) if r else None


def transfers(conn: sqlite3.Connection) -> list[dict]:
    return [dict(r) for r in conn.execute("SELECT * FROM transfers ORDER BY id DESC")]


def items(conn: sqlite3.Connection, transfer_id: int) -> list[int]:
    return [r[0] for r in conn.execute("SELECT document_id FROM transfer_items WHERE transfer_id=? ORDER BY document_id",
                                       (transfer_id,))]


def confirm(conn: sqlite3.Connection, transfer_id: int, *, at: str, by: str, receipt_name: str,
            receipt_sha256: str) -> None:
    conn.execute("UPDATE transfers SET confirmed_at=?, confirmed_by=?, receipt_name=?, receipt_sha256=? WHERE id=?",
                 (at, by, receipt_name, receipt_sha256, transfer_id))


def transferred(conn: sqlite3.Connection, ids: list[int]) -> dict[int, dict]:
    """Record id -> the confirmed transfer that took it (id, confirmed_at), for those of ``ids`` transferred."""
    out: dict[int, dict] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        try:
            rows = conn.execute(
                "SELECT ti.document_id, t.id, t.confirmed_at FROM transfer_items ti JOIN transfers t "
                f"ON t.id = ti.transfer_id WHERE t.confirmed_at IS NOT NULL AND ti.document_id IN "
                f"({','.join('?' * len(chunk))})", chunk).fetchall()
        except sqlite3.OperationalError:  # a catalog from before migration 20 (read-only probes)
            return {}
        for r in rows:
            out[r[0]] = {"transfer": r[1], "confirmed_at": r[2]}
    return out


def in_open_transfer(conn: sqlite3.Connection, ids: list[int]) -> dict[int, int]:
    """Record id -> the exported, not yet confirmed transfer that holds it."""
    out: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for r in conn.execute("SELECT ti.document_id, t.id FROM transfer_items ti JOIN transfers t ON t.id = "
                              f"ti.transfer_id WHERE t.confirmed_at IS NULL AND ti.document_id IN "
                              f"({','.join('?' * len(chunk))})", chunk):
            out[r[0]] = r[1]
    return out
