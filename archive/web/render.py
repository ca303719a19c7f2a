"""Files shown as pages on the web page: page images and PDF renditions, made on the server, cached.

- PDF: shown by the browser as it is (nothing here).
- OFD: each page drawn to a PNG with Pillow from the page's own XML (GB/T 33190): its template pages, then its
  layers' image, path and text objects in order, then the page's annotations (a stamp annotation is a seal
  drawn as an annotation) and the seals of its signatures (``Signatures.xml`` → ``Signature.xml``:
  ``StampAnnot`` gives the page and box, the seal's picture is the PNG/JPEG/GIF/BMP carried inside the
  ``SignedValue``). easyofd (PyPI) would draw OFD pages, but it brings PyMuPDF (AGPL), pymupdf4llm and
  onnxruntime with it (``pip install --dry-run easyofd``), so the drawing is ours, with Pillow and lxml that
  the archive already uses; it covers what 公文 OFDs hold (text, images, lines, seals), not every OFD feature
  (no clipping, gradients, patterns or embedded fonts: text is drawn in the system's CJK font).
- Images: each frame re-encoded as a PNG (a TIFF scan or an SVG never goes to the browser as it was).
- DOCX/DOC/WPS/RTF: a PDF made by LibreOffice (archive/extract/office.py, its limits and timeout).

Everything made here is cached by the stored file's SHA-256 under ``<beside the inbox>/cache/renditions``,
never in the store: the cache may be deleted at any time, and nothing here ever touches a stored file. A
record's stored PDF rendition (another rendering of the same document, filed as 其他格式) is preferred to a
LibreOffice one (``stored_rendition``).
"""

from __future__ import annotations

import io
import math
import os
import posixpath
import re
import secrets
import threading
from pathlib import Path

from archive.config import Config
from archive.errors import NotFoundError, StoreError

OFFICE_KINDS = ("docx", "doc", "wps", "rtf")
PAGE_KINDS = ("ofd", "image")
DPI = 120  # page images: an A4 page is about 1000 x 1400 pixels, a seal's lines stay visible
MAX_PAGE_MM = 2000.0  # a page box larger than this (or not positive) is drawn as A4
MAX_OBJECTS = 100_000  # objects drawn on one page: a hostile OFD cannot keep a server thread forever
MAX_IMAGE_PIXELS = 60_000_000  # an image larger than this (a decompression bomb) is not decoded
MAX_PAGES = 2000
A4 = (210.0, 297.0)
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def cache_dir(cfg: Config) -> Path:
    """Beside the inbox like processed/ and failed/: never in the store, never read back as a document."""
    return cfg.inbox.parent / "cache" / "renditions"


