"""The 保密员's queue (issue 22; docs/domain.md, 涉密): a file the 涉密 gate was unsure of ("doubtful") is held
in ``quarantine/`` beside the inbox — never in the store — until a 保密员 decides it.

``hold``: every way in calls it for a doubtful verdict. An inbox original is moved (journalled in ``inbox_moves``
in the hold's transaction, so a crash between the commit and the move is finished by ``Archive.reconcile``); a
file named on the command line or sent by the web page is copied (its original stays where it is). One row of
``secrecy_queue`` and a ``secrecy-hold`` event record it, in the same unit of work.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from archive import catalog, inbox
from archive.atomic import write_whole
from archive.catalog import secrecy_queue as queue_db
from archive.display import local_time, printable
from archive.faults import fault
from archive.store import sha256_file

if TYPE_CHECKING:
    from archive.secrecy import GateVerdict
    from archive.session import Archive

DECISIONS = ("非密", "已解密", "涉密")


def _reason_text(path: Path, verdict, route: str) -> str:
    why = "；".join(verdict.reasons) or "无法确认是否有密级标志"
    # a name's or a reason's ESC, newline or bidi override written escaped, as in every reason file (inbox)
    where = f"\n位置：{printable(verdict.where)}" if verdict.where else ""
    seen = f"\n所见：{printable(verdict.evidence)}" if verdict.evidence else ""
    return (f"文件：{printable(inbox.shown(path.name))}\n时间：{local_time(catalog.now(), seconds=True)}\n结果：疑似涉密，已隔离待保密员审查\n"
            f"途径：{route}\n原因：{printable(why)}{where}{seen}\n"
            "处理建议：请保密员用 archive secrecy list 查看，并用 archive secrecy decide 编号 --as 非密|已解密|涉密 "
            "--reason 理由 作出决定；决定前本文件不会存入档案库\n")


def hold(arc: Archive, path: Path, verdict: GateVerdict, route: str, *, from_inbox: bool) -> str:
    """Hold ``path`` for the 保密员 (see the module). Returns the clerk's line (Chinese). A file of the same
    content already held and undecided is not held again (an inbox original of it still leaves the inbox, into
    quarantine/, so it is not read again and again).

    Call it outside an open unit of work: its own unit commits, then the original moves. Called inside one (a
    route refusing a whole step), the row joins that unit, and the journalled move is left to reconcile (the
    next ingest or start), since the unit may yet roll back."""
    path = Path(path)
    nested = arc._in_tx is not None
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
        fault("held")
        if from_inbox and not nested:  # committed: the original leaves the inbox (a crash here: reconcile moves it)
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
        write_whole(reason_file, text, prefix=".reason.")  # whole or absent, as inbox.move writes it
    except BaseException:
        reason_file.unlink(missing_ok=True)
        if os.path.exists(dest):
            os.unlink(dest)  # our own half copy in quarantine/, never a stored file
        raise


# ---- the 保密员's decision ---------------------------------------------------------------------------------------
def held_files(arc: Archive, include_decided: bool = False) -> list[dict]:
    """The queue: undecided first (oldest first); ``include_decided`` adds the decided, latest first."""
    return queue_db.queue(arc.conn, include_decided)


def held_count(arc: Archive) -> int:
    return queue_db.count_held(arc.conn)


def decision_of(arc: Archive, record_id: int) -> dict | None:
    """The 保密员's decision that let record ``record_id`` in, or None."""
    return queue_db.decision_of_record(arc.conn, record_id)


def _decided_line(row: dict) -> str:
    return (f"第 {row['id']} 号已由 {row['decided_by']} 于 {row['decided_at']} 决定为“{row['decision']}”"
            f"（{row['decision_reason']}），不能再次决定")


