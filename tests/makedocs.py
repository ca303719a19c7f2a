"""Make real test documents (DOCX, PDF, OFD, text) from lines of text.

Shared by the test suites: ``from tests.makedocs import make_docx`` (or ``from makedocs import …``
with ``tests/`` on ``sys.path``). Every helper writes ``path`` and returns it as a ``Path``.

A 公文 is given as a list of lines, e.g.::

    GONGWEN = ["示例县档案局文件", "示档发〔2022〕5号", "关于做好2022年档案工作的通知",
               "县直各单位：", "正文……", "示例县档案局", "2022年8月28日"]

The PDF helper needs the WenQuanYi Zen Hei font (Debian package ``fonts-wqy-zenhei``); it embeds it
so that pypdf reads the Chinese text back.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Iterable, Sequence
from xml.sax.saxutils import escape

WQY_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",
)
PDF_FONT = "WQYZenHei"

# A short 公文 in GB/T 9704 order, usable by any test.
SAMPLE_GONGWEN: list[str] = [
    "示例县档案局文件",
    "示档发〔2022〕5号",
    "关于做好2022年度文书档案归档工作的通知",
    "县直各单位：",
    "为规范全县档案管理工作，推进文书档案电子化，现将有关事项通知如下。",
    "一、各单位应于2022年12月31日前完成本年度文件材料的整理归档。",
    "二、归档文件应齐全完整，保管期限划分准确。",
    "示例县档案局",
    "2022年8月28日",
    "（此件公开发布）",
]


# --------------------------------------------------------------------------- text
def make_text(path, text: str, encoding: str = "utf-8", bom: bool = False) -> Path:
    """Write ``text`` in ``encoding`` (utf-8, utf-16, gb18030 …); ``bom`` adds a UTF-8 BOM."""
    path = Path(path)
    data = text.encode(encoding)  # "utf-16" writes its own BOM
    if bom and encoding.replace("-", "").lower() == "utf8":
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- PDF
def _wqy_font_path() -> str:
    for p in WQY_PATHS:
        if Path(p).is_file():
            return p
    raise RuntimeError(
        "找不到文泉驿正黑字体 wqy-zenhei.ttc，无法生成中文 PDF 测试文件；"
        "请安装 fonts-wqy-zenhei（apt-get install fonts-wqy-zenhei）后重试"
    )


def _register_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(PDF_FONT, _wqy_font_path(), subfontIndex=0))
    return PDF_FONT


def make_pdf(
    path,
    lines: Sequence[str],
    *,
    font_size: float = 16,
    lines_per_page: int = 22,
    blank_pages: int = 0,
    encrypt=None,
) -> Path:
    """A4 PDF with ``lines`` as its text layer (wqy-zenhei embedded), GB/T 9704-ish margins.

    ``blank_pages`` appends pages that carry only a drawn frame (no text layer, like a scan);
    ``encrypt`` is passed to reportlab's Canvas (a user password string or StandardEncryption).
    With ``lines=[]`` and ``blank_pages=N`` the PDF has no text at all.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    font = _register_font()
    path = Path(path)
    c = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt)
    width, height = A4
    left, top = 28 * mm, height - 37 * mm
    step = font_size * 1.75
    lines = list(lines)
    pages = [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)]
    for page_lines in pages:
        c.setFont(font, font_size)
        y = top
        for line in page_lines:
            c.drawString(left, y, line)
            y -= step
        c.showPage()
    for _ in range(blank_pages):
        c.rect(20 * mm, 20 * mm, width - 40 * mm, height - 40 * mm)
        c.line(20 * mm, 20 * mm, width - 20 * mm, height - 20 * mm)
        c.showPage()
    c.save()
    return path


def make_encrypted_pdf(path, lines: Sequence[str], user_password: str = "secret") -> Path:
    """PDF encrypted with ``user_password`` (``""``: opens without a password, still encrypted)."""
    from reportlab.lib.pdfencrypt import StandardEncryption

    enc = StandardEncryption(user_password, ownerPassword="owner-secret", canPrint=1, canCopy=0)
    return make_pdf(path, lines, encrypt=enc)


