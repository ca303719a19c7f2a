"""Extract stage: read a file's text, whatever its format, and normalise it.

``extract(path)`` detects the type by content (``detect.detect_type``), reads the text with the
format's module (``pdf``, ``docx``, ``ofd``, ``text``), runs it through ``textnorm.normalize`` and
returns an ``Extracted``. Every failure is an ``ExtractionError`` with a one-line Chinese message
(what went wrong, which file, what to do). A file that has pages but no text at all (a scanned PDF,
an image, an image-only OFD) raises the subclass ``NoTextLayerError``; for PDFs, OFDs and images ``extract`` then
reads the pages by OCR (``ocr.py``) and raises it only when OCR is off or reads nothing. ``.doc``, ``.wps`` and
``.rtf`` are converted by LibreOffice (``office.py``); saved web pages (``.html``, ``.mht``) by ``html.py``. A PDF
whose page 1 is an image under a text layer gets ``image_probe``: the top of that image read by OCR, for the
涉密 gate (``archive.secrecy``).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from archive.errors import ExtractionError, library_reason
from archive.models import Extracted
from archive.textnorm import normalize

__all__ = ["extract", "ExtractionError", "NoTextLayerError", "fail", "open_zip"]

# A DOCX/OFD zip may not inflate to more than this, nor hold more entries (zip bombs).
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 20_000
# Stop reading a PDF after this many seconds (checked between pages).
PDF_TIME_LIMIT = 300.0


class NoTextLayerError(ExtractionError):
    """The file has pages but no text layer (scan, image): it needs OCR.

    ``media_type`` is "pdf", "ofd" or "image"; ``pages`` the page count where known.
    """

    def __init__(self, message: str, media_type: str = "pdf", pages: int = 0):
        super().__init__(message)
        self.media_type = media_type
        self.pages = pages


def fail(path, what: str, todo: str, cls: type[ExtractionError] = ExtractionError, **kw) -> ExtractionError:
    """Build the one-line error: 无法读取文件 <path>：<what>。<todo>。"""
    return cls(f"无法读取文件 {path}：{what}。{todo}。", **kw)


def read_limited(path, limit: int, kind: str, todo: str) -> bytes:
    """The whole file, refused above ``limit`` bytes (``kind``: 文本文件, 网页文件; ``todo`` when too large)."""
    try:
        if Path(path).stat().st_size > limit:
            raise fail(path, f"{kind}过大（超过 {limit // (1024 * 1024)} MB）", todo)
        return Path(path).read_bytes()
    except OSError as e:
        raise fail(path, f"无法打开文件（{e.strerror or e}）", "请检查文件权限后重试") from e


def open_zip(path, kind: str) -> zipfile.ZipFile:
    """Open a DOCX/OFD zip after checking it is sound and not a zip bomb (declared sizes)."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise fail(path, f"{kind} 文件已损坏，无法解压（{library_reason(e) or e}）", "请重新获取或另存该文件后再试") from e
    infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    if len(infos) > MAX_ZIP_ENTRIES or total > MAX_ZIP_UNCOMPRESSED:
        zf.close()
        raise fail(
            path,
            f"{kind} 文件解压后过大（{total // (1024 * 1024)} MB，{len(infos)} 个部件，"
            f"上限 {MAX_ZIP_UNCOMPRESSED // (1024 * 1024)} MB），可能是恶意压缩包",
            "请核实文件来源，或转换为 PDF 后再试",
        )
    return zf


def _pages_by_layout(path: Path, kind: str, raw: Extracted) -> Extracted:
    """A word-processing file's 页数 from its layout (LibreOffice -> PDF, ``office.rendered_pages``), never from
    the count its metadata claims (generators write 1 for a six-page 公文). Without a layout the metadata's count
    stays, with a warning that it is uncertain, so a clerk checks it."""
    from archive.extract.office import rendered_pages

    n, why = rendered_pages(path, kind)
    if n is not None:
        raw.pages = n
    else:
        raw.warnings = list(raw.warnings) + [
            f"页数未能通过排版核实（{why}）：暂按文件属性记为 {max(1, raw.pages)} 页，可能不准确，请人工核对页数"]
    return raw


