"""The appraisal procedure end to end (audit → appraise → approve → destroy) on a real archive and the real CLI,
imported old periods, and destruction of records that share a stored file."""

from __future__ import annotations

import datetime as dt
import json
import tarfile

import pytest
from pypdf import PdfReader

from archive import appraisal, audit, catalog
from archive.backup import backup
from archive.export.package import export_package
from archive.importing import ImportedFile, import_record
from archive.search import Filters, search
from archive.verify import verify
from makedocs import make_text
from tests.approved import GROUP, approve_table
from tests.clirun import run_config

DAY = dt.date(2026, 1, 1)


def _cli(cfg_path, *args):
    return run_config(cfg_path, *args)


def _row(arc, code):
    return arc.conn.execute("SELECT * FROM documents WHERE archival_code=?", (code,)).fetchone()


def _add(arc, tmp_path, code, year, text=None, **meta):
    f = make_text(tmp_path / f"{code}.txt", text or f"示例县档案局\n{code} 的正文，独特词{year}。")
    return import_record(arc, {"archival_code": code, "title": meta.pop("title", f"{year}年的一份文件"),
                               "issuer": "示例县档案局", "date": f"{year}-06-01", **meta},
                         ImportedFile(f), source={"test": True})


@pytest.mark.slow
def test_whole_procedure_through_the_cli(arc, cfg_path, tmp_path):
    for n, year in enumerate((2009, 2014, 2015), 1):
        _add(arc, tmp_path, f"Z109-WS·{year}-D10-BGS-0001", year, doc_number_raw=f"示档发〔{year}〕{n}号")
    arc.close()
    # issue 26: no destruction decision under a table the 档案主管部门 has not agreed to
    p = _cli(cfg_path, "appraise", "--as-of", "2026-01-01", "--member", "档案:档案员甲", "--member", "业务:办公室乙",
             "--destroy", "Z109-WS·2009-D10-BGS-0001:已无查考价值")
    assert p.returncode == 1 and "未经审核同意" in p.stderr and "archive rules approve" in p.stderr
    p = _cli(cfg_path, "rules", "approve", "--by", "示例县档案局", "--on", "2026-01-01", "--document", "示档函〔2026〕3号")
    assert p.returncode == 0, p.stderr

    # 1. audit: what is due on 2026-01-01 (a day not later than today)
    p = _cli(cfg_path, "audit", "--as-of", "2026-01-01", "--json")
    assert p.returncode == 0, p.stderr
    due = json.loads(p.stdout)
    assert due["total"] == 3 and due["table_approved"] is True and "未经审核同意" not in p.stderr

    # 2. appraise: the group decides 2 to destroy, 1 to keep 30年
    draft = tmp_path / "销毁清册草稿.xlsx"
    p = _cli(cfg_path, "appraise", "--as-of", "2026-01-01", "--member", "档案:档案员甲", "--member", "业务:办公室乙",
             "--member", "副局长丙", "--destroy", "Z109-WS·2009-D10-BGS-0001:已无查考价值",
             "--destroy", "示档发〔2014〕2号", "--reason", "事务性文件，已无保存价值",
             "--extend", "Z109-WS·2015-D10-BGS-0001:30年:仍有查考价值", "-o", str(draft), "--json")
    assert p.returncode == 0, p.stderr
    step = json.loads(p.stdout)
    aid = step["appraisal"]["id"]
    assert step["appraisal"]["members"] == ["档案员甲（档案）", "办公室乙（业务）", "副局长丙"]
    assert {r["archival_code"]: r["decision"] for r in step["records"]} == {
        "Z109-WS·2009-D10-BGS-0001": "destroy", "Z109-WS·2014-D10-BGS-0001": "destroy",
        "Z109-WS·2015-D10-BGS-0001": "extend"}
    report = step["documents"]["report"]
    assert report["retention"] == "Y" and report["status"] == "archived" and "鉴定工作报告" in report["title"]
    assert draft.exists()

    # destroy before approval is refused
    p = _cli(cfg_path, "destroy", str(aid), "--supervisor", "李四", "--supervisor", "张三", "--method", "粉碎",
             "--place", "局档案室")
    assert p.returncode == 1 and "尚未经领导批准" in p.stderr

    # 3. approve
    p = _cli(cfg_path, "approve", str(aid), "--leader", "王局长", "--on", "2026-01-05", "--document", "示档〔2026〕1号",
             "--json")
    assert p.returncode == 0, p.stderr
    approved = json.loads(p.stdout)
    assert approved["appraisal"]["approved_by"] == "王局长" and approved["appraisal"]["approved_on"] == "2026-01-05"
    assert approved["documents"]["approval"]["retention"] == "Y"

    # 4. destroy: one 监销人 is not enough
    p = _cli(cfg_path, "destroy", str(aid), "--supervisor", "李四", "--method", "粉碎", "--place", "局档案室")
    assert p.returncode == 1 and "监销人" in p.stderr
    p = _cli(cfg_path, "destroy", str(aid), "--supervisor", "李四", "--supervisor", "张三", "--method", "粉碎",
             "--place", "局档案室", "--at", "2026-01-06T09:30", "--json")
    assert p.returncode == 0, p.stderr
    done = json.loads(p.stdout)
    assert {r["status"] for r in done["records"]} == {"destroyed"} and len(done["removed_files"]) == 2
    register = done["documents"]["register"]
    assert register["retention"] == "Y" and "销毁清册" in register["title"]

    from archive.config import load_config
    from archive.session import open_archive

    a2 = open_archive(load_config(cfg_path))
    try:
        # each step recorded with who and when
        row = appraisal.get(a2.conn, aid)
        assert row["appraised_at"] and row["approved_at"] and row["destroyed_at"].startswith("2026-01-06T09:30")
        assert json.loads(row["supervisors"]) == ["李四", "张三"] and row["method"] == "粉碎"
        acts = [r[0] for r in a2.conn.execute("SELECT action FROM events WHERE document_id IS NULL ORDER BY id")]
        assert [x for x in acts if x in ("appraise", "approve", "destroy-batch")] == ["appraise", "approve", "destroy-batch"]
        # the three documents are archived records of our own: 永久, 本机关, searchable, with a file
        docs = [a2.conn.execute("SELECT * FROM documents WHERE id=?", (row[c],)).fetchone()
                for c in ("report_id", "approval_id", "register_id")]
        assert all(d["retention"] == "Y" and d["status"] == "archived" and d["fonds"] == "Z109" and d["stored_path"]
                   for d in docs)
        reg = PdfReader(str(a2.store.abspath(docs[2]["stored_path"])))
        text = "".join(p.extract_text() for p in reg.pages)
        for part in ("档案销毁清册", "Z109-WS·2009-D10-BGS-0001", "批准人：王局长", "销毁方式：粉碎", "销毁地点：局档案室",
                     "李四", "张三"):
            assert part in text, part
        assert "Z109-WS·2015-D10-BGS-0001" not in text  # extended, not on the 清册
        hits = search(a2.conn, a2.index, "鉴定工作报告", Filters()).hits
        assert docs[0]["id"] in {h.record["id"] for h in hits}
        hits = search(a2.conn, a2.index, "监销", Filters()).hits
        assert docs[2]["id"] in {h.record["id"] for h in hits}
        # carried in the transfer package and the backup
        s = export_package(a2, docs[0]["year"], tmp_path / "包")
        names = {p.name for p in (tmp_path / "包").rglob("*")}
        assert all(any(d["archival_code"] in n for n in names) for d in docs) and s.records >= 3
        bk = backup(a2, tmp_path / "备份.tar")
        with tarfile.open(bk.path) as t:
            members = t.getnames()
        assert all(any(m.endswith(d["stored_path"]) for m in members) for d in docs)
        assert verify(a2).ok, [f.message for f in verify(a2).errors]
    finally:
        a2.close()
    p = _cli(cfg_path, "appraisals", "--json")
    assert json.loads(p.stdout)[0]["state"] == "已销毁"


