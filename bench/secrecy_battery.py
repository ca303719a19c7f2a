"""A battery for the 涉密 gate (``archive.secrecy.gate``): marked documents made by paths of its own, and traps.

    python bench/secrecy_battery.py --out DIR [--seed 22] [--split tune|test|all] [--eval DIR] [--no-office]

Nothing here goes through ``tests/makedocs.py``: DOCX are written with python-docx and raw WordprocessingML
(``w:sym`` Wingdings stars, VML text boxes, headers, footers, inline pictures of the mark, tables); PDFs by
LibreOffice from those DOCX (one batch call, ``eval_set.soffice_pdf``) and by reportlab (the mark drawn as vector
paths, as a small image, as a FreeText annotation, on page 2 after a 文件处理笺); HTML pages (the mark in
``<header>``, a ``class="print"`` block, a 密级 meta row, a hidden ``div``, a ``<meta>``); scans (pages rendered
by PDFium, specks and a little blur, a cover sheet first, turned 90/180/270 degrees, as PNG/JPEG, multi-page TIFF
and image-only PDF); plain text in every normal form of the mark (docs/domain.md, 涉密).

Traps (likely false refusals, born-digital and scanned): a 文件处理单/收文处理单 with an empty 密级 cell, 工作秘密,
the ★ on a 党委 red rule (typed and drawn), star bullets, ``密级：无``/``非密``/``已解密``/``公开``, a body
sentence about 保守国家秘密.

Each case has a name; its split (tune/test) is a stable hash of the seed and the name, so that tuning looks at
half and the other half is reported apart. The score: marked documents judged "clear" must be 0; traps: none
"mark", at most one "doubtful". ``--eval DIR``: also the unmarked documents of an evaluation set
(``bench/eval_set.py --out DIR``) and ``bench/real``: refusals + doubtful ≤ 1 %. The gate's cost per file is
printed (born-digital and scans apart). Output: ``DIR/results.jsonl`` (one row per file) and a table.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"

MARKS = ["秘密★1年", "秘 密★1年", "密 级：秘密", "秘密1年", "绝密（1年）", "机密·10年", "祕密", "機密", "㊙",
         "秘密\uf0ab1年", "秘密▲6个月", "机密★启用前", "秘密★2030年1月1日前", "绝密★长期", "秘密＊5年", "密级：机密",
         "机密\uf0b610年", "秘　密", "秘密★ 六个月", "000123　秘密★1年　特急"]
ISSUERS = ["临江县人民政府", "临江县农业农村局", "中共临江县委员会", "临江县财政局", "临江县教育局", "青山镇人民政府"]
SUBJECTS = ["做好春季农业生产", "加强防汛抗旱工作", "开展安全生产大检查", "规范公务接待管理", "推进数字乡村建设",
            "做好年度预算编制", "加强校园安全管理"]
BODY = ["为切实做好{s}工作，经研究，现就有关事项通知如下：", "一、提高思想认识。各单位要充分认识{s}的重要意义。",
        "二、压实工作责任。主要负责同志要亲自部署，明确分工，确保各项措施落实到位。",
        "三、加强督促检查。县政府将适时组织检查，对工作不力的单位予以通报。", "请各单位于每月五日前报送工作进展情况。"]
TRAP_SENTENCE = "各单位要严格遵守保密纪律，保守国家秘密和工作秘密，涉密事项不得在互联网计算机上处理。"


# ---- content ---------------------------------------------------------------------------------------------------
def doc_lines(rnd: random.Random, kind: str = "文件") -> dict:
    issuer = rnd.choice(ISSUERS)
    subject = rnd.choice(SUBJECTS)
    code = {"临江县人民政府": "临政发", "中共临江县委员会": "临发"}.get(issuer, "临" + issuer[3:5] + "发")
    number = f"{code}〔{rnd.randint(2019, 2025)}〕{rnd.randint(1, 99)}号"
    title = f"{issuer}关于{subject}的通知"
    body = [b.format(s=subject) for b in BODY]
    return {"issuer": issuer, "head": f"{issuer}{kind}", "number": number, "title": title, "body": body,
            "sign": issuer, "date": f"{rnd.randint(2019, 2025)}年{rnd.randint(1, 12)}月{rnd.randint(1, 28)}日"}


def plain_lines(d: dict, mark: str | None = None, rule: str | None = None) -> list[str]:
    lines = [mark] if mark else []
    lines += [d["head"], "", d["number"], rule or "", d["title"], "各乡镇人民政府，县直各单位："]
    return lines + d["body"] + ["", d["sign"], d["date"]]


# ---- pictures ----------------------------------------------------------------------------------------------------
def text_image(text: str, size: int = 48, pad: int = 8, color=0):
    """A picture of ``text`` (Pillow, the CJK font), black on white."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, size)
    shown = text.replace("\uf0ab", "★").replace("\uf0b6", "★")
    box = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), shown, font=font)
    im = Image.new("L", (box[2] + 2 * pad, box[3] + 2 * pad), 255)
    ImageDraw.Draw(im).text((pad, pad), shown, font=font, fill=color)
    return im


