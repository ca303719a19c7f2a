"""Issue 24 round 3 of the reader: joint 落款, dates under the title and with a shortened year, a number
printed under a title that ends in 答复, a date the document contradicts, and saved page fragments."""

from __future__ import annotations

import datetime as dt

from archive import gongwen
from archive.extract import extract


def test_signature_name_over_two_lines_is_joined():
    f = gongwen.parse("唐山市“一港双城”（城镇化）工作委员会办公室\n唐山市行政审批局\n关于印发某某办法的通知\n"
                      "各县（市、区）：\n现将办法印发给你们。\n唐山市“一港双城”（城镇化）工作\n委员会办公室\n"
                      "唐山市行政审批局\n2023年5月6日")
    assert f.issuers == ["唐山市“一港双城”（城镇化）工作委员会办公室", "唐山市行政审批局"]
    assert f.issuer == "唐山市“一港双城”（城镇化）工作委员会办公室、唐山市行政审批局"


def test_ten_organ_signature_gives_all_in_order():
    names = ["县发展和改革局", "县教育局", "县公安局", "县民政局", "县财政局", "县自然资源局", "县住房和城乡建设局",
             "县交通运输局", "县农业农村局", "县卫生健康局"]
    block = "\n".join(f"{a}    {b}" for a, b in zip(names[::2], names[1::2]))
    f = gongwen.parse(f"关于开展联合检查的通知\n各有关单位：\n现就有关事项通知如下。\n特此通知。\n{block}\n2023年5月6日")
    assert f.issuers == names
    assert f.date == dt.date(2023, 5, 6)


def test_date_in_parentheses_under_the_title():
    f = gongwen.parse("中共某某县委 某某县人民政府\n关于加快乡村振兴的意见\n（2018年4月7日）\n"
                      "为贯彻落实中央决策部署，现提出如下意见。\n一、总体要求\n坚持农业农村优先发展。")
    assert f.title == "关于加快乡村振兴的意见"
    assert f.date == dt.date(2018, 4, 7) and f.date_source == "标题下"
    assert f.issuers == ["中共某某县委", "某某县人民政府"]
    # a 落款 date wins over a date elsewhere in the text
    g = gongwen.parse("某县人民政府\n关于某事的通知\n各乡镇：\n2018年4月7日召开会议。现通知如下。\n某县人民政府\n2018年5月2日")
    assert g.date == dt.date(2018, 5, 2) and g.date_source is None


def test_shortened_chinese_year_completed_only_when_the_number_agrees():
    body = "某县人民政府\n关于某事的通知\n某政发〔{y}〕3号\n各乡镇：\n现通知如下。\n某县人民政府\n二四年三月五日"
    f = gongwen.parse(body.format(y=2024))
    assert f.date == dt.date(2024, 3, 5) and "年份不全" in " ".join(f.warnings)
    g = gongwen.parse(body.format(y=2023))
    assert g.date is None and any("请人工确认" in w for w in g.warnings)


def test_date_against_the_number_year_is_doubtful():
    body = "某县人民政府\n关于某事的通知\n某政发〔2023〕3号\n各乡镇：\n现通知如下。\n某县人民政府\n{d}"
    f = gongwen.parse(body.format(d="2025年3月5日"))
    assert f.date == dt.date(2025, 3, 5) and "发文字号年份不一致" in f.doubtful_date
    assert f.doubtful_date in f.warnings
    assert gongwen.parse(body.format(d="2023年3月5日")).doubtful_date is None
    assert gongwen.parse(body.format(d="2022年12月30日")).doubtful_date is None  # numbered in the new year


def test_reply_to_proposal_title_with_number_under_it():
    f = gongwen.parse("国务院办公厅对全国政协十届三次\n会议第2741号提案的答复\n国办函〔2005〕69号\n王超斌委员：\n"
                      "您提出的提案收悉。经研究，答复如下：\n感谢您对政府工作的关心。\n国务院办公厅\n二〇〇五年七月十四日")
    assert f.title == "国务院办公厅对全国政协十届三次会议第2741号提案的答复"
    assert f.doc_number.raw == "国办函〔2005〕69号"
    assert f.doc_type == "函" and f.date == dt.date(2005, 7, 14)


