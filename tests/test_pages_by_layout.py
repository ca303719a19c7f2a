"""页数 of a word-processing file comes from its layout (LibreOffice -> PDF), never from the count its metadata
claims (issue 24 item 5): a DOCX that says 1 page but lays out to several gets the laid-out count, on the record
too; without LibreOffice the count is said to be uncertain. Real DOCX files, real LibreOffice, real ingest."""

from __future__ import annotations

from archive import pipeline
import shutil

import pytest

from archive.extract import extract
from tests import makedocs as md
from tests.conftest import write_config

needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None,
                                   reason="needs LibreOffice (libreoffice-writer-nogui; .ci/run installs it)")

HEAD = ["示例县农业农村局文件", "示农发〔2023〕1号", "示例县农业农村局关于做好春耕备耕工作的通知", "各乡镇："]
LONG = [f"{k + 1}、" + "各乡镇要认真落实春耕备耕各项措施，确保农资供应充足、价格稳定，" * 5 for k in range(60)]
TAIL = ["示例县农业农村局", "2023年3月1日"]


def _long_docx(path):
    return md.make_docx(path, HEAD + LONG + TAIL, header_lines=0, pages=1)  # the metadata says 1 page


@needs_soffice
def test_a_docx_whose_metadata_says_one_page_gets_its_laid_out_count(tmp_path):
    r = extract(_long_docx(tmp_path / "long.docx"))
    assert r.pages >= 5, r.pages
    assert not any("页数" in w for w in r.warnings), r.warnings
    short = extract(md.make_docx(tmp_path / "short.docx", HEAD + LONG[:2] + TAIL, header_lines=0, pages=7))
    assert short.pages == 1, "a one-page 公文 whose metadata says 7 is one page"


@needs_soffice
def test_the_record_carries_the_laid_out_count(tmp_path):
    from archive.config import load_config
    from archive.session import open_archive

    arc = open_archive(load_config(write_config(tmp_path)), create=True)
    try:
        r = pipeline.ingest_file(arc, _long_docx(tmp_path / "long.docx"))
        assert r.record is not None, (r.outcome, r.reason)
        assert r.record["pages"] >= 5, r.record["pages"]
    finally:
        arc.close()


def test_without_libreoffice_the_count_is_said_to_be_uncertain(tmp_path, monkeypatch):
    f = _long_docx(tmp_path / "long.docx")
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice anywhere on the PATH
    r = extract(f)
    assert r.pages == 1
    assert any("页数未能通过排版核实" in w and "请人工核对页数" in w for w in r.warnings), r.warnings
