"""Recognise the 公文 elements (GB/T 9704-2012) in a document's normalised text.

``parse(text) -> GongwenFields``. It never raises: whatever it cannot read is left ``None`` and
what looked wrong goes into ``warnings``.

How it works
------------
Real text comes in two shapes: line-structured (DOCX paragraphs, PDF text layers, web pages) and
run-on (OCR-like text with no line breaks at all, the header glued together:
``内部事项国网湖北省电力有限公司文件鄂电司发展〔2021〕251号签发人：XXX国网湖北…关于…的报告…：``).
PDF text layers also break lines at arbitrary points (a title or a date may be split over two
lines).  So the parser works on one *flat* string: the text with its line breaks removed, and the
positions of the removed breaks kept aside as a feature ("this date stood on a line of its own").

1. The 版头 (header) is the leading part of the text up to the 主送机关's colon, or the first
   ``。`` (whichever comes first; label colons such as ``签发人：`` or ``文号：`` don't count).
2. 发文字号: the first number found by ``docno.find_all`` inside the header that is not a citation
   (not in parentheses or 《》, not after 根据/按照/…, not followed by 文件精神/要求…).  Numbers
   cited in the body are never taken.
3. 标题: the first ``…的[…]文种`` outside 《》 in the header (``关于…的通知``, ``…的实施意见``,
   ``…的复函``), else a 文种 word at a line end; its start is the last header boundary before it
   (发文字号, 发文机关标志 ``…文件``, 签发人, version marks, label lines).
4. 成文日期: the date of the signature block: a date standing on its own line or right after the
   发文机关署名, not an 印发 date and not a date inside a sentence.
5. 发文机关: the 发文机关标志 (``XX文件`` → XX; joint marks are split into several issuers), refined
   by the 署名 when that is the fuller form of the same names; else the 署名; else the title's
   prefix before 关于.
"""

from __future__ import annotations

import datetime as dt
import re

from archive.models import DocNumber, GongwenFields

__all__ = ["parse", "DOC_TYPES", "doc_type_of"]

# --------------------------------------------------------------------------------------------
# vocabulary

# The 15 文种 of the 2012 regulation (命令 and 令 both), then types common in practice.
_REGULATION_TYPES = ("决议", "决定", "命令", "令", "公报", "公告", "通告", "意见", "通知", "通报",
                     "报告", "请示", "批复", "议案", "函", "纪要")
_PRACTICE_TYPES = ("办法", "规定", "方案", "规划", "细则", "条例", "计划", "总结", "要点", "规则",
                   "章程", "指南", "纲要", "措施", "制度", "准则", "安排")
DOC_TYPES = _REGULATION_TYPES + _PRACTICE_TYPES
# longest first, so that 命令 wins over 令
_TYPES_BY_LEN = sorted(DOC_TYPES, key=len, reverse=True)
_TYPE_ALT = "|".join(_TYPES_BY_LEN)
# a 文种 word as printed: justified titles put spaces inside it (通　知)
_TYPE_ALT_SP = "|".join("\\s*".join(w) for w in _TYPES_BY_LEN)
_TYPE_WORD = re.compile("(?:%s)" % _TYPE_ALT_SP)
_DE_TYPE = re.compile("的\\s*[^的，。；：:、《》\\s]{0,4}?\\s*(?:%s)" % _TYPE_ALT_SP)

# words that end an organisation name (used to split glued joint issuers and to spot a 署名)
_ORG_SUFFIX = ("人民政府", "政府", "办公厅", "办公室", "委员会", "党组", "党委", "工作委员会", "领导小组",
               "管理局", "总局", "局", "厅", "部", "委", "署", "院", "会", "中心", "公司", "集团",
               "分部", "社", "所", "行", "办", "站", "处", "科", "室", "队", "团", "军区", "法院", "检察院",
               "协会", "联合会", "学会", "银行", "大学", "学校", "街道", "镇", "乡", "组", "杂志社",
               "馆", "场", "校", "台", "厂", "矿", "监狱", "医院", "办事处")
_ORG_END_RE = re.compile("(?:%s)$" % "|".join(sorted(_ORG_SUFFIX, key=len, reverse=True)))

# label words whose colon is not the 主送机关's colon
_LABELS = ("签发人", "会签人", "文号", "发文字号", "索引号", "主题分类", "发布机构", "成文日期", "发布日期",
           "印发日期", "日期", "来源", "浏览次数", "字体", "密级", "保密期限", "紧急程度", "份号", "标题",
           "名称", "时间", "分类", "主题词", "公文种类", "文种", "有效性", "生效日期", "废止日期", "发文机关",
           "发文单位", "信息来源", "作者", "编号", "体裁分类", "组配分类", "发布时间", "施行日期", "时效",
           "效力状态", "实施日期", "公开方式", "公开范围", "责任部门", "发文日期", "所属机构", "信息名称")
_LABEL_RE = re.compile("(?:%s)\\s*$" % "|".join(sorted(_LABELS, key=len, reverse=True)))

_SECRECY_RE = re.compile(r"(绝密|机密|秘密)\s*(?:[★☆*＊]\s*((?:\d+|[一二三四五六七八九十]+)\s*(?:年|个月|月)|长期))?")
_URGENCY_WORDS = ("特急", "加急", "特提", "平急")

