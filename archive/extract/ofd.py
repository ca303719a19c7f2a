"""OFD (GB/T 33190-2016) text.

An OFD is a zip: ``OFD.xml`` → ``DocBody/DocRoot`` → ``Document.xml`` → ``Pages/Page/@BaseLoc`` →
each page's ``Content.xml`` (plus the page's template pages). Every ``TextCode`` of every
``TextObject`` is placed on the page (``Boundary`` origin + ``CTM`` applied to the TextCode's X/Y),
grouped into lines by baseline (tolerance: 40 % of the font size), sorted left to right within a
line, with a space where the gap between two pieces is wider than half a character. Lines are
joined with ``\\n``; pages with ``\\n``. Namespaces are matched by local name (producers write
``http://www.ofdspec.org/2016``, ``http://www.ofdspec.org`` or none). Locations are resolved
relative to the referring file's folder, or from the package root when they start with ``/``
(or when only that resolves). Annotations and signatures (seals) are not read.
"""

from __future__ import annotations

import posixpath
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from archive.errors import ExtractionError, damage_detail
from archive.extract import NoTextLayerError, fail, open_zip
from archive.models import Extracted

__all__ = ["extract_ofd"]

_TODO = "请用 OFD 阅读器打开后另存或导出为 PDF 再试"


@dataclass
class _Piece:
    x: float
    y: float  # baseline
    end: float
    size: float
    text: str


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _find(el, *names):
    """First descendant path by local names (child by child)."""
    for name in names:
        if el is None:
            return None
        el = next((c for c in el if _local(c.tag) == name), None)
    return el


def _iter(el, name: str):
    return (e for e in el.iter() if _local(e.tag) == name)


def _floats(s: str | None) -> list[float]:
    if not s:
        return []
    try:
        return [float(v) for v in s.split()]
    except ValueError:
        return []


def _deltas(s: str | None) -> list[float]:
    """Parse DeltaX/DeltaY, including the ``g N d`` repeat shorthand."""
    if not s:
        return []
    out: list[float] = []
    tokens = s.split()
    i = 0
    try:
        while i < len(tokens):
            if tokens[i] == "g" and i + 2 < len(tokens):
                out.extend([float(tokens[i + 2])] * int(tokens[i + 1]))
                i += 3
            else:
                out.append(float(tokens[i]))
                i += 1
    except ValueError:
        return out
    return out


def _char_width(ch: str, size: float) -> float:
    return size if unicodedata.east_asian_width(ch) in ("W", "F") else size * 0.5


class _Package:
    def __init__(self, path: Path, zf: zipfile.ZipFile):
        self.path = path
        self.zf = zf
        self.names = {n.replace("\\", "/").lstrip("/"): n for n in zf.namelist()}
        self.lower = {k.lower(): v for k, v in self.names.items()}

    def resolve(self, loc: str, base_dir: str) -> str | None:
        loc = (loc or "").strip().replace("\\", "/")
        if not loc:
            return None
        candidates = []
        if loc.startswith("/"):
            candidates.append(loc.lstrip("/"))
        else:
            candidates.append(posixpath.normpath(posixpath.join(base_dir, loc)))
            candidates.append(posixpath.normpath(loc))
        for c in candidates:
            c = c.lstrip("/")
            if c in self.names:
                return self.names[c]
            if c.lower() in self.lower:
                return self.lower[c.lower()]
        return None

    def xml(self, name: str):
        from lxml import etree

        data = self.zf.read(name)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
        return etree.fromstring(data, parser)


