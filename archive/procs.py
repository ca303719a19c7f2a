"""Child processes die with their parent.

A kill -9 of ``archive reindex`` or ``archive restore`` must not leave Whoosh's writer processes behind:
they inherit the store's write-lock descriptor (fork), so an orphan holds the lock and every later
writer (a watcher) waits for it. Linux's PR_SET_PDEATHSIG sends the child SIGKILL when its parent
dies (as archive/extract/worker.py does for the extraction worker).
"""

from __future__ import annotations

import ctypes
import os
import signal

from archive.faults import fault

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None) -> None:
    """In a child: be killed when the parent dies; exit now if it already has (the race before prctl)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def arm_whoosh_writers() -> None:
    """Make the writer processes of Whoosh's multiprocessing writer (Index.rebuild) die with us."""
    from whoosh import multiproc

    task = multiproc.SubWriterTask
    if getattr(task, "_dies_with_parent", False):
        return
    run, start = task.run, task.start

    def start_armed(self):
        self._archive_parent = os.getpid()
        return start(self)

    def run_armed(self):
        die_with_parent(getattr(self, "_archive_parent", None))
        fault("reindex-child")  # crash test: the writer kills its parent (the parent dies, the child must too)
        return run(self)

    task.start, task.run, task._dies_with_parent = start_armed, run_armed, True
