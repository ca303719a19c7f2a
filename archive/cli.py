"""The ``archive`` command: parses arguments, calls the services, prints. Nothing else lives here.

How things are printed (tables or ``--json``, the progress bar, the two streams) is archive/console.py; what a
command does is in its service module (docs/architecture.md has the map). Modules that take long to import
(the pipeline, the catalog, the configuration's schema checker) are imported inside the commands that need
them, so ``archive --help`` answers at once.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path
from typing import Optional

import typer

from archive.console import counts_table, emit, err, out, print_json_line, printable, progress, say, table
from archive.errors import ArchiveError, UsageError, describe_unexpected
from archive.models import IngestResult
from archive.words import OUTCOME_NAMES
from archive import clitext  # noqa: F401 - Click's and Typer's own texts in Chinese (installs on import)
from archive import clifast

clifast.install()  # plain option values without pydantic: a quicker start (bench/startup_bench.py)

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  pretty_exceptions_enable=False,
                  help="文书档案电子化：收文、识别、分类、编档号、存储、检索。")
state = {"config": None, "debug": False}

OUTCOME_LABELS = OUTCOME_NAMES
STATUSES = ("archived", "pending", "excluded", "destroyed")


@app.callback()
def _global(
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="配置文件（默认 ./config.toml 或 $ARCHIVE_CONFIG）"),
    debug: bool = typer.Option(False, "--debug", help="出错时显示完整的调用栈"),
    operator: Optional[str] = typer.Option(None, "--operator", help="操作人姓名：与系统账户一并记入事件日志（注明为声明）"),
) -> None:
    state["config"] = config
    state["debug"] = debug
    _set_operator(operator)


# ---- the archive a command works on --------------------------------------------------------------
def _config():
    from archive.config import load_config

    return load_config(state["config"])


def _archive(create: bool = False):
    """The open archive (the handle of docs/architecture.md); waiting for another writer's lock is said on
    stderr."""
    from archive.session import open_archive

    from archive import catalog

    catalog.on_upgrade = say  # a migration says where the copy it took first went
    arc = open_archive(_config(), create=create)
    arc.on_lock_wait = say
    return arc


def _table_notice(arc) -> None:
    """8号令 第十二条: until the 同级档案主管部门 has agreed to the table, every report and export says so.
    The catalog is opened first: a lost catalog stops the command with its own one line, before any notice."""
    from archive import rules_table

    arc.conn
    if why := rules_table.unapproved_reason(arc):  # the catalog's record for the table as it reads now
        say(f"注意：{why}（archive rules approve 登记审核同意）")


# ---- values checked at the boundary ---------------------------------------------------------------
def _set_operator(name: str | None) -> None:
    """``--operator``: recorded as declared beside the OS account (catalog.actor), never instead of it."""
    from archive import catalog
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


def _ret(code: str | None) -> str:
    """Y / D30 / D10 -> 永久 / 30年 / 10年 for display."""
    from archive import retention

    return retention.name(code)


def _retention_option(value: str | None) -> str | None:
    """--retention: 永久 / 30年 / 10年, or the codes Y / D30 / D10 -> the code."""
    from archive import words

    return words.retention(value)


def _status_option(status: str | None, allowed: tuple[str, ...] | None = None) -> str | None:
    """--status: 待定 / 已归档 / 不归档 / 已销毁 (or the English codes, for scripts) -> the code."""
    from archive import words

    return words.status(status, allowed or words.STATUSES)


def _decision_option(value: str) -> str:
    """--decision: 延期 / 续存 / 延长 (or extend) -> extend; 销毁 -> destroy, which dispose refuses with the procedure."""
    from archive import words

    return words.decision(value)


def _today():
    """Today on the agency's clock (the configuration loaded sets it), not the machine's."""
    from archive.display import today

    return today()


def _date_option(value: str | None, name: str):
    from archive.bounds import parse_date

    return parse_date(value, name)


def _new_output(path: Path | None, force: bool) -> None:
    """-o / --report: an existing file is replaced only with --force (one line naming it, before any work)."""
    from archive.atomic import refuse_existing

    refuse_existing(path, force)


def _output_format(out_file: Path, fmt: str | None) -> str:
    """The format of a written table: --format, else the output file's extension."""
    from archive.export.catalogue import FORMATS

    from archive import words

    fmt = words.table_format(fmt) if fmt else out_file.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise UsageError(f"格式 “{fmt}” 无效：应为 {'、'.join(FORMATS)}（--format 或输出文件的扩展名）")
    return fmt


# ---- setting up, and taking files in ------------------------------------------------------------
@app.command()
def init(
    agency: Optional[str] = typer.Option(None, "--agency", help="本机关全称（写入新生成的配置文件）"),
    fonds: Optional[str] = typer.Option(None, "--fonds", help="全宗号，如 Z109（写入新生成的配置文件）"),
    force: bool = typer.Option(False, "--force", help="配置文件已存在时重新生成（原文件另存一份备份）"),
) -> None:
    """创建档案库、目录数据库和收件箱文件夹（已存在则不变）；没有配置文件时先生成一份带中文说明的起步配置。"""
    from archive.config import default_config_path, write_starter_config

    path = state["config"] or default_config_path()
    if force or not (path.exists() or path.is_symlink()):
        agency = _text_arg(agency, "--agency 本机关全称", 200)
        kept = write_starter_config(path, agency=agency, fonds=fonds, force=force)
        if kept is not None:
            say(f"原配置文件已另存为 {kept}")
        say(f"已生成配置文件 {path}：请按本机关实际修改机关名称、全宗号、机构和保管期限表（[[rules]]）")
    elif agency is not None or fonds is not None:
        say(f"配置文件 {path} 已存在，未改动（--agency、--fonds 只用于新生成的配置；如要重新生成，请加 --force）")
    arc = _archive(create=True)
    cfg = arc.cfg
    err.print(f"档案库已就绪：{cfg.store}")
    err.print(f"收件箱：{cfg.inbox}（处理后移至 {cfg.processed_dir.name}/、{cfg.duplicates_dir.name}/、"
              f"{cfg.failed_dir.name}/、{cfg.refused_dir.name}/）")


def _expand(paths: list[Path]) -> list[Path]:
    from archive import oa_package
    from archive.walk import walk

    files = []
    for p in paths:
        if not p.exists() and not p.is_symlink():
            raise UsageError(f"找不到 {p}：请检查路径")
        if p.is_dir() and not p.is_symlink():
            # an OA 归档信息包 folder is one 件, not its files (archive/oa_package.py)
            files += [p] if oa_package.is_package(p) else oa_package.collapse(walk(p, skip_temporary=False), p)
        else:
            files.append(p)
    return files


def _result_line(r: IngestResult) -> str:
    rec = r.record or {}
    label = OUTCOME_LABELS.get(r.outcome, r.outcome)
    ref = rec.get("archival_code") or (f"记录 {rec['id']}" if rec.get("id") else "")
    title = rec.get("title") or ""
    extra = f"  {r.reason}" if r.reason and r.outcome in ("pending", "duplicate", "refused", "held", "failed",
                                                       "attached") else ""
    name = printable(Path(r.file).name)  # one line a file, whatever its name holds (a newline, ESC)
    return f"[{label}] {name}  {ref}  {printable(title)}{extra}".replace("  ", " ").strip()


def _result_json(r: IngestResult) -> dict:
    return {"file": r.file, "outcome": r.outcome, "reason": r.reason, **(r.record or {})}


def _summary(results: list[IngestResult], interrupted: bool = False) -> None:
    counts = Counter(r.outcome for r in results)
    parts = [f"{OUTCOME_LABELS[k]} {counts[k]}" for k in OUTCOME_LABELS if k in counts]
    say(("【已中断】" if interrupted else "") + f"共 {len(results)} 个文件：" + ("，".join(parts) or "无") +
        ("。已处理的文件均已登记并建立全文索引，其余文件未动，可再次运行同一命令继续" if interrupted else ""))


def _interrupted_exit() -> None:
    """Ctrl+C / SIGTERM ended a command between two files (archive.interrupt): exit 130."""
    from archive.interrupt import EXIT_CODE

    raise typer.Exit(EXIT_CODE)


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="文件或文件夹（递归）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
) -> None:
    """把文件或文件夹中的文件入库（原文件保留不动）。"""
    from archive.intake import take_in
    from archive.interrupt import stop_on_signal

    arc = _archive(create=True)
    files = _expand(paths)
    with stop_on_signal() as stop:  # Ctrl+C / SIGTERM: finish between two files, index, say 已中断, exit 130
        with progress("入库", len(files), show=not as_json and len(files) > 1) as bar:

            def done(r) -> None:
                if not as_json:
                    bar.print(_result_line(r))
                bar.advance()

            taken = take_in(arc, files, stop=stop, on_message=err.print, on_result=done)
    results = taken.results
    emit(as_json, lambda: [_result_json(r) for r in results], lambda: _summary(results, taken.interrupted))
    if taken.interrupted:
        if as_json:
            say(f"【已中断】已处理 {len(results)}/{len(files)} 个文件")
        _interrupted_exit()
    if taken.failed:
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
            print_json_line(_result_json(r))
        else:
            out.print(_result_line(r), markup=False, highlight=False)

    w = InboxWatcher(arc, polling=polling, on_result=on_result, on_message=lambda m: err.print(m))
    from archive.interrupt import stop_on_signal

    if not once:
        err.print(f"正在监视 {arc.cfg.inbox}（Ctrl+C 停止）")
    # Ctrl+C / SIGTERM: the watcher's stop event; the file being read is left in the inbox, exit 130
    with stop_on_signal(w.stop_event, notice="收到停止请求：正在停止监视…") as stop:
        results = w.run(once=once)
    if not as_json or stop.is_set():
        _summary(results, stop.is_set())
    if stop.is_set():
        _interrupted_exit()
    if once and any(r.outcome == "failed" for r in results):
        raise typer.Exit(1)


