"""到期鉴定 and 销毁 as the procedure (docs/retention.md), one recorded step at a time:

    audit (what is due, on a day not later than today)
    → appraise  the 鉴定小组 decides each due record: 销毁, or 延期 with a longer period (存疑: the longer
                period, 从长); writes the 鉴定工作报告 and the draft 销毁清册
    → approve   a leader approves, on a date, with an approval document
    → destroy   only an approved appraisal; at least two distinct 监销人 (more if [appraisal] says so), the
                销毁方式, 地点 and time; the records stay, their files leave the store

Each step is a row in ``appraisals`` (filled once), decisions in ``appraisal_items``, and events in the hash
chain. The 鉴定工作报告, the approval and the final 销毁清册 are archived as 永久 records of the agency's own
through ``importing.import_record`` (the one import primitive), so they are searchable and travel with
packages and backups. A step that stopped after its commit but before its document was archived is finished
by the next step (``ensure_documents``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from archive import catalog, display, retention, rules_table
from archive.bounds import document_number
from archive.catalog import appraisals as gateway
from archive.audit import (RANK, active_holds, appraised_ids, check_extension, extend_record, not_future,
                           pending_destruction, record_due)
from archive.config import Config
from archive.errors import DispositionError, library_reason
from archive.export.catalogue import Sheet, date8, write
from archive.faults import fault as _fault
from archive.session import Archive
from archive.retention import NAMES as RETENTION_NAMES
from archive.words import DECISION_NAMES, status_name

# Not an article: the 机关档案管理规定 (国家档案局令第13号) has the appraisal and destruction rules, but we could
# not find its text, so no article of it is cited (docs/retention.md, "Articles quoted"); the article of the
# 实施条例 cited here before says nothing of the kind (issue 26)
BASIS = "本机关档案鉴定与销毁程序：鉴定工作报告、销毁审批表和销毁清册归入全宗卷，永久保存"
RULE_ID = "鉴定"  # rule_id of the records the procedure writes itself
DECISIONS = DECISION_NAMES  # destroy 销毁, extend 延期, doubtful 存疑（从长）: archive/words.py


@dataclass
class Decision:
    """The group's decision on one due record. ``doubtful``: keep, with the next longer period (从长)."""

    row: sqlite3.Row
    decision: str  # destroy / extend / doubtful
    reason: str
    retention: str | None = None  # extend: Y / D30 / D10


@dataclass
class Planned:
    """A decision checked against the record as it stands: what ``appraise`` will write for it."""

    row: sqlite3.Row
    kind: str  # destroy / extend (a doubtful record is extended, 从长)
    retention: str | None
    reason: str
    doubtful: bool


@dataclass
class Step:
    appraisal: dict
    records: list[dict] = field(default_factory=list)
    documents: dict[str, dict] = field(default_factory=dict)  # report / approval / register -> record
    removed_files: list[str] = field(default_factory=list)
    kept_files: list[str] = field(default_factory=list)  # shared with a record that stays

    def to_json(self) -> dict:
        return {"appraisal": self.appraisal, "records": self.records, "documents": self.documents,
                "removed_files": self.removed_files, "kept_files": self.kept_files}


def _names(names: list[str]) -> list[str]:
    """Distinct names, in order (full-width spaces and case do not make a second person)."""
    out, seen = [], set()
    for n in names:
        for part in str(n).replace("，", ",").replace("、", ",").split(","):
            p = " ".join(part.replace("\u3000", " ").split())
            if p and p.casefold() not in seen:
                seen.add(p.casefold())
                out.append(p)
    return out


def _bare(name: str) -> str:
    """A member's name without the side written after it (张三（档案） → 张三), for comparing people."""
    return re.split(r"[（(]", _side_split(name)[0], maxsplit=1)[0].strip().casefold()


def _side_split(text: str) -> tuple[str, str]:
    """``档案:张三`` / ``张三（档案）`` / ``张三(业务部门)`` → (name, side); a name alone has no side."""
    t = text.replace("：", ":").strip()
    if ":" in t:
        side, _, name = t.partition(":")
        return name.strip(), side.strip()
    m = re.fullmatch(r"(.+?)\s*[（(]\s*(.+?)\s*[）)]", t)
    return (m.group(1).strip(), m.group(2)) if m else (t, "")


def check_group(members: list[str], sides: list[str]) -> list[str]:
    """The 鉴定小组 as the procedure needs it: at least two distinct people, each side in ``sides`` ([appraisal]
    group_sides, default 档案 and 业务) present. Returns the members as recorded (``张三（档案）``)."""
    group, seen = [], set()
    for text in _names(members):
        name, side = _side_split(text)
        if name.casefold() in seen:
            continue
        seen.add(name.casefold())
        group.append(f"{name}（{side}）" if side else name)
    if len(group) < 2:
        raise DispositionError("鉴定小组至少两名不同的人员（档案人员和业务部门人员），请用 --member 逐一写明，"
                               "如 --member 档案:张三 --member 业务:李四")
    have = [_side_split(g)[1] for g in group]
    missing = [s for s in sides if not any(s in h for h in have)]
    if missing:
        raise DispositionError(f"鉴定小组须有{'、'.join(missing)}方面的人员（现有：{'、'.join(group)}）："
                               f"请写明每人所在方面，如 --member {missing[0]}:姓名")
    return group


