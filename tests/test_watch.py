"""The watched inbox, with a real watchdog observer on a temporary folder and real files."""

from __future__ import annotations

import collections
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from archive import catalog
from archive.config import load_config
from archive.errors import StoreError
from archive.session import open_archive
from archive.store import sha256_file
from archive.watch import InboxWatcher, is_ignored
from tests.conftest import write_config
from tests.gongwen_gen import SECRET, gongwen_lines
from tests.makedocs import make_damaged_pdf, make_docx, make_ofd, make_pdf, make_text

ROOT = Path(__file__).resolve().parent.parent
TEMP_NAMES = ["~$草稿.docx", "下载中.pdf.crdownload", ".隐藏.txt", "scan.tmp", "Thumbs.db", "x.part"]


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def originals(folder: Path) -> list[Path]:
    return [p for p in files_in(folder) if not p.name.endswith(".原因.txt")]


def wait_until(cond, timeout: float, what: str, thread: threading.Thread | None = None) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        if thread is not None and not thread.is_alive():
            raise AssertionError(f"the watcher stopped before {what}")
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_temporary_and_hidden_files_are_ignored(tmp_path):
    inbox = tmp_path / "inbox"
    for name in TEMP_NAMES:
        assert is_ignored(inbox / name, inbox), name
    assert is_ignored(inbox / ".git" / "a.pdf", inbox)
    assert not is_ignored(inbox / "关于 档案工作 的通知.pdf", inbox)
    assert not is_ignored(inbox / "sub" / "a.docx", inbox)
    assert is_ignored(tmp_path / "elsewhere.pdf", inbox)


