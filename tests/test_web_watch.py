"""The watcher and the web page at the same time on one archive: a real ``archive watch`` process takes
files dropped in the inbox while the web page files uploads; they share the write lock, every file ends
in the catalog exactly once, and neither picks up the other's files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.makedocs import SAMPLE_GONGWEN, make_docx

ROOT = Path(__file__).resolve().parent.parent


def _lines(i: int) -> list[str]:
    return [SAMPLE_GONGWEN[0], f"示档发〔2022〕{100 + i}号", f"关于第{i}批档案整理工作的决定", *SAMPLE_GONGWEN[3:]]


def _make(stem: Path, lines: list[str], docx: bool) -> Path:
    if docx:
        return make_docx(stem.with_suffix(".docx"), lines)
    path = stem.with_suffix(".txt")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.mark.slow
def test_watch_and_web_share_the_archive(fast_cfg, tmp_path):
    from tests.test_web import TestClient

    from archive.web import create_app

    cfg = fast_cfg
    app = create_app(cfg)  # local single user: no accounts needed on 127.0.0.1
    src = tmp_path / "src"
    src.mkdir()
    # two DOCX each way, the rest text: each DOCX is a LibreOffice layout (~1.2 s CPU), not what is shown here
    dropped = [_make(src / f"收件箱{i}", _lines(i), i < 2) for i in range(5)]
    uploaded = [_make(src / f"网页{i}", _lines(50 + i), i < 2) for i in range(5)]
    out = open(tmp_path / "watch.jsonl", "w")
    watcher = subprocess.Popen([sys.executable, "-m", "archive", "--config", str(cfg.path), "watch", "--json"],
                               stdout=out, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        def drop():
            for p in dropped:
                tmp = cfg.inbox / (p.name + ".part")  # how a scanner or a copy arrives: then renamed
                tmp.write_bytes(p.read_bytes())
                os.rename(tmp, cfg.inbox / p.name)
                time.sleep(0.3)

        t = threading.Thread(target=drop)
        t.start()
        c = TestClient(app, base_url="http://127.0.0.1")
        import re

        tok = re.search(r'name="csrf" value="([^"]+)"', c.get("/file").text).group(1)
        outcomes = []
        for p in uploaded:
            r = c.post("/file", data={"csrf": tok}, files={"files": (p.name, p.read_bytes())})
            got = re.findall(r'data-outcome="(\w+)" data-file="([^"]+)"', r.text)
            assert 'failed' not in r.text, re.findall(r'class="reason">([^<]*)', r.text)
            assert r.status_code == 200 and got, (p.name, r.status_code, r.text[-800:])
            outcomes += got
        t.join()
        assert sorted(outcomes) == sorted(("archived", p.name) for p in uploaded), outcomes

        db = cfg.store / "catalog.sqlite"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            conn = sqlite3.connect(db)
            n = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
            conn.close()
            if n >= 10 and not [p for p in cfg.inbox.rglob("*") if p.is_file()]:
                break
            time.sleep(0.5)
    finally:
        watcher.terminate()
        _, err = watcher.communicate(timeout=60)
        out.close()
        app.state.web.close()

    conn = sqlite3.connect(cfg.store / "catalog.sqlite")
    rows = conn.execute("SELECT filename, status FROM documents").fetchall()
    failed = conn.execute("SELECT count(*) FROM events WHERE action IN ('failed','duplicate')").fetchone()[0]
    conn.close()
    assert sorted(rows) == sorted((p.name, "archived") for p in dropped + uploaded), err
    assert failed == 0
    # the watcher saw only what was dropped in the inbox, never a file the web page was filing
    seen = [Path(json.loads(x)["file"]).name for x in (tmp_path / "watch.jsonl").read_text().splitlines() if x]
    assert sorted(seen) == sorted(p.name for p in dropped)
    assert not [p for p in cfg.inbox.rglob("*") if p.is_file()]
