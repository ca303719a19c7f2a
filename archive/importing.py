"""Records whose 档号 was assigned elsewhere: an older system's catalogue, or a transfer package.

Ingest decides a document's 档号 (archival_code.allocate); an import keeps the one people gave it, exactly,
with its 件号, and raises the 件号 sequence past it so numbers allocated later never collide. A record may come
without a file (catalogued on paper; its scan is attached later with ``attach_file``).

Both ``archive import catalog`` and ``archive import package`` go through ``import_record``.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from archive import archival_code, catalog, docno, schema, zhnum
from archive.errors import ArchiveError, ExtractionError
from archive.faults import fault
from archive.session import Archive
from archive.retention import CODES as RETENTION_CODES
from archive.retention import OLD_NAMES as OLD_RETENTION_NAMES
from archive.store import sha256_file



class ImportRecordError(ArchiveError):
    """One imported record is invalid or conflicts with the catalog (the message says which and why)."""


class SecretRecordError(ImportRecordError):
    """A record or file marked 秘密/机密/绝密: refused like ingest refuses it, never stored or indexed."""


class SecretHeldError(SecretRecordError):
    """A file the 涉密 gate cannot clear (a doubtful mark; an encrypted, damaged or unsupported file): held in the
    保密员's quarantine (secrecy_queue.hold), never stored or indexed."""


# catalog columns an import may set (schema.COLUMNS); everything else is the program's own bookkeeping
META_COLUMNS = schema.IMPORTABLE
STATUSES = ("archived", "pending", "excluded", "destroyed")


@dataclass
class ImportedFile:
    """A file to attach: its text is extracted unless given (a package may carry it)."""

    path: Path
    text: str | None = None
    warnings: list[str] = field(default_factory=list)
    name: str | None = None  # the name it first arrived with, when the path's name is not it (a package)
    written: bool = False  # the program wrote it itself (a 鉴定 document): only its text's 密级 is checked


def _check(meta: dict) -> dict:
    """Validate and complete the metadata; the parts of a 档号 must agree with the given columns."""
    m = {k: meta.get(k) for k in META_COLUMNS if meta.get(k) not in (None, "")}
    bad = sorted(set(meta) - set(META_COLUMNS) - {"doc_number"})
    if bad:
        raise ImportRecordError(f"未知的字段：{'、'.join(bad)}")
    code_text = m.get("archival_code")
    if code_text:
        code = archival_code.parse(str(code_text))
        if code is None:
            raise ImportRecordError(f"档号 “{code_text}” 不符合 DA/T 22（全宗号-WS·年度-保管期限-[机构-]件号）")
        parts = {"fonds": code.fonds, "year": code.year, "retention": code.retention, "org": code.org,
                 "item_no": code.item_no}
        for k, v in parts.items():
            given = m.get(k)
            if given not in (None, "") and str(given).upper() != str(v).upper() and not (
                    k in ("year", "item_no") and str(given).isdigit() and int(given) == v):
                raise ImportRecordError(f"档号 {code} 与字段 {k}={given} 不一致")
            m[k] = v
        if archival_code.is_old(code):
            # a pre-2006 长期/短期 is kept as it was, never converted (docs/retention.md); no period of today's
            # table until an appraisal gives one
            old = archival_code.OLD_CODES[code.retention]
            if m.get("retention_old") not in (None, old):
                raise ImportRecordError(f"档号 {code_text} 与原保管期限 {m['retention_old']} 不一致")
            m["retention_old"], m["retention"] = old, None
        # the 档号 stays exactly as the catalogue wrote it; its parts (above) serve search and checks
        m["archival_code"] = str(code_text).strip()
        m.setdefault("status", "archived")
    m.setdefault("status", "pending")
    if m["status"] not in STATUSES:
        raise ImportRecordError(f"状态 “{m['status']}” 无效（应为 {'/'.join(STATUSES)}）")
    if m["status"] == "archived" and not code_text:
        raise ImportRecordError("已归档的记录必须有档号")
    if m.get("retention") not in (None, *RETENTION_CODES):
        raise ImportRecordError(f"保管期限代码 “{m['retention']}” 无效（应为 Y、D30 或 D10）")
    if m.get("retention_old") not in (None, *OLD_RETENTION_NAMES.values()):
        raise ImportRecordError(f"原保管期限 “{m['retention_old']}” 无效（应为 长期 或 短期）")
    for k in ("date", "print_date"):
        if m.get(k):
            try:
                m[k] = zhnum.parse_date(str(m[k])).isoformat()
            except ValueError:
                raise ImportRecordError(f"日期 {k}=“{m[k]}” 无效（应为 YYYY-MM-DD）") from None
    _check_bounds(m)
    return m


