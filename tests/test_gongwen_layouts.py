"""archive.gongwen on the four GB/T 9704 layouts and the variations of real files, read from DOCX.

Each test writes a small DOCX with python-docx (paragraph borders, tables, footers as real files
have them), reads its text as ``archive.extract.extract`` does (the DOCX reader, then ``normalize``; without
the LibreOffice layout that counts a DOCX's pages, a second or more each and no part of the text) and parses it. The names and numbers are of
real documents (国务院, 国函〔2018〕159号 …) or of the fictional county of config.toml.
"""

from __future__ import annotations

import datetime as dt

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from archive import docno, gongwen
from archive.extract.docx import extract_docx
from archive.textnorm import normalize

D = dt.date
BODY = "为进一步做好有关工作，现将有关事项通知如下。一、提高认识，加强领导。二、明确责任，抓好落实。"


def _bottom_border(par) -> None:
    ppr = par._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    el = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "18"), ("w:space", "1"), ("w:color", "FF0000")):
        el.set(qn(k), v)
    bdr.append(el)
    ppr.append(bdr)


def make(tmp_path, items, name="a.docx", footer_page=False):
    """items: strings (paragraphs), ("border",) a drawn rule, ("table", rows) a table,
    ("right", text) a flush-right paragraph."""
    doc = Document()
    for it in items:
        if isinstance(it, str):
            doc.add_paragraph(it)
        elif it[0] == "border":
            _bottom_border(doc.add_paragraph(""))
        elif it[0] == "right":
            doc.add_paragraph(it[1]).alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif it[0] == "table":
            rows = it[1]
            t = doc.add_table(rows=len(rows), cols=max(len(r) for r in rows))
            for i, row in enumerate(rows):
                for j, cell in enumerate(row):
                    t.cell(i, j).text = cell
    if footer_page:
        doc.sections[0].footer.paragraphs[0].text = "- 2 -"
    p = tmp_path / name
    doc.save(p)
    return gongwen.parse(normalize(extract_docx(p).text))


def read_text(text: str):
    return gongwen.parse(normalize(text))


# -- 文件格式 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("rule", ["—" * 30, "─" * 40, "_" * 40, "━" * 30, ("border",)])
def test_general_layout_title_not_glued_to_a_typed_or_drawn_rule(tmp_path, rule):
    f = make(tmp_path, ["国务院办公厅文件", "国办发〔2018〕4号", rule,
                        "国务院办公厅关于推进农业高新技术产业示范区建设发展的指导意见",
                        "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：", BODY,
                        ("right", "国务院办公厅"), ("right", "2018年1月16日")])
    assert f.layout == "文件格式"
    assert f.title == "国务院办公厅关于推进农业高新技术产业示范区建设发展的指导意见"
    assert f.doc_number.canonical == "国办发〔2018〕4号"
    assert f.issuer == "国务院办公厅"
    assert f.date == D(2018, 1, 16)


def test_signer_on_the_numbers_line_and_title_on_two_lines(tmp_path):
    f = make(tmp_path, ["示例县档案局文件", "示档〔2022〕7号\u3000\u3000\u3000\u3000签发人：王建国", "—" * 30,
                        "示例县档案局关于2022年度档案工作", "情况的报告", "示例县人民政府：", BODY,
                        "示例县档案局", "2022年8月28日"])
    assert f.doc_number.canonical == "示档〔2022〕7号"
    assert f.signer == "王建国"
    assert f.title == "示例县档案局关于2022年度档案工作情况的报告"
    assert f.recipients == "示例县人民政府"


def test_joint_mark_in_a_table_is_not_glued_to_the_number(tmp_path):
    f = make(tmp_path, [("table", [["财政部", "文件"], ["科技部", ""]]), "财教〔2019〕129号", ("border",),
                        "财政部 科技部关于进一步加强科研经费管理的通知", "各省、自治区、直辖市财政厅（局）、科技厅（委、局）：",
                        BODY, ("table", [["财政部", "科技部"]]), ("right", "2019年6月28日")])
    assert f.doc_number.canonical == "财教〔2019〕129号"
    assert f.issuers == ["财政部", "科技部"]
    assert f.date == D(2019, 6, 28)


def test_page_number_between_body_and_signature_and_chinese_numeral_date(tmp_path):
    f = make(tmp_path, ["河北省科学技术厅文件", "冀科农〔2012〕8号", "━" * 30, "河北省科学技术厅关于印发《农业科技成果转化资金项目管理办法》的通知",
                        "各设区市科技局：", BODY, "", "- 2 -", "", "河北省科学技术厅", "二〇一二年八月二十九日",
                        "（此件公开发布）"], footer_page=True)
    assert f.date == D(2012, 8, 29)
    assert f.issuer == "河北省科学技术厅"
    assert f.note == "（此件公开发布）"


