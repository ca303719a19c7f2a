"""命令(令)格式 (issue 24, scans round): a 令's 题名, 令号 and 成文日期 in every format, from real 令.

GB/T 9704's 命令格式 has no 标题: the 发令机关标志 ``XX令`` stands at the top, then the 令号 ``第N号``, the
sentence promulgating the regulation, the signer's title and name, and the date under it. The record's 题名
is the mark (with the 令号 beside it in 发文字号); a 令 followed by the regulation's text, or a web copy, headed
by the regulation's own name keeps that name (docs/domain.md, 命令格式). Texts: tests/fixtures/ling (real, with provenance).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from archive import gongwen
from archive.extract import extract
from tests.makedocs import make_docx
from tests.makescans import make_scan

FIX = Path(__file__).parent / "fixtures" / "ling"


def order_page() -> list[str]:
    """hebei-0047's 令 page as its lines (the 条例's text after the date left out)."""
    text = (FIX / "hebei-0047.txt").read_text(encoding="utf-8")
    return text.split("国家自然科学基金条例\n第一章")[0].rstrip("\n").split("\n")


def wrapped(lines: list[str], width: int = 26) -> list[str]:
    out = []
    for ln in lines:
        while len(ln) > width:
            out.append(ln[:width])
            ln = ln[width:]
        out.append(ln)
    return out


def check_order(f) -> None:
    assert f.layout == "命令格式"
    assert f.doc_number is not None and f.doc_number.canonical == "中华人民共和国国务院令第487号"
    assert f.title == "中华人民共和国国务院令"  # the 令 page alone: not the 条例 it names in its sentence
    assert f.date == dt.date(2007, 2, 24)  # the date under the signature: not 2月14日 (passed), 4月1日 (in force)
    assert f.issuer == "国务院"


def test_real_order_with_the_regulation_text_takes_its_heading_as_title():
    # the 条例's own text follows the 令, headed by its name on a line of its own: that is a printed title
    f = gongwen.parse((FIX / "hebei-0047.txt").read_text(encoding="utf-8"))
    assert f.title == "国家自然科学基金条例"
    assert f.doc_number.canonical == "中华人民共和国国务院令第487号" and f.date == dt.date(2007, 2, 24)


def test_real_order_as_docx(tmp_path):
    f = gongwen.parse(extract(make_docx(tmp_path / "ling.docx", order_page())).text)
    check_order(f)


@pytest.mark.slow
def test_real_order_scanned(tmp_path):
    # a real scan path: typeset, rasterised by pdftoppm, read by the OCR engine
    png = make_scan(tmp_path / "ling.png", wrapped(order_page()), rotate=0.6)
    check_order(gongwen.parse(extract(png).text))


def test_web_copy_of_an_order_keeps_the_regulation_name():
    f = gongwen.parse((FIX / "hebei-0191.txt").read_text(encoding="utf-8"))
    assert f.doc_number is not None and f.doc_number.canonical == "科学技术部令第2号"
    assert f.title == "省、部级科学技术奖励管理办法"
    assert f.issuer == "科学技术部"


@pytest.mark.parametrize("text, number, issuers, day", [
    # a long joint mark wraps at the page's width; the 令号 below it names all four organs
    ("河北省科学技术厅中共河北省委\n宣传部河北省科学技术协会河北\n省教育厅令\n第144号\n"
     "《关于进一步弘扬科学家精神加强作风和学风建设的若干措施》已经2019年6月28日"
     "第61次厅务会议通过，现予公布，自2019年8月10日起施行。\n厅长 杨立新\n2019年7月17日\n",
     "河北省科学技术厅中共河北省委宣传部河北省科学技术协会河北省教育厅令第144号",
     ["河北省科学技术厅", "中共河北省委宣传部", "河北省科学技术协会", "河北省教育厅"], dt.date(2019, 7, 17)),
    # the lead organ and a count of the others
    ("科技部等二十二部门令\n第65号\n《科研失信行为调查处理规则》已经2022年8月18日通过，现予公布，"
     "自2022年10月6日起施行。\n部长 王志刚\n2022年9月14日\n",
     "科技部等二十二部门令第65号", ["科技部等二十二部门"], dt.date(2022, 9, 14)),
])
def test_joint_orders_name_every_organ(text, number, issuers, day):
    f = gongwen.parse(text)
    assert (f.layout, f.doc_number.canonical, f.issuers, f.date) == ("命令格式", number, issuers, day)
    assert f.title == number[:number.rindex("第")]  # the mark: the 令号 without 第N号