def test_page_table_date_loses_to_the_documents_own_date(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(
        '<div class="wrap"><table><tbody><tr><td><table class="bd1"><tbody>'
        "<tr><td><b>发文机关：</b></td><td>国务院办公厅</td><td><b>成文日期：</b></td><td>2004年04月17日</td></tr>"
        "<tr><td><b>标　　题：</b></td><td colspan=3>国务院办公厅关于同意某事的复函</td></tr>"
        "<tr><td><b>发文字号：</b></td><td>国办函〔2004〕36号</td><td><b>发布日期：</b></td><td>2018年12月24日</td></tr>"
        "</tbody></table></td></tr></tbody></table>"
        '<table><tbody><tr><td id="UCAP-CONTENT"><p>国务院办公厅关于同意某事的复函</p><p>国办函〔2004〕36号</p>'
        "<p>黑龙江省人民政府：</p><p>同意。</p><p>国务院办公厅</p><p>二〇〇四年四月二十七日</p></td></tr></tbody></table></div>",
        encoding="utf-8")
    r = extract(page)
    assert r.media_type == "html"  # a saved fragment without <html> is still a page
    assert "发文字号\t国办函〔2004〕36号" in r.text.replace("：", "")
    assert "国务院办公厅\n二〇〇四年四月二十七日" in r.text  # the layout table's cell is read as paragraphs
    f = gongwen.parse(r.text)
    assert f.doc_number.raw == "国办函〔2004〕36号" and f.title == "国务院办公厅关于同意某事的复函"
    assert f.date == dt.date(2004, 4, 27)
    assert "网页标注为 2004-04-17" in f.doubtful_date


def test_letter_head_name_then_title_then_number():
    # 信函格式 with the number under the title: the agency's name on its own line is the mark, not the title's
    f = gongwen.parse("国务院\n国务院关于同意建立某某部际联席会议制度的批复\n国函〔2018〕144号\n教育部：\n"
                      "你部关于建立某某部际联席会议制度的请示收悉。现批复如下：\n同意。\n国务院\n2018年11月20日")
    assert f.title == "国务院关于同意建立某某部际联席会议制度的批复"
    assert f.doc_number.raw == "国函〔2018〕144号" and f.issuers == ["国务院"]
    # a title broken after its issuer's name stays one title
    g = gongwen.parse("国务院办公厅\n关于调整某某领导小组组成人员的通知\n国办函〔2018〕74号\n各省、自治区、直辖市人民政府：\n"
                      "现将调整后的名单通知如下。\n国务院办公厅\n2018年11月5日")
    assert g.title == "国务院办公厅关于调整某某领导小组组成人员的通知"


BODY = ("国务院办公厅关于印发某方案的通知\n国办发〔2019〕6号\n各省、自治区、直辖市人民政府：\n现将方案印发给你们。\n"
        "国务院办公厅\n2019年1月22日")


def test_meta_block_as_markdown_table_or_label_lines():
    md = ("首页 > 政策 > 文件\n| 索引号 | 000014349/2019-00006 | 主题分类 | 财政 |\n|---|---|---|---|\n"
          "| 发文机关 | 国务院办公厅 | 成文日期 | 2019年01月22日 |\n| 标题 | 国务院办公厅关于印发某方案的通知 |  |  |\n"
          "| 发文字号 | 国办发〔2019〕6号 | 发布日期 | 2019年02月14日 |\n")
    lines = "发布机构: 国务院办公厅\n发文字号：国办发〔2019〕6号\n名称：国务院办公厅关于印发某方案的通知\n成文日期：2019-01-22\n"
    for head in (md, lines):
        f = gongwen.parse(head + BODY)
        assert f.layout == "网页"
        assert (f.doc_number.raw, f.title, f.issuers, f.date) == (
            "国办发〔2019〕6号", "国务院办公厅关于印发某方案的通知", ["国务院办公厅"], dt.date(2019, 1, 22))


def test_no_label_or_menu_glued_to_the_title():
    for head in ("名称：国务院办公厅关于印发某方案的通知\n",
                 "首页 政务公开 政策文件 互动交流\n当前位置：首页 > 政策文件\n名称：国务院办公厅关于印发某方案的通知\n"):
        f = gongwen.parse(head + BODY)
        assert f.title == "国务院办公厅关于印发某方案的通知"
        assert f.doc_number.raw == "国办发〔2019〕6号"


def test_number_in_parentheses_under_the_title_of_an_exported_text():
    f = gongwen.parse("    【法宝引证码】 CLI.12.1\n原文链接：https://example.org/lar/1.html\n"
                      "某某局关于进一步加强新闻宣传工作的通知\n某某局关于进一步加强新闻宣传工作的通知\n\n"
                      "（新质监办发〔2012〕24号）\n\n各直属单位：\n现就有关工作通知如下。")
    assert f.doc_number.raw == "新质监办发〔2012〕24号"
    assert f.title == "某某局关于进一步加强新闻宣传工作的通知"
    # a number cited in parentheses in the body stays a citation
    g = gongwen.parse("某某局关于某事的通知\n各单位：\n按照《某办法》（某发〔2011〕7号）要求，现通知如下。\n某某局\n2012年3月1日")
    assert g.doc_number is None


def test_whole_saved_page_label_above_value_under_dozens_of_menu_lines():
    # a whole saved page of a 规范性文件 platform: menus, a search box whose options include 标题,
    # 搜索热词：, the path, then a 基本信息 block with each label on its line and its value on the next
    menus = "\n".join(["首页", "搜索热词：", "社保", "医保", "搜索位置", "标题", "全文", "排序方式"] * 6)
    page = (menus + "\n当前位置：首页 > 广州市行政规范性文件统一发布平台 > 市政府规范性文件 > 某市人民政府办公厅（某市人民政府参事室）\n"
            "基本信息\n统一编号：\nGZ0220210019\n文 号：\n某府办规〔2021〕19号\n实施日期：\n2021年12月06日\n"
            "发布机关：\n某市人民政府办公厅\n文件状态：\n某市人民政府办公厅关于印发某市临时救助实施细则的通知\n分享到\n-\n"
            "某府办规〔2021〕19号\n某市人民政府办公厅关于印发某市临时救助实施细则的通知\n"
            "各区人民政府，市政府各部门、各直属机构：\n《某市临时救助实施细则》已经市人民政府同意，现印发给你们，请认真贯彻执行。\n"
            "某市人民政府办公厅\n2021年12月1日\n")
    f = gongwen.parse(page)
    assert f.doc_number.raw == "某府办规〔2021〕19号"
    assert f.title == "某市人民政府办公厅关于印发某市临时救助实施细则的通知"
    assert f.date == dt.date(2021, 12, 1)  # the 落款's, not the 实施日期


def test_reposted_copy_meta_title_and_widgets_are_not_the_document():
    # a 转载 copy on a 街道 site: 名称 carries （转载）, 文号 is empty, widgets sit between table and text
    page = ("高级搜索\n搜索位置\n标题\n全文\n文件状态\n不限\n搜索\n"
            "索引号：\t11440106718120458W/2024-00008\t分类：\n发布机构：\t某区某街道办事处\t成文日期：\t2024-07-26\n"
            "名称：\t（转载）某市人民政府办公厅关于印发某市公共租赁住房管理办法的通知\n文号：\t发布日期：\t2024-09-12\n主题词：\n"
            "【字体：大 中 小】\n分享到：\n（转载）某市人民政府办公厅关于印发某市公共租赁住房管理办法的通知\n"
            "发布日期：2024-09-12 浏览次数：-\n某府办规〔2024〕13号\n某市人民政府办公厅关于印发某市公共租赁住房管理办法的通知\n"
            "各区人民政府，市政府各部门、各直属机构：\n《某市公共租赁住房管理办法》业经市人民政府同意，现印发给你们。\n"
            "某市人民政府办公厅\n2024年7月26日\n")
    f = gongwen.parse(page)
    assert f.doc_number.raw == "某府办规〔2024〕13号"
    assert f.title == "某市人民政府办公厅关于印发某市公共租赁住房管理办法的通知"
    assert f.issuers == ["某市人民政府办公厅"]  # not the 街道 that reposted it


def test_menu_words_above_a_title_and_a_view_counter_above_a_number_are_the_sites():
    # a whole saved page without a meta table: the site's 搜索热词 menu, one word a line, right above
    # the title; a view counter ``-次`` on the line above the number
    page = ("首页\n政务公开\n社保\n医保\n高质量发展\n居住证\n营商环境\n"
            "某市医疗保障局关于印发某市长期护理保险试行办法的通知\n2024-01-05\n来源：某市医疗保障局\n分享到\n-次\n"
            "某医保规字〔2024〕1号\n某市医疗保障局关于印发某市长期护理保险试行办法的通知\n各区财政局，各有关单位：\n"
            "《某市长期护理保险试行办法》业经市人民政府同意，现印发给你们，请遵照执行。\n某市医疗保障局\n2024年1月3日\n")
    f = gongwen.parse(page)
    assert f.title == "某市医疗保障局关于印发某市长期护理保险试行办法的通知"
    assert f.doc_number.raw == "某医保规字〔2024〕1号"
    # a title wrapped over two lines keeps both
    g = gongwen.parse("某医保规字〔2024〕1号\n某市医疗保障局关于印发\n某市长期护理保险试行办法的通知\n各有关单位：\n现印发给你们。\n"
                      "某市医疗保障局\n2024年1月3日")
    assert g.title == "某市医疗保障局关于印发某市长期护理保险试行办法的通知"
