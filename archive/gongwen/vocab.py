"""Words, names and dates of a 公文: the vocabulary every part of the reader shares."""

from __future__ import annotations

import re

from archive import zhnum


# --------------------------------------------------------------------------------------------
# vocabulary

# The 15 文种 of the 2012 regulation (命令 and 令 both), then types common in practice.
REGULATION_TYPES = ("决议", "决定", "命令", "令", "公报", "公告", "通告", "意见", "通知", "通报",
                     "报告", "请示", "批复", "议案", "函", "纪要")
PRACTICE_TYPES = ("办法", "规定", "方案", "规划", "细则", "条例", "计划", "总结", "要点", "规则",
                   "章程", "指南", "纲要", "措施", "制度", "准则", "安排")
DOC_TYPES = REGULATION_TYPES + PRACTICE_TYPES
# longest first, so that 命令 wins over 令
TYPES_BY_LEN = sorted(DOC_TYPES, key=len, reverse=True)
# a 文种 word as printed: justified titles put spaces inside it (通　知)
TYPE_ALT_SP = "|".join("\\s*".join(w) for w in TYPES_BY_LEN)
TYPE_WORD = re.compile("(?:%s)" % TYPE_ALT_SP)
DE_TYPE = re.compile("的\\s*[^的，。；：:、《》\\s]{0,4}?\\s*(?:%s)" % TYPE_ALT_SP)

# words that end an organisation name (used to split glued joint issuers and to spot a 署名)
ORG_SUFFIX = ("人民政府", "政府", "办公厅", "办公室", "委员会", "党组", "党委", "工作委员会", "领导小组",
               "管理局", "总局", "局", "厅", "部", "委", "署", "院", "会", "中心", "公司", "集团",
               "分部", "社", "所", "行", "办", "站", "处", "科", "室", "队", "团", "军区", "法院", "检察院",
               "协会", "联合会", "学会", "银行", "大学", "学校", "街道", "镇", "乡", "组", "杂志社",
               "馆", "场", "校", "台", "厂", "矿", "监狱", "医院", "办事处")
ORG_END_RE = re.compile("(?:%s)$" % "|".join(sorted(ORG_SUFFIX, key=len, reverse=True)))

# label words whose colon is not the 主送机关's colon
LABELS = ("签发人", "会签人", "文号", "发文字号", "索引号", "主题分类", "发布机构", "成文日期", "发布日期",
           "印发日期", "日期", "来源", "浏览次数", "字体", "密级", "保密期限", "紧急程度", "份号", "标题",
           "名称", "时间", "分类", "主题词", "公文种类", "文种", "有效性", "生效日期", "废止日期", "发文机关",
           "发文单位", "信息来源", "作者", "编号", "体裁分类", "组配分类", "发布时间", "施行日期", "时效",
           "效力状态", "实施日期", "公开方式", "公开范围", "责任部门", "发文日期", "所属机构", "信息名称",
           "当前位置", "所在位置", "您所在的位置", "您的位置", "文件名称", "原文链接", "链接", "网址", "法宝引证码",
           "栏目", "所属栏目", "本地目录", "等级")
LABEL_RE = re.compile("(?:%s)\\s*$" % "|".join(sorted(LABELS, key=len, reverse=True)))

URGENCY_WORDS = ("特急", "加急", "特提", "平急")

# numerals and dates: archive.zhnum (the names here are the reader's)
ZH_YEAR = zhnum.YEAR_CHARS
ZH_NUM = zhnum.SMALL_CHARS
DATE_AR = zhnum.DATE_AR
DATE_ZH = zhnum.DATE_ZH

CJK = "\u4e00-\u9fff"
OPEN = "《〈"
CLOSE = "》〉"


# --------------------------------------------------------------------------------------------
# small helpers


iter_dates = zhnum.iter_dates  # (date or None when invalid, start, end) for Arabic and Chinese-numeral dates


def doc_type_of(title: str | None) -> str | None:
    """文种 = the last word of the title (a trailing （试行）/（暂行） or closing 》 is ignored)."""
    if not title:
        return None
    t = re.sub(r"[\s》〉\"”]+$", "", title)
    # 条例（国务院令第638号第二次修订）: a promulgation/revision note after the title
    t = re.sub(r"[（(][^（）()]{0,30}(?:修订|修正|公布|发布|令第[^（）()]{1,8}号)[^（）()]{0,10}[）)]$", "", t)
    for _ in range(2):
        t = re.sub(r"[（(][^（）()]{1,8}[）)]$", "", t)
    for w in TYPES_BY_LEN:
        if t.endswith(w):
            if w == "令" and len(t) > 1 and t[-2] in "指口号法律条命":  # 指令, 口令, …: not 令
                return None
            return w
    if t.endswith("答复"):  # 对…第N号提案（建议）的答复: a 函 in form
        return "函"
    return None


def clean_name(s: str) -> str:
    """Squeeze the spacing used to justify short names (``科　技　部``) and trim punctuation."""
    s = s.strip(" \t\u3000，,。；;：:、")
    parts = s.split()
    if len(parts) > 1 and all(len(p) == 1 for p in parts):
        return "".join(parts)
    return s


NAME_STARTS = ("中华人民共和国", "中国共产党", "中共", "国务院", "国家", "国网", "共青团", "全国", "中央")


def trim_glued_name(name: str) -> str:
    """Cut words glued in front of a 署名 (run-on text, wrapped PDF lines): the attachment name or
    a table heading before the organisation, ``…获奖名单国网福建省电力有限公司办公室`` ->
    ``国网福建省电力有限公司办公室``. The cut is made before the first organisation-start word
    (国网, 国家, 中共 …) whose preceding text is not itself an organisation name."""
    for k in range(2, len(name) - 2):
        if not name.startswith(NAME_STARTS, k):
            continue
        head = name[:k]
        if ORG_END_RE.search(head) or head.endswith(NAME_STARTS):
            continue
        rest = name[k:]
        if ORG_END_RE.search(rest):
            return rest
    return name


def squash(s: str) -> str:
    """Remove whitespace between CJK characters (PDF layers put spaces everywhere)."""
    s = re.sub(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", s)
    return re.sub(r"\s+", " ", s).strip()


def split_orgs(name: str) -> list[str]:
    """Split glued joint issuers: 河北省科学技术厅河北省统计局 -> [河北省科学技术厅, 河北省统计局]."""
    name = name.strip()
    if not name:
        return []
    # explicit separators first
    parts = [p for p in re.split(r"[、，,\s]+", name) if p]
    if len(parts) > 1:
        out = []
        for p in parts:
            out.extend(split_orgs(p))
        return out
    starts = ["中共", "中国", "国家", "国务院", "共青团", "全国", "国网", "中华", "中央"]
    m = re.match(r"^(?:中共)?([%s]{2,3}?[省市县区州盟旗])" % CJK, name)
    if m and len(m.group(1)) >= 3:
        starts.append(m.group(1))
    pieces = []
    cur = 0
    i = 2
    suffixes = sorted(ORG_SUFFIX, key=len, reverse=True)
    while i < len(name) - 1:
        split = False
        for suf in suffixes:
            if len(suf) < 2 and suf not in ("局", "厅", "部", "委", "署", "院", "办"):
                continue
            if name.startswith(suf, i - len(suf)) and i - len(suf) > cur:
                rest = name[i:]
                if any(rest.startswith(s) for s in starts) and len(rest) >= 3:
                    split = True
                    break
        if split:
            pieces.append(name[cur:i])
            cur = i
        i += 1
    pieces.append(name[cur:])
    return [p for p in pieces if p]
