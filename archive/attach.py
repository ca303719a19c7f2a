"""A person's decision on the files of a 件: ``archive attach`` and ``archive detach``.

Ingest attaches what it is sure of (archive/grouping.py); what it was not sure of is a 待定 record carrying a
suggestion, and a clerk decides here. Attach takes a file (read through the same stages as ingest, so the 涉密
gate and the duplicate check hold) or a 待定 record's own file; detach takes a further file off its record and
never deletes it: the file becomes its own 待定 record, or (``keep``) stays stored and listed on the record as
taken off. Every decision is an event with the role, who and why. No field of the record is changed but its
页数 (docs/domain.md, "一件多文件").
"""

from __future__ import annotations

import re
from pathlib import Path

from archive import catalog, grouping
from archive.errors import AttachError, ExtractionError, StopRequested
from archive.models import Classification, Extracted
from archive.session import Archive


def _ref(row) -> str:
    return row["archival_code"] or f"记录 {row['id']}"


def check_role(role: str) -> str:
    r = grouping.role_of(role)
    if r is None:
        raise AttachError(f"角色 “{role}” 无效：应为 {' / '.join(grouping.ROLES)}")
    return r


def attach(arc: Archive, row, source: str, role: str, reason: str | None = None) -> dict:
    """Join ``source`` to the record ``row`` with ``role``. ``source`` is a file's path, or the reference of a
    待定 record whose own file joins (that record is then closed as 不归档, saying where its file went).
    Returns the record."""
    from archive import pipeline
    from archive.models import IngestResult

    role = check_role(role)
    if row["status"] == "destroyed":
        raise AttachError(f"{_ref(row)} 已销毁，不能再附加文件")
    path = Path(source)
    if not path.exists() and not path.is_symlink():
        if "/" in source or re.fullmatch(r"\.[A-Za-z0-9]{1,5}", path.suffix or "-"):
            raise AttachError(f"文件 {source} 不存在：请检查路径（或给出一条待定记录的记录号）")
        return _absorb(arc, row, arc.resolve(source), role, reason)
    prep = pipeline._prepare(arc, path, False, "attach")  # the stages of ingest: type, limits, text, the 涉密 gate
    if isinstance(prep, IngestResult):
        if prep.outcome == "duplicate" and prep.record:
            owner = catalog.get_record(arc.conn, prep.record["id"])
            if owner["id"] == row["id"]:
                kept = catalog.kept_file(arc.conn, row["id"], _sha(path))
                if kept is None:
                    raise AttachError(f"{path.name} 已是 {_ref(row)} 的文件，无需再附加")
                return _reattach(arc, row, kept, role, reason)
            return _absorb(arc, row, owner, role, reason)
        raise AttachError(f"{path.name} 未附加：{prep.reason}")
    with arc.change(transaction=False):
        arc.check_catalog()
        for msg in arc.clean_leftovers():  # what a kill -9 of an earlier attach (or ingest) left in the store
            arc._tell(msg)
        if catalog.owner_of(arc.conn, prep.sha) is not None:  # stored by another process meanwhile
            raise AttachError(f"{path.name} 刚被另一进程入库：请用 archive show 查看后重试")
        _still_open(arc, row)
        rel = arc.put_file(path, prep.sha, prep.ex.media_type, "attach")
        with arc.change(reason=reason) as tx:
            rec = pipeline.attach_prepared(arc, prep, rel, None, document_id=row["id"], role=role,
                                           detail={"by": "person", "reason": reason})
            tx.queue_index(row["id"])
    return rec


def _still_open(arc: Archive, row) -> None:
    """Under the lock: the record a file joins or leaves is still there and not destroyed meanwhile."""
    cur = catalog.get_record(arc.conn, row["id"])
    if cur is None:
        raise AttachError(f"{_ref(row)} 已不存在，未作更改")
    if cur["status"] == "destroyed":
        raise AttachError(f"{_ref(row)} 已销毁，不能再附加或拆出文件，未作更改")


def _sha(path: Path) -> str:
    from archive.store import sha256_file

    return sha256_file(path)


def _reattach(arc: Archive, row, f, role: str, reason: str | None) -> dict:
    """A file once taken off this record and kept here (detach --keep) joins it again."""
    conn = arc.conn
    text = _read_stored(arc, f).text if f["stored_path"] else ""
    with arc.change(reason=reason) as tx:
        _still_open(arc, row)
        if catalog.kept_file(conn, row["id"], f["sha256"]) is None:
            raise AttachError(f"{f['filename']} 已被另一操作重新附加，未作更改")
        seq = catalog.attach_file(conn, row["id"], role, {
            k: f[k] for k in ("sha256", "filename", "source_path", "stored_path", "media_type", "size", "pages",
                              "extract_method", "warnings")}, text)
        catalog.append_event(conn, "attach", row["id"], {
            "filename": f["filename"], "sha256": f["sha256"], "seq": seq, "role": role, "by": "person",
            "reason": reason, "pages": f["pages"], "again": True})
        tx.queue_index(row["id"])
    return catalog.record(catalog.get_record(conn, row["id"]))


