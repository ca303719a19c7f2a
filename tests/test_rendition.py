"""A 版式 copy for every 件 (issue 27, item 3): the PDF/A-2b rendition of a DOCX/TXT record made by LibreOffice,
stored beside the original as the file 版式副本, its checks, ``archive convert --missing``, verify's notice, and
what happens to a file LibreOffice cannot convert."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from archive import catalog, pipeline, rendition
from archive.store import sha256_file
from archive.verify import verify
from archive.words import RENDITION_ROLE
from makedocs import make_docx, make_pdf, make_text

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")

BODY = ["关于做好2026年防汛工作的通知", "各乡镇人民政府，县直各单位：",
        *[f"第{i}条　各单位要落实防汛责任制，加强值班值守，确保安全度汛。" for i in range(1, 40)],
        "示例县人民政府办公室", "2026年6月1日"]


def _record(arc, path):
    r = pipeline.ingest_file(arc, path)
    assert r.record is not None, r.reason
    return catalog.get_record(arc.conn, r.record["id"])


def _renditions(arc, doc_id):
    return [f for f in catalog.further_files(arc.conn, doc_id) if f["role"] == RENDITION_ROLE]


def _version_notices(arc) -> list:
    return [f for f in verify(arc).findings if f.item == "版式副本"]


@pytest.mark.slow
def test_docx_gets_a_checked_pdfa_rendition_beside_it(arc, tmp_path):
    row = _record(arc, make_docx(tmp_path / "防汛通知.docx", BODY))
    original = arc.store.abspath(row["stored_path"])
    before = original.read_bytes()
    assert [f.ref for f in _version_notices(arc)] == [row["archival_code"] or f"记录 {row['id']}"]

    out = rendition.make(arc, row)
    assert out.outcome == "made", out.reason
    files = _renditions(arc, row["id"])
    assert len(files) == 1
    f = files[0]
    stored = arc.store.abspath(f["stored_path"])
    assert f["media_type"] == "pdf" and sha256_file(stored) == f["sha256"]  # checksummed like every stored file
    assert original.read_bytes() == before  # the original stays, untouched
    after = catalog.get_record(arc.conn, row["id"])
    assert after["stored_path"] == row["stored_path"] and after["pages"] == row["pages"]
    checks = rendition.check_pdf(stored, out.pages)
    assert checks.ok and checks.pdfa == "2B" and checks.unembedded == [] and checks.pages >= 2
    assert _version_notices(arc) == []
    assert [e for e in verify(arc).findings if e.severity == "error"] == []
    # pdffonts (poppler) agrees: every font embedded
    fonts = subprocess.run(["pdffonts", str(stored)], capture_output=True, text=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)
    # a second run finds nothing to do
    assert rendition.missing(arc) == []
    # page 1 beside LibreOffice's plain PDF of the DOCX, as images (pdftoppm): the same page (looked at by eye
    # when this was written; here the two images must differ in almost no pixel)
    from PIL import Image, ImageChops

    from archive.extract.office import converted, soffice_program

    with converted(soffice_program(), original, "docx", "pdf:writer_pdf_Export", "pdf") as c:
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile", str(c.result),
                        str(tmp_path / "docx_page1")], check=True)
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile", str(stored),
                    str(tmp_path / "rendition_page1")], check=True)
    a = Image.open(tmp_path / "docx_page1.png").convert("L")
    b = Image.open(tmp_path / "rendition_page1.png").convert("L")
    assert a.size == b.size
    diff = ImageChops.difference(a, b).point(lambda v: 255 if v > 64 else 0)
    assert diff.histogram()[255] < 0.01 * a.size[0] * a.size[1]
    assert ImageChops.difference(a, Image.new("L", a.size, 255)).getbbox() is not None  # not a blank page


def test_the_checks_refuse_a_pdf_that_is_not_pdfa(tmp_path):
    plain = make_pdf(tmp_path / "plain.pdf", ["不是 PDF/A 的文件"])
    c = rendition.check_pdf(plain, 1)
    assert not c.ok and any("PDF/A-2b" in p for p in c.problems)
    c = rendition.check_pdf(plain, 3)
    assert any("页数" in p for p in c.problems)
    # a font not embedded (the 14 standard fonts a PDF may name without their program)
    from reportlab.pdfgen import canvas

    bare = tmp_path / "bare.pdf"
    cv = canvas.Canvas(str(bare))
    cv.setFont("Helvetica", 12)
    cv.drawString(72, 720, "not embedded")
    cv.save()
    c = rendition.check_pdf(bare, 1)
    assert c.unembedded == ["Helvetica"] and any("字体未嵌入" in p for p in c.problems)


@pytest.mark.slow
def test_convert_missing_on_a_mixed_archive(arc, tmp_path, cfg_path):
    from tests.clirun import run_config

    docx = _record(arc, make_docx(tmp_path / "甲.docx", ["关于甲事项的通知", "甲事项的正文。"]))
    txt = _record(arc, make_text(tmp_path / "乙.txt", "关于乙事项的通知\n乙事项正文，按要求办理。\n", encoding="gb18030"))
    pdf = _record(arc, make_pdf(tmp_path / "丙.pdf", ["关于丙事项的通知", "丙事项正文"]))
    assert {r["id"] for r in rendition.missing(arc)} == {docx["id"], txt["id"]}
    arc.close()

    dry = run_config(cfg_path, "convert", "--missing", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "共 2 条记录没有版式文件" in dry.stderr
    from archive.config import load_config
    from archive.session import open_archive

    arc2 = open_archive(load_config(cfg_path))
    try:
        assert len(rendition.missing(arc2)) == 2  # a dry run changes nothing
    finally:
        arc2.close()
    done = run_config(cfg_path, "convert", "--missing")
    assert done.returncode == 0, done.stderr
    arc2 = open_archive(load_config(cfg_path))
    try:
        assert rendition.missing(arc2) == []
        assert len(_renditions(arc2, docx["id"])) == 1 and len(_renditions(arc2, txt["id"])) == 1
        assert _renditions(arc2, pdf["id"]) == []  # a PDF is its own 版式 copy
        # the TXT (GB18030) is laid out as its text, not mojibake
        from archive.extract.pdf import extract_pdf

        text = extract_pdf(arc2.store.abspath(_renditions(arc2, txt["id"])[0]["stored_path"])).text
        assert "乙事项正文" in text
    finally:
        arc2.close()


def _state(arc):
    return (arc.conn.execute("SELECT count(*) FROM document_files").fetchone()[0],
            arc.conn.execute("SELECT count(*) FROM events").fetchone()[0],
            sorted(p.name for p in arc.store.root.rglob("*") if p.is_file()))


def test_a_hostile_docx_leaves_the_record_untouched(arc, tmp_path, monkeypatch, cfg_path):
    from archive.extract import office

    row = _record(arc, make_docx(tmp_path / "坏.docx", ["关于某事项的通知", "正文。"]))
    # LibreOffice that does not finish in time is killed: nothing stored, the record as it was, the reason said
    monkeypatch.setattr(office, "CONVERT_TIMEOUT", 0.05)
    before = _state(arc)
    out = rendition.make(arc, row)
    assert out.outcome == "failed" and "超时" in out.reason and "未改动" in out.reason
    assert _state(arc) == before and rendition.missing(arc)
    assert len(_version_notices(arc)) == 1
    # the command says how many failed, and why, and exits 1
    from tests.clirun import run_config

    r = run_config(cfg_path, "convert", "--missing")
    assert r.returncode == 1 and "超时" in r.stderr and "1 条记录未能生成版式副本" in r.stderr
    assert _state(arc) == before
    monkeypatch.undo()
    # the stored DOCX replaced behind the program's back: never converted (it is not the file that was filed
    # and gated), the record untouched
    stored = arc.store.abspath(row["stored_path"])
    stored.chmod(0o644)
    import zipfile

    with zipfile.ZipFile(stored, "w") as z:
        z.writestr("[Content_Types].xml", "<bad")
        z.writestr("word/document.xml", "\x00" * 100)
    before = _state(arc)
    out = rendition.make(arc, row)
    assert out.outcome == "failed" and "校验值" in out.reason
    assert _state(arc) == before


def test_the_rendition_is_made_only_from_a_stored_gated_file(arc, tmp_path):
    """The 涉密 gate is not bypassed: a 涉密 DOCX never became a record, so there is nothing to convert, and a
    record's rendition is gated again before it is stored."""
    secret = make_docx(tmp_path / "密.docx", ["秘密★1年", "关于某事项的通知", "正文。"])
    r = pipeline.ingest_file(arc, secret)
    assert r.record is None and r.outcome in ("refused", "held")
    assert rendition.missing(arc) == []
    assert arc.conn.execute("SELECT count(*) FROM document_files").fetchone()[0] == 0


