"""What OCR reads and how it is set: the [ocr] settings, a recognised line and page, the fixed sizes."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class OcrSettings:
    """config.toml [ocr]; the defaults apply when the section or a key is absent."""

    enabled: bool = True
    engine: str = "rapidocr"  # "rapidocr" (default) or "tesseract"
    languages: str = "chi_sim"  # Tesseract language(s), "chi_sim+eng" for several
    dpi: int = 200  # PDF pages are rendered at this resolution
    page_timeout: float = 120.0  # seconds for one page (render or recognise); the page is skipped after
    workers: int = 0  # tesseract: pages recognised at once; 0 = number of cores
    threads: int = 1  # rapidocr: ONNX Runtime threads inside the extraction worker (bench/ocr.md: 1 costs least)
    det_max_side: int = 1280  # rapidocr: longer side of the page as the text detector sees it (0: the whole page);
    # 960 costs less but misread a title character on the test split (bench/ocr.md)
    min_header_confidence: float = 75.0  # below this, the 版头 is not trusted: the document goes to pending
    searchable_pdf: bool = False  # also store a PDF with a text layer beside the original

    def worker_count(self) -> int:
        """Processes (rapidocr) or tesseract children reading pages at once: ``workers``, or by default the
        number of cores, fewer when the memory available would not hold that many OCR processes."""
        if self.workers > 0:
            return self.workers
        return max(1, min(os.cpu_count() or 1, _available_mb() // OCR_PROCESS_MB))


# Resident memory of one process reading pages with RapidOCR (models, ONNX Runtime, a 200-dpi A4 page), with a
# margin: measured at 0.5-0.6 GB peak (bench/ocr.md, "Memory"). [ocr] workers = 0 starts no more of them than the
# memory available holds.
OCR_PROCESS_MB = 800


def _available_mb() -> int:
    """MemAvailable of /proc/meminfo in MB (a large number where it cannot be read)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return 1 << 20


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
    turned: int = 0  # degrees the page image was turned clockwise to read it (a scan fed sideways or upside down)
