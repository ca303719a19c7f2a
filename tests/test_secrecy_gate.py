"""The 涉密 gate (``archive.secrecy.gate``) on real files made here: each place a mark can stand, each normal form of
the mark, each trap. The files are written by ``bench/secrecy_battery.py``'s builders (python-docx with raw
WordprocessingML, reportlab, pypdf annotations, Pillow scans, LibreOffice), not by ``tests/makedocs.py``."""

from __future__ import annotations

import random
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

from archive import secrecy
from archive.extract import extract
from archive.extract.marks import find_mark, normalize_mark
from archive.extract.ocr import OcrSettings, available
from archive.gongwen import parse
from archive.models import GongwenFields

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import secrecy_battery as bat  # noqa: E402

needs_ocr = pytest.mark.skipif(available(OcrSettings()) is not None, reason="OCR engine not installed")
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")


@pytest.fixture(scope="session")
def files(tmp_path_factory):
    """One file per case, made once for the session."""
    out = tmp_path_factory.mktemp("gate")
    rnd = random.Random(7)

    def d():
        return bat.doc_lines(rnd)

    made: dict[str, Path] = {}
    for place in ("body", "sym", "textbox", "header", "footer", "table"):
        made[f"docx_{place}"] = bat.make_docx(out / f"{place}.docx", d(), mark="机密★5年", place=place)
    made["docx_plain"] = bat.make_docx(out / "plain.docx", d())
    made["docx_cover_table"] = bat.make_docx(out / "cover.docx", d(), cover_table=True)
    made["docx_workmark"] = bat.make_docx(out / "work.docx", d(), top=["工作秘密"])
    made["docx_redrule"] = bat.make_docx(out / "redrule.docx", d(), rule="━━━━━━━━★━━━━━━━━")
    made["docx_bullets"] = bat.make_docx(out / "bullets.docx", d(), bullets="F06C", sentence=True)
    made["docx_miji_wu"] = bat.make_docx(out / "wu.docx", d(), mark="无", place="table")
    made["pdf_annot"] = bat.make_pdf(out / "annot.pdf", d(), mark="秘密★1年", how="annot")
    made["pdf_cover"] = bat.make_pdf(out / "cover.pdf", d(), mark="秘密★1年", cover=True)
    made["pdf_plain"] = bat.make_pdf(out / "plain.pdf", d(), sentence=True)
    made["pdf_empty_cover"] = bat.make_pdf(out / "empty_cover.pdf", d(), empty_cover=True)
    for where in ("header", "print", "row", "hidden", "meta"):
        made[f"html_{where}"] = bat.make_html(out / f"{where}.html", d(), mark="秘密★1年", where=where)
    made["html_public"] = bat.make_html(out / "public.html", d(), meta_level="公开", sentence=True)
    made["html_empty"] = bat.make_html(out / "empty.html", d(), meta_level="")
    return made


def write(tmp_path, name: str, text: str) -> Path:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


BODY = "\n临江县人民政府文件\n临政发〔2024〕3号\n临江县人民政府关于做好春季农业生产的通知\n各乡镇人民政府：\n现就有关事项通知如下。\n"


# ---- normal forms ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mark, level", [
    ("秘 密★1年", "秘密"), ("密 级：秘密", "秘密"), ("秘密1年", "秘密"), ("绝密（1年）", "绝密"),
    ("机密·10年", "机密"), ("祕密", "秘密"), ("機密", "机密"), ("㊙", "秘密"), ("秘密\uf0ab1年", "秘密"),
    ("秘密\uf0b6 6个月", "秘密"), ("机密\uf06c10年", "机密"), ("秘密▲1年", "秘密"), ("秘密*1年", "秘密"),
    ("秘密＊1年", "秘密"), ("秘密★2030年1月1日前", "秘密"), ("机密★启用前", "机密"), ("绝密★长期", "绝密"),
    ("秘\u3000密", "秘密"), ("000123　秘密★1年　特急", "秘密"), ("密级：机密", "机密"), ("机密密★10年", "机密"),
])
def test_every_normal_form_of_the_mark_is_refused_in_a_text_file(tmp_path, mark, level):
    v = secrecy.gate(write(tmp_path, "a.txt", mark + BODY))
    assert (v.kind, v.level) == ("mark", level), v
    assert v.where.startswith("文本") and v.evidence


