"""The agency's 文件材料归档范围和文书档案保管期限表 as a document it can submit for review.

8号令 第十二条: each agency draws up its own table, which takes effect once the 同级档案主管部门 has reviewed
and agreed to it. The program's table is config.toml's [[rules]]; this prints them in the clerk's words (what
material, under which conditions, filed or not, how long, on what basis) with the review status and blank
lines for the reviewer's opinion and seal.
"""

from __future__ import annotations

from pathlib import Path

from archive.config import RETENTION_NAMES, Config, Rule
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
    intro = [
        "本表依据《机关文件材料归档范围和文书档案保管期限规定》（国家档案局令第8号）制定：第三条、第四条划定归档与不归档的"
        "范围，第六条规定保管期限分为永久和定期（定期一般分为30年、10年），第七条列举永久保管的文件材料，第八条列举定期保管的"
        "文件材料，30年与10年的划分依照该规定所附《文书档案保管期限表》。",
        "各条目按表中顺序适用，文件符合某条目的全部条件即按该条目处理；没有条目适用的文件由档案人员逐件确认。"
        "依照第十二条和《中华人民共和国档案法实施条例》第十九条，本表经同级档案主管部门审核同意后施行。",
        f"审核情况：{cfg.table_status}。",
    ]
    footer = "\n".join([
        f"制表单位（盖章）：{cfg.agency_name}　　全宗号：{cfg.fonds}　　制表日期：{blank}",
        f"档案主管部门审核意见：{blank * 4}",
        f"审核单位（盖章）：{(cfg.approval.approved_by if cfg.approval else '') or blank}　　"
        f"审核日期：{(cfg.approval.approved_on if cfg.approval else '') or blank}　　"
        f"审核文件：{((cfg.approval.approval_doc or '') if cfg.approval else '') or blank}",
    ])
    return [Sheet(name="归档范围和保管期限表", title=f"{cfg.agency_name}文件材料归档范围和文书档案保管期限表",
                  subtitle=f"全宗号：{cfg.fonds}　　共 {len(cfg.rules)} 条　　{cfg.table_status}",
                  columns=COLUMNS, rows=rows(cfg), widths=_WIDTHS, intro=intro, footer=footer)]


def write_table(cfg: Config, path: Path, fmt: str | None = None) -> Path:
    return write(sheets(cfg), Path(path), fmt)
