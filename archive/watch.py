"""Watch the inbox folder and run every file dropped there through the pipeline.

What a watched inbox must survive (the lessons of paperless-ngx's consumer): files still being copied
(wait until size and mtime stop changing), editors' and browsers' temporary files (ignored), files that
arrived while the watcher was down (a scan at start), events lost on network shares (a periodic rescan,
and ``--polling``), a crash half-way (reconcile at start), and a second watcher on the same store (refused).
"""

from __future__ import annotations

import fcntl
import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from archive import oa_package, pipeline
from archive.errors import StopRequested, StoreError
from archive.models import IngestResult
from archive.session import Archive
from archive.walk import is_ignored, walk

__all__ = ["InboxWatcher", "is_ignored", "scan"]

# watchdog logs in English to stderr when no logging is configured, e.g. "InotifyEmitter.queue_events() called
# when the thread is inactive" as the observer stops on Ctrl+C: a clerk sees none of it (lost events are
# caught by the periodic rescan anyway).
logging.getLogger("watchdog").addHandler(logging.NullHandler())

RETRY_SECONDS = 30.0  # a file that failed for a reason not its own (disk full) is tried again after this


def scan(inbox: Path) -> list[Path]:
    """Every file under the inbox; symlinks listed as themselves, never followed (walk.walk)."""
    return walk(inbox)


def check_inbox(cfg) -> None:
    """Refuse to watch an inbox that would swallow the archive: one that holds the store, the config or
    the outcome folders (``inbox = "."``), lies inside the store, is not a folder, or cannot be written
    (every original would stay and be re-read on every start)."""
    inbox = cfg.inbox
    if inbox.exists() and not inbox.is_dir():
        raise StoreError(f"收件箱 {inbox} 不是文件夹：请在 config.toml 的 [paths] inbox 中指定一个文件夹")
    own = {"档案库": cfg.store, "配置文件": getattr(cfg, "path", None), "已处理文件夹": cfg.processed_dir,
           "重复文件夹": cfg.duplicates_dir, "失败文件夹": cfg.failed_dir, "隔离文件夹": cfg.refused_dir}
    for what, p in own.items():
        if p is not None and _inside(Path(p), inbox):
            raise StoreError(f"收件箱 {inbox} 包含本程序的{what} {p}：收件箱里的一切都会被当作来件移走。"
                             "请在 config.toml 的 [paths] 中把 inbox 设为一个单独的文件夹（如 inbox = \"inbox\"）")
    if _inside(inbox, cfg.store):
        raise StoreError(f"收件箱 {inbox} 位于档案库 {cfg.store} 之内：请在 config.toml 的 [paths] 中把它设到档案库之外")
    if inbox.is_dir() and not os.access(inbox, os.W_OK | os.X_OK):
        raise StoreError(f"收件箱 {inbox} 是只读的：处理后的文件无法移出，会被反复处理。"
                         "请给运行本程序的账户写入权限，或换一个收件箱文件夹")


def _inside(folder: Path, inbox: Path) -> bool:
    try:
        folder.resolve().relative_to(inbox.resolve())
        return True
    except (ValueError, OSError):
        return False


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: "InboxWatcher"):
        self.w = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            if event.event_type in ("created", "moved"):
                self.w.rescan_now.set()  # a folder dropped or renamed in: look inside it
            return
        for p in (getattr(event, "dest_path", None), event.src_path):
            if p:
                self.w.notice(Path(p))


