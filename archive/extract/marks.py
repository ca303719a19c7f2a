"""The 密级 mark in a line of text: one normalisation and one matcher for every place a mark can stand.

``normalize_mark(text)`` brings every form of the mark to one: ``秘密★1年``. ``find_mark(text, head=...)``
looks at each line of ``text`` and answers with the strongest ``Hit``: "mark" (a legible 密级: the file is
涉密), "doubtful" (something that may be a mark: a 保密员 looks) or None. ``head``: the lines stand where a mark
stands (the upper part of a page, a page header or footer, a text box, a picture near the top): a bare level
word on a line of its own, or a star with a period whose level word was lost, counts there.

What is not a mark (docs/domain.md, 涉密): an empty 密级 cell of a 文件处理单; ``密级：无``, ``非密``, ``已解密``,
``公开``, ``内部``; ``工作秘密``/``商业秘密``/``国家秘密`` (a level word inside a longer word); a sentence that
mentions 秘密; a star on the red rule of a 党委 版头 or a star used as a bullet.

The HTML reader here parses the raw page itself (the text extractor drops headers, hidden and print blocks).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Hit", "normalize_mark", "find_mark", "line_mark", "rank", "html_places", "STAR_CHARS"]

LEVELS = ("绝密", "机密", "秘密")

# variant characters (traditional, old forms) to the ones the matcher knows
_VARIANTS = str.maketrans({"祕": "秘", "機": "机", "絕": "绝", "級": "级", "啓": "启", "啟": "启",
                           "箇": "个", "個": "个", "長": "长", "別": "别", "無": "无", "開": "开", "內": "内"})
# every star-like symbol a mark may show (and none): stars, triangles, asterisks, Symbol/Wingdings glyphs
STAR_CHARS = "★☆✩✪✫✬✭✮✯✰⭐✦✧✶✷✸✹✺✱✲✳✴✵✽⋆∗⁎*＊※▲△▴◆◇⚝⛤✡"
_STAR_RX = re.compile(f"[{re.escape(STAR_CHARS)}\uf000-\uf0ff\ue000-\ue0ff]")  # + private-use (symbol fonts)
_SPACE = re.compile(r"[\s\u3000\u00a0\u00ad\u200b-\u200f\u2002-\u200a\u2060-\u2064\ufeff]+")
_DOUBLED = re.compile(r"([绝机秘])密{2,}")  # OCR reads a wide 密 twice
_DOTS = "·•・‧∙⋅．.。、,，-—－–~～/|"  # separators between a level and its period (机密·10年)

_NUM = r"(?:\d{1,4}|[一二三四五六七八九十〇零两壹贰叁肆伍陆柒捌玖拾]{1,3})"
_DATE = rf"(?:\d{{4}}|[一二三四五六七八九〇零]{{4}})年(?:{_NUM}月(?:{_NUM}日)?)?(?:以?前|止|解密)?"
_PERIOD = rf"(?:{_NUM}(?:年|个月|月|天|日)|长期|启用前|{_DATE})"
# after a mark on its line: its period, the 紧急程度, the 份号 — nothing of a sentence
_AFTER_OK = re.compile(r"^(?:级)?(?:[★]?(?:特急|加急|特提|平急|急件|急)|份号.*|No.*|\d{1,8}|[★]+)?$")
_NOT = ("工作秘密", "商业秘密", "国家秘密", "个人秘密", "技术秘密", "军事秘密", "解密", "非密", "降密", "定密",
        "涉密", "保密")

# a mark with its period, or with a label: legible wherever it stands
_STRICT = [
    re.compile(rf"(?:^|[^作业家人术事])({'|'.join(LEVELS)})[{re.escape(_DOTS)}]?★+[（(〔]?({_PERIOD})?"),
    re.compile(rf"(?:^|[^作业家人术事])({'|'.join(LEVELS)})[{re.escape(_DOTS)}]?[（(〔]({_PERIOD})[）)〕]"),
    re.compile(rf"^(?:份号[:：]?)?[0-9A-Z]{{0,8}}({'|'.join(LEVELS)})[{re.escape(_DOTS)}]?({_PERIOD})"),
    re.compile(rf"密级[:：]?({'|'.join(LEVELS)})"),
]
_LABEL = re.compile(r"密级[:：]?(.{0,6})")
_NOT_LEVEL = re.compile(r"^(?:无|非密|非涉密|公开|内部|不涉密|已解密|解密|一般|普通|/|—|-|－|_|＿|\s|$)")
_LOOSE_PERIOD = re.compile(rf"^★+[（(]?{_PERIOD}")  # ★1年, the level word lost


@dataclass
class Hit:
    kind: str  # "mark" or "doubtful"
    level: str | None  # 绝密/机密/秘密 for a legible mark
    evidence: str  # the line as it stands (trimmed)
    reason: str  # why, in Chinese


def normalize_mark(text: str) -> str:
    """One form for the matcher: ㊙ spelled out, width and variants folded, every star ★, spaces gone."""
    t = text.replace("㊙", "秘密").replace("\u3299", "秘密")
    t = _STAR_RX.sub("★", t)  # before NFKC (which turns ＊ into *, fine, but PUA stays)
    t = unicodedata.normalize("NFKC", t)
    t = _STAR_RX.sub("★", t)
    t = t.translate(_VARIANTS)
    t = _SPACE.sub("", t)
    t = t.replace("密級", "密级")
    return _DOUBLED.sub(r"\1密", t)


def rank(hit: Hit | None) -> tuple:
    """Order of strength: a mark above a doubt, the more secret level above the less."""
    if hit is None:
        return (0,)
    order = {"绝密": 3, "机密": 2, "秘密": 1}
    return (2 if hit.kind == "mark" else 1, order.get(hit.level or "", 0))


_BOX_CHARS = "□☐○◯☑☒■▣√✓✔"
_BOXES = re.compile(rf"([{_BOX_CHARS}])\s*(绝密|机密|秘密|非密|公开|内部|无)")
_TICKED = set("☑☒■▣√✓✔")


def _check_boxes(t: str, ev: str) -> Hit | None | bool:
    """A 密级 row of check boxes (□秘密 □机密 □绝密 ☑非密): the ticked one decides, nothing ticked is an empty
    form. False: not such a row (at least two boxes, one of them empty)."""
    boxes = _BOXES.findall(t)
    if len(boxes) < 2 or all(box in _TICKED for box, _ in boxes):
        return False
    levels = [word for box, word in boxes if box in _TICKED and word in LEVELS]
    if levels:
        return Hit("mark", levels[0], ev, f"密级栏勾选“{levels[0]}”")
    return None


def line_mark(line: str, head: bool = False) -> Hit | None:
    """The mark one line shows, if any (see the module's docstring)."""
    t = "".join(ch for ch in normalize_mark(line) if unicodedata.category(ch) != "Cf")
    if not t:
        return None
    ev = line.strip()[:60]
    boxes = _check_boxes(line, ev) if re.search(f"[{_BOX_CHARS}]", line) else False
    if boxes is not False:
        return boxes
    for rx in _STRICT:
        m = rx.search(t)
        if m and not any(w in t[max(0, m.start(1) - 2):m.end(1) + 1] for w in _NOT if w not in LEVELS):
            shown = t[m.start(1):m.end()] if rx is not _STRICT[-1] else m.group(0)
            if t[max(0, m.start(1) - 1):m.start(1)] in ("“", "\"", "「", "‘") or t[m.end():m.end() + 1] in ("”", "\"", "」", "’"):
                return Hit("doubtful", m.group(1), ev, f"正文中引用的密级字样“{shown}”")
            return Hit("mark", m.group(1), ev, f"密级标志“{shown}”")
    m = _LABEL.search(t)
    if m:
        rest = m.group(1)
        if _NOT_LEVEL.match(rest):
            pass  # 密级：无 / an empty cell
        elif any(ch in rest[:2] for ch in "绝机秘"):
            return Hit("doubtful", None, ev, f"密级栏内容不清（“{m.group(0)}”）")
    # a bare level word on a line of its own (with the 紧急程度/份号 beside it)
    for lvl in LEVELS:
        i = t.find(lvl)
        if i < 0:
            continue
        before, after = t[:i], t[i + 2:]
        if before and not re.fullmatch(r"(?:份号[:：]?)?[0-9A-Za-z]{1,8}|★+|[\[【〔(（]", before):
            continue
        if _AFTER_OK.match(after.rstrip("）)】〕]")):
            if head or before or after:
                return Hit("mark", lvl, ev, f"密级标志“{lvl}”")
            return Hit("doubtful", lvl, ev, f"单独一行的“{lvl}”")
    if head:
        m = _LOOSE_PERIOD.search(t)
        if m and len(t) <= 16:
            return Hit("doubtful", None, ev, f"疑似密级标志（“{m.group(0)}”，密级字样缺失）")
    return None


def find_mark(text: str, head: bool = False) -> Hit | None:
    """The strongest mark among the lines of ``text``."""
    best = None
    for line in text.splitlines():
        for part in [line] + (line.split("\t") if "\t" in line and "密级" not in line else []):
            hit = line_mark(part, head)
            if rank(hit) > rank(best):
                best = hit
    return best


# ---- HTML, read whole ---------------------------------------------------------------------------------------
_BLOCKS = {"p", "div", "section", "article", "main", "aside", "header", "footer", "nav", "h1", "h2", "h3", "h4",
           "h5", "h6", "li", "tr", "table", "br", "dt", "dd", "center", "blockquote", "pre", "title", "td", "th"}


def html_places(raw: bytes | str) -> list[tuple[str, str]]:
    """(where, text) of a web page read whole: ``<title>``, ``<meta>`` rows, header, hidden and print blocks, every
    table row as cells joined by a TAB; scripts and styles dropped."""
    import lxml.html
    from lxml import etree

    if isinstance(raw, bytes):
        from archive.extract.html import _decode  # the extractor's own charset rule

        raw = _decode(raw) or raw.decode("utf-8", "replace")
    raw = re.sub(r"^\s*<\?xml[^>]*>", "", raw)
    try:
        root = lxml.html.fromstring(raw or "<html></html>")
    except (etree.ParserError, ValueError):
        return [("网页", raw)]
    places: list[tuple[str, str]] = []
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("http-equiv") or meta.get("property") or "").strip()
        content = (meta.get("content") or "").strip()
        if content and ("密" in name or "密" in content):
            places.append(("网页元数据", f"{name}：{content}"))
    for el in root.iter("style"):  # text a style sheet puts on the page (.mj::before { content: "秘密★1年" })
        shown = re.findall(r"content\s*:\s*[\"']([^\"']+)[\"']", el.text or "")
        if shown:
            places.append(("网页样式", "\n".join(shown)))
    for el in root.iter(etree.Comment, "script", "style"):
        el.text = ""
    lines: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag == "tr":
            cells = [re.sub(r"\s+", "", c.text_content()) for c in el if isinstance(c.tag, str)]
            lines.append("\t".join(cells))
    text_lines: list[str] = []

    def walk(el):
        if not isinstance(el.tag, str) or el.tag in ("script", "style"):
            return
        if el.tag in _BLOCKS:
            text_lines.append("\n")
        if el.text:
            text_lines.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                text_lines.append(child.tail)
        if el.tag in _BLOCKS:
            text_lines.append("\n")

    walk(root)
    places.append(("网页", "".join(text_lines)))
    places.append(("网页表格", "\n".join(lines)))
    for el in root.iter():
        if isinstance(el.tag, str):
            alt = el.get("alt") or el.get("title") or ""
            if alt:
                places.append(("网页图片说明", alt))
    return places
