"""The 公文's own elements beyond its header fields (issue 26): the 附注 line, and whether the file shows a 印章.

- **附注** (GB/T 9704-2012: the note in round brackets on the line below the 成文日期, e.g. （此件公开发布） or
  （联系人：张三，电话：1234567）): ``read`` takes the bracketed line after the 落款's date, before the 版记; it is
  stored in its own column (``annotation``), never in the catalogue's 备注.
- **份号** (six digits at the top left of the 版头) is read by ``header.marks``; nothing is added here.
- **印章**: ``stamp_of`` reports what the file itself shows, in three values: 有 (an electronic signature or
  seal, a stamp annotation, or a red seal-shaped picture by the 落款), 无 (a file that cannot carry one: plain
  text, a DOCX without any picture or shape), 不详 (anything else: a scan whose red could not be found, a
  picture that is not red, a PDF or OFD without signature). It never says 有 on a guess.

Hostile files: ``stamp_of`` runs after the extraction worker read the file; it reads only the parts it needs,
with size limits (a zip member, an image), and any error gives 不详.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from archive.gongwen.vocab import squash

HAS, NONE, UNKNOWN = "有", "无", "不详"

_DATE_LINE = re.compile(r"^\s*(?:\d{4}|[〇○零一二三四五六七八九]{4})\s*年\s*[0-9一二三四五六七八九十]{1,3}\s*月"
                        r"\s*[0-9一二三四五六七八九十]{1,3}\s*日\s*$")
_COLOPHON = re.compile(r"^\s*(?:抄\s*送|分\s*送|主\s*送)\s*[:：]|印\s*发\s*$")
_NOTE_MAX = 200


def annotation(text: str) -> str | None:
    """The 附注: the bracketed line(s) right after the last 成文日期 line of the 落款, before the 版记."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    end = next((i for i, ln in enumerate(lines) if _COLOPHON.search(ln)), len(lines))
    dates = [i for i, ln in enumerate(lines[:end]) if _DATE_LINE.match(ln)]
    if not dates:
        return None
    i = dates[-1] + 1
    while i < end and not lines[i].strip():
        i += 1
    if i >= end or not lines[i].strip().startswith(("（", "(")):
        return None
    buf = ""
    while i < end and len(buf) <= _NOTE_MAX:
        buf += lines[i].strip()
        if buf.endswith(("）", ")")):
            note = squash(buf)
            return note if 2 < len(note) <= _NOTE_MAX else None
        i += 1
    return None


def read(text: str, out) -> None:
    """Fill ``out`` (GongwenFields) with the 附注 found after the 落款 where the 版记 reader found none."""
    found = annotation(text)
    if found and not out.note:
        out.note = found


# ---- 印章 -------------------------------------------------------------------------------------------------------
MAX_MEMBER = 64 * 1024 * 1024  # a zip member larger than this is not read (zip bombs): 不详
MAX_PIXELS = 40_000_000  # a picture larger than this is not decoded: 不详
PAGES = 2  # a PDF's last pages looked at (the 落款 is on the last page, or the one before the 版记)


def stamp_of(path: Path | str, media_type: str) -> str:
    """有 / 无 / 不详 for the file at ``path`` read as ``media_type`` (pdf, docx, ofd, text, image …)."""
    try:
        if media_type == "text":
            return NONE
        if media_type == "pdf":
            return _pdf(Path(path))
        if media_type == "ofd":
            return _ofd(Path(path))
        if media_type == "docx":
            return _docx(Path(path))
        if media_type == "image":
            return HAS if _red_seal(Path(path).read_bytes(), whole_page=True) else UNKNOWN
    except Exception:  # a damaged or hostile part: nothing is claimed
        return UNKNOWN
    return UNKNOWN


