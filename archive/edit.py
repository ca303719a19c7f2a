"""A person's correction of a record's 著录项 (``archive edit``, and the correction form of the web record page).

What the reader got wrong, a clerk puts right: 题名, 发文字号, 责任者 (发文机关), 成文日期, 页数, 文种. Not 密级:
a record is never made 涉密-free by a correction (a 涉密 document is not stored at all, docs/domain.md), and
not the classification (保管期限, 机构, 年度, status: ``archive reclassify``, which gives a new 档号).

One correction is one transaction and one event ``edit``: the changed columns before and after, the reason
and who (the event log's actor), sealing the record's new state, so ``verify`` stays clean. The 发文字号 is read
by ``docno`` as ingest reads it (canonical form, parts, search keys); the full text follows in the same
transaction (the FTS5 triggers on title and issuer) or, with Whoosh, is queued and flushed after the commit.

A 档号 is never changed by a correction: an archived record whose corrected 成文日期 falls in another year is
refused with a pointer to ``reclassify`` (which moves it to that year's group and explains the vacated
number); a pending or excluded record, which has no 档号, takes the year of its corrected date as ingest would.

The corrected fields are written down on the record (``documents.corrected``, migration 12, sealed); every
automatic step that would rewrite a field asks ``catalog.corrected_fields`` first and leaves them alone.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from archive import bounds, catalog, docno, schema
from archive.errors import EditError
from archive.session import Archive

# what a correction may change: field -> its Chinese label (the option names of ``archive edit``)
FIELDS = {"title": "题名", "doc_number": "发文字号", "issuer": "责任者", "date": "成文日期", "pages": "页数",
          "doc_type": "文种"}
OPTIONS = {"title": "--title", "doc_number": "--doc-number", "issuer": "--issuer", "date": "--date",
           "pages": "--pages", "doc_type": "--doc-type"}
# fields an archived record must have (verify's 必备著录项 that a person types): never emptied by a correction
REQUIRED = ("title", "issuer", "date", "pages")
# the columns each field writes (the 发文字号's canonical form and parts are derived from what was typed)
COLUMNS = {"title": ("title",), "issuer": ("issuer",), "date": ("date",), "pages": ("pages",),
           "doc_type": ("doc_type",),
           "doc_number": ("doc_number", "doc_number_raw", "docno_code", "docno_year", "docno_serial", "docno_kind")}
# columns shown in the event (before / after); the 发文字号's parts are derived and not repeated there
LOGGED = ("title", "doc_number_raw", "doc_number", "issuer", "date", "pages", "doc_type", "year")
LABELS = {"title": "题名", "doc_number_raw": "文号", "doc_number": "发文字号", "issuer": "责任者", "date": "成文日期",
          "pages": "页数", "doc_type": "文种", "year": "年度"}
# longest accepted text per field (verify's 元数据类型与长度 for those it checks)
MAX_LENGTH = {"title": 500, "issuer": 200, "doc_number": 100, "doc_type": 20}


@dataclass
class EditResult:
    record: dict  # the record after the correction (catalog.record)
    before: dict  # changed columns, old values
    after: dict  # changed columns, new values
    fields: list[str]  # the fields corrected by this edit
    warnings: list[str] = field(default_factory=list)  # e.g. a date after today

    def to_json(self) -> dict:
        return {**self.record, "changed": {k: {"before": self.before[k], "after": self.after[k]} for k in self.after},
                "corrected": self.fields, "warnings": self.warnings}


def edit(arc: Archive, row, changes: dict, *, reason: str | None) -> EditResult:
    """Correct the fields named in ``changes`` (field -> the value as typed; "" clears a 发文字号 or 文种) of
    the record ``row``. Values equal to the record's are not changes; nothing changed is an error."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValueError(f"not a correctable field: {', '.join(sorted(unknown))}")
    reason = bounds.clean_text(reason or "").strip()
    if not reason:
        raise EditError("更正著录项必须说明原因（--reason），原因记入事件日志")
    if not changes:
        raise EditError("没有给出要更正的著录项：请用 " + "、".join(f"{OPTIONS[k]}（{v}）" for k, v in FIELDS.items()))
    conn = arc.conn
    warnings: list[str] = []
    with arc.change(reason=reason) as tx:
        cur = tx.record(row["id"])
        if cur is None:
            raise EditError(f"记录 {row['id']} 不存在")
        if (why := tx.changed_since(row)) is not None:  # corrected on what the person saw, or not at all
            raise EditError(why)
        ref = _ref(cur)
        _transfer_guard(tx.conn, [cur["id"]], EditError, "更正著录项")  # 已移交: the 档案馆 holds it now
        if cur["status"] == "destroyed":
            raise EditError(f"{ref} 已销毁，其目录著录不再更正（销毁清册中的著录保持原样）")
        values: dict = {}
        dn = None
        for name, typed in changes.items():
            new = _read(name, typed, cur, warnings)
            if new is _SAME:
                continue
            if name == "doc_number":
                dn = new
            values.update(_columns(name, new))
        values = {k: v for k, v in values.items() if cur[k] != v}
        fields = [f for f in FIELDS if any(c in values for c in COLUMNS[f])]
        if not fields:
            raise EditError(f"{ref} 没有变化：给出的著录项与记录相同")
        year = _year(cur, values, dn)
        if year != cur["year"]:
            values["year"] = year
        corrected = sorted(catalog.corrected_of(cur) | set(fields), key=list(FIELDS).index)
        before = {k: cur[k] for k in LOGGED if k in values}
        after = {k: values[k] for k in LOGGED if k in values}
        catalog.update_record(conn, cur["id"], {**values, "corrected": json.dumps(corrected, ensure_ascii=False),
                                                "indexed": 0})
        if "doc_number" in fields:
            catalog.set_doc_number_keys(conn, cur["id"], dn)
        catalog.append_event(conn, "edit", cur["id"], {"before": before, "after": after, "fields": fields,
                                                        "reason": reason})
        tx.queue_index(row["id"])
    rec = catalog.record(catalog.get_record(conn, row["id"]))
    return EditResult(rec, before, after, fields, warnings)


