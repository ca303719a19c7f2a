"""OCR on real scans (Tesseract, chi_sim; pdftoppm): images, multi-page TIFF, image-only and mixed PDFs,
the 版头 confidence gate, and a page that hangs. OCR takes about a second a page: few, small scans."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from archive import pipeline
from archive.config import load_config
from archive.errors import ConfigError
from archive.extract import extract
from archive.extract.ocr import OcrSettings, available
from archive.session import open_archive
from tests.conftest import write_config
from tests.gongwen_gen import gongwen_lines
from tests.makedocs import make_pdf
from tests.makescans import make_scan, scan_pages
from tests.clirun import run_config

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    available(OcrSettings()) is not None or shutil.which("pdftoppm") is None,
    reason="needs tesseract-ocr, tesseract-ocr-chi-sim and poppler-utils (.ci/run installs them)")

# a 公文 of ours (示例县档案局, 示档发): rule R10 archives it with a 档号
DOC = gongwen_lines(0, kind=0, year=2022)  # 示档发〔2022〕1号
PAGE2 = ["附件", "档案管理办法", "第一条为规范本局档案管理工作，制定本办法。", "第二条本办法自印发之日起施行。"]


def _cli(cfg_path: Path, *args: str) -> subprocess.CompletedProcess:
    return run_config(cfg_path, *args)


@pytest.mark.slow
def test_png_scan_is_archived_and_show_says_ocr(cfg_path, tmp_path):
    png = make_scan(tmp_path / "scan.png", DOC, rotate=0.8)
    p = _cli(cfg_path, "ingest", str(png), "--json")
    assert p.returncode == 0, p.stderr
    [rec] = json.loads(p.stdout)
    assert rec["outcome"] == "archived", rec
    assert rec["doc_number"] == "示档发〔2022〕1号"
    assert rec["title"] == DOC[2]
    assert rec["archival_code"] == "Z109-WS·2022-Y-BGS-0001"
    p = _cli(cfg_path, "show", "示档发〔2022〕1号")
    assert p.returncode == 0, p.stderr
    line = next(ln for ln in p.stdout.splitlines() if "文字来源" in ln)
    assert "OCR 识别（平均置信度" in line and "版头" in line, line
    p = _cli(cfg_path, "search", f'"{DOC[4][4:12]}"', "--json")  # a phrase of the body
    assert [h["doc_number"] for h in json.loads(p.stdout)] == ["示档发〔2022〕1号"]


@pytest.mark.slow
def test_multipage_tiff_reads_every_page_with_its_confidence(arc, tmp_path):
    tif = make_scan(tmp_path / "scan.tif", DOC + PAGE2, lines_per_page=len(DOC))
    r = pipeline.ingest_file(arc, tif)
    assert r.outcome == "archived", r.reason
    assert r.record["pages"] == 2 and r.record["doc_number"] == "示档发〔2022〕1号"
    row = arc.conn.execute("SELECT * FROM documents WHERE id=?", (r.record["id"],)).fetchone()
    assert row["extract_method"] == "ocr" and row["media_type"] == "image"
    pages = arc.conn.execute("SELECT page, method, confidence FROM document_pages WHERE document_id=? "
                             "ORDER BY page", (row["id"],)).fetchall()
    assert [(p["page"], p["method"]) for p in pages] == [(1, "ocr"), (2, "ocr")]
    assert all(50 < p["confidence"] <= 100 for p in pages)
    assert 50 < row["ocr_confidence"] <= 100 and 50 < row["ocr_header_confidence"] <= 100
    text = arc.conn.execute("SELECT text FROM document_texts WHERE document_id=?", (row["id"],)).fetchone()[0]
    assert "档案管理办法" in text.split("\n", 12)[-1] or "本办法自印发之日起施行" in text.replace(" ", "")


@pytest.mark.slow
def test_image_only_pdf_and_mixed_pdf(tmp_path):
    scan = make_scan(tmp_path / "scan.pdf", DOC)
    ex = extract(scan)
    assert (ex.media_type, ex.method, ex.pages) == ("pdf", "ocr", 1)
    assert "示档发" in ex.text and ex.page_confidences[0] > 50
    assert ex.searchable_pdf is None  # not asked for

    # page 1 typeset (text layer), page 2 a scanned sheet: only page 2 is read by OCR
    from pypdf import PdfReader, PdfWriter

    text_pdf = make_pdf(tmp_path / "p1.pdf", DOC)
    img = tmp_path / "p2.pdf"
    scan_pages(PAGE2)[0].save(img, "PDF", resolution=200.0)
    w = PdfWriter()
    for f in (text_pdf, img):
        w.add_page(PdfReader(f).pages[0])
    mixed = tmp_path / "mixed.pdf"
    with open(mixed, "wb") as fh:
        w.write(fh)
    ex = extract(mixed, ocr=OcrSettings(searchable_pdf=True))
    assert ex.method == "text-layer+ocr" and ex.pages == 2
    assert ex.page_confidences[0] is None and ex.page_confidences[1] > 50
    assert ex.page_texts[0].split("\n")[:2] == DOC[:2]  # text layer kept exactly
    assert "本办法自印发之日起施行" in ex.page_texts[1].replace(" ", "")
    assert not any("没有文字层" in w for w in ex.warnings), ex.warnings


@pytest.mark.slow
def test_searchable_pdf_is_stored_beside_the_original(tmp_path):
    cfg = load_config(write_config(tmp_path, **{"searchable_pdf = false": "searchable_pdf = true"}))
    arc = open_archive(cfg, create=True)
    try:
        png = make_scan(tmp_path / "scan.png", DOC)
        r = pipeline.ingest_file(arc, png)
        row = arc.conn.execute("SELECT * FROM documents WHERE id=?", (r.record["id"],)).fetchone()
        assert row["searchable_path"] and row["searchable_path"] != row["stored_path"]
        from pypdf import PdfReader

        searchable = PdfReader(arc.store.abspath(row["searchable_path"]))
        assert "示档发" in searchable.pages[0].extract_text().replace(" ", "")
        assert arc.store.abspath(row["stored_path"]).read_bytes() == png.read_bytes()  # original as it came
        assert not any("回滚" in m for m in arc.reconcile())  # referenced: not rolled back as an orphan
        assert arc.store.abspath(row["searchable_path"]).exists()
        from archive.verify import verify
        assert [f for f in verify(arc).findings if f.severity != "notice"] == []  # not a stray file
    finally:
        arc.close()


@pytest.mark.slow
def test_low_confidence_header_goes_to_pending_without_archival_code(tmp_path):
    # The gate: any 版头 read below the configured confidence is pending, whatever a rule says.
    cfg = load_config(write_config(tmp_path, **{"min_header_confidence = 75": "min_header_confidence = 99.9"}))
    arc = open_archive(cfg, create=True)
    try:
        r = pipeline.ingest_file(arc, make_scan(tmp_path / "scan.jpg", DOC, rotate=-1.0))
        assert r.outcome == "pending"
        assert r.reason.startswith("OCR 识别置信度低（版头 ") and "请人工核对发文字号和题名" in r.reason
        assert "规则 R10 建议归档" in r.reason
        assert r.record["archival_code"] is None and r.record["item_no"] is None
        assert arc.conn.execute("SELECT count(*) FROM sequences").fetchone()[0] == 0
    finally:
        arc.close()


def test_a_page_that_hangs_is_skipped_after_its_timeout(tmp_path):
    # A tesseract that never finishes page 2 (a stand-in for a pathological scan); page 1 is real.
    real = shutil.which("tesseract")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "tesseract"
    fake.write_text(f'#!/bin/sh\ncase "$1" in *image-2.p?m) exec sleep 60;; esac\nexec {real} "$@"\n')
    fake.chmod(0o755)
    tif = make_scan(tmp_path / "scan.tif", DOC + PAGE2, lines_per_page=len(DOC))
    old = os.environ["PATH"]
    os.environ["PATH"] = f"{bindir}{os.pathsep}{old}"
    try:
        ex = extract(tif, ocr=OcrSettings(engine="tesseract", page_timeout=5))
    finally:
        os.environ["PATH"] = old
    assert ex.pages == 2 and "示档发" in ex.page_texts[0] and ex.page_texts[1] == ""
    assert any("第2页 OCR 超时（超过 5 秒）" in w for w in ex.warnings), ex.warnings


def test_ocr_config_defaults_and_validation(tmp_path):
    src = (ROOT / "config.toml").read_text(encoding="utf-8")
    start = src.index("\n[ocr]")
    end = src.index("\n[relations]")
    cfg = load_config(write_config(tmp_path, src[:start] + src[end:]))  # no [ocr] section at all
    assert cfg.ocr == OcrSettings()
    with pytest.raises(ConfigError) as e:
        load_config(write_config(tmp_path, **{"page_timeout_seconds = 120": "page_timeout_seconds = 0"}))
    assert "ocr.page_timeout_seconds" in str(e.value)
    with pytest.raises(ConfigError) as e:
        load_config(write_config(tmp_path, **{"dpi = 200": 'dpi = "high"'}))
    assert "ocr.dpi" in str(e.value)


def _line(text: str, conf: dict[int, float] | None = None):
    from archive.extract.ocr import OcrLine

    cc = [95.0] * len(text)
    for i, c in (conf or {}).items():
        cc[i] = c
    return OcrLine(text, sum(cc) / len(cc), 0, 1000, cc)


def test_repair_header_only_touches_unread_characters():
    from archive.extract.ocr import repair_header

    # 冀 read as 费 with confidence 0, on a page that names 河北省; 号 read as its look-alike 吴
    lines = [_line("费政〔2013] 43吴", {0: 0.0}), _line("河北省人民政府关于支持科技型中小企业发展的实施意见")]
    done = repair_header(lines)
    assert lines[0].text == "冀政〔2013] 43号" and len(done) == 2
    # the same misreading with a confident first character stays as read
    lines = [_line("费政〔2013〕43号"), _line("河北省人民政府关于……的实施意见")]
    assert repair_header(lines) == [] and lines[0].text == "费政〔2013〕43号"
    # two provinces named on the page: no guess
    lines = [_line("费政〔2013〕43号", {0: 0.0}), _line("河北省、山东省关于……的通知")]
    assert repair_header(lines) == [] and lines[0].text.startswith("费")


def test_repair_header_reads_a_dash_ending_the_code_as_one():
    from archive.extract.ocr import repair_header

    lines = [_line("国网国际部"), _line("外事合—〔2021)6号"), _line("2021年3月—5月的工作安排")]
    done = repair_header(lines)
    assert lines[1].text == "外事合一〔2021)6号" and len(done) == 1, done
    assert lines[2].text == "2021年3月—5月的工作安排", "a dash elsewhere is a dash"


def test_date_confidence_gates_the_year_of_the_archival_code():
    import datetime as dt

    from archive.extract.ocr import date_confidence, low_confidence_reason

    lines = [_line("示例县档案局"), _line("2022年8月28日", {0: 30.0, 1: 30.0, 2: 30.0, 3: 30.0})]
    conf = date_confidence(lines, dt.date(2022, 8, 28))
    assert conf is not None and conf < 75
    assert date_confidence(lines, dt.date(2023, 8, 28)) is None  # not the date that was read
    assert low_confidence_reason(90.0, OcrSettings(), conf).startswith("OCR 识别置信度低（成文日期 ")
    assert "请人工核对成文日期" in low_confidence_reason(90.0, OcrSettings(), conf)
    assert low_confidence_reason(60.0, OcrSettings(), conf).startswith("OCR 识别置信度低（版头 60%，成文日期 ")
    assert low_confidence_reason(90.0, OcrSettings(), 95.0) is None


def test_missing_language_data_is_a_clear_error(tmp_path):
    from archive.errors import OcrError

    png = make_scan(tmp_path / "scan.png", DOC[:3])
    with pytest.raises(OcrError) as e:
        extract(png, ocr=OcrSettings(engine="tesseract", languages="chi_sim+xyz"))
    msg = str(e.value)
    assert str(png) in msg and "缺少语言数据 xyz" in msg and "\n" not in msg


# ---- 涉密: zero stored --------------------------------------------------------------------------------
SECRET_DOC = ["秘密★1年"] + DOC


def _nothing_stored(arc) -> None:
    assert arc.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    assert arc.conn.execute("SELECT count(*) FROM document_texts").fetchone()[0] == 0
    assert not [p for p in arc.store.files.rglob("*") if p.is_file()]


def test_secret_scan_is_refused_never_stored_and_quarantined(arc, tmp_path):
    inbox = arc.cfg.inbox
    inbox.mkdir(parents=True, exist_ok=True)
    png = make_scan(inbox / "scan.jpg", SECRET_DOC, rotate=1.2)
    r = pipeline.ingest_file(arc, png, from_inbox=True)
    assert r.outcome == "refused", r.reason
    assert "涉密文件（秘密" in r.reason and "隔离" in r.reason
    _nothing_stored(arc)
    assert not png.exists() and [p.name for p in arc.cfg.refused_dir.rglob("scan*.jpg")] == ["scan.jpg"]


@pytest.mark.parametrize("mark, level", [
    ("秘密★1年", "秘密"), ("机密★长期", "机密"), ("绝密", "绝密"), ("秘密女1年", "秘密"), ("秘密广6个月", "秘密"),
    ("秘蜜★1年", "秘密"), ("机宓", "机密"), ("女1年", "疑似密级标志"), ("★10年", "疑似密级标志"),
    ("泌密★1年", "疑似密级标志"), ("000123 秘密★1年", "秘密"), ("密★1年", "疑似密级标志"), ("特急 机密", "机密"),
])
def test_secrecy_marks_and_their_ocr_damaged_forms(mark, level):
    from archive import secrecy

    lines = [_line(mark), _line("示例县档案局文件"), _line("示档发〔2022〕1号")]
    for i, ln in enumerate(lines):
        ln.top = 100 + 60 * i
    assert secrecy.mark_in_lines(lines) == level


def test_header_lines_that_are_not_marks():
    from archive import secrecy

    for text in ("示例县档案局文件", "示档发〔2022〕1号", "关于加强保密工作的通知", "特急", "000123", "签发人：张三",
                 "示例县人民政府办公室关于做好2024年防汛工作的通知"):
        ln = _line(text)
        ln.top = 100
        assert secrecy.mark_in_lines([ln]) is None, text
    low = _line("秘密★1年")  # a mark far down the page is in the body (a quoted 密级), not the 版头's
    low.top = 900
    assert secrecy.mark_in_lines([low]) is None


def test_scan_whose_header_cannot_be_read_is_quarantined(arc, tmp_path):
    from PIL import Image, ImageDraw

    # a scanned sheet: an unreadable blot where the 版头 should be, some text far below
    page = scan_pages(["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "各科室要认真自查。"])[0]
    ImageDraw.Draw(page).rectangle((150, 150, 1500, 700), fill=40)
    jpg = tmp_path / "blot.jpg"
    page.save(jpg, "JPEG", quality=70)
    r = pipeline.ingest_file(arc, jpg)
    assert r.outcome == "refused", r.reason
    assert r.reason.startswith("版头无法识别，可能为涉密文件，已隔离，请人工查看")
    _nothing_stored(arc)


def _pdf_over_image(path: Path, image, layer: list[str], *, invisible: bool = True, under: bool = False) -> Path:
    """A PDF page that is ``image`` (a scan) with a text layer: invisible over it (render mode 3, what OCR
    tools add), or visible but drawn first and covered by the image."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    from tests.makedocs import _register_font

    font = _register_font()
    w, h = image.width * 72 / 200, image.height * 72 / 200
    c = canvas.Canvas(str(path), pagesize=(w, h))

    def text():
        t = c.beginText(72, h - 100)
        t.setFont(font, 14)
        if invisible:
            t.setTextRenderMode(3)
        for line in layer:
            t.textLine(line)
        c.drawText(t)
    if under:
        text()
    c.drawImage(ImageReader(image), 0, 0, w, h)
    if not under:
        text()
    c.showPage()
    c.save()
    return path