def make_damaged_pdf(path, lines: Sequence[str] = ("损坏的文件",), keep: float = 0.35) -> Path:
    """A real PDF cut off after ``keep`` of its bytes, with the rest overwritten: truncated/damaged."""
    path = Path(path)
    make_pdf(path, lines)
    data = path.read_bytes()
    cut = max(16, int(len(data) * keep))
    path.write_bytes(data[:cut] + b"\x00garbage\xff" * 8)
    return path


# --------------------------------------------------------------------------- DOCX
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_TEXTBOX_XML = """
<w:r xmlns:w="{w}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
     xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
     xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"
     xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
     xmlns:v="urn:schemas-microsoft-com:vml">
  <mc:AlternateContent>
    <mc:Choice Requires="wps">
      <w:drawing>
        <wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="1"
                   behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">
          <wp:simplePos x="0" y="0"/>
          <wp:positionH relativeFrom="page"><wp:posOffset>1000000</wp:posOffset></wp:positionH>
          <wp:positionV relativeFrom="page"><wp:posOffset>1000000</wp:posOffset></wp:positionV>
          <wp:extent cx="5000000" cy="1200000"/>
          <wp:effectExtent l="0" t="0" r="0" b="0"/>
          <wp:wrapTopAndBottom/>
          <wp:docPr id="{id}" name="TextBox {id}"/>
          <wp:cNvGraphicFramePr/>
          <a:graphic>
            <a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">
              <wps:wsp>
                <wps:cNvSpPr txBox="1"/>
                <wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="5000000" cy="1200000"/></a:xfrm>
                  <a:prstGeom prst="rect"><a:avLst/></a:prstGeom></wps:spPr>
                <wps:txbx><w:txbxContent>{paras}</w:txbxContent></wps:txbx>
                <wps:bodyPr/>
              </wps:wsp>
            </a:graphicData>
          </a:graphic>
        </wp:anchor>
      </w:drawing>
    </mc:Choice>
    <mc:Fallback>
      <w:pict>
        <v:shape id="TextBox{id}" type="#_x0000_t202" style="position:absolute;width:400pt;height:90pt">
          <v:textbox><w:txbxContent>{paras}</w:txbxContent></v:textbox>
        </v:shape>
      </w:pict>
    </mc:Fallback>
  </mc:AlternateContent>
</w:r>
"""


def _w_paras(lines: Iterable[str]) -> str:
    return "".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{escape(s)}</w:t></w:r></w:p>" for s in lines)


def make_docx(
    path,
    paragraphs: Sequence[str],
    header_in_table: bool = False,
    header_in_textbox: bool = False,
    *,
    header_lines: int = 2,
    page_header: str | None = None,
    page_footer: str | None = None,
    table_rows: Sequence[Sequence[str]] | None = None,
    pages: int | None = None,
) -> Path:
    """DOCX with ``paragraphs`` as body paragraphs.

    The first ``header_lines`` paragraphs are the 版头 (发文机关标志, 发文字号). With
    ``header_in_table`` they go into a one-column table (one row each); with ``header_in_textbox``
    into a floating text box written the way Word does it (``mc:AlternateContent`` with a DrawingML
    choice and a VML fallback copy of the same text). ``page_header``/``page_footer`` set the
    section's 页眉/页脚; ``table_rows`` appends a table after the body; ``pages`` writes
    ``<Pages>`` into docProps/app.xml.
    """
    import docx
    from docx.oxml import parse_xml
    from docx.shared import Pt

    if header_in_table and header_in_textbox:
        raise ValueError("header_in_table and header_in_textbox are exclusive")
    path = Path(path)
    d = docx.Document()
    style = d.styles["Normal"]
    style.font.size = Pt(16)
    paragraphs = list(paragraphs)
    head, body = paragraphs[:header_lines], paragraphs[header_lines:]
    if head and header_in_table:
        t = d.add_table(rows=len(head), cols=1)
        for row, line in zip(t.rows, head):
            row.cells[0].text = line
    elif head and header_in_textbox:
        anchor = d.add_paragraph()
        anchor._p.append(parse_xml(_TEXTBOX_XML.format(w=_W, id=1, paras=_w_paras(head))))
    else:
        body = head + body
    for line in body:
        d.add_paragraph(line)
    if table_rows:
        ncols = max(len(r) for r in table_rows)
        t = d.add_table(rows=len(table_rows), cols=ncols)
        for row, values in zip(t.rows, table_rows):
            for cell, value in zip(row.cells, values):
                cell.text = value
    section = d.sections[0]
    if page_header is not None:
        section.header.paragraphs[0].text = page_header
    if page_footer is not None:
        section.footer.paragraphs[0].text = page_footer
    d.save(str(path))
    if pages is not None:
        _set_docx_pages(path, pages)
    return path


