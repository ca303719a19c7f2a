"""Migration from older archive software: import an Excel/CSV catalogue and attach its files (全文挂接).

County agencies keep years of 文书档案 catalogued in 南大之星 and similar programs, or in Excel, with scans
named by 档号. This reads such a catalogue (columns named in Chinese or by the pinyin codes those programs
export), validates each row, finds each record's files in a folder by the 档号 in their names, and imports
through ``importing.import_record`` so 档号 and 件号 stay as people gave them. Every row and every file ends
up in the report: imported, rejected (with sheet and row), attached, or without a counterpart.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from archive import archival_code, catalog, intake, schema, zhnum
from archive.catalog import imports
from archive.atomic import atomic_file
from archive.bounds import unescape_spreadsheet_text
from archive.config import Config
from archive.errors import CatalogFileError, StopRequested, library_reason
from archive.importing import (ImportedFile, ImportRecordError, SecretRecordError, attach_file, check_meta,
                              gate_file, import_record, read_file)
from archive.interrupt import flush_after_stop, stopped
from archive.session import Archive
from archive.retention import WRITTEN as RETENTION_WRITTEN
from archive.retention import parse as parse_period
from archive.store import sha256_file

# our field -> the header names (Chinese, DA/T 22) and pinyin codes (南大之星 and similar) that mean it
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "archival_code": ("档号", "DH"),
    "fonds": ("全宗号", "全宗", "QZH"),
    "year": ("年度", "ND"),
    "retention": ("保管期限", "BGQX"),
    "org": ("机构(问题)", "机构问题", "机构", "问题", "JGWT", "JG"),
    "item_no": ("件号", "JH"),
    "doc_number_raw": ("文号", "发文字号", "WH"),
    "issuer": ("责任者", "ZRZ"),
    "title": ("题名", "文件题名", "TM"),
    "date": ("日期", "文件日期", "成文日期", "RQ"),
    "secrecy": ("密级", "MJ"),
    "pages": ("页数", "YS"),
    "note": ("备注", "BZ"),
}
IGNORED_NAMES = ("序号", "XH")  # recognised (they help find the header row) but not imported
FIELD_LABELS = {f: schema.LABELS[f] for f in COLUMN_NAMES}  # each column's own label (schema.COLUMNS)

# 保管期限 as written: archive.retention.parse (长期/短期 and C/D are kept as written, never converted)
SECRET = ("秘密", "机密", "绝密")

# why a row is not imported: code -> label (the report counts by code)
REASONS = {
    "missing_title": "题名为空",
    "missing_code": "缺档号且无法由全宗号、年度、保管期限、件号组成",
    "bad_code": "档号不符合 DA/T 22",
    "code_mismatch": "档号与其组成字段不一致",
    "bad_retention": "保管期限无法识别",
    "bad_date": "日期无效",
    "bad_value": "数值无效",
    "secret": "涉密文件不得导入非涉密系统",
    "duplicate_code": "档号在目录中重复",
    "code_taken": "档号已在档案库中",
    "invalid": "记录无效",
}

MAX_HEADER_ROW = 10
TYPE_RANK = {".pdf": 0, ".ofd": 0, ".docx": 1, ".doc": 1, ".wps": 1, ".txt": 2}  # the main file: text first


# ---- reading ---------------------------------------------------------------------------------------
def _norm(text) -> str:
    """Full-width to half-width, no spaces, upper case: how headers, codes and names are compared."""
    s = unicodedata.normalize("NFKC", str(text))
    s = s.translate({0x2014: "-", 0x2013: "-", 0x2212: "-", 0x30FB: "·", 0xFF65: "·"})
    return re.sub(r"\s+", "", s).upper()


@dataclass
class Mapping:
    """Which column holds which field. Guessed from the headers; a mapping file may override."""

    columns: dict[str, str] = field(default_factory=dict)  # field -> header as written in the catalogue
    ignore: list[str] = field(default_factory=list)
    retention: dict[str, str] = field(default_factory=dict)  # extra 保管期限 spellings -> Y/D30/D10


def load_mapping(path: Path) -> Mapping:
    """mapping.toml: ``[columns]`` field (or its Chinese name) = header; ``ignore``; ``[retention]``."""
    from archive.config import read_toml

    raw = read_toml(Path(path), CatalogFileError, "映射文件")
    by_name = {_norm(n): f for f, names in COLUMN_NAMES.items() for n in names} | {f.upper(): f for f in COLUMN_NAMES}
    m = Mapping()
    for key, header in (raw.get("columns") or {}).items():
        if key == "ignore":
            m.ignore = [str(h) for h in header]
            continue
        f = by_name.get(_norm(key))
        if f is None:
            raise CatalogFileError(f"映射文件 {path} 有误：[columns] 中的 “{key}” 不是可导入的字段"
                                   f"（可用：{'、'.join(COLUMN_NAMES)} 或 {'、'.join(FIELD_LABELS.values())}）")
        m.columns[f] = str(header)
    m.ignore += [str(h) for h in raw.get("ignore", [])]
    for k, v in (raw.get("retention") or {}).items():
        code = RETENTION_WRITTEN.get(_norm(v))
        if code is None:
            raise CatalogFileError(f"映射文件 {path} 有误：[retention] “{k}” = “{v}” 应为 永久、30年、10年 或 Y、D30、D10")
        m.retention[_norm(k)] = code
    return m


@dataclass
class Sheet:
    name: str
    header_row: int | None  # 1-based; None: no header found, the sheet is skipped (and reported)
    columns: dict[str, str]  # field -> header
    unused: list[str]  # headers that map to nothing
    rows: int = 0


@dataclass
class Row:
    sheet: str
    row: int  # 1-based, as the spreadsheet program shows it
    values: dict  # field -> cell value


def _field_for(header, mapping: Mapping) -> str | None:
    h = _norm(header)
    for f, given in mapping.columns.items():
        if _norm(given) == h:
            return f
    for f, names in COLUMN_NAMES.items():
        if f not in mapping.columns and h in {_norm(n) for n in names}:
            return f
    return None


def _read_sheet(name: str, rows, mapping: Mapping) -> tuple[Sheet, list[Row]]:
    """Find the header among the first rows (a title row may stand above it), then read the data rows."""
    head: list = []
    best = (0, None, None)  # recognised count, row number, cells
    out: list[Row] = []
    it = iter(rows)
    for n, cells in enumerate(it, start=1):
        head.append(cells)
        score = sum(1 for c in cells if c not in (None, "") and (_field_for(c, mapping) or _norm(c) in IGNORED_NAMES))
        if score > best[0]:
            best = (score, n, cells)
        if n >= MAX_HEADER_ROW:
            break
    score, hrow, hcells = best
    if score < 2:
        return Sheet(name, None, {}, []), []
    cols: dict[int, str] = {}
    columns: dict[str, str] = {}
    unused = []
    ignored = {_norm(h) for h in mapping.ignore} | {_norm(h) for h in IGNORED_NAMES}
    for i, c in enumerate(hcells):
        if c in (None, ""):
            continue
        f = _field_for(c, mapping)
        if f and f not in columns:
            cols[i], columns[f] = f, str(c).strip()
        elif _norm(c) not in ignored:
            unused.append(str(c).strip())

    def take(n, cells):
        vals = {f: cells[i] for i, f in cols.items() if i < len(cells)}
        vals = {k: (unescape_spreadsheet_text(v.strip()) if isinstance(v, str) else v) for k, v in vals.items()}
        if any(v not in (None, "") for v in vals.values()):
            out.append(Row(name, n, vals))

    for n, cells in enumerate(head[hrow:], start=hrow + 1):
        take(n, cells)
    for n, cells in enumerate(it, start=len(head) + 1):
        take(n, cells)
    return Sheet(name, hrow, columns, unused, len(out)), out


def read_catalog(path: Path, mapping: Mapping | None = None) -> tuple[list[Sheet], list[Row]]:
    """All sheets of an xlsx (one per 保管期限 in an exported 归档文件目录), or a csv in UTF-8 or GB18030."""
    path, mapping = Path(path), mapping or Mapping()
    if not path.is_file():
        raise CatalogFileError(f"目录文件 {path} 不存在")
    sheets, rows = [], []
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as e:  # openpyxl raises many kinds on a damaged or non-xlsx file
            raise CatalogFileError(f"无法读取 Excel 文件 {path}：{library_reason(e) or e}（请用 Excel 另存为 .xlsx 后重试）") from None
        try:
            for ws in wb.worksheets:
                s, r = _read_sheet(ws.title, (list(c) for c in ws.iter_rows(values_only=True)), mapping)
                sheets.append(s)
                rows += r
        finally:
            wb.close()
    elif suffix in (".csv", ".txt"):
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")  # what Chinese Excel writes for "CSV"
            except UnicodeDecodeError:
                raise CatalogFileError(f"无法识别 {path} 的编码（应为 UTF-8 或 GB18030/GBK）") from None
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            s, rows = _read_sheet("", reader, mapping)
        except csv.Error as e:  # a cell over the csv module's limit (128 K characters), a broken quote
            raise CatalogFileError(f"无法读取 {path.name} 第 {reader.line_num} 行附近：{e}（请检查该行，或用 Excel 另存为 .xlsx）") from None
        sheets.append(s)
    else:
        raise CatalogFileError(f"不支持的目录文件 {path.name}：请提供 .xlsx 或 .csv（.xls 请先用 Excel 另存为 .xlsx）")
    if not any(s.header_row for s in sheets):
        raise CatalogFileError(f"在 {path.name} 的前 {MAX_HEADER_ROW} 行中找不到表头（如 档号、题名 或 DH、TM），"
                               "请检查文件或用 --map 指定列名")
    return sheets, rows


# ---- values ----------------------------------------------------------------------------------------
class RowError(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def parse_date(value) -> str | None:
    """20150302, 2015-03-02, 2015.3.2, 2015/3/2, 2015年3月2日, 二〇一五年三月二日, or an Excel date -> ISO
    (archive.zhnum reads them)."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):  # a datetime too
        return zhnum.parse_date(value).isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    parts = zhnum.date_parts(value)
    if parts is None or parts[2] is None:
        raise RowError("bad_date", f"日期 “{value}” 无法识别（应为 20150302、2015-03-02 或 2015年3月2日）")
    try:
        return dt.date(*parts).isoformat()
    except ValueError:
        raise RowError("bad_date", f"日期 “{value}” 不存在") from None


