"""DOCX text, with python-docx opening the package and a walk over the WordprocessingML.

Text comes in document order: the section headers (页眉, each part once), then the body, where
paragraphs and tables are interleaved as they stand, then the footers (页脚). A table row whose
cells each hold one line becomes one line with the cells separated by a tab; otherwise every line
of every cell follows in order. Text boxes (``w:txbxContent``) are read where they are anchored,
before the anchoring paragraph's own text; of an ``mc:AlternateContent`` only the first
``mc:Choice`` is read (the ``mc:Fallback`` holds a VML copy of the same text box). Deleted text
(tracked changes) and field instructions are skipped. A symbol run (``w:sym``, Word's Insert → Symbol) becomes the
character it shows (Wingdings/Symbol stars as ★, others as the font's private-use code point), so a ★ of a 密级 mark
is in the text. Page count: ``<Pages>`` in docProps/app.xml, else 1.

``docx_places`` gives the 涉密 gate (``archive.secrecy``) each place a mark can stand on its own (headers, footers,
text boxes, the body), and ``head_pictures`` the pictures of the page headers and of the first paragraphs.
"""

from __future__ import annotations

from pathlib import Path

from archive.errors import ExtractionError, damage_detail, library_reason
from archive.extract import fail, open_zip
from archive.models import Extracted

__all__ = ["extract_docx", "docx_lines", "docx_places", "head_pictures", "symbol_char"]

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
EP = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"

# symbol-font code points (w:sym w:char, 0xF000 + the font's byte) that show a star: Wingdings ★☆✪✫✬✭✮✯✰,
# Wingdings 2's stars, Symbol's asterisk
_STAR_SYMBOLS = {
    "wingdings": set(range(0xAB, 0xB7)),
    "wingdings 2": set(range(0xDD, 0xF9)),
    "wingdings 3": set(),
    "symbol": {0x2A},
    "webdings": {0xA6},
}


def symbol_char(font: str | None, code: str | None) -> str:
    """The character a ``w:sym`` run shows: ★ for a symbol font's star, else the private-use code point."""
    try:
        value = int(code or "", 16)
    except ValueError:
        return ""
    byte = value & 0xFF if value >= 0xF000 or value < 0x100 else None
    if byte is not None and byte in _STAR_SYMBOLS.get((font or "").strip().lower(), set()):
        return "★"
    if value < 0x100:
        value |= 0xF000
    return chr(value) if value <= 0x10FFFF else ""


_SKIP = {"delText", "instrText", "delInstrText", "rPr", "pPr", "tblPr", "tcPr", "trPr", "sectPr",
         "fldData", "footnoteReference", "endnoteReference", "commentReference"}


def _local(tag) -> str:
    if not isinstance(tag, str):  # comments, processing instructions
        return ""
    return tag.rsplit("}", 1)[-1]


def _ns(tag) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _alternate_branch(el):
    """The branch of an mc:AlternateContent to read: the first Choice, else the Fallback."""
    for child in el:
        if _ns(child.tag) == MC and _local(child.tag) == "Choice":
            return child
    for child in el:
        if _ns(child.tag) == MC and _local(child.tag) == "Fallback":
            return child
    return None


def _inline(el, out: list[str], boxes: list[str]) -> None:
    """Collect the run text under ``el`` into ``out``; text box lines into ``boxes``."""
    for child in el:
        name = _local(child.tag)
        if not name or name in _SKIP:
            continue
        if name == "AlternateContent" and _ns(child.tag) == MC:
            branch = _alternate_branch(child)
            if branch is not None:
                _inline(branch, out, boxes)
            continue
        if name == "txbxContent":
            boxes.extend(_blocks(child))
            continue
        if _ns(child.tag) == W:
            if name == "t":
                out.append(child.text or "")
                continue
            if name in ("tab", "ptab"):
                out.append("\t")
                continue
            if name in ("br", "cr"):
                out.append("\n")
                continue
            if name == "sym":
                out.append(symbol_char(child.get(f"{{{W}}}font"), child.get(f"{{{W}}}char")))
                continue
            if name == "noBreakHyphen":
                out.append("-")
                continue
            if name == "softHyphen":
                continue
        _inline(child, out, boxes)


