"""The ingest pipeline, used by ``ingest``, ``watch`` and the web page's filing.

detect type -> extract text -> normalise -> parse 公文 elements -> classify -> assign 档号 -> store ->
catalog (with its full text).  Every input file ends with exactly one IngestResult: archived, pending, excluded,
duplicate, refused or failed. Nothing is ever deleted: an inbox original is moved out of the inbox only
after its record is committed, and a crash between the two is finished by ``reconcile`` on the next start.
The archive handle it works on (lock, catalog, store, index queue) is ``archive.session.Archive``; where an
original goes afterwards is ``archive.inbox``.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import stat
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from archive import archival_code, catalog, gongwen, grouping, inbox, schema, secrecy, sidecar, virus
from archive.extract import ofd_meta
from archive.classify import classify
from archive.config import Config
from archive.errors import ExtractionError, StopRequested, StoreError
from archive.faults import fault
from archive.gongwen.elements import stamp_of
from archive.interrupt import stopped
from archive.models import Classification, Extracted, GongwenFields, IngestResult
from archive.session import Archive
from archive.store import sha256_file

GROUP_COMMIT = 64  # new records stored and committed together by ingest_many


@dataclass
class Prepared:
    """A file read, parsed and classified, not yet stored (ingest_file / ingest_many; recover and detach make
    one of a file already stored)."""
    path: Path
    sha: str
    size: int
    ex: Extracted
    fields: GongwenFields
    cls: Classification
    header_conf: float | None
    from_inbox: bool


_fault = fault  # crash-test hook (archive/faults.py)


def ingest_file(arc: Archive, path: Path, *, from_inbox: bool = False) -> IngestResult:
    """Run one file through every stage. ``from_inbox``: move the original when done."""
    prep = _prepare(arc, Path(path), from_inbox)
    if isinstance(prep, IngestResult):
        return prep
    return _store_and_commit(arc, prep)


def ingest_many(arc: Archive, paths, *, from_inbox: bool = False, batch: int | None = None,
                on_result=None) -> list[IngestResult]:
    """``ingest_file`` for many files, with one round of flushes to disk and one catalog transaction per
    ``batch`` of new records (group commit) instead of one per file: the flushes, not the work, bound a
    batch on an ordinary disk (bench/ingest_bench.py). The guarantees are those of one file: every copy
    is on disk before the transaction that records it commits, and an original leaves the inbox only
    after; a crash anywhere leaves whole records or none, and reconcile finishes the rest.
    ``on_result`` is called with each result as it is final, in the order of ``paths``. When ``arc.cancel``
    is set (Ctrl+C, SIGTERM: archive.interrupt), no further file is started; what was read is committed."""
    batch = GROUP_COMMIT if batch is None else batch
    out: list[IngestResult] = []
    group: list[Prepared] = []
    paths = [Path(p) for p in paths]
    ahead = _read_ahead(arc, len(paths))  # several files read at once, each in its own worker

    def emit(r: IngestResult) -> None:
        out.append(r)
        if on_result is not None:
            on_result(r)

    def flush() -> None:
        for r in _commit_group(arc, group):
            emit(r)
        group.clear()

    try:
        for i, path in enumerate(paths):
            if stopped(arc):  # Ctrl+C / SIGTERM (archive.interrupt): the files read so far are committed below
                break
            if ahead is not None:
                _read_ahead_fill(arc, ahead, paths, i)
            try:
                prep = _prepare(arc, path, from_inbox, ahead=ahead)
            except StopRequested:  # the extraction was stopped: this file is left as it was, nothing stored
                break
            if isinstance(prep, IngestResult) or any(g.sha == prep.sha for g in group):
                flush()  # results stay in input order; the same content twice in a batch: the second after
                emit(prep if isinstance(prep, IngestResult) else _store_and_commit(arc, prep))
                continue
            group.append(prep)
            if len(group) >= batch:
                flush()
    finally:
        if ahead is not None:
            ahead.close()  # a file read ahead but not reached (a stop) is dropped: nothing of it stored
    flush()
    return out


def _read_ahead(arc: Archive, files: int):
    """With [ocr] workers above 1 and more than one file: a ReadAhead (archive/extract/readahead.py) of that
    many extraction workers, each reading whole files (a scan's pages itself); else None (one worker)."""
    n = min(arc.cfg.ocr.worker_count(), files)
    if n < 2:
        return None
    from archive.extract.readahead import ReadAhead

    return ReadAhead(n, arc.cfg.limits, arc.cfg.ocr, tag=str(arc.cfg.store), cancel=arc.cancel)


def _read_ahead_fill(arc: Archive, ahead, paths: list[Path], i: int) -> None:
    """Hand the files up to two per worker ahead of ``paths[i]`` to the reading workers: only regular files
    under the size limit whose content is not stored yet (a duplicate is never read); the virus scan, when
    [virus] at_ingest asks for it, runs in the reading thread before the file is read. ``_prepare`` checks
    everything again at the file's turn and uses the reading only for the same content."""
    ahead.next = max(ahead.next, i)
    while ahead.next < len(paths) and ahead.next <= i + 2 * ahead.n:
        path = paths[ahead.next]
        ahead.next += 1
        try:
            st = os.lstat(path)
            if (inbox.shown(path) != str(path) or not stat.S_ISREG(st.st_mode)
                    or st.st_size > arc.cfg.limits.max_file_mb * 1024 * 1024):
                continue
            sha = sha256_file(path)
        except OSError:
            continue
        if sha in ahead.shas or catalog.owner_of(arc.conn, sha) is not None:
            continue
        ahead.shas.add(sha)
        ahead.submit(path, sha, before=lambda p: virus.refusal_at_ingest(arc.cfg.virus, p, inbox.shown(p), arc))


def _commit_group(arc: Archive, group: list[Prepared]) -> list[IngestResult]:
    if len(group) <= 1:
        return [_store_and_commit(arc, p) for p in group]
    try:
        with arc.change(transaction=False):
            arc.check_catalog()
            if any(catalog.owner_of(arc.conn, p.sha) is not None for p in group):
                raise StoreError("stored by another process meanwhile")  # each file alone, as a duplicate
            stored = [(arc.put_file(p.path, p.sha, p.ex.media_type, sync=False), _put_searchable(arc, p.sha, p.ex))
                      for p in group]
            arc.store.sync([rel for rel, _ in stored])
            _fault("stored")
            with arc.change():
                # one by one in the transaction: a file sees the records committed before it in this batch
                # (two renderings of one document in one batch make one record with two files)
                recs, matches = [], []
                for p, (rel, searchable) in zip(group, stored):
                    m = _group(arc, p)
                    matches.append(m)
                    if m is not None and m.sure:
                        recs.append(attach_prepared(arc, p, rel, m))
                    else:
                        recs.append(commit_record(arc, p, rel, searchable, tx=False))
            _fault("committed")
    except (StoreError, sqlite3.Error, OSError):
        # nothing of the batch is recorded: each file again on its own, for its own outcome and message
        return [_store_and_commit(arc, p) for p in group]
    for p, m, (_, searchable) in zip(group, matches, stored):
        if m is not None and m.sure and searchable:  # an attached scan keeps no searchable PDF of its own
            arc.drop_unreferenced(Path(searchable).name.split(".")[0], "pdf")
    return [_moved(arc, p, rec, m if m is not None and m.sure else None) for p, rec, m in zip(group, recs, matches)]


def _moved(arc: Archive, p: Prepared, rec: dict, attached: grouping.Match | None = None) -> IngestResult:
    """After the commit: the original leaves the inbox; the result (``attached``: the file joined ``rec``)."""
    if p.from_inbox:
        try:
            with arc.change(transaction=False) as tx:
                tx.queue_index(rec["id"])  # written to a Whoosh index when the move is done
                inbox.finish_move(arc, p.path)
                _sidecar_follows(arc, p.path)
        except OSError as e:  # the record stands; inbox_moves finishes the move on a retry
            return IngestResult(str(p.path), rec["status"], f"已登记，但原文件未能移出收件箱（{e.strerror}），"
                                "稍后自动重试", rec)
        _fault("moved")
    else:
        with arc.change(transaction=False) as tx:
            tx.queue_index(rec["id"])
    if attached is not None:
        ref = rec["archival_code"] or f"记录 {rec['id']}"
        return IngestResult(str(p.path), "attached", f"并入{ref}，作为{attached.role}（{attached.why}）", rec)
    outcome = rec["status"]
    reason = p.cls.reason if outcome == "pending" else (p.cls.basis if p.cls.rule_id else None)
    reason = _rendition_at_ingest(arc, rec, reason)
    return IngestResult(str(p.path), outcome, reason, rec)


def _sidecar_follows(arc: Archive, path: Path) -> None:
    """The sidecar of a file taken in (X.json beside X) leaves the inbox with it, into the same processed folder."""
    side = sidecar.sidecar_of(path)
    if side is not None and not path.exists():
        inbox.move(side, inbox.dated(arc.cfg.processed_dir, inbox.inbox_relative(side, arc.cfg.inbox)), None)


def _rendition_at_ingest(arc: Archive, rec: dict, reason: str | None) -> str | None:
    """[rendition] at_ingest = true: a new DOCX or TXT record gets its PDF/A 版式副本 at once (archive/rendition.py;
    LibreOffice takes seconds a file, so it is off by default and ``archive convert --missing`` does it later).
    A rendition that fails leaves the record as filed and is said in the result's reason."""
    if not arc.cfg.rendition_at_ingest:
        return reason
    from archive import rendition

    row = catalog.get_record(arc.conn, rec["id"])
    if row is None or row["media_type"] not in ("docx", "text") or not rendition.needs_rendition(arc.conn, row):
        return reason
    done = rendition.make(arc, row)
    if done.outcome == "made":
        return reason
    return "；".join(x for x in (reason, f"未生成版式副本：{done.reason}") if x)


def _prepare(arc: Archive, path: Path, from_inbox: bool, route: str = "ingest", ahead=None):
    """Every stage before the store: an IngestResult when the file ends here (failed, duplicate,
    refused), else what the store and the catalog need (Prepared). ``ahead``: a ReadAhead that may hold this
    file's reading (used only when the content is still what was read)."""
    early = ahead.take(path) if ahead is not None else None
    name = inbox.shown(path)
    if name != str(path):  # a name that is not valid UTF-8 (made on another system)
        return _failed(arc, path, "", f"文件名不是有效的 UTF-8 编码（显示为 {inbox.shown(path.name)}），无法登记。"
                            "请把文件改为正常的中文或英文名后重新放入", from_inbox)
    try:
        mode = os.lstat(path).st_mode
    except OSError as e:
        return IngestResult(name, "failed", f"无法读取文件：{e.strerror}")
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        # a FIFO would block the reader forever, a device is endless: never opened
        kind = ("命名管道（FIFO）" if stat.S_ISFIFO(mode) else "套接字" if stat.S_ISSOCK(mode)
                else "设备文件" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "文件夹" if stat.S_ISDIR(mode)
                else "特殊文件")
        return _failed(arc, path, "", f"这是一个{kind}，不是普通文件，未打开读取。请放入文件本身", from_inbox)
    if path.is_symlink():  # never followed: what it points to may be anywhere on the machine
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return _failed(arc, path, "", f"这是一个符号链接（指向 {target}），不会被跟随读取。"
                            "请把文件本身（而不是快捷方式/链接）放入收件箱", from_inbox)
    try:
        sha = sha256_file(path)
        size = path.stat().st_size
    except OSError as e:
        return IngestResult(name, "failed", f"无法读取文件：{e.strerror}")

    existing = catalog.owner_of(arc.conn, sha)  # main file, further file or searchable PDF
    if existing is not None:
        return _duplicate(arc, path, sha, existing, from_inbox)

    limit = arc.cfg.limits.max_file_mb
    if size > limit * 1024 * 1024:
        return _failed(arc, path, sha, f"文件过大（{size / 1048576:.0f} MB，上限 {limit} MB），未读取。"
                            "请核实文件；如确需入库，请调大 config.toml [limits] max_file_mb", from_inbox)
    if early is not None and early.key != sha:
        early = None  # changed since it was read ahead: read again
    infected = early.before if early is not None else virus.refusal_at_ingest(arc.cfg.virus, path, name, arc)
    if infected is not None:  # before it is read
        return _failed(arc, path, sha, infected, from_inbox)
    try:
        if early is not None and early.error is not None:
            raise early.error  # read ahead by another worker: its failure is this file's own
        # in a child process with time and memory limits (OCR too)
        ex = early.extracted if early is not None else arc.worker.extract(path)
    except StopRequested:
        raise
    except ExtractionError as e:
        return _failed(arc, path, sha, str(e), from_inbox)
    except Exception as e:  # a library bug on a hostile file must not stop the batch
        return _failed(arc, path, sha, f"读取文件时出错（{type(e).__name__}: {e}）", from_inbox)

    fields = gongwen.parse(ex.text)
    declared = ofd_meta.apply(path, ex.media_type, fields)  # an OFD 电子公文's own metadata wins (issue 27)
    problem = sidecar.declare(path, fields)  # X.json beside X: what an OA system declares (docs/domain.md, 旁注文件)
    if problem:
        return _failed(arc, path, sha, problem, from_inbox)
    level = secrecy.secret_level(fields, ex)
    if level:
        return _refused(arc, path, sha, fields, from_inbox, level)
    held = _gate(arc, path, sha, ex, fields, from_inbox, route)  # every place of the file, before the store
    if held is not None:
        return held
    return _classified(arc, path, sha, size, ex, fields, declared, from_inbox)


def prepare_read(arc: Archive, path: Path, sha: str, size: int, ex: Extracted, declared) -> Prepared:
    """A file already read and through the 涉密 gate (an OA package's 正本, archive/oa_package.py) with values
    its package declares (sidecar.Declared): preferred to what is read; where they disagree, a warning and
    待定, as where an OFD's own metadata disagrees."""
    fields = gongwen.parse(ex.text)
    disagree = ofd_meta.apply(path, ex.media_type, fields)
    before = len(fields.warnings)
    sidecar.apply(declared, fields)
    if len(fields.warnings) > before:
        said = "；".join(w.split("，采用声明值")[0] for w in fields.warnings[before:])
        disagree = "；".join(x for x in (disagree, f"{said}，请核对") if x)
    return _classified(arc, path, sha, size, ex, fields, disagree, False)


def _classified(arc: Archive, path: Path, sha: str, size: int, ex: Extracted, fields: GongwenFields,
                declared: str | None, from_inbox: bool) -> Prepared:
    """The stages after the 涉密 gate: 印章, the classification, and what makes it 待定."""
    fields.stamp = stamp_of(path, ex.media_type)  # 印章 有/无/不详 from the file itself (issue 26)
    cls = classify(fields, ex.text, ex.pages, arc.cfg)
    if fields.date is not None and (later := _future(fields.date)):
        fields.warnings.append(later)  # a date after today is kept, with a warning on the record
    header_conf = _ocr_gate(ex, fields, arc.cfg)
    if header_conf[1]:
        cls = _pending_for_ocr(cls, header_conf[1])
    if declared:  # declared and read 发文字号/成文日期/发文机关 disagree
        cls = _pending_for_ocr(cls, declared)
    _fault("classified")
    return Prepared(path, sha, size, ex, fields, cls, header_conf[0], from_inbox)


def _store_and_commit(arc: Archive, p: Prepared) -> IngestResult:
    """Store one prepared file and commit its record in its own transaction."""
    path, sha, ex, name = p.path, p.sha, p.ex, str(p.path)
    try:
        with arc.change(transaction=False):
            arc.check_catalog()
            again = catalog.owner_of(arc.conn, sha)  # another process stored it while we read
            if again is not None:
                return _duplicate(arc, path, sha, again, p.from_inbox)
            m = _group(arc, p)  # under the write lock: no other process adds a record meanwhile
            rel = arc.put_file(path, sha, ex.media_type)
            if m is not None and m.sure:
                _fault("stored")
                with arc.change():
                    rec = attach_prepared(arc, p, rel, m)
                _fault("committed")
                return _moved(arc, p, rec, m)
            searchable = _put_searchable(arc, sha, ex)
            _fault("stored")
            rec = commit_record(arc, p, rel, searchable)
            _fault("committed")
    except StoreError as e:
        return IngestResult(name, "failed", str(e))  # not the file's fault: left where it is, retried later
    except sqlite3.IntegrityError:
        # another process committed the same content between our check and our commit
        existing = catalog.owner_of(arc.conn, sha)
        return _duplicate(arc, path, sha, existing, p.from_inbox)
    except (sqlite3.OperationalError, OSError) as e:  # disk full, I/O error: not the file's fault
        arc.drop_unreferenced(sha, ex.media_type)
        if ex.searchable_pdf:
            import hashlib
            arc.drop_unreferenced(hashlib.sha256(ex.searchable_pdf).hexdigest(), "pdf")
        return IngestResult(name, "failed", inbox.write_failure(e))
    return _moved(arc, p, rec)


# ---- one 件, several files: a new file that belongs to a record already there (archive/grouping.py) ---------
def _group(arc: Archive, p: Prepared) -> grouping.Match | None:
    """Whether ``p`` joins a record (sure) or is pending with a suggestion (its ``cls`` is made 待定). Call under
    the write lock; inside a batch's transaction, the batch's earlier records are seen."""
    m = grouping.match(arc.conn, p.fields, p.path.name, p.ex.text)
    if m is not None and not m.sure:
        p.cls = _pending_for_suggestion(p.cls, m.suggestion(arc.conn))
    return m


def attach_prepared(arc: Archive, p: Prepared, rel: str, m: grouping.Match, *, document_id: int | None = None,
                    role: str | None = None, detail: dict | None = None) -> dict:
    """Record a read, stored file as a further file of a record (``m``'s, or ``document_id`` with ``role`` when
    a person decides: archive attach), with its ``attach`` event; inside the caller's transaction. The original
    leaves the inbox like a record's. Returns the record."""
    conn, ex = arc.conn, p.ex
    document_id = document_id or m.document_id
    role = role or m.role
    warns = ex.warnings + p.fields.warnings
    seq = catalog.attach_file(conn, document_id, role, {
        "sha256": p.sha, "filename": p.path.name, "source_path": str(p.path.resolve()), "stored_path": rel,
        "media_type": ex.media_type, "size": p.size, "pages": ex.pages, "extract_method": ex.method,
        "warnings": json.dumps(warns, ensure_ascii=False) if warns else None}, ex.text)
    arc.journal_done(rel)
    filled = _fill_from_rendering(conn, document_id, role, p)
    catalog.append_event(conn, "attach", document_id, {
        "filename": p.path.name, "source": str(p.path), "sha256": p.sha, "seq": seq, "role": role,
        "pages": ex.pages, **({"why": m.why, "by": "ingest"} if m is not None else {}), **(detail or {}),
        **({"filled": filled} if filled else {})})
    if p.from_inbox:
        inbox.plan_move(conn, p.path, p.sha, arc.cfg)
    _fault("in-transaction")
    return catalog.record(catalog.get_record(conn, document_id))


def _fill_from_rendering(conn, document_id: int, role: str, p: Prepared) -> dict:
    """A further rendering of the same 件 (其他格式) may show what the record's first file could not: the
    成文日期 on the last page of a whole-document PDF, when the record came from a one-page image of page 1.
    Only an empty 成文日期 of a 待定 record is filled, from a reading nothing doubts (no doubtful date, no
    unsure OCR); the record stays 待定 for the clerk, and the attach event says what was filled."""
    f = p.fields
    if role != "其他格式" or f.date is None or f.doubtful_date or "OCR" in (p.cls.reason or ""):
        return {}
    row = catalog.get_record(conn, document_id)
    if row is None or row["status"] != "pending" or row["date"]:
        return {}
    values = {"date": f.date.isoformat(), "year": row["year"] or f.date.year}
    if row["year"] and row["year"] not in (f.date.year, f.date.year + 1):
        return {}  # the record's year (from its 文号) disagrees: the clerk's to settle
    catalog.update_record(conn, document_id, {**values, "indexed": 0})
    return {"date": values["date"]}


def _pending_for_suggestion(cls: Classification, suggestion: str) -> Classification:
    """Pending (待定) with the suggestion of the record it may belong to; the rule's verdict stays as well."""
    if cls.status == "pending":
        reason = f"{suggestion}；{cls.reason}" if cls.reason else suggestion
    elif cls.rule_id:
        reason = f"{suggestion}（规则 {cls.rule_id} 建议{'归档' if cls.status == 'archived' else '不归档'}）"
    else:
        reason = suggestion
    return Classification(status="pending", retention=cls.retention, org=cls.org, rule_id=cls.rule_id,
                          basis=cls.basis, relation=cls.relation, reason=reason)


def _put_searchable(arc: Archive, sha: str, ex: Extracted) -> str | None:
    """Store the OCR'd scan with its added text layer (content-addressed, beside the original)."""
    if not ex.searchable_pdf:
        return None
    tmp = arc.store.tmp / f".ocr-{sha}.{os.getpid()}.{secrets.token_hex(4)}.part"
    try:
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(ex.searchable_pdf)
        return arc.put_file(tmp, sha256_file(tmp), "pdf", "searchable")
    except OSError as e:
        raise StoreError(f"无法保存可检索 PDF：{e.strerror}（请检查磁盘空间和权限）") from e
    finally:
        tmp.unlink(missing_ok=True)


# columns of a new record taken as they are from the 公文 reading and from the classification (schema.COLUMNS)
_FROM_FIELDS = ("title", "issuer", "doc_type", "secrecy", "urgency", "recipients", "signer", "cc", "printer",
                "copy_no", "stamp", "receipt_kind")
_FROM_CLASS = ("status", "retention", "org", "rule_id", "basis", "relation", "reason")


def new_record_row(arc: Archive, p: Prepared, rel: str, searchable: str | None, code, ts: str, *,
                   filename: str | None = None, corrected: str | None = None) -> dict:
    """The documents row of a new record read from ``p``, stored at ``rel``, numbered ``code`` (or None), in the
    order of schema.COLUMNS (every key one of its columns)."""
    fields, cls, ex, dn = p.fields, p.cls, p.ex, p.fields.doc_number
    warns = ex.warnings + fields.warnings
    values = {
        **{k: getattr(fields, k) for k in _FROM_FIELDS}, **{k: getattr(cls, k) for k in _FROM_CLASS},
        **schema.doc_number_columns(dn),
        "sha256": p.sha, "filename": filename or p.path.name, "source_path": str(p.path.resolve()),
        "stored_path": rel, "media_type": ex.media_type, "size": p.size, "pages": ex.pages,
        "archival_code": str(code) if code else None, "fonds": arc.cfg.fonds,
        "year": fields.date.year if fields.date else (dn.year if dn else None),
        "item_no": code.item_no if code else None,
        "date": fields.date.isoformat() if fields.date else None,
        "print_date": fields.print_date.isoformat() if fields.print_date else None,
        "attachments": json.dumps(fields.attachments, ensure_ascii=False) if fields.attachments else None,
        "annotation": fields.note,  # the 附注 line in its own column; 备注 (``note``) stays the clerk's
        "extract_method": ex.method, "warnings": json.dumps(warns, ensure_ascii=False) if warns else None,
        "ingested_at": ts, "updated_at": ts,
        "ocr_confidence": _mean([c for c in ex.page_confidences if c is not None]),
        "ocr_header_confidence": p.header_conf, "searchable_path": searchable,
        **({"corrected": corrected} if corrected else {}),
    }
    unknown = set(values) - set(schema.BY_NAME)
    if unknown:
        raise ValueError(f"not a column of documents: {', '.join(sorted(unknown))}")
    return {c.name: values[c.name] for c in schema.COLUMNS if c.name in values}


def commit_record(arc: Archive, p: Prepared, rel: str, searchable: str | None = None, *, tx: bool = True,
                  filename: str | None = None, action: str = "ingest", detail: dict | None = None,
                  corrected: str | None = None) -> dict:
    """Insert one record read from ``p`` (and its text, keys, event); ``tx=False`` inside the caller's
    transaction (a batch of ingest_many, detach). ``filename``/``action``/``detail``/``corrected``: for records
    rebuilt by ``archive recover`` or split off by ``archive detach`` (``corrected``: the fields a person had
    corrected, kept, see archive/edit.py)."""
    conn = arc.conn
    ts = catalog.now()
    # the full text is indexed by the catalog's triggers in whichever transaction this runs
    with (arc.change() if tx else nullcontext()):
        code = collected = None
        if p.cls.status == "archived":
            if archival_code.numbers_at_ingest(conn, arc.cfg.numbering):
                code = archival_code.allocate(conn, arc.cfg.fonds, p.fields.date.year, p.cls.retention, p.cls.org)
            else:  # 预归档: numbered when its year is filed (archive/filing.py)
                collected = "collected"
        row = new_record_row(arc, p, rel, searchable, code, ts, filename=filename, corrected=corrected)
        if collected:
            row["filing_state"] = collected
        elif code is not None and archival_code.year_filed(conn, arc.cfg.fonds, code.year):
            # numbering at ingest into a year already filed: 补充归档, said in the 备注 (archive/filing.py)
            row["note"] = "；".join(x for x in (row.get("note"), f"补充归档（{ts[:10]}）") if x)
        doc_id = catalog.insert_record(conn, row, p.ex.text, p.fields.doc_number)
        catalog.add_pages(conn, doc_id, p.ex.page_confidences)
        arc.journal_done(rel, searchable)
        catalog.append_event(conn, action, doc_id, {
            "filename": row["filename"], "source": str(p.path), "sha256": p.sha, "status": p.cls.status,
            "archival_code": row["archival_code"], "rule_id": p.cls.rule_id, "reason": p.cls.reason,
            **(detail or {}),
        })
        if p.from_inbox:
            inbox.plan_move(conn, p.path, p.sha, arc.cfg)
        _fault("in-transaction")
    return catalog.record(catalog.get_record(conn, doc_id))


def _duplicate(arc: Archive, path, sha, existing, from_inbox) -> IngestResult:
    # A record committed just before a crash, whose original is still in the inbox: finish the move.
    pending = catalog.inbox_move(arc.conn, str(path), sha)
    rec = catalog.record(existing)
    if from_inbox and pending:
        with arc.change(transaction=False):
            inbox.finish_move(arc, path)
        return IngestResult(inbox.shown(path), existing["status"], "上次中断后已完成归档", rec)
    ref = existing["archival_code"] or f"记录 {existing['id']}"
    reason = f"与已入库文件相同（{ref}，{existing['filename']}）"
    return inbox.side_outcome(arc, path, sha, "duplicate", reason, arc.cfg.duplicates_dir, from_inbox,
                              existing["id"], rec, "无需处理；如确需再次入库，请先核对原记录。")


def _failed(arc: Archive, path, sha, reason, from_inbox) -> IngestResult:
    return inbox.side_outcome(arc, path, sha, "failed", reason, arc.cfg.failed_dir, from_inbox,
                              advice="请检查文件能否正常打开；修复或另存后重新放入收件箱。")


def _gate(arc: Archive, path, sha, ex: Extracted, fields: GongwenFields, from_inbox, route: str):
    """The 涉密 gate (secrecy.gate) over every place of the file, given what was already read (its text and OCR
    lines are not read again): a mark is refused like a printed 密级, a doubtful file is held for the 保密员
    (secrecy_queue.hold), a clear one goes on (None)."""
    verdict = secrecy.gate(path, ex, fields, arc.cfg.ocr)
    if verdict.kind == "mark":
        return _refused(arc, path, sha, fields, from_inbox, verdict.level, verdict)
    if verdict.kind == "doubtful":
        return hold(arc, path, sha, verdict, route, from_inbox)
    return None


def hold(arc: Archive, path, sha, verdict, route: str, from_inbox: bool) -> IngestResult:
    """A doubtful file into the 保密员's quarantine (moved from the inbox, copied otherwise): never stored."""
    from archive import secrecy_queue

    line = secrecy_queue.hold(arc, path, verdict, route, from_inbox=from_inbox)
    return IngestResult(inbox.shown(path), "held", line or verdict.message())


def _refused(arc: Archive, path, sha, fields: GongwenFields, from_inbox, level: str | None = None,
             verdict=None) -> IngestResult:
    level = level or fields.secrecy
    where = f"已移入隔离文件夹 {arc.cfg.refused_dir.name}/" if from_inbox else "原文件未改动"
    said = verdict.message() if verdict is not None else secrecy.refusal_reason(level, fields)
    reason = f"{said}，{where}"
    advice = ("请按保密规定在涉密载体或涉密系统中处理本文件，并从本机删除副本。" if level in secrecy.SECRET_LEVELS
              else "请人工查看原件：确属涉密的，按保密规定处理；确认不涉密的，可转为带文字层的 PDF 或重新清晰扫描后再放入。")
    return inbox.side_outcome(arc, path, sha, "refused", reason, arc.cfg.refused_dir, from_inbox, advice=advice)


def _future(date) -> str | None:
    from archive.bounds import future_warning

    return future_warning(date=date)


# ---- OCR: a 版头 or 成文日期 read with low confidence never gets a 档号 ----------------------------------------
def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 1) if xs else None


def _ocr_gate(ex: Extracted, fields: GongwenFields, cfg: Config) -> tuple[float | None, str | None]:
    """(版头 confidence, pending reason or None) for a document read by OCR. The 成文日期 is checked too:
    its year is the 档号's 年度."""
    from archive.extract.ocr import date_confidence, header_confidence, low_confidence_reason

    if not ex.ocr_lines:
        return None, None
    conf = header_confidence(ex.ocr_lines, fields.doc_number.raw if fields.doc_number else None, fields.title)
    conf = round(conf, 1) if conf is not None else None
    return conf, low_confidence_reason(conf, cfg.ocr, date_confidence(ex.ocr_lines, fields.date))


def _pending_for_ocr(cls: Classification, reason: str) -> Classification:
    """Pending (待定) instead of archived/excluded; the rule's verdict stays as the suggestion."""
    if cls.status == "pending":
        reason = f"{cls.reason}；{reason}"
    elif cls.rule_id:
        reason += f"（规则 {cls.rule_id} 建议{'归档' if cls.status == 'archived' else '不归档'}）"
    return Classification(status="pending", retention=cls.retention, org=cls.org, rule_id=cls.rule_id,
                          basis=cls.basis, relation=cls.relation, reason=reason)
