"""Table gateway of the use register (利用登记: ``uses``, ``use_items``) and the web requests that lead to it
(``use_requests``); archive/use.py is the service. The only place their SQL is written (docs/architecture.md)."""

from __future__ import annotations

import json
import sqlite3


def add_use(conn: sqlite3.Connection, values: dict, documents: list[tuple[int, str | None]]) -> int:
    """A new register entry and the records it used ((id, 档号) each). Returns its number."""
    cols = ",".join(values)
    cur = conn.execute(f"INSERT INTO uses({cols}) VALUES ({','.join('?' * len(values))})", tuple(values.values()))
    conn.executemany("INSERT INTO use_items(use_id, document_id, archival_code) VALUES (?,?,?)",
                     [(cur.lastrowid, d, code) for d, code in documents])
    return cur.lastrowid


def use(conn: sqlite3.Connection, use_id: int) -> dict | None:
    r = conn.execute("SELECT * FROM uses WHERE id=?", (use_id,)).fetchone()
    return _with_items(conn, [dict(r)])[0] if r else None


def _with_items(conn: sqlite3.Connection, rows: list[dict]) -> list[dict]:
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        r["documents"], r["codes"] = [], []
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for it in conn.execute(f"SELECT * FROM use_items WHERE use_id IN ({','.join('?' * len(chunk))}) "
                               "ORDER BY use_id, archival_code, document_id", chunk):
            by_id[it["use_id"]]["documents"].append(it["document_id"])
            by_id[it["use_id"]]["codes"].append(it["archival_code"] or f"记录 {it['document_id']}")
    return rows


def uses(conn: sqlite3.Connection, *, unit: str | None = None, overdue_on: str | None = None) -> list[dict]:
    """Register entries, oldest first: of one unit, or (``overdue_on``, a YYYY-MM-DD) the loans not returned
    whose due date is before that day. The service picks the days (times carry their offsets)."""
    where = ["(? IS NULL OR unit = ?)"]
    if overdue_on:
        where.append("way = '借出' AND returned_at IS NULL AND due IS NOT NULL AND due < ?")
    args = (unit, unit, *((overdue_on,) if overdue_on else ()))
    return _with_items(conn, [dict(r) for r in conn.execute(
        f"SELECT * FROM uses WHERE {' AND '.join(where)} ORDER BY registered_at, id", args)])


def set_effect(conn: sqlite3.Connection, use_id: int, effect: str, at: str) -> None:
    conn.execute("UPDATE uses SET effect=?, effect_at=? WHERE id=?", (effect, at, use_id))


def set_returned(conn: sqlite3.Connection, use_id: int, at: str, by: str) -> None:
    conn.execute("UPDATE uses SET returned_at=?, returned_by=? WHERE id=? AND returned_at IS NULL", (at, by, use_id))


# ---- web requests ---------------------------------------------------------------------------------------
def add_request(conn: sqlite3.Connection, values: dict) -> int:
    v = dict(values, documents=json.dumps(list(values["documents"])))
    cur = conn.execute(f"INSERT INTO use_requests({','.join(v)}) VALUES ({','.join('?' * len(v))})",
                       tuple(v.values()))
    return cur.lastrowid


def _request(r) -> dict:
    d = dict(r)
    d["documents"] = json.loads(d["documents"] or "[]")
    return d


def request(conn: sqlite3.Connection, request_id: int) -> dict | None:
    r = conn.execute("SELECT * FROM use_requests WHERE id=?", (request_id,)).fetchone()
    return _request(r) if r else None


def requests(conn: sqlite3.Connection, user_name: str | None = None, waiting_only: bool = False) -> list[dict]:
    """Requests, waiting first then latest first; of one web user only when ``user_name`` is given."""
    where, args = [], []
    if user_name is not None:
        where.append("user_name = ?")
        args.append(user_name)
    if waiting_only:
        where.append("state = '待审'")
    sql = ("SELECT * FROM use_requests" + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY state != '待审', id DESC")
    return [_request(r) for r in conn.execute(sql, args)]


def decide_request(conn: sqlite3.Connection, request_id: int, *, state: str, at: str, by: str, note: str | None,
                   use_id: int | None) -> bool:
    """Record the 档案员's decision once; False when another decision came first."""
    cur = conn.execute("UPDATE use_requests SET state=?, decided_at=?, decided_by=?, decision_note=?, use_id=? "
                       "WHERE id=? AND state='待审'", (state, at, by, note, use_id, request_id))
    return cur.rowcount == 1