@pytest.mark.slow
def test_at_ingest_a_new_docx_gets_its_rendition_only_when_configured(tmp_path):
    from archive.config import load_config
    from archive.session import open_archive
    from conftest import write_config

    (tmp_path / "off").mkdir()
    off = open_archive(load_config(write_config(tmp_path / "off")), create=True)
    try:
        row = _record(off, make_docx(tmp_path / "甲.docx", ["关于甲事项的通知", "正文。"]))
        assert _renditions(off, row["id"]) == []  # the default: LibreOffice is slow, convert --missing later
    finally:
        off.close()
    (tmp_path / "on").mkdir()
    cfg = write_config(tmp_path / "on", **{"at_ingest = false": "at_ingest = true"})
    on = open_archive(load_config(cfg), create=True)
    try:
        row = _record(on, make_docx(tmp_path / "乙.docx", ["关于乙事项的通知", "正文。"]))
        assert len(_renditions(on, row["id"])) == 1
        pdf = _record(on, make_pdf(tmp_path / "丙.pdf", ["关于丙事项的通知", "正文"]))
        assert _renditions(on, pdf["id"]) == []
    finally:
        on.close()


@pytest.mark.slow
def test_open_and_the_transfer_package_carry_the_rendition(arc, tmp_path):
    import json

    from archive.config import load_config
    from archive.export.package import export_package, import_package
    from archive.export.retrieve import give_back
    from archive.session import open_archive
    from conftest import write_config

    row = _record(arc, make_docx(tmp_path / "丁.docx", ["关于做好2026年丁项工作的通知", *BODY[1:5], *BODY[-2:]]))
    if row["status"] == "pending":  # a 县政府 notice to 县直各单位 waits for its 阅件/办件 (issue 26): a clerk decides
        from archive import review

        review.confirm(arc, row, retention="D30", org="BGS")
        row = catalog.get_record(arc.conn, row["id"])
    made = rendition.make(arc, row)
    assert made.outcome == "made", made.reason
    row = catalog.get_record(arc.conn, row["id"])
    out = tmp_path / "取出"
    out.mkdir()
    given = give_back(arc.store, arc.conn, row, out)
    assert sorted(g.path.suffix for g in given) == [".docx", ".pdf"]
    assert row["status"] == "archived"  # a package holds 已归档 records
    pkg = tmp_path / "移交包"
    export_package(arc, row["year"], pkg)
    rec = json.loads((pkg / "data" / "records" / f"{row['archival_code']}.json").read_text(encoding="utf-8"))
    assert [f["role"] for f in rec["files"]] == [RENDITION_ROLE]
    (tmp_path / "other").mkdir()
    arc2 = open_archive(load_config(write_config(tmp_path / "other")), create=True)
    try:
        done = import_package(arc2, pkg)
        assert [f["role"] for f in catalog.further_files(arc2.conn, done[0]["id"])] == [RENDITION_ROLE]
        assert rendition.missing(arc2) == []
    finally:
        arc2.close()