# ---- finding and reading records -----------------------------------------------------------------
def _status_label(r) -> str:
    """已归档, or 预归档 for a record waiting for its year's filing (no 档号 yet: archive/filing.py)."""
    if "filing_state" in r.keys() and r["filing_state"] == "collected":
        return "预归档"
    return OUTCOME_LABELS.get(r["status"], r["status"])


def _record_table(rows, title: str | None = None):
    return table(("记录号", "档号", "文号", "题名", "日期", "保管期限", "状态"),
                 ((r["id"], r["archival_code"] or "", r["doc_number"] or "", r["title"] or r["filename"],
                   (r["date"] or "").replace("-", ""), _ret(r["retention"]),
                   _status_label(r)) for r in rows),
                 title=title, show_lines=False)


@app.command("list")
def list_(
    status: Optional[str] = typer.Option(None, "--status", help="待定 / 已归档 / 不归档 / 已销毁"),
    year: Optional[int] = typer.Option(None, "--year", help="年度"),
    retention: Optional[str] = typer.Option(None, "--retention", help="永久 / 30年 / 10年"),
    org: Optional[str] = typer.Option(None, "--org", help="机构(问题)代码"),
    limit: Optional[int] = typer.Option(None, "--limit", min=1),
    offset: int = typer.Option(0, "--offset", min=0),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """列出目录中的文件。"""
    from archive import catalog

    status = _status_option(status)
    year, org = _year_arg(year), _text_arg(org, "--org 机构代码")
    limit, offset = _int_arg(limit, "--limit", 1, 10**9), _int_arg(offset, "--offset", 0, 10**12)
    arc = _archive()
    rows = catalog.list_documents(arc.conn, status=status, year=year, retention=_retention_option(retention),
                                  org=org, limit=limit, offset=offset)

    def render() -> None:
        out.print(_record_table(rows))
        err.print(f"共 {len(rows)} 条")

    emit(as_json, lambda: [catalog.record(r) for r in rows], render)


@app.command()
def show(
    ref: str = typer.Argument(..., help="记录号、档号或发文字号（任意写法）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """显示一份文件的全部著录项，以及它为何被如此分类。"""

    arc = _archive()
    row, moved = _resolve_following(arc, ref)
    if moved and not as_json:
        say(_moved_line(arc, moved))
    emit(as_json, lambda: _record_with_files(arc, row), lambda: _print_record(arc, row))


def _record_with_files(arc, row) -> dict:
    """The record as printed (--json); a record of several files adds ``files`` (each with its role)."""
    from archive import catalog
    from archive.attach import files

    from archive import oa_package

    listed = files(arc.conn, row)
    rec = {**catalog.record(row), "files": listed} if len(listed) > 1 else catalog.record(row)
    steps = oa_package.steps_of(arc.conn, row["id"])
    return {**rec, "process": steps} if steps else rec


def _print_files(arc, row) -> None:
    """A record's files and their roles (one 件, several files), when it has more than its own."""
    from archive.attach import files

    listed = files(arc.conn, row)
    if len(listed) < 2:
        return
    out.print(table(("序号", "角色", "原文件名", "格式", "页数", "说明"),
                    ((f["seq"], f["role"], f["filename"] or "", f["media_type"] or "",
                      "" if f["pages"] is None else f["pages"],
                      (f"已拆出，现为记录 {f['detached_to']}" if f["detached_to"] else "已拆出，仍保存于库中")
                      if f["detached"] else ("" if f["stored"] else "已销毁")) for f in listed),
                    title="本件的文件", fold=False))


def _print_process(arc, row) -> None:
    """The 办理过程 of a record taken in from an OA 归档信息包 (archive/oa_package.py), when it has one."""
    from archive import oa_package

    rows = oa_package.step_rows(oa_package.steps_of(arc.conn, row["id"]), arc.cfg.tz)
    if rows:
        out.print(table(("序号", "环节", "处理人", "时间", "意见"), rows, title="办理过程", fold=False))


def _resolve_following(arc, ref: str):
    """``show``: a 档号 changed by reclassify still finds its record; (row, the change or None)."""
    from archive import archival_code, catalog
    from archive.errors import AmbiguousRefError, NotFoundError

    try:
        return arc.resolve(ref), None
    except AmbiguousRefError:
        raise
    except NotFoundError:
        code = archival_code.parse(ref.strip())
        moved = catalog.former_code(arc.conn, str(code)) if code else None
        if moved is None:
            raise
        moved["old_code"] = str(code)
        return arc.resolve(str(moved["document_id"])), moved


def _moved_line(arc, moved: dict) -> str:
    from archive.display import local_time

    now = moved["current_code"] or "无档号（现为不归档或待定）"
    why = f"，原因：{moved['reason']}" if moved.get("reason") else ""
    return (f"档号 {moved['old_code']} 已于 {local_time(moved['ts'], arc.cfg.tz)} 改为 {now}"
            f"（记录号 {moved['document_id']}{why}）；以下是该记录现在的著录")


def _print_record(arc, row) -> None:
    """Every filled-in field of one record, then its event log."""
    from rich.table import Table

    from archive import catalog

    t = Table(show_header=False, box=None)
    t.add_column(style="bold")
    t.add_column(overflow="fold")
    fields = [
        ("记录号", row["id"]), ("状态", _status_label(row)),
        ("档号", row["archival_code"]), ("全宗号", row["fonds"]), ("年度", row["year"]),
        ("保管期限", _ret(row["retention"])), ("原保管期限", row["retention_old"]),
        ("机构(问题)", row["org"]), ("件号", row["item_no"]),
        ("发文字号", row["doc_number"]), ("原文字号", row["doc_number_raw"]), ("题名", row["title"]),
        ("责任者", row["issuer"]), ("成文日期", row["date"]), ("文种", row["doc_type"]),
        ("主送", row["recipients"]), ("签发人", row["signer"]), ("紧急程度", row["urgency"]),
        ("抄送", row["cc"]), ("印发", " ".join(x for x in (row["printer"], row["print_date"]) if x)),
        ("份号", row["copy_no"]), ("印章", row["stamp"]), ("附注", row["annotation"]), ("备注", row["note"]),
        ("阅办类型", row["receipt_kind"]),
        ("页数", row["pages"]), ("文字来源", catalog.text_source(row, catalog.ocr_pages(arc.conn, row["id"]), searchable=True)), ("与本机关关系", row["relation"]),
        ("分类依据", f"{row['rule_id']}：{row['basis']}" if row["rule_id"] else None),
        ("待定原因", row["reason"]), ("原文件名", row["filename"]), ("SHA-256", row["sha256"]),
        ("存储位置", row["stored_path"]), ("入库时间", _local(arc, row["ingested_at"])),
        ("人工更正", "、".join(_corrected_labels(row))),
        ("保密审查", _secrecy_decision(arc, row["id"])),
    ]
    for k, v in fields:
        if v not in (None, ""):
            t.add_row(k, printable(str(v), keep_newlines=k == "待定原因"))  # a file name's ESC or newline shown escaped
    out.print(t)
    _print_files(arc, row)
    _print_process(arc, row)
    events = catalog.events_for(arc.conn, row["id"])
    if events:
        from archive.display import history_rows

        out.print(table(("时间", "操作人", "操作", "说明"), history_rows(events, arc.cfg.tz), title="处理记录"))


def _secrecy_decision(arc, record_id: int) -> str | None:
    """The 保密员's decision that let this record in (archive secrecy decide), or None."""
    from archive.secrecy_queue import decision_of

    d = decision_of(arc, record_id)
    if d is None:
        return None
    return (f"{d['decision']}（第 {d['id']} 号隔离文件；{d['decided_by']}，{_local(arc, d['decided_at'])}："
            f"{d['decision_reason']}）")


def _local(arc_or_cfg, ts) -> str:
    """A catalog time in the agency's time zone, for a table (``--json`` keeps the ISO form)."""
    from archive.display import local_time

    cfg = getattr(arc_or_cfg, "cfg", arc_or_cfg)
    return local_time(ts, cfg.tz)


def _corrected_labels(row) -> list[str]:
    """The fields a person corrected (archive edit), in Chinese: an automatic step leaves them alone."""
    from archive import catalog
    from archive.edit import FIELDS

    return [label for k, label in FIELDS.items() if k in catalog.corrected_of(row)]


def _snippet_markup(snippet: str) -> str:
    from rich.markup import escape

    from archive.search import MARK_END, MARK_START

    return escape(snippet).replace(MARK_START, "[bold red]").replace(MARK_END, "[/bold red]")


@app.command()
def search(
    query: str = typer.Argument(..., help="关键词、短语（加引号）、发文字号（任意写法），或字段查询（字段名与写法见使用说明“全文检索”一节）"),
    year: Optional[int] = typer.Option(None, "--year", help="年度"),
    retention: Optional[str] = typer.Option(None, "--retention", help="永久 / 30年 / 10年"),
    org: Optional[str] = typer.Option(None, "--org", help="机构(问题)代码"),
    doc_type: Optional[str] = typer.Option(None, "--type", help="文种，如 通知、决定"),
    issuer: Optional[str] = typer.Option(None, "--issuer", help="发文机关（包含即可）"),
    date_from: Optional[str] = typer.Option(None, "--from", help="成文日期起，如 2022-01-01"),
    date_to: Optional[str] = typer.Option(None, "--to", help="成文日期止"),
    status: Optional[str] = typer.Option(None, "--status", help="待定 / 已归档 / 不归档 / 已销毁"),
    limit: int = typer.Option(20, "--limit", min=1, help="每页条数"),
    page: int = typer.Option(1, "--page", min=1, help="第几页"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """全文检索与文号检索。"""
    from archive.bounds import MAX_QUERY
    from archive.search import MARK_END, MARK_START, Filters, search_archive

    status = _status_option(status)
    query = _text_arg(query, "检索词", MAX_QUERY)
    year, limit, page = _year_arg(year), _int_arg(limit, "--limit", 1, 1000), _int_arg(page, "--page", 1, 10**6)
    org, doc_type = _text_arg(org, "--org 机构代码"), _text_arg(doc_type, "--type 文种")
    issuer = _text_arg(issuer, "--issuer 发文机关")
    filters = Filters(year=year, retention=_retention_option(retention), org=org, doc_type=doc_type,
                      issuer=issuer, date_from=_date_option(date_from, "--from"),
                      date_to=_date_option(date_to, "--to"), status=status)
    arc = _archive()
    res = search_archive(arc, query, filters, limit=limit, page=page)

    def render() -> None:
        out.print(table(("记录号", "档号", "文号", "题名", "日期", "保管期限", "摘要"),
                        ((h.record["id"], h.record["archival_code"] or OUTCOME_LABELS.get(h.record["status"], ""),
                          h.record["doc_number"] or "", h.record["title"] or h.record["filename"],
                          (h.record["date"] or "").replace("-", ""), _ret(h.record["retention"]),
                          _snippet_markup(h.snippet) if h.snippet else ("（文号匹配）" if h.matched == "docno" else ""))
                         for h in res.hits),
                        title=f"“{query}” 的检索结果"))
        err.print(f"共{'' if res.exact else '约'} {res.total} 条，第 {res.page}/{res.pages} 页" +
                  ("（用 --page 翻页）" if res.pages > 1 else ""))
        _say_ambiguous(query, res.ambiguous)

    ambiguous = {r["id"] for r in res.ambiguous}
    emit(as_json, lambda: [{**h.record, "score": h.score, "matched": h.matched,
                            **({"ambiguous_number": True} if h.record["id"] in ambiguous else {}),
                            "snippet": h.snippet.replace(MARK_START, "<em>").replace(MARK_END, "</em>")}
                           for h in res.hits], render)


def _say_ambiguous(query: str, records: list[dict]) -> None:
    """A number without its 机关代字 that several documents carry: say so, and list them (stderr)."""
    if not records:
        return
    say(f"注意：“{query}” 没有机关代字，有 {len(records)}{'+' if len(records) >= 50 else ''} 份文件的文号与之相符，"
        "请写出完整文号（如 冀办字〔2019〕21号）以确定一份：")
    for r in records[:20]:
        say(f"  记录 {r['id']}  {r['doc_number'] or ''}  {r['issuer'] or ''}  {r['title'] or r['filename'] or ''}")
    if len(records) > 20:
        say(f"  …… 另有 {len(records) - 20} 份（用 --json 查看全部）")


@app.command()
def reindex() -> None:
    """从目录数据库重建全文索引（不重新读取文件）。"""
    from archive import catalog
    from archive.search import rebuild_index
    from archive.words import ENGINE_NAMES

    arc = _archive()
    with progress("重建索引", catalog.count_documents(arc.conn)) as bar:
        n = rebuild_index(arc, progress=bar)
    engine = ENGINE_NAMES.get(arc.index.engine, arc.index.engine)
    err.print(f"全文索引已重建：{n} 份文件（检索引擎：{engine}）")


@app.command()
def stats(as_json: bool = typer.Option(False, "--json")) -> None:
    """统计：各状态数量，按年度、保管期限、机构的归档件数和页数。"""
    from archive import catalog

    from archive.secrecy_queue import held_count

    from archive.filing import unfiled

    arc = _archive()
    s = {**catalog.stats(arc.conn), "secrecy_held": held_count(arc), "unfiled_years": unfiled(arc)}
    emit(as_json, s, lambda: _print_stats(s))


def _print_stats(s: dict) -> None:
    out.print(counts_table("档案库统计", [
        ("记录总数", s["total"]),
        *((OUTCOME_LABELS[k], s["by_status"].get(k, 0)) for k in STATUSES),
        *((f"{OUTCOME_LABELS[k]}（次）", s["other_outcomes"].get(k, 0)) for k in ("duplicate", "refused", "failed"))]))
    if s["archived_by_year"]:
        out.print(table(("年度", "保管期限", "机构", "件数", "页数"),
                        ((str(r["year"]), _ret(r["retention"]), r["org"] or "", str(r["n"]), str(r["pages"] or 0))
                         for r in s["archived_by_year"]),
                        title="归档文件（按年度、保管期限、机构）", fold=False))
    if s.get("unfiled_years"):  # 定期整理归档: each year still to be filed, its deadline and what blocks it
        out.print(table(("年度", "状态", "预归档", "待定", "归档期限", "尚需"),
                        ((str(y["year"]), y["state"], str(y["collected"]), str(y["pending"]),
                          y["deadline"] + ("（已过期）" if y["overdue"] else ""), "、".join(y["blocks"]))
                         for y in s["unfiled_years"]), title="尚未归档的年度", fold=False))
    if s.get("secrecy_held"):
        say(f"隔离待保密员审查（疑似涉密）：{s['secrecy_held']} 件（archive secrecy list）")


# ---- exports, and importing a transfer package ----------------------------------------------------
export_app = typer.Typer(no_args_is_help=True, help="导出：归档文件目录、归档章、移交包、销毁清册。")
app.add_typer(export_app, name="export")
import_app = typer.Typer(no_args_is_help=True, help="导入：旧系统或 Excel 的目录及其全文，移交包。")
app.add_typer(import_app, name="import")
from archive.cli_filing import arrange_app  # noqa: E402 - archive arrange (archive/filing.py)
app.add_typer(arrange_app, name="arrange")


@export_app.command("catalog")
def export_catalog(
    year: int = typer.Option(..., "--year", help="年度"),
    retention: Optional[str] = typer.Option(None, "--retention", help="只导出一种保管期限：永久 / 30年 / 10年"),
    org: Optional[str] = typer.Option(None, "--org", help="只导出一个机构(问题)代码"),
    fmt: Optional[str] = typer.Option(None, "--format", help="xlsx / docx / pdf / csv（默认按输出文件扩展名）"),
    output: Path = typer.Option(..., "-o", "--output", help="输出文件"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖"),
    as_json: bool = typer.Option(False, "--json", help="同时在标准输出打印目录行"),
) -> None:
    """归档文件目录（DA/T 22）：每种保管期限（和机构）一张表，A4 横向，表头每页重复，带页码。"""
    from archive.export import catalogue

    kind = _output_format(output, fmt)
    _new_output(output, force)
    year = _year_arg(year)
    arc = _archive()
    _table_notice(arc)
    sheets = catalogue.catalogue_sheets(arc.conn, arc.cfg, year, _retention_option(retention), org)
    catalogue.write(sheets, output, kind)
    emit(as_json, lambda: catalogue.to_json(sheets))
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
    from archive import access_log
    from archive.export.stamping import stamp_record

    arc = _archive()
    row = arc.resolve(ref)
    done = stamp_record(arc.store, row, arc.cfg, output, force=force)
    access_log.record(arc, row, "stamp", "cli", done.path.name)
    for note in done.notes:
        say(f"注意：{note}")
    say(f"已加盖归档章：{row['archival_code']} → {done.path}")


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
    with progress("生成移交包", show=not as_json) as bar:
        s = run(arc, year, output, progress=bar)
    emit(as_json, lambda: {"path": str(s.path), "records": s.records, "files": s.files, "bytes": s.bytes})
    err.print(f"已生成 {year} 年度移交包：{s.records} 件（电子文件 {s.files} 个，共 {s.bytes / 1e6:.1f} MB）→ {output}")


@export_app.command("destruction")
def export_destruction(
    output: Path = typer.Option(..., "-o", "--output", help="输出文件"),
    batch: Optional[int] = typer.Option(None, "--batch", help="只导出一个批次（archive appraisals 中的批次号）"),
    fmt: Optional[str] = typer.Option(None, "--format", help="xlsx / docx / pdf / csv"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖"),
) -> None:
    """销毁清册（按批次一张表）。"""
    from archive.audit import destruction_sheets
    from archive.export import catalogue

    kind = _output_format(output, fmt)
    _new_output(output, force)
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
    from archive.interrupt import stop_on_signal

    arc = _archive(create=True)
    refused: list = []
    with stop_on_signal(notice="收到中断请求：导入完当前一件后停止…") as stop:  # exit 130, the rest on a rerun
        arc.cancel = stop
        with progress("导入移交包", show=not as_json) as bar:
            recs = run(arc, path, refused=refused, progress=bar, checks=(checks := []))
    emit(as_json, recs, lambda: out.print(_record_table(recs, title="导入的记录")))
    for c in checks:  # the DA/T 70 items checked on the package (archive/export/package.py)
        say(f"[{c['item']}：{c['result']}] {c['detail']}")
    for name, why in refused:
        say(f"[拒收（涉密）] {name}：{why}")
    say(("【已中断】" if stop.is_set() else "") + f"已导入 {len(recs)} 件" +
        (f"，拒收涉密记录 {len(refused)} 件（未存储、未索引）" if refused else "") +
        (f"。已导入的记录均已建立全文索引；再次运行 archive import package {path} 导入其余记录" if stop.is_set() else ""))
    if stop.is_set():
        _interrupted_exit()


# ---- retention: what is due, holds, extensions ----------------------------------------------------
def _audit_table(items):
    from archive.retention import label as retention_label

    return table(("记录号", "年度", "保管期限", "档号", "题名", "到期日期", "冻结", "说明"),
                 ((it.record["id"], str(it.record["year"]), retention_label(it.record), it.record["archival_code"],
                   it.record["title"] or "", it.due.isoformat(), it.hold_reason or "", it.note) for it in items),
                 title="到期档案")


def _on_record(ref: str, act):
    """Resolve REF (id, 档号 or 发文字号) in the archive and apply ``act(arc, row)``; returns the row as it was."""
    arc = _archive()
    row = arc.resolve(ref)
    act(arc, row)
    return row


def _audit_json(day, items, cfg) -> dict:
    from archive.audit import grouped

    return {"as_of": day.isoformat(), "total": len(items), "table_approved": cfg.table_approval is not None,
            "table_status": cfg.table_status,
            "groups": [{"year": y, "retention": r, "count": len(g), "records": [i.to_json() for i in g]}
                       for (y, r), g in grouped(items).items()]}


@app.command()
def audit(
    as_of: Optional[str] = typer.Option(None, "--as-of", help="鉴定基准日（默认今天；不能晚于今天），如 2026-01-01"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="写出到期档案鉴定表（.xlsx/.docx/.pdf/.csv）"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """鉴定第一步：列出保管期限已满、应当鉴定的档案（按年度和保管期限分组）。"""

    from archive import audit as audit_mod
    from archive.export import catalogue

    day = audit_mod.not_future(_date_option(as_of, "--as-of") or _today())
    _new_output(output, force)
    arc = _archive()
    _table_notice(arc)
    items = audit_mod.due_list(arc.conn, day, arc.cfg)
    if output is not None:
        kind = _output_format(output, None)
        sheets = audit_mod.appraisal_sheets(items, day, arc.cfg.table_status)
        if sheets:
            catalogue.write(sheets, output, kind)
            err.print(f"已写出到期档案鉴定表 → {output}")

    def render() -> None:
        if items:
            out.print(_audit_table(items))
        err.print(f"截至 {day.isoformat()}，到期 {len(items)} 件" +
                  (f"（其中冻结 {sum(1 for i in items if i.hold_reason)} 件）" if items else "") +
                  ("；下一步：archive appraise 记录鉴定小组的结论" if items else ""))

    emit(as_json, lambda: _audit_json(day, items, arc.cfg), render)


@app.command()
def hold(
    ref: str = typer.Argument(..., help="记录号、档号或发文字号"),
    reason: str = typer.Option(..., "--reason", help="冻结原因（调查、诉讼、审计…）"),
) -> None:
    """冻结一份档案：在解除之前不能销毁。"""
    from archive.audit import hold as run

    reason = _text_arg(reason, "--reason 冻结原因", 2000)
    row = _on_record(ref, lambda arc, row: run(arc, row, reason))
    err.print(f"已冻结 {row['archival_code'] or row['id']}：{reason}")


@app.command()
def release(
    ref: str = typer.Argument(..., help="记录号、档号或发文字号"),
    reason: str = typer.Option("", "--reason", help="解除原因"),
) -> None:
    """解除冻结。"""
    from archive.audit import release as run

    reason = _text_arg(reason, "--reason 解除原因", 2000)
    row = _on_record(ref, lambda arc, row: run(arc, row, reason))
    err.print(f"已解除冻结 {row['archival_code'] or row['id']}")


@app.command()
def dispose(
    refs: list[str] = typer.Argument(..., help="记录号、档号或发文字号（可多个）"),
    decision: str = typer.Option("延期", "--decision", help="只能为 延期（续存，延长保管期限）；销毁须走 appraise → approve → destroy"),
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
    res = audit_mod.dispose(arc, rows, _decision_option(decision), approved_by=approved_by, reason=reason,
                            retention=_retention_option(retention))
    emit(as_json, lambda: {"batch": res.batch, "decision": res.decision, "records": res.records},
         lambda: err.print(f"批次 {res.batch}：已延长保管期限 {len(res.records)} 件"))


# ---- review of pending records, and corrections ----------------------------------------------------
@app.command()
def review(
    interactive: bool = typer.Option(False, "-i", "--interactive",
                                     help="逐件审核：依次显示每份待定文件，按键归档、不归档或跳过（非终端时从标准输入逐行读取按键）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """列出待定（待人工确认）的文件及原因；加 -i 逐件审核。"""
    from archive.review import pending
    from archive.secrecy_queue import held_count

    arc = _archive()
    _table_notice(arc)
    if interactive:
        if as_json:
            raise UsageError("逐件审核（-i）不能与 --json 同用")
        _review_walk(arc)
        return
    items = pending(arc.conn)
    held = held_count(arc)

    def render() -> None:
        out.print(table(("记录号", "文号", "题名", "日期", "原因"),
                        ((str(p.record["id"]), p.record["doc_number"] or "",
                          p.record["title"] or p.record["filename"] or "",
                          (p.record["date"] or "").replace("-", ""), p.why) for p in items),
                        title="待定文件"))
        err.print(f"共 {len(items)} 件待定；用 archive confirm REF --retention … --org … 确认，"
                  "或 archive review -i 逐件审核")
        if held:
            err.print(f"另有 {held} 件疑似涉密文件隔离待保密员审查（archive secrecy list）")

    emit(as_json, lambda: [p.to_json() for p in items], render)


def _review_change(ref: str, change, as_json: bool) -> None:
    """confirm and reclassify: resolve the record, apply ``change(arc, row)``, warn of a 年度 in the future,
    and print what changed (or the record under --json)."""
    from archive import catalog
    from archive.bounds import future_warning
    from archive.review import describe

    arc = _archive()
    row = arc.resolve(ref)
    before = catalog.record(row)
    rec = change(arc, row)
    name = rec.get("archival_code") or "记录 " + str(rec["id"])
    msg = future_warning(rec.get("year"))
    if msg:
        say(f"提示：{name} 的{msg}")
    emit(as_json, rec, lambda: err.print(f"{name}：{describe(before, rec)}"))


@app.command()
def confirm(
    refs: Optional[list[str]] = typer.Argument(None, help="记录号、档号或发文字号，可多个；记录号范围如 12-40"),
    retention: Optional[str] = typer.Option(None, "--retention", help="永久 / 30年 / 10年"),
    org: Optional[str] = typer.Option(None, "--org", help="机构(问题)代码"),
    year: Optional[int] = typer.Option(None, "--year", help="年度（成文日期未识别时）"),
    exclude: bool = typer.Option(False, "--exclude", help="确认不归档"),
    rule: Optional[str] = typer.Option(None, "--rule", help="按该规则建议的保管期限和机构，确认它判定的全部待定文件，如 R03"),
    all_suggested: bool = typer.Option(False, "--all-suggested", help="按建议确认所有带有建议保管期限（和机构）的待定文件"),
    reason: Optional[str] = typer.Option(None, "--reason", help="说明"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """确认待定文件：归档（给出档号）或不归档。可一次确认多份：逐件各自提交，某件失败不影响其余（有失败时退出码为 1）。"""
    _confirm_or_exclude(refs or [], retention=retention, org=org, year=year, exclude=exclude, rule=rule,
                        all_suggested=all_suggested, reason=reason, as_json=as_json)


@app.command()
def exclude(
    refs: Optional[list[str]] = typer.Argument(None, help="记录号、档号或发文字号，可多个；记录号范围如 12-40"),
    rule: Optional[str] = typer.Option(None, "--rule", help="该规则判定、仍待定的全部文件，如 R03"),
    all_suggested: bool = typer.Option(False, "--all-suggested", help="所有带有建议保管期限的待定文件"),
    reason: Optional[str] = typer.Option(None, "--reason", help="不归档的理由（记入事件日志）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """确认待定文件不归档（可多个；逐件各自提交，某件失败不影响其余，有失败时退出码为 1）。"""
    _confirm_or_exclude(refs or [], retention=None, org=None, year=None, exclude=True, rule=rule,
                        all_suggested=all_suggested, reason=reason, as_json=as_json)


def _confirm_or_exclude(refs: list[str], *, retention, org, year, exclude: bool, rule, all_suggested: bool,
                        reason, as_json: bool) -> None:
    """One REF: as before (the change on stderr, the record under --json). Several, a range, --rule or
    --all-suggested: each record in its own transaction, then a summary table."""
    from archive import review as rv
    from archive.review import confirm as run

    year, reason = _year_arg(year), _text_arg(reason, "--reason", 2000)
    org, rule = _text_arg(org, "--org 机构代码"), _text_arg(rule, "--rule 规则编号")
    retention = _retention_option(retention)
    if exclude and retention:
        raise UsageError("不归档时不能同时指定 --retention")
    chosen = sum((bool(refs), rule is not None, all_suggested))
    if chosen != 1:
        raise UsageError("请给出记录（记录号、档号、文号或范围 12-40）、--rule 规则编号 或 --all-suggested 三者之一"
                         if chosen == 0 else "记录、--rule 与 --all-suggested 只能用其中一种")
    if len(refs) == 1 and not rv.is_range(refs[0]):
        _one_change(refs[0], lambda arc, row: run(arc, row, retention=retention, org=org, year=year,
                                                  exclude=exclude, reason=reason), as_json)
        return
    arc = _archive()
    if refs:
        items = rv.targets(arc, refs)
    else:
        if rule is not None and rule not in {r.id for r in arc.cfg.rules}:
            raise UsageError(f"config.toml 中没有规则 {rule}（可用 archive rules 查看）")
        items = [rv.Target(str(r["id"]), r) for r in rv.suggested(arc.conn, arc.cfg, rule)]
        if not items:
            say("没有符合条件的待定文件" + (f"（规则 {rule}）" if rule else "（带建议保管期限）"))
            emit(as_json, {"total": 0, "results": []})
            return
    results = rv.confirm_many(arc, items, retention=retention, org=org, year=year, exclude=exclude,
                              reason=reason, use_suggestion=not refs)
    emit(as_json, lambda: {"total": len(results), **{k: sum(1 for o in results if o.result == k)
                                                      for k in ("archived", "excluded", "skipped", "failed")},
                           "results": [o.to_json() for o in results]},
         lambda: _print_outcomes(results, "确认结果"))
    if any(o.result == "failed" for o in results):
        raise typer.Exit(1)


_RESULT_LABELS = {"archived": "已归档", "excluded": "不归档", "skipped": "跳过", "failed": "失败"}


def _print_outcomes(results, title: str) -> None:
    """The summary of a batch or of a review walk: one row a record, then the counts; the records a shared
    发文字号 names are listed so the clerk can pick one by its number."""
    def rec(o, key):
        return ((o.record or {}).get(key) or "") if o.record else ""

    out.print(table(("记录号", "结果", "档号", "文号", "题名", "说明"),
                    ((o.id or o.ref, _RESULT_LABELS.get(o.result, o.result), rec(o, "archival_code"),
                      rec(o, "doc_number"), rec(o, "title") or rec(o, "filename"), o.message) for o in results),
                    title=title))
    for o in results:
        if o.candidates:
            out.print(_record_table(o.candidates, title=f"“{o.ref}” 对应多份文件：请用记录号指定"))
    counts = [(k, sum(1 for o in results if o.result == k)) for k in _RESULT_LABELS]
    err.print(f"共 {len(results)} 件：" + "，".join(f"{_RESULT_LABELS[k]} {n}" for k, n in counts if n))


def _one_change(ref: str, change, as_json: bool) -> None:
    """A single REF: a 发文字号 that several records share lists them (with their record numbers)."""
    from archive.errors import AmbiguousRefError

    try:
        _review_change(ref, change, as_json)
    except AmbiguousRefError as e:
        if e.rows and not as_json:
            out.print(_record_table(e.rows, title=f"“{ref}” 对应多份文件"))
            raise AmbiguousRefError(f"“{ref}” 对应 {len(e.rows)} 份文件（见上表）：请用记录号指定，"
                                    f"如 archive confirm {e.rows[0]['id']} …", e.rows) from None
        raise


def _review_walk(arc) -> None:
    """``archive review -i``: one card a pending record, a key a decision. On a terminal the keys are typed
    at a prompt; otherwise each line of stdin is one answer (so a script or a test can drive it)."""
    from rich.panel import Panel
    from rich.table import Table

    from archive.review import walk

    tty = sys.stdin.isatty()

    def ask(prompt: str):
        try:
            if tty:
                return err.input(prompt, markup=False)
            err.print(prompt, end="", markup=False, highlight=False)
            line = sys.stdin.readline()
            if line == "":
                err.print("")
                return None  # end of input: stop, as q
            err.print(line.rstrip("\n"), markup=False, highlight=False)
            return line.rstrip("\r\n")
        except (EOFError, KeyboardInterrupt):
            err.print("")
            return None

    def show(c) -> None:
        t = Table(show_header=False, box=None)
        t.add_column(style="bold")
        t.add_column(overflow="fold")
        for k, v in (*c.reading, *c.reasons):
            t.add_row(k, printable(v, keep_newlines=True))
        err.print(Panel(t, title=f"待定 {c.position}/{c.total}  记录号 {c.record['id']}", title_align="left"))

    s = walk(arc, ask, show, say)
    if s.done:
        _print_outcomes(s.done, "逐件审核结果")
    say(f"本次审核：归档 {s.count('archived')}，不归档 {s.count('excluded')}，跳过 {s.count('skipped')}"
        + (f"，未审 {s.left}" if s.left else "") + "；用 archive review 查看仍待定的文件")


@app.command()
def reclassify(
    ref: str = typer.Argument(..., help="记录号、档号或发文字号"),
    reason: str = typer.Option(..., "--reason", help="原因（记入事件日志）"),
    retention: Optional[str] = typer.Option(None, "--retention", help="新的保管期限"),
    org: Optional[str] = typer.Option(None, "--org", help="新的机构(问题)代码"),
    year: Optional[int] = typer.Option(None, "--year", help="新的年度"),
    status: Optional[str] = typer.Option(None, "--status", help="已归档 / 不归档 / 待定"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """重新分类：改保管期限、机构、年度或归档范围；换组时给新档号，旧号留空并记录原因。"""
    from archive.review import reclassify as run

    year, reason = _year_arg(year), _text_arg(reason, "--reason", 2000)
    status = _status_option(status, ("archived", "excluded", "pending"))
    _review_change(ref, lambda arc, row: run(arc, row, retention=_retention_option(retention), org=org, year=year,
                                             status=status, reason=reason), as_json)


@app.command()
def edit(
    ref: str = typer.Argument(..., help="记录号、档号或发文字号"),
    reason: str = typer.Option(..., "--reason", help="更正原因（必填，记入事件日志）"),
    title: Optional[str] = typer.Option(None, "--title", help="题名"),
    doc_number: Optional[str] = typer.Option(None, "--doc-number", help="发文字号，如 县政办发〔2019〕12号（\"\" 清除）"),
    issuer: Optional[str] = typer.Option(None, "--issuer", help="责任者（发文机关）"),
    date: Optional[str] = typer.Option(None, "--date", help="成文日期，如 2019-03-05 或 20190305"),
    pages: Optional[str] = typer.Option(None, "--pages", help="页数"),
    doc_type: Optional[str] = typer.Option(None, "--doc-type", help="文种，如 通知、批复（\"\" 清除）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """更正著录项（题名、文号、责任者、日期、页数、文种）：改前改后、操作人和原因记入事件日志；人工更正的项不再被自动步骤覆盖。"""
    from archive.edit import describe, edit as run

    reason = _text_arg(reason, "--reason", 2000)
    given = {k: _text_arg(v, f"--{k.replace('_', '-')}", 500) for k, v in (
        ("title", title), ("doc_number", doc_number), ("issuer", issuer), ("date", date), ("pages", pages),
        ("doc_type", doc_type)) if v is not None}
    arc = _archive()
    res = run(arc, arc.resolve(ref), given, reason=reason)
    for w in res.warnings:
        say(f"提示：{w}")
    name = res.record.get("archival_code") or "记录 " + str(res.record["id"])
    emit(as_json, res.to_json, lambda: err.print(f"{name} 已更正：{describe({'before': res.before, 'after': res.after})}"))


@app.command("explain-gap")
def explain_gap(
    code: str = typer.Argument(..., help="空号的档号，如 Z109-WS·2015-Y-BGS-0004"),
    reason: str = typer.Option(..., "--reason", help="为何空号（记入事件日志）"),
) -> None:
    """说明一个空号（如旧目录中本就缺号），四性检测不再把它列为问题。"""
    from archive.verify import explain_gap as run

    code, reason = _text_arg(code, "档号"), _text_arg(reason, "--reason", 2000)
    err.print(f"已记录空号 {run(_archive(), code, reason)}：{reason}")


# ---- the 四性 check --------------------------------------------------------------------------------
@app.command()
def verify(
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="写出四性检测报告（.xlsx/.pdf/.docx/.csv）"),
    show_all: bool = typer.Option(False, "--all", help="逐条列出全部提示（默认：先列问题，提示按类别汇总）"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖"),
    anchor: Optional[str] = typer.Option(None, "--anchor", help="在本机以外记下的事件日志链头（哈希 或 哈希@条数，"
                                         "印在四性检测报告、归档文件目录和移交包上）：核对此前的记录未被改写"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """四性检测（DA/T 70）：真实性、完整性、可用性、安全性，逐项列出检测项、对象和问题。有问题时退出码为 1。"""
    from archive import catalog
    from archive.verify import parse_anchor, report_sheets
    from archive.verify import verify as run

    if anchor is not None:
        parse_anchor(anchor)  # a malformed head is refused before the long run
    _new_output(output, force)
    arc = _archive()
    with progress("四性检测", catalog.count_documents(arc.conn), show=not as_json) as bar:
        rep = run(arc, progress=bar, anchor=anchor)
    if output is not None:
        from archive.export.catalogue import write

        write(report_sheets(rep, arc.cfg), output, _output_format(output, None))
        err.print(f"已写出四性检测报告 → {output}")
    emit(as_json, rep.to_json, lambda: _print_verify(rep, show_all))
    if not rep.ok:
        raise typer.Exit(1)


def _print_verify(rep, show_all: bool = False) -> None:
    """The problems first (every one); the notices summarised by kind with counts, or every one with --all."""
    from archive.verify import CHECKS, head_line

    if rep.errors:
        out.print(table(("性质", "检测项", "对象", "问题"),
                        ((CHECKS[f.check], f.item, f.ref, f.message) for f in rep.errors), title="四性检测：问题"))
    if rep.notices and show_all:
        out.print(table(("性质", "检测项", "对象", "提示"),
                        ((CHECKS[f.check], f.item, f.ref, f.message) for f in rep.notices), title="四性检测：提示"))
    elif rep.notices:
        out.print(table(("性质", "检测项", "条数", "例"),
                        ((k["property"], k["item"], k["count"], k["example"]) for k in rep.notice_kinds()),
                        title="四性检测：提示（按类别汇总；--all 逐条列出）"))
    c = rep.counts
    err.print(f"检测了 {c['records']} 条记录、{c['files']} 个文件、{c['events']} 条事件：" +
              "；".join(f"{p['property']} {p['errors']} 个问题" for p in rep.by_property()) + "；" +
              ("全部通过" if rep.ok else f"共 {len(rep.errors)} 个问题") +
              (f"，{len(rep.notices)} 条提示" if rep.notices else ""))
    err.print(head_line(c.get("head")))
    from archive.verify import not_run_line

    if line := not_run_line(rep):
        err.print(line)


# ---- importing a catalogue whose 档号 were assigned elsewhere ---------------------------------------
@import_app.command("catalog")
def import_catalog_cmd(
    file: Path = typer.Argument(..., help="目录文件 .xlsx 或 .csv（中文列名或 DH、TM 等拼音代码）"),
    map_file: Optional[Path] = typer.Option(None, "--map", help="列名映射文件 mapping.toml（覆盖自动识别）"),
    files: Optional[Path] = typer.Option(None, "--files", help="全文文件夹：按文件名中的档号挂接"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只检查并报告，不改动档案库"),
    report_file: Optional[Path] = typer.Option(None, "--report", help="把问题清单另存为 .xlsx 或 .csv"),
    force: bool = typer.Option(False, "--force", help="报告文件已存在时覆盖"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """导入旧系统或 Excel 的归档文件目录，保留原档号和件号，并按档号挂接全文。"""
    from archive import import_catalog as ic

    mapping = ic.load_mapping(map_file) if map_file else None
    _writable_report(report_file)
    _new_output(report_file, force)
    from archive.interrupt import stop_on_signal

    arc = _archive()
    with stop_on_signal(notice="收到中断请求：导入完当前一行后停止…") as stop:  # exit 130 after the report
        arc.cancel = stop
        with progress("导入", show=not as_json) as bar:
            rep = ic.import_catalog(arc, file, mapping=mapping, files_dir=files, dry_run=dry_run, progress=bar)
        arc.close()
    if report_file:
        ic.write_report(rep, report_file)
    emit(as_json, rep.to_json, lambda: _print_import_report(rep, file, dry_run))
    if rep.interrupted:
        say(f"【已中断】已导入 {rep.imported} 条记录（均已建立全文索引），其余未导入；"
            "再次运行同一命令时，已导入的档号会列为“已在档案库中”")
        _interrupted_exit()


def _writable_report(path: Path | None) -> None:
    """--report is checked before the import runs: a report that cannot be written afterwards would fail a
    command whose records are already in."""
    if path is None:
        return
    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise UsageError(f"报告文件 {path.name} 应为 .xlsx 或 .csv")
    if not path.parent.is_dir():
        raise UsageError(f"无法写出报告 {path}：文件夹 {path.parent} 不存在，请先建立该文件夹或换一个位置")


_IMPORT_COUNTS = {"rows_read": "读取行数", "imported": "导入记录",
                  "rejected": "拒绝的行", "files_found": "找到的文件", "files_attached": "挂接的文件",
                  "records_with_file": "有全文的记录", "extra_files": "其中附加文件（分件、附件）",
                  "attached_to_existing": "挂接到库中已有记录", "records_without_file": "无文件的记录",
                  "files_without_record": "无记录的文件", "files_of_rejected_rows": "属于被拒绝行的文件",
                  "ambiguous": "无法确定归属的文件", "duplicate_files": "重复文件（未挂接）",
                  "secret_files": "拒收的涉密文件（未存储、未索引）", "symlinks": "符号链接（未跟随）"}


def _print_import_report(rep, file: Path, dry_run: bool) -> None:
    """The column mapping, the counts, and the problems (the terminal gets the first 50 of each kind;
    --report and --json get all)."""
    from archive import import_catalog as ic

    out.print(table(("工作表", "表头行", "行数", "字段←列名", "未使用的列"),
                    ((s["name"] or file.name, str(s["header_row"] or "未找到（跳过）"), str(s["rows"]),
                      "、".join(f"{ic.FIELD_LABELS[f]}←{h}" for f, h in s["columns"].items()), "、".join(s["unused"]))
                     for s in rep.sheets), title="列名映射"))
    summ = rep.summary()
    out.print(counts_table(f"导入报告：{file.name}" + ("（试运行，未改动档案库）" if dry_run else ""), [
        *((label + ("（试运行：将导入）" if dry_run and k == "imported" else ""), summ[k])
          for k, label in _IMPORT_COUNTS.items()),
        *((f"  拒绝：{ic.REASONS[k]}", n) for k, n in sorted(summ["rejected_by_reason"].items())),
        *((f"原保管期限：{k}", n) for k, n in summ["retention_converted"].items()),
        ("用时（秒）/ 每秒行数", f"{rep.seconds} / {rep.rows_per_second}")]))
    rows = ic.report_rows(rep)
    if rows:
        first, shown = [], {}
        for r in rows:
            shown[r[0]] = shown.get(r[0], 0) + 1
            if shown[r[0]] <= 50:
                first.append(r)
        out.print(table(ic.REPORT_COLUMNS, first, title="问题清单"))
        for kind, n in shown.items():
            if n > 50:
                err.print(f"{kind}：另有 {n - 50} 条未显示（完整清单请用 --report 文件 或 --json）")


# ---- the retention table, and appraisal and destruction as the procedure ---------------------------
def _step_summary(step, label: str) -> None:
    """What an appraisal step did, and the documents it filed (永久)."""
    a = step.appraisal
    say(f"第 {a['id']} 号鉴定（批次 {a['batch']}）：{label}")
    for kind, rec in step.documents.items():
        name = {"report": "鉴定工作报告", "approval": "销毁审批表", "register": "销毁清册"}[kind]
        say(f"  {name}已归档（永久）：{rec['archival_code']}  {rec['title']}")


@app.command()
def appraise(
    member: list[str] = typer.Option(..., "--member", help="鉴定小组成员，写明方面：档案:张三、业务:李四（至少两人，须有档案和业务两方面；可重复）"),
    destroy_refs: list[str] = typer.Option([], "--destroy", help="拟销毁：REF[:理由]（可重复）"),
    extend_refs: list[str] = typer.Option([], "--extend", help="延期：REF:新期限[:理由]，如 Z109-WS·2015-D10-BGS-0001:30年:仍有查考价值"),
    doubtful_refs: list[str] = typer.Option([], "--doubtful", help="难以判定：REF[:理由]，按从长原则延长一档"),
    sheet: Optional[Path] = typer.Option(None, "--from", help="鉴定小组填好“鉴定意见”的到期档案鉴定表（archive audit -o 写出的 .xlsx）"),
    reason: str = typer.Option("", "--reason", help="未逐件写理由时的鉴定理由"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="鉴定基准日（默认今天；不能晚于今天）"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="另存销毁清册（草稿，.xlsx/.docx/.pdf）"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """鉴定第二步：记录鉴定小组对到期档案逐件的结论（销毁或延期），生成鉴定工作报告（永久归档）和销毁清册草稿。"""

    from archive import appraisal
    from archive.audit import due_list, not_future

    day = not_future(_date_option(as_of, "--as-of") or _today())
    _new_output(output, force)
    arc = _archive()
    _table_notice(arc)
    decisions = ([appraisal.parse_decision_arg(arc, x, "destroy", reason) for x in destroy_refs]
                 + [appraisal.parse_decision_arg(arc, x, "extend", reason) for x in extend_refs]
                 + [appraisal.parse_decision_arg(arc, x, "doubtful", reason or "难以判定，从长") for x in doubtful_refs])
    if sheet is not None:
        decisions += appraisal.decisions_from_sheet(arc, sheet, reason)
    step = appraisal.appraise(arc, day, member, decisions)
    n = sum(1 for r in step.records if r["decision"] == "destroy")
    left = len(due_list(arc.conn, day, arc.cfg)) - n
    if left > 0:
        say(f"截至 {day.isoformat()} 尚有 {left} 件到期档案未作鉴定结论")
    if output is not None:
        appraisal.draft_register(arc, step.appraisal["id"], output)
        err.print(f"销毁清册（草稿）→ {output}")
    emit(as_json, step.to_json, lambda: _step_summary(
        step, f"拟销毁 {n} 件，延期 {len(step.records) - n} 件" +
        (f"；下一步：archive approve {step.appraisal['id']} --leader … --document …" if n else "")))


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

    from archive import appraisal

    arc = _archive()
    step = appraisal.approve(arc, appraisal_id, leader=leader, on=_date_option(on, "--on") or _today(),
                             document=document, file=file)
    emit(as_json, step.to_json, lambda: _step_summary(
        step, f"已由{leader}批准；下一步：archive destroy {appraisal_id} --supervisor … --supervisor … --method … --place …"))


@app.command()
def destroy(
    appraisal_id: int = typer.Argument(..., help="已批准的鉴定编号"),
    supervisors: list[str] = typer.Option(..., "--supervisor", help="监销人（至少两名不同的人，可重复）"),
    method: str = typer.Option(..., "--method", help="销毁方式，如 粉碎、焚毁、删除（电子文件）"),
    place: str = typer.Option(..., "--place", help="销毁地点"),
    at: Optional[str] = typer.Option(None, "--at", help="销毁时间（默认现在；不能晚于现在），如 2026-03-02T10:30"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="另存销毁清册（.xlsx/.docx/.pdf）"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """鉴定第四步：按已批准的销毁清册销毁（记录保留、文件删除，销毁清册永久归档）。"""

    from archive import appraisal

    when = None
    if at is not None:
        try:
            from archive.display import typed_time

            when = typed_time(at)  # on the agency's clock ([agency] timezone), set when the archive opens
        except ValueError:
            raise UsageError(f"--at “{at}” 不是有效时间：请写成 2026-03-02T10:30") from None
    _new_output(output, force)
    arc = _archive()
    step = appraisal.destroy(arc, appraisal_id, supervisors=supervisors, method=method, place=place, at=when)
    if output is not None:
        appraisal.draft_register(arc, appraisal_id, output)
        err.print(f"销毁清册 → {output}")
    emit(as_json, step.to_json, lambda: _step_summary(
        step, f"已销毁 {len(step.records)} 件，删除文件 {len(step.removed_files)} 个" +
        (f"（{len(step.kept_files)} 个文件仍被其他记录引用，保留）" if step.kept_files else "")))


@app.command()
def appraisals(as_json: bool = typer.Option(False, "--json")) -> None:
    """列出历次鉴定及其进度（已鉴定 / 已批准 / 已销毁）。"""
    from archive import appraisal

    arc = _archive()
    rows = appraisal.listing(arc.conn)
    emit(as_json, rows, lambda: out.print(table(
        ("编号", "批次", "基准日", "鉴定小组", "拟销毁", "延期", "进度", "批准", "销毁"),
        ((str(a["id"]), str(a["batch"]), a["as_of"], "、".join(a["members"]), str(a["destroy"]), str(a["extend"]),
          a["state"], " ".join(x for x in (a["approved_by"], a["approved_on"]) if x), _local(arc, a["destroyed_at"]))
         for a in rows), title="鉴定与销毁")))


# ---- backup, restore, and rebuilding a lost catalog ------------------------------------------------
@app.command()
def backup(output: Path = typer.Option(None, "--output", "-o", help="备份到一个 tar 文件（新文件）"),
           to: Path = typer.Option(None, "--to", help="备份位置（另一块磁盘或网络存储上的文件夹）；默认为配置文件 [backup] 中的备份位置"),
           incremental: bool = typer.Option(False, "--incremental", help="增量：只复制备份位置还没有的存储文件（备份位置的默认做法）"),
           full: bool = typer.Option(False, "--full", help="完整核对：重新计算备份位置中每个文件的校验值，损坏的重新写入"),
           force: bool = typer.Option(False, "--force", help="备份文件已存在时覆盖（新备份完整写好后才替换）")) -> None:
    """备份目录数据库、存储文件和配置：到备份位置（增量备份集，写后核对，按规则保留），或到一个 tar 文件。"""
    arc = _archive()
    if output is not None:
        if to is not None or incremental or full:
            raise UsageError("-o（tar 文件）与 --to、--incremental、--full（备份位置）只能选一种")
        from archive.backup import backup as run_backup

        with progress("备份") as bar:
            s = run_backup(arc, output, progress=bar, force=force)
        err.print(f"已备份到 {s.path}：{s.documents} 条记录，{s.files} 个存储文件，共 {s.bytes / 1048576:.1f} MB")
        return
    from archive.backup_sets import Retention, backup_to

    if incremental and full:
        raise UsageError("--incremental 与 --full 只能选一个")
    place = to or arc.cfg.backup.to
    if place is None:
        raise UsageError("没有给出备份位置：请用 --to 指定文件夹，或在配置文件 [backup] to 中填写；备份到单个文件请用 -o")
    b = arc.cfg.backup
    with progress("备份") as bar:
        s = backup_to(arc, place, full=full, keep=Retention(b.keep_daily, b.keep_weekly, b.keep_monthly), progress=bar)
    kept = f"；按保留规则删除了 {len(s.removed_sets)} 个旧备份集" if s.removed_sets else ""
    err.print(f"已备份到 {s.place}（备份集 {s.name}）：{s.documents} 条记录，{s.files} 个存储文件，其中新复制 "
              f"{s.new_files} 个（{s.new_bytes / 1048576:.1f} MB），已核对{kept}")


@app.command()
def restore(
    file: Path = typer.Argument(None, help="备份文件（.tar），或备份位置（文件夹，恢复其最新的备份集）"),
    to: Path = typer.Option(None, "--to", help="恢复到的文件夹（必须为空或不存在）；演练时为放临时文件夹的位置"),
    set_name: str = typer.Option(None, "--set", help="备份位置中的某个备份集（默认最新）"),
    drill: bool = typer.Option(False, "--drill", help="恢复演练：把最新备份集恢复到临时文件夹并做四性检测，结果记入日志"),
    place: Path = typer.Option(None, "--from", help="演练所用的备份位置（默认为配置文件 [backup] 中的备份位置）"),
) -> None:
    """从备份恢复到一个空文件夹（核对每个文件的 SHA-256，重建全文索引）；或做一次恢复演练。"""
    from archive import catalog

    if drill:
        if file is not None or set_name is not None:
            raise UsageError("--drill 只与 --from、--to 一起使用：演练恢复到 --to 下的临时文件夹（默认系统临时文件夹），用后删除")
        from archive.backup_sets import drill as run_drill

        arc = _archive()
        with progress("恢复演练") as bar:
            r = run_drill(arc, place, progress=bar, workdir=to)
        if r.ok:
            err.print(f"恢复演练通过：备份集 {r.set_name}（{r.place}）恢复出 {r.documents} 条记录，四性检测无问题；已记入日志")
            return
        err.print(f"恢复演练未通过：备份集 {r.set_name}（{r.place}）有 {r.errors} 个问题，如 {r.first_error}；已记入日志。"
                  "请检查备份位置，并立即做一次完整备份（archive backup --full）")
        raise typer.Exit(1)
    if file is None or to is None:
        raise UsageError("请给出备份文件或备份位置，以及 --to 恢复到的文件夹（或用 --drill 做恢复演练）")
    with progress("恢复") as bar:
        if set_name is not None:
            from archive.backup_sets import restore_set

            arc = restore_set(file, to, set_name, progress=bar)
        else:
            from archive.backup import restore as run_restore

            arc = run_restore(file, to, progress=bar)
    n = catalog.count_documents(arc.conn)
    arc.close()
    err.print(f"已恢复到 {to}：{n} 条记录，全文索引已重建。使用：archive --config {to / 'config.toml'} …")


@app.command()
def recover(as_json: bool = typer.Option(False, "--json")) -> None:
    """目录数据库丢失或损坏时，从存储文件重建目录：每个文件重新识别，全部列为待定供核对；原目录文件保留。"""
    from archive.recover import recover as run_recover

    cfg = _config()
    with progress("重建目录", show=not as_json) as bar:
        s = run_recover(cfg, progress=bar)
    emit(as_json, s.to_json, lambda: _print_recovered(s))


def _print_recovered(s) -> None:
    kept = "；原目录文件已保留为 " + "、".join(p.name for p in s.kept_aside) if s.kept_aside else ""
    say(f"已从存储文件重建目录 {s.catalog}：{s.records} 条记录，全部为待定（其中 {s.from_old_catalog} 条与原目录的"
        f"封存摘要一致，{s.unreadable} 个文件无法提取文本）{kept}。请用 archive review 逐条核对并确认")
    if s.mismatched:
        say(f"注意：{len(s.mismatched)} 个存储文件的内容与其校验值不符（可能已损坏），如 {s.mismatched[0]}")
    for hit in s.secret:  # 涉密 gate (issue 22): a marked stored file is an incident, not a record
        say(hit["reason"])
    if s.doubtful:
        say(f"注意：{len(s.doubtful)} 个存储文件涉密检查存疑（记录为待定），请保密员核查，如 {s.doubtful[0]}")
    for line in s.registrations_said():  # paper originals and boxes put back from the store's journal
        say(line)


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
    role: str = typer.Option(..., "--role", help="查阅 / 文书 / 档案员 / 领导 / 保密员"),
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

    arc = _archive()
    users = list_users(arc.conn)
    emit(as_json, users, lambda: out.print(table(
        ("用户名", "角色", "状态", "建立时间"),
        ((u["name"], u["role"], "停用" if u["disabled"] else "启用", _local(arc, u["created_at"])) for u in users),
        title="网页账号", fold=False)))


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="绑定地址；绑定本机以外的地址须先建立账号"),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    secure_cookies: bool = typer.Option(False, "--secure-cookies",
                                        help="登录会话的凭据只经 HTTPS 发送（经 HTTPS 反向代理提供时使用）"),
) -> None:
    """启动网页：检索、查看、上传归档、待定审核、统计与目录导出（可与 archive watch 同时运行）。"""
    from archive.health import tls_files
    from archive.web import serving

    cfg = _config()
    tls = tls_files(cfg)  # [web] tls_cert / tls_key, checked before anything listens
    shown = f"[{host}]" if ":" in host else host
    serving.run(cfg, host, port, secure_cookies=secure_cookies or tls is not None, tls=tls,  # [web] workers
                started=lambda n: say(f"网页已启动：{'https' if tls else 'http'}://{shown}:{port}/"
                                      f"（{n} 个服务进程；Ctrl+C 停止）"))


@app.command()
def health(as_json: bool = typer.Option(False, "--json")) -> None:
    """运行状况检查（供监控和服务定时调用）：目录数据库、存储区、收件箱、磁盘空间、最近的备份和恢复演练。
    有问题时退出码为 1。"""
    from archive.health import check

    h = check(_config())
    emit(as_json, h.to_json, lambda: out.print(table(
        ("检查项", "状态", "说明"), ((c.name, c.state, c.line) for c in h.checks), title="运行状况", fold=False)))
    if not h.ok:
        raise typer.Exit(1)


@app.command("open")
def open_cmd(
    ref: str = typer.Argument(..., help="记录号、档号或发文字号"),
    output: Optional[Path] = typer.Option(None, "-o", "--output",
                                          help="输出文件夹（默认当前文件夹）；记录只有一个文件时也可给出文件名"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖"),
    as_json: bool = typer.Option(False, "--json", help="在标准输出打印取出的文件（JSON）"),
) -> None:
    """取出记录的电子文件（及其附加文件）的副本：以档号命名，扩展名正确；库中文件不变。"""
    from archive import access_log
    from archive.export.retrieve import give_back

    arc = _archive()
    row = arc.resolve(ref)
    given = give_back(arc.store, arc.conn, row, output, force=force)
    access_log.record(arc, row, "open", "cli", f"{len(given)} 个文件")
    emit(as_json, lambda: [{"seq": g.source.seq, "filename": g.source.filename, "path": str(g.path)} for g in given])
    for g in given:
        say(f"已取出：{g.path}（原文件名：{g.source.filename or '无'}）")
    from archive import oa_package

    for n, step, who, when, said in oa_package.step_rows(oa_package.steps_of(arc.conn, row["id"]), arc.cfg.tz):
        say(f"办理过程 {n}：{step}　{who}　{when}　{said}".rstrip())


# ---- one 件, several files: a person's decision (archive/attach.py) --------------------------------
@app.command()
def attach(
    ref: str = typer.Argument(..., help="记录号、档号或发文字号：文件要并入的那一件"),
    source: str = typer.Argument(..., help="要附加的文件；或一条待定记录的记录号（其文件并入本件）"),
    role: str = typer.Option(..., "--role", help="正本 / 定稿 / 稿纸 / 附件 / 其他格式"),
    reason: Optional[str] = typer.Option(None, "--reason", help="说明（记入事件日志）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """把一个文件作为本件的正本、定稿、稿纸、附件或其他格式附加到已有记录（一件多文件）。"""
    from archive.attach import attach as run

    reason = _text_arg(reason, "--reason", 2000)
    arc = _archive()
    row = arc.resolve(ref)
    rec = run(arc, row, source, role, reason)
    name = rec.get("archival_code") or f"记录 {rec['id']}"
    emit(as_json, lambda: _record_with_files(arc, arc.resolve(str(rec["id"]))),
         lambda: err.print(f"已附加到 {name}；页数 {rec['pages'] if rec['pages'] is not None else '未知'}"))


@app.command()
def detach(
    ref: str = typer.Argument(..., help="记录号、档号或发文字号"),
    which: str = typer.Argument(..., help="要拆出的文件：序号（archive show 所列）或原文件名"),
    reason: str = typer.Option(..., "--reason", help="原因（记入事件日志）"),
    keep: bool = typer.Option(False, "--keep", help="不另建记录：文件仍保存在库中，在本件下标为已拆出"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """把附加错的文件从本件拆出：默认成为一条待定记录；文件从不删除。"""
    from archive.attach import detach as run

    reason = _text_arg(reason, "--reason", 2000)
    arc = _archive()
    row = arc.resolve(ref)
    res = run(arc, row, which, reason, keep=keep)
    name = res["record"].get("archival_code") or f"记录 {res['record']['id']}"
    new = res["new"]
    emit(as_json, lambda: res, lambda: err.print(
        f"已从 {name} 拆出；" + (f"该文件现为待定记录 {new['id']}" if new else "文件仍保存在库中，标为已拆出")))


# ---- shell completion --------------------------------------------------------------------------------
@app.command()
def completion(shell: str = typer.Argument("bash", help="bash、zsh 或 fish")) -> None:
    """打印命令补全脚本：载入后按制表键即可补全命令、选项和选项的取值（载入方法见使用说明）。"""
    from archive.completion import how_to_load, script

    sys.stdout.write(script(shell) + "\n")
    if sys.stdout.isatty():
        say(how_to_load(shell))


# ---- the 保密员's queue (issue 22) ---------------------------------------------------------------------
secrecy_app = typer.Typer(no_args_is_help=True, help="保密审查：疑似涉密、已隔离的文件，由保密员决定。")
app.add_typer(secrecy_app, name="secrecy")
from archive import cli_rules  # noqa: E402 - after the helpers it calls back into
app.add_typer(cli_rules.app, name="rules")
from archive import cli_disposal  # noqa: E402
export_app.command("filing-form")(cli_disposal.filing)
from archive.cli_receipt import receipt_app  # noqa: E402 - 收文阅办登记 (issue 26)
app.add_typer(receipt_app, name="receipt")

from archive.cli_convert import convert as _convert  # noqa: E402 - archive convert (issue 27: 版式副本)
app.command("convert")(_convert)


@secrecy_app.command("list")
def secrecy_list(
    show_all: bool = typer.Option(False, "--all", help="也列出已决定的文件"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """列出隔离待审的疑似涉密文件（未决定的在前）。"""
    from archive.secrecy_queue import held_files

    arc = _archive()
    rows = held_files(arc, include_decided=show_all)

    def render() -> None:
        out.print(table(("编号", "文件名", "途径", "疑点", "位置", "所见", "隔离时间", "决定"),
                        ((str(r["id"]), r["filename"], r["route"], "；".join(r["reasons"]), r["where_found"] or "",
                          r["evidence"] or "", _local(arc, r["held_at"]),
                          (f"{r['decision']}（{r['decided_by']}：{r['decision_reason']}）" if r["decided_at"]
                           else "待审")) for r in rows),
                        title="保密审查：隔离文件"))
        waiting = sum(1 for r in rows if r["decided_at"] is None)
        err.print(f"共 {waiting} 件待审；用 archive secrecy decide 编号 --as 非密|已解密|涉密 --reason 理由 决定")

    emit(as_json, rows, render)


@secrecy_app.command("decide")
def secrecy_decide(
    held_id: int = typer.Argument(..., help="隔离文件的编号（archive secrecy list）"),
    decision: str = typer.Option(..., "--as", help="非密、已解密 或 涉密"),
    reason: str = typer.Option(..., "--reason", help="决定的理由"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """保密员决定：非密/已解密 → 按正常流程入库（决定记入该记录）；涉密 → 移入 refused/，记录保密事件。"""
    from archive.secrecy_queue import decide

    reason = _text_arg(reason, "--reason 理由")
    arc = _archive()
    done = decide(arc, held_id, decision.strip(), reason or "")
    emit(as_json, done, lambda: say(done["message"]))


# ---- 利用登记, access log, 移交 (issue 28; archive/cli_use.py) -------------------------------------------
from archive.cli_use import access_log_cmd, transfer_app, use_app  # noqa: E402 - registered after the helpers it calls

app.add_typer(use_app, name="use")
app.add_typer(transfer_app, name="transfer")
app.command("access-log")(access_log_cmd)


# ---- entry point -----------------------------------------------------------------------------------
_BUILT: list = []  # the click command of ``app``, once built (see _command)


def _command():
    """``app`` as a click command, built once a process: Typer rebuilds every command's parameters from the
    signatures on each call (about 20 ms of CPU), which the in-process runs of the tests (tests/clirun.py) paid on
    every command."""
    if not _BUILT:
        from typer.main import get_command

        _BUILT.append(get_command(app))
    return _BUILT[0]


def main(argv: list[str] | None = None) -> None:
    """Typer handles usage errors itself (exit 2); our own errors become one line on stderr."""
    argv = sys.argv[1:] if argv is None else argv
    if "_ARCHIVE_COMPLETE" in os.environ:  # a shell asking for completions (archive completion)
        from archive.completion import asked

        asked()
    debug = "--debug" in argv
    try:
        _command()(args=argv, prog_name="archive")
    except ArchiveError as e:
        if debug:
            raise
        say(f"错误：{e}")
        sys.exit(e.exit_code)
    except KeyboardInterrupt:  # Ctrl+C outside the commands that stop between files (archive.interrupt)
        say("已中断")
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - a clerk sees one line, never a traceback
        if debug:
            raise
        say(f"错误：{describe_unexpected(e)}")
        sys.exit(1)

