"""Pages to read: page images of PDFs (rendered with pypdfium2), image files and OFD page images, through
the configured engine, page 1's 版头 repaired; the 涉密 probe of an image under a PDF page's text layer; a
searchable PDF page (the scan with invisible text)."""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from archive.extract.ocr.engines import _rapid_page, _require, _tesseract, _tesseract_pil, available
from archive.extract.ocr.header_repair import repair_header
from archive.extract.ocr.model import MAX_PIXELS, RAPID_MAX_SIDE, OcrLine, OcrPage, OcrSettings

def _searchable_page(image, page: OcrPage, dpi: int) -> bytes:
    """One PDF page: the scan, with the recognised lines as invisible text over it (reportlab)."""
    import io

    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    k = 72.0 / dpi
    w, h = image.width * k, image.height * k
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(w, h))
    c.drawImage(ImageReader(image.convert("L")), 0, 0, w, h)
    for ln in page.lines:
        size = max(4.0, (ln.height or 20) * k * 0.9)
        t = c.beginText()
        t.setTextRenderMode(3)  # invisible: searchable and selectable, the scan is what one sees
        t.setFont(font, size)
        t.setTextOrigin(ln.left * k, h - (ln.top + (ln.height or 20)) * k + size * 0.15)
        width = pdfmetrics.stringWidth(ln.text, font, size)
        span = max(1.0, (ln.page_width or image.width) * k - ln.left * k)
        if width > 0:
            t.setHorizScale(min(100.0, 100.0 * span / width) if width > span else 100.0)
        t.textOut(ln.text)
        c.drawText(t)
    c.showPage()
    c.save()
    return buf.getvalue()


# ---- any engine ---------------------------------------------------------------------------------------
def ocr_pil_pages(images, settings: OcrSettings, stop=None) -> list[OcrPage]:
    """Recognise (page number, Pillow image, dpi) triples; results in page order. Page 1's 版头 gets the
    known repairs (``repair_header``). ``stop(page)`` as in ``ocr_pdf_pages`` (rapidocr only)."""
    images = list(images)
    if settings.engine == "tesseract":
        with tempfile.TemporaryDirectory(prefix="archive-ocr-") as tmp:
            with ThreadPoolExecutor(max_workers=min(settings.worker_count(), max(1, len(images)))) as pool:
                return list(pool.map(lambda it: _tesseract_pil(it[1], it[0], settings, Path(tmp), it[2]), images))
    pages = []
    for number, image, dpi in images:
        page = _rapid_page(image, number, settings)
        if number == 1 and page.lines:
            page.repairs = repair_header(page.lines)
            if page.repairs:
                page.text = "\n".join(ln.text for ln in page.lines)
        if settings.searchable_pdf and not page.error:  # the lines stand on the page as it was turned to read it
            page.pdf = _searchable_page(image.rotate(-page.turned, expand=True) if page.turned else image, page, dpi)
        pages.append(page)
        if stop is not None and stop(page):
            break
    return pages


def ocr_images(images: list[tuple[int, Path, int]], settings: OcrSettings, workdir: Path) -> list[OcrPage]:
    """Recognise (page number, image file, dpi) triples; results in page order."""
    if settings.engine == "tesseract":
        with ThreadPoolExecutor(max_workers=min(settings.worker_count(), max(1, len(images)))) as pool:
            return list(pool.map(lambda item: _tesseract(item[1], item[0], settings, workdir, item[2]), images))
    from PIL import Image

    def load(p):
        with Image.open(p) as im:
            return im.copy()
    return ocr_pil_pages(((n, load(p), dpi) for n, p, dpi in images), settings)


# ---- PDF pages ------------------------------------------------------------------------------------
def _limit(image):
    """Scale an image down to MAX_PIXELS; returns (image, scale)."""
    if image.width * image.height <= MAX_PIXELS:
        return image, 1.0
    scale = (MAX_PIXELS / (image.width * image.height)) ** 0.5
    return image.resize((int(image.width * scale), int(image.height * scale))), scale


