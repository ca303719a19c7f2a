"""The use register (利用登记): one entry per request — who, from which unit, for what, how (查阅 / 复制 / 摘录 /
借出), approved by whom, with what effect — loans of paper originals with their due dates and returns, the year's
figures (人次, 件次, by purpose and unit), and the requests a 查阅 user files on the web page that the 档案员
grants (the entry follows the grant). docs/retention.md, "利用和移交", has the rules.

A unit other than our own (the agency's name, its aliases, its 机构 ([orgs]), [transfer] own_units) is outside: a copy (复制,
摘录) or a loan for it is registered only with the approval recorded (``approved_by``). Staff reading records
for their own work is not 利用 and is not registered here; every view and download is in the access log
(archive/access_log.py) all the same."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from archive import bounds, catalog, display
from archive.words import status_name
from archive.access_log import within
from archive.catalog import uses as gateway
from archive.errors import UseError
from archive.export.catalogue import Sheet
from archive.session import Archive

WAYS = ("查阅", "复制", "摘录", "借出")
COPIES = ("复制", "摘录", "借出")  # what an outside unit gets only after an approval is recorded
MAX_TEXT = 200

REGISTER_COLUMNS = ("编号", "登记日期", "利用者", "单位", "利用目的", "利用方式", "档号", "件数", "批准人",
                    "归还期限", "归还日期", "利用效果")
REGISTER_WIDTHS = (6, 12, 10, 18, 16, 8, 34, 6, 10, 12, 12, 20)


def own_units(cfg) -> set[str]:
    return {cfg.agency_name, *cfg.aliases, *cfg.orgs.values(), *cfg.transfer.own_units}


def is_outside(cfg, unit: str) -> bool:
    return unit not in own_units(cfg)


def _text(value: str | None, what: str, required: bool = True) -> str | None:
    v = bounds.clean_text(bounds.check_text_arg(value or "", what, MAX_TEXT)).strip()
    if required and not v:
        raise UseError(f"利用登记须写明{what}")
    return v or None


def register(arc: Archive, rows: list, *, person: str, unit: str, purpose: str, way: str,
             approved_by: str | None = None, due: dt.date | None = None, request_id: int | None = None) -> dict:
    """Register one use of the records ``rows`` (all or none). Returns the entry."""
    person, unit, purpose = _text(person, "利用者（--person）"), _text(unit, "单位（--unit）"), \
        _text(purpose, "利用目的（--purpose）")
    approved_by = _text(approved_by, "批准人", required=False)
    way = (way or "").strip()
    if way not in WAYS:
        raise UseError(f"利用方式 “{way}” 无效：应为 {'、'.join(WAYS)}")
    if not rows:
        raise UseError("没有给出要利用的档案（REF）")
    outside = is_outside(arc.cfg, unit)
    if outside and way in COPIES and not approved_by:
        raise UseError(f"{unit} 不是本机关：{way}须先经批准，请用 --approved-by 写明批准人（未登记）")
    today = dt.datetime.now(arc.cfg.tz).date()
    if way == "借出":
        if due is None:
            raise UseError("借出须写明归还期限（--due 日期），否则无法催还（未登记）")
        if due < today:
            raise UseError(f"归还期限 {due.isoformat()} 早于今天：请核对（未登记）")
    elif due is not None:
        raise UseError("只有借出需要归还期限（--due）")
    who, ts = catalog.actor(), catalog.now()
    with arc.change(who, "利用登记") as tx:
        docs = []
        for r in rows:
            cur = tx.record(r["id"])
            if cur is None or cur["status"] != "archived":
                ref = r["archival_code"] or f"记录 {r['id']}"
                raise UseError(f"{ref} 不是已归档的档案（{status_name(cur['status']) if cur else '不存在'}）"
                               "：只登记档案的利用（未登记）")
            if cur["id"] not in {d for d, _ in docs}:
                docs.append((cur["id"], cur["archival_code"]))
        use_id = gateway.add_use(tx.conn, {
            "person": person, "unit": unit, "outside": int(outside), "purpose": purpose, "way": way,
            "approved_by": approved_by, "due": due.isoformat() if due else None, "registered_at": ts,
            "registered_by": who, "request_id": request_id}, docs)
        catalog.append_event(tx.conn, "use-register", None, {
            "use": use_id, "person": person, "unit": unit, "way": way, "purpose": purpose,
            "approved_by": approved_by, "records": [c or d for d, c in docs]})
    return gateway.use(arc.conn, use_id)


def _entry(arc: Archive, use_id: int) -> dict:
    u = gateway.use(arc.conn, use_id)
    if u is None:
        raise UseError(f"没有第 {use_id} 号利用登记（archive use list 可查看）")
    return u


def result(arc: Archive, use_id: int, effect: str) -> dict:
    """Record the 利用效果 of an entry (a later statement replaces an earlier one; the event log keeps both)."""
    effect = _text(effect, "利用效果（--effect）")
    _entry(arc, use_id)
    with arc.change(catalog.actor(), "利用效果") as tx:
        gateway.set_effect(tx.conn, use_id, effect, catalog.now())
        catalog.append_event(tx.conn, "use-result", None, {"use": use_id, "effect": effect})
    return gateway.use(arc.conn, use_id)


def give_back(arc: Archive, use_id: int) -> dict:
    """A lent paper original came back."""
    u = _entry(arc, use_id)
    if u["way"] != "借出":
        raise UseError(f"第 {use_id} 号利用是{u['way']}，不是借出，无需归还")
    who = catalog.actor()
    with arc.change(who, "归还") as tx:
        now = gateway.use(tx.conn, use_id)
        if now["returned_at"]:
            raise UseError(f"第 {use_id} 号借出已于 {display.local_time(now['returned_at'], arc.cfg.tz)} 归还")
        gateway.set_returned(tx.conn, use_id, catalog.now(), who)
        catalog.append_event(tx.conn, "use-return", None, {"use": use_id})
    return gateway.use(arc.conn, use_id)


def entries(arc: Archive, *, since: dt.date | None = None, until: dt.date | None = None, unit: str | None = None,
            overdue: bool = False) -> list[dict]:
    """Register entries, oldest first, registered between the agency's days ``since`` and ``until``; with
    ``overdue`` only the loans not returned past their due date."""
    today = dt.datetime.now(arc.cfg.tz).date()
    rows = gateway.uses(arc.conn, unit=unit, overdue_on=today.isoformat() if overdue else None)
    return [dict(u, overdue=_overdue(u, today)) for u in rows if within(u["registered_at"], since, until, arc.cfg.tz)]


def _overdue(u: dict, today: dt.date) -> bool:
    return u["way"] == "借出" and not u["returned_at"] and bool(u["due"]) and u["due"] < today.isoformat()


def register_row(arc: Archive, u: dict) -> list:
    return [u["id"], display.local_time(u["registered_at"], arc.cfg.tz)[:10], u["person"], u["unit"], u["purpose"],
            u["way"], "、".join(u["codes"]), len(u["documents"]), u["approved_by"] or "", u["due"] or "",
            display.local_time(u["returned_at"], arc.cfg.tz)[:10] if u["returned_at"] else
            ("逾期未还" if u.get("overdue") else ""), u["effect"] or ""]


def register_sheets(arc: Archive, items: list[dict], scope: str) -> list[Sheet]:
    rows = [register_row(arc, u) for u in items]
    return [Sheet("利用登记簿", "档案利用登记簿", f"{arc.cfg.agency_name}　{scope}　共 {len(rows)} 人次",
                  REGISTER_COLUMNS, rows, REGISTER_WIDTHS)]


def export(arc: Archive, items: list[dict], scope: str, path: Path, fmt: str | None = None) -> Path:
    from archive.export import catalogue

    return catalogue.write(register_sheets(arc, items, scope), path, fmt)


# ---- the year's figures (档案工作统计年报: 利用人次, 利用档案件次) ------------------------------------
def stats(arc: Archive, year: int) -> dict:
    """人次 (entries) and 件次 (records used, summed over entries) of a year, by purpose, unit and way."""
    items = entries(arc, since=dt.date(year, 1, 1), until=dt.date(year, 12, 31))

    def by(key: str) -> list[dict]:
        persons, pieces = Counter(), Counter()
        for u in items:
            persons[u[key]] += 1
            pieces[u[key]] += len(u["documents"])
        return [{"name": k, "人次": persons[k], "件次": pieces[k]} for k, _ in persons.most_common()]

    return {"year": year, "人次": len(items), "件次": sum(len(u["documents"]) for u in items),
            "外单位人次": sum(1 for u in items if u["outside"]),
            "by_purpose": by("purpose"), "by_unit": by("unit"), "by_way": by("way")}


def stats_sheets(arc: Archive, s: dict) -> list[Sheet]:
    cols, widths = ("分组", "项目", "人次", "件次"), (12, 40, 10, 10)
    rows: list[list] = [["合计", "全部利用", s["人次"], s["件次"]], ["合计", "其中外单位", s["外单位人次"], ""]]
    for label, key in (("利用目的", "by_purpose"), ("单位", "by_unit"), ("利用方式", "by_way")):
        rows += [[label, g["name"], g["人次"], g["件次"]] for g in s[key]]
    return [Sheet("利用统计", f"{s['year']} 年度档案利用统计", f"{arc.cfg.agency_name}　人次：登记的利用次数；"
                  "件次：每次利用的档案件数之和", cols, rows, widths)]


# ---- requests filed on the web page by a 查阅 user -------------------------------------------------
def file_request(arc: Archive, user_name: str, rows: list, *, person: str, unit: str, purpose: str,
                 way: str) -> dict:
    """A request to use the records ``rows``; it waits for the 档案员 (``decide_request``)."""
    person, unit, purpose = _text(person, "利用者"), _text(unit, "单位"), _text(purpose, "利用目的")
    if way not in WAYS:
        raise UseError(f"利用方式 “{way}” 无效：应为 {'、'.join(WAYS)}")
    if not rows:
        raise UseError("请至少给出一件档案（档号或记录号）")
    bad = [r["archival_code"] or f"记录 {r['id']}" for r in rows if r["status"] != "archived"]
    if bad:
        raise UseError(f"{'、'.join(bad)} 不是已归档的档案，不能申请利用")
    with arc.change(user_name, "利用申请") as tx:
        rid = gateway.add_request(tx.conn, {"user_name": user_name, "person": person, "unit": unit,
                                            "purpose": purpose, "way": way,
                                            "documents": sorted({r["id"] for r in rows}), "filed_at": catalog.now()})
        catalog.append_event(tx.conn, "use-request", None, {"request": rid, "user": user_name, "way": way})
    return gateway.request(arc.conn, rid)


def decide_request(arc: Archive, request_id: int, *, grant: bool, by: str, approved_by: str | None = None,
                   due: dt.date | None = None, note: str | None = None) -> dict:
    """The 档案员 grants (the register entry is made, with the same rules as ``register``) or refuses."""
    req = gateway.request(arc.conn, request_id)
    if req is None:
        raise UseError(f"没有第 {request_id} 号利用申请")
    if req["state"] != "待审":
        raise UseError(f"第 {request_id} 号利用申请已处理（{req['state']}，{req['decided_by']}）")
    note = _text(note, "说明", required=False)
    with arc.change(by, "利用申请审批") as tx:
        use_id = None
        if grant:
            rows = [catalog.get_record(tx.conn, d) for d in req["documents"]]
            use_id = register(arc, [r for r in rows if r is not None], person=req["person"], unit=req["unit"],
                              purpose=req["purpose"], way=req["way"], approved_by=approved_by, due=due,
                              request_id=request_id)["id"]
        if not gateway.decide_request(tx.conn, request_id, state="已准予" if grant else "未准予", at=catalog.now(),
                                      by=by, note=note, use_id=use_id):
            raise UseError(f"第 {request_id} 号利用申请已由他人处理")
        catalog.append_event(tx.conn, "use-decide", None, {"request": request_id, "grant": grant, "use": use_id})
    return gateway.request(arc.conn, request_id)


def requests(arc: Archive, user_name: str | None = None) -> list[dict]:
    return gateway.requests(arc.conn, user_name)
