"""归档文件目录 in every format and the 归档章 (archive.export), on a real archive."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from archive import pipeline
from archive import audit
from archive.errors import ExportError
from archive.export import catalogue
from archive.export.stamp import stamp_pdf
from archive.store import sha256_file
from conftest import copy_prepared, write_config
from gongwen_gen import gongwen_lines
from makedocs import make_docx, make_pdf
from tests.clirun import run_config

HEADER = ["序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"]


@pytest.fixture(scope="module")
def _filed_template(tmp_path_factory):
    """2019: three 永久 (BGS), two 30年 (YWK), one 10年 (BGS) as PDF, one 30年 as DOCX; one 2020 record: filed once
    per module."""
    from archive.config import load_config
    from archive.session import open_archive

    folder = tmp_path_factory.mktemp("export")
    arc = open_archive(load_config(write_config(folder)), create=True)
    try:
        for i, kind in enumerate((0, 2, 0, 1, 4, 3)):
            pipeline.ingest_file(arc, make_pdf(folder / f"{i}.pdf", gongwen_lines(i, kind, 2019)))
        pipeline.ingest_file(arc, make_docx(folder / "d.docx", gongwen_lines(6, 7, 2019)))
        pipeline.ingest_file(arc, make_pdf(folder / "y2020.pdf", gongwen_lines(7, 0, 2020)))
    finally:
        arc.close()
    return folder


@pytest.fixture
def filed(_filed_template, cfg_path):
    """The module's archive copied for this test (its config at ``cfg_path``)."""
    from archive.config import load_config
    from archive.session import open_archive

    copy_prepared(_filed_template, cfg_path.parent)
    arc = open_archive(load_config(cfg_path))
    yield arc
    arc.close()


def _sheets(arc, **kw):
    return catalogue.catalogue_sheets(arc.conn, arc.cfg, 2019, **kw)


def test_rows_and_groups(filed):
    sheets = _sheets(filed)
    assert [s.name for s in sheets] == ["2019-永久-办公室", "2019-30年-业务指导科", "2019-10年-办公室"]
    assert [len(s.rows) for s in sheets] == [3, 3, 1]
    first = sheets[0].rows[0]
    assert first[:6] == [1, "Z109-WS·2019-Y-BGS-0001", "示档发〔2019〕1号", "示例县档案局",
                         "示例县档案局关于印发《档案管理办法（第1次修订）》的决定", "20190101"]
    assert [r[0] for r in sheets[1].rows] == [1, 2, 3]  # 序号 per table
    assert all(len(r[5]) == 8 and r[5].isdigit() for s in sheets for r in s.rows)
    assert [s.name for s in _sheets(filed, retention="D30")] == ["2019-30年-业务指导科"]


def test_xlsx_is_printable_and_keeps_the_dat22_header(filed, tmp_path):
    out = catalogue.write(_sheets(filed), tmp_path / "目录.xlsx")
    wb = load_workbook(out)
    assert len(wb.sheetnames) == 3
    ws = wb["2019-永久-办公室"]
    assert "归档文件目录" in ws["A1"].value and "永久" in ws["A1"].value
    assert [c.value for c in ws[2]] == HEADER
    assert ws.cell(3, 2).value == "Z109-WS·2019-Y-BGS-0001" and ws.cell(3, 6).value == "20190101"
    assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == "9"  # 9 = A4
    assert ws.print_title_rows == "$2:$2"
    assert "&P" in ws.oddFooter.center.text


def test_csv_header_and_rows(filed, tmp_path):
    out = catalogue.write(_sheets(filed), tmp_path / "目录.csv")
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == HEADER and len(rows) == 1 + 7
    assert rows[1][1] == "Z109-WS·2019-Y-BGS-0001"


def test_docx_landscape_with_repeated_header(filed, tmp_path):
    out = catalogue.write(_sheets(filed), tmp_path / "目录.docx")
    doc = Document(out)
    sec = doc.sections[0]
    assert sec.page_width > sec.page_height
    assert len(doc.tables) == 3
    t = doc.tables[0]
    assert [c.text for c in t.rows[0].cells] == HEADER
    assert t.rows[0]._tr.xpath("./w:trPr/w:tblHeader")
    assert t.rows[1].cells[1].text == "Z109-WS·2019-Y-BGS-0001"
    assert "PAGE" in sec.footer.paragraphs[0]._p.xml


def test_pdf_landscape_with_page_numbers(filed, tmp_path):
    out = catalogue.write(_sheets(filed), tmp_path / "目录.pdf")
    reader = PdfReader(out)
    assert len(reader.pages) == 3  # one page per table here
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)
    text = reader.pages[0].extract_text()
    assert "归档文件目录" in text and "Z109-WS·2019-Y-BGS-0001" in text and "第 1 页" in text
    assert "20190101" in text