def _paragraph(p) -> list[str]:
    out: list[str] = []
    boxes: list[str] = []
    _inline(p, out, boxes)
    text = "".join(out)
    lines = list(boxes)
    if text.strip():
        lines.extend(text.split("\n"))
    return lines


def _table(tbl) -> list[str]:
    lines: list[str] = []
    for tr in _children(tbl, "tr"):
        cells = [_blocks(tc) for tc in _children(tr, "tc")]
        cells = [[ln for ln in c if ln.strip()] for c in cells]
        if all(len(c) <= 1 for c in cells):
            row = "\t".join(c[0] for c in cells if c)
            if row.strip():
                lines.append(row)
        else:
            for c in cells:
                lines.extend(c)
    return lines


def _children(el, name: str):
    """Child elements named ``name``, looking through sdt/customXml/AlternateContent wrappers."""
    for child in el:
        local = _local(child.tag)
        if local == name:
            yield child
        elif local in ("sdt", "customXml", "sdtContent"):
            yield from _children(child, name)
        elif local == "AlternateContent":
            branch = _alternate_branch(child)
            if branch is not None:
                yield from _children(branch, name)


def _blocks(container) -> list[str]:
    """Lines of a block container: body, tc, txbxContent, hdr, ftr, sdtContent …"""
    lines: list[str] = []
    for child in container:
        name = _local(child.tag)
        if name == "p":
            lines.extend(_paragraph(child))
        elif name == "tbl":
            lines.extend(_table(child))
        elif name in ("sdt", "customXml", "sdtContent", "ins", "moveTo", "smartTag"):
            lines.extend(_blocks(child))
        elif name == "AlternateContent":
            branch = _alternate_branch(child)
            if branch is not None:
                lines.extend(_blocks(branch))
        elif name == "txbxContent":
            lines.extend(_blocks(child))
    return lines


def docx_lines(document) -> tuple[list[str], list[str], list[str]]:
    """(header lines, body lines, footer lines) of a python-docx Document."""
    body = document.element.body
    part = document.part
    headers: list[str] = []
    footers: list[str] = []
    seen: set[str] = set()
    for ref in body.iter(f"{{{W}}}headerReference", f"{{{W}}}footerReference"):
        rid = ref.get(f"{{{R}}}id")
        if not rid or rid in seen or rid not in part.rels:
            continue
        seen.add(rid)
        rel = part.rels[rid]
        if rel.is_external:
            continue
        element = getattr(rel.target_part, "element", None)
        if element is None:
            continue
        target = headers if _local(ref.tag) == "headerReference" else footers
        target.extend(_blocks(element))
    return headers, _blocks(body), footers


def docx_places(document) -> list[tuple[str, list[str]]]:
    """(where, lines) of each place a 密级 mark can stand: 页眉, 页脚, 文本框, 正文 (Chinese names)."""
    headers, body, footers = docx_lines(document)
    boxes: list[str] = []
    for box in document.element.body.iter(f"{{{W}}}txbxContent"):
        boxes.extend(_blocks(box))
    places = [("页眉", headers), ("文本框", boxes), ("正文", body), ("页脚", footers)]
    return places + _other_parts(document)


_NOTES = {"footnotes.xml": "脚注", "endnotes.xml": "尾注", "comments.xml": "批注"}


