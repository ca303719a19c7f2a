"""Write a file (or a folder) whole or not at all: the one way every output of the program reaches the disk.

The content goes to a hidden temporary beside the target (``.NAME.<random>.part``, created here, so never a
user's own ``NAME.part``), is flushed to the disk, and is renamed onto the target; the folder is flushed
after the rename. A reader never sees half a file, a crash leaves at most a hidden temporary (the store
sweeps its own at start), and any other failure removes it. Failures of the disk become the caller's
exception type (archive/errors.py) with one Chinese line.

Used by the store (a document's stored copy), backups, every export (catalogue, 归档章, reports) and the
import report; ``atomic_dir`` by the transfer package, which is a folder.
"""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archive.errors import ArchiveError, ExportError

# {path}: the target; {reason}: what the system said (filled in by replacement, not str.format: a file
# name may hold braces)
DEFAULT_MESSAGE = "无法写入 {path}：{reason}（请检查文件夹和权限）"


def _say(message: str, path: Path, reason) -> str:
    return message.replace("{path}", str(path)).replace("{reason}", str(reason))


def fsync(path: Path) -> None:
    """Flush a file's content, or a folder's entries (a rename, a new file in it), to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _staged(path: Path, make_parents: bool, make, place, discard, error: type[ArchiveError],
            message: str) -> Iterator[Path]:
    """The frame both writers share: the folder, ``make()`` a temporary, yield it, ``place(tmp)`` it; an
    OSError anywhere becomes ``error``; whatever is left of the temporary is ``discard``ed."""
    def fail(e: OSError) -> ArchiveError:
        return error(_say(message, path, e.strerror or e))

    if make_parents:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise fail(e) from e
    elif not path.parent.is_dir():
        raise error(_say(message, path, f"文件夹 {path.parent} 不存在"))
    try:
        tmp = make()
    except OSError as e:
        raise fail(e) from e
    try:
        yield tmp
        place(tmp)
    except OSError as e:
        raise fail(e) from e
    finally:
        if tmp.exists():
            discard(tmp)


@contextmanager
def atomic_file(path: Path, *, error: type[ArchiveError] = ExportError, message: str = DEFAULT_MESSAGE,
                mode: int | None = 0o644, sync: bool = True, make_parents: bool = True,
                tmp_dir: Path | None = None) -> Iterator[Path]:
    """Yield a temporary path to write ``path``'s content to; on leaving, move it into place.

    ``mode``: the file's permissions (mkstemp makes it private; None keeps that). ``sync=False``: the caller
    flushes later (the store's batches). ``tmp_dir``: a folder of the program's own on the same file system
    (the store's tmp/), else the target's folder. An OSError of the body or of the move raises ``error``
    with ``message``; any exception removes the temporary."""
    path = Path(path)

    def make() -> Path:
        fd, name = tempfile.mkstemp(dir=tmp_dir or path.parent, prefix=f".{path.name}.", suffix=".part")
        os.close(fd)
        return Path(name)

    def place(tmp: Path) -> None:
        if sync:
            fsync(tmp)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
        if sync:
            fsync(path.parent)

    with _staged(path, make_parents, make, place, Path.unlink, error, message) as tmp:
        yield tmp


@contextmanager
def atomic_dir(path: Path, *, error: type[ArchiveError] = ExportError, message: str = DEFAULT_MESSAGE,
               sync: bool = True) -> Iterator[Path]:
    """Yield a hidden temporary folder beside ``path`` (which must be missing or empty); on leaving, flush
    what was written in it and rename it to ``path``. On any failure the temporary folder goes."""
    path = Path(path)

    def make() -> Path:
        return Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part"))

    def place(stage: Path) -> None:
        if sync:
            for root, _dirs, files in os.walk(stage):
                for f in files:
                    fsync(Path(root) / f)
                fsync(Path(root))
        if path.exists():
            path.rmdir()  # an empty folder the caller accepted; a full one raises here
        stage.rename(path)
        if sync:
            fsync(path.parent)

    with _staged(path, True, make, place, lambda stage: shutil.rmtree(stage, ignore_errors=True),
                 error, message) as stage:
        yield stage


def refuse_existing(path: Path | None, force: bool, error: type[ArchiveError] = ExportError) -> None:
    """An output never replaces a file that is already there unless asked (``--force``): one Chinese line
    naming the file. Called before the work, so nothing is done that could not be written."""
    if path is None or force:
        return
    path = Path(path)
    if path.exists() or path.is_symlink():
        raise error(f"输出文件已存在：{path}（如要覆盖，请加 --force）")


def write_whole(path: Path, text: str, *, prefix: str = ".", mode: int = 0o644) -> None:
    """Write a small text file whole or not at all (a reason file beside a moved original): a hidden
    temporary ``PREFIX<random>.part`` in the same folder, flushed, renamed into place; on any failure (a full
    disk) the temporary goes and the OSError is the caller's, untranslated. ``prefix`` short: the target's
    own name may already be as long as a name can be."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


@contextmanager
def held(path: Path) -> Iterator[None]:
    """Hold a lock on a temporary of ours for as long as it is in use: ``sweep_parts`` of another process
    leaves it alone; a kill -9 releases it, so the next start sweeps it."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


@contextmanager
def scratch_file(folder: Path, name: str, *, error: type[ArchiveError] = ExportError,
                 message: str = DEFAULT_MESSAGE) -> Iterator[Path]:
    """A private hidden temporary ``.NAME.<random>.part`` in ``folder`` for work that is never placed (a
    backup's catalog copy), ``held`` while in use and removed on leaving; a kill -9 leaves it to
    ``sweep_parts``."""
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
        os.close(fd)
    except OSError as e:
        raise error(_say(message, Path(folder) / name, e.strerror or e)) from e
    tmp = Path(tmp)
    try:
        with held(tmp):
            yield tmp
    finally:
        for p in (tmp, tmp.with_name(tmp.name + "-journal")):
            try:
                p.unlink()
            except FileNotFoundError:
                pass


def sweep_parts(folder: Path, name: str) -> int:
    """Remove the hidden temporaries ``.NAME.<random>.part`` (files, made by ``atomic_file`` or beside it) a
    kill -9 left in ``folder``; one another process is still writing (``held``) stays. Returns how many went."""
    n = 0
    for p in Path(folder).glob(f".{glob.escape(name)}.*.part"):
        if p.is_symlink() or not p.is_file():
            continue
        try:
            fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # in use by a running writer
            p.unlink()
            n += 1
        except OSError:
            pass
        finally:
            os.close(fd)
    return n
