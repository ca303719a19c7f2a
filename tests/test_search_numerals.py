"""Search understands Chinese numerals in 文号 and years, and says when a number given without its 机关代字
matches several documents (issue 13 point 7). Real files through the real pipeline, both backends, and the
real command line for the messages and --json."""

from __future__ import annotations

import json

import pytest

from archive.search import search
from tests.clirun import run_config
from tests.searchdocs import ingested

DOCS = [  # (file, 版头, 文号, 题名, 署名, 成文日期)
    ("a.txt", "国防部文件", "国防部发〔2012〕21号", "国防部关于加强营区绿化工作的通知", "国防部", "2012年5月8日"),
    ("b.txt", "河北省人民政府办公厅文件", "冀政办字〔2019〕21号", "河北省人民政府办公厅关于做好春季植树工作的通知",
     "河北省人民政府办公厅", "2019年3月1日"),
    ("c.txt", "中共河北省委办公厅文件", "冀办字〔2019〕1号", "关于进一步加强机关档案工作的意见", "中共河北省委办公厅",
     "2019年1月10日"),
    ("d.txt", "示例县人民政府文件", "示政发〔2019〕21号", "示例县人民政府关于公布行政事业性收费项目的通知", "示例县人民政府",
     "2019年6月3日"),
    ("e.txt", "示例县档案局文件", "示档发〔2017〕5号", "示例县档案局关于开展档案安全检查的通知", "示例县档案局", "2017年9月9日"),
]


@pytest.fixture(scope="module", params=["sqlite", "whoosh"])
def built(request, tmp_path_factory):
    """Filed once per engine; the tests only search it."""
    tmp_path = tmp_path_factory.mktemp(f"built-{request.param}")
    arc, ids, cfg_path = ingested(tmp_path, request.param, [
        (name, [head, number, title, "各有关单位：", f"现将{title[:-3]}有关事项通知如下。", "一、高度重视，认真组织。",
                signer, day], number) for name, head, number, title, signer, day in DOCS])
    yield arc, ids, cfg_path
    arc.close()


def _ids(arc, q):
    return [h.record["id"] for h in search(arc.conn, arc.index, q, limit=50).hits]


def test_a_year_in_chinese_numerals_ranks_that_number_first(built):
    arc, ids, _ = built
    got = _ids(arc, "国防部发〔二〇一二〕21号")
    assert got and got[0] == ids["国防部发〔2012〕21号"], got
    assert ids["冀政办字〔2019〕21号"] not in got[:1]
    for spelling in ("国防部发〔二零一二〕二十一号", "国防部发〔二○一二〕廿一号"):
        assert _ids(arc, spelling)[:1] == [ids["国防部发〔2012〕21号"]], spelling


def test_a_serial_in_chinese_numerals_finds_its_document(built):
    arc, ids, _ = built
    assert _ids(arc, "冀办字〔2019〕一号")[:1] == [ids["冀办字〔2019〕1号"]]
    assert _ids(arc, "冀办字〔二〇一九〕一号")[:1] == [ids["冀办字〔2019〕1号"]]


def test_year_field_in_chinese_numerals(built):
    arc, ids, _ = built
    in_2019 = {ids["冀政办字〔2019〕21号"], ids["冀办字〔2019〕1号"], ids["示政发〔2019〕21号"]}
    assert set(_ids(arc, "year:2019")) == in_2019
    assert set(_ids(arc, "year:二〇一九")) == in_2019
    assert set(_ids(arc, "year:二〇一九年")) == in_2019
    assert set(_ids(arc, "植树 AND year:二〇一九")) == {ids["冀政办字〔2019〕21号"]}
    assert not _ids(arc, "绿化 AND year:二〇一九")
    assert set(_ids(arc, "year:[二〇一二 TO 二〇一七]")) == {ids["国防部发〔2012〕21号"], ids["示档发〔2017〕5号"]}


def test_a_number_without_its_code_that_several_documents_carry_says_so(built):
    arc, ids, cfg_path = built
    res = search(arc.conn, arc.index, "〔2019〕21号")
    assert {r["id"] for r in res.ambiguous} == {ids["冀政办字〔2019〕21号"], ids["示政发〔2019〕21号"]}
    one = search(arc.conn, arc.index, "冀政办字〔2019〕21号")
    assert one.ambiguous == [] and one.hits[0].record["id"] == ids["冀政办字〔2019〕21号"]
    assert search(arc.conn, arc.index, "〔2017〕5号").ambiguous == [], "one document: nothing to choose"
    assert search(arc.conn, arc.index, "〔二〇一九〕二十一号").ambiguous == res.ambiguous
    r = run_config(cfg_path, "search", "〔2019〕21号")
    assert r.returncode == 0, r.stderr
    assert "没有机关代字" in r.stderr and "冀政办字〔2019〕21号" in r.stderr and "示政发〔2019〕21号" in r.stderr, r.stderr
    r = run_config(cfg_path, "search", "〔2019〕21号", "--json")
    hits = json.loads(r.stdout)
    assert {h["doc_number"] for h in hits if h.get("ambiguous_number")} == {"冀政办字〔2019〕21号", "示政发〔2019〕21号"}
    assert all(h["matched"] == "docno" for h in hits if h.get("ambiguous_number"))
    r = run_config(cfg_path, "search", "冀政办字〔2019〕21号", "--json")
    assert "没有机关代字" not in r.stderr and not any(h.get("ambiguous_number") for h in json.loads(r.stdout))
