"""Search over a real catalog with each full-text backend (the FTS5 table inside the catalog, and a real Whoosh
index), built by the real pipeline from real files."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from archive import pipeline
from archive.index import analyzer, bigrams, index_text
from archive.search import MARK_START, Filters, fill_snippets, search
from tests.conftest import copy_prepared, write_config
from tests.gongwen_gen import gongwen_lines
from tests.makedocs import make_docx, make_pdf, make_text
from tests.clirun import run_config

ROOT = Path(__file__).resolve().parent.parent
ENGINE_LINE = 'engine = "sqlite"'


@pytest.fixture(scope="module", params=["sqlite", "whoosh"])
def engine(request):
    return request.param


@pytest.fixture
def cfg_path(tmp_path, engine):
    return write_config(tmp_path, **{ENGINE_LINE: f'engine = "{engine}"'})


def test_bigram_analyzer():
    toks = [t.text for t in analyzer()("关于加强档案管理的通知 GB/T 9704 国")]
    assert toks[:4] == ["关于", "于加", "加强", "强档"]
    assert "gb" in toks and "9704" in toks and toks[-1] == "国"
    assert index_text("档案管\n理工作 2022 年") == "档案管理工作 2022 年"
    # the FTS5 table stores the same tokens, space-separated
    assert bigrams("关于加强档案管理的通知 GB/T 9704 国").split() == toks
    assert bigrams(None) == bigrams("") == ""


@pytest.fixture(scope="module")
def _built_template(engine, tmp_path_factory):
    """An archive of a dozen documents: own, superior, peer; 2017–2023; DOCX, PDF and text. Filed once per
    engine and module; ``built_ro`` shares one opened copy among the tests that only read, ``built`` gives a
    test that changes it a copy of its own."""
    from archive.config import load_config
    from archive.session import open_archive

    folder = tmp_path_factory.mktemp(f"search-{engine}")
    arc = open_archive(load_config(write_config(folder, **{ENGINE_LINE: f'engine = "{engine}"'})), create=True)
    src = folder / "src"
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
    try:
        results = {i: pipeline.ingest_file(arc, p) for i, p in made.items()}
    finally:
        arc.close()
    assert all(r.outcome in ("archived", "excluded") for r in results.values()), \
        {i: (r.outcome, r.reason) for i, r in results.items()}
    return folder, {i: r.record for i, r in results.items()}


def _open_copy(template, dest: Path):
    from archive.config import load_config
    from archive.session import open_archive

    folder, recs = template
    copy_prepared(folder, dest)
    return open_archive(load_config(dest / "config.toml")), {i: dict(r) for i, r in recs.items()}


@pytest.fixture(scope="module")
def built_ro(_built_template, tmp_path_factory):
    """The module's archive, opened once for the tests that only search it."""
    arc, recs = _open_copy(_built_template, tmp_path_factory.mktemp("search-ro"))
    yield arc, recs
    arc.close()


@pytest.fixture
def built(_built_template, cfg_path):
    """A copy of the module's archive (its config at ``cfg_path``) for a test that changes it."""
    arc, recs = _open_copy(_built_template, cfg_path.parent)
    yield arc, recs
    arc.close()


@pytest.mark.parametrize("query", ["〔2017〕55号", "[2017]55号", "（2017）55号", "2017年55号", "第55号",
                                   "示档发〔2017〕55号", "示档发2017年55号", "示档发[2017]55号", "〔２０１７〕５５号",
                                   "示档发〔2017〕第055号", "示档发 2017 55"])
def test_any_spelling_of_a_number_puts_that_document_first(built_ro, query):
    arc, recs = built_ro
    res = search(arc.conn, arc.index, query)
    assert res.hits, query
    assert res.hits[0].record["id"] == recs[54]["id"], [h.record["doc_number"] for h in res.hits]
    assert res.hits[0].matched == "docno"
    assert arc.resolve(query)["id"] == recs[54]["id"] or query in ("第55号",)


def test_words_and_phrases_find_the_document_with_a_snippet(built_ro):
    arc, recs = built_ro
    res = search(arc.conn, arc.index, "抢救性修复")
    assert [h.record["id"] for h in res.hits] == [recs[9]["id"]]
    assert MARK_START in res.hits[0].snippet and "修复" in res.hits[0].snippet
    res = search(arc.conn, arc.index, "台风 防御")  # two words: both must occur
    assert [h.record["id"] for h in res.hits] == [recs[2]["id"]]
    assert search(arc.conn, arc.index, "台风 财政").hits == []
    # a phrase that only occurs as separate characters does not match
    assert search(arc.conn, arc.index, "档案台风").hits == []


