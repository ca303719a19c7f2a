"""``archive recover``: a new catalog rebuilt from the store, when the catalog is lost or unreadable.

The store's files are the evidence that survives: each is named by its own SHA-256 and its type, so
each becomes a record again, read through the normal extraction (isolated worker) and 公文 parser.
Whatever the damaged catalog still gives (rows that open, and the event log's sealed digests) is used
to name the file and to say what the record was; a row is trusted only when its digest matches the
last one the event log sealed for it. Every rebuilt record is pending (待定) with a reason, so a clerk
confirms each 档号 again (``archive review`` / ``confirm``): nothing is archived on a guess.

Nothing is deleted: the damaged catalog (and its -wal/-shm) is moved aside under a dated name and
kept; the new catalog is built under a temporary name and renamed into place only when complete, so
a kill -9 during recover leaves the store and the kept catalog as they were and recover can run again.
A readable catalog is never replaced.

The paper originals (有/无) and boxes a clerk registered are not in the stored files: they are put back from the
store's journal (archive/paper_journal.py) onto the rebuilt records, which stay 待定; the summary says how many
were put back and how many could not be (record not rebuilt, entry not known to have committed, line unreadable).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from archive import catalog, gongwen, paper_journal, pipeline, secrecy
from archive.classify import classify
from archive.config import Config
from archive.errors import ExtractionError, StoreError
from archive.faults import fault
from archive.models import Classification, Extracted
from archive.session import Archive
from archive.store import EXTENSIONS, sha256_file

_MEDIA_OF_SUFFIX = {v: k for k, v in EXTENSIONS.items()}
REASON = "由 archive recover 从存储文件重建（原目录数据库丢失或损坏），请核对著录项后确认"


@dataclass
class RecoverSummary:
    catalog: Path
    kept_aside: list[Path] = field(default_factory=list)
    records: int = 0
    from_old_catalog: int = 0  # rows read back from the damaged catalog and matching its sealed digest
    unreadable: int = 0  # stored files whose text could not be extracted (kept, recorded, flagged)
    mismatched: list[str] = field(default_factory=list)  # stored files whose content is not their name
    secret: list[dict] = field(default_factory=list)  # stored files the 涉密 gate finds marked: no record, an incident
    doubtful: list[str] = field(default_factory=list)  # stored files the gate is unsure of: 待定, for the 保密员
    # paper originals and boxes put back from the store's journal (archive/paper_journal.py)
    registrations: paper_journal.Restored = field(default_factory=paper_journal.Restored)
    journal_error: str | None = None  # the journal could not be read: nothing of it restored

    def to_json(self) -> dict:
        return {"catalog": str(self.catalog), "kept_aside": [str(p) for p in self.kept_aside],
                "records": self.records, "from_old_catalog": self.from_old_catalog,
                "unreadable": self.unreadable, "mismatched": self.mismatched,
                "secret": self.secret, "doubtful": self.doubtful,
                "registrations": self.registrations.to_json(), "journal_error": self.journal_error}

    def registrations_said(self) -> list[str]:
        """What the clerk is told of the paper and box registrations (Chinese lines)."""
        r = self.registrations
        if self.journal_error:
            return [f"注意：{self.journal_error}：纸质原件和装盒登记未能恢复，请重新登记（archive arrange paper / box）"]
        lines = []
        if r.paper or r.boxes:
            lines.append(f"已从登记日志恢复纸质原件登记 {r.paper} 条、档案盒 {r.boxes} 个（盒内 {r.boxed} 件）")
        lost = []
        if r.paper_lost:
            lost.append(f"{r.paper_lost} 条纸质原件登记")
        if r.boxes_lost:
            lost.append(f"{r.boxes_lost} 个档案盒（盒内记录均未重建）")
        if r.boxed_lost:
            lost.append(f"{r.boxed_lost} 件的装盒登记")
        if lost:
            lines.append(f"注意：{'、'.join(lost)}的记录未能重建，无法恢复，请核对实体档案")
        if r.unconfirmed:
            lines.append(f"注意：登记日志中有 {r.unconfirmed} 次登记因程序中断无法确认是否完成，未恢复，请核对后重新登记")
        if r.damaged:
            lines.append(f"注意：登记日志中有 {r.damaged} 处内容无法读取，未恢复")
        return lines


def _readable(path: Path) -> bool:
    """True when ``path`` is a catalog that opens and holds records (recover must not replace it)."""
    return catalog.probe(path) == "ok" and catalog.holds_records(path)


def _salvage(path: Path) -> tuple[dict[str, dict], dict[int, str]]:
    """Rows (by sha256) and last sealed digests (by document id) that can still be read from a damaged
    catalog; empty when nothing can. Opened read-only: the kept file is never changed."""
    if catalog.probe(path) != "ok":
        return {}, {}
    return catalog.salvage(path)


def _aside(path: Path) -> list[Path]:
    """Move the damaged catalog and its WAL/SHM beside it under a dated name; returns the new names."""
    stamp = catalog.now().replace(":", "").replace("+", "_")[:17]
    kept = []
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(path) + suffix)
        if os.path.lexists(p):
            dest = path.with_name(f"catalog.damaged-{stamp}.sqlite{suffix}")
            n = 2
            while os.path.lexists(dest):
                dest = path.with_name(f"catalog.damaged-{stamp}-{n}.sqlite{suffix}")
                n += 1
            os.rename(p, dest)
            kept.append(dest)
    return kept


def recover(cfg: Config, progress=None) -> RecoverSummary:
    """Rebuild ``cfg``'s catalog from its store (see module docstring)."""
    path = cfg.store / "catalog.sqlite"
    # one fixed name, under the write lock: a recover killed half-way leaves it, the next one starts over
    tmp = path.with_name(".catalog.recovering.sqlite")
    arc = Archive(cfg, rebuild=tmp)  # a handle on the new catalog, never on the damaged one
    if not arc.store.files.is_dir():
        raise StoreError(f"档案库 {cfg.store} 没有存储文件夹 files/：没有可以重建的内容")
    with arc.change(transaction=False):
        if _readable(path):
            raise StoreError(f"目录数据库 {path} 可以正常读取，不需要重建（recover 不会覆盖可读的目录）。"
                             "如怀疑有问题，请运行 archive verify")
        old_rows, digests = _salvage(path)  # read before the file is moved aside
        summary = RecoverSummary(catalog=path)
        for p in path.parent.glob(".catalog.recovering*"):
            p.unlink()
        try:
            files = sorted(arc.store.stored_files())
            # a scan's searchable PDF goes back to its scan when the old catalog still says whose it is
            searchable = {r["stored_path"]: r["searchable_path"] for r in old_rows.values()
                          if r.get("searchable_path") in files and r.get("stored_path") in files}
            for i, rel in enumerate(files):
                if rel not in searchable.values():
                    _rebuild_one(arc, rel, old_rows, digests, summary, searchable.get(rel))
                fault("recovering")
                if progress:
                    progress(i + 1, len(files))
            with arc.change() as tx:
                try:  # the paper originals and boxes the catalog lost, from the store's journal
                    summary.registrations = paper_journal.replay(tx.conn, paper_journal.read(arc.store.root))
                except StoreError as e:  # the records are rebuilt all the same; the clerk is told
                    summary.journal_error = str(e)
                catalog.append_event(tx.conn, "recover", None, {
                    "records": summary.records, "from_old_catalog": summary.from_old_catalog,
                    "unreadable": summary.unreadable, "mismatched": summary.mismatched,
                    "secret": [s["stored_path"] for s in summary.secret], "doubtful": summary.doubtful,
                    "registrations": summary.registrations.to_json(), "journal_error": summary.journal_error})
            catalog.checkpoint(arc.conn)
        finally:
            arc.close(index=False)  # the index is rebuilt from the new catalog once it is in place
        summary.kept_aside = _aside(path)  # only now: the new catalog is complete
        os.rename(tmp, path)
        for suffix in ("-wal", "-shm"):
            Path(str(tmp) + suffix).unlink(missing_ok=True)
        # the index belongs to the old catalog's record ids: rebuild it from the new one (still under
        # our write lock: a second flock on the same file from this process would wait for itself)
        arc.rebuilt()
        try:
            arc.reindex()
        finally:
            arc.close()
    return summary