@pytest.mark.parametrize("line", [
    "密级：无", "密级：", "非密", "已解密", "公开", "工作秘密", "各单位要保守国家秘密。", "━━━━━━★━━━━━━", "★ 一、总体要求",
    "密级\t\t缓急\t", "关于加强秘密载体管理的通知", "涉及商业秘密的内容不予公开", "密级：内部",
])
def test_what_is_not_a_mark_is_clear(tmp_path, line):
    v = secrecy.gate(write(tmp_path, "a.txt", line + BODY))
    assert v.kind == "clear", v


def test_normalisation_folds_spaces_variants_and_stars():
    assert normalize_mark("祕 密\uf0ab１年") == "秘密★1年"
    assert normalize_mark("機\u3000密▲十年") == "机密★十年"
    assert normalize_mark("㊙") == "秘密"


def test_a_quoted_mark_in_a_sentence_is_doubtful_not_a_mark():
    hit = find_mark("文件首页左上角标注“秘密★1年”字样。")
    assert hit is not None and hit.kind == "doubtful"


def test_a_bare_level_is_a_mark_at_the_top_and_doubtful_deep_in_the_body(tmp_path):
    assert secrecy.gate(write(tmp_path, "a.txt", "秘密" + BODY)).kind == "mark"
    deep = BODY + "\n".join(f"第{i}条 内容。" for i in range(30)) + "\n秘密\n"
    assert secrecy.gate(write(tmp_path, "b.txt", deep)).kind == "doubtful"


# ---- places ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("place, where", [("body", "正文"), ("sym", "正文"), ("textbox", "文本框"),
                                          ("header", "页眉"), ("footer", "页脚"), ("table", "正文")])
def test_docx_mark_in_every_place(files, place, where):
    v = secrecy.gate(files[f"docx_{place}"])
    assert (v.kind, v.level) == ("mark", "机密"), v
    assert v.where.startswith(where)


def test_docx_symbol_run_shows_the_star_in_the_extracted_text(files):
    text = extract(files["docx_sym"]).text
    assert "机密★5年" in text.replace(" ", "")


def test_docx_traps_are_clear(files):
    for name in ("docx_plain", "docx_cover_table", "docx_workmark", "docx_redrule", "docx_bullets", "docx_miji_wu"):
        v = secrecy.gate(files[name])
        assert v.kind == "clear", (name, v)


def test_pdf_annotation_and_page_two_after_a_cover_sheet(files):
    v = secrecy.gate(files["pdf_annot"])
    assert (v.kind, v.level, v.where) == ("mark", "秘密", "第1页批注"), v
    v = secrecy.gate(files["pdf_cover"])
    assert (v.kind, v.level) == ("mark", "秘密") and v.where.startswith("第2页"), v


def test_pdf_traps_are_clear(files):
    for name in ("pdf_plain", "pdf_empty_cover"):
        assert secrecy.gate(files[name]).kind == "clear", name


@pytest.mark.parametrize("where", ["header", "print", "row", "hidden", "meta"])
def test_html_read_whole(files, where):
    v = secrecy.gate(files[f"html_{where}"])
    assert (v.kind, v.level) == ("mark", "秘密"), v


def test_html_traps_are_clear(files):
    assert secrecy.gate(files["html_public"]).kind == "clear"
    assert secrecy.gate(files["html_empty"]).kind == "clear"


