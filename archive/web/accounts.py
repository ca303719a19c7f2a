"""Accounts of the web page: users with one role each, argon2 password hashes, server-side sessions,
and slowing down repeated failed logins. The tables are in the catalog (migration 11).

Roles: 查阅 searches and reads; 文书 files, reviews and corrects; 档案员 does everything archival;
领导 reads, sees the dashboard and the audit list, and approves (appraisal approval lands with that work);
保密员 reads and decides the files the 涉密 gate held (archive/secrecy_queue.py), nothing else.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from archive import catalog
from archive.catalog import users
from archive.errors import UsageError

ROLES = ("查阅", "文书", "档案员", "领导", "保密员")

# what each permission lets a user do, and which roles hold it (checked on the server for every request)
PERMISSIONS = {
    "read": {"查阅", "文书", "档案员", "领导", "保密员"},  # search, record pages, view and download files
    "file": {"文书", "档案员"},                     # upload files into the inbox
    "review": {"文书", "档案员"},                   # accept / exclude pending records, reclassify
    "oversee": {"档案员", "领导"},                  # dashboard, audit list, list of holds
    "archival": {"档案员"},                         # catalogue export, hold / release
    "secrecy": {"保密员"},                          # the queue of files held as possibly 涉密: see, decide
    "secrecy_count": {"保密员", "档案员"},          # how many files wait for the 保密员 (queue page, dashboard)
}

SESSION_SECONDS = 8 * 3600  # one working day
FREE_FAILURES = 3           # failed logins allowed before each further attempt must wait
MAX_WAIT = 300              # seconds


@dataclass
class User:
    id: int | None
    name: str
    role: str
    local: bool = False  # the one local user of a server on 127.0.0.1 without accounts

    def may(self, permission: str) -> bool:
        return self.local or self.role in PERMISSIONS[permission]


_hasher = PasswordHasher()


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64 or any(c in name for c in "/\\\0\r\n\t") or name.startswith("."):
        raise UsageError(f"用户名 “{name}” 无效：1–64 个字符，不含斜杠和控制字符")
    return name


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise UsageError("密码至少 8 个字符")


def has_users(conn: sqlite3.Connection) -> bool:
    return users.any_active(conn)


def add_user(conn: sqlite3.Connection, name: str, role: str, password: str) -> None:
    name = _check_name(name)
    if role not in ROLES:
        raise UsageError(f"角色 “{role}” 无效：应为 {'、'.join(ROLES)}")
    _check_password(password)
    with catalog.transaction(conn):
        if users.id_of(conn, name) is not None:
            raise UsageError(f"用户 “{name}” 已存在：改密码用 archive user passwd {name}")
        users.add(conn, name, role, _hasher.hash(password), catalog.now())
        catalog.append_event(conn, "user-add", None, {"name": name, "role": role})


def _user_id(conn: sqlite3.Connection, name: str) -> int:
    user_id = users.id_of(conn, name)
    if user_id is None:
        raise UsageError(f"没有用户 “{name}”（archive user list 查看）")
    return user_id


def set_password(conn: sqlite3.Connection, name: str, password: str) -> None:
    _check_password(password)
    with catalog.transaction(conn):
        user_id = _user_id(conn, name)
        users.set_password_hash(conn, user_id, _hasher.hash(password), catalog.now())
        users.end_sessions_of(conn, user_id)  # log out everywhere
        catalog.append_event(conn, "user-passwd", None, {"name": name})


def set_disabled(conn: sqlite3.Connection, name: str, disabled: bool) -> None:
    with catalog.transaction(conn):
        user_id = _user_id(conn, name)
        users.set_disabled(conn, user_id, disabled, catalog.now())
        if disabled:
            users.end_sessions_of(conn, user_id)
        catalog.append_event(conn, "user-disable" if disabled else "user-enable", None, {"name": name})


def list_users(conn: sqlite3.Connection) -> list[dict]:
    return users.all_users(conn)


# ---- logging in ------------------------------------------------------------------------------------
def wait_seconds(conn: sqlite3.Connection, name: str, now: float | None = None) -> int:
    """How long the next login attempt for ``name`` must wait (0: may try now)."""
    row = users.failures(conn, name)
    if row is None or row["failures"] < FREE_FAILURES:
        return 0
    wait = min(MAX_WAIT, 5 * 2 ** (row["failures"] - FREE_FAILURES))
    left = row["last_at"] + wait - (now if now is not None else time.time())
    return max(0, int(left + 0.999))


def authenticate(conn: sqlite3.Connection, name: str, password: str) -> User | None:
    """The user when name and password match; records a failure otherwise. Call wait_seconds first."""
    row = users.active_user(conn, name)
    ok = False
    try:
        if row is not None:
            ok = _hasher.verify(row["password_hash"], password)
        else:
            _hasher.hash(password)  # the same work for an unknown name: no hint that it does not exist
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    users.note_login(conn, name, ok, time.time())
    return User(row["id"], row["name"], row["role"]) if ok else None


def new_session(conn: sqlite3.Connection, user: User) -> str:
    sid = secrets.token_urlsafe(32)
    t = time.time()
    users.add_session(conn, sid, user.id, t, t + SESSION_SECONDS)
    return sid


def session_user(conn: sqlite3.Connection, sid: str | None) -> User | None:
    if not sid:
        return None
    row = users.session_user(conn, sid, time.time())
    return User(row["id"], row["name"], row["role"]) if row else None


def end_session(conn: sqlite3.Connection, sid: str | None) -> None:
    if sid:
        users.end_session(conn, sid)
