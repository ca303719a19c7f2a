"""Data loss, recovery and restartability (issue 12), with real processes (`python -m archive …`), real
files, a real SQLite catalog and file store. Every fault here is listed in docs/faults.md
("数据不丢：恢复与重启"). After each one: every input accounted for, `archive verify` clean, and the
store's file set equal to what the catalog owns (catalog.referenced_files)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from archive import catalog
from archive.config import load_config
from archive.import_catalog import import_catalog
from archive.session import open_archive
from archive.store import sha256_file
from tests.conftest import ROOT, write_config
from tests.gongwen_gen import gongwen_lines
from tests.makedocs import make_docx, make_pdf, make_text
from tests.clirun import run_config

LOST = "archive recover"


def _cli(cfg_path: Path, *args: str, env: dict | None = None, timeout: float = 300):
    return run_config(cfg_path, *args, env=env, timeout=timeout)


def _popen(cfg_path: Path, *args: str, env: dict | None = None):
    return subprocess.Popen([sys.executable, "-m", "archive", "--config", str(cfg_path), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, **(env or {})})


def _config(tmp_path: Path, text: str | None = None, **replace) -> Path:
    return write_config(tmp_path, text, **{"settle_seconds = 2.0": "settle_seconds = 0", **replace})


def _doc(folder: Path, i: int, year: int = 2020) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return make_text(folder / f"文件{i}.txt", "\n".join(gongwen_lines(i, kind=0, year=year)))


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if (p.is_file() or p.is_symlink())
                  and not p.name.endswith(".原因.txt")) if folder.exists() else []


def _clean(cfg_path: Path) -> dict:
    """`archive verify` passes and the store holds exactly the files the catalog owns."""
    r = _cli(cfg_path, "verify", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    cfg = load_config(cfg_path)
    arc = open_archive(cfg)
    try:
        owned = catalog.referenced_files(arc.conn)
        assert arc.store.stored_files() == set(owned)
        assert not list(arc.store.tmp.glob("*")), "no temporary copy left"
        return owned
    finally:
        arc.close()


def _archived(cfg_path: Path, n: int) -> tuple[Path, set[str]]:
    cfg = load_config(cfg_path)
    for i in range(n):
        _doc(cfg.inbox, i)
    r = _cli(cfg_path, "watch", "--once")
    assert r.returncode == 0, r.stderr
    return cfg.store, set(_clean(cfg_path))


# ---- a lost catalog never empties the store ---------------------------------------------------------
READ_ONLY = [("list",), ("show", "1"), ("search", "档案"), ("verify",), ("stats",), ("review",),
             ("audit",), ("export", "catalog", "--year", "2020", "-o", "x.xlsx"), ("backup", "-o", "b.tar")]
WRITERS = [("watch", "--once"), ("ingest", "inbox"), ("init",), ("reindex",)]


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["deleted", "emptied", "garbage", "blank"])
def test_a_lost_catalog_stops_every_command_and_never_empties_the_store(tmp_path, damage):
    cfg_path = _config(tmp_path)
    store, owned = _archived(cfg_path, 3)
    before = {rel: sha256_file(store / rel) for rel in owned}
    cat = store / "catalog.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(str(cat) + suffix).unlink(missing_ok=True)
    if damage == "deleted":
        cat.unlink()
    elif damage == "emptied":
        cat.write_bytes(b"")
    elif damage == "garbage":
        cat.write_bytes(b"\x00garbage that is not a database header" * 40)
    else:  # a valid catalog without a record: what the old `archive list` left behind
        cat.unlink()
        catalog.connect(cat).close()
    _doc(load_config(cfg_path).inbox, 9)  # something new waiting in the inbox too
    for cmd in READ_ONLY + WRITERS:
        r = _cli(cfg_path, *cmd)
        assert r.returncode != 0, (cmd, r.stderr)
        assert "Traceback" not in r.stderr, (cmd, r.stderr)
        assert LOST in r.stderr and "archive restore" in r.stderr, (cmd, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, (cmd, r.stderr)
        # nothing touched: the stored files are all there, no catalog was created
        assert {p.relative_to(store).as_posix() for p in (store / "files").rglob("*") if p.is_file()} == owned
        assert os.path.exists(cat) == (damage != "deleted"), cmd
    assert {rel: sha256_file(store / rel) for rel in owned} == before
    assert (load_config(cfg_path).inbox / "文件9.txt").exists(), "the new file waits, untouched"


def test_read_only_commands_create_no_catalog_on_a_fresh_store(tmp_path):
    cfg_path = _config(tmp_path)
    for cmd in (("list",), ("verify",), ("stats",), ("search", "x")):
        r = _cli(cfg_path, *cmd)
        assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
        assert not (tmp_path / "store" / "catalog.sqlite").exists(), cmd
    # ingest on a store with nothing in it creates it (and only then)
    src = _doc(tmp_path / "src", 1)
    r = _cli(cfg_path, "ingest", str(src))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "store" / "catalog.sqlite").exists()
    _clean(cfg_path)


@pytest.mark.slow
def test_a_watcher_stops_when_its_catalog_is_deleted_under_it(tmp_path):
    cfg_path = _config(tmp_path)
    cfg = load_config(cfg_path)
    store, owned = _archived(cfg_path, 1)
    w = _popen(cfg_path, "watch", "--json")
    try:
        _doc(cfg.inbox, 5)
        deadline = time.monotonic() + 120
        while _files(cfg.inbox) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _files(cfg.inbox), "the watcher took the first file"
        (store / "catalog.sqlite").unlink()
        for suffix in ("-wal", "-shm"):
            Path(str(store / "catalog.sqlite") + suffix).unlink(missing_ok=True)
        _doc(cfg.inbox, 6)
        out, err = w.communicate(timeout=120)
    finally:
        if w.poll() is None:
            w.kill()
            w.wait()
    assert w.returncode == 1, err
    assert "被删除或替换" in err and "Traceback" not in err
    names = [json.loads(line)["file"] for line in out.splitlines() if line.strip()]
    assert not any("文件6" in n for n in names), "nothing was reported 归档 into the lost catalog"
    assert (cfg.inbox / "文件6.txt").exists()
    assert {p.relative_to(store).as_posix() for p in (store / "files").rglob("*") if p.is_file()} >= owned


# ---- archive recover --------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("damage", ["deleted", "garbage", "corrupt-pages"])
def test_recover_rebuilds_every_stored_file_as_a_pending_record(tmp_path, damage):
    cfg_path = _config(tmp_path)
    store, owned = _archived(cfg_path, 4)
    cat = store / "catalog.sqlite"
    old = {r["sha256"]: r for r in json.loads(_cli(cfg_path, "list", "--json").stdout)}
    r = _cli(cfg_path, "recover")
    assert r.returncode == 1 and "不需要重建" in r.stderr, "a readable catalog is never replaced"
    original = cat.read_bytes()
    if damage == "deleted":
        cat.unlink()
    elif damage == "garbage":
        cat.write_bytes(b"PK\x03\x04 not a catalog" + original[100:])
    else:  # SQLite header fine, some pages overwritten
        data = bytearray(original)
        data[4096 * 6:4096 * 9] = b"\xff" * (4096 * 3)
        cat.write_bytes(bytes(data))
    damaged = None if damage == "deleted" else cat.read_bytes()
    r = _cli(cfg_path, "recover", "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["records"] == len(owned) == 4
    if damaged is not None:  # kept aside, byte for byte
        kept = [Path(p) for p in summary["kept_aside"] if not p.endswith(("-wal", "-shm"))]
        assert len(kept) == 1 and kept[0].read_bytes() == damaged
    rows = json.loads(_cli(cfg_path, "list", "--json").stdout)
    assert {r["sha256"] for r in rows} == set(old)
    assert all(r["status"] == "pending" and r["archival_code"] is None for r in rows)
    assert {r["title"] for r in rows} == {o["title"] for o in old.values()}, "each file read again"
    if damage == "corrupt-pages":
        assert summary["from_old_catalog"] == 4
    review = _cli(cfg_path, "review", "--json")
    assert all("archive recover" in item["reason"] for item in json.loads(review.stdout))
    assert set(_clean(cfg_path)) == owned
    # searchable again, and a clerk can confirm one: it gets a 档号
    assert json.loads(_cli(cfg_path, "search", "档案", "--json").stdout)
    r = _cli(cfg_path, "confirm", "1", "--retention", "永久", "--org", "BGS")
    assert r.returncode == 0, r.stderr
    _clean(cfg_path)


@pytest.mark.slow
def test_recover_killed_half_way_leaves_everything_and_runs_again(tmp_path):
    cfg_path = _config(tmp_path)
    store, owned = _archived(cfg_path, 3)
    (store / "catalog.sqlite").write_bytes(b"")
    r = _cli(cfg_path, "recover", env={"ARCHIVE_FAULT_STAGE": "recovering"})
    assert r.returncode == -9
    assert (store / "catalog.sqlite").read_bytes() == b"", "the damaged catalog stays until the new one is whole"
    assert {p.relative_to(store).as_posix() for p in (store / "files").rglob("*") if p.is_file()} == owned
    r = _cli(cfg_path, "recover")
    assert r.returncode == 0, r.stderr
    assert not list(store.glob(".catalog.recovering*")), "the half-built catalog is not left behind"
    assert set(_clean(cfg_path)) == owned


# ---- reconcile removes only its own unfinished copies -----------------------------------------------
def test_reconcile_removes_only_journalled_copies(tmp_path):
    cfg_path = _config(tmp_path)
    cfg = load_config(cfg_path)
    _archived(cfg_path, 1)
    _doc(cfg.inbox, 2)
    r = _cli(cfg_path, "watch", "--once", env={"ARCHIVE_FAULT_STAGE": "stored"})
    assert r.returncode == -9
    arc = open_archive(cfg)
    journalled = {row[0] for row in arc.conn.execute("SELECT stored_path FROM store_journal")}
    arc.close()
    assert len(journalled) == 1
    # a file somebody put in files/ by hand (no record, not ours): reconcile must not delete it
    stranger = cfg.store / "files" / "00" / ("0" * 64 + ".txt")
    stranger.parent.mkdir(parents=True, exist_ok=True)
    stranger.write_text("不是本程序放的", encoding="utf-8")
    r = _cli(cfg_path, "watch", "--once")
    assert r.returncode == 0, r.stderr
    assert "回滚了未登记的存储文件" in r.stderr
    assert stranger.exists(), "a file reconcile cannot prove is its own is never removed"
    arc = open_archive(cfg)
    try:
        assert arc.conn.execute("SELECT count(*) FROM store_journal").fetchone()[0] == 0
        assert arc.store.stored_files() - set(catalog.referenced_files(arc.conn)) == {stranger.relative_to(
            cfg.store).as_posix()}
    finally:
        arc.close()
    assert _cli(cfg_path, "verify").returncode == 1, "verify reports the stranger"
    stranger.unlink()
    _clean(cfg_path)


# ---- a stored file is owned by exactly one record ---------------------------------------------------
def test_a_copy_of_a_further_file_is_a_duplicate(arc, cfg_path, tmp_path):
    code = "Z109-WS·2012-D10-BGS-0001"
    files = tmp_path / "扫描件"
    files.mkdir()
    make_pdf(files / f"{code}-1.pdf", ["壬的正文第一页，内容如下"])
    make_docx(files / f"{code}附件.docx", ["附件：壬的名单"])
    wb = openpyxl.Workbook()
    wb.active.append(["档号", "题名", "责任者", "日期", "页数"])
    wb.active.append([code, "关于壬的通知", "示例县档案局", "20120305", 2])
    wb.save(tmp_path / "目录.xlsx")
    rep = import_catalog(arc, tmp_path / "目录.xlsx", files_dir=files)
    assert rep.extra_files == 1
    arc.close()
    cfg = load_config(cfg_path)
    cfg.inbox.mkdir(exist_ok=True)
    shutil.copy(files / f"{code}附件.docx", cfg.inbox / "附件的副本.docx")
    r = _cli(cfg_path, "watch", "--once", "--json")
    out = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    assert [o["outcome"] for o in out] == ["duplicate"], out
    assert code in out[0]["reason"]
    assert len(_files(cfg.duplicates_dir)) == 1
    _clean(cfg_path)


# ---- the move after commit re-checks the checksum ---------------------------------------------------
def test_a_file_replaced_between_commit_and_move_is_not_lost(tmp_path):
    cfg_path = _config(tmp_path)
    cfg = load_config(cfg_path)
    src = _doc(cfg.inbox, 1)
    r = _cli(cfg_path, "watch", "--once", env={"ARCHIVE_FAULT_STAGE": "committed"})
    assert r.returncode == -9
    src.write_text("\n".join(gongwen_lines(2, kind=0, year=2021)), encoding="utf-8")  # same name, new content
    replaced = sha256_file(src)
    r = _cli(cfg_path, "watch", "--once", "--json")
    assert r.returncode == 0, r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    assert [o["outcome"] for o in out] == ["archived"] and out[0]["sha256"] == replaced
    assert len(json.loads(_cli(cfg_path, "list", "--json").stdout)) == 2, "both contents are kept"
    assert [sha256_file(p) for p in _files(cfg.processed_dir)] == [replaced]
    _clean(cfg_path)


# ---- the inbox: refused at start when it would swallow the archive ----------------------------------
@pytest.mark.parametrize("case", ["dot", "store-inside", "inbox-in-store", "a-file"])
def test_an_inbox_that_would_swallow_the_archive_is_refused(tmp_path, case):
    paths = {"dot": ('inbox = "."', 'store = "store"'), "store-inside": ('inbox = "inbox"', 'store = "inbox/store"'),
             "inbox-in-store": ('inbox = "store/in"', 'store = "store"'), "a-file": ('inbox = "inbox"', 'store = "store"')}
    inbox, store = paths[case]
    cfg_path = _config(tmp_path, **{'inbox = "inbox"': inbox, 'store = "store"': store})
    if case == "a-file":
        (tmp_path / "inbox").write_text("我是一个文件", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    r = _cli(cfg_path, "watch", "--once")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "收件箱" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert (tmp_path / "config.toml").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "nothing created, nothing moved"


def test_a_read_only_inbox_is_refused(tmp_path):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a read-only mount needs root")
    cfg_path = _config(tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _doc(inbox, 1)
    r = subprocess.run(["mount", "--bind", str(inbox), str(inbox)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {r.stderr.strip()}")
    try:
        r = subprocess.run(["mount", "-o", "remount,ro,bind", str(inbox)], capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot remount read-only here: {r.stderr.strip()}")
        r = _cli(cfg_path, "watch", "--once")
        assert r.returncode == 1 and "只读" in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert not (tmp_path / "processed").exists() or not _files(tmp_path / "processed")
    finally:
        subprocess.run(["umount", "-l", str(inbox)], capture_output=True)
    assert _files(inbox) == [inbox / "文件1.txt"]


# ---- special files and odd names -------------------------------------------------------------------
def test_a_fifo_a_socket_and_a_non_utf8_name_fail_without_blocking(tmp_path):
    import socket

    cfg_path = _config(tmp_path)
    cfg = load_config(cfg_path)
    good = _doc(cfg.inbox, 1)
    os.mkfifo(cfg.inbox / "管道.pdf")
    sock = socket.socket(socket.AF_UNIX)
    here = os.getcwd()
    os.chdir(cfg.inbox)  # bound by a relative name: the full path may pass AF_UNIX's 108-byte limit
    try:
        sock.bind("套接字.txt")
    finally:
        os.chdir(here)
    bad_name = os.fsencode(cfg.inbox) + b"/\xb9\xab\xce\xc4.txt"  # 公文 in GBK: not UTF-8
    with open(bad_name, "w", encoding="utf-8") as f:
        f.write("\n".join(gongwen_lines(3, kind=0, year=2020)))
    try:
        r = _cli(cfg_path, "watch", "--once", "--json", timeout=300)
    finally:
        sock.close()
    assert "Traceback" not in r.stderr, r.stderr
    out = {Path(o["file"]).name: o for o in map(json.loads, filter(None, r.stdout.splitlines()))}
    assert out[good.name]["outcome"] == "archived"
    assert out["管道.pdf"]["outcome"] == "failed" and "FIFO" in out["管道.pdf"]["reason"]
    assert out["套接字.txt"]["outcome"] == "failed" and "套接字" in out["套接字.txt"]["reason"]
    odd = [o for name, o in out.items() if "\ufffd" in name]
    assert len(odd) == 1 and odd[0]["outcome"] == "failed" and "UTF-8" in odd[0]["reason"]
    assert not os.listdir(cfg.inbox), "every input accounted for"
    assert len(os.listdir(os.fsencode(cfg.failed_dir / os.listdir(cfg.failed_dir)[0]))) == 6  # 3 + reasons
    r = _cli(cfg_path, "watch", "--once")  # and the next start is fine
    assert r.returncode == 0, r.stderr
    _clean(cfg_path)


# ---- temporary names never touch a user's files -----------------------------------------------------
def test_exports_and_backups_never_touch_a_users_part_files(tmp_path):
    cfg_path = _config(tmp_path)
    _archived(cfg_path, 2)
    out = tmp_path / "out"
    out.mkdir()
    mine = {"备份.tar.part": b"user file 1", "目录.xlsx.part": b"user file 2"}
    for name, data in mine.items():
        (out / name).write_bytes(data)
    (out / "移交包.part").mkdir()
    (out / "移交包.part" / "我的文件.txt").write_text("不要删除", encoding="utf-8")
    assert _cli(cfg_path, "backup", "-o", str(out / "备份.tar")).returncode == 0
    r = _cli(cfg_path, "export", "catalog", "--year", "2020", "-o", str(out / "目录.xlsx"))
    assert r.returncode == 0, r.stderr
    r = _cli(cfg_path, "export", "package", "--year", "2020", "-o", str(out / "移交包"))
    assert r.returncode == 0, r.stderr
    for name, data in mine.items():
        assert (out / name).read_bytes() == data
    assert (out / "移交包.part" / "我的文件.txt").read_text(encoding="utf-8") == "不要删除"
    assert sorted(p.name for p in out.iterdir()) == sorted([*mine, "移交包.part", "备份.tar", "目录.xlsx", "移交包"])
    _clean(cfg_path)


# ---- SIGTERM in every state ------------------------------------------------------------------------
@pytest.mark.slow
def test_a_watcher_waiting_for_the_lock_answers_sigterm(tmp_path):
    cfg_path = _config(tmp_path)
    cfg = load_config(cfg_path)
    _archived(cfg_path, 1)
    _doc(cfg.inbox, 2)
    with open(cfg.store / ".write.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another writer holds the store
        w = _popen(cfg_path, "watch")
        try:
            line = w.stderr.readline()
            while line and "等待其完成" not in line:
                line = w.stderr.readline()
            assert "等待其完成" in line
            w.send_signal(signal.SIGTERM)
            w.wait(timeout=60)  # a hang detector, not a timing assertion
        finally:
            if w.poll() is None:
                w.kill()
                w.wait()
    assert w.returncode == 130, w.stderr.read()
    assert (cfg.inbox / "文件2.txt").exists(), "the file waits for the next start, untouched"
    assert _cli(cfg_path, "watch", "--once").returncode == 0
    _clean(cfg_path)


@pytest.mark.slow
def test_a_watcher_extracting_a_slow_file_answers_sigterm(tmp_path):
    from tests.hostile import make_slow_pdf

    cfg_path = _config(tmp_path)
    cfg = load_config(cfg_path)
    cfg.inbox.mkdir(parents=True)
    slow = make_slow_pdf(cfg.inbox / "慢.pdf")
    w = _popen(cfg_path, "watch")
    try:
        deadline = time.monotonic() + 120
        worker = None
        while worker is None and time.monotonic() < deadline:  # wait until the worker reads the file
            time.sleep(0.5)
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    try:
                        cmd = open(f"/proc/{pid}/cmdline", "rb").read()
                    except OSError:
                        continue
                    if b"archive.extract.worker" in cmd and str(cfg.store).encode() in cmd:
                        worker = int(pid)
        assert worker is not None
        time.sleep(2)
        w.send_signal(signal.SIGTERM)
        w.wait(timeout=60)  # a hang detector
    finally:
        if w.poll() is None:
            w.kill()
            w.wait()
    assert w.returncode == 130, w.stderr.read()
    assert slow.exists() and not _files(tmp_path / "failed"), "the file was not failed for our stop"
    assert not os.path.exists(f"/proc/{worker}") or b"zombie" in open(f"/proc/{worker}/status", "rb").read()


# ---- import package: kill -9 half-way, then the same command finishes it -----------------------------
@pytest.mark.slow
def test_import_package_killed_half_way_resumes(tmp_path):
    src_cfg = _config(tmp_path)
    _archived(src_cfg, 4)
    pkg = tmp_path / "移交包"
    r = _cli(src_cfg, "export", "package", "--year", "2020", "-o", str(pkg))
    assert r.returncode == 0, r.stderr
    (tmp_path / "b").mkdir()
    cfg_path = _config(tmp_path / "b")
    assert _cli(cfg_path, "init").returncode == 0
    r = _cli(cfg_path, "import", "package", str(pkg), env={"ARCHIVE_FAULT_STAGE": "import-record"})
    assert r.returncode == -9
    assert len(json.loads(_cli(cfg_path, "list", "--json").stdout)) == 1, "killed after the first record"
    r = _cli(cfg_path, "ingest", str(_doc(tmp_path / "other", 30, year=2021)))  # the next command says so
    assert "导入曾中断" in r.stderr
    r = _cli(cfg_path, "import", "package", str(pkg), "--json")
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)) == 4
    rows = json.loads(_cli(cfg_path, "list", "--json").stdout)
    assert len([x for x in rows if x["year"] == 2020 and x["archival_code"]]) == 4 and len(rows) == 5
    assert len(json.loads(_cli(cfg_path, "search", "档案", "--json", "--limit", "50").stdout)) == 5
    r = _cli(cfg_path, "import", "package", str(pkg))
    assert r.returncode == 1 and "冲突" in r.stderr, "a finished import is not repeated"
    assert "导入曾中断" not in _cli(cfg_path, "ingest", str(tmp_path / "other")).stderr
    _clean(cfg_path)


# ---- children die with their parent, and the lock goes with them -------------------------------------
def _processes_with(*needles: bytes) -> list[int]:
    pids = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmd = open(f"/proc/{pid}/cmdline", "rb").read()
                state = open(f"/proc/{pid}/stat", "rb").read().split(b")")[-1].split()[0]
            except OSError:
                continue
            if all(n in cmd for n in needles) and state != b"Z":
                pids.append(int(pid))
    return pids


def test_reindex_writers_die_with_a_killed_parent_and_free_the_lock(tmp_path):
    cfg_path = _config(tmp_path, **{'engine = "sqlite"': 'engine = "whoosh"'})  # Whoosh's writer processes
    cfg = load_config(cfg_path)
    _archived(cfg_path, 3)
    r = _cli(cfg_path, "reindex", env={"ARCHIVE_FAULT_STAGE": "reindex-child"})
    assert r.returncode == -9
    deadline = time.monotonic() + 30  # a hang detector: PDEATHSIG acts at once
    while _processes_with(str(cfg_path).encode(), b"reindex") and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _processes_with(str(cfg_path).encode(), b"reindex")
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, "no writer process outlived its parent"
    with open(cfg.store / ".write.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free: nobody holds the store
        fcntl.flock(lock, fcntl.LOCK_UN)
    _doc(cfg.inbox, 7)
    assert _cli(cfg_path, "watch", "--once").returncode == 0
    assert json.loads(_cli(cfg_path, "search", "档案", "--json").stdout)
    _clean(cfg_path)


# ---- import catalog and restore killed half-way ----------------------------------------------------
def test_import_catalog_killed_after_a_commit_is_indexed_on_the_next_start(tmp_path):
    cfg_path = _config(tmp_path)
    wb = openpyxl.Workbook()
    wb.active.append(["档号", "题名", "责任者", "日期", "页数"])
    wb.active.append(["Z109-WS·2012-D10-BGS-0001", "关于橄榄树养护的通知", "示例县档案局", "20120305", 2])
    wb.active.append(["Z109-WS·2012-D10-BGS-0002", "关于枇杷树养护的通知", "示例县档案局", "20120306", 2])
    wb.save(tmp_path / "目录.xlsx")
    assert _cli(cfg_path, "init").returncode == 0
    r = _cli(cfg_path, "import", "catalog", str(tmp_path / "目录.xlsx"), env={"ARCHIVE_FAULT_STAGE": "import-record"})
    assert r.returncode == -9
    assert _cli(cfg_path, "watch", "--once").returncode == 0  # the next start finishes the index work
    hits = json.loads(_cli(cfg_path, "search", "橄榄树", "--json").stdout)
    assert [h["archival_code"] for h in hits] == ["Z109-WS·2012-D10-BGS-0001"]
    _clean(cfg_path)


@pytest.mark.slow
def test_restore_killed_half_way_runs_again(tmp_path):
    cfg_path = _config(tmp_path)
    _archived(cfg_path, 2)
    tar = tmp_path / "备份.tar"
    assert _cli(cfg_path, "backup", "-o", str(tar)).returncode == 0
    target = tmp_path / "恢复"
    r = _cli(cfg_path, "restore", str(tar), "--to", str(target), env={"ARCHIVE_FAULT_STAGE": "restoring"})
    assert r.returncode == -9
    r = _cli(cfg_path, "restore", str(tar), "--to", str(target))
    assert r.returncode == 0, r.stderr
    assert not (target / ".restoring").exists()
    restored = target / "config.toml"
    assert len(json.loads(_cli(restored, "list", "--json").stdout)) == 2
    _clean(restored)


# ---- the store's own folders vanishing --------------------------------------------------------------
@pytest.mark.slow
def test_a_watcher_rebuilds_an_index_deleted_under_it(tmp_path):
    # the Whoosh engine keeps its index in a folder beside the catalog (the default engine keeps it inside)
    cfg_path = _config(tmp_path, **{'engine = "sqlite"': 'engine = "whoosh"'})
    cfg = load_config(cfg_path)
    store, _ = _archived(cfg_path, 1)
    w = _popen(cfg_path, "watch", "--json")
    try:
        line = w.stderr.readline()  # 正在监视 …
        _doc(cfg.inbox, 3)
        assert json.loads(w.stdout.readline())["outcome"] == "archived"  # running, past its start
        # the watcher commits its batch to the Whoosh folder after it reports: delete the folder once that
        # write is over (its listing unchanged for a second), not in the middle of it
        seen, still = None, 0
        while still < 10:
            now = sorted((p.name, p.stat().st_size) for p in (store / "index").iterdir())
            still = still + 1 if now == seen else 0
            seen = now
            time.sleep(0.1)
        shutil.rmtree(store / "index")
        _doc(cfg.inbox, 4)
        out = w.stdout.readline()
        assert json.loads(out)["outcome"] == "archived"
        line = w.stderr.readline()
        assert "已从目录重建" in line, line
        w.send_signal(signal.SIGTERM)
        w.wait(timeout=60)
    finally:
        if w.poll() is None:
            w.kill()
            w.wait()
    assert w.returncode == 130 and "Traceback" not in w.stderr.read()
    assert len(json.loads(_cli(cfg_path, "search", "档案", "--json").stdout)) == 3
    _clean(cfg_path)


def test_a_store_whose_files_folder_is_gone_is_not_started_again(tmp_path):
    cfg_path = _config(tmp_path)
    cfg = load_config(cfg_path)
    store, _ = _archived(cfg_path, 1)
    shutil.move(store / "files", tmp_path / "别处")  # a share not mounted, a folder moved away
    _doc(cfg.inbox, 2)
    for cmd in (("watch", "--once"), ("ingest", str(cfg.inbox)), ("init",)):
        r = _cli(cfg_path, *cmd)
        assert r.returncode == 1 and "存储文件夹" in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert not (store / "files").exists(), "no new empty files/ that would hide the loss"
    shutil.move(tmp_path / "别处", store / "files")
    assert _cli(cfg_path, "watch", "--once").returncode == 0
    _clean(cfg_path)


def test_a_device_given_to_ingest_fails_without_being_read(tmp_path):
    cfg_path = _config(tmp_path)
    assert _cli(cfg_path, "init").returncode == 0
    r = _cli(cfg_path, "ingest", "/dev/zero", "--json", timeout=120)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    out = json.loads(r.stdout)
    assert out[0]["outcome"] == "failed" and "设备文件" in out[0]["reason"]
    _clean(cfg_path)