def png_bytes(im) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


# ---- DOCX by python-docx and raw WordprocessingML ---------------------------------------------------------------------
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _sym_run(paragraph, font: str, char: str) -> None:
    from docx.oxml import parse_xml

    paragraph._p.append(parse_xml(f'<w:r xmlns:w="{W_NS}"><w:sym w:font="{font}" w:char="{char}"/></w:r>'))


def _textbox(paragraph, text: str) -> None:
    from docx.oxml import parse_xml

    xml = (f'<w:r xmlns:w="{W_NS}" xmlns:v="urn:schemas-microsoft-com:vml"><w:pict>'
           '<v:shape style="position:absolute;margin-left:0;margin-top:0;width:160pt;height:32pt;z-index:1" '
           'stroked="f" filled="f"><v:textbox><w:txbxContent>'
           f'<w:p><w:r><w:rPr><w:rFonts w:ascii="WenQuanYi Zen Hei" w:eastAsia="WenQuanYi Zen Hei"/>'
           f'<w:sz w:val="32"/></w:rPr><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'
           '</w:txbxContent></v:textbox></v:shape></w:pict></w:r>')
    paragraph._p.append(parse_xml(xml))


def make_docx(path: Path, d: dict, *, mark: str | None = None, place: str = "body", top: list[str] | None = None,
              rule: str | None = None, cover_table: bool = False, sentence: bool = False,
              bullets: str | None = None) -> Path:
    """A 公文 as DOCX with ``mark`` at ``place``: body, sym (the ★ a Wingdings w:sym run), textbox, header,
    footer, picture, table. ``top``: lines before the 版头 (a trap's own); ``cover_table``: a 文件处理单 table
    with an empty 密级 cell first; ``bullets``: a symbol-font char (hex) or a ★ put before the body lines."""
    import docx
    from docx.shared import Pt, RGBColor

    doc = docx.Document()
    style = doc.styles["Normal"]
    style.font.name = "WenQuanYi Zen Hei"
    style.font.size = Pt(14)
    if cover_table:
        doc.add_paragraph("文件处理单")
        t = doc.add_table(rows=4, cols=4)
        t.style = "Table Grid"
        for r, row in enumerate([("来文单位", d["issuer"], "收文日期", d["date"]), ("文号", d["number"], "密级", ""),
                                 ("缓急", "", "份数", "1"), ("标题", d["title"], "", "")]):
            for c, v in enumerate(row):
                t.cell(r, c).text = v
        doc.add_paragraph("拟办意见：")
        doc.add_page_break()
    for line in top or []:
        doc.add_paragraph(line)
    if mark and place == "body":
        doc.add_paragraph(mark)
    elif mark and place == "sym":
        level, _, period = mark.partition("★")
        p = doc.add_paragraph(level)
        _sym_run(p, "Wingdings", "F0AB")
        p.add_run(period or "1年")
    elif mark and place == "textbox":
        _textbox(doc.add_paragraph(), mark)
    elif mark and place == "header":
        doc.sections[0].header.paragraphs[0].text = mark
    elif mark and place == "footer":
        doc.sections[0].footer.paragraphs[0].text = mark
    elif mark and place == "picture":
        doc.add_picture(io.BytesIO(png_bytes(text_image(mark))), width=Pt(110))
    elif mark and place == "table":
        t = doc.add_table(rows=1, cols=4)
        for c, v in enumerate(("份号", "000086", "密级", mark)):
            t.cell(0, c).text = v
    head = doc.add_paragraph()
    run = head.add_run(d["head"])
    run.font.size = Pt(26)
    run.font.color.rgb = RGBColor(0xD0, 0, 0)
    doc.add_paragraph(d["number"])
    if rule:
        r = doc.add_paragraph().add_run(rule)
        r.font.color.rgb = RGBColor(0xD0, 0, 0)
    doc.add_paragraph(d["title"])
    doc.add_paragraph("各乡镇人民政府，县直各单位：")
    for line in d["body"] + ([TRAP_SENTENCE] if sentence else []):
        p = doc.add_paragraph()
        if bullets and len(bullets) == 4:
            _sym_run(p, "Wingdings", bullets)
            p.add_run(" ")
        elif bullets:
            p.add_run(bullets + " ")
        p.add_run(line)
    doc.add_paragraph(d["sign"])
    doc.add_paragraph(d["date"])
    doc.save(str(path))
    return path


