"""移交 (archive transfer, archive/transfer.py): the due list, the 开放审核 (one by one and in batch), the package
checked against the 存储结构 the text describes (bench/check_transfer_package.py, not our importer), imported
into a fresh archive with its 开放审核 kept, the receipt that makes the records 已移交, and the one guard that
then refuses edit, reclassify and destruction."""

from __future__ import annotations

import json
import shutil
import sys
import xml.etree.ElementTree as ET

import bagit
import pytest

from tests.conftest import ROOT, run_cli, write_config
from tests.test_use import YEAR, _login, _csrf, _template, archive_copy, db, web_app, ok  # noqa: F401 - shared archive

sys.path.insert(0, str(ROOT / "bench"))
from check_transfer_package import check  # noqa: E402


def review_all(cfg, codes):
    ok(run_cli(cfg, "transfer", "review", codes["Y"], "--open", "开放", "--disclosure", "主动公开"))
    ok(run_cli(cfg, "transfer", "review", codes["D30"], "--open", "控制", "--reason", "涉及个人隐私",
               "--disclosure", "不予公开"))
    ok(run_cli(cfg, "transfer", "review", "--year", str(YEAR), "--open", "延期开放", "--reason", "涉及正在办理的事项",
               "--disclosure", "依申请公开"))


def test_plan_lists_permanent_and_30_year_records(archive_copy):
    cfg, codes = archive_copy
    plan = json.loads(ok(run_cli(cfg, "transfer", "plan", "--year", str(YEAR), "--json")).stdout)
    assert plan["due_from"] == f"{YEAR + 11}-01-01"
    assert sorted(r["archival_code"] for r in plan["records"]) == sorted([codes["Y"], codes["D30"], codes["D30b"]])
    assert {r["state"] for r in plan["records"]} == {"待开放审核"}
    # configurable: 永久 only, after 5 years
    text = cfg.read_text(encoding="utf-8") + '\n[transfer]\nretentions = ["永久"]\nyears = 5\n'
    cfg.write_text(text, encoding="utf-8")
    plan = json.loads(ok(run_cli(cfg, "transfer", "plan", "--year", str(YEAR), "--json")).stdout)
    assert [r["archival_code"] for r in plan["records"]] == [codes["Y"]] and plan["due_from"] == f"{YEAR + 6}-01-01"


def test_review_rules(archive_copy):
    cfg, codes = archive_copy
    r = run_cli(cfg, "transfer", "review", codes["Y"], "--open", "控制", "--reason", "我不想开放", "--disclosure", "不予公开")
    assert r.returncode == 1 and "涉及个人隐私" in r.stderr  # the reason comes from the configured list
    r = run_cli(cfg, "transfer", "review", codes["Y"], "--open", "公开", "--disclosure", "主动公开")
    assert r.returncode == 1 and "开放审核意见" in r.stderr
    r = run_cli(cfg, "transfer", "review", codes["Y"], "--open", "开放", "--disclosure", "随便")
    assert r.returncode == 1 and "政府信息公开情况" in r.stderr
    r = run_cli(cfg, "transfer", "review", codes["Y"], "--open", "延期开放", "--disclosure", "依申请公开")
    assert r.returncode == 1 and "理由" in r.stderr
    assert db(cfg).execute("SELECT count(*) FROM transfer_reviews").fetchone()[0] == 0
    review_all(cfg, codes)
    rows = {r["archival_code"]: r["review"] for r in json.loads(ok(run_cli(
        cfg, "transfer", "plan", "--year", str(YEAR), "--json")).stdout)["records"]}
    assert rows[codes["Y"]]["openness"] == "开放" and rows[codes["D30"]]["control_reason"] == "涉及个人隐私"
    assert rows[codes["D30b"]]["openness"] == "延期开放" and rows[codes["D30b"]]["secrecy_change"] == "无（非涉密）"
    assert all(r["decided_by"] for r in rows.values())


def test_export_refused_until_every_record_is_reviewed(archive_copy, tmp_path):
    cfg, codes = archive_copy
    ok(run_cli(cfg, "transfer", "review", codes["Y"], "--open", "开放", "--disclosure", "主动公开"))
    r = run_cli(cfg, "transfer", "export", "--year", str(YEAR), "-o", str(tmp_path / "pkg"))
    assert r.returncode == 1 and "2 件尚未开放审核" in r.stderr and not (tmp_path / "pkg").exists()
    r = run_cli(cfg, "transfer", "export", "--year", "2025", "-o", str(tmp_path / "pkg"))
    assert r.returncode == 1 and "2036-01-01" in r.stderr  # not yet due


