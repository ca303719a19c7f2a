"""Load config.toml, validate it against schemas/config.schema.json, resolve its paths.

A bad config is the clerk's most likely first error, so every message names the file, the key,
the value found and what was expected, in Chinese.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import regex

from archive import retention
from archive.errors import ConfigError, schema_problem, toml_position, toml_reason
from archive.extract.ocr import OcrSettings
from archive.extract.worker import Limits

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
# 保管期限 lives in archive.retention; these names stay for the modules that print them
RETENTION_CODES = retention.CODE_OF_NAME  # 永久 -> Y
RETENTION_NAMES = retention.NAMES  # Y -> 永久

# said by review, audit and every export while [agency] records no review of the table (8号令 第十二条)
TABLE_UNAPPROVED = "保管期限表未经审核同意"


@dataclass
class TableApproval:
    """The 同级档案主管部门's review and agreement of our 归档范围和保管期限表 (8号令 第十二条)."""

    approved_by: str
    approved_on: str  # YYYY-MM-DD
    approval_doc: str | None

    def describe(self) -> str:
        doc = f"（{self.approval_doc}）" if self.approval_doc else ""
        return f"保管期限表已经{self.approved_by}于{self.approved_on}审核同意{doc}"


@dataclass
class Rule:
    id: str
    basis: str
    when: dict
    scope: str  # 归档 / 不归档
    retention: str | None  # Y / D30 / D10
    org: str | None
    title_regex: re.Pattern | None = None
    conditions: str | None = None  # the conditions in words, for the printed table (archive rules -o)


@dataclass
class TransferSettings:
    """[transfer] (issue 28): which 保管期限 go to the 档案馆 and how many full years after their 年度, the
    reasons a 控制 opinion may give, and our own unit's names for the use register (a unit not listed is
    outside the agency)."""

    retentions: tuple[str, ...] = ("Y", "D30")
    years: int = 10
    control_reasons: tuple[str, ...] = ("涉及国家秘密", "涉及个人隐私", "涉及商业秘密", "涉及国家安全或重大利益",
                                        "其他不宜开放的情形")
    own_units: tuple[str, ...] = ()


@dataclass
class WebSettings:
    """[web]: the largest request body the web page reads (issue 23). Any request: ``max_request_kb``; an
    upload to /file by a logged-in user who may file: ``max_upload_mb``. Larger bodies get 413 unread."""

    max_request_kb: int = 256
    max_upload_mb: int = 1024
    tls_cert: Path | None = None  # [web] tls_cert / tls_key: archive serve speaks HTTPS with them
    tls_key: Path | None = None


@dataclass(frozen=True)
class VirusSettings:
    """[virus]: ClamAV before a file is stored and over the store (archive/virus.py)."""

    enabled: bool = True  # scan in verify and import package when a scanner is installed
    command: str = "auto"  # "auto" (clamdscan when its daemon answers, else clamscan), "clamscan", "clamdscan"
    database: Path | None = None  # a signature database (file or folder) for clamscan; None: Debian's default
    at_ingest: bool = False  # scan each file at ingest/watch before it is read
    timeout_seconds: float = 600.0  # one scanner run; past it every file of the run is an error (not passed)
    max_file_mb: int = 1024  # clamscan's size limits; a larger file or archive is an alert, never skipped


@dataclass
class BackupSettings:
    """[backup]: the second place backup sets go to (a NAS folder; archive backup --to), and how many sets
    are kept: the newest of each of the last ``keep_daily`` days, ``keep_weekly`` weeks, ``keep_monthly``
    months (archive/backup_sets.py)."""

    to: Path | None = None
    keep_daily: int = 7
    keep_weekly: int = 4
    keep_monthly: int = 12


