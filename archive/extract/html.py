"""Saved web pages: ``.html``/``.htm`` and ``.mht``/``.mhtml`` (a page saved as one MIME file).

Government sites publish many 公文 as web pages: a site header and menus, a meta table (索引号, 发文机关,
成文日期, 标题, 发文字号, 发布日期), then the text. What is kept: the text in reading order, one line per block
(paragraph, heading, list item, ``<br>``), and every table row as one line with its cells separated by a TAB
(``发文字号\\t国办函〔2018〕71号``), which is the form the 公文 parser reads a meta table in. What is dropped:
scripts, styles, ``<nav>``, ``<header>``/``<footer>``, forms, hidden elements, comments. The encoding comes from
a BOM, the ``<meta charset>``, else UTF-8 or GB18030 (``detect.decode_text``).
"""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

from archive.errors import damage_detail
from archive.extract import fail, read_limited
from archive.extract.detect import decode_text
from archive.models import Extracted

__all__ = ["extract_html", "html_text"]

MAX_HTML_BYTES = 32 * 1024 * 1024
_DROP = {"script", "style", "noscript", "nav", "header", "footer", "form", "button", "select", "option",
         "iframe", "object", "embed", "svg", "canvas", "template", "head", "title", "meta", "link", "input",
         "textarea", "map", "audio", "video"}
_BLOCK = {"p", "div", "section", "article", "main", "aside", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul",
          "ol", "dl", "dt", "dd", "blockquote", "pre", "address", "center", "table", "tbody", "thead", "tfoot",
          "caption", "figure", "figcaption", "hr", "body", "html"}
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# a site's chrome, by the class or id sites give it: menus, breadcrumbs, share and print links, footers
_CHROME = re.compile(r"(?:^|[\s_-])(?:nav|navbar|menu|crumbs?|breadcrumb|header|footer|share|toolbar|sidebar|"
                     r"hidden|hide|print|weizhi|dqwz)(?:$|[\s_-])", re.I)


def _decode(data: bytes, declared: str | None = None) -> str | None:
    m = _CHARSET.search(data[:8192])
    for enc in filter(None, [declared, m.group(1).decode("ascii", "ignore") if m else None]):
        enc = enc.lower()
        if enc in ("gb2312", "gbk", "x-gbk"):
            enc = "gb18030"
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return decode_text(data)


class _Out:
    """Lines being built: text runs join, blocks end a line."""

    def __init__(self):
        self.lines: list[str] = []
        self.cur = ""

    def add(self, s: str) -> None:
        self.cur += s

    def end(self) -> None:
        line = re.sub(r"[ \t\u00a0\u3000]+", " ", self.cur).strip()
        if line:
            self.lines.append(line)
        self.cur = ""


def _inline(el) -> str:
    """An element's text, as one line (a table cell)."""
    out = _Out()
    if el.text:
        out.add(el.text)
    _walk(el, out)
    out.end()
    return " ".join(ln.replace("\t", " ") for ln in out.lines)


_LAYOUT = {"table", "p", "div", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
           "blockquote", "pre", "center", "br"}


def _layout_row(tr) -> bool:
    """A row used for page layout (a cell holding paragraphs or a nested table): its cells are
    walked as blocks, not flattened into one TAB-separated line."""
    for cell in tr:
        if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
            continue
        for el in cell.iter():
            if el is not cell and isinstance(el.tag, str) and el.tag.lower() in _LAYOUT:
                if el.tag.lower() != "br" or len(list(cell.iter("br"))) > 1:
                    return True
    return False


def _walk(el, out: _Out) -> None:
    from lxml import etree

    for child in el:
        if not isinstance(child.tag, str) or isinstance(child, etree._Comment):
            if child.tail:
                out.add(child.tail)
            continue
        tag = child.tag.lower().rsplit("}", 1)[-1]
        if (tag in _DROP or child.get("hidden") is not None or _HIDDEN.search(child.get("style") or "")
                or _CHROME.search(f"{child.get('class') or ''} {child.get('id') or ''}")):
            pass
        elif tag == "br":
            out.end()
        elif tag == "tr" and not _layout_row(child):
            out.end()
            cells = [_inline(c) for c in child if isinstance(c.tag, str) and c.tag.lower() in ("td", "th")]
            cells = [c for c in cells if c]
            if cells:
                out.lines.append("\t".join(cells))
        elif tag in _BLOCK or tag in ("td", "th"):
            out.end()
            if child.text:
                out.add(child.text)
            _walk(child, out)
            out.end()
        else:
            if child.text:
                out.add(child.text)
            _walk(child, out)
        if child.tail:
            out.add(child.tail)


def html_text(markup: str) -> str:
    """The readable text of an HTML page (see the module's docstring for what is kept)."""
    import lxml.html

    markup = re.sub(r"^\s*<\?xml[^>]*>", "", markup)
    if not markup.strip():
        return ""
    root = lxml.html.document_fromstring(markup)
    body = root.find("body")
    out = _Out()
    _walk(body if body is not None else root, out)
    out.end()
    return "\n".join(out.lines)


def _mht_html(data: bytes) -> tuple[bytes, str | None] | None:
    """The first text/html part of an MHT file (bytes, declared charset)."""
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            if payload:
                return payload, part.get_content_charset()
    return None


def extract_html(path) -> Extracted:
    from archive.extract.detect import detect_type

    path = Path(path)
    kind = detect_type(path)
    data = read_limited(path, MAX_HTML_BYTES, "网页文件", "请另存为 PDF 后再试")
    declared = None
    if kind == "mht":
        found = _mht_html(data)
        if found is None:
            raise fail(path, "MHT 文件中没有网页正文（text/html 部分）", "请在浏览器中打开后另存为 PDF 再试")
        data, declared = found
    markup = _decode(data, declared)
    if markup is None:
        raise fail(path, "网页的文字编码无法识别", "请在浏览器中打开后另存为 PDF 再试")
    try:
        text = html_text(markup)
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001 - lxml raises several kinds on broken markup
        raise fail(path, f"网页无法解析{damage_detail(e)}", "请在浏览器中打开后另存为 PDF 再试") from e
    if not text.strip():
        raise fail(path, "网页中没有可读文字", "请在浏览器中打开后另存为 PDF 再试")
    return Extracted(media_type=kind, text=text, pages=1, page_texts=[text])
