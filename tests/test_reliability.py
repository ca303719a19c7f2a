"""Reliability under bad input, crashes and a full disk, with real processes and real files.

Every fault injected here is listed, with what happened, in docs/faults.md.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from archive import pipeline
from archive import catalog
from archive.config import load_config
from archive.search import search
from archive.errors import ExtractionLimitError
from archive.extract.worker import ExtractWorker, Limits
from archive.session import open_archive
from archive.store import sha256_file
from tests.conftest import write_config
from tests.gongwen_gen import gongwen_lines
from tests.hostile import make_memory_bomb_pdf, make_slow_pdf, make_sparse
from tests.makedocs import make_docx, make_pdf, make_text, make_zip_bomb_docx
from tests.clirun import run_config

ROOT = Path(__file__).resolve().parent.parent


def _cli(cfg_path: Path, *args: str, env: dict | None = None, preexec=None, timeout: float = 300):
    return run_config(cfg_path, *args, env=env, preexec=preexec, timeout=timeout)


def _config(tmp_path: Path, engine: str = "sqlite", **limits) -> Path:
    """The example config with settle_seconds 0, the full-text ``engine`` and the given [limits]."""
    rep = {"settle_seconds = 2.0": "settle_seconds = 0", 'engine = "sqlite"': f'engine = "{engine}"'}
    defaults = {"extract_cpu_seconds": 180, "extract_memory_mb": 1024, "max_file_mb": 1024,
                "extract_timeout_seconds": 1200}
    for key, value in limits.items():
        rep[f"{key} = {defaults[key]}"] = f"{key} = {value}"
    return write_config(tmp_path, **rep)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink()) if folder.exists() else []


def _originals(folder: Path) -> list[Path]:
    return [p for p in _files(folder) if not p.name.endswith(".原因.txt")]


def _json_lines(stdout: str) -> dict[str, dict]:
    rows = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    return {Path(r["file"]).name: r for r in rows}


def _workers_of(store: Path) -> list[int]:
    """PIDs of extraction workers started for this store (the store path is on their command line)."""
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"archive.extract.worker" in cmd and str(store).encode() in cmd:
            try:
                if "\nState:\tZ" in (d / "status").read_text():
                    continue  # a zombie is already dead (its parent has not reaped it yet)
            except OSError:
                continue
            pids.append(int(d.name))
    return pids


def _consistent(cfg, n_records: int) -> list:
    """What verify will check: every stored file's SHA-256 equals its record's, no stray store file,
    the event chain intact, nothing half-moved, the index holding every record."""
    arc = open_archive(cfg)
    try:
        rows = arc.conn.execute("SELECT * FROM documents ORDER BY id").fetchall()
        assert len(rows) == n_records
        assert arc.store.stored_files() == {r["stored_path"] for r in rows}
        for r in rows:
            assert sha256_file(arc.store.abspath(r["stored_path"])) == r["sha256"]
        assert not list(arc.store.tmp.glob("*"))
        assert catalog.verify_chain(arc.conn) == []
        assert arc.conn.execute("SELECT count(*) FROM inbox_moves").fetchone()[0] == 0
        if arc.index.engine == "whoosh":
            assert arc.conn.execute("SELECT count(*) FROM documents WHERE indexed = 0").fetchone()[0] == 0
            with arc.index.open().searcher() as s:
                assert s.doc_count() == n_records
        # the index holds exactly the catalog's records (FTS5: after its own integrity check) ...
        assert arc.index.indexed_ids() == {r["id"] for r in rows}
        # ... and every record is found by its title
        for r in rows:
            if r["title"]:
                hits = search(arc.conn, arc.index, f'"{r["title"]}"', limit=100).hits
                assert r["id"] in {h.record["id"] for h in hits}, r["title"]
        return rows
    finally:
        arc.close()


# ---- isolated extraction -------------------------------------------------------------------------
@pytest.mark.slow
def test_hostile_files_fail_with_a_reason_and_the_watcher_goes_on(tmp_path):
    cfg_path = _config(tmp_path, extract_cpu_seconds=3, extract_memory_mb=160, max_file_mb=100)
    cfg = load_config(cfg_path)
    inbox = cfg.inbox
    inbox.mkdir(parents=True)
    make_docx(inbox / "01 正常.docx", gongwen_lines(1, kind=0))
    make_slow_pdf(inbox / "02 解析极慢.pdf")  # pypdf needs minutes of CPU for its content stream
    make_text(inbox / "03 超大文本.txt", "关于做好档案工作的通知。" * 1_600_000)  # ~58 MB: past 160 MB to read
    make_zip_bomb_docx(inbox / "04 压缩炸弹.docx", uncompressed_mb=300)
    make_sparse(inbox / "05 巨大.pdf", 300, head=b"%PDF-1.4\n")  # 300 MB, a hole on disk
    (inbox / "06 random.bin").write_bytes(os.urandom(8192))
    make_memory_bomb_pdf(inbox / "07 流炸弹.pdf", inflated_mb=300)
    make_pdf(inbox / "08 正常.pdf", gongwen_lines(2, kind=0))

    p = _cli(cfg_path, "watch", "--once", "--json")
    assert p.returncode == 1, p.stderr  # some files failed; the watcher finished the batch
    assert "Traceback" not in p.stderr
    got = _json_lines(p.stdout)
    assert {k: v["outcome"] for k, v in got.items()} == {
        "01 正常.docx": "archived", "02 解析极慢.pdf": "failed", "03 超大文本.txt": "failed",
        "04 压缩炸弹.docx": "failed", "05 巨大.pdf": "failed", "06 random.bin": "failed",
        "07 流炸弹.pdf": "failed", "08 正常.pdf": "archived"}
    assert got["02 解析极慢.pdf"]["reason"].startswith("提取超时（CPU 3 秒）")
    assert got["03 超大文本.txt"]["reason"].startswith("提取时内存超过 160 MB")
    assert "解压后过大" in got["04 压缩炸弹.docx"]["reason"]
    assert got["05 巨大.pdf"]["reason"].startswith("文件过大（300 MB，上限 100 MB）")
    assert "未知文件类型" in got["06 random.bin"]["reason"]
    assert got["07 流炸弹.pdf"]["reason"]  # pypdf caps the inflation itself: no text, a reason
    # every file left the inbox; each failure has its reason file beside it
    assert not _files(inbox)
    failed = _originals(cfg.failed_dir)
    assert len(failed) == 6
    for f in failed:
        reason = Path(str(f) + ".原因.txt").read_text(encoding="utf-8")
        assert got[f.name]["reason"] in reason
    _consistent(cfg, 2)
    assert _workers_of(cfg.store) == []  # the worker ended with the watcher


def test_wall_clock_limit_kills_the_worker_and_a_fresh_one_reads_the_next_file(tmp_path):
    slow = make_slow_pdf(tmp_path / "slow.pdf")
    # a PDF, read in well under the limit (a DOCX is now laid out by LibreOffice for its 页数: seconds)
    good = make_pdf(tmp_path / "good.pdf", gongwen_lines(3, kind=0))
    w = ExtractWorker(Limits(timeout_seconds=1.5, cpu_seconds=600), tag=str(tmp_path))
    try:
        assert "示档发" in w.extract(good).text
        first = w._proc.pid
        with pytest.raises(ExtractionLimitError, match=r"^提取超时（1.5 秒）"):
            w.extract(slow)
        assert w._proc is None and _workers_of(tmp_path) == []  # killed, with its session
        assert "示档发" in w.extract(good).text
        assert w._proc.pid != first
    finally:
        w.close()
    assert _workers_of(tmp_path) == []


def test_a_worker_that_dies_fails_only_its_file(tmp_path):
    cfg_path = _config(tmp_path)
    cfg = load_config(cfg_path)
    src = make_docx(tmp_path / "a.docx", gongwen_lines(4, kind=0))
    killed = _cli(cfg_path, "ingest", str(src), "--json", env={"ARCHIVE_FAULT_STAGE": "worker"})
    assert killed.returncode == 1
    (res,) = json.loads(killed.stdout)
    assert res["outcome"] == "failed" and res["reason"].startswith("提取进程异常退出")
    assert "SIGKILL" in res["reason"]
    assert src.exists()
    again = _cli(cfg_path, "ingest", str(src), "--json")
    assert again.returncode == 0 and json.loads(again.stdout)[0]["outcome"] == "archived"
    _consistent(cfg, 1)


# ---- kill -9 at the stages test_pipeline/test_search do not cover -------------------------------------
@pytest.mark.parametrize("stage,engine", [
    ("extracting", "sqlite"), ("copying", "sqlite"), ("stored", "sqlite"), ("in-transaction", "sqlite"),
    ("committed", "sqlite"), ("moved", "sqlite"), ("in-transaction", "whoosh"), ("index-writing", "whoosh")])
def test_kill_9_mid_stage_then_restart_is_consistent(tmp_path, stage, engine):
    cfg_path = _config(tmp_path, engine)
    cfg = load_config(cfg_path)
    cfg.inbox.mkdir(parents=True)
    make_docx(cfg.inbox / "a.docx", gongwen_lines(0, kind=0))
    make_pdf(cfg.inbox / "b.pdf", gongwen_lines(1, kind=5))
    first = _cli(cfg_path, "watch", "--once", env={"ARCHIVE_FAULT_STAGE": stage})
    assert first.returncode == -9, first.stderr
    if stage == "copying":
        assert list(cfg.store.glob("tmp/*.part")), "killed with a half-written copy"
    for _ in range(50):  # the worker dies with its parent (PR_SET_PDEATHSIG): give the kernel a moment
        if not _workers_of(cfg.store):
            break
        time.sleep(0.1)
    assert _workers_of(cfg.store) == []
    second = _cli(cfg_path, "watch", "--once")
    assert second.returncode == 0 and "Traceback" not in second.stderr, second.stderr
    assert not _files(cfg.inbox)
    rows = _consistent(cfg, 2)
    assert sorted(r["filename"] for r in rows) == ["a.docx", "b.pdf"]
    assert sorted(p.name for p in _originals(cfg.processed_dir)) == ["a.docx", "b.pdf"]
    assert not _files(cfg.duplicates_dir) and not _files(cfg.failed_dir)
    hits = json.loads(_cli(cfg_path, "search", "台风", "--json").stdout)
    assert [h["filename"] for h in hits] == ["b.pdf"]


@pytest.mark.parametrize("engine", ["sqlite", "whoosh"])
def test_kill_9_while_reindex_swaps_the_index_in(tmp_path, engine):
    cfg_path = _config(tmp_path, engine)
    cfg = load_config(cfg_path)
    src = tmp_path / "src"
    src.mkdir()
    make_text(src / "a.txt", "\n".join(gongwen_lines(5, kind=5)))
    assert _cli(cfg_path, "ingest", str(src)).returncode == 0
    killed = _cli(cfg_path, "reindex", env={"ARCHIVE_FAULT_STAGE": "reindex-swap"})
    assert killed.returncode == -9
    if engine == "sqlite":  # the rebuild was one transaction: the old index stands, nothing to repair
        hits = json.loads(_cli(cfg_path, "search", "台风", "--json").stdout)
        assert [h["filename"] for h in hits] == ["a.txt"]
    else:
        assert not (cfg.store / "index").exists()  # the old index moved aside, the new one not in place
    again = _cli(cfg_path, "watch", "--once")  # start-up repair
    assert again.returncode == 0 and ("已从目录重建" in again.stderr or engine == "sqlite"), again.stderr
    _consistent(cfg, 1)
    hits = json.loads(_cli(cfg_path, "search", "台风", "--json").stdout)
    assert [h["filename"] for h in hits] == ["a.txt"]


# ---- hostile names and symlinks --------------------------------------------------------------------
def test_hostile_names_and_symlinks_out_of_the_inbox(tmp_path):
    cfg_path = _config(tmp_path)
    cfg = load_config(cfg_path)
    inbox = cfg.inbox
    inbox.mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = make_text(outside / "别处的文件.txt", "\n".join(gongwen_lines(90, kind=0)))
    secret_sha = sha256_file(secret)
    make_text(outside / "文件夹里的.txt", "\n".join(gongwen_lines(91, kind=0)))
    cafe_nfc, cafe_nfd = unicodedata.normalize("NFC", "café通知.txt"), unicodedata.normalize("NFD", "café通知.txt")
    assert cafe_nfc != cafe_nfd
    names = ["带 空 格 的 通知.txt", "关于档案工作的通知.docx", "上级..\\..\\逃逸.txt", "a..b.txt", "Case.txt",
             "case.txt", cafe_nfc, cafe_nfd, "很" * 83 + ".txt"]
    for i, name in enumerate(names):
        make_text(inbox / name, "\n".join(gongwen_lines(20 + i, kind=0)))
    (inbox / ("长" * 83 + ".bin")).write_bytes(os.urandom(512))  # fails: its reason file needs a shorter name
    make_text(inbox / "..以点开头.txt", "\n".join(gongwen_lines(40, kind=0)))  # hidden: left alone
    (inbox / "链接.txt").symlink_to(secret)
    (inbox / "外部文件夹").symlink_to(outside, target_is_directory=True)
    (inbox / "断开的链接.pdf").symlink_to(tmp_path / "nowhere.pdf")

    p = _cli(cfg_path, "watch", "--once", "--json")
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    got = _json_lines(p.stdout)
    assert {n: got[n]["outcome"] for n in names} == {n: "archived" for n in names}
    for link in ("链接.txt", "外部文件夹", "断开的链接.pdf"):
        assert got[link]["outcome"] == "failed" and "符号链接" in got[link]["reason"], link
    assert got["长" * 83 + ".bin"]["outcome"] == "failed"
    assert len(got) == len(names) + 4  # nothing behind the symlinked folder was read
    assert [p.name for p in _files(inbox)] == ["..以点开头.txt"]
    # the links were moved as links; what they point to is untouched and not in the archive
    moved = {p.name: p for p in _originals(cfg.failed_dir)}
    assert moved["链接.txt"].is_symlink() and moved["外部文件夹"].is_symlink()
    assert secret.exists() and sha256_file(secret) == secret_sha
    assert sorted(p.name for p in outside.iterdir()) == ["别处的文件.txt", "文件夹里的.txt"]
    reasons = [p for p in _files(cfg.failed_dir) if p.name.endswith(".原因.txt")]
    assert len(reasons) == 4 and all(len(p.name.encode()) <= 255 for p in reasons)
    rows = _consistent(cfg, len(names))
    assert sorted(r["filename"] for r in rows) == sorted(names)
    assert secret_sha not in {r["sha256"] for r in rows}
    assert sorted(p.name for p in _originals(cfg.processed_dir)) == sorted(names)
    # `archive ingest DIR` lists the same way: a symlink in a folder is failed, not followed
    src = tmp_path / "src"
    src.mkdir()
    (src / "链接.txt").symlink_to(secret)
    q = _cli(cfg_path, "ingest", str(src), "--json")
    assert [r["outcome"] for r in json.loads(q.stdout)] == ["failed"]


# ---- a full disk ---------------------------------------------------------------------------------------
def _big_gongwen(path: Path, kib: int, i: int = 77) -> Path:
    # ``i``: another 公文 (number, title); two files with the same head are one 件 (archive/grouping.py)
    lines = gongwen_lines(i, kind=0)
    filler = "本段为附件正文，用于检验存储空间不足时的处理。" * 20
    body = [filler] * (kib * 1024 // len(filler.encode()) + 1)
    return make_text(path, "\n".join(lines[:5] + body + lines[5:]))


def _limit_file_size(max_bytes: int):
    def preexec():
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
    return preexec


def test_file_size_limit_fails_cleanly_and_the_next_run_archives(tmp_path):
    """A write past RLIMIT_FSIZE fails with EFBIG (Python ignores SIGXFSZ): the same path as ENOSPC."""
    cfg_path = _config(tmp_path)
    cfg = load_config(cfg_path)
    assert _cli(cfg_path, "init").returncode == 0
    big = _big_gongwen(cfg.inbox / "大文件.txt", 600)
    sha = sha256_file(big)
    p = _cli(cfg_path, "watch", "--once", "--json", preexec=_limit_file_size(256 * 1024))
    assert p.returncode == 1, p.stderr
    (res,) = _json_lines(p.stdout).values()
    assert res["outcome"] == "failed" and "磁盘空间" in res["reason"]
    assert big.exists() and sha256_file(big) == sha  # left in the inbox, unchanged
    assert not list((cfg.store / "tmp").iterdir()) and not _files(cfg.store / "files")
    assert not _files(cfg.failed_dir)
    _consistent(cfg, 0)
    again = _cli(cfg_path, "watch", "--once", "--json")  # space is back
    assert again.returncode == 0, again.stderr
    assert [r["outcome"] for r in _json_lines(again.stdout).values()] == ["archived"]
    assert not _files(cfg.inbox)
    _consistent(cfg, 1)


def _mount_tmpfs(where: Path, size: str) -> str | None:
    """Mount a tmpfs; returns why not when this machine does not allow it."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return "mounting a tmpfs needs root"
    where.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                       capture_output=True, text=True)
    return None if r.returncode == 0 else f"cannot mount a tmpfs here: {r.stderr.strip()}"


