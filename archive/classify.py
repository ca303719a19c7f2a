"""Classify a document by the agency's 归档范围和保管期限表 (the [[rules]] of config.toml).

Rules are tried in order; the first whose conditions all hold decides (docs/domain.md, 归档范围 and 保管期限). Nothing here is
hard-coded about what to keep: the table is the agency's. What this module adds is the facts the rules
test — the issuer's relation to us, whether we are among the 主送 — and the 待定 verdict when no rule
decides or a rule archives a document whose required elements could not be read.
"""

from __future__ import annotations

from archive import bounds
from archive.config import Config, Rule, name_matches
from archive.models import Classification, GongwenFields

SELF, SUPERIOR, PEER, SUBORDINATE, OTHER = "本机关", "上级", "同级", "下级", "其他"
# a joint document (联合行文) that names us after its 主办机关: 8号令 第十一条 has the 主办机关 file the original and
# the other issuers a copy, so it is filed as our copy of a joint document, by a rule of its own (docs/domain.md)
CO_ISSUER = "本机关协办"

# A rule's title_regex runs in the main process: with the ``regex`` engine and this limit (seconds), a
# backtracking-prone pattern costs one second and sends the document to pending instead of spinning.
REGEX_TIMEOUT = 1.0


class RuleRegexTimeout(Exception):
    """A title_regex (or a [relations] pattern) ran past REGEX_TIMEOUT; ``what`` names it for the clerk."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


def _compact(s: str) -> str:
    return "".join(s.split())


def relation_of(fields: GongwenFields, cfg: Config) -> str | None:
    """本机关 / 上级 / 同级 / 下级 / 其他, or None when there is no issuer and no number to tell by.

    A joint document (联合行文) names its 主办机关 first and carries the 主办's 发文字号: when that is us it
    is our own document (本机关); when we are one of the other issuers it is 本机关协办. Otherwise the
    highest-ranking issuer decides (a document issued jointly with the county government carries the
    government's authority).
    """
    own_names = {_compact(cfg.agency_name), *(_compact(a) for a in cfg.aliases)}
    issuers = [_compact(i) for i in (fields.issuers or ([fields.issuer] if fields.issuer else []))]
    if fields.doc_number is not None and fields.doc_number.code in cfg.codes:
        return SELF
    if issuers and issuers[0] in own_names:
        return SELF
    if any(i in own_names for i in issuers[1:]):
        return CO_ISSUER
    if not issuers:
        return None
    for relation, names in ((SUPERIOR, cfg.superior), (PEER, cfg.peer), (SUBORDINATE, cfg.subordinate)):
        if any(name_matches(i, names) for i in issuers):
            return relation
    return OTHER


def addressed_to_us(fields: GongwenFields, cfg: Config) -> bool:
    """主送 names us, one of our aliases, or a group that includes us (县直各单位 …)."""
    if not fields.recipients:
        return False
    rec = _compact(fields.recipients)
    names = [cfg.agency_name, *cfg.aliases, *cfg.recipient_groups]
    return any(_compact(n) in rec for n in names if n)


def _holds(rule: Rule, fields: GongwenFields, text: str, pages: int, relation: str | None,
           to_us: bool) -> bool:
    w = rule.when
    title = fields.title or ""
    if "relation" in w and relation not in w["relation"]:
        return False
    if "doc_type" in w and fields.doc_type not in w["doc_type"]:
        return False
    if "title_any" in w and not any(k in title for k in w["title_any"]):
        return False
    if "text_any" in w and not any(k in text for k in w["text_any"]):
        return False
    if rule.title_regex is not None:
        try:
            if not rule.title_regex.search(title, timeout=REGEX_TIMEOUT):
                return False
        except TimeoutError:
            raise RuleRegexTimeout(f"规则 {rule.id} 的 title_regex") from None
    if "issuer_any" in w and not any(k in (fields.issuer or "") for k in w["issuer_any"]):
        return False
    if "docno_code" in w and (fields.doc_number is None or fields.doc_number.code not in w["docno_code"]):
        return False
    if "recipient_self" in w and to_us != w["recipient_self"]:
        return False
    if "has_docno" in w and (fields.doc_number is not None) != w["has_docno"]:
        return False
    if "pages_min" in w and pages < w["pages_min"]:
        return False
    return True


def classify(fields: GongwenFields, text: str, pages: int, cfg: Config) -> Classification:
    relation = None
    try:
        try:
            relation = relation_of(fields, cfg)
        except TimeoutError:
            raise RuleRegexTimeout("[relations] 中的正则表达式") from None
        to_us = addressed_to_us(fields, cfg)
        rule = next((r for r in cfg.rules if _holds(r, fields, text, pages, relation, to_us)), None)
    except RuleRegexTimeout as e:
        return Classification(status="pending", relation=relation, reason=(
            f"{e.what} 匹配超时（超过 {REGEX_TIMEOUT:g} 秒，表达式可能存在灾难性回溯）：未能分类，请人工确认，"
            f"并修改 config.toml 中的这条表达式"))

    if rule is None:
        why = "没有规则适用"
        if relation is None:
            why += "（未识别发文机关）"
        return Classification(status="pending", relation=relation, reason=why)

    if rule.scope == "不归档":
        return Classification(status="excluded", relation=relation, rule_id=rule.id, basis=rule.basis)

    missing = []
    if not fields.title:
        missing.append("标题")
    if fields.date is None:
        missing.append("成文日期")
    org = rule.org or (cfg.default_org if cfg.orgs else None)
    if cfg.orgs and not org:
        missing.append("机构(问题)")
    if fields.date is not None and not bounds.FIRST_YEAR <= fields.date.year <= bounds.last_year():
        # a 年度 outside 1949..next year is a misread date (OCR, a typo): it must not become a 档号
        return Classification(
            status="pending", relation=relation, rule_id=rule.id, basis=rule.basis, retention=rule.retention,
            org=org, reason=f"规则 {rule.id} 判定归档，但成文日期 {fields.date.isoformat()} 的年份不在 "
                            f"{bounds.FIRST_YEAR}–{bounds.last_year()} 之间（可能识别有误），请人工确认并用 --year 指定年度")
    if fields.doubtful_date:
        # never filed into another year silently: the clerk settles which date (and 年度) is right
        return Classification(
            status="pending", relation=relation, rule_id=rule.id, basis=rule.basis, retention=rule.retention,
            org=org, reason=f"规则 {rule.id} 判定归档，但{fields.doubtful_date}，请人工确认成文日期（年度）")
    if missing:
        return Classification(
            status="pending", relation=relation, rule_id=rule.id, basis=rule.basis,
            retention=rule.retention, org=org,
            reason=f"规则 {rule.id} 判定归档，但未能识别{'、'.join(missing)}，请人工确认",
        )
    return Classification(status="archived", retention=rule.retention, org=org, rule_id=rule.id,
                          basis=rule.basis, relation=relation)