def render_pdf_page(pdf, index: int, dpi: int, without_text: bool = False):
    """Page ``index`` (0-based) of an open pypdfium2 document as a grey Pillow image. ``without_text``:
    the page's text objects are taken out first, so the image shows what the scan shows, not a text layer
    laid over it (visible or not)."""
    page = pdf[index]
    try:
        if without_text:
            import pypdfium2.raw as pdfium_c

            texts = [o for o in page.get_objects(max_depth=1) if o.type == pdfium_c.FPDF_PAGEOBJ_TEXT]
            for o in texts:
                page.remove_obj(o)
            if texts:
                page.gen_content()
        w, h = page.get_size()
        scale = dpi / 72.0
        if w * h * scale * scale > MAX_PIXELS:
            scale = (MAX_PIXELS / (w * h)) ** 0.5
        bitmap = page.render(scale=scale, grayscale=True, may_draw_forms=not without_text)
        return bitmap.to_pil().convert("L")
    finally:
        page.close()


def _capped_dpi(pdf, index: int, dpi: int, settings: OcrSettings) -> int:
    """``dpi``, or less when RapidOCR would scale the page down anyway (its longer side to RAPID_MAX_SIDE):
    rendering pixels it throws away costs time and memory and gains nothing (bench/ocr_bench.py --levers)."""
    if settings.engine != "rapidocr":
        return dpi
    page = pdf[index]
    try:
        longer = max(page.get_size())  # points
    finally:
        page.close()
    return max(72, min(dpi, int(RAPID_MAX_SIDE * 72 / longer))) if longer > 0 else dpi


# Set by the extraction worker (archive.extract.worker): reads a PDF's pages in several processes at once,
# ``PARALLEL(path, numbers, settings, stop)`` -> the same pages as ``read_pdf_pages``, in page order. OCR never
# imports the worker: the worker hands this in.
PARALLEL = None


def ocr_pdf_pages(path, numbers: list[int], settings: OcrSettings, stop=None) -> list[OcrPage]:
    """Render the given 1-based pages of a PDF (pypdfium2) and recognise them. ``stop(page)``: True ends the
    reading after that page (page 1 shows a 密级: the file is refused anyway). In the extraction worker with
    [ocr] workers above 1, several pages are read at once in helper processes (``PARALLEL``): the same pages, in
    order, cut after the first page ``stop`` accepts, as one process reading them one after the other."""
    _require(settings, path)
    if (PARALLEL is not None and settings.engine == "rapidocr" and len(numbers) > 1
            and settings.worker_count() > 1):
        return PARALLEL(Path(path), list(numbers), settings, stop)
    return read_pdf_pages(path, numbers, settings, stop)


def read_pdf_pages(path, numbers: list[int], settings: OcrSettings, stop=None) -> list[OcrPage]:
    """``ocr_pdf_pages`` in this process, one page after the other."""
    import pypdfium2 as pdfium

    path = Path(path)
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        return [OcrPage(n, error=f"第{n}页无法渲染（{e}）") for n in numbers]
    try:
        out = []
        for n in numbers:
            started = time.monotonic()
            try:
                dpi = _capped_dpi(pdf, n - 1, settings.dpi, settings)
                image = render_pdf_page(pdf, n - 1, dpi)
            except MemoryError:
                raise
            except Exception as e:  # noqa: BLE001 - a damaged page fails alone
                out.append(OcrPage(n, error=f"第{n}页无法渲染（{type(e).__name__}: {e}）"))
                continue
            if time.monotonic() - started > settings.page_timeout:
                out.append(OcrPage(n, error=f"第{n}页渲染超时（超过 {settings.page_timeout:g} 秒），该页文字未读取"))
                continue
            out.extend(ocr_pil_pages([(n, image, dpi)], settings))
            if stop is not None and stop(out[-1]):
                break
        return out
    finally:
        pdf.close()


# ---- the 涉密 probe: the image under a PDF page's text layer ------------------------------------------------
PROBE_TOP = 0.45  # the upper part of page 1 read for a 密级 mark (the 版头 and a little more)
PROBE_MIN_COVER = 0.4  # an image covering at least this share of page 1 is probed