def test_destroy_keeps_a_file_that_another_record_references(arc, tmp_path):
    """Two records sharing one stored file (a known state from older versions): destroying one must not delete
    the other's file."""
    old = _add(arc, tmp_path, "Z109-WS·2009-D10-BGS-0001", 2009)
    keep = _add(arc, tmp_path, "Z109-WS·2020-Y-BGS-0001", 2020, text="另一份永久文件")
    shared = _row(arc, old["archival_code"])
    with catalog.transaction(arc.conn):  # the other record lists the same stored file as one of its parts
        arc.conn.execute("INSERT INTO document_files(document_id, seq, sha256, filename, stored_path, media_type, "
                         "size, added_at) VALUES (?,?,?,?,?,?,?,?)",
                         (keep["id"], 2, shared["sha256"], "附件.txt", shared["stored_path"], shared["media_type"],
                          shared["size"], catalog.now()))
    path = arc.store.abspath(shared["stored_path"])
    approve_table(arc)
    a = appraisal.appraise(arc, DAY, GROUP, [appraisal.Decision(shared, "destroy", "无价值")]).appraisal["id"]
    appraisal.approve(arc, a, leader="王局长", on=DAY, document="批示1")
    step = appraisal.destroy(arc, a, supervisors=["李四", "张三"], method="删除", place="机房")
    assert _row(arc, old["archival_code"])["status"] == "destroyed"
    assert path.exists() and step.kept_files == [shared["stored_path"]] and step.removed_files == []
    assert shared["stored_path"] in catalog.referenced_files(arc.conn)


