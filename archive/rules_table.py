"""The agency's 文件材料归档范围和文书档案保管期限表 as a document it can submit for review.

8号令 第十二条: each agency draws up its own table, which takes effect once the 同级档案主管部门 has reviewed
and agreed to it. The program's table is config.toml's [[rules]]; this prints them in the clerk's words (what
material, under which conditions, filed or not, how long, on what basis) with the review status and blank
lines for the reviewer's opinion and seal. The agreement is recorded in the catalog against the digest of the
rules (``approve``); a table changed since reads 未经审核同意 again, and destruction waits for a new agreement.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from archive import catalog, display
from archive.bounds import check_text_arg, document_number
from archive.catalog import table_approvals
from archive.config import RETENTION_NAMES, Config, Rule, TableApproval
from archive.errors import DispositionError
from archive.export.catalogue import Sheet, write

COLUMNS = ("序号", "条目", "文件材料", "适用条件", "是否归档", "保管期限", "机构(问题)", "依据")
_WIDTHS = (10, 12, 66, 70, 16, 16, 20, 57)


def _material(rule: Rule) -> str:
    """The 归档范围 item: the basis after its citation, without the period it ends with."""
    text = rule.basis.split("：", 1)[1] if "：" in rule.basis else rule.basis
    for tail in ("，永久", "，30年", "，10年", "不归档"):
        if text.endswith(tail):
            text = text[: -len(tail)]
    return text


def _citation(rule: Rule) -> str:
    return rule.basis.split("：", 1)[0] if "：" in rule.basis else rule.basis


# 8号令 第十一条: a joint document's original is filed by its 主办机关, the other issuers file a copy
_RELATION_WORDS = {"本机关协办": "联合行文的协办机关之一（本机关非主办，归档复制件）"}


def describe(when: dict) -> str:
    """A rule's conditions in words."""
    parts = []
    if "relation" in when:
        words = [_RELATION_WORDS.get(x, x) for x in when["relation"]]
        parts.append("发文机关为" + "或".join(words))
    if "doc_type" in when:
        parts.append("文种为" + "、".join(when["doc_type"]))
    if "title_any" in when:
        parts.append("标题含“" + "”“".join(when["title_any"]) + "”之一")
    if "title_regex" in when:
        parts.append(f"标题符合 {when['title_regex']}")
    if "text_any" in when:
        parts.append("正文含“" + "”“".join(when["text_any"]) + "”之一")
    if "issuer_any" in when:
        parts.append("发文机关含“" + "”“".join(when["issuer_any"]) + "”之一")
    if "docno_code" in when:
        parts.append("机关代字为" + "、".join(when["docno_code"]))
    if "recipient_self" in when:
        parts.append("主送本机关" if when["recipient_self"] else "未主送本机关（不需本机关办理）")
    if "has_docno" in when:
        parts.append("有发文字号" if when["has_docno"] else "无发文字号")
    if "pages_min" in when:
        parts.append(f"不少于 {when['pages_min']} 页")
    return "；".join(parts) or "其余文件"


def rows(cfg: Config) -> list[list]:
    out = []
    for k, r in enumerate(cfg.rules, 1):
        out.append([k, r.id, _material(r), r.conditions or describe(r.when), "归档" if r.scope == "归档" else "不归档",
                    RETENTION_NAMES.get(r.retention or "", "—") if r.scope == "归档" else "—",
                    cfg.orgs.get(r.org or "", r.org or "") if r.scope == "归档" else "—", _citation(r)])
    return out


def rows_json(cfg: Config) -> list[dict]:
    return [dict(zip(COLUMNS, r)) | {"when": rule.when} for r, rule in zip(rows(cfg), cfg.rules)]


def sheets(cfg: Config) -> list[Sheet]:
    blank = "_" * 16
    ok = cfg.table_approval  # recorded in the catalog for this content (check), not what config.toml claims
    intro = [
        "本表依据《机关文件材料归档范围和文书档案保管期限规定》（国家档案局令第8号）制定：第三条、第四条划定归档与不归档的"
        "范围，第六条规定保管期限分为永久和定期（定期一般分为30年、10年），第七条列举永久保管的文件材料，第八条列举定期保管的"
        "文件材料，30年与10年的划分依照该规定所附《文书档案保管期限表》。",
        "各条目按表中顺序适用，文件符合某条目的全部条件即按该条目处理；没有条目适用的文件由档案人员逐件确认。"
        "依照该规定第十二条，本表经同级档案行政管理部门审查同意后执行。",
        f"审核情况：{cfg.table_status}。",
    ]
    footer = "\n".join([
        f"制表单位（盖章）：{cfg.agency_name}　　全宗号：{cfg.fonds}　　制表日期：{blank}",
        f"档案主管部门审核意见：{blank * 4}",
        f"审核单位（盖章）：{(ok.approved_by if ok else '') or blank}　　"
        f"审核日期：{(ok.approved_on if ok else '') or blank}　　"
        f"审核文件：{((ok.approval_doc or '') if ok else '') or blank}",
        f"本表内容摘要（SHA-256）：{digest(cfg)}",
    ])
    return [Sheet(name="归档范围和保管期限表", title=f"{cfg.agency_name}文件材料归档范围和文书档案保管期限表",
                  subtitle=f"全宗号：{cfg.fonds}　　共 {len(cfg.rules)} 条　　{cfg.table_status}",
                  columns=COLUMNS, rows=rows(cfg), widths=_WIDTHS, intro=intro, footer=footer)]


