"""到期鉴定 and 销毁 (SPEC section 2): what is due, holds, and the appraisal decisions.

Retention is counted from 1 January of the year after the document's year: a 10年 document of 2015 is due
from 2026-01-01; 永久 is never due. A decision is ``destroy`` (the file leaves the store, the record stays
with status destroyed and goes on a 销毁清册) or ``extend`` (a longer 保管期限, 档号 unchanged as in DA/T
practice). Held records are never destroyed; a record not yet due is destroyed only with ``force``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from archive import catalog
from archive.config import RETENTION_NAMES
from archive.errors import DispositionError
from archive.export.catalogue import Sheet, date8
from archive.pipeline import Archive

RETENTION_YEARS = {"D10": 10, "D30": 30}  # 永久 (Y) is never due
RANK = {"D10": 0, "D30": 1, "Y": 2}  # longer retention ranks higher (从长)


def due_date(year: int, retention: str) -> dt.date | None:
    """First day the record is due for appraisal; None for 永久."""
    n = RETENTION_YEARS.get(retention)
    return dt.date(year + 1 + n, 1, 1) if n else None


@dataclass
class DueItem:
    record: sqlite3.Row
    due: dt.date
    hold_reason: str | None  # None: not held

    def to_json(self) -> dict:
        return {**catalog.record(self.record), "due": self.due.isoformat(), "held": self.hold_reason is not None,
                "hold_reason": self.hold_reason}


def active_holds(conn: sqlite3.Connection) -> dict[int, str]:
    return {r[0]: r[1] for r in conn.execute("SELECT document_id, reason FROM holds WHERE released_at IS NULL")}


def due_list(conn: sqlite3.Connection, as_of: dt.date) -> list[DueItem]:
    """Archived records whose retention has ended by ``as_of``, by 年度, 保管期限, 机构, 件号."""
    holds = active_holds(conn)
    out = []
    for r in catalog.list_documents(conn, status="archived"):
        if r["year"] is None or r["retention"] not in RETENTION_YEARS:
            continue
        due = due_date(r["year"], r["retention"])
        if due <= as_of:
            out.append(DueItem(r, due, holds.get(r["id"])))
    return out


def grouped(items: list[DueItem]) -> dict[tuple[int, str], list[DueItem]]:
    groups: dict[tuple[int, str], list[DueItem]] = {}
    for it in items:
        groups.setdefault((it.record["year"], it.record["retention"]), []).append(it)
    return groups


def appraisal_sheets(items: list[DueItem], as_of: dt.date) -> list[Sheet]:
    """到期档案鉴定表: one sheet per 年度 and 保管期限; 鉴定意见 left for the appraisal group to fill in."""
    cols = ("序号", "档号", "文号", "责任者", "题名", "日期", "保管期限", "到期日期", "页数", "鉴定意见", "备注")
    sheets = []
    for (year, ret), group in grouped(items).items():
        name = RETENTION_NAMES.get(ret, ret)
        rows = [[i, it.record["archival_code"], it.record["doc_number"] or "", it.record["issuer"] or "",
                 it.record["title"] or "", date8(it.record["date"]), name, date8(it.due.isoformat()),
                 it.record["pages"] or "", "", f"冻结：{it.hold_reason}" if it.hold_reason else ""]
                for i, it in enumerate(group, 1)]
        sheets.append(Sheet(name=f"{year}-{name}", title="到期档案鉴定表",
                            subtitle=f"{year}年度　　保管期限：{name}　　鉴定基准日：{as_of.isoformat()}",
                            columns=cols, rows=rows, widths=(10, 50, 32, 26, 59, 18, 14, 18, 10, 18, 12),
                            footer="鉴定小组成员（签字）：　　　　　　　　　　　　鉴定日期：　　　　年　　月　　日"))
    return sheets


# ---- holds -------------------------------------------------------------------------------------------
def hold(arc: Archive, row, reason: str) -> None:
    """Block disposition of a record (under investigation, litigation, audit)."""
    if not reason.strip():
        raise DispositionError("冻结必须说明原因（--reason）")
    conn = arc.conn
    with arc.write_lock():
        with catalog.transaction(conn):
            if conn.execute("SELECT 1 FROM holds WHERE document_id=? AND released_at IS NULL",
                            (row["id"],)).fetchone():
                raise DispositionError(f"{_ref(row)} 已被冻结")
            if row["status"] == "destroyed":
                raise DispositionError(f"{_ref(row)} 已销毁，无需冻结")
            conn.execute("INSERT INTO holds(document_id, reason, held_by, held_at) VALUES (?,?,?,?)",
                         (row["id"], reason, catalog.actor(), catalog.now()))
            catalog.append_event(conn, "hold", row["id"], {"reason": reason})


def release(arc: Archive, row, reason: str) -> None:
    conn = arc.conn
    with arc.write_lock():
        with catalog.transaction(conn):
            cur = conn.execute("UPDATE holds SET released_by=?, released_at=?, release_reason=? "
                               "WHERE document_id=? AND released_at IS NULL",
                               (catalog.actor(), catalog.now(), reason, row["id"]))
            if cur.rowcount == 0:
                raise DispositionError(f"{_ref(row)} 没有被冻结")
            catalog.append_event(conn, "release", row["id"], {"reason": reason})


# ---- disposition -------------------------------------------------------------------------------------
@dataclass
class Disposition:
    batch: int
    decision: str
    records: list[dict]


def dispose(arc: Archive, rows: list, decision: str, *, approved_by: str, reason: str,
            retention: str | None = None, supervisors: list[str] | None = None, as_of: dt.date | None = None,
            force: bool = False) -> Disposition:
    """Carry out one appraisal decision on several records, all or none: every record is checked first."""
    if decision not in ("destroy", "extend"):
        raise DispositionError(f"鉴定结论 “{decision}” 无效：应为 destroy（销毁）或 extend（延长保管期限）")
    if not approved_by.strip() or not reason.strip():
        raise DispositionError("处置必须写明批准人（--approved-by）和理由（--reason）")
    if decision == "extend" and retention is None:
        raise DispositionError("延长保管期限须指定新的保管期限（--retention）")
    as_of = as_of or dt.date.today()
    conn = arc.conn
    holds = active_holds(conn)
    problems = []
    seen = set()
    for r in rows:
        if r["id"] in seen:
            problems.append(f"{_ref(r)} 重复列出")
        seen.add(r["id"])
        if r["status"] != "archived":
            problems.append(f"{_ref(r)} 状态为{r['status']}，只有已归档的记录可以处置")
            continue
        if r["id"] in holds:
            problems.append(f"{_ref(r)} 已被冻结（{holds[r['id']]}），不能处置")
        if r["year"] is None or r["retention"] not in RANK:
            problems.append(f"{_ref(r)} 没有年度或保管期限，请先用 archive reclassify 补正")
            continue
        due = due_date(r["year"], r["retention"])
        if decision == "destroy" and r["retention"] != "Y" and due > as_of and not force:
            problems.append(f"{_ref(r)} {due.isoformat()} 才到期；确需提前销毁请加 --force")
        if decision == "destroy" and r["retention"] == "Y":
            problems.append(f"{_ref(r)} 为永久保管，不能销毁")
        if decision == "extend" and RANK[retention] <= RANK[r["retention"]]:
            problems.append(f"{_ref(r)} 现为{RETENTION_NAMES[r['retention']]}，新的保管期限必须更长")
    if problems:
        raise DispositionError("未做任何处置：" + "；".join(dict.fromkeys(problems)))

    sup = ",".join(s.strip() for s in (supervisors or []) if s.strip()) or None
    removed = []
    with arc.write_lock():
        with catalog.transaction(conn):
            (batch,) = conn.execute("SELECT coalesce(max(batch), 0) + 1 FROM dispositions").fetchone()
            ts, who = catalog.now(), catalog.actor()
            for r in rows:
                if conn.execute("SELECT 1 FROM holds WHERE document_id=? AND released_at IS NULL",
                                (r["id"],)).fetchone():  # held by another process since the check
                    raise DispositionError(f"未做任何处置：{_ref(r)} 刚被冻结")
                conn.execute(
                    "INSERT INTO dispositions(batch, document_id, decision, archival_code, retention_before, "
                    "retention_after, approved_by, supervisors, reason, decided_at, actor) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (batch, r["id"], decision, r["archival_code"], r["retention"],
                     retention if decision == "extend" else None, approved_by, sup, reason, ts, who))
                detail = {"batch": batch, "approved_by": approved_by, "reason": reason,
                          "archival_code": r["archival_code"]}
                if decision == "destroy":
                    # the content goes (every file of the record); the record (metadata and checksum) stays,
                    # its text leaves the catalog
                    removed += catalog.files_of(conn, r["id"])
                    conn.execute("UPDATE documents SET status='destroyed', stored_path=NULL, searchable_path=NULL, "
                                 "indexed=0, updated_at=? WHERE id=?", (ts, r["id"]))
                    conn.execute("UPDATE document_files SET stored_path=NULL WHERE document_id=?", (r["id"],))
                    conn.execute("UPDATE document_texts SET text='' WHERE document_id=?", (r["id"],))
                    catalog.append_event(conn, "destroy", r["id"], {**detail, "supervisors": sup,
                                                                    "stored_path": r["stored_path"]})
                else:
                    conn.execute("UPDATE documents SET retention=?, updated_at=? WHERE id=?",
                                 (retention, ts, r["id"]))
                    catalog.append_event(conn, "extend", r["id"], {**detail, "retention_before": r["retention"],
                                                                   "retention_after": retention})
        # after the commit: a crash here leaves unreferenced files, which reconcile() removes on next start
        for rel in removed:
            arc.store.remove(rel)
        for r in rows:
            arc.queue_index(r["id"])
        arc.flush_index()
    recs = [catalog.record(conn.execute("SELECT * FROM documents WHERE id=?", (r["id"],)).fetchone())
            for r in rows]
    return Disposition(batch, decision, recs)


def destruction_sheets(conn: sqlite3.Connection, cfg, batch: int | None = None) -> list[Sheet]:
    """销毁清册 (per 全宗): 序号, 档号, 文号, 责任者, 题名, 日期, 保管期限, 页数, 备注; one sheet per batch."""
    cols = ("序号", "档号", "文号", "责任者", "题名", "日期", "保管期限", "页数", "备注")
    sql = ("SELECT p.*, d.doc_number, d.doc_number_raw, d.issuer, d.title, d.date, d.pages, d.fonds "
           "FROM dispositions p JOIN documents d ON d.id = p.document_id WHERE p.decision='destroy'")
    args: list = []
    if batch is not None:
        sql += " AND p.batch=?"
        args.append(batch)
    rows = conn.execute(sql + " ORDER BY p.batch, p.archival_code", args).fetchall()
    batches: dict[int, list] = {}
    for r in rows:
        batches.setdefault(r["batch"], []).append(r)
    sheets = []
    for b, group in batches.items():
        first = group[0]
        body = [[i, r["archival_code"], r["doc_number"] or r["doc_number_raw"] or "", r["issuer"] or "",
                 r["title"] or "", date8(r["date"]), RETENTION_NAMES.get(r["retention_before"], ""),
                 r["pages"] or "", r["reason"]] for i, r in enumerate(group, 1)]
        sup = "、".join((first["supervisors"] or "").split(",")) or "　　　　"
        sheets.append(Sheet(
            name=f"销毁清册-{b}", title="档案销毁清册",
            subtitle=f"全宗号：{first['fonds'] or cfg.fonds}　　全宗名称：{cfg.agency_name}　　批次：{b}　　"
                     f"共 {len(group)} 件",
            columns=cols, rows=body, widths=(10, 50, 32, 28, 69, 18, 14, 10, 36),
            footer=f"批准人：{first['approved_by']}　　批准日期：{first['decided_at'][:10]}　　"
                   f"监销人（签字）：{sup}　　销毁日期：{first['decided_at'][:10]}"))
    return sheets


def _ref(row) -> str:
    return row["archival_code"] or f"记录 {row['id']}"
