"""The meta table of a web-page copy of a 公文 (政府信息公开 pages).

A saved page starts with the site's header and a table: 索引号, 主题分类, 发文机关, 成文日期, 标题,
发文字号, 发布日期… The site states these fields itself, so its 发文字号, 发文机关, 成文日期 and 标题 take
precedence over what the reader guesses from the text below. A table row reaches us as one line with
the cells separated by a TAB (``发文字号\\t国办函〔2018〕71号``) or as ``发文字号：…`` (several pairs may
share a line: ``索引号： 000014349/2016-712118 主题分类： 综合政务``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field


# label -> field; labels of page chrome map to None (they only mark the table)
_FIELDS = {
    "发文字号": "doc_number", "文号": "doc_number", "发文文号": "doc_number",
    "发文机关": "issuer", "发文单位": "issuer", "制发机关": "issuer",
    "成文日期": "date", "成文时间": "date",
    "标题": "title", "文件名称": "title", "名称": "title",
    "索引号": None, "主题分类": None, "发布机构": None, "发布日期": None, "发布时间": None, "有效性": None,
    "所属机构": None, "主题词": None, "公文种类": None, "文件登记号": None, "体裁分类": None, "组配分类": None,
    "信息来源": None, "生效日期": None, "废止日期": None, "效力状态": None, "公开方式": None, "公开范围": None,
    "实施日期": None, "施行日期": None, "时效": None, "责任部门": None, "分类": None, "来源": None,
    # 广州市行政规范性文件统一发布平台 and similar: 基本信息 blocks, one label a line, its value on the next
    "统一编号": None, "失效日期": None, "发布机关": None, "文件状态": None,
    # a crawler's text copy of a page: the column, the page's address and where the copy was put
    "栏目": None, "所属栏目": None, "原文链接": None, "本地目录": None,
}
_LABEL_ALT = "|".join("\\s*".join(k) for k in sorted(_FIELDS, key=len, reverse=True))
_PAIR = re.compile(r"(?:^|(?<=[\s\t]))(%s)\s*(?:[:：]\s*|\t+)" % _LABEL_ALT)
_CHROME = re.compile(r"(?:首页|当前位置|您所在的位置|>|＞|网站|门户|政务公开|信息公开|无障碍|登录|English)")
# the page's widgets between the table and the 公文: 【字体：大 中 小】, 分享到：, 发布日期：… 浏览次数：…, 【打印】
_WIDGET = re.compile(r"^(?:【[^】]{0,12}】\s*)+$|^(?:分享到|浏览次数|打印|关闭|字体)|^发布(?:日期|时间)\s*[:：].{0,30}(?:浏览|访问|点击)|^-?\s*次?$")
_REPOST = re.compile(r"^[（(【\[]\s*转\s*载\s*[）)】\]]")  # （转载） before a title copied from another site
_DATE = re.compile(r"(\d{4})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*(?:月|-|/|\.)\s*(\d{1,2})")


@dataclass
class Meta:
    doc_number: str | None = None
    issuer: str | None = None
    date: dt.date | None = None
    title: str | None = None
    lines: set[int] = field(default_factory=set)  # indices of the table's lines (and the site header)


_MD_RULE = "\x00rule"


def _markdown_row(s: str) -> str:
    """A markdown table row (``| 发文字号 | 国办发〔2019〕6号 |``) as the TAB-separated row of an HTML table;
    its ``|---|---|`` line as ``_MD_RULE``; any other line as it is."""
    if not (s.startswith("|") and s.count("|") >= 2):
        return s
    cells = [c.strip() for c in s.strip("|").split("|")]
    if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c) and any(cells):
        return _MD_RULE
    return "\t".join(c for c in cells if c)


def _pairs(line: str) -> list[tuple[str, str]]:
    out = []
    ms = list(_PAIR.finditer(line))
    for k, m in enumerate(ms):
        end = ms[k + 1].start() if k + 1 < len(ms) else len(line)
        label = re.sub(r"\s+", "", m.group(1))
        value = line[m.end():end].strip().strip("\t").strip()
        out.append((label, value))
    return out


def _prose(s: str) -> bool:
    """A line of the document itself (a sentence, a paragraph), not of the site's menus and path."""
    if "。" in s or "，" in s or re.search(r"〔\s*\d{4}\s*〕", s):
        return True  # a sentence, a 发文字号
    if re.search(r"[:：]$", s) and not re.search(r"搜索|热词|分享|位置|导航|链接|关注|扫一扫", s):
        return True  # a 主送 or lead-in ending in its colon (not a menu's 搜索热词：)
    return len(s) > 60 and not _CHROME.search(s)


def read(lines: list[str], limit: int = 200) -> Meta | None:
    """The meta table at the top of the text (one block of label lines starting before the document's
    first sentence), or None when there is none or it has fewer than two labels. Label lines further
    down (``发文单位：… 文号：…`` in a list of repealed documents) are the body's. A whole saved page
    puts dozens of short menu lines above the table: they do not count against ``limit``. A label
    alone on its line (``文 号：``) takes the next line as its value when that line is no label."""
    meta = Meta()
    seen: set[str] = set()
    first = None
    counted = 0
    pending: str | None = None  # a label whose value is on the next line
    for i, ln in enumerate(lines[:400]):
        s = _markdown_row(ln.strip())
        if not s:
            continue
        if s == _MD_RULE:
            if first is not None:
                meta.lines.add(i)  # the |---|---| line of a markdown table
            continue
        pairs = _pairs(s) if _PAIR.match(s) else []
        if not pairs and pending is not None and not _prose(s):
            pairs = [(pending, s)]  # the value line of ``文 号：`` / ``穗府办规〔2021〕19号``
        pending = None
        if not pairs:
            if first is not None and len(seen) >= 2:
                break  # the table is one block: what follows it is the document
            if first is not None:  # one label alone (a search box's 标题 option) is no table
                meta, seen, first = Meta(), set(), None
            if _prose(s):
                return None  # a table is at the top (under the site's name, menus and path), not in the body
            counted += 1
            if counted >= limit:
                return None
            continue
        first = i if first is None else first
        meta.lines.add(i)
        if len(pairs) == 1 and not pairs[0][1]:
            pending = pairs[0][0]
        for label, value in pairs:
            seen.add(label)
            key = _FIELDS.get(label)
            if not key or not value or getattr(meta, key) is not None:
                continue
            value = re.sub(r"\s+", "", value)
            if key == "date":
                m = _DATE.search(value)
                try:
                    meta.date = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
                except ValueError:
                    meta.date = None
            elif key == "title":
                value = _REPOST.sub("", value)
                if value and not re.search(r"(?:\.\.\.|…)$", value):  # a cut-off title is no title
                    meta.title = value
            else:
                setattr(meta, key, value)
    if len(seen) < 2 or first is None:
        return None
    # the site's header above the table: no sentence of the document comes before it (see above)
    meta.lines.update(range(first))
    # the widgets under it, and the page's own title line when it carries the 转载 mark
    last = max(meta.lines)
    for i in range(last + 1, min(len(lines), last + 12)):
        s = lines[i].strip()
        if not s:
            continue
        if _WIDGET.search(s) or _REPOST.match(s):
            meta.lines.add(i)
            continue
        break
    return meta