def parse_retention(value, extra: dict[str, str]) -> tuple[str | None, str | None]:
    """(code, old name) — old name set for a pre-2006 长期/短期 (code C / D, kept, not converted)."""
    if value in (None, ""):
        return None, None
    v = _norm(value)
    if v in extra:
        return extra[v], None
    got = parse_period(v)
    if got is not None:
        return got
    raise RowError("bad_retention", f"保管期限 “{value}” 无法识别（应为 永久、30年、10年、长期、短期 或 Y、D30、D10）")


def _int(value, label: str) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    s = unicodedata.normalize("NFKC", str(value)).strip().rstrip("年页")
    if s.isdigit():
        return int(s)
    raise RowError("bad_value", f"{label} “{value}” 不是数字")


def _text(value) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() or None


def row_meta(row: Row, cfg: Config, mapping: Mapping) -> tuple[dict, str | None]:
    """One row as import_record metadata, or RowError. Required: 题名, and a 档号 (given or built)."""
    v = row.values
    title = _text(v.get("title"))
    if not title:
        raise RowError("missing_title", "题名为空")
    retention, old = parse_retention(v.get("retention"), mapping.retention)
    year = _int(v.get("year"), "年度")
    item = _int(v.get("item_no"), "件号")
    org = _text(v.get("org"))
    if org:
        names = {name: code for code, name in cfg.orgs.items()}
        org = names.get(org, _norm(org))
    fonds = _norm(v["fonds"]) if _text(v.get("fonds")) else None
    code_text = _text(v.get("archival_code"))
    if code_text:
        code = archival_code.parse(_norm(code_text))
        if code is None:
            raise RowError("bad_code", f"档号 “{code_text}” 不符合 DA/T 22（全宗号-WS·年度-保管期限-[机构-]件号）")
        # a column that says 长期/短期 beside a 档号 already coded 30年/10年: both are kept (the 档号 as written,
        # the old period on the record) and the later due date counts
        old_beside_new = old is not None and not archival_code.is_old(code)
        for label, given, part in (("全宗号", fonds, code.fonds), ("年度", year, code.year),
                                   ("保管期限", None if old_beside_new else retention, code.retention), ("机构", org, code.org),
                                   ("件号", item, code.item_no)):
            if given is not None and given != part:
                raise RowError("code_mismatch", f"档号 {code} 与{label}“{v.get(_key(label))}”不一致")
    else:
        fonds = fonds or cfg.fonds
        if year is None or retention is None or item is None:
            raise RowError("missing_code", "缺档号，且年度、保管期限、件号不全，无法组成档号")
        code = archival_code.parse(str(archival_code.ArchivalCode(fonds, year, retention, org, item)))
        if code is None:
            raise RowError("bad_code", f"由各字段组成的档号 {fonds}-WS·{year}-{retention}-{org or ''}-{item} 不符合 DA/T 22")
    secrecy = _text(v.get("secrecy"))
    if secrecy and any(s in secrecy for s in SECRET):
        raise RowError("secret", f"密级为“{secrecy}”：涉密文件不得导入非涉密系统")
    meta = {"archival_code": code_text or str(code), "title": title, "doc_number_raw": _text(v.get("doc_number_raw")),
            "issuer": _text(v.get("issuer")), "date": parse_date(v.get("date")), "secrecy": secrecy,
            "pages": _int(v.get("pages"), "页数"), "note": _text(v.get("note")), "status": "archived",
            "retention_old": old}
    meta = {k: x for k, x in meta.items() if x is not None}
    try:
        check_meta(meta)
    except ImportRecordError as e:
        raise RowError("invalid", str(e)) from None
    return meta, old