def test_a_1995_long_record_is_not_due_in_2026(arc, tmp_path):
    long_ = _add(arc, tmp_path, "Z109-WS-1995-C-1", 1995)  # 长期, 档号 as the old catalogue wrote it
    short = _add(arc, tmp_path, "Z109-WS·2005-短期-0001", 2005)
    both = _add(arc, tmp_path, "Z109-WS·1990-D30-BGS-0001", 1990, retention_old="长期")
    rows = {r["archival_code"]: r for r in arc.conn.execute("SELECT * FROM documents")}
    assert rows["Z109-WS-1995-C-1"]["retention_old"] == "长期" and rows["Z109-WS-1995-C-1"]["retention"] is None
    assert rows["Z109-WS·2005-短期-0001"]["retention_old"] == "短期"
    assert (long_["archival_code"], short["archival_code"]) == ("Z109-WS-1995-C-1", "Z109-WS·2005-短期-0001")
    # the parts still serve search and resolution
    assert arc.resolve("Z109-WS·1995-C-0001")["id"] == long_["id"]
    from archive.export.catalogue import catalogue_sheets
    sheet = catalogue_sheets(arc.conn, arc.cfg, 1995)[0]  # the 归档文件目录 lists it under its own period
    assert "长期" in sheet.subtitle and sheet.rows[0][1] == "Z109-WS-1995-C-1"
    codes = lambda d: {i.record["archival_code"]: i for i in audit.due_list(arc.conn, d, arc.cfg)}  # noqa: E731
    assert "Z109-WS-1995-C-1" not in codes(dt.date(2026, 11, 30))
    assert "Z109-WS-1995-C-1" not in codes(dt.date(2045, 12, 31))
    assert codes(dt.date(2046, 1, 1))["Z109-WS-1995-C-1"].note == "原长期，须鉴定"
    # 短期 from 15 years: 2005 → 2021
    assert codes(dt.date(2021, 1, 1))["Z109-WS·2005-短期-0001"].note == "原短期，须鉴定"
    # a 30年 档号 with 长期 in the catalogue: the later date counts (1990 + 50 → 2041, not 2021)
    assert both["archival_code"] not in codes(dt.date(2026, 1, 1))
    assert both["archival_code"] in codes(dt.date(2041, 1, 1))
    # an appraisal of the 短期 record: a period of today's table must run past the appraisal date
    r = _row(arc, short["archival_code"])
    with pytest.raises(Exception, match="即已到期"):
        appraisal.appraise(arc, DAY, GROUP, [appraisal.Decision(r, "extend", "有价值", "D10")])
    appraisal.appraise(arc, DAY, GROUP, [appraisal.Decision(r, "doubtful", "难以判定")])
    after = _row(arc, short["archival_code"])
    assert after["retention"] == "D30" and after["retention_old"] == "短期"  # history kept, 2005+31 = 2036
    assert short["archival_code"] not in codes(DAY)
    assert verify(arc).ok, [f.message for f in verify(arc).errors]


def test_old_periods_are_configurable(tmp_path):
    from archive.config import load_config
    from conftest import write_config

    cfg = load_config(write_config(tmp_path, **{"old_long_years = 50": "old_long_years = 40"}))
    assert audit.due_date(1995, None, "长期", long_years=cfg.old_long_years) == dt.date(2036, 1, 1)
    assert audit.due_date(1995, None, "短期") == dt.date(2011, 1, 1)