@pytest.mark.slow
def test_package_follows_the_storage_structure_and_imports_with_its_reviews(archive_copy, tmp_path):
    cfg, codes = archive_copy
    review_all(cfg, codes)
    pkg = tmp_path / "移交包"
    done = json.loads(ok(run_cli(cfg, "transfer", "export", "--year", str(YEAR), "-o", str(pkg), "--json")).stdout)
    assert done["records"] == 3 and done["transfer"] == 1
    bagit.Bag(str(pkg)).validate()
    problems, figures = check(pkg)
    assert problems == [] and figures["文件条目"] == 3 and figures["电子档案文件"] == 3
    data = pkg / "data"
    for name in ("移交清单", "开放审核表", "电子档案移交与接收登记表"):
        assert (data / "其他" / f"{name}.pdf").stat().st_size > 1000 and (data / "其他" / f"{name}.xlsx").exists()
    from openpyxl import load_workbook

    wb = load_workbook(data / "其他" / "开放审核表.xlsx")
    assert wb.sheetnames == ["开放档案", "控制档案", "延期开放档案"]
    cells = [c for row in wb["控制档案"].iter_rows(values_only=True) for c in row if c is not None]
    assert codes["D30"] in cells and "涉及个人隐私" in cells and "不予公开" in cells
    root = ET.parse(data / "文件目录.xml").getroot()
    assert sorted(f.findtext("档号") for f in root) == sorted([codes["Y"], codes["D30"], codes["D30b"]])
    # the checker is not a rubber stamp: a package with its 说明文件 gone, or a record's file outside the
    # 年度/类别 layers, fails
    broken = tmp_path / "broken"
    shutil.copytree(data, broken)
    (broken / "说明文件.txt").unlink()
    moved = next((broken / "电子档案").rglob("*.pdf"))
    moved.rename(broken / "电子档案" / moved.name)
    problems, _ = check(broken)
    assert any("说明文件" in p for p in problems) and any("年度/类别/文件" in p for p in problems)
    # exported once: the records are in an open transfer, not exported again
    r = run_cli(cfg, "transfer", "export", "--year", str(YEAR), "-o", str(tmp_path / "again"))
    assert r.returncode == 1 and "没有待移交" in r.stderr
    # a fresh archive takes the package in with the 开放审核 kept
    other = tmp_path / "馆"
    other.mkdir()
    cfg2 = write_config(other)
    ok(run_cli(cfg2, "import", "package", str(pkg)))
    plan = {r["archival_code"]: r["review"] for r in json.loads(ok(run_cli(
        cfg2, "transfer", "plan", "--year", str(YEAR), "--json")).stdout)["records"]}
    assert plan[codes["D30"]]["openness"] == "控制" and plan[codes["D30"]]["control_reason"] == "涉及个人隐私"
    assert plan[codes["Y"]]["disclosure"] == "主动公开" and plan[codes["D30b"]]["openness"] == "延期开放"
    assert plan[codes["Y"]]["decided_by"] == db(cfg).execute("SELECT decided_by FROM transfer_reviews LIMIT 1").fetchone()[0]


@pytest.mark.slow
def test_confirm_marks_transferred_and_the_guard_refuses_changes(archive_copy, tmp_path):
    cfg, codes = archive_copy
    review_all(cfg, codes)
    r = run_cli(cfg, "transfer", "confirm", "--receipt", str(tmp_path / "none.pdf"))
    assert r.returncode == 1
    receipt = tmp_path / "回执.pdf"
    receipt.write_bytes(b"%PDF-1.4 signed receipt")
    r = run_cli(cfg, "transfer", "confirm", "--receipt", str(receipt))
    assert r.returncode == 1 and "没有待接收的移交" in r.stderr
    ok(run_cli(cfg, "transfer", "export", "--year", str(YEAR), "-o", str(tmp_path / "pkg")))
    # before the receipt, a correction is still possible (the 档案馆 may ask for one while checking)
    ok(run_cli(cfg, "edit", codes["D30"], "--title", "更正后的题名", "--reason", "档案馆检查时指出"))
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert run_cli(cfg, "transfer", "confirm", "--receipt", str(empty)).returncode == 1
    done = json.loads(ok(run_cli(cfg, "transfer", "confirm", "--receipt", str(receipt), "--json")).stdout)
    assert done["records"] == 3 and len(done["receipt_sha256"]) == 64
    r = run_cli(cfg, "transfer", "confirm", "--receipt", str(receipt), "--transfer", "1")
    assert r.returncode == 1 and "已于" in r.stderr
    # 已移交: edit and reclassify refused, still readable (show, open)
    r = run_cli(cfg, "edit", codes["Y"], "--title", "x", "--reason", "y")
    assert r.returncode == 1 and "移交档案馆" in r.stderr
    r = run_cli(cfg, "reclassify", codes["D30"], "--retention", "永久", "--reason", "y")
    assert r.returncode == 1 and "移交档案馆" in r.stderr
    r = run_cli(cfg, "transfer", "review", codes["Y"], "--open", "控制", "--reason", "涉及个人隐私", "--disclosure", "不予公开")
    assert r.returncode == 1 and "移交档案馆" in r.stderr
    ok(run_cli(cfg, "show", codes["Y"]))
    ok(run_cli(cfg, "open", codes["Y"], "-o", str(tmp_path / "copy")))
    plan = json.loads(ok(run_cli(cfg, "transfer", "plan", "--year", str(YEAR), "--json")).stdout)
    assert {r["state"] for r in plan["records"]} == {"已移交"}
    # the 10年 record was not in the transfer: it is edited as before
    ok(run_cli(cfg, "edit", codes["D10"], "--title", "值班安排", "--reason", "错字"))
    assert db(cfg).execute("SELECT count(*) FROM events WHERE action='transfer'").fetchone()[0] == 3


