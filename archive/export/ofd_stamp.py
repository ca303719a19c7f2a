"""归档章 on an OFD record: a copy of the OFD with the stamp as an annotation (GB/T 33190-2016, 注释).

The stored OFD is copied entry by entry into a new package; the page content is not touched. Added:

* ``Annots/Annotations.xml`` (the document's 注释列表, referenced from ``Document.xml``'s
  ``Annotations``), or, when the document already has annotations, one more ``Page`` entry in its list
  (or one more ``Annot`` in the first page's own annotation file);
* the page's annotation file (``Annots/Page_0/Annotation.xml``): one ``Annot Type="Stamp"`` whose ``Appearance`` (placed at the top right
  of page 1, 45 mm × 16 mm as the PDF stamp) holds the red 2 × 3 grid as a ``PathObject`` and the six
  labels and values as ``TextObject`` s;
* ``Annots/ArchiveStampRes.xml``: one more ``PublicRes`` with the font (宋体) the text is drawn in.

``Document.xml`` is edited as text (its elements inserted at their schema position) so everything else
in it stays byte for byte; ``MaxUnitID`` grows by the ids used. A signed OFD's signatures cover
``Document.xml``: in the copy they no longer verify (the stored original keeps them; the caller says so).
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from archive import display
from archive.errors import ExportError
from archive.export import atomic_output
from archive.export.stamp import CELL_H, CELL_W, MARGIN_RIGHT, MARGIN_TOP

RED = "217 13 13"  # RGB, as the PDF stamp's (0.85, 0.05, 0.05)
LABEL_SIZE = 1.5  # mm (4.2 pt)
VALUE_SIZE = 3.0  # mm (8.5 pt), smaller when a value is long
FOLDER = "Annots"  # as other producers name it; a few readers take the page from ``Page_<n>`` in the path


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(el, name):
    return next((c for c in el if _local(c.tag) == name), None) if el is not None else None


def _prefix(text: str, root_name: str) -> str:
    """The namespace prefix (``ofd:`` or ``""``) the file's root element is written with."""
    m = re.search(rf"<([A-Za-z_][\w.-]*:)?{root_name}[\s>/]", text)
    return (m.group(1) or "") if m else ""


def _insert_before(text: str, p: str, names: tuple[str, ...], closing: str, fragment: str) -> str:
    """Insert ``fragment`` before the first element named in ``names``, else before ``</p:closing>``."""
    for name in names:
        m = re.search(rf"<{re.escape(p)}{name}[\s>/]", text)
        if m:
            return text[:m.start()] + fragment + text[m.start():]
    end = text.rfind(f"</{p}{closing}>")
    if end < 0:
        raise ValueError(f"no </{p}{closing}>")
    return text[:end] + fragment + text[end:]


def _width(text: str, size: float) -> list[float]:
    return [size if unicodedata.east_asian_width(ch) in ("W", "F", "A") else size * 0.5 for ch in text]


def _text_object(oid: int, font: int, p: str, x: float, y: float, text: str, size: float, baseline: float) -> str:
    """A TextObject filling one cell (``x``, ``y``: the cell's top left in the appearance), centred."""
    advances = _width(text, size)
    start = max(0.0, (CELL_W - sum(advances)) / 2)
    deltas = " ".join(f"{a:.3f}" for a in advances[:-1])
    delta = f' DeltaX="{deltas}"' if deltas else ""
    return (f'<{p}TextObject ID="{oid}" Font="{font}" Size="{size:.2f}" Boundary="{x:.2f} {y:.2f} {CELL_W:.2f} '
            f'{CELL_H:.2f}"><{p}FillColor Value="{RED}"/><{p}TextCode X="{start:.3f}" Y="{baseline:.3f}"{delta}>'
            f"{escape(text)}</{p}TextCode></{p}TextObject>")


