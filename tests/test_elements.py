"""The 公文's elements of issue 26: 份号, 附注 in its own field (not 备注), and 印章 有/无/不详 from the file itself
(a red seal picture by the 落款, an electronic signature, or nothing that could show one), carried by the record,
the 归档文件目录 and the transfer package."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from archive import catalog, gongwen, pipeline
from archive.gongwen.elements import HAS, NONE, UNKNOWN, annotation, stamp_of
from makedocs import make_text

NOTICE = """000123
示例县人民政府办公室文件
示政办发〔2026〕8号
示例县人民政府办公室关于做好档案安全检查工作的通知
县直各单位：
    请各单位做好档案安全检查工作。
示例县人民政府办公室
2026年5月6日
（联系人：张三，电话：0311-1234567）
抄送：市档案局。
示例县人民政府办公室        2026年5月6日印发
"""


def test_annotation_is_the_bracketed_line_under_the_date():
    assert annotation(NOTICE) == "（联系人：张三，电话：0311-1234567）"
    wrapped = "正文。\n示例县档案局\n2026年5月6日\n（此件公开发布，联系人：\n李四）\n"
    assert annotation(wrapped) == "（此件公开发布，联系人：李四）"
    assert annotation("正文（此处有括号）。\n示例县档案局\n2026年5月6日\n") is None
    assert annotation("示例县档案局\n2026年5月6日\n抄送：市档案局。\n（不是附注）\n") is None
    assert annotation("2026年5月6日\n（" + "长" * 300 + "）\n") is None  # not a note: a runaway bracket


def test_the_reader_keeps_the_copy_number_and_the_note():
    f = gongwen.parse(NOTICE)
    assert f.copy_no == "000123"
    assert f.note == "（联系人：张三，电话：0311-1234567）"


def test_ingest_stores_note_as_annotation_not_remark(arc, tmp_path, cfg_path):
    res = pipeline.ingest_file(arc, make_text(tmp_path / "n.txt", NOTICE))
    row = catalog.get_record(arc.conn, res.record["id"])
    assert row["copy_no"] == "000123"
    assert row["annotation"] == "（联系人：张三，电话：0311-1234567）"
    assert row["note"] is None  # 备注 is the clerk's
    assert row["stamp"] == NONE  # plain text cannot show a seal
    from archive.verify import verify

    assert verify(arc).ok  # the new columns are sealed with the record
    from tests.clirun import run_config

    shown = run_config(cfg_path, "show", str(row["id"])).stdout  # the printed record
    assert "份号" in shown and "000123" in shown and "附注" in shown and "印章" in shown
    arc.conn.execute("UPDATE documents SET stamp='有' WHERE id=?", (row["id"],))  # behind the program's back
    assert not verify(arc).ok  # the seal covers them


# ---- 印章 -----------------------------------------------------------------------------------------------------
def _seal_png(color=(220, 20, 30), size=240) -> bytes:
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (size, size), "white")
    d = ImageDraw.Draw(im)
    d.ellipse((10, 10, size - 10, size - 10), outline=color, width=8)
    d.regular_polygon((size // 2, size // 2, size // 6), 5, fill=color)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def _scan(path: Path, *, seal: bool, red_head: bool = True) -> Path:
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (1240, 1754), "white")
    d = ImageDraw.Draw(im)
    if red_head:  # the red 版头 and its rule: red, but at the top and no seal
        d.rectangle((200, 150, 1040, 230), fill=(210, 20, 20))
        d.rectangle((100, 330, 1140, 336), fill=(210, 20, 20))
    for y in range(450, 1300, 60):
        d.rectangle((150, y, 1090, y + 20), fill=(30, 30, 30))
    if seal:
        d.ellipse((760, 1250, 1060, 1550), outline=(220, 20, 30), width=12)
    im.save(path, "PDF" if path.suffix == ".pdf" else "PNG")
    return path


def _docx(path: Path, picture: bytes | None, *, by_closing: bool = True) -> Path:
    import docx
    from docx.shared import Mm

    d = docx.Document()
    if picture is not None and not by_closing:
        d.add_paragraph().add_run().add_picture(io.BytesIO(picture), width=Mm(20))
    for line in ("关于做好档案安全检查工作的通知", "县直各单位：", "请各单位做好档案安全检查工作。", "示例县档案局"):
        d.add_paragraph(line)
    p = d.add_paragraph("2026年5月6日")
    if picture is not None and by_closing:
        p.add_run().add_picture(io.BytesIO(picture), width=Mm(40))
    d.save(path)
    return path


def test_stamp_of_docx(tmp_path):
    assert stamp_of(_docx(tmp_path / "none.docx", None), "docx") == NONE
    assert stamp_of(_docx(tmp_path / "seal.docx", _seal_png()), "docx") == HAS
    # a picture by the 落款 that is not a red seal, or a picture elsewhere: never 有 on a guess
    assert stamp_of(_docx(tmp_path / "blue.docx", _seal_png((20, 20, 200))), "docx") == UNKNOWN
    assert stamp_of(_docx(tmp_path / "logo.docx", _seal_png(), by_closing=False), "docx") == UNKNOWN


def test_stamp_of_scans_and_images(tmp_path):
    assert stamp_of(_scan(tmp_path / "seal.pdf", seal=True), "pdf") == HAS
    assert stamp_of(_scan(tmp_path / "head.pdf", seal=False), "pdf") == UNKNOWN  # the red 版头 is no seal
    assert stamp_of(_scan(tmp_path / "seal.png", seal=True), "image") == HAS
    assert stamp_of(_scan(tmp_path / "plain.png", seal=False, red_head=False), "image") == UNKNOWN


def test_stamp_of_a_text_pdf_without_pictures_is_unknown_not_none(tmp_path):
    from makedocs import make_pdf

    assert stamp_of(make_pdf(tmp_path / "t.pdf", ["示例县档案局", "2026年5月6日"]), "pdf") == UNKNOWN


def test_stamp_of_ofd_signature(tmp_path):
    from makedocs import make_ofd

    plain = make_ofd(tmp_path / "plain.ofd", ["示例县档案局", "2026年5月6日"])
    assert stamp_of(plain, "ofd") == UNKNOWN
    signed = tmp_path / "signed.ofd"
    signed.write_bytes(plain.read_bytes())
    with zipfile.ZipFile(signed, "a") as z:
        z.writestr("Doc_0/Signs/Signatures.xml",
                   '<ofd:Signatures xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Signature ID="1" '
                   'BaseLoc="/Doc_0/Signs/Sign_0/Signature.xml"/></ofd:Signatures>')
    assert stamp_of(signed, "ofd") == HAS


@pytest.mark.parametrize("kind", ["pdf", "docx", "ofd", "image"])
def test_stamp_of_hostile_files_is_unknown(tmp_path, kind):
    bad = tmp_path / f"bad.{kind}"
    bad.write_bytes(b"PK\x03\x04" + b"\x00" * 50 + b"%PDF-1.4 garbage")
    assert stamp_of(bad, kind) == UNKNOWN
    bomb = tmp_path / f"bomb.{kind}"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<w:drawing " + b" " * (70 * 1024 * 1024))
    assert stamp_of(bomb, kind) == UNKNOWN


# ---- the catalogue and the package carry them ---------------------------------------------------------------
def test_catalogue_and_package_carry_the_elements(arc, tmp_path):
    from archive.export.catalogue import catalogue_sheets, write
    from archive.export.package import export_package

    res = pipeline.ingest_file(arc, make_text(tmp_path / "n.txt", NOTICE))
    assert res.record["status"] == "archived", res
    out = tmp_path / "目录.csv"
    write(catalogue_sheets(arc.conn, arc.cfg, 2026), out)
    text = out.read_text(encoding="utf-8-sig")
    assert "份号" in text and "000123" in text and "附注" in text and "联系人：张三" in text
    pkg = export_package(arc, 2026, tmp_path / "pkg")
    recs = [json.loads(p.read_text(encoding="utf-8")) for p in Path(pkg.path).rglob("*.json")
            if p.parent.name == "records"]
    assert recs and recs[0]["copy_no"] == "000123" and recs[0]["stamp"] == NONE
    assert recs[0]["annotation"] == "（联系人：张三，电话：0311-1234567）" and recs[0]["note"] is None
