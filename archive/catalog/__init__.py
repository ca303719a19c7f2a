"""The catalog: SQLite, the source of truth (docs/architecture.md).

Holds every document's metadata, classification, extracted text and checksum, the 件号 sequences,
and an append-only, hash-chained event log. WAL mode so searches read while ingest writes; foreign
keys on; a schema version with forward migrations.

This module opens the catalog (``connect``, ``probe``, migrations, ``transaction``), writes a record (the one
write path: ``insert_record``, ``update_record``, ``attach_file`` …) and appends to the event log. The table
gateways beside it (``records``, ``texts``, ``files``, ``events``, ``journals``, ``sequences``, ``dispositions``,
``copies``) hold every other query; their functions are re-exported here, so a caller writes ``catalog.<name>``.
SQL is written only in this package, ``schema.py`` and ``index/``.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import os
import pwd
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from archive import display
from archive.errors import StoreError
from archive.index import bigrams
# the tables (migrations) and the declared columns of a record; RECORD_KEYS and SEALED_COLUMNS are read from here
from archive.schema import (_MIGRATIONS, BY_NAME, CLASSIFICATION, RECORD_KEYS,  # noqa: F401
                            ELEMENT_COLUMNS, SCHEMA_VERSION, SEALED_COLUMNS)

# the table gateways (one module per table or journal); every name stays importable as ``catalog.<name>``
from archive.catalog.copies import checkpoint, holds_records, look, peek, salvage, snapshot  # noqa: F401
from archive.catalog.copies import snapshot_contents as _snapshot_contents
from archive.catalog.dispositions import (active_holds, add_disposition, add_hold,  # noqa: F401
                                          appraisals_destroying, destroyed_without_appraisal,
                                          destruction_pending, extended_ids, is_held, next_batch, release_hold)
from archive.catalog.events import (chain_head, event_at, event_rows, events_for, events_with_hash, last_event,  # noqa: F401
                                    former_code, last_change, record_digests)
from archive.catalog.files import (files_of, further_files, is_further_file, kept_file, owner_of,  # noqa: F401
                                   referenced_files)
from archive.catalog.journals import (add_inbox_move, copy_done, inbox_move, inbox_move_done,  # noqa: F401
                                      inbox_moves, is_journalled, journal_copy, journal_removal,
                                      journalled_copies,
                                      unfinished_imports)
from archive.catalog.records import _add_doc_number_keys  # noqa: F401
from archive.catalog.records import (all_records, any_indexed, by_archival_code, by_sha256,  # noqa: F401
                                     codes_of_year, corrected_fields, corrected_of, count_documents, count_events, count_pending,
                                     docno_matches, due_candidates, get_record, in_item, list_documents, live_by_doc_number,
                                     live_by_flat_title, live_titles_in, mark_indexed, mark_unindexed, pages_of,
                                     pending_records, record_ids, records, records_between, set_doc_number_keys,
                                     stats, status_of, suggested_records, unindexed_ids)
from archive.catalog.sequences import all_sequences, last_item, next_item, raise_sequence  # noqa: F401
from archive.catalog.texts import (add_pages, all_text_digests, append_text, ocr_pages, seal_text,  # noqa: F401
                                   set_text, text_digest, text_of, texts_of)

GENESIS = "0" * 64


def now() -> str:
    return display.now().isoformat(timespec="seconds")  # with the agency's offset ([agency] timezone)


_ACTING_AS: contextvars.ContextVar[str | None] = contextvars.ContextVar("archive_actor", default=None)


@contextmanager
def acting_as(name: str):
    """Events appended inside this block name ``name`` as their actor (a web user), not the OS user."""
    token = _ACTING_AS.set(name)
    try:
        yield
    finally:
        _ACTING_AS.reset(token)


_operator: str | None = None  # ``--operator NAME``: who says they act, recorded as declared


def set_operator(name: str | None) -> None:
    """The person a clerk declares to act for this command (``--operator``); recorded beside the account."""
    global _operator
    _operator = name


def actor() -> str:
    """Who acts, for the event log: the operating-system account this process runs as (from the kernel's
    uid, never from LOGNAME/USER, which anyone can set), plus the operator named with ``--operator``, shown
    as a declaration: ``root（操作人声明：王局长）``."""
    if (who := _ACTING_AS.get()) is not None:  # a web user, authenticated by the web page
        return who
    try:
        account = pwd.getpwuid(os.getuid()).pw_name
    except (KeyError, OSError):  # a uid without a passwd entry (some containers)
        account = f"uid {os.getuid()}"
    return f"{account}（操作人声明：{_operator}）" if _operator else account


def event_hash(prev_hash: str, ts: str, who: str, action: str, document_id, detail: str) -> str:
    payload = json.dumps([prev_hash, ts, who, action, document_id, detail], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


SQLITE_MAGIC = b"SQLite format 3\x00"


# Catalog files this process has connected to. SQLite's locks are POSIX record locks, which belong to the
# process: closing *any* descriptor of the file drops all of them, so another connection may take the file for
# unused, checkpoint it and delete the WAL under a live writer, whose later commits then vanish. Once a process
# holds a connection, the file is never opened outside SQLite again (probe looks at its size only).
_CONNECTED: set[tuple[int, int]] = set()


def _file_id(path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def probe(path: Path) -> str:
    """What is at ``path`` without opening (so without creating) it: ``missing``, ``empty`` (0 bytes),
    ``garbage`` (not an SQLite header: truncated, overwritten, another file) or ``ok``."""
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is not None and (st.st_dev, st.st_ino) in _CONNECTED:  # read by SQLite alone now (see _CONNECTED)
        return "ok" if st.st_size else "empty"
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return "missing"
    except IsADirectoryError:
        return "garbage"
    except OSError:
        return "garbage"
    if not head:
        return "empty"
    return "ok" if head == SQLITE_MAGIC else "garbage"


def connect(path: Path, create: bool = True) -> sqlite3.Connection:
    """Open (creating and migrating if needed) the catalog at ``path``.

    ``create=False``: never create a file (a read-only command on a store whose catalog is gone must
    not leave a new empty one that hides the loss). One connection may be handed to the watcher's
    thread; it is never used by two threads at once."""
    try:
        target = path if create else f"file:{Path(path).absolute().as_posix()}?mode=rw"
        conn = sqlite3.connect(target, timeout=30, isolation_level=None, check_same_thread=False,
                               uri=not create)
    except sqlite3.Error as e:
        raise StoreError(f"无法打开目录数据库 {path}：{e}") from e
    if (fid := _file_id(path)) is not None:
        _CONNECTED.add(fid)
    try:
        return _setup(conn, path)
    except sqlite3.DatabaseError as e:  # "file is not a database", a damaged page
        conn.close()
        raise StoreError(f"目录数据库 {path} 已损坏，无法读取（{e}）：请用 archive restore 从备份恢复，"
                         "或运行 archive recover 从存储文件重建目录") from e


def _setup(conn: sqlite3.Connection, path: Path) -> sqlite3.Connection:
    conn.row_factory = sqlite3.Row
    # the full-text triggers (migration 9) call it: every connection that writes records needs it
    conn.create_function("bigrams", 1, bigrams, deterministic=True)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    _migrate(conn, path)
    return conn


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(f"目录数据库 {path} 来自更新版本的程序（版本 {version}），请升级本程序")
    pending = sorted(k for k in _MIGRATIONS if k > version)
    if not pending:
        return
    saved = _guarded_copy(conn, path, max(pending)) if version else None
    # a migration may rebuild a table (SQLite's documented 12-step way), which needs foreign keys off;
    # they are checked before each commit instead
    conn.execute("PRAGMA foreign_keys=OFF")
    try:
        # every pending migration in ONE transaction: another process starting meanwhile (a watcher and the web
        # page after an upgrade) waits for the whole upgrade, so it never sees, copies or works on a version
        # between the old release's and ours, and a kill -9 leaves the catalog at the old version or the new
        conn.execute("BEGIN IMMEDIATE")  # executescript() would commit early: run statements one by one
        try:
            for v in pending:
                if conn.execute("PRAGMA user_version").fetchone()[0] >= v:
                    continue  # another process (a watcher and an ingest starting together) did it
                for stmt in _split_sql(_MIGRATIONS[v]):
                    conn.execute(stmt)
                if v in _AFTER_SQL:
                    _AFTER_SQL[v](conn)
                if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                    raise StoreError(f"目录数据库 {path} 升级到版本 {v} 时外键检查失败：请从备份恢复后重试")
                conn.execute(f"PRAGMA user_version={v}")
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("PRAGMA foreign_keys=ON")
    if saved is not None:
        conn.execute("BEGIN IMMEDIATE")
        append_event(conn, "upgrade", None, {"from": version, "to": max(pending), "backup": saved.name,
                                             "sha256": _sha256(saved)})
        conn.execute("COMMIT")


on_upgrade = None  # the command line's notice: a callable taking one line, told where the copy went


def _sha256(path: Path) -> str:
    import hashlib

    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _guarded_copy(conn: sqlite3.Connection, path: Path, target: int) -> Path | None:
    """The copy before an upgrade, taken under the catalog's write lock (BEGIN IMMEDIATE): no other process
    migrates or writes while it is made and checked, so it is one state, of one version. A catalog another process
    is creating (no record, no event yet), or has meanwhile upgraded, needs none."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        empty = version == 0 or not any(conn.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone()
                                        for t in ("documents", "events"))
        saved = None if version >= target or empty else _before_upgrade(conn, path, version, target)
    finally:
        conn.execute("COMMIT")
    return saved


