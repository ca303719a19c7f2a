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

The package's parts: ``model`` (settings, lines, pages), ``engines`` (the RapidOCR and Tesseract adapters),
``header_repair`` (known misreadings of the 版头), ``confidence`` (the gate that sends an unsure 版头 to 待定),
``pages`` (PDF pages, image files, the 涉密 probe) and ``limits`` (the worker's rlimits OCR adjusts). Every name
is importable from ``archive.extract.ocr`` itself.
"""

from __future__ import annotations

from archive.extract.ocr.confidence import (_cn_date, _compact, _page_chars, _span_conf, date_confidence,
                                            header_confidence, low_confidence_reason)
from archive.extract.ocr.engines import (STUCK, _join_words, _languages_installed, _rapid, _rapid_page,
                                         _require, _tesseract, _tesseract_pil, available, full_width_punctuation,
                                         parse_tsv, rapid_lines)
from archive.extract.ocr.header_repair import PROVINCES, UNREAD, repair_header
from archive.extract.ocr.model import (DPI_CLAIM, ENGINES, MAX_PIXELS, NOISE_CHARS, RAPID_MAX_SIDE, OcrLine, OcrPage,
                                       OcrSettings)
from archive.extract.ocr.pages import (PROBE_MIN_COVER, PROBE_TOP, _image_frames, _limit, _searchable_page,
                                       image_cover, ocr_image_bytes, ocr_image_file, ocr_images, ocr_pdf_pages,
                                       ocr_pil_pages, probe_pdf_page, render_pdf_page)

__all__ = ["OcrSettings", "OcrLine", "OcrPage", "ocr_images", "ocr_pdf_pages", "ocr_image_file", "ocr_pil_pages",
           "ocr_image_bytes", "probe_pdf_page", "image_cover", "render_pdf_page", "available", "header_confidence",
           "date_confidence", "low_confidence_reason", "repair_header", "parse_tsv", "rapid_lines",
           "full_width_punctuation", "NOISE_CHARS", "ENGINES", "MAX_PIXELS", "DPI_CLAIM", "RAPID_MAX_SIDE", "STUCK",
           "PROBE_TOP", "PROBE_MIN_COVER", "PROVINCES", "UNREAD"]
_PRIVATE = (_cn_date, _compact, _page_chars, _span_conf, _join_words, _languages_installed, _rapid, _rapid_page,
            _require, _tesseract, _tesseract_pil, _image_frames, _limit, _searchable_page)  # importable as before
