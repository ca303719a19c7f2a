"""A record's further files (document_files, from an imported catalogue) through backup, restore, verify and
destruction: every stage works from the same list of the files a record owns (catalog.referenced_files)."""

from __future__ import annotations


import openpyxl

from archive import catalog
from archive import appraisal
from archive.config import load_config
from archive.import_catalog import import_catalog
from archive.session import open_archive
from archive.verify import verify
from conftest import assert_backup_restores
from makedocs import make_docx, make_pdf
from tests.clirun import run_config

CODE = "Z109-WS·2012-D10-BGS-0001"


def _catalogue(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["档号", "题名", "责任者", "日期", "页数"])
    ws.append([CODE, "关于壬的通知", "示例县档案局", "20120305", 2])
    wb.save(path)
    return path


def _errors(arc) -> list:
    return [f for f in verify(arc).findings if f.severity != "notice"]


def _cli(cfg_path, *args):
    return run_config(cfg_path, *args)


def test_further_files_survive_backup_restore_and_leave_with_destruction(arc, cfg_path, tmp_path):
    files = tmp_path / "扫描件"
    files.mkdir()
    make_pdf(files / f"{CODE}-1.pdf", ["壬的正文第一页，内容如下"])
    make_pdf(files / "Z109-WS-2012-D10-BGS-0001-2.pdf", ["壬的正文续页橄榄"])
    make_docx(files / f"{CODE}附件.docx", ["附件：壬的名单"])
    rep = import_catalog(arc, _catalogue(tmp_path / "目录.xlsx"), files_dir=files)
    assert rep.imported == 1 and rep.extra_files == 2
    doc_id = arc.conn.execute("SELECT id FROM documents").fetchone()[0]
    owned = catalog.files_of(arc.conn, doc_id)
    assert len(owned) == 3 and set(owned) == set(catalog.referenced_files(arc.conn))
    assert _errors(arc) == []  # the further files are not "stray"

    # tampering with a further file is found
    extra = arc.store.abspath(owned[1])
    extra.chmod(0o644)
    original = extra.read_bytes()
    extra.write_bytes(original + b"%")
    assert [f.check for f in _errors(arc)] == ["authenticity"]
    extra.write_bytes(original)
    arc.close()

    # backup and restore carry all three files; the restored archive verifies
    assert_backup_restores(cfg_path, tmp_path, owned)

    # destroying the record removes every file it owns, and the archive still verifies
    arc2 = open_archive(load_config(cfg_path))
    try:
        row = arc2.conn.execute("SELECT * FROM documents ORDER BY id").fetchone()
        import datetime as dt
        from tests.approved import approve_table

        approve_table(arc2)
        a = appraisal.appraise(arc2, dt.date(2026, 1, 1), ["档案:档案员", "业务:办公室主任"],
                               [appraisal.Decision(row, "destroy", "到期无保存价值")]).appraisal["id"]
        appraisal.approve(arc2, a, leader="王局长", on=dt.date(2026, 1, 1), document="批示1")
        appraisal.destroy(arc2, a, supervisors=["甲", "乙"], method="删除", place="机房")
        assert not any(arc2.store.abspath(rel).exists() for rel in owned)
        assert not set(catalog.referenced_files(arc2.conn)) & set(owned)  # only the procedure's own records remain
        assert _errors(arc2) == []
    finally:
        arc2.close()
