"""The catalog: SQLite, the source of truth (SPEC section 3).

Holds every document's metadata, classification, extracted text and checksum, the 件号 sequences,
and an append-only, hash-chained event log. WAL mode so searches read while ingest writes; foreign
keys on; a schema version with forward migrations.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import json
import os
import pwd
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from archive import docno
from archive.errors import StoreError
from archive.index import bigrams
from archive.index.fts import MIGRATION as _FULLTEXT_MIGRATION


_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE documents (
        id              INTEGER PRIMARY KEY,
        sha256          TEXT NOT NULL UNIQUE,
        filename        TEXT NOT NULL,          -- the name it arrived with
        source_path     TEXT,                   -- where it was read from
        stored_path     TEXT,                   -- relative to the store; NULL once destroyed
        media_type      TEXT NOT NULL,
        size            INTEGER NOT NULL,
        pages           INTEGER,
        status          TEXT NOT NULL CHECK (status IN ('archived','pending','excluded','destroyed')),
        archival_code   TEXT UNIQUE,            -- 档号
        fonds           TEXT,                   -- 全宗号
        year            INTEGER,                -- 年度
        retention       TEXT CHECK (retention IN ('Y','D30','D10')),
        org             TEXT,                   -- 机构(问题)
        item_no         INTEGER,                -- 件号
        doc_number      TEXT,                   -- 发文字号, canonical
        doc_number_raw  TEXT,                   -- as printed
        docno_code      TEXT, docno_year INTEGER, docno_serial INTEGER, docno_kind TEXT,
        title           TEXT, issuer TEXT, date TEXT, doc_type TEXT,
        secrecy         TEXT, urgency TEXT, recipients TEXT, signer TEXT, cc TEXT,
        printer         TEXT, print_date TEXT, attachments TEXT, note TEXT,
        relation        TEXT, rule_id TEXT, basis TEXT, reason TEXT,
        extract_method  TEXT, warnings TEXT,
        ingested_at     TEXT NOT NULL,
        updated_at      TEXT NOT NULL
    );
    CREATE INDEX documents_status ON documents(status);
    CREATE INDEX documents_year ON documents(year, retention, org);
    CREATE INDEX documents_doc_number ON documents(doc_number);

    CREATE TABLE document_texts (
        document_id INTEGER PRIMARY KEY REFERENCES documents(id),
        text        TEXT NOT NULL
    );

    -- every spelling-independent key of a document's 发文字号 (docno.search_keys)
    CREATE TABLE docno_keys (
        key         TEXT NOT NULL,
        document_id INTEGER NOT NULL REFERENCES documents(id),
        PRIMARY KEY (key, document_id)
    ) WITHOUT ROWID;

    CREATE TABLE sequences (
        fonds TEXT NOT NULL, year INTEGER NOT NULL, retention TEXT NOT NULL, org TEXT NOT NULL,
        last_item INTEGER NOT NULL,
        PRIMARY KEY (fonds, year, retention, org)
    );

    -- inbox originals whose record is committed but which are not yet moved out of the inbox;
    -- a crash between commit and move is finished from here on the next start.
    CREATE TABLE inbox_moves (
        source      TEXT PRIMARY KEY,
        destination TEXT NOT NULL,
        sha256      TEXT NOT NULL,
        reason      TEXT
    );

    CREATE TABLE events (
        id          INTEGER PRIMARY KEY,
        ts          TEXT NOT NULL,
        actor       TEXT NOT NULL,
        action      TEXT NOT NULL,
        document_id INTEGER,
        detail      TEXT NOT NULL,
        prev_hash   TEXT NOT NULL,
        hash        TEXT NOT NULL
    );
    CREATE INDEX events_document ON events(document_id);
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
        BEGIN SELECT RAISE(ABORT, 'catalog records are never deleted'); END;
    """,
    # 2: the full-text index is derived; this flag says which records it already holds, so a crash
    # between the catalog commit and the index commit is repaired on the next start.
    2: """
    ALTER TABLE documents ADD COLUMN indexed INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX documents_unindexed ON documents(id) WHERE indexed = 0;
    """,
    # 3: OCR (scans and images): how each page's text was obtained and how sure the OCR was of it.
    3: """
    ALTER TABLE documents ADD COLUMN ocr_confidence REAL;         -- mean word confidence of the OCR pages, 0-100
    ALTER TABLE documents ADD COLUMN ocr_header_confidence REAL;  -- of the 版头 lines (发文字号, 题名)
    ALTER TABLE documents ADD COLUMN searchable_path TEXT;        -- stored PDF with an added text layer
    CREATE TABLE document_pages (
        document_id INTEGER NOT NULL REFERENCES documents(id),
        page        INTEGER NOT NULL,                             -- 1-based
        method      TEXT NOT NULL CHECK (method IN ('text-layer','ocr')),
        confidence  REAL,                                         -- OCR pages only
        PRIMARY KEY (document_id, page)
    ) WITHOUT ROWID;
    """,
    # 4: 到期鉴定 and 销毁 (SPEC section 2). ``holds``: records that must not be destroyed (under
    # investigation, litigation, audit) until released. ``dispositions``: each appraisal decision on a
    # record (destroy or extend), with who approved it and the 监销人; the 销毁清册 is read from here.
    4: """
    CREATE TABLE holds (
        id              INTEGER PRIMARY KEY,
        document_id     INTEGER NOT NULL REFERENCES documents(id),
        reason          TEXT NOT NULL,
        held_by         TEXT NOT NULL,
        held_at         TEXT NOT NULL,
        released_by     TEXT,
        released_at     TEXT,
        release_reason  TEXT
    );
    CREATE INDEX holds_active ON holds(document_id) WHERE released_at IS NULL;

    CREATE TABLE dispositions (
        id              INTEGER PRIMARY KEY,
        batch           INTEGER NOT NULL,       -- one dispose command = one batch (one 销毁清册)
        document_id     INTEGER NOT NULL REFERENCES documents(id),
        decision        TEXT NOT NULL CHECK (decision IN ('destroy','extend')),
        archival_code   TEXT,
        retention_before TEXT NOT NULL,
        retention_after TEXT,                   -- extend: the new 保管期限
        approved_by     TEXT NOT NULL,          -- the leader who approved
        supervisors     TEXT,                   -- 监销人 (destroy), comma separated
        reason          TEXT NOT NULL,
        decided_at      TEXT NOT NULL,
        actor           TEXT NOT NULL
    );
    CREATE INDEX dispositions_batch ON dispositions(batch);
    CREATE TRIGGER dispositions_no_update BEFORE UPDATE ON dispositions
        BEGIN SELECT RAISE(ABORT, 'dispositions are append-only'); END;
    CREATE TRIGGER dispositions_no_delete BEFORE DELETE ON dispositions
        BEGIN SELECT RAISE(ABORT, 'dispositions are append-only'); END;
    """,
    # 5: records whose 档号 was assigned elsewhere (an older system's catalogue, a transfer package) are
    # imported as they are, some without a file (catalogued on paper): sha256, filename, media_type and size
    # may be NULL, and ``origin`` says where a record came from. SQLite cannot relax NOT NULL in place, so
    # the table is rebuilt (foreign keys are off while migrating, see _migrate).
    5: """
    CREATE TABLE documents_v5 (
        id              INTEGER PRIMARY KEY,
        sha256          TEXT UNIQUE,            -- NULL: a catalogued record without a file (paper era)
        filename        TEXT,                   -- the name it arrived with
        source_path     TEXT,                   -- where it was read from
        stored_path     TEXT,                   -- relative to the store; NULL once destroyed
        media_type      TEXT,
        size            INTEGER,
        pages           INTEGER,
        status          TEXT NOT NULL CHECK (status IN ('archived','pending','excluded','destroyed')),
        archival_code   TEXT UNIQUE,            -- 档号
        fonds           TEXT,                   -- 全宗号
        year            INTEGER,                -- 年度
        retention       TEXT CHECK (retention IN ('Y','D30','D10')),
        org             TEXT,                   -- 机构(问题)
        item_no         INTEGER,                -- 件号
        doc_number      TEXT,                   -- 发文字号, canonical
        doc_number_raw  TEXT,                   -- as printed
        docno_code      TEXT, docno_year INTEGER, docno_serial INTEGER, docno_kind TEXT,
        title           TEXT, issuer TEXT, date TEXT, doc_type TEXT,
        secrecy         TEXT, urgency TEXT, recipients TEXT, signer TEXT, cc TEXT,
        printer         TEXT, print_date TEXT, attachments TEXT, note TEXT,
        relation        TEXT, rule_id TEXT, basis TEXT, reason TEXT,
        extract_method  TEXT, warnings TEXT,
        ingested_at     TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        indexed         INTEGER NOT NULL DEFAULT 0,
        ocr_confidence REAL, ocr_header_confidence REAL, searchable_path TEXT,
        origin          TEXT NOT NULL DEFAULT 'ingest'  -- ingest | import (a 档号 assigned elsewhere)
    );
    INSERT INTO documents_v5 SELECT *, 'ingest' FROM documents;
    DROP TABLE documents;
    ALTER TABLE documents_v5 RENAME TO documents;
    CREATE INDEX documents_status ON documents(status);
    CREATE INDEX documents_year ON documents(year, retention, org);
    CREATE INDEX documents_doc_number ON documents(doc_number);
    CREATE INDEX documents_unindexed ON documents(id) WHERE indexed = 0;
    CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
        BEGIN SELECT RAISE(ABORT, 'catalog records are never deleted'); END;
    """,
    # 7: a record may have more than one file (a scan split in parts, an 正文 and its 附件, found by 档号 when a
    # catalogue is imported). The first stays the record's own file in ``documents``; the others are kept
    # here, stored like any file, their text appended to the record's text so it is searchable.
    7: """
    CREATE TABLE document_files (
        document_id     INTEGER NOT NULL REFERENCES documents(id),
        seq             INTEGER NOT NULL,       -- 2, 3, ...: 1 is the record's own file (documents)
        sha256          TEXT NOT NULL UNIQUE,
        filename        TEXT NOT NULL,
        source_path     TEXT,
        stored_path     TEXT,                   -- relative to the store; NULL once destroyed
        media_type      TEXT,
        size            INTEGER NOT NULL,
        pages           INTEGER,
        extract_method  TEXT,
        warnings        TEXT,
        added_at        TEXT NOT NULL,
        PRIMARY KEY (document_id, seq)
    );
    CREATE TRIGGER document_files_no_delete BEFORE DELETE ON document_files
        BEGIN SELECT RAISE(ABORT, 'catalog records are never deleted'); END;
    """,
    # 8: recovery never guesses. ``store_journal``: a store copy about to be made, committed *before* the
    # copy starts; reconcile removes a stored file only when it is listed here and no record owns it (its
    # own unfinished work), never "whatever the catalog does not know". ``import_journal``: a long import
    # (a transfer package) in flight, so a restart after kill -9 resumes it instead of leaving it half done.
    8: """
    CREATE TABLE store_journal (
        stored_path TEXT PRIMARY KEY,           -- relative to the store
        sha256      TEXT NOT NULL,
        started_at  TEXT NOT NULL,
        pid         INTEGER,
        purpose     TEXT                        -- ingest / searchable / import / attach
    );
    CREATE TABLE import_journal (
        id          INTEGER PRIMARY KEY,
        kind        TEXT NOT NULL,              -- package
        source      TEXT NOT NULL,              -- the package folder (absolute)
        started_at  TEXT NOT NULL,
        finished_at TEXT,                       -- NULL: interrupted or running
        planned     INTEGER NOT NULL,           -- records to import
        done        INTEGER NOT NULL DEFAULT 0  -- records imported so far (committed)
    );
    CREATE INDEX documents_searchable ON documents(searchable_path) WHERE searchable_path IS NOT NULL;
    CREATE INDEX document_files_path ON document_files(stored_path);
    """,
    # 9: full text inside the catalog: an FTS5 table over the bigram tokens of title, issuer and text, kept in
    # step by triggers in the record's own transaction (archive/index/fts.py; SQL function bigrams, see connect)
    9: _FULLTEXT_MIGRATION,
    # 10: appraisal and destruction in the steps of the procedure, and imported old periods.
    # ``retention_old``: 长期 / 短期 as an older catalogue wrote it (its ``retention`` stays NULL until an
    # appraisal gives it a period of today's table). ``appraisals``: one 鉴定 (its group, date, report), then
    # its approval (leader, date, approval document) and its destruction (监销人, 方式, 地点, time), each
    # step filled once; ``appraisal_items``: the decision on each record (销毁 / 延期 with the new period).
    10: """
    ALTER TABLE documents ADD COLUMN retention_old TEXT CHECK (retention_old IN ('长期','短期'));
    CREATE TABLE appraisals (
        id              INTEGER PRIMARY KEY,
        batch           INTEGER NOT NULL UNIQUE, -- its decisions' batch in ``dispositions`` (销毁清册 number)
        as_of           TEXT NOT NULL,          -- the day whose due records were appraised
        members         TEXT NOT NULL,          -- 鉴定小组, JSON list of names
        appraised_at    TEXT NOT NULL,
        appraised_by    TEXT NOT NULL,          -- system user who recorded it
        report_id       INTEGER REFERENCES documents(id),   -- 鉴定工作报告, archived 永久
        approved_by     TEXT,                   -- the leader
        approved_on     TEXT,
        approval_doc    TEXT,                   -- number of the approval document
        approved_at     TEXT,
        approval_id     INTEGER REFERENCES documents(id),   -- 销毁审批, archived 永久
        destroyed_at    TEXT,
        supervisors     TEXT,                   -- 监销人, JSON list
        method          TEXT,                   -- 销毁方式
        place           TEXT,                   -- 销毁地点
        destroyed_by    TEXT,
        register_id     INTEGER REFERENCES documents(id)    -- the approved 销毁清册, archived 永久
    );
    CREATE TABLE appraisal_items (
        appraisal_id    INTEGER NOT NULL REFERENCES appraisals(id),
        document_id     INTEGER NOT NULL REFERENCES documents(id),
        decision        TEXT NOT NULL CHECK (decision IN ('destroy','extend')),
        retention_before TEXT NOT NULL,         -- Y/D30/D10, or 长期/短期
        retention_after TEXT,                   -- extend: Y/D30/D10
        reason          TEXT NOT NULL,
        doubtful        INTEGER NOT NULL DEFAULT 0,  -- 存疑: the longer period was taken (从长)
        PRIMARY KEY (appraisal_id, document_id)
    ) WITHOUT ROWID;
    CREATE TRIGGER appraisals_no_delete BEFORE DELETE ON appraisals
        BEGIN SELECT RAISE(ABORT, 'appraisals are never deleted'); END;
    CREATE TRIGGER appraisal_items_no_change BEFORE UPDATE ON appraisal_items
        BEGIN SELECT RAISE(ABORT, 'appraisal decisions are append-only'); END;
    CREATE TRIGGER appraisal_items_no_delete BEFORE DELETE ON appraisal_items
        BEGIN SELECT RAISE(ABORT, 'appraisal decisions are append-only'); END;
    CREATE TRIGGER appraisals_steps_once BEFORE UPDATE ON appraisals
        WHEN (OLD.approved_at IS NOT NULL AND NEW.approved_at IS NOT OLD.approved_at)
          OR (OLD.destroyed_at IS NOT NULL AND NEW.destroyed_at IS NOT OLD.destroyed_at)
          OR NEW.members IS NOT OLD.members OR NEW.as_of IS NOT OLD.as_of
        BEGIN SELECT RAISE(ABORT, 'an appraisal step is recorded once'); END;
    """,
    # 11: accounts of the web page (archive serve, archive user): a role each, an argon2 password hash;
    # server-side sessions (the signed cookie carries only the session id) so logging out or disabling
    # a user ends them; failed logins per name, to slow down guessing.
    11: """
    CREATE TABLE users (
        id              INTEGER PRIMARY KEY,
        name            TEXT NOT NULL UNIQUE,
        role            TEXT NOT NULL CHECK (role IN ('查阅','文书','档案员','领导')),
        password_hash   TEXT NOT NULL,           -- argon2id
        disabled        INTEGER NOT NULL DEFAULT 0,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
    );
    CREATE TABLE web_sessions (
        id              TEXT PRIMARY KEY,        -- random, 256 bits
        user_id         INTEGER NOT NULL REFERENCES users(id),
        created_at      REAL NOT NULL,           -- unix time
        expires_at      REAL NOT NULL
    );
    CREATE TABLE login_failures (
        name            TEXT PRIMARY KEY,        -- the user name typed (known or not)
        failures        INTEGER NOT NULL,
        last_at         REAL NOT NULL
    );
    """,
}

