"""The 收文 registration on a real archive (issue 26): a superior's 普发 notice ingested without it is 待定, not
不归档; ``archive receipt set`` records 阅件/办件 and the table decides again (one unit of work, one event, the
seal kept: verify stays clean); a batch by the rule's suggestion after the count is shown."""

from __future__ import annotations

import json

import pytest

from archive import catalog, pipeline
from archive.classify import RECEIPT_PENDING
from archive.errors import ReviewError
from archive.review import awaiting_receipt, set_receipt, walk
from archive.verify import verify
from makedocs import make_text
from tests.clirun import run_config

NOTICE = """示例县人民政府文件
示政发〔2026〕{n}号
示例县人民政府关于做好第{n}期防汛值守工作的通知
各乡镇人民政府：
    为做好今年防汛工作，现将有关事项通知如下：各乡镇要加强值守，及时报告汛情。
示例县人民政府
2026年5月{n}日
"""


@pytest.fixture
def notices(arc, tmp_path):
    for n in (1, 2, 3):
        pipeline.ingest_file(arc, make_text(tmp_path / f"notice{n}.txt", NOTICE.format(n=n)))
    return arc


def _rows(arc):
    return arc.conn.execute("SELECT * FROM documents ORDER BY id").fetchall()


def test_a_superiors_notice_without_the_registration_is_pending_not_excluded(notices):
    rows = _rows(notices)
    assert [r["status"] for r in rows] == ["pending"] * 3
    assert all(r["reason"].startswith(RECEIPT_PENDING) and r["rule_id"] == "R20" for r in rows)
    assert len(awaiting_receipt(notices.conn, "R20")) == 3


def test_set_receipt_read_excludes_act_archives_and_verify_stays_clean(notices):
    a, b, c = _rows(notices)
    rec = set_receipt(notices, a, "阅件")
    assert rec["status"] == "excluded" and rec["rule_id"] == "R20"
    rec = set_receipt(notices, b, "承办件")
    assert rec["status"] == "archived" and rec["rule_id"] == "R25" and rec["retention"] == "D10"
    assert rec["archival_code"] == "Z109-WS·2026-D10-BGS-0001"
    row = catalog.get_record(notices.conn, b["id"])
    assert row["receipt_kind"] == "办件" and row["reason"] is None
    events = [(e["action"], json.loads(e["detail"])) for e in catalog.events_for(notices.conn, b["id"])]
    assert ("edit", {"receipt_kind": "办件"}) in [(a_, d.get("after")) for a_, d in events]
    with pytest.raises(ReviewError, match="已登记为办件"):
        set_receipt(notices, row, "办件")
    with pytest.raises(ReviewError, match="无效"):
        set_receipt(notices, c, "急件")
    assert verify(notices).ok


def test_receipt_on_a_decided_record_keeps_its_classification(notices):
    a = _rows(notices)[0]
    set_receipt(notices, a, "办件")
    row = catalog.get_record(notices.conn, a["id"])
    rec = set_receipt(notices, row, "阅件")  # recorded, but an archived record is changed only by reclassify
    assert rec["status"] == "archived" and catalog.get_record(notices.conn, a["id"])["receipt_kind"] == "阅件"
    assert verify(notices).ok


def test_review_walk_one_key_registers_and_decides(notices):
    keys = iter(["r", "b", "q"])
    told = []
    s = walk(notices, lambda prompt: next(keys), lambda card: None, told.append)
    assert [o.result for o in s.done] == ["excluded", "archived"] and s.left == 1
    assert any("已登记为阅件" in t for t in told)


def test_cli_batch_by_rule_shows_the_count_and_asks(notices, cfg_path, tmp_path):
    r = run_config(cfg_path, "receipt", "list")
    assert r.returncode == 0 and "R20 3 件" in r.stderr
    r = run_config(cfg_path, "receipt", "set", "阅件", "--rule", "R20", input="n\n")
    assert r.returncode == 1 and "共 3 件" in r.stderr + r.stdout
    assert all(row["status"] == "pending" for row in _rows(notices))
    r = run_config(cfg_path, "receipt", "set", "阅件", "--rule", "R20", "--yes", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["total"] == 3
    notices.conn.rollback() if notices.conn.in_transaction else None
    assert [row["status"] for row in _rows(notices)] == ["excluded"] * 3
    r = run_config(cfg_path, "receipt", "set", "急件", "1")
    assert r.returncode == 2 and "阅件 或 办件" in r.stderr
