"""The web accounts' gateway: ``users``, ``web_sessions`` and ``login_failures`` (migration 11). The only
place their SQL is written (docs/architecture.md); the rules (roles, password checks, waits) are in
``archive.web.accounts``.

These tables hold no record of the archive: their writes are short transactions of their own, not units of
work under the archive's write lock (a login must not wait for an ingest).
"""

from __future__ import annotations

import sqlite3

from archive import catalog


def any_active(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM users WHERE disabled = 0 LIMIT 1").fetchone() is not None


def id_of(conn: sqlite3.Connection, name: str) -> int | None:
    row = conn.execute("SELECT id FROM users WHERE name=?", (name,)).fetchone()
    return row["id"] if row else None


def active_user(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    """The user of this name with the password hash, unless disabled."""
    return conn.execute("SELECT * FROM users WHERE name=? AND disabled=0", (name,)).fetchone()


def all_users(conn: sqlite3.Connection) -> list[dict]:
    return [dict(r) for r in conn.execute("SELECT name, role, disabled, created_at FROM users ORDER BY id")]


def add(conn: sqlite3.Connection, name: str, role: str, password_hash: str, at: str) -> None:
    conn.execute("INSERT INTO users(name, role, password_hash, created_at, updated_at) VALUES (?,?,?,?,?)",
                 (name, role, password_hash, at, at))


def set_password_hash(conn: sqlite3.Connection, user_id: int, password_hash: str, at: str) -> None:
    conn.execute("UPDATE users SET password_hash=?, updated_at=? WHERE id=?", (password_hash, at, user_id))


def set_disabled(conn: sqlite3.Connection, user_id: int, disabled: bool, at: str) -> None:
    conn.execute("UPDATE users SET disabled=?, updated_at=? WHERE id=?", (int(disabled), at, user_id))


# ---- sessions and failed logins ------------------------------------------------------------------------------
def end_sessions_of(conn: sqlite3.Connection, user_id: int) -> None:
    conn.execute("DELETE FROM web_sessions WHERE user_id=?", (user_id,))


def add_session(conn: sqlite3.Connection, sid: str, user_id: int, now: float, expires: float) -> None:
    """A new session; sessions expired by ``now`` go in the same transaction."""
    with catalog.transaction(conn):
        conn.execute("DELETE FROM web_sessions WHERE expires_at < ?", (now,))
        conn.execute("INSERT INTO web_sessions(id, user_id, created_at, expires_at) VALUES (?,?,?,?)",
                     (sid, user_id, now, expires))


def session_user(conn: sqlite3.Connection, sid: str, now: float) -> sqlite3.Row | None:
    """(id, name, role) of the enabled user of an unexpired session."""
    return conn.execute("SELECT u.id, u.name, u.role FROM web_sessions s JOIN users u ON u.id = s.user_id "
                        "WHERE s.id=? AND s.expires_at > ? AND u.disabled = 0", (sid, now)).fetchone()


def end_session(conn: sqlite3.Connection, sid: str) -> None:
    conn.execute("DELETE FROM web_sessions WHERE id=?", (sid,))


# A failed login is kept under a key: "<source>\x1f<name>" for one source's failures at one name, and
# "\x1f<name>" for the failures at a name from every source. The table holds at most ``cap`` keys: the oldest
# go when it would hold more, so random names fill nothing (issue 23).
SEP = "\x1f"


def failures(conn: sqlite3.Connection, key: str) -> sqlite3.Row | None:
    """(failures, last_at) of the failed logins under ``key`` since its last success."""
    return conn.execute("SELECT failures, last_at FROM login_failures WHERE name=?", (key,)).fetchone()


def note_failure(conn: sqlite3.Connection, keys: list[str], now: float, cap: int, quiet: float) -> None:
    """One more failure under each key (counting from 1 again after ``quiet`` seconds without one); then the
    oldest keys beyond ``cap`` are dropped."""
    with catalog.transaction(conn):
        add_failures(conn, keys, now, cap, quiet)


def add_failures(conn: sqlite3.Connection, keys: list[str], now: float, cap: int, quiet: float) -> None:
    """``note_failure`` inside the caller's transaction (a login attempt counted before its password is checked)."""
    for key in keys:
        conn.execute("INSERT INTO login_failures(name, failures, last_at) VALUES (?,1,?) "
                     "ON CONFLICT(name) DO UPDATE SET failures = CASE WHEN excluded.last_at - last_at > ? "
                     "THEN 1 ELSE failures + 1 END, last_at=excluded.last_at", (key, now, quiet))
    conn.execute("DELETE FROM login_failures WHERE name IN (SELECT name FROM login_failures "
                 "ORDER BY last_at DESC, rowid DESC LIMIT -1 OFFSET ?)", (cap,))


def clear_failures(conn: sqlite3.Connection, keys: list[str]) -> None:
    with catalog.transaction(conn):
        for key in keys:
            conn.execute("DELETE FROM login_failures WHERE name=?", (key,))


def clear_failures_of_name(conn: sqlite3.Connection, name: str) -> None:
    """Every failure kept for ``name``, from every source (a new password, an account enabled again)."""
    conn.execute("DELETE FROM login_failures WHERE name = ? OR substr(name, -?) = ?",
                 (SEP + name, len(SEP + name), SEP + name))


def count_failures(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM login_failures").fetchone()[0]
