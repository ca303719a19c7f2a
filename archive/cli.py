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
    return open_archive(load_config(state["config"]), create=create)


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
    files = []
    for p in paths:
        if not p.exists():
            raise UsageError(f"找不到 {p}：请检查路径")
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.is_file() and not f.is_symlink()
                            and not any(part.startswith(".") for part in f.relative_to(p).parts))
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
        for f in files:
            r = arc.ingest_file(f)
            results.append(r)
            if not as_json:
                bar.console.print(_result_line(r), markup=False, highlight=False)
            bar.advance(task)
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
    err.print(f"共 {res.total} 条，第 {res.page}/{res.pages} 页" + ("（用 --page 翻页）" if res.pages > 1 else ""))


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
    err.print(f"全文索引已重建：{n} 份文件")


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