def _absorb(arc: Archive, row, other, role: str, reason: str | None) -> dict:
    """A 待定 record's own file joins ``row``; the 待定 record is closed (不归档) naming where its file went.
    It keeps its row and file reference (records are never deleted), so its file always has an owner."""
    if other["id"] == row["id"]:
        raise AttachError(f"不能把 {_ref(row)} 附加到它自己")
    if other["status"] != "pending":
        raise AttachError(f"{_ref(other)} 不是待定记录（{other['status']}），不能并入另一件；"
                          "只有待定记录的文件可以用 archive attach 并入")
    if not other["stored_path"]:
        raise AttachError(f"{_ref(other)} 没有电子文件，无可附加")
    if catalog.further_files(arc.conn, other["id"]):
        raise AttachError(f"{_ref(other)} 自己已有多个文件：请先用 archive detach 拆开，再逐个附加")
    conn = arc.conn
    text = catalog.text_of(conn, other["id"])
    with arc.change(reason=reason) as tx:
        _still_open(arc, row)
        if (why := tx.changed_since(other)) is not None:  # decided or absorbed meanwhile: its file is not ours
            raise AttachError(why)
        seq = catalog.attach_file(conn, row["id"], role, {
            "sha256": other["sha256"], "filename": other["filename"], "source_path": other["source_path"],
            "stored_path": other["stored_path"], "media_type": other["media_type"], "size": other["size"],
            "pages": other["pages"], "extract_method": other["extract_method"], "warnings": other["warnings"]}, text)
        catalog.append_event(conn, "attach", row["id"], {
            "filename": other["filename"], "sha256": other["sha256"], "seq": seq, "role": role, "by": "person",
            "reason": reason, "from_record": other["id"], "pages": other["pages"]})
        # the closed record is no longer found by its 发文字号 (the 件 it joined is)
        catalog.set_doc_number_keys(conn, other["id"], None)
        # its file is the 件's now (destroyed with it); a scan's searchable PDF, derived, goes
        catalog.update_record(conn, other["id"], {
            "status": "excluded", "indexed": 0, "stored_path": None, "searchable_path": None,
            "reason": f"其文件已并入{_ref(row)}（作为{role}，第 {seq} 个文件）"})
        catalog.append_event(conn, "attached-to", other["id"], {
            "to_record": row["id"], "seq": seq, "role": role, "reason": reason,
            "stored_path": other["stored_path"], "searchable_path": other["searchable_path"]})
        tx.queue_index(row["id"])
        tx.queue_index(other["id"])
    if other["searchable_path"]:
        with arc.change(transaction=False):
            if other["searchable_path"] not in catalog.referenced_files(conn):
                arc.store.remove(other["searchable_path"])
    return catalog.record(catalog.get_record(conn, row["id"]))


def _which(arc: Archive, row, which: str):
    """A further file of ``row`` by its seq (archive show lists them) or its file name."""
    files = catalog.further_files(arc.conn, row["id"])
    w = which.strip()
    hit = [f for f in files if str(f["seq"]) == w or f["filename"] == w or f["sha256"] == w.lower()]
    if len(hit) == 1:
        return hit[0]
    if w in ("1", row["filename"] or "\0"):
        raise AttachError(f"第 1 个文件是 {_ref(row)} 自己的文件（正本），不能拆出")
    listing = "；".join(f"{f['seq']} {f['role']} {f['filename']}" for f in files) or "无"
    raise AttachError(f"{_ref(row)} 没有文件 “{which}”（可拆出的文件：{listing}）")