# numbers may have gaps (a migration withdrawn before release); they are applied in order
SCHEMA_VERSION = max(_MIGRATIONS)

GENESIS = "0" * 64

# SPEC section 5: the keys every record prints with --json, in this order.
RECORD_KEYS = ("id", "archival_code", "fonds", "year", "retention", "org", "item_no", "doc_number",
               "doc_number_raw", "title", "issuer", "date", "doc_type", "secrecy", "urgency", "pages",
               "status", "rule_id", "basis", "sha256", "filename")


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")


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
    # a migration may rebuild a table (SQLite's documented 12-step way), which needs foreign keys off;
    # they are checked before each commit instead
    conn.execute("PRAGMA foreign_keys=OFF")
    try:
        for v in pending:
            conn.execute("BEGIN IMMEDIATE")  # executescript() would commit early: run statements one by one
            try:
                if conn.execute("PRAGMA user_version").fetchone()[0] >= v:
                    conn.execute("COMMIT")  # another process (a watcher and an ingest starting together) did it
                    continue
                for stmt in _split_sql(_MIGRATIONS[v]):
                    conn.execute(stmt)
                if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                    raise StoreError(f"目录数据库 {path} 升级到版本 {v} 时外键检查失败：请从备份恢复后重试")
                conn.execute(f"PRAGMA user_version={v}")
                conn.execute("COMMIT")
            except Exception:
                conn.execute("ROLLBACK")
                raise
    finally:
        conn.execute("PRAGMA foreign_keys=ON")


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


