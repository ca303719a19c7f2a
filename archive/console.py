"""What the command line prints, and how: the two streams, a table, the one JSON document under ``--json``, and
the progress bar. cli.py decides *what* to show; this module is the only place that knows *how*.

stdout carries the result (a table, or JSON that a script reads); stderr carries everything said to the person
at the terminal (counts, hints, warnings, the progress bar), so ``archive list --json > x.json`` stays clean.
rich's progress and table modules are imported only when a command draws one: ``archive --help`` stays quick.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from rich.console import Console

from archive.display import acted_on, printable


class _Console(Console):
    """A rich console that shows the control characters of what it prints (a file name with ESC or a bidi
    override) as visible escapes (display.printable); the program's own line breaks stay."""

    def print(self, *objects, **options) -> None:
        super().print(*(printable(o, keep_newlines=True) if isinstance(o, str) else o for o in objects), **options)


# stdout: tables, or the one JSON document under --json. Piped output is not cut to 80 columns.
out = _Console(width=None if sys.stdout.isatty() else 160)
err = _Console(stderr=True, soft_wrap=True)


def say(message: str) -> None:
    """One line to the person at the terminal, printed as written (no rich markup, no highlighting): file
    names and reasons may contain brackets."""
    err.print(message, markup=False, highlight=False)


def _json(obj, **options) -> str:
    """JSON with Chinese readable, and every character a terminal acts on escaped (JSON itself escapes only
    U+0000–U+001F): DEL, C1 controls, bidi overrides, line separators as ``\\uXXXX`` (the same value to a
    script that reads it)."""
    text = json.dumps(obj, ensure_ascii=False, **options)
    if text.isprintable():
        return text
    return "".join(f"\\u{ord(c):04x}" if c != "\n" and acted_on(c) else c for c in text)


def print_json(obj) -> None:
    """The command's result as one JSON document (Chinese kept readable, not escaped)."""
    sys.stdout.write(_json(obj, indent=2) + "\n")


def print_json_line(obj) -> None:
    """One JSON object a line, flushed at once: for a stream a script follows (``archive watch --json``)."""
    sys.stdout.write(_json(obj) + "\n")
    sys.stdout.flush()


def emit(as_json: bool, data, render: Callable[[], None] | None = None) -> None:
    """The one fork between ``--json`` and the terminal: under --json ``data`` (or ``data()`` when it is a
    function, so a costly conversion runs only when asked for) is printed as JSON; otherwise ``render`` prints
    the human form (tables on stdout, counts on stderr)."""
    if as_json:
        print_json(data() if callable(data) else data)
    elif render is not None:
        render()


def table(headers: Iterable[str], rows: Iterable[Iterable] = (), *, title: str | None = None,
          fold: bool = True, **options):
    """A rich table: one column a header, one row per item (None shown as empty). ``fold`` wraps long cells
    (titles, reasons) instead of cutting them."""
    from rich.table import Table

    t = Table(title=title, **options)
    for h in headers:
        if fold:
            t.add_column(h, overflow="fold")
        else:
            t.add_column(h)
    for r in rows:
        t.add_row(*("" if x is None else printable(x) for x in r))  # a cell is one value: its newline escaped
    return t


def counts_table(title: str, items: Iterable[tuple[str, object]]):
    """A two-column table of counts (项目, 数量 right-aligned): statistics and reports."""
    from rich.table import Table

    t = Table(title=title)
    t.add_column("项目")
    t.add_column("数量", justify="right")
    for label, n in items:
        t.add_row(printable(label), str(n))
    return t


class _Bar:
    """The handle a command's loop reports to: ``bar(done)``, ``bar(done, total)`` or ``bar.advance()``;
    ``bar.print`` writes a line above the bar without breaking it."""

    def __init__(self, progress, task) -> None:
        self._progress, self._task = progress, task

    def __call__(self, done: int, total: int | None = None) -> None:
        self._progress.update(self._task, completed=done, total=total)

    def advance(self) -> None:
        self._progress.advance(self._task)

    def print(self, line: str) -> None:
        self._progress.console.print(printable(line, keep_newlines=True), markup=False, highlight=False)


@contextmanager
def progress(label: str, total: int | None = None, *, show: bool = True) -> Iterator[_Bar]:
    """A progress bar on stderr (label, bar, done/total, time left), drawn only on a terminal and when ``show``
    (a command under --json draws none). ``total`` None: unknown until the work reports it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, disable=not (show and err.is_terminal)) as p:
        yield _Bar(p, p.add_task(label, total=total))