@dataclass
class Config:
    path: Path
    agency_name: str
    aliases: list[str]
    fonds: str  # 全宗号
    codes: list[str]  # our 机关代字
    recipient_groups: list[str]
    default_org: str | None
    inbox: Path
    store: Path
    settle_seconds: float
    rescan_seconds: float
    superior: list[str]
    subordinate: list[str]
    peer: list[str]
    orgs: dict[str, str]
    rules: list[Rule] = field(default_factory=list)
    limits: Limits = field(default_factory=Limits)  # [limits]: extraction time, CPU, memory, file size
    ocr: OcrSettings = field(default_factory=OcrSettings)  # [ocr]: scans and images
    approval: TableApproval | None = None  # [agency] approved_by/approved_on/approval_doc; None: not reviewed
    supervisors_min: int = 2  # [appraisal] 监销人 at a destruction (2 is the floor)
    # [appraisal] group_sides: the sides the 鉴定小组 must include (--member 档案:张三); 档案 and 业务 by default
    group_sides: list[str] = field(default_factory=lambda: ["档案", "业务"])
    web: WebSettings = field(default_factory=WebSettings)  # [web]: request body limits, HTTPS
    backup: BackupSettings = field(default_factory=BackupSettings)  # [backup]: the second place, sets kept
    old_long_years: int = 50  # [appraisal] imported 长期 due this many years after the document's year
    old_short_years: int = 15  # [appraisal] imported 短期 likewise
    trust_roots: list[Path] = field(default_factory=list)  # [signatures] root certificates (files or folders)

    # the agreement recorded in the catalog for the table as it reads now (rules_table.check sets it; issue 26):
    # [agency] approved_by/on/approval_doc above is only what the config claims
    table_approval: TableApproval | None = None
    transfer: TransferSettings = field(default_factory=TransferSettings)  # [transfer]: 移交 and the use register

    @property
    def table_status(self) -> str:
        """One line for reports and exports: approved (by whom, when) or 保管期限表未经审核同意."""
        return self.table_approval.describe() if self.table_approval else TABLE_UNAPPROVED
    index_engine: str = "sqlite"  # [index] engine: "sqlite" (FTS5 inside the catalog) or "whoosh"
    timezone: str = "Asia/Shanghai"  # [agency] timezone: times a person reads (archive.display)
    numbering: str | None = None  # [filing] numbering: at_filing / at_ingest; None: the catalog's own (archive.filing)
    filing_deadline: str = "06-30"  # [filing] deadline: MM-DD of the next year by which a year is filed
    # [filing] box_thickness (mm: 20/30/40/50, DA/T 22-2015 6.4.1.1) and box_pages (pages one box holds; 0: the
    # thickness × 8, about 0.1 mm a sheet filled to four fifths): the 装盒 rule (archive/boxes.py)
    box_thickness: int = 30
    box_pages: int = 0
    # [agency] level and kinds (issue 26): a 主送 group such as 各县（市、区）档案局 includes us when it names our
    # level (县) and one of our kinds (档案局) or a generic 单位/部门/机关 (archive.classify.addressed)
    level: str | None = None
    kinds: list[str] = field(default_factory=list)
    rendition_at_ingest: bool = False  # [rendition] at_ingest: PDF/A 版式副本 of a new DOCX/TXT at ingest (slow)
    virus: VirusSettings = field(default_factory=VirusSettings)  # [virus]: ClamAV (archive/virus.py)

    @property
    def tz(self):
        """The agency's time zone for human output (checked when the config is loaded)."""
        from archive.display import zone

        return zone(self.timezone)

    # Folders made beside the inbox (docs/architecture.md): never inside it, so they are not re-ingested.
    @property
    def processed_dir(self) -> Path:
        return self.inbox.parent / "processed"

    @property
    def duplicates_dir(self) -> Path:
        return self.inbox.parent / "duplicates"

    @property
    def failed_dir(self) -> Path:
        return self.inbox.parent / "failed"

    @property
    def refused_dir(self) -> Path:
        return self.inbox.parent / "refused"

    @property
    def quarantine_dir(self) -> Path:
        """Files the 涉密 gate was unsure of, held for the 保密员 (archive/secrecy_queue.py)."""
        return self.inbox.parent / "quarantine"


def default_config_path() -> Path:
    env = os.environ.get("ARCHIVE_CONFIG")
    return Path(env) if env else Path("config.toml")


def _schema() -> dict:
    with open(SCHEMA_DIR / "config.schema.json", encoding="utf-8") as f:
        return json.load(f)


