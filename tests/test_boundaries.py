"""Issue 12: values validated at the boundary, leaks through imports and exports, the actor, hangs and
tracebacks. Every test drives the real command (``python -m archive``) on a real store, and ends with
``archive verify`` clean and the store's file set equal to what the catalog owns."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import pwd
import shutil
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import bagit
import openpyxl
import pytest

from archive import display

from conftest import ROOT, copy_prepared, write_config
from tests.clirun import run_config

NEXT_YEAR = display.today().year + 1


def _cli(cfg: Path, *args, env: dict | None = None, timeout: float = 600):
    return run_config(cfg, *args, env=env, timeout=timeout, universal=False)


def _one_line_error(r, code: int | None = None) -> str:
    """A failure the clerk sees as one Chinese line, no traceback."""
    assert "Traceback" not in r.stderr, r.stderr
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误："), r.stderr
    if code is not None:
        assert r.returncode == code, (r.returncode, r.stderr)
    else:
        assert r.returncode in (1, 2), (r.returncode, r.stderr)
    return lines[0]


def _consistent(cfg: Path) -> None:
    """verify clean, and the store holds exactly the files the catalog owns."""
    r = _cli(cfg, "verify")
    assert r.returncode == 0, r.stdout + r.stderr
    store = cfg.parent / "store"
    conn = sqlite3.connect(store / "catalog.sqlite")
    owned = {row[0] for row in conn.execute(
        "SELECT stored_path FROM documents WHERE stored_path IS NOT NULL UNION "
        "SELECT stored_path FROM document_files WHERE stored_path IS NOT NULL UNION "
        "SELECT searchable_path FROM documents WHERE searchable_path IS NOT NULL")}
    conn.close()
    on_disk = {p.relative_to(store).as_posix() for p in (store / "files").rglob("*") if p.is_file()}
    assert on_disk == owned


def _gongwen(title: str, *, year: int = 2015, mark: str = "", issuer: str = "示例县档案局", no: int = 3,
             body: str = "现将有关事项通知如下。") -> str:
    head = f"{mark}\n" if mark else ""
    return (f"{head}{issuer}文件\n示档〔{year}〕{no}号\n{title}\n示例县人民政府：\n{body}\n"
            f"{issuer}\n{year}年3月2日\n")


def _rows(cfg: Path, sql: str, args=()):
    conn = sqlite3.connect(cfg.parent / "store" / "catalog.sqlite")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="session")
def _store_template(tmp_path_factory):
    """``store`` filed once a run (per xdist worker); each test gets its own copy (copy_prepared)."""
    folder = tmp_path_factory.mktemp("boundaries_store")
    cfg = write_config(folder)
    src = folder / "src"
    src.mkdir()
    shutil.copy(ROOT / "samples" / "05 档案局关于申请馆舍建设经费的请示.txt", src / "05.txt")
    shutil.copy(ROOT / "samples" / "08 科技公司来函.txt", src / "08.txt")
    r = _cli(cfg, "ingest", str(src), "--json")
    assert r.returncode == 0, r.stderr
    out = {Path(x["file"]).name: x for x in json.loads(r.stdout)}
    assert out["05.txt"]["outcome"] == "archived" and out["08.txt"]["outcome"] == "pending"
    return folder, out["05.txt"], out["08.txt"]


@pytest.fixture
def store(_store_template, tmp_path):
    """A store with one archived record (a 请示 of our own) and one pending (a company's letter)."""
    folder, archived, pending = _store_template
    copy_prepared(folder, tmp_path)
    return tmp_path / "config.toml", dict(archived), dict(pending)


# ---- years, ids, counts ---------------------------------------------------------------------------
def test_confirm_and_reclassify_refuse_impossible_years(store):
    cfg, archived, pending = store
    before = _rows(cfg, "SELECT id, archival_code, year, status FROM documents ORDER BY id")
    for year in ("12345678901", "99999", "-5", "0", "1948", str(NEXT_YEAR + 1), "99999999999999999999999"):
        r = _cli(cfg, "confirm", str(pending["id"]), "--retention", "永久", "--org", "BGS", f"--year={year}")
        assert "年度" in _one_line_error(r, 2)
        r = _cli(cfg, "reclassify", str(archived["id"]), f"--year={year}", "--reason", "核对年度")
        assert "年度" in _one_line_error(r, 2)
    assert [tuple(x) for x in _rows(cfg, "SELECT id, archival_code, year, status FROM documents ORDER BY id")] == \
        [tuple(x) for x in before]  # nothing committed
    # next year is allowed, with a warning; the 档号 is well formed and the index holds every record
    r = _cli(cfg, "confirm", str(pending["id"]), "--retention", "10年", "--org", "BGS", f"--year={NEXT_YEAR}")
    assert r.returncode == 0, r.stderr
    assert "晚于今年" in r.stderr and f"·{NEXT_YEAR}-D10-BGS-" in r.stderr
    r = _cli(cfg, "reindex")
    assert r.returncode == 0
    r = _cli(cfg, "search", "档案", "--json")
    assert {h["id"] for h in json.loads(r.stdout)} == {archived["id"], pending["id"]}
    _consistent(cfg)


@pytest.mark.parametrize("ref", ["²", "①", "12345678901234567890123", "9223372036854775808", "a\x01b",
                                 "x" * 5000, b"\xff\xfe".decode("utf-8", "surrogateescape"), "", "   "])
def test_odd_references_are_one_line(store, ref):
    cfg, archived, _ = store
    arg = ref.encode("utf-8", "surrogateescape")  # as a shell would pass non-UTF-8 bytes
    for cmd in (["show", arg], ["hold", arg, "--reason", "审计"], ["reclassify", arg, "--reason", "x", "--year", "2016"]):
        r = _cli(cfg, *cmd)
        _one_line_error(r)
    assert _rows(cfg, "SELECT count(*) FROM holds")[0][0] == 0


def test_filters_and_counts_are_bounded(store):
    cfg, _, _ = store
    huge = "12345678901234567890"
    for args in (["list", "--year", huge], ["search", "档案", "--year", huge], ["list", "--limit", huge],
                 ["list", "--offset", huge], ["search", "档案", "--page", huge], ["search", "档案", "--limit", huge],
                 ["export", "catalog", "--year", "99999", "-o", "x.xlsx"], ["export", "package", "--year", "-1",
                                                                          "-o", "pkg"],
                 ["export", "destruction", "--batch", huge, "-o", "d.csv"], ["search", "\x01档案"],
                 ["search", "档案", "--org", "\x07"], ["search", "档案" * 600]):
        _one_line_error(_cli(cfg, *args), 2)
    for args in (["hold", "1", "--reason", "审计\x01"], ["dispose", "1", "--decision", "extend", "--retention", "永久",
                                                         "--approved-by", "\x1b[31m张", "--reason", "x"],
                 ["reclassify", "1", "--year", "2016", "--reason", "x\x07"]):
        _one_line_error(_cli(cfg, *args), 2)
    assert _rows(cfg, "SELECT count(*) FROM events WHERE action NOT IN ('ingest')")[0][0] == 0
    r = _cli(cfg, "list", "--year", "2022", "--json")
    assert r.returncode == 0 and len(json.loads(r.stdout)) == 1


def test_catalogue_rows_with_values_out_of_range(tmp_path):
    cfg = write_config(tmp_path)
    assert _cli(cfg, "init").returncode == 0
    later = (display.today() + dt.timedelta(days=1))
    rows = [["Z109-WS·0001-Y-0001", "", "", "a", "", "", 1, ""],
            ["Z109-WS·2015-Y-0001", "", "", "b", "00010101", "", 1, ""],
            ["Z109-WS·2015-Y-0002", "", "", "c", "20990101", "", 1, ""],
            ["Z109-WS·2015-Y-0003", "", "", "d", "20150101", "", "999999999999999999999999", ""],
            ["Z109-WS·2015-Y-0004", "", "", "e", "20150101", "", 0, ""],
            ["Z109-WS·2015-Y-0000", "", "", "f", "20150101", "", 1, ""],
            ["Z109-WS·2015-Y-0005", "", "", "g", later.strftime("%Y%m%d"), "", 1, ""]]
    cat = _catalogue_csv(tmp_path / "目录.csv", rows)
    r = _cli(cfg, "import", "catalog", str(cat), "--json")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    rep = json.loads(r.stdout)
    assert sorted(x["row"] for x in rep["rejected"]) == [2, 3, 4, 5, 6, 7]
    assert all(x["reason"] == "invalid" for x in rep["rejected"])
    row = _rows(cfg, "SELECT archival_code, warnings FROM documents")  # tomorrow: kept, with a warning
    assert [x[0] for x in row] == ["Z109-WS·2015-Y-0005"] and "晚于今天" in row[0][1]


# ---- the actor ---------------------------------------------------------------------------------
def test_actor_is_the_os_account_and_a_declared_operator(store):
    cfg, archived, pending = store
    me = pwd.getpwuid(os.getuid()).pw_name
    forged = {"LOGNAME": "王局长", "USER": "王局长", "USERNAME": "王局长", "LNAME": "王局长"}
    r = _cli(cfg, "hold", str(archived["id"]), "--reason", "审计", env=forged)
    assert r.returncode == 0, r.stderr
    r = _cli(cfg, "--operator", "李档案员", "release", str(archived["id"]), "--reason", "审计结束", env=forged)
    assert r.returncode == 0, r.stderr
    actors = [x[0] for x in _rows(cfg, "SELECT actor FROM events WHERE action IN ('hold','release') ORDER BY id")]
    assert actors == [me, f"{me}（操作人声明：李档案员）"]
    held = _rows(cfg, "SELECT held_by, released_by FROM holds")[0]
    assert tuple(held) == (me, f"{me}（操作人声明：李档案员）")
    assert all(x[0].startswith(me) for x in _rows(cfg, "SELECT actor FROM events"))
    _one_line_error(_cli(cfg, "--operator", "王\x01局长", "list"), 2)
    _one_line_error(_cli(cfg, "--operator", "  ", "list"), 2)
    _consistent(cfg)


# ---- spreadsheets: formulas and control characters -----------------------------------------------
HOSTILE = ['=HYPERLINK("http://evil.example/x","点我")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)",
           "题名\x01含\x0b控制\x1f字符\x7f"]


def _catalogue_csv(path: Path, rows: list[list]) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"])
        w.writerows(rows)
    return path


def _no_formula(xlsx: Path, texts: list[str]) -> list[str]:
    """Every sheet: no <f> element, no control character; returns every text cell."""
    with zipfile.ZipFile(xlsx) as z:
        for n in z.namelist():
            if n.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(n) and b"<f " not in z.read(n), n
    wb = openpyxl.load_workbook(xlsx)
    cells = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    for c in cells:
        assert not any(ord(ch) < 32 or 0x7f <= ord(ch) <= 0x9f for ch in c), repr(c)
    for t in texts:
        assert any(c == t for c in cells), t
    return cells


def test_exports_write_formulas_as_text(tmp_path):
    cfg = write_config(tmp_path)
    assert _cli(cfg, "init").returncode == 0
    rows = [[f"Z109-WS·2010-D10-{i:04d}", "", t, t, "20100301", "", 2, t] for i, t in enumerate(HOSTILE, 1)]
    rows.append(["Z109-WS·2010-D10-0007", "", "正常单位", "正常题名", "20100302", "", 1, ""])
    cat = _catalogue_csv(tmp_path / "旧目录.csv", rows)
    r = _cli(cfg, "import", "catalog", str(cat), "--report", str(tmp_path / "报告.xlsx"))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    titles = [x[0] for x in _rows(cfg, "SELECT title FROM documents ORDER BY archival_code")]
    clean = [t.translate({c: None for c in (1, 0x0b, 0x1f, 0x7f)}) for t in HOSTILE]
    assert titles == clean + ["正常题名"]  # control characters removed at the boundary, the rest kept as given

    out = {}
    for fmt in ("xlsx", "csv", "docx", "pdf"):
        out[fmt] = tmp_path / f"目录.{fmt}"
        r = _cli(cfg, "export", "catalog", "--year", "2010", "-o", str(out[fmt]))
        assert r.returncode == 0, r.stderr
    _no_formula(out["xlsx"], clean)
    text = out["csv"].read_text(encoding="utf-8-sig")
    for t in clean[:5]:
        assert ("'" + t) in text or ("'" + t).replace('"', '""') in text, t
    assert not any(ord(ch) < 32 and ch not in "\r\n" for ch in text)

    # the audit's 鉴定表 and the destruction list go through the same writers
    r = _cli(cfg, "audit", "--as-of", "2026-01-01", "-o", str(tmp_path / "鉴定表.xlsx"))
    assert r.returncode == 0, r.stderr
    _no_formula(tmp_path / "鉴定表.xlsx", clean[:1])
    r = _cli(cfg, "audit", "--as-of", "2026-01-01", "-o", str(tmp_path / "鉴定表.csv"))
    assert "'=HYPERLINK" in (tmp_path / "鉴定表.csv").read_text(encoding="utf-8-sig")
    r = _cli(cfg, "rules", "approve", "--by", "示例县档案局", "--on", "2026-01-01", "--document", "示档函〔2026〕3号")
    assert r.returncode == 0, r.stderr
    r = _cli(cfg, "appraise", "--as-of", "2026-01-01", "--member", "档案:档案员甲", "--member", "业务:办公室乙",
             "--destroy", "Z109-WS·2010-D10-0001", "--destroy", "Z109-WS·2010-D10-0006",
             "--reason", "到期无保存价值", "--json")
    assert r.returncode == 0, r.stderr
    aid = str(json.loads(r.stdout)["appraisal"]["id"])
    r = _cli(cfg, "approve", aid, "--leader", "张局长", "--on", "2026-01-05", "--document", "示档〔2026〕1号")
    assert r.returncode == 0, r.stderr
    r = _cli(cfg, "destroy", aid, "--supervisor", "甲", "--supervisor", "乙", "--method", "粉碎", "--place", "档案室",
             "-o", str(tmp_path / "销毁清册.xlsx"))
    assert r.returncode == 0, r.stderr
    _no_formula(tmp_path / "销毁清册.xlsx", clean[:1])
    r = _cli(cfg, "export", "destruction", "-o", str(tmp_path / "销毁清册.csv"))
    assert r.returncode == 0 and "'=HYPERLINK" in (tmp_path / "销毁清册.csv").read_text(encoding="utf-8-sig")

    # the import report: a rejected row's message carries the hostile cell
    bad = _catalogue_csv(tmp_path / "坏目录.csv", [["=1+1", "", "", "=HYPERLINK(\"x\")", "", "", "", ""]])
    for ext in ("xlsx", "csv"):
        r = _cli(cfg, "import", "catalog", str(bad), "--dry-run", "--report", str(tmp_path / f"r.{ext}"))
        assert r.returncode == 0, r.stderr
    _no_formula(tmp_path / "r.xlsx", [])
    assert "'=1+1" in (tmp_path / "r.csv").read_text(encoding="utf-8-sig")

    # the escaped CSV catalogue reads back to the same titles in a new archive
    cfg2 = _new_config(tmp_path / "b")
    assert _cli(cfg2, "init").returncode == 0
    r = _cli(cfg2, "import", "catalog", str(out["csv"]))
    assert r.returncode == 0, r.stderr
    assert [x[0] for x in _rows(cfg2, "SELECT title FROM documents ORDER BY archival_code")] == clean + ["正常题名"]
    _consistent(cfg)
    _consistent(cfg2)


def test_control_characters_in_an_ingested_title(tmp_path):
    cfg = write_config(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    title = "示例县档案局关于\x01档案\x0b保管\x1b[31m工作\x7f的决定"
    body = "\n".join("为进一步规范全县档案管理工作，推进文书档案电子化，现将有关事项通知如下。" for _ in range(10))
    (src / "a.txt").write_text(_gongwen(title, year=2022, body=body), encoding="utf-8")
    r = _cli(cfg, "ingest", str(src), "--json")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    rec = json.loads(r.stdout)[0]
    for args in (["show", str(rec["id"])], ["list"], ["search", "档案"], ["review"], ["stats"],
                 ["export", "catalog", "--year", "2022", "-o", str(tmp_path / "c.xlsx")],
                 ["export", "catalog", "--year", "2022", "-o", str(tmp_path / "c.pdf")],
                 ["export", "catalog", "--year", "2022", "-o", str(tmp_path / "c.docx")],
                 ["export", "package", "--year", "2022", "-o", str(tmp_path / "pkg")]):
        r = _cli(cfg, *args)
        assert "Traceback" not in r.stderr, (args, r.stderr)
        if rec["outcome"] == "archived" or args[0] not in ("export",):
            assert r.returncode == 0, (args, r.stderr)
    _consistent(cfg)


# ---- imports gated like ingest -------------------------------------------------------------------
def test_import_catalog_files_refuses_secrets_and_symlinks(tmp_path):
    cfg = write_config(tmp_path)
    assert _cli(cfg, "init").returncode == 0
    outside = tmp_path / "outside" / "系统文件.txt"
    outside.parent.mkdir()
    outside.write_text("外部系统文件内容 SECRETTOKENZQ 不应入库\n", encoding="utf-8")
    files = tmp_path / "全文"
    files.mkdir()
    (files / "Z109-WS·2015-Y-0001.txt").write_text(_gongwen("示例县档案局关于正常事项的通知"), encoding="utf-8")
    (files / "Z109-WS·2015-Y-0002.txt").write_text(
        _gongwen("示例县档案局关于机密事项的通知", mark="机密★10年", body="机密正文 MIMIWORDQ"), encoding="utf-8")
    (files / "Z109-WS·2015-Y-0003.txt").symlink_to(outside)
    (files / "Z109-WS·2015-Y-0004.txt").write_text(_gongwen("示例县档案局关于第四件的通知"), encoding="utf-8")
    (files / "Z109-WS·2015-Y-0004-附件1.txt").write_text(
        _gongwen("附件", mark="绝密", body="绝密附件 JUEMIWORDQ"), encoding="utf-8")
    (files / "Z109-WS·2015-Y-0006.txt").write_text(_gongwen("示例县档案局关于第六件的通知"), encoding="utf-8")
    (files / "linked").symlink_to(outside.parent, target_is_directory=True)
    rows = [[f"Z109-WS·2015-Y-{i:04d}", "", "示例县档案局", f"第{i}件", "20150302", "", 1, ""] for i in range(1, 6)]
    rows.append(["Z109-WS·2015-Y-0006", "", "示例县档案局", "第6件", "20150302", "秘密", 1, ""])
    cat = _catalogue_csv(tmp_path / "目录.csv", rows)
    r = _cli(cfg, "import", "catalog", str(cat), "--files", str(files), "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    codes = {x[0] for x in _rows(cfg, "SELECT archival_code FROM documents")}
    assert codes == {"Z109-WS·2015-Y-0001", "Z109-WS·2015-Y-0003", "Z109-WS·2015-Y-0005"}
    assert {(x["archival_code"], x["reason"]) for x in rep["rejected"]} == {
        ("Z109-WS·2015-Y-0002", "secret"), ("Z109-WS·2015-Y-0004", "secret"), ("Z109-WS·2015-Y-0006", "secret")}
    assert {f["file"] for f in rep["secret_files"]} == {"Z109-WS·2015-Y-0002.txt", "Z109-WS·2015-Y-0004.txt",
                                                         "Z109-WS·2015-Y-0004-附件1.txt"}
    assert {f["file"] for f in rep["symlinks"]} == {"Z109-WS·2015-Y-0003.txt", "linked"}
    # the symlinked record stays without a file; nothing behind a link or of a secret is stored or searchable
    assert _rows(cfg, "SELECT sha256 FROM documents WHERE archival_code='Z109-WS·2015-Y-0003'")[0][0] is None
    for word in ("SECRETTOKENZQ", "MIMIWORDQ", "JUEMIWORDQ", "机密正文"):
        r = _cli(cfg, "search", word, "--json")
        assert r.returncode == 0 and json.loads(r.stdout) == [], word
    assert len(_rows(cfg, "SELECT * FROM events WHERE action='refused'")) == 2  # row 6 refused before writing
    for gap in ("Z109-WS·2015-Y-0002", "Z109-WS·2015-Y-0004"):  # the refused records leave gaps a clerk explains
        assert _cli(cfg, "explain-gap", gap, "--reason", "涉密文件，未导入").returncode == 0
    _consistent(cfg)


def _new_config(folder: Path) -> Path:
    """A new folder with the example config.toml in it (an archive not yet created)."""
    folder.mkdir()
    return write_config(folder)


def _exported_package(tmp_path: Path, n: int, body=None) -> tuple[Path, Path]:
    """Archive ``a`` with ``n`` 2019 decisions (numbered 1..n, ``body(i)`` their text), and its 2019 transfer
    package: (a's config, the package folder)."""
    a = _new_config(tmp_path / "a")
    src = tmp_path / "src"
    src.mkdir()
    for i in range(1, n + 1):
        (src / f"{i}.txt").write_text(_gongwen(f"示例县档案局关于第{i}项工作的决定", year=2019, no=i,
                                              **({"body": body(i)} if body else {})), encoding="utf-8")
    r = _cli(a, "ingest", str(src), "--json")
    assert [x["outcome"] for x in json.loads(r.stdout)] == ["archived"] * n, r.stdout
    pkg = tmp_path / "移交包"
    assert _cli(a, "export", "package", "--year", "2019", "-o", str(pkg)).returncode == 0
    return a, pkg


def test_import_package_refuses_secret_records(tmp_path):
    a, pkg = _exported_package(tmp_path, 3, body=lambda i: f"正文内容第{i}件 WORD{i}Q")
    recs = sorted((pkg / "data" / "records").glob("*.json"))
    # record 1: its 密级 says 机密; record 2: its file's own text is 绝密 while the package's text is harmless
    r1 = json.loads(recs[0].read_text(encoding="utf-8"))
    r1["secrecy"] = "机密"
    recs[0].write_text(json.dumps(r1, ensure_ascii=False), encoding="utf-8")
    r2 = json.loads(recs[1].read_text(encoding="utf-8"))
    f2 = pkg / "data" / r2["file"]
    f2.write_text(_gongwen("示例县档案局关于第2项工作的决定", year=2019, no=2, mark="绝密★长期",
                           body="绝密内容 JUEMI2Q"), encoding="utf-8")
    from archive.store import sha256_file
    r2["sha256"] = sha256_file(f2)
    recs[1].write_text(json.dumps(r2, ensure_ascii=False), encoding="utf-8")
    bag = bagit.Bag(str(pkg))
    bag.save(manifests=True)

    b = _new_config(tmp_path / "b")
    r = _cli(b, "import", "package", str(pkg))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "拒收" in r.stderr and "已导入 1 件" in r.stderr
    assert [x[0] for x in _rows(b, "SELECT archival_code FROM documents")] == [r_["archival_code"] for r_ in [
        json.loads(recs[2].read_text(encoding="utf-8"))]]
    for word in ("WORD1Q", "JUEMI2Q", "绝密内容"):
        assert json.loads(_cli(b, "search", word, "--json").stdout) == []
    assert len(_rows(b, "SELECT * FROM events WHERE action='refused'")) == 2
    for rec in (r1, r2):  # the refused records leave gaps a clerk explains
        r = _cli(b, "explain-gap", rec["archival_code"], "--reason", "涉密文件，未导入")
        assert r.returncode == 0, r.stderr
    _consistent(b)


def test_package_with_a_symlinked_file_is_refused(tmp_path):
    a, pkg = _exported_package(tmp_path, 1)
    rec = json.loads(next((pkg / "data" / "records").glob("*.json")).read_text(encoding="utf-8"))
    target = pkg / "data" / rec["file"]
    inside = pkg / "data" / "text" / "copy.bin"
    shutil.copy(target, inside)
    target.unlink()
    target.symlink_to(inside)  # checksums still match: only the link gives it away
    bagit.Bag(str(pkg)).save(manifests=True)
    b = _new_config(tmp_path / "b")
    assert "符号链接" in _one_line_error(_cli(b, "import", "package", str(pkg)), 1)


# ---- rules' regexes and huge texts ---------------------------------------------------------------
def test_backtracking_title_regex_sends_the_document_to_pending(tmp_path):
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    i = text.index("\n[[rules]]") + 1
    cfg = write_config(tmp_path, text[:i] + '[[rules]]\nid = "RX1"\nbasis = "回溯测试"\n'
                       'when = { title_regex = "(关|于|关于)+$" }\n'
                       'then = { scope = "归档", retention = "永久", org = "BGS" }\n\n' + text[i:])
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(_gongwen("示例县档案局" + "关于" * 40 + "的通知"), encoding="utf-8")
    (src / "b.txt").write_text(_gongwen("示例县档案局关于印发档案管理办法的决定"), encoding="utf-8")
    r = _cli(cfg, "ingest", str(src), "--json", timeout=900)  # without the limit this runs for hours
    assert r.returncode == 0, r.stderr
    out = {Path(x["file"]).name: x for x in json.loads(r.stdout)}
    assert out["a.txt"]["outcome"] == "pending"
    assert "规则 RX1 的 title_regex 匹配超时" in out["a.txt"]["reason"]
    assert out["b.txt"]["outcome"] in ("archived", "pending", "excluded")
    _consistent(cfg)


def test_extracted_text_is_capped_with_a_warning(tmp_path):
    cfg = write_config(tmp_path, **{"max_text_chars = 500000": "max_text_chars = 20000"})
    src = tmp_path / "src"
    src.mkdir()
    body = "\n".join(f"第{i}段 档案工作要求内容" for i in range(40000))  # about 600 000 characters
    body = body[:300000] + "\n中部标记 MIDDLEWORDQ\n" + body[300000:] + "\n尾部标记 TAILWORDQ"
    (src / "big.txt").write_text(_gongwen("示例县档案局关于档案工作的决定", year=2022, body=body), encoding="utf-8")
    r = _cli(cfg, "ingest", str(src), "--json")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)[0]
    row = _rows(cfg, "SELECT d.warnings, length(t.text) FROM documents d JOIN document_texts t "
                     "ON t.document_id = d.id WHERE d.id=?", (rec["id"],))[0]
    assert row[1] == 20000 and "只保留开头和结尾共 20000 个字符" in row[0]
    # the head (title) and the tail (成文日期) are read; the middle is not searchable
    assert rec["title"] == "示例县档案局关于档案工作的决定" and rec["date"] == "2022-03-02"
    assert json.loads(_cli(cfg, "search", "MIDDLEWORDQ", "--json").stdout) == []
    assert len(json.loads(_cli(cfg, "search", "TAILWORDQ", "--json").stdout)) == 1
    _consistent(cfg)


# ---- a damaged index, a read-only store -----------------------------------------------------------
def test_deleted_or_damaged_index_is_one_line(store):
    cfg, archived, _ = store
    # the Whoosh engine keeps its index in a folder beside the catalog (the default engine keeps it inside)
    cfg.write_text(cfg.read_text(encoding="utf-8").replace('engine = "sqlite"', 'engine = "whoosh"'), encoding="utf-8")
    assert _cli(cfg, "reindex").returncode == 0
    index = cfg.parent / "store" / "index"
    shutil.rmtree(index)
    line = _one_line_error(_cli(cfg, "search", "档案"), 1)
    assert "archive reindex" in line
    assert _cli(cfg, "reindex").returncode == 0
    assert len(json.loads(_cli(cfg, "search", "档案", "--json").stdout)) == 2
    for f in index.iterdir():
        if f.is_file() and not f.name.endswith("LOCK"):
            f.write_bytes(os.urandom(300))
    assert "archive reindex" in _one_line_error(_cli(cfg, "search", "档案"), 1)
    assert _cli(cfg, "reindex").returncode == 0
    assert len(json.loads(_cli(cfg, "search", "档案", "--json").stdout)) == 2
    _consistent(cfg)


def test_read_only_store_is_one_line(store, tmp_path):
    cfg, archived, _ = store
    st = cfg.parent / "store"
    if subprocess.run(["mount", "--bind", str(st), str(st)], capture_output=True).returncode != 0:
        pytest.skip("bind mounts are not available here")
    try:
        assert subprocess.run(["mount", "-o", "remount,bind,ro", str(st)], capture_output=True).returncode == 0
        new = tmp_path / "new"
        new.mkdir()
        (new / "n.txt").write_text(_gongwen("示例县档案局关于新事项的决定", year=2023), encoding="utf-8")
        for args in (["ingest", str(new)], ["reclassify", str(archived["id"]), "--year", "2016", "--reason", "x"],
                     ["hold", str(archived["id"]), "--reason", "x"], ["reindex"], ["list"], ["search", "档案"]):
            r = _cli(cfg, *args)
            assert "Traceback" not in r.stderr, (args, r.stderr)
            if r.returncode != 0:
                _one_line_error(r)
    finally:
        subprocess.run(["umount", "-l", str(st)], capture_output=True)
    _consistent(cfg)


def test_reindex_with_a_malformed_year_from_an_older_catalog(store):
    """Before the boundary checks a 年度 like 12345678901 could be committed; reindex then printed success while
    a writer process had died and the index held none of the records."""
    cfg, archived, pending = store
    conn = sqlite3.connect(cfg.parent / "store" / "catalog.sqlite")
    conn.execute("UPDATE documents SET year=12345678901 WHERE id=?", (archived["id"],))  # as an old bug left it
    conn.commit()
    conn.close()
    r = _cli(cfg, "reindex")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert {h["id"] for h in json.loads(_cli(cfg, "search", "档案", "--json").stdout)} == {archived["id"], pending["id"]}


def test_catalogue_with_an_oversized_cell_is_one_line(tmp_path):
    cfg = write_config(tmp_path)
    assert _cli(cfg, "init").returncode == 0
    cat = tmp_path / "目录.csv"
    cat.write_text("档号,题名\nZ109-WS·2015-Y-0001," + "长" * 200000 + "\n", encoding="utf-8")
    assert "第 2 行" in _one_line_error(_cli(cfg, "import", "catalog", str(cat)), 1)
    assert _rows(cfg, "SELECT count(*) FROM documents")[0][0] == 0


def test_a_misread_year_is_pending_not_a_code(tmp_path):
    cfg = write_config(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(_gongwen("示例县档案局关于印发档案管理办法的决定", year=2050), encoding="utf-8")
    (src / "b.txt").write_text(_gongwen("示例县档案局关于修订档案管理办法的决定", year=1900, no=4), encoding="utf-8")
    r = _cli(cfg, "ingest", str(src), "--json")
    assert r.returncode == 0, r.stderr
    rec, old = json.loads(r.stdout)
    assert rec["outcome"] == "pending" and rec["archival_code"] is None and "2050-03-02 的年份不在" in rec["reason"]
    assert old["outcome"] == "pending" and old["archival_code"] is None and "1900-03-02 的年份不在" in old["reason"]
    # confirming needs a plausible 年度
    assert "年度" in _one_line_error(_cli(cfg, "confirm", str(rec["id"]), "--retention", "永久", "--org", "BGS"), 2)
    r = _cli(cfg, "confirm", str(rec["id"]), "--retention", "永久", "--org", "BGS", "--year", "2012")
    assert r.returncode == 0 and "Z109-WS·2012-Y-BGS-0001" in r.stderr, r.stderr
    # archived now, its printed date is still impossible: verify names it until a clerk corrects the date
    v = _cli(cfg, "verify")
    assert v.returncode == 1 and "日期 2050-03-02" in v.stdout and v.stdout.count("超出值域") == 1, v.stdout


def test_a_date_after_today_is_kept_with_a_warning(tmp_path):
    cfg = write_config(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    later = display.today() + dt.timedelta(days=1)
    text = _gongwen("示例县档案局关于印发档案管理办法的决定", year=later.year).replace(
        f"{later.year}年3月2日", f"{later.year}年{later.month}月{later.day}日")
    (src / "a.txt").write_text(text, encoding="utf-8")
    r = _cli(cfg, "ingest", str(src), "--json")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)[0]
    assert rec["date"] == later.isoformat() and rec["outcome"] == "archived", rec
    assert "晚于今天" in _rows(cfg, "SELECT warnings FROM documents")[0][0]
    _consistent(cfg)


def test_package_with_a_value_out_of_range_imports_nothing(tmp_path):
    a, pkg = _exported_package(tmp_path, 2)
    last = sorted((pkg / "data" / "records").glob("*.json"))[-1]
    rec = json.loads(last.read_text(encoding="utf-8"))
    rec["pages"] = 99999999999
    last.write_text(json.dumps(rec, ensure_ascii=False), encoding="utf-8")
    bagit.Bag(str(pkg)).save(manifests=True)
    b = _new_config(tmp_path / "b")
    line = _one_line_error(_cli(b, "import", "package", str(pkg)), 1)
    assert "页数" in line or "pages" in line
    assert _rows(b, "SELECT count(*) FROM documents")[0][0] == 0
    _consistent(b)
