"""归档章 (DA/T 22-2015): a copy of an archived PDF with the stamp at the top right of page 1.

The stamp is a red 2 × 3 grid, 45 mm × 16 mm:   全宗号 | 年度 | 件号   /   机构(问题) | 保管期限 | 页数.
It is drawn with reportlab and merged onto page 1 with pypdf into a NEW file; the stored original is never
touched (the store is read-only and content-addressed).
"""

from __future__ import annotations

import io
from pathlib import Path

from archive.config import RETENTION_NAMES, Config
from archive.errors import ExportError
from archive.export import atomic_output
from archive.store import FileStore

CELL_W, CELL_H = 15.0, 8.0  # mm
MARGIN_TOP, MARGIN_RIGHT = 8.0, 12.0  # mm from the page's top right corner


def stamp_cells(row, cfg: Config) -> list[list[tuple[str, str]]]:
    """(label, value) per cell, two rows of three."""
    org = row["org"] or ""
    return [
        [("全宗号", row["fonds"] or ""), ("年度", str(row["year"] or "")),
         ("件号", f"{row['item_no']:04d}" if row["item_no"] else "")],
        [("机构(问题)", cfg.orgs.get(org, org)), ("保管期限", RETENTION_NAMES.get(row["retention"] or "", "")),
         ("页数", str(row["pages"] or ""))],
    ]


def _overlay(width: float, height: float, x0: float, y0: float, cells) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height))
    left = x0 + width - MARGIN_RIGHT * mm - 3 * CELL_W * mm
    top = y0 + height - MARGIN_TOP * mm
    draw(c, left, top, cells)
    c.showPage()
    c.save()
    return buf.getvalue()


def draw(c, left: float, top: float, cells) -> None:
    """The 归档章 on a reportlab canvas, its top left corner at (``left``, ``top``) in points (also used by the
    year's sheet of 归档章, archive/export/year_outputs.py)."""
    from reportlab.lib.colors import Color
    from reportlab.lib.units import mm

    from archive.export import fonts

    font = fonts.register()
    red = Color(0.85, 0.05, 0.05)
    cw, ch = CELL_W * mm, CELL_H * mm
    c.saveState()
    c.setStrokeColor(red)
    c.setFillColor(red)
    c.setLineWidth(0.9)
    c.rect(left, top - 2 * ch, 3 * cw, 2 * ch)
    c.setLineWidth(0.6)
    c.line(left, top - ch, left + 3 * cw, top - ch)
    for i in (1, 2):
        c.line(left + i * cw, top, left + i * cw, top - 2 * ch)
    for r, row in enumerate(cells):
        for k, (label, value) in enumerate(row):
            cx, cy = left + k * cw + cw / 2, top - r * ch
            c.setFont(font, 4.2)
            c.drawCentredString(cx, cy - 5.0, label)
            size = 8.5
            while size > 4 and c.stringWidth(value, font, size) > cw - 6:
                size -= 0.5
            c.setFont(font, size)
            c.drawCentredString(cx, cy - ch + 3.6, value)
    c.restoreState()


def check_stampable(store: FileStore, row, out: Path) -> Path:
    """The stored file of an archived record, refusing what cannot carry a 归档章 and an output inside
    the store (the store is read-only and content-addressed)."""
    ref = row["archival_code"] or f"记录 {row['id']}"
    if row["status"] != "archived" or not row["archival_code"]:
        raise ExportError(f"{ref} 尚未归档（没有档号），不能加盖归档章")
    if not row["stored_path"]:
        raise ExportError(f"{ref} 没有电子文件，不能加盖归档章")
    src = store.abspath(row["stored_path"])
    if out.resolve() == src.resolve() or store.root.resolve() in out.resolve().parents:
        raise ExportError(f"不能写入档案库内部（{out}）：请指定库外的输出文件")
    return src


def stamp_pdf(store: FileStore, row, cfg: Config, out: Path) -> Path:
    """Write ``out``: the record's stored PDF with the 归档章 on page 1."""
    ref = row["archival_code"] or f"记录 {row['id']}"
    src = check_stampable(store, row, out)
    if row["media_type"] != "pdf":
        raise ExportError(f"{ref} 的电子文件是 {row['media_type']}，归档章只能加在 PDF 上：请先转为 PDF 再入库")
    return stamp_pdf_file(src, row, cfg, out)


def stamp_pdf_file(src: Path, row, cfg: Config, out: Path, what: str = "PDF") -> Path:
    """Write ``out``: the PDF ``src`` (the stored file, or a rendition of it) with the record's 归档章 on page 1."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PdfReadError

    ref = row["archival_code"] or f"记录 {row['id']}"
    try:
        reader = PdfReader(str(src))
        if reader.is_encrypted:
            raise ExportError(f"{ref} 的 {what} 已加密，不能加盖归档章")
        writer = PdfWriter(clone_from=reader)
    except (PdfReadError, OSError) as e:
        raise ExportError(f"无法读取 {ref} 的 {what}（{e}）：请先运行 archive verify 检查") from e
    if not writer.pages:
        raise ExportError(f"{ref} 的 {what} 没有页面，不能加盖归档章")
    page = writer.pages[0]
    if page.rotation:
        page.transfer_rotation_to_content()  # the stamp goes to the top right as the page is seen
    box = page.mediabox
    overlay = PdfReader(io.BytesIO(_overlay(float(box.width), float(box.height), float(box.left),
                                            float(box.bottom), stamp_cells(row, cfg))))
    page.merge_page(overlay.pages[0])
    with atomic_output(out) as tmp, open(tmp, "wb") as f:
        writer.write(f)
    return out
