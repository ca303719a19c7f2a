"""``archive serve`` with two server processes (``[web] workers``, issue 29), a real server from real sockets:
what one process kept in memory must not split between them. Logins, their failures and waits, sessions and
CSRF tokens are the catalog's and the archive's key file; an adversary firing logins at once gets no more
attempts than with one process; killed outright, the server leaves no worker holding the port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from archive.web.accounts import FREE_FAILURES
from tests.test_web_attacks import ARCHIVIST, CLERK, PASSWORD, _cli, _free_port, csrf_of, try_login

ROOT = Path(__file__).resolve().parent.parent
httpx = pytest.importorskip("httpx")


def _workers(pid: int) -> list[int]:
    """The server's worker processes (uvicorn's, started by multiprocessing's spawn)."""
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmd = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"spawn_main" in cmd:
                out.append(int(child))
    return out


def _listening(port: int) -> bool:
    """Whether any process listens on ``port`` (the kernel's TCP tables)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                return True
    return False


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.fixture
def two_workers(cfg_path, tmp_path):
    with cfg_path.open("a", encoding="utf-8") as f:
        f.write("\n[web]\nworkers = 2\n")
    _cli(cfg_path, "init")
    for name, role in ((ARCHIVIST, "档案员"), (CLERK, "文书")):
        _cli(cfg_path, "user", "add", name, "--role", role, "--password-stdin", stdin=PASSWORD + "\n")
    port = _free_port()
    log = tmp_path / "serve.log"
    proc = subprocess.Popen([sys.executable, "-m", "archive", "--config", str(cfg_path), "serve", "--host",
                             "127.0.0.1", "--port", str(port)], stdout=log.open("w"), stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    url = f"http://127.0.0.1:{port}"
    while True:  # up once both workers answer (each answers only after its application is made)
        assert proc.poll() is None, log.read_text()
        try:
            httpx.get(url + "/login", timeout=10)
            if len(_workers(proc.pid)) == 2:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    yield proc, url, port, log
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=60)


def test_two_workers_share_logins_sessions_and_the_attempt_budget(two_workers):
    proc, url, _, log = two_workers
    assert "2 个服务进程" in log.read_text(encoding="utf-8")

    def guess(i: int) -> int:  # each on a connection of its own: the kernel hands them to either worker
        with httpx.Client(base_url=url, timeout=120) as c:
            return try_login(c, CLERK, f"guess-{i}-guess")

    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(guess, range(12)))
    # every attempt is counted before its password is checked, in the catalog both workers share
    assert codes.count(401) == FREE_FAILURES and codes.count(429) == 12 - FREE_FAILURES, codes

    # a session made by one worker holds in the other, and so does its CSRF token
    with httpx.Client(base_url=url, timeout=120, transport=httpx.HTTPTransport(local_address="127.0.0.2")) as me:
        assert try_login(me, ARCHIVIST, PASSWORD) == 303
        cookies = dict(me.cookies)
    pages = []
    for _ in range(16):  # fresh connections
        with httpx.Client(base_url=url, timeout=120, cookies=cookies) as c:
            r = c.get("/search")
            pages.append((r.status_code, ARCHIVIST in r.text))
            token = csrf_of(r.text)
    assert set(pages) == {(200, True)}, pages
    with httpx.Client(base_url=url, timeout=120, cookies=cookies) as c:
        assert c.post("/logout", data={"csrf": token}).status_code == 303
    for _ in range(6):  # the session ended in the catalog: no worker lets it in again
        with httpx.Client(base_url=url, timeout=120, cookies=cookies) as c:
            assert c.get("/search").status_code == 303


def test_a_server_killed_outright_leaves_no_worker(two_workers):
    proc, url, port, _ = two_workers
    workers = _workers(proc.pid)
    assert len(workers) == 2 and _listening(port)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    give_up = time.monotonic() + 60  # a bound so a surviving worker fails the test instead of hanging it
    for pid in workers:  # PR_SET_PDEATHSIG: the kernel kills each worker with its parent
        while _alive(pid) and time.monotonic() < give_up:
            time.sleep(0.1)
        assert not _alive(pid), f"worker {pid} outlived the server"
    assert not _listening(port)  # (read from the kernel's table: a connect could meet itself on a free port)


def test_record_views_waiting_for_the_writer_share_one_commit(arc, cfg, tmp_path):
    """Twenty access-log entries whose requests wait for the web's writer are written in one unit of work (one
    commit, one disk sync), and each request returns only once its own entry is committed (issue 29)."""
    import sqlite3
    import threading

    from archive.importing import ImportedFile, import_record
    from archive.web.app import WebArchive
    from archive.web.use_pages import write_access
    from tests.makedocs import make_text

    f = make_text(tmp_path / "a.txt", "示例县档案局\n关于档案工作的通知\n正文。")
    import_record(arc, {"archival_code": "Z109-WS·2020-D10-BGS-0001", "title": "关于档案工作的通知",
                        "date": "2020-06-01"}, ImportedFile(f), source={"test": True})
    row = arc.conn.execute("SELECT * FROM documents").fetchone()
    w = WebArchive(cfg)
    commits = []
    w.writer.conn.set_trace_callback(lambda sql: commits.append(sql) if sql.strip().upper() == "COMMIT" else None)
    seen: dict[str, int] = {}

    def view(i: int) -> None:
        write_access(w, f"用户{i}", row, "view", "记录页")
        with sqlite3.connect(f"file:{cfg.store / 'catalog.sqlite'}?mode=ro", uri=True) as other:
            seen[f"用户{i}"] = other.execute("SELECT count(*) FROM access_log WHERE actor=?", (f"用户{i}",)).fetchone()[0]

    try:
        with w.write_mutex:  # the writer busy: every view waits with its entry queued
            threads = [threading.Thread(target=view, args=(i,)) for i in range(20)]
            for t in threads:
                t.start()
            while len(w.access_queue) < 20:
                time.sleep(0.01)
        for t in threads:
            t.join()
        assert seen == {f"用户{i}": 1 for i in range(20)}
        assert len(commits) == 1, commits
    finally:
        w.close()


@pytest.mark.parametrize("value", ["-1", "65", '"2"', "1.5", "true"])
def test_a_wrong_number_of_workers_is_one_line(cfg_path, value):
    from archive.config import load_config
    from archive.errors import ConfigError

    with cfg_path.open("a", encoding="utf-8") as f:
        f.write(f"\n[web]\nworkers = {value}\n")
    with pytest.raises(ConfigError, match="workers"):
        load_config(cfg_path)


def test_workers_default_to_one_and_zero_means_one_per_core(cfg):
    """One process unless the config asks for more (a second gave no more pages a second, bench/web_bench.md)."""
    import dataclasses

    from archive.web.serving import workers_of

    assert cfg.web.workers == 1 and workers_of(cfg) == 1
    per_core = dataclasses.replace(cfg, web=dataclasses.replace(cfg.web, workers=0))
    assert workers_of(per_core) == (os.cpu_count() or 1)
