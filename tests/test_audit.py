"""到期鉴定 and 销毁 (archive.audit) on a real archive whose years and retentions are set exactly by import."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from openpyxl import load_workbook

from archive import appraisal, audit, catalog, display
from archive.errors import DispositionError
from archive.importing import ImportedFile, import_record
from archive.search import Filters, search
from archive.verify import verify
from makedocs import make_text
from tests.approved import approve_table
from tests.clirun import run_config

# (year, retention code, 件号): a spread around the boundaries of the as-of dates tested below
LAYOUT = [(2009, "D10", 1), (2014, "D10", 1), (2015, "D10", 1), (2015, "D10", 2), (2016, "D10", 1),
          (1994, "D30", 1), (1995, "D30", 1), (1996, "D30", 1), (2015, "D30", 1), (1990, "Y", 1), (2015, "Y", 1)]


@pytest.fixture
def aged(arc, tmp_path):
    for year, ret, n in LAYOUT:
        code = f"Z109-WS·{year}-{ret}-BGS-{n:04d}"
        f = make_text(tmp_path / f"{year}{ret}{n}.txt", f"示例县档案局\n{year}年度第{n}号{ret}文件\n独特正文{year}{ret}{n}。")
        import_record(arc, {"archival_code": code, "title": f"{year}年{ret}文件{n}", "issuer": "示例县档案局",
                            "date": f"{year}-06-01", "doc_number_raw": f"示档发〔{year}〕{n}号"},
                      ImportedFile(f), source={"test": True})
    approve_table(arc)  # issue 26: no destruction under a table not agreed
    return arc


def expected_due(as_of: dt.date) -> set[str]:
    """Independently: N年 counted from 1 January of the year after the document's year; 永久 never."""
    years = {"D10": 10, "D30": 30}
    out = set()
    for year, ret, n in LAYOUT:
        if ret in years and as_of >= dt.date(year + 1 + years[ret], 1, 1):
            out.add(f"Z109-WS·{year}-{ret}-BGS-{n:04d}")
    return out


@pytest.mark.parametrize("as_of", ["2025-12-31", "2026-01-01", "2026-06-30", "2027-01-01", "2040-01-01"])
def test_due_list_matches_independent_computation(aged, as_of):
    day = dt.date.fromisoformat(as_of)
    items = audit.due_list(aged.conn, day)
    assert {i.record["archival_code"] for i in items} == expected_due(day)
    # grouped by year and retention, oldest first
    keys = list(audit.grouped(items))
    assert keys == sorted(keys, key=lambda k: (k[0], {"Y": 0, "D30": 1, "D10": 2}[k[1]]))


def test_boundary_examples(aged):
    codes = lambda d: {i.record["archival_code"] for i in audit.due_list(aged.conn, d)}  # noqa: E731
    assert "Z109-WS·2015-D10-BGS-0001" not in codes(dt.date(2025, 12, 31))
    assert "Z109-WS·2015-D10-BGS-0001" in codes(dt.date(2026, 1, 1))  # SPEC: 2015 10年 → 2026-01-01
    assert not any("-Y-" in c for c in codes(dt.date(2999, 1, 1)))


def _row(arc, code):
    return arc.conn.execute("SELECT * FROM documents WHERE archival_code=?", (code,)).fetchone()


DAY = dt.date(2026, 1, 1)
GROUP = ["档案:档案员甲", "业务:办公室乙", "副局长丙"]


def _procedure(arc, codes, *, day=DAY, supervisors=("李四", "张三")):
    """audit → appraise (all destroy) → approve → destroy, as an archivist would run it."""
    decisions = [appraisal.Decision(_row(arc, c), "destroy", "已无查考价值") for c in codes]
    a = appraisal.appraise(arc, day, GROUP, decisions).appraisal["id"]
    appraisal.approve(arc, a, leader="王局长", on=day, document="示档〔2026〕1号")
    return appraisal.destroy(arc, a, supervisors=list(supervisors), method="粉碎", place="局档案室",
                             at=dt.datetime(2026, 1, 2, 10, 0))


def test_held_record_cannot_be_destroyed_until_released(aged):
    code = "Z109-WS·2014-D10-BGS-0001"
    audit.hold(aged, _row(aged, code), "审计中")
    items = {i.record["archival_code"]: i for i in audit.due_list(aged.conn, DAY)}
    assert items[code].hold_reason == "审计中"
    other = _row(aged, "Z109-WS·2009-D10-BGS-0001")
    with pytest.raises(DispositionError, match="冻结"):
        appraisal.appraise(aged, DAY, GROUP, [appraisal.Decision(other, "destroy", "无价值"),
                                              appraisal.Decision(_row(aged, code), "destroy", "无价值")])
    # all or nothing: nothing was appraised
    assert aged.conn.execute("SELECT count(*) FROM appraisals").fetchone()[0] == 0
    with pytest.raises(DispositionError, match="冻结"):
        audit.hold(aged, _row(aged, code), "again")
    audit.release(aged, _row(aged, code), "审计结束")
    res = _procedure(aged, [code])
    assert res.records[0]["status"] == "destroyed"
    actions = [e["action"] for e in catalog.events_for(aged.conn, _row(aged, code)["id"])]
    assert actions[-3:] == ["hold", "release", "destroy"]


