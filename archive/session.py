"""The archive handle: an opened archive's config, file store, catalog connection and write lock.

Everything that reads or changes an archive starts from ``open_archive``: the handle checks the catalog is the
one the store belongs to before anything is written, finishes what a crash interrupted (``reconcile``), copies
files into the store under a journal (``put_file``), keeps a Whoosh index in step (``queue_index``, written when
a unit of work ends, and ``reindex``) and resolves a REF to a record. ``change()`` is the one way the archive is
changed: the write lock (between processes), one catalog transaction, the rows re-read under the lock
(``Change.record``, ``Change.changed_since``) and the index queue written after the commit. The services
(ingest in ``archive.pipeline``, review, edit, attach, …) stand on this module; it imports none of them.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from archive import archival_code, catalog, inbox
from archive.config import Config
from archive.errors import AmbiguousRefError, CatalogLostError, NotFoundError, StopRequested, StoreError
from archive.extract.worker import ExtractWorker
from archive.faults import fault
from archive.index import open_index
from archive.models import IngestResult
from archive.store import FileStore, sha256_file
from archive.words import status_name

# columns that change without a person's decision (the Whoosh mark): not compared by Change.changed_since
_UNCOMPARED = ("indexed",)

INDEX_BATCH = 200  # records committed to a Whoosh index together during a batch

_fault = fault  # crash-test hook (archive/faults.py)


@dataclass
class Change:
    """One unit of work under the write lock (see :meth:`Archive.change`): ``conn`` is the catalog connection
    in the unit's transaction; ``record`` re-reads a record under the lock, where nobody else can change it."""
    arc: "Archive"
    _conn: sqlite3.Connection | None = None  # None: the handle's connection, opened when first used
    actor: str | None = None
    reason: str | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        return self._conn if self._conn is not None else self.arc.conn

    def record(self, document_id: int):
        """The record as it stands now, under the lock (None when there is none)."""
        return catalog.get_record(self.conn, document_id)

    def queue_index(self, document_id: int) -> None:
        """The record goes to a Whoosh index when the unit of work ends (after its commit)."""
        self.arc.queue_index(document_id)

    def changed_since(self, seen) -> str | None:
        """Why a record read before the lock (``seen``) must not be changed on that reading: it is gone, or
        another person or process changed it meanwhile (then: when, by whom, to what). None when it stands as
        it was read. The caller refuses with this reason, in its own error type, and changes nothing."""
        now = self.record(seen["id"])
        ref = seen["archival_code"] or f"记录 {seen['id']}"
        if now is None:
            return f"{ref} 已不存在，未作更改"
        same = [k for k in seen.keys() if k not in _UNCOMPARED and k in now.keys()]
        if all(seen[k] == now[k] for k in same):
            return None
        last = catalog.last_change(self.conn, seen["id"])
        when = f"已于 {last['ts']} 由 {last['actor']} " if last else "已被另一操作"
        if now["status"] != seen["status"]:
            code = f"（档号 {now['archival_code']}）" if now["archival_code"] else ""
            return f"{ref} {when}处理为{status_name(now['status'])}{code}，未作更改：请重新查看后再操作"
        return f"{ref} {when}修改，未作更改：请重新查看后再操作"


