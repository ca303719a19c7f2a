"""The command groups of issue 28: ``archive use`` (利用登记), ``archive transfer`` (移交 and its 开放审核) and
``archive access-log``. Thin like cli.py: parse, call the service (archive/use.py, transfer.py, access_log.py),
print through console.py. Registered in cli.py with one line each."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from archive.console import emit, err, out, say, table
from archive.errors import UsageError

use_app = typer.Typer(no_args_is_help=True, help="利用登记：谁、哪个单位、为什么、以何种方式利用了哪些档案。")
transfer_app = typer.Typer(no_args_is_help=True, help="移交档案馆：到期清单、开放审核、移交包、接收回执。")


def _cli():
    from archive import cli

    return cli


def _rows(arc, refs: list[str]) -> list:
    return [arc.resolve(r) for r in refs]


def _scope(since, until) -> str:
    if since or until:
        return f"{since.isoformat() if since else '最早'} 至 {until.isoformat() if until else '今'}"
    return "全部"


# ---- archive use ---------------------------------------------------------------------------------------
@use_app.command("register")
def use_register(
    refs: List[str] = typer.Argument(..., help="利用的档案：记录号、档号或发文字号（可多个）"),
    person: str = typer.Option(..., "--person", help="利用者姓名"),
    unit: str = typer.Option(..., "--unit", help="利用者单位（非本机关即为外单位）"),
    purpose: str = typer.Option(..., "--purpose", help="利用目的（如 工作查考、编史修志、学术研究、落实政策）"),
    way: str = typer.Option(..., "--way", help="查阅 / 复制 / 摘录 / 借出"),
    approved_by: Optional[str] = typer.Option(None, "--approved-by", help="批准人（外单位复制、摘录、借出必填）"),
    due: Optional[str] = typer.Option(None, "--due", help="借出的归还期限（日期）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """登记一次利用（一人一次一条，可含多件档案）。外单位复制、摘录、借出须先写明批准人；本机关人员办理本职工作不属利用，不登记。"""
    from archive import use

    c = _cli()
    due_day = c._date_option(due, "--due 归还期限")
    arc = c._archive()
    u = use.register(arc, _rows(arc, refs), person=person, unit=unit, purpose=purpose, way=way.strip(),
                     approved_by=approved_by, due=due_day)
    emit(as_json, u, lambda: say(f"已登记第 {u['id']} 号利用：{u['person']}（{u['unit']}{'，外单位' if u['outside'] else ''}）"
                                 f"{u['way']} {len(u['documents'])} 件"))


@use_app.command("result")
def use_result(
    number: int = typer.Argument(..., metavar="编号", help="利用登记编号"),
    effect: str = typer.Option(..., "--effect", help="利用效果"),
) -> None:
    """记录利用效果。"""
    from archive import use

    c = _cli()
    number = c._int_arg(number, "利用登记编号", 1, 2**63 - 1)
    u = use.result(c._archive(), number, c._text_arg(effect, "--effect 利用效果", 2000))
    say(f"已记录第 {u['id']} 号利用的效果：{u['effect']}")


@use_app.command("return")
def use_return(number: int = typer.Argument(..., metavar="编号", help="借出的利用登记编号")) -> None:
    """登记借出的纸质原件已归还。"""
    from archive import use

    c = _cli()
    u = use.give_back(c._archive(), c._int_arg(number, "利用登记编号", 1, 2**63 - 1))
    say(f"第 {u['id']} 号借出已归还（{', '.join(u['codes'])}）")


def _entries(since: Optional[str], until: Optional[str], unit: Optional[str], overdue: bool):
    from archive import use

    c = _cli()
    lo, hi = c._date_option(since, "--from"), c._date_option(until, "--to")
    unit = c._text_arg(unit, "--unit")
    arc = c._archive()
    return arc, use.entries(arc, since=lo, until=hi, unit=unit, overdue=overdue), _scope(lo, hi)


@use_app.command("list")
def use_list(
    since: Optional[str] = typer.Option(None, "--from", help="自此日（含）"),
    until: Optional[str] = typer.Option(None, "--to", help="至此日（含）"),
    unit: Optional[str] = typer.Option(None, "--unit", help="只列一个单位"),
    overdue: bool = typer.Option(False, "--overdue", help="只列逾期未还的借出"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """利用登记簿。"""
    from archive import use

    arc, items, scope = _entries(since, until, unit, overdue)

    def render() -> None:
        out.print(table(use.REGISTER_COLUMNS, ([str(x) for x in use.register_row(arc, u)] for u in items),
                        title="逾期未还的借出" if overdue else "利用登记簿"))
        err.print(f"共 {len(items)} 人次，{sum(len(u['documents']) for u in items)} 件次（{scope}）")

    emit(as_json, items, render)


@use_app.command("export")
def use_export(
    output: Path = typer.Option(..., "-o", "--output", help="输出文件：利用登记簿.xlsx 或 .pdf"),
    since: Optional[str] = typer.Option(None, "--from"),
    until: Optional[str] = typer.Option(None, "--to"),
    unit: Optional[str] = typer.Option(None, "--unit"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖"),
) -> None:
    """导出利用登记簿（XLSX 或 PDF）。"""
    from archive import use

    c = _cli()
    fmt = c._output_format(output, None)
    c._new_output(output, force)
    arc, items, scope = _entries(since, until, unit, False)
    use.export(arc, items, scope, output, fmt)
    say(f"已导出利用登记簿：{len(items)} 人次 → {output}")


@use_app.command("stats")
def use_stats(
    year: int = typer.Option(..., "--year", help="年度"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="同时写成表格（xlsx / pdf）"),
    force: bool = typer.Option(False, "--force"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """一年的利用统计：人次、件次，按利用目的、单位和方式（档案工作统计年报）。"""
    from archive import use
    from archive.export import catalogue

    c = _cli()
    year = c._year_arg(year)
    fmt = c._output_format(output, None) if output else None
    if output:
        c._new_output(output, force)
    arc = c._archive()
    s = use.stats(arc, year)
    if output:
        catalogue.write(use.stats_sheets(arc, s), output, fmt)

    def render() -> None:
        sheet = use.stats_sheets(arc, s)[0]
        out.print(table(sheet.columns, ([str(x) for x in r] for r in sheet.rows), title=sheet.title))
        err.print(f"{year} 年度利用 {s['人次']} 人次、{s['件次']} 件次（外单位 {s['外单位人次']} 人次）"
                  + (f" → {output}" if output else ""))

    emit(as_json, s, render)


# ---- archive access-log --------------------------------------------------------------------------------
def access_log_cmd(
    ref: Optional[str] = typer.Argument(None, help="只看一件：记录号、档号或发文字号"),
    since: Optional[str] = typer.Option(None, "--from", help="自此日（含）"),
    until: Optional[str] = typer.Option(None, "--to", help="至此日（含）"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="导出为表格（xlsx / pdf / csv）"),
    force: bool = typer.Option(False, "--force"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """访问记录：每次查看、下载、取出副本（archive open）和归档章副本，谁、何时（安全审计，与利用登记分开）。"""
    from archive import access_log

    c = _cli()
    lo, hi = c._date_option(since, "--from"), c._date_option(until, "--to")
    fmt = c._output_format(output, None) if output else None
    if output:
        c._new_output(output, force)
    arc = c._archive()
    row = arc.resolve(ref) if ref else None
    items = access_log.entries(arc, row, lo, hi)
    scope = (f"{row['archival_code'] or '记录 ' + str(row['id'])}　" if row is not None else "") + _scope(lo, hi)
    if output:
        access_log.export(arc, items, scope, output, fmt)

    def render() -> None:
        out.print(table(access_log.COLUMNS, ([str(x) for x in r] for r in access_log.sheets(arc, items, scope)[0].rows),
                        title="访问记录"))
        err.print(f"共 {len(items)} 条（{scope}）" + (f" → {output}" if output else ""))

    emit(as_json, items, render)


# ---- archive transfer ----------------------------------------------------------------------------------
@transfer_app.command("plan")
def transfer_plan(
    year: int = typer.Option(..., "--year", help="档案的年度"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """列出一个年度应移交的档案（[transfer] 的保管期限，默认永久和30年，满10年）及其开放审核情况。"""
    from archive import retention, transfer

    c = _cli()
    year = c._year_arg(year)
    arc = c._archive()
    items = transfer.plan(arc, year)
    due = transfer.due_from(year, arc.cfg)

    def as_dict(p) -> dict:
        return {"id": p.row["id"], "archival_code": p.row["archival_code"], "title": p.row["title"],
                "retention": p.row["retention"], "state": p.state, "review": p.review}

    def render() -> None:
        out.print(table(("档号", "题名", "保管期限", "开放审核", "控制理由", "密级变更", "信息公开", "审核人", "状态"),
                        ((p.row["archival_code"], p.row["title"] or "", retention.name(p.row["retention"]),
                          *((p.review["openness"], p.review["control_reason"] or "", p.review["secrecy_change"],
                             p.review["disclosure"], p.review["decided_by"]) if p.review else ("", "", "", "", "")),
                          p.state) for p in items), title=f"{year} 年度移交清单（草）"))
        waiting = sum(1 for p in items if not p.review and not p.transferred)
        err.print(f"共 {len(items)} 件；待开放审核 {waiting} 件；"
                  + ("已到移交期限" if transfer.is_due(arc, year) else f"{due.isoformat()} 起到移交期限"))

    emit(as_json, lambda: {"year": year, "due_from": due.isoformat(), "records": [as_dict(p) for p in items]},
         render)


@transfer_app.command("review")
def transfer_review(
    refs: List[str] = typer.Argument(None, help="档案：记录号、档号或发文字号（可多个）"),
    year: Optional[int] = typer.Option(None, "--year", help="批量：该年度待审核的全部应移交档案"),
    openness: str = typer.Option(..., "--open", help="开放 / 控制 / 延期开放"),
    disclosure: str = typer.Option(..., "--disclosure", help="政府信息公开情况：主动公开 / 依申请公开 / 不予公开"),
    reason: Optional[str] = typer.Option(None, "--reason", help="控制理由（从配置的列表中选）或延期开放的理由"),
    secrecy_change: Optional[str] = typer.Option(None, "--secrecy-change",
                                                 help="密级变更情况（无密级的档案默认“无（非涉密）”）"),
    note: Optional[str] = typer.Option(None, "--note", help="备注"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """开放审核：逐件或按年度批量记录到期开放意见、密级变更情况、政府信息公开情况和审核人。"""
    from archive import transfer

    c = _cli()
    if bool(refs) == (year is not None):
        raise UsageError("请给出要审核的档案（REF…），或用 --year 年度 批量审核该年度尚未审核的档案（二者选一）")
    arc = c._archive()
    if year is not None:
        rows = [p.row for p in transfer.plan(arc, c._year_arg(year)) if not p.review and not p.transferred]
        if not rows:
            raise UsageError(f"{year} 年度没有待开放审核的应移交档案")
    else:
        rows = _rows(arc, refs)
    done = transfer.review(arc, rows, openness=openness, disclosure=disclosure,
                           reason=c._text_arg(reason, "--reason", 200),
                           secrecy_change=c._text_arg(secrecy_change, "--secrecy-change", 200),
                           note=c._text_arg(note, "--note", 2000))
    emit(as_json, done, lambda: say(f"已记录开放审核 {len(done)} 件：{openness.strip()}，{disclosure.strip()}"))


@transfer_app.command("export")
def transfer_export(
    year: int = typer.Option(..., "--year", help="档案的年度"),
    output: Path = typer.Option(..., "-o", "--output", help="输出文件夹（新建或空文件夹）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """生成移交包：说明文件、文件目录、电子档案及元数据、移交清单和开放审核表（PDF、XLSX），并记录本次移交。"""
    from archive import transfer
    from archive.console import progress

    c = _cli()
    year = c._year_arg(year)
    arc = c._archive()
    c._table_notice(arc)
    with progress("生成移交包", show=not as_json) as bar:
        s = transfer.export(arc, year, output, progress=bar)
    emit(as_json, s, lambda: say(f"已生成第 {s['transfer']} 次移交的移交包：{year} 年度 {s['records']} 件 → {output}；"
                                 f"档案馆签收后用 archive transfer confirm --receipt 回执文件 确认"))


@transfer_app.command("confirm")
def transfer_confirm(
    receipt: Path = typer.Option(..., "--receipt", help="档案馆签收的回执（移交与接收登记表的扫描件等）"),
    number: Optional[int] = typer.Option(None, "--transfer", help="移交编号（只有一次待接收时可省略）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """确认档案馆已接收：记录回执（名称与 SHA-256），所含档案标为已移交（仍可查阅；不再更正、改分类或销毁）。"""
    from archive import transfer

    c = _cli()
    number = c._int_arg(number, "--transfer 移交编号", 1, 2**63 - 1)
    done = transfer.confirm(c._archive(), receipt, number)
    emit(as_json, done, lambda: say(f"第 {done['transfer']} 次移交已确认接收：{done['records']} 件标为已移交"))


@transfer_app.command("list")
def transfer_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """历次移交：年度、件数、导出与接收确认。"""
    from archive import display, transfer

    arc = _cli()._archive()
    rows = transfer.transfers(arc)

    def render() -> None:
        out.print(table(("编号", "年度", "件数", "导出时间", "导出人", "接收确认", "回执"),
                        ((str(t["id"]), str(t["year"]), str(t["records"]), display.local_time(t["exported_at"], arc.cfg.tz),
                          t["exported_by"], display.local_time(t["confirmed_at"], arc.cfg.tz) if t["confirmed_at"]
                          else "待接收", t["receipt_name"] or "") for t in rows), title="历次移交"))

    emit(as_json, rows, render)
