"""The 归档章 on DOCX (real LibreOffice) and OFD records, and ``archive open`` giving back stored files."""

from __future__ import annotations

import posixpath
import shutil
import zipfile
from pathlib import Path

import pytest
from docx import Document
from lxml import etree
from pypdf import PdfReader

from archive import pipeline
from archive.errors import ExportError
from archive.export.ofd_stamp import stamp_ofd_file
from archive.export.stamp import stamp_cells
from archive.export.stamping import stamp_record
from archive.extract.ofd import extract_ofd
from archive.import_catalog import import_catalog
from archive.store import sha256_file
from conftest import FIXTURES, ROOT
from gongwen_gen import gongwen_lines
from makedocs import make_ofd, make_pdf, make_text
from makescans import make_scan
from tests.clirun import run_config

needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
STAMP_VALUES = ("全宗号", "Z109", "2019", "保管期限", "页数")


def _python_docx(path: Path, lines: list[str]) -> Path:
    """A DOCX written by python-docx (as Word users' files are), one paragraph per line."""
    doc = Document()
    for line in lines:
        doc.add_paragraph(line)
    doc.save(path)
    return path


def _cli(cfg_path, *args, cwd=ROOT):
    return run_config(cfg_path, *args, cwd=cwd)


def _archived(arc, path):
    res = pipeline.ingest_file(arc, path)
    assert res.outcome == "archived", res
    return arc.conn.execute("SELECT * FROM documents WHERE sha256=?", (sha256_file(path),)).fetchone()


# ------------------------------------------------------------------------------------------------ OFD reading
def _local(el) -> str:
    return el.tag.rsplit("}", 1)[-1]


def _kids(el, name):
    return [c for c in el if _local(c) == name]


def _stamp_annots(out: Path) -> dict:
    """Follow the stamped OFD as a reader would: OFD.xml → Document.xml → Annotations → the first page's
    annotation file → its Stamp annotations; with the fonts of every PublicRes and every ID in use."""
    with zipfile.ZipFile(out) as z:
        names = {n.lstrip("/"): n for n in z.namelist()}

        def read(loc, base):
            loc = loc.strip()
            name = loc.lstrip("/") if loc.startswith("/") else posixpath.normpath(posixpath.join(base, loc))
            read.names.append(names[name])
            return etree.fromstring(z.read(names[name])), posixpath.dirname(name)

        read.names = []

        ofd, _ = read("OFD.xml", "")
        doc, doc_dir = read(_kids(_kids(ofd, "DocBody")[0], "DocRoot")[0].text, "")
        common = _kids(doc, "CommonData")[0]
        fonts = {}
        for res in _kids(common, "PublicRes"):
            r, _ = read(res.text, doc_dir)
            for f in r.iter():
                if _local(f) == "Font":
                    fonts[f.get("ID")] = f.get("FontName")
        first = _kids(_kids(doc, "Pages")[0], "Page")[0]
        (annots_loc,) = _kids(doc, "Annotations")
        lst, lst_dir = read(annots_loc.text, doc_dir)
        (entry,) = [p for p in _kids(lst, "Page") if p.get("PageID") == first.get("ID")]
        page_annot, _ = read(_kids(entry, "FileLoc")[0].text, lst_dir)
        doc_name, page_annot_name = read.names[1], read.names[-1]
        stamps = [a for a in _kids(page_annot, "Annot") if a.get("Type") == "Stamp"
                  and (_kids(a, "Remark") or [None])[0] is not None and _kids(a, "Remark")[0].text.startswith("归档章")]
        order = [_local(c) for c in doc]
    return {"stamps": stamps, "fonts": fonts, "ids": _all_ids(out), "max_unit": int(_kids(common, "MaxUnitID")[0].text),
            "order": order, "may_change": {doc_name, page_annot_name}}


