"""电子档案四性检测 (DA/T 70-2018) over the whole archive (docs/retention.md).

Every finding names its property (真实性, 完整性, 可用性, 安全性) and its item (检测项), and the report counts
what each item examined. Authenticity: the file has the checksum its record says, the record matches the state
the event log sealed for it, metadata have the right type, length and value range, the 档号 is well formed,
electronic signatures and seals are found and checked where the library can. Integrity: the required items
(页数 among them), each record's file, no unexplained gap in a group's 件号. Usability: each file opens, is not
encrypted, is in a format fit for keeping (PDF, PDF/A, OFD; others are a notice), the search index holds the
catalog's records. Security: the event log's hash chain (the filing process), no 涉密 marking on a stored
record, stored files read-only on a carrier with room. A finding is a failure (exit 1); a notice (提示) is not.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import stat
import zipfile
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

from archive import archival_code, catalog, display, schema
from archive.display import head_line
from archive.session import Archive
from archive.store import sha256_file

# DA/T 22 items an archived record must have: the 归档章's 全宗号, 年度, 保管期限, 件号 and 页数, and 档号,
# 题名, 日期, 责任者 of the 归档文件目录
# 必备著录项, with their labels from the declared columns (schema.COLUMNS)
REQUIRED = {k: schema.LABELS[k] for k in ("archival_code", "fonds", "year", "retention", "item_no", "title", "date",
                                          "issuer", "pages")}

# 过程信息 (DA/T 70: a record's 办理过程 kept with it): filled by ``_check_process`` for records taken in from an
# OA 归档信息包 (archive/oa_package.py); with none in the archive the item is 未检测
PROCESS_ITEM = "过程信息"

CHECKS = {"authenticity": "真实性", "integrity": "完整性", "usability": "可用性", "security": "安全性"}

# 检测项 -> property, in report order
ITEMS = {
    "文件校验值": "authenticity",
    "著录项与事件日志一致": "authenticity",
    "全文与封存一致": "authenticity",
    "存储位置": "authenticity",
    "元数据类型与长度": "authenticity",
    "元数据值域": "authenticity",
    "档号规范": "authenticity",
    "重复文号": "authenticity",
    "重复题名": "authenticity",
    "电子签名与印章": "authenticity",
    "必备著录项": "integrity",
    "电子文件齐全": "integrity",
    "附属文件": "integrity",
    "件号连续": "integrity",
    PROCESS_ITEM: "integrity",
    "存储区未登记文件": "integrity",
    "文件可读": "usability",
    "文件未加密": "usability",
    "长期保存格式": "usability",
    "版式副本": "usability",
    "全文索引": "usability",
    "过程安全（事件日志）": "security",
    "涉密信息": "security",
    "存储载体": "security",
    "病毒": "security",
    "包结构": "authenticity",
    "数量": "integrity",
}
# checked where a package comes in (archive import package, archive/export/package.py), not over the archive
AT_IMPORT = {"包结构": "导入移交包时检测", "数量": "导入移交包时检测"}
# each item's outcome in the report
PASSED, FAILED, NOT_RUN = "通过", "不通过", "未检测"
VIRUS_BATCH = 1000  # stored files per scanner run (each clamscan run loads the signature database once)
KEEPING_FORMATS = {"pdf": "PDF", "ofd": "OFD"}  # fit for long-term keeping (PDF/A is told apart inside PDF)
MAX_LENGTH = {"title": 500, "issuer": 200, "doc_number_raw": 100, "archival_code": 60, "recipients": 500,
              "note": 2000}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ORG = re.compile(r"^([A-Z]{3}|[0-9]{1,3})$")
_FONDS = re.compile(r"^[A-Za-z0-9]{1,12}$")


@dataclass
class Finding:
    check: str  # authenticity / integrity / usability / security
    ref: str  # 档号 or 记录 N or 事件 N
    message: str
    severity: str = "error"  # error (a failure) or notice (提示)
    item: str = ""  # 检测项


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    counts: dict = field(default_factory=dict)  # what was checked
    examined: Counter = field(default_factory=Counter)  # 检测项 -> objects examined
    not_run: dict = field(default_factory=dict)  # 检测项 -> why it was not run (never reported as passed)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def notices(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "notice"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, item: str, ref: str, message: str, severity: str = "error") -> None:
        self.findings.append(Finding(ITEMS[item], ref, message, severity, item))

    def by_item(self) -> list[dict]:
        """Per 检测项: property, objects examined, errors, notices."""
        errs = Counter(f.item for f in self.errors)
        notes = Counter(f.item for f in self.notices)
        return [{"property": CHECKS[p], "item": i, "examined": self.examined[i], "errors": errs[i],
                 "notices": notes[i], **self.outcome(i, errs[i])} for i, p in ITEMS.items()]

    def outcome(self, item: str, errors: int) -> dict:
        """通过 / 不通过 / 未检测 and why (an item that examined nothing did not pass: it was not run)."""
        if errors:
            return {"result": FAILED, "why": ""}
        if item in self.not_run:
            return {"result": NOT_RUN, "why": self.not_run[item]}
        if not self.examined[item]:
            return {"result": NOT_RUN, "why": "无检测对象"}
        return {"result": PASSED, "why": ""}

    def by_property(self) -> list[dict]:
        out = []
        items = self.by_item()
        for name in CHECKS.values():
            rows = [r for r in items if r["property"] == name]
            out.append({"property": name, "items": len(rows), "examined": sum(r["examined"] for r in rows),
                        "errors": sum(r["errors"] for r in rows), "notices": sum(r["notices"] for r in rows)})
        return out

    def ordered(self) -> list[Finding]:
        """The problems first, then the notices (each in the order found): 26 problems are not to be
        buried under 3,000 notices."""
        return self.errors + [f for f in self.findings if f.severity != "error"]

    def notice_kinds(self) -> list[dict]:
        """The notices summarised by kind (property and 检测项), most frequent first, with one example."""
        kinds: dict[tuple[str, str], dict] = {}
        for f in self.notices:
            k = kinds.setdefault((f.check, f.item), {"property": CHECKS[f.check], "item": f.item, "count": 0,
                                                     "example": f"{f.ref}：{f.message}"})
            k["count"] += 1
        return sorted(kinds.values(), key=lambda k: -k["count"])

    def to_json(self) -> dict:
        return {"ok": self.ok, "counts": self.counts, "errors": len(self.errors), "notices": len(self.notices),
                "properties": self.by_property(), "items": self.by_item(), "notice_kinds": self.notice_kinds(),
                "findings": [asdict(f) for f in self.ordered()]}


def _ref(row) -> str:
    return row["archival_code"] or f"记录 {row['id']}"


def verify(arc: Archive, *, progress=None, anchor: str | None = None) -> Report:
    """Run every check; read-only (nothing in the archive is changed). ``anchor``: a chain head recorded
    outside the machine (``hash`` or ``hash@count``, see check_anchor) that the event log must still hold."""
    rep = Report()
    conn = arc.conn
    rows = catalog.all_records(conn)
    events = catalog.event_rows(conn)
    details = [(e["id"], e["action"], e["document_id"], _load(e["detail"])) for e in events]
    rep.counts = {"records": len(rows), "events": len(events), "files": 0, "signed": 0,
                  "head": catalog.chain_head(conn)}

    _check_chain(conn, rep)
    if anchor is not None:
        check_anchor(conn, anchor, rep)
    sealed = _last_digests(details)
    extended = {d: det for _, a, d, det in details if a == "extend"}
    texts = catalog.all_text_digests(conn)
    for i, row in enumerate(rows):
        _check_record(arc, row, sealed.get(row["id"]), extended.get(row["id"]), rep)
        _check_text(row, texts.get(row["id"]), rep)
        if progress:
            progress(i + 1, len(rows) + 1)  # the last step: the checks over the whole archive below
    check_secrecy_gate(arc, rows, rep)
    _check_layout_copies(arc, rows, rep)
    _check_stray_files(arc, rows, rep)
    _check_numbering(conn, rows, details, rep)
    _check_process(conn, rows, details, rep)
    _check_index(arc, rows, rep)
    _check_carrier(arc, rep)
    check_duplicates(rows, rep)
    check_viruses(arc, rows, rep)
    for item, why in AT_IMPORT.items():
        rep.not_run[item] = why
    if progress:
        progress(len(rows) + 1, len(rows) + 1)
    return rep


def _load(detail: str) -> dict:
    try:
        d = json.loads(detail)
        return d if isinstance(d, dict) else {}
    except ValueError:
        return {}


def _check_chain(conn, rep: Report) -> None:
    rep.examined["过程安全（事件日志）"] += catalog.count_events(conn)
    for msg in catalog.verify_chain(conn):
        rep.add("过程安全（事件日志）", "事件日志", msg)


_ANCHOR = re.compile(r"^([0-9a-f]{16,64})(?:@(\d+))?$")


def parse_anchor(text: str) -> tuple[str, int | None]:
    """``hash`` or ``hash@count`` (as printed on a 四性检测报告, a 归档文件目录 or a transfer package's bag-info):
    the hash (at least its first 16 hex digits) and the event count, if given."""
    from archive.errors import UsageError

    m = _ANCHOR.match(text.strip().lower())
    if m is None:
        raise UsageError(f"链头 “{text}” 格式不对：应为 哈希 或 哈希@事件条数（哈希至少 16 位十六进制数字，"
                         "如四性检测报告上所印）")
    return m.group(1), int(m.group(2)) if m.group(2) else None


def check_anchor(conn, anchor: str, rep: Report) -> None:
    """The event log still holds a head recorded outside the machine: the event at that position has that hash
    (without a position: some event has it). Every event up to it is bound by the chain, so any rewrite of
    them (even with every hash recomputed, the catalog and its backups alike) fails here."""
    prefix, count = parse_anchor(anchor)
    item = "过程安全（事件日志）"
    rep.examined[item] += 1
    rep.counts["anchor"] = anchor.strip().lower()
    shown = prefix[:16]
    if count is not None:
        ev = catalog.event_at(conn, count)
        if ev is None:
            total = catalog.count_events(conn)
            rep.add(item, "外部链头", f"事件日志现只有 {total} 条，少于外部记录的链头所在的第 {count} 条（哈希 {shown}…）："
                    "事件日志被删改过，目录与备份可能被一并篡改，请报告并从可信的副本核对")
        elif not ev["hash"].startswith(prefix):
            rep.add(item, "外部链头", f"第 {count} 条事件的哈希 {ev['hash'][:16]}… 与外部记录的链头 {shown}… 不符："
                    "此前的事件被改写过（目录与备份可能被一并篡改，哈希链是重新计算的），请报告并从可信的副本核对")
    elif not catalog.events_with_hash(conn, prefix):
        rep.add(item, "外部链头", f"事件日志中没有外部记录的链头 {shown}…：此前的事件被改写过"
                "（目录与备份可能被一并篡改，哈希链是重新计算的），请报告并从可信的副本核对")


def _check_text(row, actual: str | None, rep: Report) -> None:
    """The record's text is the one its row's sealed checksum names (migration 14)."""
    ref = _ref(row)
    rep.examined["全文与封存一致"] += 1
    sealed = row["text_sha256"] if "text_sha256" in row.keys() else None
    if sealed is None:
        rep.add("全文与封存一致", ref, "本记录的全文没有封存的校验值，无法核对全文", "notice")
    elif actual != sealed:
        rep.add("全文与封存一致", ref, "全文与封存的校验值不符：全文被绕过本程序修改过（检索结果可能含被植入的文字）")


def _last_digests(details) -> dict[int, str]:
    """The record state each document's latest record-changing event sealed."""
    out: dict[int, str] = {}
    for _, _, doc_id, det in details:
        if doc_id is not None and "digest" in det:
            out[doc_id] = det["digest"]
    return out


def _check_record(arc: Archive, row, digest: str | None, extend: dict | None, rep: Report) -> None:
    ref = _ref(row)
    ex = rep.examined
    # authenticity: the row is the one the event log sealed
    ex["著录项与事件日志一致"] += 1
    if digest is None:
        rep.add("著录项与事件日志一致", ref, "事件日志中没有本记录的状态摘要（旧版本入库，无法核对著录项）", "notice")
    elif catalog.record_digest(row) != digest:
        rep.add("著录项与事件日志一致", ref, "著录项与事件日志记载的不符：目录被绕过本程序修改过")
    _check_values(row, ref, rep)
    # integrity: required metadata of an archived record, and a 档号 that agrees with its parts
    if row["status"] in ("archived", "destroyed"):
        ex["必备著录项"] += 1
        old = row["retention_old"] if "retention_old" in row.keys() else None
        # 预归档 (migration 16): no 档号/件号 until its year is filed (archive/filing.py)
        collected = "filing_state" in row.keys() and row["filing_state"] == "collected"
        missing = [label for col, label in REQUIRED.items()
                   if row[col] in (None, "") and not (col == "retention" and old)
                   and not (collected and col in ("archival_code", "item_no"))]
        if missing:
            rep.add("必备著录项", ref, f"缺少必备著录项：{'、'.join(missing)}")
        ex["档号规范"] += 1
        code = archival_code.parse(row["archival_code"] or "")
        if row["archival_code"] and code is None:
            rep.add("档号规范", ref, "档号不符合 DA/T 22 格式")
        elif code is not None:
            parts = {"全宗号": (code.fonds, (row["fonds"] or "").upper()), "年度": (code.year, row["year"]),
                     "机构": (code.org, row["org"] or None), "件号": (code.item_no, row["item_no"])}
            explained = extend and extend.get("retention_after") == row["retention"]
            if archival_code.is_old(code):
                # a pre-2006 period in the 档号: the record keeps it as 长期/短期 (or an appraisal has since
                # given it a period of today's table, explained by its event)
                if archival_code.OLD_CODES[code.retention] != old:
                    parts["保管期限"] = (archival_code.OLD_CODES[code.retention], old)
                elif row["retention"] and not explained:
                    parts["保管期限"] = (code.retention, row["retention"])
            elif code.retention != row["retention"] and not explained:
                # DA/T practice: an appraisal that extends retention keeps the 档号 (explained by its event)
                parts["保管期限"] = (code.retention, row["retention"])
            bad = [k for k, (a, b) in parts.items() if a != b]
            if bad:
                rep.add("档号规范", ref, f"档号与著录项不一致：{'、'.join(bad)}")
    # the file: present, checksum, readable
    ex["电子文件齐全"] += 1
    if row["status"] == "destroyed":
        if row["stored_path"] and arc.store.abspath(row["stored_path"]).exists():
            rep.add("电子文件齐全", ref, "已销毁的记录仍有存储文件")
        return
    if not row["stored_path"]:
        if row["sha256"] and catalog.is_further_file(arc.conn, row["sha256"]):
            return  # its file joined another 件 (archive attach): checked there, as that record's further file
        if row["origin"] == "import" and not row["sha256"]:
            rep.add("电子文件齐全", ref, "提示：无电子文件（按目录导入，尚未挂接）", "notice")
        else:
            rep.add("电子文件齐全", ref, "记录没有存储文件")
        return
    path = arc.store.abspath(row["stored_path"])
    if not path.is_file():
        rep.add("电子文件齐全", ref, f"存储文件缺失：{row['stored_path']}")
        return
    rep.counts["files"] += 1
    ex["文件校验值"] += 1
    try:
        actual = sha256_file(path)
    except OSError as e:
        rep.add("文件可读", ref, f"存储文件无法读取：{e.strerror}")
        return
    if actual != row["sha256"]:
        rep.add("文件校验值", ref, f"存储文件的校验值与目录不符（文件被篡改或损坏）：{row['stored_path']}")
        return
    ex["存储位置"] += 1
    if row["stored_path"] != arc.store.relpath(row["sha256"], row["media_type"] or ""):
        rep.add("存储位置", ref, f"存储位置与校验值不符：{row['stored_path']}")
    _check_file(path, row["media_type"], ref, rep, arc.cfg.trust_roots)


def _check_values(row, ref: str, rep: Report) -> None:
    """元数据 type, length and value range (DA/T 70 元数据准确性); a 涉密 marking (security)."""
    ex = rep.examined
    ex["元数据类型与长度"] += 1
    ex["元数据值域"] += 1
    ex["涉密信息"] += 1
    typed = [label for col, label in (("year", "年度"), ("item_no", "件号"), ("pages", "页数"))
             if row[col] is not None and not isinstance(row[col], int)]
    if typed:
        rep.add("元数据类型与长度", ref, f"{'、'.join(typed)} 不是整数")
    for col, n in MAX_LENGTH.items():
        v = row[col]
        if isinstance(v, str) and len(v) > n:
            rep.add("元数据类型与长度", ref, f"{col} 长度 {len(v)} 超过 {n} 个字符")
        if isinstance(v, str) and _CONTROL.search(v):
            rep.add("元数据类型与长度", ref, f"{col} 含控制字符")
    this_year = display.today().year
    bad = []
    if isinstance(row["year"], int) and not 1900 <= row["year"] <= this_year + 1:
        bad.append(f"年度 {row['year']}")
    if isinstance(row["pages"], int) and not 1 <= row["pages"] <= 100000:
        bad.append(f"页数 {row['pages']}")
    if isinstance(row["item_no"], int) and not 1 <= row["item_no"] <= 999999:
        bad.append(f"件号 {row['item_no']}")
    if row["retention"] not in (None, "Y", "D30", "D10"):
        bad.append(f"保管期限 {row['retention']}")
    if row["fonds"] and not _FONDS.match(str(row["fonds"])):
        bad.append(f"全宗号 {row['fonds']}")
    if row["org"] and not _ORG.match(str(row["org"])):
        bad.append(f"机构(问题) {row['org']}")
    if row["date"]:
        try:
            day = dt.date.fromisoformat(str(row["date"]))
            if not 1900 <= day.year <= this_year + 1:
                if row["status"] == "pending":  # a misread date is why it waits for a clerk (its reason says so)
                    rep.add("元数据值域", ref, f"待定记录的日期 {row['date']} 超出值域，确认时请更正", "notice")
                else:
                    bad.append(f"日期 {row['date']}")
            elif day > display.today():  # accepted at ingest with a warning (a plan for next year filed in December)
                rep.add("元数据值域", ref, f"成文日期 {row['date']} 晚于今天", "notice")
            elif isinstance(row["year"], int) and day.year != row["year"]:
                rep.add("元数据值域", ref, f"年度 {row['year']} 与成文日期 {row['date']} 的年份不同", "notice")
        except ValueError:
            bad.append(f"日期 {row['date']}")
    if bad:
        rep.add("元数据值域", ref, f"超出值域：{'、'.join(bad)}")
    if row["secrecy"] and any(s in str(row["secrecy"]) for s in ("秘密", "机密", "绝密")):
        rep.add("涉密信息", ref, f"密级为“{row['secrecy']}”：涉密文件不得存于非涉密系统，请立即移出并报告")


def _check_file(path, media_type: str | None, ref: str, rep: Report, trust_roots=()) -> None:
    """Opens as its type; not encrypted; a format fit for keeping; signatures and seals found and checked."""
    ex = rep.examined
    ex["文件可读"] += 1
    ex["文件未加密"] += 1
    ex["长期保存格式"] += 1
    problem = _unreadable(path, media_type)
    if problem == "encrypted":
        rep.add("文件未加密", ref, "文件已加密：长期保存的电子档案不得加密（请取得未加密的文本重新归档）")
    elif problem:
        rep.add("文件可读", ref, f"文件无法打开：{problem}")
        return
    if media_type == "pdf":
        if _pdfa_part(path) is not None:
            rep.counts["pdfa"] = rep.counts.get("pdfa", 0) + 1
    elif media_type not in KEEPING_FORMATS:
        rep.add("长期保存格式", ref, f"格式 {media_type or '未知'} 不是长期保存格式（PDF、PDF/A、OFD），宜转换后归档",
                "notice")
    if problem == "encrypted" or media_type not in KEEPING_FORMATS:
        return
    from archive import signatures

    ex["电子签名与印章"] += 1
    try:
        found = signatures.inspect(path, media_type, signatures.roots(trust_roots))
    except Exception as e:  # a damaged signature dictionary is reported, not fatal
        rep.add("电子签名与印章", ref, f"电子签名无法解析：{type(e).__name__}: {e}", "notice")
        return
    if found:
        rep.counts["signed"] += 1
    for sig in found:
        rep.add("电子签名与印章", ref, sig.describe(), "error" if sig.valid is False else "notice")


def _pdfa_part(path) -> str | None:
    """The PDF/A part a PDF declares in its XMP metadata (pdfaid:part), or None."""
    with open(path, "rb") as f:
        data = f.read()
    m = re.search(rb"pdfaid:part(?:>|=\")\s*(\d)", data)
    return m.group(1).decode() if m else None


def _unreadable(path, media_type: str | None) -> str | None:
    """Why the file does not open as its type (cheap structural checks, no OCR): None when it does,
    "encrypted" when it is encrypted."""
    try:
        if media_type == "pdf":
            from pypdf import PdfReader

            reader = PdfReader(str(path))
            if reader.is_encrypted:
                return "encrypted"
            if len(reader.pages) < 1:
                return "PDF 没有页面"
        elif media_type in ("docx", "ofd"):
            with zipfile.ZipFile(path) as z:
                if any(i.flag_bits & 0x1 for i in z.infolist()):
                    return "encrypted"
                bad = z.testzip()
                if bad:
                    return f"压缩包成员 {bad} 损坏"
    except Exception as e:  # any parser error means the file does not open
        from archive.errors import library_reason

        return library_reason(e) or f"{type(e).__name__}: {e}"
    return None


# the kinds the file-level 涉密 gate re-reads in verify (cheap: no OCR of whole scans): text, HTML, DOCX and a
# born-digital PDF (text layer, annotations, the upper band rendered only where it holds drawing or images).
# A scan (read by OCR), an image, an OFD is judged by its stored text (OCR'd and gated once when it came in).
GATE_FILE_KINDS = ("text", "html", "mht", "docx", "pdf")


def check_secrecy_gate(arc: Archive, rows, rep: Report) -> None:
    """安全性 / 涉密信息 (issue 22): the 涉密 gate run again over what is stored, so a mark that got in before the
    gate (or a file changed since) is a finding. Every record's stored text, normalised like the gate
    (archive.extract.marks: spaces, variant characters, stars, labels, periods), its first lines as the head of
    the page; and the file-level gate (secrecy.gate: DOCX headers, text boxes, symbol runs; HTML whole) over the
    files of the cheap kinds (GATE_FILE_KINDS). A mark is a failure; a doubt is a notice for the 保密员."""
    from archive import secrecy
    from archive.extract.marks import find_mark

    texts = catalog.texts_of(arc.conn, [r["id"] for r in rows if r["status"] != "destroyed"])
    for row in rows:
        if row["status"] == "destroyed":
            continue
        ref = _ref(row)
        lines = [ln for ln in (texts.get(row["id"]) or "").splitlines() if ln.strip()]
        hit = find_mark("\n".join(lines[:secrecy.HEAD_LINES]), head=True)
        body = find_mark("\n".join(lines[secrecy.HEAD_LINES:]), head=False)
        if body is not None and body.kind == "mark" and (hit is None or hit.kind != "mark"):
            hit = body
        if hit is not None and hit.kind == "mark":
            rep.add("涉密信息", ref, f"全文中有密级标志“{hit.evidence}”（{hit.level}）：涉密文件不得存于非涉密系统，"
                                 "请立即报告保密员")
            continue
        path = arc.store.abspath(row["stored_path"]) if row["stored_path"] else None
        if path is None or row["media_type"] not in GATE_FILE_KINDS or not path.is_file():
            continue
        if row["media_type"] == "pdf" and row["extract_method"] == "ocr":
            continue  # a scan: its OCR'd text was checked above
        verdict = secrecy.gate(path, None, None, arc.cfg.ocr)
        if verdict.kind == "mark":
            rep.add("涉密信息", ref, (f"存储文件 {row['stored_path']} 标有密级（{verdict.level}，位于{verdict.where}："
                                 f"“{verdict.evidence}”）：涉密文件不得存于非涉密系统，请立即报告保密员"))
        elif verdict.kind == "doubtful":
            rep.add("涉密信息", ref, f"提示：涉密检查存疑（{'；'.join(verdict.reasons[:2])}），请保密员核查", "notice")


def _check_layout_copies(arc: Archive, rows, rep: Report) -> None:
    """可用性: every record kept (or to be decided) has a 版式 copy: a PDF or OFD file, or its rendition
    (archive/rendition.py; ``archive convert --missing`` makes those missing)."""
    from archive import rendition

    for row in rows:
        if row["status"] not in rendition.OPEN_STATUSES or not row["stored_path"]:
            continue
        rep.examined["版式副本"] += 1
        if rendition.needs_rendition(arc.conn, row):
            rep.add("版式副本", _ref(row), f"没有版式文件（{row['media_type']}，无 PDF/OFD 或 PDF/A 版式副本）："
                    "请运行 archive convert --missing 生成", "notice")


def _check_stray_files(arc: Archive, rows, rep: Report) -> None:
    referenced = catalog.referenced_files(arc.conn)
    stored = arc.store.stored_files()
    rep.examined["存储区未登记文件"] += len(stored)
    for rel in sorted(stored - set(referenced)):
        rep.add("存储区未登记文件", rel, "存储区中有目录未登记的文件")
    # a record's further files and a scan's searchable PDF: present and unchanged
    own = {r["stored_path"] for r in rows if r["stored_path"]}
    for rel, sha in sorted(referenced.items()):
        if rel in own:
            continue  # checked with its record
        path = arc.store.abspath(rel)
        rep.examined["附属文件"] += 1
        if not path.is_file():
            rep.add("附属文件", rel, "附属存储文件缺失（多文件记录的其他文件或可检索 PDF）")
        elif sha256_file(path) != sha:
            rep.add("文件校验值", rel, "附属存储文件的校验值不符（文件被篡改或损坏）")


def _check_numbering(conn, rows, details, rep: Report) -> None:
    """件号 1..max of each group (by the 档号's own parts) without a record need an event that explains
    the gap (``vacated_code``: reclassified to another group)."""
    taken: dict[tuple, set[int]] = defaultdict(set)
    for r in rows:
        code = archival_code.parse(r["archival_code"] or "")
        if code:
            taken[(code.fonds, code.year, code.retention, code.org or "")].add(code.item_no)
    explained = {str(det["vacated_code"]) for _, _, _, det in details if det.get("vacated_code")}
    tops = {(r["fonds"], r["year"], r["retention"], r["org"]): r["last_item"]
            for r in catalog.all_sequences(conn)}
    for key in set(taken) | set(tops):
        rep.examined["件号连续"] += 1
        nums = taken.get(key, set())
        top = max(max(nums, default=0), tops.get(key, 0))
        for n in range(1, top + 1):
            if n in nums:
                continue
            code = str(archival_code.ArchivalCode(key[0], key[1], key[2], key[3] or None, n))
            if code not in explained:
                rep.add("件号连续", code, "件号缺失，且没有事件说明原因")


def _check_process(conn, rows, details, rep: Report) -> None:
    """完整性, 过程信息 (DA/T 70): a record taken in from an OA 归档信息包 (archive/oa_package.py) holds the
    办理过程 its package declared, unchanged (the digest in its ingest event); a package that declared none is a
    notice. Records from elsewhere carry no process metadata to check and are not counted."""
    from archive.catalog import process

    declared = {d: det for _, a, d, det in details if a == "ingest" and "oa_package" in det}
    by_id = {r["id"]: r for r in rows}
    for doc_id, det in declared.items():
        row = by_id.get(doc_id)
        if row is None:
            continue
        rep.examined[PROCESS_ITEM] += 1
        steps = process.steps_of(conn, doc_id)
        want = det.get("process_steps") or 0
        if want == 0 and not steps:
            rep.add(PROCESS_ITEM, _ref(row), f"来自 OA 归档信息包 {det['oa_package']}，但包中没有办理过程", "notice")
        elif len(steps) != want:
            rep.add(PROCESS_ITEM, _ref(row), f"办理过程应有 {want} 个环节，目录中有 {len(steps)} 个：过程信息缺失")
        elif process.digest(steps) != det.get("process_sha256"):
            rep.add(PROCESS_ITEM, _ref(row), "办理过程与入库时登记的校验值不符：过程信息被改动")


def _check_index(arc: Archive, rows, rep: Report) -> None:
    catalog_ids = {str(r["id"]) for r in rows}
    rep.examined["全文索引"] += len(catalog_ids)
    try:
        if not arc.index.exists():
            indexed: set[str] = set()
            if catalog_ids:
                rep.add("全文索引", "全文索引", "全文索引不存在（可运行 archive reindex 重建）")
                return
        else:
            indexed = {str(i) for i in arc.index.indexed_ids()}  # either engine (archive/index/)
    except Exception as e:
        rep.add("全文索引", "全文索引", f"全文索引无法打开：{e}（可运行 archive reindex 重建）")
        return
    for i in sorted(catalog_ids - indexed, key=int):
        rep.add("全文索引", f"记录 {i}", "记录不在全文索引中（可运行 archive reindex）")
    for i in sorted(indexed - catalog_ids, key=lambda x: (len(x), x)):
        rep.add("全文索引", f"索引 {i}", "全文索引中有目录没有的记录（可运行 archive reindex）")
    if arc.index.engine == "sqlite":
        reported = (catalog_ids - indexed) | (indexed - catalog_ids)
        for i in (i for i in arc.index.differing_ids() if str(i) not in reported):
            rep.add("全文索引", f"记录 {i}", "全文索引的词与记录的题名、责任者或全文不符（索引被绕过本程序修改过，"
                    "检索会找到记录中没有的词）：请运行 archive reindex 重建")


def _check_carrier(arc: Archive, rep: Report) -> None:
    """存储载体: stored files are read-only (the store writes them so), and the disk has room to keep working."""
    files = arc.store.stored_files()
    rep.examined["存储载体"] += len(files) + 1
    writable = [rel for rel in sorted(files)
                if arc.store.abspath(rel).stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)]
    for rel in writable[:20]:
        rep.add("存储载体", rel, "存储文件可被修改（应为只读）", "notice")
    if len(writable) > 20:
        rep.add("存储载体", "存储区", f"另有 {len(writable) - 20} 个存储文件可被修改（应为只读）", "notice")
    free = shutil.disk_usage(arc.store.root).free
    if free < 1 << 30:
        rep.add("存储载体", "存储区", f"存储区所在磁盘仅剩 {free / 1048576:.0f} MB", "notice")


