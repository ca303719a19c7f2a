"""Table gateway of ``documents``: reading records (by id, by 档号, by status) and their index marks.

Every query serves one 全宗 (fonds) where a caller names one; ``fonds=None`` reads the catalog as it is (one
全宗 per catalog today). ``SELECT * FROM documents WHERE id=?`` is written once, in ``get_record``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from archive import docno
from archive.retention import order_sql as retention_order_sql


def get_record(conn: sqlite3.Connection, document_id: int):
    """One record by its id (None when there is none): the one place ``SELECT * FROM documents WHERE id=?``
    is written. Callers read it by column name (``rec["title"]``)."""
    return conn.execute("SELECT * FROM documents WHERE id=?", (document_id,)).fetchone()


def _fonds(fonds: str | None, where: str = "") -> tuple[str, tuple]:
    return (f"{where} AND fonds=?" if where else " WHERE fonds=?", (fonds,)) if fonds else (where, ())


def records(conn: sqlite3.Connection, ids: Iterable[int]) -> list[sqlite3.Row]:
    """The records of these ids that exist, in id order."""
    ids = list(ids)
    out: list[sqlite3.Row] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out += conn.execute(f"SELECT * FROM documents WHERE id IN ({','.join('?' * len(chunk))}) ORDER BY id",
                            chunk).fetchall()
    return sorted(out, key=lambda r: r["id"]) if len(ids) > 500 else out


def records_between(conn: sqlite3.Connection, low: int, high: int) -> list[sqlite3.Row]:
    """The records whose ids lie in low..high, in id order (a range a clerk typed: 12-40)."""
    return conn.execute("SELECT * FROM documents WHERE id BETWEEN ? AND ? ORDER BY id", (low, high)).fetchall()


def all_records(conn: sqlite3.Connection, fonds: str | None = None) -> list[sqlite3.Row]:
    """Every record, in id order."""
    where, args = _fonds(fonds)
    return conn.execute(f"SELECT * FROM documents{where} ORDER BY id", args).fetchall()


def record_ids(conn: sqlite3.Connection, *, status: str | None = None, fonds: str | None = None) -> list[int]:
    """The ids of every record (of ``status``), in order."""
    where, args = (" WHERE status=?", (status,)) if status else ("", ())
    where, more = _fonds(fonds, where)
    return [r[0] for r in conn.execute(f"SELECT id FROM documents{where} ORDER BY id", args + more)]


def pending_records(conn: sqlite3.Connection, fonds: str | None = None, limit: int | None = None) -> list[sqlite3.Row]:
    """The 待定 records, in id order (the first ``limit`` of them)."""
    where, args = _fonds(fonds, " WHERE status='pending'")
    if limit is not None:
        return conn.execute(f"SELECT * FROM documents{where} ORDER BY id LIMIT ?", (*args, limit)).fetchall()
    return conn.execute(f"SELECT * FROM documents{where} ORDER BY id", args).fetchall()


def count_pending(conn: sqlite3.Connection, fonds: str | None = None) -> int:
    """How many 待定 records there are."""
    where, args = _fonds(fonds, " WHERE status='pending'")
    return conn.execute(f"SELECT count(*) FROM documents{where}", args).fetchone()[0]


def suggested_records(conn: sqlite3.Connection, rule_id: str | None = None, *, with_org: bool = False,
                      fonds: str | None = None) -> list[sqlite3.Row]:
    """待定 records a rule suggested a verdict for: those of ``rule_id``, or every one with a suggested 保管期限
    (``with_org``: and a suggested 机构)."""
    if rule_id is not None:
        where, args = " WHERE status='pending' AND rule_id=?", (rule_id,)
    else:
        where = " WHERE status='pending' AND retention IS NOT NULL" + (
            " AND org IS NOT NULL AND org != ''" if with_org else "")
        args = ()
    where, more = _fonds(fonds, where)
    return conn.execute(f"SELECT * FROM documents{where} ORDER BY id", args + more).fetchall()


def status_of(conn: sqlite3.Connection, document_id: int) -> str | None:
    """A record's status (None when there is no such record)."""
    row = conn.execute("SELECT status FROM documents WHERE id=?", (document_id,)).fetchone()
    return row[0] if row else None


def by_archival_code(conn: sqlite3.Connection, code: str):
    """The record carrying this 档号 exactly as written (canonical spelling), or None."""
    return conn.execute("SELECT * FROM documents WHERE archival_code=?", (code,)).fetchone()


def by_sha256(conn: sqlite3.Connection, sha256: str):
    """The record whose own file has this content, or None."""
    return conn.execute("SELECT * FROM documents WHERE sha256=?", (sha256,)).fetchone()


