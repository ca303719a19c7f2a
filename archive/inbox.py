"""The inbox and its outcome folders: where an original goes once its outcome is known.

An archived or pending original goes to ``processed/<date>/`` only after its record is committed (the move is
written to ``inbox_moves`` in the record's transaction, so a crash between the two is finished by
``Archive.reconcile``); a duplicate, a failed or a refused (涉密) file goes to its own folder with a reason file
beside it. Nothing here deletes a file: a move is a rename, or a copy whose source is then removed.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from archive import catalog, display
from archive.atomic import write_whole
from archive.display import printable
from archive.errors import StoreError
from archive.faults import fault
from archive.models import IngestResult
from archive.store import sha256_file

if TYPE_CHECKING:
    from archive.session import Archive


def shown(path) -> str:
    """A path as text that can be printed, logged and stored: bytes of a name that is not valid UTF-8
    (os.fsdecode keeps them as surrogates) become U+FFFD."""
    return os.fsencode(str(path)).decode("utf-8", "replace")


def inbox_relative(path: Path, inbox: Path) -> Path:
    try:
        return path.resolve().relative_to(inbox.resolve())
    except ValueError:
        return Path(path.name)


def dated(folder: Path, rel: Path) -> Path:
    return folder / display.today().isoformat() / rel  # the agency's day


def write_failure(e: Exception) -> str:
    what = getattr(e, "strerror", None) or str(e)
    return (f"写入档案库或移动文件失败（{what}）：原文件留在原处，未登记。"
            "请检查磁盘空间和权限，空间恢复后会自动重试（或重新运行 archive ingest）")


NAME_MAX = 255  # bytes in one file name (ext4, xfs, tmpfs)
REASON_SUFFIX = ".原因.txt"


def named(dest: Path, tag: str, room: int) -> Path:
    """``dest`` with ``tag`` before its extension, the stem shortened (marked …) to leave ``room`` bytes."""
    suffix = dest.suffix if len(dest.suffix.encode("utf-8")) <= 16 else ""
    stem = dest.name[: len(dest.name) - len(suffix)] if suffix else dest.name
    name, cut = stem + tag + suffix, stem
    while len(os.fsencode(name)) > NAME_MAX - room and cut:
        cut = cut[:-1]
        name = cut + "…" + tag + suffix
    return dest.with_name(name)


def free_name(dest: Path, room: int = 0) -> Path:
    """A name in dest's folder that is not taken (`` (2)``, `` (3)`` …) and fits, with ``room`` to spare."""
    for i in range(1, 100000):
        cand = named(dest, f" ({i})" if i > 1 else "", room)
        # os.path.lexists: False (not an exception) for a name too long to exist
        if not os.path.lexists(cand) and not os.path.lexists(str(cand) + REASON_SUFFIX):
            return cand
    raise StoreError(f"{dest.parent} 中同名文件过多，请清理")


def move(src: Path, dest: Path, reason_text: str | None) -> Path:
    """Move an inbox original out of the inbox, never overwriting; write its reason file beside it.

    A rename, or (across file systems) a copy whose source is then removed; when the source cannot be
    removed (a read-only inbox) the copy and the reason file are taken back, so a retry never leaves a
    second copy behind. A FIFO or device is never copied (that would read it)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest = free_name(dest, len(REASON_SUFFIX.encode("utf-8")) if reason_text else 0)
    reason_file = Path(str(dest) + REASON_SUFFIX)
    if reason_text:  # whole or absent: a full disk leaves no empty reason file
        write_whole(reason_file, reason_text, prefix=".reason.")
    try:
        try:
            os.rename(src, dest)
        except OSError as e:
            if e.errno == errno.EXDEV and os.path.isdir(src) and not os.path.islink(src):
                _move_folder(src, dest)  # an OA 归档信息包 folder (archive/oa_package.py)
                return dest
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


def _move_folder(src: Path, dest: Path) -> None:
    """A folder across file systems: copied whole (links as links, nothing special opened), then the original
    removed; when it cannot be removed (a read-only inbox) the copy is taken back, as for a file."""
    def refuse_special(folder, names):
        for n in names:
            mode = os.lstat(os.path.join(folder, n)).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
                raise OSError(errno.EINVAL, "文件夹中有管道或设备文件，未移动", os.path.join(folder, n))
        return []

    for folder in [os.path.dirname(os.path.abspath(src))] + [d for d, _, _ in os.walk(src)]:
        if not os.access(folder, os.W_OK | os.X_OK):  # its files could not be removed after the copy
            raise OSError(errno.EACCES, "收件箱中的文件夹只读，未移动", folder)
    try:
        shutil.copytree(src, dest, symlinks=True, ignore=refuse_special)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)  # our own partial copy; the original stays whole in the inbox
        raise
    shutil.rmtree(src)  # the whole copy is in place first: a failure here leaves a copy, never a loss


def reason_text(path: Path, outcome: str, reason: str, advice: str) -> str:
    label = {"duplicate": "重复文件", "failed": "处理失败", "refused": "拒收（涉密）"}.get(outcome, outcome)
    # a name's (or a reason's) ESC, newline or bidi override written escaped: one line a field
    return (f"文件：{printable(shown(path.name))}\n时间：{display.local_time(catalog.now(), seconds=True)}\n结果：{label}\n原因：{printable(reason)}\n"
            f"处理建议：{advice}\n")


# ---- an outcome's move --------------------------------------------------------------------------
def finish_move(arc: Archive, path: Path) -> None:
    """Move a committed record's original out of the inbox, if it is still the file that was
    archived: a file replaced in the inbox since (same name, other content) is a new input and stays."""
    row = catalog.inbox_move(arc.conn, str(path))
    if row is None:
        return
    try:
        same = sha256_file(path) == row["sha256"]
    except FileNotFoundError:
        same = False
    if same:
        dest = move(path, Path(row["destination"]), None)
        try:  # replaced in the instant between the check and the move: put the newcomer back
            if sha256_file(dest) != row["sha256"] and not os.path.lexists(path):
                os.rename(dest, path)
        except OSError:
            pass
    catalog.inbox_move_done(arc.conn, str(path))


def plan_move(conn, path: Path, sha: str, cfg) -> None:
    """In a record's transaction: its original moves to the dated ``processed`` folder once it commits
    (``finish_move``, or reconcile after a crash)."""
    catalog.add_inbox_move(conn, str(path), str(dated(cfg.processed_dir, inbox_relative(path, cfg.inbox))), sha)


def side_outcome(arc: Archive, path: Path, sha: str, outcome: str, reason: str, folder: Path,
                 from_inbox: bool, document_id: int | None = None, record: dict | None = None,
                 advice: str = "") -> IngestResult:
    try:
        return _side_outcome_unsafe(arc, path, sha, outcome, reason, folder, from_inbox, document_id,
                                    record, advice)
    except (sqlite3.OperationalError, OSError) as e:  # disk full: the file stays, tried again later
        return IngestResult(shown(path), "failed", f"{reason}；且{write_failure(e)}", record)


def _side_outcome_unsafe(arc, path, sha, outcome, reason, folder, from_inbox, document_id, record,
                         advice) -> IngestResult:
    with arc.change(transaction=False):
        with arc.change() as tx:
            catalog.append_event(tx.conn, outcome, document_id, {"filename": shown(path.name),
                                 "source": shown(path), "sha256": sha, "reason": reason})
        fault("logged")
        if from_inbox:
            dest = dated(folder, inbox_relative(path, arc.cfg.inbox))
            move(path, dest, reason_text(path, outcome, reason, advice))
    return IngestResult(shown(path), outcome, reason, record)
