"""The one 涉密 gate: every way a document enters the archive (ingest, watch, imports, the web page) asks here.

A document marked 秘密, 机密 or 绝密 must not be processed on this non-classified system: it is refused, never
stored and never indexed. When unsure, the answer is not "store"; a wrong refusal costs a clerk or the 保密员 a
look, a wrong acceptance leaks a secret.

``gate(path, extracted, fields)`` opens the file itself and reads every place a mark can stand (DOCX text boxes,
headers, footers, symbol runs, pictures; PDF annotations and the rendered upper band of the first pages; OFD;
HTML whole; scans in any rotation, every page), normalises every form of the mark (``archive.extract.marks``) and
answers with a ``GateVerdict``: "mark" (refuse), "doubtful" (quarantine for a 保密员) or "clear" (store). A file
it cannot open is "doubtful", never "clear". docs/domain.md (涉密) lists the places, the forms and the traps.

``secret_level(fields, ex)``, the older question the routes still ask, reads what the extraction gave:

* the 密级 the 公文 parser found in the text (``fields.secrecy``), and every normal form of the mark in the first
  lines of each page;
* for a scan or image (page 1 read by OCR, ``ex.ocr_lines``): the upper part of page 1, where GB/T 9704 puts the
  密级 (top left, above the 发文机关标志), for anything that may be a mark, including the forms OCR makes of
  one (★ read as 女/广/大/*, 密 misread, a bare ``★1年`` period). A scan whose 版头 cannot be read at all
  (nothing recognised in the upper part, or neither a 发文字号 nor a 标题 found) is refused as well: nobody
  can tell it is not marked;
* for a PDF whose page 1 is an image under a text layer (a scan someone OCR'd; ``ex.image_probe``): the image's
  upper part read by OCR without the text layer, with the same rules, and refused when that image shows no
  readable text or text that does not match the text layer. Born-digital pages (no large image) are not probed.
"""

from __future__ import annotations

import contextvars
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from archive.extract.marks import Hit, find_mark, normalize_mark, rank
from archive.models import Extracted, GongwenFields

SECRET_LEVELS = ("绝密", "机密", "秘密")  # 密级, most secret first
# what secret_level returns when a refusal is not for a printed 密级 (see refusal_reason)
SUSPECTED = "疑似密级标志"
UNREADABLE = "版头无法识别"
MISMATCH = "文字层与页面图像不符"

# the upper part of page 1 searched for a mark (share of the page height)
MARK_ZONE = 0.4
HEAD_LINES = 12  # the first lines of a page (of a text file, of a DOCX body) where a mark stands
# the mark stands on a short line of its own (密级 and 保密期限, perhaps with the 份号 or 紧急程度)
SHORT = 18

_STARS = "★☆✩✪✫✬✭✮✯✰⭐*＊※女广大太火文犬六木"  # ★ and what OCR reads for it
_LEVEL_CH = "秘机绝"
_MI_LIKE = "密蜜宓谧滵嘧峦窑寀宻容害宙"  # 密 and its OCR look-alikes
_PERIOD = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*(?:年|个月|月)|长期"
_EXACT = re.compile(r"(绝密|机密|秘密)")
_DAMAGED = [
    re.compile(rf"([{_LEVEL_CH}])[{_MI_LIKE}]"),  # 秘蜜, 机宓 …
    re.compile(rf"([{_LEVEL_CH}]?)[{_MI_LIKE}]?\s*[{_STARS}]\s*(?:{_PERIOD})"),  # ★1年, 女1年, 密★长期
    re.compile(rf"[{_LEVEL_CH}祕泌必]\s*密"),  # 密 read right, the first character not
    re.compile(r"密\s*[★☆✩✪✫✬✭✮✯✰⭐*＊※]"),
    re.compile(r"[★☆✩✪✫✬✭✮✯✰⭐]"),  # a star in the 版头 is only ever a 密级 mark
    re.compile(r"密级"),
]