def test_snippets_left_out_then_filled_are_those_search_gives(built_ro, engine):
    """The web page's sorted list asks for 200 hits without snippets and fills those of the page it shows
    (bench/web_bench.md): the same hits, scores and snippets as a search that makes them all."""
    arc, recs = built_ro
    for q in ("档案", "台风 防御", '"抢救性修复"', "示档发〔2017〕55号", "〔2017〕55号 档案", "year:2017 档案"):
        full = search(arc.conn, arc.index, q, limit=50)
        bare = search(arc.conn, arc.index, q, limit=50, text_snippets=False)
        assert [(h.record, h.score, h.matched) for h in bare.hits] == [(h.record, h.score, h.matched)
                                                                        for h in full.hits], q
        assert (bare.total, bare.exact) == (full.total, full.exact)
        if engine == "sqlite":  # the cost left out: no text snippet made
            assert not any(h.snippet for h in bare.hits if h.matched == "text"), q
        some = bare.hits[::-2]  # any subset, in any order
        assert {h.record["id"]: h.snippet for h in fill_snippets(arc.conn, arc.index, q, some)} == \
            {h.record["id"]: h.snippet for h in full.hits if h.record["id"] in {x.record["id"] for x in some}}, q
    assert any(MARK_START in h.snippet for h in search(arc.conn, arc.index, "档案", limit=50).hits)


def test_equal_scores_come_in_record_order_and_the_count_is_all_matches(arc, tmp_path):
    """The SQLite engine's best hits (ranked by bm25 through SQLite's top-k, bench/web_bench.md): records scoring
    the same come in record order, on every page, and the count is every match, not the page's."""
    ids = []
    for k, name in enumerate("甲乙丙丁戊"):
        make_text(tmp_path / f"{k}.txt", f"示例县档案局\n关于{name}事项的通知\n{name}单位：请核对台账。")
        ids.append(pipeline.ingest_file(arc, tmp_path / f"{k}.txt").record["id"])
    pages = [search(arc.conn, arc.index, "台账", limit=2, page=n) for n in (1, 2, 3)]
    assert [h.record["id"] for p in pages for h in p.hits] == ids
    assert len({h.score for p in pages for h in p.hits}) == 1  # all tied
    assert [p.total for p in pages] == [5, 5, 5] and pages[0].pages == 3


def test_a_word_needs_all_its_bigrams_a_quoted_phrase_needs_them_in_sequence(arc, tmp_path, engine):
    make_text(tmp_path / "a.txt", "示例县档案局\n关于加强档案管理的通知\n正文。")
    make_text(tmp_path / "b.txt", "示例县财政局\n关于库房的通知\n档案室与案管员分开，管理处另行安排。")
    a, b = (pipeline.ingest_file(arc, tmp_path / n).record["id"] for n in ("a.txt", "b.txt"))
    # Whoosh matches an unquoted word by its bigrams anywhere (over-matching b); FTS5 checks their sequence
    # at no extra cost, so a word matches exactly where it stands as written
    expected = {a, b} if engine == "whoosh" else {a}
    assert {h.record["id"] for h in search(arc.conn, arc.index, "档案管理").hits} == expected
    assert [h.record["id"] for h in search(arc.conn, arc.index, '"档案管理"').hits] == [a]
    assert [h.record["id"] for h in search(arc.conn, arc.index, "档案管理").hits][0] == a  # title match first


def test_title_matches_rank_above_body_matches(built_ro):
    arc, recs = built_ro
    res = search(arc.conn, arc.index, "值班")
    assert res.hits[0].record["id"] == recs[5]["id"]


def test_filters_and_field_syntax(built_ro):
    arc, recs = built_ro
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