def extract(path, ocr=None) -> Extracted:
    """Read ``path`` and return its normalised text, page count and warnings.

    ``ocr``: an ``OcrSettings`` (config.toml [ocr]); None = the defaults. Images, and PDF pages whose
    text layer is missing or a few characters of noise, are read by OCR (``archive.extract.ocr``)."""
    from archive.extract.detect import detect_type
    from archive.extract.ocr import OcrSettings

    path = Path(path)
    ocr = ocr if ocr is not None else OcrSettings()
    kind = detect_type(path)
    if kind == "pdf":
        from archive.extract.pdf import extract_pdf as reader
    elif kind == "docx":
        from archive.extract.docx import extract_docx as reader
    elif kind == "ofd":
        from archive.extract.ofd import extract_ofd as reader
    elif kind == "text":
        from archive.extract.text import extract_text as reader
    elif kind in ("doc", "rtf"):
        from archive.extract.office import extract_office as reader
    elif kind in ("html", "mht"):
        from archive.extract.html import extract_html as reader
    elif kind == "image":
        return _ocr_image(path, ocr)
    else:  # pragma: no cover - detect_type raises for everything else
        raise fail(path, f"未知文件类型（{kind}）", "请提供 PDF、DOCX、OFD 或文本文件")

    try:
        raw = reader(path)
    except NoTextLayerError as e:
        if kind not in ("pdf", "ofd") or not ocr.enabled:
            raise
        if kind == "ofd":
            return _ocr_ofd(path, e, ocr)
        raw = Extracted(media_type="pdf", text="", pages=e.pages, page_texts=[""] * e.pages)
    if kind in ("docx", "doc", "rtf"):
        raw = _pages_by_layout(path, kind, raw)
    if kind == "pdf" and ocr.enabled:
        raw = _ocr_pdf_pages(path, raw, ocr)
        raw = _probe_pdf(path, raw, ocr)
    page_texts = [normalize(t) for t in raw.page_texts] if raw.page_texts else []
    text = normalize(raw.text)
    if not text.strip():
        if kind == "pdf" and ocr.enabled:
            raise fail(path, "PDF 没有文字层（可能是扫描件），OCR 也未能识别出文字",
                       "请检查扫描质量（建议 300 dpi、端正、清晰），或提供带文字层的 PDF",
                       NoTextLayerError, media_type="pdf", pages=raw.pages)
        raise fail(path, "文件中没有可读文字", "请确认文件内容，扫描件请提供带文字层的版本")
    return Extracted(
        media_type=raw.media_type,
        text=text,
        pages=max(1, raw.pages),
        page_texts=page_texts or [text],
        method=raw.method,
        warnings=list(raw.warnings),
        page_confidences=list(raw.page_confidences),
        ocr_lines=list(raw.ocr_lines),
        searchable_pdf=raw.searchable_pdf,
        image_probe=raw.image_probe,
    )


def _probe_pdf(path: Path, raw: Extracted, ocr) -> Extracted:
    """A PDF whose page 1 was read from its text layer but is (mostly) an image: read the top of that image by
    OCR, without the text layer, so that the 涉密 gate (archive.secrecy) judges what the page shows, not an
    invisible or covered text someone laid over it. Born-digital pages (no large image) are not touched."""
    from archive.extract import ocr as ocr_mod

    if any(ln.page == 1 for ln in raw.ocr_lines):
        return raw  # page 1 itself was read by OCR: the gate reads those lines
    try:
        cover, lines, error = ocr_mod.probe_pdf_page(path, ocr)
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001 - a probe that cannot run leaves the gate unsure: it refuses
        cover, lines, error = 1.0, [], f"{type(e).__name__}: {e}"
    if cover < ocr_mod.PROBE_MIN_COVER:
        return raw
    probe = {"page": 1, "cover": round(cover, 3), "lines": lines, "error": error,
             "text_layer": (raw.page_texts[0] if raw.page_texts else raw.text)[:2000]}
    return Extracted(**{**raw.__dict__, "image_probe": probe})


def _ocr_ofd(path: Path, e, ocr) -> Extracted:
    """An OFD whose pages are images (a scan saved as OFD): OCR each page's largest image."""
    from archive.extract import ocr as ocr_mod
    from archive.extract.ofd import page_images

    images = page_images(path)
    if not any(data for _, data in images):
        raise e
    pages = ocr_mod.ocr_image_bytes([(n, d) for n, d in images if d], ocr, path)
    warnings = [p.error for p in pages if p.error] + _repairs(pages)
    by_number = {p.number: p for p in pages}
    n_pages = max(e.pages, len(images))
    texts = [normalize(by_number[n].text) if n in by_number else "" for n in range(1, n_pages + 1)]
    text = "\n".join(texts)
    if not text.strip():
        why = "；".join(warnings) if warnings else "OCR 未能识别出文字"
        raise fail(path, f"OFD 的页面是图像，OCR 未能识别出文字（{why}）",
                   "请检查扫描质量（建议 300 dpi、端正、清晰）后重新扫描", NoTextLayerError,
                   media_type="ofd", pages=n_pages)
    return Extracted(
        media_type="ofd", text=text, pages=n_pages, page_texts=texts, method="ocr", warnings=warnings,
        page_confidences=[by_number[n].confidence if n in by_number else None for n in range(1, n_pages + 1)],
        ocr_lines=[ln for p in pages for ln in p.lines],
    )


