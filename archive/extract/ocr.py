"""OCR for scans: image files (JPEG, PNG, TIFF incl. multi-page, GIF), PDF pages without a text layer,
image-only OFD pages, and the top of page 1 of a PDF whose page is an image under a text layer (the 涉密 probe).

Two engines ([ocr] engine):

* ``rapidocr`` (default): RapidOCR on ONNX Runtime, the PP-OCRv4 Chinese detection and recognition models that
  ship inside the ``rapidocr-onnxruntime`` wheel (nothing is downloaded). The model is loaded once per extraction
  worker process and runs inside it with ``threads`` ONNX threads; pages are read one after the other, each
  with a timeout (a page past it is skipped, and the worker is replaced after the file, since an ONNX call
  cannot be interrupted). It gives a confidence for every character, which is what the 版头 gate reads.
* ``tesseract``: one ``tesseract`` child per page (several at once), TSV output rebuilt into lines.

PDF pages are rendered with pypdfium2 in the worker (no ``pdftoppm`` child). Lines keep their position on the
page and each character's confidence (0–100), so the pipeline can judge the 版头 (``header_confidence``) and
``archive.secrecy`` can look for a 密级 mark in the upper part of page 1.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path

from archive.errors import OcrError

__all__ = ["OcrSettings", "OcrLine", "OcrPage", "ocr_images", "ocr_pdf_pages", "ocr_image_file", "ocr_pil_pages",
           "probe_pdf_page", "available", "header_confidence", "low_confidence_reason", "NOISE_CHARS", "ENGINES"]

ENGINES = ("rapidocr", "tesseract")
# A PDF page with fewer visible characters than this in its text layer is treated as a scan.
NOISE_CHARS = 8
# Largest image we hand to an engine (pixels); bigger ones (a 600-dpi A3 scan) are scaled down.
MAX_PIXELS = 60_000_000
# Tesseract is told the scan is this much finer than it is. Measured with bench/ocr_bench.py on 48 scans
# of real 公文 at 200 dpi: told 200, it misreads the first character of large title lines (国务院 ->
# 司务院) and got 35 titles right; told 300, 42 (400: 37); 发文字号 no worse (44/48 either way).
DPI_CLAIM = 1.5
# RapidOCR scales every page so that its longer side is at most 2000 pixels before detection: an A4 page
# rendered at 200 dpi (1654 x 2339) already gives it all it uses; more only costs rendering time.
RAPID_MAX_SIDE = 2000
# Set when an OCR call overran its timeout and is still running in its thread: the extraction worker
# replies, then exits, so the next file gets a fresh process (an ONNX call cannot be interrupted).
STUCK = threading.Event()


@dataclass(frozen=True)
class OcrSettings:
    """config.toml [ocr]; the defaults apply when the section or a key is absent."""

    enabled: bool = True
    engine: str = "rapidocr"  # "rapidocr" (default) or "tesseract"
    languages: str = "chi_sim"  # Tesseract language(s), "chi_sim+eng" for several
    dpi: int = 200  # PDF pages are rendered at this resolution
    page_timeout: float = 120.0  # seconds for one page (render or recognise); the page is skipped after
    workers: int = 0  # tesseract: pages recognised at once; 0 = number of cores
    threads: int = 2  # rapidocr: ONNX Runtime threads inside the extraction worker
    min_header_confidence: float = 75.0  # below this, the 版头 is not trusted: the document goes to pending
    searchable_pdf: bool = False  # also store a PDF with a text layer beside the original

    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1


@dataclass
class OcrLine:
    text: str
    confidence: float  # mean character confidence, 0–100
    top: int  # pixels from the top of the page
    page_height: int
    char_conf: list[float] = field(default_factory=list)  # per character of ``text``
    page: int = 1
    left: int = 0  # pixels from the left edge of the page
    height: int = 0  # the line's height in pixels (0: unknown)
    page_width: int = 0


@dataclass
class OcrPage:
    number: int  # 1-based page number in the file
    text: str = ""
    confidence: float | None = None  # mean character confidence of the page, None when nothing was read
    lines: list[OcrLine] = field(default_factory=list)
    error: str | None = None  # why the page could not be read (Chinese)
    pdf: bytes | None = None  # the page as a searchable PDF (image + invisible text), when asked for
    repairs: list[str] = field(default_factory=list)  # what repair_header changed (Chinese)
    pdf_scale: float = 1.0  # how much ``pdf`` must be scaled to have the page's real size


# ---- availability ---------------------------------------------------------------------------------
_LANGS: frozenset[str] = frozenset()


def _languages_installed() -> frozenset[str]:
    """Tesseract's language data; asked once it answers (not cached while missing: a watcher that runs
    while the packages are installed picks them up)."""
    global _LANGS
    if not _LANGS:
        try:
            r = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30)
            _LANGS = frozenset(ln.strip() for ln in r.stdout.splitlines()[1:] if ln.strip())
        except (OSError, subprocess.TimeoutExpired):
            pass
    return _LANGS


def available(settings: OcrSettings) -> str | None:
    """None when OCR can run; else why not (Chinese, with what to do)."""
    if not settings.enabled:
        return "OCR 未启用（config.toml 中 [ocr] enabled = false）"
    if settings.engine == "rapidocr":
        try:
            import rapidocr_onnxruntime  # noqa: F401
        except ImportError:
            return "未安装 OCR 组件 rapidocr-onnxruntime（请执行 pip install rapidocr-onnxruntime）"
        return None
    if shutil.which("tesseract") is None:
        return "未安装 OCR 程序 tesseract（请安装 tesseract-ocr 和 tesseract-ocr-chi-sim）"
    missing = [lang for lang in settings.languages.split("+") if lang not in _languages_installed()]
    if missing:
        return f"tesseract 缺少语言数据 {'、'.join(missing)}（请安装 tesseract-ocr-chi-sim 等语言包）"
    return None


def _require(settings: OcrSettings, path) -> None:
    why = available(settings)
    if why:
        raise OcrError(f"无法读取文件 {path}：这是扫描件或图像，需要 OCR，但{why}。请安装后重新放入，或提供带文字层的文件。")

# ---- one page -----------------------------------------------------------------------------------
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f【】]")


def _join_words(words: list[tuple[str, float]]) -> tuple[str, list[float]]:
    """Join a line's words: no space next to a CJK character (Tesseract splits CJK text into words).
    Returns the text and each character's confidence (its word's)."""
    out, confs = "", []
    for text, conf in words:
        if out and not _CJK.match(out[-1]) and not _CJK.match(text[0]):
            out += " "
            confs.append(100.0)
        out += text
        confs += [conf] * len(text)
    return out, confs


# Tesseract's chi_sim model prints ASCII punctuation where the page has full-width (（）：，；):
# next to a CJK character it is put back, so OCR text reads like a typeset one (题名 keep their （）).
_HALF_TO_FULL = {"(": "（", ")": "）", ":": "：", ",": "，", ";": "；", "?": "？", "!": "！"}
_CJK_CH = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff《》“”"
_HALF_NEXT_TO_CJK = re.compile(rf"(?<=[{_CJK_CH}])[():,;?!]|[():,;?!](?=[{_CJK_CH}])")


# a vertical bar next to CJK text is a rule, a fold or a page edge read as a character
_STRAY_BAR = re.compile(rf"\|(?=[{_CJK_CH}（）])|(?<=[{_CJK_CH}（）])\|")


def full_width_punctuation(line: str) -> str:
    """ASCII punctuation next to CJK -> full-width, one character for one (confidences stay aligned)."""
    return _HALF_NEXT_TO_CJK.sub(lambda m: _HALF_TO_FULL[m.group()], line)


def _drop_bars(text: str, confs: list[float]) -> tuple[str, list[float]]:
    """Drop stray bars (``实施细则|（试行）``) and their confidences."""
    keep = [i for i in range(len(text)) if not (text[i] == "|" and _STRAY_BAR.match(text, i))]
    return "".join(text[i] for i in keep), [confs[i] for i in keep]


def parse_tsv(tsv: str) -> tuple[str, float | None, list[OcrLine]]:
    """Tesseract TSV -> (text, mean character confidence, lines with their confidence)."""
    lines: dict[tuple, list] = {}
    page_height = 0
    confs: list[float] = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12:
            continue
        level = cols[0]
        if level == "1":
            page_height = int(cols[9])
            continue
        if level != "5":
            continue
        text = cols[11].strip()
        conf = float(cols[10])
        if not text or conf < 0:
            continue
        key = (int(cols[2]), int(cols[3]), int(cols[4]))  # block, paragraph, line
        top = int(cols[7])
        entry = lines.setdefault(key, [[], top])
        entry[0].append((text, conf))
        entry[1] = min(entry[1], top)
        confs.extend([conf] * len(text))  # weight by characters: one glyph, one vote
    out_lines = []
    for key in sorted(lines):
        words, top = lines[key]
        text, cconf = _drop_bars(*_join_words(words))
        if not text.strip():
            continue
        out_lines.append(OcrLine(full_width_punctuation(text), sum(c for _, c in words) / len(words),
                                 top, page_height, cconf))
    text = "\n".join(ln.text for ln in out_lines)
    return text, (sum(confs) / len(confs) if confs else None), out_lines


# ---- repairing the 版头 where OCR is known to fail ----------------------------------------------------
# A character Tesseract gives less than this confidence is treated as unread (misread 冀 came at 0–60).
UNREAD = 65.0
PROVINCES = {  # province-level names -> the abbreviation that opens their 机关代字 (冀政办发 …)
    "北京": "京", "天津": "津", "河北": "冀", "山西": "晋", "内蒙古": "蒙", "辽宁": "辽", "吉林": "吉",
    "黑龙江": "黑", "上海": "沪", "江苏": "苏", "浙江": "浙", "安徽": "皖", "福建": "闽", "江西": "赣",
    "山东": "鲁", "河南": "豫", "湖北": "鄂", "湖南": "湘", "广东": "粤", "广西": "桂", "海南": "琼",
    "重庆": "渝", "四川": "川", "贵州": "黔", "云南": "滇", "西藏": "藏", "陕西": "陕", "甘肃": "甘",
    "青海": "青", "宁夏": "宁", "新疆": "新",
}
# 〔2019〕38号 with 号 misread (与, 吴, 5 …): the character after the serial, when unread, is 号
_YEAR_SERIAL = re.compile(r"(?:[〔【\[（(]{1,2}\s*0?)?(?:19|20)\d{2}\s*[〕】\]）)]{1,2}\s*\d{1,5}|令\s*第\s*\d{1,5}")
_LOOKS_LIKE_HAO = set("与吴导亏弓丐兮考号")  # what chi_sim reads for a 号 after a serial
# a 机关代字 right before the bracketed year: 2–8 CJK characters
_CODE_BEFORE_YEAR = re.compile(r"([\u4e00-\u9fff]{2,})\s*[〔【\[（(]{0,2}\s*0?(?:19|20)\d{2}\s*[〕】\]）)]")


def repair_header(lines: list[OcrLine], max_lines: int = 10) -> list[str]:
    """Fix, in place, the two misreadings of the 发文字号 that the chi_sim model makes most:

    * an unread 号 after the serial, or one read as a look-alike (``〔2017〕30吴``, ``令第5与`` -> 号);
    * an unread first character of the 机关代字 when page 1 names exactly one province: it is that
      province's abbreviation (``费政〔2013〕43号`` with 河北省 in the title -> ``冀政〔2013〕43号``;
      the model does not know 冀 in some typefaces).

    Only characters Tesseract itself marked as unread (confidence < UNREAD) are replaced, and the
    版头 confidence is computed before the repair, so a repaired number still goes to 待定 for a
    person to confirm. Returns what was changed (Chinese), for the record's warnings."""
    done: list[str] = []
    head = lines[:max_lines]
    names = {abbr for ln in head for name, abbr in PROVINCES.items() if name in ln.text}
    for ln in head:
        if len(ln.char_conf) != len(ln.text):
            continue
        chars = list(ln.text)
        for m in _YEAR_SERIAL.finditer(ln.text):
            i = m.end()
            while i < len(chars) and chars[i] == " ":
                i += 1
            if (i < len(chars) and chars[i] != "号" and not chars[i].isdigit()
                    and (ln.char_conf[i] < UNREAD or chars[i] in _LOOKS_LIKE_HAO)):
                done.append(f"“{chars[i]}”识别不清，按发文字号格式读作“号”")
                chars[i] = "号"
        if len(names) == 1:
            abbr = next(iter(names))
            for m in _CODE_BEFORE_YEAR.finditer(ln.text):
                # the code opens the run of characters, or follows the 发文机关标志's 文件
                k = m.group(1).rfind("文件")
                i = m.start(1) + (k + 2 if k >= 0 else 0)
                if i < m.end(1) - 1 and chars[i] != abbr and ln.char_conf[i] < UNREAD:
                    done.append(f"发文字号首字“{chars[i]}”识别不清，按首页所列发文机关推定为“{abbr}”")
                    chars[i] = abbr
        ln.text = "".join(chars)
    return done



