"""DOCX text, with python-docx opening the package and a walk over the WordprocessingML.

Text comes in document order: the section headers (页眉, each part once), then the body, where
paragraphs and tables are interleaved as they stand, then the footers (页脚). A table row whose
cells each hold one line becomes one line with the cells separated by a tab; otherwise every line
of every cell follows in order. Text boxes (``w:txbxContent``) are read where they are anchored,
before the anchoring paragraph's own text; of an ``mc:AlternateContent`` only the first
``mc:Choice`` is read (the ``mc:Fallback`` holds a VML copy of the same text box). Deleted text
(tracked changes) and field instructions are skipped. Page count: ``<Pages>`` in
docProps/app.xml, else 1.
"""

from __future__ import annotations

from pathlib import Path

from archive.errors import ExtractionError, damage_detail, library_reason
from archive.extract import fail, open_zip
from archive.models import Extracted

__all__ = ["extract_docx", "docx_lines"]

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
EP = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"

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
