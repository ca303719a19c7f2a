"""The use register (archive use, archive/use.py) through the command line and the web request flow: a real
catalog and store, the real Starlette app. An outside unit's copy needs a recorded approval; a loan needs a due
date and shows up overdue; the year's figures count 人次 and 件次."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import warnings
from pathlib import Path

import pytest

from tests.conftest import copy_prepared, run_cli, write_config

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

PASSWORD = "correct horse 1"
YEAR = 2014  # due for 移交 in 2025 (10 full years): the transfer tests use the same archive


def prepare(folder: Path) -> dict:
    """An archive with four archived 2014 records (永久, 30年 ×2, 10年) and one web user per role."""
    from archive import pipeline
    from archive.config import load_config
    from archive.session import open_archive
    from archive.web import accounts
    from tests.gongwen_gen import gongwen_lines
    from tests.makedocs import make_pdf

    arc = open_archive(load_config(write_config(folder)), create=True)
    for name, role in {"cha": "查阅", "dang": "档案员", "wen": "文书"}.items():
        accounts.add_user(arc.conn, name, role, PASSWORD)
    src = folder / "src"
    src.mkdir()
    codes = {}
    for i, kind in enumerate((0, 1, 3, 8)):
        r = pipeline.ingest_file(arc, make_pdf(src / f"{i}.pdf", gongwen_lines(i, kind, YEAR)))
        assert r.outcome == "archived", r.reason
        codes[r.record["retention"] + ("" if r.record["retention"] != "D30" or "D30" not in codes else "b")] = \
            r.record["archival_code"]
    arc.close()
    return codes


@pytest.fixture(scope="session")
def _template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("use-template")
    return folder, prepare(folder)


@pytest.fixture
def archive_copy(tmp_path, _template):
    """(config path, {retention: 档号}) of a copy of the prepared archive, the test's own."""
    folder, codes = _template
    copy_prepared(folder, tmp_path)
    return tmp_path / "config.toml", codes


@pytest.fixture
def web_app(archive_copy):
    """(the Starlette app over the test's archive, config path, {retention: 档号}); closed after the test."""
    from archive.config import load_config
    from archive.web import create_app

    cfg, codes = archive_copy
    app = create_app(load_config(cfg))
    yield app, cfg, codes
    app.state.web.close()


def ok(r):
    assert r.returncode == 0, r.stderr
    return r


