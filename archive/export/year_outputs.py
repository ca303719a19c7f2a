"""The year's outputs (issue 25 items 3 and 4; docs/domain.md "The year's outputs"): the 归档文件目录 of each group
with its cover (PDF, XLSX), the year's 归档章 on one printable sheet, the year's summary (件 and pages per group),
and for the boxes the 备考表 and the 盒脊 / 封面 labels (A4, or one label a page).

The catalogue is catalogue.py's (``catalogue_sheets`` and its writers): this module adds the covers only. The
归档章 is stamp.py's drawing. Written at ``arrange close`` into ``<store>/filing/<年度>/`` and on demand.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

from archive import archival_code, display
from archive.bounds import clean_text
from archive.catalog import filing as gateway
from archive.errors import ExportError
from archive.export import atomic_output
from archive.export.catalogue import Sheet, catalogue_sheets, write, write_pdf, write_xlsx
from archive.retention import name as retention_name

SPINE_HEIGHT_MM = 240  # a 盒脊 label: the box's thickness wide, this tall (a 310 mm box standing upright)
COVER_LABEL_MM = (120, 45)  # a 封面 label: 全宗名称 with the double line under it
NAMES = {"catalogue_pdf": "归档文件目录-{y}.pdf", "catalogue_xlsx": "归档文件目录-{y}.xlsx",
         "stamps": "归档章-{y}.pdf", "summary_pdf": "年度统计-{y}.pdf", "summary_xlsx": "年度统计-{y}.xlsx",
         "beikao": "备考表-{y}.pdf", "labels_a4": "盒脊封面-A4-{y}.pdf", "labels_label": "盒脊封面-标签-{y}.pdf"}


def file_name(key: str, year: int) -> str:
    return NAMES[key].format(y=year)


def _sheets(arc, year: int) -> list[Sheet]:
    sheets = catalogue_sheets(arc.conn, arc.cfg, year)
    sheets = [s for s in sheets if s.rows and archival_code.parse(str(s.rows[0][1])) is not None]
    if not sheets:
        raise ExportError(f"{year} 年度没有已编档号的记录：归档（archive arrange close）之后才有归档文件目录")
    return sheets


def cover_of(arc, s: Sheet) -> list[tuple[str, str]]:
    """The cover's items of one group's catalogue (全宗名称, 全宗号, 年度, 保管期限, 机构(问题)), from its first 档号."""
    code = archival_code.parse(str(s.rows[0][1]))
    org = arc.cfg.orgs.get(code.org, code.org) if code.org else ""
    items = [("全宗名称", arc.cfg.agency_name), ("全宗号", code.fonds), ("年度", str(code.year)),
             ("保管期限", retention_name(code.retention, code.retention))]
    if org:
        items.append(("机构（问题）", org))
    return items


def _cover_page(items: list[tuple[str, str]], count: int, pagesize) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from archive.export import fonts

    font = fonts.register()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=pagesize)
    w, h = pagesize
    c.setFont(font, 30)
    c.drawCentredString(w / 2, h - 55 * mm, "归 档 文 件 目 录")
    left, y = w / 2 - 70 * mm, h - 90 * mm
    for label, value in items:
        c.setFont(font, 15)
        c.drawString(left, y, f"{label}：")
        size = 15
        value = clean_text(value)
        while size > 8 and c.stringWidth(value, font, size) > 100 * mm:
            size -= 0.5
        c.setFont(font, size)
        c.drawString(left + 40 * mm, y, value)
        c.line(left + 38 * mm, y - 2 * mm, left + 142 * mm, y - 2 * mm)
        y -= 14 * mm
    c.setFont(font, 11)
    c.drawCentredString(w / 2, 25 * mm, f"共 {count} 件")
    c.showPage()
    c.save()
    return buf.getvalue()


def catalogue(arc, year: int, folder: Path) -> list[Path]:
    """The 归档文件目录 of each group with its cover before it: one PDF (cover, then the group's pages) and one
    XLSX (a 封面 sheet before each group's sheet)."""
    from openpyxl import load_workbook
    from pypdf import PdfReader, PdfWriter
    from reportlab.lib.pagesizes import A4, landscape

    sheets = _sheets(arc, year)
    pdf, xlsx = folder / file_name("catalogue_pdf", year), folder / file_name("catalogue_xlsx", year)
    out = PdfWriter()
    with tempfile.TemporaryDirectory() as tmp:
        for k, s in enumerate(sheets):
            out.append(PdfReader(io.BytesIO(_cover_page(cover_of(arc, s), len(s.rows), landscape(A4)))))
            part = Path(tmp) / f"{k}.pdf"
            write_pdf([s], part)
            out.append(PdfReader(str(part)))
        with atomic_output(pdf) as t, open(t, "wb") as f:
            out.write(f)
        book = Path(tmp) / "catalogue.xlsx"  # openpyxl reads a workbook by its .xlsx name
        write_xlsx(sheets, book)
        wb = load_workbook(book)
        for k, s in enumerate(sheets):
            ws = wb.create_sheet(f"封面{k + 1}", index=wb.sheetnames.index(s.name))
            ws.append(["归档文件目录"])
            for label, value in cover_of(arc, s):
                ws.append([label, clean_text(value)])
            ws.append(["件数", len(s.rows)])
            ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 16, 40
        wb.save(book)
        with atomic_output(xlsx) as t:
            shutil.copyfile(book, t)
    return [pdf, xlsx]


def stamp_sheet(arc, year: int, path: Path) -> Path:
    """Every 归档章 of the year on A4 portrait sheets, 3 × 10 a page, each under its 档号 and 题名 (to print on
    label paper or to copy by hand)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from archive.export import fonts, stamp

    from archive.retention import ORDER

    items = sorted(gateway.numbered_of_year(arc.conn, arc.cfg.fonds, year),
                   key=lambda r: (ORDER.get(r["retention"], 9), r["org"] or "", r["item_no"]))
    if not items:
        raise ExportError(f"{year} 年度没有已编档号的记录：归档（archive arrange close）之后才有归档章")
    font = fonts.register()
    w, h = A4
    cols, per_col = 3, 10
    cell_w, cell_h = 60 * mm, 25 * mm
    left0 = (w - cols * cell_w) / 2
    top0 = h - 22 * mm
    pages = max(1, -(-len(items) // (cols * per_col)))
    with atomic_output(path) as tmp:
        c = canvas.Canvas(str(tmp), pagesize=A4)
        c.setTitle(f"{year} 年度归档章")
        for p in range(pages):
            c.setFont(font, 11)
            c.drawCentredString(w / 2, h - 13 * mm, clean_text(
                f"{arc.cfg.agency_name}（{arc.cfg.fonds}）{year} 年度归档章，共 {len(items)} 件"))
            c.setFont(font, 8)
            c.drawCentredString(w / 2, 8 * mm, f"第 {p + 1} 页，共 {pages} 页")
            chunk = items[p * cols * per_col:(p + 1) * cols * per_col]
            for i, r in enumerate(chunk):
                col, row = i % cols, i // cols
                x, y = left0 + col * cell_w, top0 - row * cell_h
                caption = clean_text(f"{r['archival_code']} {r['title'] or ''}")
                c.setFont(font, 6)
                while c.stringWidth(caption, font, 6) > cell_w - 6 * mm and len(caption) > 4:
                    caption = caption[:-2] + "…"
                c.drawString(x + 3 * mm, y - 3 * mm, caption)
                stamp.draw(c, x + (cell_w - 3 * stamp.CELL_W * mm) / 2, y - 5 * mm, stamp.stamp_cells(r, arc.cfg))
            c.showPage()
        c.save()
    return path


def summary_sheet(arc, year: int) -> Sheet:
    """件 and pages per group of the year (the records filed; a destroyed one said in the 备注), and the totals."""
    records = gateway.numbered_of_year(arc.conn, arc.cfg.fonds, year)
    if not records:
        raise ExportError(f"{year} 年度没有已编档号的记录：归档（archive arrange close）之后才有年度统计")
    boxes = {}
    for b in gateway.boxes_of_year(arc.conn, arc.cfg.fonds, year):
        boxes[(b["retention"], b["org"])] = boxes.get((b["retention"], b["org"]), 0) + 1
    from archive.retention import ORDER

    groups: dict[tuple, list] = {}
    for r in records:
        groups.setdefault((r["retention"], r["org"] or ""), []).append(r)
    rows = []
    for i, key in enumerate(sorted(groups, key=lambda k: (ORDER.get(k[0], 9), k[1])), 1):
        rs = groups[key]
        rows.append([i, year, retention_name(key[0], key[0]), arc.cfg.orgs.get(key[1], key[1]) if key[1] else "",
                     len(rs), sum(r["pages"] or 0 for r in rs), f"{rs[0]['archival_code']} 至 {rs[-1]['archival_code']}",
                     boxes.get(key, "")])
    rows.append(["合计", "", "", "", len(records), sum(r["pages"] or 0 for r in records), "",
                 sum(boxes.values()) or ""])
    return Sheet(name=f"{year}年度统计", title=f"{year} 年度归档统计",
                 subtitle=f"全宗：{arc.cfg.agency_name}（{arc.cfg.fonds}）　　年度：{year}",
                 columns=("序号", "年度", "保管期限", "机构（问题）", "件数", "页数", "档号起止", "盒数"),
                 widths=(12, 12, 16, 26, 12, 12, 80, 12), rows=rows,
                 footer=f"制表时间：{display.local_time(_now(), arc.cfg.tz)}")


def _now() -> str:
    from archive import catalog

    return catalog.now()


def write_year(arc, year: int, folder: Path) -> list[Path]:
    """All of the year's outputs into ``folder`` (made if missing): the catalogue with covers (PDF, XLSX), the
    归档章 sheet, the summary (PDF, XLSX), and where the year is boxed the 备考表 and labels."""
    folder.mkdir(parents=True, exist_ok=True)
    files = catalogue(arc, year, folder)
    files.append(stamp_sheet(arc, year, folder / file_name("stamps", year)))
    summary = summary_sheet(arc, year)
    files.append(write([summary], folder / file_name("summary_pdf", year)))
    files.append(write([summary], folder / file_name("summary_xlsx", year)))
    from archive import boxes

    found = boxes.boxes(arc, year)
    if found:
        files += box_prints(arc, year, folder, found)
    return files


# ---- boxes: 备考表, 盒脊 and 封面 --------------------------------------------------------------------------
def _boxes(arc, year: int):
    from archive import boxes

    found = boxes.boxes(arc, year)
    if not found:
        raise ExportError(f"{year} 年度还没有装盒（archive arrange box --year {year}）")
    return found


def box_prints(arc, year: int, folder: Path, found: list | None = None) -> list[Path]:
    """The 备考表 and the two label layouts, from one read of the year's boxes (``found``: already read)."""
    folder.mkdir(parents=True, exist_ok=True)
    found = found or _boxes(arc, year)
    return [beikao(arc, year, folder / file_name("beikao", year), found),
            labels(arc, year, folder / file_name("labels_a4", year), "a4", found),
            labels(arc, year, folder / file_name("labels_label", year), "label", found)]


def beikao(arc, year: int, path: Path, found: list | None = None) -> Path:
    """备考表, one A4 page a box (DA/T 22-2015 6.4.2): 盒内文件情况说明, 整理人, 整理日期, 检查人, 检查日期;
    a name the program knows is printed, with room for the signature. ``found``: the year's boxes, if read."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from archive import boxes as boxes_mod
    from archive.export import fonts

    font = fonts.register()
    title = ParagraphStyle("t", fontName=font, fontSize=22, leading=30, alignment=TA_CENTER)
    sub = ParagraphStyle("s", fontName=font, fontSize=10.5, leading=15, alignment=TA_CENTER)
    body = ParagraphStyle("b", fontName=font, fontSize=12, leading=22, wordWrap="CJK", firstLineIndent=24)
    cell = ParagraphStyle("c", fontName=font, fontSize=12, leading=16, wordWrap="CJK")
    found = found or _boxes(arc, year)
    records = gateway.numbered_of_year(arc.conn, arc.cfg.fonds, year)
    papers = boxes_mod.paper_of(arc.conn, [r["id"] for r in records])
    story = []
    for k, b in enumerate(found):
        if k:
            story.append(PageBreak())
        group = [r for r in records if (r["retention"], r["org"] or "") == (b.retention, b.org)]
        org = arc.cfg.orgs.get(b.org, b.org) if b.org else ""
        head = (f"全宗号：{arc.cfg.fonds}　年度：{year}　保管期限：{retention_name(b.retention, b.retention)}"
                + (f"　机构（问题）：{org}" if org else "") + f"　盒号：{b.box_no}")
        text = boxes_mod.situation(b, group, papers)
        data = [[Paragraph("盒内文件情况说明", cell), "", "", ""],
                [Paragraph(escape(clean_text(text)), body), "", "", ""],
                [Paragraph("整理人", cell), Paragraph(escape(clean_text(b.arranged_by)), cell),
                 Paragraph("整理日期", cell), Paragraph(display.local_date(b.arranged_at, arc.cfg.tz), cell)],
                [Paragraph("检查人", cell), Paragraph(escape(clean_text(b.checked_by or "")), cell),
                 Paragraph("检查日期", cell), Paragraph(display.local_date(b.checked_at, arc.cfg.tz) if b.checked_at else "", cell)]]
        t = Table(data, colWidths=[35 * mm, 55 * mm, 35 * mm, 45 * mm],
                  rowHeights=[12 * mm, 150 * mm, 16 * mm, 16 * mm])
        t.setStyle(TableStyle([
            ("BOX", (0, 0), (-1, -1), 1, colors.black), ("INNERGRID", (0, 2), (-1, -1), 0.6, colors.black),
            ("LINEBELOW", (0, 1), (-1, 1), 0.6, colors.black),
            ("SPAN", (0, 0), (-1, 0)), ("SPAN", (0, 1), (-1, 1)),
            ("VALIGN", (0, 0), (-1, 0), "MIDDLE"), ("VALIGN", (0, 1), (-1, 1), "TOP"),
            ("VALIGN", (0, 2), (-1, -1), "MIDDLE")]))
        story += [Paragraph("备 考 表", title), Spacer(1, 3 * mm), Paragraph(escape(clean_text(head)), sub),
                  Spacer(1, 6 * mm), t, Spacer(1, 4 * mm),
                  Paragraph("（整理人、检查人签名或签章）", sub)]
    with atomic_output(path) as tmp:
        SimpleDocTemplate(str(tmp), pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm,
                          bottomMargin=20 * mm, title=f"{year} 年度备考表").build(story)
    return path


def _spine_fields(arc, year: int, b) -> list[tuple[str, list[str]]]:
    org = arc.cfg.orgs.get(b.org, b.org) if b.org else ""
    out = [("全宗号", [arc.cfg.fonds]), ("年度", [str(year)]), ("保管期限", [retention_name(b.retention, b.retention)])]
    if org:
        out.append(("机构（问题）", [org]))
    out += [("起止件号", [f"{b.first:04d}" if b.first else "", f"{b.last:04d}" if b.last else ""]),
            ("盒号", [str(b.box_no)])]
    return out


def _draw_spine(c, x: float, y: float, width: float, height: float, fields, font: str) -> None:
    """One 盒脊 label, its bottom left at (x, y): each item a cell, its name small above its value; a name or
    value wider than the label is written downwards a character a line; 起止件号 in an upper and lower cell."""
    from reportlab.lib.units import mm

    c.setLineWidth(0.8)
    c.rect(x, y, width, height)
    weights = [2 if len(v) > 1 else 1 for _, v in fields]
    unit = height / sum(weights)
    top = y + height
    for (label, values), wgt in zip(fields, weights):
        cell_h = unit * wgt
        c.setLineWidth(0.5)
        c.line(x, top - cell_h, x + width, top - cell_h)
        label_size = 7
        if c.stringWidth(label, font, label_size) <= width - 2 * mm:
            c.setFont(font, label_size)
            c.drawCentredString(x + width / 2, top - 4 * mm, label)
            label_h = 6 * mm
        else:  # downwards, a character a line
            c.setFont(font, label_size)
            for i, ch in enumerate(label):
                c.drawCentredString(x + width / 2, top - 4 * mm - i * 3 * mm, ch)
            label_h = (len(label) * 3 + 3) * mm
        each = (cell_h - label_h) / len(values)
        for i, value in enumerate(values):
            value = clean_text(value)
            size = 14
            while size > 7 and c.stringWidth(value, font, size) > width - 2 * mm:
                size -= 0.5
            mid = top - label_h - each * i - each / 2
            if i:
                c.setDash(2, 2)
                c.line(x + 1 * mm, top - label_h - each * i, x + width - 1 * mm, top - label_h - each * i)
                c.setDash()
            c.setFont(font, size)
            if c.stringWidth(value, font, size) <= width - 2 * mm:
                c.drawCentredString(x + width / 2, mid - size / 3, value)
            else:  # a long name: wrapped into lines across the label, as large as the cell allows
                lines, size = _wrap(c, value, font, width - 2 * mm, each - 2 * mm)
                c.setFont(font, size)
                step = size * 1.2
                start = mid + (len(lines) - 1) * step / 2
                for j, line in enumerate(lines):
                    c.drawCentredString(x + width / 2, start - j * step - size / 3, line)
        top -= cell_h


def _wrap(c, text: str, font: str, width: float, height: float) -> tuple[list[str], float]:
    """``text`` broken into lines no wider than ``width`` at the largest size (12 pt down to 4) whose lines fit
    in ``height``."""
    size = 12.0
    while True:
        lines, line = [], ""
        for ch in text:
            if line and c.stringWidth(line + ch, font, size) > width:
                lines.append(line)
                line = ""
            line += ch
        lines.append(line)
        if len(lines) * size * 1.2 <= height or size <= 4:
            return lines, size
        size -= 0.5


def _draw_cover(c, x: float, y: float, width: float, height: float, name: str, font: str, size: float) -> None:
    """全宗名称 with a double line under it (DA/T 22-2015 6.4.1.1: the box cover names the 全宗)."""
    name = clean_text(name)
    while size > 8 and c.stringWidth(name, font, size) > width * 0.9:
        size -= 1
    c.setFont(font, size)
    c.drawCentredString(x + width / 2, y + height / 2, name)
    line_w = min(width * 0.9, c.stringWidth(name, font, size) + size)
    for dy in (size * 0.35, size * 0.5):
        c.line(x + (width - line_w) / 2, y + height / 2 - dy, x + (width + line_w) / 2, y + height / 2 - dy)


def labels(arc, year: int, path: Path, size: str, found: list | None = None) -> Path:
    """盒脊 and 封面 labels. ``a4``: the spines at their real size side by side on A4 portrait (cut along the
    lines), then one A4 cover page; ``label``: one label a page, each spine (thickness × 240 mm) followed by the
    box's cover label (120 × 45 mm), for a label printer. ``found``: the year's boxes, if read."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from archive.export import fonts

    if size not in ("a4", "label"):
        raise ExportError(f"标签尺寸只能是 a4 或 label，不是 “{size}”")
    font = fonts.register()
    found = found or _boxes(arc, year)
    with atomic_output(path) as tmp:
        c = canvas.Canvas(str(tmp), pagesize=A4)
        c.setTitle(f"{year} 年度盒脊和封面")
        if size == "a4":
            w, h = A4
            x, gap = 15 * mm, 4 * mm
            y = (h - SPINE_HEIGHT_MM * mm) / 2
            for b in found:
                width = b.thickness_mm * mm
                if x + width > w - 15 * mm:
                    c.showPage()
                    x = 15 * mm
                _draw_spine(c, x, y, width, SPINE_HEIGHT_MM * mm, _spine_fields(arc, year, b), font)
                x += width + gap
            c.setFont(font, 8)
            c.drawString(15 * mm, 8 * mm, f"{year} 年度盒脊（实际尺寸：宽为盒脊厚度，高 {SPINE_HEIGHT_MM} 毫米），沿边框剪下")
            c.showPage()
            c.setLineWidth(0.8)
            _draw_cover(c, 0, h * 0.55, w, h * 0.3, arc.cfg.agency_name, font, 40)
            c.showPage()
        else:
            for b in found:
                width = b.thickness_mm * mm
                c.setPageSize((width, SPINE_HEIGHT_MM * mm))
                _draw_spine(c, 0, 0, width, SPINE_HEIGHT_MM * mm, _spine_fields(arc, year, b), font)
                c.showPage()
                cw, chh = COVER_LABEL_MM[0] * mm, COVER_LABEL_MM[1] * mm
                c.setPageSize((cw, chh))
                c.setLineWidth(0.6)
                _draw_cover(c, 0, 0, cw, chh, arc.cfg.agency_name, font, 18)
                c.showPage()
        c.save()
    return path
