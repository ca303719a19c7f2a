"""Ctrl+C and SIGTERM during a long command (ingest, watch, the imports): stop between two files, never
in the middle of one.

Inside ``stop_on_signal()`` a SIGINT or SIGTERM only sets an event; the loops of the services look at it
(``arc.cancel``) before each file or record and end there. What was committed stays, its full text is
written (the end of ``arc.change``), the command prints its summary marked 已中断 and exits with ``EXIT_CODE`` (130,
as a shell reports Ctrl+C). A wait for the write lock or for the extraction worker ends at once too (the
file is rolled back: nothing stored, the original where it was). A third signal gives up waiting and stops
the process the ordinary way.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_CODE = 130  # 128 + SIGINT: what a shell shows for a command stopped with Ctrl+C
MARK = "已中断"
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stop(threading.Event):
    """The stop request: an Event (``arc.cancel`` takes it) that also remembers which signal came."""

    signum: int | None = None


@contextmanager
def stop_on_signal(stop: threading.Event | None = None, *,
                   notice: str = "收到中断请求：完成当前文件后停止（再按两次 Ctrl+C 立即退出）") -> Iterator[Stop]:
    """SIGINT and SIGTERM set the yielded event instead of raising KeyboardInterrupt or killing the process.
    ``stop``: an event of the caller's (the watcher's stop_event) to set as well. Only in the main thread
    (signal handlers can be installed nowhere else); elsewhere the event is yielded and never set."""
    event = Stop()
    count = [0]

    def handler(signum, frame) -> None:
        count[0] += 1
        if event.signum is None:
            event.signum = signum
        event.set()
        if stop is not None:
            stop.set()
        if count[0] == 1 and notice:
            try:  # os.write: safe inside a signal handler, even while rich draws a progress bar
                os.write(2, ("\n" + notice + "\n").encode("utf-8"))
            except OSError:
                pass
        elif count[0] >= 3:
            raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield event
        return
    old = {s: signal.signal(s, handler) for s in _SIGNALS}
    try:
        yield event
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def stopped(arc) -> bool:
    """Whether the archive's current command was asked to stop (``arc.cancel`` set)."""
    ev = getattr(arc, "cancel", None)
    return ev is not None and ev.is_set()


def flush_after_stop(arc) -> None:
    """Write the full text of what was committed (Whoosh), also after a stop: the stop request no longer
    ends a wait for the write lock here, so nothing is left with ``indexed`` = 0."""
    cancel, arc.cancel = getattr(arc, "cancel", None), None
    try:
        with arc.change(transaction=False):
            pass  # the end of a unit of work writes what is queued for the index
    finally:
        arc.cancel = cancel