def _key(label: str) -> str:
    return {"全宗号": "fonds", "年度": "year", "保管期限": "retention", "机构": "org", "件号": "item_no"}[label]


# ---- files -----------------------------------------------------------------------------------------
_SEP = r"[-_\s]+"
_NAME_RE = re.compile(
    rf"(?P<fonds>[A-Z0-9]+){_SEP}WS[·•.\-_\s]?(?P<year>\d{{4}}){_SEP}(?P<ret>Y|D30|D10|C|D)"
    rf"(?:{_SEP}(?P<org>[A-Z]{{3}}))?{_SEP}(?P<item>\d{{1,6}})(?!\d)(?P<rest>.*)")


@dataclass
class FileName:
    path: Path
    key: tuple | None  # (全宗号, 年度, 保管期限, 机构 or "", 件号) parsed from the name
    rest: str = ""  # what follows the 件号: "", "-1", "_2", "附件1" …

    @property
    def order(self) -> tuple:
        """The main file first: no suffix (or 正文), then parts by number, text files before images."""
        part = re.search(r"\d+", self.rest)
        main = self.rest.strip("-_ ()（）") in ("", "正文")
        return (0 if main else 1, "附件" in self.rest, int(part[0]) if part else 0,
                TYPE_RANK.get(self.path.suffix.lower(), 3), self.path.name)