def _tesseract(image: Path, number: int, settings: OcrSettings, workdir: Path, dpi: int) -> OcrPage:
    page = OcrPage(number)
    base = workdir / f"ocr-{number}"
    configs = ["tsv"] + (["pdf"] if settings.searchable_pdf else [])
    cmd = ["tesseract", str(image), str(base), "-l", settings.languages, "--psm", "3",
           "--dpi", str(round(dpi * DPI_CLAIM)), *configs]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # parallel across pages, not inside one
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=settings.page_timeout, env=env)
    except subprocess.TimeoutExpired:
        page.error = f"第{number}页 OCR 超时（超过 {settings.page_timeout:g} 秒），该页文字未读取"
        return page
    except OSError as e:
        page.error = f"第{number}页 OCR 无法运行（{e}）"
        return page
    tsv = base.with_suffix(".tsv")
    if r.returncode != 0 or not tsv.exists():
        msg = (r.stderr or "").strip().splitlines()
        page.error = f"第{number}页 OCR 失败（{msg[-1] if msg else f'退出码 {r.returncode}'}）"
        return page
    page.text, page.confidence, page.lines = parse_tsv(tsv.read_text(encoding="utf-8", errors="replace"))
    for ln in page.lines:
        ln.page = number
    if number == 1:
        page.repairs = repair_header(page.lines)
        if page.repairs:
            page.text = "\n".join(ln.text for ln in page.lines)
    pdf = base.with_suffix(".pdf")
    if settings.searchable_pdf and pdf.exists():
        page.pdf = pdf.read_bytes()
        page.pdf_scale = DPI_CLAIM
    return page



