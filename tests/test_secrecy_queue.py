"""The 保密员's queue (issue 22; archive/secrecy_queue.py): a file the 涉密 gate was unsure of is held in
quarantine/, listed, and decided by a 保密员 — 非密/已解密 lets it in through the ordinary ingest (the decision
stays on the record), 涉密 moves it to refused/ as a 保密 incident; a decision is made once. CLI and web, with a
real catalog, store and Starlette app."""

from __future__ import annotations

import json
import re
import sqlite3
import warnings
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.makedocs import SAMPLE_GONGWEN, make_text

# a 公文 whose only doubt is a bare “秘密” on a line of its own deep in the body: not a mark, not clear either
DOUBTFUL_LINES = [*SAMPLE_GONGWEN[:7], *(f"{i}、请各单位按要求做好第{i}项工作。" for i in range(3, 33)), "秘密",
                  *SAMPLE_GONGWEN[7:]]
PASSWORD = "correct horse 1"


def doubtful_file(folder: Path, name: str = "通知.txt", extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return make_text(folder / name, "\n".join(DOUBTFUL_LINES) + extra)


def hold_it(arc, path: Path, route: str = "ingest", *, from_inbox: bool = True) -> str:
    from archive import secrecy, secrecy_queue

    verdict = secrecy.gate(path)
    assert verdict.kind == "doubtful", verdict
    return secrecy_queue.hold(arc, path, verdict, route, from_inbox=from_inbox)


def stored_files(cfg) -> list[Path]:
    return [p for p in (cfg.store / "files").rglob("*") if p.is_file()]


def test_hold_list_decide_non_secret_files_the_document_as_usual(arc, cfg, cfg_path):
    from archive import catalog

    src = doubtful_file(cfg.inbox)
    line = hold_it(arc, src)
    assert "疑似涉密，已隔离待保密员审查" in line and "第 1 号" in line
    held = sorted(cfg.quarantine_dir.rglob("通知*.txt"))
    assert not src.exists() and [p.name for p in held] == ["通知.txt", "通知.txt.原因.txt"]
    assert "待保密员审查" in held[1].read_text(encoding="utf-8")
    assert catalog.count_documents(arc.conn) == 0
    assert [dict(e)["action"] for e in catalog.event_rows(arc.conn)] == ["secrecy-hold"]
    # the same content again (a second copy dropped into the inbox): not held twice
    again = doubtful_file(cfg.inbox, "通知副本.txt")
    assert "此前已隔离" in hold_it(arc, again) and not again.exists()
    arc.close()

    r = run_cli(cfg_path, "secrecy", "list", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [(x["id"], x["filename"], x["route"], x["decision"]) for x in rows] == [(1, "通知.txt", "ingest", None)]
    assert "单独一行" in "".join(rows[0]["reasons"])
    assert "隔离待保密员审查" in run_cli(cfg_path, "review").stderr
    assert "隔离待保密员审查（疑似涉密）：1 件" in run_cli(cfg_path, "stats").stderr

    r = run_cli(cfg_path, "secrecy", "decide", "1", "--as", "非密", "--reason", "经核对原件，“秘密”系正文用语")
    assert r.returncode == 0, r.stderr
    assert "已决定为非密，已入库" in r.stderr + r.stdout
    r = run_cli(cfg_path, "list", "--json")
    recs = json.loads(r.stdout)
    assert len(recs) == 1 and recs[0]["status"] == "archived" and recs[0]["archival_code"]
    shown = run_cli(cfg_path, "show", str(recs[0]["id"])).stdout
    assert "保密审查" in shown and "非密" in shown and "经核对原件" in shown and "保密审查决定" in shown
    assert len(stored_files(cfg)) == 1
    assert not list(cfg.quarantine_dir.rglob("通知.txt"))  # quarantine/ holds only the undecided
    assert json.loads(run_cli(cfg_path, "secrecy", "list", "--json").stdout) == []
    decided = json.loads(run_cli(cfg_path, "secrecy", "list", "--all", "--json").stdout)
    assert decided[0]["decision"] == "非密" and decided[0]["record_id"] == recs[0]["id"]


def test_decide_secret_moves_the_file_to_refused_and_stores_nothing(arc, cfg, cfg_path, tmp_path):
    from archive import catalog

    src = doubtful_file(tmp_path / "given")  # a file named on the command line: copied, the original stays
    assert "原文件未改动" in hold_it(arc, src, "import catalog", from_inbox=False)
    assert src.exists()
    arc.close()
    r = run_cli(cfg_path, "secrecy", "decide", "1", "--as", "涉密", "--reason", "经核对为涉密件")
    assert r.returncode == 0, r.stderr
    refused = [p.name for p in cfg.refused_dir.rglob("*") if p.is_file()]
    assert "通知.txt" in refused and "通知.txt.原因.txt" in refused
    assert not [p for p in cfg.quarantine_dir.rglob("*") if p.is_file()]
    assert stored_files(cfg) == []
    conn = sqlite3.connect(cfg.store / "catalog.sqlite")
    conn.row_factory = sqlite3.Row
    assert catalog.count_documents(conn) == 0
    ev = [dict(e) for e in catalog.event_rows(conn)]
    assert [e["action"] for e in ev] == ["secrecy-hold", "refused"]
    assert json.loads(ev[1]["detail"])["incident"] == "保密"
    conn.close()


def test_a_decision_is_made_once(arc, cfg, cfg_path):
    hold_it(arc, doubtful_file(cfg.inbox))
    arc.close()
    assert run_cli(cfg_path, "secrecy", "decide", "1", "--as", "涉密", "--reason", "涉密").returncode == 0
    r = run_cli(cfg_path, "secrecy", "decide", "1", "--as", "非密", "--reason", "再改")
    assert r.returncode != 0 and "不能再次决定" in r.stderr
    assert json.loads(run_cli(cfg_path, "list", "--json").stdout) == []
    conn = sqlite3.connect(cfg.store / "catalog.sqlite")  # and the table itself refuses a second decision
    with pytest.raises(sqlite3.IntegrityError, match="recorded once"):
        conn.execute("UPDATE secrecy_queue SET decision='非密' WHERE id=1")
    conn.close()


def test_no_reason_or_an_unknown_decision_decides_nothing(arc, cfg, cfg_path):
    hold_it(arc, doubtful_file(cfg.inbox))
    arc.close()
    r = run_cli(cfg_path, "secrecy", "decide", "1", "--as", "公开", "--reason", "x")
    assert r.returncode != 0 and "非密" in r.stderr
    r = run_cli(cfg_path, "secrecy", "decide", "1", "--as", "非密", "--reason", "  ")
    assert r.returncode != 0 and "理由" in r.stderr
    assert json.loads(run_cli(cfg_path, "secrecy", "list", "--json").stdout)[0]["decision"] is None


def test_a_mark_the_gate_finds_later_still_refuses(arc, cfg):
    """The decision answers the doubts recorded, no more: a route held the file as doubtful (its reading was
    unsure), but the gate reads a legible mark now — 非密 does not let it in."""
    from archive import catalog, secrecy, secrecy_queue
    from archive.errors import SecrecyDecisionError

    src = make_text(cfg.inbox / "密.txt", "秘密★1年\n" + "\n".join(SAMPLE_GONGWEN)) if cfg.inbox.mkdir(
        parents=True, exist_ok=True) is None else None
    assert secrecy.gate(src).kind == "mark"
    unsure = secrecy.GateVerdict("doubtful", reasons=["第1页上部：文字识别置信度低，无法确认有无密级标志"])
    secrecy_queue.hold(arc, src, unsure, "watch", from_inbox=True)
    with pytest.raises(SecrecyDecisionError, match="不能放行有明确密级标志"):
        secrecy_queue.decide(arc, 1, "非密", "看过了")
    assert catalog.count_documents(arc.conn) == 0 and stored_files(cfg) == []
    assert secrecy_queue.held_files(arc)[0]["decided_at"] is None


HOLD_SCRIPT = """
import sys
from pathlib import Path
from archive.config import load_config
from archive.session import open_archive
from archive import secrecy, secrecy_queue
arc = open_archive(load_config(Path(sys.argv[1])))
p = Path(sys.argv[2])
secrecy_queue.hold(arc, p, secrecy.gate(p), "watch", from_inbox=True)
"""


def test_a_kill_between_the_hold_and_the_move_is_finished_by_reconcile(arc, cfg, cfg_path):
    """The move out of the inbox is journalled in the hold's transaction: a kill -9 after the commit leaves the
    original in the inbox, and reconcile moves it into quarantine/ with its reason file."""
    import os
    import subprocess
    import sys

    from archive import catalog

    src = doubtful_file(cfg.inbox)
    env = {**os.environ, "ARCHIVE_FAULT_STAGE": "held", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    r = subprocess.run([sys.executable, "-c", HOLD_SCRIPT, str(cfg_path), str(src)], env=env, capture_output=True)
    assert r.returncode == -9, r.stderr
    assert src.exists() and len(catalog.inbox_moves(arc.conn)) == 1
    assert len(catalog.event_rows(arc.conn)) == 1  # the hold is committed
    done = arc.reconcile()
    assert any("完成了中断的移动" in d for d in done), done
    assert not src.exists() and list(cfg.quarantine_dir.rglob("通知.txt"))
    assert "待保密员审查" in next(cfg.quarantine_dir.rglob("通知.txt.原因.txt")).read_text(encoding="utf-8")


def test_a_kill_after_the_record_before_the_decision_is_decided_again_without_a_second_record(arc, cfg, cfg_path):
    """kill -9 after the ingest committed the record, before the decision was written: deciding again finds the
    record (the same content is stored once) and records the decision on it."""
    from tests.clirun import run_config

    hold_it(arc, doubtful_file(cfg.inbox))
    arc.close()
    r = run_config(cfg_path, "secrecy", "decide", "1", "--as", "已解密", "--reason", "已于2024年解密",
                   env={"ARCHIVE_FAULT_STAGE": "committed"})
    assert r.returncode == -9, r.stderr
    assert json.loads(run_cli(cfg_path, "secrecy", "list", "--json").stdout)[0]["decision"] is None
    r = run_cli(cfg_path, "secrecy", "decide", "1", "--as", "已解密", "--reason", "已于2024年解密")
    assert r.returncode == 0, r.stderr
    recs = json.loads(run_cli(cfg_path, "list", "--json").stdout)
    assert len(recs) == 1 and len(stored_files(cfg)) == 1
    row = json.loads(run_cli(cfg_path, "secrecy", "list", "--all", "--json").stdout)[0]
    assert row["decision"] == "已解密" and row["record_id"] == recs[0]["id"]


# ---- the web page -------------------------------------------------------------------------------------------
pytest.importorskip("starlette")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, html[:500]
    return m.group(1)


def _login(app, name: str) -> TestClient:
    c = TestClient(app, base_url="http://127.0.0.1")
    r = c.post("/login", data={"csrf": _csrf(c.get("/login").text), "name": name, "password": PASSWORD,
                               "next": "/search"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


@pytest.fixture
def web(arc, cfg):
    from archive.web import accounts, create_app

    for name, role in (("bao", "保密员"), ("cha", "查阅"), ("dang", "档案员")):
        accounts.add_user(arc.conn, name, role, PASSWORD)
    hold_it(arc, doubtful_file(cfg.inbox))
    arc.close()
    app = create_app(cfg)
    yield app
    app.state.web.close()


def test_web_the_secrecy_officer_decides_and_the_file_is_filed(web, cfg):
    c = _login(web, "bao")
    page = c.get("/search").text
    assert 'href="/secrecy"' in page and 'href="/admin"' not in page and 'href="/file"' not in page
    r = c.get("/secrecy")
    assert r.status_code == 200 and "通知.txt" in r.text and "单独一行" in r.text and "ingest" in r.text
    assert c.get("/admin").status_code == 403 and c.get("/review").status_code == 403
    r = c.post("/secrecy", data={"csrf": _csrf(r.text), "id": "1", "decision": "非密",
                                 "reason": "经核对原件，无密级标志"}, follow_redirects=True)
    assert r.status_code == 200 and "已决定为非密，已入库" in r.text and "记录 1" in r.text
    rec = c.get("/doc/1")
    assert rec.status_code == 200 and "保密审查决定" in rec.text and "经核对原件" in rec.text
    r = c.post("/secrecy", data={"csrf": _csrf(c.get("/secrecy").text), "id": "1", "decision": "涉密",
                                 "reason": "再改"})
    assert r.status_code >= 400 and "不能再次决定" in r.text
    assert len(stored_files(cfg)) == 1


def test_web_a_reader_cannot_see_the_queue_and_the_archivist_sees_the_count(web):
    c = _login(web, "cha")
    assert 'href="/secrecy"' not in c.get("/search").text
    assert c.get("/secrecy").status_code == 403
    r = c.post("/secrecy", data={"csrf": _csrf(c.get("/search").text), "id": "1", "decision": "非密",
                                 "reason": "x"})
    assert r.status_code == 403
    d = _login(web, "dang")
    dash = d.get("/admin").text
    assert re.search(r'secrecy-held"><b>1</b>隔离待保密员审查', dash), dash[:2000]
    assert d.get("/secrecy").status_code == 403


def test_the_migration_keeps_users_and_their_sessions_and_allows_the_new_role(tmp_path):
    """Migration 15 rebuilds ``users`` for the role 保密员: every user, password hash and live session stays."""
    from archive import catalog
    from conftest import catalog_before

    path = tmp_path / "catalog.sqlite"
    conn = catalog_before(path, 15)
    conn.execute("INSERT INTO users(id, name, role, password_hash, created_at, updated_at) "
                 "VALUES (7, 'wen', '文书', 'hash', 'x', 'x')")
    conn.execute("INSERT INTO web_sessions(id, user_id, created_at, expires_at) VALUES ('s', 7, 1, 9e99)")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO users(name, role, password_hash, created_at, updated_at) "
                     "VALUES ('bao', '保密员', 'h', 'x', 'x')")
    conn.commit()
    conn.close()
    conn = catalog.connect(path)
    assert [tuple(r) for r in conn.execute("SELECT id, name, role, password_hash FROM users")] == [
        (7, "wen", "文书", "hash")]
    assert conn.execute("SELECT user_id FROM web_sessions").fetchone()[0] == 7
    conn.execute("INSERT INTO users(name, role, password_hash, created_at, updated_at) "
                 "VALUES ('bao', '保密员', 'h', 'x', 'x')")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO users(name, role, password_hash, created_at, updated_at) "
                     "VALUES ('x', '管理员', 'h', 'x', 'x')")
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
