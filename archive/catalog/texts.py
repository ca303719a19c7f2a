"""Table gateway of ``document_texts`` (a record's full text, indexed by the FTS5 triggers) and
``document_pages`` (how each page's text was read)."""

from __future__ import annotations

import sqlite3


def text_of(conn: sqlite3.Connection, document_id: int, limit: int | None = None) -> str:
    """A record's text (its first ``limit`` characters), "" when it has none."""
    if limit is None:
        row = conn.execute("SELECT text FROM document_texts WHERE document_id=?", (document_id,)).fetchone()
    else:
        row = conn.execute("SELECT substr(text, 1, ?) FROM document_texts WHERE document_id=?",
                           (limit, document_id)).fetchone()
    return (row[0] if row else "") or ""


def texts_of(conn: sqlite3.Connection, ids: list[int]) -> dict[int, str]:
    """{id: text} of these records (those with a text)."""
    out: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out.update(conn.execute(f"SELECT document_id, text FROM document_texts WHERE document_id IN "
                                f"({','.join('?' * len(chunk))})", chunk))
    return out
