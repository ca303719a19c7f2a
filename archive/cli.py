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
) -> None:
    state["config"] = config
    state["debug"] = debug


def _archive(create: bool = False) -> Archive:
    arc = open_archive(load_config(state["config"]), create=create)
    arc.on_lock_wait = lambda msg: err.print(msg, markup=False, highlight=False)
    return arc


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

    arc = _archive(create=True)

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
        ("保管期限", _ret(row["retention"])), ("机构(问题)", row["org"]), ("件号", row["item_no"]),
        ("发文字号", row["doc_number"]), ("原文字号", row["doc_number_raw"]), ("题名", row["title"]),
        ("责任者", row["issuer"]), ("成文日期", row["date"]), ("文种", row["doc_type"]),
        ("主送", row["recipients"]), ("签发人", row["signer"]), ("紧急程度", row["urgency"]),
        ("抄送", row["cc"]), ("印发", " ".join(x for x in (row["printer"], row["print_date"]) if x)),
        ("页数", row["pages"]), ("文字来源", _text_source(arc.conn, row)), ("与本机关关系", row["relation"]),
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
    if value is None:
        return None
    import datetime as dt

    v = value.strip().replace("/", "-").replace(".", "-")
    try:
        if len(v) == 8 and v.isdigit():
            return dt.date(int(v[:4]), int(v[4:6]), int(v[6:]))
        return dt.date.fromisoformat(v)
    except ValueError:
        raise UsageError(f"{name} “{value}” 不是有效日期：请写成 2022-08-28 或 20220828") from None


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
    filters = Filters(year=year, retention=_retention_option(retention), org=org, doc_type=doc_type,
                      issuer=issuer, date_from=_date_option(date_from, "--from"),
                      date_to=_date_option(date_to, "--to"), status=status)
    arc = _archive()
    res = run_search(arc.conn, arc.index, query, filters, limit=limit, page=page)
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
    arc = _archive()
    sheets = catalogue.catalogue_sheets(arc.conn, arc.cfg, year, _retention_option(retention), org)
    catalogue.write(sheets, output, kind)
    if as_json:
        _print_json(catalogue.to_json(sheets))
    err.print(f"已导出 {year} 年度归档文件目录：{sum(len(s.rows) for s in sheets)} 件，{len(sheets)} 张表 → {output}")


@export_app.command("stamp")
def export_stamp(
    ref: str = typer.Argument(..., help="记录号、档号或发文字号"),
    output: Path = typer.Option(..., "-o", "--output", help="输出的 PDF（库中原件不变）"),
) -> None:
    """给已归档的 PDF 加盖归档章（首页右上角），写成新文件。"""
    from archive.export.stamp import stamp_pdf

    arc = _archive()
    row = arc.resolve(ref)
    stamp_pdf(arc.store, row, arc.cfg, output)
    err.print(f"已加盖归档章：{row['archival_code']} → {output}")


