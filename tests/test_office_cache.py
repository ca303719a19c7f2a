"""One ingest of a .doc converts it once per target: the text's DOCX, the 页数 layout's PDF and the 涉密 gate's
DOCX come from LibreOffice at most once each, also across the worker and the main process (issue 24)."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from archive import secrecy
from archive.extract import extract, office

FIX = Path(__file__).resolve().parent / "fixtures" / "extract"
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")


@pytest.fixture
def own_tmp(tmp_path, monkeypatch):
    """The conversion cache under this test's own temporary folder."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def _child_extract(path: str, q) -> None:
    q.put(len(extract(path).text))


@needs_soffice
@pytest.mark.slow
def test_the_gate_in_another_process_reuses_the_workers_conversion(own_tmp):
    doc = own_tmp / "公文.doc"
    shutil.copyfile(FIX / "lo_gongwen.doc", doc)
    # the worker's side, in a process of its own: the text (DOCX) and the 页数 (PDF)
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child_extract, args=(str(doc), q))
    p.start()
    assert q.get(timeout=300) > 0
    p.join(60)
    binary = office.soffice_program()
    # the gate's side: the same bytes to DOCX are the worker's conversion, LibreOffice not run again
    with office.converted(binary, doc, "doc", "docx:MS Word 2007 XML", "docx") as c:
        assert c.cached and c.made
    folder = own_tmp / f"archive-convcache-{os.getuid()}"
    assert not any(folder.iterdir())  # taken: no converted copy stays behind (a 涉密 file's neither)
    assert secrecy.gate(doc).kind == "clear"
    # other bytes are converted anew
    changed = own_tmp / "其他.doc"
    shutil.copyfile(FIX / "legacy_word.doc", changed)
    with office.converted(binary, changed, "doc", "docx:MS Word 2007 XML", "docx") as c:
        assert not c.cached and c.made
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_cache_folder_that_is_not_ours_alone_is_not_used(own_tmp):
    target = own_tmp / "elsewhere"
    target.mkdir()
    (own_tmp / f"archive-convcache-{os.getuid()}").symlink_to(target)  # planted link
    assert office._cache_dir() is None
    (own_tmp / f"archive-convcache-{os.getuid()}").unlink()
    (own_tmp / f"archive-convcache-{os.getuid()}").mkdir(mode=0o777)
    os.chmod(own_tmp / f"archive-convcache-{os.getuid()}", 0o777)  # open to others
    assert office._cache_dir() is None


def test_an_entry_older_than_its_time_is_converted_again(own_tmp):
    src = own_tmp / "a.doc"
    src.write_bytes(b"x" * 100)
    out = own_tmp / "a.docx"
    out.write_bytes(b"converted")
    key = office._cache_key(src, "docx")
    office._cache_put(key, out)
    dest = own_tmp / "b.docx"
    assert office._cache_get(key, dest) and dest.read_bytes() == b"converted"
    assert not office._cache_get(key, own_tmp / "again.docx")  # taken by its reader
    office._cache_put(key, out)
    old = office.CACHE_TTL + 5
    entry = own_tmp / f"archive-convcache-{os.getuid()}" / key
    t = entry.stat().st_mtime - old
    os.utime(entry, (t, t))
    assert not office._cache_get(key, own_tmp / "c.docx")
    assert not entry.exists()  # pruned
