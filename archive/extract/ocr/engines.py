"""The two OCR engines behind one shape (an OcrPage per page image): RapidOCR (ONNX Runtime, inside the
extraction worker, one page at a time with a timeout) and Tesseract (a child per page), and whether either
can run here. Tesseract's TSV and RapidOCR's boxes are rebuilt into lines with per-character confidence."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from archive.errors import OcrError
from archive.extract.ocr import limits
from archive.extract.ocr.header_repair import repair_header
from archive.extract.ocr.model import DPI_CLAIM, RAPID_MAX_SIDE, OcrLine, OcrPage, OcrSettings

# Set when an OCR call overran its timeout and is still running in its thread: the extraction worker
# replies, then exits, so the next file gets a fresh process (an ONNX call cannot be interrupted).
STUCK = threading.Event()


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
# How RapidOCR is run (bench/ocr_bench.py --levers measures each lever; the figures are in bench/ocr.md):
# * the fast path: the detector reads the page scaled so its longer side is DET_MAX_SIDE (RapidOCR's own setting
#   detects on the whole 2000-pixel page; recognition still reads the text crops of the 2000-pixel page, so only
#   finding lines gets cheaper), without the angle classifier;
# * the page's orientation is checked on what the fast path found, at almost no cost: most text in boxes taller
#   than wide -> the page lies on its side (turned a quarter and read again); the angle classifier on the page's
#   ORIENT_SAMPLE longest lines says most are upside down -> turned half a circle and read again. A rotated or
#   upside-down scan reads with high confidence line by line but in the wrong order, so confidence alone
#   cannot tell;
# * the careful path: a page the fast path read unsure (mean character confidence below ANGLE_RETRY_BELOW) is
#   read again with the detector on the whole page and the angle classifier on every line, and the better
#   reading is kept (None: always the careful path, as RapidOCR does by default);
# * ONNX Runtime's worker threads sleep when idle instead of spinning (spinning burns a shared core for nothing).
DET_MAX_SIDE = 1280  # [ocr] det_max_side's default
ANGLE_RETRY_BELOW = 80.0
SPIN = False
REC_BATCH = 6  # text crops recognised in one ONNX call (RapidOCR's own default)
ARENA = False  # ONNX Runtime's CPU memory arena (RapidOCR turns it off)
WORD_BOXES = False  # RapidOCR's box for every character (unused here: only each character's score is read)
ORIENT_SAMPLE = 8  # lines the angle classifier looks at to tell an upside-down page
_CAREFUL = threading.local()  # .on: this thread's detector reads the whole page (the careful path);
#                               .found: (image, boxes) of its last detection
_RAPID: dict[tuple, object] = {}
_RAPID_POOL: ThreadPoolExecutor | None = None
_RAPID_LAST = None  # the future of the last page handed to the pool


def _ort_options(allow: bool, arena: bool = False) -> None:
    """Set whether ONNX Runtime sessions RapidOCR creates from now on let idle threads spin, and whether
    they keep a memory arena."""
    from rapidocr_onnxruntime.utils import infer_engine

    make = getattr(infer_engine.OrtInferSession._init_sess_opts, "__wrapped__",
                   infer_engine.OrtInferSession._init_sess_opts)

    def options(config):
        opts = make(config)
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if allow else "0")
        opts.enable_cpu_mem_arena = arena
        return opts

    options.__wrapped__ = make
    infer_engine.OrtInferSession._init_sess_opts = staticmethod(options)


def preload(settings: OcrSettings) -> None:
    """Load the RapidOCR engine now (the extraction worker, asked to get ready before the first scan arrives)."""
    if settings.enabled and settings.engine == "rapidocr" and available(settings) is None:
        _rapid(settings.threads, settings.det_max_side)


def _rapid(threads: int, det_max_side: int | None = None):
    """The RapidOCR engine, loaded once per process (the models are read from the wheel). ``det_max_side``:
    [ocr] det_max_side (None: DET_MAX_SIDE)."""
    side = DET_MAX_SIDE if det_max_side is None else det_max_side
    key = (threads, side, SPIN, ARENA, WORD_BOXES)
    eng = _RAPID.get(key)
    if eng is None:
        limits.ocr_headroom()  # in the worker: room for ONNX Runtime and the models, given once
        from rapidocr_onnxruntime import RapidOCR
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

        _ort_options(SPIN, ARENA)
        eng = RapidOCR(intra_op_num_threads=max(1, threads), inter_op_num_threads=1,
                       max_side_len=RAPID_MAX_SIDE, print_verbose=False)
        if side:
            det = eng.text_det
            scaled = DetPreProcess(side, "max", det.mean, det.std)
            whole = det.get_preprocess  # RapidOCR picks 2000 for an A4 page

            def preprocess(longer_side, whole=whole, scaled=scaled):
                return whole(longer_side) if getattr(_CAREFUL, "on", False) else scaled
            det.get_preprocess = preprocess
        found = eng.auto_text_det

        def auto_text_det(img, found=found):  # keep what the detector found, for the orientation check
            boxes, elapsed = found(img)
            _CAREFUL.found = (img, boxes)
            return boxes, elapsed
        eng.auto_text_det = auto_text_det
        if not WORD_BOXES:
            eng.cal_rec_boxes = _char_scores
        _RAPID.clear()  # one engine per process: a changed setting replaces it
        _RAPID[key] = eng
    return eng


def _char_scores(crops, boxes, rec_res) -> list:
    """Each line's characters and their scores in the shape RapidOCR's word boxes have ([text, score, boxes,
    characters, scores]), without computing the boxes: they cost about 5 % of a page's time and nothing reads them."""
    out = []
    for rec in rec_res:
        text, score = rec[0], rec[1]
        info = rec[2] if len(rec) > 2 else None
        if not info or len(info) < 5:
            out.append([text, score, [], [], []])
            continue
        _, words, _, _, scores = info[:5]
        out.append([text, score, [], [ch for w in words for ch in w], list(scores)])
    return out