def parse_file_name(path: Path) -> FileName:
    """The 档号 in a scan's name, however its separators were typed (`Z109-WS·2015-Y-0001-2.pdf`)."""
    stem = unicodedata.normalize("NFKC", path.stem).translate({0x2014: "-", 0x2013: "-", 0x30FB: "·", 0xFF65: "·"})
    m = _NAME_RE.match(re.sub(r"\s+", "-", stem.strip()).upper())  # a space separates like a hyphen
    if not m:
        return FileName(path, None)
    return FileName(path, (m["fonds"], int(m["year"]), m["ret"], m["org"] or "", int(m["item"])), m["rest"])


def _code_key(code: str) -> tuple:
    c = archival_code.parse(code)
    return (c.fonds, c.year, c.retention, c.org or "", c.item_no)


# ---- the report ------------------------------------------------------------------------------------
@dataclass
class Report:
    catalog: str
    files_dir: str | None
    dry_run: bool
    sheets: list[dict] = field(default_factory=list)  # name, header_row, rows, columns, unused
    rows_read: int = 0
    imported: int = 0
    rejected: list[dict] = field(default_factory=list)  # sheet, row, archival_code, reason, message
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    retention_converted: dict[str, int] = field(default_factory=dict)  # "长期→30年": n
    files_found: int = 0
    files_attached: int = 0
    records_with_file: int = 0
    extra_files: int = 0  # files beyond a record's first (parts, 附件), kept in document_files
    attached_to_existing: list[dict] = field(default_factory=list)  # 全文挂接 to records already in the catalog
    records_without_file: list[str] = field(default_factory=list)  # 档号
    files_without_record: list[dict] = field(default_factory=list)  # file, reason
    files_of_rejected_rows: list[dict] = field(default_factory=list)  # file, sheet, row
    ambiguous: list[dict] = field(default_factory=list)  # file, candidates
    duplicate_files: list[dict] = field(default_factory=list)  # file, same_as
    extract_warnings: list[dict] = field(default_factory=list)  # archival_code, file, warning (not in dry runs)
    secret_files: list[dict] = field(default_factory=list)  # file, reason: 涉密, refused (not in dry runs)
    symlinks: list[dict] = field(default_factory=list)  # file, target: never followed
    seconds: float = 0.0
    interrupted: bool = False  # Ctrl+C / SIGTERM: stopped between two rows (archive.interrupt)

    @property
    def rows_per_second(self) -> float:
        return round(self.rows_read / self.seconds, 1) if self.seconds else 0.0

    def summary(self) -> dict:
        """The counts (what a dry run and the real run must agree on)."""
        return {"rows_read": self.rows_read, "imported": self.imported, "rejected": len(self.rejected),
                "rejected_by_reason": dict(sorted(self.rejected_by_reason.items())),
                "retention_converted": self.retention_converted, "files_found": self.files_found,
                "files_attached": self.files_attached, "records_with_file": self.records_with_file,
                "extra_files": self.extra_files, "attached_to_existing": len(self.attached_to_existing),
                "records_without_file": len(self.records_without_file),
                "files_without_record": len(self.files_without_record),
                "files_of_rejected_rows": len(self.files_of_rejected_rows),
                "ambiguous": len(self.ambiguous), "duplicate_files": len(self.duplicate_files),
                "secret_files": len(self.secret_files), "symlinks": len(self.symlinks)}

    def to_json(self) -> dict:
        d = asdict(self)
        d["summary"] = self.summary()
        d["rows_per_second"] = self.rows_per_second
        return d


