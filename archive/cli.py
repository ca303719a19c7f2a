"""The ``archive`` command: parses arguments, calls the pipeline, prints. Nothing else lives here."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from archive import catalog
from archive.config import RETENTION_CODES, RETENTION_NAMES, load_config
from archive.errors import ArchiveError, UsageError
from archive.models import IngestResult
from archive.pipeline import Archive, open_archive

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  pretty_exceptions_enable=False,
                  help="文书档案电子化：收文、识别、分类、编档号、存储、检索。")
# stdout: tables, or the one JSON document under --json. Piped output is not cut to 80 columns.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)
state = {"config": None, "debug": False}

OUTCOME_LABELS = {"archived": "归档", "pending": "待定", "excluded": "不归档", "duplicate": "重复",
                  "refused": "拒收（涉密）", "failed": "失败", "destroyed": "已销毁"}
STATUSES = ("archived", "pending", "excluded", "destroyed")
RETENTIONS = {**RETENTION_CODES, **{code: code for code in RETENTION_CODES.values()}}  # 永久 or Y -> Y


@app.callback()
def _global(
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="配置文件（默认 ./config.toml 或 $ARCHIVE_CONFIG）"),
    debug: bool = typer.Option(False, "--debug", help="出错时显示完整的调用栈"),
    operator: Optional[str] = typer.Option(None, "--operator", help="操作人姓名：与系统账户一并记入事件日志（注明为声明）"),
) -> None:
    state["config"] = config
    state["debug"] = debug
    _set_operator(operator)


def _archive(create: bool = False) -> Archive:
    arc = open_archive(load_config(state["config"]), create=create)
    arc.on_lock_wait = lambda msg: err.print(msg, markup=False, highlight=False)
    return arc


# ---- values checked at the boundary ---------------------------------------------------------------
def _set_operator(name: str | None) -> None:
    """``--operator``: recorded as declared beside the OS account (catalog.actor), never instead of it."""
    from archive.bounds import check_text_arg, clean_text

    if name is None:
        catalog.set_operator(None)
        return
    name = clean_text(check_text_arg(name, "--operator 操作人", limit=40)).strip()
    if not name:
        raise UsageError("--operator 操作人姓名为空")
    catalog.set_operator(name)


def _year_arg(year: int | None, what: str = "--year 年度") -> int | None:
    """A 年度 from the command line: 1949 to next year (a later one is a typing error, not a filter)."""
    from archive.bounds import check_year

    return None if year is None else check_year(year, what)


def _int_arg(value: int | None, what: str, low: int, high: int) -> int | None:
    from archive.bounds import check_int

    return None if value is None else check_int(value, what, low, high)


def _text_arg(value: str | None, what: str, limit: int | None = None) -> str | None:
    """A text option: valid UTF-8, no control characters. A long free text (a reason) may span lines: its
    line breaks and tabs become spaces."""
    import re

    from archive.bounds import MAX_REF, check_text_arg

    if value is None:
        return None
    if limit and limit > MAX_REF:
        value = re.sub(r"[\t\r\n]+", " ", value)
    return check_text_arg(value, what, limit or MAX_REF)


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def _ret(code: str | None) -> str:
    """Y / D30 / D10 -> 永久 / 30年 / 10年 for display."""
    return RETENTION_NAMES.get(code or "", "")


def _retention_option(value: str | None) -> str | None:
    if value is None:
        return None
    if value not in RETENTIONS:
        raise UsageError(f"保管期限 “{value}” 无效：应为 永久、30年、10年（或 Y、D30、D10）")
    return RETENTIONS[value]


# ---- commands ------------------------------------------------------------------------------------
@app.command()
def init() -> None:
    """创建档案库、目录数据库和收件箱文件夹（已存在则不变）。"""
    arc = _archive(create=True)
    cfg = arc.cfg
    err.print(f"档案库已就绪：{cfg.store}")
    err.print(f"收件箱：{cfg.inbox}（处理后移至 {cfg.processed_dir.name}/、{cfg.duplicates_dir.name}/、"
              f"{cfg.failed_dir.name}/、{cfg.refused_dir.name}/）")


def _expand(paths: list[Path]) -> list[Path]:
    from archive.walk import walk

    files = []
    for p in paths:
        if not p.exists() and not p.is_symlink():
            raise UsageError(f"找不到 {p}：请检查路径")
        if p.is_dir() and not p.is_symlink():
            files += walk(p, skip_temporary=False)
        else:
            files.append(p)
    return files


def _result_line(r: IngestResult) -> str:
    rec = r.record or {}
    label = OUTCOME_LABELS.get(r.outcome, r.outcome)
    ref = rec.get("archival_code") or (f"记录 {rec['id']}" if rec.get("id") else "")
    title = rec.get("title") or ""
    extra = f"  {r.reason}" if r.reason and r.outcome in ("pending", "duplicate", "refused", "failed") else ""
    return f"[{label}] {Path(r.file).name}  {ref}  {title}{extra}".replace("  ", " ").strip()


def _result_json(r: IngestResult) -> dict:
    return {"file": r.file, "outcome": r.outcome, "reason": r.reason, **(r.record or {})}


def _summary(results: list[IngestResult]) -> None:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    parts = [f"{OUTCOME_LABELS[k]} {counts[k]}" for k in OUTCOME_LABELS if k in counts]
    err.print(f"共 {len(results)} 个文件：" + "，".join(parts))


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="文件或文件夹（递归）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """把文件或文件夹中的文件入库（原文件保留不动）。"""
    arc = _archive(create=True)
    files = _expand(paths)
    for msg in arc.reconcile():
        err.print(msg)
    results = []
    show_bar = not as_json and err.is_terminal and len(files) > 1
    with Progress(TextColumn("入库"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, disable=not show_bar) as bar:
        task = bar.add_task("ingest", total=len(files))

        def done(r) -> None:
            results.append(r)
            if not as_json:
                bar.console.print(_result_line(r), markup=False, highlight=False)
            bar.advance(task)

        arc.ingest_many(files, on_result=done)  # group commit: one round of disk flushes per batch
    arc.flush_index()
    if as_json:
        _print_json([_result_json(r) for r in results])
    else:
        _summary(results)
    if any(r.outcome == "failed" for r in results):
        raise typer.Exit(1)


@app.command()
def watch(
    once: bool = typer.Option(False, "--once", help="处理完收件箱中的文件后退出"),
    polling: bool = typer.Option(False, "--polling", help="轮询方式监视（用于网络共享文件夹）"),
    as_json: bool = typer.Option(False, "--json", help="每处理一个文件输出一行 JSON"),
) -> None:
    """监视收件箱，自动处理放入的文件。"""
    from archive.watch import InboxWatcher  # watchdog is only needed here

    arc = _archive()  # InboxWatcher.run checks the inbox, then creates what is missing

    def on_result(r: IngestResult) -> None:
        if as_json:
            sys.stdout.write(json.dumps(_result_json(r), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            out.print(_result_line(r), markup=False, highlight=False)

    w = InboxWatcher(arc, polling=polling, on_result=on_result, on_message=lambda m: err.print(m))
    signal.signal(signal.SIGTERM, lambda *_: w.stop_event.set())
    if not once:
        err.print(f"正在监视 {arc.cfg.inbox}（Ctrl+C 停止）")
    try:
        results = w.run(once=once)
    except KeyboardInterrupt:
        w.stop_event.set()
        results = w.results
    if not as_json:
        _summary(results)
    if once and any(r.outcome == "failed" for r in results):
        raise typer.Exit(1)


def _record_table(rows, title: str | None = None) -> Table:
    t = Table(title=title, show_lines=False)
    for h in ("记录号", "档号", "文号", "题名", "日期", "保管期限", "状态"):
        t.add_column(h, overflow="fold")
    for r in rows:
        t.add_row(str(r["id"]), r["archival_code"] or "", r["doc_number"] or "", r["title"] or r["filename"],
                  (r["date"] or "").replace("-", ""), _ret(r["retention"]),
                  OUTCOME_LABELS.get(r["status"], r["status"]))
    return t


@app.command("list")
def list_(
    status: Optional[str] = typer.Option(None, "--status", help="archived / pending / excluded / destroyed"),
    year: Optional[int] = typer.Option(None, "--year", help="年度"),
    retention: Optional[str] = typer.Option(None, "--retention", help="永久 / 30年 / 10年"),
    org: Optional[str] = typer.Option(None, "--org", help="机构(问题)代码"),
    limit: Optional[int] = typer.Option(None, "--limit", min=1),
    offset: int = typer.Option(0, "--offset", min=0),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """列出目录中的文件。"""
    if status is not None and status not in STATUSES:
        raise UsageError(f"状态 “{status}” 无效：应为 {' / '.join(STATUSES)}")
    year, org = _year_arg(year), _text_arg(org, "--org 机构代码")
    limit, offset = _int_arg(limit, "--limit", 1, 10**9), _int_arg(offset, "--offset", 0, 10**12)
    arc = _archive()
    rows = catalog.list_documents(arc.conn, status=status, year=year, retention=_retention_option(retention),
                                  org=org, limit=limit, offset=offset)
    if as_json:
        _print_json([catalog.record(r) for r in rows])
        return
    out.print(_record_table(rows))
    err.print(f"共 {len(rows)} 条")


@app.command()
def show(
    ref: str = typer.Argument(..., help="记录号、档号或发文字号（任意写法）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """显示一份文件的全部著录项，以及它为何被如此分类。"""
    arc = _archive()
    row = arc.resolve(ref)
    if as_json:
        _print_json(catalog.record(row))
        return
    t = Table(show_header=False, box=None)
    t.add_column(style="bold")
    t.add_column(overflow="fold")
    fields = [
        ("记录号", row["id"]), ("状态", OUTCOME_LABELS.get(row["status"], row["status"])),
        ("档号", row["archival_code"]), ("全宗号", row["fonds"]), ("年度", row["year"]),
        ("保管期限", _ret(row["retention"])), ("原保管期限", row["retention_old"]),
        ("机构(问题)", row["org"]), ("件号", row["item_no"]),
        ("发文字号", row["doc_number"]), ("原文字号", row["doc_number_raw"]), ("题名", row["title"]),
        ("责任者", row["issuer"]), ("成文日期", row["date"]), ("文种", row["doc_type"]),
        ("主送", row["recipients"]), ("签发人", row["signer"]), ("紧急程度", row["urgency"]),
        ("抄送", row["cc"]), ("印发", " ".join(x for x in (row["printer"], row["print_date"]) if x)),
        ("页数", row["pages"]), ("文字来源", catalog.text_source(row, catalog.ocr_pages(arc.conn, row["id"]), searchable=True)), ("与本机关关系", row["relation"]),
        ("分类依据", f"{row['rule_id']}：{row['basis']}" if row["rule_id"] else None),
        ("待定原因", row["reason"]), ("原文件名", row["filename"]), ("SHA-256", row["sha256"]),
        ("存储位置", row["stored_path"]), ("入库时间", row["ingested_at"]),
    ]
    for k, v in fields:
        if v not in (None, ""):
            t.add_row(k, str(v))
    out.print(t)
    events = catalog.events_for(arc.conn, row["id"])
    if events:
        et = Table(title="处理记录")
        for h in ("时间", "操作人", "操作"):
            et.add_column(h)
        for e in events:
            et.add_row(e["ts"], e["actor"], e["action"])
        out.print(et)


def _date_option(value: str | None, name: str):
    from archive.bounds import parse_date

    return parse_date(value, name)


def _snippet_markup(snippet: str) -> str:
    from rich.markup import escape

    from archive.search import MARK_END, MARK_START

    return escape(snippet).replace(MARK_START, "[bold red]").replace(MARK_END, "[/bold red]")


@app.command()
def search(
    query: str = typer.Argument(..., help="关键词、短语（加引号）、发文字号（任意写法），或 Whoosh 查询语法 title:档案 AND year:2022"),
    year: Optional[int] = typer.Option(None, "--year", help="年度"),
    retention: Optional[str] = typer.Option(None, "--retention", help="永久 / 30年 / 10年"),
    org: Optional[str] = typer.Option(None, "--org", help="机构(问题)代码"),
    doc_type: Optional[str] = typer.Option(None, "--type", help="文种，如 通知、决定"),
    issuer: Optional[str] = typer.Option(None, "--issuer", help="发文机关（包含即可）"),
    date_from: Optional[str] = typer.Option(None, "--from", help="成文日期起，如 2022-01-01"),
    date_to: Optional[str] = typer.Option(None, "--to", help="成文日期止"),
    status: Optional[str] = typer.Option(None, "--status", help="archived / pending / excluded / destroyed"),
    limit: int = typer.Option(20, "--limit", min=1, help="每页条数"),
    page: int = typer.Option(1, "--page", min=1, help="第几页"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """全文检索与文号检索。"""
    from archive.search import MARK_END, MARK_START, Filters
    from archive.search import search as run_search

    if status is not None and status not in STATUSES:
        raise UsageError(f"状态 “{status}” 无效：应为 {' / '.join(STATUSES)}")
    from archive.bounds import MAX_QUERY

    query = _text_arg(query, "检索词", MAX_QUERY)
    year, limit, page = _year_arg(year), _int_arg(limit, "--limit", 1, 1000), _int_arg(page, "--page", 1, 10**6)
    org, doc_type = _text_arg(org, "--org 机构代码"), _text_arg(doc_type, "--type 文种")
    issuer = _text_arg(issuer, "--issuer 发文机关")
    filters = Filters(year=year, retention=_retention_option(retention), org=org, doc_type=doc_type,
                      issuer=issuer, date_from=_date_option(date_from, "--from"),
                      date_to=_date_option(date_to, "--to"), status=status)
    arc = _archive()
    res = _guarded_search(arc, lambda: run_search(arc.conn, arc.index, query, filters, limit=limit, page=page))
    if as_json:
        _print_json([{**h.record, "score": h.score,
                      "snippet": h.snippet.replace(MARK_START, "<em>").replace(MARK_END, "</em>")}
                     for h in res.hits])
        return
    t = Table(title=f"“{query}” 的检索结果")
    for h in ("档号", "文号", "题名", "日期", "保管期限", "摘要"):
        t.add_column(h, overflow="fold")
    for h in res.hits:
        r = h.record
        t.add_row(r["archival_code"] or OUTCOME_LABELS.get(r["status"], ""), r["doc_number"] or "",
                  r["title"] or r["filename"], (r["date"] or "").replace("-", ""), _ret(r["retention"]),
                  _snippet_markup(h.snippet) if h.snippet else ("（文号匹配）" if h.matched == "docno" else ""))
    out.print(t)
    err.print(f"共{'' if res.exact else '约'} {res.total} 条，第 {res.page}/{res.pages} 页" + ("（用 --page 翻页）" if res.pages > 1 else ""))


def _guarded_search(arc: Archive, run):
    """A missing or damaged full-text index is one clear line and the way out, whatever the backend."""
    from archive.errors import StoreError

    import sqlite3

    _ = arc.conn  # a catalog that cannot be opened is the catalog's error, not the index's
    try:
        exists = getattr(arc.index, "exists", None)
        if callable(exists) and not exists() and arc.conn.execute(
                "SELECT 1 FROM documents WHERE indexed = 1 LIMIT 1").fetchone():
            raise StoreError(f"全文索引缺失（{arc.cfg.store / 'index'}）：请运行 archive reindex 从目录重建（不重新读取文件）")
        return run()
    except ArchiveError:
        raise
    except sqlite3.OperationalError as e:
        if "readonly" in str(e) or "locked" in str(e):
            raise
        raise StoreError(f"全文检索失败（{type(e).__name__}: {str(e)[:200]}）：索引可能已损坏，"
                         "请运行 archive reindex 从目录重建（不重新读取文件）") from e
    except Exception as e:  # noqa: BLE001 - the index library's own errors differ by backend
        raise StoreError(f"全文索引无法读取（{type(e).__name__}: {str(e)[:200]}）：索引可能已损坏，"
                         "请运行 archive reindex 从目录重建（不重新读取文件）") from e


@app.command()
def reindex() -> None:
    """从目录数据库重建全文索引（不重新读取文件）。"""
    arc = _archive()
    total = arc.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    with Progress(TextColumn("重建索引"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, disable=not err.is_terminal) as bar:
        task = bar.add_task("reindex", total=total)
        with arc.write_lock():
            n = arc.reindex(progress=lambda k: bar.update(task, completed=k))
    engine = "SQLite（目录库内）" if arc.index.engine == "sqlite" else "Whoosh"
    err.print(f"全文索引已重建：{n} 份文件（检索引擎：{engine}）")


@app.command()
def stats(as_json: bool = typer.Option(False, "--json")) -> None:
    """统计：各状态数量，按年度、保管期限、机构的归档件数和页数。"""
    arc = _archive()
    s = catalog.stats(arc.conn)
    if as_json:
        _print_json(s)
        return
    t = Table(title="档案库统计")
    t.add_column("项目")
    t.add_column("数量", justify="right")
    t.add_row("记录总数", str(s["total"]))
    for k in STATUSES:
        t.add_row(OUTCOME_LABELS[k], str(s["by_status"].get(k, 0)))
    for k in ("duplicate", "refused", "failed"):
        t.add_row(f"{OUTCOME_LABELS[k]}（次）", str(s["other_outcomes"].get(k, 0)))
    out.print(t)
    if s["archived_by_year"]:
        y = Table(title="归档文件（按年度、保管期限、机构）")
        for h in ("年度", "保管期限", "机构", "件数", "页数"):
            y.add_column(h)
        for r in s["archived_by_year"]:
            y.add_row(str(r["year"]), _ret(r["retention"]), r["org"] or "", str(r["n"]), str(r["pages"] or 0))
        out.print(y)


# ---- issue 5: archivists' outputs (export, import package, audit, hold/release, dispose, review, verify) ----
export_app = typer.Typer(no_args_is_help=True, help="导出：归档文件目录、归档章、移交包、销毁清册。")
app.add_typer(export_app, name="export")
import_app = typer.Typer(no_args_is_help=True, help="导入：旧系统或 Excel 的目录及其全文，移交包。")
app.add_typer(import_app, name="import")


def _output_format(out_file: Path, fmt: str | None) -> str:
    from archive.export.catalogue import FORMATS

    fmt = (fmt or out_file.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise UsageError(f"格式 “{fmt}” 无效：应为 {'、'.join(FORMATS)}（--format 或输出文件的扩展名）")
    return fmt


@export_app.command("catalog")
def export_catalog(
    year: int = typer.Option(..., "--year", help="年度"),
    retention: Optional[str] = typer.Option(None, "--retention", help="只导出一种保管期限：永久 / 30年 / 10年"),
    org: Optional[str] = typer.Option(None, "--org", help="只导出一个机构(问题)代码"),
    fmt: Optional[str] = typer.Option(None, "--format", help="xlsx / docx / pdf / csv（默认按输出文件扩展名）"),
    output: Path = typer.Option(..., "-o", "--output", help="输出文件"),
    as_json: bool = typer.Option(False, "--json", help="同时在标准输出打印目录行"),
) -> None:
    """归档文件目录（DA/T 22）：每种保管期限（和机构）一张表，A4 横向，表头每页重复，带页码。"""
    from archive.export import catalogue

    kind = _output_format(output, fmt)
    year = _year_arg(year)
    arc = _archive()
    _table_notice(arc)
    sheets = catalogue.catalogue_sheets(arc.conn, arc.cfg, year, _retention_option(retention), org)
    catalogue.write(sheets, output, kind)
    if as_json:
        _print_json(catalogue.to_json(sheets))
    err.print(f"已导出 {year} 年度归档文件目录：{sum(len(s.rows) for s in sheets)} 件，{len(sheets)} 张表 → {output}")


@export_app.command("stamp")
def export_stamp(
    ref: str = typer.Argument(..., help="记录号、档号或发文字号"),
    output: Optional[Path] = typer.Option(None, "-o", "--output",
                                          help="输出文件（默认：当前文件夹下的“档号-归档章.pdf/.ofd”；库中原件不变）"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖"),
) -> None:
    """给已归档的记录加盖归档章（首页右上角），写成新文件，库中原件不变。

    PDF 记录：直接加盖，输出 PDF。

    DOCX 记录：先由 LibreOffice 转为 PDF 再加盖，输出 PDF。

    OFD 记录：输出 OFD 副本，归档章作为 OFD 注释（Stamp）加在首页，正文不变；原件带电子签章的，副本中签章校验不通过，以库中原件为准。

    文本、图像、DOC/WPS、网页不能加盖。"""
    from archive.export.stamping import stamp_record

    arc = _archive()
    row = arc.resolve(ref)
    done = stamp_record(arc.store, row, arc.cfg, output, force=force)
    for note in done.notes:
        err.print(f"注意：{note}", markup=False, highlight=False)
    err.print(f"已加盖归档章：{row['archival_code']} → {done.path}", markup=False, highlight=False)


@export_app.command("package")
def export_package(
    year: int = typer.Option(..., "--year", help="年度"),
    output: Path = typer.Option(..., "-o", "--output", help="输出文件夹（新建或空文件夹）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """移交包：BagIt 格式，文件以档号命名，每件一份 JSON 与 XML 元数据，附归档文件目录与校验值。"""
    from archive.export.package import export_package as run

    year = _year_arg(year)
    arc = _archive()
    _table_notice(arc)
    s = run(arc, year, output)
    if as_json:
        _print_json({"path": str(s.path), "records": s.records, "files": s.files, "bytes": s.bytes})
    err.print(f"已生成 {year} 年度移交包：{s.records} 件（电子文件 {s.files} 个，共 {s.bytes / 1e6:.1f} MB）→ {output}")


@export_app.command("destruction")
def export_destruction(
    output: Path = typer.Option(..., "-o", "--output", help="输出文件"),
    batch: Optional[int] = typer.Option(None, "--batch", help="只导出一个批次（archive appraisals 中的批次号）"),
    fmt: Optional[str] = typer.Option(None, "--format", help="xlsx / docx / pdf / csv"),
) -> None:
    """销毁清册（按批次一张表）。"""
    from archive.audit import destruction_sheets
    from archive.export import catalogue

    kind = _output_format(output, fmt)
    batch = _int_arg(batch, "--batch 批次", 1, 2**63 - 1)
    arc = _archive()
    _table_notice(arc)
    sheets = destruction_sheets(arc.conn, arc.cfg, batch)
    if not sheets:
        raise UsageError("没有销毁记录" + (f"（批次 {batch}）" if batch else ""))
    catalogue.write(sheets, output, kind)
    err.print(f"已导出销毁清册：{sum(len(s.rows) for s in sheets)} 件 → {output}")


@import_app.command("package")
def import_package(
    path: Path = typer.Argument(..., help="移交包文件夹（BagIt）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """导入移交包：先做 BagIt 校验和记录校验，有问题则不导入任何记录；档号保持不变。"""
    from archive.export.package import import_package as run

    if not path.is_dir():
        raise UsageError(f"找不到文件夹 {path}")
    arc = _archive(create=True)
    refused: list = []
    recs = run(arc, path, refused=refused)
    if as_json:
        _print_json(recs)
    else:
        out.print(_record_table(recs, title="导入的记录"))
    for name, why in refused:
        err.print(f"[拒收（涉密）] {name}：{why}", markup=False, highlight=False)
    err.print(f"已导入 {len(recs)} 件" + (f"，拒收涉密记录 {len(refused)} 件（未存储、未索引）" if refused else ""))


def _audit_table(items) -> Table:
    from archive.audit import retention_label

    t = Table(title="到期档案")
    for h in ("年度", "保管期限", "档号", "题名", "到期日期", "冻结", "说明"):
        t.add_column(h, overflow="fold")
    for it in items:
        r = it.record
        t.add_row(str(r["year"]), retention_label(r), r["archival_code"], r["title"] or "",
                  it.due.isoformat(), it.hold_reason or "", it.note)
    return t


@app.command()
def audit(
    as_of: Optional[str] = typer.Option(None, "--as-of", help="鉴定基准日（默认今天；不能晚于今天），如 2026-01-01"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="写出到期档案鉴定表（.xlsx/.docx/.pdf/.csv）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """鉴定第一步：列出保管期限已满、应当鉴定的档案（按年度和保管期限分组）。"""
    import datetime as dt

    from archive import audit as audit_mod
    from archive.export import catalogue

    day = audit_mod.not_future(_date_option(as_of, "--as-of") or dt.date.today())
    arc = _archive()
    _table_notice(arc)
    items = audit_mod.due_list(arc.conn, day, arc.cfg)
    if output is not None:
        kind = _output_format(output, None)
        sheets = audit_mod.appraisal_sheets(items, day, arc.cfg.table_status)
        if sheets:
            catalogue.write(sheets, output, kind)
            err.print(f"已写出到期档案鉴定表 → {output}")
    if as_json:
        groups = audit_mod.grouped(items)
        _print_json({"as_of": day.isoformat(), "total": len(items), "table_approved": arc.cfg.approval is not None,
                     "table_status": arc.cfg.table_status,
                     "groups": [{"year": y, "retention": r, "count": len(g), "records": [i.to_json() for i in g]}
                                for (y, r), g in groups.items()]})
        return
    if items:
        out.print(_audit_table(items))
    err.print(f"截至 {day.isoformat()}，到期 {len(items)} 件" +
              (f"（其中冻结 {sum(1 for i in items if i.hold_reason)} 件）" if items else "") +
              ("；下一步：archive appraise 记录鉴定小组的结论" if items else ""))


@app.command()
def hold(
    ref: str = typer.Argument(..., help="记录号、档号或发文字号"),
    reason: str = typer.Option(..., "--reason", help="冻结原因（调查、诉讼、审计…）"),
) -> None:
    """冻结一份档案：在解除之前不能销毁。"""
    from archive.audit import hold as run

    reason = _text_arg(reason, "--reason 冻结原因", 2000)
    arc = _archive()
    row = arc.resolve(ref)
    run(arc, row, reason)
    err.print(f"已冻结 {row['archival_code'] or row['id']}：{reason}")


@app.command()
def release(
    ref: str = typer.Argument(..., help="记录号、档号或发文字号"),
    reason: str = typer.Option("", "--reason", help="解除原因"),
) -> None:
    """解除冻结。"""
    from archive.audit import release as run

    reason = _text_arg(reason, "--reason 解除原因", 2000)
    arc = _archive()
    row = arc.resolve(ref)
    run(arc, row, reason)
    err.print(f"已解除冻结 {row['archival_code'] or row['id']}")


@app.command()
def dispose(
    refs: list[str] = typer.Argument(..., help="记录号、档号或发文字号（可多个）"),
    decision: str = typer.Option("extend", "--decision", help="只能为 extend（延长保管期限）；销毁须走 appraise → approve → destroy"),
    approved_by: str = typer.Option(..., "--approved-by", help="批准人"),
    reason: str = typer.Option(..., "--reason", help="理由"),
    retention: Optional[str] = typer.Option(None, "--retention", help="新的保管期限 30年 / 永久"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """延长保管期限（档号不变）。销毁不在这里做：须经鉴定、领导批准、两人以上监销（archive appraise / approve / destroy）。"""
    from archive import audit as audit_mod

    approved_by, reason = _text_arg(approved_by, "--approved-by 批准人", 100), _text_arg(reason, "--reason", 2000)
    arc = _archive()
    rows = [arc.resolve(r) for r in refs]
    res = audit_mod.dispose(arc, rows, decision, approved_by=approved_by, reason=reason,
                            retention=_retention_option(retention))
    if as_json:
        _print_json({"batch": res.batch, "decision": res.decision, "records": res.records})
        return
    err.print(f"批次 {res.batch}：已延长保管期限 {len(res.records)} 件")


@app.command()
def review(as_json: bool = typer.Option(False, "--json")) -> None:
    """列出待定（待人工确认）的文件及原因。"""
    from archive.review import pending

    arc = _archive()
    _table_notice(arc)
    items = pending(arc.conn)
    if as_json:
        _print_json([p.to_json() for p in items])
        return
    t = Table(title="待定文件")
    for h in ("记录号", "文号", "题名", "日期", "原因"):
        t.add_column(h, overflow="fold")
    for p in items:
        r = p.record
        t.add_row(str(r["id"]), r["doc_number"] or "", r["title"] or r["filename"] or "",
                  (r["date"] or "").replace("-", ""), p.why)
    out.print(t)
    err.print(f"共 {len(items)} 件待定；用 archive confirm REF --retention … --org … 确认")


def _warn_future(rec: dict) -> None:
    from archive.bounds import future_warning

    msg = future_warning(rec.get("year"))
    if msg:
        err.print(f"提示：{rec.get('archival_code') or '记录 ' + str(rec['id'])} 的{msg}", markup=False, highlight=False)


def _changed(before: dict, rec: dict, as_json: bool) -> None:
    from archive.review import describe

    if as_json:
        _print_json(rec)
    else:
        err.print(f"{rec['archival_code'] or '记录 ' + str(rec['id'])}：{describe(before, rec)}")


@app.command()
def confirm(
    ref: str = typer.Argument(..., help="记录号、档号或发文字号"),
    retention: Optional[str] = typer.Option(None, "--retention", help="永久 / 30年 / 10年"),
    org: Optional[str] = typer.Option(None, "--org", help="机构(问题)代码"),
    year: Optional[int] = typer.Option(None, "--year", help="年度（成文日期未识别时）"),
    exclude: bool = typer.Option(False, "--exclude", help="确认不归档"),
    reason: Optional[str] = typer.Option(None, "--reason", help="说明"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """确认待定文件：归档（给出档号）或不归档。"""
    from archive.review import confirm as run

    year, reason = _year_arg(year), _text_arg(reason, "--reason", 2000)
    arc = _archive()
    row = arc.resolve(ref)
    before = catalog.record(row)
    rec = run(arc, row, retention=_retention_option(retention), org=org, year=year, exclude=exclude, reason=reason)
    _warn_future(rec)
    _changed(before, rec, as_json)


@app.command()
def reclassify(
    ref: str = typer.Argument(..., help="记录号、档号或发文字号"),
    reason: str = typer.Option(..., "--reason", help="原因（记入事件日志）"),
    retention: Optional[str] = typer.Option(None, "--retention", help="新的保管期限"),
    org: Optional[str] = typer.Option(None, "--org", help="新的机构(问题)代码"),
    year: Optional[int] = typer.Option(None, "--year", help="新的年度"),
    status: Optional[str] = typer.Option(None, "--status", help="archived / excluded / pending"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """重新分类：改保管期限、机构、年度或归档范围；换组时给新档号，旧号留空并记录原因。"""
    from archive.review import reclassify as run

    year, reason = _year_arg(year), _text_arg(reason, "--reason", 2000)
    arc = _archive()
    row = arc.resolve(ref)
    before = catalog.record(row)
    rec = run(arc, row, retention=_retention_option(retention), org=org, year=year, status=status, reason=reason)
    _warn_future(rec)
    _changed(before, rec, as_json)


@app.command("explain-gap")
def explain_gap(
    code: str = typer.Argument(..., help="空号的档号，如 Z109-WS·2015-Y-BGS-0004"),
    reason: str = typer.Option(..., "--reason", help="为何空号（记入事件日志）"),
) -> None:
    """说明一个空号（如旧目录中本就缺号），四性检测不再把它列为问题。"""
    from archive.verify import explain_gap as run

    code, reason = _text_arg(code, "档号"), _text_arg(reason, "--reason", 2000)
    err.print(f"已记录空号 {run(_archive(), code, reason)}：{reason}")


@app.command()
def verify(
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="写出四性检测报告（.xlsx/.pdf/.docx/.csv）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """四性检测（DA/T 70）：真实性、完整性、可用性、安全性，逐项列出检测项、对象和问题。有问题时退出码为 1。"""
    from archive.verify import verify as run
    from archive.verify import report_sheets

    arc = _archive()
    total = arc.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    with Progress(TextColumn("四性检测"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, disable=as_json or not err.is_terminal) as bar:
        task = bar.add_task("verify", total=total)
        rep = run(arc, progress=lambda k: bar.update(task, completed=k))
    if output is not None:
        from archive.export.catalogue import write

        write(report_sheets(rep, arc.cfg), output, _output_format(output, None))
        err.print(f"已写出四性检测报告 → {output}")
    if as_json:
        _print_json(rep.to_json())
    else:
        if rep.findings:
            from archive.verify import CHECKS

            t = Table(title="四性检测结果")
            for h in ("性质", "检测项", "对象", "问题"):
                t.add_column(h, overflow="fold")
            for f in rep.findings:
                t.add_row(CHECKS[f.check], f.item + ("（提示）" if f.severity == "notice" else ""), f.ref, f.message)
            out.print(t)
        c = rep.counts
        err.print(f"检测了 {c['records']} 条记录、{c['files']} 个文件、{c['events']} 条事件：" +
                  "；".join(f"{p['property']} {p['errors']} 个问题" for p in rep.by_property()) + "；" +
                  ("全部通过" if rep.ok else f"共 {len(rep.errors)} 个问题") +
                  (f"，{len(rep.notices)} 条提示" if rep.notices else ""))
    if not rep.ok:
        raise typer.Exit(1)


# ---- import: records whose 档号 was assigned elsewhere -----------------------------------------------


@import_app.command("catalog")
def import_catalog_cmd(
    file: Path = typer.Argument(..., help="目录文件 .xlsx 或 .csv（中文列名或 DH、TM 等拼音代码）"),
    map_file: Optional[Path] = typer.Option(None, "--map", help="列名映射文件 mapping.toml（覆盖自动识别）"),
    files: Optional[Path] = typer.Option(None, "--files", help="全文文件夹：按文件名中的档号挂接"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只检查并报告，不改动档案库"),
    report_file: Optional[Path] = typer.Option(None, "--report", help="把问题清单另存为 .xlsx 或 .csv"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """导入旧系统或 Excel 的归档文件目录，保留原档号和件号，并按档号挂接全文。"""
    from archive import import_catalog as ic

    mapping = ic.load_mapping(map_file) if map_file else None
    arc = _archive()
    with Progress(TextColumn("导入"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, disable=not err.is_terminal or as_json) as bar:
        task = bar.add_task("import", total=None)
        rep = ic.import_catalog(arc, file, mapping=mapping, files_dir=files, dry_run=dry_run,
                                progress=lambda k, n: bar.update(task, completed=k, total=n))
    arc.close()
    if report_file:
        ic.write_report(rep, report_file)
    if as_json:
        _print_json(rep.to_json())
        return
    m = Table(title="列名映射")
    for h in ("工作表", "表头行", "行数", "字段←列名", "未使用的列"):
        m.add_column(h, overflow="fold")
    for s in rep.sheets:
        cols = "、".join(f"{ic.FIELD_LABELS[f]}←{h}" for f, h in s["columns"].items())
        m.add_row(s["name"] or file.name, str(s["header_row"] or "未找到（跳过）"), str(s["rows"]), cols,
                  "、".join(s["unused"]))
    out.print(m)
    labels = {"rows_read": "读取行数", "imported": "导入记录" + ("（试运行：将导入）" if dry_run else ""),
              "rejected": "拒绝的行", "files_found": "找到的文件", "files_attached": "挂接的文件",
              "records_with_file": "有全文的记录", "extra_files": "其中附加文件（分件、附件）",
              "attached_to_existing": "挂接到库中已有记录", "records_without_file": "无文件的记录",
              "files_without_record": "无记录的文件", "files_of_rejected_rows": "属于被拒绝行的文件",
              "ambiguous": "无法确定归属的文件", "duplicate_files": "重复文件（未挂接）",
              "secret_files": "拒收的涉密文件（未存储、未索引）", "symlinks": "符号链接（未跟随）"}
    t = Table(title=f"导入报告：{file.name}" + ("（试运行，未改动档案库）" if dry_run else ""))
    t.add_column("项目")
    t.add_column("数量", justify="right")
    summ = rep.summary()
    for k, label in labels.items():
        t.add_row(label, str(summ[k]))
    for k, n in sorted(summ["rejected_by_reason"].items()):
        t.add_row(f"  拒绝：{ic.REASONS[k]}", str(n))
    for k, n in summ["retention_converted"].items():
        t.add_row(f"原保管期限：{k}", str(n))
    t.add_row("用时（秒）/ 每秒行数", f"{rep.seconds} / {rep.rows_per_second}")
    out.print(t)
    rows = ic.report_rows(rep)
    if rows:
        d = Table(title="问题清单")
        for h in ic.REPORT_COLUMNS:
            d.add_column(h, overflow="fold")
        shown: dict[str, int] = {}
        for r in rows:  # the terminal gets the first 50 of each kind; --report and --json get all
            shown[r[0]] = shown.get(r[0], 0) + 1
            if shown[r[0]] <= 50:
                d.add_row(*("" if x is None else str(x) for x in r))
        out.print(d)
        for kind, n in shown.items():
            if n > 50:
                err.print(f"{kind}：另有 {n - 50} 条未显示（完整清单请用 --report 文件 或 --json）")


# ---- the retention table, and appraisal and destruction as the procedure ---------------------------------
def _table_notice(arc) -> None:
    """8号令 第十二条: until the 同级档案主管部门 has agreed to the table, every report and export says so.
    The catalog is opened first: a lost catalog stops the command with its own one line, before any notice."""
    arc.conn
    if arc.cfg.approval is None:
        err.print("注意：保管期限表未经审核同意（config.toml [agency] approved_by / approved_on / approval_doc）",
                  markup=False, highlight=False)


@app.command("rules")
def rules_cmd(
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="写出归档范围和保管期限表（.docx/.xlsx/.pdf/.csv），供报送审核"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """打印本机关的文件材料归档范围和文书档案保管期限表（config.toml 中的规则），及其审核情况。"""
    from archive import rules_table

    cfg = load_config(state["config"])
    if output is not None:
        rules_table.write_table(cfg, output, _output_format(output, None))
        err.print(f"已写出归档范围和保管期限表 → {output}")
    if as_json:
        _print_json({"table_status": cfg.table_status, "approved": cfg.approval is not None,
                     "rules": rules_table.rows_json(cfg)})
        return
    if output is None:
        t = Table(title=f"{cfg.agency_name}文件材料归档范围和文书档案保管期限表")
        for h in rules_table.COLUMNS:
            t.add_column(h, overflow="fold")
        for r in rules_table.rows(cfg):
            t.add_row(*(str(x) for x in r))
        out.print(t)
    err.print(cfg.table_status, markup=False, highlight=False)


def _step_summary(step, label: str) -> None:
    a = step.appraisal
    err.print(f"第 {a['id']} 号鉴定（批次 {a['batch']}）：{label}", markup=False, highlight=False)
    for kind, rec in step.documents.items():
        name = {"report": "鉴定工作报告", "approval": "销毁审批表", "register": "销毁清册"}[kind]
        err.print(f"  {name}已归档（永久）：{rec['archival_code']}  {rec['title']}", markup=False, highlight=False)


@app.command()
def appraise(
    member: list[str] = typer.Option(..., "--member", help="鉴定小组成员（至少两人：档案人员、业务部门人员、机关领导；可重复）"),
    destroy_refs: list[str] = typer.Option([], "--destroy", help="拟销毁：REF[:理由]（可重复）"),
    extend_refs: list[str] = typer.Option([], "--extend", help="延期：REF:新期限[:理由]，如 Z109-WS·2015-D10-BGS-0001:30年:仍有查考价值"),
    doubtful_refs: list[str] = typer.Option([], "--doubtful", help="难以判定：REF[:理由]，按从长原则延长一档"),
    sheet: Optional[Path] = typer.Option(None, "--from", help="鉴定小组填好“鉴定意见”的到期档案鉴定表（archive audit -o 写出的 .xlsx）"),
    reason: str = typer.Option("", "--reason", help="未逐件写理由时的鉴定理由"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="鉴定基准日（默认今天；不能晚于今天）"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="另存销毁清册（草稿，.xlsx/.docx/.pdf）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """鉴定第二步：记录鉴定小组对到期档案逐件的结论（销毁或延期），生成鉴定工作报告（永久归档）和销毁清册草稿。"""
    import datetime as dt

    from archive import appraisal
    from archive.audit import not_future

    day = not_future(_date_option(as_of, "--as-of") or dt.date.today())
    arc = _archive()
    _table_notice(arc)
    decisions = ([appraisal.parse_decision_arg(arc, x, "destroy", reason) for x in destroy_refs]
                 + [appraisal.parse_decision_arg(arc, x, "extend", reason) for x in extend_refs]
                 + [appraisal.parse_decision_arg(arc, x, "doubtful", reason or "难以判定，从长") for x in doubtful_refs])
    if sheet is not None:
        decisions += appraisal.decisions_from_sheet(arc, sheet, reason)
    step = appraisal.appraise(arc, day, member, decisions)
    from archive.audit import due_list

    left = len(due_list(arc.conn, day, arc.cfg)) - sum(1 for r in step.records if r["decision"] == "destroy")
    if left > 0:
        err.print(f"截至 {day.isoformat()} 尚有 {left} 件到期档案未作鉴定结论", markup=False, highlight=False)
    if output is not None:
        appraisal.draft_register(arc, step.appraisal["id"], output)
        err.print(f"销毁清册（草稿）→ {output}")
    if as_json:
        _print_json(step.to_json())
        return
    n = sum(1 for r in step.records if r["decision"] == "destroy")
    _step_summary(step, f"拟销毁 {n} 件，延期 {len(step.records) - n} 件" +
                  (f"；下一步：archive approve {step.appraisal['id']} --leader … --document …" if n else ""))


@app.command()
def approve(
    appraisal_id: int = typer.Argument(..., help="鉴定编号（archive appraisals 可查）"),
    leader: str = typer.Option(..., "--leader", help="批准的机关领导"),
    document: str = typer.Option(..., "--document", help="批准文件编号（如 示档〔2026〕5号、批示编号）"),
    on: Optional[str] = typer.Option(None, "--on", help="批准日期（默认今天；不能晚于今天）"),
    file: Optional[Path] = typer.Option(None, "--file", help="领导签批件的扫描文件（不给则生成销毁审批表）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """鉴定第三步：机关领导批准销毁清册（批准文件永久归档）。"""
    import datetime as dt

    from archive import appraisal

    arc = _archive()
    step = appraisal.approve(arc, appraisal_id, leader=leader, on=_date_option(on, "--on") or dt.date.today(),
                             document=document, file=file)
    if as_json:
        _print_json(step.to_json())
        return
    _step_summary(step, f"已由{leader}批准；下一步：archive destroy {appraisal_id} --supervisor … --supervisor … --method … --place …")


@app.command()
def destroy(
    appraisal_id: int = typer.Argument(..., help="已批准的鉴定编号"),
    supervisors: list[str] = typer.Option(..., "--supervisor", help="监销人（至少两名不同的人，可重复）"),
    method: str = typer.Option(..., "--method", help="销毁方式，如 粉碎、焚毁、删除（电子文件）"),
    place: str = typer.Option(..., "--place", help="销毁地点"),
    at: Optional[str] = typer.Option(None, "--at", help="销毁时间（默认现在；不能晚于现在），如 2026-03-02T10:30"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="另存销毁清册（.xlsx/.docx/.pdf）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """鉴定第四步：按已批准的销毁清册销毁（记录保留、文件删除，销毁清册永久归档）。"""
    import datetime as dt

    from archive import appraisal

    when = None
    if at is not None:
        try:
            when = dt.datetime.fromisoformat(at.strip().replace(" ", "T"))
        except ValueError:
            raise UsageError(f"--at “{at}” 不是有效时间：请写成 2026-03-02T10:30") from None
    arc = _archive()
    step = appraisal.destroy(arc, appraisal_id, supervisors=supervisors, method=method, place=place, at=when)
    if output is not None:
        appraisal.draft_register(arc, appraisal_id, output)
        err.print(f"销毁清册 → {output}")
    if as_json:
        _print_json(step.to_json())
        return
    _step_summary(step, f"已销毁 {len(step.records)} 件，删除文件 {len(step.removed_files)} 个" +
                  (f"（{len(step.kept_files)} 个文件仍被其他记录引用，保留）" if step.kept_files else ""))


@app.command()
def appraisals(as_json: bool = typer.Option(False, "--json")) -> None:
    """列出历次鉴定及其进度（已鉴定 / 已批准 / 已销毁）。"""
    from archive import appraisal

    arc = _archive()
    rows = appraisal.listing(arc.conn)
    if as_json:
        _print_json(rows)
        return
    t = Table(title="鉴定与销毁")
    for h in ("编号", "批次", "基准日", "鉴定小组", "拟销毁", "延期", "进度", "批准", "销毁"):
        t.add_column(h, overflow="fold")
    for a in rows:
        t.add_row(str(a["id"]), str(a["batch"]), a["as_of"], "、".join(a["members"]), str(a["destroy"]),
                  str(a["extend"]), a["state"], " ".join(x for x in (a["approved_by"], a["approved_on"]) if x),
                  (a["destroyed_at"] or "")[:16])
    out.print(t)


# ---- backup and restore (issue 6) -----------------------------------------------------------------
@app.command()
def backup(output: Path = typer.Option(..., "--output", "-o", help="备份文件（新文件，.tar）")) -> None:
    """备份目录数据库、存储文件和配置到一个 tar 文件（带 SHA-256 清单；其他进程可同时读取）。"""
    from archive.backup import backup as run_backup

    s = run_backup(_archive(), output)
    err.print(f"已备份到 {s.path}：{s.documents} 条记录，{s.files} 个存储文件，共 {s.bytes / 1048576:.1f} MB")


@app.command()
def restore(
    file: Path = typer.Argument(..., help="archive backup 生成的备份文件"),
    to: Path = typer.Option(..., "--to", help="恢复到的文件夹（必须为空或不存在）"),
) -> None:
    """从备份恢复到一个空文件夹：核对清单中每个成员的 SHA-256，重建全文索引。"""
    from archive.backup import restore as run_restore

    arc = run_restore(file, to)
    n = arc.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    arc.close()
    err.print(f"已恢复到 {to}：{n} 条记录，全文索引已重建。使用：archive --config {to / 'config.toml'} …")


@app.command()
def recover(as_json: bool = typer.Option(False, "--json")) -> None:
    """目录数据库丢失或损坏时，从存储文件重建目录：每个文件重新识别，全部列为待定供核对；原目录文件保留。"""
    from archive.recover import recover as run_recover

    cfg = load_config(state["config"])
    with Progress(TextColumn("重建目录"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, disable=as_json or not err.is_terminal) as bar:
        task = bar.add_task("recover", total=None)
        s = run_recover(cfg, progress=lambda k, n: bar.update(task, completed=k, total=n))
    if as_json:
        _print_json(s.to_json())
        return
    kept = "；原目录文件已保留为 " + "、".join(p.name for p in s.kept_aside) if s.kept_aside else ""
    err.print(f"已从存储文件重建目录 {s.catalog}：{s.records} 条记录，全部为待定（其中 {s.from_old_catalog} 条与原目录的"
              f"封存摘要一致，{s.unreadable} 个文件无法提取文本）{kept}。请用 archive review 逐条核对并确认",
              markup=False, highlight=False)
    if s.mismatched:
        err.print(f"注意：{len(s.mismatched)} 个存储文件的内容与其校验值不符（可能已损坏），如 {s.mismatched[0]}",
                  markup=False, highlight=False)


# ---- the web page and its accounts ---------------------------------------------------------------
user_app = typer.Typer(no_args_is_help=True, help="网页账号：建立、列出、改密码、停用。")
app.add_typer(user_app, name="user")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    pw = typer.prompt("密码", hide_input=True)
    if typer.prompt("再输入一次", hide_input=True) != pw:
        raise UsageError("两次输入的密码不一致")
    return pw


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="用户名"),
    role: str = typer.Option(..., "--role", help="查阅 / 文书 / 档案员 / 领导"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读一行作为密码（脚本用）"),
) -> None:
    """建立网页账号（密码以 argon2 散列保存）。"""
    from archive.web.accounts import add_user

    arc = _archive(create=True)
    add_user(arc.conn, name, role, _read_password(password_stdin))
    err.print(f"已建立账号 {name}（{role}）")


@user_app.command("passwd")
def user_passwd(
    name: str = typer.Argument(..., help="用户名"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读一行作为密码"),
) -> None:
    """修改密码（该用户所有已登录的会话失效）。"""
    from archive.web.accounts import set_password

    arc = _archive()
    set_password(arc.conn, name, _read_password(password_stdin))
    err.print(f"已修改 {name} 的密码")


@user_app.command("disable")
def user_disable(name: str = typer.Argument(..., help="用户名"),
                 enable: bool = typer.Option(False, "--enable", help="重新启用")) -> None:
    """停用（或用 --enable 重新启用）账号；账号不删除，处理记录中的姓名保留。"""
    from archive.web.accounts import set_disabled

    set_disabled(_archive().conn, name, not enable)
    err.print(f"已{'启用' if enable else '停用'}账号 {name}")


@user_app.command("list")
def user_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """列出网页账号。"""
    from archive.web.accounts import list_users

    users = list_users(_archive().conn)
    if as_json:
        _print_json(users)
        return
    t = Table(title="网页账号")
    for h in ("用户名", "角色", "状态", "建立时间"):
        t.add_column(h)
    for u in users:
        t.add_row(u["name"], u["role"], "停用" if u["disabled"] else "启用", u["created_at"])
    out.print(t)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="绑定地址；绑定本机以外的地址须先建立账号"),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    secure_cookies: bool = typer.Option(False, "--secure-cookies",
                                        help="会话 cookie 只经 HTTPS 发送（经 HTTPS 反向代理提供时使用）"),
) -> None:
    """启动网页：检索、查看、上传归档、待定审核、统计与目录导出（可与 archive watch 同时运行）。"""
    import uvicorn

    from archive.web import create_app

    cfg = load_config(state["config"])
    web = create_app(cfg, host, secure_cookies=secure_cookies)
    shown = f"[{host}]" if ":" in host else host
    err.print(f"网页已启动：http://{shown}:{port}/（Ctrl+C 停止）", markup=False, highlight=False)
    uvicorn.run(web, host=host, port=port, log_level="warning", proxy_headers=False)


# ---- entry point -----------------------------------------------------------------------------------
@app.command("open")
def open_cmd(
    ref: str = typer.Argument(..., help="记录号、档号或发文字号"),
    output: Optional[Path] = typer.Option(None, "-o", "--output",
                                          help="输出文件夹（默认当前文件夹）；记录只有一个文件时也可给出文件名"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖"),
    as_json: bool = typer.Option(False, "--json", help="在标准输出打印取出的文件（JSON）"),
) -> None:
    """取出记录的电子文件（及其附加文件）的副本：以档号命名，扩展名正确；库中文件不变。"""
    from archive.export.retrieve import give_back

    arc = _archive()
    row = arc.resolve(ref)
    given = give_back(arc.store, arc.conn, row, output, force=force)
    if as_json:
        _print_json([{"seq": g.source.seq, "filename": g.source.filename, "path": str(g.path)} for g in given])
    for g in given:
        err.print(f"已取出：{g.path}（原文件名：{g.source.filename or '无'}）", markup=False, highlight=False)


def main(argv: list[str] | None = None) -> None:
    """Typer handles usage errors itself (exit 2); our own errors become one line on stderr."""
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        app(args=argv, prog_name="archive")
    except ArchiveError as e:
        if debug:
            raise
        err.print(f"错误：{e}", markup=False, highlight=False)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err.print("已中止")
        sys.exit(1)
    except Exception as e:  # noqa: BLE001 - a clerk sees one line, never a traceback
        if debug:
            raise
        err.print(f"错误：{_unexpected(e)}", markup=False, highlight=False)
        sys.exit(1)


def _unexpected(e: Exception) -> str:
    """One Chinese line for a failure no command turned into an ArchiveError (read-only or full disk, a
    damaged catalog or index, a value too large for the database)."""
    import sqlite3

    detail = f"{type(e).__name__}: {str(e)[:200]}"
    if isinstance(e, sqlite3.OperationalError) and "readonly" in str(e):
        return f"档案库是只读的，无法写入（{detail}）：请检查档案库文件夹和 catalog.sqlite 的权限"
    if isinstance(e, sqlite3.DatabaseError):
        return (f"目录数据库出错（{detail}）：请运行 archive verify 检查；如数据库已损坏，请用 archive restore 从备份恢复")
    if isinstance(e, PermissionError):
        return f"没有权限读写 {e.filename or ''}（{e.strerror}）：请检查档案库文件夹的权限"
    if isinstance(e, OSError):
        return f"读写文件失败：{e.filename or ''}（{e.strerror or detail}）：请检查磁盘空间、权限和路径"
    if isinstance(e, OverflowError):
        return f"数值过大（{detail}）：请检查命令中的数字"
    if isinstance(e, UnicodeError):
        return f"文字编码无法处理（{detail}）：请检查输入中的特殊字符"
    return f"内部错误（{detail}）：请用 --debug 重新运行并把输出报告给维护人员"
