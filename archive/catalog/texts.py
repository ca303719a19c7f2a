"""Table gateway of ``document_texts`` (a record's full text, indexed by the FTS5 triggers) and
``document_pages`` (how each page's text was read)."""

from __future__ import annotations

import hashlib
import sqlite3


def text_digest(text: str | None) -> str:
    """SHA-256 of a record's text as stored (its seal: ``documents.text_sha256``, migration 14)."""
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


def seal_text(conn: sqlite3.Connection, document_id: int) -> None:
    """Record the checksum of the record's text as it now stands on its row (``text_sha256``, sealed by the
    record's digest): every write of a text calls it, so the next event of the same unit of work seals the
    text with the rest of the record (catalog.record_digest), and ``verify`` finds a text changed behind the
    program's back."""
    try:
        conn.execute("UPDATE documents SET text_sha256=? WHERE id=?",
                     (text_digest(text_of(conn, document_id)), document_id))
    except sqlite3.OperationalError as e:
        if "text_sha256" not in str(e):
            raise
        # a catalog of a schema before 14 (written by a migration's step or a test of one): migration 14 fills it


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


def set_text(conn: sqlite3.Connection, document_id: int, text: str) -> None:
    """A record's whole text (its file attached later: 全文挂接)."""
    conn.execute("INSERT OR REPLACE INTO document_texts(document_id, text) VALUES (?,?)", (document_id, text))
    seal_text(conn, document_id)


def append_text(conn: sqlite3.Connection, document_id: int, text: str) -> None:
    """Text of a further file, after the record's own, so the record is found by it."""
    conn.execute("UPDATE document_texts SET text = text || ? WHERE document_id=?", (text, document_id))
    seal_text(conn, document_id)


def all_text_digests(conn: sqlite3.Connection) -> dict[int, str]:
    """{id: SHA-256 of its text} of every record (its text or "" when it has no text row)."""
    return {r[0]: text_digest(r[1]) for r in conn.execute(
        "SELECT d.id, t.text FROM documents d LEFT JOIN document_texts t ON t.document_id = d.id")}


def add_pages(conn: sqlite3.Connection, document_id: int, confidences: list[float | None]) -> None:
    """How each page's text was obtained (None: its text layer; else the OCR confidence), kept only when
    some page was read by OCR."""
    if any(c is not None for c in confidences):
        conn.executemany(
            "INSERT INTO document_pages(document_id, page, method, confidence) VALUES (?,?,?,?)",
            [(document_id, i + 1, "text-layer" if c is None else "ocr", c) for i, c in enumerate(confidences)])


def ocr_pages(conn: sqlite3.Connection, document_id: int) -> list[dict]:
    """Per page: how its text was obtained and, for OCR, the confidence (empty without OCR)."""
    return [dict(r) for r in conn.execute(
        "SELECT page, method, confidence FROM document_pages WHERE document_id=? ORDER BY page", (document_id,))]