# ---- the import: plan → check → apply → report -------------------------------------------------------
@dataclass
class Accepted:
    """A row that passed every check, with the values it imports."""

    row: Row
    meta: dict

    @property
    def key(self) -> tuple:
        return _code_key(self.meta["archival_code"])


@dataclass
class Existing:
    """A record already in the catalog that files in --files name (全文挂接 after an earlier import)."""

    document_id: int
    first_seq: int  # the seq its next file takes: 1 when it has none yet


@dataclass
class Rejections:
    """Rows refused, into the report; the 档号 they name, so their files are reported as belonging to a
    rejected row, not as without a record."""

    rep: Report
    keys: dict[tuple, Row] = field(default_factory=dict)

    def add(self, row: Row, reason: str, message: str, code: str | None = None) -> None:
        given = _text(row.values.get("archival_code"))
        self.rep.rejected.append({"sheet": row.sheet, "row": row.row, "archival_code": code or given,
                                  "reason": reason, "message": message})
        parsed = archival_code.parse(_norm(code or given or ""))
        if parsed:  # not via str(): year 0001 prints as 1 and would not parse back
            self.keys.setdefault((parsed.fonds, parsed.year, parsed.retention, parsed.org or "", parsed.item_no), row)


@dataclass
class Plan:
    """What the import will do: the rows it takes, the files each record gets (the main one first), and
    the records already in the catalog that files are attached to."""

    sheets: list[Sheet]
    accepted: list[Accepted] = field(default_factory=list)
    files: dict[tuple, list[Path]] = field(default_factory=dict)
    existing: dict[tuple, Existing] = field(default_factory=dict)


def import_catalog(arc: Archive, path: Path, *, mapping: Mapping | None = None, files_dir: Path | None = None,
                   dry_run: bool = False, progress=None) -> Report:
    """Read, validate, match files, and (unless ``dry_run``) import. Returns the full report."""
    t0 = time.perf_counter()
    path = Path(path)
    mapping = mapping or Mapping()
    sheets, rows = read_catalog(path, mapping)
    rep = Report(str(path), str(files_dir) if files_dir else None, dry_run)
    rep.sheets = [asdict(s) for s in sheets]
    rep.rows_read = len(rows)
    rejections = Rejections(rep)
    plan = Plan(sheets, _check_rows(arc, rows, mapping, rejections))
    _plan_files(arc, plan, files_dir, rejections)
    if not dry_run:
        with imports.bulk(arc.conn):
            _apply(arc, rep, plan, path, files_dir, rejections, progress)
    else:
        rep.imported = len(plan.accepted)
    _finish_report(arc, rep, plan, t0)
    return rep


def _check_rows(arc: Archive, rows: list[Row], mapping: Mapping, rejections: Rejections) -> list[Accepted]:
    """Each row valid, or rejected with a reason: its values, and a 档号 neither repeated in the catalogue
    nor in the archive already (compared by the 档号's parts: an old spelling names the same 件)."""
    rep = rejections.rep
    taken = {_code_key(c) for c in imports.archival_codes(arc.conn) if archival_code.parse(c)}
    seen: dict[tuple, Row] = {}
    accepted: list[Accepted] = []
    converted: Counter = Counter()
    for row in rows:
        try:
            meta, old = row_meta(row, arc.cfg, mapping)
        except RowError as e:
            rejections.add(row, e.reason, str(e))
            continue
        code = meta["archival_code"]
        if _code_key(code) in seen:
            rejections.add(row, "duplicate_code", f"档号 {code} 与{_where(seen[_code_key(code)])}重复", code)
        elif _code_key(code) in taken:
            rejections.add(row, "code_taken", f"档号 {code} 已在档案库中", code)
        else:
            seen[_code_key(code)] = row
            accepted.append(Accepted(row, meta))
            if old or archival_code.is_old(archival_code.parse(code)):
                converted[f"原{old or archival_code.OLD_CODES[archival_code.parse(code).retention]}（保留原期限，到期须鉴定）"] += 1
    rep.retention_converted = dict(converted)
    rep.rejected_by_reason = dict(Counter(r["reason"] for r in rep.rejected))
    return accepted


