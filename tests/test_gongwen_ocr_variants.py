"""The usual OCR misreads in a 版头 and a date (issue 24, scans round): accepted where only one reading is
possible, asked for (a warning, so 待定) where not — never a silent wrong value.

Real OCR output of tune-split scans (tests/fixtures/ocr_tune, provenance there) and the misreads one at a
time in a plain 公文.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from archive import gongwen

FIX = Path(__file__).parent / "fixtures" / "ocr_tune"
D = dt.date


@pytest.mark.parametrize("name, number, title, date", [
    ("scan__gdc-0122-300.png.txt", "人资〔2022〕132号", "电力人资部关于借用XXX、XXX的通知", D(2022, 1, 28)),
    ("scan__hebei-0109-200.pdf.txt", "国科发区〔2022〕220号", None, D(2022, 8, 15)),
    ("scan__gdc-0025-300.pdf.txt", "国家电网党〔2020〕90号",
     "中共国家电网有限公司党组关于开展2020年度党委书记抓基层党建工作述职评议考核的通知", D(2020, 9, 23)),
    ("scan__gdc-0048-300.pdf.txt", None, "国家电网有限公司办公会议纪要", D(2021, 5, 19)),
])
def test_real_ocr_texts_of_the_tune_split(name, number, title, date):
    f = gongwen.parse((FIX / name).read_text(encoding="utf-8"))
    assert (f.doc_number.canonical if f.doc_number else None) == number
    if title:
        assert f.title == title
    assert f.date == date


PAGE = "示例县档案局文件\n{num}\n示例县档案局关于做好档案工作的通知\n各乡镇人民政府：\n现将有关事项通知如下。\n示例县档案局\n{date}\n"


@pytest.mark.parametrize("printed", [
    "示档发C2022〕12号", "示档发〔2022C12号", "示档发C2022]12号", "示档发〈2022〉12号", "示档发〔2O22〕12号",
    "示档发〔2022〕l2号", "示档发〔2022〕12亏", "示档发〔2022〕12弓", "：示档发〔2022〕12号", "示档发〔2022〕.12号",
])
def test_number_misreads_with_one_possible_reading(printed):
    f = gongwen.parse(PAGE.format(num=printed, date="2022年3月5日"))
    assert f.doc_number is not None and f.doc_number.canonical == "示档发〔2022〕12号"


def test_a_word_after_a_number_like_pattern_is_left_alone():
    # 亏 of 亏损 is a word, not a misread 号, even in the first lines; below them nothing is repaired
    from archive.gongwen.layout import clean_lines

    assert clean_lines("企业（2022）12亏损面收窄") == ["企业（2022）12亏损面收窄"]
    assert clean_lines("x\n" * 20 + "见示档发〔2022〕12亏")[-1] == "见示档发〔2022〕12亏"
    assert clean_lines("示档发〔2022〕12亏") == ["示档发〔2022〕12号"]


@pytest.mark.parametrize("printed, date", [
    ("二〇二二年三月五曰", D(2022, 3, 5)), ("2022年3月5曰", D(2022, 3, 5)), ("二〇二二年三月五目", D(2022, 3, 5)),
    ("二〇二二年三月卅日", D(2022, 3, 30)), ("二〇二二年三月廿五日", D(2022, 3, 25)), ("2022年3.月5日", D(2022, 3, 5)),
    ("二O二二年三月五日", D(2022, 3, 5)),
    # one digit of the year lost: completed from the 文号's year only when the year before cannot give it
    ("〇二二年三月五日", D(2022, 3, 5)), ("二二二年三月五日", D(2022, 3, 5)),
])
def test_date_misreads_with_one_possible_reading(printed, date):
    f = gongwen.parse(PAGE.format(num="示档发〔2022〕12号", date=printed))
    assert f.date == date


@pytest.mark.parametrize("printed", ["二〇二年三月五日", "二〇二二年三月五", "二〇二二年二月三十日"])
def test_an_unsure_date_is_asked_for_never_guessed(printed):
    # 二〇二 may be 2022 or 2021 (a December date numbered in January): no date, a warning (待定)
    f = gongwen.parse(PAGE.format(num="示档发〔2022〕12号", date=printed))
    assert f.date is None
    assert any("成文日期" in w for w in f.warnings)


def test_a_completed_year_says_so():
    f = gongwen.parse(PAGE.format(num="示档发〔2022〕12号", date="〇二二年三月五日"))
    assert f.date_source == "落款（年份据发文字号补全）"
    assert any("已按发文字号年份补全" in w for w in f.warnings)