def test_a_hold_placed_after_approval_stops_the_destruction(aged):
    code = "Z109-WS·2014-D10-BGS-0001"
    a = appraisal.appraise(aged, DAY, GROUP, [appraisal.Decision(_row(aged, code), "destroy", "无价值")]).appraisal["id"]
    appraisal.approve(aged, a, leader="王局长", on=DAY, document="示档〔2026〕1号")
    audit.hold(aged, _row(aged, code), "纪检调查")
    with pytest.raises(DispositionError, match="冻结"):
        appraisal.destroy(aged, a, supervisors=["李四", "张三"], method="粉碎", place="档案室")
    assert _row(aged, code)["status"] == "archived" and aged.store.abspath(_row(aged, code)["stored_path"]).exists()


def test_destroy_removes_the_file_keeps_the_record_and_lists_it(aged, tmp_path):
    code = "Z109-WS·2015-D10-BGS-0002"
    before = _row(aged, code)
    stored = aged.store.abspath(before["stored_path"])
    assert stored.exists()
    res = _procedure(aged, [code])
    after = _row(aged, code)
    assert not stored.exists()
    assert after["status"] == "destroyed" and after["stored_path"] is None
    assert after["sha256"] == before["sha256"] and after["title"] == before["title"]  # the record stays
    # the body is gone from search, the record is still found by its number
    assert search(aged.conn, aged.index, "独特正文2015D102", Filters()).total == 0
    assert search(aged.conn, aged.index, "示档发〔2015〕2号", Filters()).hits[0].record["status"] == "destroyed"
    # 销毁清册, with the approval, 销毁方式, 地点 and the 监销人's signature lines
    out = tmp_path / "清册.xlsx"
    from archive.export.catalogue import write
    write(audit.destruction_sheets(aged.conn, aged.cfg, res.appraisal["batch"]), out)
    ws = load_workbook(out).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[1] == ["序号", "档号", "文号", "责任者", "题名", "日期", "保管期限", "页数", "备注"]
    assert values[2][:7] == [1, code, "示档发〔2015〕2号", "示例县档案局", "2015年D10文件2", "20150601", "10年"]
    foot = " ".join(str(v[0]) for v in values if v[0])
    for part in ("批准人：王局长", "批准文件：示档〔2026〕1号", "销毁方式：粉碎", "销毁地点：局档案室", "监销人（签字）：李四",
                 "张三", "销毁时间：2026-01-02 10:00"):
        assert part in foot, part
    assert verify(aged).ok, [f.message for f in verify(aged).errors]


def test_not_due_is_refused_and_permanent_never(aged):
    young = _row(aged, "Z109-WS·2016-D10-BGS-0001")
    with pytest.raises(DispositionError, match="才到期"):
        appraisal.appraise(aged, DAY, GROUP, [appraisal.Decision(young, "destroy", "x")])
    with pytest.raises(DispositionError, match="永久"):
        appraisal.appraise(aged, DAY, GROUP, [appraisal.Decision(_row(aged, "Z109-WS·1990-Y-BGS-0001"), "destroy", "x")])
    # the old one-call destruction is gone
    with pytest.raises(DispositionError, match="appraise"):
        audit.dispose(aged, [young], "destroy", approved_by="王局长", reason="提前销毁", as_of=DAY)
    assert aged.conn.execute("SELECT count(*) FROM appraisals").fetchone()[0] == 0


def test_a_future_date_is_refused_everywhere(aged):
    tomorrow = display.today() + dt.timedelta(days=1)
    r = _row(aged, "Z109-WS·2015-D10-BGS-0001")
    with pytest.raises(DispositionError, match="晚于今天"):
        appraisal.appraise(aged, dt.date(2032, 1, 1), GROUP, [appraisal.Decision(r, "destroy", "x")])
    with pytest.raises(DispositionError, match="晚于今天"):
        audit.dispose(aged, [r], "extend", approved_by="王局长", reason="x", retention="D30", as_of=tomorrow)
    a = appraisal.appraise(aged, DAY, GROUP, [appraisal.Decision(r, "destroy", "x")]).appraisal["id"]
    with pytest.raises(DispositionError, match="晚于今天"):
        appraisal.approve(aged, a, leader="王局长", on=tomorrow, document="示档〔2026〕1号")
    appraisal.approve(aged, a, leader="王局长", on=DAY, document="示档〔2026〕1号")
    with pytest.raises(DispositionError, match="晚于现在"):
        appraisal.destroy(aged, a, supervisors=["李四", "张三"], method="粉碎", place="档案室",
                          at=dt.datetime.now() + dt.timedelta(days=1))
    assert r["id"] not in {x["id"] for x in aged.conn.execute("SELECT id FROM documents WHERE status='destroyed'")}


