"""定期整理归档 (issue 25): numbering at filing, the year's checks, the proposed order, 整理人/检查人/接收人, 补充归档,
reopening, kill -9 mid-close, the write lock, and an archive of the previous version arranged by this one."""

from __future__ import annotations

import json
from contextlib import contextmanager
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clirun import run_config
from tests.conftest import ROOT, copy_prepared
from tests import filing_gen as gen


def at_filing_config(folder: Path) -> Path:
    """The bundled config.toml as it is (numbering at filing), written without conftest's at_ingest switch."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    assert 'numbering = "at_filing"' in text
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def cli(cfg: Path, *args: str, ok: bool = True, **options):
    r = run_config(cfg, *args, **options)
    if ok:
        assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r


def cli_json(cfg: Path, *args: str):
    return json.loads(cli(cfg, *args, "--json").stdout)


def rows(cfg: Path, sql: str, *params) -> list[sqlite3.Row]:
    """Read the catalog as it is on disk (a separate connection, read only)."""
    conn = sqlite3.connect(f"file:{cfg.parent / 'store' / 'catalog.sqlite'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def ids_by_key(cfg: Path) -> dict[str, int]:
    return {Path(r["filename"]).stem: r["id"] for r in rows(cfg, "SELECT id, filename FROM documents")}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """Two simulated years (2022, 2023) of documents taken in in random order, numbering at filing: built once."""
    folder = tmp_path_factory.mktemp("filing-year")
    cfg = at_filing_config(folder)
    gen.year_of_documents(folder / "docs")
    r = cli(cfg, "ingest", *map(str, gen.arrival_order(folder / "docs")))
    assert "待定 2" in r.stderr
    return folder


@pytest.fixture
def year(built, tmp_path) -> Path:
    """A copy of the built archive for a test that changes it; its config path."""
    copy_prepared(built, tmp_path / "a")
    return tmp_path / "a" / "config.toml"


# ---- collecting: 预归档, no 档号 ---------------------------------------------------------------------------
def test_collected_records_have_no_number_and_verify_passes(built):
    cfg = built / "config.toml"
    archived = rows(cfg, "SELECT archival_code, item_no, filing_state FROM documents WHERE status='archived'")
    assert len(archived) == 345
    assert all(r["archival_code"] is None and r["item_no"] is None and r["filing_state"] == "collected"
               for r in archived)
    assert rows(cfg, "SELECT numbering FROM filing_mode")[0]["numbering"] == "at_filing"
    r = cli(cfg, "verify", ok=False)
    assert "必备著录项" not in r.stdout, r.stdout


def test_proposed_order_equals_the_order_a_person_wrote(built):
    cfg = built / "config.toml"
    ids = ids_by_key(cfg)
    key_of = {v: k for k, v in ids.items()}
    plan = cli_json(cfg, "arrange", "--year", "2023", "--dry-run")
    groups = {(g["retention"], g["org"]): g for g in plan["groups"]}
    assert set(groups) == {("Y", "BGS"), ("D30", "YWK"), ("D30", "BGS"), ("D10", "BGS")}
    for key, expected in gen.EXPECTED.items():
        assert [key_of[o["id"]] for o in groups[key]["order"]] == expected
    for key in (("D30", "BGS"), ("D10", "BGS")):  # one document a day: by 成文日期
        dates = [o["date"] for o in groups[key]["order"]]
        assert dates == sorted(dates) and len(dates) == 145
    # the numbering it would give: from 1, no gap, no duplicate
    codes = [o["archival_code"] for g in plan["groups"] for o in g["order"]]
    assert len(codes) == len(set(codes)) == 314
    for g in plan["groups"]:
        assert [int(o["archival_code"][-4:]) for o in g["order"]] == list(range(1, len(g["order"]) + 1))
    assert plan["counts"] == {"待定": 2, "须更正": 0, "提示": 0, "待编号": 314, "已编号": 0}
    # a dry run writes nothing
    assert rows(cfg, "SELECT count(*) n FROM filing_order")[0]["n"] == 0


def test_pending_records_refuse_arrangement_with_the_list(year):
    r = cli(year, "arrange", "--year", "2023", "--by", "张三", ok=False)
    assert r.returncode == 1
    assert "2 件待定记录" in r.stderr and "某某科技有限公司关于数字化项目报价的函" in r.stderr
    assert "--leave-pending" in r.stderr
    assert rows(year, "SELECT count(*) n FROM filing_years")[0]["n"] == 0
    r = cli(year, "arrange", "--year", "2023", "--by", "张三", "--leave-pending")
    assert "待定 2 件留在本次整理之外" in r.stderr


def test_the_year_cycle_arrange_move_check_close(year):
    ids = ids_by_key(year)
    cli(year, "arrange", "--year", "2023", "--by", "张三", "--leave-pending")
    # the 整理人 moves D1 after P1q (before the 批复)
    cli(year, "arrange", "--year", "2023", "--by", "张三", "--move", str(ids["D1"]), "--after", str(ids["P1q"]))
    r = cli(year, "arrange", "check", "--year", "2023", "--by", " 张三 ", ok=False)
    assert "检查人不能是整理人本人" in r.stderr
    r = cli(year, "arrange", "check", "--year", "2023", "--by", "李\u202e四", ok=False)
    assert "不可见的控制字符" in r.stderr
    r = cli(year, "arrange", "close", "--year", "2023", "--received-by", "王五", ok=False)
    assert "须先整理" in r.stderr and rows(year, "SELECT count(*) n FROM documents WHERE archival_code IS NOT NULL")[0]["n"] == 0
    cli(year, "arrange", "check", "--year", "2023", "--by", "李四")
    # a move after the check asks for a new check
    cli(year, "arrange", "--year", "2023", "--by", "张三", "--move", str(ids["T3"]), "--after", str(ids["T1"]))
    assert "须先整理" in cli(year, "arrange", "close", "--year", "2023", "--received-by", "王五", ok=False).stderr
    cli(year, "arrange", "check", "--year", "2023", "--by", "李四")
    done = cli_json(year, "arrange", "close", "--year", "2023", "--received-by", "王五")
    assert (done["arranged_by"], done["checked_by"], done["received_by"]) == ("张三", "李四", "王五")
    key_of = {v: k for k, v in ids.items()}
    numbered = rows(year, "SELECT id, archival_code, item_no, retention, org FROM documents "
                          "WHERE year=2023 AND status='archived' ORDER BY retention, org, item_no")
    assert len(numbered) == 314 and len({r["archival_code"] for r in numbered}) == 314
    by_group: dict = {}
    for r in numbered:
        by_group.setdefault((r["retention"], r["org"]), []).append(r)
    for members in by_group.values():
        assert [r["item_no"] for r in members] == list(range(1, len(members) + 1))  # from 1, no gap
    bgs = [key_of[r["id"]] for r in by_group[("Y", "BGS")]]
    assert bgs[:5] == ["P3a", "P1q", "D1", "P1a", "M1j"]
    ywk = [key_of[r["id"]] for r in by_group[("D30", "YWK")]]
    assert ywk == ["F0", "F1", "T1", "T3", "G0", "G1", "T2"]
    assert rows(year, "SELECT state FROM filing_years WHERE year=2023")[0]["state"] == "closed"
    # the 归档移交清单, kept with the year, with both names and the counts
    pdf, xlsx = map(Path, done["files"])
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-"
    from openpyxl import load_workbook

    cells = [c for row in load_workbook(xlsx).active.iter_rows(values_only=True) for c in row if c is not None]
    text = " ".join(map(str, cells))
    assert "张三" in text and "李四" in text and "王五" in text and "314" in text
    # the event log says who arranged, checked, received
    actions = [r["action"] for r in rows(year, "SELECT action FROM events WHERE action LIKE 'arrange%' ORDER BY id")]
    assert actions == ["arrange", "arrange", "arrange_check", "arrange", "arrange_check", "arrange_close"]
    detail = json.loads(rows(year, "SELECT detail FROM events WHERE action='arrange_close'")[0]["detail"])
    assert detail["received_by"] == "王五" and detail["checked_by"] == "李四"
    assert sum(g["件数"] for g in detail["groups"]) == 314
    r = cli(year, "verify", ok=False)
    assert "件号缺失" not in r.stdout and "必备著录项" not in r.stdout
    # the catalogue of the filed year is exported in its order
    out = year.parent / "目录.csv"
    cli(year, "export", "catalog", "--year", "2023", "-o", str(out))
    assert out.read_text(encoding="utf-8-sig").count("\n") == 315


def test_order_file(year):
    ids = ids_by_key(year)
    plan = cli_json(year, "arrange", "--year", "2023", "--dry-run")
    listed = [o["id"] for g in plan["groups"] for o in g["order"]]
    listed.remove(ids["T2"])
    listed.insert(listed.index(ids["F0"]), ids["T2"])  # T2 first in its group
    order = year.parent / "顺序.txt"
    order.write_text("# 整理人调整后的顺序\n" + "\n".join(map(str, listed)) + "\n", encoding="utf-8")
    cli(year, "arrange", "--year", "2023", "--by", "张三", "--leave-pending", "--order", str(order))
    saved = rows(year, "SELECT document_id FROM filing_order WHERE retention='D30' AND org='YWK' ORDER BY position")
    assert saved[0]["document_id"] == ids["T2"]
    order.write_text("\n".join(map(str, listed[:-1])), encoding="utf-8")  # one missing: refused
    r = cli(year, "arrange", "--year", "2023", "--by", "张三", "--leave-pending", "--order", str(order), ok=False)
    assert "顺序文件缺少 1 件" in r.stderr


def test_late_arrivals_of_a_filed_year_are_supplementary_and_reopening(year, tmp_path):
    for args in (("arrange", "--year", "2022", "--by", "张三"), ("arrange", "check", "--year", "2022", "--by", "李四"),
                 ("arrange", "close", "--year", "2022", "--received-by", "王五")):
        cli(year, *args)
    before = {r["id"]: r["archival_code"] for r in rows(year, "SELECT id, archival_code FROM documents WHERE year=2022")}
    top = {(r["retention"], r["org"]): r["m"] for r in rows(
        year, "SELECT retention, org, max(item_no) m FROM documents WHERE year=2022 GROUP BY retention, org")}
    late = tmp_path / "late"
    late.mkdir()
    cli(year, "ingest", *(str(d.write(late)) for d in gen.LATE_2022))
    cli(year, "arrange", "--year", "2022", "--by", "张三")
    cli(year, "arrange", "check", "--year", "2022", "--by", "李四")
    done = cli_json(year, "arrange", "close", "--year", "2022", "--received-by", "王五")
    assert done["supplement"] and sum(g["件数"] for g in done["groups"]) == 2
    after = {r["id"]: r for r in rows(year, "SELECT * FROM documents WHERE year=2022")}
    assert all(after[i]["archival_code"] == code for i, code in before.items())  # never renumbered
    new = [r for i, r in after.items() if i not in before]
    assert len(new) == 2
    for r in new:
        assert r["item_no"] == top[(r["retention"], r["org"])] + 1 and "补充归档" in r["note"]
    assert Path(done["files"][0]).name == "归档移交清单-2022-2.pdf"
    # reopening: only a 档案员, with a reason
    r = cli(year, "arrange", "reopen", "--year", "2022", "--reason", "漏收文件", "--by", "张三", ok=False)
    assert "只有档案员" in r.stderr
    cli(year, "user", "add", "赵六", "--role", "档案员", "--password-stdin", input="a-long-password-1\n")
    cli(year, "arrange", "reopen", "--year", "2022", "--reason", "漏收文件", "--by", "赵六")
    row = rows(year, "SELECT * FROM filing_years WHERE year=2022")[0]
    assert (row["state"], row["reopened_by"], row["reopen_reason"]) == ("arranging", "赵六", "漏收文件")
    assert all(after[i]["archival_code"] == r["archival_code"]
               for i, r in ((r["id"], r) for r in rows(year, "SELECT * FROM documents WHERE year=2022")))
    assert "尚未归档" in cli(year, "arrange", "reopen", "--year", "2022", "--reason", "x", "--by", "赵六",
                            ok=False).stderr


def test_a_year_whose_records_are_in_a_transfer_is_never_reopened(year):
    """Once one of the year's records is in a 移交 (issue 28: exported, awaiting the 档案馆's receipt), reopening
    would renumber what the 档案馆 holds or is about to receive: refused, even for a 档案员."""
    from archive.catalog import transfers as transfers_gateway
    from archive.config import load_config
    from archive.session import open_archive

    for args in (("arrange", "--year", "2022", "--by", "张三"), ("arrange", "check", "--year", "2022", "--by", "李四"),
                 ("arrange", "close", "--year", "2022", "--received-by", "王五")):
        cli(year, *args)
    cli(year, "user", "add", "赵六", "--role", "档案员", "--password-stdin", input="a-long-password-1\n")
    first = rows(year, "SELECT min(id) m FROM documents WHERE year=2022")[0]["m"]
    arc = open_archive(load_config(year))
    try:
        with arc.change() as tx:
            transfers_gateway.add_transfer(tx.conn, {"year": 2022, "path": "移交包", "records": 1,
                                                     "exported_at": "2032-03-01T09:00:00+08:00",
                                                     "exported_by": "赵六"}, [first])
    finally:
        arc.close()
    r = cli(year, "arrange", "reopen", "--year", "2022", "--reason", "漏收文件", "--by", "赵六", ok=False)
    assert "已移交" in r.stderr
    assert rows(year, "SELECT state FROM filing_years WHERE year=2022")[0]["state"] == "closed"


# ---- the checks: each injected inconsistency caught ---------------------------------------------------------
def test_each_injected_inconsistency_is_caught(year, tmp_path):
    ids = ids_by_key(year)
    inject = tmp_path / "inject"
    inject.mkdir()
    docs = [
        # 印发日期 two years after the 成文日期
        gen.Doc("I1", gen.US, "示档〔2023〕900号", "示例县档案局关于调整第900批办公设备的请示", gen.d(3, 3), gen.GOV,
                printed="示例县档案局办公室  2025年1月5日印发"),
        # given the same 发文字号 as a document already here (below), another title
        gen.Doc("I2", gen.US, "示档〔2023〕901号", "示例县档案局关于调整第901批办公设备的请示", gen.d(3, 4), gen.GOV),
        # the same 题名 and 日期, another number
        gen.Doc("I3", gen.US, "示档〔2023〕902号", "示例县档案局关于调整第902批办公设备的请示", gen.d(3, 5), gen.GOV),
        gen.Doc("I4", gen.US, "示档〔2023〕903号", "示例县档案局关于调整第902批办公设备的请示", gen.d(3, 5), gen.GOV),
        # a 2022 document numbered in 2023 (a December document numbered in January)
        gen.Doc("I5", gen.US, "示档〔2023〕904号", "示例县档案局关于调整第904批办公设备的请示", gen.d(12, 30, 2022), gen.GOV),
    ]
    cli(year, "ingest", *(str(doc.write(inject)) for doc in docs))
    ids = ids_by_key(year)
    # a 文号 year far from the 成文日期 (a person's correction), a 文号 another record has, a joint document
    cli(year, "edit", str(ids["I2"]), "--doc-number", "示档〔2023〕501号", "--reason", "核对")
    cli(year, "edit", str(ids["N2023-010"]), "--doc-number", "示档〔2019〕7号", "--reason", "核对")
    cli(year, "edit", str(ids["N2023-011"]), "--issuer", "示例县档案局、示例县财政局", "--reason", "联合行文")
    plan = cli_json(year, "arrange", "--year", "2023", "--dry-run")
    found = {(p["kind"], p["id"]) for p in plan["problems"]}
    expected = {("年度不一致", ids["I1"]), ("年度不一致", ids["N2023-010"]), ("文号重复", ids["I2"]),
                ("题名日期重复", ids["I3"]), ("题名日期重复", ids["I4"]), ("联合行文", ids["N2023-011"]),
                ("他年度记录日期属本年", ids["I5"]), ("待定", ids["X1"]), ("待定", ids["X2"])}
    assert expected <= found, found
    assert plan["counts"]["须更正"] == 2 and plan["counts"]["待定"] == 2
    assert ("文号与成文日期年份不同", ids["I5"]) in {(p["kind"], p["id"]) for p in
                                            cli_json(year, "arrange", "--year", "2022", "--dry-run")["problems"]}
    # blocking problems refuse the arrangement, with the list; fixed, it goes on
    r = cli(year, "arrange", "--year", "2023", "--by", "张三", "--leave-pending", ok=False)
    assert "2 处须先更正" in r.stderr and "印发日期" in r.stderr
    cli(year, "edit", str(ids["N2023-010"]), "--doc-number", "示档〔2023〕7号", "--reason", "更正")
    cli(year, "edit", str(ids["I1"]), "--date", "2024-12-30", "--reason", "成文日期更正")  # now a 2024 document
    cli(year, "arrange", "--year", "2023", "--by", "张三", "--leave-pending")


def test_missing_fields_and_dates_outside_the_year_are_blocking(built):
    """What an imported or older record can carry: checked on the rows as the catalog holds them."""
    from archive.config import load_config
    from archive.filing import checks
    from archive.session import open_archive

    arc = open_archive(load_config(built / "config.toml"))
    try:
        row = dict(arc.conn.execute("SELECT * FROM documents WHERE status='archived' LIMIT 1").fetchone())
        bad = [{**row, "title": None, "pages": None}, {**row, "id": -2, "date": "2021-05-01"}]
        found = {(p.kind, p.doc_id, p.blocking) for p in checks(arc, row["year"], bad, [])}
    finally:
        arc.close()
    assert ("缺必备著录项", row["id"], True) in found and ("日期不在本年度", -2, True) in found


# ---- faults ----------------------------------------------------------------------------------------------
def _archive_process(cfg: Path, *args: str, env: dict | None = None, **options):
    return subprocess.Popen([sys.executable, "-m", "archive", "--config", str(cfg), *args], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **options)


@pytest.mark.slow
def test_kill_9_mid_close_leaves_all_or_nothing(year):
    cli(year, "arrange", "--year", "2023", "--by", "张三", "--leave-pending")
    cli(year, "arrange", "check", "--year", "2023", "--by", "李四")
    p = _archive_process(year, "arrange", "close", "--year", "2023", "--received-by", "王五",
                         env={"ARCHIVE_FAULT_STAGE": "filing-close"})
    p.communicate()
    assert p.returncode == -9
    assert rows(year, "SELECT count(*) n FROM documents WHERE archival_code IS NOT NULL")[0]["n"] == 0
    assert rows(year, "SELECT state FROM filing_years WHERE year=2023")[0]["state"] == "checked"
    assert rows(year, "SELECT count(*) n FROM sequences")[0]["n"] == 0
    done = cli_json(year, "arrange", "close", "--year", "2023", "--received-by", "王五")
    assert sum(g["件数"] for g in done["groups"]) == 314
    assert rows(year, "SELECT max(item_no) m FROM documents WHERE year=2023 AND retention='Y'")[0]["m"] == 17


@pytest.mark.slow
def test_two_arrangers_meet_the_write_lock(year):
    from archive.config import load_config
    from archive.session import open_archive

    arc = open_archive(load_config(year))
    try:
        with arc.change(reason="另一位整理人"):
            p = _archive_process(year, "arrange", "--year", "2023", "--by", "李四", "--leave-pending")
            line = p.stderr.readline()  # blocks until the second arranger says it waits
            assert "正由另一个进程写入，等待其完成" in line
            assert rows(year, "SELECT count(*) n FROM filing_years")[0]["n"] == 0
        out, err = p.communicate()
    finally:
        arc.close()
    assert p.returncode == 0, err
    assert rows(year, "SELECT arranged_by FROM filing_years WHERE year=2023")[0]["arranged_by"] == "李四"


# ---- numbering modes ------------------------------------------------------------------------------------
def test_a_config_cannot_switch_an_archive_that_has_numbers(year):
    text = year.read_text(encoding="utf-8")
    year.write_text(text.replace('numbering = "at_filing"', 'numbering = "at_ingest"'), encoding="utf-8")
    doc = gen.Doc("Z1", gen.US, "示档〔2023〕990号", "示例县档案局关于调整第990批办公设备的请示", gen.d(5, 5), gen.GOV)
    # no 档号 yet: the catalog follows the config, and the record is numbered at ingest
    cli(year, "ingest", str(doc.write(year.parent)))
    assert rows(year, "SELECT numbering FROM filing_mode")[0]["numbering"] == "at_ingest"
    assert rows(year, "SELECT archival_code FROM documents WHERE filename='Z1.txt'")[0]["archival_code"]
    year.write_text(text, encoding="utf-8")  # back to at_filing: refused now that a 档号 exists
    doc2 = gen.Doc("Z2", gen.US, "示档〔2023〕991号", "示例县档案局关于调整第991批办公设备的请示", gen.d(5, 6), gen.GOV)
    r = cli(year, "ingest", str(doc2.write(year.parent)), ok=False)
    assert "不能改为年度整理归档时编号" in r.stderr + r.stdout


@pytest.mark.slow
def test_an_archive_of_the_previous_version_keeps_every_number(tmp_path):
    """Built by 5d2ccb2 (numbering at ingest), opened and arranged by this version."""
    old = tmp_path / "old"
    old.mkdir()
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", "5d2ccb2"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(old)], input=tar, check=True)
    folder = tmp_path / "arc"
    folder.mkdir()
    cfg = folder / "config.toml"
    cfg.write_text((old / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    docs = [gen.HAND[i] for i in (1, 2, 3, 17, 18)] + gen.fillers(2023, 6, 3)
    files = [str(doc.write(folder)) for doc in docs]
    subprocess.run([sys.executable, "-m", "archive", "--config", str(cfg), "ingest", *files], cwd=old, check=True,
                   env={**os.environ, "PYTHONPATH": str(old)}, capture_output=True)
    before = {r["id"]: r["archival_code"] for r in rows(cfg, "SELECT id, archival_code FROM documents")}
    assert len(before) == 11 and all(before.values())
    # opened by this version (its config says at_filing: the catalog had records, so it keeps at_ingest)
    cfg.write_text((ROOT / "config.toml").read_text(encoding="utf-8").replace(
        'numbering = "at_filing"', 'numbering = "at_ingest"'), encoding="utf-8")
    plan = cli_json(cfg, "arrange", "--year", "2023", "--dry-run")
    assert plan["counts"]["已编号"] == 11 and plan["counts"]["待编号"] == 0
    assert rows(cfg, "SELECT numbering FROM filing_mode")[0]["numbering"] == "at_ingest"
    cli(cfg, "arrange", "--year", "2023", "--by", "张三")
    cli(cfg, "arrange", "check", "--year", "2023", "--by", "李四")
    done = cli_json(cfg, "arrange", "close", "--year", "2023", "--received-by", "王五")
    assert sum(g["件数"] for g in done["groups"]) == 11
    after = {r["id"]: r["archival_code"] for r in rows(cfg, "SELECT id, archival_code FROM documents")}
    assert after == before
    # numbering at ingest into the filed year: the next 件号 of its group, 补充归档 in the 备注
    late = gen.fillers(2023, 2, 9)[1]
    late.key, late.docno = "late", "示档〔2023〕999号"
    cli(cfg, "ingest", str(late.write(folder)))
    row = rows(cfg, "SELECT * FROM documents WHERE filename='late.txt'")[0]
    top = rows(cfg, "SELECT max(item_no) m FROM documents WHERE id != ? AND year=2023 AND retention=? AND org=?",
               row["id"], row["retention"], row["org"])[0]["m"]
    assert row["item_no"] == top + 1 and "补充归档" in row["note"]
    r = cli(cfg, "verify", ok=False)
    assert "件号缺失" not in r.stdout and "著录项与事件日志记载的不符" not in r.stdout


# ---- the web page ------------------------------------------------------------------------------------------
@contextmanager
def web_site(cfg: Path):
    """The web app on an archive with a 文书 (wen) and a 档案员 (dang); yields ``login(name) -> (client, csrf)``."""
    import re
    import warnings

    from archive.config import load_config
    from archive.session import open_archive
    from archive.web import accounts, create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    arc = open_archive(load_config(cfg))
    for name, role in (("wen", "文书"), ("dang", "档案员")):
        accounts.add_user(arc.conn, name, role, "correct horse 1")
    arc.close()
    app = create_app(load_config(cfg))

    def login(name):
        c = TestClient(app, base_url="http://127.0.0.1")
        tok = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
        assert c.post("/login", data={"csrf": tok, "name": name, "password": "correct horse 1", "next": "/filing"},
                      follow_redirects=False).status_code == 303
        return c, re.search(r'name="csrf" value="([^"]+)"', c.get("/filing").text).group(1)

    try:
        yield login
    finally:
        app.state.web.close()


def test_web_page_arrange_up_down_check_close(year):
    def post(c, tok, **data):
        return c.post("/filing", data={"csrf": tok, "year": "2023", **data}, follow_redirects=False)

    with web_site(year) as login:
        ids = ids_by_key(year)
        wen, wtok = login("wen")
        page = wen.get("/filing?year=2023").text
        assert "收集中" in page and "某某科技有限公司关于数字化项目报价的函" in page  # the pending one listed
        assert post(wen, wtok, action="arrange").status_code == 409  # pending: refused
        assert post(wen, wtok, action="arrange", leave_pending="1").status_code == 303
        assert post(wen, wtok, action="down", doc_id=str(ids["F0"])).status_code == 303  # F0 below F1
        saved = rows(year, "SELECT document_id FROM filing_order WHERE retention='D30' AND org='YWK' ORDER BY position")
        assert [r["document_id"] for r in saved[:2]] == [ids["F1"], ids["F0"]]
        assert "检查人不能是整理人本人" in post(wen, wtok, action="check").text  # the 整理人 cannot check
        assert post(wen, wtok, action="close").status_code == 403  # a 文书 does not file
        dang, dtok = login("dang")
        assert post(dang, dtok, action="check").status_code == 303
        assert post(dang, dtok, action="close", received_by="王五").status_code == 303
        assert rows(year, "SELECT state FROM filing_years WHERE year=2023")[0]["state"] == "closed"
        r = dang.get("/filing/2023/handover.pdf")
        assert r.status_code == 200 and r.content[:5] == b"%PDF-"
        first = rows(year, "SELECT id FROM documents WHERE archival_code LIKE '%2023-D30-YWK-0001'")[0]["id"]
        assert first == ids["F1"]


# ---- the filing deadline (item 5): years not yet filed, and what blocks each ---------------------------------
def test_years_not_filed_show_their_deadline_and_what_blocks_them(year):
    import datetime as dt

    from archive import filing
    from archive.config import load_config
    from archive.session import open_archive

    def unfiled(today):
        arc = open_archive(load_config(year))
        try:
            return {y["year"]: y for y in filing.unfiled(arc, today)}
        finally:
            arc.close()

    before = unfiled(dt.date(2024, 1, 15))
    assert set(before) >= {2022, 2023}
    assert before[2022]["deadline"] == "2023-06-30" and before[2022]["overdue"]  # the default: 30 June next year
    assert before[2023]["deadline"] == "2024-06-30" and not before[2023]["overdue"]
    assert "尚未整理" in before[2022]["blocks"]
    assert unfiled(dt.date(2024, 7, 1))[2023]["overdue"]
    cli(year, "arrange", "--year", "2022", "--by", "张三")
    assert "待检查" in unfiled(dt.date(2024, 1, 15))[2022]["blocks"]
    cli(year, "arrange", "check", "--year", "2022", "--by", "李四")
    cli(year, "arrange", "close", "--year", "2022", "--received-by", "王五")
    after = unfiled(dt.date(2024, 1, 15))
    assert 2022 not in after and 2023 in after  # a filed year leaves the list
    shown = cli_json(year, "stats")["unfiled_years"]
    assert [y["year"] for y in shown] == sorted(after)
    # the agency's own deadline
    year.write_text(year.read_text(encoding="utf-8").replace(
        "[filing]", '[filing]\ndeadline = "03-31"', 1), encoding="utf-8")
    assert unfiled(dt.date(2024, 4, 1))[2023]["deadline"] == "2024-03-31"
    year.write_text(year.read_text(encoding="utf-8").replace('deadline = "03-31"', 'deadline = "02-30"'),
                    encoding="utf-8")
    r = cli(year, "stats", ok=False)
    assert r.returncode == 2 and "filing.deadline" in r.stderr


def test_pending_counts_of_every_year_equal_those_of_each_year(year):
    """The dashboard's 待定 count per year (one pass, bench/web_bench.md) is pending_of_year's: by 年度, or without
    one by 成文日期 or 文号 year (both when they differ), other 全宗 and decided records left out."""
    from archive import catalog
    from archive.catalog import filing as gateway
    from archive.config import load_config
    from archive.session import open_archive

    arc = open_archive(load_config(year))
    try:
        fonds, ts = arc.cfg.fonds, catalog.now()
        cases = [(None, "2021-05-01", 2020), (None, "2021-05-01", None), (None, None, 2019), (None, "2019-12-31", 2019),
                 (None, "２０１８-01-01", None), (None, "2018", None), (2017, "2016-01-01", 2015), (None, None, None)]
        with arc.change("test", "records of many years") as tx:
            for k, (y, date, dy) in enumerate(cases + [(2021, "2021-01-01", None)] * 2):
                catalog.insert_record(tx.conn, {
                    "sha256": f"{k:064x}", "filename": f"p{k}.txt", "media_type": "text", "size": 1,
                    "status": "pending" if k < len(cases) else "excluded", "fonds": fonds if k != 1 else "OTHER",
                    "year": y, "date": date, "docno_year": dy, "ingested_at": ts, "updated_at": ts}, "正文")
        counts = gateway.pending_counts(arc.conn, fonds)
        expected = {y: len(gateway.pending_of_year(arc.conn, fonds, y)) for y in range(2010, 2026)}
        assert counts == {y: n for y, n in expected.items() if n}
        assert {2017, 2019, 2020, 2021} <= set(counts)  # the records above counted, not two empty lists compared
    finally:
        arc.close()