def _ref(row) -> str:
    return row["archival_code"] or f"记录 {row['id']}"


def get(conn: sqlite3.Connection, appraisal_id: int) -> sqlite3.Row:
    row = gateway.get(conn, appraisal_id)
    if row is None:
        raise DispositionError(f"没有第 {appraisal_id} 号鉴定：请用 archive appraisals 查看")
    return row


def items(conn: sqlite3.Connection, appraisal_id: int) -> list[sqlite3.Row]:
    return gateway.items(conn, appraisal_id)


def as_dict(row: sqlite3.Row) -> dict:
    d = dict(row)
    for k in ("members", "supervisors"):
        if d.get(k):
            d[k] = json.loads(d[k])
    return d


def _longer(row, as_of: dt.date) -> str:
    """从长: the next period above the record's own that still runs past ``as_of`` (else 永久)."""
    here = RANK.get(row["retention"] or "", -1)
    for ret in ("D30", "Y"):
        if RANK[ret] > here and (ret == "Y" or check_extension(row, ret, as_of) is None):
            return ret
    return "Y"


# ---- 1. appraise -------------------------------------------------------------------------------------
def appraise(arc: Archive, as_of: dt.date, members: list[str], decisions: list[Decision]) -> Step:
    """Record the 鉴定小组's decisions on due records: extensions take effect now (keeping longer is the safe
    direction); destructions wait for approval. Writes and archives the 鉴定工作报告."""
    cfg, conn = arc.cfg, arc.conn
    not_future(as_of)
    group = check_group(members, cfg.group_sides)
    if not decisions:
        raise DispositionError("没有鉴定结论：请用 --destroy / --extend / --doubtful 逐件写明")
    if any(d.decision == "destroy" for d in decisions):  # keeping longer needs no approved table; destroying does
        rules_table.require_approved(arc, "作出销毁的鉴定结论")
    holds, pending, appraised = active_holds(conn), pending_destruction(conn), appraised_ids(conn)
    problems, seen, plan = [], set(), []
    for d in decisions:
        r = catalog.get_record(conn, d.row["id"])
        if r["id"] in seen:
            problems.append(f"{_ref(r)} 重复列出")
            continue
        seen.add(r["id"])
        if not d.reason.strip():
            problems.append(f"{_ref(r)} 没有写鉴定理由")
        if r["status"] != "archived":
            problems.append(f"{_ref(r)} 状态为{status_name(r['status'])}，只有已归档的记录可以鉴定")
            continue
        if r["id"] in holds:
            problems.append(f"{_ref(r)} 已被冻结（{holds[r['id']]}），不能鉴定处置")
        if r["id"] in pending:
            problems.append(f"{_ref(r)} 已在第 {pending[r['id']]} 号鉴定中拟销毁")
        due = record_due(r, cfg, appraised)
        if r["retention"] == "Y":
            problems.append(f"{_ref(r)} 为永久保管，不鉴定销毁")
            continue
        if due is None:
            problems.append(f"{_ref(r)} 没有年度或保管期限，请先用 archive reclassify 补正")
            continue
        if due > as_of:
            problems.append(f"{_ref(r)} {due.isoformat()} 才到期，不能提前鉴定销毁")
            continue
        kind, ret = d.decision, d.retention
        if kind == "doubtful":
            kind, ret = "extend", _longer(r, as_of)
        elif kind == "extend":
            why = check_extension(r, ret or "", as_of, cfg)
            if why:
                problems.append(why)
        elif kind != "destroy":
            problems.append(f"{_ref(r)} 鉴定结论 “{kind}” 无效")
        plan.append(Planned(r, kind, ret, d.reason.strip(), d.decision == "doubtful"))
    if problems:
        raise DispositionError("未做鉴定：" + "；".join(dict.fromkeys(problems)))

    ts, who = catalog.now(), catalog.actor()
    group_text = "鉴定小组：" + "、".join(group)
    with arc.change(who, "鉴定") as tx:
        if changed := _changed_since(tx.conn, plan):  # another writer came first: nothing is written
            raise DispositionError("未做鉴定：" + "；".join(changed) + "。请重新查看后再鉴定")
        batch = gateway.next_batch(tx.conn)
        aid = gateway.add(tx.conn, batch=batch, as_of=as_of.isoformat(), members=group, at=ts, by=who)
        for p in plan:
            r = p.row
            gateway.add_item(tx.conn, aid, r["id"], decision=p.kind, retention_before=r["retention"] or r["retention_old"],
                             retention_after=p.retention, reason=p.reason, doubtful=p.doubtful)
            if p.kind == "extend":
                extend_record(tx.conn, r, p.retention, batch=batch, approved_by=group_text, reason=p.reason, ts=ts,
                              who=who, extra={"appraisal": aid, "doubtful": p.doubtful})
                arc.queue_index(r["id"])
        catalog.append_event(tx.conn, "appraise", None, {
            "appraisal": aid, "batch": batch, "as_of": as_of.isoformat(), "members": group,
            "destroy": [p.row["archival_code"] for p in plan if p.kind == "destroy"],
            "extend": [p.row["archival_code"] for p in plan if p.kind == "extend"]})
    step = Step(as_dict(get(conn, aid)), [dict(r) for r in items(conn, aid)])
    step.documents = ensure_documents(arc, aid)
    step.appraisal = as_dict(get(conn, aid))
    return step


