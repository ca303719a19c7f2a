"""Classify a document by the agency's 归档范围和保管期限表 (the [[rules]] of config.toml).

Rules are tried in order; the first whose conditions all hold decides (docs/domain.md, 归档范围 and 保管期限). Nothing here is
hard-coded about what to keep: the table is the agency's. What this module adds is the facts the rules
test — the issuer's relation to us, whether we are among the 主送 — and the 待定 verdict when no rule
decides or a rule archives a document whose required elements could not be read.
"""

from __future__ import annotations

import re
import unicodedata

from archive import bounds
from archive.config import RETENTION_NAMES, Config, Rule, name_matches
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


READ, ACT = "阅件", "办件"  # the 收文 registration: for reading / to act on (docs/domain.md, 收文)
RECEIPT_KINDS = (READ, ACT)
BY_NAME, BY_GROUP = "name", "group"

# how a 层级 is written inside a 主送 group: 各县（市、区）档案局, 县直各单位, 各县级部门 …; 各级 is every level
_LEVEL_WORDS = {"省": ("省",), "市": ("市", "州", "盟"), "县": ("县", "区", "旗"), "乡": ("乡", "镇", "街道")}
_GENERIC = ("单位", "部门", "机关", "机构")  # a group of every kind of body at a level
_SPLIT = re.compile(r"[、，,；;\s]+")


def _parts(recipients: str) -> list[str]:
    """The 主送 line cut into its entries, with the brackets of 各县（市、区） kept inside their entry."""
    s = unicodedata.normalize("NFKC", recipients)
    out, depth, buf = [], 0, ""
    for ch in s:
        if ch in "(（":
            depth += 1
        elif ch in ")）":
            depth -= 1
        if depth <= 0 and _SPLIT.fullmatch(ch):
            out.append(buf)
            buf = ""
            depth = 0
        else:
            buf += ch
    out.append(buf)
    return [p for p in (x.strip().rstrip(":：") for x in out) if p]


def _group_includes_us(part: str, cfg: Config) -> bool:
    """A group entry (各…, …直各…, 有关…) whose level is ours and whose kind is ours or every kind."""
    if not any(w in part for w in ("各", "有关", "直属", "县直", "市直", "省直")):
        return False
    if cfg.level is None:
        return False
    outer = re.sub(r"[(（][^)）]*[)）]", "", part)  # 各县（市、区）档案局 -> 各县档案局: the level before the brackets
    level = "各级" in outer or any(w in outer for w in _LEVEL_WORDS.get(cfg.level, ()))
    kind = any(k in part for k in cfg.kinds) or outer.endswith(_GENERIC)
    return level and kind


def addressed(fields: GongwenFields, cfg: Config) -> str | None:
    """How the 主送 includes us: BY_NAME (our name or an alias), BY_GROUP (县直各单位, 各县（市、区）档案局 …: a
    configured group, or one matched by [agency] level and kinds), or None (not among the 主送, or no 主送)."""
    if not fields.recipients:
        return None
    rec = _compact(fields.recipients)
    if any(_compact(n) in rec for n in (cfg.agency_name, *cfg.aliases) if n):
        return BY_NAME
    if any(_compact(n) in rec for n in cfg.recipient_groups if n):
        return BY_GROUP
    if any(_group_includes_us(_compact(p), cfg) for p in _parts(fields.recipients)):
        return BY_GROUP
    return None


def addressed_to_us(fields: GongwenFields, cfg: Config) -> bool:
    """主送 names us, one of our aliases, or a group that includes us (县直各单位 …)."""
    return addressed(fields, cfg) is not None


def receipt_of(value) -> str | None:
    """阅件 / 办件 from what an OA's 收文处理单 writes (阅件, 传阅件, 参阅件; 办件, 承办件, 待办件 …), or None when the
    value says neither (then nothing is assumed: the classification stays 待定 where it matters)."""
    if not isinstance(value, str):
        return None
    v = _compact(unicodedata.normalize("NFKC", value))
    if v in ("阅件", "传阅件", "参阅件", "阅知件", "阅知", "传阅", "阅"):
        return READ
    if v in ("办件", "承办件", "待办件", "办理件", "主办件", "会办件", "办", "办理"):
        return ACT
    return None


