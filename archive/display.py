"""How times and the event log read to a person: local time, and events in Chinese.

The catalog keeps every time as ISO 8601 with its offset (what ``--json`` prints and what the hash chain
seals). A clerk reads the agency's own clock: ``[agency] timezone`` in config.toml (default Asia/Shanghai),
shown as ``2026-11-30 16:42``. This module is the one table of event names and the one formatter of times
for human output (the command line's tables, ``show`` and its history).
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata

from archive.words import OUTCOME_NAMES

DEFAULT_TIMEZONE = "Asia/Shanghai"
_CHINA = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991


# characters a terminal or a reader acts on instead of showing: C0/C1 controls and DEL (ESC starts a terminal
# command, a newline or CR forges a line), the bidi overrides and isolates (a name shown backwards, a .exe looking like a .pdf),
# the line and paragraph separators
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")


def _escape(ch: str) -> str:
    n = ord(ch)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def acted_on(ch: str) -> bool:
    """Whether a terminal or a reader acts on ``ch`` instead of showing it."""
    return ch in _BIDI or unicodedata.category(ch) == "Cc"


def printable(text, *, keep_newlines: bool = False) -> str:
    """The one way a text from outside (a file name, a title, a reason) is printed, logged or written into
    a reason file: every control character, bidi override and line separator becomes a visible escape
    (ESC as ``\\x1b``, a newline as ``\\x0a``, U+202E as ``\\u202e``). ``keep_newlines``: line feeds and tabs stay (a message
    of several lines written by the program itself)."""
    text = "" if text is None else str(text)
    if text.isprintable() and not (_BIDI & set(text)):
        return text
    out = []
    for ch in text:
        if keep_newlines and ch in "\n\t":
            out.append(ch)
        elif acted_on(ch):
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)


def zone(name: str | None = None) -> dt.tzinfo:
    """The tzinfo of a configured zone name. Raises ValueError (with the name) for an unknown zone. Without a
    time-zone database on the machine, the default zone is still known (a fixed +08:00)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = name or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        if name == DEFAULT_TIMEZONE:
            return _CHINA
        raise ValueError(name) from None


# The agency's zone of the configuration this process loaded last ([agency] timezone; config.load sets it).
# One process serves one archive; a module without the configuration at hand (bounds, audit, catalog) asks here.
_AGENCY: list[dt.tzinfo] = []


def set_agency_zone(name: str | None) -> dt.tzinfo:
    tz = zone(name)
    _AGENCY[:] = [tz]
    return tz


def agency_zone(tz: dt.tzinfo | str | None = None) -> dt.tzinfo:
    """``tz`` when given (a name or a tzinfo), else the loaded configuration's zone, else Asia/Shanghai."""
    if isinstance(tz, str):
        return zone(tz)
    return tz or (_AGENCY[0] if _AGENCY else zone(None))


def now(tz: dt.tzinfo | str | None = None) -> dt.datetime:
    """The time now on the agency's clock (aware, with the agency's offset), whatever the machine's TZ is."""
    return dt.datetime.now(agency_zone(tz))


def today(tz: dt.tzinfo | str | None = None) -> dt.date:
    """Today on the agency's clock: a date a person types or reads is a day in the agency's zone."""
    return now(tz).date()


def typed_time(text: str, tz: dt.tzinfo | str | None = None) -> dt.datetime:
    """A time a person typed (``2026-12-07T15:00``, ``2026-12-07 15:00``): on the agency's clock unless it
    names its own offset. Raises ValueError for anything else."""
    when = dt.datetime.fromisoformat(str(text).strip().replace(" ", "T", 1))
    return when if when.tzinfo is not None else when.replace(tzinfo=agency_zone(tz))


def local_date(value, tz: dt.tzinfo | str | None = None) -> str:
    """The agency's day (YYYY-MM-DD) of a stored ISO time; a plain date or a value without offset as written."""
    text = local_time(value, tz)
    return text[:10]