def _before_upgrade(conn: sqlite3.Connection, path: Path, version: int, target: int) -> Path | None:
    """Before a migration changes an existing catalog: a copy of it beside the store (``upgrade-backups/``),
    checked (integrity, version, records and events counted equal) and flushed to disk, or no upgrade at all.
    The stored files are never changed by a migration, so this copy and the store are a whole way back."""
    folder = Path(path).parent / "upgrade-backups"
    if str(path) == ":memory:" or not Path(path).is_file():
        return None
    stamp = display.now().strftime("%Y%m%dT%H%M%S%z")  # the agency's clock, as every name a person reads
    dest = folder / f"catalog-v{version}-{stamp}.sqlite"
    try:
        folder.mkdir(exist_ok=True)
        k = 1
        while dest.exists():
            k += 1
            dest = folder / f"catalog-v{version}-{stamp}-{k}.sqlite"
        part = dest.with_name(dest.name + ".part")
        # ``conn`` holds the write lock: a second connection reads the committed state (WAL) for the copy, as
        # a backup from the locking connection itself would wait on its own lock
        source = sqlite3.connect(path, timeout=30)
        target_conn = sqlite3.connect(part)
        try:
            source.backup(target_conn)
        finally:
            target_conn.close()
            source.close()
        copy = sqlite3.connect(f"file:{part.absolute().as_posix()}?mode=ro", uri=True)
        try:
            same = (copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                    and copy.execute("PRAGMA user_version").fetchone()[0] == version
                    and all(copy.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                            == conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("documents", "events")))
        finally:
            copy.close()
        if not same:
            part.unlink()
            raise StoreError(f"升级目录数据库前的备份核对不通过：未升级，目录保持版本 {version}。请检查磁盘后重试")
        with open(part, "rb") as f:
            os.fsync(f.fileno())
        os.replace(part, dest)
        (folder / "如何退回.txt").write_text(
            "这里是每次升级程序前自动备份的目录数据库（catalog-v<旧版本>-<时间>.sqlite）。\n"
            "升级后如需退回旧版本程序：停止 archive watch 和 archive serve 服务，把 store/catalog.sqlite 改名保存，\n"
            "把要退回的那一份复制为 store/catalog.sqlite（同时删除 store/catalog.sqlite-wal 和 -shm），\n"
            "再安装旧版本程序并启动服务。存储文件（store/files）升级时不会改动，无需恢复。\n"
            "注意：升级之后新归档的文件，在退回后的目录中没有记录，请用 archive verify 查看并重新归档。\n",
            encoding="utf-8")
    except OSError as e:
        raise StoreError(f"升级目录数据库前无法备份到 {folder}（{e.strerror or e}）：未升级。请检查磁盘空间和权限") from e
    if on_upgrade:
        on_upgrade(f"目录数据库将从版本 {version} 升级到 {target}；升级前的目录已备份并核对：{dest}"
                   f"（退回方法见 {folder / '如何退回.txt'}）")
    return dest


