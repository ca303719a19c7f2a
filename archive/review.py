"""A clerk's review of what the retention table could not decide: pending records, confirm, reclassify.

Every change records who changed what (before and after) and why in the event log. A 档号 is only ever
decided by ``archival_code.allocate``; when a reclassification moves an archived record to another group,
it gets a new 档号 and the old one becomes a gap that the event explains (``vacated_code``), which
``verify`` accepts. Numbers are never reused.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from archive import archival_code, bounds, catalog, schema
from archive.classify import RECEIPT_PENDING, classify, receipt_of
from archive.config import RETENTION_NAMES
from archive.display import changes
from archive.edit import FIELDS as EDIT_FIELDS
from archive.edit import edit as edit_record
from archive.edit import fill_in_hint, missing_fields, missing_required
from archive.errors import AmbiguousRefError, ArchiveError, NotFoundError, ReviewError
from archive.models import DocNumber, GongwenFields
from archive.words import status_name
from archive.session import Archive

CLASS_COLUMNS = schema.CLASSIFICATION  # what a confirm or reclassify may change


@dataclass
class Pending:
    record: sqlite3.Row
    why: str  # the reason the pipeline left it pending

    def to_json(self) -> dict:
        return {**catalog.record(self.record), "reason": self.why}


def pending(conn: sqlite3.Connection, limit: int | None = None) -> list[Pending]:
    """The 待定 records with why (the first ``limit``: the web page shows 500 of however many)."""
    return [Pending(r, r["reason"] or "未说明原因") for r in catalog.pending_records(conn, limit=limit)]


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
    if status == "archived" and row["status"] != "archived":
        _refuse_incomplete(row)
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
    with arc.change(reason=reason) as tx:
        # under the lock: a record decided or changed since ``row`` was read (another clerk, the web page, a
        # second confirm of the same 待定 record) is not decided again on the old reading
        if (why := tx.changed_since(row)) is not None:
            raise ReviewError(why)
        from archive.transfer import refuse_transferred  # 已移交: no reclassification (issue 28)

        refuse_transferred(tx.conn, [row["id"]], ReviewError, "改变分类")
        cur = tx.record(row["id"])
        before = {k: cur[k] for k in CLASS_COLUMNS}
        old = archival_code.parse(cur["archival_code"] or "")
        fonds = cur["fonds"] or cfg.fonds
        same_group = (old is not None and status == "archived"
                      and (old.fonds, old.year, old.retention, old.org) == (fonds, year, retention, org or None))
        # 预归档 (numbering at filing): the 件号 is given when its year is filed (archive/filing.py); a numbered
        # record moved within a filed year takes the next 件号 of its new group
        collect = (status == "archived" and not same_group and not archival_code.numbers_at_ingest(conn, cfg.numbering)
                   and (old is None or not archival_code.year_filed(conn, fonds, year)))
        if collect:
            code = None
        elif status == "archived" and not same_group:
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
        if (cur["filing_state"] == "collected") != collect:
            catalog.update_record(conn, row["id"], {"filing_state": "collected" if collect else None})
        detail = {"before": before, "after": after, "reason": reason}
        if old is not None and str(old) != after["archival_code"]:
            detail["vacated_code"] = str(old)  # explains the gap in the old group
        catalog.append_event(conn, action, row["id"], detail)
        tx.queue_index(row["id"])
    return catalog.record(catalog.get_record(conn, row["id"]))


# ---- the 收文 registration: 阅件 / 办件 (issue 26) -----------------------------------------------------------
def fields_of(row) -> GongwenFields:
    """The 公文 fields a record keeps, as the classifier reads them (a record read again with a new fact)."""
    dn = None
    if row["docno_serial"] is not None:
        dn = DocNumber(row["doc_number_raw"] or row["doc_number"] or "", row["docno_code"] or "", row["docno_year"],
                       row["docno_serial"], row["docno_kind"] or "standard")
    issuer = row["issuer"]
    date = None
    if row["date"]:
        try:
            date = dt.date.fromisoformat(row["date"])
        except ValueError:
            date = None
    return GongwenFields(issuer=issuer, issuers=issuer.split("、") if issuer else [], doc_number=dn,
                         title=row["title"], doc_type=row["doc_type"], recipients=row["recipients"], date=date,
                         cc=row["cc"], receipt_kind=row["receipt_kind"])


def set_receipt(arc: Archive, row, kind: str, *, reason: str | None = None) -> dict:
    """Record the 收文 registration (阅件 / 办件) of a record, in one unit of work with its event. A record 待定 for
    want of it is decided again by the table with it: excluded (a 阅件 the table excludes), archived (with the
    rule's 保管期限 and 机构, a new 档号) or still 待定 with the table's new reason. Any other record keeps its
    classification (a reclassify changes it)."""
    got = receipt_of(kind)
    if got is None:
        raise ReviewError(f"阅办类型 “{kind}” 无效：应为 阅件 或 办件")
    if row["status"] == "destroyed":
        raise ReviewError(f"{_ref(row)} 已销毁，不能更改")
    if row["receipt_kind"] == got:
        raise ReviewError(f"{_ref(row)} 已登记为{got}，没有变化")
    why = reason or f"登记收文阅办类型：{got}"
    conn = arc.conn
    with arc.change(reason=why) as tx:
        if (changed := tx.changed_since(row)) is not None:
            raise ReviewError(changed)
        cur = tx.record(row["id"])
        verdict = None
        if cur["status"] == "pending" and (cur["reason"] or "").startswith(RECEIPT_PENDING):
            f = fields_of(cur)
            f.receipt_kind = got
            verdict = classify(f, catalog.text_of(conn, cur["id"]), cur["pages"] or 0, arc.cfg)
        catalog.update_record(conn, cur["id"], {"receipt_kind": got})
        catalog.append_event(conn, "edit", cur["id"], {"before": {"receipt_kind": cur["receipt_kind"]},
                                                       "after": {"receipt_kind": got}, "reason": why})
        cur = tx.record(cur["id"])
        if verdict is not None:
            catalog.update_record(conn, cur["id"], {"rule_id": verdict.rule_id, "basis": verdict.basis,
                                                    "reason": verdict.reason})
            cur = tx.record(cur["id"])
            try:
                if verdict.status == "excluded":
                    _apply(arc, cur, "excluded", None, None, None, why, "confirm")
                elif verdict.status == "archived":
                    _apply(arc, cur, "archived", verdict.retention, verdict.org, None, why, "confirm")
            except ReviewError as e:  # refused before it wrote (an incomplete record): left 待定, saying why
                catalog.update_record(conn, cur["id"], {"reason": f"已登记为{got}，规则 {verdict.rule_id} 的判定未能执行：{e}"})
                verdict.status = "pending"
            if verdict.status == "pending":
                catalog.append_event(conn, "edit", cur["id"], {"before": {}, "after": {"rule_id": verdict.rule_id},
                                                               "reason": why})
        tx.queue_index(cur["id"])
    return catalog.record(catalog.get_record(conn, row["id"]))


def awaiting_receipt(conn: sqlite3.Connection, rule_id: str | None = None) -> list[sqlite3.Row]:
    """Pending records the 收文 registration would decide (their reason says so): of ``rule_id``, or all."""
    rows = catalog.suggested_records(conn, rule_id) if rule_id else catalog.pending_records(conn)
    return [r for r in rows if (r["reason"] or "").startswith(RECEIPT_PENDING) and r["receipt_kind"] is None]


def set_receipt_many(arc: Archive, items: list[Target], kind: str, *, reason: str | None = None) -> list[Outcome]:
    """``set_receipt`` on each record, each in its own unit of work: one that fails is reported, the rest go on."""
    return _each(arc, items, lambda row: set_receipt(arc, row, kind, reason=reason))


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


def _refuse_incomplete(row) -> None:
    """A record is archived only with the 必备著录项 a person can type (题名, 成文日期, 责任者, 页数): archived
    without them, verify would report it for ever. ``archive edit`` fills them in first."""
    missing = missing_required(row)
    if missing:
        raise ReviewError(f"{_ref(row)} 缺少必备著录项：{'、'.join(missing)}，不能归档：请先补录（{fill_in_hint(row)}），"
                          "再确认归档")


def _ref(row) -> str:
    return row["archival_code"] or f"记录 {row['id']}"


# ---- review at scale: many references, everything a rule suggested ----------------------------------
_RANGE = re.compile(r"([0-9０-９]+)\s*[-–—~～至]\s*([0-9０-９]+)")
MAX_RANGE = 100_000  # ids in one range: a typing slip (1-99999999) must not walk the whole id space


@dataclass
class Target:
    """One record a batch will work on, or the REF that named none (``error``; ``candidates`` when a 发文字号
    names several records)."""

    ref: str
    row: sqlite3.Row | None = None
    error: str | None = None
    candidates: list = field(default_factory=list)
    in_range: bool = False  # named by a range: a record that is not pending is passed over, not a failure


@dataclass
class Outcome:
    ref: str
    id: int | None
    result: str  # archived / excluded / skipped / failed
    record: dict | None = None
    message: str = ""
    candidates: list = field(default_factory=list)

    def to_json(self) -> dict:
        return {"ref": self.ref, "id": self.id, "result": self.result, "message": self.message,
                "record": self.record, "candidates": [catalog.record(r) for r in self.candidates]}


def is_range(ref: str) -> bool:
    """Whether a REF is a range of record ids (12-40, １２至４０)."""
    return _RANGE.fullmatch(unicodedata.normalize("NFKC", ref).strip()) is not None


def targets(arc: Archive, refs: list[str]) -> list[Target]:
    """The records that REFs name: record ids, ranges of ids (12-40), 档号, 发文字号 in any spelling. Each
    record once, in the order named. A REF that names nothing is a Target with its error, so the others
    still go ahead."""
    from archive.bounds import as_record_id

    out: list[Target] = []
    seen: set[int] = set()

    def add(t: Target) -> None:
        if t.row is not None:
            if t.row["id"] in seen:
                return
            seen.add(t.row["id"])
        out.append(t)

    for ref in refs:
        text = unicodedata.normalize("NFKC", ref).strip()
        m = _RANGE.fullmatch(text)
        if m and as_record_id(m.group(1)) and as_record_id(m.group(2)):
            low, high = int(m.group(1)), int(m.group(2))
            if low > high or high - low >= MAX_RANGE:
                add(Target(ref, error=f"范围 {ref} 无效：应为 小记录号-大记录号，一次不超过 {MAX_RANGE} 个"))
                continue
            rows = catalog.records_between(arc.conn, low, high)
            if not rows:
                add(Target(ref, error=f"范围 {ref} 内没有记录"))
            for r in rows:
                add(Target(ref, r, in_range=True))
            continue
        try:
            add(Target(ref, arc.resolve(ref)))
        except AmbiguousRefError as e:
            add(Target(ref, error=str(e), candidates=e.rows))
        except NotFoundError as e:
            add(Target(ref, error=str(e)))
    return out


def suggested(conn: sqlite3.Connection, cfg, rule_id: str | None = None) -> list[sqlite3.Row]:
    """Pending records that carry a suggestion (a rule held, but something had to be checked by a person):
    those of ``rule_id``, or every one with a suggested 保管期限 (and 机构, where the agency has 机构)."""
    return catalog.suggested_records(conn, rule_id, with_org=bool(cfg.orgs))


def confirm_many(arc: Archive, items: list[Target], *, retention: str | None = None, org: str | None = None,
                 year: int | None = None, exclude: bool = False, reason: str | None = None,
                 use_suggestion: bool = False) -> list[Outcome]:
    """Confirm (or exclude) each record in its own transaction: one that fails is reported and the rest go
    on. ``use_suggestion``: a record without ``retention``/``org`` given takes the one its rule suggested."""
    def one(row):
        ret = retention or (row["retention"] if use_suggestion and row["status"] == "pending" else None)
        where = org or (row["org"] if use_suggestion and row["status"] == "pending" else None)
        return confirm(arc, row, retention=ret, org=where, year=year, exclude=exclude, reason=reason)

    return _each(arc, items, one)


def _each(arc: Archive, items: list[Target], act: Callable) -> list[Outcome]:
    """``act(row)`` on each record named, each its own unit of work: a REF that named nothing or a record that
    fails is reported and the rest go on; a record a range named that is not 待定 is passed over."""
    results: list[Outcome] = []
    for t in items:
        if t.row is None:
            results.append(Outcome(t.ref, None, "failed", message=t.error or "", candidates=t.candidates))
            continue
        row = catalog.get_record(arc.conn, t.row["id"])
        if t.in_range and row["status"] != "pending":
            results.append(Outcome(t.ref, row["id"], "skipped", catalog.record(row), "不是待定，未改动"))
            continue
        try:
            rec = act(row)
        except ArchiveError as e:
            results.append(Outcome(t.ref, row["id"], "failed", catalog.record(row), str(e)))
            continue
        results.append(Outcome(t.ref, row["id"], rec["status"], rec, changes(catalog.record(row), rec)))
    return results


# ---- the interactive review: one pending record after another ---------------------------------------
KEYS_PROMPT = "操作（回车或 y：归档；e：更正著录项；x：不归档；r：登记为阅件；b：登记为办件；s：跳过；q：退出）："
RECEIPT_KEYS = {"r": "阅件", "b": "办件"}  # one key: the 收文 registration, and the table decides again


@dataclass
class Card:
    """What a clerk sees of one pending record: the reading, why it is pending, what is suggested."""

    position: int
    total: int
    record: dict
    reading: list[tuple[str, str]]
    reasons: list[tuple[str, str]]
    suggestion: tuple[str | None, str | None]  # (保管期限 code, 机构 code)


def card(arc: Archive, row, position: int = 1, total: int = 1) -> Card:
    from archive import retention as ret

    pages = catalog.ocr_pages(arc.conn, row["id"])
    reading = [("题名", row["title"] or "（未识别）"), ("文号", row["doc_number_raw"] or row["doc_number"] or "（无）"),
               ("机关", row["issuer"] or "（未识别）"), ("日期", row["date"] or "（未识别）"),
               ("页数", str(row["pages"]) if row["pages"] is not None else "（未知）"),
               ("文件名", row["filename"] or "")]
    reasons = [("待定原因", row["reason"] or "未说明原因")]
    if row["rule_id"]:
        reasons.append(("规则", f"{row['rule_id']}：{row['basis'] or ''}"))
    if row["ocr_confidence"] is not None:
        reasons.append(("识别", catalog.text_source(row, pages) or ""))
    org_name = arc.cfg.orgs.get(row["org"] or "", "")
    if row["retention"] or row["org"]:
        reasons.append(("建议", "；".join(x for x in (
            f"保管期限 {ret.name(row['retention'])}" if row["retention"] else "",
            f"机构 {row['org']}{'（' + org_name + '）' if org_name else ''}" if row["org"] else "") if x)))
    return Card(position, total, catalog.record(row), reading, reasons, (row["retention"], row["org"]))


@dataclass
class WalkSummary:
    done: list[Outcome] = field(default_factory=list)  # archived, excluded, skipped, in the order met
    left: int = 0  # pending records not reached (q, end of input)

    def count(self, result: str) -> int:
        return sum(1 for o in self.done if o.result == result)

    def to_json(self) -> dict:
        return {"archived": self.count("archived"), "excluded": self.count("excluded"),
                "skipped": self.count("skipped"), "left": self.left, "results": [o.to_json() for o in self.done]}


def walk(arc: Archive, ask: Callable[[str], str | None], show: Callable[[Card], None],
         tell: Callable[[str], None]) -> WalkSummary:
    """Walk the pending records one by one. ``ask(prompt)`` returns the line the person typed, or None when
    they stopped (end of input, Ctrl+C); ``show`` draws a card; ``tell`` says one line. Each decision is
    its own transaction, through ``confirm``."""
    from archive import retention as ret
    from archive.bounds import check_year

    ids = catalog.record_ids(arc.conn, status="pending")
    summary = WalkSummary()
    for i, doc_id in enumerate(ids):
        row = catalog.get_record(arc.conn, doc_id)
        if row is None or row["status"] != "pending":
            continue  # decided meanwhile (another clerk, the web page)
        show(card(arc, row, i + 1, len(ids)))
        while True:
            key = ask(KEYS_PROMPT)
            if key is None or key.strip().lower() in ("q", "退出"):
                summary.left = sum(1 for j in ids[i:] if _still_pending(arc, j))
                return summary
            key = key.strip().lower()
            if key == "s":
                summary.done.append(Outcome(str(doc_id), doc_id, "skipped", catalog.record(row), "跳过"))
                break
            if key == "e":
                row = _correct(arc, row, ask, tell, _field_asked(ask, tell))
                show(card(arc, row, i + 1, len(ids)))
                continue
            if key in ("", "y", "是"):
                for name in missing_fields(row):  # archived only with them: ask, then correct
                    row = _correct(arc, row, ask, tell, name)
                    if row[name] in (None, ""):
                        break
                if missing_fields(row):
                    continue
                retention = row["retention"]
                while retention is None:
                    typed = ask("保管期限（永久 / 30年 / 10年）：")
                    if typed is None:
                        break
                    retention = ret.from_typed(typed.strip())
                    if retention is None:
                        tell(f"保管期限 “{typed.strip()}” 无效：应为 永久、30年 或 10年")
                org = row["org"]
                if retention is not None and not org and arc.cfg.orgs:
                    default = f"，回车用默认 {arc.cfg.default_org}" if arc.cfg.default_org else ""
                    typed = ask(f"机构（{'、'.join(arc.cfg.orgs)}{default}）：")
                    org = (typed or "").strip().upper() or None if typed is not None else None
                    if typed is None:
                        retention = None
                year = row["year"]
                if retention is not None and year is None:
                    typed = ask("年度（成文日期未识别）：")
                    try:
                        year = check_year((typed or "").strip()) if typed is not None else None
                    except ArchiveError as e:
                        tell(str(e))
                        continue
                    if typed is None:
                        retention = None
                if retention is None:
                    continue
                try:
                    rec = confirm(arc, row, retention=retention, org=org, year=year, reason="逐件审核：确认归档")
                except ArchiveError as e:
                    tell(f"未能归档：{e}")
                    continue
                summary.done.append(Outcome(str(doc_id), doc_id, "archived", rec, changes(catalog.record(row), rec)))
                tell(f"已归档：记录 {doc_id} → {rec['archival_code'] or '预归档（年度整理归档时编档号）'}")
                break
            if key in RECEIPT_KEYS:
                try:
                    rec = set_receipt(arc, row, RECEIPT_KEYS[key], reason=f"逐件审核：登记为{RECEIPT_KEYS[key]}")
                except ArchiveError as e:
                    tell(f"未能登记：{e}")
                    continue
                tell(f"已登记为{RECEIPT_KEYS[key]}：记录 {doc_id} {status_name(rec['status'])}"
                     + (f" → {rec['archival_code']}" if rec["archival_code"] else ""))
                if rec["status"] == "pending":
                    row = catalog.get_record(arc.conn, doc_id)
                    show(card(arc, row, i + 1, len(ids)))
                    continue
                summary.done.append(Outcome(str(doc_id), doc_id, rec["status"], rec, changes(catalog.record(row), rec)))
                break
            if key == "x":
                typed = ask("不归档的理由（可不填，回车跳过）：")
                if typed is None:
                    continue
                try:
                    rec = confirm(arc, row, retention=None, org=None, exclude=True,
                                  reason=typed.strip() or "逐件审核：确认不归档")
                except ArchiveError as e:
                    tell(f"未能改为不归档：{e}")
                    continue
                summary.done.append(Outcome(str(doc_id), doc_id, "excluded", rec, "不归档"))
                tell(f"已确认不归档：记录 {doc_id}")
                break
            tell(f"无效的操作 “{key}”：" + KEYS_PROMPT.removeprefix("操作"))
    return summary


def _field_asked(ask, tell) -> str | None:
    """Which field the person wants to correct (its Chinese name), or None."""
    names = {label: key for key, label in EDIT_FIELDS.items()}
    while True:
        typed = ask(f"更正哪一项（{'、'.join(names)}）：")
        if typed is None or not typed.strip():
            return None
        if typed.strip() in names:
            return names[typed.strip()]
        tell(f"没有 “{typed.strip()}” 这一项：应为 {'、'.join(names)}")


def _correct(arc: Archive, row, ask, tell, field: str | None):
    """Ask the new value of ``field`` and correct it through ``archive edit``'s service (event, seal, index);
    returns the record as it now stands."""
    if field is None:
        return row
    typed = ask(f"{EDIT_FIELDS[field]}（当前：{row[field] or '未识别'}）：")
    if typed is None or not typed.strip():
        return row
    try:
        edit_record(arc, row, {field: typed.strip()}, reason="逐件审核：更正著录项")
        tell(f"已更正{EDIT_FIELDS[field]}：{typed.strip()}")
    except ArchiveError as e:
        tell(f"未能更正：{e}")
    return catalog.get_record(arc.conn, row["id"])


def _still_pending(arc: Archive, doc_id: int) -> bool:
    return catalog.status_of(arc.conn, doc_id) == "pending"