def mark_in_text(text: str) -> str | None:
    """The 密级 a short 版头 line may show: a level when one is legible, SUSPECTED for a damaged mark."""
    hit = find_mark(text, head=True)
    if hit is not None and hit.kind == "mark":
        return hit.level
    t = re.sub(r"\s+", "", text)
    if _harmless(t):
        return None
    m = _EXACT.search(t)
    if m:
        return m.group(1)
    for rx in _DAMAGED:
        m = rx.search(t)
        if m:
            first = m.group(1) if m.groups() else ""
            return {"绝": "绝密", "机": "机密", "秘": "秘密"}.get(first or "", SUSPECTED)
    return None


def mark_in_lines(lines, page: int = 1) -> str | None:
    """A 密级 mark among the OCR lines in the upper part of ``page``; the most secret one found."""
    found = []
    for ln in lines:
        if getattr(ln, "page", 1) != page:
            continue
        height = ln.page_height or 0
        if height and ln.top > height * MARK_ZONE:
            continue
        compact = re.sub(r"\s+", "", ln.text)
        m = _EXACT.search(compact)
        if m and (len(compact) <= SHORT or re.search(rf"{m.group(1)}\s*[{_STARS}]", compact)):
            found.append(m.group(1))
            continue
        if len(compact) <= SHORT:
            level = mark_in_text(compact)
            if level:
                found.append(level)
    for level in SECRET_LEVELS + (SUSPECTED,):
        if level in found:
            return level
    return None


def _upper_text(lines, page: int = 1) -> str:
    return "".join(re.sub(r"\s+", "", ln.text) for ln in lines
                   if getattr(ln, "page", 1) == page and (not ln.page_height or ln.top <= ln.page_height * 0.5))


def _bigrams(s: str) -> set[str]:
    s = "".join(ch for ch in s if "\u4e00" <= ch <= "\u9fff")
    return {s[i:i + 2] for i in range(len(s) - 1)}


def _header_unreadable(fields: GongwenFields, lines) -> bool:
    upper = _upper_text(lines)
    if sum(1 for ch in upper if "\u4e00" <= ch <= "\u9fff") < 4:
        return True
    return fields.doc_number is None and not fields.title


def secret_level(fields: GongwenFields, ex: Extracted | None = None) -> str | None:
    """Why this document must be refused as 涉密, or None: the 密级 it is marked with (绝密/机密/秘密),
    SUSPECTED (a mark OCR damaged), UNREADABLE (a scan whose 版头 cannot be read) or MISMATCH (a text layer
    over a page image that says something else). ``refusal_reason`` turns it into the clerk's message."""
    if fields.secrecy in SECRET_LEVELS:
        return fields.secrecy
    if ex is None:
        return None
    for page_text in ex.page_texts or [ex.text or ""]:  # every normal form of the mark (archive.extract.marks)
        head = [ln for ln in (page_text or "").splitlines() if ln.strip()][:HEAD_LINES]
        hit = find_mark("\n".join(head), head=True)
        if hit is not None and hit.kind == "mark":
            return hit.level
    page1 = [ln for ln in (ex.ocr_lines or []) if getattr(ln, "page", 1) == 1]
    if page1 or (ex.method == "ocr" and ex.media_type in ("image", "pdf", "ofd")):
        level = mark_in_lines(page1)
        if level:
            return level
        if _header_unreadable(fields, page1):
            return UNREADABLE
    probe = getattr(ex, "image_probe", None)
    if probe:
        lines = probe.get("lines") or []
        level = mark_in_lines(lines, probe.get("page", 1))
        if level:
            return level
        shown = _upper_text(lines, probe.get("page", 1))
        if sum(1 for ch in shown if "\u4e00" <= ch <= "\u9fff") < 4:
            return UNREADABLE
        layer = _bigrams(probe.get("text_layer") or "")
        seen = _bigrams(shown)
        if seen and len(seen & layer) < 0.3 * len(seen):
            return MISMATCH
    return None