def stamp(tz: dt.tzinfo | str | None = None) -> str:
    """Now on the agency's clock for a file or folder name: ``20261207-150000``."""
    return now(tz).strftime("%Y%m%d-%H%M%S")


def local_time(value, tz: dt.tzinfo | str | None = None, *, seconds: bool = False) -> str:
    """An ISO time (or datetime) from the catalog as the agency's wall clock: ``2026-11-30 16:42``. A value
    that is not a time (or has no offset, so its zone is unknown) is shown as it is."""
    if value in (None, ""):
        return ""
    tz = agency_zone(tz)
    if isinstance(value, dt.datetime):
        when = value
    else:
        try:
            when = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            return str(value)
    if when.tzinfo is None:
        return when.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


# One table of what each event in the log is called (catalog.append_event's ``action``).
EVENT_NAMES = {
    "ingest": "收集登记",
    "secrecy-hold": "隔离（疑似涉密，待保密员审查）",
    "secrecy-decision": "保密审查决定",
    "import": "导入",
    "recover": "重建目录",
    "attach": "并入文件",
    "detach": "拆出文件",
    "attached-to": "文件并入他件",
    "detached-from": "拆出为新记录",
    "edit": "更正著录项",
    "confirm": "确认",
    "exclude": "不归档",
    "reclassify": "改档",
    "hold": "冻结",
    "release": "解除冻结",
    "extend": "延期",
    "appraise": "鉴定",
    "approve": "批准销毁",
    "table-approve": "保管期限表审核同意",
    "destroy": "销毁",
    "destroy-batch": "批次销毁",
    "appraisal-document": "鉴定文件归档",
    "gap": "说明空号",
    "backup": "备份",
    "restore": "恢复",
    "backup_drill": "恢复演练",
    "upgrade": "升级目录数据库（升级前已备份）",
    "duplicate": "重复文件",
    "reseal": "升级封存（含全文）",
    "failed": "处理失败",
    "refused": "拒收（涉密）",
    "user-add": "建立账号",
    "user-passwd": "修改密码",
    "user-disable": "停用账号",
    "user-enable": "启用账号",
    # issue 28: the use register, 移交 (archive/use.py, archive/transfer.py)
    "use-register": "利用登记",
    "use-result": "利用效果",
    "use-return": "归还",
    "use-request": "利用申请",
    "use-decide": "利用申请审批",
    "transfer-review": "开放审核",
    "transfer-export": "移交导出",
    "transfer": "移交档案馆",
    "filing_mode": "设定编号方式",
    "arrange": "年度整理",
    "arrange_check": "整理检查",
    "arrange_close": "年度归档移交",
    "arrange_reopen": "重新打开年度",
    "file": "归档编号",
    "paper": "登记纸质原件",  # archive/boxes.py (issue 25 item 4)
    "box": "装盒",
    "box_year": "年度装盒",
}



def event_name(action: str, detail: dict | None = None) -> str:
    """The event in Chinese; an ingest or a confirm says what it decided (收集归档, 确认不归档 …)."""
    detail = detail or {}
    if action == "ingest":
        status = detail.get("status")
        return {"archived": "收集归档", "pending": "收集登记（待定）", "excluded": "收集登记（不归档）"}.get(
            status, EVENT_NAMES["ingest"])
    if action == "confirm":
        after = (detail.get("after") or {}).get("status")
        return {"archived": "确认归档", "excluded": "确认不归档"}.get(after, EVENT_NAMES["confirm"])
    return EVENT_NAMES.get(action, action)


def _retention(code) -> str:
    from archive import retention

    return retention.name(code, code or "无") if code else "无"