def in_item(conn: sqlite3.Connection, fonds: str, year: int, item_no: int, org: str | None) -> list[sqlite3.Row]:
    """Records numbered ``item_no`` in a 全宗's year (and 机构): the candidates for one 档号 in any spelling."""
    return conn.execute("SELECT * FROM documents WHERE fonds=? AND year=? AND item_no=? AND coalesce(org,'')=?",
                        (fonds, year, item_no, org or "")).fetchall()


def codes_of_year(conn: sqlite3.Connection, fonds: str, year: int) -> list[str | None]:
    """The 档号 of every record of a 全宗's year (None for a record without one)."""
    return [r[0] for r in conn.execute("SELECT archival_code FROM documents WHERE fonds=? AND year=?",
                                       (fonds, year))]


def _live(conn: sqlite3.Connection, where: str, args: tuple) -> list[sqlite3.Row]:
    """Short rows (id, issuer, title, date, doc_number, archival_code, status) of the records a file may join
    (any but a destroyed one) that match ``where``, oldest first."""
    return conn.execute("SELECT id, issuer, title, date, doc_number, archival_code, status FROM documents "
                        f"WHERE status != 'destroyed' AND {where} ORDER BY id", args).fetchall()


# a record's title without spaces, in SQL (the scan runs in SQLite, not row by row in Python)
_FLAT_TITLE = "replace(replace(replace(replace(title, ' ', ''), char(12288), ''), char(10), ''), char(9), '')"


def live_by_doc_number(conn: sqlite3.Connection, canonical: str) -> list[sqlite3.Row]:
    """Records not destroyed with this 发文字号 (canonical spelling)."""
    return _live(conn, "doc_number = ?", (canonical,))


def live_by_flat_title(conn: sqlite3.Connection, flat: str, *, unnumbered: bool = False) -> list[sqlite3.Row]:
    """Records not destroyed whose 题名, spaces and line breaks taken out, is ``flat`` (``unnumbered``: only
    those without a 发文字号)."""
    return _live(conn, f"{'doc_number IS NULL AND ' if unnumbered else ''}{_FLAT_TITLE} = ?", (flat,))


def live_titles_in(conn: sqlite3.Connection, flat: str, min_length: int) -> list[sqlite3.Row]:
    """Records not destroyed whose 题名 (of at least ``min_length`` characters), spaces taken out, is written
    in ``flat``."""
    return _live(conn, f"length(title) >= ? AND instr(?, {_FLAT_TITLE}) > 0", (min_length, flat))


def pages_of(conn: sqlite3.Connection, document_id: int) -> int | None:
    row = conn.execute("SELECT pages FROM documents WHERE id=?", (document_id,)).fetchone()
    return row[0] if row else None


# ---- the Whoosh index's marks (``indexed``) ------------------------------------------------------------------
def unindexed_ids(conn: sqlite3.Connection) -> list[int]:
    """Records committed but not yet written to a Whoosh index."""
    return [r[0] for r in conn.execute("SELECT id FROM documents WHERE indexed = 0")]


def mark_indexed(conn: sqlite3.Connection, ids: list[int] | None = None) -> None:
    """Mark these records (None: every record) as written to the Whoosh index."""
    if ids is None:
        conn.execute("UPDATE documents SET indexed = 1 WHERE indexed = 0")
        return
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        conn.execute(f"UPDATE documents SET indexed = 1 WHERE id IN ({','.join('?' * len(chunk))})", chunk)


def mark_unindexed(conn: sqlite3.Connection) -> None:
    """No record is in a Whoosh index (the engine was switched to SQLite)."""
    conn.execute("UPDATE documents SET indexed = 0 WHERE indexed = 1")


def count_documents(conn: sqlite3.Connection) -> int:
    """How many records the catalog holds, whatever their status (the total of a progress bar)."""
    return conn.execute("SELECT count(*) FROM documents").fetchone()[0]


