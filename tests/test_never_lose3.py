"""Issue 23, never lose round 3: what a kill -9, a bad config value, a hostile file name or a full disk used to
leave behind, each with real processes (the CLI in a child process, SIGKILLed at a fault point)."""

from __future__ import annotations

import datetime as dt
import json

from archive import appraisal, catalog
from archive.importing import ImportedFile, import_record
from makedocs import make_text
from tests.clirun import run_config

DAY = dt.date(2026, 1, 1)


def _cli(cfg_path, *args, env=None, **kw):
    return run_config(cfg_path, *args, env=env, **kw)


def _add(arc, tmp_path, code, year):
    f = make_text(tmp_path / f"{code}.txt", f"示例县档案局\n{code} 的正文，独特词{year}。")
    return import_record(arc, {"archival_code": code, "title": f"{year}年的一份文件", "issuer": "示例县档案局",
                               "date": f"{year}-06-01"}, ImportedFile(f), source={"test": True})


# ---- 1. kill -9 of destroy after its commit ------------------------------------------------------------------
def test_destroy_killed_after_its_commit_is_finished_by_the_next_start(arc, cfg_path, tmp_path):
    rec = _add(arc, tmp_path, "Z109-WS·2009-D10-BGS-0001", 2009)
    rec = catalog.get_record(arc.conn, rec["id"])
    stored = rec["stored_path"]
    assert stored and arc.store.abspath(stored).exists()
    a = appraisal.appraise(arc, DAY, ["甲", "乙"], [appraisal.Decision(rec, "destroy", "无价值")]).appraisal["id"]
    appraisal.approve(arc, a, leader="王局长", on=DAY, document="示档〔2026〕1号")
    arc.close()

    killed = _cli(cfg_path, "destroy", str(a), "--supervisor", "李四", "--supervisor", "张三", "--method", "删除",
                  "--place", "机房", env={"ARCHIVE_FAULT_STAGE": "destroy-committed"})
    assert killed.returncode == -9
    arc.close()
    assert catalog.get_record(arc.conn, rec["id"])["status"] == "destroyed"  # the destruction is committed
    assert arc.store.abspath(stored).exists()  # and its file not yet removed
    arc.close()

    src = tmp_path / "新"
    src.mkdir()
    make_text(src / "c.txt", "示例县档案局\n一份新的文件。")
    again = _cli(cfg_path, "ingest", str(src))  # the next start finishes the removal
    assert again.returncode == 0, again.stderr
    assert not arc.store.abspath(stored).exists()
    assert catalog.journalled_copies(arc.conn) == []
    events = [json.loads(r["detail"]) for r in arc.conn.execute(
        "SELECT detail FROM events WHERE action='destroy-batch'").fetchall()]
    assert events and events[0]["files_removed"] == [stored]
