"""Transfer package (移交包) of one 年度 as a BagIt bag, and its re-import.

    data/files/<档号>.<ext>       the stored files, named by 档号
    data/records/<档号>.json      one record per document, valid against schemas/record.schema.json
    data/records/<档号>.xml       the same record in XML
    data/text/<档号>.txt          the extracted text (re-import does not extract again)
    data/归档文件目录.xlsx/.csv    the catalogue
    manifest-sha256.txt, bag-info.txt, tagmanifest-sha256.txt   (the ``bagit`` library)

Re-importing a package into an empty archive reproduces the same records (archive.importing keeps 档号).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import bagit
import jsonschema

from archive import archival_code, catalog, display, intake, schema
from archive.catalog import exports, imports, process
from archive.atomic import atomic_dir
from archive.bounds import clean_text
from archive.config import SCHEMA_DIR
from archive.errors import ExportError, PackageError, StopRequested, bagit_reason, schema_problem
from archive.export import catalogue
from archive.importing import (META_COLUMNS, ImportedFile, ImportRecordError, SecretRecordError, check_meta,
                               import_record)
from archive.interrupt import flush_after_stop, stopped
from archive.session import Archive
from archive.store import EXTENSIONS, sha256_file

# bagit logs each bad file in English on stderr (Python's last-resort handler); read_package says it in Chinese
logging.getLogger("bagit").addHandler(logging.NullHandler())


# a package record: the JSON record, then every other column an import may set again (schema.COLUMNS)
EXTRA_KEYS = tuple(k for k in schema.IMPORTABLE if k not in schema.RECORD_KEYS)
XML_NS = "urn:wenshu-archive:record:1"


@lru_cache(maxsize=1)
def record_validator() -> jsonschema.Draft202012Validator:
    with open(SCHEMA_DIR / "record.schema.json", encoding="utf-8") as f:
        return jsonschema.Draft202012Validator(json.load(f))


@dataclass
class PackageSummary:
    path: Path
    records: int
    files: int
    bytes: int


def package_record(row, file_rel: str | None, text_rel: str) -> dict:
    return {**catalog.record(row), **{k: row[k] for k in EXTRA_KEYS}, "file": file_rel, "text": text_rel}


def record_xml(rec: dict) -> bytes:
    root = ET.Element("record", xmlns=XML_NS)
    for k, v in rec.items():
        el = ET.SubElement(root, k)
        if isinstance(v, list):  # files: one <file> element each (one 件, several files)
            for item in v:
                sub = ET.SubElement(el, "step" if k == "process" else "file")
                for kk, vv in item.items():
                    ET.SubElement(sub, kk).text = None if vv is None else clean_text(str(vv))
            continue
        if v is None:
            el.set("null", "true")
        else:
            el.text = clean_text(str(v), keep_breaks=True)  # XML 1.0 cannot hold control characters
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def export_package(arc: Archive, year: int, out: Path, progress=None, *, only: set[int] | None = None,
                   files_dir: str = "files", extra=None, info: dict | None = None) -> PackageSummary:
    """Write the bag for ``year`` at ``out`` (a new or empty folder). A 移交 (archive/transfer.py) names the
    records (``only``, ids), the folder of the files inside data/ (``files_dir``), writes its own lists
    (``extra(stage, rows)``, before the bag is made) and adds to bag-info.txt (``info``)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"输出文件夹 {out} 已存在且不为空：请指定一个新的文件夹")
    conn = arc.conn
    rows = [r for r in exports.archived_records(conn)
            if (c := archival_code.parse(r["archival_code"])) and c.year == year
            and (only is None or r["id"] in only)]
    if not rows:
        raise ExportError(f"{year} 年度没有已归档的记录，无法生成移交包")
    texts = exports.texts(conn, [r["id"] for r in rows])
    # built in a hidden folder of our own beside the output (never a user's "X.part"), renamed when whole
    with atomic_dir(out, error=ExportError, message="无法写入移交包 {path}：{reason}（请检查磁盘空间和权限）") as stage:
        for sub in (files_dir, "records", "text"):
            (stage / sub).mkdir(parents=True)
        nfiles = 0
        for i, r in enumerate(rows):
            code = r["archival_code"]
            file_rel = None
            if r["stored_path"]:
                src = arc.store.abspath(r["stored_path"])
                if not src.is_file():
                    raise ExportError(f"{code} 的存储文件 {r['stored_path']} 缺失：请先运行 archive verify 检查")
                file_rel = f"{files_dir}/{code}{EXTENSIONS.get(r['media_type'], '') or Path(r['filename'] or '').suffix}"
                shutil.copyfile(src, stage / file_rel)
                nfiles += 1
            text_rel = f"text/{code}.txt"
            (stage / text_rel).write_text(texts.get(r["id"], ""), encoding="utf-8")
            rec = package_record(r, file_rel, text_rel)
            further = _further_files(arc, r, code, stage, files_dir)  # one 件, several files: each with its role
            if further:
                rec["files"] = further
                nfiles += len(further)
            steps = process.steps_of(conn, r["id"])  # the 办理过程 of an OA 归档信息包 (archive/oa_package.py)
            if steps:
                rec["process"] = steps
            errors = sorted(record_validator().iter_errors(rec), key=lambda e: e.path)
            if errors:
                raise ExportError(f"{code} 的记录不符合 record.schema.json：{schema_problem(errors[0])}")
            (stage / "records" / f"{code}.json").write_text(json.dumps(rec, ensure_ascii=False, indent=2) + "\n",
                                                           encoding="utf-8")
            (stage / "records" / f"{code}.xml").write_bytes(record_xml(rec))
            if progress:
                progress(i + 1, len(rows))
        head = catalog.chain_head(conn)
        sheets = catalogue.catalogue_sheets(conn, arc.cfg, year)
        catalogue.write(sheets, stage / "归档文件目录.xlsx")
        catalogue.write(sheets, stage / "归档文件目录.csv")
        if extra is not None:
            extra(stage, rows)
        bagit.make_bag(str(stage), {
            **(info or {}),
            "Source-Organization": arc.cfg.agency_name,
            "External-Identifier": f"{arc.cfg.fonds}-WS·{year}",
            "External-Description": f"{arc.cfg.agency_name} {year} 年度文书档案移交包（{len(rows)} 件）",
            "Bag-Group-Identifier": arc.cfg.fonds,
            "Record-Count": str(len(rows)),
            # the event log's head, for the 档案馆 to keep: archive verify --anchor checks it later
            "Archive-Chain-Head": f"{head['hash']}@{head['count']}" if head["hash"] else "",
            "Archive-Chain-Head-Time": head["ts"] or "",
            "Bagging-Date": display.today(arc.cfg.tz).isoformat(),  # the agency's day, not the machine's (bagit's)
        }, processes=1, checksums=["sha256"])
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return PackageSummary(out, len(rows), nfiles, size)