def refusal_reason(level: str, fields: GongwenFields | None = None) -> str:
    """The clerk's one-line reason for a refusal (without where the file went)."""
    if level in SECRET_LEVELS:
        term = fields.secrecy_term if fields is not None and fields.secrecy == level else None
        return f"涉密文件（{level}{'★' + term if term else ''}）不得在非涉密系统中处理：未存储、未索引"
    if level == SUSPECTED:
        return "首页上部疑似有密级标志（识别不清），可能为涉密文件，已隔离，请人工查看：未存储、未索引"
    if level == MISMATCH:
        return "PDF 的文字层与页面图像内容不符（可能以文字层掩盖了扫描页），可能为涉密文件，已隔离，请人工查看：未存储、未索引"
    return "版头无法识别，可能为涉密文件，已隔离，请人工查看：未存储、未索引"


# ==== the gate: every place of the file itself ================================================================
# (round two: every way in calls ``gate(path, extracted, fields)`` and acts on ``kind``: "mark" refuse,
# "doubtful" quarantine for the 保密员, "clear" store)

BAND = 0.25  # the upper band of a page searched in its image (share of the height), in each rotation
SCAN_PAGES = 40  # pages of a scan whose bands are read (every page of an ordinary 公文 and its 处理笺)
BORN_BAND_PAGES = 3  # pages of a born-digital PDF whose upper band is looked at for drawings and images
BAND_DPI = 150
SCAN_SIDE = 1400  # a scanned page is scaled down to this many pixels on its long side before it is read
OSD_MIN_CONFIDENCE = 1.5  # below this Tesseract's orientation guess is not trusted: every rotation is read


@dataclass
class GateVerdict:
    """The gate's answer. ``kind``: "mark" (a legible 密级: refuse), "doubtful" (a 保密员 decides) or "clear"."""

    kind: str
    level: str | None = None  # 绝密/机密/秘密 for a mark
    where: str = ""  # 第1页页眉, 文本框, 批注, 第2页图片上部 …
    evidence: str = ""  # the text seen there
    reasons: list[str] = field(default_factory=list)  # why (Chinese), the strongest first
    seconds: float = 0.0  # what the gate cost

    @property
    def refused(self) -> bool:
        return self.kind == "mark"

    @property
    def action(self) -> str:
        """What a way in does: "refuse" (a 保密 incident, the original left in refused/), "quarantine" (the
        保密员's queue) or "store"."""
        return {"mark": "refuse", "doubtful": "quarantine"}.get(self.kind, "store")

    def message(self) -> str:
        """The clerk's one line (Chinese)."""
        if self.kind == "mark":
            return (f"涉密文件（{self.level}，位于{self.where}：“{self.evidence}”）不得在非涉密系统中处理："
                    "未存储、未索引")
        if self.kind == "doubtful":
            why = "；".join(self.reasons[:3]) or "无法确认是否有密级标志"
            return f"可能为涉密文件（{why}），已隔离，待保密员审查：未存储、未索引"
        return "未发现密级标志"


class _Seen:
    """What the readers found so far: the strongest hit and every doubt."""

    def __init__(self):
        self.best: tuple[str, Hit] | None = None
        self.doubts: list[str] = []

    def text(self, where: str, text: str, head: bool) -> None:
        hit = find_mark(text or "", head=head)
        if hit is None:
            return
        if hit.kind == "doubtful":
            self.doubts.append(f"{where}：{hit.reason}")
        if self.best is None or rank(hit) > rank(self.best[1]):
            self.best = (where, hit)

    def lines(self, where: str, lines: list[str], head_lines: int = HEAD_LINES) -> None:
        lines = [ln for ln in lines if ln.strip()]
        self.text(where + "上部", "\n".join(lines[:head_lines]), True)
        self.text(where, "\n".join(lines[head_lines:]), False)

    def doubt(self, why: str) -> None:
        self.doubts.append(why)

    def marked(self) -> bool:
        return self.best is not None and self.best[1].kind == "mark"

    def verdict(self, started: float) -> GateVerdict:
        took = time.monotonic() - started
        if self.marked():
            where, hit = self.best
            return GateVerdict("mark", hit.level, where, hit.evidence, [hit.reason] + self.doubts, took)
        if self.doubts:
            where, hit = self.best if self.best else ("", None)
            return GateVerdict("doubtful", None, where, hit.evidence if hit else "", list(self.doubts), took)
        return GateVerdict("clear", seconds=took)