def test_two_distinct_supervisors_at_least(aged, tmp_path):
    code = "Z109-WS·2014-D10-BGS-0001"
    a = appraisal.appraise(aged, DAY, GROUP, [appraisal.Decision(_row(aged, code), "destroy", "无价值")]).appraisal["id"]
    with pytest.raises(DispositionError, match="尚未经领导批准"):
        appraisal.destroy(aged, a, supervisors=["李四", "张三"], method="粉碎", place="档案室")
    appraisal.approve(aged, a, leader="王局长", on=DAY, document="示档〔2026〕1号")
    with pytest.raises(DispositionError, match="已于"):
        appraisal.approve(aged, a, leader="赵局长", on=DAY, document="示档〔2026〕2号")
    for people in (["李四"], ["李四", " 李四 "], ["李四", "李四\u3000"], []):
        with pytest.raises(DispositionError, match="监销人"):
            appraisal.destroy(aged, a, supervisors=people, method="粉碎", place="档案室")
    with pytest.raises(DispositionError, match="销毁方式"):
        appraisal.destroy(aged, a, supervisors=["李四", "张三"], method="", place="档案室")
    assert _row(aged, code)["status"] == "archived"
    step = appraisal.destroy(aged, a, supervisors=["李四", "张三"], method="粉碎", place="档案室")
    assert step.appraisal["supervisors"] == ["李四", "张三"] and _row(aged, code)["status"] == "destroyed"
    with pytest.raises(DispositionError, match="已于"):
        appraisal.destroy(aged, a, supervisors=["李四", "张三"], method="粉碎", place="档案室")


def test_config_may_ask_for_more_supervisors_never_fewer(tmp_path):
    from archive.config import load_config
    from conftest import write_config

    cfg = load_config(write_config(tmp_path, **{"supervisors_min = 2": "supervisors_min = 3"}))
    assert cfg.supervisors_min == 3
    from archive.errors import ConfigError
    with pytest.raises(ConfigError, match="supervisors_min"):
        load_config(write_config(tmp_path, **{"supervisors_min = 2": "supervisors_min = 1"}))


def test_three_supervisors_when_configured(tmp_path):
    from archive.config import load_config
    from archive.session import open_archive
    from conftest import write_config

    arc = open_archive(load_config(write_config(tmp_path, **{"supervisors_min = 2": "supervisors_min = 3"})),
                       create=True)
    try:
        f = make_text(tmp_path / "a.txt", "示例县档案局\n一份旧文件。")
        import_record(arc, {"archival_code": "Z109-WS·2009-D10-BGS-0001", "title": "旧文件", "issuer": "示例县档案局",
                            "date": "2009-06-01"}, ImportedFile(f), source={"test": True})
        approve_table(arc)
        with pytest.raises(DispositionError, match="至少 3 名"):
            _procedure(arc, ["Z109-WS·2009-D10-BGS-0001"])
        assert _row(arc, "Z109-WS·2009-D10-BGS-0001")["status"] == "archived"
    finally:
        arc.close()


def test_doubtful_takes_the_longer_period_and_extensions_apply_at_appraisal(aged):
    d10, d30 = _row(aged, "Z109-WS·2015-D10-BGS-0001"), _row(aged, "Z109-WS·1994-D30-BGS-0001")
    step = appraisal.appraise(aged, DAY, GROUP, [appraisal.Decision(d10, "doubtful", "难以判定"),
                                                 appraisal.Decision(d30, "doubtful", "难以判定")])
    assert _row(aged, d10["archival_code"])["retention"] == "D30"  # 从长: one step up
    assert _row(aged, d30["archival_code"])["retention"] == "Y"
    assert all(i["doubtful"] == 1 and i["decision"] == "extend" for i in step.records)
    # nothing to approve: no destruction was proposed
    with pytest.raises(DispositionError, match="没有拟销毁"):
        appraisal.approve(aged, step.appraisal["id"], leader="王局长", on=DAY, document="示档〔2026〕1号")
    assert d10["archival_code"] not in {i.record["archival_code"] for i in audit.due_list(aged.conn, DAY)}
    assert verify(aged).ok, [f.message for f in verify(aged).errors]


