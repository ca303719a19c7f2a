"""What imports write and check (a transfer package, an older program's catalogue): the import journal,
the 档号 and files already in the catalog, and the bulk-commit mode of a long import. The only place their
SQL is written (docs/architecture.md).
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager


# ---- the import journal (a package import a crash interrupted is finished by running it again) ----------
def open_journal(conn: sqlite3.Connection, kind: str, source: str) -> sqlite3.Row | None:
    """The latest unfinished import of this kind from this source."""
    return conn.execute("SELECT * FROM import_journal WHERE kind=? AND source=? AND finished_at IS NULL "
                        "ORDER BY id DESC", (kind, source)).fetchone()


def start_journal(conn: sqlite3.Connection, kind: str, source: str, at: str, planned: int) -> int:
    cur = conn.execute("INSERT INTO import_journal(kind, source, started_at, planned) VALUES (?,?,?,?)",
                       (kind, source, at, planned))
    return cur.lastrowid


def journal_step(conn: sqlite3.Connection, journal_id: int) -> None:
    conn.execute("UPDATE import_journal SET done = done + 1 WHERE id=?", (journal_id,))


def finish_journal(conn: sqlite3.Connection, journal_id: int, at: str, done: int) -> None:
    conn.execute("UPDATE import_journal SET finished_at=?, done=? WHERE id=?", (at, done, journal_id))


def import_events_naming(conn: sqlite3.Connection, text: str) -> list[tuple[int, str]]:
    """(document id, detail) of the import events whose detail contains ``text`` (a package's path)."""
    return conn.execute("SELECT document_id, detail FROM events WHERE action='import' AND detail LIKE ?",
                        (f"%{text}%",)).fetchall()


# ---- what is in the catalog already ---------------------------------------------------------------------
def code_in_use(conn: sqlite3.Connection, code: str) -> bool:
    """Whether a record carries exactly this 档号."""
    return conn.execute("SELECT 1 FROM documents WHERE archival_code=?", (code,)).fetchone() is not None


def archival_codes(conn: sqlite3.Connection) -> list[str]:
    """Every 档号 the catalog holds, as stored."""
    return [r[0] for r in conn.execute("SELECT archival_code FROM documents WHERE archival_code IS NOT NULL")]


def known_sha256(conn: sqlite3.Connection) -> set[str]:
    """The checksums of every file a record has (its own, its further files)."""
    return {r[0] for r in conn.execute(
        "SELECT sha256 FROM documents WHERE sha256 IS NOT NULL UNION SELECT sha256 FROM document_files")}


def next_file_seq(conn: sqlite3.Connection, document_id: int) -> int | None:
    """The seq a record's next file takes: 1 when it has no file yet, else one after its last further file
    (2 when it has none); None when there is no such record."""
    r = conn.execute("SELECT sha256 IS NOT NULL AS has, (SELECT max(seq) FROM document_files f "
                     "WHERE f.document_id = d.id) AS seq FROM documents d WHERE id=?", (document_id,)).fetchone()
    if r is None:
        return None
    return (r["seq"] or 1) + 1 if r["has"] else 1


def warnings_of(conn: sqlite3.Connection, document_id: int, seq: int = 1) -> str | None:
    """The extraction warnings (JSON) of a record's own file (seq 1) or of one of its further files."""
    if seq == 1:
        return conn.execute("SELECT warnings FROM documents WHERE id=?", (document_id,)).fetchone()[0]
    return conn.execute("SELECT warnings FROM document_files WHERE document_id=? AND seq=?",
                        (document_id, seq)).fetchone()[0]


@contextmanager
def bulk(conn: sqlite3.Connection):
    """One fsync per record commit made a 2,000-row import wait on the disk 2,000 times. During the import,
    commits are synced at checkpoints only (WAL stays consistent; a power cut loses at most the last
    records, which a second run imports: what went in is reported as already in the catalog); the
    import ends with a full checkpoint, and the catalog is back to synchronous=FULL."""
    conn.execute("PRAGMA synchronous=NORMAL")
    try:
        yield
    finally:
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA wal_checkpoint(FULL)")
