import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from archive.textnorm import RADICALS_SUPPLEMENT, normalize


def test_kangxi_and_radicals_supplement_become_ordinary_ideographs():
    assert normalize("⾰命⽂物") == "革命文物"
    assert normalize("⼈⺠") == "人民"
    assert normalize("⻅⻔⻓⻆⻢⻋⻄⻜⻥⻩⻬⻘⻝⻚⻛⻰⻳⺟⺎") == "见门长角马车西飞鱼黄齐青食页风龙龟母兀"


def test_radicals_table_covers_the_whole_block():
    assigned = [chr(c) for c in range(0x2E80, 0x2F00) if unicodedata.category(chr(c)) != "Cn"]
    missing = [c for c in assigned if c not in RADICALS_SUPPLEMENT and c != "\u2e80"]
    assert missing == []
    for src, dst in RADICALS_SUPPLEMENT.items():
        assert len(dst) == 1 and not (0x2E80 <= ord(dst) <= 0x2FDF), (src, dst)
        assert unicodedata.category(dst) == "Lo", (src, dst)
    # every supplement character is gone after normalisation
    assert not any("\u2e81" <= ch <= "\u2eff" for ch in normalize("".join(assigned)))


def test_fullwidth_punctuation_is_kept_digits_and_letters_are_folded():
    title = "关于印发《示例县档案管理办法（试行）》的通知：请遵照执行！是否？、。“好”；"
    assert normalize(title) == title
    assert normalize("２０２２年ＡＢｃ") == "2022年ABc"
    assert normalize("示档发［２０２２］５号") == "示档发［2022］5号"


def test_brackets_are_not_unified_except_the_lookalike_pair():
    assert normalize("﹝2021﹞113号") == "〔2021〕113号"
    assert normalize("临翔发改复[2018]172号") == "临翔发改复[2018]172号"
    assert normalize("（2021）【2022】〔2023〕(2024)") == "（2021）【2022】〔2023〕(2024)"


def test_spaces_newlines_and_invisible_characters():
    assert normalize("a\r\nb\rc") == "a\nb\nc"
    assert normalize("\ufeff示\u200b例\u200d县\u2060") == "示例县"
    assert normalize("甲\u3000\u3000乙\xa0丙") == "甲 乙 丙"
    assert normalize("a \t b    c") == "a\tb c"
    assert normalize("  行尾  \n  \n\n\n\n下一行\t") == "行尾\n\n下一行"
    assert normalize("a\x00b\x07c\x1bd\x7fe") == "abcde"
    assert normalize("infor\xadmation 2014\xad2020") == "information 2014-2020"
    assert normalize("第1页\f第2页") == "第1页\n第2页"


def test_circled_numbers_and_ellipsis_stay():
    assert normalize("①总体要求……") == "①总体要求……"


def test_empty():
    assert normalize("") == ""
    assert normalize(" \n\t \u3000") == ""


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_idempotent(s):
    once = normalize(s)
    assert normalize(once) == once
    assert "\r" not in once and "\ufeff" not in once and "\u200b" not in once
    assert not any("\u2e81" <= ch <= "\u2ef3" for ch in once)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="，：；（）！？、。《》“”〔〕甲乙丙丁示例县文件号 \n"))
def test_cjk_punctuation_survives(s):
    kept = set("，：；（）！？、。《》“”〔〕")
    assert [c for c in normalize(s) if c in kept] == [c for c in s if c in kept]