def _other_parts(document) -> list[tuple[str, list[str]]]:
    """Footnotes, endnotes, comments (their paragraphs) and the document properties (``name：value`` lines)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    out: list[tuple[str, list[str]]] = []
    props: list[str] = []
    for part in document.part.package.iter_parts():
        name = str(part.partname).rsplit("/", 1)[-1]
        if name not in _NOTES and not str(part.partname).startswith("/docProps/"):
            continue
        try:
            root = etree.fromstring(part.blob, parser)
        except (etree.XMLSyntaxError, ValueError):
            continue
        if name in _NOTES:
            out.append((_NOTES[name], [ln for p in root.iter(f"{{{W}}}p") for ln in _paragraph(p)]))
            continue
        for el in root.iter():
            label = el.get("name") or _local(el.tag)
            text = "".join(el.itertext()).strip() if len(el) == 0 or el.get("name") else ""
            if text:
                props.append(f"{label}：{text}")
    if props:
        out.append(("文档属性", props))
    return out


A = "http://schemas.openxmlformats.org/drawingml/2006/main"
V = "urn:schemas-microsoft-com:vml"


def head_pictures(document, paragraphs: int = 12, limit: int = 12) -> list[tuple[str, bytes]]:
    """(where, image bytes) of the pictures in the page headers and in the first ``paragraphs`` body blocks:
    where a picture of a 密级 mark would stand."""
    out: list[tuple[str, bytes]] = []

    def take(element, part, where):
        for el in element.iter(f"{{{A}}}blip", f"{{{V}}}imagedata"):
            rid = el.get(f"{{{R}}}embed") or el.get(f"{{{R}}}id")
            rel = part.rels.get(rid) if rid else None
            if rel is None or rel.is_external or len(out) >= limit:
                continue
            blob = getattr(rel.target_part, "blob", None)
            if blob:
                out.append((where, blob))

    part = document.part
    body = document.element.body
    for ref in body.iter(f"{{{W}}}headerReference"):
        rel = part.rels.get(ref.get(f"{{{R}}}id"))
        if rel is not None and not rel.is_external and getattr(rel.target_part, "element", None) is not None:
            take(rel.target_part.element, rel.target_part, "页眉图片")
    for i, child in enumerate(c for c in body if _local(c.tag) in ("p", "tbl", "sdt")):
        if i >= paragraphs:
            break
        take(child, part, "首页上部图片")
    return out


def _pages(zf) -> int:
    from lxml import etree

    try:
        data = zf.read("docProps/app.xml")
    except KeyError:
        return 1
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        pages = root.find(f"{{{EP}}}Pages")
        value = int((pages.text or "").strip()) if pages is not None else 1
    except MemoryError:  # past the worker's memory limit: the file fails as such
        raise
    except Exception:  # noqa: BLE001 - a bad app.xml only costs the page count
        return 1
    return value if value > 0 else 1


def extract_docx(path) -> Extracted:
    import docx

    path = Path(path)
    with open_zip(path, "DOCX") as zf:
        try:
            bad = zf.testzip()
        except MemoryError:  # past the worker's memory limit: the file fails as such
            raise
        except Exception as e:  # noqa: BLE001
            raise fail(path, f"DOCX 文件已损坏（{library_reason(e) or e}）", "请用 Word/WPS 打开后另存为 DOCX 或 PDF 再试") from e
        if bad is not None:
            raise fail(path, f"DOCX 文件已损坏（部件 {bad} 校验失败）", "请用 Word/WPS 打开后另存为 DOCX 或 PDF 再试")
        pages = _pages(zf)
    try:
        document = docx.Document(str(path))
        headers, body, footers = docx_lines(document)
    except ExtractionError:
        raise
    except MemoryError:  # past the worker's memory limit: the file fails as such
        raise
    except Exception as e:  # noqa: BLE001 - python-docx/lxml raise many kinds on damaged files
        raise fail(path, f"DOCX 文件已损坏或不是有效的 Word 文档{damage_detail(e)}",
                   "请用 Word/WPS 打开后另存为 DOCX 或 PDF 再试") from e
    text = "\n".join(headers + body + footers)
    return Extracted(media_type="docx", text=text, pages=pages, page_texts=[text])
