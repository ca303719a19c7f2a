"""The test-only LibreOffice cache (tests/soffice_cache.py) gives back what the real program made for the same
content, and keeps nothing of a conversion that failed: the tests that lay out a DOCX still see LibreOffice's
own answer."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests import soffice_cache
from tests.makedocs import SAMPLE_GONGWEN, make_docx

needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None,
                                   reason="needs LibreOffice (libreoffice-writer-nogui; .ci/run installs it)")


def _counts(cache: Path) -> list[str]:
    f = cache / "count"
    return [line.split("\t")[0] for line in f.read_text(encoding="utf-8").splitlines()] if f.exists() else []


@needs_soffice
def test_the_same_content_is_converted_once_and_a_failure_is_never_kept(tmp_path, monkeypatch):
    from archive.extract import office

    cache = tmp_path / "cache"
    bindir = soffice_cache.install(cache, soffice_cache.real_program())
    monkeypatch.setenv("PATH", f"{bindir}:{Path(shutil.which('sh')).parent}")
    assert office.soffice_program() == bindir / "soffice.bin"
    first = make_docx(tmp_path / "a.docx", SAMPLE_GONGWEN)
    time.sleep(2.1)  # a zip's timestamps have two-second steps: the second file differs in its bytes only there
    second = make_docx(tmp_path / "b.docx", SAMPLE_GONGWEN)
    assert first.read_bytes() != second.read_bytes()
    assert office.rendered_pages(first) == (1, "")
    runs = _counts(cache)
    assert runs and set(runs) == {"run"}  # (twice when LibreOffice first makes its profile: exit 81, run again)
    assert office.rendered_pages(second) == (1, "")
    assert _counts(cache) == runs + ["hit"]
    other = make_docx(tmp_path / "c.docx", SAMPLE_GONGWEN + ["附件：另一份材料"])
    assert office.rendered_pages(other) == (1, "")
    assert _counts(cache) == runs + ["hit", "run"], "other content is converted anew"
    broken = tmp_path / "d.docx"
    broken.write_bytes(b"PK\x03\x04 not a document at all")
    for _ in range(2):
        n, why = office.rendered_pages(broken)
        assert n is None and why
    assert _counts(cache) == runs + ["hit", "run", "run", "run"], "a failed conversion is run again, never kept"