def _check_bounds(m: dict) -> None:
    """年度 1949..next year, 页数 and 件号 small positive numbers, dates in range, text without control
    characters: a malformed value is refused here, never committed."""
    from archive import bounds

    try:
        if m.get("year") is not None:
            m["year"] = bounds.check_year(m["year"])
        for k, label in (("date", "日期"), ("print_date", "印发日期")):
            if m.get(k):
                bounds.check_year(m[k][:4], f"{label} {m[k]} 的年份")
        if m.get("pages") is not None:
            m["pages"] = bounds.check_pages(m["pages"])
        if m.get("item_no") is not None:
            m["item_no"] = bounds.check_int(m["item_no"], "件号", 1, bounds.MAX_ITEM)
    except bounds.BoundsError as e:
        raise ImportRecordError(str(e)) from None
    for k, v in m.items():
        if isinstance(v, str):
            m[k] = bounds.clean_text(v).strip()


def check_meta(meta: dict) -> dict:
    """Validate and complete one record's metadata without writing (a dry run checks its rows with this)."""
    return _check(meta)


@dataclass
class ReadFile:
    """What could be read of a file that is kept whatever happens (the catalogue says it is the record's)."""

    media_type: str
    method: str | None
    pages: int | None
    text: str
    warnings: list[str]
    extracted: object = None  # the Extracted, for the 涉密 gate (secrecy.secret_level); None when unreadable


def read_file(arc: Archive, path: Path) -> ReadFile:
    """Extract through the isolated worker, like ingest; a file that cannot be read keeps its media type
    (from its content) and a warning instead of text."""
    try:
        ex = arc.worker.extract(path)
        return ReadFile(ex.media_type, ex.method, ex.pages, ex.text, list(ex.warnings), ex)
    except ExtractionError as e:
        from archive.extract.detect import detect_type
        try:
            media_type = detect_type(path)
        except ExtractionError:
            media_type = "unknown"
        return ReadFile(media_type, None, None, "", [f"无法提取文本：{e}"])


def secret_mark(secrecy_value=None, got: ReadFile | None = None, given_text: str | None = None) -> str | None:
    """The 密级 that bars a record from this system, from its metadata (密级 column or field), its file's own
    text (the same extraction and ``secrecy.secret_level`` as ingest) or the text a package carries."""
    from archive import gongwen, secrecy

    if secrecy_value not in (None, ""):
        hit = next((lvl for lvl in secrecy.SECRET_LEVELS if lvl in str(secrecy_value)), None)
        if hit:
            return hit
    if got is not None:
        level = secrecy.secret_level(gongwen.parse(got.text or ""), got.extracted)
        if level:
            return level
    if given_text:
        level = secrecy.secret_level(gongwen.parse(given_text), None)
        if level:
            return level
    return None


def gate_file(arc: Archive, path: Path, got: ReadFile, source: dict, sha: str | None = None,
              given_text: str | None = None, route: str = "import") -> None:
    """The one 涉密 gate for a file an import, 全文挂接 or 鉴定报告 brings in, asked before anything is stored:
    the printed 密级 of its text (or the text a package carries), then ``secrecy.gate`` over every place of
    the file. A mark: refused (SecretRecordError, an event); a doubtful or unreadable file (encrypted, damaged,
    of a kind not read): held for the 保密员 (SecretHeldError); a clear one: returns."""
    from archive import gongwen, secrecy

    level = secret_mark(None, got, given_text)
    if level in secrecy.SECRET_LEVELS:
        refuse_secret(arc, path, level, source, sha)
    ex = got.extracted
    verdict = secrecy.gate(path, ex, gongwen.parse(got.text or "") if ex is not None else None, arc.cfg.ocr)
    if level and verdict.kind == "clear" and level != secrecy.UNREADABLE:  # a suspected mark the gate did not see
        verdict = secrecy.GateVerdict("doubtful", reasons=[secrecy.refusal_reason(level).split("，")[0]])
    if verdict.kind == "mark":
        refuse_secret(arc, path, verdict.level or "秘密", source, sha, f"（位于{verdict.where}：“{verdict.evidence}”）")
    if ex is None and verdict.kind == "clear":  # unreadable to the extractor: never stored on the gate's word alone
        verdict = secrecy.GateVerdict("doubtful", reasons=[w for w in got.warnings[:1]] or ["文件无法读取"])
    if verdict.kind == "doubtful":
        hold_file(arc, path, verdict, route)