def _reseal(conn: sqlite3.Connection) -> None:
    """Migration 14: each record's text checksum on its row, and a ``reseal`` event sealing the row with it,
    for each record whose row still matches its last seal (or has none yet). A row that no longer matches
    keeps its old seal: verify goes on reporting it rather than this upgrade laundering it."""
    last: dict[int, str] = {}
    for r in record_digests(conn):
        d = _json_dict(r["detail"])
        if "digest" in d:
            last[r["document_id"]] = d["digest"]
    digests = all_text_digests(conn)
    for row in conn.execute("SELECT * FROM documents ORDER BY id").fetchall():
        intact = last.get(row["id"]) in (None, record_digest(row))
        conn.execute("UPDATE documents SET text_sha256=? WHERE id=?", (digests[row["id"]], row["id"]))
        if intact:
            append_event(conn, "reseal", row["id"], {"reason": "升级：记录的封存摘要扩展到全文（目录版本 14）"})


def _json_dict(detail: str) -> dict:
    try:
        d = json.loads(detail)
    except ValueError:
        return {}
    return d if isinstance(d, dict) else {}


def _widen_file_roles(conn: sqlite3.Connection, version: int = 22, old: str = "'附件','其他格式')",
                      new: str = "'附件','其他格式','版式副本')") -> None:
    """Migration 22: document_files' role CHECK admits 版式副本 (25: 处理单, archive/oa_package.py). The table is
    rebuilt from its own CREATE text (whatever columns it has by now), its rows copied whole, its triggers and
    indexes made again."""
    create = conn.execute("SELECT sql FROM sqlite_master WHERE type='table' AND name='document_files'").fetchone()[0]
    if old not in create:
        raise StoreError(f"目录数据库升级到版本 {version} 时找不到 document_files 的角色约束：请从备份恢复后重试")
    extras = [r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE tbl_name='document_files' "
                                         "AND type IN ('trigger','index') AND sql IS NOT NULL")]
    temp = f"document_files_v{version}"
    conn.execute(create.replace(old, new, 1).replace("document_files", temp, 1))
    conn.execute(f"INSERT INTO {temp} SELECT * FROM document_files")
    conn.execute("DROP TABLE document_files")
    conn.execute(f"ALTER TABLE {temp} RENAME TO document_files")
    for sql in extras:
        conn.execute(sql)


