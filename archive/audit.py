"""到期鉴定 and 销毁 (docs/retention.md): what is due, holds, and extensions.

Retention is counted from 1 January of the year after the document's year: a 10年 document of 2015 is due
from 2026-01-01; 永久 is never due. A record imported with a pre-2006 period keeps it (长期/短期) and is due
conservatively, 长期 after ``old_long_years`` (50) and 短期 after ``old_short_years`` (15); where it also has a
period of today's table, the later date counts, until an appraisal has decided on it.

Destruction is never a single call: it goes audit → appraise → approve → destroy (archive.appraisal).
Here: the due list, holds, and ``dispose`` for an extension outside an appraisal (keeping longer is the safe
direction, and the 档号 stays as in DA/T practice).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from archive import catalog, display
from archive.errors import DispositionError
from archive.export.catalogue import Sheet, date8
from archive.session import Archive
from archive.retention import NAMES as RETENTION_NAMES
from archive.retention import OLD_CODE_OF_NAME, OLD_YEARS, RANK
from archive.retention import YEARS as RETENTION_YEARS
from archive.retention import label as retention_label  # cli imports it from here
from archive.words import status_name


def not_future(day: dt.date, what: str = "鉴定基准日") -> dt.date:
    """Appraisal and destruction look at what is due today or earlier, never at a day to come."""
    if day > display.today():
        raise DispositionError(f"{what} {day.isoformat()} 晚于今天：不能按将来的日期鉴定或销毁，请不加 --as-of 或写今天以前的日期")
    return day


def due_date(year: int, retention: str | None, retention_old: str | None = None, *, long_years: int = 50,
             short_years: int = 15) -> dt.date | None:
    """First day the record is due for appraisal; None for 永久 (or when nothing is known)."""
    if retention == "Y":
        return None
    dates = []
    n = RETENTION_YEARS.get(retention or "")
    if n:
        dates.append(dt.date(year + 1 + n, 1, 1))
    if retention_old:
        dates.append(dt.date(year + 1 + (long_years if retention_old == "长期" else short_years), 1, 1))
    return max(dates) if dates else None


def appraised_ids(conn: sqlite3.Connection) -> set[int]:
    """Records an appraisal (or an extension) has already decided on: their old period no longer counts."""
    return catalog.extended_ids(conn)


def record_due(row, cfg=None, appraised: set[int] | None = None) -> dt.date | None:
    """When ``row`` is due, with the config's years for old periods."""
    if row["year"] is None:
        return None
    old = row["retention_old"] if "retention_old" in row.keys() else None
    if old and row["retention"] and appraised is not None and row["id"] in appraised:
        old = None
    return due_date(row["year"], row["retention"], old,
                    long_years=getattr(cfg, "old_long_years", OLD_YEARS["长期"]),
                    short_years=getattr(cfg, "old_short_years", OLD_YEARS["短期"]))


@dataclass
class DueItem:
    record: sqlite3.Row
    due: dt.date
    hold_reason: str | None  # None: not held
    note: str = ""  # 原长期/短期，须鉴定

    def to_json(self) -> dict:
        return {**catalog.record(self.record), "due": self.due.isoformat(), "held": self.hold_reason is not None,
                "hold_reason": self.hold_reason, "retention_old": self.record["retention_old"], "note": self.note}


active_holds = catalog.active_holds  # record -> the reason it is frozen
pending_destruction = catalog.destruction_pending  # record -> the appraisal that decided to destroy it


def due_list(conn: sqlite3.Connection, as_of: dt.date, cfg=None) -> list[DueItem]:
    """Archived records whose retention has ended by ``as_of``, by 年度, 保管期限, 机构, 件号."""
    holds = active_holds(conn)
    appraised = appraised_ids(conn)
    out = []
    # due on 1 January of 年度 + 1 + the period's years: a record of a later 年度 is not due yet (read in SQL)
    last_years = {code: as_of.year - 1 - n for code, n in RETENTION_YEARS.items()}
    for r in catalog.due_candidates(conn, last_years):
        if r["year"] is None or r["retention"] == "Y" or (r["retention"] not in RETENTION_YEARS
                                                          and not r["retention_old"]):
            continue
        due = record_due(r, cfg, appraised)
        if due is not None and due <= as_of:
            note = f"原{r['retention_old']}，须鉴定" if r["retention_old"] and r["id"] not in appraised else ""
            out.append(DueItem(r, due, holds.get(r["id"]), note))
    return out


def grouped(items: list[DueItem]) -> dict[tuple[int, str], list[DueItem]]:
    groups: dict[tuple[int, str], list[DueItem]] = {}
    for it in items:
        key = it.record["retention"] or OLD_CODE_OF_NAME.get(it.record["retention_old"], "D")
        groups.setdefault((it.record["year"], key), []).append(it)
    return groups