def _changed_since(conn: sqlite3.Connection, plan: list[Planned]) -> list[str]:
    """Under the write lock: the planned records another writer changed, held or put on another
    appraisal's destruction list since they were checked."""
    holds, pending = active_holds(conn), pending_destruction(conn)
    out = []
    for p in plan:
        now = catalog.get_record(conn, p.row["id"])
        if now is None or now["status"] != p.row["status"] or now["retention"] != p.row["retention"] \
                or catalog.record_digest(now) != catalog.record_digest(p.row):
            out.append(f"{_ref(p.row)} 刚被修改")
        elif now["id"] in holds:
            out.append(f"{_ref(now)} 刚被冻结（{holds[now['id']]}）")
        elif now["id"] in pending:
            out.append(f"{_ref(now)} 已在第 {pending[now['id']]} 号鉴定中拟销毁")
    return out


# ---- 2. approve --------------------------------------------------------------------------------------
def approve(arc: Archive, appraisal_id: int, *, leader: str, on: dt.date, document: str,
            file: Path | None = None, role: str | None = None) -> Step:
    """A leader approves the destruction list of an appraisal (once), on a date not in the future. The leader is
    not one of the 鉴定小组; the approval document has a number. ``role``: the web account's role (only 领导)."""
    conn = arc.conn
    if role is not None and role != "领导":
        raise DispositionError(f"只有领导账号可以批准销毁（当前账号角色：{role}）")
    a = get(conn, appraisal_id)
    ensure_documents(arc, appraisal_id)
    if a["approved_at"]:
        raise DispositionError(f"第 {appraisal_id} 号鉴定已于 {a['approved_on']} 由{a['approved_by']}批准")
    if not leader.strip():
        raise DispositionError("批准须写明批准的领导（--leader）和批准文件（--document，如 示档〔2026〕5号 或 批示编号）")
    document = document_number(document, "批准文件（--document）")
    if _bare(leader) in {_bare(m) for m in json.loads(a["members"])}:
        raise DispositionError(f"批准的领导 {leader.strip()} 是第 {appraisal_id} 号鉴定的鉴定小组成员：鉴定与批准须由不同的人，"
                               "请由未参加鉴定的机关领导批准")
    not_future(on, "批准日期")
    if on < dt.date.fromisoformat(a["as_of"]):
        raise DispositionError(f"批准日期 {on.isoformat()} 早于鉴定基准日 {a['as_of']}")
    if not any(i["decision"] == "destroy" for i in items(conn, appraisal_id)):
        raise DispositionError(f"第 {appraisal_id} 号鉴定没有拟销毁的档案，无需批准")
    if file is not None and not Path(file).is_file():
        raise DispositionError(f"找不到批准文件 {file}")
    if file is not None:  # the 涉密 gate first: a refused or held file leaves the appraisal unapproved
        from archive.importing import gate_file, read_file

        gate_file(arc, Path(file), read_file(arc, Path(file)), {"appraisal": appraisal_id, "document": "approval"},
                  route="approve")
    with arc.change(catalog.actor(), "批准销毁") as tx:
        if (now := get(tx.conn, appraisal_id))["approved_at"]:  # another approval came first, under the lock
            raise DispositionError(f"第 {appraisal_id} 号鉴定已于 {now['approved_on']} 由{now['approved_by']}批准")
        gateway.set_approved(tx.conn, appraisal_id, by=leader.strip(), on=on.isoformat(), document=document.strip(),
                             at=catalog.now())
        catalog.append_event(tx.conn, "approve", None, {"appraisal": appraisal_id, "approved_by": leader.strip(),
                                                     "approved_on": on.isoformat(), "approval_doc": document.strip()})
    docs = ensure_documents(arc, appraisal_id, approval_file=file)
    return Step(as_dict(get(conn, appraisal_id)), [dict(r) for r in items(conn, appraisal_id)], docs)


