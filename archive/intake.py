"""Taking files in: the one service ``archive ingest`` and the web page's upload both call.

``take_in`` finishes what a crash left (reconcile, when asked), runs the files through the pipeline (group
commit: ``Archive.ingest_many``), stops between two files when the caller's stop event is set (Ctrl+C,
SIGTERM: archive.interrupt), writes the full-text index of what was committed (also after a stop) and
returns the results (``take_in_placed``: one upload the web page writes into the inbox). ``stored`` is the
unit of work that copies a further file into the store and commits the record that owns it (the importers).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from archive import pipeline
from archive.errors import StopRequested
from archive.interrupt import flush_after_stop
from archive.models import IngestResult
from archive.session import Archive


@dataclass
class Intake:
    """What one ``take_in`` did: each file's result in order, and whether a stop request ended it early."""

    results: list[IngestResult] = field(default_factory=list)
    interrupted: bool = False
    reconciled: list[str] = field(default_factory=list)  # what reconcile finished first (Chinese)

    @property
    def failed(self) -> bool:
        return any(r.outcome == "failed" for r in self.results)


def take_in(arc: Archive, paths: list[Path], *, from_inbox: bool = False, reconcile: bool = True,
            stop: threading.Event | None = None, on_message: Callable[[str], None] | None = None,
            on_result: Callable[[IngestResult], None] | None = None) -> Intake:
    """Take ``paths`` in. ``stop``: set it (a signal handler does) to finish between two files; what was
    committed is indexed all the same (searchable at once)."""
    out = Intake()
    if reconcile:
        out.reconciled = arc.reconcile()
        for msg in out.reconciled:
            if on_message is not None:
                on_message(msg)

    def done(r: IngestResult) -> None:
        out.results.append(r)
        if on_result is not None:
            on_result(r)

    before = arc.cancel
    arc.cancel = stop if stop is not None else before
    from archive import oa_package

    packages = [p for p in paths if oa_package.is_package(p)]  # an OA 归档信息包: one 件 each (after the files)
    files = [p for p in paths if p not in packages]
    try:
        pipeline.ingest_many(arc, files, from_inbox=from_inbox, on_result=done)  # one round of disk flushes per batch
        for p in packages:
            if stop is not None and stop.is_set():
                break
            done(oa_package.take_in(arc, Path(p), from_inbox=from_inbox))
    except StopRequested:
        pass  # stopped while waiting for the lock: the batch being read was not stored
    finally:
        arc.cancel = before
        flush_after_stop(arc)  # the index of what was committed is written even after a stop
    out.interrupted = stop is not None and stop.is_set()
    return out


def take_in_placed(arc: Archive, place: Callable[[], Path | None]) -> Intake | None:
    """Take in the one file ``place`` puts into the inbox (it returns the file's path, or None when it
    refused the file: nothing is taken in). Placing and taking in are done under one hold of the write lock,
    so a watcher never takes the file too; the file is searchable when this returns."""
    with arc.change(transaction=False):
        path = place()
        return None if path is None else take_in(arc, [path], from_inbox=True, reconcile=False)


@contextmanager
def stored(arc: Archive, path: Path, sha: str, media_type: str, purpose: str, reason: str):
    """Copy a file into the store (journalled: a crash before the commit is rolled back by reconcile) and
    open the unit of work that makes a record own it: yields (change, the file's store path). The copy and
    the commit are made under one hold of the write lock, so no reconcile between them takes the copy for
    an orphan."""
    from archive import catalog

    with arc.change(transaction=False):
        rel = arc.put_file(path, sha, media_type, purpose)
        with arc.change(catalog.actor(), reason) as tx:
            arc.journal_done(rel)
            yield tx, rel