def detach(arc: Archive, row, which: str, reason: str, keep: bool = False) -> dict:
    """Take a further file off ``row``. It becomes its own 待定 record (returned under ``new``), or with
    ``keep`` stays stored and listed on ``row`` as taken off. Returns {"record", "new"}."""
    if not reason or not reason.strip():
        raise AttachError("请用 --reason 说明拆出的原因（记入事件日志）")
    f = _which(arc, row, which)
    if not f["stored_path"]:
        raise AttachError(f"{_ref(row)} 的文件 {f['filename']} 已随销毁删除，无可拆出")
    conn = arc.conn
    new = None
    shell = catalog.by_sha256(conn, f["sha256"])
    if not keep and shell is not None:  # a 待定 record once closed into this one (_absorb): opened again
        return _reopen(arc, row, f, shell, reason.strip())
    if not keep:
        ex = _read_stored(arc, f)
        from archive import gongwen
        from archive.pipeline import Prepared, commit_record

        from archive.classify import classify

        fields = gongwen.parse(ex.text)
        rule = classify(fields, ex.text, ex.pages, arc.cfg)  # the table's verdict, kept as the suggestion
        cls = Classification(status="pending", retention=rule.retention, org=rule.org, rule_id=rule.rule_id,
                             basis=rule.basis, relation=rule.relation,
                             reason=f"从{_ref(row)}拆出（{reason.strip()}）：请确认归档或并入其他件")
    with arc.change(reason=reason) as tx:
        _still_attached(arc, row, f)
        if not keep:
            split = Prepared(arc.store.abspath(f["stored_path"]), f["sha256"], f["size"], ex, fields, cls, None, False)
            new = commit_record(arc, split, f["stored_path"], tx=False, filename=f["filename"],
                                action="detached-from", detail={"from_record": row["id"], "seq": f["seq"],
                                                                "role": f["role"], "reason": reason.strip()})
            catalog.update_record(conn, new["id"], {"source_path": f["source_path"]})
        catalog.detach_file(conn, row["id"], f["seq"], new["id"] if new else None)
        catalog.append_event(conn, "detach", row["id"], {
            "filename": f["filename"], "sha256": f["sha256"], "seq": f["seq"], "role": f["role"],
            "reason": reason.strip(), "to_record": new["id"] if new else None, "kept": keep})
        tx.queue_index(row["id"])
        if new:
            tx.queue_index(new["id"])
    rec = catalog.record(catalog.get_record(conn, row["id"]))
    return {"record": rec, "new": new}


def _still_attached(arc: Archive, row, f) -> None:
    """Under the lock: the file is still one of the record's (not taken off by another clerk meanwhile)."""
    _still_open(arc, row)
    if not any(g["seq"] == f["seq"] and g["sha256"] == f["sha256"] for g in catalog.further_files(arc.conn, row["id"])):
        raise AttachError(f"{_ref(row)} 的文件 {f['filename']} 已被另一操作拆出，未作更改")


def _reopen(arc: Archive, row, f, shell, reason: str) -> dict:
    from archive import docno

    conn = arc.conn
    with arc.change(reason=reason) as tx:
        _still_attached(arc, row, f)
        catalog.update_record(conn, shell["id"], {
            "status": "pending", "indexed": 0, "stored_path": f["stored_path"],
            "reason": f"从{_ref(row)}拆出（{reason}）：请确认归档或并入其他件"})
        dn = docno.parse(shell["doc_number_raw"] or "") if shell["doc_number_raw"] else None
        catalog.set_doc_number_keys(conn, shell["id"], dn)
        catalog.append_event(conn, "detached-from", shell["id"], {
            "from_record": row["id"], "seq": f["seq"], "role": f["role"], "reason": reason})
        catalog.detach_file(conn, row["id"], f["seq"], shell["id"])
        catalog.append_event(conn, "detach", row["id"], {
            "filename": f["filename"], "sha256": f["sha256"], "seq": f["seq"], "role": f["role"],
            "reason": reason, "to_record": shell["id"], "kept": False})
        tx.queue_index(row["id"])
        tx.queue_index(shell["id"])
    return {"record": catalog.record(catalog.get_record(conn, row["id"])),
            "new": catalog.record(catalog.get_record(conn, shell["id"]))}


def _read_stored(arc: Archive, f) -> Extracted:
    """The text of a stored file, read again like ingest; an unreadable one still becomes a record (its
    text empty, a warning on it)."""
    try:
        return arc.worker.extract(arc.store.abspath(f["stored_path"]))
    except StopRequested:
        raise
    except ExtractionError as e:
        return Extracted(f["media_type"] or "unknown", "", f["pages"] or 0, method=f["extract_method"] or "text-layer",
                         warnings=[f"无法提取文本：{e}"])


def files(conn, row) -> list[dict]:
    """A record's files with their roles, for show: its own (正本) first, then the further ones, and those
    taken off it (where they went)."""
    out = []
    if row["sha256"]:
        out.append({"seq": 1, "role": "正本", "filename": row["filename"], "media_type": row["media_type"],
                    "pages": row["pages"] if not catalog.further_files(conn, row["id"]) else None,
                    "sha256": row["sha256"], "stored": bool(row["stored_path"]), "detached_to": None,
                    "detached": False})
    for f in catalog.further_files(conn, row["id"], detached=True):
        out.append({"seq": f["seq"], "role": f["role"], "filename": f["filename"], "media_type": f["media_type"],
                    "pages": f["pages"], "sha256": f["sha256"], "stored": bool(f["stored_path"]),
                    "detached": f["detached_at"] is not None, "detached_to": f["detached_to"]})
    return out
