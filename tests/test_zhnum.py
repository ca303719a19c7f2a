"""archive.zhnum: Chinese numerals and dates in every spelling the program reads."""

import datetime as dt

import pytest

from archive import zhnum
from archive.bounds import BoundsError, parse_date as typed_date

D = dt.date


@pytest.mark.parametrize("text, n", [
    ("23", 23), ("２３", 23), ("0005", 5), ("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23),
    ("三十一", 31), ("廿", 20), ("廿三", 23), ("卅一", 31), ("一百零五", 105), ("两百", 200), ("一千零一十", 1010),
    ("一〇五", 105), ("二〇一九", 2019), ("二零一九", 2019), ("二○一九", 2019), ("二◯一九", 2019), ("二O一九", 2019),
    ("二o一九", 2019), ("二Ｏ一九", 2019), ("二０一九", 2019), ("元", 1)])
def test_numbers(text, n):
    assert zhnum.number(text) == n


@pytest.mark.parametrize("text", ["", None, "O", "abc", "二三十", "十五万", "第三"])
def test_not_numbers(text):
    assert zhnum.number(text) is None


@pytest.mark.parametrize("text, out", [
    ("〔二〇一九〕二十三号", "〔2019〕23号"), ("二〇一九年三月五日", "2019年3月5日"), ("令第二十三号", "令第23号"),
    ("国务院令第六三八号", "国务院令第638号"), ("第二期", "第2期"), ("（二〇〇七）", "（2007）"),
    ("统一部署", "统一部署"), ("两会精神", "两会精神"), ("OFD 文件", "OFD 文件"), ("2019年", "2019年")])
def test_to_arabic(text, out):
    assert zhnum.to_arabic(text) == out


@pytest.mark.parametrize("value, day", [
    ("20190305", D(2019, 3, 5)), ("2019-03-05", D(2019, 3, 5)), ("2019-3-5", D(2019, 3, 5)),
    ("2019.3.5", D(2019, 3, 5)), ("2019/3/5", D(2019, 3, 5)), ("2019年3月5日", D(2019, 3, 5)),
    ("2019 年 3 月 5 日", D(2019, 3, 5)), ("二〇一九年三月五日", D(2019, 3, 5)), ("二零一九年三月五日", D(2019, 3, 5)),
    ("二○一九年三月五日", D(2019, 3, 5)), ("二O一九年十二月三十一日", D(2019, 12, 31)),
    ("二〇一九年元月廿五日", D(2019, 1, 25)), ("二〇一五年十月二十日", D(2015, 10, 20)),
    ("２０１９－０３－０５", D(2019, 3, 5)), ("2019—03—05", D(2019, 3, 5)), ("2019-03-05 10:30", D(2019, 3, 5)),
    ("2019-03-05T10:30:00", D(2019, 3, 5)), (20190305, D(2019, 3, 5)), (20190305.0, D(2019, 3, 5)),
    (dt.datetime(2019, 3, 5, 9), D(2019, 3, 5)), (D(2019, 3, 5), D(2019, 3, 5)), ("2019-W10-2", D(2019, 3, 5)),
    (None, None), ("", None), ("  ", None)])
def test_dates_in_every_form(value, day):
    assert zhnum.parse_date(value) == day


@pytest.mark.parametrize("value", ["2015-02-30", "20151301", "2015年", "三月", "2019年3月", "201903", "abc",
                                   "二〇一五年二月三十日"])
def test_no_date(value):
    with pytest.raises(ValueError):
        zhnum.parse_date(value)


def test_parts_are_as_written():
    assert zhnum.date_parts("2015-02-30") == (2015, 2, 30)
    assert zhnum.date_parts("2019年3月") == (2019, 3, None)
    assert zhnum.date_parts("二〇一九年三月") == (2019, 3, None)
    assert zhnum.date_parts("十三") is None


@pytest.mark.parametrize("value, span", [
    ("2019", (D(2019, 1, 1), D(2019, 12, 31))), ("二〇一九年", (D(2019, 1, 1), D(2019, 12, 31))),
    ("2019年度", (D(2019, 1, 1), D(2019, 12, 31))), ("2019年2月", (D(2019, 2, 1), D(2019, 2, 28))),
    ("202002", (D(2020, 2, 1), D(2020, 2, 29))), ("二〇一九年十二月", (D(2019, 12, 1), D(2019, 12, 31))),
    ("2019年3月5日", (D(2019, 3, 5), D(2019, 3, 5))), ("2019年13月", None), ("三月", None)])
def test_spans(value, span):
    assert zhnum.parse_span(value) == span


def test_dates_in_running_text():
    flat = "特此通知。某县人民政府二〇一九年三月五日印发；另见2019年2月30日的来文"
    got = zhnum.iter_dates(flat)
    assert [d for d, _, _ in got] == [D(2019, 3, 5), None]
    a, b = got[0][1:]
    assert flat[a:b] == "二〇一九年三月五日"


def test_make_date_bounds():
    assert zhnum.make_date(1899, 1, 1) is None and zhnum.make_date(2019, 2, 29) is None
    assert zhnum.make_date(2020, 2, 29) == D(2020, 2, 29)


def test_a_typed_date_reads_every_form_and_refuses_with_one_line():
    assert typed_date("2022.8.28", "--from") == D(2022, 8, 28)
    assert typed_date("二〇二二年八月二十八日", "--from") == D(2022, 8, 28)
    assert typed_date("", "--from") is None
    with pytest.raises(BoundsError, match="--to “2022-02-30” 不是有效日期"):
        typed_date("2022-02-30", "--to")
