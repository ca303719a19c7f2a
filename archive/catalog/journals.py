"""Table gateways of the journals: work a crash may interrupt, finished or rolled back by ``Archive.reconcile``.

``store_journal``: a copy into the store this program started (committed before the copy begins), or a
removal from it (purpose ``remove``: a destroyed record's file, written in the destruction's own transaction,
so a kill -9 between that commit and the unlink is finished by the next start);
``inbox_moves``: an original to move out of the inbox once its record is committed (written in the record's
transaction); ``import_journal``: a transfer package being imported.
"""

from __future__ import annotations

import os
import sqlite3


# ---- store_journal ------------------------------------------------------------------------------------------
def journal_copy(conn: sqlite3.Connection, stored_path: str, sha256: str, started_at: str, purpose: str) -> None:
    """A copy into the store is about to start (committed on its own before the copy)."""
    conn.execute("INSERT OR REPLACE INTO store_journal(stored_path, sha256, started_at, pid, purpose) "
                 "VALUES (?,?,?,?,?)", (stored_path, sha256, started_at, os.getpid(), purpose))


def journal_removal(conn: sqlite3.Connection, stored_path: str, started_at: str) -> None:
    """A stored file no record owns any more is to leave the store once this transaction commits (a
    destruction). Reconcile removes it, as a copy left over, if still no record owns it."""
    sha = os.path.basename(stored_path).split(".", 1)[0]
    conn.execute("INSERT OR REPLACE INTO store_journal(stored_path, sha256, started_at, pid, purpose) "
                 "VALUES (?,?,?,?,?)", (stored_path, sha, started_at, os.getpid(), "remove"))


def journalled_copies(conn: sqlite3.Connection) -> list[str]:
    """The stored paths of every copy or removal in flight (or left by a crash)."""
    return [r[0] for r in conn.execute("SELECT stored_path FROM store_journal").fetchall()]


def is_journalled(conn: sqlite3.Connection, stored_path: str) -> bool:
    return conn.execute("SELECT 1 FROM store_journal WHERE stored_path=?", (stored_path,)).fetchone() is not None


def copy_done(conn: sqlite3.Connection, stored_path: str) -> None:
    """The copy is owned by a record now, or rolled back, or the removal done: no longer in flight."""
    conn.execute("DELETE FROM store_journal WHERE stored_path=?", (stored_path,))


# ---- inbox_moves --------------------------------------------------------------------------------------------
def add_inbox_move(conn: sqlite3.Connection, source: str, destination: str, sha256: str,
                   reason: str | None = None) -> None:
    """The original at ``source`` moves to ``destination`` once this transaction commits: the one writer of
    ``inbox_moves`` (a record's ingest, a side outcome: duplicate, refused, failed)."""
    conn.execute("INSERT OR REPLACE INTO inbox_moves(source, destination, sha256, reason) VALUES (?,?,?,?)",
                 (source, destination, sha256, reason))


def inbox_move(conn: sqlite3.Connection, source: str, sha256: str | None = None) -> sqlite3.Row | None:
    """The move planned for ``source`` (of this content, when ``sha256`` is given), or None."""
    if sha256 is None:
        return conn.execute("SELECT * FROM inbox_moves WHERE source=?", (source,)).fetchone()
    return conn.execute("SELECT * FROM inbox_moves WHERE source=? AND sha256=?", (source, sha256)).fetchone()


def inbox_moves(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM inbox_moves").fetchall()


def inbox_move_done(conn: sqlite3.Connection, source: str) -> None:
    conn.execute("DELETE FROM inbox_moves WHERE source=?", (source,))


# ---- import_journal -----------------------------------------------------------------------------------------
def unfinished_imports(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Package imports a crash interrupted (none on a catalog without the journal)."""
    try:
        return conn.execute("SELECT * FROM import_journal WHERE finished_at IS NULL").fetchall()
    except sqlite3.Error:
        return []
