"""``archive convert --missing [--dry-run]``: the PDF/A 版式副本 of every record filed without a 版式 copy
(archive/rendition.py). Parses, calls the service, prints; nothing else."""

from __future__ import annotations

import typer

from archive.console import emit, progress, say
from archive.errors import RenditionError, UsageError


def convert(
    missing: bool = typer.Option(False, "--missing", help="为所有没有版式文件（PDF/OFD）的记录生成 PDF/A 版式副本"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只列出需要转换的记录，不转换"),
    as_json: bool = typer.Option(False, "--json", help="在标准输出打印结果（JSON）"),
) -> None:
    """为 DOCX、DOC、WPS、RTF、HTML、TXT 记录生成 PDF/A-2b 版式副本（LibreOffice），与原文件并存，原文件不变。"""
    from archive import rendition
    from archive.cli import _archive

    if not missing:
        raise UsageError("请给出 --missing：为没有版式文件的记录生成版式副本（可加 --dry-run 先查看）")
    arc = _archive()
    todo = rendition.missing(arc)
    with progress("生成版式副本", len(todo), show=not as_json and not dry_run and len(todo) > 1) as bar:
        results = rendition.convert_missing(arc, dry_run=dry_run, progress=bar)
    emit(as_json, lambda: [r.to_json() for r in results])
    made = [r for r in results if r.outcome == "made"]
    failed = [r for r in results if r.outcome == "failed"]
    for r in results:
        if r.outcome == "would":
            say(f"待转换：{r.ref}")
        elif r.outcome == "made":
            say(f"已生成版式副本：{r.ref}（文件 {r.seq}，{r.pages} 页，PDF/A-2b）")
        else:
            say(f"未生成：{r.ref}：{r.reason}")
    if dry_run:
        say(f"共 {len(results)} 条记录没有版式文件，需要转换（未作更改）")
        return
    say(f"已生成 {len(made)} 份版式副本；{len(failed)} 条记录未能生成（记录未改动）")
    if failed:
        raise RenditionError(f"{len(failed)} 条记录未能生成版式副本：见上方原因，处理后可再次运行 archive convert --missing")
