"""Tampering that verify must find (issue 23): a text replaced or planted (catalog or full-text index), and a
rewrite of the catalog and its backups with every seal and hash recomputed, which only a chain head recorded
outside the machine (``verify --anchor``) can reveal. docs/faults.md says what verify cannot see without it."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive import attach, catalog, pipeline
from archive.search import search_archive
from archive.verify import verify
from conftest import ROOT, run_cli
from gongwen_gen import gongwen_lines
from makedocs import make_pdf

PLANTED = "秘密转移资金"


@pytest.fixture
def built(arc, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i, kind in enumerate((0, 1, 2)):
        pipeline.ingest_file(arc, make_pdf(src / f"{i}.pdf", gongwen_lines(i, kind, 2019)))
    return arc


def _raw(arc) -> sqlite3.Connection:
    """Someone with sqlite3 and the bigrams function (any extension can define it), bypassing the program."""
    from archive.index import bigrams

    c = sqlite3.connect(arc.catalog_path, isolation_level=None)
    c.create_function("bigrams", 1, bigrams, deterministic=True)
    return c


def _first(arc):
    return arc.conn.execute("SELECT * FROM documents WHERE archival_code IS NOT NULL ORDER BY id").fetchone()


def _found(arc, word: str) -> set[int]:
    return {h.record["id"] for h in search_archive(arc, word).hits}


def test_intact_archive_seals_every_text(built):
    rep = verify(built)
    assert rep.ok, [f.message for f in rep.errors]
    assert rep.by_item()[2]["item"] == "全文与封存一致" and rep.examined["全文与封存一致"] == 3
    assert not [f for f in rep.notices if f.item == "全文与封存一致"]


@pytest.mark.parametrize("how", ["replace", "plant"])
def test_text_changed_behind_the_program_is_found(built, how):
    row = _first(built)
    with _raw(built) as c:
        if how == "replace":
            c.execute("INSERT OR REPLACE INTO document_texts(document_id, text) VALUES (?, ?)",
                      (row["id"], f"全新的正文 {PLANTED}"))
        else:
            c.execute("UPDATE document_texts SET text = text || ? WHERE document_id=?", (PLANTED, row["id"]))
    assert _found(built, PLANTED) == {row["id"]}  # search finds the planted words
    rep = verify(built)
    assert [(f.item, f.ref) for f in rep.errors] == [("全文与封存一致", row["archival_code"])]
    assert "全文被绕过本程序修改过" in rep.errors[0].message


def test_words_planted_only_in_the_index_are_found_and_reindex_removes_them(built):
    row = _first(built)
    with _raw(built) as c:
        tokens = c.execute("SELECT bigrams(coalesce(d.title, d.filename)), bigrams(d.issuer), bigrams(t.text) "
                           "FROM documents d JOIN document_texts t ON t.document_id = d.id WHERE d.id=?",
                           (row["id"],)).fetchone()
        c.execute("INSERT INTO fulltext(fulltext, rowid, title, issuer, body) VALUES ('delete', ?, ?, ?, ?)",
                  (row["id"], *tokens))
        c.execute("INSERT INTO fulltext(rowid, title, issuer, body) VALUES (?, ?, ?, ?)",
                  (row["id"], tokens[0], tokens[1], tokens[2] + " " + c.execute("SELECT bigrams(?)", (PLANTED,))
                   .fetchone()[0]))
    assert _found(built, PLANTED) == {row["id"]}
    assert catalog.text_of(built.conn, row["id"]).find(PLANTED) < 0  # the text itself is untouched
    rep = verify(built)
    assert [(f.item, f.ref) for f in rep.errors] == [("全文索引", f"记录 {row['id']}")]
    assert "archive reindex" in rep.errors[0].message
    assert built.conn.execute("SELECT count(*) FROM sqlite_temp_master").fetchone()[0] == 0  # nothing left behind
    built.reindex()
    assert verify(built).ok and _found(built, PLANTED) == set()


def test_every_write_of_a_text_renews_the_seal(built, tmp_path):
    row = _first(built)
    before = catalog.get_record(built.conn, row["id"])["text_sha256"]
    extra = make_pdf(tmp_path / "附件.pdf", ["附件一", f"会议议程 {PLANTED}"])
    attach.attach(built, row, str(extra), "附件")
    after = catalog.get_record(built.conn, row["id"])["text_sha256"]
    assert after != before and after == catalog.text_digest(catalog.text_of(built.conn, row["id"]))
    assert _found(built, PLANTED) == {row["id"]}
    assert verify(built).ok, [f.message for f in verify(built).errors]
    attach.detach(built, catalog.get_record(built.conn, row["id"]), "2", "误挂接")
    assert catalog.get_record(built.conn, row["id"])["text_sha256"] == before
    rep = verify(built)
    assert rep.ok, [f.message for f in rep.errors]


def _old_program(tmp_path: Path) -> Path:
    """The program as released before the text seal (commit 5aa0da8), unpacked beside the test."""
    old = tmp_path / "old"
    old.mkdir()
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", "5aa0da8", "archive", "schemas", "config.toml"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(old)], input=tar.stdout, check=True)
    return old


def test_an_old_archive_upgrades_with_reseal_events_and_keeps_earlier_tampering(cfg_path, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i, kind in enumerate((0, 1, 2)):
        make_pdf(src / f"{i}.pdf", gongwen_lines(i, kind, 2019))
    old = _old_program(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(old)}
    current = cfg_path.read_text(encoding="utf-8")  # the old program reads its own config (newer keys are unknown to it)
    cfg_path.write_text((old / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "archive", "--config", str(cfg_path), "ingest", str(src)], env=env,
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    cfg_path.write_text(current, encoding="utf-8")
    from archive.config import load_config

    cat = load_config(cfg_path).store / "catalog.sqlite"
    with sqlite3.connect(cat) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == 13
        ids = [x[0] for x in c.execute("SELECT id FROM documents ORDER BY id")]
        c.execute("UPDATE documents SET note='改过' WHERE id=?", (ids[0],))  # tampered before the upgrade
    from archive.session import open_archive

    arc = open_archive(load_config(cfg_path))
    try:
        resealed = [e["document_id"] for e in arc.conn.execute("SELECT * FROM events WHERE action='reseal'")]
        assert resealed == ids[1:]
        rep = verify(arc)
        assert [(f.item, f.ref) for f in rep.errors] == [("著录项与事件日志一致", _ref(arc, ids[0]))]
        with _raw(arc) as c:  # after the upgrade, a text change is found
            c.execute("UPDATE document_texts SET text = text || ? WHERE document_id=?", (PLANTED, ids[1]))
        assert ("全文与封存一致", _ref(arc, ids[1])) in [(f.item, f.ref) for f in verify(arc).errors]
    finally:
        arc.close()


def _ref(arc, doc_id: int) -> str:
    r = catalog.get_record(arc.conn, doc_id)
    return r["archival_code"] or f"记录 {doc_id}"


def _rewrite(arc, doc_id: int, title: str, text: str) -> None:
    """A consistent rewrite, as someone who read this program would do it: the title and the text changed,
    the text checksum and the record's seal recomputed in its events, and the whole hash chain after them."""
    from archive.catalog import GENESIS, event_hash, record_digest, text_digest

    with _raw(arc) as c:
        c.row_factory = sqlite3.Row
        c.execute("DROP TRIGGER events_no_update")
        c.execute("UPDATE documents SET title=? WHERE id=?", (title, doc_id))
        c.execute("UPDATE document_texts SET text=? WHERE document_id=?", (text, doc_id))
        c.execute("UPDATE documents SET text_sha256=? WHERE id=?", (text_digest(text), doc_id))
        digest = record_digest(c.execute("SELECT * FROM documents WHERE id=?", (doc_id,)).fetchone())
        prev = GENESIS
        for e in c.execute("SELECT * FROM events ORDER BY id").fetchall():
            detail = e["detail"]
            if e["document_id"] == doc_id and "digest" in json.loads(detail):
                d = json.loads(detail)
                d["digest"] = digest
                if isinstance(d.get("after"), dict) and "title" in d["after"]:
                    d["after"]["title"] = title
                detail = json.dumps(d, ensure_ascii=False, sort_keys=True)
            h = event_hash(prev, e["ts"], e["actor"], e["action"], e["document_id"], detail)
            c.execute("UPDATE events SET detail=?, prev_hash=?, hash=? WHERE id=?", (detail, prev, h, e["id"]))
            prev = h
        c.execute("CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
                  "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END")


