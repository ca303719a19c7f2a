"""``archive receipt``: the 收文 registration of incoming documents, 阅件 or 办件 (issue 26).

A document of a superior, a peer or a subordinate that the table would exclude only as 不需本机关办理 waits 待定
until the registration says so; ``archive receipt set`` records it (one record, several, a range, or every record
a rule left waiting: ``--rule R20``, after the count is shown and confirmed) and the table decides again.
"""

from __future__ import annotations

from typing import Optional

import typer

from archive.console import emit, err, out, say, table
from archive.errors import UsageError

receipt_app = typer.Typer(no_args_is_help=True, help="收文阅办登记：标明来文是阅件还是办件，待定文件据此重新判定。")

_LABELS = {"archived": "已归档", "excluded": "不归档", "pending": "仍待定", "failed": "失败"}


@receipt_app.command("list")
def receipt_list(
    rule: Optional[str] = typer.Option(None, "--rule", help="只列该规则建议的，如 R20"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """列出因未登记阅件/办件而待定的文件，按规则分组计数。"""
    from archive import catalog
    from archive.cli import _archive
    from archive.review import awaiting_receipt

    arc = _archive()
    rows = awaiting_receipt(arc.conn, rule)
    by_rule: dict[str, int] = {}
    for r in rows:
        by_rule[r["rule_id"] or "无"] = by_rule.get(r["rule_id"] or "无", 0) + 1

    def render() -> None:
        out.print(table(("记录号", "规则", "发文机关", "题名", "主送"),
                        ((r["id"], r["rule_id"] or "", r["issuer"] or "", r["title"] or r["filename"] or "",
                          r["recipients"] or "") for r in rows), title="待登记阅办类型的文件"))
        err.print(f"共 {len(rows)} 件" + ("：" + "，".join(f"{k} {n} 件" for k, n in sorted(by_rule.items()))
                                          if rows else "") +
                  "；用 archive receipt set 阅件|办件 记录号… 或 --rule 规则编号 登记")

    emit(as_json, lambda: {"total": len(rows), "by_rule": by_rule, "records": [catalog.record(r) for r in rows]},
         render)


@receipt_app.command("set")
def receipt_set(
    kind: str = typer.Argument(..., help="阅件 或 办件"),
    refs: Optional[list[str]] = typer.Argument(None, help="记录号、档号或发文字号，可多个；记录号范围如 12-40"),
    rule: Optional[str] = typer.Option(None, "--rule", help="该规则建议、因未登记阅办类型而待定的全部文件，如 R20"),
    yes: bool = typer.Option(False, "--yes", help="按 --rule 批量登记时不再询问（先显示件数）"),
    reason: Optional[str] = typer.Option(None, "--reason", help="说明（记入事件日志）"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """登记收文的阅办类型（阅件/办件）；因此待定的文件按保管期限表重新判定（逐件各自提交）。"""
    from archive import review as rv
    from archive.cli import _archive, _text_arg
    from archive.classify import receipt_of

    if receipt_of(kind) is None:
        raise UsageError(f"阅办类型 “{kind}” 无效：应为 阅件 或 办件")
    rule, reason = _text_arg(rule, "--rule 规则编号"), _text_arg(reason, "--reason", 2000)
    if bool(refs) == (rule is not None):
        raise UsageError("请给出记录（记录号、档号、文号或范围 12-40）或 --rule 规则编号，二者之一")
    arc = _archive()
    if refs:
        items = rv.targets(arc, refs)
    else:
        if rule not in {r.id for r in arc.cfg.rules}:
            raise UsageError(f"config.toml 中没有规则 {rule}（可用 archive rules 查看）")
        rows = rv.awaiting_receipt(arc.conn, rule)
        if not rows:
            say(f"没有因未登记阅办类型而待定的文件（规则 {rule}）")
            emit(as_json, {"total": 0, "results": []})
            return
        say(f"规则 {rule} 建议、未登记阅办类型的待定文件共 {len(rows)} 件，将全部登记为{receipt_of(kind)}")
        if not yes and not typer.confirm("确认？", default=False):
            raise typer.Exit(1)
        items = [rv.Target(str(r["id"]), r) for r in rows]
    results = rv.set_receipt_many(arc, items, kind, reason=reason)

    def render() -> None:
        out.print(table(("记录号", "结果", "档号", "题名", "说明"),
                        ((o.id or o.ref, _LABELS.get(o.result, o.result), (o.record or {}).get("archival_code") or "",
                          (o.record or {}).get("title") or "", o.message) for o in results), title="阅办登记结果"))
        err.print(f"共 {len(results)} 件：" + "，".join(
            f"{v} {n}" for k, v in _LABELS.items() if (n := sum(1 for o in results if o.result == k))))

    emit(as_json, lambda: {"total": len(results), "results": [o.to_json() for o in results]}, render)
    if any(o.result == "failed" for o in results):
        raise typer.Exit(1)
