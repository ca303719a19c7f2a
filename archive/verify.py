"""电子档案四性检测 (DA/T 70-2018) over the whole archive (SPEC section 2).

Authenticity: every stored file has the checksum its record says, and every record matches the state the
event log sealed for it (a row edited behind the program's back is found). Integrity: required metadata
present, each record has its file, no unexplained gap in a group's 件号. Usability: each file opens as the
type it claims. Security: the event log's hash chain is intact; the derived index holds exactly the catalog's
records. A finding is a failure (exit 1); a notice (提示) is reported but is not one.
"""

from __future__ import annotations

import json
import zipfile
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from archive import archival_code, catalog
from archive.pipeline import Archive
from archive.store import sha256_file

# DA/T 22 items an archived record must have (档号 and its parts, 题名, 日期, 责任者)
REQUIRED = {"archival_code": "档号", "fonds": "全宗号", "year": "年度", "retention": "保管期限",
            "item_no": "件号", "title": "题名", "date": "日期", "issuer": "责任者"}

CHECKS = {"authenticity": "真实性", "integrity": "完整性", "usability": "可用性", "security": "安全性"}


@dataclass
class Finding:
    check: str  # authenticity / integrity / usability / security
    ref: str  # 档号 or 记录 N or 事件 N
    message: str
    severity: str = "error"  # error (a failure) or notice (提示)


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    counts: dict = field(default_factory=dict)  # what was checked

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def notices(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "notice"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict:
        return {"ok": self.ok, "counts": self.counts, "errors": len(self.errors), "notices": len(self.notices),
                "findings": [asdict(f) for f in self.findings]}


def _ref(row) -> str:
    return row["archival_code"] or f"记录 {row['id']}"


def verify(arc: Archive, *, progress=None) -> Report:
    """Run every check; read-only (nothing in the archive is changed)."""
    rep = Report()
    conn = arc.conn
    rows = conn.execute("SELECT * FROM documents ORDER BY id").fetchall()
    events = conn.execute("SELECT id, action, document_id, detail FROM events ORDER BY id").fetchall()
    details = [(e["id"], e["action"], e["document_id"], _load(e["detail"])) for e in events]
    rep.counts = {"records": len(rows), "events": len(events), "files": 0}

    _check_chain(conn, rep)
    sealed = _last_digests(details)
    extended = {d: det for _, a, d, det in details if a == "extend"}
    for i, row in enumerate(rows):
        _check_record(arc, row, sealed.get(row["id"]), extended.get(row["id"]), rep)
        if progress:
            progress(i + 1)
    _check_stray_files(arc, rows, rep)
    _check_numbering(conn, rows, details, rep)
    _check_index(arc, rows, rep)
    return rep


def _load(detail: str) -> dict:
    try:
        d = json.loads(detail)
        return d if isinstance(d, dict) else {}
    except ValueError:
        return {}


def _check_chain(conn, rep: Report) -> None:
    for msg in catalog.verify_chain(conn):
        rep.findings.append(Finding("security", "事件日志", msg))


def _last_digests(details) -> dict[int, str]:
    """The record state each document's latest record-changing event sealed."""
    out: dict[int, str] = {}
    for _, _, doc_id, det in details:
        if doc_id is not None and "digest" in det:
            out[doc_id] = det["digest"]
    return out


def _check_record(arc: Archive, row, digest: str | None, extend: dict | None, rep: Report) -> None:
    ref = _ref(row)
    add = rep.findings.append
    # authenticity: the row is the one the event log sealed
    if digest is None:
        add(Finding("authenticity", ref, "事件日志中没有本记录的状态摘要（旧版本入库，无法核对著录项）", "notice"))
    elif catalog.record_digest(row) != digest:
        add(Finding("authenticity", ref, "著录项与事件日志记载的不符：目录被绕过本程序修改过"))
    # integrity: required metadata of an archived record, and a 档号 that agrees with its parts
    if row["status"] in ("archived", "destroyed"):
        missing = [label for col, label in REQUIRED.items() if row[col] in (None, "")]
        if missing:
            add(Finding("integrity", ref, f"缺少必备著录项：{'、'.join(missing)}"))
        code = archival_code.parse(row["archival_code"] or "")
        if row["archival_code"] and code is None:
            add(Finding("integrity", ref, "档号不符合 DA/T 22 格式"))
        elif code is not None:
            parts = {"全宗号": (code.fonds, row["fonds"]), "年度": (code.year, row["year"]),
                     "机构": (code.org, row["org"] or None), "件号": (code.item_no, row["item_no"])}
            if code.retention != row["retention"]:
                # DA/T practice: an appraisal that extends retention keeps the 档号 (explained by its event)
                if not (extend and extend.get("retention_after") == row["retention"]):
                    parts["保管期限"] = (code.retention, row["retention"])
            bad = [k for k, (a, b) in parts.items() if a != b]
            if bad:
                add(Finding("integrity", ref, f"档号与著录项不一致：{'、'.join(bad)}"))
    # the file: present, checksum, readable
    if row["status"] == "destroyed":
        if row["stored_path"] and arc.store.abspath(row["stored_path"]).exists():
            add(Finding("integrity", ref, "已销毁的记录仍有存储文件"))
        return
    if not row["stored_path"]:
        if row["origin"] == "import" and not row["sha256"]:
            add(Finding("integrity", ref, "提示：无电子文件（按目录导入，尚未挂接）", "notice"))
        else:
            add(Finding("integrity", ref, "记录没有存储文件"))
        return
    path = arc.store.abspath(row["stored_path"])
    if not path.is_file():
        add(Finding("integrity", ref, f"存储文件缺失：{row['stored_path']}"))
        return
    rep.counts["files"] += 1
    try:
        actual = sha256_file(path)
    except OSError as e:
        add(Finding("usability", ref, f"存储文件无法读取：{e.strerror}"))
        return
    if actual != row["sha256"]:
        add(Finding("authenticity", ref, f"存储文件的校验值与目录不符（文件被篡改或损坏）：{row['stored_path']}"))
        return
    if row["stored_path"] != arc.store.relpath(row["sha256"], row["media_type"] or ""):
        add(Finding("authenticity", ref, f"存储位置与校验值不符：{row['stored_path']}"))
    problem = _unreadable(path, row["media_type"])
    if problem:
        add(Finding("usability", ref, f"文件无法打开：{problem}"))


def _unreadable(path, media_type: str | None) -> str | None:
    """Why the file does not open as its type (cheap structural checks, no OCR); None when it does."""
    try:
        if media_type == "pdf":
            from pypdf import PdfReader

            reader = PdfReader(str(path))
            if reader.is_encrypted:
                return None  # kept as received; readable with its password
            if len(reader.pages) < 1:
                return "PDF 没有页面"
        elif media_type in ("docx", "ofd"):
            with zipfile.ZipFile(path) as z:
                bad = z.testzip()
                if bad:
                    return f"压缩包成员 {bad} 损坏"
    except Exception as e:  # any parser error means the file does not open
        return f"{type(e).__name__}: {e}"
    return None


def _check_stray_files(arc: Archive, rows, rep: Report) -> None:
    referenced = catalog.referenced_files(arc.conn)
    for rel in sorted(arc.store.stored_files() - set(referenced)):
        rep.findings.append(Finding("integrity", rel, "存储区中有目录未登记的文件"))
    # a record's further files and a scan's searchable PDF: present and unchanged
    own = {r["stored_path"] for r in rows if r["stored_path"]}
    for rel, sha in sorted(referenced.items()):
        if rel in own:
            continue  # checked with its record
        path = arc.store.abspath(rel)
        if not path.is_file():
            rep.findings.append(Finding("integrity", rel, "附属存储文件缺失（多文件记录的其他文件或可检索 PDF）"))
        elif sha256_file(path) != sha:
            rep.findings.append(Finding("authenticity", rel, "附属存储文件的校验值不符（文件被篡改或损坏）"))


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
            for r in conn.execute("SELECT * FROM sequences")}
    for key in set(taken) | set(tops):
        nums = taken.get(key, set())
        top = max(max(nums, default=0), tops.get(key, 0))
        for n in range(1, top + 1):
            if n in nums:
                continue
            code = str(archival_code.ArchivalCode(key[0], key[1], key[2], key[3] or None, n))
            if code not in explained:
                rep.findings.append(Finding("integrity", code, "件号缺失，且没有事件说明原因"))


