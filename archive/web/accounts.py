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
from concurrent.futures import ThreadPoolExecutor
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
FREE_FAILURES = 3           # failed logins from one source at one name before its further attempts must wait
MAX_WAIT = 300              # seconds
NAME_FREE_FAILURES = 10     # failures at a name from all sources before every attempt at it is slowed
NAME_DELAY = 2.0            # seconds an attempt at such a name is slowed (never refused: issue 23)
QUIET_SECONDS = 3600        # failures older than this, with none since, are forgotten
FAILURE_KEYS = 10_000       # the most (source, name) keys the failed logins keep; the oldest go first
HASHES_AT_ONCE = 2          # argon2 threads of this process (each holds its memory_cost while it hashes)


@dataclass
class User:
    id: int | None
    name: str
    role: str
    local: bool = False  # the one local user of a server on 127.0.0.1 without accounts

    def may(self, permission: str) -> bool:
        return self.local or self.role in PERMISSIONS[permission]


# RFC 9106 / OWASP second choice: 19 MiB, 2 passes, 1 lane. Hashes made with other parameters (the library's
# 64 MiB default before issue 23) still verify, with their own, and are made again at the next login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Every argon2 computation runs in these few threads: 40 logins at once in 40 pool threads took 40 × 64 MiB,
# and each thread's malloc arena kept its share after the hash (issue 23: 50 MB to 2.2 GB).
_hash_threads = ThreadPoolExecutor(max_workers=HASHES_AT_ONCE, thread_name_prefix="argon2")


def _in_hash_thread(fn, *args):
    return _hash_threads.submit(fn, *args).result()


_dummy: str | None = None


def _dummy_hash() -> str:
    """The hash an unknown name's password is checked against: the same work as for a user, no per-name state."""
    global _dummy
    if _dummy is None:
        _dummy = _in_hash_thread(_hasher.hash, secrets.token_urlsafe(16))
    return _dummy


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
        new_hash = _in_hash_thread(_hasher.hash, password)
        users.add(conn, name, role, new_hash, catalog.now())
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
        new_hash = _in_hash_thread(_hasher.hash, password)
        users.set_password_hash(conn, user_id, new_hash, catalog.now())
        users.end_sessions_of(conn, user_id)  # log out everywhere
        users.clear_failures_of_name(conn, name)  # a stranger's failures no longer slow the new password
        catalog.append_event(conn, "user-passwd", None, {"name": name})


def set_disabled(conn: sqlite3.Connection, name: str, disabled: bool) -> None:
    with catalog.transaction(conn):
        user_id = _user_id(conn, name)
        users.set_disabled(conn, user_id, disabled, catalog.now())
        if disabled:
            users.end_sessions_of(conn, user_id)
        else:
            users.clear_failures_of_name(conn, name)
        catalog.append_event(conn, "user-disable" if disabled else "user-enable", None, {"name": name})


def list_users(conn: sqlite3.Connection) -> list[dict]:
    return users.all_users(conn)


# ---- logging in ------------------------------------------------------------------------------------
def _keys(source: str, name: str) -> tuple[str, str]:
    """The failure keys of one attempt: (this source at this name, this name from every source)."""
    name = name[:64]
    return f"{source[:64]}{users.SEP}{name}", f"{users.SEP}{name}"


def wait_seconds(conn: sqlite3.Connection, name: str, source: str = "", now: float | None = None) -> int:
    """How long the next login attempt at ``name`` from ``source`` must wait (0: may try now). Only the
    failures of this source count: a stranger elsewhere never makes the real user wait (issue 23)."""
    row = users.failures(conn, _keys(source, name)[0])
    if row is None or row["failures"] < FREE_FAILURES:
        return 0
    wait = min(MAX_WAIT, 5 * 2 ** min(row["failures"] - FREE_FAILURES, 16))
    left = row["last_at"] + wait - (now if now is not None else time.time())
    return max(0, int(left + 0.999))


def reserve(conn: sqlite3.Connection, name: str, source: str = "") -> int:
    """``wait_seconds``, and when the attempt may go on (0), the attempt counted now as a failure of this
    source at this name, in the same write transaction: concurrent attempts, in this server process or another
    (``[web] workers``), each see the ones before, so no more than FREE_FAILURES pass before the waits begin
    (issue 29). ``authenticate(..., reserved=True)`` then clears it on success."""
    with catalog.transaction(conn):
        wait = wait_seconds(conn, name, source)
        if not wait:
            users.add_failures(conn, [_keys(source, name)[0]], time.time(), FAILURE_KEYS, QUIET_SECONDS)
    return wait


def slow_seconds(conn: sqlite3.Connection, name: str) -> float:
    """How long an attempt at ``name`` is slowed because of failures from all sources together: a delay,
    never a refusal, so the right password from a source without failures always logs in."""
    row = users.failures(conn, _keys("", name)[1])
    if row is None or row["failures"] < NAME_FREE_FAILURES or time.time() - row["last_at"] > QUIET_SECONDS:
        return 0.0
    return NAME_DELAY


def authenticate(conn: sqlite3.Connection, name: str, password: str, source: str = "", *,
                 reserved: bool = False) -> User | None:
    """The user when name and password match; records a failure under (source, name) and the name otherwise.
    Exactly one argon2 verification per attempt, against a fixed dummy hash for an unknown name, so the
    time does not tell whether a name exists; at most HASHES_AT_ONCE run at one time. Call wait_seconds first,
    or ``reserve`` (``reserved``: the failure under (source, name) is already counted)."""
    row = users.active_user(conn, name)
    stored = row["password_hash"] if row is not None else _dummy_hash()

    def check() -> tuple[bool, str | None]:
        try:
            ok = _hasher.verify(stored, password) and row is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, None
        return ok, (_hasher.hash(password) if ok and _hasher.check_needs_rehash(stored) else None)

    ok, new_hash = _in_hash_thread(check)
    keys = list(_keys(source, name))
    if ok:
        users.clear_failures(conn, keys[:1])  # this source's; the name's fade after QUIET_SECONDS or a new password
        if new_hash:
            with catalog.transaction(conn):
                users.set_password_hash(conn, row["id"], new_hash, catalog.now())
    else:
        users.note_failure(conn, keys[1:] if reserved else keys, time.time(), FAILURE_KEYS, QUIET_SECONDS)
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