def duplicate_groups(rows) -> tuple[list[list], list[list]]:
    """Records (not destroyed) sharing a 发文字号 (its canonical spelling), and records without one sharing a
    题名 (spaces taken out, at least MIN_TITLE characters) and 成文日期: each group of two or more, in id order."""
    from archive.export.package import MIN_TITLE, title_key

    by_number: dict[str, list] = defaultdict(list)
    by_title: dict[tuple, list] = defaultdict(list)
    for r in rows:
        if r["status"] == "destroyed":
            continue
        if r["doc_number"]:
            by_number[r["doc_number"]].append(r)
            continue
        title = title_key(r["title"])
        if len(title) >= MIN_TITLE and r["date"]:
            by_title[(title, r["date"])].append(r)
    return ([g for g in by_number.values() if len(g) > 1], [g for g in by_title.values() if len(g) > 1])


def check_duplicates(rows, rep: Report) -> None:
    """重复文号 (a problem where two archived records share the 发文字号 and the 题名: one document filed twice,
    where DA/T 22 makes its renderings one 件; a notice otherwise: a 待定 record, a 稿纸 filed apart) and 重复题名
    (a notice: two documents may share a title and a day) across records. Ingest attaches a second rendering
    to its record or holds it 待定 with a suggestion (archive/grouping.py), so what is found here came in
    another way (an import, a clerk's confirmation, an edit)."""
    live = [r for r in rows if r["status"] != "destroyed"]
    rep.examined["重复文号"] += sum(1 for r in live if r["doc_number"])
    rep.examined["重复题名"] += sum(1 for r in live if not r["doc_number"] and r["title"])
    from archive.export.package import title_key

    numbers, titles = duplicate_groups(rows)
    for g in numbers:
        refs = "、".join(_ref(r) for r in g[:10])
        filed = Counter(title_key(r["title"]) for r in g if r["status"] == "archived")
        if any(n > 1 for n in filed.values()):  # one document filed twice: same 文号, same 题名, both archived
            rep.add("重复文号", _ref(g[0]), f"发文字号 {g[0]['doc_number']} 有 {len(g)} 条记录（{refs}），其中已归档的"
                    "题名也相同：同一文件应为一件，请核对后用 archive attach 合并为一件的不同文件，或更正误记的文号")
        else:  # a 待定 record, or another title (a 稿纸 filed apart, a 令号 reused): a person looks
            rep.add("重复文号", _ref(g[0]), f"发文字号 {g[0]['doc_number']} 有 {len(g)} 条记录（{refs}）：请核对是否为"
                    "同一文件", "notice")
    for g in titles:
        refs = "、".join(_ref(r) for r in g[:10])
        rep.add("重复题名", _ref(g[0]), f"题名“{g[0]['title']}”、成文日期 {g[0]['date']} 相同的无文号记录有 {len(g)} 条"
                f"（{refs}）：请核对是否为同一文件", "notice")