def _all_ids(path: Path) -> list[int]:
    """Every ID attribute in the package (one producer's custom-tag file is not well-formed: read leniently)."""
    lenient = etree.XMLParser(recover=True)
    with zipfile.ZipFile(path) as z:
        return [int(v) for n in z.namelist() if n.endswith(".xml")
                for v in etree.fromstring(z.read(n), lenient).xpath("//@ID") if v.isdigit()]


def _check_ofd_stamp(src: Path, out: Path, stamps: int = 1) -> list[str]:
    """The copy holds the stamp as an annotation at the top right of page 1; everything else is as it was."""
    seen = _stamp_annots(out)
    assert len(seen["stamps"]) == stamps  # ours; a page may have other stamps (a producer's seals)
    annot = seen["stamps"][-1]
    assert annot.get("Creator") and annot.get("LastModDate")
    (app,) = _kids(annot, "Appearance")
    x, y, w, h = (float(v) for v in app.get("Boundary").split())
    assert (w, h) == (45, 16) and x > 210 * 0.6 and y + h < 297 * 0.15  # top right of an A4 page (mm)
    texts = []
    for obj in app:
        if _local(obj) == "TextObject":
            assert seen["fonts"][obj.get("Font")] == "宋体"  # the font it names is declared in a PublicRes
            texts.append("".join(c.text for c in _kids(obj, "TextCode")))
    before = _stamp_annots(src)["ids"] if stamps > 1 else _all_ids(src)
    added = list(seen["ids"])
    for i in before:
        added.remove(i)
    # the stamp's ids are new, unique, and counted in MaxUnitID
    assert len(added) >= 14 and len(set(added)) == len(added) and not set(added) & set(before)
    assert max(seen["ids"]) <= seen["max_unit"]
    # Annotations sits where the schema puts it: after Pages (and Outlines …), before CustomTags …
    assert seen["order"].index("Annotations") > seen["order"].index("Pages")
    # the page content and every other part are byte for byte the original's
    # (only the document's root file and, when the page had annotations already, its annotation file gain an entry)
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out) as b:
        new = set(b.namelist()) - set(a.namelist())
        assert all(n.lower().endswith(".xml") for n in new)
        changed = {n for n in a.namelist() if a.read(n) != b.read(n)}
        assert changed <= seen["may_change"] and len(changed) >= 1
    assert extract_ofd(out).text == extract_ofd(src).text
    return texts


# ------------------------------------------------------------------------------------------------ the tests
@needs_soffice
def test_docx_record_is_stamped_through_a_libreoffice_pdf(arc, tmp_path):
    row = _archived(arc, _python_docx(tmp_path / "函.docx", gongwen_lines(6, 7, 2019)))
    assert row["media_type"] == "docx"
    stored = arc.store.abspath(row["stored_path"])
    before = sha256_file(stored)
    done = stamp_record(arc.store, row, arc.cfg, tmp_path / "out" / "章.pdf")
    assert done.kind == "pdf" and done.path.is_file()
    assert sha256_file(stored) == before == row["sha256"]  # the stored original is untouched
    reader = PdfReader(done.path)
    page = reader.pages[0]
    text = page.extract_text()
    assert all(v in text for v in STAMP_VALUES)
    assert row["archival_code"][-4:] in text
    body = " ".join(gongwen_lines(6, 7, 2019)[1:3])
    assert "".join(body.split())[:12] in "".join(text.split())  # the rendition carries the document itself
    positions = []
    page.extract_text(visitor_text=lambda t, cm, tm, fd, fs: positions.append((tm[4], tm[5])) if "Z109" in t else None)
    (x, y), = positions
    assert x > float(page.mediabox.width) * 0.6 and y > float(page.mediabox.height) * 0.85
    # an existing output is kept unless --force
    with pytest.raises(ExportError, match="已存在.*--force"):
        stamp_record(arc.store, row, arc.cfg, done.path)
    stamp_record(arc.store, row, arc.cfg, done.path, force=True)
    with pytest.raises(ExportError, match=r"\.pdf 结尾"):
        stamp_record(arc.store, row, arc.cfg, tmp_path / "章.docx")


