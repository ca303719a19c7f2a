"""归档文件目录 (DA/T 22-2015) and the other printed lists, written as CSV, XLSX, DOCX or PDF.

A list is a sequence of ``Sheet``s (one per 保管期限 and 机构 for the catalogue); every writer prints A4
landscape with the header row repeated on each page and page numbers. The CSV and XLSX header is exactly
the DA/T 22 column names, so ``archive import catalog`` reads the catalogue back.
"""

from __future__ import annotations

import csv
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from archive import archival_code, display
from archive.catalog import appraisals, chain_head, exports
from archive.bounds import clean_text, spreadsheet_text
from archive.config import Config
from archive.display import head_line
from archive.errors import ExportError
from archive.export import atomic_output
from archive.retention import ORDER as RETENTION_ORDER
from archive.retention import name as retention_name

COLUMNS = ("序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注")
# column widths in millimetres on A4 landscape (267 mm between 15 mm margins); a 档号 and an 8-digit
# date fit on one line at 9 pt
WIDTHS = (12, 54, 34, 28, 73, 20, 12, 12, 22)
FORMATS = ("xlsx", "docx", "pdf", "csv")
# with 盒号 (once a year's paper originals are boxed): taken from the 题名's width
BOX_COLUMNS = COLUMNS[:-1] + ("盒号",) + COLUMNS[-1:]
BOX_WIDTHS = WIDTHS[:4] + (WIDTHS[4] - 12,) + WIDTHS[5:-1] + (12,) + WIDTHS[-1:]


@dataclass
class Sheet:
    name: str  # worksheet name (XLSX), ≤ 31 characters
    title: str  # printed above the table, e.g. 归档文件目录
    subtitle: str  # 全宗号 Z109　2022年度　永久　办公室
    columns: tuple[str, ...] = COLUMNS
    rows: list[list] = field(default_factory=list)
    widths: tuple[int, ...] = WIDTHS
    footer: str = ""  # printed under the table (signatures on a 销毁清册); lines separated by \n
    intro: list[str] = field(default_factory=list)  # paragraphs printed above the table (a report's text)


def date8(iso: str | None) -> str:
    """2022-08-28 -> 20220828 (DA/T 22 日期)."""
    return (iso or "").replace("-", "")