@pytest.mark.slow
def test_full_disk_on_a_small_tmpfs_fails_cleanly_and_resumes_when_space_returns(tmp_path):
    mnt = tmp_path / "mnt"
    why = _mount_tmpfs(mnt, "3m")
    if why:
        pytest.skip(why)
    try:
        cfg_path = _config(tmp_path)
        text = cfg_path.read_text(encoding="utf-8").replace('store = "store"', f'store = "{mnt}/store"')
        cfg_path.write_text(text, encoding="utf-8")
        cfg = load_config(cfg_path)
        assert _cli(cfg_path, "init").returncode == 0
        small = make_text(cfg.inbox / "小文件.txt", "\n".join(gongwen_lines(6, kind=0)))
        big = _big_gongwen(cfg.inbox / "大文件.txt", 4096)  # 4 MB: its store copy does not fit on 3 MB
        sha = sha256_file(big)
        # 1.7 MB: its store copy fits, its text then does not fit in the catalog (SQLITE_FULL)
        medium = _big_gongwen(cfg.inbox / "中文件.txt", 1700, i=78)
        p = _cli(cfg_path, "watch", "--once", "--json")
        assert p.returncode == 1, p.stderr
        got = _json_lines(p.stdout)
        assert got["小文件.txt"]["outcome"] == "archived"
        assert got["大文件.txt"]["outcome"] == "failed" and "磁盘空间" in got["大文件.txt"]["reason"]
        assert got["中文件.txt"]["outcome"] == "failed" and "disk is full" in got["中文件.txt"]["reason"]
        assert big.exists() and sha256_file(big) == sha and medium.exists() and not small.exists()
        assert not list((cfg.store / "tmp").iterdir())
        _consistent(cfg, 1)
        r = subprocess.run(["mount", "-o", "remount,size=64m", str(mnt)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        again = _cli(cfg_path, "watch", "--once", "--json")
        assert again.returncode == 0, again.stderr
        assert [r["outcome"] for r in _json_lines(again.stdout).values()] == ["archived"] * 2
        assert not _files(cfg.inbox)
        _consistent(cfg, 3)
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


# ---- concurrency -----------------------------------------------------------------------------------------
def test_ingest_waits_for_the_write_lock_and_a_second_watcher_is_refused(tmp_path):
    import fcntl

    cfg_path = _config(tmp_path)
    cfg = load_config(cfg_path)
    assert _cli(cfg_path, "init").returncode == 0
    src = tmp_path / "src"
    src.mkdir()
    make_docx(src / "a.docx", gongwen_lines(8, kind=0))
    with open(cfg.store / ".write.lock", "a+") as held:  # another writer holds the store
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = subprocess.Popen([sys.executable, "-m", "archive", "--config", str(cfg_path), "ingest", str(src)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = proc.stderr.readline()  # blocks until the waiting message
        assert "正由另一个进程写入，等待其完成" in line
        assert proc.poll() is None  # still waiting, nothing written
        conn = catalog.connect(cfg.store / "catalog.sqlite")
        assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
        conn.close()
        fcntl.flock(held, fcntl.LOCK_UN)
    out, errtext = proc.communicate(timeout=300)
    assert proc.returncode == 0, errtext
    _consistent(cfg, 1)
    # a second watcher on the same store is refused, in a real process, while the first one runs
    watcher = subprocess.Popen([sys.executable, "-m", "archive", "--config", str(cfg_path), "watch"], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert "正在监视" in watcher.stderr.readline()
        second = _cli(cfg_path, "watch", "--once")
        assert second.returncode == 1 and "另一个 archive watch 正在监视" in second.stderr
    finally:
        watcher.terminate()
        watcher.wait(60)


@pytest.mark.slow
def test_watcher_ingest_and_search_at_the_same_time(tmp_path):
    cfg_path = write_config(tmp_path, **{"settle_seconds = 2.0": "settle_seconds = 0.3"})
    cfg = load_config(cfg_path)
    cfg.inbox.mkdir(parents=True)
    src = tmp_path / "src"
    src.mkdir()
    shas = set()
    docx = lambda i: i % 8 == 0  # noqa: E731 - 6 DOCX of 48 files: each is a LibreOffice layout (~1.2 s CPU)
    for i in range(24):
        for folder, base in ((cfg.inbox, 0), (src, 100)):
            make = make_docx if docx(i) else (lambda p, l: make_text(p, "\n".join(l)))
            p = make(folder / f"f{base + i:03d}.{'docx' if docx(i) else 'txt'}", gongwen_lines(base + i, kind=i % 4))
            shas.add(sha256_file(p))
    for i in range(4):  # the same content arrives both ways
        shutil.copyfile(cfg.inbox / f"f{i:03d}.{'docx' if docx(i) else 'txt'}", src / f"copy{i}")
    cmd = [sys.executable, "-m", "archive", "--config", str(cfg_path)]
    assert _cli(cfg_path, "init").returncode == 0  # else the first searches find no store (exit 1)
    watcher = subprocess.Popen(cmd + ["watch", "--json"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        ingest = subprocess.Popen(cmd + ["ingest", str(src), "--json"], cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        searches = []
        while ingest.poll() is None or any(cfg.inbox.iterdir()):
            s = subprocess.run(cmd + ["search", "档案", "--limit", "500", "--json"], cwd=ROOT,
                               capture_output=True, text=True, timeout=300)
            assert s.returncode == 0, s.stderr
            searches.append({h["id"]: h["sha256"] for h in json.loads(s.stdout)})
        out, errtext = ingest.communicate(timeout=300)
        assert ingest.returncode == 0, errtext
    finally:
        watcher.terminate()
        wout, _ = watcher.communicate(timeout=120)
    results = [json.loads(line) for line in wout.splitlines()] + json.loads(out)
    assert len(results) == 52
    assert sorted(r["outcome"] for r in results).count("duplicate") == 4
    rows = _consistent(cfg, len(shas))
    final = {r["id"]: r["sha256"] for r in rows}
    assert {r["sha256"] for r in rows} == shas
    codes = [r["archival_code"] for r in rows if r["archival_code"]]
    assert len(codes) == len(set(codes))
    by_seq: dict = {}
    for r in rows:
        if r["item_no"]:
            by_seq.setdefault((r["year"], r["retention"], r["org"]), []).append(r["item_no"])
    for nos in by_seq.values():  # 件号 from 1 without a gap or a repeat, whoever wrote the record
        assert sorted(nos) == list(range(1, len(nos) + 1))
    # every search saw a consistent state: only committed records, never fewer than before
    assert len(searches) >= 1
    for before, after in zip(searches, searches[1:]):
        assert set(before) <= set(after)
    for seen in searches:
        assert all(final[i] == sha for i, sha in seen.items())


# ---- backup and restore --------------------------------------------------------------------------------
def test_backup_while_ingest_writes_then_restore_into_an_empty_place(tmp_path):
    import tarfile

    cfg_path = _config(tmp_path)
    cfg = load_config(cfg_path)
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    make_docx(first / "a.docx", gongwen_lines(0, kind=0))
    make_pdf(first / "b.pdf", gongwen_lines(1, kind=5))
    make_text(first / "c.txt", "\n".join(gongwen_lines(2, kind=9)))
    for i in range(12):
        make_text(second / f"n{i}.txt", "\n".join(gongwen_lines(30 + i, kind=i % 3)))
    assert _cli(cfg_path, "ingest", str(first)).returncode == 0
    # a backup taken while another process ingests: consistent, whatever it catches
    cmd = [sys.executable, "-m", "archive", "--config", str(cfg_path)]
    ingest = subprocess.Popen(cmd + ["ingest", str(second)], cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    out = tmp_path / "备份 2022.tar"
    b = _cli(cfg_path, "backup", "-o", str(out))
    assert ingest.wait(300) == 0
    assert b.returncode == 0 and "已备份到" in b.stderr, b.stderr
    with tarfile.open(out) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert {"catalog.sqlite", "config.toml", "manifest.json"} <= set(names)
    assert set(manifest["members"]) == set(names) - {"manifest.json"}
    backed_up = manifest["documents"]
    assert 3 <= backed_up <= 15
    again = _cli(cfg_path, "backup", "-o", str(out))
    assert again.returncode == 1 and "已存在" in again.stderr  # never overwrites

    target = tmp_path / "恢复 目录"
    r = _cli(cfg_path, "restore", str(out), "--to", str(target))
    assert r.returncode == 0, r.stderr
    rcfg = load_config(target / "config.toml")
    assert rcfg.store == (target / "store").resolve() and rcfg.inbox == (target / "inbox").resolve()
    rows = _consistent(rcfg, backed_up)  # what verify checks: files vs records, chain, index
    v = _cli(target / "config.toml", "verify")  # and the 四性 check itself
    assert v.returncode == 0, v.stdout + v.stderr
    arc = open_archive(rcfg)
    actions = [e[0] for e in arc.conn.execute("SELECT action FROM events ORDER BY id")]
    arc.close()
    assert actions[-1] == "restore" and actions.count("ingest") == len(rows)
    hits = json.loads(_cli(target / "config.toml", "search", "台风", "--json").stdout)
    assert [h["filename"] for h in hits] == ["b.pdf"]
    # the original logged its backup; the original is untouched by the restore
    arc = open_archive(cfg)
    assert arc.conn.execute("SELECT count(*) FROM events WHERE action='backup'").fetchone()[0] == 1
    arc.close()
    _consistent(cfg, 15)
    # the restored archive works: new files get the next numbers
    make_text(rcfg.inbox / "新.txt", "\n".join(gongwen_lines(60, kind=0)))
    assert _cli(target / "config.toml", "watch", "--once").returncode == 0
    _consistent(rcfg, backed_up + 1)
    assert _cli(target / "config.toml", "verify").returncode == 0


def test_restore_refuses_a_non_empty_target_and_a_damaged_backup(tmp_path):
    import io
    import tarfile

    cfg_path = _config(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    make_text(src / "a.txt", "\n".join(gongwen_lines(3, kind=0)))
    assert _cli(cfg_path, "ingest", str(src)).returncode == 0
    good = tmp_path / "b.tar"
    assert _cli(cfg_path, "backup", "-o", str(good)).returncode == 0
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("keep me")
    r = _cli(cfg_path, "restore", str(good), "--to", str(busy))
    assert r.returncode == 1 and "不是空的" in r.stderr
    assert [p.name for p in busy.iterdir()] == ["x"]
    # one stored file altered inside the tar, the manifest left as it was
    bad = tmp_path / "bad.tar"
    with tarfile.open(good) as tin, tarfile.open(bad, "w") as tout:
        for m in tin:
            data = tin.extractfile(m).read()
            if m.name.startswith("files/"):
                data = data.replace("示档发".encode(), "示档签".encode(), 1)
            m.size = len(data)
            tout.addfile(m, io.BytesIO(data))
    target = tmp_path / "t"
    r = _cli(cfg_path, "restore", str(bad), "--to", str(target))
    assert r.returncode == 1 and "校验值与清单不符" in r.stderr, r.stderr
    assert not target.exists()  # nothing half-restored
    junk = tmp_path / "junk.tar"
    junk.write_bytes(os.urandom(2048))
    r = _cli(cfg_path, "restore", str(junk), "--to", str(target))
    assert r.returncode == 1 and r.stderr.startswith("错误：") and "Traceback" not in r.stderr


def test_processes_starting_together_on_a_new_store_do_not_trip_over_the_migration(tmp_path):
    """A watcher and an ingest started at once on a fresh store both create the catalog: the second
    must see that the first has migrated it (before the fix: "table documents already exists")."""
    for round_ in range(3):
        folder = tmp_path / f"r{round_}"
        folder.mkdir()
        cfg_path = write_config(folder)
        cmd = [sys.executable, "-m", "archive", "--config", str(cfg_path), "init"]
        procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for _ in range(3)]
        for p in procs:
            _, errtext = p.communicate(timeout=300)
            assert p.returncode == 0, errtext
        _consistent(load_config(cfg_path), 0)


def test_limits_section_is_validated_and_optional(tmp_path):
    from archive.errors import ConfigError

    (tmp_path / "a").mkdir()
    bad = write_config(tmp_path / "a", **{"extract_memory_mb = 1024": "extract_memory_mb = 10"})
    with pytest.raises(ConfigError, match=r"limits\.extract_memory_mb = 10"):
        load_config(bad)
    (tmp_path / "b").mkdir()
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    start = text.index("[limits]")
    end = text.index("\n[", start + 1)
    cfg = load_config(write_config(tmp_path / "b", text=text[:start] + text[end + 1:]))
    assert cfg.limits == Limits()


# ---- group commit (archive ingest of a folder: Archive.ingest_many) --------------------------------------
@pytest.mark.parametrize("stage", ["stored", "in-transaction", "committed"])
def test_kill_9_during_a_group_commit_then_ingest_again(tmp_path, stage):
    """A batch's copies are flushed before its one transaction; killed anywhere, the next run has every file
    exactly once, every record findable, no stray copy."""
    cfg_path = _config(tmp_path)
    cfg = load_config(cfg_path)
    src = tmp_path / "src"
    src.mkdir()
    for i in range(6):
        maker = (make_docx, make_pdf, lambda p, l: make_text(p, "\n".join(l)))[i % 3]
        maker(src / f"{i}.{('docx', 'pdf', 'txt')[i % 3]}", gongwen_lines(20 + i, kind=i % 10))
    killed = _cli(cfg_path, "ingest", str(src), "--json", env={"ARCHIVE_FAULT_STAGE": stage})
    assert killed.returncode == -9
    again = _cli(cfg_path, "ingest", str(src), "--json")
    assert again.returncode == 0, again.stderr
    outcomes = [r["outcome"] for r in json.loads(again.stdout)]
    assert len(outcomes) == 6 and set(outcomes) <= {"archived", "pending", "excluded", "duplicate"}
    assert (stage == "committed") == ("duplicate" in outcomes)  # committed before the kill: already there
    _consistent(cfg, 6)


def test_group_commit_gives_the_same_records_as_one_file_at_a_time(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    files = []
    for i in range(7):
        maker = (make_docx, make_pdf, lambda p, l: make_text(p, "\n".join(l)))[i % 3]
        files.append(maker(src / f"{i}.{('docx', 'pdf', 'txt')[i % 3]}", gongwen_lines(40 + i, kind=i % 10)))
    files.append(src / "dup.txt")
    files[-1].write_bytes(files[2].read_bytes())  # the same content twice in one batch
    files.append(src / "bad.pdf")
    files[-1].write_bytes(b"%PDF-1.4 not really")
    got = {}
    for how in ("one", "many"):
        home = tmp_path / how
        home.mkdir()
        arc = open_archive(load_config(_config(home)), create=True)
        try:
            res = [pipeline.ingest_file(arc, f) for f in files] if how == "one" else pipeline.ingest_many(arc, files, batch=4)
            got[how] = [(r.file, r.outcome, (r.record or {}).get("archival_code"), (r.record or {}).get("title"))
                        for r in res]
        finally:
            arc.close()
        _consistent(load_config(home / "config.toml"), 7)
    assert got["one"] == got["many"]
    assert [o for _, o, _, _ in got["many"]][-2:] == ["duplicate", "failed"]