def hold_file(arc: Archive, path: Path, verdict, route: str) -> None:
    """Copy a doubtful file into the 保密员's quarantine and raise SecretHeldError (nothing stored)."""
    from archive import secrecy_queue

    line = secrecy_queue.hold(arc, path, verdict, route, from_inbox=False)
    raise SecretHeldError(f"文件 {path.name}：{line or verdict.message()}")


def refuse_secret(arc: Archive, path: Path | None, level: str, source: dict, sha: str | None = None,
                  where_seen: str = "") -> None:
    """Log the refusal (like ingest's ``refused`` event, with no record) and raise SecretRecordError."""
    where = f"文件 {path.name}" if path is not None else "该记录"
    reason = f"{where}标有密级“{level}”{where_seen}：涉密文件不得导入非涉密系统，未存储、未索引"
    with arc.change() as tx:
        catalog.append_event(tx.conn, "refused", None, {**source, "filename": path.name if path else None,
                                                        "source": str(path) if path else None,
                                                        "sha256": sha, "reason": reason})
    raise SecretRecordError(reason)


def _refuse_stored(arc: Archive, sha: str, path: Path) -> None:
    """A file identical to any stored file (a record's own, a further file, a searchable PDF) is refused:
    a stored file has exactly one owner."""
    hit = catalog.owner_of(arc.conn, sha)
    if hit:
        raise ImportRecordError(f"文件 {path.name} 已在库中（记录 {hit['id']} {hit['archival_code'] or ''}）")


def import_record(arc: Archive, meta: dict, file: ImportedFile | None, *, source: dict,
                  action: str = "import", allocate: bool = False) -> dict:
    """Add one record as given. ``source`` (file, row, package…) goes into the event log.

    ``allocate``: the record has no 档号 yet (a document the program writes itself, e.g. a 鉴定工作报告);
    the next 件号 of its fonds, year, retention and org is taken in the inserting transaction.

    Raises ImportRecordError when the record is invalid, its 档号 is taken, or its file is already stored."""
    m = _check(meta)
    if allocate and (m.get("archival_code") or not all(m.get(k) for k in ("fonds", "year", "retention"))):
        raise ImportRecordError("自动编档号须给出全宗号、年度、保管期限，且不带档号")
    sha = size = rel = media_type = filename = None
    text, warnings, method = "", [], None
    if (level := secret_mark(m.get("secrecy"))) is not None:
        refuse_secret(arc, None, level, source)
    if file is not None:
        sha, size, filename = sha256_file(file.path), file.path.stat().st_size, file.name or file.path.name
        _refuse_stored(arc, sha, file.path)
        got = read_file(arc, file.path)
        if file.written:
            if (level := secret_mark(None, got)) is not None:
                refuse_secret(arc, file.path, level, source, sha)
        else:
            gate_file(arc, file.path, got, source, sha, file.text, _route(source, action))
        media_type, method, warnings = got.media_type, got.method, got.warnings
        text = got.text if file.text is None else file.text
        if got.pages is not None:
            m.setdefault("pages", got.pages)
        warnings += file.warnings
    from archive.bounds import future_warning

    if m.get("date") and (fw := future_warning(date=dt.date.fromisoformat(m["date"]))):
        warnings.append(fw)
    dn = docno.parse(str(m["doc_number_raw"])) if m.get("doc_number_raw") else None
    ts = catalog.now()
    with arc.change(transaction=False):
        if file is not None:
            _refuse_stored(arc, sha, file.path)  # again under the lock: another process may have stored it
            rel = arc.put_file(file.path, sha, media_type, "import")
        try:
            doc_id = _insert(arc, m, file, sha, size, rel, media_type, filename, text, warnings, method,
                             dn, ts, source, action, allocate)
        except BaseException:
            if rel:
                arc.drop_unreferenced(sha, media_type)  # our journalled copy that no record came to own
            raise
        fault("import-record")  # crash test: committed, not yet indexed
        arc.queue_index(doc_id)
    return catalog.record(catalog.get_record(arc.conn, doc_id))