def test_a_consistent_rewrite_passes_without_an_anchor_and_fails_with_one(built, cfg_path, tmp_path):
    r = run_cli(cfg_path, "verify", "-o", str(tmp_path / "四性检测报告.csv"))
    assert r.returncode == 0, r.stderr
    m = re.search(r"事件日志链头：([0-9a-f]{64})@(\d+)", r.stderr)
    assert m, r.stderr
    anchor = f"{m.group(1)}@{m.group(2)}"  # what the clerk printed and filed away from the machine
    head = catalog.chain_head(built.conn)
    assert (head["hash"], head["count"]) == (m.group(1), int(m.group(2)))
    assert run_cli(cfg_path, "verify", "--anchor", anchor).returncode == 0
    assert run_cli(cfg_path, "verify", "--anchor", m.group(1)[:16]).returncode == 0
    # the archive goes on: one more record after the head was recorded
    pipeline.ingest_file(built, make_pdf(tmp_path / "后来.pdf", gongwen_lines(5, 0, 2019)))
    assert run_cli(cfg_path, "verify", "--anchor", anchor).returncode == 0

    row = _first(built)
    built.close()
    _rewrite(built, row["id"], "关于同意拨付专项资金的批复", f"经研究，同意拨付 {PLANTED}。")
    # every local backup is rewritten as well: a new backup made from the rewritten catalog replaces it
    tar = tmp_path / "备份.tar"
    assert run_cli(cfg_path, "backup", "-o", str(tar)).returncode == 0
    restored = tmp_path / "恢复"
    assert run_cli(cfg_path, "restore", str(tar), "--to", str(restored)).returncode == 0
    for config in (cfg_path, restored / "config.toml"):
        plain = run_cli(config, "verify")
        assert plain.returncode == 0, plain.stdout + plain.stderr  # the documented limit (docs/faults.md)
        anchored = run_cli(config, "verify", "--anchor", anchor)
        assert anchored.returncode == 1
        assert f"第 {m.group(2)} 条事件的哈希" in anchored.stdout and "与外部记录的链头" in anchored.stdout
        assert "此前的事件被改写过" in anchored.stdout
        assert run_cli(config, "verify", "--anchor", m.group(1)[:16]).returncode == 1