def appraisal_sheets(items: list[DueItem], as_of: dt.date, table_status: str = "") -> list[Sheet]:
    """到期档案鉴定表: one sheet per 年度 and 保管期限; 鉴定意见 left for the appraisal group to fill in."""
    cols = ("序号", "档号", "文号", "责任者", "题名", "日期", "保管期限", "到期日期", "页数", "鉴定意见", "备注")
    sheets = []
    for (year, _), group in grouped(items).items():
        name = retention_label(group[0].record)
        rows = [[i, it.record["archival_code"], it.record["doc_number"] or "", it.record["issuer"] or "",
                 it.record["title"] or "", date8(it.record["date"]), retention_label(it.record),
                 date8(it.due.isoformat()), it.record["pages"] or "", "",
                 "；".join(x for x in (f"冻结：{it.hold_reason}" if it.hold_reason else "", it.note) if x)]
                for i, it in enumerate(group, 1)]
        sheets.append(Sheet(name=f"{year}-{name}"[:31], title="到期档案鉴定表",
                            subtitle=f"{year}年度　　保管期限：{name}　　鉴定基准日：{as_of.isoformat()}"
                                     + (f"　　{table_status}" if table_status else ""),
                            columns=cols, rows=rows, widths=(10, 50, 32, 26, 59, 18, 14, 18, 10, 18, 12),
                            footer="鉴定小组成员（签字）：　　　　　　　　　　　　鉴定日期：　　　　年　　月　　日"))
    return sheets


# ---- holds -------------------------------------------------------------------------------------------
def hold(arc: Archive, row, reason: str) -> None:
    """Block disposition of a record (under investigation, litigation, audit)."""
    if not reason.strip():
        raise DispositionError("冻结必须说明原因（--reason）")
    with arc.change(reason=reason) as tx:
        conn = tx.conn
        if catalog.is_held(conn, row["id"]):
            raise DispositionError(f"{_ref(row)} 已被冻结")
        if (tx.record(row["id"]) or row)["status"] == "destroyed":  # under the lock: destroyed meanwhile too
            raise DispositionError(f"{_ref(row)} 已销毁，无需冻结")
        catalog.add_hold(conn, row["id"], reason, catalog.actor(), catalog.now())
        catalog.append_event(conn, "hold", row["id"], {"reason": reason})


def release(arc: Archive, row, reason: str) -> None:
    with arc.change(reason=reason) as tx:
        conn = tx.conn
        if not catalog.release_hold(conn, row["id"], catalog.actor(), catalog.now(), reason):
            raise DispositionError(f"{_ref(row)} 没有被冻结")
        catalog.append_event(conn, "release", row["id"], {"reason": reason})


# ---- extension outside an appraisal ------------------------------------------------------------------
@dataclass
class Disposition:
    batch: int
    decision: str
    records: list[dict]


def check_extension(row, retention: str, as_of: dt.date, cfg=None) -> str | None:
    """Why ``row`` cannot be given ``retention`` (None when it can): the new period must be longer, and for an
    old period (长期/短期) it must run past ``as_of``."""
    if retention not in RANK:
        return f"{_ref(row)} 新的保管期限 “{retention}” 无效"
    if row["retention"] in RANK and RANK[retention] <= RANK[row["retention"]]:
        return f"{_ref(row)} 现为{RETENTION_NAMES[row['retention']]}，新的保管期限必须更长"
    if retention != "Y" and row["year"] is not None and due_date(row["year"], retention) <= as_of:
        return f"{_ref(row)} 改为{RETENTION_NAMES[retention]}后 {due_date(row['year'], retention)} 即已到期，须选更长的期限"
    return None


