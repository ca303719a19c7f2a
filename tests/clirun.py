"""The ``archive`` command run inside the test process: the same ``archive.cli.main`` a clerk's shell starts,
with its own argv, stdin, environment, working folder and the two output streams captured apart.

Starting ``python -m archive`` costs a second or more of imports per call and the suite makes hundreds of
calls; here the modules are imported once. The answer looks like ``subprocess.CompletedProcess`` (returncode,
stdout, stderr), so the tests' assertions read the same. What a real process would have given each run afresh
is put back after every call: ``os.environ``, the working folder, ``sys.stdin/stdout/stderr``, the signal
handlers, the command's module state (``cli.state``, the declared operator), the logging handlers, and the
two rich consoles' width and colours as a pipe would have them; what the command left open (an archive
handle, its SQLite connections, its extraction worker) is collected as a process's end would close it.

A real process is still used where the process is the point: a crash hook (``ARCHIVE_FAULT_STAGE`` SIGKILLs
the process), resource limits set before exec (``preexec``). Signal, start-up and watcher tests start their
own processes.
"""

from __future__ import annotations

import gc
import io
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_SIGNALS = tuple(s for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE, signal.SIGCHLD))


def _universal(text: str) -> str:
    """What ``subprocess.run(text=True)`` does to line ends."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _stream() -> io.TextIOWrapper:
    """A captured stream as a pipe gives it: UTF-8 with surrogateescape (Python's choice for a UTF-8 locale's
    standard streams), not a terminal, with a ``.buffer`` for commands that write bytes."""
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="surrogateescape", newline="\n",
                            write_through=True)


def _text(stream: io.TextIOWrapper, universal: bool) -> str:
    stream.flush()
    raw = stream.buffer.getvalue().decode("utf-8", "replace")
    return _universal(raw) if universal else raw


def _subprocess(argv: list[str], *, env: dict | None, input: str | None, cwd, timeout, preexec,
                universal: bool) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "archive", *argv], capture_output=True, input=None if input is None
                       else input.encode("utf-8"), cwd=cwd or ROOT, env={**os.environ, **(env or {})},
                       timeout=timeout, preexec_fn=preexec)
    r.stdout, r.stderr = (_text_of(b, universal) for b in (r.stdout, r.stderr))
    return r


def _text_of(data: bytes, universal: bool) -> str:
    text = data.decode("utf-8", "replace")
    return _universal(text) if universal else text


class _Consoles:
    """The rich consoles of archive.console set as a fresh process writing to pipes would set them."""

    ATTRS = ("_width", "_color_system", "_force_terminal")

    def __init__(self):
        from archive import console

        self.consoles = [(c, {a: getattr(c, a) for a in self.ATTRS})
                         for c in (console.out, console.err)]
        console.out._width = 160  # console.py: piped stdout is not cut to 80 columns
        columns = os.environ.get("COLUMNS")  # rich reads COLUMNS when a console is made
        console.err._width = int(columns) if columns is not None and columns.isdigit() else None
        for c, _ in self.consoles:
            c._color_system = None  # not a terminal: no colours
            c._force_terminal = None

    def restore(self) -> None:
        for c, saved in self.consoles:
            for a, v in saved.items():
                setattr(c, a, v)


def run(argv, *, env: dict | None = None, input: str | None = None, cwd=None, timeout: float | None = None,
        preexec=None, universal: bool = True) -> subprocess.CompletedProcess:
    """``archive ARGV`` with its stdout and stderr as text; in this process unless a real one is needed.

    ``env`` is added to the environment for this call only; ``input`` is stdin (empty when None); ``cwd``
    defaults to the repository root, like the subprocess helpers before; ``timeout`` only bounds a real
    process. ``universal=False`` keeps ``\\r`` as written (the callers that read raw bytes before)."""
    argv = [str(a) for a in argv]
    if preexec is not None or "ARCHIVE_FAULT_STAGE" in (env or {}):
        return _subprocess(argv, env=env, input=input, cwd=cwd, timeout=timeout, preexec=preexec,
                           universal=universal)
    from archive import catalog, cli

    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    saved_signals = {s: signal.getsignal(s) for s in _SIGNALS}
    root_logger = logging.getLogger()
    saved_handlers, saved_level = list(root_logger.handlers), root_logger.level
    out, err = _stream(), _stream()
    code = 0
    gc.freeze()  # what exists now is not the command's: the collection at the end looks at what it made
    try:
        os.environ.update({k: str(v) for k, v in (env or {}).items()})
        os.chdir(cwd or ROOT)
        sys.stdin = io.TextIOWrapper(io.BytesIO((input or "").encode("utf-8")), encoding="utf-8",
                                     errors="surrogateescape")
        sys.stdout, sys.stderr = out, err
        consoles = _Consoles()
        try:
            cli.main(argv)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            if e.code is not None and not isinstance(e.code, int):
                err.write(f"{e.code}\n")
        except BaseException as e:  # what would have ended a real process with a traceback (exit 1)
            if isinstance(e, KeyboardInterrupt):
                raise
            import traceback

            err.write("".join(traceback.format_exception(e)))
            code = 1
        finally:
            consoles.restore()
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        for s, h in saved_signals.items():
            if h is not None:
                signal.signal(s, h)
        root_logger.handlers[:] = saved_handlers
        root_logger.setLevel(saved_level)
        cli.state.update(config=None, debug=False)
        catalog.set_operator(None)
        # What the end of a real process does to what the command left open: the archive handles a command
        # drops without close() are collected now, so their SQLite connections close (uncommitted work rolls
        # back) and their extraction workers are killed (ExtractWorker.__del__), as PR_SET_PDEATHSIG would.
        # Only the objects made during the call are looked at (the rest was frozen before it): a whole
        # collection of the test process's heap cost 40-50 ms of CPU a call, hundreds of calls a worker.
        gc.collect()
        gc.unfreeze()
    return subprocess.CompletedProcess(["archive", *argv], code, _text(out, universal), _text(err, universal))


def run_config(cfg, *args, **options) -> subprocess.CompletedProcess:
    """``archive --config CFG ARGS`` (``cfg`` None: no --config, the default lookup)."""
    return run([*(["--config", str(cfg)] if cfg is not None else []), *args], **options)


def check(r: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    """``check=True`` of subprocess.run."""
    if r.returncode != 0:
        raise subprocess.CalledProcessError(r.returncode, r.args, r.stdout, r.stderr)
    return r
