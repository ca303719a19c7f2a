"""The access log (archive/access_log.py): every view, download, ``archive open`` and 归档章 copy is recorded
with who and when — from the command line and from the web page's record, file view, download and stamp
routes — shown per record, exportable, never changed or deleted."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import run_cli
from tests.test_use import _login, archive_copy, _template, db, web_app  # noqa: F401 - the shared prepared archive


def log(cfg) -> list[tuple]:
    return [tuple(r) for r in db(cfg).execute(
        "SELECT actor, action, route, document_id, archival_code FROM access_log ORDER BY id")]


def test_cli_open_and_stamp_are_logged(archive_copy, tmp_path):
    cfg, codes = archive_copy
    assert log(cfg) == []
    r = run_cli(cfg, "--operator", "档案员小王", "open", codes["Y"], "-o", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    r = run_cli(cfg, "export", "stamp", codes["D30"], "-o", str(tmp_path / "stamped.pdf"))
    assert r.returncode == 0, r.stderr
    entries = log(cfg)
    assert [(a, rt, c) for _, a, rt, _, c in entries] == [("open", "cli", codes["Y"]), ("stamp", "cli", codes["D30"])]
    assert "档案员小王" in entries[0][0]  # the declared operator beside the OS account
    # a failed open (no such record) is not an access
    assert run_cli(cfg, "open", "Z109-WS·2014-Y-BGS-0099", "-o", str(tmp_path / "x")).returncode == 1
    assert len(log(cfg)) == 2
    # per record, and exported
    one = json.loads(run_cli(cfg, "access-log", codes["Y"], "--json").stdout)
    assert [e["action_name"] for e in one] == ["取出副本"]
    assert json.loads(run_cli(cfg, "access-log", "--from", "2099-01-01", "--json").stdout) == []
    out = tmp_path / "访问记录.xlsx"
    r = run_cli(cfg, "access-log", "-o", str(out))
    assert r.returncode == 0 and out.stat().st_size > 1000
    from openpyxl import load_workbook

    values = [c for row in load_workbook(out).active.iter_rows(values_only=True) for c in row if c is not None]
    assert "归档章副本" in values and "取出副本" in values and codes["D30"] in values
    # the log is never changed nor deleted
    with db(cfg) as conn:
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute("UPDATE access_log SET actor='nobody'")
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute("DELETE FROM access_log")


def test_web_view_download_and_stamp_are_logged(web_app):
    app, cfg, codes = web_app
    doc = db(cfg).execute("SELECT id FROM documents WHERE archival_code=?", (codes["Y"],)).fetchone()[0]
    reader = _login(app, "cha")
    assert reader.get(f"/doc/{doc}").status_code == 200
    assert reader.get(f"/doc/{doc}/view/1").status_code == 200
    r = reader.get(f"/doc/{doc}/file/1")
    assert r.status_code == 200 and r.content[:4] == b"%PDF"
    r = reader.get(f"/doc/{doc}/stamp")
    assert r.status_code == 200 and r.content[:4] == b"%PDF"
    assert reader.get(f"/doc/{doc}/file/7").status_code == 404  # no such file: not an access
    assert log(cfg) == [("cha", "view", "web", doc, codes["Y"]), ("cha", "view", "web", doc, codes["Y"]),
                        ("cha", "download", "web", doc, codes["Y"]), ("cha", "stamp", "web", doc, codes["Y"])]
    # the 档案员's page shows them, per record; a 查阅 user may not see the log
    archivist = _login(app, "dang")
    page = archivist.get("/use/access", params={"ref": codes["Y"]})
    assert page.status_code == 200 and page.text.count("<td>cha</td>") == 4 and "归档章副本" in page.text
    assert reader.get("/use/access").status_code == 403


def test_a_pdf_shown_in_the_page_is_a_view_not_a_download(web_app):
    app, cfg, codes = web_app
    doc = db(cfg).execute("SELECT id FROM documents WHERE archival_code=?", (codes["D10"],)).fetchone()[0]
    assert _login(app, "cha").get(f"/doc/{doc}/file/1", params={"inline": "1"}).status_code == 200
    assert [a for _, a, *_ in log(cfg)] == ["view"]


def test_days_are_the_agencys_days(archive_copy, tmp_path):
    """--from / --to are days of the agency's zone: an entry written just now is in today's range, not in
    tomorrow's or yesterday's."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    cfg, codes = archive_copy
    before = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert run_cli(cfg, "open", codes["Y"], "-o", str(tmp_path / "o")).returncode == 0
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    span = lambda lo, hi: len(json.loads(run_cli(cfg, "access-log", "--from", lo.isoformat(), "--to", hi.isoformat(),
                                                 "--json").stdout))
    assert span(before, today) == 1  # (two days only when the write fell on the agency's midnight)
    assert span(today + dt.timedelta(days=1), today + dt.timedelta(days=2)) == 0
    assert span(before - dt.timedelta(days=2), before - dt.timedelta(days=1)) == 0
