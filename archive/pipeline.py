"""The one pipeline used by both ``ingest`` and ``watch``.

detect type -> extract text -> normalise -> parse 公文 elements -> classify -> assign 档号 -> store ->
catalog (with its full text).  Every input file ends with exactly one IngestResult: archived, pending, excluded,
duplicate, refused or failed. Nothing is ever deleted: an inbox original is moved out of the inbox only
after its record is committed, and a crash between the two is finished by ``reconcile`` on the next start.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import secrets
import shutil
import sqlite3
import stat
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from archive import archival_code, catalog, docno, gongwen, secrecy
from archive.classify import classify
from archive.config import Config
from archive.errors import CatalogLostError, ExtractionError, NotFoundError, StopRequested, StoreError
from archive.extract.worker import ExtractWorker
from archive.faults import fault
from archive.index import open_index
from archive.models import Classification, Extracted, GongwenFields, IngestResult
from archive.store import FileStore, sha256_file

INDEX_BATCH = 200  # records committed to a Whoosh index together during a batch
GROUP_COMMIT = 64  # new records stored and committed together by ingest_many


@dataclass
class _Prepared:
    """A file read, parsed and classified, not yet stored (ingest_file / ingest_many)."""
    path: Path
    sha: str
    size: int
    ex: Extracted
    fields: GongwenFields
    cls: Classification
    header_conf: float | None
    from_inbox: bool


_fault = fault  # crash-test hook (archive/faults.py)


class Archive:
    """An opened archive: the config, the file store and the catalog connection."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.store = FileStore(cfg.store)
        self._conn: sqlite3.Connection | None = None
        # the full-text backend ([index] engine): the FTS5 table in the catalog, or a Whoosh folder
        self.index = open_index(getattr(cfg, "index_engine", "sqlite"), cfg.store, lambda: self.conn)
        self._unindexed: list[int] = []  # Whoosh only: committed to the catalog, not yet to the index
        self._lock_depth = 0
        self._worker: ExtractWorker | None = None  # isolated extraction, started on first use
        self._told_wait = False
        self.on_lock_wait = None  # called (with a Chinese message) when another process holds the write lock
        self.may_create = False  # init, and ingest/watch/import on a store with nothing in it yet
        self._catalog_id: tuple[int, int] | None = None  # (st_dev, st_ino) of the catalog we opened
        self.cancel = None  # a threading.Event: set by a watcher's SIGTERM, ends waits for the lock
        self.on_message = None  # called with a Chinese message about work done in passing (index rebuilt)

    # ---- setup -------------------------------------------------------------------------------
    def init(self) -> None:
        """Create the store, the catalog and the inbox folders; harmless when they exist."""
        if not self.store.files.is_dir() and catalog.probe(self.catalog_path) == "ok":
            documents, _ = _peek(self.catalog_path)
            if documents:  # files/ gone (a share not mounted, a folder deleted): never start a new one
                raise CatalogLostError(
                    f"档案库的存储文件夹 {self.store.files} 不存在，而目录中有 {documents} 条记录：可能是网络共享未连接或"
                    "文件夹被删除或移走。已停止，没有改动任何文件。请找回该文件夹，或用 archive restore 从备份恢复")
        try:
            self.store.init()
            for d in (self.cfg.inbox, self.cfg.processed_dir, self.cfg.duplicates_dir,
                      self.cfg.failed_dir, self.cfg.refused_dir):
                d.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"无法创建文件夹 {e.filename}：{e.strerror}（请检查 config.toml 的 [paths] 和权限）") from e
        self.may_create = True
        _ = self.conn

    @property
    def catalog_path(self) -> Path:
        return self.cfg.store / "catalog.sqlite"

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            if not self.cfg.store.exists():
                raise StoreError(f"档案库 {self.cfg.store} 不存在：请先运行 archive init")
            self._conn = self._open_catalog()
        return self._conn

    def store_contents(self) -> int:
        """How many things in the store only a catalog can account for: stored files, plus a full-text
        index or a WAL file left by a catalog (0 for a store nothing was ever put in)."""
        n = 1 if self.store.has_files() else 0
        wal = self.cfg.store / "catalog.sqlite-wal"
        if self.index.path.exists() and any(self.index.path.iterdir()):
            n += 1
        if wal.exists() and wal.stat().st_size > 0:
            n += 1
        return n

    def _open_catalog(self) -> sqlite3.Connection:
        """Open the catalog, refusing to go on when it is missing, empty, unreadable or blank (no record
        at all) beside a store that holds files: a new empty catalog there would make every stored file
        look like nobody's. Looked at read-only first, so a refusal changes nothing on disk."""
        path = self.catalog_path
        state = catalog.probe(path)
        if state != "ok":
            if self.store_contents() or state == "garbage":
                raise CatalogLostError(_lost_message(path, state, len(self.store.stored_files())))
            if not self.may_create:
                raise StoreError(f"档案库 {self.cfg.store} 还没有目录数据库：请先运行 archive init")
        elif self.store.has_files():
            documents, journalled = _peek(path)
            stored = self.store.stored_files() if not documents else set()  # listed only when needed
            if not documents and stored - journalled:  # only our own unfinished copies may be unowned
                raise CatalogLostError(_lost_message(path, "blank", len(stored)))
        conn = catalog.connect(path, create=self.may_create)
        st = os.stat(path)
        self._catalog_id = (st.st_dev, st.st_ino)
        return conn

    def check_catalog(self) -> None:
        """Stop (StoreError) when the catalog we opened was deleted or replaced under us, or the store's
        files/ folder vanished: writing on would report 归档 into a file nobody can open again."""
        if self._catalog_id is None:
            return
        try:
            st = os.stat(self.catalog_path)
            same = (st.st_dev, st.st_ino) == self._catalog_id
        except OSError:
            same = False
        if not same:
            raise CatalogLostError(f"目录数据库 {self.catalog_path} 在运行中被删除或替换：已停止，未再处理任何文件。"
                                   "请用 archive restore 从备份恢复，或运行 archive recover 从存储文件重建目录")
        if not self.store.files.is_dir():
            raise CatalogLostError(f"档案库的存储文件夹 {self.store.files} 在运行中消失：已停止，未再处理任何文件。"
                                   "请检查磁盘或网络共享，必要时用 archive restore 从备份恢复")

    @property
    def worker(self) -> ExtractWorker:
        if self._worker is None:
            self._worker = ExtractWorker(self.cfg.limits, tag=str(self.cfg.store), ocr=self.cfg.ocr)
            self._worker.cancel = self.cancel  # a watcher's SIGTERM ends an extraction within a second
        return self._worker

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None
        if self._conn is not None and self._unindexed:
            self.flush_index()
        self.index.close()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextmanager
    def write_lock(self):
        """Serialises store, catalog and index writes between processes (ingest, watch, reconcile).

        Re-entrant within this process: flock on a second descriptor of the same file would wait
        for ourselves."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        self.cfg.store.mkdir(parents=True, exist_ok=True)
        with open(self.cfg.store / ".write.lock", "a+") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if self.on_lock_wait is not None and not self._told_wait:
                    self._told_wait = True  # once per process: a batch may wait many times
                    self.on_lock_wait(f"档案库 {self.cfg.store} 正由另一个进程写入，等待其完成…")
                if self.cancel is None:
                    fcntl.flock(f, fcntl.LOCK_EX)
                else:  # a watcher: poll, so a SIGTERM while waiting ends the wait within a second
                    while True:
                        if self.cancel.is_set():
                            raise StopRequested("收到停止请求：等待写入锁时停止，文件留在收件箱中")
                        try:
                            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                            break
                        except BlockingIOError:
                            self.cancel.wait(0.2)
            self._lock_depth = 1
            try:
                yield
            finally:
                self._lock_depth = 0
                fcntl.flock(f, fcntl.LOCK_UN)

    # ---- crash recovery ----------------------------------------------------------------------
    def reconcile(self) -> list[str]:
        """Finish or roll back what a crash interrupted. Returns what was done (Chinese)."""
        done = []
        with self.write_lock():
            conn = self.conn  # raises, touching nothing, when the catalog is gone (CatalogLostError)
            n = self.store.clean_tmp()
            if n:
                done.append(f"删除了 {n} 个未完成的临时副本")
            done += self._roll_back_journal()
            for row in conn.execute("SELECT * FROM inbox_moves").fetchall():
                src = Path(row["source"])
                try:
                    same = src.exists() and sha256_file(src) == row["sha256"]
                except OSError:
                    same = False
                if same:
                    try:
                        dest = _move(src, Path(row["destination"]), row["reason"])
                    except OSError as e:  # read-only inbox: the record stands, the move is tried again later
                        done.append(f"无法把 {shown(src.name)} 移出收件箱（{e.strerror}），下次启动时再试")
                        continue
                    done.append(f"完成了中断的移动 {shown(src.name)} → {shown(dest)}")
                conn.execute("DELETE FROM inbox_moves WHERE source=?", (row["source"],))
            done += self._repair_index()
        from archive.export.package import unfinished_imports
        done += unfinished_imports(self.conn)
        return done

    def _roll_back_journal(self) -> list[str]:
        """Remove the store copies this program started (store_journal) that no record came to own.
        A stored file not in the journal is never removed here, whatever the catalog says of it."""
        done = []
        referenced = set(catalog.referenced_files(self.conn))
        for row in self.conn.execute("SELECT stored_path FROM store_journal").fetchall():
            rel = row["stored_path"]
            if rel not in referenced and os.path.lexists(self.store.abspath(rel)):
                # copied but never committed: its original is still where it was and will be read again
                self.store.remove(rel)
                done.append(f"回滚了未登记的存储文件 {rel}")
            self.conn.execute("DELETE FROM store_journal WHERE stored_path=?", (rel,))
        return done

    def put_file(self, src: Path, sha: str, media_type: str, purpose: str = "ingest", *, sync: bool = True) -> str:
        """Copy into the store, journalled: the copy is listed in store_journal (committed) before it
        starts, so a crash leaves a copy reconcile can prove is its own. Call under write_lock; the
        caller's record transaction calls ``journal_done``."""
        rel = self.store.relpath(sha, media_type)
        if not os.path.lexists(self.store.abspath(rel)):  # an existing file is never ours to roll back
            # synchronous=NORMAL for this one commit: it survives a kill -9 (the WAL is in the OS cache),
            # and after a power cut the worst case is a copy left unremoved (verify reports it), never a
            # removed file; it spares an fsync per document
            self.conn.execute("PRAGMA synchronous=NORMAL")
            try:
                with catalog.transaction(self.conn):
                    self.conn.execute("INSERT OR REPLACE INTO store_journal(stored_path, sha256, started_at, pid, "
                                      "purpose) VALUES (?,?,?,?,?)", (rel, sha, catalog.now(), os.getpid(), purpose))
            finally:
                self.conn.execute("PRAGMA synchronous=FULL")
        return self.store.put(src, sha, media_type, sync=sync)

    def journal_done(self, *rels: str | None) -> None:
        """Inside the transaction that makes a record own these files: they are no longer in flight."""
        for rel in rels:
            if rel:
                self.conn.execute("DELETE FROM store_journal WHERE stored_path=?", (rel,))

    # ---- the full-text index -----------------------------------------------------------------
    @property
    def whoosh(self) -> bool:
        """The Whoosh backend: a derived folder with a queue and repair. The default (FTS5 in the catalog)
        is written by triggers in each record's own transaction and needs none of the methods below."""
        return self.index.engine == "whoosh"

    def _repair_index(self) -> list[str]:
        """Bring a Whoosh index in step with the catalog: rebuild it if it is missing or unreadable,
        else add what a crash left out (records with indexed = 0)."""
        if not self.whoosh:
            return []
        try:
            healthy = self.index.exists() and self.index.open() is not None
        except Exception:
            healthy = False
        if not healthy:
            self.index.close()
            n = self.reindex()
            return [f"全文索引缺失或损坏，已从目录重建（{n} 份）"] if n else []
        missing = [r[0] for r in self.conn.execute("SELECT id FROM documents WHERE indexed = 0")]
        if missing:
            self._unindexed = sorted(set(self._unindexed) | set(missing))
            self.flush_index()
            return [f"补建了 {len(missing)} 份文件的全文索引"]
        return []

    def _index_docs(self, ids: list[int]):
        from archive.index.whoosh import to_document

        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            q = ",".join("?" * len(chunk))
            texts = dict(self.conn.execute(
                f"SELECT document_id, text FROM document_texts WHERE document_id IN ({q})", chunk))
            for row in self.conn.execute(f"SELECT * FROM documents WHERE id IN ({q})", chunk):
                yield to_document(row, texts.get(row["id"], ""))

    def queue_index(self, document_id: int) -> None:
        """A record committed to the catalog goes to a Whoosh index with the next batch."""
        if not self.whoosh:
            return
        self._unindexed.append(document_id)
        if len(self._unindexed) >= INDEX_BATCH:
            self.flush_index()

    def flush_index(self) -> int:
        """Commit the records ingested since the last flush to a Whoosh index, then mark them indexed."""
        ids, self._unindexed = self._unindexed, []
        if not self.whoosh:
            return 0
        if not ids:
            return 0
        try:
            with self.write_lock():
                self.index.update(self._index_docs(ids))
        except StopRequested:
            self._unindexed = ids + self._unindexed
            raise
        except Exception as e:  # index deleted or damaged under us, disk full: the records are safe
            return self._index_failed(ids, e)
        _fault("indexed")
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            self.conn.execute(f"UPDATE documents SET indexed = 1 WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        return len(ids)

    def _index_failed(self, ids: list[int], e: Exception) -> int:
        """The index could not take a batch. Missing or unreadable: rebuilt from the catalog (it is
        derived). Else the records keep indexed = 0 and the next flush or start tries again."""
        self.index.close()
        try:
            healthy = self.index.exists() and self.index.open() is not None
        except Exception:
            healthy = False
        self.index.close()
        if not healthy:
            with self.write_lock():
                n = self.reindex()
            self._tell(f"全文索引在运行中缺失或损坏，已从目录重建（{n} 份）")
            return len(ids)
        self._unindexed = ids + self._unindexed
        self._tell(f"全文索引暂时无法写入（{getattr(e, 'strerror', None) or e}）：记录已登记，稍后自动补建索引"
                   "（请检查磁盘空间和权限）")
        return 0

    def _tell(self, msg: str) -> None:
        if self.on_message is not None:
            self.on_message(msg)

    def reindex(self, progress=None) -> int:
        """Rebuild the configured backend's index from the catalog alone (no file is read again).

        This is also how the engine is switched: to Whoosh, a fresh folder is built and every record marked
        indexed; to SQLite, the FTS5 table is rebuilt, a Whoosh folder left from before is removed and every
        record marked as not in it (``indexed`` = 0 means "not in the Whoosh index")."""
        self.index.close()
        if not self.whoosh:
            with self.write_lock():
                n = self.index.rebuild(self.conn, progress)
                self._drop_whoosh_folder()
            return n
        from archive.index.whoosh import Index

        ids = [r[0] for r in self.conn.execute("SELECT id FROM documents ORDER BY id")]
        n = Index.rebuild(self.index.path, self._index_docs(ids), progress)
        self.conn.execute("UPDATE documents SET indexed = 1 WHERE indexed = 0")
        self._unindexed = []
        return n

    def _drop_whoosh_folder(self) -> None:
        """After switching to the SQLite engine: the Whoosh folder (derived data only) is of no use."""
        self.conn.execute("UPDATE documents SET indexed = 0 WHERE indexed = 1")
        for p in (self.cfg.store / "index", self.cfg.store / "index.new", self.cfg.store / "index.old"):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)

    # ---- the pipeline ------------------------------------------------------------------------
    def ingest_file(self, path: Path, *, from_inbox: bool = False) -> IngestResult:
        """Run one file through every stage. ``from_inbox``: move the original when done."""
        prep = self._prepare(Path(path), from_inbox)
        if isinstance(prep, IngestResult):
            return prep
        return self._store_and_commit(prep)

    def ingest_many(self, paths, *, from_inbox: bool = False, batch: int = GROUP_COMMIT,
                    on_result=None) -> list[IngestResult]:
        """``ingest_file`` for many files, with one round of flushes to disk and one catalog transaction per
        ``batch`` of new records (group commit) instead of one per file: the flushes, not the work, bound a
        batch on an ordinary disk (bench/ingest_bench.py). The guarantees are those of one file: every copy
        is on disk before the transaction that records it commits, and an original leaves the inbox only
        after; a crash anywhere leaves whole records or none, and reconcile finishes the rest.
        ``on_result`` is called with each result as it is final, in the order of ``paths``."""
        out: list[IngestResult] = []
        group: list[_Prepared] = []

        def emit(r: IngestResult) -> None:
            out.append(r)
            if on_result is not None:
                on_result(r)

        def flush() -> None:
            for r in self._commit_group(group):
                emit(r)
            group.clear()

        for path in paths:
            prep = self._prepare(Path(path), from_inbox)
            if isinstance(prep, IngestResult) or any(g.sha == prep.sha for g in group):
                flush()  # results stay in input order; the same content twice in a batch: the second after
                emit(prep if isinstance(prep, IngestResult) else self._store_and_commit(prep))
                continue
            group.append(prep)
            if len(group) >= batch:
                flush()
        flush()
        return out

    def _commit_group(self, group: list[_Prepared]) -> list[IngestResult]:
        if len(group) <= 1:
            return [self._store_and_commit(p) for p in group]
        try:
            with self.write_lock():
                self.check_catalog()
                if any(catalog.owner_of(self.conn, p.sha) is not None for p in group):
                    raise StoreError("stored by another process meanwhile")  # each file alone, as a duplicate
                stored = [(self.put_file(p.path, p.sha, p.ex.media_type, sync=False), self._put_searchable(p.sha, p.ex))
                          for p in group]
                self.store.sync([rel for rel, _ in stored])
                _fault("stored")
                with catalog.transaction(self.conn):
                    recs = [self._commit(p.path, p.sha, p.size, rel, p.ex, p.fields, p.cls, p.from_inbox,
                                         p.header_conf, searchable, tx=False)
                            for p, (rel, searchable) in zip(group, stored)]
                _fault("committed")
        except (StoreError, sqlite3.Error, OSError):
            # nothing of the batch is recorded: each file again on its own, for its own outcome and message
            return [self._store_and_commit(p) for p in group]
        return [self._moved(p, rec) for p, rec in zip(group, recs)]

    def _moved(self, p: _Prepared, rec: dict) -> IngestResult:
        """After the commit: the original leaves the inbox; the result."""
        if p.from_inbox:
            try:
                with self.write_lock():
                    self._finish_move(p.path)
            except OSError as e:  # the record stands; inbox_moves finishes the move on a retry
                self.queue_index(rec["id"])
                return IngestResult(str(p.path), rec["status"], f"已登记，但原文件未能移出收件箱（{e.strerror}），"
                                    "稍后自动重试", rec)
            _fault("moved")
        self.queue_index(rec["id"])
        outcome = rec["status"]
        reason = p.cls.reason if outcome == "pending" else (p.cls.basis if p.cls.rule_id else None)
        return IngestResult(str(p.path), outcome, reason, rec)

    def _prepare(self, path: Path, from_inbox: bool):
        """Every stage before the store: an IngestResult when the file ends here (failed, duplicate,
        refused), else what the store and the catalog need (_Prepared)."""
        name = shown(path)
        if shown(path) != str(path):  # a name that is not valid UTF-8 (made on another system)
            return self._failed(path, "", f"文件名不是有效的 UTF-8 编码（显示为 {shown(path.name)}），无法登记。"
                                "请把文件改为正常的中文或英文名后重新放入", from_inbox)
        try:
            mode = os.lstat(path).st_mode
        except OSError as e:
            return IngestResult(name, "failed", f"无法读取文件：{e.strerror}")
        if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
            # a FIFO would block the reader forever, a device is endless: never opened
            kind = ("命名管道（FIFO）" if stat.S_ISFIFO(mode) else "套接字" if stat.S_ISSOCK(mode)
                    else "设备文件" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "文件夹" if stat.S_ISDIR(mode)
                    else "特殊文件")
            return self._failed(path, "", f"这是一个{kind}，不是普通文件，未打开读取。请放入文件本身", from_inbox)
        if path.is_symlink():  # never followed: what it points to may be anywhere on the machine
            try:
                target = os.readlink(path)
            except OSError:
                target = "?"
            return self._failed(path, "", f"这是一个符号链接（指向 {target}），不会被跟随读取。"
                                "请把文件本身（而不是快捷方式/链接）放入收件箱", from_inbox)
        try:
            sha = sha256_file(path)
            size = path.stat().st_size
        except OSError as e:
            return IngestResult(name, "failed", f"无法读取文件：{e.strerror}")

        existing = catalog.owner_of(self.conn, sha)  # main file, further file or searchable PDF
        if existing is not None:
            return self._duplicate(path, sha, existing, from_inbox)

        limit = self.cfg.limits.max_file_mb
        if size > limit * 1024 * 1024:
            return self._failed(path, sha, f"文件过大（{size / 1048576:.0f} MB，上限 {limit} MB），未读取。"
                                "请核实文件；如确需入库，请调大 config.toml [limits] max_file_mb", from_inbox)
        try:
            ex = self.worker.extract(path)  # in a child process with time and memory limits (OCR too)
        except StopRequested:
            raise
        except ExtractionError as e:
            return self._failed(path, sha, str(e), from_inbox)
        except Exception as e:  # a library bug on a hostile file must not stop the batch
            return self._failed(path, sha, f"读取文件时出错（{type(e).__name__}: {e}）", from_inbox)

        fields = gongwen.parse(ex.text)
        level = secrecy.secret_level(fields, ex)
        if level:
            return self._refused(path, sha, fields, from_inbox, level)

        cls = classify(fields, ex.text, ex.pages, self.cfg)
        if fields.date is not None and (later := _future(fields.date)):
            fields.warnings.append(later)  # a date after today is kept, with a warning on the record
        header_conf = _ocr_gate(ex, fields, self.cfg)
        if header_conf[1]:
            cls = _pending_for_ocr(cls, header_conf[1])
        _fault("classified")
        return _Prepared(path, sha, size, ex, fields, cls, header_conf[0], from_inbox)

    def _store_and_commit(self, p: _Prepared) -> IngestResult:
        """Store one prepared file and commit its record in its own transaction."""
        path, sha, ex, name = p.path, p.sha, p.ex, str(p.path)
        try:
            with self.write_lock():
                self.check_catalog()
                again = catalog.owner_of(self.conn, sha)  # another process stored it while we read
                if again is not None:
                    return self._duplicate(path, sha, again, p.from_inbox)
                rel = self.put_file(path, sha, ex.media_type)
                searchable = self._put_searchable(sha, ex)
                _fault("stored")
                rec = self._commit(path, sha, p.size, rel, ex, p.fields, p.cls, p.from_inbox, p.header_conf,
                                   searchable)
                _fault("committed")
        except StoreError as e:
            return IngestResult(name, "failed", str(e))  # not the file's fault: left where it is, retried later
        except sqlite3.IntegrityError:
            # another process committed the same content between our check and our commit
            existing = catalog.owner_of(self.conn, sha)
            return self._duplicate(path, sha, existing, p.from_inbox)
        except (sqlite3.OperationalError, OSError) as e:  # disk full, I/O error: not the file's fault
            self._drop_unreferenced(sha, ex.media_type)
            if ex.searchable_pdf:
                import hashlib
                self._drop_unreferenced(hashlib.sha256(ex.searchable_pdf).hexdigest(), "pdf")
            return IngestResult(name, "failed", _write_failure(e))
        return self._moved(p, rec)

    def _put_searchable(self, sha: str, ex: Extracted) -> str | None:
        """Store the OCR'd scan with its added text layer (content-addressed, beside the original)."""
        if not ex.searchable_pdf:
            return None
        tmp = self.store.tmp / f".ocr-{sha}.{os.getpid()}.{secrets.token_hex(4)}.part"
        try:
            tmp.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(ex.searchable_pdf)
            return self.put_file(tmp, sha256_file(tmp), "pdf", "searchable")
        except OSError as e:
            raise StoreError(f"无法保存可检索 PDF：{e.strerror}（请检查磁盘空间和权限）") from e
        finally:
            tmp.unlink(missing_ok=True)

    def _commit(self, path: Path, sha: str, size: int, rel: str, ex: Extracted, fields: GongwenFields,
                cls: Classification, from_inbox: bool, header_conf: float | None = None,
                searchable: str | None = None, tx: bool = True, *, filename: str | None = None,
                action: str = "ingest", detail: dict | None = None) -> dict:
        """Insert one record (and its text, keys, event); ``tx=False`` inside a batch's transaction
        (ingest_many). ``filename``/``action``/``detail``: for records rebuilt by ``archive recover``."""
        conn = self.conn
        ts = catalog.now()
        dn = fields.doc_number
        # tx=False: inside a batch's transaction (ingest_many); the full text is indexed by the catalog's
        # triggers in whichever transaction this runs
        with (catalog.transaction(conn) if tx else nullcontext()):
            code = None
            if cls.status == "archived":
                code = archival_code.allocate(conn, self.cfg.fonds, fields.date.year, cls.retention, cls.org)
            row = {
                "sha256": sha, "filename": filename or path.name, "source_path": str(path.resolve()),
                "stored_path": rel,
                "media_type": ex.media_type, "size": size, "pages": ex.pages, "status": cls.status,
                "archival_code": str(code) if code else None,
                "fonds": self.cfg.fonds,
                "year": fields.date.year if fields.date else (dn.year if dn else None),
                "retention": cls.retention, "org": cls.org,
                "item_no": code.item_no if code else None,
                "doc_number": dn.canonical if dn else None, "doc_number_raw": dn.raw if dn else None,
                "docno_code": dn.code if dn else None, "docno_year": dn.year if dn else None,
                "docno_serial": dn.serial if dn else None, "docno_kind": dn.kind if dn else None,
                "title": fields.title, "issuer": fields.issuer,
                "date": fields.date.isoformat() if fields.date else None,
                "doc_type": fields.doc_type, "secrecy": fields.secrecy, "urgency": fields.urgency,
                "recipients": fields.recipients, "signer": fields.signer, "cc": fields.cc,
                "printer": fields.printer,
                "print_date": fields.print_date.isoformat() if fields.print_date else None,
                "attachments": json.dumps(fields.attachments, ensure_ascii=False) if fields.attachments else None,
                "note": fields.note, "relation": cls.relation, "rule_id": cls.rule_id, "basis": cls.basis,
                "reason": cls.reason, "extract_method": ex.method,
                "warnings": json.dumps(warns, ensure_ascii=False) if (warns := ex.warnings + fields.warnings) else None,
                "ingested_at": ts, "updated_at": ts,
                "ocr_confidence": _mean([c for c in ex.page_confidences if c is not None]),
                "ocr_header_confidence": header_conf, "searchable_path": searchable,
            }
            cols = ", ".join(row)
            cur = conn.execute(f"INSERT INTO documents({cols}) VALUES ({', '.join('?' * len(row))})",
                               tuple(row.values()))
            doc_id = cur.lastrowid
            conn.execute("INSERT INTO document_texts(document_id, text) VALUES (?,?)", (doc_id, ex.text))
            if any(c is not None for c in ex.page_confidences):
                conn.executemany(
                    "INSERT INTO document_pages(document_id, page, method, confidence) VALUES (?,?,?,?)",
                    [(doc_id, i + 1, "text-layer" if c is None else "ocr", c)
                     for i, c in enumerate(ex.page_confidences)])
            if dn is not None:
                conn.executemany("INSERT OR IGNORE INTO docno_keys(key, document_id) VALUES (?,?)",
                                 [(k, doc_id) for k in docno.search_keys(dn)])
            self.journal_done(rel, searchable)
            catalog.append_event(conn, action, doc_id, {
                "filename": row["filename"], "source": str(path), "sha256": sha, "status": cls.status,
                "archival_code": row["archival_code"], "rule_id": cls.rule_id, "reason": cls.reason,
                **(detail or {}),
            })
            if from_inbox:
                dest = _dated(self.cfg.processed_dir, _inbox_relative(path, self.cfg.inbox))
                conn.execute("INSERT OR REPLACE INTO inbox_moves(source, destination, sha256, reason) "
                             "VALUES (?,?,?,NULL)", (str(path), str(dest), sha))
            _fault("in-transaction")
        return catalog.record(conn.execute("SELECT * FROM documents WHERE id=?", (doc_id,)).fetchone())

    def _finish_move(self, path: Path) -> None:
        """Move a committed record's original out of the inbox, if it is still the file that was
        archived: a file replaced in the inbox since (same name, other content) is a new input and stays."""
        row = self.conn.execute("SELECT * FROM inbox_moves WHERE source=?", (str(path),)).fetchone()
        if row is None:
            return
        try:
            same = sha256_file(path) == row["sha256"]
        except FileNotFoundError:
            same = False
        if same:
            dest = _move(path, Path(row["destination"]), None)
            try:  # replaced in the instant between the check and the move: put the newcomer back
                if sha256_file(dest) != row["sha256"] and not os.path.lexists(path):
                    os.rename(dest, path)
            except OSError:
                pass
        self.conn.execute("DELETE FROM inbox_moves WHERE source=?", (str(path),))

    def _drop_unreferenced(self, sha: str, media_type: str) -> None:
        """After a failed commit: remove the stored copy we journalled and no record owns (else
        reconcile would)."""
        rel = self.store.relpath(sha, media_type)
        try:
            with self.write_lock():
                ours = self.conn.execute("SELECT 1 FROM store_journal WHERE stored_path=?", (rel,)).fetchone()
                if ours and rel not in catalog.referenced_files(self.conn):
                    self.store.remove(rel)
                    self.conn.execute("DELETE FROM store_journal WHERE stored_path=?", (rel,))
        except (sqlite3.Error, OSError):
            pass  # reconcile removes it on the next start

    # ---- outcomes without a new record -------------------------------------------------------
    def _side_outcome(self, path: Path, sha: str, outcome: str, reason: str, folder: Path,
                      from_inbox: bool, document_id: int | None = None, record: dict | None = None,
                      advice: str = "") -> IngestResult:
        try:
            return self._side_outcome_unsafe(path, sha, outcome, reason, folder, from_inbox, document_id,
                                             record, advice)
        except (sqlite3.OperationalError, OSError) as e:  # disk full: the file stays, tried again later
            return IngestResult(shown(path), "failed", f"{reason}；且{_write_failure(e)}", record)

    def _side_outcome_unsafe(self, path, sha, outcome, reason, folder, from_inbox, document_id, record,
                             advice) -> IngestResult:
        with self.write_lock():
            with catalog.transaction(self.conn):
                catalog.append_event(self.conn, outcome, document_id, {"filename": shown(path.name),
                                     "source": shown(path), "sha256": sha, "reason": reason})
            _fault("logged")
            if from_inbox:
                dest = _dated(folder, _inbox_relative(path, self.cfg.inbox))
                _move(path, dest, _reason_text(path, outcome, reason, advice))
        return IngestResult(shown(path), outcome, reason, record)

    def _duplicate(self, path, sha, existing, from_inbox) -> IngestResult:
        # A record committed just before a crash, whose original is still in the inbox: finish the move.
        pending = self.conn.execute("SELECT 1 FROM inbox_moves WHERE source=? AND sha256=?",
                                    (str(path), sha)).fetchone()
        rec = catalog.record(existing)
        if from_inbox and pending:
            with self.write_lock():
                self._finish_move(path)
            return IngestResult(shown(path), existing["status"], "上次中断后已完成归档", rec)
        ref = existing["archival_code"] or f"记录 {existing['id']}"
        reason = f"与已入库文件相同（{ref}，{existing['filename']}）"
        return self._side_outcome(path, sha, "duplicate", reason, self.cfg.duplicates_dir, from_inbox,
                                  existing["id"], rec, "无需处理；如确需再次入库，请先核对原记录。")

    def _failed(self, path, sha, reason, from_inbox) -> IngestResult:
        return self._side_outcome(path, sha, "failed", reason, self.cfg.failed_dir, from_inbox,
                                  advice="请检查文件能否正常打开；修复或另存后重新放入收件箱。")

    def _refused(self, path, sha, fields: GongwenFields, from_inbox, level: str | None = None) -> IngestResult:
        level = level or fields.secrecy
        where = f"已移入隔离文件夹 {self.cfg.refused_dir.name}/" if from_inbox else "原文件未改动"
        reason = f"{secrecy.refusal_reason(level, fields)}，{where}"
        advice = ("请按保密规定在涉密载体或涉密系统中处理本文件，并从本机删除副本。" if level in secrecy.SECRET_LEVELS
                  else "请人工查看原件：确属涉密的，按保密规定处理；确认不涉密的，可转为带文字层的 PDF 或重新清晰扫描后再放入。")
        return self._side_outcome(path, sha, "refused", reason, self.cfg.refused_dir, from_inbox, advice=advice)

    # ---- reading -----------------------------------------------------------------------------
    def resolve(self, ref: str) -> sqlite3.Row:
        """A REF is a record id, a 档号 (any separator) or a 发文字号 in any spelling."""
        from archive.bounds import as_record_id, check_text_arg

        ref = check_text_arg(ref.strip(), "REF（记录号、档号或发文字号）")
        if not ref:
            raise NotFoundError("REF 为空：请给出记录号、档号或发文字号（可用 archive list 查看）")
        conn = self.conn
        record_id = as_record_id(ref)  # not ``isdigit``: ``²`` and ``①`` are digits to Python
        if record_id is not None:
            row = conn.execute("SELECT * FROM documents WHERE id=?", (record_id,)).fetchone()
            if row:
                return row
        code = archival_code.parse(ref)
        if code:
            row = conn.execute("SELECT * FROM documents WHERE archival_code=?", (str(code),)).fetchone()
            if row:
                return row
            from archive.importing import same_code  # an imported 档号 kept in its old spelling

            row = same_code(conn, ref)
            if row:
                return row
        matches = catalog.docno_matches(conn, ref)
        best = [doc_id for doc_id, rank in matches if rank == matches[0][1]] if matches else []
        if len(best) == 1:
            return conn.execute("SELECT * FROM documents WHERE id=?", (best[0],)).fetchone()
        if best:
            rows = conn.execute(f"SELECT * FROM documents WHERE id IN ({','.join('?' * len(best))}) ORDER BY id",
                                best).fetchall()
            listing = "；".join(f"{r['id']} {r['archival_code'] or ''} {r['doc_number']}" for r in rows[:5])
            raise NotFoundError(f"“{ref}” 对应多份文件（{listing}）：请用记录号或档号指定")
        raise NotFoundError(f"找不到 “{ref}”：请用记录号、档号或发文字号（可用 archive list 查看）")


