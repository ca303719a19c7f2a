"""Migrating an older system's catalogue (archive import catalog): real xlsx/csv files, real scans, a real
catalog, store and index."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import sqlite3
from pathlib import Path

import openpyxl
import pytest

from archive import catalog
from archive.errors import CatalogFileError
from archive.import_catalog import (import_catalog, load_mapping, parse_date, parse_file_name,
                                    parse_retention, read_catalog, RowError)
from archive.search import Filters, search
from catalog_gen import build
from makedocs import make_docx, make_pdf, make_text
from tests.clirun import check, run_config

DATK22 = ["序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"]
RET_SHEETS = {"Y": "永久", "D30": "30年", "D10": "10年"}


def _state(arc) -> tuple:
    """Everything an import could change: catalog bytes, stored files."""
    files = sorted(p.relative_to(arc.store.root).as_posix() for p in arc.store.root.rglob("*")
                   if p.is_file() and "index" not in p.parts and not p.name.endswith("-shm"))
    digest = {f: hashlib.sha256((arc.store.root / f).read_bytes()).hexdigest() for f in files}
    return files, digest


# ---- the 2,000-row migration -------------------------------------------------------------------------
@pytest.mark.slow
def test_two_thousand_rows_and_fifteen_hundred_scans(arc, tmp_path):
    # 3 of the main files DOCX, not 60, and 2 of the ten 附件: every kind is there and each DOCX costs a
    # LibreOffice layout (the count of rows and files is the point, not how many of them are DOCX)
    xlsx, scans, exp = build(tmp_path / "old", docx=3, annex_docx=2)
    assert (exp.rows, exp.files) == (2000, 1500)

    before = _state(arc)
    dry = import_catalog(arc, xlsx, files_dir=scans, dry_run=True)
    assert _state(arc) == before  # byte for byte: nothing written
    assert arc.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0

    rep = import_catalog(arc, xlsx, files_dir=scans)
    summary = {
        "rows_read": 2000, "imported": 1975, "rejected": 25,
        "rejected_by_reason": {"bad_date": 5, "bad_retention": 4, "code_mismatch": 4, "duplicate_code": 5,
                               "missing_code": 2, "missing_title": 3, "secret": 2},
        "retention_converted": {"原长期（保留原期限，到期须鉴定）": 217, "原短期（保留原期限，到期须鉴定）": 220},
        "files_found": 1500, "files_attached": 1460,
        "records_with_file": 1420, "extra_files": 40, "attached_to_existing": 0, "records_without_file": 555,
        "files_without_record": 25, "files_of_rejected_rows": 8, "ambiguous": 3, "duplicate_files": 4,
        "secret_files": 0, "symlinks": 0}
    assert rep.summary() == summary
    assert dry.summary() == summary  # the dry run told the truth
    assert exp.retention_converted == summary["retention_converted"]
    assert [(r["sheet"], r["row"], r["reason"]) for r in rep.rejected] == exp.rejected
    assert [(r["sheet"], r["row"]) for r in rep.rejected][:6] == [  # spelled out: the generator's arithmetic
        ("永久", 20), ("永久", 54), ("永久", 120), ("永久", 154), ("永久", 220), ("永久", 254)]
    assert [(r["sheet"], r["row"], r["reason"]) for r in dry.rejected] == exp.rejected
    # a 档号 is kept as the catalogue spelled it (issue 14); compared here by its parts
    from archive.archival_code import parse as parse_code
    canon = lambda c: str(parse_code(c))  # noqa: E731
    assert sorted(map(canon, rep.records_without_file)) == sorted(
        set(exp.valid_codes) - {canon(r["archival_code"]) for r in arc.conn.execute(
            "SELECT archival_code FROM documents WHERE sha256 IS NOT NULL")})

    conn = arc.conn
    assert conn.execute("SELECT count(*) FROM documents WHERE origin='import'").fetchone()[0] == 1975
    assert sorted(canon(r[0]) for r in conn.execute("SELECT archival_code FROM documents")) == sorted(exp.valid_codes)
    # exactly as written: the catalogue's own spellings survive
    assert conn.execute("SELECT count(*) FROM documents WHERE archival_code NOT LIKE '%·%'").fetchone()[0] > 0
    assert conn.execute("SELECT count(*) FROM documents WHERE sha256 IS NOT NULL").fetchone()[0] == 1420
    assert conn.execute("SELECT count(*) FROM document_files").fetchone()[0] == 40
    assert conn.execute("SELECT count(*) FROM documents WHERE media_type='image'").fetchone()[0] == exp.images
    # every imported record names its source file, sheet and row in the event log
    ev = conn.execute("SELECT detail FROM events WHERE action='import'").fetchall()
    assert len(ev) == 1975 and all(json.loads(e[0])["catalog"] == str(xlsx) and json.loads(e[0])["row"] > 2
                                   for e in ev)
    assert {f["candidates"].__len__() for f in rep.ambiguous} <= {1, 2} and all(
        "-BGS-" in f["reason"] or "-YWK-" in f["reason"] for f in rep.ambiguous)
    assert {Path(f["file"]).name for f in rep.files_without_record} >= {"Thumbs.db", "scan_0001.pdf", "扫描说明.txt"}
    assert catalog.verify_chain(conn) == []
    stored = {p.name for p in arc.store.files.rglob("*") if p.is_file()}
    assert len(stored) == 1460
    # a record's second part is searchable through the record
    assert arc.index.engine == "sqlite" or conn.execute("SELECT count(*) FROM documents WHERE indexed=0").fetchone()[0] == 0
    hits = search(conn, arc.index, "第二部分", Filters()).total
    assert hits == 30


# ---- pieces --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, iso", [
    ("20150302", "2015-03-02"), ("2015-03-02", "2015-03-02"), ("2015.3.2", "2015-03-02"),
    ("2015/3/2", "2015-03-02"), ("2015年3月2日", "2015-03-02"), ("二〇一五年三月二日", "2015-03-02"),
    ("二〇一五年十二月三十一日", "2015-12-31"), ("二〇一五年十月二十日", "2015-10-20"), (20150302, "2015-03-02"),
    (dt.datetime(2015, 3, 2), "2015-03-02"), ("２０１５－０３－０２", "2015-03-02"), (None, None)])
def test_dates_in_every_form(value, iso):
    assert parse_date(value) == iso


@pytest.mark.parametrize("value", ["2015-02-30", "20151301", "2015年", "三月"])
def test_impossible_dates(value):
    with pytest.raises(RowError) as e:
        parse_date(value)
    assert e.value.reason == "bad_date"


def test_retention_values_and_old_periods_kept():
    got = {v: parse_retention(v, {}) for v in ("永久", "长期", "短期", "30年", "10年", "Y", "D30", "d10")}
    assert got == {"永久": ("Y", None), "长期": ("C", "长期"), "短期": ("D", "短期"), "30年": ("D30", None),
                   "10年": ("D10", None), "Y": ("Y", None), "D30": ("D30", None), "d10": ("D10", None)}
    assert parse_retention("永久保存", {"永久保存": "Y"}) == ("Y", None)
    with pytest.raises(RowError):
        parse_retention("半永久", {})


@pytest.mark.parametrize("name, key, rest", [
    ("Z109-WS·2015-Y-0001.pdf", ("Z109", 2015, "Y", "", 1), ""),
    ("Z109-WS-2015-Y-0001.pdf", ("Z109", 2015, "Y", "", 1), ""),
    ("Z109-WS2015-D30-BGS-12.pdf", ("Z109", 2015, "D30", "BGS", 12), ""),
    ("z109_ws.2015_d10_bgs_0003_2.jpg", ("Z109", 2015, "D10", "BGS", 3), "_2"),
    ("Ｚ１０９－ＷＳ•２０１５－Ｙ－ＢＧＳ－０００１附件.docx", ("Z109", 2015, "Y", "BGS", 1), "附件"),
    ("Z109-WS 2015-Y-0001 (1).pdf", ("Z109", 2015, "Y", "", 1), "-(1)"),
    ("Z109 WS 2015 D10 ywk 7.ofd", ("Z109", 2015, "D10", "YWK", 7), ""),
    ("scan_0001.pdf", None, ""),
])
def test_file_names(name, key, rest):
    fn = parse_file_name(Path(name))
    assert fn.key == key and fn.rest == rest


def _dat22(path: Path, records: list[dict]) -> Path:
    """An 归档文件目录 as DA/T 22 lays it out (what `archive export catalog` writes): one sheet per 保管期限,
    a title row above the header, dates in 8 digits."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for ret, name in RET_SHEETS.items():
        rs = [r for r in records if r["retention"] == ret]
        if not rs:
            continue
        ws = wb.create_sheet(name)
        ws.append([f"归档文件目录（{name}）"])
        ws.append(DATK22)
        for n, r in enumerate(rs, 1):
            ws.append([n, r["archival_code"], r["doc_number_raw"] or "", r["issuer"] or "", r["title"],
                       (r["date"] or "").replace("-", ""), r["secrecy"] or "", r["pages"], r["note"] or ""])
    wb.save(path)
    return path