def remarks(conn: sqlite3.Connection, ids: list[int]) -> dict[int, str]:
    """备注 from appraisal decisions: extended retention, destroyed."""
    out: dict[int, list[str]] = {}
    if not ids:
        return {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for d in appraisals.dispositions_of(conn, chunk):
            day = display.local_date(d["decided_at"])
            text = (f"{day}经鉴定延长保管期限至{retention_name(d['retention_after'], d['retention_after'])}"
                    if d["decision"] == "extend" else f"{day}已销毁（批准人：{d['approved_by']}）")
            out.setdefault(d["document_id"], []).append(text)
    return {k: "；".join(v) for k, v in out.items()}


def elements_remark(r) -> str:
    """The 公文's own elements for the 备注 cell (DA/T 22's columns stay as they are): 份号, a 印章 found, the
    附注 (issue 26; migration 18). Empty for a record without them (or a catalog before migration 18)."""
    keys = r.keys()
    parts = []
    if "copy_no" in keys and r["copy_no"]:
        parts.append(f"份号{r['copy_no']}")
    if "stamp" in keys and r["stamp"] == "有":
        parts.append("有印章")
    if "annotation" in keys and r["annotation"]:
        parts.append(f"附注{r['annotation']}")
    return "；".join(parts)


def catalogue_row(seq: int, r, remark: str = "") -> list:
    remark = "；".join(x for x in (elements_remark(r), remark) if x)
    return [seq, r["archival_code"], r["doc_number"] or r["doc_number_raw"] or "", r["issuer"] or "",
            r["title"] or "", date8(r["date"]), r["secrecy"] or "", r["pages"] if r["pages"] is not None else "",
            remark]


def catalogue_sheets(conn: sqlite3.Connection, cfg: Config, year: int, retention: str | None = None,
                     org: str | None = None) -> list[Sheet]:
    """The 归档文件目录 of one 年度: one sheet per 保管期限 (and 机构), grouped by the 档号's own parts (a
    record whose retention was extended keeps its 档号 and its place, with a 备注)."""
    rows = exports.catalogued_records(conn)
    groups: dict[tuple, list] = {}
    for r in rows:
        code = archival_code.parse(r["archival_code"])
        if code is None or code.year != year:
            continue
        if retention and code.retention != retention:
            continue
        if org and (code.org or "") != org:
            continue
        groups.setdefault((code.fonds, code.retention, code.org or ""), []).append((code.item_no, r))
    notes = remarks(conn, [r["id"] for g in groups.values() for _, r in g])
    for g in groups.values():  # an imported record's 备注 came from the old catalogue: it goes back out
        for _, r in g:
            if r["origin"] == "import" and r["note"]:
                notes[r["id"]] = "；".join(x for x in (r["note"], notes.get(r["id"])) if x)
    boxes = _box_numbers(conn, [r["id"] for g in groups.values() for _, r in g])
    sheets = []
    for (fonds, ret, org_code) in sorted(groups, key=lambda k: (k[0], RETENTION_ORDER.get(k[1], 9), k[2])):
        items = sorted(groups[(fonds, ret, org_code)], key=lambda t: t[0])
        ret_name = retention_name(ret, ret)  # 长期/短期 of an old 档号 too
        org_name = cfg.orgs.get(org_code, org_code) if org_code else ""
        name = f"{year}-{ret_name}" + (f"-{org_name}" if org_name else "")
        sub = f"全宗号：{fonds}　　年度：{year}　　保管期限：{ret_name}" + (f"　　机构（问题）：{org_name}" if org_name else "")
        sheet = Sheet(name=name[:31], title="归档文件目录", subtitle=sub,
                      rows=[catalogue_row(i, r, notes.get(r["id"], "")) for i, (_, r) in enumerate(items, 1)])
        if boxes:  # 装盒 done (archive/boxes.py): the 盒号 before the 备注, for every sheet of the year alike
            sheet.columns, sheet.widths = BOX_COLUMNS, BOX_WIDTHS
            sheet.rows = [row[:-1] + [boxes.get(r["id"], "")] + row[-1:] for row, (_, r) in zip(sheet.rows, items)]
        sheets.append(sheet)
    if sheets:  # the chain head, for a witness outside the machine (verify --anchor)
        sheets[-1].footer = "\n".join(x for x in (sheets[-1].footer, head_line(chain_head(conn))) if x)
    return sheets


def _box_numbers(conn: sqlite3.Connection, ids: list[int]) -> dict[int, int]:
    """document id -> 盒号 of the records boxed (migration 23); empty when none is."""
    from archive.catalog import filing as filing_gateway

    return filing_gateway.box_numbers(conn, ids)


# ---- writers -------------------------------------------------------------------------------------
def write(sheets: list[Sheet], path: Path, fmt: str | None = None) -> Path:
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ExportError(f"不支持的格式 “{fmt}”：应为 {'、'.join(FORMATS)}")
    if not sheets:
        raise ExportError("没有可导出的记录（请检查年度、保管期限和机构）")
    with atomic_output(path) as tmp:
        {"csv": write_csv, "xlsx": write_xlsx, "docx": write_docx, "pdf": write_pdf}[fmt](sheets, tmp)
    return path


def csv_row(row) -> list:
    """A row for a CSV that a spreadsheet opens: no control characters, ``= + - @`` escaped."""
    return [spreadsheet_text(v, csv=True) for v in row]


def xlsx_append(ws, row) -> None:
    """Append a row to an openpyxl sheet with every text as text: a cell starting with ``=`` would else be
    stored as a formula (``=HYPERLINK(…)``, ``=cmd|…``); control characters, which openpyxl refuses, go."""
    ws.append([spreadsheet_text(v, csv=False) for v in row])
    for c in ws[ws.max_row]:
        if c.data_type == "f":
            c.data_type = "s"


def write_csv(sheets: list[Sheet], path: Path) -> None:
    """One table (UTF-8 with BOM, so Excel opens it): the DA/T 22 header once, then every sheet's rows."""
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(sheets[0].columns)
        for s in sheets:
            w.writerows(csv_row(r) for r in s.rows)


def write_xlsx(sheets: list[Sheet], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    for s in sheets:
        ws = wb.create_sheet(s.name)
        n = len(s.columns)
        xlsx_append(ws, [f"{s.title}（{s.subtitle.replace('　　', '，')}）"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n)
        ws["A1"].font = Font(size=14, bold=True)
        ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
        ws.row_dimensions[1].height = 28
        for para in s.intro:
            xlsx_append(ws, [para])
        head_row = ws.max_row + 1
        ws.append(list(s.columns))
        for c in ws[head_row]:
            c.font, c.border = Font(bold=True), box
            c.alignment = Alignment(horizontal="center", vertical="center")
        for row in s.rows:
            xlsx_append(ws, row)
            for c in ws[ws.max_row]:
                c.border = box
                c.alignment = Alignment(vertical="center", wrap_text=True)
        if s.footer:
            ws.append([])
            for line in s.footer.split("\n"):
                xlsx_append(ws, [line])
        for i, w in enumerate(s.widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = round(w / 1.9, 1)  # mm -> character widths
        ws.print_title_rows = f"{head_row}:{head_row}"  # the header row on every printed page
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"
        ws.freeze_panes = f"A{head_row + 1}"
    wb.save(path)


def write_docx(sheets: list[Sheet], path: Path) -> None:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Mm(297), Mm(210)
    sec.left_margin = sec.right_margin = Mm(15)
    sec.top_margin = sec.bottom_margin = Mm(15)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "宋体", Pt(10)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    _docx_page_numbers(sec.footer.paragraphs[0], OxmlElement, qn)
    usable = 297 - 30
    for k, s in enumerate(sheets):
        if k:
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(s.title)
        run.bold, run.font.size = True, Pt(18)
        p = doc.add_paragraph(s.subtitle)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for para in s.intro:
            doc.add_paragraph(para).paragraph_format.first_line_indent = Pt(20)
        t = doc.add_table(rows=1, cols=len(s.columns))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        t.autofit = False
        total = sum(s.widths)
        widths = [Mm(usable * w / total) for w in s.widths]
        hdr = t.rows[0]
        trPr = hdr._tr.get_or_add_trPr()
        rep = OxmlElement("w:tblHeader")  # repeat the header row on every page
        rep.set(qn("w:val"), "true")
        trPr.append(rep)
        for i, name in enumerate(s.columns):
            cell = hdr.cells[i]
            cell.text = ""
            r = cell.paragraphs[0].add_run(name)
            r.bold = True
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        for row in s.rows:
            tr = t.add_row()
            tr._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # a row never breaks across pages
            cells = tr.cells
            for i, v in enumerate(row):
                cells[i].paragraphs[0].add_run("" if v is None else clean_text(str(v))).font.size = Pt(9)
        for i, w in enumerate(widths):  # the grid (LibreOffice) and each cell (Word)
            t.columns[i].width = w
        for row in t.rows:
            for i, w in enumerate(widths):
                row.cells[i].width = w
        if s.footer:
            doc.add_paragraph()
            for line in s.footer.split("\n"):
                doc.add_paragraph(line)
    doc.save(path)


def _docx_page_numbers(paragraph, OxmlElement, qn) -> None:
    """Footer 第 N 页，共 M 页 with PAGE / NUMPAGES fields."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def field(code: str) -> None:
        run = paragraph.add_run()
        for kind, text in (("begin", None), (None, code), ("separate", None), (None, "1"), ("end", None)):
            if kind:
                el = OxmlElement("w:fldChar")
                el.set(qn("w:fldCharType"), kind)
                run._r.append(el)
            elif text == code:
                el = OxmlElement("w:instrText")
                el.set(qn("xml:space"), "preserve")
                el.text = f" {code} "
                run._r.append(el)
            else:
                el = OxmlElement("w:t")
                el.text = text
                run._r.append(el)

    paragraph.add_run("第 ")
    field("PAGE")
    paragraph.add_run(" 页，共 ")
    field("NUMPAGES")
    paragraph.add_run(" 页")


def write_pdf(sheets: list[Sheet], path: Path) -> None:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from archive.export import fonts

    font = fonts.register()
    page = landscape(A4)
    margin = 15 * mm
    cell = ParagraphStyle("cell", fontName=font, fontSize=9, leading=11.5, wordWrap="CJK")
    head = ParagraphStyle("head", parent=cell, alignment=TA_CENTER)
    title = ParagraphStyle("title", fontName=font, fontSize=18, leading=24, alignment=TA_CENTER)
    sub = ParagraphStyle("sub", fontName=font, fontSize=10, leading=14, alignment=TA_CENTER)

    def numbered(canvas, doc_):
        canvas.saveState()
        canvas.setFont(font, 9)
        canvas.drawCentredString(page[0] / 2, 8 * mm, f"第 {doc_.page} 页")
        canvas.restoreState()

    from xml.sax.saxutils import escape

    story = []
    usable = page[0] - 2 * margin
    for k, s in enumerate(sheets):
        if k:
            story.append(PageBreak())
        story += [Paragraph(escape(s.title), title), Paragraph(escape(s.subtitle), sub), Spacer(1, 4 * mm)]
        body = ParagraphStyle("body", fontName=font, fontSize=11, leading=17, firstLineIndent=22, wordWrap="CJK")
        for para in s.intro:
            story += [Paragraph(escape(para), body), Spacer(1, 1.5 * mm)]
        if s.intro:
            story.append(Spacer(1, 3 * mm))
        total = sum(s.widths)
        data = [[Paragraph(escape(c), head) for c in s.columns]]
        data += [[Paragraph(escape("" if v is None else clean_text(str(v))), cell) for v in row] for row in s.rows]
        t = Table(data, colWidths=[usable * w / total for w in s.widths], repeatRows=1)
        t.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ]))
        story.append(t)
        if s.footer:
            foot = ParagraphStyle("f", parent=cell, fontSize=10.5, leading=20)
            story += [Spacer(1, 6 * mm), Paragraph("<br/>".join(escape(x) for x in s.footer.split("\n")), foot)]
    doc = SimpleDocTemplate(str(path), pagesize=page, leftMargin=margin, rightMargin=margin, topMargin=margin,
                            bottomMargin=margin, title=sheets[0].title, author="wenshu-archive")
    doc.build(story, onFirstPage=numbered, onLaterPages=numbered)


def to_json(sheets: list[Sheet]) -> list[dict]:
    return [{"sheet": s.name, "subtitle": s.subtitle,
             "rows": [dict(zip(s.columns, r)) for r in s.rows]} for s in sheets]

