"""PDF text layer: pypdfium2 (PDFium) for the text, pypdf for structure and encryption.

pypdf opens the file and decides about encryption (an encrypted PDF is opened with the empty user password
if it has one; otherwise it is refused). The text is read with PDFium, ten to twenty times faster than
pypdf's text path (bench/ingest_bench.py). PDFium gives each line in content order and marks the spaces it
inserts for a visual gap; a wide gap (more than half the line height, e.g. 印发机关 … 印发日期) becomes three
spaces, a narrow one between Chinese characters or digits (character spacing of justified lines) none. The
first lines of page 1 (the 版头) are laid out from the character boxes, so a joint 版头 such as
``发展改革委办公厅  文件`` / ``税务总局办公厅`` keeps its lines. When PDFium cannot open a file pypdf could,
the pypdf path below reads it.

With pypdf, each page is read in pypdf's layout mode (it follows positions, so a joint 版头 such as
``发展改革委办公厅  文件`` / ``税务总局办公厅`` keeps its lines) and falls back to the plain mode when
layout mode fails or gives clearly less text. Spaces that PDF producers put between CJK text and
ASCII digits (``2022 年8 月``, ``5 号``: LibreOffice, WPS, Word) are removed (one or two of them;
a wider gap is a real one and stays as one space). An encrypted PDF is
opened with the empty user password if it has one; otherwise it is refused. Every pypdf exception
becomes an ExtractionError.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

from archive.errors import ExtractionError, damage_detail
from archive.extract import NoTextLayerError, fail
from archive.models import Extracted

__all__ = ["extract_pdf", "tidy_pdf_text"]

_CJK = r"\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
# One or two spaces between CJK and an ASCII digit are producer artefacts (font switch, CJK/Latin
# autospace); three or more (layout mode) mark a real gap, e.g. 印发机关 … 印发日期, and are kept.
_SPACE_CJK_DIGIT = re.compile(
    rf"(?<=[{_CJK}])[ \u00a0]{{1,2}}(?=[0-9])|(?<=[0-9])[ \u00a0]{{1,2}}(?=[{_CJK}])"
)


def tidy_pdf_text(text: str) -> str:
    """Remove the 1–2 spaces PDF text layers put between CJK characters and ASCII digits."""
    return _SPACE_CJK_DIGIT.sub("", text)


def _visible(s: str) -> int:
    return sum(1 for ch in s if not ch.isspace())


def _page_text(page) -> tuple[str, str | None]:
    """(text, error) for one page: layout mode, or plain mode when that is better."""
    layout = plain = None
    err = None
    try:
        layout = page.extract_text(extraction_mode="layout") or ""
    except MemoryError:  # past the worker's memory limit: the file fails as such
        raise
    except Exception as e:  # noqa: BLE001 - pypdf raises anything on broken content
        err = f"{type(e).__name__}: {e}"
    try:
        plain = page.extract_text() or ""
    except MemoryError:  # past the worker's memory limit: the file fails as such
        raise
    except Exception as e:  # noqa: BLE001
        err = err or f"{type(e).__name__}: {e}"
    if layout is None and plain is None:
        return "", err
    if layout is None or (plain is not None and _visible(layout) < 0.9 * _visible(plain)):
        return plain or "", None
    return layout, None


def extract_pdf(path) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError
    from pypdf import PasswordType

    path = Path(path)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except DependencyError as e:
                raise fail(path, "PDF 已加密，解密所需的组件（cryptography）未安装",
                           "请安装 cryptography，或提供未加密的 PDF") from e
            if ok == PasswordType.NOT_DECRYPTED:
                raise fail(path, "PDF 已加密，需要密码才能打开", "请提供去掉密码的 PDF")
        n = len(reader.pages)
    except FileNotDecryptedError as e:
        raise fail(path, "PDF 已加密，需要密码才能打开", "请提供去掉密码的 PDF") from e
    except ExtractionError:
        raise
    except RecursionError as e:
        raise fail(path, "PDF 文件结构异常（嵌套过深）", "请重新导出 PDF 后再试") from e
    except MemoryError:  # past the worker's memory limit: the file fails as such
        raise
    except Exception as e:  # noqa: BLE001 - pypdf raises many kinds on damaged files
        raise fail(path, f"PDF 文件已损坏或不完整{damage_detail(e)}",
                   "请重新获取或重新导出该文件后再试") from e
    if n == 0:
        raise fail(path, "PDF 没有页面", "请重新获取或重新导出该文件后再试")

    from archive.extract import PDF_TIME_LIMIT  # read at call time so tests can lower it

    started = time.monotonic()
    doc = _pdfium_open(path)
    if doc is not None:
        try:
            if len(doc) == n:
                return _pdfium_extract(path, doc, n, started, PDF_TIME_LIMIT)
        finally:
            doc.close()

    def pypdf_page(i: int) -> tuple[str, str | None]:
        return _page_text(reader.pages[i])

    return _read_pages(path, n, started, PDF_TIME_LIMIT, pypdf_page)


def _read_pages(path: Path, n: int, started: float, limit: float, read_page) -> Extracted:
    """Every page's text through ``read_page(i) -> (text, error)``, within the time limit; a page that cannot
    be read is a warning, a file whose pages all fail or all lack a text layer an error (the latter for OCR)."""
    page_texts: list[str] = []
    warnings: list[str] = []
    failed = 0
    empty: list[int] = []
    for i in range(n):
        if time.monotonic() - started > limit:
            raise fail(path, f"读取 PDF 超时（{limit:.0f} 秒内只读完 {i}/{n} 页）",
                       "请拆分或重新导出该 PDF 后再试")
        try:
            text, err = read_page(i)
        except MemoryError:  # past the worker's memory limit: the file fails as such
            raise
        except Exception as e:  # noqa: BLE001
            text, err = "", f"{type(e).__name__}: {e}"
        if err:
            failed += 1
            warnings.append(f"第{i + 1}页的文字无法读取（{err}）")
        text = tidy_pdf_text(text)
        if not text.strip():
            empty.append(i + 1)
        page_texts.append(text)
    if failed == n:
        raise fail(path, "PDF 文件已损坏，没有一页能读出文字", "请重新获取或重新导出该文件后再试")
    if len(empty) == n:
        raise fail(path, "PDF 没有文字层（可能是扫描件），需要 OCR", "请提供带文字层的 PDF",
                   NoTextLayerError, media_type="pdf", pages=n)
    no_layer = [p for p in empty if not any(w.startswith(f"第{p}页") for w in warnings)]
    if no_layer:
        warnings.append(f"第{_ranges(no_layer)}页没有文字层（可能是扫描页或空白页），这些页的文字未读取")
    return Extracted(media_type="pdf", text="\n".join(page_texts), pages=n, page_texts=page_texts,
                     warnings=warnings, method="text-layer")


def _pdfium_open(path: Path):
    """The PDFium document, or None when PDFium cannot open it (pypdf then reads it)."""
    try:
        import pypdfium2 as pdfium

        return pdfium.PdfDocument(str(path), password="")
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - PDFium errors on damaged files: pypdf is more forgiving
        return None


def _pdfium_extract(path: Path, doc, n: int, started: float, limit: float) -> Extracted:
    return _read_pages(path, n, started, limit, lambda i: (_pdfium_page_text(doc, i), None))


HEAD_LINES = 6  # lines of page 1 laid out from character boxes (the 版头: issuers, 文件, 发文字号)
WIDE_GAP = 0.5  # a gap wider than this share of the line height is a real one (kept as spaces)
_NARROW = re.compile(rf"[{_CJK}0-9]")


def _pdfium_page_text(doc, i: int) -> str:
    import ctypes

    import pypdfium2.raw as raw

    page = doc[i]
    tp = page.get_textpage()
    try:
        text = tp.get_text_range()
        n = raw.FPDFText_CountChars(tp.raw)
        if len(text) != n:  # not one string position per character (surrogates): the text as PDFium gives it
            return _SOFT.sub("-", text.replace("\r\n", "\n"))
        rect = raw.FS_RECTF()
        ref = ctypes.byref(rect)

        def box_at(k: int) -> tuple[float, float, float, float]:  # left, right, bottom, top
            # the loose box: the font's advance, ascent and descent (a glyph's own box makes 一 flat and
            # puts a wide gap beside 〔)
            raw.FPDFText_GetLooseCharBox(tp.raw, k, ref)
            return rect.left, rect.right, rect.bottom, rect.top

        order = _quotes_in_place(text, box_at)
        if order is not None:  # positions below are in reading order; PDFium's own index is order[k]
            text = "".join(text[k] for k in order)

            def char_box(k: int) -> tuple[float, float, float, float]:
                return box_at(order[k])

            class _Reordered:  # FPDFText_IsGenerated by reading-order position
                @staticmethod
                def FPDFText_IsGenerated(_tp, k):
                    return raw.FPDFText_IsGenerated(tp.raw, order[k])
            gen = _Reordered
        else:
            char_box, gen = box_at, raw

        start = 0
        head = ""
        if i == 0:
            start, head = _layout_head(text, char_box, gen, tp)
        out = [head]
        k = start
        while True:
            j = text.find(" ", k)
            if j < 0:
                out.append(text[k:])
                break
            out.append(text[k:j])
            k = j + 1
            if j == 0 or j + 1 >= n or text[j - 1] in " \r\n" or text[j + 1] in " \r\n":
                out.append(" ")
                continue
            a, b = text[j - 1], text[j + 1]
            left, right = char_box(j - 1), char_box(j + 1)
            height = max(left[3] - left[2], right[3] - right[2], 1.0)
            if right[0] - left[1] > WIDE_GAP * height:
                out.append("   ")  # a real gap (印发机关 … 印发日期), typed or not
            elif not ((_NARROW.match(a) or a in _QUOTES) and (_NARROW.match(b) or b in _QUOTES)
                      and gen.FPDFText_IsGenerated(tp.raw, j)):
                out.append(" ")  # a typed space, or one between words
        return _apart(_SOFT.sub("-", "".join(out).replace("\r\n", "\n")))
    finally:
        tp.close()
        page.close()


_QUOTES = set("“”‘’「」『』《》〈〉\"'")  # drawn by some writers in a fallback font, as a run of their own


def _quotes_in_place(text: str, box_at) -> list[int] | None:
    """Reading order for a page whose quotation marks PDFium lists out of place.

    LibreOffice draws full-width quotes in a fallback font as a separate run, so PDFium lists “ after the
    words it stands before. Within one line, a quotation mark whose box lies left of the character listed
    before it is moved to where its box is; nothing else moves. None when every mark is in place."""
    order: list[int] = []
    moved = False
    start = 0
    while start <= len(text):
        end = text.find("\r\n", start)
        end = len(text) if end < 0 else end
        line = list(range(start, end))
        if any(text[k] in _QUOTES for k in line):
            keep = [k for k in line if text[k] not in _QUOTES]
            for q in (k for k in line if text[k] in _QUOTES):
                left_q, _, bottom_q, top_q = box_at(q)
                at = len(keep)
                for i, k in enumerate(keep):  # before the first kept character it lies left of, on its line
                    left, _, bottom, top = box_at(k)
                    if left_q < left and min(top, top_q) - max(bottom, bottom_q) > 0:
                        at = i
                        break
                keep.insert(at, q)
            if keep != line:
                moved = True
            line = keep
        order.extend(line)
        if end < len(text):
            order.extend((end, end + 1))
        start = end + 2
    return order if moved else None


# A centred page number (— 5 —) stands apart from the text above it, as in pypdf's layout mode, so a 成文日期
# just before it is not read as the start of a range (2019年8月20日—5).
_PAGE_NO = re.compile(r"^[ \t]*([—－\-–]{1,2}[ \t]*\d{1,4}[ \t]*[—－\-–]{1,2})[ \t]*$", re.M)


def _apart(text: str) -> str:
    return _PAGE_NO.sub(lambda m: "\n" + " " * 16 + m.group(1), text)


_SOFT = re.compile("\u00ad")  # a soft hyphen used as a hyphen (2014­2020)


def _layout_head(text: str, char_box, raw, tp) -> tuple[int, str]:
    """(where the rest of the page starts, the first HEAD_LINES lines rebuilt from character boxes).

    A character joins the first line it overlaps by at least a third of its height, so a 文件 set between
    two stacked issuer names (a joint 版头) stays with the first, as it reads."""
    end, lines_seen = 0, 0
    while lines_seen < HEAD_LINES:
        j = text.find("\r\n", end)
        if j < 0:
            return 0, ""  # a short page: the plain path reads it
        end, lines_seen = j + 2, lines_seen + 1
        if "号" in text[max(0, j - 12):j]:  # the 发文字号's line ends the 版头
            break
    rows: list[list] = []  # [top, bottom, [(left, right, height, ch)]]
    for k in range(end):
        ch = text[k]
        if ch in "\r\n" or (ch == " " and raw.FPDFText_IsGenerated(tp.raw, k)):
            continue
        left, right, bottom, top = char_box(k)
        h = max(top - bottom, 1.0)
        for row in rows:
            if min(top, row[0]) - max(bottom, row[1]) >= h / 3:
                row[2].append((left, right, h, ch))
                break
        else:
            rows.append([top, bottom, [(left, right, h, ch)]])
    lines = []
    for top, _, chars in rows:  # in content order; a character set beside an earlier line joined it
        chars.sort()
        line, prev = "", None
        for left, right, h, ch in chars:
            if prev is not None and left - prev[1] > WIDE_GAP * max(h, prev[2]):
                line += "   "
            line += ch
            prev = (left, right, h)
        lines.append(line)
    return end, "\n".join(lines) + "\n"


def _ranges(pages: list[int]) -> str:
    """[1, 2, 3, 5] -> "1-3、5"."""
    out: list[str] = []
    start = prev = pages[0]
    for p in pages[1:] + [None]:
        if p is not None and p == prev + 1:
            prev = p
            continue
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
        if p is not None:
            start = prev = p
    return "、".join(out)
