"""Correcting a record (archive edit, archive/edit.py) on a real archive: the command in a real process, the
event log, the seal, the full text (FTS5 and Whoosh), the 发文字号 keys, the 档号 that a correction never moves,
confirm refusing a record without its required fields, the web form, and automatic steps (recover, attaching a
file) that leave a person's correction alone."""

from __future__ import annotations

import json
import sqlite3

import pytest

from archive import pipeline
from archive import catalog, display
from archive.errors import EditError, ReviewError, UsageError
from conftest import copy_prepared, write_config
from gongwen_gen import gongwen_lines
from makedocs import make_pdf, make_text
from tests.clirun import run_config

NEW_TITLE = "示例县档案局关于开展档案数字化专项检查的通知"


def _cli(cfg_path, *args, env=None):
    return run_config(cfg_path, *args, env=env)


def _db(cfg_path):
    conn = sqlite3.connect(cfg_path.parent / "store" / "catalog.sqlite")
    conn.row_factory = sqlite3.Row
    return conn


def _row(cfg_path, doc_id):
    conn = _db(cfg_path)
    try:
        return dict(conn.execute("SELECT * FROM documents WHERE id=?", (doc_id,)).fetchone())
    finally:
        conn.close()


def _events(cfg_path, doc_id=None):
    conn = _db(cfg_path)
    try:
        sql = "SELECT * FROM events" + (" WHERE document_id=?" if doc_id else "") + " ORDER BY id"
        return [dict(r) for r in conn.execute(sql, (doc_id,) if doc_id else ())]
    finally:
        conn.close()


def _one_line_error(r, code: int) -> str:
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误：") and "Traceback" not in r.stderr, r.stderr
    return lines[0]