def image_cover(pdf, index: int) -> float:
    """The largest share of page ``index``'s area that one image object covers (0–1)."""
    import pypdfium2.raw as pdfium_c

    page = pdf[index]
    try:
        w, h = page.get_size()
        best = 0.0
        for o in page.get_objects(max_depth=3):
            if o.type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
                continue
            l, b, r, t = o.get_bounds()
            cw = max(0.0, min(r, w) - max(l, 0.0))
            ch = max(0.0, min(t, h) - max(b, 0.0))
            best = max(best, cw * ch / (w * h) if w * h else 0.0)
        return best
    finally:
        page.close()


def probe_pdf_page(path, settings: OcrSettings, index: int = 0) -> tuple[float, list[OcrLine], str | None]:
    """(share of the page an image covers, OCR lines of the upper part of that page rendered without its
    text objects, error). Lines are empty when no image covers PROBE_MIN_COVER of the page."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        return 0.0, [], f"无法渲染首页（{e}）"
    try:
        if len(pdf) <= index:
            return 0.0, [], None
        cover = image_cover(pdf, index)
        if cover < PROBE_MIN_COVER:
            return cover, [], None
        why = available(settings)
        if why:
            return cover, [], why
        image = render_pdf_page(pdf, index, settings.dpi, without_text=True)
    finally:
        pdf.close()
    top = image.crop((0, 0, image.width, max(1, int(image.height * PROBE_TOP))))
    [page] = ocr_pil_pages([(index + 1, top, settings.dpi)], OcrSettings(**{**settings.__dict__,
                                                                            "searchable_pdf": False}))
    for ln in page.lines:
        ln.page_height = image.height
    return cover, page.lines, page.error


# ---- image files ----------------------------------------------------------------------------------
def _image_frames(path: Path):
    """The pages of an image file as grey or bilevel Pillow images with their dpi (multi-page TIFF, GIF;
    EXIF orientation applied). 200 dpi when the file does not say."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS * 4  # refuse decompression bombs, allow big scans
    try:
        with Image.open(path) as im:
            out = []
            for i in range(getattr(im, "n_frames", 1)):
                im.seek(i)
                frame = ImageOps.exif_transpose(im.copy())
                if frame.mode not in ("L", "1"):
                    frame = frame.convert("L")
                frame, scale = _limit(frame)
                dpi = im.info.get("dpi")
                dpi = int(round(float(dpi[0]))) if dpi and float(dpi[0]) >= 50 else 200
                out.append((i + 1, frame, max(50, min(int(dpi * scale), 1200))))
            return out
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        from archive.extract import fail

        raise fail(path, f"图像文件已损坏或格式不受支持（{e}）", "请重新扫描或另存为 JPEG、PNG、TIFF 后再试") from e


def ocr_image_file(path, settings: OcrSettings, stop=None) -> list[OcrPage]:
    """Recognise every page of an image file (``stop`` as in ``ocr_pdf_pages``)."""
    _require(settings, path)
    return ocr_pil_pages(_image_frames(Path(path)), settings, stop)


def ocr_image_bytes(images: list[tuple[int, bytes]], settings: OcrSettings, where) -> list[OcrPage]:
    """Recognise page images given as encoded bytes (an OFD page's image), (page number, data)."""
    import io

    from PIL import Image, ImageOps

    _require(settings, where)
    frames = []
    errors = []
    for number, data in images:
        try:
            with Image.open(io.BytesIO(data)) as im:
                frame = ImageOps.exif_transpose(im.copy())
                frame, _ = _limit(frame.convert("L") if frame.mode not in ("L", "1") else frame)
                frames.append((number, frame, 200))
        except (OSError, ValueError, Image.DecompressionBombError) as e:
            errors.append(OcrPage(number, error=f"第{number}页图像无法读取（{e}）"))
    return sorted(ocr_pil_pages(frames, settings) + errors, key=lambda p: p.number)
