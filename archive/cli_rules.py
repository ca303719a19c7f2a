"""``archive rules``: the 归档范围和保管期限表 printed for review, and ``archive rules approve``: the 档案主管部门's
agreement recorded in the catalog against the digest of the table as it reads now (archive/rules_table.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from archive.console import emit, err, out, say, table

app = typer.Typer(add_completion=False, rich_markup_mode=None, invoke_without_command=True,
                  help="打印本机关的文件材料归档范围和文书档案保管期限表及其审核情况；approve 登记审核同意。")


def _status(cfg) -> dict:
    """The approval of the table in force as the catalog records it; no catalog yet: nothing recorded."""
    from archive import cli, rules_table
    from archive.errors import ArchiveError

    try:
        arc = cli._archive()
        arc.conn  # opened lazily: no archive yet (before init) means nothing recorded
    except ArchiveError:
        return {"approved": False, "table_status": cfg.table_status, "digest": rules_table.digest(cfg)}
    st = rules_table.status(arc)
    st["table_status"] = rules_table.unapproved_reason(arc) or arc.cfg.table_status
    cfg.table_approval = arc.cfg.table_approval
    return st


@app.callback()
def rules_cmd(
    ctx: typer.Context,
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="写出归档范围和保管期限表（.docx/.xlsx/.pdf/.csv），供报送审核"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """打印本机关的文件材料归档范围和文书档案保管期限表（config.toml 中的规则），及其审核情况。"""
    if ctx.invoked_subcommand is not None:
        return
    from archive import cli, rules_table

    cli._new_output(output, force)
    cfg = cli._config()
    st = _status(cfg)
    if output is not None:
        rules_table.write_table(cfg, output, cli._output_format(output, None))
        err.print(f"已写出归档范围和保管期限表 → {output}")

    def render() -> None:
        if output is None:
            out.print(table(rules_table.COLUMNS, ([str(x) for x in r] for r in rules_table.rows(cfg)),
                            title=f"{cfg.agency_name}文件材料归档范围和文书档案保管期限表"))
        say(st["table_status"])
        say(f"本表内容摘要（SHA-256）：{st['digest']}")

    emit(as_json, lambda: {**st, "rules": rules_table.rows_json(cfg)}, render)


@app.command("approve")
def approve_cmd(
    by: str = typer.Option(..., "--by", help="审核同意的档案主管部门，如 示例县档案局"),
    on: str = typer.Option(..., "--on", help="审核同意的日期，如 2026-03-01（不能晚于今天）"),
    document: str = typer.Option(..., "--document", help="审核同意的文件文号，如 示档函〔2026〕3号"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """登记档案主管部门对现行保管期限表（按其内容摘要）的审核同意；表修改后须重新审核登记。"""
    from archive import cli, rules_table

    day = cli._date_option(on, "--on")
    arc = cli._archive()
    rec = rules_table.approve(arc, by=by, on=day, document=document)
    emit(as_json, rec, lambda: say(f"已登记：{rec['table_status']}（{rec['rules']} 条，内容摘要 {rec['digest'][:16]}…）"))