def _found_files(rep: Report, files_dir: Path | None) -> dict[tuple, list[FileName]]:
    """The files under --files by the 档号 in their names; symbolic links are listed, never followed."""
    by_key: dict[tuple, list[FileName]] = defaultdict(list)
    if files_dir is None:
        return by_key
    if not Path(files_dir).is_dir():
        raise CatalogFileError(f"文件夹 {files_dir} 不存在：请检查 --files")
    found = []
    for p in sorted(Path(files_dir).rglob("*")):  # rglob does not enter linked folders; files are checked
        if p.is_symlink():  # never followed: it may point anywhere on the machine
            try:
                target = os.readlink(p)
            except OSError:
                target = "?"
            rep.symlinks.append({"file": rel_to(p, files_dir), "target": target})
        elif p.is_file():
            found.append(p)
    rep.files_found = len(found) + len(rep.symlinks)
    for p in found:
        fn = parse_file_name(p)
        if fn.key is None:
            rep.files_without_record.append({"file": rel_to(p, files_dir), "reason": "文件名中没有可识别的档号"})
        else:
            by_key[fn.key].append(fn)
    return by_key


def _plan_files(arc: Archive, plan: Plan, files_dir: Path | None, rejections: Rejections) -> None:
    """Match the files to the accepted rows and to records already in the catalog; a file whose content
    the archive (or an earlier file of this run) has is reported as a duplicate, not attached."""
    rep = rejections.rep
    by_key = _found_files(rep, files_dir)

    def rel(p: Path) -> str:  # files are reported relative to --files (the report names that folder)
        return p.relative_to(files_dir).as_posix()

    row_keys = {a.key: a for a in plan.accepted}
    no_org = defaultdict(list)  # (全宗号, 年度, 保管期限, 件号) -> keys with a 机构
    for k in row_keys:
        if k[3]:
            no_org[(k[0], k[1], k[2], k[4])].append(k)
    plan.existing = _existing(arc.conn, by_key, row_keys)
    known_sha = imports.known_sha256(arc.conn)
    sha_owner: dict[str, str] = {}
    for key, names in sorted(by_key.items()):
        names.sort(key=lambda f: f.order)
        if key not in row_keys and key not in plan.existing:
            if key in rejections.keys:
                r = rejections.keys[key]
                rep.files_of_rejected_rows += [{"file": rel(f.path), "sheet": r.sheet, "row": r.row} for f in names]
            elif not key[3] and no_org.get((key[0], key[1], key[2], key[4])):
                cands = [_fmt_key(k) for k in no_org[(key[0], key[1], key[2], key[4])]]
                rep.ambiguous += [{"file": rel(f.path), "candidates": cands,
                                   "reason": "文件名缺机构代码，可能属于 " + "、".join(cands)} for f in names]
            else:
                rep.files_without_record += [{"file": rel(f.path), "reason": f"目录中没有档号 {_fmt_key(key)}"}
                                             for f in names]
            continue
        keep = []
        if stopped(arc):  # Ctrl+C while the files are read: nothing will be written
            break
        for f in names:
            sha = sha256_file(f.path)
            if sha in known_sha or sha in sha_owner:
                rep.duplicate_files.append({"file": rel(f.path), "same_as": sha_owner.get(sha, "档案库中已有的文件")})
                continue
            sha_owner[sha] = rel(f.path)
            keep.append(f.path)
        if keep:
            plan.files[key] = keep
    for key, paths in plan.files.items():
        rep.files_attached += len(paths)
        ex = plan.existing.get(key)
        rep.extra_files += len(paths) - (1 if ex is None or ex.first_seq == 1 else 0)
        if ex is not None:
            rep.attached_to_existing.append({"archival_code": _fmt_key(key), "files": [rel(p) for p in paths]})
    rep.records_with_file = sum(1 for k in row_keys if k in plan.files)
    rep.records_without_file = [a.meta["archival_code"] for k, a in row_keys.items() if k not in plan.files]