HARMLESS = gongwen_lines(3, kind=0, year=2022)


@pytest.mark.slow
@pytest.mark.parametrize("invisible, under", [(True, False), (False, True)])
def test_text_layer_over_a_secret_scan_is_judged_on_the_image(arc, tmp_path, invisible, under):
    pdf = _pdf_over_image(tmp_path / "layered.pdf", scan_pages(SECRET_DOC)[0], HARMLESS,
                          invisible=invisible, under=under)
    ex = extract(pdf)
    assert ex.method == "text-layer" and ex.image_probe is not None  # the text layer is what was read …
    r = pipeline.ingest_file(arc, pdf)
    assert r.outcome == "refused", r.reason  # … but the image says 秘密
    assert "涉密文件（秘密" in r.reason
    _nothing_stored(arc)


def test_text_layer_that_does_not_match_its_scan_is_refused(arc, tmp_path):
    layer = ["示例县农业农村局文件", "示农发〔2021〕3号", "示例县农业农村局关于做好春耕生产工作的通知",
             "各乡镇农业服务中心：", "为抓好今年春耕生产，确保粮食播种面积稳定，现通知如下。"]
    pdf = _pdf_over_image(tmp_path / "layered.pdf", scan_pages(DOC)[0], layer)
    r = pipeline.ingest_file(arc, pdf)
    assert r.outcome == "refused" and "文字层与页面图像内容不符" in r.reason
    _nothing_stored(arc)