def _insert(arc, m, file, sha, size, rel, media_type, filename, text, warnings, method, dn, ts, source,
            action, allocate) -> int:
    """The record's rows and its event, in one transaction."""
    with arc.change() as tx:
        conn = tx.conn
        arc.journal_done(rel)
        if allocate:
            code = archival_code.allocate(conn, m["fonds"], int(m["year"]), m["retention"], m.get("org"))
            m.update(archival_code=str(code), item_no=code.item_no, status="archived")
        elif m.get("archival_code"):
            clash = archival_code.same_code(conn, m["archival_code"])
            if clash is not None:
                raise ImportRecordError(f"档号 {m['archival_code']} 已存在（记录 {clash['id']} {clash['archival_code']}）")
        row = {**m, "sha256": sha, "filename": filename, "source_path": str(file.path.resolve()) if file else None,
               "stored_path": rel, "media_type": media_type, "size": size,
               "doc_number": dn.canonical if dn else None, "docno_code": dn.code if dn else None,
               "docno_year": dn.year if dn else None, "docno_serial": dn.serial if dn else None,
               "docno_kind": dn.kind if dn else None, "extract_method": method,
               "warnings": json.dumps(warnings, ensure_ascii=False) if warnings else None,
               "ingested_at": ts, "updated_at": ts, "origin": "import"}
        try:
            doc_id = catalog.insert_record(conn, row, text, dn)
        except sqlite3.IntegrityError as e:
            raise ImportRecordError(f"档号 {m.get('archival_code')} 已存在" if "archival_code" in str(e)
                                    else f"无法写入目录：{e}") from None
        if m.get("item_no") is not None and m.get("retention") in RETENTION_CODES and not allocate:
            catalog.raise_sequence(conn, m["fonds"], m["year"], m["retention"], m.get("org"), m["item_no"])
        catalog.append_event(conn, action, doc_id, {**source, "archival_code": m.get("archival_code"),
                                                    "sha256": sha, "filename": filename})
    return doc_id


def attach_file(arc: Archive, document_id: int, file: ImportedFile, *, source: dict) -> dict:
    """全文挂接: give a record that has no file yet its file, extract and index its text."""
    _refuse_filed(catalog.get_record(arc.conn, document_id), document_id)
    sha = sha256_file(file.path)
    _refuse_stored(arc, sha, file.path)
    got = read_file(arc, file.path)
    gate_file(arc, file.path, got, source, sha, file.text, _route(source, "import"))
    media_type, method, pages, warnings = got.media_type, got.method, got.pages, got.warnings
    text = got.text if file.text is None else file.text
    with arc.change(transaction=False):
        _refuse_stored(arc, sha, file.path)
        _refuse_filed(catalog.get_record(arc.conn, document_id), document_id)  # again, under the lock
        rel = arc.put_file(file.path, sha, media_type, "attach")
        with arc.change() as tx:
            conn = tx.conn
            arc.journal_done(rel)
            had_pages = tx.record(document_id)["pages"]
            catalog.update_record(conn, document_id, {
                "sha256": sha, "filename": file.path.name, "source_path": str(file.path.resolve()), "stored_path": rel,
                "media_type": media_type, "size": file.path.stat().st_size,
                "pages": pages if had_pages is None else had_pages, "extract_method": method,
                "warnings": json.dumps(warnings, ensure_ascii=False) if warnings else None, "indexed": 0})
            catalog.set_text(conn, document_id, text)
            catalog.append_event(conn, "attach", document_id, {**source, "sha256": sha, "filename": file.path.name})
            tx.queue_index(document_id)
    return catalog.record(catalog.get_record(arc.conn, document_id))


def _route(source: dict, action: str) -> str:
    """The way in a held file came by (the 保密员 sees it): import catalog, import package or 鉴定报告."""
    if "package" in source:
        return "import package"
    return "import catalog" if action == "import" else action


def _refuse_filed(row, document_id: int) -> None:
    """全文挂接 gives a file only to a record that exists and has none (checked again under the lock)."""
    if row is None:
        raise ImportRecordError(f"记录 {document_id} 不存在")
    if row["sha256"]:
        raise ImportRecordError(f"记录 {row['archival_code'] or document_id} 已有文件 {row['filename']}")
