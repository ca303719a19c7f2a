"""[virus] at_ingest: the scanner is found once per batch (PATH, the database folder, clamd's ping), not once per
file; a scanner that stops answering mid-batch still fails each file closed. The scanner here is a real process:
a small ``clamdscan`` script on PATH that logs its calls and answers like ClamAV's client."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import write_config
from gongwen_gen import gongwen_lines
from makedocs import make_text
from tests.clirun import run_config

FAKE = """#!/bin/sh
# a stand-in for ClamAV's clamd client: logs each call; answers OK for each file until {dead} exists (made after
# the {die_after}th run), or FOUND from the {found_from}th run on
echo "$1" >> {log}
case "$1" in --ping=*) [ -e {dead} ] && exit 2; exit 0;; esac
if [ -e {dead} ]; then echo "ERROR: Could not connect to clamd on LocalSocket /run/clamav/clamd.ctl" >&2; exit 2; fi
scans=$(grep -vc -- --ping {log})
found=0
for a in "$@"; do case "$a" in --*) ;; *)
  if [ -n "{found_from}" ] && [ "$scans" -ge "{found_from}" ]; then echo "$a: Archive.Test.Fake FOUND"; found=1
  else echo "$a: OK"; fi;; esac; done
[ -n "{die_after}" ] && [ "$scans" -ge "{die_after}" ] && touch {dead}
exit $found
"""


def _setup(tmp_path: Path, die_after: str = "", found_from: str = "") -> tuple[Path, Path, dict, list[Path]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log, dead = tmp_path / "calls.log", tmp_path / "dead"
    script = bin_dir / "clamdscan"
    script.write_text(FAKE.format(log=log, dead=dead, die_after=die_after, found_from=found_from))
    script.chmod(0o755)
    folder = tmp_path / "a"
    folder.mkdir()
    cfg = write_config(folder, **{"# at_ingest = false                          # true: each file scanned":
                                  'command = "clamdscan"\nat_ingest = true  # each file scanned'})
    src = tmp_path / "src"
    src.mkdir()
    files = [make_text(src / f"文件{i}.txt", "\n".join(gongwen_lines(i, 0, 2020))) for i in range(4)]
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    return cfg, log, env, files


def _calls(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def test_the_scanner_is_found_once_per_batch(tmp_path):
    cfg, log, env, files = _setup(tmp_path)
    r = run_config(cfg, "ingest", *map(str, files), env=env)
    assert r.returncode == 0, r.stderr
    calls = _calls(log)
    assert calls.count("--ping=1") == 1, calls  # was one ping (and one PATH and database look-up) per file
    assert len([c for c in calls if c != "--ping=1"]) == 4  # every file scanned all the same
    assert len(list((cfg.parent / "store" / "files").glob("*/*"))) == 4


def test_a_scanner_that_stops_answering_mid_batch_fails_each_later_file_closed(tmp_path):
    cfg, log, env, files = _setup(tmp_path, die_after="2")
    r = run_config(cfg, "ingest", *map(str, files), "--json", env=env)
    results = json.loads(r.stdout)
    outcomes = [x["outcome"] for x in results]
    assert "failed" not in outcomes[:2] and outcomes[2:] == ["failed", "failed"], results
    assert all("病毒扫描未能完成" in x["reason"] or "clamdscan" in x["reason"] for x in results[2:])
    assert len(list((cfg.parent / "store" / "files").glob("*/*"))) == 2, "nothing unscanned is stored"
    # the failure made it look again for the next file (the ping says the daemon is gone)
    assert _calls(log).count("--ping=1") == 2


def test_an_oa_package_is_scanned_at_ingest_and_one_finding_fails_it_whole(tmp_path, monkeypatch):
    """The OA 归档信息包 is a way in too: each of its files scanned before it is read (it was not scanned at all)."""
    from archive import catalog, oa_package
    from archive.config import load_config
    from archive.session import open_archive
    from oa_packages import make_package

    cfg_path, log, env, _ = _setup(tmp_path, found_from="2")
    monkeypatch.setenv("PATH", env["PATH"])
    cfg = load_config(cfg_path)
    arc = open_archive(cfg, create=True)
    try:
        r = oa_package.take_in(arc, make_package(cfg.inbox / "d.oa"), from_inbox=True)
        assert r.outcome == "failed" and "检出病毒（Archive.Test.Fake）" in r.reason and "整包未存储" in r.reason, r.reason
        assert catalog.count_documents(arc.conn) == 0 and not arc.store.stored_files()
        assert [c for c in _calls(log) if c != "--ping=1"] == ["--no-summary"] * 2  # stopped at the finding
    finally:
        arc.close()