# ---- 3. destroy --------------------------------------------------------------------------------------
def destroy(arc: Archive, appraisal_id: int, *, supervisors: list[str], method: str, place: str,
            at: dt.datetime | None = None, role: str | None = None) -> Step:
    """Carry out an approved destruction, all or none. The records stay (status destroyed, on the 销毁清册);
    their files leave the store, except a file another record still references (checked in the same
    transaction that marks the records destroyed)."""
    cfg, conn = arc.cfg, arc.conn
    a = get(conn, appraisal_id)
    ensure_documents(arc, appraisal_id)
    if not a["approved_at"]:
        raise DispositionError(f"第 {appraisal_id} 号鉴定的销毁清册尚未经领导批准：请先 archive approve {appraisal_id}")
    if a["destroyed_at"]:
        raise DispositionError(f"第 {appraisal_id} 号鉴定的档案已于 {display.local_time(a['destroyed_at'], cfg.tz)} 销毁")
    if role is not None and role != "档案员":
        raise DispositionError(f"只有档案员账号可以登记销毁（当前账号角色：{role}）")
    rules_table.require_approved(arc, "销毁")
    people = _names(supervisors)
    if a["approved_by"] and _bare(a["approved_by"]) in {_bare(p) for p in people}:
        raise DispositionError(f"监销人不能是批准销毁的领导 {a['approved_by']}：请另请两名监销人")
    need = max(2, cfg.supervisors_min)
    if len({_bare(p) for p in people}) < need:
        raise DispositionError(f"销毁须有至少 {need} 名不同的监销人在场（现有 {len(people)} 名）：请用 --supervisor 逐一写明")
    if not method.strip() or not place.strip():
        raise DispositionError("须写明销毁方式（--method，如 粉碎、焚毁、删除）和销毁地点（--place）")
    # one clock: a typed time without an offset is the agency's wall clock, never the machine's TZ; stored with
    # the agency's offset, so the 销毁清册, the event and the table all say the same hour
    now = display.now(cfg.tz)
    at = (at or now) if (at is None or at.tzinfo is not None) else at.replace(tzinfo=cfg.tz)
    at = at.astimezone(cfg.tz)
    if at > now:
        raise DispositionError(f"销毁时间 {display.local_time(at, cfg.tz)} 晚于现在：不能预先登记销毁")
    if at.date().isoformat() < a["approved_on"]:
        raise DispositionError(f"销毁时间 {at.date().isoformat()} 早于批准日期 {a['approved_on']}")
    targets = [i for i in items(conn, appraisal_id) if i["decision"] == "destroy"]
    holds, appraised = active_holds(conn), appraised_ids(conn)
    problems = []
    for i in targets:
        r = catalog.get_record(conn, i["document_id"])
        if r["id"] in holds:
            problems.append(f"{_ref(r)} 已被冻结（{holds[r['id']]}）：请解除冻结，或重新鉴定")
        if r["status"] != "archived":
            problems.append(f"{_ref(r)} 状态为{status_name(r['status'])}")
        due = record_due(r, cfg, appraised)
        if r["retention"] == "Y" or due is None or due > at.date():
            problems.append(f"{_ref(r)} 未到期（{due.isoformat() if due else '永久'}），不能销毁")
    if problems:
        raise DispositionError("未销毁任何档案：" + "；".join(dict.fromkeys(problems)))

    ts, who, stamp = catalog.now(), catalog.actor(), at.isoformat(timespec="seconds")
    removed: list[str] = []
    kept: list[str] = []
    with arc.change(who, "销毁") as tx:
        if (now := get(tx.conn, appraisal_id))["destroyed_at"]:  # another destruction came first, under the lock
            raise DispositionError(f"第 {appraisal_id} 号鉴定的档案已于 {display.local_time(now['destroyed_at'], cfg.tz)} 销毁")
        from archive.transfer import refuse_transferred  # 已移交: the 档案馆 holds it, never destroyed here

        refuse_transferred(tx.conn, [i["document_id"] for i in targets], DispositionError, "销毁")
        candidates: list[str] = []
        for i in targets:
            r = catalog.get_record(tx.conn, i["document_id"])
            if gateway.is_held(tx.conn, r["id"]):  # held by another process since the check
                raise DispositionError(f"未销毁任何档案：{_ref(r)} 刚被冻结")
            if r["status"] != "archived":  # changed by another process since the check
                raise DispositionError(f"未销毁任何档案：{_ref(r)} 状态刚变为{status_name(r['status'])}")
            candidates += catalog.files_of(tx.conn, r["id"])
            catalog.add_disposition(tx.conn, batch=a["batch"], document_id=r["id"], decision="destroy",
                                    archival_code=r["archival_code"], retention_before=i["retention_before"],
                                    retention_after=None, approved_by=a["approved_by"], supervisors=",".join(people),
                                    reason=i["reason"], decided_at=stamp, actor=who)
            catalog.update_record(tx.conn, r["id"], {"status": "destroyed", "stored_path": None,
                                                     "searchable_path": None, "indexed": 0}, ts=ts)
            gateway.clear_stored(tx.conn, r["id"])
            catalog.append_event(tx.conn, "destroy", r["id"], {
                "appraisal": appraisal_id, "batch": a["batch"], "approved_by": a["approved_by"],
                "approval_doc": a["approval_doc"], "supervisors": people, "method": method.strip(),
                "place": place.strip(), "at": stamp, "archival_code": r["archival_code"],
                "stored_path": r["stored_path"]})
            arc.queue_index(r["id"])
        # a file goes only when no record that stays refers to it (a record's file, its further files,
        # a searchable PDF): two records may share one stored file
        still = catalog.referenced_files(tx.conn)
        for rel in dict.fromkeys(candidates):
            (kept if rel in still else removed).append(rel)
        for rel in removed:  # journalled in this transaction: a kill -9 after the commit is finished by reconcile
            catalog.journal_removal(tx.conn, rel, ts)
        gateway.set_destroyed(tx.conn, appraisal_id, at=stamp, supervisors=people, method=method.strip(),
                              place=place.strip(), by=who)
        catalog.append_event(tx.conn, "destroy-batch", None, {
            "appraisal": appraisal_id, "batch": a["batch"], "records": len(targets), "files_removed": removed,
            "files_kept_shared": kept, "supervisors": people, "method": method.strip(), "place": place.strip(),
            "at": stamp})
    # after the commit, under the lock again: a file still unreferenced leaves the store (one a record came to
    # own since, by an ingest between the two, stays). A crash between is finished by the next start's
    # reconcile from the journalled removals.
    _fault("destroy-committed")
    with arc.change(who, "销毁：移除文件") as tx:
        still = catalog.referenced_files(tx.conn)
        for rel in removed:
            if rel not in still:
                arc.store.remove(rel)
            catalog.copy_done(tx.conn, rel)
    docs = ensure_documents(arc, appraisal_id)
    recs = [catalog.record(catalog.get_record(conn, i["document_id"])) for i in targets]
    return Step(as_dict(get(conn, appraisal_id)), recs, docs, removed, kept)


