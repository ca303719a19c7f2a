"""Issue 23, never lose round 3: what a kill -9, a bad config value, a hostile file name or a full disk used to
leave behind, each with real processes (the CLI in a child process, SIGKILLed at a fault point)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from archive import appraisal, catalog
from archive.importing import ImportedFile, import_record
from conftest import ROOT, write_config
from makedocs import make_text
from tests.approved import GROUP, approve_table
from tests.clirun import run_config
from tests.test_web import _web_template, web  # noqa: F401 (fixtures: the web page over a prepared archive)

DAY = dt.date(2026, 1, 1)


def _cli(cfg_path, *args, env=None, **kw):
    return run_config(cfg_path, *args, env=env, **kw)


def _add(arc, tmp_path, code, year):
    f = make_text(tmp_path / f"{code}.txt", f"示例县档案局\n{code} 的正文，独特词{year}。")
    return import_record(arc, {"archival_code": code, "title": f"{year}年的一份文件", "issuer": "示例县档案局",
                               "date": f"{year}-06-01"}, ImportedFile(f), source={"test": True})


# ---- 1. kill -9 of destroy after its commit ------------------------------------------------------------------
@pytest.mark.slow
def test_destroy_killed_after_its_commit_is_finished_by_the_next_start(arc, cfg_path, tmp_path):
    rec = _add(arc, tmp_path, "Z109-WS·2009-D10-BGS-0001", 2009)
    rec = catalog.get_record(arc.conn, rec["id"])
    stored = rec["stored_path"]
    assert stored and arc.store.abspath(stored).exists()
    approve_table(arc)
    a = appraisal.appraise(arc, DAY, GROUP, [appraisal.Decision(rec, "destroy", "无价值")]).appraisal["id"]
    appraisal.approve(arc, a, leader="王局长", on=DAY, document="示档〔2026〕1号")
    arc.close()

    killed = _cli(cfg_path, "destroy", str(a), "--supervisor", "李四", "--supervisor", "张三", "--method", "删除",
                  "--place", "机房", env={"ARCHIVE_FAULT_STAGE": "destroy-committed"})
    assert killed.returncode == -9
    arc.close()
    assert catalog.get_record(arc.conn, rec["id"])["status"] == "destroyed"  # the destruction is committed
    assert arc.store.abspath(stored).exists()  # and its file not yet removed
    arc.close()

    src = tmp_path / "新"
    src.mkdir()
    make_text(src / "c.txt", "示例县档案局\n一份新的文件。")
    again = _cli(cfg_path, "ingest", str(src))  # the next start finishes the removal
    assert again.returncode == 0, again.stderr
    assert not arc.store.abspath(stored).exists()
    assert catalog.journalled_copies(arc.conn) == []
    events = [json.loads(r["detail"]) for r in arc.conn.execute(
        "SELECT detail FROM events WHERE action='destroy-batch'").fetchall()]
    assert events and events[0]["files_removed"] == [stored]


# ---- 2. kill -9 in attach or backup ---------------------------------------------------------------------------
def _parts(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part") or p.name.startswith(".archive-backup"))


@pytest.mark.slow
def test_attach_killed_mid_copy_leaves_nothing_after_the_next_attach(arc, cfg_path, tmp_path):
    rec = _add(arc, tmp_path, "Z109-WS·2020-D10-BGS-0001", 2020)
    arc.close()
    big = tmp_path / "附件.txt"
    big.write_text("示例县档案局\n附件正文。\n" + "附件内容，" * 300_000, encoding="utf-8")  # several chunks
    killed = _cli(cfg_path, "attach", str(rec["id"]), str(big), "--role", "附件",
                  env={"ARCHIVE_FAULT_STAGE": "copying"})
    assert killed.returncode == -9
    tmp = arc.store.tmp
    assert _parts(tmp)  # the half copy
    small = make_text(tmp_path / "附件二.txt", "示例县档案局\n另一份附件。")
    again = _cli(cfg_path, "attach", str(rec["id"]), str(small), "--role", "附件")
    assert again.returncode == 0, again.stderr
    assert _parts(tmp) == []
    arc.close()
    assert catalog.journalled_copies(arc.conn) == []
    assert arc.store.stored_files() == set(catalog.referenced_files(arc.conn))


def test_backup_killed_half_way_leaves_nothing_after_the_next_backup(arc, cfg_path, tmp_path):
    _add(arc, tmp_path, "Z109-WS·2020-D10-BGS-0001", 2020)
    _add(arc, tmp_path, "Z109-WS·2021-D10-BGS-0001", 2021)
    arc.close()
    out_dir = tmp_path / "备份盘"
    out_dir.mkdir()
    mine = out_dir / "档案备份.tar.part"  # a user's own file of that name is never ours
    mine.write_text("用户自己的文件", encoding="utf-8")
    killed = _cli(cfg_path, "backup", "-o", str(out_dir / "档案备份.tar"), env={"ARCHIVE_FAULT_STAGE": "backup-writing"})
    assert killed.returncode == -9
    assert len(_parts(out_dir)) > 1  # the half tar and the catalog copy, beside the user's file
    again = _cli(cfg_path, "backup", "-o", str(out_dir / "档案备份.tar"))
    assert again.returncode == 0, again.stderr
    assert _parts(out_dir) == ["档案备份.tar.part"] and mine.read_text(encoding="utf-8") == "用户自己的文件"
    assert (out_dir / "档案备份.tar").is_file()


# ---- 3. a number in config.toml that is nan, inf or out of range ----------------------------------------------
@pytest.mark.parametrize("key,old,value", [
    ("watch.settle_seconds", "settle_seconds = 2.0", "nan"),
    ("watch.settle_seconds", "settle_seconds = 2.0", "inf"),
    ("watch.settle_seconds", "settle_seconds = 2.0", "-1.0"),
    ("watch.settle_seconds", "settle_seconds = 2.0", "-nan"),
    ("limits.extract_timeout_seconds", "extract_timeout_seconds = ", "nan #"),
])
def test_a_config_number_that_is_not_a_number_is_refused_naming_key_and_file(tmp_path, key, old, value):
    name = key.split(".")[1]
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith(old))
    path = write_config(tmp_path, **{line: f"{name} = {value}"})
    (tmp_path / "inbox").mkdir(exist_ok=True)
    r = _cli(path, "watch", "--once")
    assert r.returncode != 0
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, r.stderr
    assert key in lines[0] and str(path) in lines[0] and "配置文件" in lines[0], r.stderr


# ---- 4. control characters in file names --------------------------------------------------------------------
HOSTILE = "坏\x1b[2J名\n[归档] 伪造\u202etxt.exe\x07.txt"


def _acted_on(text: str) -> list[str]:
    """Characters a terminal acts on, other than the line ends the program writes itself."""
    return [c for c in text if c in "\x1b\x07\r\u202e" or (ord(c) < 32 and c not in "\n")]


def test_hostile_file_names_are_printed_escaped_everywhere(tmp_path):
    from archive.config import load_config

    cfg_path = write_config(tmp_path, **{"settle_seconds = 2.0": "settle_seconds = 0"})
    cfg = load_config(cfg_path)
    cfg.inbox.mkdir(parents=True)
    body = "示例县档案局\n关于做好档案工作的通知\n正文。"
    make_text(cfg.inbox / "正常.txt", body)
    make_text(cfg.inbox / HOSTILE, body + "\n另一份。")
    make_text(cfg.inbox / ("重复" + HOSTILE), body)  # a duplicate of 正常.txt: a reason file
    r = _cli(cfg_path, "watch", "--once")
    assert r.returncode == 0, r.stderr
    for text in (r.stdout, r.stderr):
        assert _acted_on(text) == [], text
    assert "\\x1b[2J" in r.stdout + r.stderr and "\\u202e" in r.stdout + r.stderr
    # one line a file: the name's newline does not start a forged line
    assert not any(line.startswith("[归档] 伪造") for line in (r.stdout + r.stderr).splitlines())
    reasons = [p for p in cfg.inbox.parent.rglob("*.txt") if "原因" in p.name]
    assert reasons
    for p in reasons:
        text = p.read_text(encoding="utf-8")
        assert _acted_on(text) == [] and "\\x1b" in text, text
    for args in (["list"], ["show", "2"], ["search", "另一份"], ["list", "--json"], ["show", "2", "--json"]):
        out = _cli(cfg_path, *args)
        assert out.returncode == 0 and _acted_on(out.stdout + out.stderr) == [], (args, out.stdout + out.stderr)
    # the web page: HTML escaping alone leaves U+202E a live override; the name is shown escaped there too
    from starlette.testclient import TestClient

    from archive.web import accounts, create_app
    from archive.session import open_archive

    arc = open_archive(cfg)
    accounts.add_user(arc.conn, "dang", "档案员", "correct horse 1")
    hostile_id = next(r["id"] for r in arc.conn.execute("SELECT id, filename FROM documents") if "伪造" in r["filename"])
    arc.close()
    app = create_app(cfg)
    try:
        c = TestClient(app, base_url="http://127.0.0.1")
        page = c.get("/login").text
        csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        c.post("/login", data={"csrf": csrf, "name": "dang", "password": "correct horse 1", "next": "/search"})
        for url in (f"/doc/{hostile_id}", "/search?q=另一份", "/review"):
            html = c.get(url).text
            assert "\u202e" not in html and "\x1b" not in html, (url, html[:3000])
        assert "\\u202e" in c.get(f"/doc/{hostile_id}").text
    finally:
        app.state.web.close()


# ---- 5. a full disk -------------------------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB tmpfs (root only; skipped where mounting is not allowed)."""
    import subprocess

    mnt = tmp_path / "小盘"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {r.stderr.decode(errors='replace').strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(folder):
    """Fill the file system of ``folder`` to the last block."""
    with open(folder / "填满", "wb", buffering=0) as f:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass


def test_a_full_disk_leaves_no_empty_reason_file(tmp_path, small_disk):
    from archive.config import load_config

    cfg_path = write_config(tmp_path, **{"settle_seconds = 2.0": "settle_seconds = 0",
                                         'inbox = "inbox"': f'inbox = "{small_disk / "inbox"}"'})
    cfg = load_config(cfg_path)
    cfg.inbox.mkdir(parents=True)
    body = "示例县档案局\n关于做好档案工作的通知\n正文。"
    make_text(cfg.inbox / "正常.txt", body)
    assert _cli(cfg_path, "watch", "--once").returncode == 0
    (cfg.inbox.parent / "duplicates").mkdir(exist_ok=True)
    make_text(cfg.inbox / "重复.txt", body)  # a duplicate: moved with a reason file
    _fill(small_disk)
    r = _cli(cfg_path, "watch", "--once")
    assert "Traceback" not in r.stderr
    reasons = [p for p in small_disk.rglob("*") if p.name.endswith(".原因.txt") or p.name.endswith(".part")]
    for p in reasons:  # a reason file is whole or absent; no temporary left
        assert p.name.endswith(".原因.txt") and "重复.txt" in p.read_text(encoding="utf-8"), p
    (small_disk / "填满").unlink()
    again = _cli(cfg_path, "watch", "--once")  # room again: the duplicate is filed with its whole reason file
    assert again.returncode == 0, again.stderr
    assert not (cfg.inbox / "重复.txt").exists()
    reasons = [p for p in small_disk.rglob("*.原因.txt")]
    assert len(reasons) == 1 and "重复.txt" in reasons[0].read_text(encoding="utf-8")


def test_a_full_disk_leaves_no_web_upload_part(tmp_path, small_disk):
    """The real server (``archive serve``) with its inbox on a 1 MB disk: a 3 MB upload fails with one
    Chinese line, and neither its ``.part`` nor its folder stays."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx

    from tests.test_web import csrf_of

    cfg_path = write_config(tmp_path, **{'inbox = "inbox"': f'inbox = "{small_disk / "inbox"}"'})
    (small_disk / "inbox").mkdir()
    assert _cli(cfg_path, "init").returncode == 0
    assert _cli(cfg_path, "user", "add", "王芳", "--role", "文书", "--password-stdin",
                input="clerk-password-1\n").returncode == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "archive", "--config", str(cfg_path), "serve", "--host",
                             "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(600):
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        with httpx.Client(base_url=url, timeout=60, follow_redirects=True) as c:
            r = c.post("/login", data={"csrf": csrf_of(c.get("/login").text), "name": "王芳",
                                       "password": "clerk-password-1", "next": "/file"})
            assert r.status_code == 200, r.text
            big = ("示例县档案局\n" + "上传的正文。" * 200_000).encode("utf-8")  # > 3 MB
            r = c.post("/file", data={"csrf": csrf_of(c.get("/file").text)}, files={"files": ("大文件.txt", big)})
            assert "Traceback" not in r.text and "无法接收上传的文件" in r.text, r.text[-2000:]
        left = [p.relative_to(small_disk).as_posix() for p in small_disk.rglob("*")]
        assert left == ["inbox"] or all(not x.endswith(".part") and "web-upload/" not in x for x in left), left
        assert not any(p.name.endswith(".part") for p in small_disk.rglob("*")), left
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
        log.close()


# ---- two confirms of one 待定 record through the web page ----------------------------------------------------
def test_two_web_confirms_of_one_pending_record_the_second_is_refused(web):
    """Two clerks, each with the review page open, decide the same 待定 record at once: one to archive it, one
    to exclude it. One decision stands; the other is refused and says why."""
    import threading

    from tests.test_web import events, login, token

    app, docs, cfg = web
    rid = docs["pending"]["id"]
    clerks = [login(app, "wen"), login(app, "dang")]
    toks = [token(c, "/review") for c in clerks]
    assert all(f'value="{rid}"' in c.get("/review").text for c in clerks)
    go = threading.Barrier(2)
    answers: list = [None, None]

    def decide(i: int) -> None:
        go.wait()
        action = f"accept:{rid}" if i == 0 else f"exclude:{rid}"
        answers[i] = clerks[i].post("/review", data={"csrf": toks[i], "action": action,
                                                     f"retention_{rid}": "D30", "reason": "复核"})

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 400], [a.text[-800:] for a in answers]
    refused = next(a for a in answers if a.status_code == 400)
    assert "不是待定状态" in refused.text or "未作更改" in refused.text
    assert [e["action"] for e in events(cfg) if e["document_id"] == rid].count("confirm") == 1