def test_migration_22_admits_the_role_and_keeps_rows_and_the_no_delete_trigger(tmp_path):
    import sqlite3

    from conftest import catalog_before

    path = tmp_path / "catalog.sqlite"
    conn = catalog_before(path, 22)
    conn.execute("INSERT INTO documents(id, status, ingested_at, updated_at) VALUES (1, 'pending', 'x', 'x')")
    conn.execute("INSERT INTO document_files(document_id, seq, sha256, filename, size, added_at, role) "
                 "VALUES (1, 2, ?, '定稿.docx', 1, 'x', '定稿')", ("2" * 64,))
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO document_files(document_id, seq, sha256, filename, size, added_at, role) "
                     "VALUES (1, 3, ?, 'a.pdf', 1, 'x', ?)", ("3" * 64, RENDITION_ROLE))
    conn.commit()
    conn.close()
    conn = catalog.connect(path)
    assert [(r["seq"], r["role"]) for r in catalog.further_files(conn, 1)] == [(2, "定稿")]
    conn.execute("INSERT INTO document_files(document_id, seq, sha256, filename, size, added_at, role) "
                 "VALUES (1, 3, ?, 'a.pdf', 1, 'x', ?)", ("3" * 64, RENDITION_ROLE))
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE document_files SET role='封面' WHERE seq=2")
    with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
        conn.execute("DELETE FROM document_files WHERE seq=2")
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name='document_files_path'").fetchone()[0] == 1
    conn.close()
