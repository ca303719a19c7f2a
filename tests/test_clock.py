"""One clock (issue 26): what a person types is on the agency's clock ([agency] timezone), what is stored is ISO
8601 with an offset, what is shown is on the agency's clock — whatever the machine's TZ says. The commands run
in real processes with TZ=UTC and TZ=America/New_York and must record and print the same agency times."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from archive import appraisal, display
from archive.config import load_config
from archive.importing import ImportedFile, import_record
from archive.session import open_archive
from conftest import ROOT, write_config
from makedocs import make_text
from tests.approved import GROUP, approve_table

DAY = dt.date(2026, 1, 1)


def _run(cfg_path, tz: str, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "TZ": tz, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "archive", "--config", str(cfg_path), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _approved_appraisal(folder):
    """An archive with one due record, the table agreed, appraised and approved: ready for ``destroy``."""
    folder.mkdir()
    cfg_path = write_config(folder)
    arc = open_archive(load_config(cfg_path), create=True)
    try:
        f = make_text(folder / "old.txt", "示例县档案局\n2009年的一份通知，独特词。")
        rec = import_record(arc, {"archival_code": "Z109-WS·2009-D10-BGS-0001", "title": "旧通知",
                                  "issuer": "示例县档案局", "date": "2009-06-01"}, ImportedFile(f), source={"t": 1})
        approve_table(arc)
        row = arc.conn.execute("SELECT * FROM documents WHERE id=?", (rec["id"],)).fetchone()
        a = appraisal.appraise(arc, DAY, GROUP, [appraisal.Decision(row, "destroy", "无价值")]).appraisal["id"]
        appraisal.approve(arc, a, leader="王局长", on=DAY, document="示档〔2026〕1号")
    finally:
        arc.close()
    return cfg_path, a


@pytest.mark.slow
@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_a_typed_destruction_time_is_the_agencys_whatever_the_machines_tz(tmp_path, tz):
    cfg_path, a = _approved_appraisal(tmp_path / "a")
    p = _run(cfg_path, tz, "destroy", str(a), "--supervisor", "李四", "--supervisor", "张三", "--method", "粉碎",
             "--place", "局档案室", "--at", "2026-03-02T15:00", "--json")
    assert p.returncode == 0, p.stderr
    done = json.loads(p.stdout)
    # stored with the agency's offset: the hour typed, in Beijing
    assert done["appraisal"]["destroyed_at"] == "2026-03-02T15:00:00+08:00"
    # shown on the agency's clock: the list of appraisals and the 销毁清册 filed as a 永久 record
    p = _run(cfg_path, tz, "appraisals")
    assert p.returncode == 0 and "2026-03-02 15:00" in p.stdout, p.stdout
    arc = open_archive(load_config(cfg_path))
    try:
        reg = arc.conn.execute("SELECT stored_path FROM documents WHERE id=?",
                               (appraisal.get(arc.conn, a)["register_id"],)).fetchone()[0]
        text = "".join(pg.extract_text() for pg in PdfReader(str(arc.store.abspath(reg))).pages)
        assert "销毁时间：2026-03-02 15:00" in text
        # every time the procedure stored carries the agency's offset, not the machine's
        row = appraisal.get(arc.conn, a)
        assert all(row[k].endswith("+08:00") for k in ("appraised_at", "approved_at", "destroyed_at"))
    finally:
        arc.close()


@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_times_shown_and_stored_follow_the_agency_zone_in_a_process(tmp_path, tz):
    """``archive init`` then ``show`` of nothing: the event log's times are stored with +08:00 and the 四性检测
    report names its time on the agency's clock, under either machine zone."""
    (tmp_path / "b").mkdir()
    cfg_path = write_config(tmp_path / "b")
    assert _run(cfg_path, tz, "init").returncode == 0
    p = _run(cfg_path, tz, "rules", "approve", "--by", "示例县档案局", "--on", "2026-01-01", "--document",
             "示档函〔2026〕3号", "--json")
    assert p.returncode == 0, p.stderr
    arc = open_archive(load_config(cfg_path))
    try:
        at = arc.conn.execute("SELECT recorded_at FROM table_approvals").fetchone()[0]
    finally:
        arc.close()
    assert at.endswith("+08:00"), at
    when = dt.datetime.fromisoformat(at)
    assert abs((when - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 3600  # it is now, in Beijing terms
    report = tmp_path / "四性检测报告.xlsx"
    p = _run(cfg_path, tz, "verify", "-o", str(report))
    assert report.exists(), p.stderr
    text = "\n".join(str(c.value) for ws in load_workbook(report).worksheets for row in ws.iter_rows() for c in row
                      if c.value is not None)
    shown = display.local_time(dt.datetime.now(dt.timezone.utc), "Asia/Shanghai")[:13]  # this hour, in Beijing
    assert f"检测时间 {shown}" in text, text[:400]


def test_typed_times_read_on_the_agency_clock():
    tz = display.zone("Asia/Shanghai")
    assert display.typed_time("2026-12-07T15:00", tz).isoformat() == "2026-12-07T15:00:00+08:00"
    assert display.typed_time("2026-12-07 15:00", tz).isoformat() == "2026-12-07T15:00:00+08:00"
    # an offset written by the person is kept, and shown in the agency's time
    assert display.local_time(display.typed_time("2026-12-07T07:00+00:00", tz), tz) == "2026-12-07 15:00"
    assert display.local_date("2026-12-07T20:00:00+00:00", tz) == "2026-12-08"
    with pytest.raises(ValueError):
        display.typed_time("明天下午", tz)


@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_the_inbox_folders_and_reason_files_read_the_agencys_day_and_time(tmp_path, tz):
    """A file the watched inbox cannot read goes to failed/<day>/ with a reason file: the day and the time in it
    are the agency's, not the machine's."""
    (tmp_path / "c").mkdir()
    cfg_path = write_config(tmp_path / "c")
    cfg = load_config(cfg_path)
    assert _run(cfg_path, tz, "init").returncode == 0
    cfg.inbox.mkdir(parents=True, exist_ok=True)
    (cfg.inbox / "bad.pdf").write_bytes(b"%PDF-1.4\n this is no PDF at all")
    before = display.now("Asia/Shanghai")
    p = _run(cfg_path, tz, "watch", "--once")
    after = display.now("Asia/Shanghai")
    reasons = list(cfg.failed_dir.rglob("*.原因.txt"))
    assert len(reasons) == 1, (p.stderr, list(cfg.failed_dir.rglob("*")))
    day = reasons[0].parent.name
    assert day in {before.date().isoformat(), after.date().isoformat()}, day  # the agency's day
    line = next(x for x in reasons[0].read_text(encoding="utf-8").splitlines() if x.startswith("时间："))
    shown = dt.datetime.strptime(line[3:], "%Y-%m-%d %H:%M:%S").replace(tzinfo=before.tzinfo)
    assert before.replace(microsecond=0) <= shown <= after, line


@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_a_transfer_package_is_dated_on_the_agencys_day(tmp_path, tz):
    (tmp_path / "d").mkdir()
    cfg_path = write_config(tmp_path / "d")
    arc = open_archive(load_config(cfg_path), create=True)
    try:
        f = make_text(tmp_path / "d" / "a.txt", "示例县档案局\n2019年的一份通知，独特词。")
        import_record(arc, {"archival_code": "Z109-WS·2019-D10-BGS-0001", "title": "通知", "issuer": "示例县档案局",
                            "date": "2019-06-01", "pages": 1}, ImportedFile(f), source={"t": 1})
    finally:
        arc.close()
    before = display.today("Asia/Shanghai")
    p = _run(cfg_path, tz, "export", "package", "--year", "2019", "-o", str(tmp_path / "包"))
    assert p.returncode == 0, p.stderr
    info = (tmp_path / "包" / "bag-info.txt").read_text(encoding="utf-8")
    day = next(x for x in info.splitlines() if x.startswith("Bagging-Date:")).split(":", 1)[1].strip()
    assert day in {before.isoformat(), display.today("Asia/Shanghai").isoformat()}, info