def test_appraise_from_the_filled_in_appraisal_sheet(arc, cfg_path, tmp_path):
    from openpyxl import load_workbook

    for year in (2009, 2014, 2015):
        _add(arc, tmp_path, f"Z109-WS·{year}-D10-BGS-0001", year, pages=1)
    approve_table(arc)
    arc.close()
    sheet = tmp_path / "到期档案鉴定表.xlsx"
    assert _cli(cfg_path, "audit", "--as-of", "2026-01-01", "-o", str(sheet)).returncode == 0
    wb = load_workbook(sheet)
    opinions = {"Z109-WS·2009-D10-BGS-0001": "销毁：已无查考价值", "Z109-WS·2014-D10-BGS-0001": "延期30年：仍有查考价值",
                "Z109-WS·2015-D10-BGS-0001": "存疑"}
    for ws in wb.worksheets:
        head = [c.value for c in ws[2]]
        col = head.index("鉴定意见") + 1
        for row in ws.iter_rows(min_row=3):
            if row[1].value in opinions:
                ws.cell(row[0].row, col, opinions[row[1].value])
    wb.save(sheet)
    p = _cli(cfg_path, "appraise", "--as-of", "2026-01-01", "--member", "档案:甲", "--member", "业务:乙", "--from", str(sheet),
             "--json")
    assert p.returncode == 0, p.stderr
    got = {r["archival_code"]: (r["decision"], r["retention_after"], r["reason"], r["doubtful"])
           for r in json.loads(p.stdout)["records"]}
    assert got == {"Z109-WS·2009-D10-BGS-0001": ("destroy", None, "已无查考价值", 0),
                   "Z109-WS·2014-D10-BGS-0001": ("extend", "D30", "仍有查考价值", 0),
                   "Z109-WS·2015-D10-BGS-0001": ("extend", "D30", "鉴定小组意见：存疑", 1)}
    # an opinion that cannot be read stops everything
    ws = wb.worksheets[0]
    ws.cell(3, [c.value for c in ws[2]].index("鉴定意见") + 1, "再看看")
    wb.save(sheet)
    p = _cli(cfg_path, "appraise", "--as-of", "2026-01-01", "--member", "档案:甲", "--member", "业务:乙", "--from", str(sheet))
    assert p.returncode == 1 and "无法识别" in p.stderr


def test_old_periods_and_codes_travel_in_a_transfer_package(arc, tmp_path, cfg):
    from archive.export.package import import_package
    from archive.session import open_archive
    from conftest import write_config
    from archive.config import load_config

    _add(arc, tmp_path, "Z109-WS-1995-C-1", 1995, pages=1)
    _add(arc, tmp_path, "Z109-WS·1995-D30-0001", 1995, pages=1, retention_old="长期")
    export_package(arc, 1995, tmp_path / "包")
    (tmp_path / "b").mkdir()
    other = open_archive(load_config(write_config(tmp_path / "b")), create=True)
    try:
        import_package(other, tmp_path / "包")
        got = {tuple(r) for r in other.conn.execute("SELECT archival_code, retention, retention_old FROM documents")}
        assert got == {("Z109-WS-1995-C-1", None, "长期"), ("Z109-WS·1995-D30-0001", "D30", "长期")}
    finally:
        other.close()


def test_an_appraisal_that_waited_for_the_lock_rereads_and_refuses_a_record_held_meanwhile(arc, cfg, tmp_path):
    """Two concurrent changes of one record: the appraisal checked the record, then waited for the write lock
    while another writer put a hold on it; under the lock it reads the record again and refuses, with the
    reason, writing nothing."""
    import threading

    from archive.errors import DispositionError
    from archive.session import open_archive

    rec = _add(arc, tmp_path, "Z109-WS·2009-D10-BGS-0001", 2009)
    approve_table(arc)
    row = _row(arc, rec["archival_code"])
    other = open_archive(cfg)
    waiting, outcome = threading.Event(), {}
    arc.on_lock_wait = lambda msg: waiting.set()

    def appraise():
        try:
            appraisal.appraise(arc, DAY, GROUP, [appraisal.Decision(row, "destroy", "无价值")])
        except DispositionError as e:
            outcome["error"] = str(e)

    try:
        with other.change(transaction=False):
            t = threading.Thread(target=appraise)
            t.start()
            assert waiting.wait(120), outcome  # the appraisal checked the record and now waits for the lock we hold
            audit.hold(other, _row(other, rec["archival_code"]), "审计调阅")
        t.join()
    finally:
        other.close()
    assert "刚被冻结" in outcome["error"] and "审计调阅" in outcome["error"]
    assert appraisal.listing(arc.conn) == []