def check_viruses(arc: Archive, rows, rep: Report) -> None:
    """病毒 (安全性): every stored file (records' own and further files) scanned by ClamAV (archive/virus.py).
    A signature found, or a file the scanner could not finish, is a problem; no scanner on this machine: the
    item is not run, and the report says so (it never says the files are clean)."""
    from archive import virus

    sc = virus.scanner(arc.cfg.virus)
    if not sc.available:
        rep.not_run["病毒"] = sc.missing
        rep.add("病毒", "存储区", virus.not_run_line(sc), "notice")
        return
    files = sorted(catalog.referenced_files(arc.conn))
    paths = [arc.store.abspath(rel) for rel in files]
    present = [(rel, p) for rel, p in zip(files, paths) if p.is_file()]  # a missing one is 电子文件齐全's finding
    rep.counts["virus_scanner"] = sc.name
    for i in range(0, len(present), VIRUS_BATCH):
        chunk = present[i:i + VIRUS_BATCH]
        for (rel, _), v in zip(chunk, sc.scan([p for _, p in chunk])):
            rep.examined["病毒"] += 1
            if v.kind == "infected":
                rep.add("病毒", rel, f"检出病毒（{v.signature}）：请立即报告系统管理员，勿打开或下载该文件；"
                        "存储文件不会被删除，请按本单位规定处置")
            elif v.kind == "error":
                rep.add("病毒", rel, f"病毒扫描未能完成（{v.signature}），按未通过处理：请检查扫描程序后重新检测")