def _where(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "（顶层）"


def read_toml(path: Path, error=ConfigError, what: str = "配置文件") -> dict:
    """A TOML file read as UTF-8; a syntax error is one Chinese line with its line, column and the line itself
    (``配置文件 config.toml 第 3 行第 8 列：值无效（…）：name = 示例县``)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise error(f"{what} {path} 不是 UTF-8 编码：请用记事本等编辑器另存为 UTF-8") from None
    except OSError as e:
        raise error(f"无法读取{what} {path}（{e.strerror or e}）") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line, _ = toml_position(e)
        lines = text.splitlines()
        shown = lines[line - 1].strip() if line and 0 < line <= len(lines) else ""
        shown = f"：{shown[:60]}" if shown else ""
        raise error(f"{what} {path} 不是有效的 TOML，{toml_reason(e)}{shown}") from None


def _explain(err: jsonschema.ValidationError) -> str:
    """One Chinese sentence for a schema violation: key, value found, what was expected (errors.schema_problem)."""
    return schema_problem(err)


def _not_finite(value, key: str = "") -> tuple[str, str] | None:
    """The first number in the TOML that is nan or ±inf (a JSON schema's minimum and maximum let nan pass:
    every comparison with it is false), as (dotted key, value as written)."""
    if isinstance(value, float) and not math.isfinite(value):
        return key, ("nan" if math.isnan(value) else "inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((f"[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for k, v in items:
        sub = f"{key}{k}" if k.startswith("[") else (f"{key}.{k}" if key else k)
        found = _not_finite(v, sub)
        if found:
            return found
    return None


def _range_of(key: str) -> str:
    """"：应为 A 到 B 之间的数" from the schema, for a top-level table's key."""
    parts = key.split(".")
    node = _schema()
    for part in parts:
        node = node.get("properties", {}).get(part) if isinstance(node, dict) else None
        if node is None:
            return ""
    if "minimum" in node and "maximum" in node:
        return f"：应为 {node['minimum']} 到 {node['maximum']} 之间的数"
    return ""


def load_config(path: Path | str | None = None) -> Config:
    path = Path(path) if path else default_config_path()
    if not path.exists():
        raise ConfigError(f"找不到配置文件 {path}：请用 --config 指定，或设置 ARCHIVE_CONFIG")
    raw = read_toml(path, ConfigError, "配置文件")

    bad = _not_finite(raw)
    if bad:
        key, value = bad
        raise ConfigError(f"配置文件 {path} 有误：{key} = {value} 不是有效的数值（不能是 nan、inf 或 -inf）"
                          f"{_range_of(key)}")
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
    if errors:
        shown = "；".join(_explain(e) for e in errors[:3])
        more = f"（另有 {len(errors) - 3} 处错误）" if len(errors) > 3 else ""
        raise ConfigError(f"配置文件 {path} 有误：{shown}{more}")

    base = path.resolve().parent
    agency = raw["agency"]
    paths = raw.get("paths", {})
    orgs = raw.get("orgs", {})
    rel = raw.get("relations", {})
    watch = raw.get("watch", {})
    lim = raw.get("limits", {})

    for key in ("superior", "subordinate", "peer"):
        for i, pat in enumerate(rel.get(key, [])):
            if _is_regex(pat):
                try:
                    regex.compile(pat)
                except regex.error as e:
                    raise ConfigError(f"配置文件 {path} 有误：relations.{key}[{i}] = {pat!r} 不是有效的正则表达式（{e}）")

    default_org = agency.get("default_org")
    if default_org and default_org not in orgs:
        raise ConfigError(f"配置文件 {path} 有误：agency.default_org = {default_org!r} 不在 [orgs] 中")

    rules = []
    seen = set()
    for i, r in enumerate(raw["rules"]):
        if r["id"] in seen:
            raise ConfigError(f"配置文件 {path} 有误：rules[{i}].id = {r['id']!r} 重复")
        seen.add(r["id"])
        then = r["then"]
        org = then.get("org")
        if org and org not in orgs:
            raise ConfigError(f"配置文件 {path} 有误：rules[{i}].then.org = {org!r} 不在 [orgs] 中（已定义：{', '.join(orgs) or '无'}）")
        when = r.get("when", {})
        rx = None
        if "title_regex" in when:
            try:  # the ``regex`` engine: matching takes a time limit (classify.REGEX_TIMEOUT)
                rx = regex.compile(when["title_regex"])
            except regex.error as e:
                raise ConfigError(f"配置文件 {path} 有误：rules[{i}].when.title_regex 不是有效的正则表达式（{e}）")
        rules.append(Rule(
            id=r["id"], basis=r["basis"], when=when, scope=then["scope"],
            retention=retention.CODE_OF_NAME.get(then.get("retention")), org=org, title_regex=rx,
            conditions=r.get("conditions"),
        ))

    approval = None
    if agency.get("approved_by") or agency.get("approved_on"):
        if not (agency.get("approved_by") and agency.get("approved_on")):
            raise ConfigError(f"配置文件 {path} 有误：agency.approved_by 与 agency.approved_on 须同时填写（保管期限表的审核同意）")
        try:
            import datetime as _dt
            _dt.date.fromisoformat(agency["approved_on"])
        except ValueError:
            raise ConfigError(f"配置文件 {path} 有误：agency.approved_on = {agency['approved_on']!r} 不是有效日期") from None
        approval = TableApproval(agency["approved_by"], agency["approved_on"], agency.get("approval_doc"))
    appr = raw.get("appraisal", {})
    timezone = _timezone(path, agency)
    from archive.display import set_agency_zone

    set_agency_zone(timezone)  # what a person types and reads is on this clock (display.now / today)

    return Config(
        path=path.resolve(),
        agency_name=agency["name"],
        aliases=list(agency.get("aliases", [])),
        fonds=agency["fonds"],
        codes=list(agency.get("codes", [])),
        recipient_groups=list(agency.get("recipient_groups", [])),
        default_org=default_org,
        inbox=(base / paths.get("inbox", "inbox")).resolve(),
        store=(base / paths.get("store", "store")).resolve(),
        settle_seconds=float(watch.get("settle_seconds", 2.0)),
        rescan_seconds=float(watch.get("rescan_seconds", 60)),
        superior=list(rel.get("superior", [])),
        subordinate=list(rel.get("subordinate", [])),
        peer=list(rel.get("peer", [])),
        orgs=dict(orgs),
        rules=rules,
        limits=Limits(
            timeout_seconds=float(lim.get("extract_timeout_seconds", Limits.timeout_seconds)),
            cpu_seconds=int(lim.get("extract_cpu_seconds", Limits.cpu_seconds)),
            memory_mb=int(lim.get("extract_memory_mb", Limits.memory_mb)),
            max_file_mb=int(lim.get("max_file_mb", Limits.max_file_mb)),
            max_text_chars=int(lim.get("max_text_chars", Limits.max_text_chars)),
        ),
        ocr=_ocr_settings(raw.get("ocr", {})),
        approval=approval,
        supervisors_min=max(2, int(appr.get("supervisors_min", 2))),
        group_sides=[str(x).strip() for x in appr.get("group_sides", ["档案", "业务"]) if str(x).strip()],
        old_long_years=int(appr.get("old_long_years", 50)),
        old_short_years=int(appr.get("old_short_years", 15)),
        transfer=_transfer_settings(raw.get("transfer", {})),
        index_engine=str(raw.get("index", {}).get("engine", "sqlite")),
        numbering=raw.get("filing", {}).get("numbering"),
        filing_deadline=_deadline(path, raw.get("filing", {}).get("deadline", "06-30")),
        box_thickness=_bounded_int(path, "filing.box_thickness", raw.get("filing", {}).get("box_thickness", 30), 10, 100),
        box_pages=_bounded_int(path, "filing.box_pages", raw.get("filing", {}).get("box_pages", 0), 0, 5000),
        web=WebSettings(
            max_request_kb=int(raw.get("web", {}).get("max_request_kb", WebSettings.max_request_kb)),
            max_upload_mb=int(raw.get("web", {}).get("max_upload_mb", WebSettings.max_upload_mb)),
            tls_cert=_path_of(base, raw.get("web", {}).get("tls_cert")),
            tls_key=_path_of(base, raw.get("web", {}).get("tls_key")),
        ),
        backup=_backup_settings(path, base, raw.get("backup", {})),
        timezone=timezone,
        trust_roots=_trust_roots(path, base, raw.get("signatures", {})),
        level=agency.get("level"),
        kinds=list(agency.get("kinds", [])),
        rendition_at_ingest=bool(raw.get("rendition", {}).get("at_ingest", False)),
        virus=_virus_settings(path, base, raw.get("virus", {})),
    )


def _trust_roots(path: Path, base: Path, sig: dict) -> list[Path]:
    roots = [(base / p).resolve() for p in sig.get("trust_roots", [])]
    for r in roots:
        if not r.exists():
            raise ConfigError(f"配置文件 {path} 有误：[signatures] trust_roots 中的 {r} 不存在")
    return roots


def _transfer_settings(t: dict) -> TransferSettings:
    """[transfer]: retention classes as written (永久/30年/10年 or the codes), years, 控制 reasons, own units."""
    from archive import retention

    d = TransferSettings()
    rets = tuple(dict.fromkeys(retention.from_typed(str(v)) or str(v) for v in t.get("retentions", ()))) \
        or d.retentions
    return TransferSettings(retentions=rets, years=int(t.get("years", d.years)),
                            control_reasons=tuple(t.get("control_reasons", ())) or d.control_reasons,
                            own_units=tuple(t.get("own_units", ())))


def _bounded_int(path, key: str, value, low: int, high: int) -> int:
    """A whole number of ``[filing]`` between ``low`` and ``high``, else one line saying what is expected."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"配置文件 {path} 有误：{key} = {value!r} 应为 {low} 到 {high} 之间的整数")
    return value


def _deadline(path: Path, value: str) -> str:
    """[filing] deadline: a month and day (MM-DD) of the year after the one filed; 02-29 refused (not every year)."""
    import datetime as _dt

    try:
        _dt.date(2001, int(value[:2]), int(value[3:5]))
        if len(value) != 5 or value[2] != "-":
            raise ValueError
    except ValueError:
        raise ConfigError(f"配置文件 {path} 有误：filing.deadline = {value!r} 应为次年的 月-日，如 \"06-30\"") from None
    return value


def _path_of(base: Path, value: str | None) -> Path | None:
    return (base / Path(value).expanduser()).resolve() if value else None


def _backup_settings(path: Path, base: Path, b: dict) -> BackupSettings:
    s = BackupSettings(to=_path_of(base, b.get("to")), keep_daily=int(b.get("keep_daily", 7)),
                       keep_weekly=int(b.get("keep_weekly", 4)), keep_monthly=int(b.get("keep_monthly", 12)))
    if s.to is not None:
        for inner in (base, (base / "store").resolve()):
            if s.to == inner or inner in s.to.parents:
                raise ConfigError(f"配置文件 {path} 有误：backup.to = {b['to']!r} 在档案库的文件夹之内："
                                  "备份应放在另一块磁盘或网络存储（NAS）上")
    return s


def _virus_settings(path: Path, base: Path, v: dict) -> VirusSettings:
    d = VirusSettings()
    db = _path_of(base, v.get("database"))
    if db is not None and not db.exists():
        raise ConfigError(f"配置文件 {path} 有误：[virus] database = {v['database']!r} 不存在")
    return VirusSettings(enabled=bool(v.get("enabled", d.enabled)), command=str(v.get("command", d.command)),
                         database=db, at_ingest=bool(v.get("at_ingest", d.at_ingest)),
                         timeout_seconds=float(v.get("timeout_seconds", d.timeout_seconds)),
                         max_file_mb=int(v.get("max_file_mb", d.max_file_mb)))


def _timezone(path: Path, agency: dict) -> str:
    """[agency] timezone: a zone the machine's time-zone database knows (zoneinfo), default Asia/Shanghai."""
    from archive.display import DEFAULT_TIMEZONE, zone

    name = agency.get("timezone", DEFAULT_TIMEZONE)
    try:
        zone(name)
    except ValueError:
        raise ConfigError(f"配置文件 {path} 有误：agency.timezone = {name!r} 不是已知的时区"
                          "（应为 IANA 时区名，如 Asia/Shanghai、Asia/Urumqi）") from None
    return name


def _ocr_settings(o: dict) -> OcrSettings:
    d = OcrSettings()
    return OcrSettings(
        enabled=o.get("enabled", d.enabled),
        engine=o.get("engine", d.engine),
        threads=int(o.get("threads", d.threads)),
        languages=o.get("languages", d.languages),
        dpi=int(o.get("dpi", d.dpi)),
        page_timeout=float(o.get("page_timeout_seconds", d.page_timeout)),
        workers=int(o.get("workers", d.workers)),
        min_header_confidence=float(o.get("min_header_confidence", d.min_header_confidence)),
        searchable_pdf=o.get("searchable_pdf", d.searchable_pdf),
        det_max_side=_det_max_side(o.get("det_max_side", d.det_max_side)),
    )


def _det_max_side(v) -> int:
    """[ocr] det_max_side: 0 (the whole page) or 320 pixels and more."""
    if isinstance(v, bool) or not isinstance(v, int) or (v != 0 and not 320 <= v <= 4000):
        raise ConfigError(f"config.toml 中 ocr.det_max_side 应为 0 或 320 到 4000 之间的整数，而不是 {v!r}")
    return v


_REGEX_CHARS = set("^$.*+?[](){}|\\")


def _is_regex(entry: str) -> bool:
    """A [relations] entry is a regular expression if it uses regex syntax, else an exact name."""
    return any(c in _REGEX_CHARS for c in entry)


RELATION_REGEX_TIMEOUT = 1.0  # seconds per [relations] pattern and name


def name_matches(name: str, entries: list[str]) -> bool:
    for e in entries:
        if _is_regex(e):
            # a time limit, like the rules' title_regex: TimeoutError reaches classify, which says which entry
            if regex.search(e, name, timeout=RELATION_REGEX_TIMEOUT):
                return True
        elif name.strip() == e:
            return True
    return False


# ---- the starter config that ``archive init`` writes --------------------------------------------------
STARTER = Path(__file__).resolve().parent / "starter_config.toml"
STARTER_AGENCY = "请填写本机关全称"  # placeholders a clerk replaces; the file is valid as it is
STARTER_FONDS = "X000"


def _toml_string(value: str) -> str:
    """A TOML basic string (JSON's escaping is valid TOML for every character we let through)."""
    return json.dumps(value, ensure_ascii=False)


def starter_config(agency: str | None = None, fonds: str | None = None, inbox: str = "inbox",
                   store: str = "store") -> str:
    """The text of a starter config.toml: Chinese comments, the agency's name and 全宗号, the inbox and store,
    timezone Asia/Shanghai and a few rules of a 归档范围和保管期限表 taken from the bundled example."""
    text = STARTER.read_text(encoding="utf-8")
    for key, value in (("@AGENCY@", agency or STARTER_AGENCY), ("@FONDS@", fonds or STARTER_FONDS),
                       ("@INBOX@", inbox), ("@STORE@", store)):
        text = text.replace(key, _toml_string(value))
    return text


def write_starter_config(path: Path, agency: str | None = None, fonds: str | None = None,
                         force: bool = False) -> Path | None:
    """Write the starter config to ``path`` when there is none; an existing one is never touched unless
    ``force``, and then it is first kept beside as ``NAME.YYYYmmdd-HHMMSS.bak``. Returns that copy, if any.
    The text is checked against the schema before it is written, so a bad --agency/--fonds writes nothing."""
    import shutil

    from archive.atomic import atomic_file

    if fonds is not None and not re.fullmatch(r"[A-Za-z0-9]{1,12}", fonds):
        raise ConfigError(f"全宗号 “{fonds}” 无效：只能是 1 到 12 个字母或数字，如 Z109")
    if agency is not None and not agency.strip():
        raise ConfigError("本机关全称不能为空")
    text = starter_config(agency.strip() if agency else None, fonds)
    problems = list(jsonschema.Draft202012Validator(_schema()).iter_errors(tomllib.loads(text)))
    if problems:  # a starter we ship must load; say so rather than write a broken file
        raise ConfigError(f"起步配置有误：{schema_problem(problems[0])}")
    path = Path(path)
    kept = None
    if path.exists() or path.is_symlink():
        if not force:
            raise ConfigError(f"配置文件已存在：{path}（不会覆盖；如要重新生成，请加 --force，原文件会另存一份）")
        from archive.display import stamp as _stamp

        kept = path.with_name(f"{path.name}.{_stamp()}.bak")
        shutil.copy2(path, kept)
    with atomic_file(path, error=ConfigError, message="无法写入配置文件 {path}：{reason}（请检查文件夹和权限）") as tmp:
        tmp.write_text(text, encoding="utf-8")
    return kept