def db(cfg_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(cfg_path.parent / "store" / "catalog.sqlite")
    conn.row_factory = sqlite3.Row
    return conn


def test_register_list_result_return(archive_copy):
    cfg, codes = archive_copy
    r = ok(run_cli(cfg, "use", "register", codes["Y"], codes["D30"], "--person", "王明", "--unit", "示例县档案局",
                   "--purpose", "工作查考", "--way", "查阅", "--json"))
    entry = json.loads(r.stdout)
    assert entry["id"] == 1 and entry["outside"] == 0 and sorted(entry["codes"]) == sorted([codes["Y"], codes["D30"]])
    ok(run_cli(cfg, "use", "result", "1", "--effect", "查清了2014年制度沿革"))
    items = json.loads(ok(run_cli(cfg, "use", "list", "--json")).stdout)
    assert [u["effect"] for u in items] == ["查清了2014年制度沿革"]
    # 查阅 is not a loan: nothing to give back
    r = run_cli(cfg, "use", "return", "1")
    assert r.returncode == 1 and "不是借出" in r.stderr
    # the register is never deleted (the table's trigger)
    with db(cfg) as conn, pytest.raises(sqlite3.DatabaseError):
        conn.execute("DELETE FROM uses")


def test_outside_copy_needs_an_approval(archive_copy):
    cfg, codes = archive_copy
    for way in ("复制", "摘录", "借出"):
        r = run_cli(cfg, "use", "register", codes["Y"], "--person", "李华", "--unit", "县财政局", "--purpose",
                    "落实政策", "--way", way, "--due", "2099-01-01" if way == "借出" else "")
        assert r.returncode == 1 and "--approved-by" in r.stderr and "未登记" in r.stderr, r.stderr
    assert db(cfg).execute("SELECT count(*) FROM uses").fetchone()[0] == 0
    # 查阅 by an outside unit is registered without one; a copy with the approval recorded
    ok(run_cli(cfg, "use", "register", codes["Y"], "--person", "李华", "--unit", "县财政局", "--purpose", "落实政策",
               "--way", "查阅"))
    ok(run_cli(cfg, "use", "register", codes["Y"], "--person", "李华", "--unit", "县财政局", "--purpose", "落实政策",
               "--way", "复制", "--approved-by", "张局长"))
    rows = db(cfg).execute("SELECT way, outside, approved_by FROM uses ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [("查阅", 1, None), ("复制", 1, "张局长")]


def test_loans_due_dates_overdue_and_return(archive_copy):
    cfg, codes = archive_copy
    r = run_cli(cfg, "use", "register", codes["D10"], "--person", "赵六", "--unit", "示例县档案局", "--purpose",
                "编史修志", "--way", "借出")
    assert r.returncode == 1 and "归还期限" in r.stderr
    ok(run_cli(cfg, "use", "register", codes["D10"], "--person", "赵六", "--unit", "示例县档案局", "--purpose",
               "编史修志", "--way", "借出", "--due", "2099-12-31"))
    assert json.loads(ok(run_cli(cfg, "use", "list", "--overdue", "--json")).stdout) == []
    with db(cfg) as conn:  # the loan's due date passes (the row as a day later would hold it)
        conn.execute("UPDATE uses SET due='2020-01-01' WHERE id=1")
    over = json.loads(ok(run_cli(cfg, "use", "list", "--overdue", "--json")).stdout)
    assert [u["id"] for u in over] == [1] and over[0]["overdue"]
    ok(run_cli(cfg, "use", "return", "1"))
    assert json.loads(ok(run_cli(cfg, "use", "list", "--overdue", "--json")).stdout) == []
    r = run_cli(cfg, "use", "return", "1")
    assert r.returncode == 1 and "已于" in r.stderr


def test_only_archived_records_and_refs_that_exist(archive_copy):
    cfg, codes = archive_copy
    r = run_cli(cfg, "use", "register", "Z109-WS·2014-Y-BGS-0099", "--person", "a", "--unit", "b", "--purpose",
                "c", "--way", "查阅")
    assert r.returncode == 1 and "找不到" in r.stderr
    r = run_cli(cfg, "use", "register", codes["Y"], "--person", "a", "--unit", "b", "--purpose", "c", "--way", "偷看")
    assert r.returncode == 1 and "利用方式" in r.stderr


@pytest.mark.slow
def test_stats_and_export(archive_copy, tmp_path):
    cfg, codes = archive_copy
    for unit, way, refs, extra in (("示例县档案局", "查阅", [codes["Y"], codes["D30"]], []),
                                   ("县财政局", "复制", [codes["Y"]], ["--approved-by", "张局长"]),
                                   ("县财政局", "查阅", [codes["D30"], codes["D30b"], codes["D10"]], [])):
        ok(run_cli(cfg, "use", "register", *refs, "--person", "某人", "--unit", unit, "--purpose",
                   "工作查考" if unit != "县财政局" else "落实政策", "--way", way, *extra))
    year = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).year
    s = json.loads(ok(run_cli(cfg, "use", "stats", "--year", str(year), "--json")).stdout)
    assert (s["人次"], s["件次"], s["外单位人次"]) == (3, 6, 2)
    assert {g["name"]: (g["人次"], g["件次"]) for g in s["by_unit"]} == {"县财政局": (2, 4), "示例县档案局": (1, 2)}
    assert {g["name"]: (g["人次"], g["件次"]) for g in s["by_purpose"]} == {"落实政策": (2, 4), "工作查考": (1, 2)}
    assert json.loads(ok(run_cli(cfg, "use", "stats", "--year", str(year - 1), "--json")).stdout)["人次"] == 0
    for ext in ("xlsx", "pdf"):
        out = tmp_path / f"利用登记簿.{ext}"
        ok(run_cli(cfg, "use", "export", "-o", str(out)))
        assert out.stat().st_size > 1000
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "利用登记簿.xlsx").active
    values = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert values[0].startswith("档案利用登记簿") and "张局长" in values and "县财政局" in values
    ok(run_cli(cfg, "use", "stats", "--year", str(year), "-o", str(tmp_path / "利用统计.pdf")))
    r = run_cli(cfg, "use", "list", "--from", "2099-01-01", "--json")
    assert json.loads(r.stdout) == []


# ---- the web request flow ---------------------------------------------------------------------------------
def _csrf(html: str) -> str:
    import re

    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _login(app, name: str) -> TestClient:
    c = TestClient(app, base_url="http://127.0.0.1")
    r = c.get("/login")
    r = c.post("/login", data={"csrf": _csrf(r.text), "name": name, "password": PASSWORD, "next": "/use"},
               follow_redirects=False)
    assert r.status_code == 303
    return c