# ---- PDF by reportlab -------------------------------------------------------------------------------------------------
def _canvas(path: Path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "zh" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("zh", FONT, subfontIndex=0))
    return canvas.Canvas(str(path), pagesize=A4), A4


def vector_text(c, text: str, x: float, y: float, size: float = 16) -> None:
    """``text`` drawn as filled rectangles (vector paths, no text object) with its top-left at (x, y)."""
    im = text_image(text, size=int(size * 4), pad=0)
    px = 0.25  # a pixel is a quarter point (the picture is drawn at 4x)
    a = im.load()
    c.setFillColorRGB(0, 0, 0)
    p = c.beginPath()
    for row in range(im.height):
        col = 0
        while col < im.width:
            if a[col, row] < 128:
                start = col
                while col < im.width and a[col, row] < 128:
                    col += 1
                p.rect(x + start * px, y - (row + 1) * px, (col - start) * px, px)
            col += 1
    c.drawPath(p, stroke=0, fill=1)


def _page_lines(c, size, lines: list[str], y0: float, red_first: bool = True) -> None:
    w, h = size
    y = y0
    for i, line in enumerate(lines):
        if red_first and i == 0 and line:
            c.setFillColorRGB(0.85, 0, 0)
            c.setFont("zh", 26)
            c.drawCentredString(w / 2, y, line)
            y -= 40
            c.setFillColorRGB(0, 0, 0)
            continue
        c.setFont("zh", 15)
        c.drawString(72, y, line)
        y -= 26


def make_pdf(path: Path, d: dict, *, mark: str | None = None, how: str = "text", cover: bool = False,
             red_star: bool = False, sentence: bool = False, empty_cover: bool = False) -> Path:
    """A 公文 page by reportlab with ``mark`` at the top left: "text", "vector" (paths), "image" (a small picture),
    "annot" (a FreeText annotation, added with pypdf). ``cover``: a 文件处理笺 page first (its 密级 cell empty);
    ``red_star``: the red rule of a 党委 版头 with a ★ drawn on it."""
    c, size = _canvas(path)
    w, h = size
    if cover or empty_cover:
        cover_sheet(c, size, d)
        c.showPage()
    if mark and how == "text":
        c.setFont("zh", 16)
        c.drawString(72, h - 90, mark.replace("\uf0ab", "★"))
    elif mark and how == "vector":
        vector_text(c, mark, 72, h - 76)
    elif mark and how == "image":
        from reportlab.lib.utils import ImageReader

        im = text_image(mark, size=40)
        c.drawImage(ImageReader(im), 72, h - 100, width=im.width * 0.3, height=im.height * 0.3)
    _page_lines(c, size, [d["head"], d["number"]], h - 150)
    c.setStrokeColorRGB(0.85, 0, 0)
    c.setLineWidth(2)
    if red_star:
        c.line(72, h - 225, w / 2 - 14, h - 225)
        c.line(w / 2 + 14, h - 225, w - 72, h - 225)
        c.setFillColorRGB(0.85, 0, 0)
        star = c.beginPath()
        import math

        for k in range(10):
            r = 11 if k % 2 == 0 else 4.5
            ang = math.pi / 2 + k * math.pi / 5
            (star.moveTo if k == 0 else star.lineTo)(w / 2 + r * math.cos(ang), h - 225 + r * math.sin(ang))
        star.close()
        c.drawPath(star, stroke=0, fill=1)
        c.setFillColorRGB(0, 0, 0)
    else:
        c.line(72, h - 225, w - 72, h - 225)
    _page_lines(c, size, [d["title"], "各乡镇人民政府，县直各单位："] + d["body"]
                + ([TRAP_SENTENCE] if sentence else []) + ["", d["sign"], d["date"]], h - 260, red_first=False)
    c.showPage()
    c.save()
    if mark and how == "annot":
        add_freetext(path, mark, page=1 if cover else 0)
    return path


