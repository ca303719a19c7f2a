"""The catalog reads of search (archive/search.py holds no SQL): documents found by a 发文字号 key."""

from __future__ import annotations

import sqlite3


def docno_candidates(conn: sqlite3.Connection, keys: list[str], where: str = "1",
                     args: list | tuple = ()) -> list[tuple[int, int, str | None]]:
    """(document id, rank, its 发文字号 as catalogued) for documents carrying any of ``keys`` in docno_keys;
    rank = index in ``keys`` of the most specific key it carries. Most specific first, then newest 年度.
    ``where``/``args``: an extra SQL filter on ``d`` (search.Filters.sql)."""
    if not keys:
        return []
    rank_case = " ".join(f"WHEN ? THEN {i}" for i in range(len(keys)))
    sql = (f"SELECT k.document_id AS id, MIN(CASE k.key {rank_case} END) AS rank, d.doc_number "
           f"FROM docno_keys k JOIN documents d ON d.id = k.document_id "
           f"WHERE k.key IN ({','.join('?' * len(keys))}) AND {where} "
           f"GROUP BY k.document_id ORDER BY rank, d.year DESC, d.id")
    return [(r[0], r[1], r[2]) for r in conn.execute(sql, [*keys, *keys, *args])]


def records_by_id(conn: sqlite3.Connection, ids: list[int]) -> dict[int, sqlite3.Row]:
    """The documents rows of ``ids`` (those that exist), by id."""
    if not ids:
        return {}
    return {r["id"]: r for r in conn.execute(
        f"SELECT * FROM documents WHERE id IN ({','.join('?' * len(ids))})", ids)}


def texts_by_id(conn: sqlite3.Connection, ids: list[int]) -> dict[int, str]:
    """The catalogued text of each of ``ids`` that has one (snippets)."""
    if not ids:
        return {}
    return dict(conn.execute(
        f"SELECT document_id, text FROM document_texts WHERE document_id IN ({','.join('?' * len(ids))})", ids))


def titles_by_id(conn: sqlite3.Connection, ids: list[int]) -> dict[int, str]:
    """题名 (the file name when there is none) of each of ``ids``."""
    if not ids:
        return {}
    return dict(conn.execute(
        f"SELECT id, coalesce(title, filename, '') FROM documents WHERE id IN ({','.join('?' * len(ids))})", ids))