# ---- the documents of the procedure, archived 永久 ------------------------------------------------------
def report_sheets(conn: sqlite3.Connection, cfg: Config, a: sqlite3.Row) -> list[Sheet]:
    """鉴定工作报告: who appraised what on which day, the counts and reasons, then every decision."""
    its = items(conn, a["id"])
    members = "、".join(json.loads(a["members"]))
    n_destroy = sum(1 for i in its if i["decision"] == "destroy")
    n_extend = len(its) - n_destroy
    n_doubt = sum(1 for i in its if i["doubtful"])
    years = sorted({i["year"] for i in its if i["year"] is not None})
    span = f"{years[0]}—{years[-1]}年度" if len(years) > 1 else (f"{years[0]}年度" if years else "")
    olds = sum(1 for i in its if i["retention_old"])
    intro = [
        f"根据本机关《文件材料归档范围和文书档案保管期限表》，"
        f"{cfg.agency_name}鉴定小组（{members}）于{display.local_date(a['appraised_at'], cfg.tz)}对截至{a['as_of']}保管期限已满的"
        f"{span}文书档案共 {len(its)} 件进行了逐件鉴定。",
        f"鉴定结论：拟销毁 {n_destroy} 件，延长保管期限 {n_extend} 件"
        + (f"（其中 {n_doubt} 件难以判定，按从长原则延长）" if n_doubt else "") + "。"
        + (f"其中 {olds} 件为 2006 年以前按长期、短期划定保管期限的档案，已按原期限从长计算到期并逐件鉴定。" if olds else ""),
        "拟销毁档案列入销毁清册，报机关领导批准后，在两名以上监销人监督下销毁；销毁清册、本报告和批准文件永久保存。"
        f"{cfg.table_status}。",
    ]
    cols = ("序号", "档号", "文号", "题名", "日期", "原保管期限", "鉴定结论", "新保管期限", "理由")
    rows = [[k, i["archival_code"], i["doc_number"] or i["doc_number_raw"] or "", i["title"] or "", date8(i["date"]),
             RETENTION_NAMES.get(i["retention_before"], i["retention_before"]),
             "存疑，从长" if i["doubtful"] else DECISIONS[i["decision"]],
             RETENTION_NAMES.get(i["retention_after"] or "", ""), i["reason"]] for k, i in enumerate(its, 1)]
    return [Sheet(name="鉴定工作报告", title=f"{cfg.agency_name}档案鉴定工作报告",
                  subtitle=f"第 {a['id']} 号鉴定　　全宗号：{cfg.fonds}　　鉴定基准日：{a['as_of']}",
                  columns=cols, rows=rows, widths=(10, 48, 32, 62, 18, 18, 20, 18, 40), intro=intro,
                  footer=f"鉴定小组成员（签字）：{members}\n鉴定日期：{display.local_date(a['appraised_at'], cfg.tz)}")]