def cover_sheet(c, size, d: dict, title: str = "文件处理笺") -> None:
    """A 文件处理笺 / 收文处理单 page: a ruled table whose 密级 cell is empty."""
    w, h = size
    c.setFont("zh", 22)
    c.drawCentredString(w / 2, h - 90, f"临江县人民政府办公室{title}")
    rows = [("来文单位", d["issuer"]), ("文    号", d["number"]), ("密    级", ""), ("缓    急", ""),
            ("标    题", d["title"][:22]), ("拟办意见", ""), ("领导批示", "")]
    y = h - 130
    c.setLineWidth(1)
    c.setStrokeColorRGB(0, 0, 0)
    for label, value in rows:
        hgt = 60 if label in ("拟办意见", "领导批示") else 34
        c.rect(60, y - hgt, w - 120, hgt)
        c.line(150, y, 150, y - hgt)
        c.setFont("zh", 14)
        c.drawString(68, y - 22, label)
        c.drawString(160, y - 22, value)
        y -= hgt


def add_freetext(path: Path, text: str, page: int = 0) -> None:
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import FreeText
    from pypdf.generic import NameObject, TextStringObject

    w = PdfWriter(clone_from=PdfReader(str(path)))
    h = float(w.pages[page].mediabox.height)
    annot = FreeText(text=text, rect=(70, h - 100, 220, h - 70), font_size="14pt")
    annot[NameObject("/Contents")] = TextStringObject(text)
    w.add_annotation(page_number=page, annotation=annot)
    with open(path, "wb") as f:
        w.write(f)


# ---- HTML -----------------------------------------------------------------------------------------------------------
def make_html(path: Path, d: dict, *, mark: str | None = None, where: str = "header", meta_level: str | None = None,
              sentence: bool = False) -> Path:
    """A government site's page of the 公文; ``mark`` in <header>, a class="print" block, a meta row, a hidden
    div or a <meta>; ``meta_level``: what the 密级 row of the meta table says (a trap: 公开, empty)."""
    head_meta = f'<meta name="密级" content="{mark}">' if mark and where == "meta" else ""
    header = f"<header><div class='mj'>{mark}</div><div class='site'>临江县人民政府网</div></header>" \
        if mark and where == "header" else "<div class='site'>临江县人民政府网</div>"
    rows = [("发文机关", d["issuer"]), ("发文字号", d["number"]), ("成文日期", d["date"]), ("标题", d["title"])]
    if mark and where == "row":
        rows.append(("密级", mark))
    if meta_level is not None:
        rows.append(("密级", meta_level))
    table = "<table class='meta'>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows) + "</table>"
    extra = ""
    if mark and where == "print":
        extra = f"<div class='print'><p>{mark}</p><p>{d['head']}</p></div>"
    if mark and where == "hidden":
        extra = f"<div style='display:none'>{mark}</div>"
    body = "".join(f"<p>{x}</p>" for x in d["body"] + ([TRAP_SENTENCE] if sentence else []))
    html = (f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head_meta}<title>{d['title']}</title></head><body>"
            f"{header}<nav>首页 &gt; 政务公开</nav>{table}{extra}<h1>{d['title']}</h1>{body}"
            f"<p>{d['sign']}</p><p>{d['date']}</p><footer>主办：临江县人民政府办公室</footer></body></html>")
    path.write_text(html, encoding="utf-8")
    return path