def _visible(s: str) -> int:
    return sum(1 for ch in s if not ch.isspace())


def _searchable(path: Path, pages, ocr) -> bytes | None:
    """One searchable PDF from the pages' Tesseract PDFs (image + invisible text), when asked for."""
    if not ocr.searchable_pdf or not pages or any(p.pdf is None for p in pages):
        return None
    import io

    from pypdf import PdfReader, PdfWriter

    w = PdfWriter()
    for p in pages:
        for page in PdfReader(io.BytesIO(p.pdf)).pages:
            added = w.add_page(page)
            if p.pdf_scale != 1.0:  # Tesseract sized the page for the resolution it was told (DPI_CLAIM)
                added.scale_by(p.pdf_scale)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def _secret_page1(page) -> bool:
    """Page 1 shows a 密级 mark: the file will be refused (archive.secrecy), the other pages need no reading."""
    from archive.secrecy import mark_in_lines

    return page.number == 1 and mark_in_lines(page.lines) is not None


def _repairs(pages) -> list[str]:
    return [f"第{p.number}页 OCR 修正：{r}" for p in pages for r in p.repairs]


def _ocr_image(path: Path, ocr) -> Extracted:
    from archive.extract import ocr as ocr_mod

    if not ocr.enabled:
        raise fail(path, "图像文件需要 OCR，但 OCR 未启用（config.toml [ocr] enabled = false）",
                   "请启用 OCR，或提供带文字层的 PDF、DOCX 或 OFD 文件", NoTextLayerError,
                   media_type="image", pages=1)
    pages = ocr_mod.ocr_image_file(path, ocr, stop=_secret_page1)
    warnings = [p.error for p in pages if p.error] + _repairs(pages)
    texts = [normalize(p.text) for p in pages]
    text = "\n".join(texts)
    if not text.strip():
        why = "；".join(warnings) if warnings else "OCR 未能识别出文字"
        raise fail(path, f"图像中没有识别出文字（{why}）",
                   "请检查扫描质量（建议 300 dpi、端正、清晰）后重新扫描", NoTextLayerError,
                   media_type="image", pages=len(pages))
    empty = [str(p.number) for p, t in zip(pages, texts) if not t.strip() and not p.error]
    if empty and len(pages) > 1:
        warnings.append(f"第{'、'.join(empty)}页 OCR 未识别出文字（可能是空白页）")
    return Extracted(
        media_type="image", text=text, pages=len(pages), page_texts=texts, method="ocr",
        warnings=warnings, page_confidences=[p.confidence for p in pages],
        ocr_lines=[ln for p in pages for ln in p.lines], searchable_pdf=_searchable(path, pages, ocr),
    )


def _ocr_pdf_pages(path: Path, raw: Extracted, ocr) -> Extracted:
    """OCR the pages of a PDF whose text layer is missing or only a few characters of noise."""
    from archive.extract import ocr as ocr_mod

    texts = list(raw.page_texts) or [""] * raw.pages
    scans = [i + 1 for i, t in enumerate(texts) if _visible(t) < ocr_mod.NOISE_CHARS]
    if not scans:
        return raw
    why = ocr_mod.available(ocr)
    if why and len(scans) < len(texts):  # a text layer on the other pages: read those, say why not these
        return Extracted(**{**raw.__dict__, "warnings": [
            *raw.warnings, f"第{'、'.join(map(str, scans))}页没有文字层，未做 OCR：{why}"]})
    pages = ocr_mod.ocr_pdf_pages(path, scans, ocr, stop=_secret_page1)
    confidences: list[float | None] = [None] * len(texts)
    read = []
    warnings = [w for w in raw.warnings if "没有文字层" not in w]
    warnings += _repairs(pages)
    for p in pages:
        if p.error:
            warnings.append(p.error)
        if p.text.strip():
            texts[p.number - 1] = p.text
            confidences[p.number - 1] = p.confidence
            read.append(p.number)
    unread = [n for n in scans if n not in read and not any(w.startswith(f"第{n}页") for w in warnings)]
    if unread:
        warnings.append(f"第{'、'.join(map(str, unread))}页没有文字层，OCR 也未识别出文字（可能是空白页）")
    method = "ocr" if len(scans) == len(texts) else "text-layer+ocr"
    return Extracted(
        media_type="pdf", text="\n".join(texts), pages=raw.pages or len(texts), page_texts=texts,
        method=method if read else raw.method, warnings=warnings, page_confidences=confidences if read else [],
        ocr_lines=[ln for p in pages for ln in p.lines],
        searchable_pdf=_searchable(path, pages, ocr) if len(scans) == len(texts) else None,
    )