class InboxWatcher:
    def __init__(self, arc: Archive, *, polling: bool = False,
                 on_result: Callable[[IngestResult], None] | None = None,
                 on_message: Callable[[str], None] | None = None):
        self.arc = arc
        self.cfg = arc.cfg
        self.inbox = arc.cfg.inbox
        self.polling = polling
        self.on_result = on_result or (lambda r: None)
        self.on_message = on_message or (lambda m: None)
        self._seen: dict[Path, tuple[int, int, float]] = {}  # path -> (size, mtime_ns, stable since)
        self._retry_at: dict[Path, float] = {}
        self._lock = threading.Lock()
        self.rescan_now = threading.Event()
        self.stop_event = threading.Event()
        self.results: list[IngestResult] = []
        # a stop request (SIGTERM) also ends a wait for the write lock or an extraction (StopRequested)
        arc.cancel = self.stop_event
        arc.on_message = self.on_message
        if arc._worker is not None:
            arc._worker.cancel = self.stop_event

    def notice(self, path: Path) -> None:
        if is_ignored(path, self.inbox) or not _inside(path.parent, self.inbox):
            return  # nothing behind a symlinked folder is read; the link itself is failed with a reason
        path = oa_package.package_root(path.parent, self.inbox) or path  # a package folder is one 件
        with self._lock:
            self._seen.setdefault(path, (-1, -1, 0.0))

    def _rescan(self) -> None:
        for p in scan(self.inbox):
            self.notice(p)

    def _ready(self, now: float) -> list[Path]:
        """Files whose size and mtime have not changed for settle_seconds."""
        ready = []
        with self._lock:
            for p, (size, mtime, since) in list(self._seen.items()):
                if self._retry_at.get(p, 0) > now:
                    continue
                try:
                    st = os.lstat(p)  # a symlink is judged as itself, never followed
                    # a package folder: everything in it settled, and its manifest (written last) there
                    sig = (st.st_size, st.st_mtime_ns) if not stat.S_ISDIR(st.st_mode) else oa_package.signature(p)
                except OSError:
                    del self._seen[p]  # moved away or deleted by its owner: nothing to do
                    continue
                if sig != (size, mtime):
                    self._seen[p] = (*sig, now)
                elif now - since >= self.cfg.settle_seconds:
                    if oa_package.ready(p):
                        ready.append(p)
                    else:  # a package folder without its manifest (written last): not yet, looked at again
                        self._retry_at[p] = now + self.cfg.settle_seconds
        return ready

    def _process(self, path: Path) -> None:
        if oa_package.is_package(path):  # an OA 归档信息包 (folder or zip): one 件
            result = oa_package.take_in(self.arc, path, from_inbox=True)
        else:
            result = pipeline.ingest_file(self.arc, path, from_inbox=True)
        with self._lock:
            if os.path.lexists(path):
                # left in place (e.g. disk full): try again later, never in a tight loop
                self._retry_at[path] = time.monotonic() + RETRY_SECONDS
                self._seen[path] = (-1, -1, 0.0)
            else:
                self._seen.pop(path, None)
                self._retry_at.pop(path, None)
        self.results.append(result)
        self.on_result(result)

    def pending(self) -> int:
        with self._lock:
            return len(self._seen)

    def run(self, once: bool = False, tick: float = 0.25) -> list[IngestResult]:
        """Process the inbox; with ``once`` return when it is empty, else until stop_event is set."""
        check_inbox(self.cfg)
        self.cfg.store.mkdir(parents=True, exist_ok=True)
        with open(self.cfg.store / ".watch.lock", "a+") as lockf:
            try:
                fcntl.flock(lockf, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(f"另一个 archive watch 正在监视档案库 {self.cfg.store}：同一档案库只能运行一个监视进程，"
                                 "请先停止另一个") from None
            self.arc.init()
            try:
                for msg in self.arc.reconcile():
                    self.on_message(msg)
            except StopRequested as e:  # SIGTERM while waiting for another writer to finish
                self.on_message(str(e))
                return self.results
            observer = None
            if not once:
                observer = (PollingObserver(timeout=2) if self.polling else Observer())
                observer.schedule(_Handler(self), str(self.inbox), recursive=True)
                observer.start()
            try:
                try:
                    self._loop(once, tick)
                except StopRequested as e:  # SIGTERM while waiting for the lock or an extraction
                    self.on_message(str(e))
                with self.arc.change(transaction=False):
                    pass  # the end of a unit of work writes what is still queued for a Whoosh index
            finally:
                if observer is not None:
                    observer.stop()
                    observer.join(timeout=10)
        return self.results

    def _loop(self, once: bool, tick: float) -> None:
        self._rescan()
        last_scan = time.monotonic()
        while not self.stop_event.is_set():
            self.arc.check_catalog()  # catalog or store deleted under us: stop, never "归档" into nothing
            now = time.monotonic()
            if self.rescan_now.is_set() or now - last_scan >= self.cfg.rescan_seconds:
                self.rescan_now.clear()
                self._rescan()
                last_scan = now
            ready = self._ready(now)
            for path in ready:
                if self.stop_event.is_set():
                    break
                self.arc.check_catalog()
                self._process(path)
            if ready:  # searchable as soon as the burst is done (each file's unit of work wrote its own)
                with self.arc.change(transaction=False):
                    pass
            if self.stop_event.is_set():
                return
            if once:
                if not self._seen:
                    self._rescan()  # anything that arrived while we worked
                    if not self._seen:
                        return
                elif all(self._retry_at.get(p, 0) > now for p in self._seen):
                    return  # only files waiting for a retry are left: report them and stop
            self.stop_event.wait(tick)