def _check_index(arc: Archive, rows, rep: Report) -> None:
    catalog_ids = {str(r["id"]) for r in rows}
    try:
        if not arc.index.exists():
            indexed: set[str] = set()
            if catalog_ids:
                rep.findings.append(Finding("security", "全文索引", "全文索引不存在（可运行 archive reindex 重建）"))
                return
        else:
            indexed = {str(i) for i in arc.index.indexed_ids()}  # either engine (archive/index/)
    except Exception as e:
        rep.findings.append(Finding("security", "全文索引", f"全文索引无法打开：{e}（可运行 archive reindex 重建）"))
        return
    for i in sorted(catalog_ids - indexed, key=int):
        rep.findings.append(Finding("security", f"记录 {i}", "记录不在全文索引中（可运行 archive reindex）"))
    for i in sorted(indexed - catalog_ids, key=lambda x: (len(x), x)):
        rep.findings.append(Finding("security", f"索引 {i}", "全文索引中有目录没有的记录（可运行 archive reindex）"))


def explain_gap(arc: Archive, code_text: str, reason: str) -> str:
    """Record why a 件号 is unused (e.g. a gap in an older system's catalogue), so verify accepts it."""
    from archive.errors import UsageError

    code = archival_code.parse(code_text)
    if code is None:
        raise UsageError(f"档号 “{code_text}” 不符合 DA/T 22")
    if not reason.strip():
        raise UsageError("须说明空号原因（--reason）")
    conn = arc.conn
    with arc.write_lock():
        with catalog.transaction(conn):
            if conn.execute("SELECT 1 FROM documents WHERE archival_code=?", (str(code),)).fetchone():
                raise UsageError(f"{code} 有记录，不是空号")
            top = conn.execute("SELECT last_item FROM sequences WHERE fonds=? AND year=? AND retention=? AND org=?",
                               (code.fonds, code.year, code.retention, code.org or "")).fetchone()
            if top is None or code.item_no > top[0]:
                raise UsageError(f"{code} 尚未分配（该组最大件号 {top[0] if top else 0}），不是空号")
            catalog.append_event(conn, "gap", None, {"vacated_code": str(code), "reason": reason})
    return str(code)
