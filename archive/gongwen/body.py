"""主体: the 标题, the 主送机关 and the 附件说明."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archive.gongwen.flat import OnText, recipient_colon
from archive.gongwen.vocab import CJK, CLOSE, DATE_AR, DATE_ZH, DE_TYPE, OPEN, TYPE_WORD, squash

if TYPE_CHECKING:
    from archive.gongwen.header import Header
    from archive.gongwen.reader import Doc


@dataclass
class Body(OnText):
    """The 标题 (and where it stands) and the 主送机关; ``header_end`` is where the 正文 starts."""

    doc: Doc = field(repr=False)
    head: Header = field(repr=False)
    title: str | None = None
    title_span: tuple[int, int] | None = None
    recipients: str | None = None
    header_end: int = 0

    @property
    def body_start(self) -> int:
        """Where the 正文 starts: after the 主送, else after the title."""
        return self.header_end or (self.title_span[1] if self.title_span else 0)


def read(doc: Doc, head: Header) -> Body:
    """The title, looked for between the marks and the head's end (or the number when it comes
    later), then the 主送机关 after it."""
    r = Body(doc, head)
    limit = head.limit
    flat = doc.flat
    title(r, limit if head.doc_number is None or head.number_span[1] <= limit else head.number_span[1])
    if r.title is None and limit < len(flat) and flat[limit] in "：:":
        # the header may end at a colon we took for the recipients: look up to the 。
        k = flat.find("。", limit, 1200)
        title(r, k if k > limit else min(len(flat), limit + 200))
    recipients(r, limit)
    return r


def title(r: Body, limit: int) -> None:
    flat = r.flat
    zone_end = min(limit, len(flat))
    bounds = set(b for b in r.head.boundaries if b <= zone_end)
    bounds |= set(b for b in r.f.blank if b <= zone_end)  # a title never spans a blank line or a rule
    # label lines (索引号：… / 文号：…) before the title are boundaries too
    if r.f.lines > 1:
        for m in re.finditer(r"[：:]", flat[:zone_end]):
            bounds.add(r.f.line_of(m.start())[1])
    bounds = sorted(bounds)
    # the title follows the number when the number comes first; else it precedes it
    ranges = []
    if r.head.number_span and r.head.number_span[1] < zone_end:
        ranges.append((r.head.number_span[1], zone_end))
    ranges.append((r.head.mark_end, zone_end))
    tp = r.head.title_paren
    if tp and squash(r.flat[tp[0]:tp[1]]):
        r.title_span = tp
        r.title = squash(r.flat[tp[0]:tp[1]])
        return
    # a 令 promulgates the 《…》 named right after its number
    if r.head.number_span and r.head.doc_number is not None and r.head.doc_number.code.endswith("令"):
        m = re.match(r"\s*《([^《》]{2,80})》", flat[r.head.number_span[1]:r.head.number_span[1] + 90])
        if m:
            r.title_span = (r.head.number_span[1], r.head.number_span[1] + m.end())
            r.title = squash(m.group(1))
            return
    for a, z in ranges:
        for finder in (title_de, title_word):
            end = finder(r, a, z, bounds)
            if end is not None and set_title(r, a, end, bounds):
                return


_TITLE_LABEL = re.compile(r"^(?:信息名称|文件名称|名\s*称|标\s*题)\s*[:：]\s*")


def set_title(r: Body, a: int, end: int, bounds) -> bool:
    flat = r.flat
    start = a
    for b in bounds:
        if start <= b < end - 1:
            start = b
    if r.head.number_span and start < r.head.number_span[1] <= end:
        start = r.head.number_span[1]
    if r.head.number_span and start < r.head.number_span[0] < end:
        end = r.head.number_span[0]  # the number printed under the title (``…提案的答复`` / ``国办函〔2005〕69号``)
    t = flat[start:end]
    # the header of a web page wraps the title in 《》
    lead = re.match(r"\s*[《〈]", t)
    if lead and t.count("《") + t.count("〈") > t.count("》") + t.count("〉"):
        start += lead.end()
    # a glued internal registration number (鲁机发4043号)
    t = flat[start:end]
    m = re.match(r"\s*[%s]{1,4}发\s*\d*\s*号" % CJK, t)
    if m and "关于" in t[m.end():]:
        start += m.end()
    start = skip_menu_lines(r, start, end)
    if end - start > 200:
        return False
    title = squash(flat[start:end])
    title = re.sub(r"^[\s，,。：:、]+", "", title)
    title = _TITLE_LABEL.sub("", title)  # a page's label glued in front: 名称：…
    if not title or "。" in title or re.match(r"(?:为|根据|按照|依据|近日|经|现将|现就|特此)", title):
        return False
    if end < len(flat) and flat[end:end + 1] in "》〉" and title.count("《") + title.count("〈") > title.count("》") + title.count("〉"):
        title += flat[end]
    r.title_span = (start, end)
    r.title = title
    return True


def skip_menu_lines(r: Body, start: int, end: int) -> int:
    """A whole saved web page has its menus right above the title, one short word a line with no blank
    between (社保 / 医保 / 营商环境 / …): two or more such lines in front of a title's last line are the
    site's, not the title's. A title wrapped over lines has no such run of 2-6 character lines."""
    f = r.f
    lines = []
    i = start
    while i < end:
        a, b = f.line_of(i)
        lines.append((max(a, start), min(b, end)))
        i = b if b > i else i + 1
    run = 0
    for a, b in lines[:-1]:
        t = r.flat[a:b].strip()
        if 1 <= len(t) <= 6 and "关于" not in t and "的" not in t:
            run += 1
            continue
        break
    return lines[run][0] if run >= 2 else start


def title_de(r: Body, a: int, z: int, bounds) -> int | None:
    """End of the first ``…的[…]文种`` outside 《》 in flat[a:z]."""
    s = r.flat
    depth = 0
    lead_wrap = False
    i = a
    while i < z:
        ch = s[i]
        if ch in OPEN:
            if depth == 0 and not lead_wrap and (i == a or i in bounds or r.f.line_start(i)):
                close = match_close(r, i, z)
                if close is not None and (r.f.line_end(close + 1) or close + 1 >= z
                                          or (r.head.number_span and close + 1 == r.head.number_span[0])):
                    lead_wrap = True  # a title wrapped in 《》 as a whole (web pages)
                    i += 1
                    continue
            depth += 1
        elif ch in CLOSE:
            depth = max(0, depth - 1)
        elif ch == "。":
            return None
        elif ch == "年" and DATE_AR.match(s, max(a, i - 4)) or ch == "年" and DATE_ZH.match(s, max(a, i - 4)):
            return None  # a full date ends the header part a title can be in
        elif ch == "的" and depth == 0:
            m = DE_TYPE.match(s, i, min(len(s), z + 2))
            if m:
                e = m.end()
                while True:  # …的意见的通知
                    m2 = DE_TYPE.match(s, e, min(len(s), z + 2))
                    if not m2:
                        break
                    e = m2.end()
                return e
        i += 1
    return None


def title_word(r: Body, a: int, z: int, bounds) -> int | None:
    """A 文种 word (not 令) that ends a line, precedes the number or a date, or follows 》."""
    s = r.flat
    depth = 0
    for i in range(a, z):
        ch = s[i]
        if ch in OPEN:
            depth += 1
            continue
        if ch in CLOSE:
            depth = max(0, depth - 1)
            continue
        if ch == "。":
            return None
        if depth:
            continue
        m = TYPE_WORD.match(s, i, min(len(s), z + 2))
        if not m or m.group(0) == "令":
            continue
        e = m.end()
        if s[e:e + 1] == "书" and r.f.line_end(e + 1):
            e += 1  # a 文种-only title: 内部监督通知书, 行政处罚决定书
        mm = re.match(r"\s*[（(](?:试行|暂行|修订|草案|征求意见稿|修订稿|送审稿)[）)]", s[e:e + 10])
        if mm:
            e += mm.end()
        if (r.f.line_end(e) or e >= z
                or (r.head.number_span and e == r.head.number_span[0])
                or DATE_AR.match(s, e) or DATE_ZH.match(s, e)
                or (i > 0 and s[i - 1] in "》〉")):
            return e
    return None


def match_close(r: Body, i: int, limit: int) -> int | None:
    depth = 0
    for k in range(i, min(len(r.flat), limit + 2)):
        ch = r.flat[k]
        if ch in OPEN:
            depth += 1
        elif ch in CLOSE:
            depth -= 1
            if depth == 0:
                return k
    return None



def recipients(r: Body, limit: int) -> None:
    flat = r.flat
    if r.title_span is None:
        return
    s = r.title_span[1]
    if r.head.number_span and r.head.number_span[0] >= s - 1 and r.head.number_span[0] < s + 60:
        s = max(s, r.head.number_span[1])
    stop = flat.find("。", s, s + 600)
    if stop < 0:
        stop = min(len(flat), s + 600)
    c = recipient_colon(flat, s, stop)
    if c is None:
        return
    seg = flat[s:c]
    seg = re.sub(r"^\s*[》〉]", "", seg)
    # drop a 签发人 or doc number in between
    m = re.match(r"\s*签发人\s*[:：]", seg)
    if m:
        return
    rec = squash(seg)
    if not rec or len(rec) > 500 or re.search(r"(现将|如下|通知如下|为了|为进一步|根据|按照)", rec):
        return
    if re.search(r"[。；]", rec):
        return
    r.recipients = rec
    r.header_end = c + 1

# -- 成文日期, 署名 ---------------------------------------------------------------------


def attachments(doc: Doc, start: int, sig_start: int | None) -> list[str]:
    """附件说明: the items after ``附件：`` between the body's start and the 署名."""
    flat = doc.flat
    end = sig_start if sig_start and sig_start > start else len(flat)
    m = re.search(r"附\s*件\s*[:：]\s*", flat[start:end])
    if not m:
        return []
    s = start + m.end()
    seg = flat[s:end]
    items: list[str] = []
    if doc.f.lines > 1:
        # items are lines: first on the 附件 line, then numbered ones
        lines = []
        pos = s
        while pos < end:
            a, b = doc.f.line_of(pos)
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
        it = squash(it)
        if it:
            clean.append(it[:200])
    return clean[:30]

# -- the whole ---------------------------------------------------------------------------
