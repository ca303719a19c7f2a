"""Transfer package (archive.export.package): a BagIt bag that validates and re-imports to the same records."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import bagit
import pytest

from archive import pipeline
from archive import catalog
from archive.config import load_config
from archive.errors import ExportError, PackageError
from archive.export.package import export_package, import_package, record_validator
from archive.importing import import_record
from archive.session import open_archive
from archive.search import Filters, search
from archive.verify import verify
from conftest import copy_prepared, write_config
from gongwen_gen import gongwen_lines
from makedocs import make_docx, make_ofd, make_pdf
from tests.clirun import run_config


@pytest.fixture(scope="module")
def _year_2019_template(tmp_path_factory):
    """Four archived 2019 records (PDF, DOCX, OFD), one of 2020, one pending, one imported without a file:
    filed once per module."""
    folder = tmp_path_factory.mktemp("package")
    arc = open_archive(load_config(write_config(folder)), create=True)
    try:
        src = folder / "src"
        src.mkdir()
        makers = (make_pdf, make_docx, make_ofd, make_pdf)
        for i, kind in enumerate((0, 1, 3, 8)):
            ext = {make_pdf: "pdf", make_docx: "docx", make_ofd: "ofd"}[makers[i]]
            r = pipeline.ingest_file(arc, makers[i](src / f"{i}.{ext}", gongwen_lines(i, kind, 2019)))
            assert r.outcome == "archived", r.reason
        pipeline.ingest_file(arc, make_pdf(src / "other-year.pdf", gongwen_lines(7, 0, 2020)))
        pipeline.ingest_file(arc, make_pdf(src / "pending.pdf", gongwen_lines(9, 9, 2019)))
        import_record(arc, {"archival_code": "Z109-WS·2019-Y-BGS-0002", "title": "纸质时期的决定",
                            "issuer": "示例县档案局", "date": "2019-05-06", "pages": 3}, None, source={"row": 1})
    finally:
        arc.close()
    return folder


@pytest.fixture
def year_2019(_year_2019_template, cfg_path):
    """The module's archive copied for this test (its config at ``cfg_path``)."""
    copy_prepared(_year_2019_template, cfg_path.parent)
    arc = open_archive(load_config(cfg_path))
    yield arc
    arc.close()


def _records(arc, year=2019):
    rows = arc.conn.execute("SELECT * FROM documents WHERE status='archived' AND year=? ORDER BY archival_code",
                            (year,)).fetchall()
    return [{k: v for k, v in catalog.record(r).items() if k != "id"} for r in rows]


def test_package_validates_and_reimports_to_the_same_records(year_2019, tmp_path):
    out = tmp_path / "移交包"
    s = export_package(year_2019, 2019, out)
    assert (s.records, s.files) == (5, 4)
    bag = bagit.Bag(str(out))
    bag.validate()  # raises on any problem
    assert bag.info["Source-Organization"] == "示例县档案局"
    data = out / "data"
    files = sorted(p.name for p in (data / "files").iterdir())
    assert files == ["Z109-WS·2019-D10-BGS-0001.ofd", "Z109-WS·2019-D30-YWK-0001.docx",
                     "Z109-WS·2019-D30-YWK-0002.pdf", "Z109-WS·2019-Y-BGS-0001.pdf"]
    recs = sorted((data / "records").glob("*.json"))
    assert len(recs) == 5 and len(list((data / "records").glob("*.xml"))) == 5
    for f in recs:
        rec = json.loads(f.read_text(encoding="utf-8"))
        assert not list(record_validator().iter_errors(rec))
        assert f.stem == rec["archival_code"]
        x = ET.parse(f.with_suffix(".xml")).getroot()
        ns = "{urn:wenshu-archive:record:1}"
        assert x.find(f"{ns}archival_code").text == rec["archival_code"]
        assert x.find(f"{ns}title").text == rec["title"]
    assert (data / "归档文件目录.xlsx").exists() and (data / "归档文件目录.csv").exists()
    header = (data / "归档文件目录.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == "序号,档号,文号,责任者,题名,日期,密级,页数,备注"

    # a second, empty archive
    other = tmp_path / "other"
    other.mkdir()
    arc2 = open_archive(load_config(write_config(other)), create=True)
    try:
        imported = import_package(arc2, out)
        assert len(imported) == 5
        assert _records(arc2) == _records(year_2019)
        # the text came along and is searchable; the files are the same bytes
        title = _records(year_2019)[0]["title"]
        assert search(arc2.conn, arc2.index, title[6:14], Filters()).total >= 1
        assert verify(arc2).ok, [f.message for f in verify(arc2).errors]
        # the same package again: conflicts, nothing written
        n = arc2.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        with pytest.raises(PackageError, match="已在库中"):
            import_package(arc2, out)
        assert arc2.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == n
    finally:
        arc2.close()


def test_damaged_package_is_refused(year_2019, tmp_path):
    out = tmp_path / "pkg"
    export_package(year_2019, 2019, out)
    victim = next((out / "data" / "files").iterdir())
    victim.write_bytes(victim.read_bytes() + b"x")
    other = tmp_path / "other"
    other.mkdir()
    arc2 = open_archive(load_config(write_config(other)), create=True)
    try:
        with pytest.raises(PackageError, match="校验失败"):
            import_package(arc2, out)
        assert arc2.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    finally:
        arc2.close()


def test_output_must_be_new_and_year_must_have_records(year_2019, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(ExportError, match="不为空"):
        export_package(year_2019, 2019, tmp_path / "full")
    with pytest.raises(ExportError, match="没有已归档"):
        export_package(year_2019, 2001, tmp_path / "none")


def test_cli_export_and_import_package(year_2019, cfg_path, tmp_path):
    year_2019.close()
    out = tmp_path / "bag"
    p = run_config(cfg_path, "export", "package", "--year", "2019", "-o", str(out), "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["records"] == 5
    other = tmp_path / "other"
    other.mkdir()
    cfg2 = write_config(other)
    p = run_config(cfg2, "import", "package", str(out), "--json")
    assert p.returncode == 0, p.stderr
    assert sorted(r["archival_code"] for r in json.loads(p.stdout)) == sorted(
        json.loads(f.read_text(encoding="utf-8"))["archival_code"] for f in (out / "data" / "records").glob("*.json"))