_SAME = object()  # a value that leaves the field as it is


def _transfer_guard(conn, ids, error, what) -> None:
    from archive.transfer import refuse_transferred  # a service above this one, for this one call

    refuse_transferred(conn, ids, error, what)


def _read(name: str, typed, cur, warnings: list[str]):
    """The new value of one field from what was typed: a str, int, date or DocNumber; None clears it; _SAME
    leaves it (an empty value where the record has none)."""
    label = f"{OPTIONS[name]} {FIELDS[name]}"
    text = bounds.clean_text(str(typed) if typed is not None else "").strip()
    if not text:
        current = cur["doc_number_raw"] if name == "doc_number" else cur[name]
        if current in (None, ""):
            return _SAME
        if name in REQUIRED:
            raise EditError(f"{_ref(cur)} 的{FIELDS[name]}是必备著录项，不能清空：请给出更正后的{FIELDS[name]}")
        return None
    if text == str(cur["doc_number_raw"] if name == "doc_number" else cur[name]):
        return _SAME  # as the record has it (a form sends every field)
    if name in MAX_LENGTH and len(text) > MAX_LENGTH[name]:
        raise bounds.BoundsError(f"{label} 过长（{len(text)} 个字符，上限 {MAX_LENGTH[name]}）")
    if name == "pages":
        return bounds.check_int(text, label, 1, bounds.MAX_PAGES)
    if name == "date":
        day = bounds.parse_date(text, label)
        bounds.check_year(day.year, f"{label}的年份")
        if (later := bounds.future_warning(date=day)):
            warnings.append(later)
        return day
    if name == "doc_number":
        dn = docno.parse(text)
        if dn is None:
            raise bounds.BoundsError(f"{label} “{text}” 不是可识别的发文字号：应如 县政办发〔2019〕12号、国务院令第707号"
                                     "（清除文号请给空值 \"\"）")
        return dn
    return text


def _columns(name: str, new) -> dict:
    if name == "doc_number":
        return schema.doc_number_columns(new)
    if name == "date":
        return {"date": new.isoformat() if new else None}
    return {name: new}


def _year(cur, values: dict, dn) -> int | None:
    """The record's 年度 after the correction. A record with a 档号 keeps its year (the 档号 holds it): a
    corrected date in another year is refused, pointing to ``reclassify``. A record without one takes the
    year ingest would give it: its date's, else its 发文字号's."""
    date = values.get("date", cur["date"])
    year = dt.date.fromisoformat(date).year if date else None
    if "date" not in values and "doc_number" not in values:
        return cur["year"]
    if cur["archival_code"]:
        if "date" in values and year is not None and year != cur["year"]:
            raise EditError(
                f"{_ref(cur)} 已归档在 {cur['year']} 年度，更正后的成文日期 {date} 属 {year} 年：档号不随更正改变。"
                f"请先用 archive reclassify {cur['id']} --year {year} --reason … 改入 {year} 年度（取得新档号），"
                "再更正日期")
        return cur["year"]
    if year is not None:
        return year
    if "doc_number" in values and dn is not None and dn.year:
        return dn.year
    return cur["year"]


def describe(detail: dict) -> str:
    """An ``edit`` event in Chinese: 题名 “旧” → “新”；页数 3 → 4."""
    before, after = detail.get("before") or {}, detail.get("after") or {}
    parts = []
    for k in LOGGED:
        if k in after:
            if k == "doc_number" and "doc_number_raw" in after:
                continue  # the canonical form of the number just shown as typed
            parts.append(f"{LABELS[k]} {_shown(before.get(k))} → {_shown(after[k])}")
    return "；".join(parts)


def _shown(v) -> str:
    return "（空）" if v in (None, "") else (f"“{v}”" if isinstance(v, str) else str(v))


def missing_fields(row) -> list[str]:
    """The 必备著录项 a person types that a record lacks (title, date, issuer, pages, in that order): what
    ``confirm`` refuses to archive without, and what verify would report as 缺少必备著录项 for ever after."""
    return [k for k in ("title", "date", "issuer", "pages") if row[k] in (None, "")]


def missing_required(row) -> list[str]:
    """``missing_fields`` by their Chinese labels (题名, 成文日期, 责任者, 页数)."""
    return [FIELDS[k] for k in missing_fields(row)]


def fill_in_hint(row) -> str:
    """The ``archive edit`` line that fills in what ``missing_required`` names."""
    opts = " ".join(f"{OPTIONS[k]} …" for k in missing_fields(row))
    return f"archive edit {row['id']} {opts} --reason …"


def _ref(row) -> str:
    return row["archival_code"] or f"记录 {row['id']}"