# ---- scans -----------------------------------------------------------------------------------------------------------
def pdf_images(pdf: Path, dpi: int = 200, rnd: random.Random | None = None) -> list:
    """The pages of ``pdf`` as grey scans (PDFium), with specks and a little blur."""
    import pypdfium2 as pdfium
    from PIL import ImageFilter

    rnd = rnd or random.Random(0)
    doc = pdfium.PdfDocument(str(pdf))
    out = []
    try:
        for i in range(len(doc)):
            im = doc[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            px = im.load()
            for _ in range(400):
                x, y = rnd.randrange(im.width), rnd.randrange(im.height)
                px[x, y] = rnd.choice((0, 60, 120))
            out.append(im.filter(ImageFilter.GaussianBlur(0.6)).rotate(rnd.uniform(-0.8, 0.8), fillcolor=255))
    finally:
        doc.close()
    return out


def save_scan(path: Path, pages: list, turn: int = 0, dpi: int = 200) -> Path:
    """Save scanned pages (turned ``turn`` degrees counter-clockwise) as the suffix says: PNG/JPEG (page 1),
    TIFF (all pages), PDF (image-only, all pages)."""
    pages = [p.rotate(turn, expand=True) if turn else p for p in pages]
    suffix = path.suffix.lower()
    if suffix in (".png", ".jpg", ".jpeg"):
        pages[0].save(path, quality=80) if suffix != ".png" else pages[0].save(path)
    elif suffix in (".tif", ".tiff"):
        pages[0].save(path, save_all=True, append_images=pages[1:], compression="tiff_lzw", dpi=(dpi, dpi))
    else:
        pages[0].save(path, "PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return path


def unreadable(out: Path, rnd: random.Random) -> list[Path]:
    """A password PDF, an xlsx, a zip, an odt, a webp and a damaged DOCX, each holding a mark."""
    import zipfile

    from pypdf import PdfReader, PdfWriter

    (out / "_src").mkdir(exist_ok=True)
    src = make_pdf(out / "_src" / "locked_src.pdf", doc_lines(rnd), mark="秘密★1年")
    w = PdfWriter(clone_from=PdfReader(str(src)))
    w.encrypt(user_password="mm", owner_password="mm2")
    files = [out / "bad_locked.pdf", out / "bad_book.xlsx", out / "bad_pack.zip", out / "bad_text.odt",
             out / "bad_mark.webp", out / "bad_damaged.docx"]
    with open(files[0], "wb") as f:
        w.write(f)
    with zipfile.ZipFile(files[1], "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/sharedStrings.xml", "<sst><si><t>秘密★1年</t></si></sst>")
    with zipfile.ZipFile(files[2], "w") as z:
        z.writestr("a.txt", "秘密★1年\n临江县人民政府文件")
    with zipfile.ZipFile(files[3], "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content><text:p>秘密★1年</text:p></office:document-content>")
    text_image("秘密★1年").save(files[4], "WEBP")
    good = make_docx(out / "_src" / "damaged_src.docx", doc_lines(rnd), mark="秘密★1年")
    files[5].write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return files


# ---- the battery -------------------------------------------------------------------------------------------------------
def split_of(seed: int, name: str) -> str:
    return "tune" if hashlib.sha256(f"{seed}:{name}".encode()).digest()[0] % 2 == 0 else "test"


def build(out: Path, seed: int = 22, office: bool = True) -> list[dict]:
    """Write the battery under ``out``; one row per file: name, file, family, expect ("mark"/"trap"), split."""
    rnd = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    to_pdf: list[tuple[Path, str, str]] = []

    def add(name: str, f: Path, family: str, expect: str) -> None:
        rows.append({"name": name, "file": str(f.relative_to(out)), "family": family, "expect": expect,
                     "split": split_of(seed, name)})

    # plain text, every form of the mark
    for i, m in enumerate(MARKS):
        f = out / f"txt_mark_{i:02d}.txt"
        f.write_text("\n".join(plain_lines(doc_lines(rnd), m)), encoding="utf-8")
        add(f.stem, f, "文本", "mark")
    # DOCX: each place, two marks each
    for place in ("body", "sym", "textbox", "header", "footer", "picture", "table"):
        for k in range(2):
            m = rnd.choice(["秘密★1年", "机密★5年", "绝密★长期", "秘密★6个月"]) if place != "picture" else \
                ["秘密★1年", "机密★10年"][k]
            f = make_docx(out / f"docx_{place}_{k}.docx", doc_lines(rnd), mark=m, place=place)
            add(f.stem, f, f"DOCX {place}", "mark")
            to_pdf.append((f, f"LibreOffice PDF {place}", "mark"))
    # reportlab PDFs: vector, image, annotation, text on page 2 after a cover sheet
    for how in ("vector", "image", "annot"):
        for k, m in enumerate(["秘密★1年", "机密★5年", "绝密（1年）"]):
            f = make_pdf(out / f"pdf_{how}_{k}.pdf", doc_lines(rnd), mark=m, how=how)
            add(f.stem, f, f"PDF {how}", "mark")
    for k, m in enumerate(["秘密★1年", "机密·10年"]):
        f = make_pdf(out / f"pdf_cover_{k}.pdf", doc_lines(rnd), mark=m, cover=True)
        add(f.stem, f, "PDF 处理笺+公文", "mark")
    # HTML
    for where in ("header", "print", "row", "hidden", "meta"):
        for k, m in enumerate(["秘密★1年", "机密"]):
            f = make_html(out / f"html_{where}_{k}.html", doc_lines(rnd), mark=m, where=where)
            add(f.stem, f, f"HTML {where}", "mark")
    # scans: cover sheet + marked page 2 (PDF, TIFF); page 1 turned 90/180/270 (PNG, PDF); plain JPEG
    tmp = out / "_src"
    tmp.mkdir(exist_ok=True)
    for k, suffix in enumerate((".pdf", ".tif", ".pdf", ".tif")):
        src = make_pdf(tmp / f"cover_{k}.pdf", doc_lines(rnd), mark=["秘密★1年", "机密★5年"][k % 2], cover=True)
        f = save_scan(out / f"scan_cover_{k}{suffix}", pdf_images(src, rnd=rnd))
        add(f.stem, f, f"扫描 处理笺+公文 {suffix[1:]}", "mark")
    for turn in (90, 180, 270):
        for suffix in (".png", ".pdf"):
            src = make_pdf(tmp / f"turn_{turn}.pdf", doc_lines(rnd), mark=rnd.choice(["秘密★1年", "机密★5年"]))
            f = save_scan(out / f"scan_turn{turn}{suffix.replace('.', '_')}{suffix}", pdf_images(src, rnd=rnd), turn)
            add(f.stem, f, f"扫描 旋转{turn}", "mark")
    for k, m in enumerate(["秘密★1年", "绝密★长期"]):
        src = make_pdf(tmp / f"plain_{k}.pdf", doc_lines(rnd), mark=m)
        f = save_scan(out / f"scan_plain_{k}.jpg", pdf_images(src, rnd=rnd))
        add(f.stem, f, "扫描 JPEG", "mark")

    # files the reader cannot open: they must not be judged clear
    for f in unreadable(out, rnd):
        add(f.stem, f, "不可读", "mark")

    # ---- traps ----
    def trap_txt(name, lines):
        f = out / f"trap_{name}.txt"
        f.write_text("\n".join(lines), encoding="utf-8")
        add(f.stem, f, "陷阱 文本", "trap")

    d = doc_lines(rnd)
    trap_txt("workmark", ["工作秘密"] + plain_lines(d)[0:])
    trap_txt("miji_wu", ["密级：无"] + plain_lines(doc_lines(rnd)))
    trap_txt("feimi", ["非密"] + plain_lines(doc_lines(rnd)))
    trap_txt("jiemi", ["已解密"] + plain_lines(doc_lines(rnd)))
    trap_txt("gongkai", ["公开"] + plain_lines(doc_lines(rnd)))
    trap_txt("sentence", plain_lines(doc_lines(rnd))[:8] + [TRAP_SENTENCE])
    trap_txt("title_mimi", ["临江县保密局文件", "临保发〔2024〕3号", "关于加强秘密载体管理的通知",
                            "各单位：", "为规范秘密载体的制作、收发、传递、使用、保存和销毁，现通知如下。"])
    trap_txt("bullets", plain_lines(doc_lines(rnd))[:6] + ["★ 一、总体要求", "★ 二、工作安排", "☆ 三、保障措施"])
    trap_txt("redrule", plain_lines(doc_lines(rnd, "委员会文件"), rule="━━━━━━━━━━★━━━━━━━━━━"))

    def trap_docx(name, **kw):
        f = make_docx(out / f"trap_{name}.docx", doc_lines(rnd), **kw)
        add(f.stem, f, "陷阱 DOCX", "trap")
        to_pdf.append((f, "陷阱 LibreOffice PDF", "trap"))
        return f

    trap_docx("cover_table", cover_table=True)
    trap_docx("workmark", top=["工作秘密"])
    trap_docx("redrule", rule="━━━━━━━━━━━━★━━━━━━━━━━━━")
    trap_docx("bullets_sym", bullets="F06C")
    trap_docx("bullets_star", bullets="★", sentence=True)
    trap_docx("miji_wu_table", mark="无", place="table")

    def trap_pdf(name, scan_as=None, **kw):
        f = make_pdf(out / f"trap_{name}.pdf", doc_lines(rnd, "委员会文件" if kw.get("red_star") else "文件"), **kw)
        add(f.stem, f, "陷阱 PDF", "trap")
        if scan_as:
            s = save_scan(out / f"trap_scan_{name}{scan_as}", pdf_images(f, rnd=rnd))
            add(s.stem, s, "陷阱 扫描", "trap")

    trap_pdf("redstar", ".png", red_star=True)
    trap_pdf("sentence", ".jpg", sentence=True)
    trap_pdf("cover_empty", ".tif", empty_cover=True)
    trap_pdf("cover_empty2", ".pdf", empty_cover=True, sentence=True)
    for name, lvl in (("public", "公开"), ("empty", "")):
        f = make_html(out / f"trap_html_{name}.html", doc_lines(rnd), meta_level=lvl, sentence=True)
        add(f.stem, f, "陷阱 HTML", "trap")

    if office and to_pdf:
        from eval_set import soffice_pdf

        pdf_dir = out / "lo"
        soffice_pdf([f for f, _, _ in to_pdf], pdf_dir)
        for f, family, expect in to_pdf:
            pdf = pdf_dir / (f.stem + ".pdf")
            if pdf.exists():
                add("lo_" + f.stem, pdf, family, expect)
        # a scan of the LibreOffice 处理单 trap (cover sheet as printed)
        cov = pdf_dir / "trap_cover_table.pdf"
        if cov.exists():
            s = save_scan(out / "trap_scan_cover_table.tif", pdf_images(cov, rnd=rnd))
            add(s.stem, s, "陷阱 扫描", "trap")
    (out / "battery.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                       encoding="utf-8")
    return rows


SCAN_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def is_scan(f: Path) -> bool:
    if f.suffix.lower() in SCAN_SUFFIXES:
        return True
    return f.suffix.lower() == ".pdf" and "scan" in f.name


def judge(rows: list[dict], base: Path, results) -> None:
    from archive import secrecy

    for r in rows:
        f = base / r["file"]
        started = time.monotonic()
        v = secrecy.gate(f)
        r.update(kind=v.kind, level=v.level, where=v.where, evidence=v.evidence, reasons=v.reasons[:3],
                 seconds=round(time.monotonic() - started, 3), scan=r.get("scan", is_scan(f)))
        results.write(json.dumps(r, ensure_ascii=False) + "\n")
        results.flush()


def table(rows: list[dict], title: str) -> bool:
    """Print the score of ``rows``; True when it passes (marked clear = 0; traps: mark 0, doubtful ≤ 1)."""
    fams: dict[str, dict[str, int]] = {}
    for r in rows:
        c = fams.setdefault(f"{r['expect']:4} {r['family']}", {"n": 0, "mark": 0, "doubtful": 0, "clear": 0})
        c["n"] += 1
        c[r["kind"]] += 1
    print(f"\n== {title}")
    print(f"{'family':36} {'n':>4} {'mark':>5} {'doubt':>5} {'clear':>5}")
    for k in sorted(fams):
        c = fams[k]
        print(f"{k:36} {c['n']:>4} {c['mark']:>5} {c['doubtful']:>5} {c['clear']:>5}")
    marked = [r for r in rows if r["expect"] == "mark"]
    traps = [r for r in rows if r["expect"] == "trap"]
    leaked = [r["name"] for r in marked if r["kind"] == "clear"]
    refused = [r["name"] for r in traps if r["kind"] == "mark"]
    queued = [r["name"] for r in traps if r["kind"] == "doubtful"]
    print(f"marked {len(marked)}: judged clear {len(leaked)} {leaked}; doubtful "
          f"{sum(r['kind'] == 'doubtful' for r in marked)}")
    print(f"traps {len(traps)}: refused {len(refused)} {refused}; doubtful {len(queued)} {queued}")
    return not leaked and not refused and len(queued) <= 1


def timing(rows: list[dict]) -> None:
    for label, group in (("born-digital", [r for r in rows if not r["scan"]]), ("scan", [r for r in rows if r["scan"]])):
        if group:
            secs = sorted(r["seconds"] for r in group)
            print(f"cost {label:12} n={len(secs):4} mean {sum(secs) / len(secs):6.2f} s  median "
                  f"{secs[len(secs) // 2]:6.2f} s  max {secs[-1]:6.2f} s")


def eval_unmarked(eval_dir: Path | None, results, split: str = "all") -> list[dict]:
    """The unmarked documents of an evaluation set and of bench/real, judged."""
    rows = []
    for base in [b for b in (eval_dir, ROOT / "bench" / "real") if b is not None]:
        manifest = base / "manifest.jsonl"
        if not manifest.exists():
            continue
        for line in manifest.read_text(encoding="utf-8").splitlines():
            m = json.loads(line)
            if (m.get("gold") or {}).get("secrecy") and m.get("format") not in ("html", "webtext"):
                continue  # marked (a web copy of a marked document prints no mark: it counts as unmarked)
            if (m.get("gold") or {}).get("secrecy"):
                continue
            if split != "all" and m.get("split", "test") != split:
                continue
            rows.append({"name": m["file"], "file": m["file"], "family": f"eval {m.get('format')}",
                         "expect": "clear", "split": m.get("split", "test"), "base": str(base),
                         "scan": m.get("format") in ("scanpdf", "jpg", "png")})
    from archive import secrecy

    for r in rows:
        started = time.monotonic()
        v = secrecy.gate(Path(r["base"]) / r["file"])
        r.update(kind=v.kind, where=v.where, evidence=v.evidence, reasons=v.reasons[:3],
                 seconds=round(time.monotonic() - started, 3))
        results.write(json.dumps(r, ensure_ascii=False) + "\n")
        results.flush()
    return rows


def band_cost(pdfs: list[Path], limit: int = 8) -> None:
    """What always reading the upper band of page 1 by OCR would cost per born-digital PDF (the gate does it only
    where the band holds an image or a drawing)."""
    import pypdfium2 as pdfium

    from archive import secrecy
    from archive.extract import ocr as ocr_mod

    secs = []
    for f in pdfs[:limit]:
        started = time.monotonic()
        pdf = pdfium.PdfDocument(str(f))
        try:
            image = ocr_mod.render_pdf_page(pdf, 0, secrecy.BAND_DPI)
        finally:
            pdf.close()
        secrecy._page_bands(secrecy._Seen(), 1, image, ocr_mod.OcrSettings(), head_only=True)
        secs.append(time.monotonic() - started)
    if secs:
        print(f"always OCR'ing page 1's upper band: {sum(secs) / len(secs):.2f} s per born-digital PDF "
              f"(n={len(secs)}, render + OCR)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=22)
    ap.add_argument("--split", choices=("tune", "test", "all"), default="all")
    ap.add_argument("--eval", type=Path, default=None, help="an evaluation set (bench/eval_set.py --out DIR)")
    ap.add_argument("--no-office", action="store_true", help="no LibreOffice PDFs")
    ap.add_argument("--reuse", action="store_true", help="judge the battery already built in --out")
    ap.add_argument("--eval-only", action="store_true", help="only the evaluation set's unmarked documents")
    args = ap.parse_args(argv)
    if args.reuse and (args.out / "battery.jsonl").exists():
        rows = [json.loads(x) for x in (args.out / "battery.jsonl").read_text(encoding="utf-8").splitlines()]
    else:
        rows = build(args.out, args.seed, office=not args.no_office)
    chosen = [r for r in rows if (args.split == "all" or r["split"] == args.split) and not args.eval_only]
    with open(args.out / f"results-{args.split}.jsonl", "w", encoding="utf-8") as results:
        judge(chosen, args.out, results)
        ok = True
        for split in ("tune", "test"):
            part = [r for r in chosen if r["split"] == split]
            if part:
                ok = table(part, f"battery, {split} half") and ok
        if chosen:
            ok = table(chosen, "battery, both halves") and ok
            timing(chosen)
            band_cost(sorted(f for f in (args.out / "lo").glob("*.pdf")) if (args.out / "lo").exists() else [])
        if args.eval is not None or (ROOT / "bench" / "real" / "manifest.jsonl").exists():
            ev = eval_unmarked(args.eval, results, args.split)
            bad = [r for r in ev if r["kind"] != "clear"]
            for split in ("tune", "test"):
                part = [r for r in ev if r["split"] == split]
                nb = [r for r in part if r["kind"] != "clear"]
                print(f"unmarked eval ({split}): {len(part)} files, refused "
                      f"{sum(r['kind'] == 'mark' for r in part)}, doubtful {sum(r['kind'] == 'doubtful' for r in part)}"
                      f" ({100 * len(nb) / max(1, len(part)):.2f} %)")
            print(f"unmarked eval (all): {len(ev)} files, refused {sum(r['kind'] == 'mark' for r in ev)}, doubtful "
                  f"{sum(r['kind'] == 'doubtful' for r in ev)} ({100 * len(bad) / max(1, len(ev)):.2f} %)")
            for r in bad[:20]:
                print(f"  {r['kind']:8} {r['name']}  {r['where']} {r['evidence']!r} {r['reasons'][:1]}")
            timing(ev)
            ok = ok and len(bad) <= 0.01 * len(ev)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