# ---- what cannot be read is doubtful, never clear ----------------------------------------------------------------------
def test_unreadable_files_are_doubtful(tmp_path):
    from pypdf import PdfReader, PdfWriter

    src = bat.make_pdf(tmp_path / "src.pdf", bat.doc_lines(random.Random(1)))
    w = PdfWriter(clone_from=PdfReader(str(src)))
    w.encrypt(user_password="x", owner_password="y")
    with open(tmp_path / "locked.pdf", "wb") as f:
        w.write(f)
    with zipfile.ZipFile(tmp_path / "book.xlsx", "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as z:
        z.writestr("secret.txt", "秘密★1年")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    (tmp_path / "x.webp").write_bytes(b"RIFF\x10\0\0\0WEBPVP8 " + bytes(range(200)))
    for name in ("locked.pdf", "book.xlsx", "a.zip", "broken.docx", "x.webp"):
        v = secrecy.gate(tmp_path / name)
        assert v.kind == "doubtful", (name, v)
        assert v.reasons and "密级" in v.message()


def test_the_legacy_api_sees_the_normalised_mark():
    from archive.models import Extracted

    text = "秘 密★1年\n临江县人民政府文件\n临政发〔2024〕3号\n"
    ex = Extracted(media_type="text", text=text, pages=1, page_texts=[text])
    assert secrecy.secret_level(parse(text), ex) == "秘密"
    clean = "密级：无\n临江县人民政府文件\n临政发〔2024〕3号\n"
    ex = Extracted(media_type="text", text=clean, pages=1, page_texts=[clean])
    assert secrecy.secret_level(parse(clean), ex) is None
    assert secrecy.secret_level(GongwenFields(secrecy="机密")) == "机密"


def test_the_gate_takes_what_the_route_read(tmp_path):
    f = write(tmp_path, "a.txt", "密级：无" + BODY)
    v = secrecy.gate(f, fields=GongwenFields(secrecy="绝密", secrecy_term="长期"))
    assert (v.kind, v.level) == ("mark", "绝密")
    assert "绝密" in v.message()


# ---- OCR: pictures, vector drawing, scans in every rotation -----------------------------------------------------------
@pytest.fixture(scope="session")
def scans(tmp_path_factory):
    out = tmp_path_factory.mktemp("scans")
    rnd = random.Random(9)
    made = {}
    made["docx_picture"] = bat.make_docx(out / "pic.docx", bat.doc_lines(rnd), mark="秘密★1年", place="picture")
    made["pdf_vector"] = bat.make_pdf(out / "vector.pdf", bat.doc_lines(rnd), mark="机密★5年", how="vector")
    made["pdf_image"] = bat.make_pdf(out / "image.pdf", bat.doc_lines(rnd), mark="秘密★1年", how="image")
    made["pdf_redstar"] = bat.make_pdf(out / "redstar.pdf", bat.doc_lines(rnd), red_star=True)
    src = bat.make_pdf(out / "turn.pdf", bat.doc_lines(rnd), mark="秘密★1年")
    pages = bat.pdf_images(src, dpi=150, rnd=rnd)
    made["scan_270"] = bat.save_scan(out / "turn270.png", pages, 270, dpi=150)
    cover = bat.make_pdf(out / "cover.pdf", bat.doc_lines(rnd), mark="机密★5年", cover=True)
    made["scan_cover_tif"] = bat.save_scan(out / "cover.tif", bat.pdf_images(cover, dpi=150, rnd=rnd), dpi=150)
    trap = bat.make_pdf(out / "trap.pdf", bat.doc_lines(rnd), empty_cover=True, sentence=True)
    made["scan_trap"] = bat.save_scan(out / "trap_scan.pdf", bat.pdf_images(trap, dpi=150, rnd=rnd), dpi=150)
    return made


@needs_ocr
@pytest.mark.slow
@pytest.mark.parametrize("name, level", [("docx_picture", "秘密"), ("pdf_vector", "机密"), ("pdf_image", "秘密"),
                                         ("scan_270", "秘密"), ("scan_cover_tif", "机密")])
def test_marks_seen_only_in_the_page_image(scans, name, level):
    v = secrecy.gate(scans[name])
    assert (v.kind, v.level) == ("mark", level), v


@needs_ocr
@pytest.mark.slow
def test_cover_sheet_first_page_two_marked(scans):
    assert secrecy.gate(scans["scan_cover_tif"]).where.startswith("第2页")


@needs_ocr
@pytest.mark.slow
def test_image_traps_are_clear(scans):
    for name in ("pdf_redstar", "scan_trap"):
        v = secrecy.gate(scans[name])
        assert v.kind == "clear", (name, v)


@needs_soffice
@pytest.mark.slow
def test_libreoffice_pdf_of_a_symbol_run_and_a_text_box(files, tmp_path):
    from eval_set import soffice_pdf

    soffice_pdf([files["docx_sym"], files["docx_textbox"], files["docx_footer"]], tmp_path)
    for name in ("sym", "textbox", "footer"):
        v = secrecy.gate(tmp_path / f"{name}.pdf")
        assert (v.kind, v.level) == ("mark", "机密"), (name, v)


# ---- real files: unmarked ones are clear, a real OFD with a mark written into it is refused -----------------------------
REAL = Path(__file__).resolve().parent / "fixtures" / "extract"


@pytest.mark.parametrize("name", ["govdoccn_397.pdf", "libreoffice_gongwen.pdf", "ofdrw_n.ofd", "gov_page.html",
                                  "gov_page.mht", "wps_gongwen.docx", "lo_gongwen.html"])
def test_real_unmarked_files_are_clear(name):
    v = secrecy.gate(REAL / name)
    assert v.kind == "clear", v


def test_real_ofd_with_a_mark_on_page_one(tmp_path):
    src = REAL / "ofdrw_n.ofd"
    out = tmp_path / "marked.ofd"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith("Page_0/Content.xml"):
                data = data.decode("utf-8").replace(">区中医院：<", ">秘密★1年<", 1).encode("utf-8")
            zout.writestr(info, data)
    v = secrecy.gate(out)
    assert (v.kind, v.level) == ("mark", "秘密"), v
    assert v.where.startswith("第1页")


def test_check_box_rows_decide_by_the_ticked_box(tmp_path):
    assert secrecy.gate(write(tmp_path, "a.txt", "密级：□秘密 □机密 □绝密 ☑非密" + BODY)).kind == "clear"
    assert secrecy.gate(write(tmp_path, "b.txt", "密级：□秘密 □机密 □绝密 □非密" + BODY)).kind == "clear"
    v = secrecy.gate(write(tmp_path, "c.txt", "密级：□秘密 ☑机密 □绝密 □非密" + BODY))
    assert (v.kind, v.level) == ("mark", "机密")


def test_document_properties_style_sheets_and_pdf_metadata(tmp_path):
    import docx
    from pypdf import PdfReader, PdfWriter

    d = docx.Document()
    d.add_paragraph("临江县人民政府文件")
    d.core_properties.keywords = "密级：秘密"
    d.save(str(tmp_path / "props.docx"))
    assert secrecy.gate(tmp_path / "props.docx").where == "文档属性"
    d.core_properties.keywords = "保守国家秘密"
    d.save(str(tmp_path / "props2.docx"))
    assert secrecy.gate(tmp_path / "props2.docx").kind == "clear"
    page = "<html><head><style>.mj::before{content:'机密★5年'}</style></head><body><div class=mj></div>临江县</body></html>"
    assert secrecy.gate(write(tmp_path, "a.html", page)).level == "机密"
    src = bat.make_pdf(tmp_path / "m.pdf", bat.doc_lines(random.Random(3)))
    w = PdfWriter(clone_from=PdfReader(str(src)))
    w.add_metadata({"/Subject": "密级：绝密"})
    w.write(str(tmp_path / "m2.pdf"))
    assert secrecy.gate(tmp_path / "m2.pdf").level == "绝密"
    assert secrecy.gate(src).kind == "clear"


@needs_soffice
@pytest.mark.slow
def test_word_97_and_rtf_are_read_as_docx_every_place(files, tmp_path):
    from archive.extract.office import convert, soffice_program

    convert(soffice_program(), files["docx_header"], tmp_path, "doc:MS Word 97")
    doc = tmp_path / "header.doc"
    v = secrecy.gate(doc)
    assert (v.kind, v.level) == ("mark", "机密") and v.where.startswith("页眉"), v
    assert secrecy.gate(REAL / "lo_gongwen.rtf").kind == "clear"
