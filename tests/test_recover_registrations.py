"""Paper originals and boxes survive a lost catalog (archive/paper_journal.py): registered, the catalog deleted,
``archive recover`` puts them back on the rebuilt (待定) records and says how many it could and could not; a kill -9
between a registration's journal entry and its commit leaves both or neither, or recover reports the gap."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import copy_prepared
from tests.test_filing import _archive_process, cli, cli_json, rows
from tests.test_filing_outputs import _small_boxes, closed_year


@pytest.fixture(scope="module")
def closed(tmp_path_factory) -> Path:
    """A small year 2023 (4 groups) arranged, checked and closed."""
    return closed_year(tmp_path_factory.mktemp("paper-journal"), 4)


@pytest.fixture
def year(closed, tmp_path) -> Path:
    copy_prepared(closed, tmp_path / "a")
    cfg = tmp_path / "a" / "config.toml"
    _small_boxes(cfg, 4)  # several boxes a group
    return cfg


def registrations(cfg: Path) -> tuple[dict, dict]:
    """sha256 -> (有/无, by, at); sha256 -> (box key, thickness, arranged by/at, checked by/at, boxed_at)."""
    paper = {r["sha256"]: (r["state"], r["set_by"], r["set_at"]) for r in rows(
        cfg, "SELECT d.sha256, p.* FROM paper_originals p JOIN documents d ON d.id = p.document_id")}
    boxed = {r["sha256"]: tuple(r)[1:] for r in rows(
        cfg, "SELECT d.sha256, b.fonds, b.year, b.retention, b.org, b.box_no, b.thickness_mm, b.arranged_by, "
             "b.arranged_at, b.checked_by, b.checked_at, i.boxed_at FROM box_items i "
             "JOIN filing_boxes b ON b.id = i.box_id JOIN documents d ON d.id = i.document_id")}
    return paper, boxed


def lose_catalog(cfg: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        p = cfg.parent / "store" / f"catalog.sqlite{suffix}"
        if p.exists():
            p.unlink()


def recover(cfg: Path) -> dict:
    return cli_json(cfg, "recover")


def filed_codes(cfg: Path) -> list[str]:
    return [r["archival_code"] for r in rows(cfg, "SELECT archival_code FROM documents WHERE year=2023 AND "
                                                  "item_no IS NOT NULL AND status='archived' ORDER BY id")]


def register(cfg: Path) -> None:
    codes = filed_codes(cfg)
    cli(cfg, "arrange", "paper", "无", codes[0], codes[1], "--by", "张三")
    cli(cfg, "arrange", "paper", "有", "--year", "2023", "--by", "张三")
    cli(cfg, "arrange", "box", "--year", "2023", "--by", "张三", "--checked-by", "李四")


@pytest.mark.slow
def test_paper_and_boxes_survive_a_lost_catalog(year):
    register(year)
    paper, boxed = registrations(year)
    assert len(paper) > 10
    assert sum(1 for v in paper.values() if v[0] == "无") == 2 and len({v[:5] for v in boxed.values()}) > 4
    lose_catalog(year)
    s = recover(year)
    assert s["registrations"] == {"paper": len(paper), "paper_lost": 0, "boxes": len({v[:5] for v in boxed.values()}),
                                  "boxes_lost": 0, "boxed": len(boxed), "boxed_lost": 0, "unconfirmed": 0,
                                  "damaged": 0}
    assert registrations(year) == (paper, boxed)
    # the rebuilt records keep recover's rule: every one 待定, no 档号
    assert {r["status"] for r in rows(year, "SELECT status FROM documents")} == {"pending"}
    # a second loss: the same again (the journal is not consumed)
    lose_catalog(year)
    recover(year)
    assert registrations(year) == (paper, boxed)
    r = cli(year, "recover", ok=False)
    assert r.returncode == 1  # a readable catalog is never replaced


@pytest.mark.slow
def test_the_report_counts_what_could_not_be_restored(year):
    register(year)
    paper, boxed = registrations(year)
    store = year.parent / "store"
    # one box's paper originals lose their stored files (a damaged disk): the box cannot come back
    key = sorted({v[:5] for v in boxed.values()})[-1]
    gone = [sha for sha, v in boxed.items() if v[:5] == key]
    for sha in gone:
        for p in (store / "files" / sha[:2]).glob(sha + "*"):
            os.chmod(p, 0o600)
            p.unlink()
    journal = store / "journal" / "paper-boxes.jsonl"
    with open(journal, "ab") as f:
        f.write(b'{"id": "x", "kind": "paper", "paper": [["not a sha", "\xe6\x9c\x89", "a", "b"]]}\n{"done": "x"}\n{"id": "tor')
    lose_catalog(year)
    r = cli(year, "recover")
    said = r.stdout + r.stderr
    assert f"{len(gone)} 条纸质原件登记、1 个档案盒（盒内记录均未重建）、{len(gone)} 件的装盒登记的记录未能重建" in said
    assert "2 处内容无法读取" in said and "无法确认" not in said  # the bad item and the torn last line
    lose_catalog(year)
    s = recover(year)["registrations"]
    assert (s["paper"], s["paper_lost"], s["boxes_lost"], s["boxed_lost"]) == (
        len(paper) - len(gone), len(gone), 1, len(gone))
    after = registrations(year)
    assert after[1] == {sha: v for sha, v in boxed.items() if sha not in gone}


@pytest.mark.slow
def test_kill_9_between_journal_and_commit_leaves_both_or_neither_or_the_gap_is_reported(year):
    codes = filed_codes(year)
    journal = year.parent / "store" / "journal" / "paper-boxes.jsonl"
    # killed after the journal entry, before the commit: the catalog has nothing
    p = _archive_process(year, "arrange", "paper", "无", codes[0], "--by", "张三",
                         env={"ARCHIVE_FAULT_STAGE": "registration-journalled"})
    p.communicate()
    assert p.returncode == -9
    assert registrations(year)[0] == {}
    assert len(journal.read_text(encoding="utf-8").splitlines()) == 1  # the entry alone
    # and the catalog lost right then: recover does not replay what was never committed, and says so
    saved = year.parent / "saved.sqlite"
    (year.parent / "store" / "catalog.sqlite").rename(saved)
    r = cli(year, "recover")
    assert "1 次登记因程序中断无法确认是否完成" in r.stdout + r.stderr
    assert registrations(year)[0] == {}
    lose_catalog(year)
    saved.rename(year.parent / "store" / "catalog.sqlite")
    # killed after the commit, before its done line: the catalog has it; the next registration settles both
    p = _archive_process(year, "arrange", "paper", "无", codes[1], "--by", "张三",
                         env={"ARCHIVE_FAULT_STAGE": "registration-committed"})
    p.communicate()
    assert p.returncode == -9
    sha1 = rows(year, "SELECT sha256 FROM documents WHERE archival_code=?", codes[1])[0]["sha256"]
    assert registrations(year)[0][sha1][0] == "无"
    cli(year, "arrange", "paper", "有", codes[2], "--by", "张三")
    lines = [json.loads(x) for x in journal.read_text(encoding="utf-8").splitlines()]
    assert [next(iter(x)) for x in lines if "id" not in x] == ["void", "done", "done"]
    paper, _ = registrations(year)
    assert len(paper) == 2
    lose_catalog(year)
    s = recover(year)["registrations"]
    assert (s["paper"], s["unconfirmed"]) == (2, 0)
    assert registrations(year)[0] == paper


@pytest.mark.slow
def test_an_archive_registered_before_the_journal_gets_a_snapshot(year):
    register(year)
    paper, boxed = registrations(year)
    journal = year.parent / "store" / "journal" / "paper-boxes.jsonl"
    journal.unlink()  # as an archive registered before this change
    cli(year, "arrange", "paper", "有", "--year", "2022", "--by", "王五")
    kinds = [json.loads(x).get("kind") for x in journal.read_text(encoding="utf-8").splitlines()]
    assert kinds[0] == "snapshot"
    paper2, boxed2 = registrations(year)
    lose_catalog(year)
    s = recover(year)["registrations"]
    assert s["unconfirmed"] == 0 and s["boxed"] == len(boxed)
    assert registrations(year) == (paper2, boxed2) and set(paper) <= set(paper2)


def test_an_unwritable_journal_fails_the_registration_closed(year):
    codes = filed_codes(year)
    journal = year.parent / "store" / "journal"
    journal.mkdir()
    os.symlink("/dev/null", journal / "paper-boxes.jsonl")  # a hostile link: never followed
    r = cli(year, "arrange", "paper", "无", codes[0], "--by", "张三", ok=False)
    assert r.returncode == 1 and "登记日志" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert registrations(year)[0] == {}, "the registration is not committed without its journal entry"


@pytest.mark.slow
def test_paper_registered_at_arrangement_survives_at_once(year):
    """``arrange --paper`` registers inside the arrangement's unit of work: its entry is confirmed when that unit
    ends, so a catalog lost right after still gets it back (not 'unconfirmed')."""
    r = cli(year, "arrange", "--year", "2022", "--by", "张三", "--leave-pending", "--paper", "有")
    paper, _ = registrations(year)
    assert len(paper) > 0 and f"纸质原件登记为“有”：{len(paper)} 件" in r.stdout + r.stderr
    lose_catalog(year)
    s = recover(year)["registrations"]
    assert (s["paper"], s["unconfirmed"]) == (len(paper), 0)
    assert registrations(year)[0] == paper
