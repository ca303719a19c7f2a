"""``archive export filing-form ID -o 销毁备案表.pdf``: the 档案销毁备案表 for the 档案主管部门 and the 全宗卷 entries of a
destruction (archive/appraisal.py, ``filing_sheets``)."""

from __future__ import annotations

from pathlib import Path

import typer

from archive.console import err


def filing(
    appraisal_id: int = typer.Argument(..., help="已销毁的鉴定编号（archive appraisals 可查）"),
    output: Path = typer.Option(..., "-o", "--output", help="写出销毁备案表和全宗卷目录（.pdf/.docx/.xlsx/.csv）"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖"),
) -> None:
    """打印档案销毁备案表（报同级档案主管部门备案）和归入全宗卷的鉴定、审批、销毁清册目录。"""
    from archive import appraisal, cli

    cli._new_output(output, force)
    appraisal.write_filing(cli._archive(), appraisal_id, output)
    err.print(f"已写出销毁备案表 → {output}")