def register_sheets(conn: sqlite3.Connection, cfg: Config, a: sqlite3.Row) -> list[Sheet]:
    """销毁清册 (per 全宗): the records an appraisal decided to destroy, with the approval, the 销毁方式, 地点,
    time and the 监销人's signatures once they are known (blank lines to sign before)."""
    its = [i for i in items(conn, a["id"]) if i["decision"] == "destroy"]
    cols = ("序号", "档号", "文号", "责任者", "题名", "日期", "保管期限", "页数", "备注")
    rows = [[k, i["archival_code"], i["doc_number"] or i["doc_number_raw"] or "", i["issuer"] or "", i["title"] or "",
             date8(i["date"]), RETENTION_NAMES.get(i["retention_before"], i["retention_before"]), i["pages"] or "",
             i["reason"]] for k, i in enumerate(its, 1)]
    blank = "_" * 14
    sup = json.loads(a["supervisors"]) if a["supervisors"] else []
    state = "已销毁" if a["destroyed_at"] else ("已批准，待销毁" if a["approved_at"] else "草稿，待领导批准")
    fonds = its[0]["fonds"] if its else cfg.fonds
    footer = "\n".join([
        f"鉴定小组：{'、'.join(json.loads(a['members']))}　　鉴定日期：{display.local_date(a['appraised_at'], cfg.tz)}",
        f"批准人：{a['approved_by'] or blank}　　批准日期：{a['approved_on'] or blank}　　批准文件：{a['approval_doc'] or blank}",
        f"销毁方式：{a['method'] or blank}　　销毁地点：{a['place'] or blank}　　销毁时间：{display.local_time(a['destroyed_at'], cfg.tz) or blank}",
        "监销人（签字）：" + ("    ".join(f"{p} {blank}" for p in sup) if sup else f"{blank}    {blank}"),
        f"销毁人（签字）：{blank}",
        f"说明：{cfg.table_status}。",
    ])
    return [Sheet(name=f"销毁清册-{a['batch']}", title="档案销毁清册",
                  subtitle=f"全宗号：{fonds}　　全宗名称：{cfg.agency_name}　　第 {a['id']} 号鉴定（批次 {a['batch']}）　　"
                           f"共 {len(its)} 件　　{state}",
                  columns=cols, rows=rows, widths=(10, 50, 32, 28, 69, 18, 14, 10, 36), footer=footer)]


def approval_sheets(conn: sqlite3.Connection, cfg: Config, a: sqlite3.Row) -> list[Sheet]:
    """档案销毁审批表: the leader's approval of one appraisal's 销毁清册."""
    its = [i for i in items(conn, a["id"]) if i["decision"] == "destroy"]
    intro = [f"{cfg.agency_name}第 {a['id']} 号鉴定（鉴定小组：{'、'.join(json.loads(a['members']))}，"
             f"鉴定日期 {display.local_date(a['appraised_at'], cfg.tz)}）拟销毁保管期限已满、经鉴定无保存价值的档案 {len(its)} 件，"
             f"清单见销毁清册（批次 {a['batch']}）。",
             f"审批意见：同意销毁。批准人：{a['approved_by']}；批准日期：{a['approved_on']}；批准文件：{a['approval_doc']}。"]
    cols = ("序号", "档号", "题名", "保管期限")
    rows = [[k, i["archival_code"], i["title"] or "", RETENTION_NAMES.get(i["retention_before"], i["retention_before"])]
            for k, i in enumerate(its, 1)]
    return [Sheet(name="销毁审批", title="档案销毁审批表", subtitle=f"全宗号：{cfg.fonds}　　第 {a['id']} 号鉴定",
                  columns=cols, rows=rows, widths=(12, 60, 120, 24), intro=intro,
                  footer=f"批准人（签字）：{a['approved_by']}　　日期：{a['approved_on']}")]


