"""The catalog reads of search (archive/search.py holds no SQL; the 发文字号 key lookup is catalog.docno_matches)."""

from __future__ import annotations

import sqlite3


def doc_numbers(conn: sqlite3.Connection, ids: list[int]) -> dict[int, str | None]:
    """The catalogued 发文字号 of each of ``ids``."""
    if not ids:
        return {}
    return dict(conn.execute(
        f"SELECT id, doc_number FROM documents WHERE id IN ({','.join('?' * len(ids))})", ids))


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