def _red_seal(data: bytes, *, whole_page: bool) -> bool:
    """Whether a picture shows a red seal: a red blob (not a thin line) wide and tall enough; on a whole page
    (a scan) only below its top quarter, where the red 版头 and its rule are not."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        if im.width * im.height > MAX_PIXELS or im.width < 16 or im.height < 16:
            return False
        im.draft("RGB", (400, 400))
        small = im.convert("RGB")
        small.thumbnail((400, 400))
    import numpy as np

    a = np.asarray(small, dtype=np.int16)
    if whole_page:
        a = a[a.shape[0] // 4:]
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    red = (r > 150) & (r - g > 70) & (r - b > 70)
    n = int(red.sum())
    if n < max(30, red.size // 2000):
        return False
    ys, xs = np.nonzero(red)
    h, w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    side = min(a.shape[0], a.shape[1])
    if h < side * (0.08 if whole_page else 0.3) or w < side * (0.08 if whole_page else 0.3):
        return False  # a rule or a word in red, not a seal
    return 0.5 <= h / w <= 2.0 and n / (h * w) >= 0.03


def _pdf(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    root = reader.trailer["/Root"]
    form = root.get("/AcroForm")
    if form is not None:
        for ref in form.get_object().get("/Fields", []) or []:
            fld = ref.get_object()
            if fld.get("/FT") == "/Sig" and fld.get("/V") is not None:
                return HAS  # a signed signature field: an electronic signature or seal
    pages = reader.pages
    for page in list(pages)[-PAGES:]:
        for ann in page.get("/Annots", []) or []:
            if ann.get_object().get("/Subtype") == "/Stamp":
                return HAS
    for page in list(pages)[-PAGES:]:
        names = _small_images(page)
        for name in names[:20]:
            img = page.images[name]
            if _red_seal(img.data, whole_page=len(names) == 1 and _covers_page(page, img)):
                return HAS
    return UNKNOWN


def _small_images(page) -> list[str]:
    """The names of a page's own pictures whose declared size is below MAX_PIXELS (read before decoding: a
    hostile picture is never decoded in this process)."""
    res = page.get("/Resources")
    xobjects = res.get_object().get("/XObject") if res is not None else None
    if xobjects is None:
        return []
    out = []
    for name, ref in xobjects.get_object().items():
        o = ref.get_object()
        if o.get("/Subtype") != "/Image":
            continue
        w, h = int(o.get("/Width", 0)), int(o.get("/Height", 0))
        if 0 < w * h <= MAX_PIXELS:
            out.append(name)
    return out


def _covers_page(page, img) -> bool:
    """A scan: the page is one picture (its size is close to the page's shape)."""
    try:
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        iw, ih = img.image.size
    except Exception:
        return False
    return abs(iw / ih - w / h) < 0.1


def _member(z: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = z.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_MEMBER:
        return None
    return z.read(info)


def _ofd(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        for n in names:
            low = n.lower()
            if low.endswith("signatures.xml"):
                data = _member(z, n) or b""
                if b"Signature" in data.replace(b"Signatures", b""):
                    return HAS  # an OFD electronic seal (GB/T 38540 signature)
            if low.endswith(".xml") and "annot" in low:
                data = _member(z, n) or b""
                if re.search(rb'Type\s*=\s*"Stamp"', data):
                    return HAS
        for n in names:
            if n.lower().endswith((".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")):
                data = _member(z, n)
                if data and _red_seal(data, whole_page=False):
                    return HAS
    return UNKNOWN


_DRAWING = re.compile(rb"<w:drawing\b|<w:pict\b|<mc:AlternateContent\b|<w:object\b")
_PARA = re.compile(rb"<w:p[ >].*?</w:p>", re.S)
_TEXT = re.compile(rb"<w:t(?: [^>]*)?>([^<]*)</w:t>")
_EMBED = re.compile(rb'r:(?:embed|id)="([^"]+)"')


def _docx(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        doc = _member(z, "word/document.xml")
        if doc is None:
            return UNKNOWN
        if not _DRAWING.search(doc):
            return NONE  # no picture, no shape: nothing in the body can show a seal
        paras = _PARA.findall(doc)
        texts = [b"".join(_TEXT.findall(p)).decode("utf-8", "replace") for p in paras]
        dates = [i for i, t in enumerate(texts) if _DATE_LINE.match(t)]
        if not dates:
            return UNKNOWN
        near = [p for i, p in enumerate(paras) if dates[-1] - 4 <= i <= dates[-1] + 1 and _DRAWING.search(p)]
        if not near:
            return UNKNOWN
        rels = _member(z, "word/_rels/document.xml.rels") or b""
        for p in near:
            for rid in _EMBED.findall(p):
                m = re.search(rb'Id="' + re.escape(rid) + rb'"[^>]*Target="([^"]+)"', rels) or re.search(
                    rb'Target="([^"]+)"[^>]*Id="' + re.escape(rid) + rb'"', rels)
                if not m:
                    continue
                target = m.group(1).decode("utf-8", "replace").lstrip("/")
                name = target if target.startswith("word/") else "word/" + target
                data = _member(z, name)
                if data and _red_seal(data, whole_page=False):
                    return HAS
    return UNKNOWN
