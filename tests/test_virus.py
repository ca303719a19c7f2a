"""病毒检测 (archive/virus.py): a real clamscan with a small signature database written here (the official one
cannot be downloaded on this machine), over real files: verify, import package and ingest behind [virus]
at_ingest. Hostile file names, a scanner that fails or times out (never a pass), and no scanner at all (said so,
never claimed to have run)."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from archive import catalog, pipeline, virus
from archive.config import VirusSettings, load_config
from archive.errors import PackageError
from archive.export.package import export_package, import_package
from archive.session import open_archive
from archive.verify import NOT_RUN, PASSED, FAILED, report_sheets, verify
from conftest import write_config
from gongwen_gen import gongwen_lines
from makedocs import make_pdf, make_text
from tests.clirun import run_config

needs_clamscan = pytest.mark.skipif(shutil.which("clamscan") is None, reason="ClamAV (clamscan) not installed")
MARKER = b"ARCHIVE-TEST-SIGNATURE-7f3e9c1d-NOT-A-REAL-VIRUS"


def _database(folder: Path, *files: Path) -> Path:
    """A signature database of our own: the MARKER bytes anywhere in a file (.ndb), and each of ``files`` by
    its MD5 and size (.hdb). clamscan loads every file of the folder."""
    db = folder / "sigs"
    db.mkdir(parents=True, exist_ok=True)
    (db / "marker.ndb").write_text(f"Archive.Test.Marker:0:*:{MARKER.hex()}\n")
    if files:
        (db / "files.hdb").write_text("".join(
            f"{hashlib.md5(f.read_bytes()).hexdigest()}:{f.stat().st_size}:Archive.Test.File{i}\n"
            for i, f in enumerate(files)))
    return db


@needs_clamscan
def test_scanner_finds_the_signature_whatever_the_file_is_named(tmp_path):
    db = _database(tmp_path)
    names = ["plain.txt", "-r", "--remove=yes", "a: OK\nb.txt", "f0", "空 格.txt"]
    paths = []
    for n in names:
        p = tmp_path / n
        p.write_bytes(b"head " + MARKER + b" tail")
        paths.append(p)
    clean = tmp_path / "clean.txt"
    clean.write_bytes(b"nothing here")
    sc, verdicts = virus.scan_files(VirusSettings(database=db), [*paths, clean])
    assert sc.name == "clamscan"
    assert [v.kind for v in verdicts] == ["infected"] * len(names) + ["clean"]
    assert all(v.signature.startswith("Archive.Test.Marker") for v in verdicts[:-1])
    for p in paths:  # a name like an option was never taken as one (--remove would have deleted the file)
        assert p.exists()
    assert "检出病毒（Archive.Test.Marker" in verdicts[0].line("plain.txt")


@needs_clamscan
def test_a_failing_or_slow_scanner_never_passes_a_file(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"nothing here")
    bad_db = tmp_path / "broken.ndb"
    bad_db.write_text("this is not a signature\n")
    _, verdicts = virus.scan_files(VirusSettings(database=bad_db), [f])
    assert verdicts[0].kind == "error", verdicts
    # a time limit no scanner start can meet: every file of the run is an error, not clean
    _, verdicts = virus.scan_files(VirusSettings(database=_database(tmp_path), timeout_seconds=0.001), [f, f])
    assert [v.kind for v in verdicts] == ["error", "error"]
    assert "未能完成" in verdicts[0].line("a.txt")
    # a file that vanished before the scan: no OK line for it, so an error
    _, verdicts = virus.scan_files(VirusSettings(database=_database(tmp_path)), [tmp_path / "gone.txt", f])
    assert [v.kind for v in verdicts] == ["error", "clean"]


def test_no_scanner_is_said_and_not_claimed(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: neither clamscan nor clamdscan
    sc = virus.scanner(VirusSettings())
    assert not sc.available and "未安装" in sc.missing
    assert virus.scanner(VirusSettings(enabled=False)).missing.startswith("病毒检测已在配置中关闭")


def _pdf_archive(tmp_path: Path, name: str = "arc", **replace_cfg):
    folder = tmp_path / name
    folder.mkdir()
    cfg_path = write_config(folder, **replace_cfg)
    arc = open_archive(load_config(cfg_path), create=True)
    src = folder / "src"
    src.mkdir()
    for i, kind in enumerate((0, 3)):
        r = pipeline.ingest_file(arc, make_pdf(src / f"{i}.pdf", gongwen_lines(i, kind, 2019)))
        assert r.outcome == "archived", r.reason
    return arc, cfg_path


def test_verify_without_a_scanner_reports_the_item_not_run(tmp_path):
    arc, cfg_path = _pdf_archive(tmp_path)
    arc.close()
    empty = tmp_path / "bin"
    empty.mkdir()
    r = run_config(cfg_path, "verify", env={"PATH": str(empty)})
    assert r.returncode == 0, r.stderr
    assert "未检测的检测项：" in r.stderr and "病毒（本机未安装病毒扫描程序 ClamAV（clamscan））" in r.stderr
    assert "未检出病毒" not in r.stdout + r.stderr
    arc = open_archive(load_config(cfg_path))
    try:
        import os

        old = os.environ["PATH"]
        os.environ["PATH"] = str(empty)
        try:
            rep = verify(arc)
        finally:
            os.environ["PATH"] = old
        item = next(i for i in rep.by_item() if i["item"] == "病毒")
        assert item["result"] == NOT_RUN and "未安装" in item["why"]
        intro = " ".join(report_sheets(rep, arc.cfg)[0].intro)
        assert "病毒检测未进行" in intro and "未检出病毒" not in intro
        # the items checked elsewhere, and the one left for the OA package's process metadata
        results = {i["item"]: i["result"] for i in rep.by_item()}
        assert results["包结构"] == results["数量"] == results["过程信息"] == NOT_RUN
        assert results["文件校验值"] == PASSED
    finally:
        arc.close()


@needs_clamscan
def test_verify_scans_every_stored_file(tmp_path):
    arc, cfg_path = _pdf_archive(tmp_path)
    try:
        stored = sorted(catalog.referenced_files(arc.conn))
        arc.cfg.virus = replace(arc.cfg.virus, database=_database(tmp_path))
        rep = verify(arc)
        item = next(i for i in rep.by_item() if i["item"] == "病毒")
        assert (item["result"], item["examined"], item["errors"]) == (PASSED, len(stored), 0)
        assert "病毒检测：用 clamscan 扫描了" in " ".join(report_sheets(rep, arc.cfg)[0].intro)
        # a signature of one stored file's exact bytes: that file is a problem; nothing is deleted
        victim = arc.store.abspath(stored[0])
        arc.cfg.virus = replace(arc.cfg.virus, database=_database(tmp_path / "x", victim))
        rep = verify(arc)
        bad = [f for f in rep.errors if f.item == "病毒"]
        assert [f.ref for f in bad] == [stored[0]] and "检出病毒（Archive.Test.File0" in bad[0].message
        assert next(i for i in rep.by_item() if i["item"] == "病毒")["result"] == FAILED
        assert victim.is_file()
    finally:
        arc.close()


@needs_clamscan
def test_ingest_refuses_an_infected_file_before_it_is_stored(tmp_path):
    folder = tmp_path / "a"
    folder.mkdir()
    db = _database(tmp_path)
    cfg_path = write_config(folder, **{"# at_ingest = false                          # true: each file scanned":
                                       f'database = "{db}"\nat_ingest = true  # each file scanned'})
    arc = open_archive(load_config(cfg_path), create=True)
    try:
        src = tmp_path / "src"
        src.mkdir()
        text = "\n".join(gongwen_lines(3, 0, 2020))
        bad = make_text(src / "--bad.txt", text + "\n" + MARKER.decode())
        r = pipeline.ingest_file(arc, bad)
        assert r.outcome == "failed" and "检出病毒（Archive.Test.Marker" in r.reason, r.reason
        assert catalog.count_documents(arc.conn) == 0 and not arc.store.stored_files()
        ok = pipeline.ingest_file(arc, make_text(src / "ok.txt", text))
        assert ok.outcome == "archived", ok.reason
        # the scanner broken: fails closed
        broken = tmp_path / "broken.ndb"
        broken.write_text("not a signature\n")
        arc.cfg.virus = replace(arc.cfg.virus, database=broken)
        r = pipeline.ingest_file(arc, make_text(src / "other.txt", "\n".join(gongwen_lines(4, 0, 2020))))
        assert r.outcome == "failed" and "病毒扫描未能完成" in r.reason, r.reason
        assert catalog.count_documents(arc.conn) == 1
    finally:
        arc.close()


def test_ingest_scan_asked_for_but_no_scanner_takes_nothing_in(tmp_path, monkeypatch):
    folder = tmp_path / "a"
    folder.mkdir()
    arc = open_archive(load_config(write_config(folder)), create=True)
    try:
        arc.cfg.virus = replace(arc.cfg.virus, at_ingest=True)
        monkeypatch.setenv("PATH", str(tmp_path))
        line = virus.refusal_at_ingest(arc.cfg.virus, tmp_path, "x.txt")
        assert line and "未安装" in line and "未入库" in line
    finally:
        arc.close()


@needs_clamscan
def test_import_package_scans_before_anything_is_stored(tmp_path):
    arc, _ = _pdf_archive(tmp_path)
    out = tmp_path / "pkg"
    try:
        export_package(arc, 2019, out)
    finally:
        arc.close()
    victim = sorted((out / "data" / "files").iterdir())[0]
    db = _database(tmp_path, victim)
    dst = tmp_path / "dst"
    dst.mkdir()
    arc2 = open_archive(load_config(write_config(dst)), create=True)
    try:
        arc2.cfg.virus = replace(arc2.cfg.virus, database=db)
        checks: list = []
        with pytest.raises(PackageError, match=f"未通过病毒检测.*{victim.name}.*Archive.Test.File0"):
            import_package(arc2, out, checks=checks)
        assert catalog.count_documents(arc2.conn) == 0 and not arc2.store.stored_files()
        assert {"item": "病毒", "result": "不通过"}.items() <= next(c for c in checks if c["item"] == "病毒").items()
        arc2.cfg.virus = replace(arc2.cfg.virus, database=_database(tmp_path / "clean"))
        checks = []
        assert len(import_package(arc2, out, checks=checks)) == 2
        assert next(c for c in checks if c["item"] == "病毒")["result"] == "通过"
    finally:
        arc2.close()


@needs_clamscan
def test_a_file_nested_too_deep_to_scan_is_not_passed(tmp_path):
    """A zip inside a zip 25 levels down (a zip-bomb's shape; clamscan stops at 17 levels): an alert, not clean."""
    import io
    import zipfile

    data = b"hello"
    for i in range(25):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"l{i}.zip" if i else "a.txt", data)
        data = buf.getvalue()
    nested = tmp_path / "nested.docx"
    nested.write_bytes(data)
    _, verdicts = virus.scan_files(VirusSettings(database=_database(tmp_path)), [nested])
    assert verdicts[0].kind == "infected" and verdicts[0].signature.startswith("Heuristics.Limits.Exceeded")
    assert "超出病毒扫描的大小或嵌套限制" in verdicts[0].line("nested.docx")