def _search_ids(cfg_path, query):
    r = _cli(cfg_path, "search", query, "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    hits = data["results"] if isinstance(data, dict) else data
    return {h["id"] for h in hits}


@pytest.fixture(scope="session")
def _filed_template(tmp_path_factory):
    """Built once per test process: the archive of ``filed`` and the ids of its records."""
    folder = tmp_path_factory.mktemp("edit-template")
    cfg_path = write_config(folder)
    src = folder / "src"
    src.mkdir()
    make_pdf(src / "a.pdf", gongwen_lines(0, 0, 2021))
    make_pdf(src / "b.pdf", gongwen_lines(1, 0, 2021))
    make_text(src / "c.txt", "会上大家讨论了档案室搬迁的事情，意见如下。\n一、尽快落实场地。\n二、做好防潮。\n")
    assert _cli(cfg_path, "init").returncode == 0
    r = _cli(cfg_path, "ingest", str(src), "--json")
    assert r.returncode == 0, r.stderr
    recs = {i["file"].rsplit("/", 1)[-1]: i for i in json.loads(r.stdout)}
    assert recs["a.pdf"]["outcome"] == recs["b.pdf"]["outcome"] == "archived"
    assert recs["c.txt"]["outcome"] == "pending"
    return folder, {k: v["id"] for k, v in recs.items()}


@pytest.fixture
def filed(tmp_path, _filed_template):
    """An archive (config in tmp_path) with two archived 2021 PDFs (永久 BGS) and one pending text without a
    title, a date or an issuer; filed through the command line once, copied for each test."""
    template, ids = _filed_template
    copy_prepared(template, tmp_path)
    return tmp_path / "config.toml", dict(ids)


# ---- point 1: the change, the event, the seal, the index, verify ---------------------------------------------
def test_edit_logs_every_change_in_one_event_renews_the_seal_and_the_index(filed):
    cfg_path, ids = filed
    a = ids["a.pdf"]
    old = _row(cfg_path, a)
    assert old["doc_number"] == "示档发〔2021〕1号" and a in _search_ids(cfg_path, "示档发〔2021〕1号")
    n_events = len(_events(cfg_path))
    r = _cli(cfg_path, "--operator", "王科长", "edit", str(a), "--title", NEW_TITLE,
             "--doc-number", "示档发[2021]９９号", "--issuer", "示例县档案局办公室",
             "--date", "二〇二一年六月三十日", "--pages", "7", "--doc-type", "通知", "--reason", "核对原件，OCR 误识",
             "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["title"] == NEW_TITLE and out["date"] == "2021-06-30" and out["pages"] == 7
    assert out["archival_code"] == old["archival_code"], "a correction never moves the 档号"
    assert out["corrected"] == ["title", "doc_number", "issuer", "date", "pages"] + (
        ["doc_type"] if old["doc_type"] != "通知" else [])

    # one event, with who, why, and every changed column before and after
    evs = _events(cfg_path)
    assert len(evs) == n_events + 1
    ev = evs[-1]
    detail = json.loads(ev["detail"])
    assert ev["action"] == "edit" and ev["document_id"] == a
    assert "王科长" in ev["actor"] and "操作人声明" in ev["actor"]
    assert detail["reason"] == "核对原件，OCR 误识"
    assert detail["before"]["title"] == old["title"] and detail["after"]["title"] == NEW_TITLE
    assert detail["before"]["doc_number"] == "示档发〔2021〕1号" and detail["after"]["doc_number"] == "示档发〔2021〕99号"
    assert detail["after"]["doc_number_raw"] == "示档发[2021]９９号"
    assert detail["before"]["date"] == old["date"] and detail["after"]["date"] == "2021-06-30"
    assert detail["before"]["pages"] == old["pages"] and detail["after"]["pages"] == 7
    assert detail["before"]["issuer"] == old["issuer"] and detail["after"]["issuer"] == "示例县档案局办公室"
    assert "year" not in detail["after"]  # same year: the 年度 stays
    assert detail["digest"] == catalog.record_digest(_row(cfg_path, a))  # the seal renewed

    # the 发文字号 read as ingest reads it: canonical form, parts, spelling-independent keys
    row = _row(cfg_path, a)
    assert (row["docno_code"], row["docno_year"], row["docno_serial"], row["docno_kind"]) == ("示档发", 2021, 99,
                                                                                              "standard")
    assert _search_ids(cfg_path, "示档发〔2021〕99号") == {a}
    conn = _db(cfg_path)
    assert [i for i, _ in catalog.docno_matches(conn, "示档发〔2021〕1号")] == []  # (its text still says it)
    assert [i for i, _ in catalog.docno_matches(conn, "示档发2021-99")] == [a]
    conn.close()
    r = _cli(cfg_path, "show", "示档发(2021)99号", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["id"] == a
    # the full text index, in the same transaction
    assert _search_ids(cfg_path, "title:数字化专项检查") == {a}
    assert a not in _search_ids(cfg_path, "title:档案管理办法")
    assert a in _search_ids(cfg_path, "issuer:档案局办公室")

    # verify is clean afterwards, and show names the corrected fields
    v = _cli(cfg_path, "verify")
    assert v.returncode == 0, v.stdout
    assert "著录项与事件日志记载的不符" not in v.stdout
    shown = _cli(cfg_path, "show", str(a)).stdout
    assert "人工更正" in shown and "题名、发文字号、责任者、成文日期、页数" in shown
    human = _cli(cfg_path, "edit", str(a), "--pages", "8", "--reason", "重数页数")
    assert human.returncode == 0 and "页数 7 → 8" in human.stderr, human.stderr


def test_a_row_changed_behind_the_programs_back_after_an_edit_is_found(filed):
    cfg_path, ids = filed
    a = ids["a.pdf"]
    assert _cli(cfg_path, "edit", str(a), "--title", NEW_TITLE, "--reason", "更正题名").returncode == 0
    assert _cli(cfg_path, "verify").returncode == 0
    conn = _db(cfg_path)
    conn.execute("UPDATE documents SET corrected=NULL WHERE id=?", (a,))  # the mark of a correction removed
    conn.commit()
    conn.close()
    v = _cli(cfg_path, "verify")
    assert v.returncode == 1 and "著录项与事件日志记载的不符" in v.stdout


def test_edit_updates_a_whoosh_index(tmp_path):
    cfg_path = write_config(tmp_path, **{'engine = "sqlite"': 'engine = "whoosh"'})
    src = tmp_path / "src"
    src.mkdir()
    make_pdf(src / "a.pdf", gongwen_lines(0, 0, 2021))
    assert _cli(cfg_path, "ingest", str(src)).returncode == 0
    assert _search_ids(cfg_path, "title:数字化专项检查") == set()
    r = _cli(cfg_path, "edit", "1", "--title", NEW_TITLE, "--reason", "更正题名")
    assert r.returncode == 0, r.stderr
    assert _search_ids(cfg_path, "title:数字化专项检查") == {1}
    assert _row(cfg_path, 1)["indexed"] == 1, "written to the Whoosh folder after the commit"
    v = _cli(cfg_path, "verify")
    assert v.returncode == 0, v.stdout


# ---- the year and the 档号 --------------------------------------------------------------------------------------
def test_an_archived_records_date_in_another_year_is_refused_with_a_pointer_to_reclassify(filed):
    cfg_path, ids = filed
    a = ids["a.pdf"]
    before, n = _row(cfg_path, a), len(_events(cfg_path))
    line = _one_line_error(_cli(cfg_path, "edit", str(a), "--date", "2020-12-31", "--title", NEW_TITLE,
                                "--reason", "核对原件"), 1)
    assert "archive reclassify" in line and "--year 2020" in line and before["archival_code"] in line
    assert _row(cfg_path, a) == before and len(_events(cfg_path)) == n, "nothing of the refused edit stays"
    # within the same year the date is corrected and the 档号 stays
    r = _cli(cfg_path, "edit", str(a), "--date", "2021-12-31", "--reason", "核对原件", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["archival_code"] == before["archival_code"]
    # the way the line points to: reclassify into 2020 (new 档号, the old one explained), then the date
    r = _cli(cfg_path, "reclassify", str(a), "--year", "2020", "--reason", "成文日期实为2020年")
    assert r.returncode == 0, r.stderr
    r = _cli(cfg_path, "edit", str(a), "--date", "2020-12-31", "--reason", "核对原件", "--json")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["year"] == 2020 and rec["archival_code"] == "Z109-WS·2020-Y-BGS-0001"
    v = _cli(cfg_path, "verify")
    assert v.returncode == 0, v.stdout
    assert "年份不同" not in v.stdout


# ---- confirm refuses an incomplete record; edit fills it in -------------------------------------------------------
def test_confirm_refuses_a_record_without_its_required_fields_and_edit_fills_them_in(filed):
    cfg_path, ids = filed
    c = ids["c.txt"]
    row = _row(cfg_path, c)
    assert row["title"] is None and row["date"] is None and row["year"] is None
    line = _one_line_error(_cli(cfg_path, "confirm", str(c), "--retention", "永久", "--org", "BGS",
                                "--year", "2019"), 1)
    assert "缺少必备著录项：题名、成文日期、责任者" in line and f"archive edit {c}" in line
    assert _row(cfg_path, c)["status"] == "pending"
    r = _cli(cfg_path, "edit", str(c), "--title", "关于档案室搬迁的会议纪要", "--date", "2019年3月5日",
             "--issuer", "示例县档案局", "--doc-type", "纪要", "--reason", "按原件补录", "--json")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["year"] == 2019 and rec["status"] == "pending", "a record without a 档号 takes its date's year"
    detail = json.loads(_events(cfg_path, c)[-1]["detail"])
    assert detail["before"]["year"] is None and detail["after"]["year"] == 2019
    r = _cli(cfg_path, "confirm", str(c), "--retention", "永久", "--org", "BGS", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["archival_code"] == "Z109-WS·2019-Y-BGS-0001"
    v = _cli(cfg_path, "verify")
    assert v.returncode == 0 and "缺少必备著录项" not in v.stdout, v.stdout
    # the search finds it by its new title
    assert c in _search_ids(cfg_path, "title:搬迁的会议纪要")


def test_confirm_in_the_library_and_reclassify_to_archived_refuse_too(arc, tmp_path):
    from archive.review import confirm, reclassify

    pipeline.ingest_file(arc, make_text(tmp_path / "c.txt", "会上讨论了档案室搬迁。\n"))
    row = arc.conn.execute("SELECT * FROM documents").fetchone()
    with pytest.raises(ReviewError, match="缺少必备著录项"):
        confirm(arc, row, retention="Y", org="BGS", year=2019)
    rec = confirm(arc, row, retention=None, org=None, exclude=True)  # excluding needs nothing
    assert rec["status"] == "excluded"
    row = arc.conn.execute("SELECT * FROM documents").fetchone()
    with pytest.raises(ReviewError, match="缺少必备著录项"):
        reclassify(arc, row, status="archived", retention="Y", org="BGS", year=2019, reason="误判")


# ---- what is refused --------------------------------------------------------------------------------------------
def test_refused_corrections_change_nothing(arc, tmp_path):
    from archive.edit import edit

    pipeline.ingest_file(arc, make_pdf(tmp_path / "a.pdf", gongwen_lines(0, 0, 2021)))
    row = lambda: arc.conn.execute("SELECT * FROM documents WHERE id=1").fetchone()  # noqa: E731
    before, n = dict(row()), arc.conn.execute("SELECT count(*) FROM events").fetchone()[0]
    for changes, reason, err, match in (
        ({"title": "新题名"}, "", EditError, "必须说明原因"),
        ({"title": "新题名"}, "   ", EditError, "必须说明原因"),
        ({}, "x", EditError, "没有给出要更正的著录项"),
        ({"title": before["title"]}, "x", EditError, "没有变化"),
        ({"title": ""}, "x", EditError, "不能清空"),
        ({"date": ""}, "x", EditError, "不能清空"),
        ({"pages": "0"}, "x", UsageError, "超出范围"),
        ({"pages": "三"}, "x", UsageError, "不是整数"),
        ({"date": "2021-02-30"}, "x", UsageError, "不是有效日期"),
        ({"date": "1900-01-01"}, "x", UsageError, "超出范围"),
        ({"doc_number": "第三季度"}, "x", UsageError, "不是可识别的发文字号"),
        ({"title": "长" * 501}, "x", UsageError, "过长"),
    ):
        with pytest.raises(err, match=match):
            edit(arc, row(), changes, reason=reason)
    with pytest.raises(ValueError):
        edit(arc, row(), {"secrecy": ""}, reason="去掉密级")  # 密级 is never a correction
    assert dict(row()) == before
    assert arc.conn.execute("SELECT count(*) FROM events").fetchone()[0] == n


def test_a_doc_number_can_be_cleared_and_its_keys_go(arc, tmp_path):
    from archive.edit import edit

    pipeline.ingest_file(arc, make_pdf(tmp_path / "a.pdf", gongwen_lines(0, 0, 2021)))
    row = arc.conn.execute("SELECT * FROM documents WHERE id=1").fetchone()
    assert arc.conn.execute("SELECT count(*) FROM docno_keys WHERE document_id=1").fetchone()[0] > 0
    res = edit(arc, row, {"doc_number": ""}, reason="此件无文号")
    assert res.record["doc_number"] is None and res.record["doc_number_raw"] is None
    assert arc.conn.execute("SELECT count(*) FROM docno_keys WHERE document_id=1").fetchone()[0] == 0
    assert res.before["doc_number"] == "示档发〔2021〕1号" and res.after["doc_number"] is None
    assert catalog.corrected_fields(arc.conn, 1) == {"doc_number"}


def test_command_line_usage(filed):
    cfg_path, ids = filed
    r = _cli(cfg_path, "edit", str(ids["a.pdf"]), "--title", NEW_TITLE)
    assert r.returncode == 2 and "--reason" in r.stderr  # the reason is required
    line = _one_line_error(_cli(cfg_path, "edit", "9999", "--title", NEW_TITLE, "--reason", "x"), 1)
    assert "找不到" in line
    line = _one_line_error(_cli(cfg_path, "edit", str(ids["a.pdf"]), "--date", "明天", "--reason", "x"), 2)
    assert "--date 成文日期" in line
    help_text = _cli(cfg_path, "edit", "--help").stdout
    for opt in ("--title", "--doc-number", "--issuer", "--date", "--pages", "--doc-type", "--reason"):
        assert opt in help_text
    assert "--secrecy" not in help_text


# ---- a correction is never overwritten by an automatic step ------------------------------------------------------
def _break_an_index_page(db):
    """Overwrite one page of an index b-tree: the catalog no longer passes quick_check (recover takes it for
    damaged) while the documents and events tables still read."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name='documents_year'").fetchone()
    conn.close()
    with open(db, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xff" * page_size)


@pytest.mark.slow
def test_recover_keeps_a_persons_correction(filed):
    cfg_path, ids = filed
    a = ids["a.pdf"]
    sha = _row(cfg_path, a)["sha256"]
    assert _cli(cfg_path, "edit", str(a), "--title", NEW_TITLE, "--pages", "9", "--reason", "核对原件").returncode == 0
    _break_an_index_page(cfg_path.parent / "store" / "catalog.sqlite")
    r = _cli(cfg_path, "recover", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["from_old_catalog"] == 3
    conn = _db(cfg_path)
    row = conn.execute("SELECT * FROM documents WHERE sha256=?", (sha,)).fetchone()
    other = conn.execute("SELECT * FROM documents WHERE sha256<>? AND title IS NOT NULL", (sha,)).fetchone()
    ev = conn.execute("SELECT detail FROM events WHERE document_id=? AND action='recover'", (row["id"],)).fetchone()
    conn.close()
    assert row["title"] == NEW_TITLE and row["pages"] == 9, "the file reads otherwise; the person's reading stays"
    assert json.loads(row["corrected"]) == ["title", "pages"] and row["status"] == "pending"
    assert json.loads(ev["detail"])["corrected"] == ["title", "pages"]
    assert "档案管理办法" in other["title"], "an uncorrected record is read again from its file"
    assert _search_ids(cfg_path, "title:数字化专项检查") == {row["id"]}
    v = _cli(cfg_path, "verify")
    assert "著录项与事件日志记载的不符" not in v.stdout, v.stdout


def test_attaching_a_file_keeps_corrected_pages(arc, tmp_path):
    from archive.edit import edit
    from archive.importing import ImportedFile, attach_file, import_record

    rec = import_record(arc, {"archival_code": "Z109-WS·2015-Y-BGS-0001", "title": "关于档案工作的通知",
                              "issuer": "示例县档案局", "date": "2015-03-02"}, None, source={"file": "目录.csv"})
    row = arc.conn.execute("SELECT * FROM documents WHERE id=?", (rec["id"],)).fetchone()
    edit(arc, row, {"pages": "3", "title": "关于加强档案工作的通知"}, reason="按纸质原件")
    pdf = make_pdf(tmp_path / "scan.pdf", ["关于档案工作的通知", "正文"])
    attached = attach_file(arc, rec["id"], ImportedFile(pdf), source={"file": "目录.csv"})
    assert attached["pages"] == 3 and attached["title"] == "关于加强档案工作的通知"
    assert catalog.corrected_fields(arc.conn, rec["id"]) == {"title", "pages"}
    from archive.verify import verify

    rep = verify(arc)
    assert not [f for f in rep.errors if f.item == "著录项与事件日志一致"], [f.message for f in rep.errors]


# ---- the web page's correction form ----------------------------------------------------------------------------
def test_the_record_page_corrects_with_the_same_service_for_archivists_only(cfg, tmp_path):
    pytest.importorskip("starlette")
    from tests.test_web import PASSWORD, ROLES, client_for, csrf_of, login, token  # noqa: F401
    from archive.session import open_archive
    from archive.web import accounts, create_app

    arc = open_archive(cfg, create=True)
    for name, role in ROLES.items():
        accounts.add_user(arc.conn, name, role, PASSWORD)
    doc = pipeline.ingest_file(arc, make_pdf(tmp_path / "a.pdf", gongwen_lines(0, 0, 2021))).record
    arc.close()
    app = create_app(cfg)
    try:
        did = doc["id"]
        form = {"title": NEW_TITLE, "doc_number": doc["doc_number_raw"], "issuer": doc["issuer"], "date": doc["date"],
                "pages": str(doc["pages"]), "doc_type": doc["doc_type"] or "", "reason": "核对原件"}
        for user in ("wen", "cha", "ling"):
            c = login(app, user)
            assert 'action="/doc/%d/edit"' % did not in c.get(f"/doc/{did}").text
            r = c.post(f"/doc/{did}/edit", data={"csrf": token(c), **form}, follow_redirects=False)
            assert r.status_code == 403, (user, r.status_code)
        d = login(app, "dang")
        page = d.get(f"/doc/{did}").text
        assert 'action="/doc/%d/edit"' % did in page and "更正著录项" in page
        r = d.post(f"/doc/{did}/edit", data={**form}, follow_redirects=False)
        assert r.status_code == 403 and "安全令牌" in r.text  # no CSRF token
        r = d.post(f"/doc/{did}/edit", data={"csrf": token(d), **form, "reason": ""}, follow_redirects=False)
        assert r.status_code == 409 and "必须说明原因" in r.text
        r = d.post(f"/doc/{did}/edit", data={"csrf": token(d), **form}, follow_redirects=False)
        assert r.status_code == 303, r.text
        conn = sqlite3.connect(cfg.store / "catalog.sqlite")
        conn.row_factory = sqlite3.Row
        ev = conn.execute("SELECT * FROM events ORDER BY id DESC LIMIT 1").fetchone()
        row = conn.execute("SELECT * FROM documents WHERE id=?", (did,)).fetchone()
        conn.close()
        detail = json.loads(ev["detail"])
        # only the field that differs is a change: the form sends every field as the record has it
        assert (ev["action"], ev["actor"], detail["fields"]) == ("edit", "dang", ["title"])
        assert row["title"] == NEW_TITLE and json.loads(row["corrected"]) == ["title"]
        page = d.get(f"/doc/{did}").text
        assert "更正著录项" in page and "题名" in page and NEW_TITLE in page and "人工更正" in page
        r = d.get("/search?q=" + "数字化专项检查")
        assert f"/doc/{did}" in r.text
        r = d.post(f"/doc/{did}/edit", data={"csrf": token(d), **form, "date": "2020-01-01"}, follow_redirects=False)
        assert r.status_code == 409 and "reclassify" in r.text
    finally:
        app.state.web.close()


def test_a_catalog_of_schema_11_takes_migration_12_and_its_seals_still_hold(cfg, tmp_path):
    """Migration 12 adds the column in place: a record sealed before it keeps its digest (verify clean), and the
    first correction after the upgrade works."""
    from archive.edit import edit
    from archive.index import bigrams
    from archive.session import open_archive
    from archive.verify import verify

    cfg.store.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(cfg.store / "catalog.sqlite", isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.create_function("bigrams", 1, bigrams, deterministic=True)
    for v in sorted(k for k in catalog._MIGRATIONS if k <= 11):  # the tables as schema 11 made them
        for stmt in catalog._split_sql(catalog._MIGRATIONS[v]):
            conn.execute(stmt)
    conn.execute("PRAGMA user_version=11")
    with catalog.transaction(conn):
        doc = catalog.insert_record(conn, {"status": "pending", "origin": "import", "title": "关于档案工作的通知",
                                           "issuer": "示例县档案局", "date": "2015-03-02", "year": 2015,
                                           "ingested_at": "2015-03-02T08:00:00+08:00",
                                           "updated_at": "2015-03-02T08:00:00+08:00"}, "正文")
        catalog.append_event(conn, "import", doc, {"file": "目录.csv"})
    conn.close()
    arc = open_archive(cfg)
    try:
        assert arc.conn.execute("PRAGMA user_version").fetchone()[0] == catalog.SCHEMA_VERSION
        assert arc.conn.execute("SELECT corrected FROM documents WHERE id=?", (doc,)).fetchone()[0] is None
        rep = verify(arc)
        assert rep.ok and not [f for f in rep.findings if f.item == "著录项与事件日志一致"], rep.findings
        edit(arc, arc.conn.execute("SELECT * FROM documents WHERE id=?", (doc,)).fetchone(), {"title": NEW_TITLE},
             reason="更正题名")
        assert _hits(arc, "数字化专项检查") == [doc]
        rep = verify(arc)
        assert rep.ok and not [f for f in rep.findings if f.item == "著录项与事件日志一致"], rep.findings
    finally:
        arc.close()


def _hits(arc, words):
    return [r[0] for r in arc.conn.execute("SELECT rowid FROM fulltext WHERE fulltext MATCH ?",
                                           ('title:"' + " ".join(catalog.bigrams(words).split()) + '"',))]


def test_a_date_after_today_is_taken_with_a_warning(arc, tmp_path):
    import datetime as dt

    from archive.edit import edit

    pipeline.ingest_file(arc, make_text(tmp_path / "c.txt", "会上讨论了档案室搬迁。\n"))
    row = arc.conn.execute("SELECT * FROM documents").fetchone()
    later = display.today() + dt.timedelta(days=1)
    res = edit(arc, row, {"date": later.isoformat()}, reason="按原件")
    assert res.record["date"] == later.isoformat() and res.record["year"] == later.year
    assert len(res.warnings) == 1 and "晚于今天" in res.warnings[0]