def _pieces(root) -> list[_Piece]:
    out: list[_Piece] = []
    for obj in _iter(root, "TextObject"):
        box = _floats(obj.get("Boundary"))
        bx, by = (box[0], box[1]) if len(box) >= 2 else (0.0, 0.0)
        ctm = _floats(obj.get("CTM"))
        a, b, c, d, e, f = ctm if len(ctm) == 6 else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        scale = abs(d) or abs(a) or 1.0
        try:
            size = float(obj.get("Size") or 3.5)
        except ValueError:
            size = 3.5
        px = py = 0.0
        for code in _iter(obj, "TextCode"):
            text = code.text or ""
            try:
                x = float(code.get("X")) if code.get("X") is not None else px
                y = float(code.get("Y")) if code.get("Y") is not None else py
            except ValueError:
                x, y = px, py
            deltas = _deltas(code.get("DeltaX"))
            width = 0.0
            for i, ch in enumerate(text):
                width += deltas[i] if i < len(deltas) and i < len(text) - 1 else _char_width(ch, size)
            px, py = x + width, y
            if not text:
                continue
            ax = bx + a * x + c * y + e
            ay = by + b * x + d * y + f
            out.append(_Piece(ax, ay, ax + width * scale, size * scale, text))
    return out


def _lines(pieces: list[_Piece]) -> list[str]:
    pieces = sorted(pieces, key=lambda p: (p.y, p.x))
    rows: list[list[_Piece]] = []
    for p in pieces:
        if rows:
            row = rows[-1]
            ref = row[0]
            if abs(p.y - ref.y) <= 0.4 * max(min(p.size, ref.size), 1.0):
                row.append(p)
                continue
        rows.append([p])
    lines: list[str] = []
    for row in rows:
        row.sort(key=lambda p: p.x)
        parts: list[str] = []
        prev: _Piece | None = None
        for p in row:
            if prev is not None and p.x - prev.end > 0.5 * max(min(p.size, prev.size), 0.5):
                parts.append(" ")
            parts.append(p.text)
            prev = p if prev is None or p.end > prev.end else prev
        lines.append("".join(parts))
    return lines


def extract_ofd(path) -> Extracted:
    path = Path(path)
    with open_zip(path, "OFD") as zf:
        try:
            return _read(path, _Package(path, zf))
        except ExtractionError:
            raise
        except MemoryError:  # past the worker's memory limit: the file fails as such
            raise
        except Exception as e:  # noqa: BLE001 - lxml/zipfile raise many kinds on damaged files
            raise fail(path, f"OFD 文件已损坏{damage_detail(e)}", _TODO) from e


def _read(path: Path, pkg: _Package) -> Extracted:
    entry = pkg.resolve("OFD.xml", "")
    if entry is None:
        raise fail(path, "OFD 文件缺少 OFD.xml", _TODO)
    root = pkg.xml(entry)
    page_texts: list[str] = []
    warnings: list[str] = []
    doc_roots = [e for e in _iter(root, "DocRoot") if (e.text or "").strip()]
    if not doc_roots:
        raise fail(path, "OFD.xml 中没有 DocRoot（文档入口）", _TODO)
    for doc_root in doc_roots:
        doc_name = pkg.resolve(doc_root.text, "")
        if doc_name is None:
            raise fail(path, f"OFD 文档 {doc_root.text.strip()} 不存在", _TODO)
        doc = pkg.xml(doc_name)
        doc_dir = posixpath.dirname(doc_name.replace("\\", "/"))
        templates: dict[str, str] = {}
        for tpl in _iter(doc, "TemplatePage"):
            loc = pkg.resolve(tpl.get("BaseLoc", ""), doc_dir)
            if loc and tpl.get("ID"):
                templates[tpl.get("ID")] = loc
        pages_el = _find(doc, "Pages")
        page_refs = [p for p in pages_el if _local(p.tag) == "Page"] if pages_el is not None else []
        for n, page in enumerate(page_refs, start=len(page_texts) + 1):
            loc = pkg.resolve(page.get("BaseLoc", ""), doc_dir)
            if loc is None:
                warnings.append(f"第{n}页的内容文件 {page.get('BaseLoc')} 不存在，已跳过")
                page_texts.append("")
                continue
            content = pkg.xml(loc)
            pieces = _pieces(content)
            for t in _iter(content, "Template"):
                tpl_loc = templates.get(t.get("TemplateID", ""))
                if tpl_loc:
                    pieces.extend(_pieces(pkg.xml(tpl_loc)))
            page_texts.append("\n".join(_lines(pieces)))
    pages = len(page_texts)
    if pages == 0:
        raise fail(path, "OFD 文件没有页面", _TODO)
    if not any(t.strip() for t in page_texts):
        raise fail(path, "OFD 没有文字层（可能是扫描件），需要 OCR", "请提供带文字层的 OFD 或 PDF",
                   NoTextLayerError, media_type="ofd", pages=pages)
    empty = [str(i + 1) for i, t in enumerate(page_texts) if not t.strip()]
    if empty:
        warnings.append(f"第{'、'.join(empty)}页没有文字（可能是扫描页或空白页）")
    return Extracted(media_type="ofd", text="\n".join(page_texts), pages=pages,
                     page_texts=page_texts, warnings=warnings)



