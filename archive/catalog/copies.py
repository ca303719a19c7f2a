"""A catalog file read as a whole, outside an open archive: a snapshot for a backup, a look into a catalog
before it is opened, what can still be read from a damaged one (archive recover). Read-only: a file looked
at here is never changed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path


def _open_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{Path(path).absolute().as_posix()}?mode=ro", uri=True, timeout=30)


def peek(path: Path) -> tuple[int, set[str]]:
    """(number of records, journalled in-flight copies) of the catalog at ``path`` (a table not there yet
    counts as empty). Raises sqlite3.Error when it is no database."""
    conn = _open_ro(path)
    try:
        try:
            documents = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        except sqlite3.OperationalError as e:
            if "no such table" not in str(e):
                raise
            documents = 0
        try:
            journalled = {r[0] for r in conn.execute("SELECT stored_path FROM store_journal")}
        except sqlite3.OperationalError:
            journalled = set()
        return documents, journalled
    finally:
        conn.close()


def holds_records(path: Path) -> bool:
    """Whether ``path`` is a catalog that opens, passes SQLite's quick check and holds records."""
    try:
        conn = _open_ro(path)
        try:
            if conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0:
                return False
            return conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def salvage(path: Path) -> tuple[dict[str, dict], dict[int, str]]:
    """Rows (by sha256) and last sealed digests (by document id) that can still be read from a damaged
    catalog; empty when nothing can."""
    rows: dict[str, dict] = {}
    digests: dict[int, str] = {}
    try:
        conn = _open_ro(path)
    except sqlite3.Error:
        return rows, digests
    conn.row_factory = sqlite3.Row
    try:
        try:
            for r in conn.execute("SELECT document_id, detail FROM events WHERE document_id IS NOT NULL ORDER BY id"):
                try:
                    d = json.loads(r["detail"]).get("digest")
                except (ValueError, AttributeError):
                    continue
                if d:
                    digests[r["document_id"]] = d
        except sqlite3.Error:
            pass
        try:
            for r in conn.execute("SELECT * FROM documents"):
                if r["sha256"]:
                    rows[r["sha256"]] = dict(r)
        except sqlite3.Error:
            pass
    finally:
        conn.close()
    return rows, digests


def snapshot(conn: sqlite3.Connection, dest: Path) -> None:
    """Copy the catalog behind ``conn`` to a new file ``dest`` (SQLite's online backup)."""
    dst = sqlite3.connect(dest)
    try:
        conn.backup(dst)
    finally:
        dst.close()


def snapshot_contents(path: Path, referenced_files) -> tuple[dict[str, str], int, int, int]:
    """(stored files it refers to, with their SHA-256; records; events; schema version) of a snapshot."""
    conn = sqlite3.connect(path)
    try:
        stored = referenced_files(conn)
        documents = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        schema = conn.execute("PRAGMA user_version").fetchone()[0]
        return stored, documents, events, schema
    finally:
        conn.close()


def checkpoint(conn: sqlite3.Connection) -> None:
    """Write the WAL into the catalog file and empty it (before the file is renamed into place)."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def look(path: Path, actions: tuple[str, ...] = ()) -> dict:
    """A look into a catalog without opening (or migrating) it, for a health check: its schema version, its
    records, and the newest event of each of ``actions`` ({ts, detail} or None). Raises sqlite3.Error when it
    is no database."""
    from archive.catalog.events import last_event

    conn = _open_ro(path)
    conn.row_factory = sqlite3.Row
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        documents = conn.execute("SELECT count(*) FROM documents").fetchone()[0] if version else 0
        last = {action: last_event(conn, action) if version else None for action in actions}
        return {"version": version, "documents": documents, "last": last}
    finally:
        conn.close()