@export_app.command("package")
def export_package(
    year: int = typer.Option(..., "--year", help="年度"),
    output: Path = typer.Option(..., "-o", "--output", help="输出文件夹（新建或空文件夹）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """移交包：BagIt 格式，文件以档号命名，每件一份 JSON 与 XML 元数据，附归档文件目录与校验值。"""
    from archive.export.package import export_package as run

    arc = _archive()
    s = run(arc, year, output)
    if as_json:
        _print_json({"path": str(s.path), "records": s.records, "files": s.files, "bytes": s.bytes})
    err.print(f"已生成 {year} 年度移交包：{s.records} 件（电子文件 {s.files} 个，共 {s.bytes / 1e6:.1f} MB）→ {output}")


@export_app.command("destruction")
def export_destruction(
    output: Path = typer.Option(..., "-o", "--output", help="输出文件"),
    batch: Optional[int] = typer.Option(None, "--batch", help="只导出一个处置批次"),
    fmt: Optional[str] = typer.Option(None, "--format", help="xlsx / docx / pdf / csv"),
) -> None:
    """销毁清册（按批次一张表）。"""
    from archive.audit import destruction_sheets
    from archive.export import catalogue

    kind = _output_format(output, fmt)
    arc = _archive()
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
    recs = run(arc, path)
    if as_json:
        _print_json(recs)
    else:
        out.print(_record_table(recs, title="导入的记录"))
    err.print(f"已导入 {len(recs)} 件")


def _audit_table(items) -> Table:
    t = Table(title="到期档案")
    for h in ("年度", "保管期限", "档号", "题名", "到期日期", "冻结"):
        t.add_column(h, overflow="fold")
    for it in items:
        r = it.record
        t.add_row(str(r["year"]), _ret(r["retention"]), r["archival_code"], r["title"] or "",
                  it.due.isoformat(), it.hold_reason or "")
    return t


@app.command()
def audit(
    as_of: Optional[str] = typer.Option(None, "--as-of", help="鉴定基准日（默认今天），如 2026-01-01"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="写出到期档案鉴定表（.xlsx/.docx/.pdf/.csv）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """列出保管期限已满、应当鉴定的档案（按年度和保管期限分组）。"""
    import datetime as dt

    from archive import audit as audit_mod
    from archive.export import catalogue

    day = _date_option(as_of, "--as-of") or dt.date.today()
    arc = _archive()
    items = audit_mod.due_list(arc.conn, day)
    if output is not None:
        kind = _output_format(output, None)
        sheets = audit_mod.appraisal_sheets(items, day)
        if sheets:
            catalogue.write(sheets, output, kind)
            err.print(f"已写出到期档案鉴定表 → {output}")
    if as_json:
        groups = audit_mod.grouped(items)
        _print_json({"as_of": day.isoformat(), "total": len(items),
                     "groups": [{"year": y, "retention": r, "count": len(g), "records": [i.to_json() for i in g]}
                                for (y, r), g in groups.items()]})
        return
    if items:
        out.print(_audit_table(items))
    err.print(f"截至 {day.isoformat()}，到期 {len(items)} 件" +
              (f"（其中冻结 {sum(1 for i in items if i.hold_reason)} 件）" if items else ""))


@app.command()
def hold(
    ref: str = typer.Argument(..., help="记录号、档号或发文字号"),
    reason: str = typer.Option(..., "--reason", help="冻结原因（调查、诉讼、审计…）"),
) -> None:
    """冻结一份档案：在解除之前不能销毁。"""
    from archive.audit import hold as run

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

    arc = _archive()
    row = arc.resolve(ref)
    run(arc, row, reason)
    err.print(f"已解除冻结 {row['archival_code'] or row['id']}")


@app.command()
def dispose(
    refs: list[str] = typer.Argument(..., help="记录号、档号或发文字号（可多个）"),
    decision: str = typer.Option(..., "--decision", help="destroy（销毁）或 extend（延长保管期限）"),
    approved_by: str = typer.Option(..., "--approved-by", help="批准人"),
    reason: str = typer.Option(..., "--reason", help="鉴定意见 / 理由"),
    retention: Optional[str] = typer.Option(None, "--retention", help="extend：新的保管期限 30年 / 永久"),
    supervisors: list[str] = typer.Option([], "--supervisor", help="监销人（销毁时两人，可重复此选项）"),
    force: bool = typer.Option(False, "--force", help="允许销毁尚未到期的档案"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="判断是否到期的日期（默认今天）"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="销毁时写出本批次的销毁清册"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """处置到期档案：销毁（文件删除、记录保留、列入销毁清册）或延长保管期限（档号不变）。"""
    from archive import audit as audit_mod
    from archive.export import catalogue

    arc = _archive()
    rows = [arc.resolve(r) for r in refs]
    res = audit_mod.dispose(arc, rows, decision, approved_by=approved_by, reason=reason,
                            retention=_retention_option(retention), supervisors=supervisors,
                            as_of=_date_option(as_of, "--as-of"), force=force)
    if output is not None and decision == "destroy":
        catalogue.write(audit_mod.destruction_sheets(arc.conn, arc.cfg, res.batch), output, _output_format(output, None))
        err.print(f"销毁清册 → {output}")
    if as_json:
        _print_json({"batch": res.batch, "decision": res.decision, "records": res.records})
        return
    label = "销毁" if decision == "destroy" else "延长保管期限"
    err.print(f"批次 {res.batch}：已{label} {len(res.records)} 件")


@app.command()
def review(as_json: bool = typer.Option(False, "--json")) -> None:
    """列出待定（待人工确认）的文件及原因。"""
    from archive.review import pending

    arc = _archive()
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

    arc = _archive()
    row = arc.resolve(ref)
    before = catalog.record(row)
    rec = run(arc, row, retention=_retention_option(retention), org=org, year=year, exclude=exclude, reason=reason)
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

    arc = _archive()
    row = arc.resolve(ref)
    before = catalog.record(row)
    rec = run(arc, row, retention=_retention_option(retention), org=org, year=year, status=status, reason=reason)
    _changed(before, rec, as_json)


@app.command("explain-gap")
def explain_gap(
    code: str = typer.Argument(..., help="空号的档号，如 Z109-WS·2015-Y-BGS-0004"),
    reason: str = typer.Option(..., "--reason", help="为何空号（记入事件日志）"),
) -> None:
    """说明一个空号（如旧目录中本就缺号），四性检测不再把它列为问题。"""
    from archive.verify import explain_gap as run

    err.print(f"已记录空号 {run(_archive(), code, reason)}：{reason}")


@app.command()
def verify(as_json: bool = typer.Option(False, "--json")) -> None:
    """四性检测：校验值、必备著录项、文件可读、件号连续、事件日志哈希链、索引与目录一致。有问题时退出码为 1。"""
    from archive.verify import CHECKS, verify as run

    arc = _archive()
    total = arc.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    with Progress(TextColumn("四性检测"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, disable=as_json or not err.is_terminal) as bar:
        task = bar.add_task("verify", total=total)
        rep = run(arc, progress=lambda k: bar.update(task, completed=k))
    if as_json:
        _print_json(rep.to_json())
    else:
        if rep.findings:
            t = Table(title="四性检测结果")
            for h in ("检测项", "对象", "问题"):
                t.add_column(h, overflow="fold")
            for f in rep.findings:
                t.add_row(CHECKS[f.check] + ("（提示）" if f.severity == "notice" else ""), f.ref, f.message)
            out.print(t)
        c = rep.counts
        err.print(f"检测了 {c['records']} 条记录、{c['files']} 个文件、{c['events']} 条事件：" +
                  ("全部通过" if rep.ok else f"发现 {len(rep.errors)} 个问题") +
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
              "ambiguous": "无法确定归属的文件", "duplicate_files": "重复文件（未挂接）"}
    t = Table(title=f"导入报告：{file.name}" + ("（试运行，未改动档案库）" if dry_run else ""))
    t.add_column("项目")
    t.add_column("数量", justify="right")
    summ = rep.summary()
    for k, label in labels.items():
        t.add_row(label, str(summ[k]))
    for k, n in sorted(summ["rejected_by_reason"].items()):
        t.add_row(f"  拒绝：{ic.REASONS[k]}", str(n))
    for k, n in summ["retention_converted"].items():
        t.add_row(f"保管期限按 8号令 换算：{k}", str(n))
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


# ---- OCR (issue 4) ---------------------------------------------------------------------------------
_METHODS = {"text-layer": "文字层", "ocr": "OCR 识别", "text-layer+ocr": "文字层 + OCR 识别"}


def _text_source(conn, row) -> str | None:
    """For ``show``: where the text came from; for OCR, the confidence overall, of the 版头, per page."""
    method = _METHODS.get(row["extract_method"] or "", row["extract_method"])
    if row["ocr_confidence"] is None:
        return method
    parts = [f"平均置信度 {row['ocr_confidence']:.0f}%"]
    if row["ocr_header_confidence"] is not None:
        parts.append(f"版头 {row['ocr_header_confidence']:.0f}%")
    pages = catalog.ocr_pages(conn, row["id"])
    if len(pages) > 1:
        parts.append("各页 " + " ".join(
            f"{p['page']}:{p['confidence']:.0f}%" if p["confidence"] is not None else f"{p['page']}:文字层"
            for p in pages))
    if row["searchable_path"]:
        parts.append(f"可检索 PDF {row['searchable_path']}")
    return f"{method}（{'，'.join(parts)}）"


# ---- entry point -----------------------------------------------------------------------------------
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
