"""A transfer package's structure and declared counts, checked on ``archive import package`` before anything is
imported (DA/T 70 包结构, 数量): packages whose manifest and bag-info lie consistently (bagit's own validation
passes, the tag manifest recomputed), extra and missing files, symlinks; the per-item report; duplicates of
文号 and 题名 against the catalog, in the report and in verify."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import bagit
import pytest

from archive import catalog, pipeline
from archive.config import load_config
from archive.errors import PackageError
from archive.export.package import export_package, import_package
from archive.importing import import_record
from archive.session import open_archive
from archive.verify import verify
from conftest import write_config
from gongwen_gen import gongwen_lines
from makedocs import make_pdf
from tests.clirun import run_config


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    """A package of three archived 2019 records (two PDFs, one without a file), made once."""
    folder = tmp_path_factory.mktemp("pkgchecks")
    arc = open_archive(load_config(write_config(folder)), create=True)
    try:
        src = folder / "src"
        src.mkdir()
        for i, kind in enumerate((0, 3)):
            r = pipeline.ingest_file(arc, make_pdf(src / f"{i}.pdf", gongwen_lines(i, kind, 2019)))
            assert r.outcome == "archived", r.reason
        import_record(arc, {"archival_code": "Z109-WS·2019-Y-BGS-0009", "title": "纸质时期的决定",
                            "issuer": "示例县档案局", "date": "2019-05-06", "pages": 3}, None, source={"row": 1})
        export_package(arc, 2019, folder / "pkg")
    finally:
        arc.close()
    return folder / "pkg"


@pytest.fixture
def pkg(package, tmp_path) -> Path:
    dest = tmp_path / "pkg"
    shutil.copytree(package, dest, symlinks=True)
    return dest


@pytest.fixture
def empty(tmp_path):
    folder = tmp_path / "dst"
    folder.mkdir()
    cfg_path = write_config(folder)
    arc = open_archive(load_config(cfg_path), create=True)
    yield arc
    arc.close()


def _resave(pkg: Path, **info) -> None:
    """Rewrite the manifests (and bag-info) so they agree with the tampered payload: bagit validates it."""
    bag = bagit.Bag(str(pkg))
    bag.info.update(info)
    bag.save(manifests=True)
    bagit.Bag(str(pkg)).validate()


def _refused(arc, pkg: Path, pattern: str) -> list:
    checks: list = []
    with pytest.raises(PackageError, match=pattern):
        import_package(arc, pkg, checks=checks)
    assert catalog.count_documents(arc.conn) == 0 and not arc.store.stored_files()
    return checks


def test_a_whole_package_reports_each_item(pkg, empty):
    checks: list = []
    assert len(import_package(empty, pkg, checks=checks)) == 3
    results = {c["item"]: c["result"] for c in checks}
    assert results["包结构"] == results["数量"] == results["校验值"] == results["重复"] == "通过"
    assert results["病毒"] in ("通过", "未检测")  # depends on a scanner with a database on this machine
    counts = next(c for c in checks if c["item"] == "数量")["detail"]
    assert "声明 3 件，实有 3 件；电子文件 2 个" in counts


def test_record_count_that_lies_is_refused(pkg, empty):
    _resave(pkg, **{"Record-Count": "4"})
    checks = _refused(empty, pkg, "声明 4 件，移交包中有 3 件记录")
    assert next(c for c in checks if c["item"] == "数量")["result"] == "不通过"


def test_a_record_taken_out_with_its_manifest_rewritten_is_refused(pkg, empty):
    victim = sorted((pkg / "data" / "records").glob("*.json"))[0]
    victim.unlink()
    victim.with_suffix(".xml").unlink()
    _resave(pkg)  # bagit is satisfied; the declared 件数 is not
    _refused(empty, pkg, "声明 3 件，移交包中有 2 件记录")


def test_an_extra_file_listed_in_the_manifest_is_refused(pkg, empty):
    (pkg / "data" / "files" / "夹带.exe").write_bytes(b"MZ not ours")
    (pkg / "data" / "--remove=yes").write_bytes(b"named like an option")
    _resave(pkg)
    checks = _refused(empty, pkg, "files/夹带.exe 不属于任何记录")
    detail = next(c for c in checks if c["item"] == "包结构")["detail"]
    assert "--remove=yes 不属于任何记录" in detail and (pkg / "data" / "--remove=yes").exists()


def test_metadata_without_its_xml_is_refused(pkg, empty):
    next((pkg / "data" / "records").glob("*.xml")).unlink()
    _resave(pkg)
    _refused(empty, pkg, "没有对应的 XML 元数据")


def test_a_symlink_in_the_payload_is_refused(pkg, empty, tmp_path):
    inside = next((pkg / "data" / "text").iterdir())
    os.symlink(inside, pkg / "data" / "files" / "链接.txt")  # to a file of the package: bagit accepts it
    _resave(pkg)
    _refused(empty, pkg, "files/链接.txt 是符号链接")
    (pkg / "data" / "files" / "链接.txt").unlink()
    secret = tmp_path / "outside.txt"
    secret.write_text("not the package's")
    os.symlink(secret, pkg / "data" / "其他.txt")  # outside the package: bagit's own check refuses it
    import hashlib

    with open(pkg / "manifest-sha256.txt", "a", encoding="utf-8") as f:
        f.write(f"{hashlib.sha256(secret.read_bytes()).hexdigest()}  data/其他.txt\n")
    _refused(empty, pkg, "不是有效的 BagIt 移交包")


def test_a_record_pointing_outside_the_package_is_refused(pkg, empty):
    victim = sorted((pkg / "data" / "records").glob("*.json"))[0]
    rec = json.loads(victim.read_text(encoding="utf-8"))
    rec["file"] = "../../../../etc/hostname"
    victim.write_text(json.dumps(rec, ensure_ascii=False), encoding="utf-8")
    _resave(pkg)
    _refused(empty, pkg, "指向移交包之外")


def test_a_catalogue_xml_that_disagrees_is_refused(pkg, empty):
    codes = sorted(p.stem for p in (pkg / "data" / "records").glob("*.json"))
    entries = "".join(f"<文件><档号>{c}</档号><电子档案名称></电子档案名称></文件>" for c in codes[:2])
    (pkg / "data" / "文件目录.xml").write_text(f'<?xml version="1.0" encoding="utf-8"?><文件目录>{entries}</文件目录>',
                                           encoding="utf-8")
    _resave(pkg)
    _refused(empty, pkg, "文件目录.xml 列有 2 件，移交包中有 3 件记录")


def test_a_bad_checksum_is_refused_with_the_item(pkg, empty):
    victim = next((pkg / "data" / "files").iterdir())
    victim.write_bytes(victim.read_bytes() + b"x")
    checks = _refused(empty, pkg, "校验失败")
    assert checks == [{"item": "校验值", "result": "不通过", "detail": checks[0]["detail"]}]


def test_duplicates_of_number_and_title_are_reported(pkg, tmp_path):
    """A record here with a 文号 of the package, another with a 题名 and 日期 of it: the import goes on, the
    report names them; verify then finds the 重复文号 (a problem) and the 重复题名 (a notice)."""
    recs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((pkg / "data" / "records").glob("*.json"))]
    numbered = next(r for r in recs if r.get("doc_number"))
    folder = tmp_path / "dst2"
    folder.mkdir()
    cfg_path = write_config(folder)
    arc = open_archive(load_config(cfg_path), create=True)
    try:
        import_record(arc, {"archival_code": "Z109-WS·2019-Y-BGS-0050", "title": numbered["title"],
                            "doc_number_raw": numbered["doc_number"], "issuer": numbered["issuer"],
                            "date": "2019-02-01", "pages": 1}, None, source={"row": 1})
        import_record(arc, {"archival_code": "Z109-WS·2019-Y-BGS-0051", "title": "纸质时期的决定",
                            "issuer": "示例县档案局", "date": "2019-05-06", "pages": 1}, None, source={"row": 2})
        checks: list = []
        assert len(import_package(arc, pkg, checks=checks)) == 3
        dup = next(c for c in checks if c["item"] == "重复")
        assert dup["result"] == "提示"
        assert f"发文字号 {numbered['doc_number']} 与 Z109-WS·2019-Y-BGS-0050 相同" in dup["detail"]
        assert "题名与成文日期 2019-05-06 与 Z109-WS·2019-Y-BGS-0051 相同" in dup["detail"]
        rep = verify(arc)
        numbers = [f for f in rep.errors if f.item == "重复文号"]
        assert len(numbers) == 1 and "有 2 条记录" in numbers[0].message and "Z109-WS·2019-Y-BGS-0050" in numbers[0].message
        titles = [f for f in rep.notices if f.item == "重复题名"]
        assert len(titles) == 1 and "Z109-WS·2019-Y-BGS-0051" in titles[0].message
        assert {i["item"]: i["result"] for i in rep.by_item()}["重复文号"] == "不通过"
        # the same 文号 under another 题名 (a 稿纸 filed apart, a number reused): a notice for a person
        from archive.edit import edit

        edit(arc, arc.resolve("Z109-WS·2019-Y-BGS-0050"), {"title": "另一件文件的题名示例"}, reason="更正题名")
        rep = verify(arc)
        assert not [f for f in rep.errors if f.item == "重复文号"]
        assert [f.ref for f in rep.notices if f.item == "重复文号"] == ["Z109-WS·2019-Y-BGS-0050"]
    finally:
        arc.close()
    r = run_config(cfg_path, "verify")
    assert "四性检测：提示" in r.stdout and "重复文号" in r.stdout.split("四性检测：提示")[1]  # a notice, not a problem


def test_cli_prints_each_item(pkg, tmp_path):
    folder = tmp_path / "dst3"
    folder.mkdir()
    cfg_path = write_config(folder)
    r = run_config(cfg_path, "import", "package", str(pkg))
    assert r.returncode == 0, r.stderr
    for item in ("包结构：通过", "数量：通过", "校验值：通过", "重复：通过"):
        assert f"[{item}]" in r.stderr, r.stderr
    _resave(pkg, **{"Record-Count": "2"})
    folder = tmp_path / "dst4"
    folder.mkdir()
    r = run_config(write_config(folder), "import", "package", str(pkg))
    assert r.returncode != 0 and "声明 2 件" in r.stderr and r.stderr.count("\n") <= 2


def test_a_symlinked_folder_is_not_walked(pkg, empty, tmp_path):
    os.symlink("/", pkg / "data" / "根")  # walking it would read the whole disk; bagit's own walk skips it
    _refused(empty, pkg, "根 是符号链接")
