"""What exports read (the transfer package, the 归档文件目录, a record's files, the web page's lists): the only
place their SQL is written (docs/architecture.md).

``fonds``: the 全宗 a query serves; None (every caller today: one catalog holds one 全宗) reads them all.
"""

from __future__ import annotations

import sqlite3


def _fonds(fonds: str | None, column: str = "fonds") -> tuple[str, list]:
    return (f" AND {column}=?", [fonds]) if fonds is not None else ("", [])


def archived_records(conn: sqlite3.Connection, fonds: str | None = None) -> list[sqlite3.Row]:
    """Archived records with a 档号, in 档号 order (a package picks its 年度 from the 档号's own parts)."""
    extra, args = _fonds(fonds)
    return conn.execute("SELECT * FROM documents WHERE status='archived' AND archival_code IS NOT NULL"
                        f"{extra} ORDER BY archival_code", args).fetchall()


def catalogued_records(conn: sqlite3.Connection, fonds: str | None = None) -> list[sqlite3.Row]:
    """Records a 归档文件目录 lists: archived or destroyed, with a 档号 (unordered: the catalogue sorts)."""
    extra, args = _fonds(fonds)
    return conn.execute("SELECT * FROM documents WHERE archival_code IS NOT NULL AND status IN "
                        f"('archived','destroyed'){extra}", args).fetchall()


def texts(conn: sqlite3.Connection, ids: list[int]) -> dict[int, str]:
    """document id -> extracted text, for these records."""
    out: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out.update(conn.execute("SELECT document_id, text FROM document_texts WHERE document_id IN "
                                f"({','.join('?' * len(chunk))})", chunk).fetchall())
    return out


def text_of(conn: sqlite3.Connection, document_id: int) -> str | None:
    """A record's extracted text, or None when it has no text row."""
    row = conn.execute("SELECT text FROM document_texts WHERE document_id=?", (document_id,)).fetchone()
    return row["text"] if row else None


def stored_further_files(conn: sqlite3.Connection, document_id: int) -> list[sqlite3.Row]:
    """A record's further files that are attached and still in the store (not destroyed), in order."""
    return conn.execute("SELECT * FROM document_files WHERE document_id=? AND stored_path IS NOT NULL "
                        "AND detached_at IS NULL ORDER BY seq", (document_id,)).fetchall()


def further_file(conn: sqlite3.Connection, document_id: int, seq: int) -> sqlite3.Row | None:
    """One attached further file of a record (destroyed ones have no stored_path)."""
    return conn.execute("SELECT * FROM document_files WHERE document_id=? AND seq=? AND detached_at IS NULL",
                        (document_id, seq)).fetchone()


DISTINCT_COLUMNS = ("year", "doc_type")


def distinct_values(conn: sqlite3.Connection, column: str, limit: int = 200) -> list:
    """The values a column takes (a filter menu's choices), highest first."""
    if column not in DISTINCT_COLUMNS:
        raise ValueError(column)
    return [r[0] for r in conn.execute(f"SELECT DISTINCT {column} FROM documents WHERE {column} IS NOT NULL "
                                       f"ORDER BY {column} DESC LIMIT ?", (limit,))]


def catalog_file(conn: sqlite3.Connection) -> str:
    """The path of the catalog file this connection reads (a cache key)."""
    return str(conn.execute("PRAGMA database_list").fetchone()[2])


def browse(conn: sqlite3.Connection, where: str, args: list, limit: int, offset: int) -> tuple[int, list]:
    """(how many records pass a filter on ``d``, the newest of them): a search without words."""
    total = conn.execute(f"SELECT count(*) FROM documents d WHERE {where}", args).fetchone()[0]
    rows = conn.execute(f"SELECT * FROM documents d WHERE {where} ORDER BY d.id DESC LIMIT ? OFFSET ?",
                        [*args, limit, offset]).fetchall()
    return total, rows