RECEIPT_KEYS = ("receipt_kind", "阅办类型", "阅办", "收文类型", "处理类型", "文件类型")


def set_receipt(fields: GongwenFields, record: dict) -> str | None:
    """Set ``fields.receipt_kind`` from an OA 收文处理单 or sidecar read as a dict (the first of RECEIPT_KEYS it
    has); returns what was set. A value that is neither 阅件 nor 办件 sets nothing and adds a warning."""
    for key in RECEIPT_KEYS:
        if key in record:
            kind = receipt_of(record[key])
            if kind is None:
                fields.warnings.append(f"收文处理单的“{key}”为 “{str(record[key])[:40]}”，不是阅件或办件：未采用")
            fields.receipt_kind = kind
            return kind
    return None


def _holds(rule: Rule, fields: GongwenFields, text: str, pages: int, relation: str | None,
           to_us: bool, receipt: str | None) -> bool | None:
    """Whether every condition holds; None when all do but the rule's ``receipt`` is unknown (not registered)."""
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
    if "receipt" in w:
        if receipt is None:
            return None
        return receipt == w["receipt"]
    return True


def _first(cfg: Config, fields, text, pages, relation, to_us, receipt, start: int = 0):
    """The first rule (from ``start``) that holds, as (index, rule, held): held None when it needs the receipt."""
    for i in range(start, len(cfg.rules)):
        held = _holds(cfg.rules[i], fields, text, pages, relation, to_us, receipt)
        if held is not False:
            return i, cfg.rules[i], held
    return None, None, False


def _verdict(rule: Rule | None) -> str:
    if rule is None:
        return "没有规则适用（待定）"
    if rule.scope == "不归档":
        return f"按规则 {rule.id} 不归档"
    return f"按规则 {rule.id} 归档、保管期限{RETENTION_NAMES.get(rule.retention or '', rule.retention)}"


RECEIPT_PENDING = "未登记阅件/办件（收文处理单）"  # the start of a 待定 reason the receipt settles (review.set_receipt)


def classify(fields: GongwenFields, text: str, pages: int, cfg: Config) -> Classification:
    relation = None
    try:
        try:
            relation = relation_of(fields, cfg)
        except TimeoutError:
            raise RuleRegexTimeout("[relations] 中的正则表达式") from None
        how = addressed(fields, cfg)
        to_us = how is not None
        i, rule, held = _first(cfg, fields, text, pages, relation, to_us, fields.receipt_kind)
        unsure = None
        if held is None:  # the rule needs the 收文 registration, which is not there: what each answer gives
            read = rule if rule.when["receipt"] == READ else _first(cfg, fields, text, pages, relation, to_us, READ, i)[1]
            act = rule if rule.when["receipt"] == ACT else _first(cfg, fields, text, pages, relation, to_us, ACT, i)[1]
            unsure = (read, act)
    except RuleRegexTimeout as e:
        return Classification(status="pending", relation=relation, reason=(
            f"{e.what} 匹配超时（超过 {REGEX_TIMEOUT:g} 秒，表达式可能存在灾难性回溯）：未能分类，请人工确认，"
            f"并修改 config.toml 中的这条表达式"))

    if unsure is not None:
        read, act = unsure
        same = (read is not None and act is not None and read.scope == act.scope == "归档"
                and read.retention == act.retention)
        if same or (how == BY_NAME and act is not None and act.scope == "归档"):
            # filed either way, or addressed to us by name (fail toward filing: an unneeded record is the lesser
            # error); decided as a 办件 would be
            rule = act
        else:
            # 8号令 第四条 excludes only what 不需本机关办理: the 收文 registration says so, not the 主送 line
            suggest = act if act is not None and act.scope == "归档" else None
            return Classification(
                status="pending", relation=relation, rule_id=(read or act).id, basis=(read or act).basis,
                retention=suggest.retention if suggest else None, org=suggest.org if suggest else None,
                reason=f"{RECEIPT_PENDING}：如为阅件，{_verdict(read)}；如为办件，{_verdict(act)}。"
                       f"请登记阅件或办件（archive receipt set 阅件|办件 记录号）")

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