def _set_docx_pages(path: Path, pages: int) -> None:
    import re

    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/app.xml":
                data = re.sub(rb"<Pages>\d+</Pages>", b"<Pages>%d</Pages>" % pages, data)
            dst.writestr(info, data)
    path.write_bytes(buf.getvalue())


def make_zip_bomb_docx(path, uncompressed_mb: int = 300) -> Path:
    """A DOCX-looking zip whose document.xml inflates to ``uncompressed_mb`` MB (compresses ~1000:1)."""
    path = Path(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        chunk = b" " * (1024 * 1024)
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0"?><w:document xmlns:w="%s"><w:body>' % _W.encode())
            for _ in range(uncompressed_mb):
                f.write(chunk)
            f.write(b"</w:body></w:document>")
    return path


# --------------------------------------------------------------------------- OFD
_OFD_NS = "http://www.ofdspec.org/2016"


def make_ofd(path, lines: Sequence[str], *, lines_per_page: int = 22, font_size: float = 5.6) -> Path:
    """A minimal valid OFD (GB/T 33190): OFD.xml, Doc_0/Document.xml, one Content.xml per page.

    Each line is a TextObject/TextCode at 28 mm from the left, 37 mm from the top, 1.75 lines apart
    (mm units). Objects are written bottom-up so that a reader must sort them by position.
    """
    path = Path(path)
    lines = list(lines) or [""]
    pages = [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)]
    ofd_xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<ofd:OFD xmlns:ofd="{_OFD_NS}" Version="1.0" DocType="OFD">
  <ofd:DocBody>
    <ofd:DocInfo><ofd:DocID>test</ofd:DocID><ofd:Creator>tests.makedocs</ofd:Creator></ofd:DocInfo>
    <ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>
  </ofd:DocBody>
</ofd:OFD>"""
    page_refs = "".join(
        f'<ofd:Page ID="{100 + i}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pages))
    )
    document_xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<ofd:Document xmlns:ofd="{_OFD_NS}">
  <ofd:CommonData>
    <ofd:MaxUnitID>9999</ofd:MaxUnitID>
    <ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>
    <ofd:PublicRes>PublicRes.xml</ofd:PublicRes>
  </ofd:CommonData>
  <ofd:Pages>{page_refs}</ofd:Pages>
</ofd:Document>"""
    public_res = f"""<?xml version="1.0" encoding="UTF-8"?>
<ofd:Res xmlns:ofd="{_OFD_NS}" BaseLoc="Res">
  <ofd:Fonts><ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts>
</ofd:Res>"""
    step = font_size * 1.75
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", ofd_xml)
        z.writestr("Doc_0/Document.xml", document_xml)
        z.writestr("Doc_0/PublicRes.xml", public_res)
        for p, page_lines in enumerate(pages):
            objs = []
            for i, line in reversed(list(enumerate(page_lines))):
                if not line:
                    continue
                y = 37 + i * step
                w = max(1.0, font_size * len(line))
                deltas = " ".join([f"{font_size}"] * (len(line) - 1))
                objs.append(
                    f'<ofd:TextObject ID="{1000 + p * 100 + i}" Font="2" Size="{font_size}" '
                    f'Boundary="28 {y:.2f} {w:.2f} {font_size * 1.2:.2f}">'
                    f'<ofd:FillColor Value="0 0 0"/>'
                    f'<ofd:TextCode X="0" Y="{font_size:.2f}" DeltaX="{deltas}">{escape(line)}</ofd:TextCode>'
                    f"</ofd:TextObject>"
                )
            content = f"""<?xml version="1.0" encoding="UTF-8"?>
<ofd:Page xmlns:ofd="{_OFD_NS}">
  <ofd:Area><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:Area>
  <ofd:Content><ofd:Layer ID="{10 + p}">{''.join(objs)}</ofd:Layer></ofd:Content>
</ofd:Page>"""
            z.writestr(f"Doc_0/Pages/Page_{p}/Content.xml", content)
    return path
