"""Tests for archive.docno: every spelling variant seen in real 公文 (DOCNUM_VARIANTS.md A-D),
negatives, run-on OCR headers, and the search-key consistency that lets any spelling find a number."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from archive.docno import find_all, normalize, parse, query_keys, search_keys
from archive.models import DocNumber

# (raw, canonical, code, year, serial, kind). Strings copied from DOCNUM_VARIANTS.md / the corpus.
VARIANTS = [
    # A. field values scraped from official sites
    ("渝府发〔2023〕15号", "渝府发〔2023〕15号", "渝府发", 2023, 15, "standard"),
    ("豫政办 〔2016〕170号", "豫政办〔2016〕170号", "豫政办", 2016, 170, "standard"),
    ("渝府办发〔 2022 〕96 号", "渝府办发〔2022〕96号", "渝府办发", 2022, 96, "standard"),
    ("渝府发〔2022〕32 号", "渝府发〔2022〕32号", "渝府发", 2022, 32, "standard"),
    ("发文字号：晋政发〔2013〕41号", "晋政发〔2013〕41号", "晋政发", 2013, 41, "standard"),
    ("晋政办发[2009]73号", "晋政办发〔2009〕73号", "晋政办发", 2009, 73, "standard"),
    ("重庆市人民政府令第 359 号", "重庆市人民政府令第359号", "重庆市人民政府令", None, 359, "order"),
    ("省政府令 第219号", "省政府令第219号", "省政府令", None, 219, "order"),
    ("发文字号：山西省人民政府令第9号", "山西省人民政府令第9号", "山西省人民政府令", None, 9, "order"),
    ("国家税务总局公告2015年第41号", "国家税务总局公告2015年第41号", "国家税务总局公告", 2015, 41, "announcement"),
    ("国家发展改革委2017年第9号", "国家发展改革委2017年第9号", "国家发展改革委", 2017, 9, "announcement"),
    ("公告2018年第14号", "公告2018年第14号", "公告", 2018, 14, "announcement"),
    # 和 belongs to agency names; it must not cut the code
    ("工业和信息化部公告2015年第80号", "工业和信息化部公告2015年第80号", "工业和信息化部公告", 2015, 80, "announcement"),
    ("共和国交通运输部2019年第45号", "共和国交通运输部2019年第45号", "共和国交通运输部", 2019, 45, "announcement"),
    ("住房和城乡建设部令第52号", "住房和城乡建设部令第52号", "住房和城乡建设部令", None, 52, "order"),
    # run-on scraped values: title tail / verb / issuer name in front of the code
    ("的通知沪发改价管〔2023〕39号", "沪发改价管〔2023〕39号", "沪发改价管", 2023, 39, "standard"),
    ("根据国办公开办函〔2019〕61号", "国办公开办函〔2019〕61号", "国办公开办函", 2019, 61, "standard"),
    ("省人民政府辽政发〔1987〕17号", "辽政发〔1987〕17号", "辽政发", 1987, 17, "standard"),
    ("辽依法行政办发〔2019〕1号", "辽依法行政办发〔2019〕1号", "辽依法行政办发", 2019, 1, "standard"),
    ("工信厅产业函〔2020〕1号", "工信厅产业函〔2020〕1号", "工信厅产业函", 2020, 1, "standard"),
    ("晋政发(2007)18号", "晋政发〔2007〕18号", "晋政发", 2007, 18, "standard"),
    ("沪绿容〔2020〕014号", "沪绿容〔2020〕14号", "沪绿容", 2020, 14, "standard"),
    ("沪卫计规〔2017〕017号", "沪卫计规〔2017〕17号", "沪卫计规", 2017, 17, "standard"),
    ("晋政办发(2017〕109号", "晋政办发〔2017〕109号", "晋政办发", 2017, 109, "standard"),
    ("粤府办〔2002〕1２号", "粤府办〔2002〕12号", "粤府办", 2002, 12, "standard"),
    ("晋政办发〔2012〕18", "晋政办发〔2012〕18号", "晋政办发", 2012, 18, "standard"),
    ("渝府令〔2023〕358号", "渝府令〔2023〕358号", "渝府令", 2023, 358, "standard"),
    ("发文字号：晋政发〔2014〕号16", "晋政发〔2014〕16号", "晋政发", 2014, 16, "standard"),
    ("渝府发〔2023〕15号\u200b", "渝府发〔2023〕15号", "渝府发", 2023, 15, "standard"),
    # B. numbers in body text
    ("国办发〔2018〕128号", "国办发〔2018〕128号", "国办发", 2018, 128, "standard"),
    ("中华人民共和国国务院令第707号", "中华人民共和国国务院令第707号", "中华人民共和国国务院令", None, 707, "order"),
    ("国务院令\n第707号", "国务院令第707号", "国务院令", None, 707, "order"),
    ("文号： 浙政发〔2016〕49号", "浙政发〔2016〕49号", "浙政发", 2016, 49, "standard"),
    ("财税[2007]17号", "财税〔2007〕17号", "财税", 2007, 17, "standard"),
    ("冀政〔１９９８〕４５号", "冀政〔1998〕45号", "冀政", 1998, 45, "standard"),
    ("冀直房改〔１９９９〕４号", "冀直房改〔1999〕4号", "冀直房改", 1999, 4, "standard"),
    ("沪科合〔2008〕第006号", "沪科合〔2008〕6号", "沪科合", 2008, 6, "standard"),
    ("国科发成字〔1995〕048号", "国科发成字〔1995〕48号", "国科发成字", 1995, 48, "standard"),
    ("沪科〔2007〕第533号", "沪科〔2007〕533号", "沪科", 2007, 533, "standard"),
    ("河北省人民政府令〔2008〕第18号", "河北省人民政府令〔2008〕18号", "河北省人民政府令", 2008, 18, "standard"),
    ("中发﹝2015﹞8号", "中发〔2015〕8号", "中发", 2015, 8, "standard"),
    ("冀政﹝2014﹞118号", "冀政〔2014〕118号", "冀政", 2014, 118, "standard"),
    ("国家电网后勤〔2021)113号", "国家电网后勤〔2021〕113号", "国家电网后勤", 2021, 113, "standard"),
    ("商办合函〔2021]80号", "商办合函〔2021〕80号", "商办合函", 2021, 80, "standard"),
    ("财会〔2018 } 10号", "财会〔2018〕10号", "财会", 2018, 10, "standard"),
    ("商务部令2018 年 第 2 号", "商务部令〔2018〕2号", "商务部令", 2018, 2, "standard"),
    ("对外贸易经济合作部令2002年第3号", "对外贸易经济合作部令〔2002〕3号", "对外贸易经济合作部令", 2002, 3, "standard"),
    ("鲁应急函(2020)4号", "鲁应急函〔2020〕4号", "鲁应急函", 2020, 4, "standard"),
    ("国科农社函（2003）57号", "国科农社函〔2003〕57号", "国科农社函", 2003, 57, "standard"),
    ("鲁交城市函（2020）39号", "鲁交城市函〔2020〕39号", "鲁交城市函", 2020, 39, "standard"),
    ("陕发改能电力[2021] 634号", "陕发改能电力〔2021〕634号", "陕发改能电力", 2021, 634, "standard"),
    ("冀科办【2011】14号", "冀科办〔2011〕14号", "冀科办", 2011, 14, "standard"),
    ("省政府令【2009】第5号", "省政府令〔2009〕5号", "省政府令", 2009, 5, "standard"),
    ("国科发政字［2001］253号", "国科发政字〔2001〕253号", "国科发政字", 2001, 253, "standard"),
    ("国家电网资本〔2020〕668", "国家电网资本〔2020〕668号", "国家电网资本", 2020, 668, "standard"),
    ("国务院第707号令", "国务院令第707号", "国务院令", None, 707, "order"),
    ("国家知识产权局令第二十三号", "国家知识产权局令第23号", "国家知识产权局令", None, 23, "order"),
    # C. PDF / OFD text layers
    ("发改办财金规〔2019〕860 号", "发改办财金规〔2019〕860号", "发改办财金规", 2019, 860, "standard"),
    ("国办发〔2021〕43 号", "国办发〔2021〕43号", "国办发", 2021, 43, "standard"),
    ("府办专督〔2020〕 24 号", "府办专督〔2020〕24号", "府办专督", 2020, 24, "standard"),
    ("临翔发改复[2018]172号", "临翔发改复〔2018〕172号", "临翔发改复", 2018, 172, "standard"),
    # bare numbers and OCR damage (SPEC)
    ("〔2017〕55号", "〔2017〕55号", "", 2017, 55, "standard"),
    ("【2022] 12 号", "〔2022〕12号", "", 2022, 12, "standard"),
    ("屯X发〔2017〕55号", "屯X发〔2017〕55号", "屯X发", 2017, 55, "standard"),
    ("\u3000屯X发\u3000〔2017〕\u300055号\u3000", "屯X发〔2017〕55号", "屯X发", 2017, 55, "standard"),
]


@pytest.mark.parametrize("raw,canonical,code,year,serial,kind", VARIANTS)
def test_parse_variants(raw, canonical, code, year, serial, kind):
    d = parse(raw)
    assert d is not None, raw
    assert (d.code, d.year, d.serial, d.kind) == (code, year, serial, kind)
    assert d.canonical == canonical
    assert normalize(raw) == canonical


@pytest.mark.parametrize("raw,canonical,code,year,serial,kind", VARIANTS)
def test_canonical_round_trips(raw, canonical, code, year, serial, kind):
    again = parse(canonical)
    assert again is not None
    assert (again.code, again.year, again.serial, again.kind) == (code, year, serial, kind)


def test_raw_keeps_the_printed_form_without_label():
    assert parse("发文字号：晋政发[2009]73号").raw == "晋政发[2009]73号"
    assert parse("  冀政〔１９９８〕４５号 ").raw == "冀政〔１９９８〕４５号"


@pytest.mark.parametrize(
    "s",
    [
        "",
        "   ",
        "发文字号：",
        "文号：",
        "货币金融服务(14)68",  # table noise, two-digit year
        "国发〔18〕43号",  # two-digit year
        "(14)68号",
        "国发〔1900〕43号",  # implausible year
        "国发〔2201〕43号",
        "国发〔2018〕0号",  # serial 0
        "豫政 第24号",  # no year and not a 令
        "令第5号",  # a 令 with no issuer
        "关于印发实施方案的通知",
        "2018年",
        "国发〔2018〕",
        "hello world",
    ],
)
def test_parse_rejects_non_numbers(s):
    assert parse(s) is None
    assert normalize(s) is None


# find_all on run-on OCR headers: (text, expected code, expected canonical)
RUN_ON = [
    ("国网渭南供电公司纪律检查委员会文件国网渭电纪〔2021〕1号", "国网渭电纪", "国网渭电纪〔2021〕1号"),
    ("内部事项国家电网有限公司部门文件后勤总务〔2021〕70号", "后勤总务", "后勤总务〔2021〕70号"),
    ("签发盖章于国安等级特急·明电鲁政办发明电〔2021〕1号", "鲁政办发明电", "鲁政办发明电〔2021〕1号"),
    ("特急明电鲁政办发明电〔2021〕1号", "鲁政办发明电", "鲁政办发明电〔2021〕1号"),
    ("〔2021〕1号签发人：XXX", "", "〔2021〕1号"),
    ("〔2021〕1号 签发人：XXX", "", "〔2021〕1号"),
    ("河北省人民政府办公厅关于进一步强化奶业振兴支持政策的通知冀政办字〔2022〕93号", "冀政办字", "冀政办字〔2022〕93号"),
    ("关于商请会签应急预案的函鲁应急函(2020)4号", "鲁应急函", "鲁应急函〔2020〕4号"),
    ("山东省交通运输厅鲁交城市函（2020）39号关于商请会签", "鲁交城市函", "鲁交城市函〔2020〕39号"),
    ("国网福建省电力有限公司部门普通事项安监函〔2022〕1号国网福建电力安监部关于", "安监函", "安监函〔2022〕1号"),
    ("国家电网公司华北审计中心华北审计函〔2020〕16号关于举办", "华北审计函", "华北审计函〔2020〕16号"),
    ("加快推进科技创新的若干措施冀政办发〔2017〕5号\n为深入贯彻", "冀政办发", "冀政办发〔2017〕5号"),
    ("河北省食盐专营管理实施办法河北省人民政府令〔2022〕第2号《河北省", "河北省人民政府令", "河北省人民政府令〔2022〕2号"),
    ("XX县人民政府文件\n屯X发〔2017〕55号\n", "屯X发", "屯X发〔2017〕55号"),
    ("屯昌县人民政府屯府〔2017〕55号", "屯府", "屯府〔2017〕55号"),
    ("中华人民共和国科学技术部令\n第12号\n《科学技术部关于废止", "中华人民共和国科学技术部令", "中华人民共和国科学技术部令第12号"),
    ("国家知识产权局局长令（第30号）\n为了规范", "国家知识产权局局长令", "国家知识产权局局长令第30号"),
]


@pytest.mark.parametrize("text,code,canonical", RUN_ON)
def test_find_all_picks_the_code_boundary(text, code, canonical):
    hits = find_all(text)
    assert hits, text
    d, start, end = hits[0]
    assert d.code == code
    assert d.canonical == canonical
    assert text[start:end] == d.raw
    assert parse(d.raw) is not None and parse(d.raw).canonical == canonical


def test_find_all_body_citations_in_order():
    text = (
        "屯昌县人民政府文件\n屯府发〔2022〕7号\n屯昌县人民政府关于印发实施办法的通知\n各镇人民政府：\n"
        "根据《国务院关于加强政务公开的意见》（国发〔2018〕41号）和国办发[2019]5号文件精神，"
        "按照财税〔2019〕13号规定，依据《条例》（中华人民共和国国务院令第707号）及"
        "国家税务总局公告2015年第41号、财政部 税务总局公告2019年第39号，"
        "结合国家税务总局2018年第32号公告，现通知如下。\n"
        "此前印发的屯府发〔2021〕3号、屯府办〔2021〕第04号同时废止。"
    )
    got = [(d.code, d.canonical) for d, _, _ in find_all(text)]
    assert got == [
        ("屯府发", "屯府发〔2022〕7号"),
        ("国发", "国发〔2018〕41号"),
        ("国办发", "国办发〔2019〕5号"),
        ("财税", "财税〔2019〕13号"),
        ("中华人民共和国国务院令", "中华人民共和国国务院令第707号"),
        ("国家税务总局公告", "国家税务总局公告2015年第41号"),
        ("税务总局公告", "税务总局公告2019年第39号"),
        ("国家税务总局公告", "国家税务总局公告2018年第32号"),
        ("屯府发", "屯府发〔2021〕3号"),
        ("屯府办", "屯府办〔2021〕4号"),
    ]


def test_find_all_offsets_and_adjacent_numbers():
    text = "国发〔2018〕1号国发〔2018〕2号；国务院令\n第707号"
    hits = find_all(text)
    assert [(d.canonical, text[s:e]) for d, s, e in hits] == [
        ("国发〔2018〕1号", "国发〔2018〕1号"),
        ("国发〔2018〕2号", "国发〔2018〕2号"),
        ("国务院令第707号", "国务院令\n第707号"),
    ]


def test_find_all_date_and_previous_number_are_not_code():
    text = "根据1998年1月1日河北省人民政府令第212号第一次修正"
    (d, s, e), = find_all(text)
    assert d.code == "河北省人民政府令" and text[s:e] == "河北省人民政府令第212号"


@pytest.mark.parametrize(
    "text",
    [
        "货币金融服务(14)68",
        "2020年第1号台风登陆",
        "收入(2020)68.5万元",
        "表3（2021）12",
        "第5号令",
        "2019年12月31日",
        "国发〔18〕43号",
        "",
    ],
)
def test_find_all_ignores_noise(text):
    assert find_all(text) == []


def test_find_all_truncated_citation_needs_code_and_clean_end():
    assert [d.canonical for d, _, _ in find_all("（国家电网资本〔2020〕668）")] == ["国家电网资本〔2020〕668号"]
    assert find_all("〔2020〕668）") == []


# --- search keys ---------------------------------------------------------------------------------


def test_search_keys_contents():
    keys = search_keys(parse("屯X发〔2017〕55号"))
    assert keys[0] == "屯X发〔2017〕55号"
    assert {"〔2017〕55号", "2017-55"} <= set(keys)
    order = search_keys(parse("国务院令第707号"))
    assert order[0] == "国务院令第707号" and "令-707" in order


@pytest.mark.parametrize(
    "q",
    [
        "〔2017〕55号",
        "[2017]55号",
        "（2017）55号",
        "(2017)55号",
        "2017年55号",
        "2017年第55号",
        "屯X发2017年55号",
        "屯X发〔2017〕第55号",
        "屯X发[2017]055号",
        "屯Ｘ发〔２０１７〕５５号",
        "〔２０１７〕５５号",
        "第55号",
        "55号",
        "屯X发2017 55",
        "2017-55",
        " 屯X发 〔2017〕 55 号 ",
    ],
)
def test_query_keys_find_the_document(q):
    doc = set(search_keys(parse("屯X发〔2017〕55号")))
    assert set(query_keys(q)) & doc


def test_query_with_code_yields_the_full_key_and_without_code_only_codeless_keys():
    assert query_keys("屯X发[2017]55号")[0] == "屯X发〔2017〕55号"
    assert "〔2017〕55号" in query_keys("屯X发[2017]55号")
    assert all("屯X发" not in k for k in query_keys("[2017]55号"))
    # the 代字 of another document must not produce the same full key
    assert "屯X发〔2017〕55号" not in query_keys("国发〔2017〕55号")


def test_order_queries():
    doc = set(search_keys(parse("国务院令\n第707号")))
    for q in ("国务院令第707号", "国务院令707号", "中华人民共和国国务院令第707号", "第707号", "国务院第707号令"):
        assert set(query_keys(q)) & doc, q
    with_year = set(search_keys(parse("商务部令2018 年 第 2 号")))
    for q in ("商务部令第2号", "商务部令〔2018〕2号", "〔2018〕2号", "2018年第2号"):
        assert set(query_keys(q)) & with_year, q


def test_query_keys_of_non_numbers_are_empty():
    assert query_keys("") == []
    assert query_keys("通知") == []
    assert query_keys("国发〔18〕43号") == []


# --- properties ----------------------------------------------------------------------------------

_CODE_CHARS = "国发办政财税冀鲁沪渝京函字规X委教科农商工建卫"
_OPENS = "〔﹝[［(（【{｛"
_CLOSES = "〕﹞]］)）】}｝"
_FW = str.maketrans("0123456789", "０１２３４５６７８９")

codes = st.one_of(
    st.text(alphabet=_CODE_CHARS, min_size=1, max_size=6),
    st.sampled_from(["屯X发", "国办发", "冀政办字", "发改办财金规", "鲁政办发明电", "国网渭电纪"]),
)


def _spellings(draw, code: str, year: int, serial: int) -> str:
    """One random real-world spelling of code〔year〕serial号 (with or without the code)."""
    y, n = str(year), str(serial)
    if draw(st.booleans()):
        n = "0" * draw(st.integers(0, 2)) + n
    form = draw(st.sampled_from(["bracket", "nian", "loose"]))
    if form == "bracket":
        body = draw(st.sampled_from(_OPENS)) + y + draw(st.sampled_from(_CLOSES))
        body += draw(st.sampled_from(["", "第"])) + n + draw(st.sampled_from(["号", " 号"]))
    elif form == "nian":
        body = f"{y}年{draw(st.sampled_from(['', '第']))}{n}号"
    else:
        body = f"{y} {n}"
    if draw(st.booleans()):
        body = body.translate(_FW)
    with_code = draw(st.booleans())
    s = (code + draw(st.sampled_from(["", " ", "\u3000"])) if with_code else "") + body
    return s


@st.composite
def number_and_spelling(draw):
    code = draw(codes)
    year = draw(st.integers(1949, 2100))
    serial = draw(st.integers(1, 99999))
    return code, year, serial, _spellings(draw, code, year, serial)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(number_and_spelling())
def test_property_any_spelling_meets_the_index(args):
    code, year, serial, q = args
    doc = parse(f"{code}〔{year}〕{serial}号")
    assert doc is not None and (doc.year, doc.serial) == (year, serial)
    shared = set(query_keys(q)) & set(search_keys(doc))
    assert shared, (q, query_keys(q), search_keys(doc))
    if q.startswith(code):
        # a query that names the 代字 hits a key carrying that 代字, not only the code-less ones
        assert any(doc.code in k for k in shared), (q, shared)


@st.composite
def family_number(draw):
    kind = draw(st.sampled_from(["order", "order_year", "announcement"]))
    serial = draw(st.integers(1, 9999))
    year = draw(st.integers(1949, 2100))
    issuer = draw(st.sampled_from(["国务院", "重庆市人民政府", "省政府", "商务部", "国家税务总局", "财政部"]))
    sp = draw(st.sampled_from(["", " ", "\n"]))
    if kind == "order":
        doc = f"{issuer}令第{serial}号"
        q = draw(st.sampled_from([f"{issuer}令{sp}第{serial}号", f"第{serial}号", f"{issuer}第{serial}号令"]))
    elif kind == "order_year":
        doc = f"{issuer}令{year}年第{serial}号"
        q = draw(st.sampled_from([f"{issuer}令〔{year}〕第{serial}号", f"{issuer}令第{serial}号", f"{year}年第{serial}号"]))
    else:
        doc = f"{issuer}公告{year}年第{serial}号"
        q = draw(st.sampled_from([f"{issuer}公告{sp}{year}{sp}年第{serial}号", f"{year}年第{serial}号", f"〔{year}〕{serial}号"]))
    return doc, q


@settings(max_examples=200)
@given(family_number())
def test_property_order_and_announcement_spellings_meet(args):
    doc_s, q = args
    doc = parse(doc_s)
    assert doc is not None
    assert set(query_keys(q)) & set(search_keys(doc)), (doc_s, q)


@settings(max_examples=300)
@given(codes, st.integers(1949, 2100), st.integers(1, 99999), st.sampled_from(["standard", "order", "announcement"]))
def test_property_canonical_round_trips(code, year, serial, kind):
    if kind == "order":
        code += "令"
    elif kind == "announcement":
        code += "公告"
    d = DocNumber(raw="", code=code, year=year, serial=serial, kind=kind)
    again = parse(d.canonical)
    assert again is not None
    # a 令 number with a year is one "standard" number 代字〔Y〕N号 whether or not 第 is printed
    expected_kind = "standard" if kind == "order" else kind
    assert (again.code, again.year, again.serial, again.kind) == (code, year, serial, expected_kind)
    assert parse(again.canonical).canonical == again.canonical


_NOISE = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("〔〕﹝﹞[]［］()（）【】{}｛｝第号年令公告文件的通知：: \n\u30000123456789０１２")),
        st.characters(codec="utf-8"),
    ),
    max_size=80,
)


@settings(max_examples=500)
@given(_NOISE)
def test_fuzz_never_raises(text):
    parse(text)
    normalize(text)
    query_keys(text)
    hits = find_all(text)
    last = 0
    for d, s, e in hits:
        assert last <= s < e <= len(text)
        assert YEAR_OK(d.year) and d.serial > 0
        last = e
    d = parse(text)
    if d is not None:
        search_keys(d)


def YEAR_OK(y):  # noqa: N802 - read as a predicate in the assertion above
    return y is None or 1949 <= y <= 2100


@settings(max_examples=200)
@given(st.text(max_size=20), number_and_spelling(), st.text(max_size=20))
def test_find_all_finds_a_glued_bracketed_number(before, args, after):
    code, year, serial, _ = args
    number = f"〔{year}〕{serial}号"
    assume(not any(ch.isdigit() for ch in before[-1:] + after[:1]))
    hits = find_all(before + "（" + code + number + "）" + after)
    assert any((d.year, d.serial) == (year, serial) for d, _, _ in hits)


@pytest.mark.parametrize(
    "spelling",
    ["河北省人民政府令〔2022〕第2号", "河北省人民政府令〔2022〕2号", "河北省人民政府令（2022）第2号",
     "河北省人民政府令2022年第2号", "河北省人民政府令〔2022〕第002号"],
)
def test_order_with_year_has_one_canonical_form(spelling):
    # joint 令 printed as …令〔2022〕第2号 on one page and …令〔2022〕2号 on another is one number
    d = parse(spelling)
    assert (d.code, d.year, d.serial, d.kind) == ("河北省人民政府令", 2022, 2, "standard")
    assert d.canonical == "河北省人民政府令〔2022〕2号"
    assert parse(d.canonical).canonical == d.canonical
    hits = find_all(f"附件：{spelling}《河北省食盐专营管理实施办法》")
    assert [h.canonical for h, _, _ in hits] == ["河北省人民政府令〔2022〕2号"]


# OCR damage seen on scans of real 公文 (bench/ocr_bench.py): doubled brackets, a lost opening
# bracket, 〔 read as "[0"
@pytest.mark.parametrize("text, canonical", [
    ("国知发协字〔2014]】41号各省、自治区", "国知发协字〔2014〕41号"),
    ("冀政发【2015]】41号", "冀政发〔2015〕41号"),
    ("河北省人民政府令〔【2009]第5号", "河北省人民政府令〔2009〕5号"),
    ("实施意见\n冀发2015] 14号\n为贯彻落实", "冀发〔2015〕14号"),
    ("国科发基[02017] 250号", "国科发基〔2017〕250号"),
])
def test_find_all_ocr_bracket_damage(text, canonical):
    assert [d.canonical for d, _, _ in find_all(text)] == [canonical]


def test_lost_opening_bracket_needs_a_code_and_hao():
    assert find_all("截至2015] 14") == [] and find_all("共2015]14份") == []


# Non-standard numbers as real files print them: a series word between the year and the serial
# belongs to the 代字 (kept, so two series stay apart); an 编号： label is no part of the number.
@pytest.mark.parametrize("spelling", ["南宁站[2025]（通知）柳梧10号", "编号：南宁站[2025]（通知）柳梧10号",
                                      "南宁站〔2025〕(通知)柳梧10号"])
def test_series_infix_and_bianhao_label(spelling):
    d = parse(spelling)
    assert (d.code, d.year, d.serial) == ("南宁站(通知)柳梧", 2025, 10)
    assert d.raw == spelling.replace("编号：", "")
    assert parse(d.canonical).canonical == d.canonical
    assert [h.canonical for h, _, _ in find_all("编号：" + spelling.replace("编号：", "") + "\n内部监督通知书")] == [d.canonical]
    assert set(query_keys("〔2025〕10号")) & set(search_keys(d))


def test_infix_needs_a_serial_with_hao():
    assert parse("国发〔2015〕（一）") is None
    assert find_all("按照国发〔2015〕（试行）要求") == []
    assert parse("编号：冀政发〔2023〕5号").canonical == "冀政发〔2023〕5号"


def test_same_code_and_ocr_variant_of_a_code():
    from archive.docno import ocr_variant, same_code

    assert same_code("局长令", "国家知识产权局局长令") and same_code("中华人民共和国科学技术部令", "科学技术部令")
    assert not same_code("国办函", "冀政办发") and not same_code("某农发", "冀科农规") and not same_code("发", "国发")
    assert ocr_variant("冀政办发", "费政办发") == ("费", "冀")
    assert ocr_variant("冀政办发", "冀政办函") is None, "函 for 发 is another series, not a misreading"
    assert ocr_variant("冀科区", "冀科农规") is None and ocr_variant("冀科区", "冀科区") is None