def _future(date) -> str | None:
    from archive.bounds import future_warning

    return future_warning(date=date)


# ---- OCR: a 版头 or 成文日期 read with low confidence never gets a 档号 ----------------------------------------
def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 1) if xs else None


def _ocr_gate(ex: Extracted, fields: GongwenFields, cfg: Config) -> tuple[float | None, str | None]:
    """(版头 confidence, pending reason or None) for a document read by OCR. The 成文日期 is checked too:
    its year is the 档号's 年度."""
    from archive.extract.ocr import date_confidence, header_confidence, low_confidence_reason

    if not ex.ocr_lines:
        return None, None
    conf = header_confidence(ex.ocr_lines, fields.doc_number.raw if fields.doc_number else None, fields.title)
    conf = round(conf, 1) if conf is not None else None
    return conf, low_confidence_reason(conf, cfg.ocr, date_confidence(ex.ocr_lines, fields.date))


def _pending_for_ocr(cls: Classification, reason: str) -> Classification:
    """Pending (待定) instead of archived/excluded; the rule's verdict stays as the suggestion."""
    if cls.status == "pending":
        reason = f"{cls.reason}；{reason}"
    elif cls.rule_id:
        reason += f"（规则 {cls.rule_id} 建议{'归档' if cls.status == 'archived' else '不归档'}）"
    return Classification(status="pending", retention=cls.retention, org=cls.org, rule_id=cls.rule_id,
                          basis=cls.basis, relation=cls.relation, reason=reason)


