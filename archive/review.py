"""A clerk's review of what the retention table could not decide: pending records, confirm, reclassify.

Every change records who changed what (before and after) and why in the event log. A 档号 is only ever
decided by ``archival_code.allocate``; when a reclassification moves an archived record to another group,
it gets a new 档号 and the old one becomes a gap that the event explains (``vacated_code``), which
``verify`` accepts. Numbers are never reused.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from archive import archival_code, bounds, catalog, schema
from archive.config import RETENTION_NAMES
from archive.errors import ReviewError
from archive.words import status_name
from archive.session import Archive

CLASS_COLUMNS = schema.CLASSIFICATION  # what a confirm or reclassify may change


@dataclass
class Pending:
    record: sqlite3.Row
    why: str  # the reason the pipeline left it pending

    def to_json(self) -> dict:
        return {**catalog.record(self.record), "reason": self.why}


def pending(conn: sqlite3.Connection) -> list[Pending]:
    return [Pending(r, r["reason"] or "未说明原因")
            for r in conn.execute("SELECT * FROM documents WHERE status='pending' ORDER BY id")]


def confirm(arc: Archive, row, *, retention: str | None, org: str | None, year: int | None = None,
            exclude: bool = False, reason: str | None = None) -> dict:
    """Decide a pending record: archive it with a 保管期限 (and 机构), or exclude it (不归档)."""
    if row["status"] != "pending":
        raise ReviewError(f"{_ref(row)} 不是待定状态（现为{status_name(row['status'])}）：改变已定的分类请用 archive reclassify")
    if exclude:
        return _apply(arc, row, "excluded", None, None, year, reason or "人工确认不归档", "confirm")
    if retention is None:
        raise ReviewError("确认归档须指定保管期限（--retention 永久/30年/10年），或用 --exclude 确认不归档")
    return _apply(arc, row, "archived", retention, org, year, reason or "人工确认归档", "confirm")


def reclassify(arc: Archive, row, *, retention: str | None = None, org: str | None = None, year: int | None = None,
               status: str | None = None, reason: str) -> dict:
    """Change a decided record's 保管期限, 机构, 年度 or scope; a new group means a new 档号."""
    if not reason or not reason.strip():
        raise ReviewError("重新分类必须说明原因（--reason）")
    if row["status"] == "destroyed":
        raise ReviewError(f"{_ref(row)} 已销毁，不能重新分类")
    target = status or ("archived" if row["status"] == "archived" or retention else row["status"])
    if target == "archived":
        retention = retention or row["retention"]
        org = org if org is not None else row["org"]
        if retention is None:
            raise ReviewError("归档须指定保管期限（--retention）")
    elif target in ("excluded", "pending"):
        retention = org = None
    else:
        raise ReviewError(f"状态 “{status_name(target)}” 无效：应为 已归档、不归档 或 待定")
    return _apply(arc, row, target, retention, org, year, reason, "reclassify")


def _apply(arc: Archive, row, status: str, retention: str | None, org: str | None, year: int | None,
           reason: str, action: str) -> dict:
    cfg, conn = arc.cfg, arc.conn
    if org is not None and org != "" and cfg.orgs and org not in cfg.orgs:
        raise ReviewError(f"机构代码 “{org}” 不在 config.toml 的 [orgs] 中（可用：{'、'.join(cfg.orgs)}）")
    if status == "archived":
        if cfg.orgs and not org:
            org = cfg.default_org
            if not org:
                raise ReviewError(f"须指定机构（--org，可用：{'、'.join(cfg.orgs)}）")
        if not cfg.orgs:
            org = None
    if year is not None:
        year = bounds.check_year(year)
    year = year or row["year"]
    if status == "archived" and year is None:
        raise ReviewError(f"{_ref(row)} 没有年度（成文日期未识别）：请用 --year 指定")
    if status == "archived":
        bounds.check_year(year, f"{_ref(row)} 的年度")  # a year read from a damaged date must not become a 档号
    with arc.writing():
        cur = conn.execute("SELECT * FROM documents WHERE id=?", (row["id"],)).fetchone()
        before = {k: cur[k] for k in CLASS_COLUMNS}
        old = archival_code.parse(cur["archival_code"] or "")
        fonds = cur["fonds"] or cfg.fonds
        same_group = (old is not None and status == "archived"
                      and (old.fonds, old.year, old.retention, old.org) == (fonds, year, retention, org or None))
        if status == "archived" and not same_group:
            code = archival_code.allocate(conn, fonds, year, retention, org)
        else:
            code = old if status == "archived" else None
        if code is not None and archival_code.parse(str(code)) is None:  # rolled back with the transaction
            raise ReviewError(f"组成的档号 {code} 不符合 DA/T 22（全宗号、机构代码须为字母或数字，机构代码三个字母）："
                              "请检查 config.toml 的 fonds 和 [orgs]")
        after = {"status": status, "archival_code": str(code) if code else None,
                 "fonds": code.fonds if code else cur["fonds"], "year": year, "retention": retention,
                 "org": org, "item_no": code.item_no if code else None}
        if after == before:
            raise ReviewError(f"{_ref(cur)} 没有变化")
        catalog.set_classification(conn, row["id"], after, reason=None if status != "pending" else cur["reason"])
        detail = {"before": before, "after": after, "reason": reason}
        if old is not None and str(old) != after["archival_code"]:
            detail["vacated_code"] = str(old)  # explains the gap in the old group
        catalog.append_event(conn, action, row["id"], detail)
    arc.queue_index(row["id"])
    arc.flush_index()
    return catalog.record(conn.execute("SELECT * FROM documents WHERE id=?", (row["id"],)).fetchone())


def describe(before: dict, after: dict) -> str:
    """What changed, for the CLI (Chinese)."""
    parts = []
    for k, label in (("status", "状态"), ("archival_code", "档号"), ("retention", "保管期限"), ("org", "机构")):
        if before.get(k) != after.get(k):
            b, a = before.get(k), after.get(k)
            if k == "retention":
                b, a = RETENTION_NAMES.get(b or "", b), RETENTION_NAMES.get(a or "", a)
            elif k == "status":
                b, a = status_name(b), status_name(a)
            parts.append(f"{label} {b or '无'} → {a or '无'}")
    return "；".join(parts)


def _ref(row) -> str:
    return row["archival_code"] or f"记录 {row['id']}"