def test_the_head_is_printed_on_the_report_the_catalogue_and_carried_in_the_package(built, cfg_path, tmp_path):
    head = catalog.chain_head(built.conn)
    r = run_cli(cfg_path, "verify", "--json")
    assert json.loads(r.stdout)["counts"]["head"]["hash"] == head["hash"]
    from archive.export import catalogue
    from archive.verify import report_sheets

    sheets = catalogue.catalogue_sheets(built.conn, built.cfg, 2019)
    assert f"{head['hash']}@{head['count']}" in sheets[-1].footer
    assert f"{head['hash']}@{head['count']}" in " ".join(report_sheets(verify(built), built.cfg)[0].intro)
    from archive.export.package import export_package

    out = tmp_path / "移交包"
    export_package(built, 2019, out)
    info = (out / "bag-info.txt").read_text(encoding="utf-8")
    assert f"Archive-Chain-Head: {head['hash']}@{head['count']}" in info


def test_a_malformed_anchor_is_refused_in_chinese(built, cfg_path):
    r = run_cli(cfg_path, "verify", "--anchor", "abc")
    assert r.returncode != 0 and "链头" in r.stderr and "格式不对" in r.stderr
    r = run_cli(cfg_path, "verify", "--anchor", "f" * 64 + "@3")
    assert r.returncode == 1 and "与外部记录的链头" in r.stdout
    r = run_cli(cfg_path, "verify", "--anchor", "f" * 64 + "@99999")
    assert r.returncode == 1 and "少于外部记录的链头所在的第 99999 条" in r.stdout