@pytest.mark.slow
def test_ocrd_scan_with_its_own_text_layer_is_archived_and_born_digital_is_not_probed(arc, tmp_path):
    pdf = _pdf_over_image(tmp_path / "ocrd.pdf", scan_pages(DOC)[0], DOC)
    r = pipeline.ingest_file(arc, pdf)
    assert r.outcome == "archived", r.reason
    assert extract(make_pdf(tmp_path / "born.pdf", SECRET_DOC[1:])).image_probe is None


@pytest.mark.slow
def test_image_only_ofd_is_read_by_ocr_and_a_secret_one_refused(arc, tmp_path):
    ofd = _image_ofd(tmp_path / "scan.ofd", scan_pages(DOC)[0])
    ex = extract(ofd)
    assert (ex.media_type, ex.method) == ("ofd", "ocr") and "示档发〔2022〕1号" in ex.text
    r = pipeline.ingest_file(arc, _image_ofd(tmp_path / "secret.ofd", scan_pages(SECRET_DOC)[0]))
    assert r.outcome == "refused", r.reason
    _nothing_stored(arc)


def _image_ofd(path: Path, image) -> Path:
    """An OFD whose one page is a scanned image (what scanners that save OFD write)."""
    import io
    import zipfile

    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("OFD.xml", f'<ofd:OFD {ns} Version="1.0"><ofd:DocBody><ofd:DocInfo><ofd:DocID>x</ofd:DocID>'
                   "</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
        z.writestr("Doc_0/Document.xml", f"<ofd:Document {ns}><ofd:CommonData><ofd:MaxUnitID>3</ofd:MaxUnitID>"
                   "<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>"
                   "<ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes></ofd:CommonData>"
                   '<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>')
        z.writestr("Doc_0/DocumentRes.xml", f'<ofd:Res {ns} BaseLoc="Res"><ofd:MultiMedias>'
                   '<ofd:MultiMedia ID="2" Type="Image"><ofd:MediaFile>scan.jpg</ofd:MediaFile></ofd:MultiMedia>'
                   "</ofd:MultiMedias></ofd:Res>")
        z.writestr("Doc_0/Res/scan.jpg", buf.getvalue())
        z.writestr("Doc_0/Pages/Page_0/Content.xml", f'<ofd:Page {ns}><ofd:Content><ofd:Layer ID="3">'
                   '<ofd:ImageObject ID="4" ResourceID="2" Boundary="0 0 210 297" CTM="210 0 0 297 0 0"/>'
                   "</ofd:Layer></ofd:Content></ofd:Page>")
    return path


def test_header_gate_reads_the_characters_of_number_and_title_not_a_line_average():
    from archive.extract.ocr import header_confidence

    number = _line("示档发〔2022〕1号", {3: 40.0, 8: 45.0})  # only the brackets unsure: they do not count
    title = _line("示例县档案局关于印发档案管理办法的决定")
    head = [_line("示例县档案局文件"), number, title]
    assert header_confidence(head, "示档发〔2022〕1号", title.text) == 95.0
    title.char_conf[6] = 30.0  # one character of the title (关) unsure, the line's average still high
    assert title.confidence > 90 and header_confidence(head, "示档发〔2022〕1号", title.text) == 30.0
    # a title over two lines is found across them
    two = [number, _line("示例县档案局关于印发"), _line("档案管理办法的决定", {2: 50.0})]
    assert header_confidence(two, "示档发〔2022〕1号", "示例县档案局关于印发档案管理办法的决定") == 50.0


@pytest.mark.slow
def test_rapidocr_page_over_its_timeout_is_skipped_and_the_worker_replaced(tmp_path):
    # An ONNX call cannot be interrupted: the page is given up, the worker answers, exits, and the next
    # file is read by a fresh worker (a timeout nobody can meet stands in for a pathological page).
    from archive.errors import ExtractionError
    from archive.extract.worker import ExtractWorker

    tif = make_scan(tmp_path / "scan.tif", DOC + PAGE2, lines_per_page=len(DOC))
    w = ExtractWorker(ocr=OcrSettings(page_timeout=0.001))
    try:
        with pytest.raises(ExtractionError) as e:
            w.extract(tif)
        assert "第1页 OCR 超时" in str(e.value) and w._proc is None  # the stuck worker is gone
        w.ocr = OcrSettings()
        ex = w.extract(tif)
        assert ex.pages == 2 and "示档发" in ex.page_texts[0] and not ex.warnings
    finally:
        w.close()