def test_two_line_signature_of_a_joint_document(tmp_path):
    f = make(tmp_path, ["中共示例县委办公室", "示例县人民政府办公室", "文件", "示办发〔2023〕3号", "—" * 30,
                        "关于做好2023年春节期间有关工作的通知", "各乡镇党委、政府，县直各单位：", BODY,
                        ("right", "中共示例县委办公室"), ("right", "示例县人民政府办公室"), ("right", "2023年1月10日")])
    assert f.doc_number.canonical == "示办发〔2023〕3号"
    assert f.issuers == ["中共示例县委办公室", "示例县人民政府办公室"]
    assert f.title == "关于做好2023年春节期间有关工作的通知"
    assert f.date == D(2023, 1, 10)


def test_secret_mark_copy_number_and_urgency_in_the_header(tmp_path):
    f = make(tmp_path, ["000123", "秘密★1年", "特急", "示例县人民政府文件", "示政发〔2022〕12号", ("border",),
                        "示例县人民政府关于某事项的决定", "各乡镇人民政府：", BODY, "示例县人民政府", "2022年3月1日"])
    assert (f.copy_no, f.secrecy, f.secrecy_term, f.urgency) == ("000123", "秘密", "1年", "特急")
    assert f.doc_number.canonical == "示政发〔2022〕12号"
    assert f.title == "示例县人民政府关于某事项的决定"


# -- 信函格式 ---------------------------------------------------------------------------------------

def test_letter_layout_name_above_the_number_is_not_part_of_it(tmp_path):
    f = make(tmp_path, ["国务院", "地址：北京市西城区中南海  邮编：100017", "═" * 30, "═" * 30,
                        ("right", "国函〔2018〕159号"), "国务院关于同意设立中国（海南）自由贸易试验区的批复",
                        "海南省人民政府、商务部：", "你们关于设立中国（海南）自由贸易试验区的请示收悉。现批复如下：" + BODY,
                        ("right", "国务院"), ("right", "2018年9月24日")])
    assert f.layout == "信函格式"
    assert f.doc_number.canonical == "国函〔2018〕159号"
    assert f.doc_number.code == "国函"
    assert f.issuer == "国务院"
    assert f.title == "国务院关于同意设立中国（海南）自由贸易试验区的批复"
    assert f.date == D(2018, 9, 24)


def test_labelled_non_standard_number_keeps_what_is_printed(tmp_path):
    f = make(tmp_path, ["南宁车站", ("border",), ("right", "编号：南宁站[2025]（通知）柳梧10号"), "内部监督通知书",
                        "柳州车务段：", BODY, ("right", "南宁车站"), ("right", "2025年3月2日")])
    assert f.doc_number is not None
    assert f.doc_number.raw == "南宁站[2025]（通知）柳梧10号"
    assert (f.doc_number.year, f.doc_number.serial) == (2025, 10)
    assert f.title == "内部监督通知书"
    assert f.issuer == "南宁车站"
    assert docno.parse("南宁站〔2025〕（通知）柳梧10号").canonical == f.doc_number.canonical


# -- 命令(令)格式 and 纪要格式 ------------------------------------------------------------------------

def test_order_layout(tmp_path):
    f = make(tmp_path, ["国务院令", "第706号", "—" * 30, "《国务院关于修改和废止部分行政法规的决定》已经2018年9月5日国务院第23次常务会议通过，"
                        "现予公布，自公布之日起施行。", ("right", "总理\u3000李克强"), ("right", "2018年9月18日")])
    assert f.layout == "命令格式"
    assert f.doc_number.canonical == "国务院令第706号"
    assert f.issuer == "国务院"
    assert f.date == D(2018, 9, 18)


def test_order_layout_without_a_named_regulation_takes_the_mark_as_title(tmp_path):
    f = make(tmp_path, ["示例县人民政府令", "第3号", ("border",), "现决定对全县档案工作先进单位予以表彰。",
                        ("right", "县长\u3000王建国"), ("right", "2022年5月6日")])
    assert f.doc_number.canonical == "示例县人民政府令第3号"
    assert f.title == "示例县人民政府令"
    assert f.issuer == "示例县人民政府"


def test_minutes_layout(tmp_path):
    f = make(tmp_path, ["示例县人民政府常务会议纪要", "第12期", "示例县人民政府办公室\u3000\u3000\u3000\u30002022年6月8日",
                        "—" * 30, "2022年6月6日，县长王建国主持召开县政府常务会议。现将会议议定事项纪要如下：", BODY])
    assert f.layout == "纪要格式"
    assert f.title == "示例县人民政府常务会议纪要"
    assert f.issuer == "示例县人民政府"
    assert f.doc_number is None  # 第12期 is an issue number, not a 发文字号
    assert f.date == D(2022, 6, 8)


