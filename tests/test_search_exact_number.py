"""A number searched with its 机关代字 answers with that number only (issue 24 item 1): the records carrying it in
any spelling as 文号匹配, a 代字 one OCR misreading away as 相近文号 with the difference said, and never another
agency's number with the same 〔年〕号; a bare 〔年〕号 still lists all. Real files through the real pipeline, both
backends, and the real command line."""

from __future__ import annotations

import json

import pytest

from archive.search import search
from tests.clirun import run_config
from tests.searchdocs import ingested

NUMBERS = ["某农发〔2023〕1号", "冀科农规〔2023〕1号", "冀科区〔2023〕1号", "冀政办发〔2023〕1号", "费政办发〔2023〕1号",
           "国办函〔2023〕7号", "冀政办发〔2023〕7号", "某农发〔2022〕1号"]


@pytest.fixture(scope="module", params=["sqlite", "whoosh"])
def built(request, tmp_path_factory):
    """Filed once per engine; the tests only search it."""
    tmp_path = tmp_path_factory.mktemp(f"built-{request.param}")
    docs = []
    for k, number in enumerate(NUMBERS):
        title = f"关于做好第{k + 1}项农业工作的通知"
        docs.append((f"d{k}.txt", ["示例县农业农村局文件", number, title, "各乡镇：", f"现将{title[2:-3]}有关事项通知如下。",
                                   "一、高度重视，认真组织。", "示例县农业农村局",
                                   f"{number[number.index('〔') + 1:][:4]}年3月{k + 1}日"], number))
    arc, ids, cfg_path = ingested(tmp_path, request.param, docs)
    yield arc, ids, cfg_path
    arc.close()


def _hits(arc, q):
    return [(h.record["doc_number"], h.matched) for h in search(arc.conn, arc.index, q, limit=50).hits]


@pytest.mark.parametrize("spelling", [
    "某农发〔2023〕1号", "某农发[2023]1号", "某农发(2023)1号", "某农发【2023】1号", "某农发（2023）1号",
    "某农发2023年1号", "某农发〔二〇二三〕一号", "某农发 〔 2023 〕 1 号", "某农发〔２０２３〕１号", "某农发[2023]01号",
    "某农发2023-1", "某农发2023 1"])
def test_a_number_with_its_code_gives_that_number_only(built, spelling):
    arc, _, _ = built
    got = _hits(arc, spelling)
    assert [m for m in got if m[1] != "text"] == [("某农发〔2023〕1号", "docno")], got


def test_same_year_and_serial_under_other_codes_are_not_listed(built):
    arc, _, _ = built
    got = _hits(arc, "国办函〔2023〕7号")
    assert got == [("国办函〔2023〕7号", "docno")], got
    assert all(n != "冀政办发〔2023〕7号" for n, _ in _hits(arc, "国办函[2023]7号"))


def test_a_code_one_ocr_misreading_away_follows_as_a_near_number(built):
    arc, _, _ = built
    res = search(arc.conn, arc.index, "冀政办发〔2023〕1号", limit=50)
    got = [(h.record["doc_number"], h.matched) for h in res.hits]
    assert got == [("冀政办发〔2023〕1号", "docno"), ("费政办发〔2023〕1号", "docno_near")], got
    near = res.hits[1]
    assert "相近文号" in near.snippet and "费" in near.snippet and "冀" in near.snippet, near.snippet
    assert res.hits[0].snippet == ""
    # and the other way round: the misread number asked for finds itself first, the right one as near
    assert _hits(arc, "费政办发〔2023〕1号") == [("费政办发〔2023〕1号", "docno"), ("冀政办发〔2023〕1号", "docno_near")]


def test_a_bare_year_and_serial_still_lists_every_record_carrying_it(built):
    arc, ids, _ = built
    res = search(arc.conn, arc.index, "〔2023〕1号", limit=50)
    want = {ids[n] for n in NUMBERS if "〔2023〕1号" in n}
    assert {h.record["id"] for h in res.hits if h.matched == "docno"} == want
    assert {r["id"] for r in res.ambiguous} == want


def test_the_command_line_labels_each_kind(built):
    _, _, cfg_path = built
    r = run_config(cfg_path, "search", "冀政办发〔2023〕1号")
    assert r.returncode == 0, r.stderr
    assert "文号匹配" in r.stdout and "相近文号" in r.stdout, r.stdout
    for other in ("冀科农规", "冀科区", "某农发"):
        assert other not in r.stdout, r.stdout
    r = run_config(cfg_path, "search", "冀政办发〔2023〕1号", "--json")
    hits = json.loads(r.stdout)
    assert [(h["doc_number"], h["matched"]) for h in hits] == [("冀政办发〔2023〕1号", "docno"),
                                                               ("费政办发〔2023〕1号", "docno_near")]