def not_run_line(rep: Report) -> str:
    """One line naming the items not run and why (a clerk must not read them as passed)."""
    rows = [r for r in rep.by_item() if r["result"] == NOT_RUN and r["why"] != "无检测对象"]
    return ("未检测的检测项：" + "；".join(f"{r['item']}（{r['why']}）" for r in rows)) if rows else ""


def virus_line(rep: Report) -> str:
    """What the report says about the virus check: run and by what, or not run and why."""
    if "病毒" in rep.not_run:
        return f"病毒检测未进行：{rep.not_run['病毒']}（请用本单位的杀毒软件检查存储区）。"
    n = rep.examined["病毒"]
    bad = sum(1 for f in rep.errors if f.item == "病毒")
    return (f"病毒检测：用 {rep.counts.get('virus_scanner', 'ClamAV')} 扫描了 {n} 个存储文件，"
            + ("未检出病毒。" if not bad else f"{bad} 个检出病毒或未能扫描。"))


def report_sheets(rep: Report, cfg) -> list:
    """四性检测报告: counts per property and per item, then every finding."""
    from archive.export.catalogue import Sheet

    stamp = display.local_time(display.now(cfg.tz), cfg.tz)  # the agency's clock, whatever the machine's TZ
    c = rep.counts
    intro = [f"依据 DA/T 70-2018《文书类电子档案检测一般要求》，对{cfg.agency_name}（全宗号 {cfg.fonds}）档案库的"
             f" {c.get('records', 0)} 条记录、{c.get('files', 0)} 个电子文件、{c.get('events', 0)} 条事件记录进行了"
             f"真实性、完整性、可用性、安全性检测，检测时间 {stamp}。",
             "结论：" + ("全部通过" if rep.ok else f"发现 {len(rep.errors)} 个问题，须处理") +
             (f"；另有 {len(rep.notices)} 条提示" if rep.notices else "") + "。"
             + (f"含电子签名或印章的文件 {c.get('signed', 0)} 个。" if c.get("signed") else "")
             + virus_line(rep),
             head_line(c.get("head"))]
    if c.get("anchor"):
        intro.append(f"已按外部记录的链头 {c['anchor']} 核对事件日志。")
    summary = [[p["property"], "（合计）", p["examined"], p["errors"], p["notices"], "", ""] for p in rep.by_property()]
    summary += [[r["property"], r["item"], r["examined"], r["errors"], r["notices"], r["result"], r["why"]]
                for r in rep.by_item()]
    findings = [[k, CHECKS[f.check], f.item, f.ref, f.message, "提示" if f.severity == "notice" else "问题"]
                for k, f in enumerate(rep.ordered(), 1)]
    sheets = [Sheet(name="检测汇总", title="电子档案四性检测报告", subtitle=f"全宗号：{cfg.fonds}　　检测时间：{stamp}",
                    columns=("性质", "检测项", "检测对象数", "问题", "提示", "结果", "说明"), rows=summary,
                    widths=(24, 44, 24, 18, 18, 20, 70),
                    intro=intro, footer="检测人（签字）：________________　　审核人（签字）：________________")]
    sheets.append(Sheet(name="问题与提示", title="电子档案四性检测明细", subtitle=f"共 {len(findings)} 条",
                        columns=("序号", "性质", "检测项", "对象", "说明", "类别"),
                        rows=findings or [["", "", "", "", "无", ""]], widths=(12, 20, 40, 55, 120, 18)))
    return sheets


def explain_gap(arc: Archive, code_text: str, reason: str) -> str:
    """Record why a 件号 is unused (e.g. a gap in an older system's catalogue), so verify accepts it."""
    from archive.errors import UsageError

    code = archival_code.parse(code_text)
    if code is None:
        raise UsageError(f"档号 “{code_text}” 不符合 DA/T 22")
    if not reason.strip():
        raise UsageError("须说明空号原因（--reason）")
    with arc.change(reason=reason) as tx:
        conn = tx.conn
        if archival_code.same_code(conn, str(code)) is not None:
            raise UsageError(f"{code} 有记录，不是空号")
        top = catalog.last_item(conn, code.fonds, code.year, code.retention, code.org)
        highest = max([top or 0] + [  # an old group (长期/短期) has no sequence: its highest 件号
            c.item_no for t in catalog.codes_of_year(conn, code.fonds, code.year)
            if (c := archival_code.parse(t or "")) and (c.retention, c.org) == (code.retention, code.org)])
        if code.item_no > highest:
            raise UsageError(f"{code} 尚未分配（该组最大件号 {highest}），不是空号")
        catalog.append_event(conn, "gap", None, {"vacated_code": str(code), "reason": reason})
    return str(code)