def decide(arc: Archive, held_id: int, decision: str, reason: str) -> dict:
    """The 保密员's decision on held file ``held_id`` (docs/domain.md, 涉密). 非密/已解密: the file is taken in by
    the ordinary ingest, the gate's doubtful verdict overridden for the reasons recorded only (a mark, or a new
    doubt, still refuses: SecrecyDecisionError, nothing decided); 涉密: the file is moved to refused/ as a 保密
    incident. Decided once, re-checked under the lock. Returns {"id", "decision", "record_id", "message"}."""
    from archive import pipeline, secrecy
    from archive.errors import SecrecyDecisionError

    if decision not in DECISIONS:
        raise SecrecyDecisionError(f"决定只能是 {'、'.join(DECISIONS)} 之一，而不是“{decision}”")
    reason = (reason or "").strip()
    if not reason:
        raise SecrecyDecisionError("请用 --reason 写明决定的理由（例如：经核对原件，无密级标志）")
    with arc.change(transaction=False):
        row = queue_db.held(arc.conn, held_id)  # read under the lock: no other decision can come between
        if row is None:
            raise SecrecyDecisionError(f"隔离区没有第 {held_id} 号文件（archive secrecy list 列出待审文件）")
        if row["decided_at"] is not None:
            raise SecrecyDecisionError(_decided_line(row))
        qpath = Path(row["quarantine_path"])
        try:
            same = sha256_file(qpath) == row["sha256"]
        except OSError:
            same = False
        if not same:
            raise SecrecyDecisionError(f"隔离文件 {row['quarantine_path']} 已不存在或已被改动：未作决定，请核查")
        who = catalog.actor()
        if decision == "涉密":
            dest = inbox.free_name(inbox.dated(arc.cfg.refused_dir, Path(qpath.name)),
                                   len(inbox.REASON_SUFFIX.encode("utf-8")))
            text = (f"文件：{row['filename']}\n时间：{local_time(catalog.now(), seconds=True)}\n结果：拒收（涉密）\n"
                    f"原因：保密员 {who} 审查认定为涉密：{reason}\n"
                    "处理建议：请按保密规定在涉密载体或涉密系统中处理本文件，并从本机删除副本。\n")
            with arc.change(None, reason) as tx:
                queue_db.decide(tx.conn, held_id, at=catalog.now(), by=who, decision=decision, reason=reason,
                                record_id=None, path=inbox.shown(dest))
                catalog.append_event(tx.conn, "refused", None, {
                    "filename": row["filename"], "source": row["quarantine_path"], "sha256": row["sha256"],
                    "reason": f"保密员审查认定为涉密：{reason}", "held": held_id, "secrecy_decision": decision,
                    "incident": "保密"})
                catalog.add_inbox_move(tx.conn, str(qpath), str(dest), row["sha256"], text)
            fault("secrecy-decided")
            moved = inbox.move(qpath, dest, text)  # a crash before this: reconcile finishes the move
            catalog.inbox_move_done(arc.conn, str(qpath))
            _carry_reason(qpath, moved)
            return {"id": held_id, "decision": decision, "record_id": None,
                    "message": f"第 {held_id} 号已认定为涉密，移入 {arc.cfg.refused_dir.name}/（保密事件已记录），未存储"}
        verdict = secrecy.gate(qpath)
        if verdict.kind == "mark":
            raise SecrecyDecisionError(f"第 {held_id} 号：{verdict.message()}。保密员的决定只针对隔离时的疑点，"
                                       "不能放行有明确密级标志的文件：未作决定（如确属涉密，请决定为 涉密）")
        recorded = frozenset(row["reasons"])
        new = [r for r in verdict.reasons if r not in recorded] if verdict.kind == "doubtful" else []
        if new:
            raise SecrecyDecisionError(f"第 {held_id} 号：检查发现隔离时未记录的疑点（{'；'.join(new[:3])}）："
                                       "未作决定，请重新核查")
        label = f"保密员 {who} 审查决定：{decision}（{reason}）"
        token = secrecy.DECIDED.set((row["sha256"], recorded, label))
        try:
            result = pipeline.ingest_file(arc, qpath, from_inbox=False)
        finally:
            secrecy.DECIDED.reset(token)
        record_id = (result.record or {}).get("id")
        if result.outcome in ("refused", "failed") or record_id is None:
            raise SecrecyDecisionError(f"第 {held_id} 号未能入库（{result.reason or result.outcome}）：未作决定，"
                                       "文件仍在隔离区")
        dest = inbox.free_name(inbox.dated(arc.cfg.processed_dir, Path(qpath.name)), 0)
        with arc.change(None, reason) as tx:
            queue_db.decide(tx.conn, held_id, at=catalog.now(), by=who, decision=decision, reason=reason,
                            record_id=record_id, path=inbox.shown(dest))
            catalog.append_event(tx.conn, "secrecy-decision", record_id, {
                "held": held_id, "decision": decision, "reason": reason, "filename": row["filename"],
                "route": row["route"], "reasons": row["reasons"], "sha256": row["sha256"]})
            catalog.add_inbox_move(tx.conn, str(qpath), str(dest), row["sha256"])
        fault("secrecy-decided")
        moved = inbox.move(qpath, dest, None)
        catalog.inbox_move_done(arc.conn, str(qpath))
        _carry_reason(qpath, moved)
    code = (result.record or {}).get("archival_code")
    filed = f"档号 {code}" if code else "待定"
    return {"id": held_id, "decision": decision, "record_id": record_id,
            "message": f"第 {held_id} 号已决定为{decision}，已入库：记录 {record_id}（{filed}）"}


def _carry_reason(qpath: Path, moved: Path) -> None:
    """The hold's reason file follows the decided file (``X.隔离原因.txt``), so quarantine/ holds only the
    undecided."""
    reason_file = Path(str(qpath) + inbox.REASON_SUFFIX)
    try:
        os.rename(reason_file, str(moved) + ".隔离原因.txt")
    except OSError:
        pass  # the reason file is a courtesy: the row and the events are the record
