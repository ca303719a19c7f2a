"""Real progress (issue 13 point 6): restore, reindex, backup, package export and verify report each step as it
is done, up to their total, not one jump at the end; on a terminal the command line draws the bar. And
`verify` lists the problems first and sums the notices up by kind (every one with --all)."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time

import pytest

from archive import pipeline
from archive import catalog
from archive.backup import backup, restore
from archive.export.package import export_package
from archive.verify import verify
from tests.clirun import run_config
from tests.conftest import ROOT, write_config
from tests.gongwen_gen import gongwen_lines
from tests.makedocs import make_text

N = 12


@pytest.fixture
def filled(arc, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(N):
        pipeline.ingest_file(arc, make_text(src / f"{i}.txt", "\n".join(gongwen_lines(i, kind=0, year=2020))))
    return arc


class Steps(list):
    def __call__(self, done, total=None):
        self.append((done, total))

    def __bool__(self) -> bool:  # the services test ``if progress:``
        return True


def _steady(steps: Steps, total: int) -> None:
    """Called more than once, never backwards, ending at the total it announced."""
    assert len(steps) > 1, steps
    dones = [d for d, _ in steps]
    assert dones == sorted(dones) and dones[-1] == total, steps
    assert all(t in (None, total) for _, t in steps), steps


def test_backup_restore_export_verify_and_reindex_report_each_step(filled, tmp_path):
    arc = filled
    files = len(catalog.referenced_files(arc.conn))
    s = Steps()
    backup(arc, tmp_path / "备份.tar", progress=s)
    _steady(s, files + 2)  # the catalog, the config and every stored file
    s = Steps()
    restored = restore(tmp_path / "备份.tar", tmp_path / "恢复", progress=s)
    restored.close()
    _steady(s, files + 2 + N)  # each member, then each record indexed
    assert s[files + 1][0] == files + 2, "the members first, then the index"
    s = Steps()
    export_package(arc, 2020, tmp_path / "移交包", progress=s)
    _steady(s, N)
    s = Steps()
    verify(arc, progress=s)
    _steady(s, N + 1)  # each record, then the checks over the whole archive
    s = Steps()
    n = arc.index.rebuild(arc.conn, s, chunk=5)
    assert n == N and [d for d, _ in s] == [5, 10, 12]


def test_the_bar_is_drawn_on_a_terminal(filled, cfg_path, tmp_path):
    backup(filled, tmp_path / "备份.tar")
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "archive", "restore", str(tmp_path / "备份.tar"), "--to",
                             str(tmp_path / "恢复")], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=slave, env={**os.environ, "COLUMNS": "120", "TERM": "xterm"})
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 120  # a hang detector
    while time.monotonic() < deadline:
        if select.select([master], [], [], 1)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    proc.wait(60)
    os.close(master)
    text = seen.decode("utf-8", "replace")
    assert proc.returncode == 0, text
    assert "恢复" in text and "已恢复到" in text, text
    total = len(catalog.referenced_files(filled.conn)) + 2 + N
    assert f"{total}/{total}" in text, text


def test_verify_lists_problems_first_and_sums_notices_up(filled, cfg_path):
    arc = filled
    with arc.change() as tx:  # a record changed behind the program's back: a problem among notices
        tx.conn.execute("UPDATE documents SET title = '被改动的题名' WHERE id = 3")
    rep = verify(arc)
    assert rep.errors, "the edit is found"
    order = [f.severity for f in rep.ordered()]
    assert order == sorted(order, key=lambda s: s != "error")
    r = run_config(cfg_path, "verify", "--json")
    data = json.loads(r.stdout)
    assert r.returncode == 1
    sev = [f["severity"] for f in data["findings"]]
    assert sev == sorted(sev, key=lambda s: s != "error")
    assert sum(k["count"] for k in data["notice_kinds"]) == data["notices"]
    r = run_config(cfg_path, "verify", env={"COLUMNS": "200"})
    assert "四性检测：问题" in r.stdout, r.stdout
    if data["notices"]:
        assert "按类别汇总" in r.stdout and r.stdout.index("四性检测：问题") < r.stdout.index("按类别汇总")
        every = run_config(cfg_path, "verify", "--all", env={"COLUMNS": "200"})
        assert "四性检测：提示" in every.stdout and "按类别汇总" not in every.stdout