def _further_files(arc: Archive, r, code: str, stage: Path, files_dir: str = "files") -> list[dict]:
    """Copy a record's further files (not those taken off it) into the bag as files/<档号>-<seq>.<ext>."""
    out = []
    for f in catalog.further_files(arc.conn, r["id"]):
        if not f["stored_path"]:
            continue
        src = arc.store.abspath(f["stored_path"])
        if not src.is_file():
            raise ExportError(f"{code} 的第 {f['seq']} 个文件 {f['stored_path']} 缺失：请先运行 archive verify 检查")
        rel = f"{files_dir}/{code}-{f['seq']}{EXTENSIONS.get(f['media_type'], '') or Path(f['filename'] or '').suffix}"
        shutil.copyfile(src, stage / rel)
        out.append({"seq": f["seq"], "role": f["role"], "filename": f["filename"], "sha256": f["sha256"],
                    "media_type": f["media_type"], "pages": f["pages"], "file": rel})
    return out


def _import_further(arc: Archive, doc_id: int, rec: dict, data: Path, source: dict, refused: list | None) -> None:
    """A package record's further files, attached again with their roles (the record's text and 页数 already
    include them). Each passes the 涉密 gate like any imported file."""
    from archive.importing import gate_file, read_file

    conn = arc.conn
    for f in rec.get("files") or []:
        if catalog.owner_of(conn, f["sha256"]) is not None:  # already attached (a resumed import)
            continue
        path = data / f["file"]
        got = read_file(arc, path)
        try:
            gate_file(arc, path, got, source, f["sha256"], route="import package")
        except SecretRecordError as e:
            if refused is not None:
                refused.append((f["file"], str(e)))
            continue
        with intake.stored(arc, path, f["sha256"], got.media_type, "attach", "导入移交包：附加文件") as (tx, rel):
            seq = catalog.attach_file(tx.conn, doc_id, f["role"], {
                "sha256": f["sha256"], "filename": f.get("filename") or path.name, "source_path": None,
                "stored_path": rel, "media_type": got.media_type, "size": path.stat().st_size,
                "pages": got.pages, "extract_method": got.method,
                "warnings": json.dumps(got.warnings, ensure_ascii=False) if got.warnings else None},
                None, count_pages=False)
            catalog.append_event(tx.conn, "attach", doc_id, {**source, "seq": seq, "role": f["role"],
                                                             "sha256": f["sha256"], "filename": f.get("filename")})
    steps = rec.get("process") or []  # the 办理过程 of an OA 归档信息包, stored again once (archive/oa_package.py)
    if steps and not process.steps_of(conn, doc_id):
        with arc.change(catalog.actor(), "导入移交包：办理过程") as tx:
            process.add_steps(tx.conn, doc_id, [{k: s.get(k) for k in process.FIELDS} for s in steps],
                              steps[0].get("source") or source["package"])