def test_pagination(built_ro):
    arc, _ = built_ro
    everything = search(arc.conn, arc.index, "档案", limit=50)
    pages = [search(arc.conn, arc.index, "档案", limit=4, page=p) for p in (1, 2, 3)]
    assert pages[0].total == everything.total and pages[0].pages == -(-everything.total // 4)
    ids = [h.record["id"] for p in pages for h in p.hits]
    assert ids == [h.record["id"] for h in everything.hits][:12] and len(set(ids)) == len(ids)


def test_reindex_uses_the_catalog_only(built, engine):
    arc, recs = built
    shutil.rmtree(arc.store.files)  # no stored file can be read again
    if engine == "whoosh":
        shutil.rmtree(arc.index.path)
    else:
        arc.conn.execute("INSERT INTO fulltext(fulltext) VALUES ('delete-all')")
        assert search(arc.conn, arc.index, "抢救性修复").hits == []
    arc.index.close()
    assert arc.reindex() == len(recs)
    assert [h.record["id"] for h in search(arc.conn, arc.index, "抢救性修复").hits] == [recs[9]["id"]]


def _cli(cfg_path, *args, env=None):
    return run_config(cfg_path, *args, env=env)


@pytest.mark.parametrize("stage", ["in-transaction", "committed", "indexed"])
def test_cli_search_json_and_crash_between_catalog_and_index(cfg_path, tmp_path, stage, engine):
    if stage == "indexed" and engine == "sqlite":
        pytest.skip("the FTS5 table is written in the record's own transaction: there is no later index commit")
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
    assert "索引" in again.stderr or stage != "indexed" or engine == "sqlite"
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


# ---- the FTS5 backend: exact results and counts, kept in step by the catalog's own triggers -------------------
def _scan(arc, word: str) -> set[int]:
    """Brute force: the records whose title or text contains ``word`` (as indexed: no line breaks inside)."""
    return {r[0] for r in arc.conn.execute("SELECT d.id, coalesce(d.title, d.filename), t.text FROM documents d "
                                           "JOIN document_texts t ON t.document_id = d.id")
            if word in index_text(r[1] or "") or word in index_text(r[2] or "")}


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_fts_results_and_counts_equal_a_scan(built_ro):
    arc, recs = built_ro
    for word in ("档案", "通知", "抢救性修复", "管理", "工作", "2022", "示例县", "台风"):
        res = search(arc.conn, arc.index, word, limit=100)
        assert res.exact and res.total == len(res.hits) == len(_scan(arc, word)), word
        assert {h.record["id"] for h in res.hits} == _scan(arc, word), word
    both = search(arc.conn, arc.index, "档案 工作", limit=100)
    assert {h.record["id"] for h in both.hits} == _scan(arc, "档案") & _scan(arc, "工作")
    either = search(arc.conn, arc.index, "台风 OR 抢救性修复", limit=100)
    assert {h.record["id"] for h in either.hits} == _scan(arc, "台风") | _scan(arc, "抢救性修复")
    minus = search(arc.conn, arc.index, "档案 NOT 台风", limit=100)
    assert {h.record["id"] for h in minus.hits} == _scan(arc, "档案") - _scan(arc, "台风")
    ranged = search(arc.conn, arc.index, "档案 year:[2021 TO 2022]", limit=100)
    assert {h.record["id"] for h in ranged.hits} == {i for i in _scan(arc, "档案") if
                                                    arc.conn.execute("SELECT year FROM documents WHERE id=?",
                                                                     (i,)).fetchone()[0] in (2021, 2022)}
    mixed = search(arc.conn, arc.index, "台风 OR year:2017", limit=100)
    assert {h.record["id"] for h in mixed.hits} == _scan(arc, "台风") | {
        r[0] for r in arc.conn.execute("SELECT id FROM documents WHERE year=2017")}
    assert search(arc.conn, arc.index, "，。").hits == []  # nothing searchable: no hits, no error


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_fts_follows_every_change_of_a_record_in_its_own_transaction(built):
    """Title and text changes by any module (review, imports, destroy) are indexed by the triggers."""
    arc, recs = built
    conn, rid = arc.conn, recs[9]["id"]
    conn.execute("UPDATE documents SET title='关于荸荠种植的通知' WHERE id=?", (rid,))
    assert [h.record["id"] for h in search(arc.conn, arc.index, "title:荸荠").hits] == [rid]
    conn.execute("UPDATE document_texts SET text = text || '\n附件：蓑衣鹤' WHERE document_id=?", (rid,))
    assert [h.record["id"] for h in search(arc.conn, arc.index, "蓑衣鹤").hits] == [rid]
    conn.execute("INSERT OR REPLACE INTO document_texts(document_id, text) VALUES (?, '全新的正文')", (rid,))
    assert search(arc.conn, arc.index, "抢救性修复").hits == [] and search(arc.conn, arc.index, "蓑衣鹤").hits == []
    assert [h.record["id"] for h in search(arc.conn, arc.index, "全新的正文").hits] == [rid]
    conn.execute("UPDATE document_texts SET text='' WHERE document_id=?", (rid,))  # destroy empties the text
    assert search(arc.conn, arc.index, "全新的正文").hits == []
    # a change rolled back leaves the index as it was
    conn.execute("BEGIN")
    conn.execute("UPDATE document_texts SET text='回滚的正文' WHERE document_id=?", (rid,))
    conn.execute("ROLLBACK")
    assert search(arc.conn, arc.index, "回滚的正文").hits == []
    assert arc.index.indexed_ids() == {r["id"] for r in recs.values()}  # FTS5's integrity check passes
    with pytest.raises(Exception):
        conn.execute("DELETE FROM document_texts WHERE document_id=?", (rid,))


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_switching_engines_with_reindex(built, cfg_path):
    """sqlite -> whoosh -> sqlite by editing [index] engine and running archive reindex."""
    arc, recs = built
    arc.close()
    for engine, files in (("whoosh", True), ("sqlite", False)):
        text = cfg_path.read_text(encoding="utf-8")
        cfg_path.write_text(text.replace('engine = "sqlite"', f'engine = "{engine}"')
                            .replace('engine = "whoosh"', f'engine = "{engine}"'), encoding="utf-8")
        done = _cli(cfg_path, "reindex")
        assert done.returncode == 0 and f"{len(recs)} 份" in done.stderr, done.stderr
        assert (arc.cfg.store / "index").exists() == files
        out = json.loads(_cli(cfg_path, "search", "抢救性修复", "--json").stdout)
        assert [d["id"] for d in out] == [recs[9]["id"]]
        verify = _cli(cfg_path, "verify")
        assert "全文索引" not in verify.stdout + verify.stderr, verify.stdout


def test_query_plan_splits_text_and_fields():
    from archive.index.fts import plan

    p = plan('title:档案 AND year:2022 "管理 办法" NOT 草稿')
    assert p.match == '(({title} : "档案" AND {title body} : "管理 理办 办法") NOT ({title body} : "草稿"))'
    assert p.where == "d.year >= ? AND d.year <= ?" and p.args == [2022, 2022]
    assert plan("2022年").match == '{title body} : "2022 年" *'
    assert plan("year:2022").match is None and plan("year:2022").args == [2022, 2022]
    assert plan("foo:档案").match == '({title body} : "foo" AND {title body} : "档案")'  # not a field: text
    # an unquoted word: each run in sequence, the runs anywhere; full-width digits as ASCII
    assert plan("府令２００７年").match == '({title body} : "府令" AND {title body} : "2007 年" *)'


def test_a_word_with_a_number_inside_finds_the_number_in_any_brackets(arc, tmp_path):
    make_text(tmp_path / "a.txt", "河北省人民政府令\n〔2007〕第5号\n关于档案工作的规定\n正文。")
    a = pipeline.ingest_file(arc, tmp_path / "a.txt").record["id"]
    for q in ("河北省人民政府令２００７年５号", "人民政府令 2007", "政府令2007"):
        assert [h.record["id"] for h in search(arc.conn, arc.index, q).hits] == [a], q


def test_a_snippet_from_a_prefix_is_the_snippet_from_the_whole_text():
    """Snippets flatten the shortest prefix of a text that decides its first hit (issue 29): the same hit and
    the same characters around it as flattening the whole text, whatever stands at a prefix's end — spaces and
    line breaks between Chinese characters (joined), a run of spaces, a Greek capital sigma (lowercased by what
    follows it), a dotted capital I (longer when lowercased) — and for a hit in the last characters."""
    import random
    import re

    from archive.search import _first_hit

    def whole(text, keys):
        flat = re.sub(r"\s+", " ", index_text(text))
        found = [k for k in (flat.lower().find(w) for w in keys) if k >= 0]
        return (flat, min(found)) if found else (flat, None)

    for start in (100, 200, 1024):  # a prefix of ``start`` characters ends in a space the whole text joins away
        k = start - 65
        text = "工" * k + "理" + "工" * (start - k - 2) + " " + "作" * 80
        flat, got = _first_hit(text, ["理"], start)
        assert got == k and flat[k - 25:k + 65] == whole(text, ["理"])[0][k - 25:k + 65]
    rnd = random.Random(29)
    alphabet = list("档案管理工作年度") + [" ", "\n", "\u3000", "\t", "A", "b", "Σ", "σ", "0", "1", ".", "'", "İ"]
    for _ in range(3000):
        n = rnd.choice([10, 300, 1500, 5000])
        text = "".join(rnd.choice(alphabet) for _ in range(n))
        keys = ["".join(rnd.choice("档案管理工aσ") for _ in range(rnd.randint(1, 4))) for _ in range(rnd.randint(1, 3))]
        for start in (4, 64, 1024):
            flat, k = _first_hit(text, keys, start)
            wflat, wk = whole(text, keys)
            assert k == wk, (text, keys, start)
            if k is not None:
                assert flat[max(0, k - 25):k + 65] == wflat[max(0, k - 25):k + 65], (text, keys, start)