def _lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def _write_whole(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _sha(sha256: str | None) -> str:
    if not sha256 or not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise NotFoundError("该文件没有校验码，不能生成页面图像")
    return sha256


def stored_rendition(files: list[dict]) -> dict | None:
    """The record's own stored PDF rendering of its document, when it has one (its PDF/A 版式副本, made by
    archive/rendition.py, or a PDF filed as 其他格式): shown in preference to a LibreOffice one."""
    for role in ("版式副本", "其他格式"):  # the PDF/A rendition (archive/rendition.py) first
        for f in files:
            if f.get("role") == role and f.get("media_type") == "pdf":
                return f
    return None


# ---- office documents: a PDF by LibreOffice -------------------------------------------------------------
def office_pdf(cfg: Config, path: Path, sha256: str, kind: str) -> Path:
    """The cached PDF rendition of a DOCX/DOC/WPS/RTF file (made once per SHA-256)."""
    from archive.extract.office import CONVERT_TIMEOUT, converted, soffice_program

    sha = _sha(sha256)
    out = cache_dir(cfg) / f"{sha}.pdf"
    if out.is_file() and out.stat().st_size:
        return out
    with _lock(out.name):
        if out.is_file() and out.stat().st_size:
            return out
        binary = soffice_program()
        if binary is None:
            raise StoreError("本机未安装 LibreOffice，不能把该文件排成页面：请下载后查看")
        with converted(binary, path, kind, "pdf:writer_pdf_Export", "pdf") as c:
            if c.rc is None:
                raise StoreError(f"排版超时（超过 {CONVERT_TIMEOUT:g} 秒）：请下载后查看")
            if not c.made:
                raise StoreError("LibreOffice 不能排出该文件的页面：请下载后查看")
            return _write_whole(out, c.result.read_bytes())


# ---- images ---------------------------------------------------------------------------------------------
def _open_image(data: bytes):
    from PIL import Image

    try:
        img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as e:  # Pillow's own limit, past twice its warning size
        raise StoreError("图像过大，不在网页上显示：请下载后查看") from e
    except Exception as e:  # noqa: BLE001 - Pillow raises many kinds on damaged files
        raise StoreError("图像已损坏，无法显示：请下载后查看") from e
    if img.width * img.height > MAX_IMAGE_PIXELS:
        raise StoreError(f"图像过大（{img.width}×{img.height} 像素），不在网页上显示：请下载后查看")
    return img


def image_pages(path: Path) -> int:
    img = _open_image(path.read_bytes())
    return max(1, min(MAX_PAGES, getattr(img, "n_frames", 1) or 1))


def _png(img) -> bytes:
    buf = io.BytesIO()
    if img.mode not in ("RGB", "RGBA", "L", "LA"):
        img = img.convert("RGBA" if "A" in img.getbands() or "transparency" in img.info else "RGB")
    img.save(buf, "PNG")
    return buf.getvalue()


def image_page_png(cfg: Config, path: Path, sha256: str, n: int) -> Path:
    """Frame ``n`` (1-based) of a stored image, re-encoded as a PNG."""
    sha = _sha(sha256)
    out = cache_dir(cfg) / f"{sha}-img-{n}.png"
    if out.is_file():
        return out
    img = _open_image(path.read_bytes())
    frames = getattr(img, "n_frames", 1) or 1
    if not 1 <= n <= frames:
        raise NotFoundError(f"该图像没有第 {n} 页")
    try:
        img.seek(n - 1)
        img.load()
        data = _png(img)
    except StoreError:
        raise
    except Exception as e:  # noqa: BLE001
        raise StoreError("图像已损坏，无法显示：请下载后查看") from e
    return _write_whole(out, data)


# ---- OFD --------------------------------------------------------------------------------------------------
def _ofd_fail(e: Exception) -> StoreError:
    return StoreError("OFD 文件无法排成页面（文件损坏或含不支持的内容）：请下载后用 OFD 阅读器查看")


class _Ofd:
    """One OFD document's pages, resources, annotations and seals, read from its XML."""

    def __init__(self, path: Path):
        from archive.extract import open_zip
        from archive.extract.ofd import _find, _iter, _local, _media, _Package

        self.zf = open_zip(path, "OFD")
        self.pkg = pkg = _Package(path, self.zf)
        root = pkg.xml(pkg.resolve("OFD.xml", "") or "OFD.xml")
        body = next(_iter(root, "DocBody"), None)
        doc_root = _find(body, "DocRoot") if body is not None else None
        if doc_root is None or not (doc_root.text or "").strip():
            raise ValueError("no DocRoot")
        self.doc_name = pkg.resolve(doc_root.text, "")
        if self.doc_name is None:
            raise ValueError("DocRoot missing")
        self.doc = pkg.xml(self.doc_name)
        self.doc_dir = posixpath.dirname(self.doc_name.replace("\\", "/"))
        self.media = _media(pkg, self.doc, self.doc_dir)
        self.fonts = {}
        self.templates = {t.get("ID"): pkg.resolve(t.get("BaseLoc", ""), self.doc_dir)
                          for t in _iter(self.doc, "TemplatePage") if t.get("ID")}
        pages_el = _find(self.doc, "Pages")
        self.pages = [(p.get("ID"), pkg.resolve(p.get("BaseLoc", ""), self.doc_dir))
                      for p in (pages_el if pages_el is not None else []) if _local(p.tag) == "Page"][:MAX_PAGES]
        box = _find(self.doc, "CommonData", "PageArea", "PhysicalBox")
        self.default_box = _box(box.text if box is not None else None)
        self.sig_loc = None
        sigs = _find(body, "Signatures")
        if sigs is not None and (sigs.text or "").strip():
            self.sig_loc = pkg.resolve(sigs.text, posixpath.dirname(self.doc_name)) or pkg.resolve(sigs.text, "")

    def close(self):
        self.zf.close()

    def annotations(self, page_id: str | None) -> list:
        """The annotation roots of one page (Document.xml → Annotations → Page/FileLoc)."""
        from archive.extract.ofd import _find, _iter

        out = []
        ann = _find(self.doc, "Annotations")
        if ann is None or not (ann.text or "").strip():
            return out
        loc = self.pkg.resolve(ann.text, self.doc_dir)
        if loc is None:
            return out
        root = self.pkg.xml(loc)
        base = posixpath.dirname(loc)
        for p in _iter(root, "Page"):
            if p.get("PageID") != page_id:
                continue
            f = _find(p, "FileLoc")
            name = self.pkg.resolve(f.text, base) if f is not None and f.text else None
            if name:
                out.append((self.pkg.xml(name), posixpath.dirname(name)))
        return out

    def seals(self, page_id: str | None) -> list[tuple[list[float], bytes]]:
        """(box in mm, picture bytes) of each seal on one page: the StampAnnot of each signature."""
        from archive.extract.ofd import _find, _iter

        out = []
        if not self.sig_loc:
            return out
        root = self.pkg.xml(self.sig_loc)
        base = posixpath.dirname(self.sig_loc)
        for s in _iter(root, "Signature"):
            loc = self.pkg.resolve(s.get("BaseLoc", ""), base)
            if loc is None:
                continue
            sig = self.pkg.xml(loc)
            sdir = posixpath.dirname(loc)
            value = _find(sig, "SignedValue")
            vloc = self.pkg.resolve(value.text, sdir) if value is not None and value.text else None
            picture = _picture_in(self.zf.read(vloc)) if vloc else None
            for st in _iter(sig, "StampAnnot"):
                if st.get("PageRef") == page_id and picture:
                    out.append((_floats4(st.get("Boundary")), picture))
        return out


_MAGIC = ((b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"), (b"\xff\xd8\xff", b"\xff\xd9"), (b"GIF8", b"\x00;"),
          (b"BM", None))


def _picture_in(blob: bytes) -> bytes | None:
    """The seal's picture inside a SignedValue (an SES_Signature in DER): the first complete PNG, JPEG, GIF or
    BMP that Pillow reads. The structure is not parsed: the picture is found by its own signature bytes."""
    from PIL import Image

    for start_magic, end_magic in _MAGIC:
        i = blob.find(start_magic)
        while i >= 0:
            end = len(blob)
            if end_magic:
                j = blob.find(end_magic, i)
                end = j + len(end_magic) if j > 0 else len(blob)
            data = blob[i:end]
            try:
                img = Image.open(io.BytesIO(data))
                if img.width * img.height <= MAX_IMAGE_PIXELS:
                    img.load()
                    return data
            except Exception:  # noqa: BLE001 - not a picture after all: look further
                pass
            i = blob.find(start_magic, i + 1)
    return None


def _floats4(s: str | None) -> list[float]:
    from archive.extract.ofd import _floats

    v = _floats(s)
    return v if len(v) == 4 and all(math.isfinite(x) for x in v) else [0.0, 0.0, 0.0, 0.0]


def _box(s: str | None) -> tuple[float, float]:
    v = _floats4(s)
    w, h = v[2], v[3]
    if not (0 < w <= MAX_PAGE_MM and 0 < h <= MAX_PAGE_MM):
        return A4
    return w, h


def _color(el, name: str, default=None):
    from archive.extract.ofd import _find, _floats

    c = _find(el, name)
    if c is None:
        return default
    v = _floats(c.get("Value"))
    if len(v) >= 3:
        return tuple(max(0, min(255, int(x))) for x in v[:3])
    if len(v) == 1:
        g = max(0, min(255, int(v[0])))
        return (g, g, g)
    return default


_FONT_CACHE: dict[int, object] = {}
FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/arphic/uming.ttc")


def _font(px: int):
    from PIL import ImageFont

    px = max(4, min(400, px))
    f = _FONT_CACHE.get(px)
    if f is None:
        for name in FONT_FILES:
            if os.path.exists(name):
                f = ImageFont.truetype(name, px)
                break
        else:
            f = ImageFont.load_default()
        _FONT_CACHE[px] = f
    return f


class _Painter:
    def __init__(self, ofd: _Ofd, size_mm: tuple[float, float]):
        from PIL import Image, ImageDraw

        self.ofd = ofd
        self.k = DPI / 25.4
        self.img = Image.new("RGB", (max(1, round(size_mm[0] * self.k)), max(1, round(size_mm[1] * self.k))), "white")
        self.draw = ImageDraw.Draw(self.img)
        self.count = 0
        self.offset = (0.0, 0.0)  # an annotation's Appearance: its objects are placed within its Boundary

    def px(self, mm: float) -> float:
        return mm * self.k

    def layer(self, root, media: dict, clip=None) -> None:
        from archive.extract.ofd import _local

        for el in root.iter():
            self.count += 1
            if self.count > MAX_OBJECTS:
                return
            tag = _local(el.tag)
            if tag == "TextObject":
                self.text(el)
            elif tag == "ImageObject":
                self.image(el, media)
            elif tag == "PathObject":
                self.path(el)

    def _origin(self, el) -> tuple[float, float, float, float, float, float, float, float]:
        from archive.extract.ofd import _floats

        box = _floats4(el.get("Boundary"))
        ctm = _floats(el.get("CTM"))
        a, b, c, d, e, f = ctm if len(ctm) == 6 and all(math.isfinite(x) for x in ctm) else (1, 0, 0, 1, 0, 0)
        return box[0] + self.offset[0], box[1] + self.offset[1], a, b, c, d, e, f

    def text(self, el) -> None:
        from archive.extract.ofd import _char_width, _deltas, _iter

        bx, by, a, b, c, d, e, f = self._origin(el)
        scale = abs(d) or abs(a) or 1.0
        try:
            size = float(el.get("Size") or 3.5)
        except ValueError:
            size = 3.5
        if not (0 < size * scale < 200):
            return
        color = _color(el, "FillColor", (0, 0, 0))
        font = _font(round(self.px(size * scale)))
        px = py = 0.0
        for code in _iter(el, "TextCode"):
            text = (code.text or "")[:2000]
            try:
                x = float(code.get("X")) if code.get("X") is not None else px
                y = float(code.get("Y")) if code.get("Y") is not None else py
            except ValueError:
                x, y = px, py
            dxs, dys = _deltas(code.get("DeltaX")), _deltas(code.get("DeltaY"))
            for i, ch in enumerate(text):
                ax = bx + a * x + c * y + e
                ay = by + b * x + d * y + f
                if ch.strip():
                    self.draw.text((self.px(ax), self.px(ay)), ch, fill=color, font=font, anchor="ls")
                x += dxs[i] if i < len(dxs) else _char_width(ch, size)
                if i < len(dys):
                    y += dys[i]
            px, py = x, y

    def image(self, el, media: dict) -> None:

        name = media.get(el.get("ResourceID", ""))
        box = _floats4(el.get("Boundary"))
        box = [box[0] + self.offset[0], box[1] + self.offset[1], box[2], box[3]]
        if not name or box[2] <= 0 or box[3] <= 0:
            return
        try:
            img = _open_image(self.ofd.zf.read(name))
            img.load()
        except Exception:  # noqa: BLE001 - a damaged picture is left out, the rest of the page is drawn
            return
        self.paste(img, box)

    def paste(self, img, box: list[float]) -> None:
        from PIL import Image

        w, h = max(1, round(self.px(box[2]))), max(1, round(self.px(box[3])))
        if w * h > MAX_IMAGE_PIXELS:
            return
        img = img.convert("RGBA").resize((w, h), Image.LANCZOS)
        self.img.paste(img, (round(self.px(box[0])), round(self.px(box[1]))), img)

    def path(self, el) -> None:
        from archive.extract.ofd import _find

        data = _find(el, "AbbreviatedData")
        if data is None or not data.text:
            return
        bx, by, a, b, c, d, e, f = self._origin(el)
        try:
            lw = float(el.get("LineWidth") or 0.353)
        except ValueError:
            lw = 0.353
        stroke = _color(el, "StrokeColor", (0, 0, 0)) if el.get("Stroke", "true") != "false" else None
        fill = _color(el, "FillColor", None) if el.get("Fill", "false") == "true" else None
        figures, cur = [], []
        tokens = data.text.split()[:20000]
        i = 0

        def pt(x, y):
            return (self.px(bx + a * x + c * y + e), self.px(by + b * x + d * y + f))
        try:
            while i < len(tokens):
                op = tokens[i]
                n = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}.get(op)
                if n is None:
                    i += 1
                    continue
                args = [float(v) for v in tokens[i + 1:i + 1 + n]]
                i += 1 + n
                if op in ("S", "M"):
                    if len(cur) > 1:
                        figures.append((cur, False))
                    cur = [pt(*args)]
                elif op in ("L", "Q", "B", "A"):
                    cur.append(pt(*args[-2:]))
                elif op == "C" and cur:
                    figures.append((cur + [cur[0]], True))
                    cur = []
        except (ValueError, TypeError):
            pass
        if len(cur) > 1:
            figures.append((cur, False))
        width = max(1, round(self.px(lw)))
        for points, closed in figures:
            if fill and closed and len(points) > 2:
                self.draw.polygon(points, fill=fill)
            if stroke:
                self.draw.line(points, fill=stroke, width=width)


def ofd_pages(path: Path) -> int:
    try:
        ofd = _Ofd(path)
    except StoreError:
        raise
    except Exception as e:  # noqa: BLE001
        raise _ofd_fail(e) from e
    try:
        return len(ofd.pages)
    finally:
        ofd.close()


def ofd_page_png(cfg: Config, path: Path, sha256: str, n: int) -> Path:
    """Page ``n`` (1-based) of a stored OFD as a PNG: template, layers, annotations, seals."""
    from archive.extract.ofd import _find, _iter, _media

    sha = _sha(sha256)
    out = cache_dir(cfg) / f"{sha}-ofd-{n}.png"
    if out.is_file():
        return out
    with _lock(out.name):
        if out.is_file():
            return out
        try:
            ofd = _Ofd(path)
        except Exception as e:  # noqa: BLE001 - a damaged OFD: one line, not a 500
            raise _ofd_fail(e) from e
        try:
            if not 1 <= n <= len(ofd.pages):
                raise NotFoundError(f"该 OFD 没有第 {n} 页")
            page_id, loc = ofd.pages[n - 1]
            if loc is None:
                raise _ofd_fail(ValueError("page missing"))
            content = ofd.pkg.xml(loc)
            page_dir = posixpath.dirname(loc)
            area = _find(content, "Area", "PhysicalBox")
            painter = _Painter(ofd, _box(area.text) if area is not None else ofd.default_box)
            media = {**ofd.media, **_media(ofd.pkg, content, page_dir)}
            for t in _iter(content, "Template"):
                tpl = ofd.templates.get(t.get("TemplateID"))
                if tpl:
                    painter.layer(ofd.pkg.xml(tpl), media)
            body = _find(content, "Content")
            if body is not None:
                painter.layer(body, media)
            for root, _base in ofd.annotations(page_id):
                for appearance in _iter(root, "Appearance"):
                    box = _floats4(appearance.get("Boundary"))
                    painter.offset = (box[0], box[1])
                    painter.layer(appearance, media)
                    painter.offset = (0.0, 0.0)
            for box, picture in ofd.seals(page_id):
                try:
                    painter.paste(_open_image(picture), box)
                except StoreError:
                    pass
            buf = io.BytesIO()
            painter.img.save(buf, "PNG", optimize=False)
            return _write_whole(out, buf.getvalue())
        except (StoreError, NotFoundError):
            raise
        except Exception as e:  # noqa: BLE001
            raise _ofd_fail(e) from e
        finally:
            ofd.close()
