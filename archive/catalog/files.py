"""Table gateway of ``document_files``: a record's further files (seq 2, 3, …), taken off (detached) or not."""

from __future__ import annotations

import sqlite3


def kept_file(conn: sqlite3.Connection, document_id: int, sha256: str):
    """A file with this content once taken off the record and kept there (detach --keep), or None."""
    return conn.execute("SELECT * FROM document_files WHERE document_id=? AND sha256=? AND detached_at IS NOT NULL",
                        (document_id, sha256)).fetchone()


def is_further_file(conn: sqlite3.Connection, sha256: str) -> bool:
    """Whether a file with this content is one of some record's further files (not taken off)."""
    return conn.execute("SELECT 1 FROM document_files WHERE sha256=? AND detached_at IS NULL",
                        (sha256,)).fetchone() is not None