def test_ofd_record_gets_a_stamp_annotation(arc, tmp_path):
    row = _archived(arc, make_ofd(tmp_path / "通知.ofd", gongwen_lines(2, 0, 2019)))
    stored = arc.store.abspath(row["stored_path"])
    before = sha256_file(stored)
    done = stamp_record(arc.store, row, arc.cfg, tmp_path / "章.ofd")
    assert done.kind == "ofd" and not any("签章" in n for n in done.notes)
    assert sha256_file(stored) == before
    texts = _check_ofd_stamp(stored, done.path)
    cells = [v for r in stamp_cells(row, arc.cfg) for pair in r for v in pair if v]
    assert texts == cells and "Z109" in texts and "永久" in texts
    with pytest.raises(ExportError, match=r"\.ofd 结尾"):
        stamp_record(arc.store, row, arc.cfg, tmp_path / "章.pdf")
    with pytest.raises(ExportError, match="档案库内部"):
        stamp_record(arc.store, row, arc.cfg, arc.store.root / "files" / "x.ofd")


@pytest.mark.parametrize("name", ["ofdrw_n.ofd", "ofdrw_testImageOverridePage.ofd", "ofdrw_signout.ofd",
                                  "ofdrw_testPathFillOpacity.ofd"])
def test_real_ofd_files_get_the_annotation(arc, tmp_path, name):
    """Real producers' OFDs (signed; with annotations of their own; images, custom tags, absolute locations):
    stamped twice, the second stamp joins the first one's annotation file."""
    src = FIXTURES / "extract" / name
    row = {"fonds": "Z109", "year": 2019, "item_no": 7, "org": "BGS", "retention": "Y", "pages": 2}
    cells = stamp_cells(row, arc.cfg)
    once, twice = tmp_path / "1.ofd", tmp_path / "2.ofd"
    signed = stamp_ofd_file(src, cells, once, "Z109-WS·2019-Y-BGS-0007")
    assert signed == (name in ("ofdrw_n.ofd", "ofdrw_testImageOverridePage.ofd"))
    assert "0007" in _check_ofd_stamp(src, once)
    stamp_ofd_file(once, cells, twice, "Z109-WS·2019-Y-BGS-0007")
    _check_ofd_stamp(once, twice, stamps=2)