def gate(path, extracted: Extracted | None = None, fields: GongwenFields | None = None, ocr=None) -> GateVerdict:
    """Read every place of ``path`` a 密级 mark can stand and judge it (see ``GateVerdict``; docs/domain.md, 涉密).

    ``extracted``/``fields``: what the route already read (its text, OCR lines, the 公文 fields), used besides the
    file's own places; ``ocr``: the OcrSettings (None: the defaults). Never raises for a bad file: a file that
    cannot be opened, is encrypted or of a kind not read is "doubtful" — never "clear"."""
    from archive.extract import ocr as ocr_mod
    from archive.extract.detect import detect_type
    from archive.errors import ExtractionError

    started = time.monotonic()
    seen = _Seen()
    ocr = ocr if ocr is not None else ocr_mod.OcrSettings()
    path = Path(path)
    if fields is not None and fields.secrecy in SECRET_LEVELS:
        term = f"★{fields.secrecy_term}" if fields.secrecy_term else ""
        seen.best = ("版头", Hit("mark", fields.secrecy, fields.secrecy + term, f"版头的密级“{fields.secrecy}{term}”"))
    if extracted is not None:
        _read_extracted(seen, extracted, fields)
    try:
        kind = detect_type(path)
        reader = _READERS.get(kind)
        if reader is None:
            seen.doubt(f"文件类型（{kind}）无法逐处检查密级标志")
        else:
            reader(seen, path, ocr, extracted)
    except MemoryError:
        raise
    except ExtractionError as e:
        seen.doubt(f"文件无法打开（{_short(str(e))}），无法确认没有密级标志")
    except Exception as e:  # noqa: BLE001 - a reader that fails leaves the gate unsure: doubtful
        seen.doubt(f"文件无法完整读取（{type(e).__name__}），无法确认没有密级标志")
    return _decided(path, seen.verdict(started))


# A 保密员's decision (archive/secrecy_queue.py, ``decide``): while a held file is taken in, the gate's doubtful
# verdict on that very content, for no reason beyond those the 保密员 saw, reads as clear. A mark never does.
DECIDED: contextvars.ContextVar[tuple[str, frozenset, str] | None] = contextvars.ContextVar(
    "secrecy_decided", default=None)


def _decided(path: Path, verdict: GateVerdict) -> GateVerdict:
    decided = DECIDED.get()
    if decided is None or verdict.kind != "doubtful":
        return verdict
    sha, reasons, label = decided
    # a reason is compared by what it says, not by where the gate was called to read it (第1页 / 文本: the
    # same lone 秘密 found in the page text by the route and in the whole text by a direct call)
    if not {_claim(r) for r in verdict.reasons} <= {_claim(r) for r in reasons}:
        return verdict
    from archive.store import sha256_file

    try:
        if sha256_file(path) != sha:
            return verdict
    except OSError:
        return verdict
    return GateVerdict("clear", reasons=[label], seconds=verdict.seconds)


def _claim(reason: str) -> str:
    return reason.split("：", 1)[-1]


def _short(message: str) -> str:
    return message.split("：", 1)[-1].split("。", 1)[0][:80]


def _read_extracted(seen: _Seen, ex: Extracted, fields: GongwenFields | None) -> None:
    for n, text in enumerate(ex.page_texts or [ex.text], start=1):
        seen.lines(f"第{n}页", (text or "").splitlines())
    legacy = secret_level(fields or GongwenFields(), ex)
    if legacy in SECRET_LEVELS and not seen.marked():
        seen.best = ("第1页上部", Hit("mark", legacy, legacy, f"首页上部的密级“{legacy}”"))
    elif legacy in (SUSPECTED, MISMATCH):  # UNREADABLE: the gate reads the page image itself, in every rotation
        seen.doubt(refusal_reason(legacy).split("，")[0])