def dispose(arc: Archive, rows: list, decision: str, *, approved_by: str, reason: str,
            retention: str | None = None, supervisors: list[str] | None = None,
            as_of: dt.date | None = None) -> Disposition:
    """Extend the retention of several records, all or none (档号 unchanged). Destruction is not done here:
    it goes through the procedure (archive.appraisal: appraise → approve → destroy)."""
    if decision == "destroy":
        raise DispositionError("销毁须按鉴定程序进行：archive audit → archive appraise → archive approve → archive destroy")
    if decision != "extend":
        raise DispositionError(f"处置方式 “{decision}” 无效：只能为 延期（延长保管期限）；销毁请用 archive appraise")
    if not approved_by.strip() or not reason.strip():
        raise DispositionError("延长保管期限必须写明批准人（--approved-by）和理由（--reason）")
    if retention is None:
        raise DispositionError("延长保管期限须指定新的保管期限（--retention）")
    as_of = not_future(as_of or display.today())
    conn = arc.conn
    problems = []
    seen = set()
    for r in rows:
        if r["id"] in seen:
            problems.append(f"{_ref(r)} 重复列出")
        seen.add(r["id"])
        if r["status"] != "archived":
            problems.append(f"{_ref(r)} 状态为{status_name(r['status'])}，只有已归档的记录可以处置")
            continue
        if r["year"] is None or (r["retention"] not in RANK and not r["retention_old"]):
            problems.append(f"{_ref(r)} 没有年度或保管期限，请先用 archive reclassify 补正")
            continue
        why = check_extension(r, retention, as_of, arc.cfg)
        if why:
            problems.append(why)
    if problems:
        raise DispositionError("未做任何处置：" + "；".join(dict.fromkeys(problems)))
    with arc.change(reason=reason) as tx:
        for r in rows:  # under the lock: the records as they are now, checked again
            if (why := tx.changed_since(r)) is not None:
                raise DispositionError("未做任何处置：" + why)
        batch = catalog.next_batch(conn)
        ts, who = catalog.now(), catalog.actor()
        for r in rows:
            extend_record(conn, r, retention, batch=batch, approved_by=approved_by, reason=reason, ts=ts, who=who)
            tx.queue_index(r["id"])
    recs = [catalog.record(catalog.get_record(conn, r["id"])) for r in rows]
    return Disposition(batch, decision, recs)


def extend_record(conn: sqlite3.Connection, r, retention: str, *, batch: int, approved_by: str, reason: str,
                  ts: str, who: str, extra: dict | None = None) -> None:
    """One extension, inside the caller's transaction: the decision row, the new period, the event."""
    before = r["retention"] or r["retention_old"]
    catalog.add_disposition(conn, batch=batch, document_id=r["id"], decision="extend", archival_code=r["archival_code"],
                            retention_before=before, retention_after=retention, approved_by=approved_by,
                            supervisors=None, reason=reason, decided_at=ts, actor=who)
    catalog.update_record(conn, r["id"], {"retention": retention}, ts=ts)
    catalog.append_event(conn, "extend", r["id"], {"batch": batch, "approved_by": approved_by, "reason": reason,
                                                   "archival_code": r["archival_code"], "retention_before": before,
                                                   "retention_after": retention, **(extra or {})})


def destruction_sheets(conn: sqlite3.Connection, cfg, batch: int | None = None) -> list[Sheet]:
    """销毁清册 (per 全宗): 序号, 档号, 文号, 责任者, 题名, 日期, 保管期限, 页数, 备注; one sheet per batch, with
    the approval, 销毁方式, 地点, time and signature lines (archive.appraisal.register_sheets). Batches destroyed
    before the procedure existed (one dispose call) are listed as they were recorded."""
    from archive.appraisal import register_sheets

    sheets = []
    for a in catalog.appraisals_destroying(conn, batch):
        sheets += register_sheets(conn, cfg, a)
    legacy = _legacy_destruction_sheets(conn, cfg, batch)
    done = {s.name for s in sheets}
    return sheets + [s for s in legacy if s.name not in done]


def _legacy_destruction_sheets(conn: sqlite3.Connection, cfg, batch: int | None = None) -> list[Sheet]:
    cols = ("序号", "档号", "文号", "责任者", "题名", "日期", "保管期限", "页数", "备注")
    rows = catalog.destroyed_without_appraisal(conn, batch)
    batches: dict[int, list] = {}
    for r in rows:
        batches.setdefault(r["batch"], []).append(r)
    sheets = []
    for b, group in batches.items():
        first = group[0]
        body = [[i, r["archival_code"], r["doc_number"] or r["doc_number_raw"] or "", r["issuer"] or "",
                 r["title"] or "", date8(r["date"]), RETENTION_NAMES.get(r["retention_before"], r["retention_before"]),
                 r["pages"] or "", r["reason"]] for i, r in enumerate(group, 1)]
        sup = "、".join((first["supervisors"] or "").split(",")) or "　　　　"
        sheets.append(Sheet(
            name=f"销毁清册-{b}", title="档案销毁清册",
            subtitle=f"全宗号：{first['fonds'] or cfg.fonds}　　全宗名称：{cfg.agency_name}　　批次：{b}　　"
                     f"共 {len(group)} 件",
            columns=cols, rows=body, widths=(10, 50, 32, 28, 69, 18, 14, 10, 36),
            footer=f"批准人：{first['approved_by']}　　批准日期：{display.local_date(first['decided_at'])}　　"
                   f"监销人（签字）：{sup}　　销毁日期：{display.local_date(first['decided_at'])}"))
    return sheets


def _ref(row) -> str:
    return row["archival_code"] or f"记录 {row['id']}"