# -- web-page copies ------------------------------------------------------------------------------

def test_web_copy_meta_table_with_tab_cells_wins():
    text = "\n".join([
        "中国政府网", "首页 > 政策 > 国务院文件",
        "索引号\t000014349/2018-00112", "主题分类\t综合政务", "发文机关\t国务院办公厅", "成文日期\t2018年9月5日",
        "标题\t国务院办公厅关于印发政府网站集约化试点工作方案的通知", "发文字号\t国办函〔2018〕71号",
        "发布日期\t2018年9月11日",
        "国务院办公厅关于印发政府网站集约化试点工作方案的通知",
        "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：", "《政府网站集约化试点工作方案》已经国务院同意，现印发给你们。",
        "国务院办公厅", "2018年9月5日", "（此件公开发布）"])
    f = read_text(text)
    assert f.layout == "网页"
    assert f.doc_number.canonical == "国办函〔2018〕71号"
    assert f.title == "国务院办公厅关于印发政府网站集约化试点工作方案的通知"
    assert f.issuer == "国务院办公厅"
    assert f.date == D(2018, 9, 5)


def test_web_copy_with_label_colons_and_pairs_on_one_line():
    text = "\n".join([
        "索引号： 000014349/2016-712118 主题分类： 综合政务", "发布机构： 省政府办公厅 成文日期： 2016-12-28",
        "文号： 浙政发〔2016〕49号 文件登记号： ZJSP00-2016-0032", "有效性： 有效",
        "浙江省人民政府关于印发浙江省盐业体制改革实施方案的通知", "日期：2016-12-28 12:18", "来源： 省政府办公厅",
        "各市、县（市、区）人民政府，省政府直属各单位：", "现将《浙江省盐业体制改革实施方案》印发给你们，请认真贯彻实施。",
        "浙江省人民政府", "2016年12月28日"])
    f = read_text(text)
    assert f.doc_number.canonical == "浙政发〔2016〕49号"
    assert f.title == "浙江省人民政府关于印发浙江省盐业体制改革实施方案的通知"
    assert f.issuer == "浙江省人民政府"  # 发布机构 is the site's publisher, not the 发文机关
    assert f.date == D(2016, 12, 28)


def test_body_citations_are_never_the_own_number(tmp_path):
    f = make(tmp_path, ["示例县档案局", ("border",), "示例县档案局关于某事项的函", "县直各单位：",
                        "根据《国务院办公厅关于印发政府网站集约化试点工作方案的通知》（国办函〔2018〕71号），" + BODY,
                        "示例县档案局", "2022年8月28日"])
    assert f.doc_number is None
    assert f.title == "示例县档案局关于某事项的函"


def test_an_event_time_in_the_first_sentence_is_not_the_date():
    f = read_text("山东省人民政府办公厅文件\n鲁政办发〔2021〕1号\n山东省人民政府办公厅关于做好黄河防凌工作的通知\n"
                  "沿黄各市人民政府，省有关部门(单位)：\n2021年1月7日8时，我省黄河河段出现首封。\n"
                  "山东省人民政府办公厅\n2021年11月21日")
    assert f.date == D(2021, 11, 21)


def test_label_lines_in_the_body_are_no_meta_table():
    # a list of repealed documents, each with its 发文单位 and 文号, after the header
    f = read_text("沪科〔2014〕12号\n关于《上海市大学生科技创业基金管理办法（试行）》等5件规范性文件失效的通知\n各有关单位：\n"
                  "根据有关规定，现对以下规范性文件宣布失效：\n1.上海市大学生科技创业基金管理办法（试行）\n"
                  "发文单位：市科委、市教委\n文号：沪科合〔2005〕第11号\n特此通知。\n上海市科学技术委员会\n2014年1月16日")
    assert f.layout != "网页"
    assert f.doc_number.canonical == "沪科〔2014〕12号"
    assert f.title == "关于《上海市大学生科技创业基金管理办法（试行）》等5件规范性文件失效的通知"
    assert f.date == D(2014, 1, 16)


def test_a_wrapped_line_of_a_run_on_header_is_not_a_name_above_the_number():
    # PDF text of an OCR-like header wrapped at 26 characters: the 代字 continues on the next line
    f = read_text("普通事项中共国家电网有限公司党组组织部文件组织部组\n干〔2021〕22号关于做好有关工作的通知各单位：为做好工作。")
    assert f.doc_number.code.endswith("组干")  # not cut to 干 at the line break
