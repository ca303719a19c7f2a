"""``archive arrange``: the year's arrangement, check, filing and reopening (archive/filing.py). Thin: parse,
call, print through console.py."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from archive.console import emit, out, say, table

arrange_app = typer.Typer(help="年度整理归档：检查、整理顺序、检查人确认、编件号归档、补充归档、重新打开。")


def _year(year: int) -> int:
    from archive.bounds import check_year

    return check_year(year, "--year 年度")


def _archive():
    from archive.cli import _archive as opened

    return opened()


def _plan_json(p, arc) -> dict:
    from archive import filing

    return {"year": p.year, "state": filing.STATE_NAMES[p.state], "counts": p.counts(),
            "problems": [x.as_dict() for x in p.problems],
            "groups": [{"retention": g.retention, "org": g.org, "name": g.name(arc.cfg.orgs),
                        "numbered": [{"id": r["id"], "archival_code": r["archival_code"]} for r in g.numbered],
                        "order": [{"id": r["id"], "archival_code": str(filing.code_of(arc, p.year, g, g.first_item + i)),
                                   "date": r["date"], "doc_number": r["doc_number"], "title": r["title"]}
                                  for i, r in enumerate(g.order)]} for g in p.groups]}


def _print_plan(p, arc, *, numbering: bool) -> None:
    from archive import filing

    if p.problems:
        out.print(table(("类别", "须更正", "记录", "问题", "更正方法"),
                        ((x.kind, "是" if x.blocking else "提示", x.ref, x.message, x.fix) for x in p.problems),
                        title=f"{p.year} 年度整理前检查"))
    if numbering:
        for g in p.groups:
            if not g.order:
                continue
            out.print(table(("档号（拟）", "日期", "文号", "题名", "记录号"),
                            ((str(filing.code_of(arc, p.year, g, g.first_item + i)), r["date"], r["doc_number"],
                              r["title"], r["id"]) for i, r in enumerate(g.order)),
                            title=f"{p.year}-{g.name(arc.cfg.orgs)}：{len(g.order)} 件"
                                  + (f"（已编号 {len(g.numbered)} 件保持不变）" if g.numbered else "")))
    c = p.counts()
    say(f"{p.year} 年度：待编号 {c['待编号']} 件，已编号 {c['已编号']} 件；待定 {c['待定']} 件，须更正 {c['须更正']} 处，"
        f"提示 {c['提示']} 处" + ("（补充归档）" if p.supplement else ""))


@arrange_app.callback(invoke_without_command=True)
def arrange(
    ctx: typer.Context,
    year: Optional[int] = typer.Option(None, "--year", help="年度"),
    by: Optional[str] = typer.Option(None, "--by", help="整理人姓名"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只列出检查结果和拟编的档号，不写入"),
    leave_pending: bool = typer.Option(False, "--leave-pending", help="待定记录留在本次整理之外"),
    order: Optional[Path] = typer.Option(None, "--order", help="顺序文件：每行一个记录号、档号或文号"),
    move: Optional[str] = typer.Option(None, "--move", help="要移动的记录（与 --after 一起用）"),
    after: Optional[str] = typer.Option(None, "--after", help="移到这条记录之后"),
    paper: Optional[str] = typer.Option(None, "--paper", help="未登记纸质原件的记录登记为：有 或 无"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """年度整理：先检查，再按成文日期结合事由拟定每组（年度-保管期限-机构）的顺序；可用 --order 或 --move 调整。"""
    from archive import filing
    from archive.errors import UsageError

    if ctx.invoked_subcommand is not None:
        return
    if year is None:
        raise UsageError("须指定 --year 年度，如 archive arrange --year 2023 --by 张三")
    if (move is None) != (after is None):
        raise UsageError("--move 与 --after 须一起使用")
    if order is not None and move is not None:
        raise UsageError("--order 与 --move 只能用其一")
    arc = _archive()
    p = filing.arrange(arc, _year(year), by, dry_run=dry_run, leave_pending=leave_pending, order_file=order,
                       move=(move, after) if move is not None else None, paper=paper)

    def render() -> None:
        _print_plan(p, arc, numbering=True)
        if dry_run:
            say("（试运行，未写入）")
        else:
            if p.left_out:
                say(f"待定 {len(p.left_out)} 件留在本次整理之外（确认后可补充归档）")
            if paper is not None:
                say(f"纸质原件登记为“{paper}”：{p.paper_marked} 件（已登记的不变）")
            say(f"已保存 {year} 年度的整理顺序；下一步：由另一人检查 archive arrange check --year {year} --by 检查人")

    emit(as_json, lambda: _plan_json(p, arc), render)


@arrange_app.command("check")
def check_cmd(
    year: int = typer.Option(..., "--year", help="年度"),
    by: str = typer.Option(..., "--by", help="检查人姓名（不能是整理人）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """检查人确认整理顺序（须与整理人不同）。"""
    from archive import filing

    arc = _archive()
    p = filing.check(arc, _year(year), by)

    def render() -> None:
        _print_plan(p, arc, numbering=False)
        say(f"检查完成；下一步：archive arrange close --year {year} --received-by 接收人")

    emit(as_json, lambda: _plan_json(p, arc), render)


@arrange_app.command("close")
def close_cmd(
    year: int = typer.Option(..., "--year", help="年度"),
    received_by: str = typer.Option(..., "--received-by", help="档案室接收人姓名"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """归档：按检查过的顺序编件号、定档号，关闭年度，写出归档移交清单（PDF、XLSX）。"""
    from archive import filing

    arc = _archive()
    c = filing.close(arc, _year(year), received_by)

    def render() -> None:
        out.print(table(("组", "件数", "页数", "档号起止"),
                        ((g["name"], g["件数"], g["页数"], f"{g['first']} 至 {g['last']}") for g in c.groups),
                        title=f"{year} 年度{'补充归档' if c.supplement else '归档'}"))
        say(f"已归档 {sum(g['件数'] for g in c.groups)} 件；整理人 {c.arranged_by}，检查人 {c.checked_by}，"
            f"接收人 {c.received_by}；归档移交清单 → {c.files[0]}、{c.files[1]}")
        say(f"归档文件目录（含封面）、归档章、年度统计 → {c.outputs[0].parent}")

    emit(as_json, lambda: {"year": c.year, "groups": c.groups, "arranged_by": c.arranged_by,
                           "checked_by": c.checked_by, "received_by": c.received_by,
                           "files": [str(f) for f in c.files], "supplement": c.supplement,
                           "outputs": [str(f) for f in c.outputs]}, render)


@arrange_app.command("reopen")
def reopen_cmd(
    year: int = typer.Option(..., "--year", help="年度"),
    reason: str = typer.Option(..., "--reason", help="原因"),
    by: str = typer.Option(..., "--by", help="档案员姓名（须是档案员账号）"),
) -> None:
    """重新打开已归档的年度（仅档案员，须说明原因；目录已移交的年度不能）。已编的档号不变。"""
    from archive import filing

    arc = _archive()
    filing.reopen(arc, _year(year), reason, by)
    say(f"已重新打开 {year} 年度（已编档号不变）")


@arrange_app.command("status")
def status_cmd(as_json: bool = typer.Option(False, "--json")) -> None:
    """各年度的整理归档状态：预归档件数、整理人、检查人、接收人。"""
    from archive import archival_code, filing
    from archive.display import local_time

    arc = _archive()
    rows = filing.years(arc)
    mode = archival_code.numbering_of(arc.conn)

    def render() -> None:
        say(f"编号方式：{archival_code.MODE_NAMES.get(mode, '未设定')}")
        out.print(table(("年度", "状态", "预归档", "整理人", "检查人", "接收人", "归档时间"),
                        ((r["year"], r["state"], r["collected"], r["arranged_by"], r["checked_by"],
                          r["received_by"], local_time(r["closed_at"], arc.cfg.tz) if r["closed_at"] else "")
                         for r in rows)))

    emit(as_json, {"numbering": mode, "years": rows}, render)


@arrange_app.command("outputs")
def outputs_cmd(
    year: int = typer.Option(..., "--year", help="年度"),
    out_dir: Optional[Path] = typer.Option(None, "-o", "--out", help="输出文件夹（库外）；不加则更新档案库中本年度的文件夹"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """年度输出：各组归档文件目录（含封面，PDF、XLSX）、归档章（一份 PDF）、年度统计；已装盒的还有备考表和盒脊封面。"""
    from archive import filing

    arc = _archive()
    files = filing.year_outputs(arc, _year(year), out_dir)

    def render() -> None:
        for f in files:
            say(f"→ {f}")
        say(f"{year} 年度输出 {len(files)} 个文件")

    emit(as_json, lambda: {"year": year, "files": [str(f) for f in files]}, render)


@arrange_app.command("paper")
def paper_cmd(
    state: str = typer.Argument(..., help="有、无 或 未登记"),
    refs: Optional[list[str]] = typer.Argument(None, help="记录号、档号或文号"),
    year: Optional[int] = typer.Option(None, "--year", help="登记全年度未登记的记录（不改已登记的）"),
    by: str = typer.Option(..., "--by", help="登记人姓名"),
) -> None:
    """登记纸质原件（双套制）：有、无 或 未登记。"""
    from archive import boxes
    from archive.errors import UsageError

    if (year is None) == (not refs):
        raise UsageError("须指定记录（REF…）或 --year 年度，二者只能用其一")
    arc = _archive()
    if year is not None:
        if state not in ("有", "无"):
            raise UsageError("按年度登记只能登记为 有 或 无")
        n = boxes.set_paper_year(arc, _year(year), state, by)
        say(f"{year} 年度 {n} 件登记为纸质原件“{state}”（已登记的不变）")
    else:
        done = boxes.set_paper(arc, list(refs), state, by)
        say(f"{len(done)} 件登记为纸质原件“{state}”" + ("" if len(done) == len(refs) else f"（{len(refs) - len(done)} 件原已如此）"))


@arrange_app.command("box")
def box_cmd(
    year: int = typer.Option(..., "--year", help="年度（须已归档）"),
    by: str = typer.Option(..., "--by", help="装盒（整理）人姓名"),
    checked_by: Optional[str] = typer.Option(None, "--checked-by", help="检查人姓名（不能是装盒人）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """装盒：已归档年度的纸质原件按件号顺序装盒，每组（保管期限-机构）盒号从 1 起；写出备考表和盒脊、封面标签。"""
    from archive import boxes, filing

    arc = _archive()
    b = boxes.box_year(arc, _year(year), by, checked_by)
    files = filing.year_outputs(arc, year)

    def render() -> None:
        out.print(table(("组", "盒号", "件数", "页数", "起止件号"),
                        ((x.group_name(arc.cfg.orgs), x.box_no, len(x.items), x.pages,
                          f"{x.first:04d}-{x.last:04d}" if x.items else "") for x in b.boxes),
                        title=f"{year} 年度装盒"))
        say(f"本次装盒 {b.placed} 件，新用 {len(b.new_boxes)} 盒（每盒至多 {b.capacity} 页）；"
            f"无纸质原件 {b.no_paper} 件未装盒")
        if b.oversize:
            say(f"提示：{len(b.oversize)} 件超过一盒的容量，各自单独成盒：{'、'.join(b.oversize[:5])}")
        say(f"备考表和盒脊、封面 → {files[0].parent}")

    emit(as_json, lambda: {"year": year, "placed": b.placed, "no_paper": b.no_paper, "capacity": b.capacity,
                           "oversize": b.oversize,
                           "boxes": [{"retention": x.retention, "org": x.org, "box_no": x.box_no,
                                      "items": [r["item_no"] for r in x.items], "pages": x.pages}
                                     for x in b.boxes]}, render)
