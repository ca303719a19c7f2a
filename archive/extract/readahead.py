"""Several files of a batch read at once, each in its own extraction worker (issue 24: OCR throughput).

With one ONNX thread an extraction worker keeps one core busy; a batch of scans (``archive ingest DIR``, the
watched inbox's batches through ``intake.take_in``) is read ``n`` files at a time in ``n`` workers
(``[ocr] workers``, by default the cores the memory holds), while the caller takes the results in its own order
and does everything else (the 涉密 gate on the whole text, parsing, the catalog) as before. Each worker is an
``ExtractWorker`` with the usual limits (CPU, address space, wall clock, death with its thread), so a file
that crashes or overruns its worker fails alone, as it does when read by the one worker: the others are read
on. A file is read by one worker from its first page to its last, so its text is the same as from one worker;
its own pages are not split further here (each worker reads its pages itself: [ocr] workers processes in all).

The caller decides which files are read ahead (``submit``, with the key it will check: the content's SHA-256,
so a file changed between the reading and its turn is read again) and takes each result with ``take``.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from archive.extract.worker import ExtractWorker, Limits

__all__ = ["ReadAhead"]


@dataclasses.dataclass
class Read:
    """What a reading thread did with one file: ``key`` as submitted, ``before``: what the caller's check
    returned (run in the thread before the file is read; a non-None value means: not read), ``extracted`` or
    ``error`` (the exception ``ExtractWorker.extract`` raised)."""
    key: object
    before: object = None
    extracted: object = None
    error: BaseException | None = None


class ReadAhead:
    """``n`` threads, each driving its own extraction worker (started in that thread, so it lives as long as
    the thread: PR_SET_PDEATHSIG). Use as a context manager: leaving it stops and waits for every worker."""

    def __init__(self, n: int, limits: Limits, ocr, tag: str = "", cancel=None):
        self.n = n
        self.limits = limits
        self.ocr = dataclasses.replace(ocr, workers=1) if ocr is not None else None  # its pages itself
        self.tag = tag
        self.cancel = cancel  # a threading.Event: a stop request ends every worker's wait (StopRequested)
        self._pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="archive-read")
        self._local = threading.local()
        self._workers: list[ExtractWorker] = []
        self._lock = threading.Lock()
        self._futures: dict[Path, Future] = {}
        self.next = 0  # the caller's: the next of its files to consider for reading ahead
        self.shas: set = set()  # the caller's: the keys submitted so far

    def _worker(self) -> ExtractWorker:
        w = getattr(self._local, "worker", None)
        if w is None:
            w = self._local.worker = ExtractWorker(self.limits, tag=self.tag, ocr=self.ocr)
            w.cancel = self.cancel
            with self._lock:
                self._workers.append(w)
        return w

    def submit(self, path: Path, key, before=None) -> None:
        """Read ``path`` in the next free worker. ``before(path)``, if given, runs first in that thread (a
        virus scan): when it returns something other than None the file is not read."""
        def read() -> Read:
            r = Read(key)
            if before is not None:
                r.before = before(path)
                if r.before is not None:
                    return r
            try:
                r.extracted = self._worker().extract(path)
            except BaseException as e:  # noqa: BLE001 - handed to the caller with the file's turn
                r.error = e
            return r
        self._futures[Path(path)] = self._pool.submit(read)

    def take(self, path: Path) -> Read | None:
        """The reading of ``path`` (waits for it); None when it was not submitted."""
        fut = self._futures.pop(Path(path), None)
        return fut.result() if fut is not None else None

    def close(self) -> None:
        """Stop and wait: readings not started are dropped; a worker still reading a file nobody took (the
        caller stopped early) is killed, nothing of that file being stored; the workers and threads end."""
        early = bool(self._futures)
        for fut in self._futures.values():
            fut.cancel()
        self._futures.clear()
        with self._lock:
            workers = list(self._workers)
        if not early:  # idle: each child ends when its requests end
            for w in workers:
                w.close()
        for w in workers:
            proc = w._proc
            if early and proc is not None and proc.poll() is None:
                try:  # its thread sees the child's end and returns
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        self._pool.shutdown(wait=True)
        for w in workers:
            w.close()

    def __enter__(self) -> "ReadAhead":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