def filing_sheets(conn: sqlite3.Connection, cfg: Config, a: sqlite3.Row) -> list[Sheet]:
    """档案销毁备案表 for the 档案主管部门 (a destruction done), then the 全宗卷 entries: the procedure's own
    documents (鉴定工作报告, 销毁审批表, 销毁清册) as they are filed, 永久, with their 档号."""
    if not a["destroyed_at"]:
        raise DispositionError(f"第 {a['id']} 号鉴定尚未销毁：销毁备案表在销毁之后填报（archive destroy {a['id']} …）")
    its = [i for i in items(conn, a["id"]) if i["decision"] == "destroy"]
    per: dict[tuple, int] = {}
    for i in its:
        key = (i["year"], RETENTION_NAMES.get(i["retention_before"], i["retention_before"] or ""))
        per[key] = per.get(key, 0) + 1
    sup = "、".join(json.loads(a["supervisors"]) if a["supervisors"] else [])
    intro = [
        f"报送单位：{cfg.agency_name}　　全宗号：{cfg.fonds}　　第 {a['id']} 号鉴定（批次 {a['batch']}）",
        f"鉴定小组：{'、'.join(json.loads(a['members']))}；鉴定日期：{display.local_date(a['appraised_at'], cfg.tz)}；"
        f"鉴定基准日：{a['as_of']}。",
        f"批准人：{a['approved_by']}；批准日期：{a['approved_on']}；批准文件：{a['approval_doc']}。",
        f"销毁时间：{display.local_time(a['destroyed_at'], cfg.tz)}；销毁方式：{a['method']}；销毁地点：{a['place']}；"
        f"监销人：{sup}。共销毁档案 {len(its)} 件，按年度和保管期限统计如下。",
        f"依据：本机关《文件材料归档范围和文书档案保管期限表》，{cfg.table_status}。",
    ]
    rows = [[k, y or "", ret, n] for k, ((y, ret), n) in enumerate(sorted(per.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])), 1)]
    blank = "_" * 16
    first = Sheet(name="销毁备案表", title="档案销毁备案表", subtitle=f"报送：同级档案主管部门　　{cfg.agency_name}",
                  columns=("序号", "年度", "原保管期限", "件数"), rows=rows, widths=(14, 30, 40, 24), intro=intro,
                  footer=f"报送单位（盖章）：{cfg.agency_name}　　经办人：{blank}　　报送日期：{blank}\n"
                         f"档案主管部门备案意见：{blank * 3}")
    docs = []
    for k, (col, title, _sheets) in enumerate(_DOCS.values(), 1):
        d = catalog.get_record(conn, a[col]) if a[col] else None
        docs.append([k, d["archival_code"] if d else "（未归档）", d["title"] if d else title,
                     date8(d["date"]) if d else "", "永久", d["pages"] or "" if d else ""])
    second = Sheet(name="全宗卷", title="全宗卷材料目录（鉴定与销毁）", subtitle=f"全宗号：{cfg.fonds}　　第 {a['id']} 号鉴定",
                   columns=("序号", "档号", "题名", "日期", "保管期限", "页数"), rows=docs, widths=(12, 56, 110, 24, 20, 16),
                   intro=["鉴定工作报告、销毁审批表和销毁清册归入全宗卷，永久保存；本备案表报送后其回执一并归入。"])
    return [first, second]


def write_filing(arc: Archive, appraisal_id: int, path: Path) -> Path:
    """Write the 销毁备案表 and the 全宗卷 entries of a destruction to ``path`` (.pdf/.docx/.xlsx/.csv)."""
    return write(filing_sheets(arc.conn, arc.cfg, get(arc.conn, appraisal_id)), path)


_DOCS = {  # kind -> (column, title, sheets)
    "report": ("report_id", "档案鉴定工作报告", report_sheets),
    "approval": ("approval_id", "档案销毁审批表", approval_sheets),
    "register": ("register_id", "档案销毁清册", register_sheets),
}


def ensure_documents(arc: Archive, appraisal_id: int, approval_file: Path | None = None) -> dict[str, dict]:
    """Archive the procedure's own documents that its steps so far call for and that are not yet archived:
    the 鉴定工作报告 (after appraise), the approval (after approve), the final 销毁清册 (after destroy)."""
    from archive.importing import ImportedFile, import_record

    conn, cfg = arc.conn, arc.cfg
    a = get(conn, appraisal_id)
    due = ["report"] + (["approval"] if a["approved_at"] else []) + (["register"] if a["destroyed_at"] else [])
    out = {}
    for kind in due:
        col, title, sheets = _DOCS[kind]
        if a[col] is None:
            when = {"report": a["appraised_at"], "approval": a["approved_on"], "register": a["destroyed_at"]}[kind]
            day = dt.date.fromisoformat(display.local_date(when, cfg.tz))  # the agency's day of a stored time
            with tempfile.TemporaryDirectory(prefix="archive-appraisal-") as tmp:
                if kind == "approval" and approval_file is not None:
                    path, written = Path(approval_file), False  # a person's file: through the whole 涉密 gate
                else:
                    path, written = Path(tmp) / f"{cfg.agency_name}{title}（第{appraisal_id}号鉴定）.pdf", True
                    write(sheets(conn, cfg, a), path, "pdf")
                meta = {"fonds": cfg.fonds, "year": day.year, "retention": "Y",
                        "org": cfg.default_org if cfg.orgs else None,
                        "title": f"{cfg.agency_name}{title}（第{appraisal_id}号鉴定）", "issuer": cfg.agency_name,
                        "date": day.isoformat(), "doc_type": "报告" if kind == "report" else None,
                        "rule_id": RULE_ID, "basis": BASIS, "relation": "本机关",
                        "note": f"第{appraisal_id}号鉴定（批次{a['batch']}）"}
                rec = import_record(arc, {k: v for k, v in meta.items() if v is not None}, ImportedFile(path, written=written),
                                    source={"appraisal": appraisal_id, "document": kind}, action="appraisal-document",
                                    allocate=True)
            with arc.change(catalog.actor(), "鉴定文件归档") as tx:
                gateway.set_document(tx.conn, appraisal_id, col, rec["id"])
                catalog.append_event(tx.conn, "appraisal-document", rec["id"],
                                     {"appraisal": appraisal_id, "document": kind})
            a = get(conn, appraisal_id)
        out[kind] = catalog.record(catalog.get_record(conn, a[col]))
    return out