# Columns sealed by the event log: a change to any of them that no event records is tampering (verify).
# Not sealed: program bookkeeping (indexed, updated_at) and derived text.
SEALED_COLUMNS = ("archival_code", "fonds", "year", "retention", "org", "item_no", "doc_number",
                  "doc_number_raw", "title", "issuer", "date", "doc_type", "secrecy", "urgency", "pages",
                  "status", "sha256", "filename", "stored_path", "media_type", "size", "recipients", "signer",
                  "cc", "printer", "print_date", "note", "rule_id", "basis")


# events that mention a record without changing it: they must not re-seal (and so launder) its state
UNSEALED_ACTIONS = ("duplicate",)


def record_digest(row) -> str:
    """SHA-256 of a record's sealed columns; every event about a record carries it (``digest``).
    An old period (``retention_old``, migration 10) is sealed only where a record has one, so the digests
    of every other record stay as they were."""
    values = [row[k] for k in SEALED_COLUMNS]
    if "retention_old" in row.keys() and row["retention_old"] is not None:
        values.append(row["retention_old"])
    payload = json.dumps(values, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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


def append_event(conn: sqlite3.Connection, action: str, document_id: int | None, detail: dict,
                 who: str | None = None) -> None:
    """Append one event to the hash chain. Call inside the transaction that makes the change.

    An event about a record seals the record's state after the change (``digest``), so ``verify`` finds
    a catalog row edited behind the program's back."""
    row = conn.execute("SELECT hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
    prev = row[0] if row else GENESIS
    ts, who = now(), who or actor()
    if document_id is not None and action not in UNSEALED_ACTIONS:
        doc = conn.execute("SELECT * FROM documents WHERE id=?", (document_id,)).fetchone()
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
    """A documents row as the SPEC section 5 record (JSON keys in order)."""
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


def ocr_pages(conn: sqlite3.Connection, document_id: int) -> list[dict]:
    """Per page: how its text was obtained and, for OCR, the confidence (empty without OCR)."""
    return [dict(r) for r in conn.execute(
        "SELECT page, method, confidence FROM document_pages WHERE document_id=? ORDER BY page", (document_id,))]


def events_for(conn: sqlite3.Connection, document_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT id, ts, actor, action, detail FROM events WHERE document_id=? ORDER BY id", (document_id,))]


def list_documents(conn: sqlite3.Connection, *, status: str | None = None, year: int | None = None,
                   retention: str | None = None, org: str | None = None, limit: int | None = None,
                   offset: int = 0) -> list[sqlite3.Row]:
    where, args = [], []
    for col, val in (("status", status), ("year", year), ("retention", retention), ("org", org)):
        if val is not None:
            where.append(f"{col}=?")
            args.append(val)
    sql = "SELECT * FROM documents"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += (" ORDER BY year IS NULL, year, CASE retention WHEN 'Y' THEN 0 WHEN 'D30' THEN 1 WHEN 'D10' THEN 2 "
            "ELSE 3 END, org, item_no IS NULL, item_no, id")
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        args += [limit, offset]
    return conn.execute(sql, args).fetchall()


def stats(conn: sqlite3.Connection) -> dict:
    """Counts by status, by 年度 and 保管期限 (archived), and of side outcomes from the event log."""
    by_status = {r[0]: r[1] for r in conn.execute("SELECT status, count(*) FROM documents GROUP BY status")}
    by_year = [dict(r) for r in conn.execute(
        "SELECT year, retention, org, count(*) AS n, sum(pages) AS pages FROM documents "
        "WHERE status='archived' GROUP BY year, retention, org ORDER BY year, retention, org")]
    side = {r[0]: r[1] for r in conn.execute(
        "SELECT action, count(*) FROM events WHERE action IN ('duplicate','refused','failed') GROUP BY action")}
    total = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    return {"total": total, "by_status": by_status, "archived_by_year": by_year, "other_outcomes": side}


def docno_matches(conn: sqlite3.Connection, text: str, where: str = "1", args: list | tuple = ()) -> list[tuple[int, int]]:
    """(document id, rank) for documents whose 发文字号 matches ``text`` in any spelling; lower rank =
    more specific key (docno.query_keys order). ``where``/``args``: an extra SQL filter on ``d``."""
    keys = docno.query_keys(text)
    if not keys:
        return []
    rank_case = " ".join(f"WHEN ? THEN {i}" for i in range(len(keys)))
    sql = (f"SELECT k.document_id AS id, MIN(CASE k.key {rank_case} END) AS rank "
           f"FROM docno_keys k JOIN documents d ON d.id = k.document_id "
           f"WHERE k.key IN ({','.join('?' * len(keys))}) AND {where} "
           f"GROUP BY k.document_id ORDER BY rank, d.year DESC, d.id")
    return [(r[0], r[1]) for r in conn.execute(sql, [*keys, *keys, *args])]


# ---- small reads for the command line (so cli.py holds no SQL) --------------------------------------
def count_documents(conn: sqlite3.Connection) -> int:
    """How many records the catalog holds, whatever their status (the total of a progress bar)."""
    return conn.execute("SELECT count(*) FROM documents").fetchone()[0]


def any_indexed(conn: sqlite3.Connection) -> bool:
    """Whether any record is marked as written to the Whoosh index (``indexed`` = 1): then a missing Whoosh
    folder is a lost index, not a new archive."""
    return conn.execute("SELECT 1 FROM documents WHERE indexed = 1 LIMIT 1").fetchone() is not None