def _mean_score(result) -> float:
    """Mean recognition score (0–1) of RapidOCR's boxes, weighted by characters; 0 when nothing was read."""
    n = sum(len(d[1]) for d in result or [])
    return sum(float(d[2]) * len(d[1]) for d in result or []) / n if n else 0.0


def _careful(eng, arr):
    """The careful path: the detector on the whole page, the angle classifier on every line."""
    _CAREFUL.on = True
    try:
        return eng(arr, use_cls=True, return_word_box=True)[0]
    finally:
        _CAREFUL.on = False


def _detected():
    """(image, boxes) of this thread's last detection (the page as RapidOCR scaled it), boxes may be None."""
    return getattr(_CAREFUL, "found", (None, None))


def _sideways(boxes) -> bool:
    """Most of the text found (by length of line) stands in boxes taller than wide: the page lies on its side."""
    tall = wide = 0.0
    for b in boxes if boxes is not None else []:
        left, top, right, bottom, _ = _box(b)
        w, h = right - left, bottom - top
        if h >= 1.5 * w:
            tall += h
        else:
            wide += w
    return tall > wide


def _upside_down(eng, img, boxes) -> bool:
    """The angle classifier, on the page's ORIENT_SAMPLE longest lines (at least 3 of them), says at least two
    thirds are upside down with its own confidence."""
    if img is None or boxes is None or len(boxes) < 3:
        return False
    longest = sorted(boxes, key=lambda b: -(_box(b)[2] - _box(b)[0]))[:ORIENT_SAMPLE]
    if len(longest) < 3:
        return False
    _, labels, _ = eng.text_cls(eng.get_crop_img_list(img, longest))
    flipped = sum(1 for label, score in labels if "180" in str(label) and score > eng.text_cls.cls_thresh)
    return flipped * 3 >= len(longest) * 2


def _rapid_read(eng, arr):
    """RapidOCR's boxes for one page and how far the page was turned clockwise to read it (0, 90, 180, 270):
    the fast path, the page turned upright when it is not, the careful path when the reading is unsure."""
    try:
        return _read_upright(eng, arr)
    finally:
        _CAREFUL.found = (None, None)  # the scaled page is not kept until the next one


def _read_upright(eng, arr):
    """The reading of ``_rapid_read``."""
    import numpy as np

    eng.text_rec.rec_batch_num = REC_BATCH
    if ANGLE_RETRY_BELOW is None:
        return _careful(eng, arr), 0
    turned = 0
    result, _ = eng(arr, use_cls=False, return_word_box=True)
    if _sideways(_detected()[1]):
        turned, arr = 90, np.ascontiguousarray(np.rot90(arr, -1))
        result, _ = eng(arr, use_cls=False, return_word_box=True)
    if _upside_down(eng, *_detected()):
        flipped = np.ascontiguousarray(np.rot90(arr, 2))
        again, _ = eng(flipped, use_cls=False, return_word_box=True)
        if _mean_score(again) >= _mean_score(result):  # upside-down text reads far worse than upright
            turned, arr, result = (turned + 180) % 360, flipped, again
    first = _mean_score(result)
    if first * 100 < ANGLE_RETRY_BELOW:
        again = _careful(eng, arr)
        if _mean_score(again) > first:
            return again, turned
    return result, turned


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
    eng = _rapid(settings.threads, settings.det_max_side)
    arr = np.asarray(image.convert("RGB"))
    limits.rearm_cpu()  # RapidOCR's CPU time is the worker's own: each page gets the per-file allowance
    if _RAPID_POOL is None:
        _RAPID_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rapidocr")
    fut = _RAPID_LAST = _RAPID_POOL.submit(_rapid_read, eng, arr)
    try:
        result, page.turned = fut.result(timeout=settings.page_timeout)
    except FutureTimeout:
        STUCK.set()
        page.error = f"第{number}页 OCR 超时（超过 {settings.page_timeout:g} 秒），该页文字未读取"
        return page
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001 - an engine failure is this page's failure
        page.error = f"第{number}页 OCR 失败（{type(e).__name__}: {e}）"
        return page
    width, height = (image.height, image.width) if page.turned in (90, 270) else (image.width, image.height)
    page.lines = rapid_lines(result, width, height, number)
    page.text = "\n".join(ln.text for ln in page.lines)
    confs = [c for ln in page.lines for c in ln.char_conf]
    page.confidence = sum(confs) / len(confs) if confs else None
    return page