# ---- readers, one per kind ------------------------------------------------------------------------------------
def _read_text(seen, path, ocr, ex):
    from archive.extract.text import extract_text

    seen.lines("文本", extract_text(path).text.splitlines())


def _read_docx(seen, path, ocr, ex):
    import docx

    from archive.extract import open_zip
    from archive.extract.docx import docx_places, head_pictures

    with open_zip(path, "DOCX"):
        pass
    document = docx.Document(str(path))
    for where, lines in docx_places(document):
        if where == "正文":
            seen.lines(where, lines)
        elif where == "文档属性":
            seen.text(where, "\n".join(lines), False)
        else:
            seen.text(where, "\n".join(lines), True)
    pictures = head_pictures(document)
    if pictures:
        _ocr_blobs(seen, pictures, ocr)


def _ocr_ready(seen, ocr, what: str) -> bool:
    """OCR can run; if not, ``what`` (图片, 扫描件, 页面图像) is a doubt."""
    from archive.extract import ocr as ocr_mod

    why = ocr_mod.available(ocr)
    if why:
        seen.doubt(f"{what}无法识别（{why}），无法确认没有密级标志")
    return why is None


def _ocr_blobs(seen, blobs, ocr):
    import io

    from PIL import Image

    if not _ocr_ready(seen, ocr, "图片"):
        return
    for where, blob in blobs:
        try:
            with Image.open(io.BytesIO(blob)) as im:
                image = im.convert("L")
        except Exception:  # noqa: BLE001 - a picture format Pillow does not read (EMF/WMF): not a mark we can see
            continue
        if image.width < 16 or image.height < 8:
            continue
        if image.width * image.height > 4_000_000:  # a full-page picture: its upper band
            image = image.crop((0, 0, image.width, int(image.height * BAND)))
        _ocr_band(seen, where, image, ocr, damaged=True)


def _ocr_band(seen, where: str, image, ocr, damaged: bool) -> int:
    """OCR one upright band image; the hits go to ``seen``. Returns how many CJK characters it read."""
    from archive.extract import ocr as ocr_mod

    settings = ocr_mod.OcrSettings(**{**ocr.__dict__, "searchable_pdf": False})
    [page] = ocr_mod.ocr_pil_pages([(2, image, BAND_DPI)], settings)  # page 2: no 版头 repairs on a band
    text = "\n".join(ln.text for ln in page.lines)
    seen.text(where, text, True)
    if damaged and not seen.marked():
        for ln in page.lines:
            compact = re.sub(r"\s+", "", ln.text)
            if len(compact) <= SHORT and not find_mark(compact, head=True):
                level = mark_in_text(compact)
                if level and not _harmless(compact):
                    seen.doubt(f"{where}：疑似密级标志（“{compact}”，识别不清）")
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def _harmless(compact: str) -> bool:
    """An OCR line that the damaged-mark rules would take but that is not a mark: a rule with a star, 密级：无 …"""
    t = normalize_mark(compact)
    if re.fullmatch(r"[★\-—─━_＿=一|]*★[★\-—─━_＿=一|]*", t):
        return True  # the star on a 党委 red rule
    if re.search(r"密级[:：]?(?:无|非密|公开|内部)?$", t) or "工作秘密" in t or "解密" in t or "非密" in t:
        return True
    return False


def _orientation(image) -> int | None:
    """How many degrees (counter-clockwise, as Pillow turns) a scanned page must be turned to stand upright, by
    Tesseract's orientation detection (``--psm 0``); None when it cannot tell."""
    import shutil
    import subprocess
    import tempfile

    exe = shutil.which("tesseract")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory(prefix="archive-osd-") as tmp:
        png = Path(tmp) / "page.png"
        image.save(png)
        try:
            out = subprocess.run([exe, str(png), "-", "--psm", "0", "--dpi", str(BAND_DPI)], capture_output=True,
                                 text=True, timeout=60).stdout
        except (OSError, subprocess.SubprocessError):
            return None
    rotate = re.search(r"Rotate:\s*(\d+)", out)
    conf = re.search(r"Orientation confidence:\s*([\d.]+)", out)
    if not rotate or not conf or float(conf.group(1)) < OSD_MIN_CONFIDENCE:
        return None
    return (-int(rotate.group(1))) % 360