FIELDS = ("archival_code", "fonds", "year", "retention", "org", "item_no", "doc_number_raw", "issuer", "title",
          "date", "secrecy", "pages", "note", "status")


def test_export_then_import_reproduces_the_records(arc, tmp_path, cfg):
    src = tmp_path / "a.csv"
    rows = [["档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"],
            ["Z109-WS·2015-Y-BGS-0001", "示档发〔2015〕1号", "示例县档案局", "关于甲的通知", "2015-03-02", "", "3", "原件"],
            ["Z109-WS·2015-D30-0002", "", "示例县人民政府", "关于乙的批复", "20150401", "内部", "1", ""],
            ["Z109-WS·2016-D10-YWK-0010", "示档函〔2016〕5号", "示例县档案局", "关于丙的函", "2016年5月6日", "", "", ""]]
    with open(src, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    assert import_catalog(arc, src).imported == 3
    recs = [dict(r) for r in catalog.list_documents(arc.conn)]
    out = _dat22(tmp_path / "export.xlsx", recs)

    from archive.session import open_archive
    cfg2 = cfg.__class__(**{**cfg.__dict__, "store": tmp_path / "store2"})
    arc2 = open_archive(cfg2, create=True)
    try:
        rep = import_catalog(arc2, out)
        assert rep.imported == 3 and not rep.rejected and [s["header_row"] for s in rep.sheets] == [2, 2, 2]
        again = [dict(r) for r in catalog.list_documents(arc2.conn)]
        assert [{k: r[k] for k in FIELDS} for r in again] == [{k: r[k] for k in FIELDS} for r in recs]
        assert again[0]["date"] == "2015-03-02" and again[2]["org"] == "YWK" and again[0]["pages"] == 3
    finally:
        arc2.close()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_real_catalogue_export_imports_back(arc, tmp_path, cfg, fmt):
    """import(export(archive)) with `archive export catalog` itself: every 年度 exported, then imported into
    an empty archive, gives the same records (文号 in its canonical form)."""
    from archive.export.catalogue import catalogue_sheets, write
    from archive.session import open_archive

    src = tmp_path / "old.csv"
    rows = [["档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"],
            ["Z109-WS·2015-Y-BGS-0001", "示档发[2015]1号", "示例县档案局", "关于甲的通知", "2015-03-02", "", "3", "原件"],
            ["Z109-WS·2015-Y-BGS-0002", "", "示例县人民政府", "关于乙的批复", "20150401", "", "1", ""],
            ["Z109-WS·2015-D30-0007", "示档函〔2015〕5号", "示例县档案局", "关于丙的函", "2015年5月6日", "", "", "复印件"],
            ["Z109-WS·2016-D10-YWK-0010", "", "示例县财政局", "关于丁的报告", "2016.7.8", "", "2", ""]]
    with open(src, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    assert import_catalog(arc, src).imported == 4
    exports = [write(catalogue_sheets(arc.conn, cfg, year), tmp_path / f"目录{year}.{fmt}") for year in (2015, 2016)]

    cfg2 = cfg.__class__(**{**cfg.__dict__, "store": tmp_path / "store2"})
    arc2 = open_archive(cfg2, create=True)
    try:
        for path in exports:
            rep = import_catalog(arc2, path)
            assert not rep.rejected, rep.rejected
        keys = [k for k in FIELDS if k != "doc_number_raw"] + ["doc_number"]
        before = sorted(({k: r[k] for k in keys} for r in catalog.list_documents(arc.conn)), key=str)
        after = sorted(({k: r[k] for k in keys} for r in catalog.list_documents(arc2.conn)), key=str)
        assert after == before and len(after) == 4
    finally:
        arc2.close()


def test_gb18030_csv_with_pinyin_codes_and_parts_only(arc, tmp_path):
    """What 南大之星-style software exports: GBK csv, pinyin codes, 档号 left for us to build."""
    p = tmp_path / "nd.csv"
    text = ("QZH,ND,BGQX,JGWT,JH,WH,ZRZ,TM,RQ,MJ,YS,BZ\n"
            "Z109,2005,长期,办公室,7,示档发〔2005〕2号,示例县档案局,关于丁的通知,2005.6.1,,2,\n"
            "Z109,2005,短期,BGS,8,,示例县档案局,关于戊的通知,二〇〇五年六月二日,,1,\n")
    p.write_bytes(text.encode("gb18030"))
    rep = import_catalog(arc, p)
    assert rep.imported == 2 and rep.retention_converted == {"原长期（保留原期限，到期须鉴定）": 1,
                                                             "原短期（保留原期限，到期须鉴定）": 1}
    rows = arc.conn.execute("SELECT archival_code, retention, retention_old FROM documents ORDER BY id").fetchall()
    # the old periods are kept, not converted (no official conversion exists)
    assert [tuple(r) for r in rows] == [("Z109-WS·2005-C-BGS-0007", None, "长期"), ("Z109-WS·2005-D-BGS-0008", None, "短期")]


def test_mapping_file_overrides_the_guess(arc, tmp_path):
    p = tmp_path / "hand.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["档号", "文件题名", "形成时间", "题名"])  # 题名 here holds something else
    ws.append(["Z109-WS·2014-Y-0001", "关于己的通知", dt.datetime(2014, 1, 5), "旧系统的分类名"])
    wb.save(p)
    m = tmp_path / "mapping.toml"
    m.write_text('[columns]\ntitle = "文件题名"\n"日期" = "形成时间"\nignore = ["题名"]\n', encoding="utf-8")
    rep = import_catalog(arc, p, mapping=load_mapping(m))
    assert rep.sheets[0]["columns"] == {"archival_code": "档号", "title": "文件题名", "date": "形成时间"}
    assert rep.sheets[0]["unused"] == []
    r = arc.conn.execute("SELECT title, date FROM documents").fetchone()
    assert tuple(r) == ("关于己的通知", "2014-01-05")
    m.write_text('[columns]\ncolour = "颜色"\n', encoding="utf-8")
    with pytest.raises(CatalogFileError, match="colour"):
        load_mapping(m)


def test_no_header_is_a_clear_error(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(CatalogFileError, match="找不到表头"):
        read_catalog(p)


def test_several_files_for_one_record_and_attaching_later(arc, tmp_path):
    xl = _dat22(tmp_path / "c.xlsx", [
        {"archival_code": "Z109-WS·2015-Y-BGS-0001", "retention": "Y", "doc_number_raw": None, "issuer": "示例县档案局",
         "title": "关于庚的通知", "date": "2015-01-02", "secrecy": None, "pages": 2, "note": None},
        {"archival_code": "Z109-WS·2015-Y-BGS-0002", "retention": "Y", "doc_number_raw": None, "issuer": "示例县档案局",
         "title": "关于辛的通知", "date": "2015-01-03", "secrecy": None, "pages": 1, "note": None}])
    files = tmp_path / "files"
    files.mkdir()
    make_pdf(files / "Z109-WS·2015-Y-BGS-0001-1.pdf", ["庚的正文第一部分"])
    make_pdf(files / "Z109-WS-2015-Y-BGS-0001-2.pdf", ["庚的正文续页枇杷"])
    make_docx(files / "Z109-WS·2015-Y-BGS-0001附件.docx", ["附件：庚的名单山楂"])
    rep = import_catalog(arc, xl, files_dir=files)
    assert (rep.files_attached, rep.extra_files, rep.records_without_file) == (3, 2, ["Z109-WS·2015-Y-BGS-0002"])
    doc = arc.conn.execute("SELECT * FROM documents WHERE item_no=1").fetchone()
    assert doc["filename"] == "Z109-WS·2015-Y-BGS-0001-1.pdf"
    extra = arc.conn.execute("SELECT seq, filename FROM document_files ORDER BY seq").fetchall()
    assert [tuple(r) for r in extra] == [(2, "Z109-WS-2015-Y-BGS-0001-2.pdf"), (3, "Z109-WS·2015-Y-BGS-0001附件.docx")]
    for word in ("枇杷", "山楂"):
        assert [h.record["id"] for h in search(arc.conn, arc.index, word, Filters()).hits] == [doc["id"]]
    # reconcile keeps the extra files (they are referenced)
    assert not any("回滚" in x for x in arc.reconcile())
    assert len([p for p in arc.store.files.rglob("*") if p.is_file()]) == 3

    # the scan of record 2 arrives later: running the same catalogue again attaches it (全文挂接)
    make_text(files / "Z109_WS_2015_Y_BGS_2.txt", "辛的扫描件文字荸荠")
    rep2 = import_catalog(arc, xl, files_dir=files)
    assert rep2.imported == 0 and rep2.rejected_by_reason == {"code_taken": 2}
    assert rep2.duplicate_files.__len__() == 3  # the first three are already in the store
    assert [a["archival_code"] for a in rep2.attached_to_existing] == ["Z109-WS·2015-Y-BGS-0002"]
    assert search(arc.conn, arc.index, "荸荠", Filters()).hits[0].record["archival_code"] == "Z109-WS·2015-Y-BGS-0002"
    assert catalog.verify_chain(arc.conn) == []


def test_cli_dry_run_json_and_report_file(tmp_path, cfg_path):
    check(run_config(cfg_path, "init"))
    p = tmp_path / "c.csv"
    p.write_text("档号,题名,日期,保管期限\nZ109-WS·2015-Y-0001,甲,2015-01-01,永久\n"
                 "Z109-WS·2015-Y-0002,乙,2015-02-30,永久\nZ109-WS·2015-Y-0003,丙,2015-01-01,长久\n", encoding="utf-8")
    files = tmp_path / "f"
    files.mkdir()
    make_text(files / "Z109-WS-2015-Y-0009.txt", "目录外")
    r = run_config(cfg_path, "import", "catalog", str(p), "--files", str(files), "--dry-run", "--json",
                   "--report", str(tmp_path / "r.xlsx"))
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["dry_run"] and j["summary"]["imported"] == 1 and j["summary"]["files_without_record"] == 1
    assert [(x["row"], x["reason"]) for x in j["rejected"]] == [(3, "bad_date"), (4, "bad_retention")]
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx").worksheets[0]
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    assert cells[0][:3] == ["类别", "工作表", "行号"] and cells[1][2] == 3
    assert [c[0] for c in cells[1:]] == ["拒绝导入", "拒绝导入", "无文件的记录", "无记录的文件"]
    r = run_config(cfg_path, "import", "catalog", str(p))
    assert r.returncode == 0 and "导入报告" in r.stdout and "日期 “2015-02-30” 不存在" in r.stdout
    r = run_config(cfg_path, "import", "catalog", str(tmp_path / "none.xlsx"))
    assert r.returncode == 1 and r.stderr.startswith("错误：目录文件")


def test_cli_report_that_cannot_be_written_stops_before_importing(tmp_path, cfg_path):
    """--report in a missing folder or with a wrong extension: one line, exit 2, and no record imported."""
    check(run_config(cfg_path, "init"))
    p = tmp_path / "c.csv"
    p.write_text("档号,题名,日期,保管期限\nZ109-WS·2015-Y-0001,甲,2015-01-01,永久\n", encoding="utf-8")
    for report, words in ((tmp_path / "无此文件夹" / "r.xlsx", "不存在"), (tmp_path / "r.txt", "应为 .xlsx 或 .csv")):
        r = run_config(cfg_path, "import", "catalog", str(p), "--report", str(report))
        assert r.returncode == 2 and r.stderr.startswith("错误：") and words in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    r = run_config(cfg_path, "list", "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_cli_report_is_written_whole(tmp_path, cfg_path):
    """The report goes through the atomic writer: written whole, no hidden temporary left beside it."""
    check(run_config(cfg_path, "init"))
    p = tmp_path / "c.csv"
    p.write_text("档号,题名,日期,保管期限\nZ109-WS·2015-Y-0001,甲,2015-01-01,永久\n", encoding="utf-8")
    r = run_config(cfg_path, "import", "catalog", str(p), "--dry-run", "--report", str(tmp_path / "r.csv"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "r.csv").read_text(encoding="utf-8-sig").startswith("类别,工作表,行号")
    assert not list(tmp_path.glob(".r.csv.*"))