_ZH_DIGIT = {"〇": 0, "○": 0, "Ｏ": 0, "O": 0, "o": 0, "零": 0, "0": 0, "０": 0, "◯": 0, "一": 1,
             "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_YEAR = "〇○ＯOo零0０◯一二三四五六七八九"
_ZH_NUM = "一二三四五六七八九十"
_DATE_AR = re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DATE_ZH = re.compile("([%s]{4})\\s*年\\s*([%s]{1,3}|元)\\s*月\\s*([%s]{1,3})\\s*日" % (_ZH_YEAR, _ZH_NUM, _ZH_NUM))

_CJK = "\u4e00-\u9fff"
_OPEN = "《〈"
_CLOSE = "》〉"


# --------------------------------------------------------------------------------------------
# small helpers


def _zh_number(s: str) -> int | None:
    """一 .. 九十九 (月/日 only)."""
    if not s:
        return None
    if s == "元":
        return 1
    if s == "十":
        return 10
    if "十" in s:
        a, _, b = s.partition("十")
        tens = _ZH_DIGIT.get(a, None) if a else 1
        ones = _ZH_DIGIT.get(b, None) if b else 0
        if tens is None or ones is None:
            return None
        return tens * 10 + ones
    if len(s) == 1:
        return _ZH_DIGIT.get(s)
    return None


def _mkdate(y: int | None, m: int | None, d: int | None) -> dt.date | None:
    if y is None or m is None or d is None:
        return None
    if not 1900 <= y <= 2100:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _iter_dates(flat: str):
    """Yield (date or None when invalid, start, end) for Arabic and Chinese-numeral dates."""
    found = []
    for m in _DATE_AR.finditer(flat):
        found.append((_mkdate(int(m.group(1)), int(m.group(2)), int(m.group(3))), m.start(), m.end()))
    for m in _DATE_ZH.finditer(flat):
        y = m.group(1)
        year = 0
        for ch in y:
            year = year * 10 + _ZH_DIGIT.get(ch, 0)
        found.append((_mkdate(year, _zh_number(m.group(2)), _zh_number(m.group(3))), m.start(), m.end()))
    found.sort(key=lambda t: t[1])
    return found


def doc_type_of(title: str | None) -> str | None:
    """文种 = the last word of the title (a trailing （试行）/（暂行） or closing 》 is ignored)."""
    if not title:
        return None
    t = re.sub(r"[\s》〉\"”]+$", "", title)
    # 条例（国务院令第638号第二次修订）: a promulgation/revision note after the title
    t = re.sub(r"[（(][^（）()]{0,30}(?:修订|修正|公布|发布|令第[^（）()]{1,8}号)[^（）()]{0,10}[）)]$", "", t)
    for _ in range(2):
        t = re.sub(r"[（(][^（）()]{1,8}[）)]$", "", t)
    for w in _TYPES_BY_LEN:
        if t.endswith(w):
            if w == "令" and len(t) > 1 and t[-2] in "指口号法律条命":  # 指令, 口令, …: not 令
                return None
            return w
    return None


def _clean_name(s: str) -> str:
    """Squeeze the spacing used to justify short names (``科　技　部``) and trim punctuation."""
    s = s.strip(" \t\u3000，,。；;：:、")
    parts = s.split()
    if len(parts) > 1 and all(len(p) == 1 for p in parts):
        return "".join(parts)
    return s


_NAME_STARTS = ("中华人民共和国", "中国共产党", "中共", "国务院", "国家", "国网", "共青团", "全国", "中央")


def _trim_glued_name(name: str) -> str:
    """Cut words glued in front of a 署名 (run-on text, wrapped PDF lines): the attachment name or
    a table heading before the organisation, ``…获奖名单国网福建省电力有限公司办公室`` ->
    ``国网福建省电力有限公司办公室``. The cut is made before the first organisation-start word
    (国网, 国家, 中共 …) whose preceding text is not itself an organisation name."""
    for k in range(2, len(name) - 2):
        if not name.startswith(_NAME_STARTS, k):
            continue
        head = name[:k]
        if _ORG_END_RE.search(head) or head.endswith(_NAME_STARTS):
            continue
        rest = name[k:]
        if _ORG_END_RE.search(rest):
            return rest
    return name


def _squash(s: str) -> str:
    """Remove whitespace between CJK characters (PDF layers put spaces everywhere)."""
    s = re.sub(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", s)
    return re.sub(r"\s+", " ", s).strip()


def _split_orgs(name: str) -> list[str]:
    """Split glued joint issuers: 河北省科学技术厅河北省统计局 -> [河北省科学技术厅, 河北省统计局]."""
    name = name.strip()
    if not name:
        return []
    # explicit separators first
    parts = [p for p in re.split(r"[、，,\s]+", name) if p]
    if len(parts) > 1:
        out = []
        for p in parts:
            out.extend(_split_orgs(p))
        return out
    starts = ["中共", "中国", "国家", "国务院", "共青团", "全国", "国网", "中华", "中央"]
    m = re.match(r"^(?:中共)?([%s]{2,3}?[省市县区州盟旗])" % _CJK, name)
    if m and len(m.group(1)) >= 3:
        starts.append(m.group(1))
    pieces = []
    cur = 0
    i = 2
    suffixes = sorted(_ORG_SUFFIX, key=len, reverse=True)
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


# --------------------------------------------------------------------------------------------
# the flat view


class _Flat:
    """The text without line breaks, plus where the breaks were."""

    def __init__(self, text: str):
        chars = []
        breaks = set()
        for ch in text:
            if ch == "\n":
                breaks.add(len(chars))
            else:
                chars.append(ch)
        self.s = "".join(chars)
        self.breaks = breaks
        self.lines = len(breaks) + 1

    def line_start(self, i: int) -> bool:
        return i == 0 or i in self.breaks

    def line_end(self, i: int) -> bool:
        return i >= len(self.s) or i in self.breaks

    def line_of(self, i: int) -> tuple[int, int]:
        """Start and end (flat offsets) of the original line holding position i."""
        a = i
        while a > 0 and a not in self.breaks:
            a -= 1
        b = i + 1
        while b < len(self.s) and b not in self.breaks:
            b += 1
        return a, min(b, len(self.s))


# --------------------------------------------------------------------------------------------
# the header


_CITE_BEFORE = re.compile(r"(?:关于|会签|商请|根据|按照|依据|依照|贯彻|落实|执行|参照|参见|详见|转发|印发|经|以|和|及|与|或|即|是|的|对|将|把|由|在|于|如|照|据)\s*$")
_CITE_AFTER = re.compile(r"^\s*(?:文件?精神|文件?要求|文件?规定|文件的|文件）|文件\)|精神|要求|规定|的|）|\)|】|》|〉|等|和|、|，|,|同时|已|文件收悉|收悉|文$)|^文件(?!登记)")


def _recipient_colon(flat: str, start: int, limit: int) -> int | None:
    """First colon in flat[start:limit] that is not a label's colon."""
    for m in re.finditer(r"[：:]", flat[start:limit]):
        i = start + m.start()
        before = flat[max(0, i - 8):i]
        if _LABEL_RE.search(before):
            continue
        # a time of day (8:45) is no colon of ours
        if flat[i - 1:i].isdigit() and flat[i + 1:i + 2].isdigit():
            continue
        return i
    return None


def _is_citation(flat: str, start: int, end: int) -> bool:
    before = flat[max(0, start - 6):start]
    after = flat[end:end + 8]
    if re.search(r"[（(《〈【\[]\s*$", before):
        return True
    if _CITE_BEFORE.search(before) and not re.search(r"(?:文件|事项|特急|加急|明电|部门)\s*$", before):
        return True
    if _CITE_AFTER.search(after):
        return True
    # inside an open 《 … 》 or （ … ）
    return (_unclosed(flat[max(0, start - 120):start], "《〈", "》〉")
            or _unclosed(flat[max(0, start - 200):start], "（(", "）)"))


def _unclosed(text: str, opens: str, closes: str) -> bool:
    """Whether ``text`` ends inside a bracket it opened."""
    depth = 0
    for ch in text:
        if ch in opens:
            depth += 1
        elif ch in closes:
            depth = max(0, depth - 1)
    return depth > 0


_TRIM_ORG = ("委员会", "办公室", "办公厅", "政府", "中心", "公司", "厅", "局")


def _trim_number(num: DocNumber, a: int, b: int, flat: str) -> tuple[DocNumber, int]:
    """Cut header text that a glued run-on header left in front of the 机关代字.

    ``普通事项安监函`` -> ``安监函``; ``…若干措施冀政办发`` -> ``冀政办发`` (the title before the
    number); ``山东省交通运输厅鲁交城市函`` -> ``鲁交城市函`` (the 发文机关标志 without 文件).
    """
    code = num.code or ""
    if not code:
        return num, a
    cut = 0
    m = re.match(r"(?:内部事项|普通事项|特急|加急|特提|平急|明电|等级|[·，,\s])+", code)
    if m and len(code) - m.end() >= 1:
        cut = m.end()
    for w in _TYPES_BY_LEN:
        if len(w) < 2:
            continue
        k = code.rfind(w)
        if k >= 0 and len(code) - (k + len(w)) >= 2:
            cut = max(cut, k + len(w))
    if num.kind == "standard":
        for suf in _TRIM_ORG:
            for mm in re.finditer(suf, code):
                p = mm.end()
                if p >= 5 and len(code) - p >= 2:
                    cut = max(cut, p)
    if cut <= 0:
        return num, a
    new_code = code[cut:]
    seg = flat[a:b]
    k = seg.find(new_code)
    if k < 0:
        return num, a
    try:
        import dataclasses

        return dataclasses.replace(num, code=new_code, raw=seg[k:].strip()), a + k
    except Exception:
        return num, a


def _find_numbers(flat: str):
    try:
        from archive import docno
    except Exception:  # pragma: no cover - docno is part of the package
        return []
    try:
        found = docno.find_all(flat)
    except Exception:
        return []
    out = []
    for item in found or []:
        try:
            num, a, b = item
        except (TypeError, ValueError):
            continue
        if isinstance(num, DocNumber):
            a, b = int(a), int(b)
            num, a = _trim_number(num, a, b, flat)
            out.append((num, a, b))
    out.sort(key=lambda t: t[1])
    return out


# --------------------------------------------------------------------------------------------
# the parser


class _Parser:
    def __init__(self, text: str):
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
        self.text = text
        self.f = _Flat(text)
        self.flat = self.f.s
        self.out = GongwenFields()
        self.boundaries: list[int] = []  # flat offsets where a title may start
        self.number_span: tuple[int, int] | None = None
        self.mark_end = 0  # end of the 份号/密级/紧急程度 marks
        self.title_span: tuple[int, int] | None = None
        self.header_end = 0
        self.masthead: list[str] = []  # issuers from the 发文机关标志
        self.sig_start: int | None = None

    # -- top marks: 份号, 密级, 紧急程度 ---------------------------------------------------------
    def marks(self, limit: int) -> None:
        flat = self.flat
        out = self.out
        i = 0
        zone = flat[:limit]
        while True:
            m = re.match(r"\s*", zone[i:])
            j = i + m.end()
            rest = zone[j:]
            mm = re.match(r"(?:份号\s*[:：]?\s*)?(\d{6})(?!\d)", rest)
            if mm and out.copy_no is None and (j == 0 or j in self.f.breaks or zone[j - 1].isspace()
                                               or i == 0):
                out.copy_no = mm.group(1)
                i = j + mm.end()
                continue
            mm = re.match(r"(?:密级\s*[:：]\s*)?(绝密|机密|秘密)\s*(?:[★☆*＊]\s*((?:\d+|[一二三四五六七八九十]+)\s*(?:年|个月|月)|长期))?", rest)
            if mm and out.secrecy is None:
                after = rest[mm.end():mm.end() + 1]
                standalone = (mm.group(2) or rest.startswith("密级") or after == ""
                              or (j + mm.end()) in self.f.breaks or after.isspace()
                              or rest[mm.end():].startswith(_URGENCY_WORDS))
                if standalone:
                    out.secrecy = mm.group(1)
                    if mm.group(2):
                        out.secrecy_term = re.sub(r"\s+", "", mm.group(2))
                    i = j + mm.end()
                    continue
            mm = re.match(r"(?:紧急程度\s*[:：]\s*)?(特急|加急|特提|平急)", rest)
            if mm and out.urgency is None:
                out.urgency = mm.group(1)
                i = j + mm.end()
                continue
            mm = re.match(r"(内部事项|普通事项|内部资料|内部明电|明电|会签稿纸)", rest)
            if mm:
                i = j + mm.end()
                continue
            break
        self.mark_end = i
        if i:
            self.boundaries.append(i)
        # run-on headers put the marks after the masthead (国家电网有限公司特急办值通…)
        head = flat[:limit]
        if self.out.urgency is None:
            m = re.search(r"(?:等级\s*)?(特急|加急|特提)(?!件)", head)
            if m and not re.search(r"关于[^，。]*$", head[:m.start()]):
                self.out.urgency = m.group(1)
        if self.out.secrecy is None:
            m = re.search(r"(绝密|机密|秘密)\s*[★☆]\s*((?:\d+|[一二三四五六七八九十]+)\s*(?:年|个月)|长期)?", head)
            if m:
                self.out.secrecy = m.group(1)
                if m.group(2):
                    self.out.secrecy_term = re.sub(r"\s+", "", m.group(2))
            else:
                m = re.search(r"密级\s*[:：]\s*(绝密|机密|秘密)", head)
                if m:
                    self.out.secrecy = m.group(1)
        for m in re.finditer(r"(内部事项|普通事项|特急|加急|特提|等级|明电)", head):
            self.boundaries.append(m.end())

    # -- 发文字号 ---------------------------------------------------------------------------
    def header_limit(self) -> int:
        flat = self.flat
        cap = min(len(flat), 1200)
        stop = flat.find("。", 0, cap)
        if stop < 0:
            stop = cap
        c = _recipient_colon(flat, 0, stop)
        return c if c is not None else stop

    def doc_number(self, limit: int) -> None:
        flat = self.flat
        cands = _find_numbers(flat[: min(len(flat), limit + 40)])
        chosen = None
        for num, a, b in cands:
            if a >= limit:
                break
            if _is_citation(flat, a, b) and not self._alone_on_line(a, b):
                continue
            chosen = (num, a, b)
            break
        if chosen is None:
            chosen = self._title_order_number(cands, limit)
        if chosen is None:
            return
        num, a, b = chosen
        # some callers' numbers keep a 发文字号：/文号： label in raw; fine, docno owns that
        self.out.doc_number = num
        self.number_span = (a, b)
        self.boundaries.append(b)
        # a second, internal registration number glued after it (鲁机发4043号) is no title
        m = re.match(r"\s*[%s]{1,4}发\s*\d*\s*号" % _CJK, flat[b:b + 12])
        if m:
            self.boundaries.append(b + m.end())
        m = re.match(r"\s*签发人\s*[:：]\s*", flat[b:b + 20])
        if not m:
            m2 = re.search(r"签发人\s*[:：]\s*", flat[max(0, a - 30):a])
            if m2:
                pass
        # 签发人 anywhere in the header
        self.signer(limit)

    def _alone_on_line(self, a: int, b: int) -> bool:
        """A number printed on a line of its own is the header's, whatever the next line starts with
        (OCR puts stray characters at line starts: ``教技〔2016〕3号`` / ``和各省、自治区…``)."""
        f = self.f
        if f.lines < 3 or not (f.line_start(a) and f.line_end(b)):
            return False
        before = self.flat[max(0, a - 1):a]
        return not re.search(r"[（(《〈【\[]", before)

    def _title_order_number(self, cands, limit: int):
        """A 令 number in the parentheses right after the title, as the first thing in them:
        ``国家科学技术奖励条例（国务院令第638号第二次修订）``. Taken only when the header has no
        other number; a number later in the parentheses (``（…根据…令第212号第一次修正）``) stays a
        citation."""
        flat = self.flat
        for num, a, b in cands:
            if a >= min(limit, 160):
                break
            if num.kind != "order":
                continue
            pre = flat[max(0, a - 40):a]
            m = re.search(r"(?:%s)\s*[（(]\s*$" % _TYPE_ALT_SP, pre)
            if not m:
                continue
            head = flat[:a - (len(pre) - m.end())]
            if "。" in head or re.search(r"[，：:；]", head):
                continue
            close = re.match(r"[^（()）。]{0,30}[）)]", flat[b:b + 32])
            if close:
                # the title is printed with its parenthetical: 条例（国务院令第638号第二次修订）
                self.title_paren = (self.mark_end, b + close.end())
            return num, a, b
        return None

    def signer(self, limit: int) -> None:
        flat = self.flat
        m = re.search(r"签\s*发\s*人\s*[:：]\s*", flat[: limit + 60])
        if not m:
            return
        s = m.end()
        _, line_end = self.f.line_of(s)
        if self.f.lines > 1 and line_end - s <= 20:
            name = flat[s:line_end].strip()
            self.out.signer = re.sub(r"\s+", " ", name) or None
            self.boundaries.append(line_end)
            return
        rest = flat[s:s + 40]
        mm = re.match(r"([Xx×＊*]{2,4}|[Xx×＊*]{1,2}[%s]|[%s][Xx×＊*]{1,2})" % (_CJK, _CJK), rest)
        if mm:
            n = mm.end()
        else:
            n = 3
            for k in (2, 3, 4):
                tail = rest[k:]
                if tail.startswith(("关于", "中共", "国网", "国家", "共青团")) or any(
                        tail.startswith(x[:4]) for x in self.masthead if len(x) >= 4):
                    n = k
                    break
        # multiple names separated by spaces: 签发人：张三 李四
        name = rest[:n].strip()
        self.out.signer = name or None
        end = s + n
        if rest[n:n + 1].isspace():
            end = s + n + 1
        self.boundaries.append(end)

    # -- 发文机关标志 -------------------------------------------------------------------------
    def masthead_(self, limit: int) -> None:
        flat = self.flat
        zone_end = self.number_span[0] if self.number_span else limit
        zone = flat[:zone_end]
        m = None
        for m_ in re.finditer(r"文\s*件", zone):
            m = m_
        if m is not None:
            name = zone[self.mark_end:m.start()]
            # joint masthead on several lines: 发展改革委办公厅  文件 / 税务总局办公厅
            after = zone[m.end():]
            name = _squash(name)
            names = []
            for piece in re.split(r"\s+", zone[self.mark_end:m.start()].strip()):
                if piece:
                    names.append(piece)
            joined = _squash("".join(names))
            issuers = _split_orgs(joined) if joined else []
            extra = after.strip()
            if extra and len(extra) <= 40 and _ORG_END_RE.search(extra) and not re.search(r"[，。：:]", extra):
                issuers += _split_orgs(_squash(extra))
            issuers = [x for x in (_clean_name(i) for i in issuers) if x]
            if issuers and not re.search(r"部门$", joined) and all(_ORG_END_RE.search(x) for x in issuers):
                self.masthead = issuers
            elif joined:
                self.masthead_generic = joined
            self.boundaries.append(m.end())
            return
        # no 文件: the name alone right before the number (山东省交通运输厅鲁交城市函（2020）39号)
        if self.number_span:
            seg = flat[self.mark_end:self.number_span[0]]
            seg_s = _squash(seg)
            if 2 <= len(seg_s) <= 60 and _ORG_END_RE.search(seg_s) and "关于" not in seg_s:
                self.masthead = [x for x in (_clean_name(i) for i in _split_orgs(seg_s)) if x]

    # -- 标题 ------------------------------------------------------------------------------
    def title(self, limit: int) -> None:
        flat = self.flat
        zone_end = min(limit, len(flat))
        bounds = set(b for b in self.boundaries if b <= zone_end)
        # label lines (索引号：… / 文号：…) before the title are boundaries too
        if self.f.lines > 1:
            for m in re.finditer(r"[：:]", flat[:zone_end]):
                bounds.add(self.f.line_of(m.start())[1])
        bounds = sorted(bounds)
        # the title follows the number when the number comes first; else it precedes it
        ranges = []
        if self.number_span and self.number_span[1] < zone_end:
            ranges.append((self.number_span[1], zone_end))
        ranges.append((self.mark_end, zone_end))
        tp = getattr(self, "title_paren", None)
        if tp and _squash(self.flat[tp[0]:tp[1]]):
            self.title_span = tp
            self.out.title = _squash(self.flat[tp[0]:tp[1]])
            return
        # a 令 promulgates the 《…》 named right after its number
        if self.number_span and self.out.doc_number is not None and self.out.doc_number.code.endswith("令"):
            m = re.match(r"\s*《([^《》]{2,80})》", flat[self.number_span[1]:self.number_span[1] + 90])
            if m:
                self.title_span = (self.number_span[1], self.number_span[1] + m.end())
                self.out.title = _squash(m.group(1))
                return
        for a, z in ranges:
            for finder in (self._title_de, self._title_word):
                end = finder(a, z, bounds)
                if end is not None and self._set_title(a, end, bounds):
                    return

    def _set_title(self, a: int, end: int, bounds) -> bool:
        flat = self.flat
        start = a
        for b in bounds:
            if start <= b < end - 1:
                start = b
        if self.number_span and start < self.number_span[1] <= end:
            start = self.number_span[1]
        t = flat[start:end]
        # the header of a web page wraps the title in 《》
        lead = re.match(r"\s*[《〈]", t)
        if lead and t.count("《") + t.count("〈") > t.count("》") + t.count("〉"):
            start += lead.end()
        # a glued internal registration number (鲁机发4043号)
        t = flat[start:end]
        m = re.match(r"\s*[%s]{1,4}发\s*\d*\s*号" % _CJK, t)
        if m and "关于" in t[m.end():]:
            start += m.end()
        if end - start > 200:
            return False
        title = _squash(flat[start:end])
        title = re.sub(r"^[\s，,。：:、]+", "", title)
        if not title or "。" in title or re.match(r"(?:为|根据|按照|依据|近日|经|现将|现就|特此)", title):
            return False
        if end < len(flat) and flat[end:end + 1] in "》〉" and title.count("《") + title.count("〈") > title.count("》") + title.count("〉"):
            title += flat[end]
        self.title_span = (start, end)
        self.out.title = title
        return True

    def _title_de(self, a: int, z: int, bounds) -> int | None:
        """End of the first ``…的[…]文种`` outside 《》 in flat[a:z]."""
        s = self.flat
        depth = 0
        lead_wrap = False
        i = a
        while i < z:
            ch = s[i]
            if ch in _OPEN:
                if depth == 0 and not lead_wrap and (i == a or i in bounds or self.f.line_start(i)):
                    close = self._match_close(i, z)
                    if close is not None and (self.f.line_end(close + 1) or close + 1 >= z
                                              or (self.number_span and close + 1 == self.number_span[0])):
                        lead_wrap = True  # a title wrapped in 《》 as a whole (web pages)
                        i += 1
                        continue
                depth += 1
            elif ch in _CLOSE:
                depth = max(0, depth - 1)
            elif ch == "。":
                return None
            elif ch == "年" and _DATE_AR.match(s, max(a, i - 4)) or ch == "年" and _DATE_ZH.match(s, max(a, i - 4)):
                return None  # a full date ends the header part a title can be in
            elif ch == "的" and depth == 0:
                m = _DE_TYPE.match(s, i, min(len(s), z + 2))
                if m:
                    e = m.end()
                    while True:  # …的意见的通知
                        m2 = _DE_TYPE.match(s, e, min(len(s), z + 2))
                        if not m2:
                            break
                        e = m2.end()
                    return e
            i += 1
        return None

    def _title_word(self, a: int, z: int, bounds) -> int | None:
        """A 文种 word (not 令) that ends a line, precedes the number or a date, or follows 》."""
        s = self.flat
        depth = 0
        for i in range(a, z):
            ch = s[i]
            if ch in _OPEN:
                depth += 1
                continue
            if ch in _CLOSE:
                depth = max(0, depth - 1)
                continue
            if ch == "。":
                return None
            if depth:
                continue
            m = _TYPE_WORD.match(s, i, min(len(s), z + 2))
            if not m or m.group(0) == "令":
                continue
            e = m.end()
            mm = re.match(r"\s*[（(](?:试行|暂行|修订|草案|征求意见稿|修订稿|送审稿)[）)]", s[e:e + 10])
            if mm:
                e += mm.end()
            if (self.f.line_end(e) or e >= z
                    or (self.number_span and e == self.number_span[0])
                    or _DATE_AR.match(s, e) or _DATE_ZH.match(s, e)
                    or (i > 0 and s[i - 1] in "》〉")):
                return e
        return None

    def _match_close(self, i: int, limit: int) -> int | None:
        depth = 0
        for k in range(i, min(len(self.flat), limit + 2)):
            ch = self.flat[k]
            if ch in _OPEN:
                depth += 1
            elif ch in _CLOSE:
                depth -= 1
                if depth == 0:
                    return k
        return None

    def _plausible_end(self, e: int, limit: int) -> bool:
        """After a title comes a line end, the number, the recipients, or the header's end."""
        flat = self.flat
        if e >= limit or self.f.line_end(e):
            return True
        nxt = flat[e:e + 1]
        if nxt in "》〉":
            return False
        if nxt in "（(":  # …的通知（试行）? rare; (此件…) comes later
            return True
        return True

    # -- 主送机关 ---------------------------------------------------------------------------
    def recipients(self, limit: int) -> None:
        flat = self.flat
        if self.title_span is None:
            return
        s = self.title_span[1]
        if self.number_span and self.number_span[0] >= s - 1 and self.number_span[0] < s + 60:
            s = max(s, self.number_span[1])
        stop = flat.find("。", s, s + 600)
        if stop < 0:
            stop = min(len(flat), s + 600)
        c = _recipient_colon(flat, s, stop)
        if c is None:
            return
        seg = flat[s:c]
        seg = re.sub(r"^\s*[》〉]", "", seg)
        # drop a 签发人 or doc number in between
        m = re.match(r"\s*签发人\s*[:：]", seg)
        if m:
            return
        rec = _squash(seg)
        if not rec or len(rec) > 500 or re.search(r"(现将|如下|通知如下|为了|为进一步|根据|按照)", rec):
            return
        if re.search(r"[。；]", rec):
            return
        self.out.recipients = rec
        self.header_end = c + 1

    # -- 成文日期, 署名 ---------------------------------------------------------------------
    def date_and_signature(self) -> None:
        flat = self.flat
        out = self.out
        body_start = self.header_end or (self.title_span[1] if self.title_span else 0)
        dates = _iter_dates(flat)
        best = None
        invalid = None
        for d, a, b in dates:
            if a < body_start and body_start:
                # a date in the header (令: 二〇〇七年…公布) may still be the 成文日期 of a 令;
                # the signature date normally follows the body
                pass
            after = flat[b:b + 6]
            before = flat[max(0, a - 4):a]
            if re.match(r"\s*(?:印发|翻印|印制|发布|签发|起|前|至|以来|以后|以前|开始|召开|举行|施行|实施|止|到|期间|后|24时|零时|上午|下午|晚|在|的|，|,|、|[—－\-~～]\s*\d)", after):
                continue
            if re.search(r"(?:于|在|至|从|自|截至|截止|到|为|是|、|—|－|~|～|和|及|或|年度)\s*$", before):
                continue
            score = 0
            if self.f.line_start(a) and self.f.line_end(b):
                score += 4
            elif self.f.line_start(a) and self.f.lines > 1:
                la, _ = self.f.line_of(a - 1) if a > 0 else (0, 0)
                prev = flat[la:a]
                score += 3 if 0 < len(prev) <= 20 and "。" not in prev else 1
            elif self.f.line_end(b) or re.match(r"\s*[（(]", after) or b >= len(flat):
                score += 2
            # preceded by a signature-like name (run-on: 国网营销部2021年2月2日)
            pre = flat[max(0, a - 40):a]
            pm = re.search(r"([%s（）()·]{2,40})\s*$" % _CJK, pre)
            if pm and _ORG_END_RE.search(re.sub(r"[（(][^）)]*[）)]$", "", pm.group(1))):
                score += 3
            elif re.search(r"[。！；]\s*$", pre) and self.f.line_start(a) is False:
                score += 0
            if a < (self.title_span[1] if self.title_span else 0):
                score -= 3
            if d is None:
                if invalid is None and score >= 3:
                    invalid = flat[a:b]
                continue
            if score >= 3:
                best = (d, a, b)
                break
        if best is None:
            if invalid:
                out.warnings.append(f"成文日期无效：{_squash(invalid)}")
            # last resort: a date alone on the last lines
            return
        d, a, b = best
        out.date = d
        self.sig_start = a
        self.signature(a)

    def signature(self, date_start: int) -> None:
        """The 发文机关署名: the name(s) right before the 成文日期."""
        flat = self.flat
        names: list[str] = []
        if self.f.lines > 1 and self.f.line_start(date_start):
            # line mode: up to 4 short lines right above the date
            pos = date_start
            for _ in range(4):
                if pos <= 0:
                    break
                a, b = self.f.line_of(pos - 1)
                line = flat[a:b].strip()
                if not line or len(line) > 60 or re.search(r"[。；！？：:]", line):
                    # 附件：… lines end the block
                    break
                if re.search(r"(特此|此复|附件|联系人|电话|\.docx?|\.pdf|\.xlsx?|\.wps)", line, re.I):
                    break
                if not _ORG_END_RE.search(_squash(line)) and not re.search(r"\s", line):
                    # 总  理  温家宝 (a 令's signer) is not an organisation
                    break
                names.insert(0, line)
                pos = a
            # a single line of several names separated by spaces
            out_names: list[str] = []
            for ln in names:
                sq = _clean_name(ln)
                pieces = [p for p in re.split(r"\s{1,}", sq) if p]
                if len(pieces) > 1 and all(len(p) == 1 for p in pieces):
                    pieces = ["".join(pieces)]
                for p in pieces:
                    out_names.extend(_split_orgs(p))
            names = [n for n in out_names if _ORG_END_RE.search(n)]
            if names:
                self.sig_start = self.f.line_of(pos)[0] if pos else 0
        else:
            lo = max(0, date_start - 80)
            if self.f.lines > 1:
                # 附件：支持…担保计划 / 财政部科技部…总局2024年7月24日: the name starts on the date's line
                la, _ = self.f.line_of(date_start)
                if la > lo:
                    pa, _ = self.f.line_of(la - 1)
                    if re.match(r"\s*附\s*件", flat[pa:la]) and not _ORG_END_RE.search(flat[pa:la].rstrip()):
                        lo = la
            pre = flat[lo:date_start]
            m = re.search(r"([%s（）()·\s]{2,80})$" % _CJK, pre)
            if m:
                seg = m.group(1).strip()
                # cut at the last sentence end / known end words
                seg = re.split(r"(?:特此通知|特此报告|特此函告|特此公告|此复|特此批复|特此通报|妥否，请批示|请批示|当否，请批示)", seg)[-1]
                sq = _squash(seg)
                if sq and _ORG_END_RE.search(sq) and 2 <= len(sq) <= 80:
                    # run-on: the name may be glued to a trailing body phrase; keep the part that
                    # starts like an organisation
                    names = _split_orgs(sq)
                    # the body's last words before the signature have no org start; trust the
                    # masthead/title to pick the real start when we can
                    ref = self.masthead + ([self._title_prefix()] if self._title_prefix() else [])
                    for r in ref:
                        if r and r in sq:
                            k = sq.find(r)
                            names = _split_orgs(sq[k:])
                            break
                    names = [n for n in names if _ORG_END_RE.search(n)]
        self.signature_names = [x for x in (_trim_glued_name(_clean_name(n)) for n in names if n) if x]

    def _title_prefix(self) -> str | None:
        t = self.out.title
        if not t:
            return None
        k2 = re.search(r"关于|印发|转发", t)  # the first one: …办公厅印发《关于…》的通知
        if not k2 or k2.start() == 0:
            return None
        k = k2.start()
        p = t[:k]
        if len(p) < 2 or not _ORG_END_RE.search(p):
            return None
        return p

    # -- 发文机关 ---------------------------------------------------------------------------
    def _order_issuers(self) -> list[str]:
        """The issuers a 令 number names: 科学技术部令第9号 -> 科学技术部; 国家知识产权局局长令 ->
        国家知识产权局; 科学技术部、国家保密局令 -> both (a 令 is signed by a person, not an office)."""
        num = self.out.doc_number
        if num is None or not num.code.endswith("令") or not self.number_span:
            return []
        # the printed form: the joint 令's names may be cut by docno at 、 (科学技术部、国家保密局令)
        a, _ = self.number_span
        pm = re.search(r"([%s、，,·]{2,60})$" % _CJK, self.flat[max(0, a - 40):a])
        code = num.code
        if pm and re.search(r"[、，,]$", pm.group(1)):
            lead = []
            for piece in reversed([x for x in re.split(r"[、，,]", pm.group(1)) if x]):
                if len(piece) > 15 or not _ORG_END_RE.search(piece):
                    break
                lead.insert(0, piece)
            if lead:
                code = "、".join(lead) + "、" + code
        name = re.sub(r"(?:局长|部长|主任|署长|省长|市长|县长|区长|主席|总理)?令$", "", code)
        name = re.sub(r"^(?:令|号|[年月日])+", "", name)
        names = [x for x in re.split(r"[、，,·]", name) if x]
        if names and all(_ORG_END_RE.search(x) or x.endswith("国务院") for x in names):
            return names
        return []

    def issuer(self) -> None:
        sig = [n for n in getattr(self, "signature_names", []) if n]
        head = list(self.masthead)
        chosen: list[str] = []
        prefix = self._title_prefix()
        order = self._order_issuers()
        if head:
            chosen = head
            # the 署名 gives the full form of a 规范化简称 in the mark (发展改革委 -> 国家发展改革委)
            if sig and len(sig) == len(head) and all(
                    s.endswith(h) and len(s) - len(h) <= 4 for h, s in zip(head, sig)):
                chosen = sig
            elif sig and len(head) == 1 and len(sig) > 1 and "".join(sig) == head[0]:
                chosen = sig
            elif sig and len(sig) > len(head) and sig[:len(head)] == head:
                # a joint document under the lead issuer's mark (中共中央办公厅文件 … 署名: 中共中央办公厅
                # 国务院办公厅): the 署名 lists every issuer
                chosen = sig
            elif prefix and len(head) == 1:
                joint = _split_orgs(prefix)
                if len(joint) > 1 and joint[0] == head[0] and all(_ORG_END_RE.search(x) for x in joint):
                    chosen = joint
        elif sig and (self.f.lines > 1 or not prefix):
            chosen = sig
        elif order:
            chosen = order
        elif prefix:
            chosen = _split_orgs(prefix)
        chosen = [c for c in (_clean_name(x) for x in chosen) if c]
        # placeholder noise (曌, 錓 … from labelled data) is no part of a name
        chosen = [re.sub(r"[曌錓]+", "", c) for c in chosen]
        chosen = [c for c in chosen if c]
        if chosen:
            self.out.issuers = chosen
            self.out.issuer = "、".join(chosen)

    # -- 版记 and friends ------------------------------------------------------------------
    def colophon(self) -> None:
        flat = self.flat
        out = self.out
        # 抄送
        m = None
        for m_ in re.finditer(r"抄\s*送\s*[:：]\s*", flat):
            m = m_
        if m:
            s = m.end()
            e = len(flat)
            for stop in ("。",):
                k = flat.find(stop, s)
                if k >= 0:
                    e = min(e, k)
            for k in sorted(self.f.breaks):
                if k > s:
                    e = min(e, k)
                    break
            cc = _squash(flat[s:e])
            if cc and len(cc) <= 300:
                out.cc = cc
        # 印发机关和印发日期 (the last one)
        pm = None
        for m_ in re.finditer(r"(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[%s]{4}\s*年\s*[%s]{1,3}\s*月\s*[%s]{1,3}\s*日)\s*印\s*发" % (_ZH_YEAR, _ZH_NUM, _ZH_NUM), flat):
            pm = m_
        if pm:
            ds = _iter_dates(pm.group(1))
            if ds and ds[0][0]:
                out.print_date = ds[0][0]
            pre = flat[max(0, pm.start() - 60):pm.start()]
            # the printer sits after the last sentence end / 抄送 line / 附注
            k = max(pre.rfind(c) for c in "。）)；\n")
            if self.f.lines > 1:
                a, _ = self.f.line_of(pm.start())
                k = max(k, a - max(0, pm.start() - 60) - 1)
            name = _squash(pre[k + 1:])
            name = re.sub(r"^(?:抄\s*送|分\s*送)\s*[:：].*", "", name)
            if name and _ORG_END_RE.search(name):
                out.printer = name
        # 附注 （此件公开发布）
        start = self.title_span[1] if self.title_span else 0
        m = re.search(r"[（(]\s*此件[^（）()]{1,80}[）)]", flat[start:])
        if m:
            out.note = _squash(m.group(0))
        # 附件说明
        self.attachments()

    def attachments(self) -> None:
        flat = self.flat
        start = self.header_end or (self.title_span[1] if self.title_span else 0)
        end = self.sig_start if self.sig_start and self.sig_start > start else len(flat)
        m = re.search(r"附\s*件\s*[:：]\s*", flat[start:end])
        if not m:
            return
        s = start + m.end()
        seg = flat[s:end]
        items: list[str] = []
        if self.f.lines > 1:
            # items are lines: first on the 附件 line, then numbered ones
            lines = []
            pos = s
            while pos < end:
                a, b = self.f.line_of(pos)
                b = min(b, end)
                lines.append(flat[max(a, s):b])
                pos = b + 0 if b > pos else pos + 1
                if b >= end:
                    break
            for n, ln in enumerate(lines):
                ln = ln.strip()
                if not ln:
                    continue
                if n == 0 or re.match(r"\d+\s*[.．、]", ln):
                    items.append(ln)
                else:
                    break
        else:
            parts = re.split(r"(?=(?<![\d.])\d{1,2}\s*[.．、](?!\d))", seg)
            items = [p for p in parts if p.strip()]
        clean = []
        for it in items:
            it = re.sub(r"^\d{1,2}\s*[.．、]\s*", "", it.strip())
            it = _squash(it)
            if it:
                clean.append(it[:200])
        self.out.attachments = clean[:30]

    # -- the whole ---------------------------------------------------------------------------
    def run(self) -> GongwenFields:
        limit = self.header_limit()
        self.marks(limit)
        self.doc_number(limit)
        if self.out.signer is None:
            self.signer(limit)
        self.masthead_(limit)
        self.title(limit if self.out.doc_number is None or self.number_span[1] <= limit else self.number_span[1])
        if self.out.title is None and limit < len(self.flat) and self.flat[limit] in "：:":
            # the header may end at a colon we took for the recipients: look up to the 。
            k = self.flat.find("。", limit, 1200)
            self.title(k if k > limit else min(len(self.flat), limit + 200))
        self.recipients(limit)
        self.date_and_signature()
        self.issuer()
        self.colophon()
        out = self.out
        out.doc_type = doc_type_of(out.title)
        if out.doc_number is None:
            out.warnings.append("未找到发文字号")
        if out.title is None:
            out.warnings.append("未找到标题")
        elif out.doc_type is None or out.title.count("《") != out.title.count("》"):
            out.warnings.append("标题不完整")
        if out.issuer is None:
            out.warnings.append("未找到发文机关")
        if out.date is None:
            out.warnings.append("未找到成文日期")
        return out


def parse(text: str) -> GongwenFields:
    """Recognise the 公文 elements of one document's normalised text. Never raises."""
    if not isinstance(text, str):
        try:
            text = "" if text is None else str(text)
        except Exception:
            text = ""
    try:
        return _Parser(text).run()
    except Exception as exc:  # a bug must not stop ingest: report it and return what we have
        out = GongwenFields()
        out.warnings.append(f"解析公文要素时出错：{type(exc).__name__}")
        return out
