"""archive.gongwen: 公文 elements (GB/T 9704-2012) from a document's normalised text.

The documents below are short excerpts of real 公文 (header, first lines, signature block and 版记),
copied from the project corpus; bodies are cut with "……". Names masked with XXX are masked in the
source too.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive import gongwen
from archive.models import GongwenFields
from archive.textnorm import normalize

D = dt.date


def P(text: str) -> GongwenFields:
    return gongwen.parse(normalize(text))


def canon(f: GongwenFields) -> str | None:
    return f.doc_number.canonical if f.doc_number else None


# -- real documents -----------------------------------------------------------------------------

# GovDoc-CN 397: a joint document (two issuers), labelled character by character.
GOVDOCCN = (
    "发展改革委办公厅  文件\r\n税务总局办公厅\r\n 发改办财金规〔2019〕860号 \r\n"
    "关于加强个人所得税纳税信用建设的通知\r\n"
    "各省、自治区、直辖市、新疆生产建设兵团社会信用体系建设牵头部门，国家税务总局各省、自治区、直辖市"
    "和计划单列市税务局，社会信用体系建设部际联席会议成员单位办公厅（室）：\r\n"
    "为贯彻落实《中华人民共和国个人所得税法》及其实施条例、《国务院关于印发个人所得税专项附加扣除暂行"
    "办法的通知》（国发〔2018〕41号）、《国务院关于印发社会信用体系建设规划纲要（2014-2020年）的通知》"
    "（国发〔2014〕21号），强化个人所得税纳税信用协同共治，现就加强个人所得税纳税信用建设有关事项通知如下。\r\n"
    "一、总体要求\r\n……\r\n"
    "国家发展改革委办公厅\r\n税务总局办公厅\r\n2019年8月20日"
)


def test_joint_document_govdoccn():
    f = P(GOVDOCCN)
    assert canon(f) == "发改办财金规〔2019〕860号"
    assert f.title == "关于加强个人所得税纳税信用建设的通知"
    assert f.doc_type == "通知"
    assert f.issuers == ["国家发展改革委办公厅", "税务总局办公厅"]
    assert f.issuer == "国家发展改革委办公厅、税务总局办公厅"
    assert f.date == D(2019, 8, 20)
    assert f.recipients.startswith("各省、自治区、直辖市、新疆生产建设兵团")
    assert f.recipients.endswith("成员单位办公厅（室）")
    assert "未找到发文字号" not in f.warnings


# gdc-0044: OCR-like run-on text, no line breaks; 加急 and 内部事项 marks glued to the 发文机关标志.
GDC_RUNON = (
    "内部事项加急国家电网有限公司部门文件设备输电〔2021〕25号国网设备部关于加强春季输电线路山火防范工作的"
    "紧急通知各省(自治区、直辖市)电力公司:开春以来，全国大部地区持续升温，多地气温突破2月历史极值，"
    "提前进入山火高发期。……下一步，国网设备部将对重点区域防山火工作落实情况开展现场督导检查。"
    "工作联系人:XXX国网设备部2021年2月23日(此件不公开发布，发至收文单位本部及所属二级单位机关。)"
)


def test_gdc_run_on_header():
    f = P(GDC_RUNON)
    assert canon(f) == "设备输电〔2021〕25号"
    assert f.urgency == "加急"
    assert f.title == "国网设备部关于加强春季输电线路山火防范工作的紧急通知"
    assert f.doc_type == "通知"
    assert f.recipients == "各省(自治区、直辖市)电力公司"
    assert f.issuer == "国网设备部"
    assert f.date == D(2021, 2, 23)
    assert f.secrecy is None


# gdc-0009: 上行文 with 签发人 on the number's line, run-on.
GDC_SIGNER = (
    "内部事项国网湖北省电力有限公司文件鄂电司发展〔2021〕251号签发人：XXX国网湖北省电力有限公司关于2022年"
    "省级重点项目建设计划的报告湖北省发展和改革委员会：按照《省发改委关于申报2022年省级重点项目的通知》"
    "有关要求，国网湖北省电力有限公司提出2022年省级重点项目建设计划。……"
)


def test_run_on_signer():
    f = P(GDC_SIGNER)
    assert canon(f) == "鄂电司发展〔2021〕251号"
    assert f.signer == "XXX"
    assert f.title == "国网湖北省电力有限公司关于2022年省级重点项目建设计划的报告"
    assert f.doc_type == "报告"
    assert f.recipients == "湖北省发展和改革委员会"
    assert f.issuer == "国网湖北省电力有限公司"


# hebei-0047: a 令, the number split over a line break, a Chinese-numeral date.
HEBEI_LING = (
    "中华人民共和国国务院令\n第487号\n"
    "《国家自然科学基金条例》已经2007年2月14日国务院第169次常务会议通过，现予公布，自2007年4月1日起施行。\n"
    "总\u3000理\u3000温家宝\n二○○七年二月二十四日\n国家自然科学基金条例\n第一章\u3000总\n则\n"
    "第一条\u3000为了规范国家自然科学基金的使用与管理，根据《中华人民共和国科学技术进步法》，制定本条例。"
)


def test_order_number_split_over_lines_and_chinese_date():
    f = P(HEBEI_LING)
    assert f.doc_number is not None
    assert f.doc_number.kind == "order"
    assert f.doc_number.serial == 487
    assert canon(f) == "中华人民共和国国务院令第487号"
    assert f.date == D(2007, 2, 24)  # not 2007-02-14 (cited) nor 2007-04-01 (施行)


# hebei-0029: title over three lines, the number glued to the recipients.
HEBEI_TWO_LINE = (
    "河北省人民政府办公厅\n关于新形势下加强打击侵犯知识产权和\n制售假冒伪劣商品工作的实施意见\n"
    "冀政办字〔2017〕73号各市（含定州、辛集市）人民政府，各县（市、区）人民政府，雄安新区管委会，省政府有关部门：\n"
    "为贯彻落实《国务院关于新形势下加强打击侵犯知识产权和制售假冒伪劣商品工作的意见》（国发〔2017〕14号）精神，"
    "经省政府同意，结合我省实际，提出以下实施意见。\n……\n河北省人民政府办公厅\n2017年9月1日"
)


def test_title_over_several_lines_and_number_after_title():
    f = P(HEBEI_TWO_LINE)
    assert canon(f) == "冀政办字〔2017〕73号"
    assert f.title == "河北省人民政府办公厅关于新形势下加强打击侵犯知识产权和制售假冒伪劣商品工作的实施意见"
    assert f.doc_type == "意见"
    assert f.recipients == "各市（含定州、辛集市）人民政府，各县（市、区）人民政府，雄安新区管委会，省政府有关部门"
    assert f.issuer == "河北省人民政府办公厅"
    assert f.date == D(2017, 9, 1)


# ptc-0005: line-structured, number after a two-line title, 附注 and a web page's trailer.
PTC = (
    "重庆市人民政府办公厅关于\n促进内外贸一体化发展的实施意见\n渝府办发〔2022〕109号\n"
    "各区县（自治县）人民政府，市政府各部门，有关单位：\n"
    "为贯彻落实《国务院办公厅关于促进内外贸一体化发展的意见》（国办发〔2021〕59号）精神，统筹推进全市内外贸"
    "一体化发展，经市政府同意，现提出如下实施意见。\n一、总体要求\n……\n"
    "重庆市人民政府办公厅\n2022年10月1日\n（此件公开发布）\n文件下载\n"
    "重庆市人民政府办公厅关于促进内外贸一体化发展的实施意见.doc"
)


def test_ptc_line_structured():
    f = P(PTC)
    assert canon(f) == "渝府办发〔2022〕109号"
    assert f.title == "重庆市人民政府办公厅关于促进内外贸一体化发展的实施意见"
    assert f.doc_type == "意见"
    assert f.issuer == "重庆市人民政府办公厅"
    assert f.date == D(2022, 10, 1)
    assert f.note == "（此件公开发布）"
    assert f.recipients == "各区县（自治县）人民政府，市政府各部门，有关单位"


# synthetic sample (copilothelp master template): 份号, 密级★期限, 紧急程度; Chinese-numeral date.
SYNTHETIC = (
    "001012\n机密★5 年\n特急\nBJTU 机密文件\nXXX〔2023〕1 号\n测试公文标题\n密级：秘密\n"
    "本文件用于安全检测测试，包含涉密信息。\n关键词测试如下：\n涉密\n禁止外传\n"
    "BJTU 单位\n（此处添加印章图片或文字说明）\n二〇二三年一月一日"
)


def test_synthetic_marks():
    f = P(SYNTHETIC)
    assert f.copy_no == "001012"
    assert f.secrecy == "机密"
    assert f.secrecy_term == "5年"
    assert f.urgency == "特急"
    assert f.doc_number is not None and f.doc_number.serial == 1 and f.doc_number.year == 2023
    assert f.date == D(2023, 1, 1)


# synthetic sample (copilothelp test): 版记 with 抄送 and 印发机关/日期.
SYNTHETIC_COLOPHON = (
    "一份公文文件\n国防部发〔2012〕21号\n国防部关于放假的通知\n各有关单位：\n正文部分\n"
    "附件：1. 放假安排表\n2. 值班表\n联系人：xxxxx\n电 话：123456578\n国防部\n2012年12月12日\n"
    "抄送：教育局，教育局。\n国防部                          2012年12月13日印发\n共印2份"
)


def test_colophon_cc_printer_attachments():
    f = P(SYNTHETIC_COLOPHON)
    assert canon(f) == "国防部发〔2012〕21号"
    assert f.title == "国防部关于放假的通知"
    assert f.recipients == "各有关单位"
    assert f.date == D(2012, 12, 12)  # 成文日期, not the 印发日期
    assert f.print_date == D(2012, 12, 13)
    assert f.printer == "国防部"
    assert f.cc == "教育局，教育局"
    assert f.attachments == ["放假安排表", "值班表"]
    assert f.issuer == "国防部"


# -- specific rules -----------------------------------------------------------------------------

BODY_CITATION_ONLY = (
    "关于做好2023年档案工作的通知\n各乡镇人民政府，县直各单位：\n"
    "根据《国务院办公厅关于加强档案工作的通知》（国办发〔2018〕41号）和国家档案局令第8号精神，"
    "现就有关事项通知如下。\n一、按照冀政办字〔2022〕93号文件要求做好归档。\n……\n示例县档案局\n2023年3月1日"
)


def test_body_citation_is_not_own_number():
    f = P(BODY_CITATION_ONLY)
    assert f.doc_number is None
    assert "未找到发文字号" in f.warnings
    assert f.title == "关于做好2023年档案工作的通知"
    assert f.issuer == "示例县档案局"  # 署名, no 发文机关标志
    assert f.date == D(2023, 3, 1)


def test_citation_in_book_title_is_not_own_number():
    f = P("《关于印发〈示例办法〉的通知》（示政发〔2020〕3号）已废止，现公布新办法如下。\n示例县人民政府\n2021年1月5日")
    assert f.doc_number is None


def test_secret_in_body_is_not_secrecy():
    text = (
        "示例县人民政府文件\n示政发〔2022〕5号\n示例县人民政府关于加强保密工作的通知\n各乡镇人民政府：\n"
        "各单位要严守国家秘密，标有秘密、机密、绝密字样的文件不得上网。\n秘密\n示例县人民政府\n2022年5月6日"
    )
    f = P(text)
    assert f.secrecy is None
    assert f.issuer == "示例县人民政府"
    assert canon(f) == "示政发〔2022〕5号"


def test_secrecy_alone_in_header():
    f = P("秘密★1年\n加急\n示例县人民政府文件\n示政发〔2022〕6号\n示例县人民政府关于某事项的请示\n示例市人民政府：\n正文。\n示例县人民政府\n2022年5月6日")
    assert (f.secrecy, f.secrecy_term, f.urgency) == ("秘密", "1年", "加急")
    assert f.doc_type == "请示"
    f = P("秘密\n示例县人民政府文件\n示政发〔2022〕7号\n示例县人民政府关于某事项的报告\n正文。")
    assert f.secrecy == "秘密" and f.secrecy_term is None


@pytest.mark.parametrize(
    "date_text, expected",
    [
        ("二〇二二年八月二十八日", D(2022, 8, 28)),
        ("二ＯＯ四年十二月二十七日", D(2004, 12, 27)),
        ("二OO四年十二月二十七日", D(2004, 12, 27)),
        ("二○○○年二月十六日", D(2000, 2, 16)),
        ("二零二一年十月十日", D(2021, 10, 10)),
        ("2022年8月28日", D(2022, 8, 28)),
    ],
)
def test_chinese_numeral_dates(date_text, expected):
    f = P(f"示例县人民政府文件\n示政发〔2022〕8号\n示例县人民政府关于某事项的通知\n各单位：\n正文。\n示例县人民政府\n{date_text}")
    assert f.date == expected


def test_invalid_date_is_rejected_and_reported():
    f = P("示例县人民政府关于某事项的通知\n各单位：\n正文。\n示例县人民政府\n2022年2月30日")
    assert f.date is None
    assert any("成文日期" in w for w in f.warnings)


def test_joint_masthead_run_on_is_split():
    f = P("河北省科学技术厅河北省统计局文件冀科创〔2017〕15号河北省科学技术厅河北省统计局关于印发《河北省创新调查制度实施细则（试行）》的通知各市科技局、统计局：现将细则印发你们。")
    assert f.issuers == ["河北省科学技术厅", "河北省统计局"]
    assert f.issuer == "河北省科学技术厅、河北省统计局"
    assert f.doc_type == "通知"


def test_doc_type_of():
    assert gongwen.doc_type_of("国务院关于印发《某某管理办法》的通知") == "通知"
    assert gongwen.doc_type_of("河北省创新调查制度实施细则（试行）") == "细则"
    assert gongwen.doc_type_of("关于某事项的复函") == "函"
    assert gongwen.doc_type_of("示例县人民政府关于某某的决定") == "决定"
    assert gongwen.doc_type_of("会议纪要") == "纪要"
    assert gongwen.doc_type_of("测试公文标题") is None


def test_incomplete_title_warns():
    f = P("示例县人民政府文件\n示政发〔2022〕9号\n示例县人民政府关于某事项的安排意见稿\n正文")
    assert f.doc_number is not None
    assert f.title is None or "标题不完整" in f.warnings or f.doc_type is not None


def test_empty_and_garbage():
    for t in ("", "\n\n", "。。。", "：", "〔2020〕号", "2022年13月40日"):
        f = gongwen.parse(t)
        assert isinstance(f, GongwenFields)
        assert f.doc_number is None
    assert gongwen.parse(None).doc_number is None  # type: ignore[arg-type]


_ALPHABET = st.sampled_from(
    list("关于的通知函令第号年月日〔〕［］()（）《》〈〉：:，。、\n 0123456789二〇○十秘密机绝★特急加文件签发人抄送印发附件此件XX县人民政府局厅")
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=400).map("".join))
def test_fuzz_never_raises_on_gongwen_like_text(s):
    f = gongwen.parse(s)
    assert isinstance(f, GongwenFields)
    assert "解析公文要素时出错" not in " ".join(f.warnings)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=600))
def test_fuzz_never_raises_on_any_text(s):
    f = gongwen.parse(s)
    assert isinstance(f, GongwenFields)
    assert "解析公文要素时出错" not in " ".join(f.warnings)


# -- regressions from the corpus bench (bench/corpus_fields.py) ---------------------------------


def test_order_number_in_the_title_parentheses_is_the_own_number():
    # a 行政法规 as published: the only number in the header stands in the title's parentheses
    f = P(
        "国家科学技术奖励条例（国务院令第638号第二次修订）\n"
        "（1999年5月23日中华人民共和国国务院令第265号发布，根据2003年12月20日国务院令第396号"
        "《国务院关于修改<国家科学技术奖励条例>的决定》第一次修订）\n"
        "第一章 总 则\n第一条 为了奖励在科学技术进步活动中做出突出贡献的公民、组织，……\n"
    )
    assert canon(f) == "国务院令第638号"
    assert f.title == "国家科学技术奖励条例（国务院令第638号第二次修订）"
    assert f.doc_type == "条例"


def test_order_number_cited_later_in_the_parentheses_is_not_own():
    # 根据…令第212号第一次修正: a citation of the amending 令, not this document's number
    f = P(
        "河北省实验动物管理办法\n"
        "（河北省人民政府批准　1993年10月25日省科委发布　根据1998年1月1日河北省人民政府令第212号第一次修正"
        "根据2007年4月22日河北省人民政府令第5号第二次修正）\n"
        "第一条　为加强实验动物的管理工作，根据《实验动物管理条例》，结合本省实际，制定本办法。\n"
    )
    assert f.doc_number is None
    assert f.title == "河北省实验动物管理办法"


def test_order_issuer_comes_from_the_order_code():
    f = P(
        "科学技术部令第20号科学技术部行政处罚实施办法\n"
        "《科学技术部行政处罚实施办法》已经2023年2月23日科学技术部第2次部务会审议通过，现予公布，自2023年4月20日起施行。\n"
        "部长王志刚\n2023年3月2日\n科学技术部行政处罚实施办法\n第一章总则\n"
    )
    assert canon(f) == "科学技术部令第20号"
    assert f.issuer == "科学技术部"


def test_director_order_number_and_issuer():
    # 局长令（第30号）: the 令 of the agency's head; the issuer is the agency
    f = P(
        "专利代理管理办法\n国家知识产权局局长令（第30号）\n"
        "为了规范对专利代理行业的管理和监督，制定《专利代理管理办法》，现予以发布，自2003年7月15日起施行。\n"
        "局长\n二○○三年六月六日\n"
    )
    assert f.doc_number is not None and (f.doc_number.code, f.doc_number.serial) == ("国家知识产权局局长令", 30)
    assert f.issuer == "国家知识产权局"


def test_joint_order_names_both_issuers():
    f = P(
        "科学技术部、国家保密局令第16号《科学技术保密规定》\n"
        "根据《中华人民共和国保守国家秘密法》，现公布修订后的《科学技术保密规定》，自公布之日起施行。\n"
        "科学技术部部长：万钢\n国家保密局局长：田静\n2015年11月16日\n"
    )
    assert f.issuers == ["科学技术部", "国家保密局"]
    assert f.title == "科学技术保密规定"


def test_joint_document_under_the_lead_issuers_mark():
    # run-on OCR text: the mark names the lead issuer only, the 署名 both
    f = P(
        "170795中共中央办公厅文件中办发〔2020〕39号中共中央办公厅国务院办公厅关于严格规范村庄撤并工作的通知"
        "各省、自治区、直辖市党委和人民政府:近年来，各地扎实推进村庄各项建设，取得明显成效。……"
        "各省(自治区、直辖市)要在2021年6月底前将贯彻执行本通知的情况报党中央、国务院。"
        "中共中央办公厅国务院办公厅2020年12月18日(此件发至县团级)中共中央办公厅秘书局2020年12月19日印发"
    )
    assert f.issuers == ["中共中央办公厅", "国务院办公厅"]
    assert f.date == D(2020, 12, 18)


def test_joint_title_prefix_beats_a_single_mark():
    f = P(
        "中共河北省委办公厅\n冀办字〔2017〕26号\n中共河北省委办公厅\n河北省人民政府办公厅\n"
        "印发《关于落实以增加知识价值为导向\n分配政策的实施意见》的通知各市（含定州、辛集市）党委和人民政府，省直各部门：\n"
        "《关于落实以增加知识价值为导向分配政策的实施意见》已经省委、省政府领导同意，现印发给你们。\n"
    )
    assert f.issuers == ["中共河北省委办公厅", "河北省人民政府办公厅"]


def test_signature_after_an_attachment_line_is_not_glued_to_it():
    f = P(
        "财金〔2024〕60号\n各省、自治区、直辖市财政厅（局）：\n"
        "为深入实施创新驱动发展战略，我们制定了支持科技创新专项担保计划，现印发给你们，请遵照执行。\n"
        "附件：支持科技创新专项担保计划\n财政部科技部工业和信息化部金融监管总局2024年7月24日\n附件：\n"
    )
    # (glued joint names without a separator stay one string; the point is no attachment name)
    assert f.issuer.replace("、", "") == "财政部科技部工业和信息化部金融监管总局"
    assert f.date == D(2024, 7, 24)


def test_signature_glued_to_an_attachment_name_in_wrapped_lines():
    # a run-on document rendered to a PDF page: the attachment name runs into the 署名
    f = P(
        "国网福建省电力有限公司办公室文件\n闽电办〔2022〕12号\n国网福建电力办公室关于公布建设项目微课评选结果的通知\n"
        "各单位：\n现将评选结果公布如下。\n附件：国网福建省电力有限公司建设项目微课获奖名单国网福建\n"
        "省电力有限公司办公室\n2022年5月6日\n"
    )
    assert f.issuer == "国网福建省电力有限公司办公室"