def test_destroyed_and_extended_records_carry_a_remark(filed):
    rows = {r["archival_code"]: r for r in filed.conn.execute("SELECT * FROM documents")}
    # destruction goes through the procedure, on a record that is due (issue 14: no early destruction)
    from archive import appraisal
    from archive.importing import ImportedFile, import_record

    f = make_pdf(filed.store.root.parent / "old.pdf", ["示例县档案局", "二〇〇九年的一份通知"])
    old = import_record(filed, {"archival_code": "Z109-WS·2009-D10-BGS-0001", "title": "旧通知", "pages": 1,
                                "issuer": "示例县档案局", "date": "2009-03-01"}, ImportedFile(f), source={"t": 1})
    from tests.approved import GROUP, approve_table

    approve_table(filed)
    a = appraisal.appraise(filed, dt.date(2026, 1, 1), GROUP, [appraisal.Decision(
        filed.conn.execute("SELECT * FROM documents WHERE id=?", (old["id"],)).fetchone(), "destroy", "到期")])
    appraisal.approve(filed, a.appraisal["id"], leader="王局长", on=dt.date(2026, 1, 1), document="批示1")
    appraisal.destroy(filed, a.appraisal["id"], supervisors=["李四", "张三"], method="删除", place="机房")
    with pytest.raises(Exception, match="appraise"):
        audit.dispose(filed, [rows["Z109-WS·2019-D10-BGS-0001"]], "destroy", approved_by="王局长", reason="到期")
    audit.dispose(filed, [rows["Z109-WS·2019-D30-YWK-0001"]], "extend", approved_by="王局长", reason="有价值",
                  retention="Y")
    old_sheets = catalogue.catalogue_sheets(filed.conn, filed.cfg, 2009)
    assert "已销毁" in old_sheets[0].rows[0][8] and "王局长" in old_sheets[0].rows[0][8]
    sheets = {s.name: s for s in _sheets(filed)}
    ext = sheets["2019-30年-业务指导科"].rows[0]  # stays in its 档号's table
    assert ext[1] == "Z109-WS·2019-D30-YWK-0001" and "延长保管期限至永久" in ext[8]


def test_cli_catalog_formats(filed, cfg_path, tmp_path):
    filed.close()
    for fmt in ("xlsx", "csv"):
        out = tmp_path / f"c.{fmt}"
        p = run_config(cfg_path, "export", "catalog", "--year", "2019", "--retention", "永久", "-o", str(out))
        assert p.returncode == 0, p.stderr
        assert out.exists() and "3 件" in p.stderr
    p = run_config(cfg_path, "export", "catalog", "--year", "2019", "-o", str(tmp_path / "c.txt"))
    assert p.returncode == 2 and "格式" in p.stderr


def _row(arc, code):
    return arc.conn.execute("SELECT * FROM documents WHERE archival_code=?", (code,)).fetchone()


def test_stamp_writes_a_new_file_and_leaves_the_original(filed, tmp_path):
    row = _row(filed, "Z109-WS·2019-D30-YWK-0002")
    stored = filed.store.abspath(row["stored_path"])
    before = sha256_file(stored)
    out = stamp_pdf(filed.store, row, filed.cfg, tmp_path / "stamped.pdf")
    assert sha256_file(stored) == before == row["sha256"]
    assert sha256_file(out) != before
    page = PdfReader(out).pages[0]
    text = page.extract_text()
    for value in ("全宗号", "Z109", "2019", "0002", "业务指导科", "30年", "页数"):
        assert value in text
    assert len(PdfReader(out).pages) == len(PdfReader(stored).pages)
    # the stamp is drawn in the top right quarter of page 1
    positions = []
    page.extract_text(visitor_text=lambda t, cm, tm, fd, fs: positions.append((t, tm[4], tm[5])) if "Z109" in t else None)
    (_, x, y), = positions
    assert x > float(page.mediabox.width) * 0.6 and y > float(page.mediabox.height) * 0.85


def test_stamp_refuses_what_it_cannot_stamp(filed, tmp_path):
    docx_row = next(r for r in filed.conn.execute("SELECT * FROM documents WHERE media_type='docx'"))
    with pytest.raises(ExportError, match="只能加在 PDF"):
        stamp_pdf(filed.store, docx_row, filed.cfg, tmp_path / "x.pdf")
    with pytest.raises(ExportError, match="档案库内部"):
        row = _row(filed, "Z109-WS·2019-Y-BGS-0001")
        stamp_pdf(filed.store, row, filed.cfg, filed.store.root / "files" / "x.pdf")


def test_missing_cjk_font_is_a_clear_error(monkeypatch, tmp_path):
    from archive.export import fonts

    monkeypatch.setenv("ARCHIVE_CJK_FONT", str(tmp_path / "none.ttf"))
    with pytest.raises(ExportError, match="ARCHIVE_CJK_FONT"):
        fonts.find_cjk_font()