def _annot(p: str, ids: list[int], font: int, left: float, top: float, cells, remark: str) -> str:
    """The Stamp annotation: grid and texts, coordinates relative to its Appearance boundary."""
    w, h = 3 * CELL_W, 2 * CELL_H
    i = 0.15  # half the outer line: a reader clips a path to its Boundary
    grid = (f"M {i:g} {i:g} L {w - i:g} {i:g} L {w - i:g} {h - i:g} L {i:g} {h - i:g} C "
            f"M 0 {CELL_H:g} L {w:g} {CELL_H:g} M {CELL_W:g} 0 L {CELL_W:g} {h:g} "
            f"M {2 * CELL_W:g} 0 L {2 * CELL_W:g} {h:g}")
    it = iter(ids)
    annot_id, path_id = next(it), next(it)
    objs = [f'<{p}PathObject ID="{path_id}" Boundary="0 0 {w:g} {h:g}" LineWidth="0.3" Stroke="true" Fill="false">'
            f'<{p}StrokeColor Value="{RED}"/><{p}AbbreviatedData>{grid}</{p}AbbreviatedData></{p}PathObject>']
    for r, row in enumerate(cells):
        for k, (label, value) in enumerate(row):
            x, y = k * CELL_W, r * CELL_H
            objs.append(_text_object(next(it), font, p, x, y, label, LABEL_SIZE, 0.8 + LABEL_SIZE))
            size = VALUE_SIZE
            while size > 1.4 and sum(_width(value, size)) > CELL_W - 2:
                size -= 0.2
            if value:
                objs.append(_text_object(next(it), font, p, x, y, value, size, CELL_H - 1.3))
    today = display.today().isoformat()
    return (f'<{p}Annot ID="{annot_id}" Type="Stamp" Creator="archive" LastModDate="{today}" Visible="true" '
            f'Print="true" NoZoom="false" NoRotate="false" ReadOnly="true">'
            f"<{p}Remark>{escape(remark)}</{p}Remark>"
            f'<{p}Appearance Boundary="{left:.2f} {top:.2f} {w:g} {h:g}">{"".join(objs)}</{p}Appearance>'
            f"</{p}Annot>")


def _xmlns(uri: str) -> tuple[str, str]:
    """(prefix, declaration) for a new file in the document's own namespace."""
    return ("ofd:", f' xmlns:ofd="{uri}"') if uri else ("", "")


def _decode(data: bytes) -> tuple[str, str]:
    """An XML file's text and the encoding it declares (UTF-8 unless it says otherwise, e.g. GB18030)."""
    m = re.match(rb'<\?xml[^>]*encoding=["\']([A-Za-z0-9_.-]+)["\']', data.lstrip(b"\xef\xbb\xbf"))
    enc = m.group(1).decode("ascii") if m else "utf-8"
    return data.decode(enc), enc


class _Unusual(Exception):
    """The OFD is not built the way the standard says (a reference that leads nowhere)."""


def stamp_ofd_file(src: Path, cells, out: Path, ref: str) -> bool:
    """Write ``out``: a copy of the OFD ``src`` with the 归档章 annotation on page 1.
    Returns whether the OFD carries signatures (which no longer verify in the copy)."""
    from archive.extract import open_zip
    from archive.extract.ofd import _Package

    with open_zip(src, "OFD") as zf:
        try:
            changed, added, signed = _build(zf, _Package(src, zf), cells, ref)
        except Exception as e:  # noqa: BLE001 - a damaged or unusual OFD: one line, nothing written
            raise ExportError(f"{ref} 的 OFD 结构无法识别（缺少或损坏了必需的部件），不能加盖归档章："
                              "请先运行 archive verify 检查该文件") from e
        with atomic_output(out) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for info in zf.infolist():
                data = changed.get(info.filename)
                z.writestr(info, data if data is not None else zf.read(info))
            for name, data in added.items():
                z.writestr(name, data)
    return signed


