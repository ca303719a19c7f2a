"""OCR for scans: image files (JPEG, PNG, TIFF incl. multi-page, GIF) and PDF pages without a text layer.

PDF pages are rendered with ``pdftoppm`` (poppler-utils), images are split into pages with Pillow
(multi-page TIFF), and every page is read by its own ``tesseract`` child process with a timeout, several
pages at once up to the number of cores. Child processes, not threads inside us: a page that hangs is
killed without stalling the watcher, and Tesseract's CPU time is not charged to the extract worker's
RLIMIT_CPU. Tesseract writes TSV (one row per word, with a confidence 0–100); we rebuild the lines from
it (no spaces between CJK words, which Tesseract's plain-text output inserts) and keep each line's
confidence so that the pipeline can judge the 版头 (``header_confidence``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from archive.errors import OcrError

__all__ = ["OcrSettings", "OcrLine", "OcrPage", "ocr_images", "ocr_pdf_pages", "ocr_image_file",
           "available", "header_confidence", "low_confidence_reason", "NOISE_CHARS"]

# A PDF page with fewer visible characters than this in its text layer is treated as a scan.
NOISE_CHARS = 8
# Largest image we hand to Tesseract (pixels); bigger ones (a 600-dpi A3 scan) are scaled down.
MAX_PIXELS = 60_000_000
# Tesseract is told the scan is this much finer than it is. Measured with bench/ocr_bench.py on 48 scans
# of real 公文 at 200 dpi: told 200, it misreads the first character of large title lines (国务院 ->
# 司务院) and got 35 titles right; told 300, 42 (400: 37); 发文字号 no worse (44/48 either way).
DPI_CLAIM = 1.5


@dataclass(frozen=True)
class OcrSettings:
    """config.toml [ocr]; the defaults apply when the section or a key is absent."""

    enabled: bool = True
    languages: str = "chi_sim"  # Tesseract language(s), "chi_sim+eng" for several
    dpi: int = 300  # PDF pages are rendered at this resolution
    page_timeout: float = 120.0  # seconds for one page (render or recognise); the page is skipped after
    workers: int = 0  # pages recognised at once; 0 = number of cores
    min_header_confidence: float = 75.0  # below this, the 版头 is not trusted: the document goes to pending
    searchable_pdf: bool = False  # also store a PDF with a text layer beside the original

    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1


@dataclass
class OcrLine:
    text: str
    confidence: float  # mean word confidence, 0–100
    top: int  # pixels from the top of the page
    page_height: int
    char_conf: list[float] = field(default_factory=list)  # per character of ``text`` (its word's)
    page: int = 1


@dataclass
class OcrPage:
    number: int  # 1-based page number in the file
    text: str = ""
    confidence: float | None = None  # mean word confidence of the page, None when nothing was read
    lines: list[OcrLine] = field(default_factory=list)
    error: str | None = None  # why the page could not be read (Chinese)
    pdf: bytes | None = None  # the page as a searchable PDF (image + invisible text), when asked for
    repairs: list[str] = field(default_factory=list)  # what repair_header changed (Chinese)


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
    return page


def ocr_images(images: list[tuple[int, Path, int]], settings: OcrSettings, workdir: Path) -> list[OcrPage]:
    """Recognise (page number, image, dpi) triples, several at once; results in page order."""
    with ThreadPoolExecutor(max_workers=min(settings.worker_count(), max(1, len(images)))) as pool:
        return list(pool.map(lambda item: _tesseract(item[1], item[0], settings, workdir, item[2]), images))


# ---- PDF pages ------------------------------------------------------------------------------------
def _render_pdf_page(path: Path, number: int, settings: OcrSettings, workdir: Path) -> tuple[Path | None, str | None]:
    prefix = workdir / f"page-{number}"
    # PGM, not PNG: compressing a 300-dpi page costs more than rendering it
    cmd = ["pdftoppm", "-r", str(settings.dpi), "-gray", "-singlefile",
           "-f", str(number), "-l", str(number), str(path), str(prefix)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=settings.page_timeout)
    except subprocess.TimeoutExpired:
        return None, f"第{number}页渲染超时（超过 {settings.page_timeout:g} 秒），该页文字未读取"
    except OSError as e:
        return None, f"第{number}页无法渲染（未安装 pdftoppm？{e}）"
    out = prefix.with_suffix(".pgm")
    if r.returncode != 0 or not out.exists():
        msg = (r.stderr or "").strip().splitlines()
        return None, f"第{number}页无法渲染（{msg[-1] if msg else f'退出码 {r.returncode}'}）"
    return out, None


def _render_and_read(path: Path, number: int, settings: OcrSettings, workdir: Path) -> OcrPage:
    image, err = _render_pdf_page(path, number, settings, workdir)
    if image is None:
        return OcrPage(number, error=err)
    try:
        return _tesseract(image, number, settings, workdir, settings.dpi)
    finally:
        image.unlink(missing_ok=True)


def ocr_pdf_pages(path, numbers: list[int], settings: OcrSettings) -> list[OcrPage]:
    """Render the given 1-based pages of a PDF and recognise them."""
    _require(settings, path)
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="archive-ocr-") as tmp:
        workdir = Path(tmp)
        with ThreadPoolExecutor(max_workers=min(settings.worker_count(), max(1, len(numbers)))) as pool:
            return list(pool.map(lambda n: _render_and_read(path, n, settings, workdir), numbers))


# ---- image files ----------------------------------------------------------------------------------
def _image_pages(path: Path, workdir: Path) -> list[tuple[int, Path, int]]:
    """Split an image file into one grey (PGM) or bilevel (PBM) image per page, with its dpi
    (multi-page TIFF, GIF; EXIF orientation applied), Pillow. 200 dpi when the file does not say."""
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
                scale = 1.0
                if frame.width * frame.height > MAX_PIXELS:
                    scale = (MAX_PIXELS / (frame.width * frame.height)) ** 0.5
                    frame = frame.resize((int(frame.width * scale), int(frame.height * scale)))
                dest = workdir / f"image-{i + 1}.{'pbm' if frame.mode == '1' else 'pgm'}"
                frame.save(dest)
                dpi = im.info.get("dpi")
                dpi = int(round(float(dpi[0]))) if dpi and float(dpi[0]) >= 50 else 200
                out.append((i + 1, dest, max(50, min(int(dpi * scale), 1200))))
            return out
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        from archive.extract import fail

        raise fail(path, f"图像文件已损坏或格式不受支持（{e}）", "请重新扫描或另存为 JPEG、PNG、TIFF 后再试") from e


def ocr_image_file(path, settings: OcrSettings) -> list[OcrPage]:
    """Recognise every page of an image file."""
    _require(settings, path)
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="archive-ocr-") as tmp:
        workdir = Path(tmp)
        pages = _image_pages(path, workdir)
        return ocr_images(pages, settings, workdir)


# ---- how far to trust the 版头 ---------------------------------------------------------------------
def _compact(s: str | None) -> str:
    return re.sub(r"\s+", "", s or "")


def header_confidence(lines: list[OcrLine], doc_number_raw: str | None, title: str | None) -> float | None:
    """Confidence of the lines of page 1 that carry the 发文字号 and the 标题 (the lowest of them).

    Falls back to the top third of page 1 when neither was found there; None without OCR lines."""
    lines = [ln for ln in lines if ln.page == 1]
    if not lines:
        return None
    num, ttl = _compact(doc_number_raw), _compact(title)
    picked = []
    for ln in lines:
        t = _compact(ln.text)
        if len(t) < 2:
            continue
        if num and (num in t or (len(t) >= 4 and t in num)):
            picked.append(ln.confidence)
        elif ttl and len(t) >= 4 and (t in ttl or ttl in t):
            picked.append(ln.confidence)
    if not picked:
        picked = [ln.confidence for ln in lines if ln.page_height and ln.top < ln.page_height / 3]
    return min(picked) if picked else None


_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def date_confidence(lines: list[OcrLine], date) -> float | None:
    """Confidence of the characters of the 成文日期 (its year is the 档号's 年度): the lowest over the
    places it is printed; None when not found in Arabic numerals (or the date is not known)."""
    if date is None:
        return None
    found = []
    for ln in lines:
        for m in _DATE.finditer(ln.text):
            if (int(m[1]), int(m[2]), int(m[3])) == (date.year, date.month, date.day) and len(ln.char_conf) == len(ln.text):
                span = ln.char_conf[m.start():m.end()]
                found.append(sum(span) / len(span))
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
