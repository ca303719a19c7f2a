"""Fuzz the text parsers with hypothesis: no text, however odd, makes them raise.

Strategies are biased towards 公文 text (brackets, digits, 号/年/第, CJK, agency words, line breaks)
so that the parsers' deep paths are reached, not only their early exits.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive import docno, gongwen, textnorm
from archive.models import DocNumber, GongwenFields

PIECES = ["〔", "〕", "[", "]", "【", "】", "（", "）", "(", ")", "〈", "〉", "号", "年", "第", "月", "日",
          "令", "公告", "发", "函", "办", "示档发", "国发", "国务院", "文件", "关于", "的通知", "的决定",
          "主送：", "抄送：", "附件：", "签发人：", "秘密★1年", "机密", "特急", "印发", "（此件公开发布）",
          "示例县人民政府", "2022", "２０２２", "〇", "一二三", "55", "0", "9999999999999999999999", "\n", "\r\n",
          " ", "\u3000", "\t", "：", "，", "。", "、", "★", "-", "—", "·", "\u0000", "\ufeff", "\u200b",
          "⻓", "⺠", "Ⅻ", "①", "ﾞ", "é", "e\u0301", "\ud7ff", "𠀀"]

gongwen_text = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(max_size=8),
              st.integers(min_value=0, max_value=10**12).map(str)),
    max_size=60,
).map("".join)
digits = st.one_of(st.integers(min_value=0, max_value=99999).map(str),
                   st.text(alphabet="0123456789０１２３４５６７８９〇一二三四五六七八九十百千", min_size=0, max_size=6))
docno_like = st.builds(
    lambda code, lb, year, rb, di, serial, hao, noise: noise[0] + code + lb + year + rb + di + serial + hao + noise[1],
    st.sampled_from(["示档发", "国发", "国务院令", "国家税务总局公告", "", "X", "某某", "中共示例县委"]),
    st.sampled_from(["〔", "[", "【", "（", "(", "", "〔〔", "年"]), digits,
    st.sampled_from(["〕", "]", "】", "）", ")", "", "年", "〕〕"]), st.sampled_from(["", "第", "第第"]),
    digits, st.sampled_from(["号", "", "號", "号号"]), st.tuples(st.text(max_size=3), st.text(max_size=3)))
line = st.one_of(docno_like, gongwen_text, st.sampled_from(PIECES))
document = st.lists(line, max_size=25).map("\n".join)
any_text = st.one_of(gongwen_text, document, docno_like, st.text(max_size=200))
FUZZ = settings(max_examples=int(os.environ.get('FUZZ_EXAMPLES', 400)), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(any_text)
def test_gongwen_parse_never_raises(text):
    for t in (text, textnorm.normalize(text)):  # the pipeline parses normalised text
        fields = gongwen.parse(t)
        assert isinstance(fields, GongwenFields)
        # parse() catches its own bugs and says so in a warning: that must not happen either
        assert not any("时出错" in w for w in fields.warnings), (t, fields.warnings)


@FUZZ
@given(any_text)
def test_docno_functions_never_raise(text):
    dn = docno.parse(text)
    assert dn is None or isinstance(dn, DocNumber)
    if dn is not None:
        assert isinstance(dn.canonical, str)
        assert all(isinstance(k, str) for k in docno.search_keys(dn))
    norm = docno.normalize(text)
    assert norm is None or isinstance(norm, str)
    for found, start, end in docno.find_all(text):
        assert isinstance(found, DocNumber) and 0 <= start <= end <= len(text)
        docno.search_keys(found)
    assert all(isinstance(k, str) for k in docno.query_keys(text))


@FUZZ
@given(any_text)
def test_textnorm_never_raises_and_is_stable(text):
    once = textnorm.normalize(text)
    assert isinstance(once, str)
