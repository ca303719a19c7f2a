"""Search over a real catalog and a real Whoosh index, built by the real pipeline from real files."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from archive.index import analyzer, index_text
from archive.search import MARK_START, Filters, search
from tests.gongwen_gen import gongwen_lines
from tests.makedocs import make_docx, make_pdf, make_text

ROOT = Path(__file__).resolve().parent.parent


def test_bigram_analyzer():
    toks = [t.text for t in analyzer()("关于加强档案管理的通知 GB/T 9704 国")]
    assert toks[:4] == ["关于", "于加", "加强", "强档"]
    assert "gb" in toks and "9704" in toks and toks[-1] == "国"
    assert index_text("档案管\n理工作 2022 年") == "档案管理工作 2022 年"


@pytest.fixture
def built(arc, tmp_path):
    """An archive of a dozen documents: own, superior, peer; 2017–2023; DOCX, PDF and text."""
    src = tmp_path / "src"
    src.mkdir()
    made = {}
    specs = [(54, 0, 2017), (1, 4, 2022), (2, 5, 2022), (3, 7, 2021), (4, 2, 2020), (5, 3, 2023),
             (6, 8, 2023), (7, 1, 2019), (8, 0, 2018), (9, 6, 2022), (10, 1, 2017), (11, 4, 2017)]
    for n, (i, kind, year) in enumerate(specs):
        lines = gongwen_lines(i, kind=kind, year=year)
        if i == 9:
            lines.insert(5, "请于汛期前完成对馆藏珍贵档案的抢救性修复工作。")
        maker = (make_docx, make_pdf, lambda p, l: make_text(p, "\n".join(l)))[n % 3]
        ext = ("docx", "pdf", "txt")[n % 3]
        made[i] = maker(src / f"{n}.{ext}", lines)
    results = {i: arc.ingest_file(p) for i, p in made.items()}
    arc.flush_index()
    assert all(r.outcome in ("archived", "excluded") for r in results.values()), \
        {i: (r.outcome, r.reason) for i, r in results.items()}
    return arc, {i: r.record for i, r in results.items()}


@pytest.mark.parametrize("query", ["〔2017〕55号", "[2017]55号", "（2017）55号", "2017年55号", "第55号",
                                   "示档发〔2017〕55号", "示档发2017年55号", "示档发[2017]55号", "〔２０１７〕５５号",
                                   "示档发〔2017〕第055号", "示档发 2017 55"])
def test_any_spelling_of_a_number_puts_that_document_first(built, query):
    arc, recs = built
    res = search(arc.conn, arc.index, query)
    assert res.hits, query
    assert res.hits[0].record["id"] == recs[54]["id"], [h.record["doc_number"] for h in res.hits]
    assert res.hits[0].matched == "docno"
    assert arc.resolve(query)["id"] == recs[54]["id"] or query in ("第55号",)


def test_words_and_phrases_find_the_document_with_a_snippet(built):
    arc, recs = built
    res = search(arc.conn, arc.index, "抢救性修复")
    assert [h.record["id"] for h in res.hits] == [recs[9]["id"]]
    assert MARK_START in res.hits[0].snippet and "修复" in res.hits[0].snippet
    res = search(arc.conn, arc.index, "台风 防御")  # two words: both must occur
    assert [h.record["id"] for h in res.hits] == [recs[2]["id"]]
    assert search(arc.conn, arc.index, "台风 财政").hits == []
    # a phrase that only occurs as separate characters does not match
    assert search(arc.conn, arc.index, "档案台风").hits == []


def test_a_word_needs_all_its_bigrams_a_quoted_phrase_needs_them_in_sequence(arc, tmp_path):
    make_text(tmp_path / "a.txt", "示例县档案局\n关于加强档案管理的通知\n正文。")
    make_text(tmp_path / "b.txt", "示例县财政局\n关于库房的通知\n档案室与案管员分开，管理处另行安排。")
    a, b = (arc.ingest_file(tmp_path / n).record["id"] for n in ("a.txt", "b.txt"))
    arc.flush_index()
    assert {h.record["id"] for h in search(arc.conn, arc.index, "档案管理").hits} == {a, b}
    assert [h.record["id"] for h in search(arc.conn, arc.index, '"档案管理"').hits] == [a]
    assert [h.record["id"] for h in search(arc.conn, arc.index, "档案管理").hits][0] == a  # title match first


def test_title_matches_rank_above_body_matches(built):
    arc, recs = built
    res = search(arc.conn, arc.index, "值班")
    assert res.hits[0].record["id"] == recs[5]["id"]


def test_filters_and_field_syntax(built):
    arc, recs = built
    all_ids = {r["id"] for r in recs.values()}
    by_year = search(arc.conn, arc.index, "档案", Filters(year=2017), limit=50)
    assert {h.record["year"] for h in by_year.hits} == {2017} and len(by_year.hits) == 3
    perm = search(arc.conn, arc.index, "档案", Filters(retention="Y"), limit=50)
    assert perm.hits and {h.record["retention"] for h in perm.hits} == {"Y"}
    excl = search(arc.conn, arc.index, "档案", Filters(status="excluded"), limit=50)
    assert {h.record["id"] for h in excl.hits} == {recs[2]["id"]}
    span = search(arc.conn, arc.index, "档案", Filters(date_from=dt.date(2021, 1, 1), date_to=dt.date(2022, 12, 31)),
                  limit=50)
    assert span.hits and all("2021-01-01" <= h.record["date"] <= "2022-12-31" for h in span.hits)
    issuer = search(arc.conn, arc.index, "档案", Filters(issuer="财政局"), limit=50)
    assert {h.record["issuer"] for h in issuer.hits} == {"示例县财政局"}
    kind = search(arc.conn, arc.index, "档案", Filters(doc_type="请示"), limit=50)
    assert {h.record["doc_type"] for h in kind.hits} == {"请示"}
    field = search(arc.conn, arc.index, "title:值班 AND year:2023", limit=50)
    assert [h.record["id"] for h in field.hits] == [recs[5]["id"]]
    # number lookups honour filters too
    assert search(arc.conn, arc.index, "〔2017〕55号", Filters(year=2018)).hits == []
    assert {h.record["id"] for h in search(arc.conn, arc.index, "档案", limit=50).hits} <= all_ids


def test_pagination(built):
    arc, _ = built
    everything = search(arc.conn, arc.index, "档案", limit=50)
    pages = [search(arc.conn, arc.index, "档案", limit=4, page=p) for p in (1, 2, 3)]
    assert pages[0].total == everything.total and pages[0].pages == -(-everything.total // 4)
    ids = [h.record["id"] for p in pages for h in p.hits]
    assert ids == [h.record["id"] for h in everything.hits][:12] and len(set(ids)) == len(ids)


def test_reindex_uses_the_catalog_only(built):
    arc, recs = built
    shutil.rmtree(arc.store.files)  # no stored file can be read again
    shutil.rmtree(arc.index.path)
    arc.index.close()
    assert arc.reindex() == len(recs)
    assert [h.record["id"] for h in search(arc.conn, arc.index, "抢救性修复").hits] == [recs[9]["id"]]


def _cli(cfg_path, *args, env=None):
    import os

    return subprocess.run([sys.executable, "-m", "archive", "--config", str(cfg_path), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("stage", ["committed", "indexed"])
def test_cli_search_json_and_crash_between_catalog_and_index(cfg_path, tmp_path, stage):
    src = tmp_path / "docs"
    src.mkdir()
    make_docx(src / "a.docx", gongwen_lines(54, kind=0, year=2017))
    make_pdf(src / "b.pdf", gongwen_lines(2, kind=5, year=2022))
    # killed after the catalog commit and before the index commit, or after the index commit and
    # before the catalog learns of it
    killed = _cli(cfg_path, "ingest", str(src), env={"ARCHIVE_FAULT_STAGE": stage})
    assert killed.returncode == -9
    make_text(src / "c.txt", "\n".join(gongwen_lines(3, kind=7, year=2021)))
    again = _cli(cfg_path, "ingest", str(src))  # start-up repairs the index, then ingests c.txt
    assert again.returncode == 0, again.stderr
    assert "索引" in again.stderr or stage == "committed"
    out = _cli(cfg_path, "search", "台风", "--json")
    data = json.loads(out.stdout)
    assert [d["doc_number"] for d in data] == ["示政发〔2022〕3号"]
    assert {"score", "snippet", "archival_code", "title"} <= set(data[0]) and "<em>台风</em>" in data[0]["snippet"]
    table = _cli(cfg_path, "search", "示档发[2017]55号")
    assert table.returncode == 0 and "示档发〔2017〕55号" in table.stdout and "档号" in table.stdout
    bad = _cli(cfg_path, "search", "档案", "--from", "2022-13-01")
    assert bad.returncode == 2 and "不是有效日期" in bad.stderr
    rebuilt = _cli(cfg_path, "reindex")
    assert rebuilt.returncode == 0 and "3 份" in rebuilt.stderr