def draft_register(arc: Archive, appraisal_id: int, path: Path) -> Path:
    """Write the 销毁清册 as it stands (draft before approval) to ``path`` (.xlsx/.docx/.pdf/.csv)."""
    return write(register_sheets(arc.conn, arc.cfg, get(arc.conn, appraisal_id)), path)


def listing(conn: sqlite3.Connection) -> list[dict]:
    """Every appraisal with its counts and the step it has reached."""
    out = []
    for a in gateway.all_appraisals(conn):
        its = items(conn, a["id"])
        d = as_dict(a)
        d["destroy"] = sum(1 for i in its if i["decision"] == "destroy")
        d["extend"] = len(its) - d["destroy"]
        d["state"] = ("已销毁" if a["destroyed_at"] else "已批准" if a["approved_at"] else
                      "已鉴定，待批准" if d["destroy"] else "已鉴定（均延期）")
        out.append(d)
    return out


def parse_decision_arg(arc: Archive, text: str, kind: str, default_reason: str) -> Decision:
    """``REF[:理由]`` (destroy, doubtful) or ``REF:期限[:理由]`` (extend) from the command line."""
    parts = [p.strip() for p in text.replace("：", ":").split(":")]
    ref, rest = parts[0], parts[1:]
    ret = None
    if kind == "extend":
        if not rest:
            raise DispositionError(f"--extend {text}：须写新的保管期限，如 {ref}:30年:仍有查考价值")
        ret = retention.from_typed(rest[0])
        if ret is None:
            raise DispositionError(f"--extend {text}：保管期限 “{rest[0]}” 无效（应为 永久、30年、10年）")
        rest = rest[1:]
    reason = ":".join(rest).strip() or default_reason
    return Decision(arc.resolve(ref), kind, reason, ret)


# a period inside a 鉴定意见 (延期30年, 延期三十年, 延期永久): the written names, longest first
_OPINION_PERIOD = re.compile("(%s)" % "|".join(sorted((w for w in retention.WRITTEN if not w.isascii()),
                                                      key=len, reverse=True)))


def decisions_from_sheet(arc: Archive, path: Path, default_reason: str = "") -> list[Decision]:
    """The 鉴定意见 the group wrote into the 到期档案鉴定表 (``archive audit -o``): 销毁, 延期30年 / 延期永久, or 存疑,
    optionally followed by a reason (``销毁：已无查考价值``). Rows left blank are not decided."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:
        raise DispositionError(f"无法读取鉴定表 {path}：{library_reason(e) or e}（应为 archive audit -o 写出的 .xlsx）") from None
    out, problems = [], []
    for ws in wb.worksheets:
        header = None
        for n, row in enumerate(ws.iter_rows(values_only=True), 1):
            cells = ["" if v is None else str(v).strip() for v in row]
            if header is None:
                if "档号" in cells and "鉴定意见" in cells:
                    header = {h: i for i, h in enumerate(cells)}
                continue
            code = cells[header["档号"]] if header["档号"] < len(cells) else ""
            opinion = cells[header["鉴定意见"]] if header["鉴定意见"] < len(cells) else ""
            if not code or not opinion:
                continue
            head, _, why = opinion.replace(":", "：").partition("：")
            reason = why.strip() or default_reason or f"鉴定小组意见：{head}"
            where = f"{ws.title} 第 {n} 行"
            try:
                row_ = arc.resolve(code)
            except Exception as e:
                problems.append(f"{where}：{e}")
                continue
            if "销毁" in head:
                out.append(Decision(row_, "destroy", reason))
            elif "存疑" in head or "从长" in head:
                out.append(Decision(row_, "doubtful", reason))
            elif any(w in head for w in ("延期", "延长", "保留", "续存")):
                m = _OPINION_PERIOD.search(head)
                if not m:
                    problems.append(f"{where}：“{opinion}” 没有写新的保管期限（如 延期30年、延期永久）")
                    continue
                out.append(Decision(row_, "extend", reason, retention.WRITTEN[m.group(1)]))
            else:
                problems.append(f"{where}：鉴定意见 “{opinion}” 无法识别（应为 销毁、延期30年、延期永久 或 存疑）")
    if problems:
        raise DispositionError("鉴定表有误，未做鉴定：" + "；".join(problems[:10]))
    return out