def _finish_report(arc: Archive, rep: Report, plan: Plan, t0: float) -> None:
    rep.rejected.sort(key=lambda r: ([s.name for s in plan.sheets].index(r["sheet"]), r["row"]))
    rep.interrupted = stopped(arc)
    rep.seconds = round(time.perf_counter() - t0, 3)


def _apply(arc: Archive, rep: Report, plan: Plan, path: Path, files_dir, rejections: Rejections, progress) -> None:
    """Import the accepted rows with their files, then attach files to records already in the catalog."""
    conn = arc.conn
    files_src = str(files_dir) if files_dir else None
    done = 0
    for a in plan.accepted:
        if stopped(arc):  # Ctrl+C / SIGTERM: every row before this one is in, with its files
            break
        row, meta = a.row, a.meta
        src = {"catalog": str(path), "sheet": row.sheet, "row": row.row}
        paths = plan.files.get(a.key, [])
        try:
            extras = [(p, _read_checked(arc, p, {**src, "files": files_src})) for p in paths[1:]]  # 涉密 gate first
            rec = import_record(arc, meta, ImportedFile(paths[0]) if paths else None,
                                source={**src, "files": files_src} if paths else src)
        except StopRequested:  # stopped while waiting for another writer: this row is not in
            break
        except ImportRecordError as e:  # 涉密, or a concurrent writer took the 档号 or the file since we checked
            reason = "secret" if isinstance(e, SecretRecordError) else "invalid"
            rejections.add(row, reason, str(e), meta["archival_code"])
            rep.rejected_by_reason[reason] = rep.rejected_by_reason.get(reason, 0) + 1
            if reason == "secret":
                rep.secret_files += [{"file": rel_to(p, files_dir), "reason": str(e)} for p in paths]
            if paths:
                rep.files_attached -= len(paths)
                rep.extra_files -= len(paths) - 1
                rep.records_with_file -= 1
            continue
        rep.imported += 1
        _note_warnings(rep, conn, rec["id"], meta["archival_code"], paths[:1])
        for seq, (p, got) in enumerate(extras, start=2):
            _attach_extra(arc, rec["id"], p, seq, {**src, "files": files_src}, got)
            _note_warnings(rep, conn, rec["id"], meta["archival_code"], [p], seq)
        done += 1
        if progress:
            progress(done, len(plan.accepted))
    for key, ex in plan.existing.items():
        if stopped(arc):
            break
        first = ex.first_seq
        for seq, p in enumerate(plan.files.get(key, []), start=first):
            src = {"catalog": str(path), "files": files_src}
            try:
                if seq == 1:
                    attach_file(arc, ex.document_id, ImportedFile(p), source=src)
                else:
                    _attach_extra(arc, ex.document_id, p, seq, src, _read_checked(arc, p, src))
            except SecretRecordError as e:
                rep.secret_files.append({"file": rel_to(p, files_dir), "reason": str(e)})
                left = len(plan.files[key]) - (seq - first)
                rep.files_attached -= left
                rep.extra_files -= left - (1 if seq == 1 else 0)
                break  # the record keeps what it had; its later parts wait for a clerk
            _note_warnings(rep, conn, ex.document_id, _fmt_key(key), [p], seq)
    flush_after_stop(arc)


def rel_to(p: Path, files_dir) -> str:
    try:
        return p.relative_to(files_dir).as_posix()
    except ValueError:
        return str(p)


def _read_checked(arc: Archive, path: Path, source: dict):
    """Read a further file of a record and pass it through the 涉密 gate (SecretRecordError)."""
    got = read_file(arc, path)
    gate_file(arc, path, got, source, sha256_file(path), route="import catalog")
    return got


def _where(row: Row) -> str:
    return f"工作表“{row.sheet}”第 {row.row} 行" if row.sheet else f"第 {row.row} 行"


def _fmt_key(key: tuple) -> str:
    return str(archival_code.ArchivalCode(key[0], key[1], key[2], key[3] or None, key[4]))


def _existing(conn, by_key: dict, row_keys: dict) -> dict[tuple, Existing]:
    """Records already in the catalog that files in --files name (全文挂接 after an earlier import)."""

    out = {}
    for key in by_key:
        if key in row_keys:
            continue
        hit = archival_code.same_code(conn, _fmt_key(key))  # the 档号 as stored may be an older spelling of the same 件
        seq = hit and imports.next_file_seq(conn, hit["id"])
        if seq:
            out[key] = Existing(hit["id"], seq)
    return out


