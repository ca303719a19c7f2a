"""The pipeline end to end on real files: real SQLite catalog, real file store, real documents."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest

from archive import pipeline
from archive import catalog
from archive.errors import NotFoundError
from archive.store import sha256_file
from tests.gongwen_gen import SECRET, gongwen_lines
from tests.makedocs import make_damaged_pdf, make_docx, make_ofd, make_pdf, make_text
from tests.clirun import run_config

ROOT = Path(__file__).resolve().parent.parent


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_each_format_is_archived_with_its_own_number(arc, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    made = [
        make_docx(src / "a.docx", gongwen_lines(0, kind=0, year=2022)),
        make_pdf(src / "b.pdf", gongwen_lines(10, kind=0, year=2022)),
        make_ofd(src / "c.ofd", gongwen_lines(20, kind=0, year=2022)),
        make_text(src / "d.txt", "\n".join(gongwen_lines(30, kind=0, year=2022))),
    ]
    results = [pipeline.ingest_file(arc, p) for p in made]
    assert [r.outcome for r in results] == ["archived"] * 4
    codes = [r.record["archival_code"] for r in results]
    assert codes == [f"Z109-WS·2022-Y-BGS-000{i}" for i in range(1, 5)]
    assert [r.record["doc_number"] for r in results] == ["示档发〔2022〕1号", "示档发〔2022〕11号",
                                                         "示档发〔2022〕21号", "示档发〔2022〕31号"]
    rec = results[0].record
    assert set(rec) == set(catalog.RECORD_KEYS)
    assert rec["retention"] == "Y" and rec["org"] == "BGS" and rec["item_no"] == 1
    assert rec["rule_id"] == "R10" and rec["date"] == "2022-01-01" and rec["doc_type"] == "决定"
    assert rec["issuer"] == "示例县档案局" and rec["sha256"] == sha256_file(made[0])
    # ingest leaves its sources alone
    assert all(p.exists() for p in made)


def test_stored_file_is_an_immutable_verified_copy(arc, tmp_path):
    p = make_docx(tmp_path / "a.docx", gongwen_lines(1, kind=0))
    r = pipeline.ingest_file(arc, p)
    row = arc.conn.execute("SELECT * FROM documents WHERE id=?", (r.record["id"],)).fetchone()
    stored = arc.store.abspath(row["stored_path"])
    assert sha256_file(stored) == row["sha256"] == sha256_file(p)
    assert not stored.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    text = arc.conn.execute("SELECT text FROM document_texts WHERE document_id=?", (row["id"],)).fetchone()[0]
    assert "规范全县档案管理工作" in text or "档案" in text


def test_duplicate_refused_failed_and_excluded(arc, tmp_path):
    a = make_docx(tmp_path / "a.docx", gongwen_lines(2, kind=0))
    a2 = tmp_path / "a copy.docx"
    a2.write_bytes(a.read_bytes())
    secret = make_docx(tmp_path / "s.docx", SECRET)
    bad = make_damaged_pdf(tmp_path / "bad.pdf", gongwen_lines(3))
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    excluded = make_pdf(tmp_path / "x.pdf", gongwen_lines(4, kind=5))
    outcomes = {p.name: pipeline.ingest_file(arc, p) for p in (a, a2, secret, bad, empty, excluded)}
    assert {k: v.outcome for k, v in outcomes.items()} == {
        "a.docx": "archived", "a copy.docx": "duplicate", "s.docx": "refused",
        "bad.pdf": "failed", "empty.pdf": "failed", "x.pdf": "excluded"}
    assert "秘密" in outcomes["s.docx"].reason and "涉密" in outcomes["s.docx"].reason
    assert "空" in outcomes["empty.pdf"].reason
    assert outcomes["a copy.docx"].record["id"] == outcomes["a.docx"].record["id"]
    ex = outcomes["x.pdf"].record
    assert ex["archival_code"] is None and ex["status"] == "excluded" and ex["rule_id"] == "R02"  # 供参考的抄件 (gongwen_gen kind 5)
    # two records: the archived one and the excluded one; the secret one is nowhere in the catalog or store
    assert arc.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 2
    assert len(_files(arc.store.files)) == 2
    assert arc.conn.execute("SELECT count(*) FROM documents d JOIN document_texts t ON t.document_id=d.id "
                            "WHERE t.text LIKE '%专项工作%'").fetchone()[0] == 0
    actions = [r[0] for r in arc.conn.execute("SELECT action FROM events ORDER BY id")]
    assert sorted(actions) == sorted(["ingest", "duplicate", "refused", "failed", "failed", "ingest"])
    assert catalog.verify_chain(arc.conn) == []


def test_pending_when_no_rule_decides(arc, tmp_path):
    r = pipeline.ingest_file(arc, make_text(tmp_path / "c.txt", "\n".join(gongwen_lines(9, kind=9))))
    assert r.outcome == "pending" and "没有规则适用" in r.reason
    assert r.record["archival_code"] is None and r.record["status"] == "pending"


def test_show_ref_by_id_code_or_any_spelling_of_the_number(arc, tmp_path):
    r = pipeline.ingest_file(arc, make_docx(tmp_path / "a.docx", gongwen_lines(54, kind=0, year=2017)))
    doc_id = r.record["id"]
    assert r.record["doc_number"] == "示档发〔2017〕55号"
    for ref in (str(doc_id), r.record["archival_code"], "Z109-WS-2017-Y-BGS-0001", "示档发〔2017〕55号",
                "示档发[2017]55号", "示档发（2017）55号", "示档发2017年55号", "〔2017〕55号", "示档发〔２０１７〕５５号"):
        assert arc.resolve(ref)["id"] == doc_id, ref
    with pytest.raises(NotFoundError, match="找不到"):
        arc.resolve("示档发〔2017〕56号")


def test_archival_numbers_continue_across_runs_and_are_never_reused(cfg, tmp_path):
    from archive.session import open_archive

    arc = open_archive(cfg, create=True)
    first = pipeline.ingest_file(arc, make_text(tmp_path / "1.txt", "\n".join(gongwen_lines(0, kind=0, year=2020))))
    arc.close()
    arc = open_archive(cfg)
    second = pipeline.ingest_file(arc, make_text(tmp_path / "2.txt", "\n".join(gongwen_lines(1, kind=0, year=2020))))
    assert (first.record["item_no"], second.record["item_no"]) == (1, 2)
    arc.close()


def _cli(cfg_path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_config(cfg_path, *args, env=env)


def test_cli_ingest_json_list_show_and_errors(cfg_path, tmp_path):
    src = tmp_path / "docs"
    src.mkdir()
    make_docx(src / "a.docx", gongwen_lines(0, kind=0, year=2022))
    make_text(src / "b.txt", "\n".join(gongwen_lines(1, kind=4, year=2022)))
    (src / "bad.pdf").write_bytes(b"%PDF-1.4 broken")
    p = _cli(cfg_path, "ingest", str(src), "--json")
    assert p.returncode == 1, p.stderr  # one file failed
    data = json.loads(p.stdout)
    assert sorted(d["outcome"] for d in data) == ["archived", "archived", "failed"]
    for d in data:
        assert {"file", "outcome", "reason"} <= set(d)
        if d["outcome"] == "archived":
            assert set(catalog.RECORD_KEYS) <= set(d)
    listed = json.loads(_cli(cfg_path, "list", "--json").stdout)
    assert [d["archival_code"] for d in listed] == ["Z109-WS·2022-Y-BGS-0001", "Z109-WS·2022-D30-YWK-0001"]
    shown = json.loads(_cli(cfg_path, "show", "示档发[2022]1号", "--json").stdout)
    assert shown["archival_code"] == "Z109-WS·2022-Y-BGS-0001" and list(shown) == list(catalog.RECORD_KEYS)
    human = _cli(cfg_path, "show", "1")
    assert human.returncode == 0 and "R10" in human.stdout and "8号令" in human.stdout
    # errors: one line on stderr, no traceback, exit 1 (not found) or 2 (bad usage / bad config)
    nf = _cli(cfg_path, "show", "国发〔1999〕1号")
    assert nf.returncode == 1 and nf.stderr.startswith("错误：") and "Traceback" not in nf.stderr
    bad = _cli(tmp_path / "missing.toml", "list")
    assert bad.returncode == 2 and "找不到配置文件" in bad.stderr
    usage = _cli(cfg_path, "list", "--retention", "20年")
    assert usage.returncode == 2 and "保管期限" in usage.stderr
    dbg = _cli(cfg_path, "--debug", "show", "国发〔1999〕1号")
    assert dbg.returncode != 0 and "Traceback" in dbg.stderr


@pytest.mark.parametrize("stage", ["classified", "stored", "committed", "moved", "logged"])
def test_kill_9_at_each_stage_leaves_nothing_or_a_complete_record(tmp_path, stage):
    from archive.config import load_config
    from tests.conftest import write_config

    cfg_path = write_config(tmp_path, **{"settle_seconds = 2.0": "settle_seconds = 0"})
    cfg = load_config(cfg_path)
    cfg.inbox.mkdir(parents=True)
    good = make_docx(cfg.inbox / "good.docx", gongwen_lines(0, kind=0))
    (cfg.inbox / "bad.pdf").write_bytes(b"%PDF-1.4 broken")
    first = _cli(cfg_path, "watch", "--once", env={"ARCHIVE_FAULT_STAGE": stage})
    assert first.returncode == -9, first.stderr  # really killed
    second = _cli(cfg_path, "watch", "--once")
    assert "Traceback" not in second.stderr
    assert not any(cfg.inbox.iterdir()), "every file has left the inbox"
    from archive.session import open_archive

    arc = open_archive(cfg)
    rows = arc.conn.execute("SELECT * FROM documents").fetchall()
    assert len(rows) == 1 and rows[0]["archival_code"] == "Z109-WS·2018-Y-BGS-0001"
    assert arc.store.stored_files() == {rows[0]["stored_path"]}
    assert arc.conn.execute("SELECT count(*) FROM inbox_moves").fetchone()[0] == 0
    assert catalog.verify_chain(arc.conn) == []
    processed = _files(cfg.processed_dir)
    assert [p.name for p in processed] == ["good.docx"] and sha256_file(processed[0]) == rows[0]["sha256"]
    assert [p.name for p in _files(cfg.failed_dir) if not p.name.endswith(".原因.txt")] == ["bad.pdf"]
    assert good.name not in [p.name for p in _files(cfg.duplicates_dir)]
    arc.close()


def test_show_prefers_the_exact_number_over_same_year_and_serial(arc, tmp_path):
    own = pipeline.ingest_file(arc, make_text(tmp_path / "a.txt", "\n".join(gongwen_lines(54, kind=0, year=2017))))
    gov = pipeline.ingest_file(arc, make_text(tmp_path / "b.txt", "\n".join(gongwen_lines(54, kind=4, year=2017))))
    assert own.record["doc_number"] == "示档发〔2017〕55号" and gov.record["doc_number"] == "示政发〔2017〕55号"
    assert arc.resolve("示档发[2017]55号")["id"] == own.record["id"]
    assert arc.resolve("示政发2017年55号")["id"] == gov.record["id"]
    with pytest.raises(NotFoundError, match="对应多份文件"):
        arc.resolve("〔2017〕55号")  # without the 代字 both are equally good: say so, don't guess
