"""Distinct people in each role of a destruction (issue 26): a 鉴定小组 of two or more people with its 档案 and
业务 sides ([appraisal] group_sides), an approving leader outside the group, two or more 监销人 who are not the
approver, an approval document with a number, and on the web only a 领导 approves and only a 档案员 destroys.
The checks are the service's, so the command line and the web page get the same ones."""

from __future__ import annotations

import datetime as dt

import pytest

from archive import appraisal
from archive.bounds import BoundsError
from archive.config import load_config
from archive.errors import DispositionError
from archive.importing import ImportedFile, import_record
from archive.session import open_archive
from conftest import write_config
from makedocs import make_text
from tests.approved import GROUP, approve_table
from tests.clirun import run_config

DAY = dt.date(2026, 1, 1)
CODE = "Z109-WS·2009-D10-BGS-0001"


@pytest.fixture
def due(arc, tmp_path):
    f = make_text(tmp_path / "old.txt", "示例县档案局\n2009年的一份通知，独特词。")
    import_record(arc, {"archival_code": CODE, "title": "旧通知", "issuer": "示例县档案局", "date": "2009-06-01"},
                  ImportedFile(f), source={"t": 1})
    approve_table(arc)
    return arc


def _decide(arc):
    return [appraisal.Decision(arc.resolve(CODE), "destroy", "无价值")]


def test_the_group_needs_two_people_and_both_sides(due):
    for members, why in ((["档案:张三", "业务:张三"], "至少两名不同"),  # one person written twice
                         (["档案:张三"], "至少两名不同"),
                         (["档案:张三", "档案:李四"], "业务"),  # no one from the business side
                         (["张三", "李四"], "档案、业务")):  # sides not written
        with pytest.raises(DispositionError, match=why):
            appraisal.appraise(due, DAY, members, _decide(due))
    assert appraisal.listing(due.conn) == []
    step = appraisal.appraise(due, DAY, ["张三（档案）", "业务部门:李四", "王副局长"], _decide(due))
    assert step.appraisal["members"] == ["张三（档案）", "李四（业务部门）", "王副局长"]


def test_the_sides_are_configurable(tmp_path):
    cfg = load_config(write_config(tmp_path, **{'group_sides = ["档案", "业务"]': 'group_sides = ["档案", "保密"]'}))
    assert cfg.group_sides == ["档案", "保密"]
    assert appraisal.check_group(["档案:甲", "保密:乙"], cfg.group_sides) == ["甲（档案）", "乙（保密）"]
    with pytest.raises(DispositionError, match="保密"):
        appraisal.check_group(["档案:甲", "业务:乙"], cfg.group_sides)


def test_the_leader_is_not_in_the_group_and_the_document_has_a_number(due):
    a = appraisal.appraise(due, DAY, ["档案:张三", "业务:李四"], _decide(due)).appraisal["id"]
    with pytest.raises(DispositionError, match="鉴定小组成员"):
        appraisal.approve(due, a, leader="李四", on=DAY, document="示档〔2026〕1号")
    for doc in ("无", "没有", "  ", "待定", "批示"):
        with pytest.raises(BoundsError, match="不能写 无"):
            appraisal.approve(due, a, leader="王局长", on=DAY, document=doc)
    assert appraisal.get(due.conn, a)["approved_at"] is None
    appraisal.approve(due, a, leader="王局长", on=DAY, document="示档〔2026〕1号")


def test_supervisors_are_two_people_and_not_the_approver(due):
    a = appraisal.appraise(due, DAY, GROUP, _decide(due)).appraisal["id"]
    appraisal.approve(due, a, leader="王局长", on=DAY, document="示档〔2026〕1号")
    with pytest.raises(DispositionError, match="不能是批准销毁的领导"):
        appraisal.destroy(due, a, supervisors=["王局长", "李四", "张三"], method="粉碎", place="档案室")
    with pytest.raises(DispositionError, match="至少 2 名不同"):
        appraisal.destroy(due, a, supervisors=["李四", "李四（监销）"], method="粉碎", place="档案室")
    assert due.resolve(CODE)["status"] == "archived"
    step = appraisal.destroy(due, a, supervisors=["李四", "张三"], method="粉碎", place="档案室")
    assert step.records[0]["status"] == "destroyed"


