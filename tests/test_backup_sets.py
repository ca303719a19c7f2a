"""Backup sets in a second place (issue 30): three simulated days of incremental sets, sets kept by the rule, a
restore drill recorded, a restore after the archive's own folder is gone, damage found, kill -9 mid-set, the
health check, and an archive made by the previous release upgraded only after a checked copy of its catalog."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT, copy_prepared, problems, run_cli, write_config

SAMPLES = ROOT / "samples"
DAY = [dt.datetime(2026, 12, d, 2, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))) for d in (1, 2, 3)]
FILES = ["01 档案局关于印发档案管理办法的决定.docx", "05 档案局关于申请馆舍建设经费的请示.txt",
         "04 财政局关于商请提供档案资料的函.ofd", "07 档案馆季度工作报告.pdf", "08 科技公司来函.txt"]


def _file(arc, name: str) -> None:
    from archive.pipeline import ingest_file

    dest = arc.cfg.inbox / name
    shutil.copy(SAMPLES / name, dest)
    ingest_file(arc, dest)


def _open(cfg_path: Path):
    from archive.config import load_config
    from archive.session import open_archive

    return open_archive(load_config(cfg_path), create=True)


@pytest.fixture
def place_and_archive(tmp_path):
    root = tmp_path / "机关"
    root.mkdir()
    cfg_path = write_config(root)
    place = tmp_path / "NAS" / "档案备份"
    return cfg_path, place


def test_three_days_of_incremental_sets_then_the_archive_is_lost_and_comes_back_whole(place_and_archive, tmp_path):
    from archive import catalog
    from archive.backup_sets import Retention, backup_to, read_manifest, restore_set, sets_of

    cfg_path, place = place_and_archive
    arc = _open(cfg_path)
    new_per_day = []
    for k, day in enumerate(DAY):
        for name in FILES[k * 2:k * 2 + 2]:  # a day's work: two more documents
            _file(arc, name)
        s = backup_to(arc, place, keep=Retention(7, 4, 12), now=day)
        new_per_day.append(s.new_files)
        assert s.files == len(catalog.referenced_files(arc.conn))
    names = sets_of(place)
    assert len(names) == 3 and names[0].startswith("20261201T020000+0800")
    # incremental: each day copies only that day's files; every set is whole by itself
    assert new_per_day[1] < read_manifest(place, names[1])["files"].__len__()
    assert sum(new_per_day) == len(list((place / "files").glob("*/*")))
    owned = {rel: sha for rel, sha in catalog.referenced_files(arc.conn).items()}
    codes = sorted(r["archival_code"] or "" for r in catalog.all_records(arc.conn))
    arc.close()
    # the first place is lost: the archive's whole folder
    shutil.rmtree(cfg_path.parent)
    target = tmp_path / "恢复"
    restored = restore_set(place, target)
    try:
        assert sorted(r["archival_code"] or "" for r in catalog.all_records(restored.conn)) == codes
        assert catalog.referenced_files(restored.conn) == owned
        assert all(restored.store.abspath(rel).is_file() for rel in owned)
        assert problems(restored) == []
    finally:
        restored.close()


def test_the_rule_keeps_the_newest_of_days_weeks_and_months_and_the_place_drops_unneeded_files(tmp_path):
    from archive.backup_sets import Retention, kept_sets
    from archive.display import zone

    tz = zone("Asia/Shanghai")
    start = dt.datetime(2026, 1, 1, 3, 0, tzinfo=tz)
    names = [(start + dt.timedelta(days=d)).strftime("%Y%m%dT%H%M%S%z") for d in range(120)]
    kept = kept_sets(names, Retention(daily=7, weekly=4, monthly=3), tz)
    assert names[-1] in kept
    assert set(names[-7:]) <= kept  # the last seven days
    assert len(kept) <= 7 + 4 + 3
    months = {n[:6] for n in kept}
    assert months >= {"202604", "202603", "202602"}
    assert not any(n.startswith("202601") for n in kept)  # four months back: beyond the rule


def test_pruning_removes_old_sets_and_only_files_no_kept_set_needs(place_and_archive):
    from archive.backup_sets import Retention, backup_to, read_manifest, sets_of

    cfg_path, place = place_and_archive
    arc = _open(cfg_path)
    try:
        _file(arc, FILES[0])
        backup_to(arc, place, now=DAY[0])
        _file(arc, FILES[1])
        backup_to(arc, place, now=DAY[1])
        s = backup_to(arc, place, keep=Retention(daily=1, weekly=0, monthly=0), now=DAY[2])
        assert sets_of(place) == [s.name] and len(s.removed_sets) == 2
        needed = set(read_manifest(place, s.name)["files"])
        held = {p.relative_to(place).as_posix() for p in (place / "files").glob("*/*")}
        assert held == needed  # every file of the kept set is still there; none else
        stranger = place / "files" / "zz-说明.txt"  # not of the place's own pattern: never removed
        stranger.write_text("管理员的说明", encoding="utf-8")
        backup_to(arc, place, keep=Retention(daily=1, weekly=0, monthly=0), now=DAY[2] + dt.timedelta(hours=1))
        assert stranger.exists()
        assert all(arc.store.abspath(rel).is_file() for rel in needed)  # the archive's store untouched
    finally:
        arc.close()


def test_the_drill_is_recorded_and_a_damaged_place_fails_it_then_a_full_backup_repairs_it(place_and_archive):
    from archive import catalog
    from archive.backup_sets import backup_to, drill, read_manifest, sets_of

    cfg_path, place = place_and_archive
    arc = _open(cfg_path)
    try:
        for name in FILES[:3]:
            _file(arc, name)
        backup_to(arc, place, now=DAY[0])
        r = drill(arc, place)
        assert r.ok and r.documents == catalog.count_documents(arc.conn)
        ev = catalog.last_event(arc.conn, "backup_drill")
        assert ev["detail"]["ok"] is True and ev["detail"]["set"] == sets_of(place)[-1]
        # one byte of one file in the place changes (the NAS's disk): the drill says so and records it
        rel = sorted(read_manifest(place, sets_of(place)[-1])["files"])[0]
        victim = place / rel
        os.chmod(victim, 0o644)
        data = bytearray(victim.read_bytes())
        data[len(data) // 2] ^= 0xFF
        victim.write_bytes(bytes(data))
        bad = drill(arc, place)
        assert not bad.ok and "校验值" in (bad.first_error or "")
        assert catalog.last_event(arc.conn, "backup_drill")["detail"]["ok"] is False
        # an incremental set trusts what is there (same size): only --full finds and rewrites the damage
        s = backup_to(arc, place, full=True, now=DAY[1])
        assert s.verified == s.files and s.new_files == 1
        assert drill(arc, place).ok
    finally:
        arc.close()


def test_a_place_inside_the_archive_of_another_fonds_or_foreign_is_refused(place_and_archive, tmp_path):
    from archive.backup_sets import backup_to
    from archive.errors import BackupError

    cfg_path, place = place_and_archive
    arc = _open(cfg_path)
    try:
        with pytest.raises(BackupError, match="档案库的文件夹"):
            backup_to(arc, cfg_path.parent / "备份")
        foreign = tmp_path / "别的文件"
        foreign.mkdir()
        (foreign / "报表.xlsx").write_text("x")
        with pytest.raises(BackupError, match="不是空文件夹"):
            backup_to(arc, foreign)
        backup_to(arc, place, now=DAY[0])
        label = place / "档案备份.json"
        label.write_text(label.read_text(encoding="utf-8").replace('"Z109"', '"Z999"'), encoding="utf-8")
        with pytest.raises(BackupError, match="全宗 Z999"):
            backup_to(arc, place, now=DAY[1])
    finally:
        arc.close()


def test_the_command_line_backs_up_to_the_configured_place_drills_and_restores(tmp_path):
    root = tmp_path / "机关"
    root.mkdir()
    place = tmp_path / "NAS"
    cfg_path = write_config(root, text=(ROOT / "config.toml").read_text(encoding="utf-8")
                            + f'\n[backup]\nto = "{place}"\nkeep_daily = 3\n')
    (root / "inbox").mkdir()
    for name in FILES[:2]:
        shutil.copy(SAMPLES / name, root / "inbox" / name)
    assert run_cli(cfg_path, "watch", "--once").returncode == 0
    h = run_cli(cfg_path, "health", "--json")
    assert h.returncode == 1 and "不可用" in h.stdout  # a place configured, never written (or not mounted): 故障
    r = run_cli(cfg_path, "backup", "--incremental")
    assert r.returncode == 0, r.stderr
    assert "新复制 2 个" in r.stderr
    r = run_cli(cfg_path, "backup")
    assert r.returncode == 0 and "新复制 0 个" in r.stderr
    assert run_cli(cfg_path, "backup", "--incremental", "--full").returncode == 2
    d = run_cli(cfg_path, "restore", "--drill")
    assert d.returncode == 0 and "恢复演练通过" in d.stderr, d.stderr
    work = tmp_path / "演练"  # a big archive drills on a disk with room: --to names where
    assert "不存在" in run_cli(cfg_path, "restore", "--drill", "--to", str(work)).stderr
    work.mkdir()
    d = run_cli(cfg_path, "restore", "--drill", "--to", str(work))
    assert d.returncode == 0 and "恢复演练通过" in d.stderr and list(work.iterdir()) == [], d.stderr
    h = run_cli(cfg_path, "health", "--json")
    assert h.returncode == 0, h.stdout
    assert '"恢复演练"' in h.stdout and '"故障"' not in h.stdout
    r = run_cli(cfg_path, "restore", str(place), "--to", str(tmp_path / "恢复"))
    assert r.returncode == 0, r.stderr
    assert "2 条记录" in r.stderr


@pytest.mark.slow
def test_kill_9_while_a_set_is_written_leaves_no_set_and_the_next_run_completes(place_and_archive):
    from archive.backup_sets import backup_to, drill, sets_of

    cfg_path, place = place_and_archive
    arc = _open(cfg_path)
    for name in FILES[:3]:
        _file(arc, name)
    backup_to(arc, place, now=DAY[0])
    _file(arc, FILES[3])
    arc.close()
    env = {**os.environ, "ARCHIVE_FAULT_STAGE": "backup-set-writing", "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "archive", "--config", str(cfg_path), "backup", "--to", str(place)],
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == -9
    assert len(sets_of(place)) == 1 and list((place / "sets").glob(".part-*"))
    arc = _open(cfg_path)
    try:
        s = backup_to(arc, place, now=DAY[1])
        assert sets_of(place)[-1] == s.name and not list((place / "sets").glob(".part-*"))
        assert drill(arc, place).ok
    finally:
        arc.close()


def test_an_archive_of_the_previous_release_is_upgraded_only_after_a_checked_copy(tmp_path):
    """The fixture was made by release 5d2ccb2 (catalog version 15). Opening it with this program migrates the
    catalog; the copy taken first is whole and of the old version, the upgrade is in the log, and every 档号 is
    kept."""
    from archive import catalog
    from archive.schema import SCHEMA_VERSION

    old = copy_prepared(FIXTURES / "release_5d2ccb2", tmp_path / "旧版")
    raw = sqlite3.connect(old / "store" / "catalog.sqlite")
    before_version = raw.execute("PRAGMA user_version").fetchone()[0]
    before = sorted(r[0] or "" for r in raw.execute("SELECT archival_code FROM documents"))
    raw.close()
    if SCHEMA_VERSION == before_version:
        pytest.skip("no catalog migration since release 5d2ccb2")
    r = run_cli(old / "config.toml", "list", "--json")
    assert r.returncode == 0, r.stderr
    assert f"从版本 {before_version} 升级到 {SCHEMA_VERSION}" in r.stderr and "如何退回.txt" in r.stderr
    copies = list((old / "store" / "upgrade-backups").glob("catalog-v*.sqlite"))
    assert len(copies) == 1
    saved = sqlite3.connect(copies[0])
    assert saved.execute("PRAGMA user_version").fetchone()[0] == before_version
    assert sorted(r[0] or "" for r in saved.execute("SELECT archival_code FROM documents")) == before
    saved.close()
    arc = _open(old / "config.toml")
    try:
        assert sorted(r["archival_code"] or "" for r in catalog.all_records(arc.conn)) == before
        ev = catalog.last_event(arc.conn, "upgrade")
        assert ev["detail"]["from"] == before_version and ev["detail"]["backup"] == copies[0].name
        assert problems(arc) == []
    finally:
        arc.close()
    again = run_cli(old / "config.toml", "list")
    assert "升级" not in again.stderr  # once only


def test_an_unwritable_upgrade_copy_leaves_the_catalog_unchanged(tmp_path):
    from archive.schema import SCHEMA_VERSION

    old = copy_prepared(FIXTURES / "release_5d2ccb2", tmp_path / "旧版")
    version = sqlite3.connect(old / "store" / "catalog.sqlite").execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        pytest.skip("no catalog migration since release 5d2ccb2")
    (old / "store" / "upgrade-backups").write_text("挡住文件夹")  # a file where the folder must go
    r = run_cli(old / "config.toml", "list")
    assert r.returncode != 0 and "未升级" in r.stderr
    assert sqlite3.connect(old / "store" / "catalog.sqlite").execute("PRAGMA user_version").fetchone()[0] == version


@pytest.mark.slow
def test_two_processes_opening_an_old_archive_together_both_work_and_every_copy_is_whole(tmp_path):
    """Two programs start on an archive of the previous release at once (the watcher and the web page after an
    upgrade): the copy is taken under the catalog's write lock, so each copy is one state of version 15 and
    neither process fails its check because the other was migrating meanwhile."""
    from archive.schema import SCHEMA_VERSION

    old = copy_prepared(FIXTURES / "release_5d2ccb2", tmp_path / "旧版")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "archive", "--config", str(old / "config.toml"), "list"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], results
    copies = sorted((old / "store" / "upgrade-backups").glob("catalog-v*.sqlite"))
    assert copies
    for c in copies:
        conn = sqlite3.connect(c)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 15
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
    assert sqlite3.connect(old / "store" / "catalog.sqlite").execute("PRAGMA user_version").fetchone()[0] \
        == SCHEMA_VERSION


def test_a_second_backup_into_a_place_being_written_is_refused_not_interleaved(place_and_archive):
    """The nightly timer and a clerk's run at once: the second is refused with one line, so the first's unfinished
    set is never swept and the files it is copying are never removed as unneeded."""
    import fcntl

    from archive.backup_sets import LABEL, backup_to, sets_of
    from archive.errors import BackupError

    cfg_path, place = place_and_archive
    arc = _open(cfg_path)
    try:
        _file(arc, FILES[0])
        backup_to(arc, place, now=DAY[0])
        fd = os.open(place / LABEL, os.O_RDONLY)  # another process's run, in the middle of its set
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with pytest.raises(BackupError, match="另一个备份正在写入"):
                backup_to(arc, place, now=DAY[1])
        finally:
            os.close(fd)
        backup_to(arc, place, now=DAY[1])
        assert len(sets_of(place)) == 2
    finally:
        arc.close()