def _rebuild_one(arc: Archive, rel: str, old_rows: dict, digests: dict, summary: RecoverSummary,
                 searchable: str | None = None) -> None:
    p = arc.store.abspath(rel)
    name_sha, _, suffix = p.name.partition(".")
    media_type = _MEDIA_OF_SUFFIX.get(f".{suffix}" if suffix else "", "image")
    actual = sha256_file(p)
    if actual != name_sha:  # damaged since it was stored: the record keeps the checksum it was stored
        summary.mismatched.append(rel)  # under, so verify goes on reporting the damage
    sha = name_sha
    size = p.stat().st_size
    warnings = []
    try:
        ex = arc.worker.extract(p)
    except ExtractionError as e:
        summary.unreadable += 1
        ex = Extracted(media_type=media_type, text="", pages=0, method=None)
        warnings.append(f"无法提取文本：{e}")
    ex.media_type = media_type  # the stored name decides: verify checks the path against it
    ex.warnings = list(ex.warnings) + warnings
    fields = gongwen.parse(ex.text)
    verdict = secrecy.gate(p, ex if not warnings else None, fields, arc.cfg.ocr)
    if verdict.kind == "mark":  # a 保密 incident: no record made for it (the file is left where it is)
        _incident(arc, rel, sha, verdict, summary)
        return
    old = old_rows.get(sha)
    try:
        trusted = old is not None and digests.get(old["id"]) == catalog.record_digest(old)
    except KeyError:  # a catalog from an older schema
        trusted = False
    kept = _keep_corrections(old, fields, ex) if trusted else []  # before classify: it reads them
    cls = classify(fields, ex.text, ex.pages, arc.cfg)
    reason = REASON
    if actual != name_sha:
        reason += "；存储文件的内容与其文件名（校验值）不符，可能已损坏"
    if old is not None:
        what = [f"原记录号 {old['id']}"]
        if old.get("archival_code"):
            what.append(f"原档号 {old['archival_code']}")
        what.append(f"原状态 {old.get('status')}")
        reason += "；原目录中可读到：" + "，".join(what) + ("（与事件日志的封存摘要一致）" if trusted
                                                       else "（未能与事件日志核对）")
    if verdict.kind == "doubtful":
        summary.doubtful.append(rel)
        reason += f"；涉密检查存疑（{'；'.join(verdict.reasons[:2])}），请保密员核查后再确认"
    if cls.rule_id:
        reason += f"（规则 {cls.rule_id} 建议{'归档' if cls.status == 'archived' else '不归档' if cls.status == 'excluded' else '待定'}）"
    pending = Classification(status="pending", retention=cls.retention, org=cls.org, rule_id=cls.rule_id,
                             basis=cls.basis, relation=cls.relation, reason=reason)
    filename = (old or {}).get("filename") or p.name
    with arc.change(transaction=False):
        read = pipeline.Prepared(p, sha, size, ex, fields, pending, None, False)
        pipeline.commit_record(arc, read, rel, searchable, filename=filename, action="recover",
                               detail={"stored_path": rel, "old_id": old["id"] if old else None, "trusted": trusted,
                                       **({"corrected": kept} if kept else {})},
                               corrected=json.dumps(kept, ensure_ascii=False) if kept else None)
    summary.records += 1
    if trusted:
        summary.from_old_catalog += 1