def changes(before: dict, after: dict) -> str:
    """What a confirm, reclassify or correction changed, in Chinese: ``状态 待定 → 归档；档号 无 → …``."""
    parts = []
    for key, label in (("status", "状态"), ("archival_code", "档号"), ("retention", "保管期限"),
                       ("org", "机构"), ("year", "年度")):
        b, a = before.get(key), after.get(key)
        if b != a and key in after:
            if key == "status":
                b, a = OUTCOME_NAMES.get(b, b), OUTCOME_NAMES.get(a, a)
            elif key == "retention":
                b, a = _retention(b), _retention(a)
            parts.append(f"{label} {b or '无'} → {a or '无'}")
    # any other field a correction changed (题名, 文号 …), by its declared label
    from archive.schema import LABELS

    for key in after:
        if key in _SHOWN or key in _QUIET or before.get(key) == after.get(key):
            continue
        parts.append(f"{LABELS.get(key, key)} {before.get(key) or '无'} → {after.get(key) or '无'}")
    return "；".join(parts)


_SHOWN = ("status", "archival_code", "retention", "org", "year")
_QUIET = ("fonds", "item_no", "updated_at", "digest")  # follow from the 档号, or bookkeeping


def event_detail(action: str, detail: dict | None) -> str:
    """What a person needs from an event's detail, in one line: the 档号 and 保管期限 it changed, the reason,
    the approver, the hold reason, the appraisal."""
    d = detail or {}
    parts: list[str] = []
    before, after = d.get("before") or {}, d.get("after") or {}
    if before or after:
        parts.append(changes(before, after))
    elif action in ("ingest", "import", "recover", "appraisal-document") and d.get("archival_code"):
        parts.append(f"档号 {d['archival_code']}")
    if action == "extend":
        parts.append(f"保管期限 {_retention(d.get('retention_before'))} → {_retention(d.get('retention_after'))}")
    if action in ("ingest",) and d.get("rule_id"):
        parts.append(f"规则 {d['rule_id']}")
    if action == "paper" and d.get("paper"):
        parts.append(f"纸质原件 {d.get('was') or '未登记'} → {d['paper']}")
    if action == "box" and d.get("box_no"):
        parts.append(f"第 {d['box_no']} 盒")
    if action == "secrecy-decision" and d.get("decision"):
        parts.append(f"第 {d.get('held')} 号隔离文件，决定：{d['decision']}")
    if d.get("reason"):
        label = {"hold": "冻结原因", "release": "解除原因"}.get(action, "原因" if action != "ingest" else "待定原因")
        parts.append(f"{label}：{d['reason']}")
    if d.get("approved_by"):
        parts.append(f"批准人：{d['approved_by']}")
    if d.get("approval_doc"):
        parts.append(f"批准文件：{d['approval_doc']}")
    if d.get("appraisal") and action in ("destroy", "extend", "appraisal-document"):
        parts.append(f"第 {d['appraisal']} 号鉴定")
    if action == "destroy":
        if d.get("supervisors"):
            parts.append("监销人：" + "、".join(d["supervisors"]))
        if d.get("method"):
            parts.append(f"方式：{d['method']}")
    if action in ("attach", "detach", "duplicate", "failed") and d.get("filename"):
        parts.append(f"文件：{d['filename']}")
    if d.get("role"):
        parts.append(f"角色：{d['role']}")
    return "；".join(str(p) for p in parts if p)


def history_rows(events: list[dict], tz) -> list[tuple[str, str, str, str]]:
    """(时间, 操作人, 操作, 说明) for each event of a record (catalog.events_for), oldest first."""
    rows = []
    for e in events:
        try:
            detail = json.loads(e.get("detail") or "{}")
        except ValueError:
            detail = {}
        if not isinstance(detail, dict):
            detail = {}
        rows.append((local_time(e["ts"], tz), e["actor"] or "", event_name(e["action"], detail),
                     event_detail(e["action"], detail)))
    return rows


def head_line(head: dict) -> str:
    """The chain head as a clerk copies it to a witness outside the machine (paper, the 档案馆)."""
    if not head or not head.get("hash"):
        return "事件日志链头：（事件日志为空）"
    return (f"事件日志链头：{head['hash']}@{head['count']}（共 {head['count']} 条事件，最后一条记于 "
            f"{local_time(head['ts'])}）。请将链头抄录或随报告保存在本机以外，日后可用 "
            f"archive verify --anchor {head['hash'][:16]}@{head['count']} 核对此前的记录未被改写。")