def _note_warnings(rep: Report, conn, doc_id: int, code: str, paths: list[Path], seq: int = 1) -> None:
    if not paths:
        return
    w = imports.warnings_of(conn, doc_id, seq)
    for msg in json.loads(w) if w else []:
        rep.extract_warnings.append({"archival_code": code, "file": paths[0].name, "warning": msg})


def _attach_extra(arc: Archive, document_id: int, path: Path, seq: int, source: dict, got=None) -> None:
    """A record's second, third … file: stored, listed in document_files, its text appended to the record's."""
    sha, size = sha256_file(path), path.stat().st_size
    got = got or read_file(arc, path)  # kept even when unreadable: it belongs to the record
    media_type, method, pages, text, warnings = got.media_type, got.method, got.pages, got.text, got.warnings
    with intake.stored(arc, path, sha, media_type, "attach", "导入目录：附加文件") as (tx, rel):
        catalog.add_file(tx.conn, document_id, seq, {
            "sha256": sha, "filename": path.name, "source_path": str(path.resolve()), "stored_path": rel,
            "media_type": media_type, "size": size, "pages": pages, "extract_method": method,
            "warnings": json.dumps(warnings, ensure_ascii=False) if warnings else None,
            "role": "附件" if "附件" in path.name else "其他格式"})  # as migration 13 named older ones
        if text:
            catalog.append_text(tx.conn, document_id, f"\n\n【{path.name}】\n{text}")
        catalog.update_record(tx.conn, document_id, {"indexed": 0})
        catalog.append_event(tx.conn, "attach", document_id, {**source, "seq": seq, "sha256": sha,
                                                              "filename": path.name})
        arc.queue_index(document_id)


# ---- the report as a file ----------------------------------------------------------------------------
REPORT_COLUMNS = ("类别", "工作表", "行号", "档号", "文件", "原因")


def report_rows(rep: Report) -> list[tuple]:
    """Every row and file that did not simply go in, one line each (for --report)."""
    out = [("拒绝导入", r["sheet"], r["row"], r["archival_code"] or "", "", r["message"]) for r in rep.rejected]
    out += [("无文件的记录", "", "", c, "", "") for c in rep.records_without_file]
    out += [("无记录的文件", "", "", "", f["file"], f["reason"]) for f in rep.files_without_record]
    out += [("被拒绝行的文件", f["sheet"], f["row"], "", f["file"], "该行未导入") for f in rep.files_of_rejected_rows]
    out += [("无法确定的文件", "", "", "", f["file"], f["reason"]) for f in rep.ambiguous]
    out += [("重复文件", "", "", "", f["file"], f"内容与 {f['same_as']} 相同") for f in rep.duplicate_files]
    out += [("提取警告", "", "", w["archival_code"], w["file"], w["warning"]) for w in rep.extract_warnings]
    out += [("拒收（涉密）", "", "", "", f["file"], f["reason"]) for f in rep.secret_files]
    out += [("符号链接（未跟随）", "", "", "", f["file"], f"指向 {f['target']}，不会被读取") for f in rep.symlinks]
    return out


def write_report(rep: Report, path: Path) -> None:
    """The report as .xlsx or .csv, written whole or not at all (archive.atomic): a folder that does not
    exist or cannot be written is one Chinese line, and the import it reports on stays as it is."""
    path = Path(path)
    from archive.export.catalogue import csv_row, xlsx_append

    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise CatalogFileError(f"报告文件 {path.name} 应为 .xlsx 或 .csv")
    rows = report_rows(rep)
    with atomic_file(path, error=CatalogFileError, make_parents=False,
                     message="无法写入报告文件 {path}：{reason}（导入结果不受影响；请换一个位置，或用 --json 查看完整清单）") as tmp:
        if suffix == ".xlsx":
            import openpyxl
            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = "导入报告"
            ws.append(REPORT_COLUMNS)
            for r in rows:
                xlsx_append(ws, r)
            s = wb.create_sheet("汇总")
            for k, v in rep.summary().items():
                s.append([k, v if isinstance(v, int) else str(v)])
            wb.save(tmp)
        else:
            with open(tmp, "w", encoding="utf-8-sig", newline="") as f:
                w = csv.writer(f)
                w.writerow(REPORT_COLUMNS)
                w.writerows(csv_row(r) for r in rows)