def _incident(arc: Archive, rel: str, sha: str, verdict, summary: RecoverSummary) -> None:
    """A stored file carrying a 密级 mark: reported (a ``refused`` event, the dashboard's 保密 count, and the
    summary) instead of being made a record again. The stored file is not touched: the 保密员 handles it."""
    what = {"stored_path": rel, "sha256": sha, "level": verdict.level, "where": verdict.where,
            "evidence": verdict.evidence,
            "reason": (f"保密事件：存储中的文件 {rel} 标有密级（{verdict.level}，位于{verdict.where}：“{verdict.evidence}”），"
                       "未重建记录，请保密员按规定处理")}
    with arc.change() as tx:
        catalog.append_event(tx.conn, "refused", None, {**what, "route": "recover", "incident": "secrecy"})
    summary.secret.append(what)


def _keep_corrections(old: dict, fields, ex: Extracted) -> list[str]:
    """The fields a person had corrected on the old record (``archive edit``), put back over what the file
    reads as, so a rebuilt catalog does not undo a correction. Only from a row the event log vouches for."""
    from archive import docno, zhnum
    from archive.edit import FIELDS

    kept = []
    for name in [f for f in FIELDS if f in catalog.corrected_of(old)]:
        if name == "doc_number":
            fields.doc_number = docno.parse(old["doc_number_raw"]) if old.get("doc_number_raw") else None
        elif name == "date":
            try:
                fields.date = zhnum.parse_date(old.get("date")) if old.get("date") else None
            except ValueError:
                continue
        elif name == "pages":
            ex.pages = old.get("pages")
        else:  # title, issuer, doc_type
            setattr(fields, name, old.get(name))
        kept.append(name)
    return kept