# ---- moving inbox originals ------------------------------------------------------------------
def shown(path) -> str:
    """A path as text that can be printed, logged and stored: bytes of a name that is not valid UTF-8
    (os.fsdecode keeps them as surrogates) become U+FFFD."""
    return os.fsencode(str(path)).decode("utf-8", "replace")


def _inbox_relative(path: Path, inbox: Path) -> Path:
    try:
        return path.resolve().relative_to(inbox.resolve())
    except ValueError:
        return Path(path.name)


def _dated(folder: Path, rel: Path) -> Path:
    return folder / dt.date.today().isoformat() / rel


def _write_failure(e: Exception) -> str:
    what = getattr(e, "strerror", None) or str(e)
    return (f"写入档案库或移动文件失败（{what}）：原文件留在原处，未登记。"
            "请检查磁盘空间和权限，空间恢复后会自动重试（或重新运行 archive ingest）")


NAME_MAX = 255  # bytes in one file name (ext4, xfs, tmpfs)
REASON_SUFFIX = ".原因.txt"


def _named(dest: Path, tag: str, room: int) -> Path:
    """``dest`` with ``tag`` before its extension, the stem shortened (marked …) to leave ``room`` bytes."""
    suffix = dest.suffix if len(dest.suffix.encode("utf-8")) <= 16 else ""
    stem = dest.name[: len(dest.name) - len(suffix)] if suffix else dest.name
    name, cut = stem + tag + suffix, stem
    while len(os.fsencode(name)) > NAME_MAX - room and cut:
        cut = cut[:-1]
        name = cut + "…" + tag + suffix
    return dest.with_name(name)