def _page_bands(seen, n: int, image, ocr, head_only: bool = False) -> int:
    """The upper band of page ``n`` as it stands upright (Tesseract's orientation detection), or of every
    rotation (0, 180, 90, 270 degrees) when the orientation cannot be told; CJK characters read there."""
    w, h = image.size
    scale = min(1.0, SCAN_SIDE / max(w, h))
    if scale < 1.0:
        image = image.resize((int(w * scale), int(h * scale)))
    turns = [0] if head_only else None
    if turns is None:
        turn = _orientation(image)
        turns = [turn] if turn is not None else [0, 180, 90, 270]
    best = 0
    for turn in turns:
        upright = image.rotate(turn, expand=True) if turn else image
        band = upright.crop((0, 0, upright.width, int(upright.height * BAND)))
        label = {0: "", 90: "（横置）", 180: "（倒置）", 270: "（横置）"}[turn]
        best = max(best, _ocr_band(seen, f"第{n}页上部{label}", band, ocr, damaged=(turn == turns[0])))
        if seen.marked():
            break
    return best


def _scan(seen, pages, ocr):
    """Scanned pages ((number, Pillow image)): the upper band of every page in every rotation."""
    if not _ocr_ready(seen, ocr, "扫描件"):
        return
    for n, image in pages:
        if n > SCAN_PAGES:
            seen.doubt(f"扫描件超过 {SCAN_PAGES} 页，其余页未检查密级标志")
            break
        read = _page_bands(seen, n, image, ocr)
        if seen.marked():
            return
        if n == 1 and read < 4:
            seen.doubt("第1页上部无法识别（任何方向都读不出文字），无法确认没有密级标志")


def _read_image(seen, path, ocr, ex):
    from archive.extract import ocr as ocr_mod

    _scan(seen, ((n, im) for n, im, _ in ocr_mod._image_frames(path)), ocr)


def _read_pdf(seen, path, ocr, ex):
    import pypdfium2 as pdfium

    from archive.extract.pdf import extract_pdf

    try:
        layer = extract_pdf(path)  # refuses an encrypted PDF; the text of every page
        texts = layer.page_texts
    except Exception as e:  # noqa: BLE001
        from archive.extract import NoTextLayerError

        if not isinstance(e, NoTextLayerError):
            raise
        texts = [""] * max(1, e.pages)
    for n, text in enumerate(texts, start=1):
        seen.lines(f"第{n}页", text.splitlines())
    _pdf_annotations(seen, path)
    if seen.marked():
        return
    pdf = pdfium.PdfDocument(str(path))
    try:
        scans = [i for i, t in enumerate(texts) if sum(1 for ch in t if not ch.isspace()) < 8]
        born = [i for i in range(min(len(pdf), BORN_BAND_PAGES)) if i not in scans and _band_has_drawing(pdf, i)]
        pages = sorted(set(scans) | set(born))
        if not pages:
            return
        from archive.extract import ocr as ocr_mod

        if not _ocr_ready(seen, ocr, "页面图像"):
            return
        for i in pages:
            if i >= SCAN_PAGES:
                seen.doubt(f"扫描件超过 {SCAN_PAGES} 页，其余页未检查密级标志")
                break
            image = ocr_mod.render_pdf_page(pdf, i, BAND_DPI)
            read = _page_bands(seen, i + 1, image, ocr, head_only=i not in scans)
            if seen.marked():
                return
            if i == 0 and i in scans and read < 4:
                seen.doubt("第1页上部无法识别（任何方向都读不出文字），无法确认没有密级标志")
    finally:
        pdf.close()