def _build(zf: zipfile.ZipFile, pkg, cells, ref: str) -> tuple[dict[str, bytes], dict[str, bytes], bool]:
    """(changed entries by their name in the zip, added entries, signed?)"""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)

    def need(value):
        if value is None:
            raise _Unusual()
        return value

    root = etree.fromstring(zf.read(need(pkg.resolve("OFD.xml", ""))), parser)
    body = need(_child(root, "DocBody"))
    signed = _child(body, "Signatures") is not None
    doc_name = need(pkg.resolve(need(_child(body, "DocRoot")).text or "", ""))
    doc_dir = posixpath.dirname(doc_name.replace("\\", "/").lstrip("/"))
    doc_text, doc_enc = _decode(zf.read(doc_name))
    doc = etree.fromstring(zf.read(doc_name), parser)
    uri = doc.tag[1:].split("}")[0] if doc.tag.startswith("{") else ""
    p = _prefix(doc_text, "Document")
    common = need(_child(doc, "CommonData"))
    first = next(c for c in need(_child(doc, "Pages")) if _local(c.tag) == "Page")
    page_id = need(first.get("ID"))
    page_name = pkg.resolve(first.get("BaseLoc") or "", doc_dir)
    box = None
    if page_name:
        box = _child(_child(etree.fromstring(zf.read(page_name), parser), "Area"), "PhysicalBox")
    if box is None:
        box = need(_child(_child(common, "PageArea"), "PhysicalBox"))
    bx, by, bw, _bh = (float(v) for v in box.text.split())

    # ids above every id in use (MaxUnitID is not always right)
    used = [int(m) for n in zf.namelist() if n.lower().endswith(".xml")
            for m in re.findall(rb'\bID="(\d+)"', zf.read(n))]
    max_unit = _child(common, "MaxUnitID")
    if max_unit is not None and (max_unit.text or "").strip().isdigit():
        used.append(int(max_unit.text))
    base = max(used, default=0)
    font_id, ids = base + 1, list(range(base + 2, base + 2 + 2 + 12))  # annot, grid, up to 12 texts

    left, top = bx + bw - MARGIN_RIGHT - 3 * CELL_W, by + MARGIN_TOP
    np, decl = _xmlns(uri)
    remark = f"归档章 {ref}"
    names = set(pkg.names)
    added: dict[str, bytes] = {}
    changed: dict[str, bytes] = {}

    def fresh(name: str) -> str:
        stem, ext = posixpath.splitext(name)
        k, cand = 1, name
        while cand in names or cand in added:
            k += 1
            cand = f"{stem}_{k}{ext}"
        return cand

    def new_file(root_name: str, inner: str) -> bytes:
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{np}{root_name}{decl}>{inner}'
                f"</{np}{root_name}>").encode("utf-8")

    folder = posixpath.join(doc_dir, FOLDER)
    page_file = posixpath.join(folder, "Page_0", "Annotation.xml")  # the first page's (index 0)
    res_name = fresh(posixpath.join(folder, "ArchiveStampRes.xml"))
    added[res_name] = (f'<?xml version="1.0" encoding="UTF-8"?>\n<{np}Res{decl} BaseLoc="Res"><{np}Fonts>'
                       f'<{np}Font ID="{font_id}" FontName="宋体" FamilyName="宋体" Charset="unicode"/>'
                       f"</{np}Fonts></{np}Res>").encode("utf-8")
    # the page's annotation: in the document's own list when it has one, else in a new list
    annots_el = _child(doc, "Annotations")
    if annots_el is not None:
        annots_name = need(pkg.resolve(annots_el.text or "", doc_dir))
        list_text, list_enc = _decode(zf.read(annots_name))
        lst = etree.fromstring(zf.read(annots_name), parser)
        lp = _prefix(list_text, "Annotations")
        list_dir = posixpath.dirname(annots_name.replace("\\", "/").lstrip("/"))
        entry = next((e for e in lst if _local(e.tag) == "Page" and e.get("PageID") == page_id), None)
        if entry is not None:
            page_annot = need(pkg.resolve(need(_child(entry, "FileLoc")).text or "", list_dir))
            pa_text, pa_enc = _decode(zf.read(page_annot))
            pp = _prefix(pa_text, "PageAnnot")
            changed[page_annot] = _insert_before(pa_text, pp, (), "PageAnnot", _annot(
                pp, ids, font_id, left, top, cells, remark)).encode(pa_enc)
        else:
            pa_name = fresh(page_file)
            added[pa_name] = new_file("PageAnnot", _annot(np, ids, font_id, left, top, cells, remark))
            rel = posixpath.relpath(pa_name, list_dir)
            changed[annots_name] = _insert_before(
                list_text, lp, (), "Annotations",
                f'<{lp}Page PageID="{page_id}"><{lp}FileLoc>{rel}</{lp}FileLoc></{lp}Page>').encode(list_enc)
    else:
        pa_name = fresh(page_file)
        list_name = fresh(posixpath.join(folder, "Annotations.xml"))
        added[pa_name] = new_file("PageAnnot", _annot(np, ids, font_id, left, top, cells, remark))
        added[list_name] = new_file("Annotations", f'<{np}Page PageID="{page_id}"><{np}FileLoc>'
                                                   f"{posixpath.relpath(pa_name, folder)}</{np}FileLoc></{np}Page>")
        doc_text = _insert_before(doc_text, p, ("CustomTags", "Attachments", "Extensions"), "Document",
                                  f"<{p}Annotations>{posixpath.relpath(list_name, doc_dir)}</{p}Annotations>")
    doc_text = _insert_before(doc_text, p, ("PublicRes", "DocumentRes", "TemplatePage", "DefaultCS"), "CommonData",
                              f"<{p}PublicRes>{posixpath.relpath(res_name, doc_dir)}</{p}PublicRes>")
    if max_unit is not None:
        doc_text = re.sub(rf"(<{re.escape(p)}MaxUnitID>)\s*\d+\s*(</{re.escape(p)}MaxUnitID>)",
                          rf"\g<1>{ids[-1]}\g<2>", doc_text, count=1)
    changed[doc_name] = doc_text.encode(doc_enc)
    for data in (*changed.values(), *added.values()):  # every file written parses
        etree.fromstring(data, parser)
    return changed, added, signed