def test_destruction_refused_for_a_transferred_record(archive_copy, tmp_path):
    """The guard in appraisal.destroy: a 30年 record appraised for destruction, then transferred, is not
    destroyed (the appraisal is written straight through the service, with an as-of date past its due date)."""
    import datetime as dt

    from archive import appraisal, catalog
    from archive.config import load_config
    from archive.errors import DispositionError
    from archive.session import open_archive
    from archive import transfer

    cfg, codes = archive_copy
    arc = open_archive(load_config(cfg))
    try:
        import dataclasses

        row = arc.resolve(codes["D10"])  # a 10年 record of 2014: due for appraisal since 2025
        arc.cfg.transfer = dataclasses.replace(arc.cfg.transfer, retentions=("Y", "D30", "D10"))
        transfer.review(arc, [row], openness="开放", disclosure="主动公开")
        for other in (codes["Y"], codes["D30"], codes["D30b"]):
            transfer.review(arc, [arc.resolve(other)], openness="开放", disclosure="主动公开")
        from tests.approved import GROUP, approve_table

        approve_table(arc)  # issue 26: no destruction under a table not agreed, nor without both sides
        step = appraisal.appraise(arc, dt.date.today(), GROUP,
                                  [appraisal.Decision(row=row, decision="destroy", reason="到期无保存价值")])
        aid = step.appraisal["id"]
        appraisal.approve(arc, aid, leader="丙", on=dt.date.today(), document="示档〔2026〕1号")
        transfer.export(arc, YEAR, tmp_path / "pkg")
        receipt = tmp_path / "r.pdf"
        receipt.write_bytes(b"receipt")
        transfer.confirm(arc, receipt)
        with pytest.raises(DispositionError, match="移交档案馆"):
            appraisal.destroy(arc, aid, supervisors=["监销甲", "监销乙"], method="粉碎", place="档案室")
        assert catalog.get_record(arc.conn, row["id"])["status"] == "archived"
    finally:
        arc.close()


def test_transfer_pages(web_app):
    app, cfg, codes = web_app
    c = _login(app, "dang")
    page = c.get("/transfer", params={"year": str(YEAR)})
    assert page.status_code == 200 and codes["Y"] in page.text and "待审核" in page.text
    ids = [str(r[0]) for r in db(cfg).execute("SELECT id FROM documents WHERE retention != 'D10'")]
    r = c.post("/transfer/review", data={"csrf": _csrf(page.text), "year": str(YEAR), "doc": ids,
                                         "openness": "控制", "reason": "涉及个人隐私", "disclosure": "依申请公开"},
               follow_redirects=False)
    assert r.status_code == 303
    assert db(cfg).execute("SELECT count(*) FROM transfer_reviews WHERE openness='控制' AND decided_by='dang'"
                           ).fetchone()[0] == 3
    r = c.post("/transfer/review", data={"csrf": _csrf(page.text), "year": str(YEAR), "doc": ids[:1],
                                         "openness": "控制", "reason": "随便", "disclosure": "依申请公开"})
    assert r.status_code >= 400 and "涉及个人隐私" in r.text


def test_a_package_with_a_bad_review_file_is_refused_whole(archive_copy, tmp_path):
    cfg, codes = archive_copy
    review_all(cfg, codes)
    pkg = tmp_path / "pkg"
    ok(run_cli(cfg, "transfer", "export", "--year", str(YEAR), "-o", str(pkg)))
    reviews = pkg / "data" / "其他" / "开放审核.json"
    data = json.loads(reviews.read_text(encoding="utf-8"))
    data[codes["Y"]]["openness"] = "全部公开"
    reviews.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    bag = bagit.Bag(str(pkg))
    bag.save(manifests=True)  # a sender's tool that re-signs the bag: the checksums alone do not catch it
    other = tmp_path / "馆"
    other.mkdir()
    cfg2 = write_config(other)
    r = run_cli(cfg2, "import", "package", str(pkg))
    assert r.returncode == 1 and "开放审核" in r.stderr and "未导入任何记录" in r.stderr
    assert db(cfg2).execute("SELECT count(*) FROM documents").fetchone()[0] == 0
