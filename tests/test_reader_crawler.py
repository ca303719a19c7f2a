"""Issue 24 round 4 of the reader: a crawler's text copy of a 政务公开 page (its own header of labels, then the
page flattened into one line: the site's path, a share bar, the 文号 glued to the title and the 主送), and two
words that were cut as 版头 marks inside titles (华明电力, 网络安全等级保护).

The copies are real files of bench/real (tune split); their provenance is in bench/real/manifest.jsonl."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from archive import gongwen
from archive.extract import extract

REAL = Path(__file__).resolve().parent.parent / "bench" / "real"


def _read(name: str):
    return gongwen.parse(extract(REAL / name).text)


def test_crawler_copy_number_glued_after_the_share_bar():
    # the crawler's 栏目: / 原文链接: labels and the page's path (…区管委会办公室文件) came before the 公文:
    # the first was taken for the 主送's colon, the second for a 发文机关标志
    f = _read("pingtan_2608.txt")
    assert f.doc_number is not None and f.doc_number.raw == "岚综管办〔2015〕83号"
    assert f.title == "平潭综合实验区管委会办公室关于平潭综合实验区12345政务平台正式运行的通知"
    assert f.issuer == "平潭综合实验区管委会办公室"
    assert f.date == dt.date(2015, 5, 7)


def test_crawler_copy_with_spaces_and_a_printing_line():
    f = _read("pingtan_4731.txt")
    assert f.doc_number.raw == "岚综管综〔2016〕34号"
    assert f.title == "平潭综合实验区管委会关于同意开展我区现代测绘基准体系二期建设的批复"
    assert f.issuer == "平潭综合实验区管委会"
    assert f.date == dt.date(2016, 3, 1)


OTHER_TITLE = ("标题: 关于甲事项的通知\n发布时间: 2020-01-02 09:00\n文号: \n栏目: 部门文件\n"
               "当前位置： 首页 最新文件 某局文件 关于甲事项的通知 时间：2020-01-02 微信 "
               "某发〔2020〕1号某县某局关于乙事项的批复各单位：现将有关事项通知如下。某县某局2020年1月2日")


def test_site_label_against_the_printed_title_line():
    # the page's 标题 label drops the issuer and mistypes 触电 as 触动: the 公文's own line is the title;
    # a printed line of another title is no reason to leave the label
    printed = _read("pingtan_2643.txt").title
    other = gongwen.parse(OTHER_TITLE).title
    assert (printed, other) == ("平潭综合实验区管委会关于成立“10·29”平潭苏澳闽翔268船员触电死亡事故调查组的通知",
                                "关于甲事项的通知")


def test_mingdian_inside_a_name_is_no_mark():
    f = gongwen.parse("国网某县供电公司\n某电发〔2022〕8号\n关于华明电力线路检修的通知\n各供电所：\n"
                      "现将有关事项通知如下。\n国网某县供电公司\n2022年5月6日\n")
    assert f.title == "关于华明电力线路检修的通知"


def test_dengji_in_a_title_is_no_mark():
    f = gongwen.parse("XX市公安局文件\nX公发〔2023〕5号\nXX市公安局关于开展网络安全等级保护测评工作的通知\n"
                      "各县（市、区）公安局：\n为落实网络安全等级保护制度，现将有关事项通知如下。\nXX市公安局\n2023年3月1日\n")
    assert f.title == "XX市公安局关于开展网络安全等级保护测评工作的通知"


def test_urgency_level_label_still_a_mark():
    f = gongwen.parse("等级：特急\n某府办发〔2023〕9号\n某县人民政府办公室关于做好防汛工作的通知\n各乡镇：\n"
                      "现将有关事项通知如下。\n某县人民政府办公室\n2023年6月1日\n")
    assert f.urgency == "特急"
    assert f.title == "某县人民政府办公室关于做好防汛工作的通知"
