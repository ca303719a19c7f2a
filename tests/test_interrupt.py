"""Ctrl+C and SIGTERM during ingest, watch, import catalog and import package (issue 13 point 6), with real
processes: the signal is sent once the first results are out; the command finishes the file it is on,
writes the full text of what it committed, prints its summary marked 已中断 and exits 130, with no
traceback. Afterwards `archive verify` is clean and no record is missing from the full-text index (the FTS5
table, or Whoosh's ``indexed`` flag)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from archive.config import load_config
from archive.pipeline import GROUP_COMMIT
from archive.session import open_archive
from tests.conftest import ROOT, write_config
from tests.gongwen_gen import gongwen_lines
from tests.makedocs import make_text
from tests.clirun import run_config

ENGINES = ["sqlite", "whoosh"]


def _config(tmp_path: Path, engine: str = "sqlite") -> Path:
    replace = {"settle_seconds = 2.0": "settle_seconds = 0"}
    if engine == "whoosh":
        replace['engine = "sqlite"'] = 'engine = "whoosh"'
    return write_config(tmp_path, **replace)


def _cmd(cfg_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "archive", "--config", str(cfg_path), *args]


def _cli(cfg_path: Path, *args: str):
    return run_config(cfg_path, *args)


def _docs(folder: Path, n: int, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [make_text(folder / f"文件{i:04d}.txt", "\n".join(gongwen_lines(i, kind=0, year=2020)))
            for i in range(start, start + n)]


def _records(cfg_path: Path) -> int:
    path = load_config(cfg_path).store / "catalog.sqlite"
    if not path.exists():
        return 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def _all_indexed(cfg_path: Path) -> int:
    """verify is clean, and every record is in the full-text index; returns the number of records."""
    r = _cli(cfg_path, "verify", "--json")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    arc = open_archive(load_config(cfg_path))
    try:
        ids = {x[0] for x in arc.conn.execute("SELECT id FROM documents")}
        if arc.whoosh:
            left = arc.conn.execute("SELECT count(*) FROM documents WHERE indexed = 0").fetchone()[0]
            assert left == 0, f"{left} records not in the Whoosh index"
            assert arc.index.indexed_ids() == ids
        else:
            assert arc.index.indexed_ids(arc.conn) == ids
        return len(ids)
    finally:
        arc.close()


def _popen(cfg_path: Path, *args: str) -> subprocess.Popen:
    """Unbuffered byte pipes: a line read here before ``_interrupted`` leaves nothing behind in a reader's buffer
    (``communicate`` reads the pipe itself, so lines a text reader had already buffered would be lost)."""
    return subprocess.Popen(_cmd(cfg_path, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
                            cwd=ROOT)


def _line(stream) -> str:
    return stream.readline().decode()  # an unbuffered pipe: one byte at a time, up to the newline


def _interrupted(proc: subprocess.Popen, sig: int) -> tuple[str, str]:
    proc.send_signal(sig)
    try:
        out, err = (b.decode() for b in proc.communicate(timeout=300))  # a hang detector, not a timing assertion
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "已中断" in err, err
    for word in ("Traceback", "KeyboardInterrupt", "Exception in thread", "Error"):
        assert word not in out + err, err
    return out, err


def _wait_for(cond, proc: subprocess.Popen, what: str, limit: float = 300) -> None:
    deadline = time.monotonic() + limit  # a hang detector
    while not cond():
        assert proc.poll() is None, f"ended before {what}: {proc.stderr.read()}"
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ingest_stopped_half_way(tmp_path, engine, sig):
    cfg_path = _config(tmp_path, engine)
    n = 4 * GROUP_COMMIT  # the signal comes once the first batch is in: three more batches still to do
    _docs(tmp_path / "来文", n)
    assert _cli(cfg_path, "init").returncode == 0
    proc = _popen(cfg_path, "ingest", str(tmp_path / "来文"))
    line = _line(proc.stderr)
    while line and not line.startswith("["):  # the first result line: a batch is committed
        line = _line(proc.stderr)
    assert line.startswith("[归档]"), line
    _, err = _interrupted(proc, sig)
    done = _all_indexed(cfg_path)
    assert 0 < done < n, "stopped half-way, with whole batches in"
    assert f"共 {done} 个文件" in err, err
    # the same command finishes the rest: what is in is a duplicate, nothing lost, nothing twice
    r = _cli(cfg_path, "ingest", str(tmp_path / "来文"))
    assert r.returncode == 0, r.stderr
    assert f"重复 {done}" in r.stderr and "已中断" not in r.stderr, r.stderr
    assert _all_indexed(cfg_path) == n


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_watch_stopped(tmp_path, engine, sig):
    cfg_path = _config(tmp_path, engine)
    cfg = load_config(cfg_path)
    _docs(cfg.inbox, 60)
    proc = _popen(cfg_path, "watch", "--json")
    first = json.loads(_line(proc.stdout))
    assert first["outcome"] == "archived", first
    out, err = _interrupted(proc, sig)
    done = _all_indexed(cfg_path)
    assert done == 1 + len(out.splitlines())
    assert f"共 {done} 个文件" in err, err
    left = [p for p in cfg.inbox.iterdir() if p.is_file()]
    assert len(left) + done == 60, "every file either in, or still in the inbox untouched"
    r = _cli(cfg_path, "watch", "--once")
    assert r.returncode == 0, r.stderr
    assert _all_indexed(cfg_path) == 60


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_import_catalog_stopped(tmp_path, engine):
    cfg_path = _config(tmp_path, engine)
    n = 300
    wb = openpyxl.Workbook()
    wb.active.append(["档号", "题名", "责任者", "日期", "页数"])
    files = tmp_path / "全文"
    files.mkdir()
    for i in range(1, n + 1):
        code = f"Z109-WS·2012-D10-BGS-{i:04d}"
        wb.active.append([code, f"关于第{i}号橄榄树养护的通知", "示例县档案局", "20120305", 1])
        make_text(files / f"{code}.txt", f"关于第{i}号橄榄树养护的通知\n正文第{i}段。")
    wb.save(tmp_path / "目录.xlsx")
    assert _cli(cfg_path, "init").returncode == 0
    proc = _popen(cfg_path, "import", "catalog", str(tmp_path / "目录.xlsx"), "--files", str(files))
    _wait_for(lambda: _records(cfg_path) >= 3, proc, "the first records")
    _, err = _interrupted(proc, signal.SIGINT)
    done = _all_indexed(cfg_path)
    assert 0 < done < n
    assert f"已导入 {done} 条记录" in err, err
    hits = json.loads(_cli(cfg_path, "search", "橄榄树", "--json", "--limit", "1000").stdout)
    assert len(hits) == done


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_import_package_stopped_and_resumed(tmp_path, engine):
    src = _config(tmp_path, engine)
    n = 120
    _docs(tmp_path / "来文", n)
    assert _cli(src, "ingest", str(tmp_path / "来文")).returncode == 0
    pkg = tmp_path / "移交包"
    r = _cli(src, "export", "package", "--year", "2020", "-o", str(pkg))
    assert r.returncode == 0, r.stderr
    (tmp_path / "b").mkdir()
    cfg_path = _config(tmp_path / "b", engine)
    assert _cli(cfg_path, "init").returncode == 0
    proc = _popen(cfg_path, "import", "package", str(pkg))
    _wait_for(lambda: _records(cfg_path) >= 3, proc, "the first records")
    _, err = _interrupted(proc, signal.SIGTERM)
    done = _all_indexed(cfg_path)
    assert 0 < done < n
    assert f"已导入 {done} 件" in err, err
    r = _cli(cfg_path, "import", "package", str(pkg), "--json")  # the same command finishes it
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)) == n
    assert _all_indexed(cfg_path) == n