def test_web_request_granted_makes_the_register_entry(web_app):
    app, cfg, codes = web_app
    reader, archivist = _login(app, "cha"), _login(app, "dang")
    page = reader.get("/use")
    assert page.status_code == 200 and "申请利用档案" in page.text and "利用登记簿" not in page.text
    r = reader.post("/use/request", data={"csrf": _csrf(page.text), "refs": f"{codes['Y']}，{codes['D30']}",
                                          "person": "钱七", "unit": "县民政局", "purpose": "落实政策",
                                          "way": "复制"}, follow_redirects=False)
    assert r.status_code == 303
    assert "待审" in reader.get("/use").text
    # the reader cannot grant it, nor see the access log or the transfer page
    assert reader.post("/use/decide", data={"csrf": _csrf(page.text), "id": "1", "grant": "1"}).status_code == 403
    assert reader.get("/use/access").status_code == 403 and reader.get("/transfer").status_code == 403
    page = archivist.get("/use")
    assert "钱七" in page.text and "准予" in page.text
    # an outside unit's copy: granting without naming who approved is refused, nothing registered
    r = archivist.post("/use/decide", data={"csrf": _csrf(page.text), "id": "1", "grant": "1"})
    assert "批准人" in r.text
    assert db(cfg).execute("SELECT count(*) FROM uses").fetchone()[0] == 0
    r = archivist.post("/use/decide", data={"csrf": _csrf(page.text), "id": "1", "grant": "1",
                                            "approved_by": "孙局长"}, follow_redirects=False)
    assert r.status_code == 303
    row = db(cfg).execute("SELECT * FROM uses").fetchone()
    assert (row["person"], row["unit"], row["way"], row["approved_by"], row["request_id"], row["outside"]) == \
        ("钱七", "县民政局", "复制", "孙局长", 1, 1)
    assert "已准予" in reader.get("/use").text
    # decided once
    r = archivist.post("/use/decide", data={"csrf": _csrf(page.text), "id": "1", "grant": "0"})
    assert "已已准予" not in r.text and "已准予" in r.text and r.status_code >= 400
    assert "县民政局" in archivist.get("/use").text


def test_web_request_refused_and_each_user_sees_only_their_own(web_app):
    app, cfg, codes = web_app
    reader, clerk, archivist = _login(app, "cha"), _login(app, "wen"), _login(app, "dang")
    tok = _csrf(reader.get("/use").text)
    reader.post("/use/request", data={"csrf": tok, "refs": codes["Y"], "person": "甲", "unit": "示例县档案局",
                                      "purpose": "核对任免时间", "way": "查阅"})
    assert "核对任免时间" in reader.get("/use").text
    assert "核对任免时间" not in clerk.get("/use").text  # the 文书 sees only their own requests
    r = archivist.post("/use/decide", data={"csrf": _csrf(archivist.get("/use").text), "id": "1", "grant": "0",
                                            "note": "该件不在利用范围"}, follow_redirects=False)
    assert r.status_code == 303
    assert "未准予" in reader.get("/use").text
    assert db(cfg).execute("SELECT count(*) FROM uses").fetchone()[0] == 0


def test_hostile_text_is_kept_as_text(archive_copy, tmp_path):
    """A control character typed is refused at the boundary (nothing registered); a formula and a bidi override
    are stored as typed, exported as text (never a formula) and printed escaped."""
    cfg, codes = archive_copy
    r = run_cli(cfg, "use", "register", codes["Y"], "--person", "甲", "--unit", "乙", "--purpose", "查\x1b[31m考",
                "--way", "查阅")
    assert r.returncode == 2 and "控制字符" in r.stderr
    assert db(cfg).execute("SELECT count(*) FROM uses").fetchone()[0] == 0
    ok(run_cli(cfg, "use", "register", codes["Y"], "--person", "=HYPERLINK(\"http://x\")", "--unit",
               "县\u202e局", "--purpose", "查考", "--way", "查阅"))
    out = tmp_path / "r.xlsx"
    ok(run_cli(cfg, "use", "export", "-o", str(out)))
    from openpyxl import load_workbook

    cells = [c for r in load_workbook(out).active.iter_rows() for c in r]
    assert not [c for c in cells if c.data_type == "f"]
    assert any("HYPERLINK" in str(c.value) for c in cells)
    listing = run_cli(cfg, "use", "list")
    assert "\u202e" not in listing.stdout and "县" in listing.stdout


def test_web_loan_request_needs_a_due_date_and_shows_overdue(web_app):
    app, cfg, codes = web_app
    reader, archivist = _login(app, "cha"), _login(app, "dang")
    reader.post("/use/request", data={"csrf": _csrf(reader.get("/use").text), "refs": codes["D10"], "person": "孙九",
                                      "unit": "示例县档案局", "purpose": "编史修志", "way": "借出"})
    tok = _csrf(archivist.get("/use").text)
    r = archivist.post("/use/decide", data={"csrf": tok, "id": "1", "grant": "1"})
    assert r.status_code >= 400 and "归还期限" in r.text
    r = archivist.post("/use/decide", data={"csrf": tok, "id": "1", "grant": "1", "due": "2099-06-30"},
                       follow_redirects=False)
    assert r.status_code == 303
    assert db(cfg).execute("SELECT due FROM uses").fetchone()[0] == "2099-06-30"
    with db(cfg) as conn:
        conn.execute("UPDATE uses SET due='2020-01-01'")
    page = archivist.get("/use").text
    assert "逾期未还的借出（1）" in page and "逾期未还" in page