def _make_batch(inbox: Path, stage: Path) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Write 199 of the 200 files into ``stage``; return {name: expected outcome} and the duplicate pairs.

    Of two identical files, whichever is taken first gets the outcome and the other is the duplicate."""
    expected, pairs = {}, []
    makers = [("txt", lambda p, l: make_text(p, "\n".join(l))), ("docx", make_docx), ("pdf", make_pdf),
              ("ofd", make_ofd)]
    distinct = []
    for i in range(150):  # distinct documents across formats and relations
        ext, make = makers[i % 4] if i % 3 == 0 else makers[0]
        if ext == "docx" and i % 36 != 9:  # 4 DOCX, not 13: each is a LibreOffice layout, about a second
            ext, make = makers[0]
        kind = i % 10
        p = make(stage / f"文件{i:03d} 第{i}号.{ext}", gongwen_lines(i, kind=kind))
        distinct.append(p)
        expected[p.name] = {9: "pending", 5: "excluded"}.get(kind, "archived")
    for j in range(44):  # duplicates: same bytes, another name
        src = distinct[j * 3]
        dup = stage / f"副本{j:02d}-{src.name}"
        shutil.copyfile(src, dup)
        expected[dup.name] = "duplicate"
        pairs.append((src.name, dup.name))
    make_damaged_pdf(stage / "损坏.pdf", gongwen_lines(500))
    expected["损坏.pdf"] = "failed"
    (stage / "空文件.docx").write_bytes(b"")
    expected["空文件.docx"] = "failed"
    (stage / "random.bin").write_bytes(os.urandom(4096))
    expected["random.bin"] = "failed"
    make_docx(stage / "机密通知.docx", SECRET)
    expected["机密通知.docx"] = "refused"
    make_text(stage / "sub-请示.txt", "\n".join(gongwen_lines(600, kind=2)))
    expected["sub-请示.txt"] = "archived"
    assert len(expected) == 199
    return expected, pairs


@pytest.mark.slow
def test_200_files_dropped_at_once_are_all_accounted_for(tmp_path):
    cfg = load_config(write_config(tmp_path, **{"settle_seconds = 2.0": "settle_seconds = 1.5"}))
    stage = tmp_path / "stage"
    stage.mkdir()
    expected, pairs = _make_batch(cfg.inbox, stage)
    arc = open_archive(cfg, create=True)
    watcher = InboxWatcher(arc)
    t = threading.Thread(target=watcher.run, daemon=True)
    t.start()
    time.sleep(1.0)  # observer running

    for name in TEMP_NAMES:  # temporary files that must be left alone
        (cfg.inbox / name).write_bytes(b"partial")
    (cfg.inbox / "子文件夹").mkdir()
    for p in sorted(stage.iterdir()):  # 199 files "at once": moved in, as a scanner or a copy would
        dest = cfg.inbox / ("子文件夹" if p.name.startswith("sub-") else "") / p.name
        os.replace(p, dest)

    # the 200th file is still being written while the watcher sees it
    slow_lines = gongwen_lines(700, kind=1) + ["附：最后一段，写完才算完整。"]
    slow = cfg.inbox / "正在写入.txt"
    expected[slow.name] = "archived"

    def writer():
        data = "\n".join(slow_lines).encode("utf-8")
        with open(slow, "wb") as f:
            for k in range(0, len(data), 40):
                f.write(data[k:k + 40])
                f.flush()
                time.sleep(0.2)
    w = threading.Thread(target=writer)
    w.start()
    w.join()

    def done():
        left = [p for p in files_in(cfg.inbox) if p.name not in TEMP_NAMES]
        return not left and len(watcher.results) >= 200
    try:
        wait_until(done, 600, "the inbox to empty", t)
    finally:
        watcher.stop_event.set()
        t.join(30)

    # every file exactly once, with the expected outcome
    seen = collections.Counter(Path(r.file).name for r in watcher.results)
    assert len(seen) == 200 and set(seen.values()) == {1}, [n for n, c in seen.items() if c > 1]
    got = {Path(r.file).name: r.outcome for r in watcher.results}
    for first, second in pairs:  # either copy may be the one kept
        assert sorted([got[first], got[second]]) == sorted([expected[first], "duplicate"]), (first, second)
        got[first], got[second] = expected[first], "duplicate"
    assert got == expected
    # temporary files untouched
    assert sorted(p.name for p in files_in(cfg.inbox)) == sorted(TEMP_NAMES)
    # every original is in exactly one of the outcome folders
    counts = collections.Counter(expected.values())
    assert len(originals(cfg.processed_dir)) == counts["archived"] + counts["pending"] + counts["excluded"]
    assert len(originals(cfg.duplicates_dir)) == counts["duplicate"] == 44
    assert len(originals(cfg.failed_dir)) == counts["failed"] == 3
    assert len(originals(cfg.refused_dir)) == 1
    for folder in (cfg.duplicates_dir, cfg.failed_dir, cfg.refused_dir):
        for p in originals(folder):
            assert Path(str(p) + ".原因.txt").exists(), p
    # the catalog holds one record per distinct kept file, the slow file complete
    conn = arc.conn
    assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == len(originals(cfg.processed_dir))
    slow_row = conn.execute("SELECT d.*, t.text FROM documents d JOIN document_texts t ON t.document_id=d.id "
                            "WHERE d.filename='正在写入.txt'").fetchone()
    assert "写完才算完整" in slow_row["text"]
    assert catalog.verify_chain(conn) == []
    codes = [r[0] for r in conn.execute("SELECT archival_code FROM documents WHERE archival_code IS NOT NULL")]
    assert len(codes) == len(set(codes)) == counts["archived"]
    arc.close()


def test_second_watcher_is_refused_and_files_present_at_start_are_taken(fast_cfg):
    cfg = fast_cfg
    cfg.inbox.mkdir(parents=True)
    make_docx(cfg.inbox / "早到的.docx", gongwen_lines(1, kind=0))
    arc = open_archive(cfg, create=True)
    first = InboxWatcher(arc)
    t = threading.Thread(target=first.run, daemon=True)
    t.start()
    try:
        wait_until(lambda: len(first.results) == 1, 60, "the file present at start", t)
        assert first.results[0].outcome == "archived"
        second = InboxWatcher(open_archive(cfg))
        with pytest.raises(StoreError, match="另一个 archive watch"):
            second.run(once=True)
        # a file arriving later is noticed by the observer
        make_pdf(cfg.inbox / "后到的.pdf", gongwen_lines(2, kind=0))
        wait_until(lambda: len(first.results) == 2, 60, "the new file")
    finally:
        first.stop_event.set()
        t.join(30)


def test_polling_observer_for_network_shares(fast_cfg):
    cfg = fast_cfg
    arc = open_archive(cfg, create=True)
    w = InboxWatcher(arc, polling=True)
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    try:
        time.sleep(1)
        make_text(cfg.inbox / "共享.txt", "\n".join(gongwen_lines(3, kind=0)))
        wait_until(lambda: len(w.results) == 1, 60, "the polled file", t)
        assert w.results[0].outcome == "archived"
    finally:
        w.stop_event.set()
        t.join(30)


@pytest.mark.slow
def test_sigkill_mid_batch_then_restart_accounts_for_every_file(tmp_path):
    cfg_path = write_config(tmp_path, **{"settle_seconds = 2.0": "settle_seconds = 0.3"})
    cfg = load_config(cfg_path)
    cfg.inbox.mkdir(parents=True)
    names = {}
    for i in range(60):  # one in six a DOCX (each is laid out by LibreOffice, about a second): both kinds in the batch
        docx = i % 6 == 1
        p = (make_docx if docx else make_pdf)(cfg.inbox / f"d{i:02d}.{'docx' if docx else 'pdf'}",
                                              gongwen_lines(i, kind=i % 5))
        names[p.name] = sha256_file(p)
    shutil.copyfile(cfg.inbox / "d00.pdf", cfg.inbox / "d00-copy.pdf")
    names["d00-copy.pdf"] = names["d00.pdf"]
    cmd = [sys.executable, "-m", "archive", "--config", str(cfg_path)]
    proc = subprocess.Popen(cmd + ["watch"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: len(originals(cfg.processed_dir)) >= 15, 300, "part of the batch")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -9
    assert any(cfg.inbox.iterdir()), "the kill came mid-batch"
    rerun = subprocess.run(cmd + ["watch", "--once"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert not files_in(cfg.inbox)
    arc = open_archive(cfg)
    rows = arc.conn.execute("SELECT * FROM documents").fetchall()
    assert sorted(r["sha256"] for r in rows) == sorted(set(names.values()))
    assert arc.store.stored_files() == {r["stored_path"] for r in rows}
    for r in rows:
        assert sha256_file(arc.store.abspath(r["stored_path"])) == r["sha256"]
    processed = originals(cfg.processed_dir)
    dups = originals(cfg.duplicates_dir)
    assert sorted(p.name for p in processed + dups) == sorted(names)
    assert [p.name for p in dups] == ["d00-copy.pdf"] or [p.name for p in dups] == ["d00.pdf"]
    assert catalog.verify_chain(arc.conn) == []
    assert arc.conn.execute("SELECT count(*) FROM inbox_moves").fetchone()[0] == 0
    arc.close()
