"""archive.retention: every spelling of a 保管期限 we accept, its name, order and label."""

import sqlite3

import pytest

from archive import retention


@pytest.mark.parametrize("typed, code", [("永久", "Y"), ("30年", "D30"), ("10年", "D10"),
                                         ("Y", "Y"), ("D30", "D30"), ("D10", "D10")])
def test_typed_names_and_codes(typed, code):
    assert retention.from_typed(typed) == code


@pytest.mark.parametrize("typed", ["", None, "y", "长期", "三十年", "5年", "D5", " 永久"])
def test_typed_is_exact(typed):
    assert retention.from_typed(typed) is None


@pytest.mark.parametrize("written, code", [
    ("永久", "Y"), ("Y", "Y"), ("y", "Y"), ("永 久", "Y"),
    ("30年", "D30"), ("３０年", "D30"), ("定期30年", "D30"), ("D30", "D30"), ("d30", "D30"), ("30", "D30"),
    ("三十年", "D30"), ("定期三十年", "D30"),
    ("10年", "D10"), ("定期10年", "D10"), ("D10", "D10"), ("10", "D10"), ("十年", "D10"), ("定期十年", "D10")])
def test_written_spellings(written, code):
    assert retention.parse(written) == (code, None)


@pytest.mark.parametrize("written, code, old", [("长期", "C", "长期"), ("C", "C", "长期"), ("c", "C", "长期"),
                                                ("短期", "D", "短期"), ("D", "D", "短期")])
def test_old_periods_are_kept_as_written(written, code, old):
    assert retention.parse(written) == (code, old)


@pytest.mark.parametrize("written", ["半永久", "5年", "临时", "D5", "", "永久保存"])
def test_unknown_spellings(written):
    assert retention.parse(written) is None


def test_names_years_rank_order():
    assert [retention.name(c) for c in ("Y", "D30", "D10", "C", "D")] == ["永久", "30年", "10年", "长期", "短期"]
    assert retention.name(None) == "" and retention.name("X", "X") == "X"
    assert retention.YEARS == {"D30": 30, "D10": 10}
    assert sorted(retention.CODES, key=retention.RANK.get) == ["D10", "D30", "Y"]
    assert sorted(["D10", "Y", "D30"], key=retention.ORDER.get) == ["Y", "D30", "D10"]
    assert retention.OLD_YEARS == {"长期": 50, "短期": 15}


def test_label():
    assert retention.label({"retention": "D30", "retention_old": None}) == "30年"
    assert retention.label({"retention": None, "retention_old": "长期"}) == "原长期"
    assert retention.label({"retention": "Y", "retention_old": "短期"}) == "永久（原短期）"


def test_order_sql_sorts_like_a_catalogue():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t(retention TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("D10",), (None,), ("Y",), ("D30",)])
    got = [r[0] for r in conn.execute(f"SELECT retention FROM t ORDER BY {retention.order_sql()}")]
    assert got == ["Y", "D30", "D10", None]