def page_images(path) -> list[tuple[int, bytes | None]]:
    """Per page (1-based), the bytes of the largest image drawn on it (a scan saved as OFD), or None.

    Images are ``ImageObject``s whose ``ResourceID`` names a ``MultiMedia`` in the document's resource files
    (``PublicRes``/``DocumentRes``, relative to their ``BaseLoc``)."""
    path = Path(path)
    out: list[tuple[int, bytes | None]] = []
    with open_zip(path, "OFD") as zf:
        pkg = _Package(path, zf)
        try:
            root = pkg.xml(pkg.resolve("OFD.xml", "") or "OFD.xml")
            for doc_root in (e for e in _iter(root, "DocRoot") if (e.text or "").strip()):
                doc_name = pkg.resolve(doc_root.text, "")
                if doc_name is None:
                    continue
                doc = pkg.xml(doc_name)
                doc_dir = posixpath.dirname(doc_name.replace("\\", "/"))
                media = _media(pkg, doc, doc_dir)
                templates = {t.get("ID"): pkg.resolve(t.get("BaseLoc", ""), doc_dir)
                             for t in _iter(doc, "TemplatePage") if t.get("ID")}
                pages_el = _find(doc, "Pages")
                for page in (p for p in (pages_el if pages_el is not None else []) if _local(p.tag) == "Page"):
                    n = len(out) + 1
                    loc = pkg.resolve(page.get("BaseLoc", ""), doc_dir)
                    best, data = 0.0, None
                    if loc is not None:
                        content = pkg.xml(loc)
                        page_dir = posixpath.dirname(loc.replace("\\", "/"))
                        media_here = {**media, **_media(pkg, content, page_dir)}
                        layers = [content] + [pkg.xml(templates[t.get("TemplateID")])
                                              for t in _iter(content, "Template") if templates.get(t.get("TemplateID"))]
                        for obj in (o for layer in layers for o in _iter(layer, "ImageObject")):
                            box = _floats(obj.get("Boundary"))
                            area = box[2] * box[3] if len(box) >= 4 else 0.0
                            name = media_here.get(obj.get("ResourceID", ""))
                            if name and area >= best:
                                best, data = area, zf.read(name)
                    out.append((n, data))
        except ExtractionError:
            raise
        except MemoryError:
            raise
        except Exception as e:  # noqa: BLE001
            raise fail(path, f"OFD 文件已损坏{damage_detail(e)}", _TODO) from e
    return out


def _media(pkg: _Package, el, base_dir: str) -> dict[str, str]:
    """MultiMedia ID -> zip entry of its file, from the resource files an element names."""
    out: dict[str, str] = {}
    for tag in ("PublicRes", "DocumentRes", "PageRes"):
        for res in _iter(el, tag):
            res_name = pkg.resolve(res.text or "", base_dir)
            if res_name is None:
                continue
            res_root = pkg.xml(res_name)
            res_dir = posixpath.dirname(res_name.replace("\\", "/"))
            base = res_root.get("BaseLoc", "")
            for mm in _iter(res_root, "MultiMedia"):
                mf = _find(mm, "MediaFile")
                if mf is None or not (mf.text or "").strip():
                    continue
                name = (pkg.resolve(posixpath.join(base, mf.text.strip()), res_dir)
                        or pkg.resolve(mf.text.strip(), res_dir))
                if name and mm.get("ID"):
                    out[mm.get("ID")] = name
    return out