def test_web_roles_only_a_leader_approves_and_only_an_archivist_destroys(due):
    a = appraisal.appraise(due, DAY, GROUP, _decide(due)).appraisal["id"]
    for role in ("档案员", "文书", "查阅", "保密员"):
        with pytest.raises(DispositionError, match="只有领导账号"):
            appraisal.approve(due, a, leader="王局长", on=DAY, document="示档〔2026〕1号", role=role)
    appraisal.approve(due, a, leader="王局长", on=DAY, document="示档〔2026〕1号", role="领导")
    for role in ("领导", "文书", "查阅", "保密员"):
        with pytest.raises(DispositionError, match="只有档案员账号"):
            appraisal.destroy(due, a, supervisors=["李四", "张三"], method="粉碎", place="档案室", role=role)
    appraisal.destroy(due, a, supervisors=["李四", "张三"], method="粉碎", place="档案室", role="档案员")


def test_destroy_waits_for_an_agreed_table_again_after_a_change(tmp_path):
    cfg_path = write_config(tmp_path)
    arc = open_archive(load_config(cfg_path), create=True)
    try:
        f = make_text(tmp_path / "old.txt", "示例县档案局\n2009年的一份通知，独特词。")
        import_record(arc, {"archival_code": CODE, "title": "旧通知", "issuer": "示例县档案局", "date": "2009-06-01"},
                      ImportedFile(f), source={"t": 1})
        approve_table(arc)
        a = appraisal.appraise(arc, DAY, GROUP, _decide(arc)).appraisal["id"]
        appraisal.approve(arc, a, leader="王局长", on=DAY, document="示档〔2026〕1号")
    finally:
        arc.close()
    # the table is changed after the approval: the destruction waits, with what to do
    text = cfg_path.read_text(encoding="utf-8")
    cfg_path.write_text(text.replace('retention = "30年"', 'retention = "10年"', 1), encoding="utf-8")
    p = run_config(cfg_path, "destroy", str(a), "--supervisor", "李四", "--supervisor", "张三", "--method", "粉碎",
                   "--place", "档案室")
    assert p.returncode == 1 and "之后已被修改" in p.stderr and "archive rules approve" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    p = run_config(cfg_path, "rules", "approve", "--by", "示例县档案局", "--on", "2026-01-02", "--document", "示档函〔2026〕9号")
    assert p.returncode == 0, p.stderr
    p = run_config(cfg_path, "destroy", str(a), "--supervisor", "李四", "--supervisor", "张三", "--method", "粉碎",
                   "--place", "档案室")
    assert p.returncode == 0, p.stderr


def test_the_filing_form_and_the_fonds_file_entries_of_a_destruction(due, cfg_path, tmp_path):
    from pypdf import PdfReader

    a = appraisal.appraise(due, DAY, ["档案:张三", "业务:李四"], _decide(due)).appraisal["id"]
    appraisal.approve(due, a, leader="王局长", on=DAY, document="示档〔2026〕1号")
    with pytest.raises(DispositionError, match="尚未销毁"):
        appraisal.write_filing(due, a, tmp_path / "早.pdf")
    appraisal.destroy(due, a, supervisors=["赵五", "钱六"], method="粉碎", place="局档案室")
    due.close()
    out = tmp_path / "销毁备案表.pdf"
    p = run_config(cfg_path, "export", "filing-form", str(a), "-o", str(out))
    assert p.returncode == 0, p.stderr
    text = "".join(pg.extract_text() for pg in PdfReader(str(out)).pages)
    for part in ("档案销毁备案表", "张三（档案）", "王局长", "示档〔2026〕1号", "赵五", "钱六", "粉碎", "局档案室",
                 "全宗卷", "鉴定工作报告", "销毁审批表", "销毁清册", "审核同意", "2009"):
        assert part in text, part
    arc = open_archive(load_config(cfg_path))
    try:
        row = appraisal.get(arc.conn, a)
        codes = [arc.conn.execute("SELECT archival_code FROM documents WHERE id=?", (row[c],)).fetchone()[0]
                 for c in ("report_id", "approval_id", "register_id")]
    finally:
        arc.close()
    assert all(c in text.replace("\n", "") for c in codes), codes
