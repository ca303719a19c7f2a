"""The OA system's 归档信息包 (issue 27, item 5; docs/oa_package.md): one 件 per folder or zip, taken in as one
record with its roles, declared metadata and 办理过程; every hostile package fails whole, nothing stored."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import threading
import zipfile

import pytest

from archive import catalog, oa_package
from archive.catalog import process
from archive.config import load_config
from archive.session import open_archive
from archive.watch import InboxWatcher
from makedocs import make_docx, make_pdf
from oa_packages import FIX, FORM, META, STEPS, entry, make_package, write_manifest, zip_of
from tests.clirun import run_config
from tests.conftest import write_config

BODY = ["示例县人民政府办公室文件", "示政办发〔2026〕3号", "关于做好防汛工作的通知", "各乡镇人民政府：",
        "请做好防汛工作。", "示例县人民政府办公室", "2026年3月1日"]


def _records(arc):
    return [dict(r) for r in catalog.all_records(arc.conn)]


def _stored(cfg):
    files = cfg.store / "files"
    return sorted(p for p in files.rglob("*") if p.is_file()) if files.exists() else []


@pytest.fixture
def arc(cfg):
    a = open_archive(cfg, create=True)
    yield a
    a.close()


@pytest.mark.slow
def test_a_sealed_ofd_package_is_one_item_with_its_metadata_and_process(cfg_path, tmp_path):
    pkg = make_package(tmp_path / "oa" / "2026-001.oa")
    r = run_config(cfg_path, "ingest", str(tmp_path / "oa"), "--json")  # the folder holding it: one 件
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert [x["outcome"] for x in res] == ["archived"], res
    assert "办理过程 3 个环节" in res[0]["reason"]
    show = json.loads(run_config(cfg_path, "show", "1", "--json").stdout)
    assert show["filename"] == "正本.ofd" and show["title"] == META["题名"] and show["issuer"] == META["发文机关"]
    assert show["date"] == "2026-03-01"
    assert [(f["role"], f["filename"]) for f in show["files"]] == [
        ("正本", "正本.ofd"), ("定稿", "定稿.docx"), ("处理单", "收文处理单.pdf"), ("附件", "附件1.pdf")]
    assert [(s["step"], s["actor"]) for s in show["process"]] == [("登记", "李文书"), ("拟办", "王主任"),
                                                                  ("办结", "李文书")]
    assert show["process"][1]["at"] == "2026-03-02T14:00:00+08:00"  # a time without offset: the agency's clock
    text = run_config(cfg_path, "show", "1").stdout
    assert "办理过程" in text and "请办公室阅处" in text
    assert re.search(r"印章\s+有", text)  # the V4 seal of the sealed OFD 正本
    assert re.search(r"阅办类型\s+办件", text)  # the 处理单's 阅办类型, which the classification reads
    opened = run_config(cfg_path, "open", "1", "-o", str(tmp_path / "out"))
    assert opened.returncode == 0 and "办理过程 2：拟办" in opened.stderr, opened.stderr
    assert pkg.exists()  # archive ingest leaves the original where it was
    v = json.loads(run_config(cfg_path, "verify", "--json").stdout)
    item = next(i for i in v["items"] if i["item"] == "过程信息")
    assert (item["examined"], item["errors"]) == (1, 0)
    # changed behind the program's back (the table's triggers dropped by hand): verify says so
    cfg = load_config(cfg_path)
    with sqlite3.connect(cfg.store / "catalog.sqlite") as db:
        db.execute("DROP TRIGGER process_steps_no_update")
        db.execute("UPDATE process_steps SET opinion='同意' WHERE seq=2")
    v = json.loads(run_config(cfg_path, "verify", "--json").stdout)
    assert any(f["item"] == "过程信息" and "改动" in f["message"] for f in v["findings"]), v["findings"]


def test_process_steps_are_never_changed_and_a_package_carries_them(arc, tmp_path):
    r = oa_package.take_in(arc, make_package(tmp_path / "a.oa"))
    assert r.outcome == "archived", r.reason
    with pytest.raises(sqlite3.DatabaseError):
        with arc.conn:
            arc.conn.execute("DELETE FROM process_steps")
    from archive.export.package import export_package

    export_package(arc, 2026, tmp_path / "bag")
    rec = json.loads(next((tmp_path / "bag" / "data" / "records").glob("*.json")).read_text(encoding="utf-8"))
    assert [s["step"] for s in rec["process"]] == ["登记", "拟办", "办结"]
    assert "处理单" in [f["role"] for f in rec["files"]]
    xml = next((tmp_path / "bag" / "data" / "records").glob("*.xml")).read_text(encoding="utf-8")
    assert "<step>" in xml and "拟办" in xml
    from archive.export.package import import_package  # the 档案馆's side: the process comes back with the record

    (tmp_path / "other").mkdir()
    other = open_archive(load_config(write_config(tmp_path / "other")), create=True)
    try:
        [got] = import_package(other, tmp_path / "bag")
        assert [s["step"] for s in process.steps_of(other.conn, got["id"])] == ["登记", "拟办", "办结"]
        assert "处理单" in [f["role"] for f in catalog.further_files(other.conn, got["id"])]
    finally:
        other.close()


def test_a_zip_package_is_taken_like_a_folder(arc, tmp_path):
    folder = make_package(tmp_path / "src" / "b")
    z = zip_of(folder, tmp_path / "b.zip")
    assert oa_package.is_package(z)
    r = oa_package.take_in(arc, z)
    assert r.outcome == "archived", r.reason
    assert len(process.steps_of(arc.conn, r.record["id"])) == 3
    assert len(catalog.further_files(arc.conn, r.record["id"])) == 3


def test_metadata_that_disagrees_with_the_main_file_is_a_warning_and_pending(arc, tmp_path):
    folder = tmp_path / "c.oa"
    folder.mkdir()
    make_pdf(folder / "正本.pdf", BODY)
    make_pdf(folder / "处理单.pdf", FORM)
    write_manifest(folder, [("正本.pdf", "正本"), ("处理单.pdf", "处理单")],
                   meta={**META, "文号": "示政办发〔2026〕9号"})
    r = oa_package.take_in(arc, folder)
    assert r.outcome == "pending", r.reason
    row = catalog.get_record(arc.conn, r.record["id"])
    assert row["doc_number_raw"] == "示政办发〔2026〕9号"  # the declared value, said to differ
    assert any("归档信息包元数据声明的文号" in w for w in json.loads(row["warnings"]))
    assert "请核对" in row["reason"]


def test_the_form_says_read_or_act_when_the_metadata_does_not_and_a_disagreement_is_pending(arc, tmp_path):
    meta = {k: v for k, v in META.items() if k != "阅件办件"}
    r = oa_package.take_in(arc, make_package(tmp_path / "n.oa", meta=meta))  # the 处理单 reads 阅办类型：办件
    assert catalog.get_record(arc.conn, r.record["id"])["receipt_kind"] == "办件"
    r = oa_package.take_in(arc, make_package(tmp_path / "o.oa", main=FIX / "reader_SESV4SignDoc.ofd",
                                             meta={**META, "阅件办件": "阅件"}))
    assert r.outcome == "pending", r
    assert "处理单上为办件" in catalog.get_record(arc.conn, r.record["id"])["reason"]


def _inbox_package(cfg, name="d.oa", **kw):
    cfg.inbox.mkdir(parents=True, exist_ok=True)
    return make_package(cfg.inbox / name, **kw)


def _only_failed(arc, cfg, r, outcome, words, folder_attr="failed_dir"):
    assert r.outcome == outcome, r.reason
    assert words in r.reason, r.reason
    assert _records(arc) == [] and _stored(cfg) == []  # nothing of the package stored
    moved = list(getattr(cfg, folder_attr).rglob("*.oa")) + list(getattr(cfg, folder_attr).rglob("*.zip"))
    assert len(moved) == 1 and not any(cfg.inbox.iterdir())  # the whole package moved out, with its reason


def _man(folder):
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _rewrite(folder, man):
    (folder / "manifest.json").write_text(json.dumps(man, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize("case, words", [
    ("two_main", "2 个正本"), ("no_main", "没有正本"), ("missing", "不在包中"), ("changed", "与清单不符"),
    ("unlisted", "清单未列出"), ("traversal", "无效"), ("link", "符号链接"), ("bad_time", "时间"),
    ("not_json", "不是 UTF-8"), ("bad_meta", "无法识别的键"), ("too_big", "过大"),
])
def test_a_hostile_or_careless_folder_fails_whole(arc, cfg, case, words):
    folder = _inbox_package(cfg)
    man = _man(folder)
    if case == "two_main":
        man["文件"][1]["角色"] = "正本"
    elif case == "no_main":
        man["文件"][0]["角色"] = "附件"
    elif case == "missing":
        (folder / "定稿.docx").unlink()
    elif case == "changed":  # half-copied: the manifest came first after all
        with open(folder / "定稿.docx", "r+b") as f:
            f.truncate(100)
    elif case == "unlisted":
        (folder / "其他.txt").write_text("未列出", encoding="utf-8")
    elif case == "traversal":
        man["文件"][3]["路径"] = "../附件1.pdf"
    elif case == "link":
        os.symlink("/etc/passwd", folder / "passwd")
        man["文件"].append({"路径": "passwd", "角色": "附件", "SHA256": "0" * 64, "大小": 1})
    elif case == "bad_time":
        man["办理过程"][0]["时间"] = "昨天下午"
    elif case == "bad_meta":
        man["元数据"]["来源"] = "OA"
    elif case == "too_big":  # declared past [limits] max_file_mb: refused before a byte is copied
        man["文件"][1]["大小"] = 2 * 1024 ** 3
    if case == "not_json":
        (folder / "manifest.json").write_bytes(b"\xff\xfe{")
    elif case not in ("missing", "changed", "unlisted"):
        _rewrite(folder, man)
    r = oa_package.take_in(arc, folder, from_inbox=True)
    _only_failed(arc, cfg, r, "failed", words)


@pytest.mark.parametrize("case, words", [("traversal", "无效"), ("bomb", "压缩炸弹"), ("liar", "压缩炸弹"),
                                         ("extra", "未列出"), ("damaged", "无法解压")])
def test_a_hostile_zip_fails_whole_and_nothing_is_written_outside(arc, cfg, tmp_path, case, words):
    folder = make_package(tmp_path / "src" / "e")
    man = _man(folder)
    extra = {}
    if case == "traversal":  # a member named to climb out, listed in the manifest
        data = (folder / "定稿.docx").read_bytes()
        extra["../../逃逸.docx"] = data
        man["文件"][1]["路径"] = "../../逃逸.docx"
        (folder / "定稿.docx").unlink()
    elif case in ("bomb", "liar"):
        big = b"\0" * (60 * 1024 * 1024)
        extra["附件/炸弹.pdf"] = big
        import hashlib

        man["文件"].append({"路径": "附件/炸弹.pdf", "角色": "附件", "SHA256": hashlib.sha256(big).hexdigest(),
                          "大小": len(big) if case == "bomb" else 1000})
    elif case == "extra":
        extra["../x.txt"] = b"x"
    _rewrite(folder, man)
    cfg.inbox.mkdir(parents=True, exist_ok=True)
    z = zip_of(folder, cfg.inbox / "e.zip", extra=extra)
    if case == "damaged":  # a byte of the 定稿's compressed data changed: its CRC no longer holds
        with zipfile.ZipFile(z) as zf:
            info = zf.getinfo("定稿.docx")
        data = bytearray(z.read_bytes())
        at = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.compress_size // 2
        data[at] ^= 0xFF
        z.write_bytes(bytes(data))
    r = oa_package.take_in(arc, z, from_inbox=True)
    _only_failed(arc, cfg, r, "failed", words)
    assert not (cfg.inbox.parent / "逃逸.docx").exists() and not list(tmp_path.rglob("逃逸.docx"))


@pytest.mark.slow
def test_a_secret_in_the_metadata_or_any_file_refuses_the_whole_package(arc, cfg):
    folder = _inbox_package(cfg, meta={**META, "密级": "机密★10年"})
    _only_failed(arc, cfg, oa_package.take_in(arc, folder, from_inbox=True), "refused", "机密", "refused_dir")
    shutil.rmtree(cfg.refused_dir)
    folder = _inbox_package(cfg, "f.oa")  # the 定稿 marked 秘密, the manifest saying 非密
    make_docx(folder / "定稿.docx", ["秘密★1年", "关于做好防汛工作的通知（定稿）", "请做好防汛工作。"])
    man = _man(folder)
    man["文件"][1] = entry(folder, "定稿.docx", "定稿")
    _rewrite(folder, man)
    r = oa_package.take_in(arc, folder, from_inbox=True)
    _only_failed(arc, cfg, r, "refused", "秘密", "refused_dir")
    assert "定稿.docx" in r.reason
    shutil.rmtree(cfg.refused_dir)
    steps = [*STEPS[:2], {"环节": "批示", "处理人": "张县长", "意见": "本件密级：机密"}]  # said in the 办理过程
    r = oa_package.take_in(arc, _inbox_package(cfg, "k.oa", steps=steps), from_inbox=True)
    _only_failed(arc, cfg, r, "refused", "办理过程第 3 步", "refused_dir")


def test_a_package_moved_while_read_is_left_for_its_new_name(arc, cfg):
    folder = _inbox_package(cfg, "g.oa")
    renamed = folder.with_name("g2.oa")
    folder.rename(renamed)  # renamed between being noticed and being read
    r = oa_package.take_in(arc, folder, from_inbox=True)
    assert r.outcome == "failed" and "改名" in r.reason
    assert renamed.is_dir() and not list(cfg.failed_dir.rglob("*")) and _records(arc) == []
    r = oa_package.take_in(arc, renamed, from_inbox=True)
    assert r.outcome == "archived", r.reason
    assert not renamed.exists() and len(list(cfg.processed_dir.rglob("g2.oa"))) == 1
    # the same package again (a crash after the commit, before the move): finished, not a second 件
    again = shutil.copytree(next(cfg.processed_dir.rglob("g2.oa")), cfg.inbox / "g3.oa")
    r = oa_package.take_in(arc, again, from_inbox=True)
    assert r.record["id"] == 1 and "上次中断后已完成归档" in r.reason and len(_records(arc)) == 1
    assert not again.exists() and len(list(cfg.processed_dir.rglob("g3.oa"))) == 1
    # exported again by the OA (the same 正本, the other files made anew): a duplicate, said as such
    r = oa_package.take_in(arc, make_package(cfg.inbox / "g4.oa"), from_inbox=True)
    assert r.outcome == "duplicate" and len(list(cfg.duplicates_dir.rglob("g4.oa"))) == 1


def test_the_watched_inbox_waits_for_the_manifest_and_takes_the_folder_as_one_item(tmp_path):
    cfg = load_config(write_config(tmp_path, **{"settle_seconds = 2.0": "settle_seconds = 0.3"}))
    cfg.inbox.mkdir(parents=True)
    half = make_package(cfg.inbox / "h.oa", manifest=False)  # copied, the manifest not yet written
    arc = open_archive(cfg, create=True)
    w = InboxWatcher(arc)
    assert w.run(once=True) == []  # nothing taken: not the package, not its files one by one
    assert _records(arc) == [] and half.is_dir()
    write_manifest(half, [])  # the manifest there, but a file still being copied under its tool's name
    (half / "附件" / "附件2.pdf.filepart").write_bytes(b"%PDF-1.4 half")
    (half / "Thumbs.db").write_bytes(b"junk")  # a desktop's leftover: not the package's, not a reason to fail
    assert InboxWatcher(arc).run(once=True) == [] and half.is_dir()
    (half / "附件" / "附件2.pdf.filepart").unlink()
    w = InboxWatcher(arc)
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    try:
        write_manifest(half, [("正本.ofd", "正本"), ("定稿.docx", "定稿"), ("收文处理单.pdf", "处理单"),
                              ("附件/附件1.pdf", "附件")])
        make_package(tmp_path / "staging" / "i.oa", main=FIX / "reader_SESV4SignDoc.ofd")
        shutil.move(tmp_path / "staging" / "i.oa", cfg.inbox / "i.oa")  # renamed in whole, as an OA should
        end = __import__("time").monotonic() + 120
        while len(w.results) < 2 and __import__("time").monotonic() < end and t.is_alive():
            __import__("time").sleep(0.2)
    finally:
        w.stop_event.set()
        t.join(30)
    assert [r.outcome for r in w.results] == ["archived", "archived"], [(r.file, r.reason) for r in w.results]
    assert len(_records(arc)) == 2 and not any(cfg.inbox.iterdir())  # two packages, two 件, none left
    assert [len(catalog.further_files(arc.conn, i)) for i in (1, 2)] == [3, 3]
    assert len(list(cfg.processed_dir.rglob("*.oa"))) == 2
    arc.close()


def test_the_web_record_page_shows_the_process(cfg, tmp_path):
    from archive.web import accounts, create_app
    from tests.test_web import PASSWORD, login

    arc = open_archive(cfg, create=True)
    accounts.add_user(arc.conn, "lisi", "档案员", PASSWORD)
    r = oa_package.take_in(arc, make_package(tmp_path / "w.oa"))
    arc.close()
    app = create_app(cfg)
    try:
        page = login(app, "lisi").get(f"/doc/{r.record['id']}").text
    finally:
        app.state.web.close()
    card = page[page.index("<h2>办理过程</h2>"):]
    card = card[:card.index("</section>")]
    assert "王主任" in card and "请办公室阅处" in card and "2026-03-02 14:00" in card
    assert "处理单" in page and "收文处理单.pdf" in page


def test_a_file_the_secrecy_gate_doubts_holds_the_whole_package(arc, cfg):
    from makedocs import make_text
    from tests.test_secrecy_queue import DOUBTFUL_LINES

    folder = _inbox_package(cfg, "j.oa")
    make_text(folder / "附件" / "附件2.txt", "\n".join(DOUBTFUL_LINES))  # a bare “秘密” deep in its body
    man = _man(folder)
    man["文件"].append(entry(folder, "附件/附件2.txt", "附件"))
    _rewrite(folder, man)
    r = oa_package.take_in(arc, folder, from_inbox=True)
    _only_failed(arc, cfg, r, "held", "附件/附件2.txt", "refused_dir")
    assert "保密员" in r.reason


def test_a_package_folder_moves_whole_to_another_file_system(arc, cfg):
    import tempfile

    shm = "/dev/shm"
    if not os.path.isdir(shm) or os.stat(shm).st_dev == os.stat(cfg.inbox.parent).st_dev:
        pytest.skip("no second file system here")
    other = tempfile.mkdtemp(dir=shm)
    try:
        shutil.rmtree(cfg.processed_dir, ignore_errors=True)
        os.symlink(other, cfg.processed_dir)  # processed/ on another disk: a rename cannot move the folder
        folder = _inbox_package(cfg, "m.oa")
        want = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
        r = oa_package.take_in(arc, folder, from_inbox=True)
        assert r.outcome == "archived" and "未能移出" not in r.reason, r.reason
        [moved] = list(cfg.processed_dir.rglob("m.oa"))
        assert sorted(p.relative_to(moved).as_posix() for p in moved.rglob("*")) == want
        assert not folder.exists()
    finally:
        shutil.rmtree(other, ignore_errors=True)