def test_an_ofd_that_leads_nowhere_is_refused_in_one_line(tmp_path):
    src = tmp_path / "坏.ofd"
    with zipfile.ZipFile(src, "w") as z:
        z.writestr("OFD.xml", '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody>'
                              "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
    with pytest.raises(ExportError, match="OFD 结构无法识别") as e:
        stamp_ofd_file(src, [], tmp_path / "out.ofd", "Z109-WS·2019-Y-BGS-0001")
    assert "\n" not in str(e.value) and not (tmp_path / "out.ofd").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["坏.ofd"]  # no temporary file left either


def test_what_cannot_be_stamped_says_why(arc, tmp_path):
    row = _archived(arc, make_text(tmp_path / "通知.txt", "\n".join(gongwen_lines(3, 0, 2019))))
    with pytest.raises(ExportError, match="纯文本.*PDF、DOCX 或 OFD"):
        stamp_record(arc.store, row, arc.cfg, tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_cli_stamp_default_name_and_force(arc, cfg_path, tmp_path):
    row = _archived(arc, make_ofd(tmp_path / "通知.ofd", gongwen_lines(2, 0, 2019)))
    arc.close()
    work = tmp_path / "work"
    work.mkdir()
    r = _cli(cfg_path, "export", "stamp", str(row["id"]), cwd=work)
    assert r.returncode == 0, r.stderr
    out = work / f"{row['archival_code']}-归档章.ofd"
    assert out.is_file() and "OFD 注释" in r.stderr
    r = _cli(cfg_path, "export", "stamp", str(row["id"]), cwd=work)
    assert r.returncode == 1 and "已存在" in r.stderr and "--force" in r.stderr and len(r.stderr.splitlines()) == 1
    assert _cli(cfg_path, "export", "stamp", str(row["id"]), "--force", cwd=work).returncode == 0


def test_open_gives_back_a_png_with_its_extension(arc, cfg_path, tmp_path):
    scan = make_scan(tmp_path / "扫描.png", gongwen_lines(1, 0, 2019))
    nameless = tmp_path / "scan"  # arrived without an extension: the name comes from the bytes
    shutil.copyfile(scan, nameless)
    pipeline.ingest_file(arc, nameless)
    row = arc.conn.execute("SELECT * FROM documents").fetchone()
    assert row["media_type"] == "image" and not Path(row["stored_path"]).suffix
    stored = arc.store.abspath(row["stored_path"])
    mode = stored.stat().st_mode
    arc.close()
    work = tmp_path / "work"
    work.mkdir()
    r = _cli(cfg_path, "open", str(row["id"]), cwd=work)
    assert r.returncode == 0, r.stderr
    (got,) = list(work.iterdir())
    assert got.suffix == ".png" and got.read_bytes() == scan.read_bytes()
    assert stored.is_file() and stored.stat().st_mode == mode and sha256_file(stored) == row["sha256"]
    r = _cli(cfg_path, "open", str(row["id"]), cwd=work)
    assert r.returncode == 1 and "已存在" in r.stderr and "--force" in r.stderr
    assert _cli(cfg_path, "open", str(row["id"]), "--force", cwd=work).returncode == 0
    # -o a file name without extension gets the right one
    assert _cli(cfg_path, "open", str(row["id"]), "-o", str(tmp_path / "给张三")).returncode == 0
    assert (tmp_path / "给张三.png").read_bytes() == scan.read_bytes()
    r = _cli(cfg_path, "open", "99")
    assert r.returncode == 1 and r.stderr.startswith("错误：")


def test_open_gives_back_every_file_of_a_record(arc, cfg_path, tmp_path):
    import openpyxl

    code = "Z109-WS·2012-D10-BGS-0001"
    files = tmp_path / "扫描件"
    files.mkdir()
    make_pdf(files / f"{code}-1.pdf", ["壬的正文第一页，内容如下"])
    make_pdf(files / "Z109-WS-2012-D10-BGS-0001-2.pdf", ["壬的正文续页橄榄"])
    _python_docx(files / f"{code}附件.docx", ["附件：壬的名单"])
    wb = openpyxl.Workbook()
    wb.active.append(["档号", "题名", "责任者", "日期", "页数"])
    wb.active.append([code, "关于壬的通知", "示例县档案局", "20120305", 2])
    wb.save(tmp_path / "目录.xlsx")
    assert import_catalog(arc, tmp_path / "目录.xlsx", files_dir=files).extra_files == 2
    arc.close()
    out = tmp_path / "取出"
    r = _cli(cfg_path, "open", code, "-o", str(out))
    assert r.returncode == 0, r.stderr
    got = sorted(p.name for p in out.iterdir())
    assert got == sorted([f"{code}.pdf", f"{code}-2.pdf", f"{code}-3.docx"])
    originals = sorted(sha256_file(p) for p in files.iterdir())
    assert sorted(sha256_file(p) for p in out.iterdir()) == originals
    # nothing is written when one of the files is already there
    (out / f"{code}-2.pdf").unlink()
    (out / f"{code}.pdf").write_bytes(b"mine")
    r = _cli(cfg_path, "open", code, "-o", str(out))
    assert r.returncode == 1 and "已存在" in r.stderr
    assert (out / f"{code}.pdf").read_bytes() == b"mine" and not (out / f"{code}-2.pdf").exists()