class Archive:
    """An opened archive: the config, the file store and the catalog connection."""

    def __init__(self, cfg: Config, *, rebuild: Path | None = None):
        """``rebuild``: this handle writes a new catalog at that path, beside the store (archive recover),
        instead of opening ``catalog.sqlite`` with its checks against a lost catalog."""
        self.cfg = cfg
        self.store = FileStore(cfg.store)
        self._rebuild = rebuild
        self._conn: sqlite3.Connection | None = None
        self._in_tx: Change | None = None  # the unit of work whose transaction is open
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
        return self._rebuild or self.cfg.store / "catalog.sqlite"

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
        if self._rebuild is not None:
            return catalog.connect(path, create=True)
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

    def rebuilt(self) -> None:
        """The catalog this handle was rebuilding is in place as ``catalog.sqlite`` (archive recover renamed
        it): from now on the handle opens that, with the usual checks."""
        self.close(index=False)
        self._rebuild = None

    @property
    def worker(self) -> ExtractWorker:
        if self._worker is None:
            self._worker = ExtractWorker(self.cfg.limits, tag=str(self.cfg.store), ocr=self.cfg.ocr)
            self._worker.cancel = self.cancel  # a watcher's SIGTERM ends an extraction within a second
        return self._worker

    def close(self, *, index: bool = True) -> None:
        """``index=False``: drop the Whoosh queue instead of writing it (a catalog being rebuilt)."""
        if self._worker is not None:
            self._worker.close()
            self._worker = None
        if not index:
            self._unindexed = []
        if self._conn is not None and self._unindexed:
            self._flush_index()
        self.index.close()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextmanager
    def _lock(self):
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

    @contextmanager
    def change(self, actor: str | None = None, reason: str | None = None, *, transaction: bool = True):
        """The one way to change the archive (a unit of work): the write lock, one catalog transaction
        (BEGIN IMMEDIATE … COMMIT, rolled back on any error), and the full-text index queue flushed when the
        outermost unit ends, after its commit. Yields a :class:`Change`; a service re-reads the rows it changes
        through it (``tx.record(id)``), under the lock, before deciding anything.

        Nested in an open unit, a ``change()`` joins its transaction. ``transaction=False`` holds the lock only,
        across several transactions of its own (a file copied into the store between a journal entry
        committed first and the record committed after); the ``change()`` units inside it each commit."""
        outermost = not self._lock_depth
        with self._lock():
            if not transaction or self._in_tx is not None:
                yield self._in_tx or Change(self, None, actor, reason)
            else:
                with catalog.transaction(self.conn) as conn:
                    self._in_tx = Change(self, conn, actor, reason)
                    try:
                        yield self._in_tx
                    finally:
                        self._in_tx = None
        if outermost:
            self._flush_index()

    # ---- crash recovery ----------------------------------------------------------------------
    def reconcile(self) -> list[str]:
        """Finish or roll back what a crash interrupted. Returns what was done (Chinese)."""
        done = []
        with self.change(transaction=False):
            conn = self.conn  # raises, touching nothing, when the catalog is gone (CatalogLostError)
            done += self.clean_leftovers()
            for row in catalog.inbox_moves(conn):
                src = Path(row["source"])
                try:
                    same = src.exists() and sha256_file(src) == row["sha256"]
                except OSError:
                    same = False
                if same:
                    try:
                        dest = inbox.move(src, Path(row["destination"]), row["reason"])
                    except OSError as e:  # read-only inbox: the record stands, the move is tried again later
                        done.append(f"无法把 {inbox.shown(src.name)} 移出收件箱（{e.strerror}），下次启动时再试")
                        continue
                    done.append(f"完成了中断的移动 {inbox.shown(src.name)} → {inbox.shown(dest)}")
                catalog.inbox_move_done(conn, row["source"])
            done += self._repair_index()
        done += [f"移交包 {r['source']} 的导入曾中断（已导入 {r['done']}/{r['planned']} 件）：请再次运行 "
                 f"archive import package {r['source']} 完成导入" for r in catalog.unfinished_imports(self.conn)]
        return done

    def clean_leftovers(self) -> list[str]:
        """The store's part of reconcile, for a command that changes the store without the rest of it
        (attach): temporary copies in store/tmp and journalled copies or removals a kill -9 left."""
        done = []
        with self.change(transaction=False):
            n = self.store.clean_tmp()
            if n:
                done.append(f"删除了 {n} 个未完成的临时副本")
            done += self._roll_back_journal()
        return done

    def _roll_back_journal(self) -> list[str]:
        """Remove the store copies this program started (store_journal) that no record came to own.
        A stored file not in the journal is never removed here, whatever the catalog says of it."""
        done = []
        referenced = set(catalog.referenced_files(self.conn))
        for rel in catalog.journalled_copies(self.conn):
            if rel not in referenced and os.path.lexists(self.store.abspath(rel)):
                # copied but never committed: its original is still where it was and will be read again
                self.store.remove(rel)
                done.append(f"回滚了未登记的存储文件 {rel}")
            catalog.copy_done(self.conn, rel)
        return done

    def put_file(self, src: Path, sha: str, media_type: str, purpose: str = "ingest", *, sync: bool = True) -> str:
        """Copy into the store, journalled: the copy is listed in store_journal (committed) before it
        starts, so a crash leaves a copy reconcile can prove is its own. Call under ``change(transaction=False)``; the
        caller's record transaction calls ``journal_done``."""
        rel = self.store.relpath(sha, media_type)
        if not os.path.lexists(self.store.abspath(rel)):  # an existing file is never ours to roll back
            # synchronous=NORMAL for this one commit: it survives a kill -9 (the WAL is in the OS cache),
            # and after a power cut the worst case is a copy left unremoved (verify reports it), never a
            # removed file; it spares an fsync per document
            with catalog.synchronous(self.conn, "NORMAL"), self.change() as tx:
                catalog.journal_copy(tx.conn, rel, sha, catalog.now(), purpose)
        return self.store.put(src, sha, media_type, sync=sync)

    def journal_done(self, *rels: str | None) -> None:
        """Inside the transaction that makes a record own these files: they are no longer in flight."""
        for rel in rels:
            if rel:
                catalog.copy_done(self.conn, rel)

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
        missing = catalog.unindexed_ids(self.conn)
        if missing:
            self._unindexed = sorted(set(self._unindexed) | set(missing))
            self._flush_index()
            return [f"补建了 {len(missing)} 份文件的全文索引"]
        return []

    def _index_docs(self, ids: list[int]):
        from archive.index.whoosh import to_document

        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            texts = catalog.texts_of(self.conn, chunk)
            for row in catalog.records(self.conn, chunk):
                yield to_document(row, texts.get(row["id"], ""))

    def queue_index(self, document_id: int) -> None:
        """A record committed to the catalog goes to a Whoosh index with the next batch."""
        if not self.whoosh:
            return
        self._unindexed.append(document_id)
        if len(self._unindexed) >= INDEX_BATCH:
            self._flush_index()

    def _flush_index(self) -> int:
        """Commit the records ingested since the last flush to a Whoosh index, then mark them indexed."""
        ids, self._unindexed = self._unindexed, []
        if not self.whoosh:
            return 0
        if not ids:
            return 0
        try:
            with self._lock():
                self.index.update(self._index_docs(ids))
        except StopRequested:
            self._unindexed = ids + self._unindexed
            raise
        except Exception as e:  # index deleted or damaged under us, disk full: the records are safe
            return self._index_failed(ids, e)
        _fault("indexed")
        catalog.mark_indexed(self.conn, ids)
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
            with self._lock():
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
            with self._lock():
                n = self.index.rebuild(self.conn, progress)
                self._drop_whoosh_folder()
            return n
        from archive.index.whoosh import Index

        ids = catalog.record_ids(self.conn)
        n = Index.rebuild(self.index.path, self._index_docs(ids), progress)
        catalog.mark_indexed(self.conn)
        self._unindexed = []
        return n

    def _drop_whoosh_folder(self) -> None:
        """After switching to the SQLite engine: the Whoosh folder (derived data only) is of no use."""
        catalog.mark_unindexed(self.conn)
        for p in (self.cfg.store / "index", self.cfg.store / "index.new", self.cfg.store / "index.old"):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)

    def drop_unreferenced(self, sha: str, media_type: str) -> None:
        """After a failed commit: remove the stored copy we journalled and no record owns (else
        reconcile would)."""
        rel = self.store.relpath(sha, media_type)
        try:
            with self._lock():
                if catalog.is_journalled(self.conn, rel) and rel not in catalog.referenced_files(self.conn):
                    self.store.remove(rel)
                    catalog.copy_done(self.conn, rel)
        except (sqlite3.Error, OSError):
            pass  # reconcile removes it on the next start

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
            row = catalog.get_record(conn, record_id)
            if row:
                return row
        code = archival_code.parse(ref)
        if code:
            row = catalog.by_archival_code(conn, str(code)) or archival_code.same_code(conn, ref)  # any spelling, an imported 档号 kept in its old one
            if row:
                return row
        matches = catalog.docno_matches(conn, ref)
        best = [doc_id for doc_id, rank in matches if rank == matches[0][1]] if matches else []
        if len(best) == 1:
            return catalog.get_record(conn, best[0])
        if best:
            rows = catalog.records(conn, best)
            listing = "；".join(f"{r['id']} {r['archival_code'] or ''} {r['doc_number']}" for r in rows[:5])
            raise AmbiguousRefError(f"“{ref}” 对应多份文件（{listing}）：请用记录号或档号指定", rows)
        if code and (moved := catalog.former_code(conn, str(code))):  # a 档号 changed by reclassify
            now = moved["current_code"] or "无档号（现为不归档或待定）"
            raise NotFoundError(f"档号 {code} 已改为 {now}（记录号 {moved['document_id']}）：请用新档号或记录号；"
                                f"archive show {code} 可查看该记录")
        raise NotFoundError(f"找不到 “{ref}”：请用记录号、档号或发文字号（可用 archive list 查看）")



def _peek(path: Path) -> tuple[int, set[str]]:
    """(number of records, journalled in-flight copies) of a catalog, read-only; raises
    CatalogLostError when it does not open as a database."""
    try:
        return catalog.peek(path)
    except sqlite3.Error as e:
        raise CatalogLostError(_lost_message(path, "garbage", 0) + f"（{e}）") from e


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
