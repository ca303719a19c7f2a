"""Table gateway of the stored files a record owns: its own file (``documents``), its further files
(``document_files``, seq 2, 3, …, taken off (detached) or not) and its scan's searchable PDF."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def kept_file(conn: sqlite3.Connection, document_id: int, sha256: str):
    """A file with this content once taken off the record and kept there (detach --keep), or None."""
    return conn.execute("SELECT * FROM document_files WHERE document_id=? AND sha256=? AND detached_at IS NOT NULL",
                        (document_id, sha256)).fetchone()


def is_further_file(conn: sqlite3.Connection, sha256: str) -> bool:
    """Whether a file with this content is one of some record's further files (not taken off)."""
    return conn.execute("SELECT 1 FROM document_files WHERE sha256=? AND detached_at IS NULL",
                        (sha256,)).fetchone() is not None


def referenced_files(conn: sqlite3.Connection) -> dict[str, str]:
    """Every store file the catalog refers to, with its SHA-256: a record's file, its further files
    (document_files) and a scan's searchable PDF (named by its own checksum). Reconcile, verify, backup
    and destroy all work from this one list."""
    out = {r[0]: r[1] for r in conn.execute(
        "SELECT stored_path, sha256 FROM documents WHERE stored_path IS NOT NULL "
        "UNION ALL SELECT stored_path, sha256 FROM document_files WHERE stored_path IS NOT NULL")}
    for (rel,) in conn.execute("SELECT searchable_path FROM documents WHERE searchable_path IS NOT NULL"):
        out[rel] = Path(rel).name.split(".")[0]
    return out


def owner_of(conn: sqlite3.Connection, sha256: str) -> sqlite3.Row | None:
    """The record that owns a stored file with this content, whichever way: its own file, one of its
    further files (document_files) or its scan's searchable PDF. A stored file has exactly one owner,
    so a new file identical to any of them is a duplicate."""
    row = conn.execute("SELECT * FROM documents WHERE sha256=?", (sha256,)).fetchone()
    if row is None:
        row = conn.execute("SELECT d.* FROM document_files f JOIN documents d ON d.id = f.document_id "
                           "WHERE f.sha256=?", (sha256,)).fetchone()
    if row is None:
        # a searchable PDF is stored as a pdf under its own checksum (pipeline._put_searchable)
        row = conn.execute("SELECT * FROM documents WHERE searchable_path=?",
                           (f"files/{sha256[:2]}/{sha256}.pdf",)).fetchone()
    return row


def files_of(conn: sqlite3.Connection, document_id: int) -> list[str]:
    """The store files of one record (its file, further files, searchable PDF)."""
    row = conn.execute("SELECT stored_path, searchable_path FROM documents WHERE id=?", (document_id,)).fetchone()
    rels = [r for r in (row["stored_path"], row["searchable_path"]) if r] if row else []
    rels += [r[0] for r in conn.execute("SELECT stored_path FROM document_files WHERE document_id=? AND "
                                        "stored_path IS NOT NULL ORDER BY seq", (document_id,))]
    return rels


def further_files(conn: sqlite3.Connection, document_id: int, *, detached: bool = False) -> list[sqlite3.Row]:
    """A record's further files (seq 2, 3, …) with their roles, in order; ``detached``: also those a person took
    off it (archive detach), which are still listed here."""
    return conn.execute("SELECT * FROM document_files WHERE document_id=? "
                        f"{'' if detached else 'AND detached_at IS NULL '}ORDER BY seq", (document_id,)).fetchall()
