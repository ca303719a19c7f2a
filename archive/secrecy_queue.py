"""The 保密员's queue (issue 22; docs/domain.md, 涉密): a file the 涉密 gate was unsure of ("doubtful") is held
in ``quarantine/`` beside the inbox — never in the store — until a 保密员 decides it.

``hold``: every way in calls it for a doubtful verdict. An inbox original is moved (journalled in ``inbox_moves``
in the hold's transaction, so a crash between the commit and the move is finished by ``Archive.reconcile``); a
file named on the command line or sent by the web page is copied (its original stays where it is). One row of
``secrecy_queue`` and a ``secrecy-hold`` event record it, in the same unit of work.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from archive import catalog, inbox
from archive.catalog import secrecy_queue as queue_db
from archive.store import sha256_file

if TYPE_CHECKING:
    from archive.secrecy import GateVerdict
    from archive.session import Archive

DECISIONS = ("非密", "已解密", "涉密")


def _reason_text(path: Path, verdict, route: str) -> str:
    why = "；".join(verdict.reasons) or "无法确认是否有密级标志"
    where = f"\n位置：{verdict.where}" if verdict.where else ""
    seen = f"\n所见：{verdict.evidence}" if verdict.evidence else ""
    return (f"文件：{inbox.shown(path.name)}\n时间：{catalog.now()}\n结果：疑似涉密，已隔离待保密员审查\n"
            f"途径：{route}\n原因：{why}{where}{seen}\n"
            "处理建议：请保密员用 archive secrecy list 查看，并用 archive secrecy decide 编号 --as 非密|已解密|涉密 "
            "--reason 理由 作出决定；决定前本文件不会存入档案库\n")


def hold(arc: Archive, path: Path, verdict: GateVerdict, route: str, *, from_inbox: bool) -> str:
    """Hold ``path`` for the 保密员 (see the module). Returns the clerk's line (Chinese). A file of the same
    content already held and undecided is not held again (an inbox original of it still leaves the inbox, into
    quarantine/, so it is not read again and again)."""
    path = Path(path)
    sha = sha256_file(path)
    size = os.path.getsize(path)
    text = _reason_text(path, verdict, route)
    copied: list[Path] = []
    with arc.change(transaction=False):
        try:
            with arc.change(None, "涉密审查：隔离") as tx:
                before = queue_db.undecided_by_sha(tx.conn, sha)
                rel = inbox.inbox_relative(path, arc.cfg.inbox) if from_inbox else Path(path.name)
                dest = inbox.free_name(inbox.dated(arc.cfg.quarantine_dir, rel),
                                       len(inbox.REASON_SUFFIX.encode("utf-8")))
                if before is None:
                    if not from_inbox:
                        _copy(path, dest, text)
                        copied.append(dest)
                    held_id = queue_db.add_held(tx.conn, {
                        "filename": inbox.shown(path.name), "quarantine_path": inbox.shown(dest), "sha256": sha,
                        "size": size, "route": route, "verdict": verdict.kind, "level": verdict.level,
                        "where_found": verdict.where, "evidence": verdict.evidence,
                        "reasons": list(verdict.reasons), "held_at": catalog.now(), "held_by": catalog.actor()})
                    catalog.append_event(tx.conn, "secrecy-hold", None, {
                        "held": held_id, "filename": inbox.shown(path.name), "source": inbox.shown(path),
                        "sha256": sha, "route": route, "reasons": list(verdict.reasons), "where": verdict.where,
                        "evidence": verdict.evidence})
                else:
                    held_id = before["id"]
                if from_inbox:
                    catalog.add_inbox_move(tx.conn, str(path), str(dest), sha, text)
        except BaseException:
            for c in copied:  # the row was not committed: our own copy in quarantine/ goes with it
                Path(str(c) + inbox.REASON_SUFFIX).unlink(missing_ok=True)
                c.unlink(missing_ok=True)
            raise
        if from_inbox:  # committed: the original leaves the inbox (a crash here: reconcile moves it)
            moved = inbox.move(path, dest, text)
            catalog.inbox_move_done(arc.conn, str(path))
            if before is None and moved != dest:
                with arc.change(None, "涉密审查：隔离") as tx:
                    queue_db.set_path(tx.conn, held_id, inbox.shown(moved))
    why = "；".join(verdict.reasons[:3]) or "无法确认是否有密级标志"
    if before is not None:
        return f"疑似涉密，已在隔离区待保密员审查（第 {held_id} 号，同一文件此前已隔离）：{why}；未存储、未索引"
    kept = "原文件已移入隔离文件夹" if from_inbox else "已复制到隔离文件夹，原文件未改动"
    return (f"疑似涉密，已隔离待保密员审查（第 {held_id} 号，{kept} {arc.cfg.quarantine_dir.name}/）：{why}；"
            "未存储、未索引")


def _copy(path: Path, dest: Path, text: str) -> None:
    """Copy a file given by name into quarantine/ with its reason file (never overwriting)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    reason_file = Path(str(dest) + inbox.REASON_SUFFIX)
    try:
        with open(path, "rb") as src, open(dest, "xb") as out:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        reason_file.write_text(text, encoding="utf-8")
    except BaseException:
        reason_file.unlink(missing_ok=True)
        if os.path.exists(dest):
            os.unlink(dest)  # our own half copy in quarantine/, never a stored file
        raise


def reasons_of(row: dict) -> list[str]:
    r = row.get("reasons")
    return json.loads(r) if isinstance(r, str) else list(r or [])
