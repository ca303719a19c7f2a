"""PDF text layer, with pypdf.

Each page is read in pypdf's layout mode (it follows positions, so a joint 版头 such as
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

from archive.errors import ExtractionError
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
        raise fail(path, f"PDF 文件已损坏或不完整（{type(e).__name__}: {e}）",
                   "请重新获取或重新导出该文件后再试") from e
    if n == 0:
        raise fail(path, "PDF 没有页面", "请重新获取或重新导出该文件后再试")

    from archive.extract import PDF_TIME_LIMIT  # read at call time so tests can lower it

    started = time.monotonic()

    page_texts: list[str] = []
    warnings: list[str] = []
    failed = 0
    empty: list[int] = []
    for i in range(n):
        if time.monotonic() - started > PDF_TIME_LIMIT:
            raise fail(path, f"读取 PDF 超时（{PDF_TIME_LIMIT:.0f} 秒内只读完 {i}/{n} 页）",
                       "请拆分或重新导出该 PDF 后再试")
        try:
            page = reader.pages[i]
            text, err = _page_text(page)
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
    return Extracted(
        media_type="pdf",
        text="\n".join(page_texts),
        pages=n,
        page_texts=page_texts,
        warnings=warnings,
    )


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