def count_events(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM events").fetchone()[0]


def _list_order() -> str:
    """list_documents' order (年度, 保管期限, 机构, 件号), which due_candidates keeps too."""
    return f"year IS NULL, year, {retention_order_sql()}, org, item_no IS NULL, item_no, id"


def list_documents(conn: sqlite3.Connection, *, status: str | None = None, year: int | None = None,
                   retention: str | None = None, org: str | None = None, limit: int | None = None,
                   offset: int = 0) -> list[sqlite3.Row]:
    where, args = [], []
    for col, val in (("status", status), ("year", year), ("retention", retention), ("org", org)):
        if val is not None:
            where.append(f"{col}=?")
            args.append(val)
    sql = "SELECT * FROM documents"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {_list_order()}"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        args += [limit, offset]
    return conn.execute(sql, args).fetchall()


def due_candidates(conn: sqlite3.Connection, last_years: dict[str, int]) -> list[sqlite3.Row]:
    """The archived records that may be due for appraisal, in list_documents' order: those of each 保管期限
    code in ``last_years`` of a 年度 up to its year, and every one with an old 保管期限 (长期/短期, whose own
    years and appraisals the caller weighs). The caller decides each; this only spares it reading every
    archived row (bench/web_bench.md: /admin/audit read 61,000 rows at 100,000 documents to list 779)."""
    cond, args = ["coalesce(retention_old, '') != ''"], []
    for code, last in sorted(last_years.items()):
        cond.append("(retention = ? AND year <= ?)")
        args += [code, last]
    return conn.execute(
        f"SELECT * FROM documents WHERE status = 'archived' AND year IS NOT NULL AND ({' OR '.join(cond)}) "
        f"ORDER BY {_list_order()}", args).fetchall()


def stats(conn: sqlite3.Connection) -> dict:
    """Counts by status, by 年度 and 保管期限 (archived), and of side outcomes from the event log."""
    by_status = {r[0]: r[1] for r in conn.execute("SELECT status, count(*) FROM documents GROUP BY status")}
    by_year = [dict(r) for r in conn.execute(
        "SELECT year, retention, org, count(*) AS n, sum(pages) AS pages FROM documents "
        "WHERE status='archived' GROUP BY year, retention, org ORDER BY year, retention, org")]
    side = {r[0]: r[1] for r in conn.execute(
        "SELECT action, count(*) FROM events WHERE action IN ('duplicate','refused','failed') GROUP BY action")}
    total = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    return {"total": total, "by_status": by_status, "archived_by_year": by_year, "other_outcomes": side}


def docno_matches(conn: sqlite3.Connection, text: str, where: str = "1", args: list | tuple = ()) -> list[tuple[int, int]]:
    """(document id, rank) for documents whose 发文字号 matches ``text`` in any spelling; lower rank =
    more specific key (docno.query_keys order). ``where``/``args``: an extra SQL filter on ``d``."""
    keys = docno.query_keys(text)
    if not keys:
        return []
    rank_case = " ".join(f"WHEN ? THEN {i}" for i in range(len(keys)))
    sql = (f"SELECT k.document_id AS id, MIN(CASE k.key {rank_case} END) AS rank "
           f"FROM docno_keys k JOIN documents d ON d.id = k.document_id "
           f"WHERE k.key IN ({','.join('?' * len(keys))}) AND {where} "
           f"GROUP BY k.document_id ORDER BY rank, d.year DESC, d.id")
    return [(r[0], r[1]) for r in conn.execute(sql, [*keys, *keys, *args])]


def any_indexed(conn: sqlite3.Connection) -> bool:
    """Whether any record is marked as written to the Whoosh index (``indexed`` = 1): then a missing Whoosh
    folder is a lost index, not a new archive."""
    return conn.execute("SELECT 1 FROM documents WHERE indexed = 1 LIMIT 1").fetchone() is not None


def corrected_fields(conn: sqlite3.Connection, document_id: int) -> set[str]:
    """The fields of a record a person corrected with ``archive edit`` (title, doc_number, issuer, date,
    pages, doc_type). An automatic step that would rewrite a record's fields (recover, an import, attaching a
    file) leaves these as they are."""
    row = conn.execute("SELECT corrected FROM documents WHERE id=?", (document_id,)).fetchone()
    return corrected_of(row)


def corrected_of(row) -> set[str]:
    """``corrected_fields`` of a row already read (a dict or sqlite3.Row; empty for a catalog before 12)."""
    if row is None or "corrected" not in row.keys() or not row["corrected"]:
        return set()
    try:
        names = json.loads(row["corrected"])
    except ValueError:
        return set()
    return {n for n in names if isinstance(n, str)} if isinstance(names, list) else set()


def set_doc_number_keys(conn: sqlite3.Connection, document_id: int, doc_number) -> None:
    """Replace a record's spelling-independent 发文字号 keys (``doc_number``: a docno.DocNumber or None)."""
    conn.execute("DELETE FROM docno_keys WHERE document_id=?", (document_id,))
    _add_doc_number_keys(conn, document_id, doc_number)


def _add_doc_number_keys(conn: sqlite3.Connection, document_id: int, doc_number) -> None:
    if doc_number is not None:
        conn.executemany("INSERT OR IGNORE INTO docno_keys(key, document_id) VALUES (?,?)",
                         [(k, document_id) for k in docno.search_keys(doc_number)])