def _band_has_drawing(pdf, index: int) -> bool:
    """The upper band of page ``index`` holds an image, or vector drawing that is not a plain rule."""
    import pypdfium2.raw as pdfium_c

    page = pdf[index]
    try:
        w, h = page.get_size()
        floor = h * (1 - BAND)
        for o in page.get_objects(max_depth=4):
            if o.type not in (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_PATH):
                continue
            left, bottom, right, top = o.get_bounds()
            if top < floor:
                continue
            if o.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                return True
            bw, bh = right - left, top - bottom
            if bh < 4 or bw < 4 or (bw > 0.5 * w and bh < 12) or (bw > 0.9 * w and bh > 0.9 * h):
                continue  # a rule, a hairline, the page's own background
            return True
        return False
    finally:
        page.close()


def _pdf_annotations(seen, path):
    """Annotations (FreeText, Text, Stamp …): their contents and rich text."""
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(str(path), strict=False)
    if reader.is_encrypted:
        reader.decrypt("")
    info = reader.metadata or {}
    meta = "\n".join(f"{k.lstrip('/')}：{v}" for k, v in info.items() if isinstance(v, str))
    if meta:
        seen.text("文档属性", meta, False)
    for n, page in enumerate(reader.pages, start=1):
        annots = page.get("/Annots")
        if not annots:
            continue
        for ref in annots.get_object() if hasattr(annots, "get_object") else annots:
            a = ref.get_object()
            parts = [str(a.get(k, "")) for k in ("/Contents", "/RC", "/T", "/Subj", "/Name", "/V", "/TU")]
            text = "\n".join(re.sub(r"<[^>]+>", "\n", p) for p in parts if p)
            if text.strip():
                seen.text(f"第{n}页批注", text, True)


def _read_ofd(seen, path, ocr, ex):
    from archive.extract import NoTextLayerError
    from archive.extract.ofd import extract_ofd, page_images

    try:
        texts = extract_ofd(path).page_texts
    except NoTextLayerError:
        texts = []
    for n, text in enumerate(texts, start=1):
        seen.lines(f"第{n}页", text.splitlines())
    if seen.marked():
        return
    images = [(n, data) for n, data in page_images(path) if data
              and (n > len(texts) or sum(1 for ch in texts[n - 1] if not ch.isspace()) < 8)]
    if images:
        import io

        from PIL import Image

        def frames():
            for n, data in images:
                with Image.open(io.BytesIO(data)) as im:
                    yield n, im.convert("L")
        _scan(seen, frames(), ocr)


def _read_html(seen, path, ocr, ex):
    from archive.extract import read_limited
    from archive.extract.html import MAX_HTML_BYTES, _mht_html
    from archive.extract.marks import html_places

    data = read_limited(path, MAX_HTML_BYTES, "网页文件", "请另存为 PDF 后再试")
    if data.lstrip()[:5].lower().startswith((b"mime-", b"from:")) or b"multipart/related" in data[:4096]:
        found = _mht_html(data)
        data = found[0] if found else data
    for where, text in html_places(data):
        lines = [ln for ln in text.splitlines() if ln.strip()]
        seen.text(where, "\n".join(lines[:60]), True)
        seen.text(where, "\n".join(lines[60:]), False)


def _read_office(seen, path, ocr, ex):
    """.doc/.wps/.rtf: converted to DOCX by LibreOffice (as the extraction does), then read as a DOCX, every place."""
    from archive.extract.detect import detect_type
    from archive.extract.office import converted, soffice_program

    binary = soffice_program()
    if binary is None:
        seen.doubt("本机未安装 LibreOffice，无法读取该文档，无法确认没有密级标志")
        return
    kind = detect_type(path)
    with converted(binary, Path(path), "rtf" if kind == "rtf" else "doc", "docx:MS Word 2007 XML", "docx") as c:
        if not c.made:
            seen.doubt(f"LibreOffice 无法转换该文档（{c.tail or c.rc}），无法确认没有密级标志")
            return
        _read_docx(seen, c.result, ocr, ex)


_READERS = {"text": _read_text, "docx": _read_docx, "pdf": _read_pdf, "image": _read_image, "ofd": _read_ofd,
            "html": _read_html, "mht": _read_html, "doc": _read_office, "rtf": _read_office}