def _widen_for_forms(conn: sqlite3.Connection) -> None:
    """Migration 25: the role 处理单 (an OA package's 收文/发文处理单)."""
    _widen_file_roles(conn, 25, "'其他格式','版式副本')", "'其他格式','版式副本','处理单')")


_AFTER_SQL = {14: _reseal, 22: _widen_file_roles, 25: _widen_for_forms}  # Python steps of a migration, run in its transaction after its SQL


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (BEGIN … END;) whole."""
    out, buf = [], ""
    for line in script.splitlines():
        line = line.split("--", 1)[0].rstrip() if "--" in line else line.rstrip()
        if not line.strip():
            continue
        buf += line + "\n"
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


# events that mention a record without changing it: they must not re-seal (and so launder) its state
UNSEALED_ACTIONS = ("duplicate",)


def record_digest(row) -> str:
    """SHA-256 of a record's sealed columns; every event about a record carries it (``digest``).
    An old period (``retention_old``, migration 10) and the list of fields a person corrected (``corrected``,
    migration 12) are sealed only where a record has them, so the digests of every other record stay as
    they were."""
    values = [row[k] for k in SEALED_COLUMNS]
    if "retention_old" in row.keys() and row["retention_old"] is not None:
        values.append(row["retention_old"])
    if "corrected" in row.keys() and row["corrected"] is not None:  # migration 12: fields a person corrected
        values.append(["corrected", row["corrected"]])
    if "text_sha256" in row.keys() and row["text_sha256"] is not None:  # migration 14: the record's text
        values.append(["text", row["text_sha256"]])
    keys = row.keys()
    elements = {k: row[k] for k in ELEMENT_COLUMNS if k in keys and row[k] is not None}
    if elements:  # migration 18: 阅办类型, 份号, 印章, 附注
        values.append(["elements", elements])
    payload = json.dumps(values, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@contextmanager
def synchronous(conn: sqlite3.Connection, level: str):
    """``PRAGMA synchronous`` set to ``level`` (NORMAL, FULL) for the block, FULL again after it."""
    if level not in ("OFF", "NORMAL", "FULL"):
        raise ValueError(level)
    conn.execute(f"PRAGMA synchronous={level}")
    try:
        yield conn
    finally:
        conn.execute("PRAGMA synchronous=FULL")


@contextmanager
def transaction(conn: sqlite3.Connection):
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error. After some errors (SQLITE_FULL) SQLite has
    already rolled back, and a second ROLLBACK would raise and hide the real error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


# ---- the one write path of a record: call inside the caller's transaction (Archive.writing) ------------------
def _columns(values: dict) -> str:
    """The column names of ``values``, each checked against the declared table (never SQL from elsewhere)."""
    unknown = [k for k in values if k not in BY_NAME]
    if unknown:
        raise ValueError(f"not a column of documents: {', '.join(unknown)}")
    return ", ".join(values)


def insert_record(conn: sqlite3.Connection, values: dict, text: str, doc_number=None) -> int:
    """A new record: its row, its text (the full-text triggers index it in this transaction) and the
    spelling-independent keys of its 发文字号 (``doc_number``: a docno.DocNumber). Returns its id."""
    cur = conn.execute(f"INSERT INTO documents({_columns(values)}) VALUES ({', '.join('?' * len(values))})",
                       tuple(values.values()))
    document_id = cur.lastrowid
    conn.execute("INSERT INTO document_texts(document_id, text) VALUES (?,?)", (document_id, text))
    seal_text(conn, document_id)
    _add_doc_number_keys(conn, document_id, doc_number)
    return document_id


def update_record(conn: sqlite3.Connection, document_id: int, values: dict, *, ts: str | None = None) -> None:
    """Change columns of one record (its file, status, period), stamping ``updated_at`` (``ts`` or now)."""
    values = {**values, "updated_at": ts or now()}
    conn.execute(f"UPDATE documents SET {', '.join(f'{k}=?' for k in _columns(values).split(', '))} WHERE id=?",
                 (*values.values(), document_id))


def set_classification(conn: sqlite3.Connection, document_id: int, after: dict, *, reason: str | None,
                       ts: str | None = None) -> None:
    """A record's classification as a review decided it (``after``: the CLASSIFICATION columns), its pending
    reason (None once decided), and a mark that its index entry is stale."""
    bad = set(after) - set(CLASSIFICATION)
    if bad:
        raise ValueError(f"not a classification column: {', '.join(sorted(bad))}")
    update_record(conn, document_id, {**after, "reason": reason, "indexed": 0}, ts=ts)


def add_file(conn: sqlite3.Connection, document_id: int, seq: int, values: dict) -> None:
    """A record's further file (seq 2, 3, …: document_files), stamped ``added_at``."""
    values = {"document_id": document_id, "seq": seq, **values, "added_at": values.get("added_at") or now()}
    conn.execute(f"INSERT INTO document_files({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                 tuple(values.values()))


# ---- one 件, several files (migration 13; docs/domain.md "一件多文件") ----------------------------------------
# roles whose pages are pages of the 件 besides the 正本's (其他格式 and a further 正本 are the same pages again)
COUNTED_ROLES = ("定稿", "稿纸", "附件")


def attach_file(conn: sqlite3.Connection, document_id: int, role: str, values: dict, text: str | None, *,
                count_pages: bool = True) -> int:
    """Join a stored file to a record as one of its files with ``role`` (the one write path of attach): its row
    in document_files, its text after the record's (so the record is found by it) and the record's 页数
    (``file_pages``). A file once taken off another record (its row kept, detached) is moved here. No other
    field of the record is touched. Returns the file's seq. Call inside the caller's transaction."""
    seq = (conn.execute("SELECT max(seq) FROM document_files WHERE document_id=?", (document_id,)).fetchone()[0]
           or 1) + 1
    old = conn.execute("SELECT document_id, seq FROM document_files WHERE sha256=? AND detached_at IS NOT NULL",
                       (values["sha256"],)).fetchone()
    if old is not None:  # document_files is append-only: the detached row becomes this attachment
        conn.execute("UPDATE document_files SET document_id=?, seq=?, role=?, detached_at=NULL, detached_to=NULL, "
                     "filename=?, source_path=?, stored_path=?, added_at=? WHERE document_id=? AND seq=?",
                     (document_id, seq, role, values["filename"], values.get("source_path"), values["stored_path"],
                      now(), old["document_id"], old["seq"]))
    else:
        add_file(conn, document_id, seq, {**values, "role": role})
    if text:
        append_text(conn, document_id, f"\n\n【{values['filename']}（{role}）】\n{text}")
    pages = file_pages(conn, document_id, role, values.get("pages") if count_pages else None, +1)
    update_record(conn, document_id, {"indexed": 0, **({"pages": pages[1]} if pages[0] != pages[1] else {})})
    return seq


def detach_file(conn: sqlite3.Connection, document_id: int, seq: int, detached_to: int | None) -> None:
    """Take a further file off its record (archive detach): the row stays, marked, naming the record that now
    owns the file (``detached_to``), or none when the file stays stored and referenced here. The record's 页数
    follows. Call inside the caller's transaction."""
    f = conn.execute("SELECT * FROM document_files WHERE document_id=? AND seq=?", (document_id, seq)).fetchone()
    conn.execute("UPDATE document_files SET detached_at=?, detached_to=? WHERE document_id=? AND seq=?",
                 (now(), detached_to, document_id, seq))
    pages = file_pages(conn, document_id, f["role"], f["pages"], -1)
    update_record(conn, document_id, {"indexed": 0, **({"pages": pages[1]} if pages[0] != pages[1] else {})})
    # its text leaves the record's too: the part appended under its name (attach_file, or a catalogue import)
    row = conn.execute("SELECT text FROM document_texts WHERE document_id=?", (document_id,)).fetchone()
    text = row[0] if row else ""
    for mark in (f"\n\n【{f['filename']}（{f['role']}）】\n", f"\n\n【{f['filename']}】\n"):
        start = text.find(mark)
        if start >= 0:
            end = text.find("\n\n【", start + len(mark))
            set_text(conn, document_id, text[:start] + (text[end:] if end >= 0 else ""))
            break


def file_pages(conn: sqlite3.Connection, document_id: int, role: str, pages: int | None,
               sign: int) -> tuple[int | None, int | None]:
    """(页数 before, after) when a file of ``pages`` pages joins (sign +1) or leaves (-1) a record. The 页数 of a 件
    is its 正本's pages plus those of its 定稿, 稿纸 and 附件; another rendering (其他格式, a further 正本) adds
    nothing, except that it gives the 页数 when the record had none (a text file, a catalogued record)."""
    row = get_record(conn, document_id)
    before = row["pages"]
    if not pages or _corrected_pages(row):
        return before, before
    if role in COUNTED_ROLES:
        after = (before or 0) + sign * pages
        return before, (after if after > 0 else None) if sign < 0 else after
    if sign > 0 and before is None:
        return before, pages
    return before, before


def _corrected_pages(row) -> bool:
    """Whether a person corrected this record's 页数 (``corrected``, a JSON list of field names, migration 12 of
    archive edit): then no attach or detach changes it. False on a catalog without that column."""
    if "corrected" not in row.keys() or not row["corrected"]:
        return False
    try:
        return bool({"pages", "页数"} & set(json.loads(row["corrected"])))
    except (ValueError, TypeError):
        return False


def append_event(conn: sqlite3.Connection, action: str, document_id: int | None, detail: dict,
                 who: str | None = None) -> None:
    """Append one event to the hash chain. Call inside the transaction that makes the change.

    An event about a record seals the record's state after the change (``digest``), so ``verify`` finds
    a catalog row edited behind the program's back."""
    row = conn.execute("SELECT hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    prev = row[0] if row else GENESIS
    ts, who = now(), who or actor()
    if document_id is not None and action not in UNSEALED_ACTIONS:
        doc = get_record(conn, document_id)
        if doc is not None:
            detail = {**detail, "digest": record_digest(doc)}
    body = json.dumps(detail, ensure_ascii=False, sort_keys=True)
    h = event_hash(prev, ts, who, action, document_id, body)
    conn.execute(
        "INSERT INTO events(ts, actor, action, document_id, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?)",
        (ts, who, action, document_id, body, prev, h))


def verify_chain(conn: sqlite3.Connection) -> list[str]:
    """Findings (Chinese) where the event log's hash chain is broken; empty when intact."""
    findings, prev = [], GENESIS
    for r in conn.execute("SELECT * FROM events ORDER BY id"):
        if r["prev_hash"] != prev:
            findings.append(f"事件 {r['id']} 的前序哈希与上一条不符（日志被删改）")
        if event_hash(r["prev_hash"], r["ts"], r["actor"], r["action"], r["document_id"], r["detail"]) != r["hash"]:
            findings.append(f"事件 {r['id']} 的内容与其哈希不符（日志被篡改）")
        prev = r["hash"]
    return findings


def record(row: sqlite3.Row) -> dict:
    """A documents row as the record of docs/domain.md (JSON keys in order)."""
    return {k: row[k] for k in RECORD_KEYS}


EXTRACT_METHODS = {"text-layer": "文字层", "ocr": "OCR 识别", "text-layer+ocr": "文字层 + OCR 识别"}


def text_source(row, pages: list[dict] | None = None, searchable: bool = False) -> str | None:
    """Where a record's text came from and, for OCR, how sure it was: overall, of the 版头, and per page when
    ``pages`` (ocr_pages) are given; ``searchable``: name the stored searchable PDF too."""
    method = EXTRACT_METHODS.get(row["extract_method"] or "", row["extract_method"])
    if row["ocr_confidence"] is None:
        return method
    parts = [f"平均置信度 {row['ocr_confidence']:.0f}%"]
    if row["ocr_header_confidence"] is not None:
        parts.append(f"版头 {row['ocr_header_confidence']:.0f}%")
    if pages and len(pages) > 1:
        parts.append("各页 " + " ".join(
            f"{p['page']}:{p['confidence']:.0f}%" if p["confidence"] is not None else f"{p['page']}:文字层"
            for p in pages))
    if searchable and row["searchable_path"]:
        parts.append(f"可检索 PDF {row['searchable_path']}")
    return f"{method}（{'，'.join(parts)}）"


# ---- small reads for the command line (so cli.py holds no SQL) --------------------------------------
# ---- a 档号 a record no longer carries (reclassify leaves it in the event log) -----------------------
# ---- fields a person corrected (archive edit, migration 12) -----------------------------------------
def snapshot_contents(path: Path) -> tuple[dict[str, str], int, int, int]:
    """(stored files it refers to, records, events, schema version) of a snapshot written by ``snapshot``."""
    return _snapshot_contents(path, referenced_files)