def _free_name(dest: Path, room: int = 0) -> Path:
    """A name in dest's folder that is not taken (`` (2)``, `` (3)`` …) and fits, with ``room`` to spare."""
    for i in range(1, 100000):
        cand = _named(dest, f" ({i})" if i > 1 else "", room)
        # os.path.lexists: False (not an exception) for a name too long to exist
        if not os.path.lexists(cand) and not os.path.lexists(str(cand) + REASON_SUFFIX):
            return cand
    raise StoreError(f"{dest.parent} 中同名文件过多，请清理")


def _move(src: Path, dest: Path, reason_text: str | None) -> Path:
    """Move an inbox original out of the inbox, never overwriting; write its reason file beside it.

    A rename, or (across file systems) a copy whose source is then removed; when the source cannot be
    removed (a read-only inbox) the copy and the reason file are taken back, so a retry never leaves a
    second copy behind. A FIFO or device is never copied (that would read it)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest = _free_name(dest, len(REASON_SUFFIX.encode("utf-8")) if reason_text else 0)
    reason_file = Path(str(dest) + REASON_SUFFIX)
    if reason_text:
        reason_file.write_text(reason_text, encoding="utf-8")
    try:
        try:
            os.rename(src, dest)
        except OSError as e:
            if e.errno != errno.EXDEV or not (os.path.islink(src) or os.path.isfile(src)):
                raise
            shutil.copy2(src, dest, follow_symlinks=False)
            try:
                os.unlink(src)
            except OSError:
                os.unlink(dest)
                raise
    except BaseException:
        if reason_text:
            reason_file.unlink(missing_ok=True)
        raise
    return dest


def _reason_text(path: Path, outcome: str, reason: str, advice: str) -> str:
    label = {"duplicate": "重复文件", "failed": "处理失败", "refused": "拒收（涉密）"}.get(outcome, outcome)
    return (f"文件：{shown(path.name)}\n时间：{catalog.now()}\n结果：{label}\n原因：{reason}\n"
            f"处理建议：{advice}\n")


def _peek(path: Path) -> tuple[int, set[str]]:
    """(number of records, journalled in-flight copies) of a catalog, read-only; raises
    CatalogLostError when it does not open as a database."""
    try:
        conn = sqlite3.connect(f"file:{path.absolute().as_posix()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as e:
        raise CatalogLostError(_lost_message(path, "garbage", 0) + f"（{e}）") from e
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
    except sqlite3.DatabaseError as e:
        raise CatalogLostError(_lost_message(path, "garbage", 0) + f"（{e}）") from e
    finally:
        conn.close()


def _lost_message(path: Path, state: str, n_files: int) -> str:
    what = {"missing": "不存在", "empty": "是空文件（0 字节）", "garbage": "已损坏（不是可读的 SQLite 数据库）",
            "blank": "是一个没有任何记录的空目录"}[state]
    files = f"而档案库中还有 {n_files} 个存储文件" if n_files else "而档案库中还有数据"
    return (f"目录数据库 {path} {what}，{files}：为保护这些文件，已停止，没有改动任何文件。"
            "请用 archive restore 从备份恢复，或运行 archive recover 从存储文件重建目录（原目录文件会被保留）")


def open_archive(cfg: Config, create: bool = False) -> Archive:
    arc = Archive(cfg)
    if create:
        arc.init()
    return arc

