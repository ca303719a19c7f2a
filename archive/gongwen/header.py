"""版头: 份号, 密级, 紧急程度, 发文字号 (with the 签发人 on its line) and the 发文机关标志."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archive import docno
from archive.gongwen.flat import OnText, find_numbers, is_citation, recipient_colon
from archive.gongwen.vocab import CJK, ORG_END_RE, TYPE_ALT_SP, URGENCY_WORDS, clean_name, split_orgs, squash
from archive.models import DocNumber

if TYPE_CHECKING:
    from archive.gongwen.reader import Doc


@dataclass
class Header(OnText):
    """What the 版头 says: marks, the own 发文字号 (and where it stands), 签发人, the 发文机关标志, and the
    offsets where a title may start (``boundaries``). ``limit`` is where the head ends (the 主送's colon)."""

    doc: Doc = field(repr=False)
    limit: int = 0
    copy_no: str | None = None
    secrecy: str | None = None
    secrecy_term: str | None = None
    urgency: str | None = None
    mark_end: int = 0  # end of the 份号/密级/紧急程度 marks
    doc_number: DocNumber | None = None
    number_span: tuple[int, int] | None = None
    title_paren: tuple[int, int] | None = None  # a title printed with its 令号 in parentheses
    signer: str | None = None
    masthead: list[str] = field(default_factory=list)  # issuers from the 发文机关标志
    masthead_raw: str = ""  # the mark's name as printed (``XX文件`` without 文件)
    boundaries: list[int] = field(default_factory=list)


def read(doc: Doc) -> Header:
    """The 版头, read in its order: the marks, the number (and the 签发人 on its line), the mark."""
    h = Header(doc)
    h.limit = header_limit(h)
    marks(h, h.limit)
    doc_number(h, h.limit)
    if h.signer is None:
        signer(h, h.limit)
    masthead(h, h.limit)
    return h


def marks(h: Header, limit: int) -> None:
    flat = h.flat
    out = h
    i = 0
    zone = flat[:limit]
    while True:
        m = re.match(r"\s*", zone[i:])
        j = i + m.end()
        rest = zone[j:]
        mm = re.match(r"(?:份号\s*[:：]?\s*)?(\d{6})(?!\d)", rest)
        if mm and out.copy_no is None and (j == 0 or j in h.f.breaks or zone[j - 1].isspace()
                                           or i == 0):
            out.copy_no = mm.group(1)
            i = j + mm.end()
            continue
        mm = re.match(r"(?:密级\s*[:：]\s*)?(绝密|机密|秘密)\s*(?:[★☆*＊]\s*((?:\d+|[一二三四五六七八九十]+)\s*(?:年|个月|月)|长期))?", rest)
        if mm and out.secrecy is None:
            after = rest[mm.end():mm.end() + 1]
            standalone = (mm.group(2) or rest.startswith("密级") or after == ""
                          or (j + mm.end()) in h.f.breaks or after.isspace()
                          or rest[mm.end():].startswith(URGENCY_WORDS))
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
    h.mark_end = i
    if i:
        h.boundaries.append(i)
    # run-on headers put the marks after the masthead (国家电网有限公司特急办值通…)
    head = flat[:limit]
    if h.urgency is None:
        m = re.search(r"(?:等级\s*)?(特急|加急|特提)(?!件)", head)
        if m and not re.search(r"关于[^，。]*$", head[:m.start()]):
            h.urgency = m.group(1)
    if h.secrecy is None:
        m = re.search(r"(绝密|机密|秘密)\s*[★☆]\s*((?:\d+|[一二三四五六七八九十]+)\s*(?:年|个月)|长期)?", head)
        if m:
            h.secrecy = m.group(1)
            if m.group(2):
                h.secrecy_term = re.sub(r"\s+", "", m.group(2))
        else:
            m = re.search(r"密级\s*[:：]\s*(绝密|机密|秘密)", head)
            if m:
                h.secrecy = m.group(1)
    # 明电 inside a word (华明电力) and 等级 of a title (网络安全等级保护) are no marks
    for m in re.finditer(r"(内部事项|普通事项|特急|加急|特提|等级(?=\s*[:：]?\s*(?:特急|加急|特提|平急))"
                         r"|明电(?![力气器子池站网视话脑厂缆源能费价表]))", head):
        h.boundaries.append(m.end())

# -- 发文字号 ---------------------------------------------------------------------------


def header_limit(h: Header) -> int:
    flat = h.flat
    cap = min(len(flat), 1200)
    stop = flat.find("。", 0, cap)
    if stop < 0:
        stop = cap
    c = recipient_colon(flat, 0, stop)
    return c if c is not None else stop


def doc_number(h: Header, limit: int) -> None:
    flat = h.flat
    cands = find_numbers(flat[: min(len(flat), limit + 40)])
    chosen = None
    for num, a, b in cands:
        if a >= limit:
            break
        num, a = cut_at_break(h, num, a, b)  # the title's last line may run into the 代字
        if is_citation(flat, a, b) and not alone_on_line(h, a, b) and not paren_under_title(h, a, b):
            continue
        chosen = (num, a, b)
        break
    if chosen is None:
        chosen = title_order_number(h, cands, limit)
    if chosen is None:
        return
    num, a, b = chosen
    num, a = cut_at_break(h, num, a, b)
    h.doc_number = num
    h.number_span = (a, b)
    h.boundaries.append(b)
    # a second, internal registration number glued after it (鲁机发4043号) is no title
    m = re.match(r"\s*[%s]{1,4}发\s*\d*\s*号" % CJK, flat[b:b + 12])
    if m:
        h.boundaries.append(b + m.end())
    # 签发人 anywhere in the header
    signer(h, limit)


def alone_on_line(h: Header, a: int, b: int) -> bool:
    """A number printed on a line of its own is the header's, whatever the next line starts with
    (OCR puts stray characters at line starts: ``教技〔2016〕3号`` / ``和各省、自治区…``)."""
    f = h.f
    if f.lines < 3 or not (f.line_start(a) and f.line_end(b)):
        return False
    before = h.flat[max(0, a - 1):a]
    return not re.search(r"[（(《〈【\[]", before)


def paren_under_title(h: Header, a: int, b: int) -> bool:
    """A number alone in parentheses on the line under the title (``…的通知`` / ``（新质监办发〔2012〕24号）``):
    how text exported from a legal database or a web page prints the document's own number."""
    f = h.f
    la, lb = f.line_of(a)
    if la == 0 or f.lines < 3:
        return False
    if not re.fullmatch(r"\s*[（(]\s*%s\s*[）)]\s*" % re.escape(h.flat[a:b]), h.flat[la:lb]):
        return False
    pa, _ = f.line_of(la - 1)
    return bool(_TITLE_END.search(h.flat[pa:la].rstrip()))


def title_order_number(h: Header, cands, limit: int):
    """A 令 number in the parentheses right after the title, as the first thing in them:
    ``国家科学技术奖励条例（国务院令第638号第二次修订）``. Taken only when the header has no
    other number; a number later in the parentheses (``（…根据…令第212号第一次修正）``) stays a
    citation."""
    flat = h.flat
    for num, a, b in cands:
        if a >= min(limit, 160):
            break
        if num.kind != "order":
            continue
        pre = flat[max(0, a - 40):a]
        m = re.search(r"(?:%s)\s*[（(]\s*$" % TYPE_ALT_SP, pre)
        if not m:
            continue
        head = flat[:a - (len(pre) - m.end())]
        if "。" in head or re.search(r"[，：:；]", head):
            continue
        close = re.match(r"[^（()）。]{0,30}[）)]", flat[b:b + 32])
        if close:
            # the title is printed with its parenthetical: 条例（国务院令第638号第二次修订）
            h.title_paren = (h.mark_end, b + close.end())
        return num, a, b
    return None


def signer(h: Header, limit: int) -> None:
    flat = h.flat
    m = re.search(r"签\s*发\s*人\s*[:：]\s*", flat[: limit + 60])
    if not m:
        return
    s = m.end()
    _, line_end = h.f.line_of(s)
    if h.f.lines > 1 and line_end - s <= 20:
        name = flat[s:line_end].strip()
        h.signer = re.sub(r"\s+", " ", name) or None
        h.boundaries.append(line_end)
        return
    rest = flat[s:s + 40]
    mm = re.match(r"([Xx×＊*]{2,4}|[Xx×＊*]{1,2}[%s]|[%s][Xx×＊*]{1,2})" % (CJK, CJK), rest)
    if mm:
        n = mm.end()
    else:
        n = 3
        for k in (2, 3, 4):
            tail = rest[k:]
            if tail.startswith(("关于", "中共", "国网", "国家", "共青团")) or any(
                    tail.startswith(x[:4]) for x in h.masthead if len(x) >= 4):
                n = k
                break
    # multiple names separated by spaces: 签发人：张三 李四
    name = rest[:n].strip()
    h.signer = name or None
    end = s + n
    if rest[n:n + 1].isspace():
        end = s + n + 1
    h.boundaries.append(end)

# -- 发文机关标志 -------------------------------------------------------------------------


def masthead(h: Header, limit: int) -> None:
    flat = h.flat
    zone_end = h.number_span[0] if h.number_span else limit
    zone = flat[:zone_end]
    m = None
    for m_ in re.finditer(r"文\s*件", zone):
        m = m_
    if m is not None and _BREADCRUMB.search(zone[h.mark_end:m.start()]):
        m = None  # a column's name in the page's path (首页 > 最新文件 > 区管委会文件) is no 发文机关标志
    if m is not None:
        # joint masthead on several lines: 发展改革委办公厅  文件 / 税务总局办公厅
        after = zone[m.end():]
        names = []
        for piece in re.split(r"\s+", zone[h.mark_end:m.start()].strip()):
            if piece:
                names.append(piece)
        joined = squash("".join(names))
        issuers = split_orgs(joined) if joined else []
        extra = after.strip()
        h.masthead_raw = joined
        # a name after 文件 is a joint issuer when it stands on its own line, not on the number's
        if extra and (h.f.lines == 1 or h.f.line_start(zone_end)) and len(extra) <= 40 and ORG_END_RE.search(extra) and not re.search(r"[，。：:]", extra):
            issuers += split_orgs(squash(extra))
        issuers = [x for x in (clean_name(i) for i in issuers) if x]
        if issuers and not re.search(r"部门$", joined) and all(ORG_END_RE.search(x) for x in issuers):
            h.masthead = issuers
        h.boundaries.append(m.end())
        return
    # no 文件: the name alone right before the number (山东省交通运输厅鲁交城市函（2020）39号)
    after_title = False
    if h.number_span:
        seg = flat[h.mark_end:h.number_span[0]]
        seg_s = squash(seg)
        if 2 <= len(seg_s) <= 60 and ORG_END_RE.search(seg_s) and "关于" not in seg_s:
            h.masthead = [x for x in (clean_name(i) for i in split_orgs(seg_s)) if x]
        # the number printed under the title (a web-style copy): the title stands between the name and it
        after_title = "关于" in seg_s and _TITLE_END.search(seg.rstrip())
    if (not h.number_span or after_title) and h.f.lines > 2:
        # a 信函格式 header without a number (or with it under the title): the agency's name alone on
        # the first line
        a, b = h.f.line_of(h.mark_end)
        line = squash(flat[a:b])
        # under a number printed after the title, only a name the title then repeats (国务院 / 国务院关于…):
        # a title broken after its issuer's name (国务院办公厅 / 关于…) is one title
        repeated = squash(flat[b:b + 60]).startswith(line)
        if 2 <= len(line) <= 40 and ORG_END_RE.search(line) and not re.search(r"关于|[，。：:]", line) \
                and (not after_title or repeated):
            h.masthead = [x for x in (clean_name(i) for i in split_orgs(line)) if x]
            h.boundaries.append(b)

# -- 标题 ------------------------------------------------------------------------------


_BREADCRUMB = re.compile(r"当前位置|您?所在的?位置|您的位置|首\s*页\s*[>＞›»/]?")
_MARKS_ONLY = re.compile(r"^(?:\d{6}|绝密|机密|秘密|[★☆*＊]|\d+|年|个月|长期|特急|加急|特提|平急|\s)*$")
_CODE_CHAR = re.compile(r"[\u3400-\u9fffA-Za-z]")
_TITLE_END = re.compile(r"(?:%s|答\s*复)\s*$" % TYPE_ALT_SP)


def cut_at_break(h: Header, num, a: int, b: int):
    """A name standing alone on the line above the number is no part of its 代字.

    In the flat text the agency's name of a 信函格式 header (``国务院`` / ``国函〔2018〕159号``), a
    stacked joint mark (``科技部`` / ``财教〔2019〕129号``) or a 密级 term (``秘密★6个月`` /
    ``…令第224号``) runs into the number. When a line break falls inside the 代字 and what precedes
    it on that line is only marks, the number starts after the break. A 令 mark above its ``第N号``
    (``科技部令`` / ``第183号``) has the break after the 代字 and is kept whole."""
    flat = h.flat
    code_end = a
    while code_end < b and _CODE_CHAR.match(flat[code_end]) and flat[code_end] != "第":
        code_end += 1
    inner = [k for k in h.f.breaks if a < k < code_end]
    if not inner:
        return num, a
    k = max(inner)
    line_start = h.f.line_of(a)[0]
    above = squash(flat[line_start:k])
    # the line above holds only marks before the 代字, or is a name alone: short, where a wrapped line
    # of running text (PDF lines of a run-on header) is full
    # … or the title's last line, ending in its 文种 (``…第2741号提案的答复`` / ``国办函〔2005〕69号``: a web
    # copy prints the number under the title)
    if not (_MARKS_ONLY.match(flat[line_start:a]) or (ORG_END_RE.search(above) and len(above) <= 24
                                                         and "文件" not in above)
            or _TITLE_END.search(flat[line_start:k])):
        return num, a
    new = docno.parse(flat[k:b])
    if new is None or not new.code:
        return num, a
    return DocNumber(raw=flat[k:b].strip(), code=new.code, year=new.year, serial=new.serial, kind=new.kind), k