def test_extend_keeps_the_code_and_leaves_the_due_list(aged):
    code = "Z109-WS·2015-D10-BGS-0001"
    day = dt.date(2026, 1, 1)
    res = audit.dispose(aged, [_row(aged, code)], "extend", approved_by="王局长", reason="仍有查考价值",
                        retention="D30", as_of=day)
    rec = res.records[0]
    assert rec["archival_code"] == code and rec["retention"] == "D30" and rec["status"] == "archived"
    assert code not in {i.record["archival_code"] for i in audit.due_list(aged.conn, day)}
    assert code in {i.record["archival_code"] for i in audit.due_list(aged.conn, dt.date(2046, 1, 1))}
    with pytest.raises(DispositionError, match="更长"):
        audit.dispose(aged, [_row(aged, code)], "extend", approved_by="王局长", reason="x", retention="D10")
    rep = verify(aged)
    assert rep.ok, [f.message for f in rep.errors]  # the 档号/保管期限 difference is explained by the extend


def test_cli_audit_json_and_appraisal_sheet(aged, cfg_path, tmp_path):
    aged.close()
    out = tmp_path / "鉴定表.xlsx"
    p = run_config(cfg_path, "audit", "--as-of", "2026-01-01", "--json", "-o", str(out))
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    got = {r["archival_code"] for g in data["groups"] for r in g["records"]}
    assert got == expected_due(dt.date(2026, 1, 1)) and data["total"] == len(got)
    assert [(g["year"], g["retention"]) for g in data["groups"]] == [(1994, "D30"), (1995, "D30"), (2009, "D10"),
                                                                      (2014, "D10"), (2015, "D10")]
    wb = load_workbook(out)
    assert wb.sheetnames == ["1994-30年", "1995-30年", "2009-10年", "2014-10年", "2015-10年"]
    assert wb["2015-10年"].cell(3, 2).value == "Z109-WS·2015-D10-BGS-0001"
    # dispose through the CLI: held record refused with exit 1 and a message
    run = lambda *a: run_config(cfg_path, *a)  # noqa: E731
    assert run("hold", "Z109-WS·2009-D10-BGS-0001", "--reason", "诉讼").returncode == 0
    p = run("appraise", "--member", "档案:甲", "--member", "业务:乙", "--destroy", "Z109-WS·2009-D10-BGS-0001:无价值",
            "--as-of", "2026-01-01")
    assert p.returncode == 1 and "冻结" in p.stderr
    # no future --as-of, no one-call destruction
    tomorrow = (display.today() + dt.timedelta(days=1)).isoformat()
    for args in (("audit", "--as-of", tomorrow), ("audit", "--as-of", "2032-01-01"),
                 ("appraise", "--member", "档案:甲", "--member", "业务:乙", "--destroy", "Z109-WS·2014-D10-BGS-0001",
                  "--as-of", "2032-01-01")):
        p = run(*args)
        assert p.returncode == 1 and "晚于今天" in p.stderr, (args, p.stderr)
    p = run("dispose", "Z109-WS·2014-D10-BGS-0001", "--decision", "destroy", "--approved-by", "王局长", "--reason", "x")
    assert p.returncode == 1 and "archive appraise" in p.stderr
    p = run("dispose", "Z109-WS·2014-D10-BGS-0001", "--decision", "destroy", "--approved-by", "王局长", "--reason", "x",
            "--force")
    assert p.returncode == 2  # --force is gone


def test_due_list_reads_in_sql_only_what_may_be_due(aged):
    """The due list filters by 保管期限 and 年度 in SQL before weighing each record (issue 29: /admin/audit read
    every archived row at 100,000 documents): the same list, in the same order, as weighing every archived
    record, on every 1 January and 31 December around the layout's boundaries, old periods and holds included."""
    arc = aged
    with catalog.transaction(arc.conn):  # old periods (长期/短期) as an older catalogue imported them
        arc.conn.execute("UPDATE documents SET retention_old='长期' WHERE archival_code='Z109-WS·1994-D30-BGS-0001'")
        arc.conn.execute("UPDATE documents SET retention_old='短期', retention=NULL "
                         "WHERE archival_code='Z109-WS·2009-D10-BGS-0001'")
    audit.hold(arc, _row(arc, "Z109-WS·2014-D10-BGS-0001"), "审计中")

    def weighed_all(day: dt.date) -> list[tuple]:
        holds, appraised, out = audit.active_holds(arc.conn), audit.appraised_ids(arc.conn), []
        for r in catalog.list_documents(arc.conn, status="archived"):
            due = audit.record_due(r, arc.cfg, appraised)
            if due is not None and due <= day:
                out.append((r["id"], due, holds.get(r["id"])))
        return out

    seen = set()
    for year in range(2019, 2062):
        for day in (dt.date(year, 1, 1), dt.date(year, 12, 31)):
            got = [(i.record["id"], i.due, i.hold_reason) for i in audit.due_list(arc.conn, day, arc.cfg)]
            assert got == weighed_all(day), day
            seen.update(i for i, _, _ in got)
    assert len(seen) == 9  # every record but the two 永久 was due on some day