def _tesseract_pil(image, number: int, settings: OcrSettings, workdir: Path, dpi: int) -> OcrPage:
    dest = workdir / f"image-{number}.{'pbm' if image.mode == '1' else 'pgm'}"
    image.save(dest)
    try:
        return _tesseract(dest, number, settings, workdir, dpi)
    finally:
        dest.unlink(missing_ok=True)


# ---- RapidOCR -------------------------------------------------------------------------------------
_RAPID: dict[int, object] = {}
_RAPID_POOL: ThreadPoolExecutor | None = None
_RAPID_LAST = None  # the future of the last page handed to the pool


def _rapid(threads: int):
    """The RapidOCR engine, loaded once per process (the models are read from the wheel)."""
    eng = _RAPID.get(threads)
    if eng is None:
        from archive.extract.worker import ocr_headroom

        ocr_headroom()  # in the worker: room for ONNX Runtime and the models, given once
        from rapidocr_onnxruntime import RapidOCR

        eng = RapidOCR(intra_op_num_threads=max(1, threads), inter_op_num_threads=1,
                       max_side_len=RAPID_MAX_SIDE, print_verbose=False)
        _RAPID[threads] = eng
    return eng


def _box(points) -> tuple[float, float, float, float, float]:
    """(left, top, right, bottom, slope of the top edge) of a detected quadrilateral."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    (x0, y0), (x1, y1) = points[0], points[1]
    slope = (y1 - y0) / (x1 - x0) if x1 - x0 > 1 else 0.0
    return min(xs), min(ys), max(xs), max(ys), slope


def rapid_lines(result, width: int, height: int, number: int) -> list[OcrLine]:
    """RapidOCR's text boxes -> the page's lines, top to bottom: boxes whose centres lie on one line of the
    (possibly slightly skewed) page are joined left to right, with a space where the gap is wider than a
    character."""
    items = []
    slopes = []
    for det in result or []:
        points, text, score = det[0], det[1], float(det[2])
        if not text or not text.strip():
            continue
        left, top, right, bottom, slope = _box(points)
        confs = []
        if len(det) >= 6:  # with return_word_box: word boxes, characters, character scores
            chars, cconf = det[4], det[5]
            if "".join(chars) == text.replace(" ", "") and len(cconf) == len(chars):
                it = iter(cconf)
                confs = [100.0 if ch == " " else float(next(it)) * 100 for ch in text]
        if not confs:
            confs = [score * 100] * len(text)
        if right - left > 4 * (bottom - top):
            slopes.append(slope)
        items.append([left, top, right, bottom, text, confs])
    if not items:
        return []
    slopes.sort()
    skew = slopes[len(slopes) // 2] if slopes else 0.0
    for it in items:  # the centre's height once the page's skew is taken out
        it.append((it[1] + it[3]) / 2 - skew * (it[0] + it[2]) / 2)
    items.sort(key=lambda it: it[6])
    rows: list[list] = []
    for it in items:
        h = it[3] - it[1]
        if rows and abs(it[6] - rows[-1][-1][6]) < 0.5 * min(h, rows[-1][-1][3] - rows[-1][-1][1]):
            rows[-1].append(it)
        else:
            rows.append([it])
    lines = []
    for row in rows:
        row.sort(key=lambda it: it[0])
        text, confs = "", []
        for i, it in enumerate(row):
            if i:
                prev = row[i - 1]
                if it[0] - prev[2] > 0.8 * (it[3] - it[1]):
                    text += " "
                    confs.append(100.0)
            text += it[4]
            confs += it[5]
        text = full_width_punctuation(text)
        top = int(min(it[1] for it in row))
        h = int(max(it[3] for it in row) - top)
        lines.append(OcrLine(text, sum(confs) / len(confs), top, height, confs, number,
                             int(min(it[0] for it in row)), h, width))
    return lines


def _rapid_page(image, number: int, settings: OcrSettings) -> OcrPage:
    """Read one page image (Pillow) with RapidOCR, within the page timeout."""
    import numpy as np

    global _RAPID_POOL, _RAPID_LAST
    page = OcrPage(number)
    if STUCK.is_set() and _RAPID_LAST is not None and _RAPID_LAST.done():
        STUCK.clear()  # the call that overran has finished since (outside the worker, which exits instead)
    if STUCK.is_set():
        page.error = f"第{number}页未读取（前一页 OCR 超时）"
        return page
    eng = _rapid(settings.threads)
    arr = np.asarray(image.convert("RGB"))
    from archive.extract.worker import rearm_cpu

    rearm_cpu()  # RapidOCR's CPU time is the worker's own: each page gets the per-file allowance
    if _RAPID_POOL is None:
        _RAPID_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rapidocr")
    fut = _RAPID_LAST = _RAPID_POOL.submit(lambda: eng(arr, return_word_box=True))
    try:
        result, _ = fut.result(timeout=settings.page_timeout)
    except FutureTimeout:
        STUCK.set()
        page.error = f"第{number}页 OCR 超时（超过 {settings.page_timeout:g} 秒），该页文字未读取"
        return page
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001 - an engine failure is this page's failure
        page.error = f"第{number}页 OCR 失败（{type(e).__name__}: {e}）"
        return page
    page.lines = rapid_lines(result, image.width, image.height, number)
    page.text = "\n".join(ln.text for ln in page.lines)
    confs = [c for ln in page.lines for c in ln.char_conf]
    page.confidence = sum(confs) / len(confs) if confs else None
    return page


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
        if settings.searchable_pdf and not page.error:
            page.pdf = _searchable_page(image, page, dpi)
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


def ocr_pdf_pages(path, numbers: list[int], settings: OcrSettings, stop=None) -> list[OcrPage]:
    """Render the given 1-based pages of a PDF (pypdfium2) and recognise them, one page at a time.
    ``stop(page)``: True ends the reading after that page (page 1 shows a 密级: the file is refused anyway)."""
    import pypdfium2 as pdfium

    _require(settings, path)
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
                image = render_pdf_page(pdf, n - 1, settings.dpi)
            except MemoryError:
                raise
            except Exception as e:  # noqa: BLE001 - a damaged page fails alone
                out.append(OcrPage(n, error=f"第{n}页无法渲染（{type(e).__name__}: {e}）"))
                continue
            if time.monotonic() - started > settings.page_timeout:
                out.append(OcrPage(n, error=f"第{n}页渲染超时（超过 {settings.page_timeout:g} 秒），该页文字未读取"))
                continue
            out.extend(ocr_pil_pages([(n, image, settings.dpi)], settings))
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


# ---- how far to trust the 版头 ---------------------------------------------------------------------
def _compact(s: str | None) -> str:
    return re.sub(r"\s+", "", s or "")


def _page_chars(lines: list[OcrLine], page: int = 1) -> tuple[str, list[float]]:
    """Page ``page``'s text without white space, and each character's confidence."""
    text, confs = [], []
    for ln in lines:
        if ln.page != page:
            continue
        cc = ln.char_conf if len(ln.char_conf) == len(ln.text) else [ln.confidence] * len(ln.text)
        for ch, c in zip(ln.text, cc):
            if not ch.isspace():
                text.append(ch)
                confs.append(c)
    return "".join(text), confs


# characters whose exact shape does not change what is read: brackets of a 发文字号 (canonicalised), punctuation
_NEUTRAL = set("〔〕[]［］【】()（）﹝﹞{}<>《》“”\"'‘’、，,。.：:；;·-—_ ")


def _span_conf(text: str, confs: list[float], needle: str) -> float | None:
    """Lowest confidence of the characters of ``needle`` where it stands in ``text`` (brackets and
    punctuation left out), None when it is not there."""
    needle = _compact(needle)
    if not needle:
        return None
    i = text.find(needle)
    if i < 0:
        return None
    vals = [c for ch, c in zip(needle, confs[i:i + len(needle)]) if ch not in _NEUTRAL]
    return min(vals) if vals else None


def header_confidence(lines: list[OcrLine], doc_number_raw: str | None, title: str | None) -> float | None:
    """Confidence of the 版头: the lowest confidence of any character of the 发文字号 and of the 标题 as they
    stand on page 1 (the characters themselves, not a line's average; brackets do not count).

    A field that is not found on page 1 as printed falls back to the lines that carry it, and when neither
    is found, to the top third of page 1; None without OCR lines."""
    page1 = [ln for ln in lines if ln.page == 1]
    if not page1:
        return None
    text, confs = _page_chars(page1)
    picked = []
    for needle in (doc_number_raw, title):
        c = _span_conf(text, confs, needle) if needle else None
        if c is not None:
            picked.append(c)
    if len(picked) == len([n for n in (doc_number_raw, title) if n]) and picked:
        return min(picked)
    num, ttl = _compact(doc_number_raw), _compact(title)
    for ln in page1:
        t = _compact(ln.text)
        if len(t) < 2:
            continue
        if num and (num in t or (len(t) >= 4 and t in num)):
            picked.append(min(ln.char_conf) if ln.char_conf else ln.confidence)
        elif ttl and len(t) >= 4 and (t in ttl or ttl in t):
            picked.append(min(ln.char_conf) if ln.char_conf else ln.confidence)
    if not picked:
        picked = [ln.confidence for ln in page1 if ln.page_height and ln.top < ln.page_height / 3]
    return min(picked) if picked else None


_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_CN_DIGITS = "〇一二三四五六七八九"


def _cn_date(date) -> str:
    def small(n: int) -> str:
        if n < 10:
            return _CN_DIGITS[n]
        return ("" if n < 20 else _CN_DIGITS[n // 10]) + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    year = "".join(_CN_DIGITS[int(d)] for d in str(date.year))
    return f"{year}年{small(date.month)}月{small(date.day)}日"


def date_confidence(lines: list[OcrLine], date) -> float | None:
    """Confidence of the characters of the 成文日期 (its year is the 档号's 年度): the lowest character
    confidence over the places it is printed; None when it is not found (or the date is not known)."""
    if date is None:
        return None
    found = []
    for page in sorted({ln.page for ln in lines}):
        text, confs = _page_chars(lines, page)
        for m in _DATE.finditer(text):
            if (int(m[1]), int(m[2]), int(m[3])) == (date.year, date.month, date.day):
                found.append(min(confs[m.start():m.end()]))
        c = _span_conf(text, confs, _cn_date(date))
        if c is not None:
            found.append(c)
    return min(found) if found else None


def low_confidence_reason(header: float | None, settings: OcrSettings, date: float | None = None) -> str | None:
    """The pending reason when the 版头 (or the 成文日期) was not read with confidence, else None."""
    low = settings.min_header_confidence
    parts, check = [], []
    if header is not None and header < low:
        parts.append(f"版头 {header:.0f}%")
        check.append("发文字号和题名")
    if date is not None and date < low:
        parts.append(f"成文日期 {date:.0f}%")
        check.append("成文日期")
    if not parts:
        return None
    return f"OCR 识别置信度低（{'，'.join(parts)}），请人工核对{'、'.join(check)}"