def write_table(cfg: Config, path: Path, fmt: str | None = None) -> Path:
    return write(sheets(cfg), Path(path), fmt)


# ---- the approval, tied to the table's content (issue 26) --------------------------------------------------
def canonical(cfg: Config) -> str:
    """The [[rules]] as the program reads and applies them, in order, as canonical JSON: what an approval covers.
    A comment or a spacing change in config.toml leaves it alone; any change of what a rule does changes it."""
    table = [{"id": r.id, "basis": r.basis, "when": r.when, "scope": r.scope, "retention": r.retention,
              "org": r.org, "conditions": r.conditions} for r in cfg.rules]
    return json.dumps({"fonds": cfg.fonds, "rules": table}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def digest(cfg: Config) -> str:
    return hashlib.sha256(canonical(cfg).encode("utf-8")).hexdigest()


def check(arc) -> TableApproval | None:
    """The agreement recorded in the catalog for the table in force (its digest), or None; also sets
    ``cfg.table_approval`` so every report and export says the same (cfg.table_status)."""
    row = table_approvals.for_digest(arc.conn, digest(arc.cfg))
    found = TableApproval(row["approved_by"], row["approved_on"], row["approval_doc"]) if row else None
    arc.cfg.table_approval = found
    return found


def status(arc) -> dict:
    """What ``archive rules`` and the audit report about the approval of the table in force."""
    found, now = check(arc), digest(arc.cfg)
    last = table_approvals.latest(arc.conn)
    out = {"approved": found is not None, "table_status": arc.cfg.table_status, "digest": now}
    if found is None and last is not None:  # agreed once, changed since
        out["changed_since"] = {"approved_by": last["approved_by"], "approved_on": last["approved_on"],
                                "approval_doc": last["approval_doc"], "digest": last["digest"]}
    return out


def unapproved_reason(arc) -> str:
    """Why the table in force is not approved, in the clerk's words (empty when it is)."""
    st = status(arc)
    if st["approved"]:
        return ""
    if "changed_since" in st:
        c = st["changed_since"]
        return (f"保管期限表在{c['approved_by']}于{c['approved_on']}审核同意（{c['approval_doc']}）之后已被修改，"
                "现行内容未经审核同意")
    claimed = arc.cfg.approval
    if claimed is not None:
        return ("保管期限表未经审核同意：config.toml 写有审核情况，但档案库中没有现行内容的审核登记")
    return "保管期限表未经审核同意"


def require_approved(arc, what: str) -> None:
    """Refuse ``what`` (鉴定销毁, 销毁) while the table in force has no recorded agreement (8号令 第十二条)."""
    why = unapproved_reason(arc)
    if why:
        raise DispositionError(f"{why}，不能{what}：请用 archive rules -o 表.pdf 打印现行的表报同级档案主管部门审核，"
                               "同意后用 archive rules approve --by 审核单位 --on 日期 --document 文号 登记")


def approve(arc, *, by: str, on: dt.date, document: str) -> dict:
    """Record the 档案主管部门's agreement of the table as it reads now (its digest), with who agreed, on which day
    and by which document. The same content agreed twice keeps both rows (history); a changed table needs its own."""
    by = check_text_arg(by, "审核单位（--by）").strip()
    if not by:
        raise DispositionError("须写明审核同意的档案主管部门（--by）")
    doc = document_number(document, "审核文件（--document）")
    if on > display.today(arc.cfg.tz):
        raise DispositionError(f"审核日期 {on.isoformat()} 晚于今天：请写实际审核同意的日期")
    now = digest(arc.cfg)
    with arc.change(catalog.actor(), "登记保管期限表审核同意") as tx:
        aid = table_approvals.add(tx.conn, digest=now, rule_count=len(arc.cfg.rules), by=by, on=on.isoformat(),
                                  document=doc, at=catalog.now(), actor=catalog.actor())
        catalog.append_event(tx.conn, "table-approve", None, {
            "approval": aid, "digest": now, "rules": len(arc.cfg.rules), "approved_by": by,
            "approved_on": on.isoformat(), "approval_doc": doc})
    check(arc)
    return {"id": aid, "digest": now, "rules": len(arc.cfg.rules), "approved_by": by, "approved_on": on.isoformat(),
            "approval_doc": doc, "table_status": arc.cfg.table_status}