MIN_TITLE = 6  # a 题名 shorter than this is too common to name one document (archive/grouping.py's bound)


def title_key(title: str | None) -> str:
    """A 题名 as the duplicate checks compare it (verify's 重复题名 and 重复文号, import package's warning): every
    whitespace character taken out (spaces, the full-width 　, line breaks, tabs, no-break spaces)."""
    return "".join((title or "").split())

# the DA/T 70 items an import reports (verify.ITEMS names them too), each 通过 / 不通过 / 未检测 / 提示
PASSED, FAILED, NOT_RUN, WARNED = "通过", "不通过", "未检测", "提示"


def _check(checks: list | None, item: str, result: str, detail: str) -> None:
    if checks is not None:
        checks.append({"item": item, "result": result, "detail": detail})


def read_package(path: Path, checks: list | None = None) -> list[tuple[str, dict]]:
    """Validate the bag, every record, the package's structure and its declared counts; (record file name,
    record) in 档号 order. Writes nothing. ``checks`` (a list) receives one entry per DA/T 70 item checked."""
    try:
        bag = bagit.Bag(str(path))
        bag.validate(processes=1)
    except bagit.BagValidationError as e:
        _check(checks, "校验值", FAILED, bagit_reason(e))
        raise PackageError(f"移交包 {path} 校验失败：{bagit_reason(e)}") from None
    except bagit.BagError as e:
        _check(checks, "包结构", FAILED, bagit_reason(e))
        raise PackageError(f"{path} 不是有效的 BagIt 移交包：{bagit_reason(e)}") from None
    data = Path(path) / "data"
    out, problems = [], []
    for f in sorted((data / "records").glob("*.json")):
        try:
            rec = json.loads(f.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            problems.append(f"{f.name}：不是有效的 JSON（{e}）")
            continue
        for err in record_validator().iter_errors(rec):
            problems.append(f"{f.name}：{schema_problem(err)}")
        for key in ("file", "text"):
            rel = rec.get(key) if isinstance(rec, dict) else None
            if rel and not (data / rel).resolve().is_relative_to(data.resolve()):
                problems.append(f"{f.name}：{key} 指向移交包之外（{rel}）")
            elif rel and (data / rel).is_symlink():  # never followed
                problems.append(f"{f.name}：{rel} 是符号链接，不会被跟随读取")
            elif rel and not (data / rel).is_file():
                problems.append(f"{f.name}：缺少 {rel}")
            elif rel and key == "file" and rec.get("sha256") and sha256_file(data / rel) != rec["sha256"]:
                problems.append(f"{f.name}：{rel} 的校验值与记录不符")
        for extra in (rec.get("files") or []) if isinstance(rec, dict) else []:
            rel = extra.get("file") if isinstance(extra, dict) else None
            if not rel or not (data / rel).resolve().is_relative_to(data.resolve()) or (data / rel).is_symlink() \
                    or not (data / rel).is_file():
                problems.append(f"{f.name}：附加文件 {rel} 缺失或不在移交包内")
            elif sha256_file(data / rel) != extra.get("sha256"):
                problems.append(f"{f.name}：{rel} 的校验值与记录不符")
        out.append((f.name, rec))
    if not out and not problems:
        problems.append("data/records/ 中没有记录")
    _check(checks, "校验值", FAILED if any("校验值" in p for p in problems) else PASSED,
           f"清单 manifest-sha256.txt 与每件记录的 SHA-256 核对 {len(list(bag.payload_entries()))} 个文件")
    structure, counts = _structure(data, out), _counts(bag, data, out)
    _check(checks, "包结构", FAILED if structure else PASSED, "；".join(structure[:10]) or
           "BagIt 结构完整；每件记录有 JSON 与 XML 元数据；没有记录以外的文件")
    _check(checks, "数量", FAILED if counts else PASSED, "；".join(counts[:10]) or _declared(bag, data, out))
    problems += structure + counts
    if problems:
        raise PackageError(f"移交包 {path} 有 {len(problems)} 处问题，未导入任何记录：" + "；".join(problems[:10]))
    if checks is not None:
        for warning in _page_counts(data, out):
            _check(checks, "数量", WARNED, warning)
    return out


# what a package's payload holds besides its records' own files and texts: the catalogue (export_package) and
# a 移交's lists (archive/transfer.py: 说明文件, 文件目录, and the folder 其他)
PACKAGE_LISTS = ("归档文件目录.xlsx", "归档文件目录.csv", "说明文件.txt", "文件目录.xml")
LIST_FOLDER = "其他"


def _named_files(rec: dict) -> list[str]:
    out = [rec.get(k) for k in ("file", "text")]
    out += [f.get("file") for f in (rec.get("files") or []) if isinstance(f, dict)]
    return [x for x in out if isinstance(x, str) and x]


def _structure(data: Path, records: list[tuple[str, dict]]) -> list[str]:
    """Every payload file is a record's (its file, text, further files), its metadata (JSON and XML, in pairs)
    or one of the package's lists: a file no record names is an extra file the manifest may well list."""
    problems = []
    jsons = {n[:-5] for n, _ in records}
    xmls = {p.name[:-4] for p in (data / "records").glob("*.xml")}
    problems += [f"records/{n}.json 没有对应的 XML 元数据" for n in sorted(jsons - xmls)]
    problems += [f"records/{n}.xml 没有对应的 JSON 元数据" for n in sorted(xmls - jsons)]
    named = {rel for _, rec in records if isinstance(rec, dict) for rel in _named_files(rec)}
    entries = []
    for folder, dirs, files in os.walk(data):  # never into a symlinked folder (it may be the whole disk)
        entries += [Path(folder) / n for n in files] + [Path(folder) / n for n in dirs if (Path(folder) / n).is_symlink()]
    for p in sorted(entries):
        rel = p.relative_to(data).as_posix()
        top = rel.split("/", 1)[0]
        if p.is_symlink():
            problems.append(f"{rel} 是符号链接，不会被跟随读取")
        elif not (rel in named or rel in PACKAGE_LISTS or top == LIST_FOLDER or (
                top == "records" and rel.count("/") == 1 and (rel.endswith(".json") or rel.endswith(".xml")))):
            problems.append(f"{rel} 不属于任何记录（多余的文件）")
    return problems


def _counts(bag, data: Path, records: list[tuple[str, dict]]) -> list[str]:
    """The counts the package declares against what it holds: bag-info's Record-Count (件数) and the records;
    a 移交's 文件目录.xml (one <文件> per 件) and its 电子档案名称 against the records' files. (Payload-Oxum, the
    bytes and files of the manifest, is bagit's own check.)"""
    problems = []
    declared = bag.info.get("Record-Count")
    if isinstance(declared, list):
        problems.append("bag-info.txt 中 Record-Count（件数）出现不止一次")
    elif declared is None:
        problems.append("bag-info.txt 未声明 Record-Count（件数）")
    elif not str(declared).strip().isdigit() or int(declared) != len(records):
        problems.append(f"bag-info.txt 声明 {declared} 件，移交包中有 {len(records)} 件记录")
    cat = data / "文件目录.xml"
    if cat.is_file() and not cat.is_symlink():
        import xml.etree.ElementTree as ETree

        try:
            entries = [(f.findtext("档号") or "", f.findtext("电子档案名称") or "") for f in ETree.parse(cat).getroot()]
        except ETree.ParseError as e:
            return problems + [f"文件目录.xml 无法解析（{e}）"]
        files = {rec.get("archival_code"): rec.get("file") or "" for _, rec in records if isinstance(rec, dict)}
        if len(entries) != len(records):
            problems.append(f"文件目录.xml 列有 {len(entries)} 件，移交包中有 {len(records)} 件记录")
        listed = {code for code, _ in entries}
        problems += [f"文件目录.xml 中的 {code} 没有记录" for code in sorted(listed - set(files))]
        problems += [f"{code} 不在文件目录.xml 中" for code in sorted(set(files) - listed) if code]
        problems += [f"文件目录.xml 中 {code} 的电子档案名称为 {name}，记录中为 {files[code]}"
                     for code, name in entries if code in files and name != files[code]]
    return problems


def _declared(bag, data: Path, records: list[tuple[str, dict]]) -> str:
    recs = [r for _, r in records if isinstance(r, dict)]
    nfiles = sum(len([x for x in _named_files(r) if x != r.get("text")]) for r in recs)
    pages = sum(r.get("pages") or 0 for r in recs if isinstance(r.get("pages"), int))
    return (f"声明 {bag.info.get('Record-Count')} 件，实有 {len(records)} 件；电子文件 {nfiles} 个；页数合计 {pages}；"
            f"清单列有 {len(list(bag.payload_entries()))} 个文件")


def _page_counts(data: Path, records: list[tuple[str, dict]]) -> list[str]:
    """A PDF record of one file whose 页数 is not its page count: a warning (页数 may have been corrected by a
    person, archive edit), not a refusal."""
    from pypdf import PdfReader

    out = []
    for name, rec in records:
        if rec.get("media_type") != "pdf" or rec.get("files") or not rec.get("file") or not rec.get("pages"):
            continue
        try:
            n = len(PdfReader(str(data / rec["file"])).pages)
        except Exception:  # a damaged PDF: said by the import itself (it is read there)
            continue
        if n != rec["pages"]:
            out.append(f"{name}：页数著录为 {rec['pages']}，文件有 {n} 页")
    return out


def scan_package(arc: Archive, data: Path, records: list[tuple[str, dict]], checks: list | None = None) -> None:
    """病毒: every file the records name scanned before anything is stored (archive/virus.py). A signature
    found or a scan that did not finish refuses the whole package (PackageError, with the list); no scanner on
    this machine: the import goes on, and its report says the check was not run."""
    from archive import virus

    rels = sorted({rel for _, rec in records for rel in _named_files(rec)})
    sc, verdicts = virus.scan_files(arc.cfg.virus, [data / rel for rel in rels])
    if verdicts is None:
        _check(checks, "病毒", NOT_RUN, virus.not_run_line(sc))
        return
    bad = [v.line(rel) for rel, v in zip(rels, verdicts) if v.kind != "clean"]
    _check(checks, "病毒", FAILED if bad else PASSED,
           "；".join(bad[:10]) or f"用 {sc.name} 扫描了 {len(rels)} 个文件，未检出病毒")
    if bad:
        raise PackageError(f"移交包中有 {len(bad)} 个文件未通过病毒检测，未导入任何记录：" + "；".join(bad[:10]))


def package_duplicates(conn, records: list[tuple[str, dict]]) -> list[str]:
    """Records of the package that share a 发文字号 (canonical) with each other or with a record already here,
    and, without one, a 题名 and 成文日期: warnings in the import report (the records keep their 档号)."""
    out, seen_no, seen_title = [], {}, {}
    for name, rec in records:
        number, date = rec.get("doc_number"), rec.get("date")
        title = title_key(rec.get("title"))
        if number:
            here = [r["archival_code"] or f"记录 {r['id']}" for r in catalog.live_by_doc_number(conn, number)]
            if number in seen_no:
                here.append(seen_no[number])
            seen_no.setdefault(number, name)
            if here:
                out.append(f"{name}：发文字号 {number} 与 {'、'.join(here[:5])} 相同")
        elif len(title) >= MIN_TITLE and date:
            here = [r["archival_code"] or f"记录 {r['id']}" for r in catalog.live_by_flat_title(conn, title, unnumbered=True)
                    if r["date"] == date]
            if (title, date) in seen_title:
                here.append(seen_title[(title, date)])
            seen_title.setdefault((title, date), name)
            if here:
                out.append(f"{name}：题名与成文日期 {date} 与 {'、'.join(here[:5])} 相同")
    return out


def import_package(arc: Archive, path: Path, progress=None, refused: list | None = None,
                   checks: list | None = None) -> list[dict]:
    """Import every record of a package, all or nothing as far as conflicts go: every 档号 and file is
    checked against the catalog first. A record marked 秘密/机密/绝密 (its 密级, its file's own text or the
    text the package carries) is refused like ingest refuses it, never stored or indexed, and listed in
    ``refused`` (record file name, reason).

    Restartable: the import is listed in ``import_journal`` before the first record is written, and each
    record is one transaction whose event names the package and the record. A run killed half-way is
    resumed by running the same command again: the records this package already brought in are
    recognised (not conflicts) and skipped, the rest imported, the index completed."""
    path = Path(path)
    records = read_package(path, checks)
    source = str(path.resolve())
    data = path / "data"
    scan_package(arc, data, records, checks)
    reviews = _read_reviews(data)  # a 移交包's 开放审核, checked before anything is imported
    for _ in arc.reconcile():  # finish what a crash left (index of records committed but not indexed)
        pass
    conn = arc.conn
    journal = imports.open_journal(conn, "package", source)
    done_names = _imported_from(conn, source) if journal else {}
    conflicts = []
    for name, rec in records:
        if name in done_names:
            continue
        if rec.get("archival_code") and imports.code_in_use(conn, rec["archival_code"]):
            conflicts.append(f"档号 {rec['archival_code']} 已在库中")
        if rec.get("sha256") and catalog.owner_of(conn, rec["sha256"]) is not None:
            conflicts.append(f"{name} 的文件已在库中")
        for extra in rec.get("files") or []:
            if catalog.owner_of(conn, extra["sha256"]) is not None:
                conflicts.append(f"{name} 的附加文件 {extra.get('filename')} 已在库中")
        try:  # values checked before anything is written: 年度, 页数, 件号, dates
            check_meta({k: rec.get(k) for k in META_COLUMNS if rec.get(k) is not None})
        except ImportRecordError as e:
            conflicts.append(f"{name}：{e}")
    if conflicts:
        raise PackageError(f"移交包有问题或与本库冲突，未导入任何记录：{'；'.join(conflicts[:10])}")
    twins = package_duplicates(conn, [(n, r) for n, r in records if n not in done_names])
    _check(checks, "重复", WARNED if twins else PASSED, "；".join(twins[:20]) + (f"；另有 {len(twins) - 20} 处"
           if len(twins) > 20 else "") if twins else "发文字号、题名与成文日期与库中记录及包内其他记录均不重复")
    if journal is None:
        with arc.change(catalog.actor(), "导入移交包") as tx:
            journal_id = imports.start_journal(tx.conn, "package", source, catalog.now(), len(records))
    else:
        journal_id = journal["id"]
    done = [catalog.record(catalog.get_record(conn, doc_id)) for doc_id in done_names.values()]
    for i, (name, rec) in enumerate(records):
        if stopped(arc):  # Ctrl+C / SIGTERM: the journal stays open; the same command finishes the import
            break
        if name not in done_names:
            meta = {k: rec.get(k) for k in META_COLUMNS if rec.get(k) is not None}
            file = None
            if rec.get("file"):
                text = (data / rec["text"]).read_text(encoding="utf-8") if rec.get("text") else None
                file = ImportedFile(data / rec["file"], text=text, name=rec.get("filename"))
            try:
                done.append(import_record(arc, meta, file, source={"package": source, "record": name}))
                _import_further(arc, done[-1]["id"], rec, data, {"package": source, "record": name}, refused)
                with arc.change(catalog.actor(), "导入移交包") as tx:
                    imports.journal_step(tx.conn, journal_id)
            except SecretRecordError as e:
                if refused is not None:
                    refused.append((name, str(e)))
            except StopRequested:  # stopped while waiting for another writer: this record is not in
                break
        elif rec.get("files") or rec.get("process"):  # an interrupted run: its further files may be missing
            _import_further(arc, done_names[name], rec, data, {"package": source, "record": name}, refused)
        if progress:
            progress(i + 1, len(records))
    flush_after_stop(arc)
    if stopped(arc):
        return done
    with arc.change(catalog.actor(), "导入移交包") as tx:
        imports.finish_journal(tx.conn, journal_id, catalog.now(), len(done))
    if reviews:
        from archive.transfer import import_reviews

        import_reviews(arc, reviews, done, source)
    return done


def _read_reviews(data: Path) -> dict:
    """A 移交 package's 开放审核 (data/其他/开放审核.json, archive/transfer.py), or nothing."""
    path = data / "其他" / "开放审核.json"
    if not (path.exists() or path.is_symlink()):
        return {}
    from archive.transfer import read_reviews

    return read_reviews(path)


def _imported_from(conn, source: str) -> dict[str, int]:
    """Record name -> document id of the records an earlier (interrupted) run imported from this package."""
    out = {}
    for doc_id, detail in imports.import_events_naming(conn, source):
        try:
            d = json.loads(detail)
        except ValueError:
            continue
        if d.get("package") == source and d.get("record"):
            out[d["record"]] = doc_id
    return out
