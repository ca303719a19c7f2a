"""Review of pending documents, confirm and reclassify (archive.review) on a real archive."""

from __future__ import annotations

import json

import pytest

from archive import pipeline
from archive import catalog
from archive.errors import ReviewError
from archive.review import confirm, pending, reclassify
from archive.verify import verify
from conftest import copy_prepared, write_config
from gongwen_gen import gongwen_lines
from makedocs import make_pdf
from tests.clirun import run_config


@pytest.fixture(scope="module")
def _mixed_template(tmp_path_factory):
    from archive.config import load_config
    from archive.session import open_archive

    folder = tmp_path_factory.mktemp("review")
    arc = open_archive(load_config(write_config(folder)), create=True)
    try:
        for i, kind in enumerate((0, 0, 9, 3)):  # two 永久 BGS, one pending (unknown company), one 10年
            pipeline.ingest_file(arc, make_pdf(folder / f"{i}.pdf", gongwen_lines(i, kind, 2021)))
    finally:
        arc.close()
    return folder


@pytest.fixture
def mixed(_mixed_template, cfg_path):
    """The module's archive (filed once) copied for this test, its config at ``cfg_path``."""
    from archive.config import load_config
    from archive.session import open_archive

    copy_prepared(_mixed_template, cfg_path.parent)
    arc = open_archive(load_config(cfg_path))
    yield arc
    arc.close()


def _by(arc, **where):
    k, v = next(iter(where.items()))
    return arc.conn.execute(f"SELECT * FROM documents WHERE {k}=?", (v,)).fetchone()


def test_review_lists_pending_with_why(mixed):
    items = pending(mixed.conn)
    assert len(items) == 1 and items[0].why == "没有规则适用"
    assert items[0].to_json()["reason"] == "没有规则适用"


def test_the_first_pending_records_and_their_count_without_reading_them_all(mixed, tmp_path):
    for i in range(3):  # more 待定 (unknown company)
        pipeline.ingest_file(mixed, make_pdf(tmp_path / f"p{i}.pdf", gongwen_lines(10 + i, 9, 2022)))
    every = pending(mixed.conn)
    assert len(every) == catalog.count_pending(mixed.conn) == 4
    assert [p.record["id"] for p in pending(mixed.conn, limit=2)] == [p.record["id"] for p in every[:2]]
    assert catalog.count_pending(mixed.conn, "NOSUCH") == 0


def test_confirm_allocates_the_next_number_and_logs_who_and_why(mixed):
    row = _by(mixed, status="pending")
    rec = confirm(mixed, row, retention="D30", org="YWK", reason="业务来函，30年")
    assert rec["status"] == "archived" and rec["archival_code"] == "Z109-WS·2021-D30-YWK-0001"
    ev = catalog.events_for(mixed.conn, row["id"])[-1]
    detail = json.loads(ev["detail"])
    assert ev["action"] == "confirm" and ev["actor"] == catalog.actor()
    assert detail["before"]["status"] == "pending" and detail["after"]["archival_code"] == rec["archival_code"]
    assert detail["reason"] == "业务来函，30年"
    with pytest.raises(ReviewError, match="不是待定"):
        confirm(mixed, _by(mixed, id=row["id"]), retention="Y", org="BGS")
    assert verify(mixed).ok


def test_confirm_exclude_and_bad_org(mixed):
    row = _by(mixed, status="pending")
    with pytest.raises(ReviewError, match="不在 config.toml"):
        confirm(mixed, row, retention="D10", org="XYZ")
    rec = confirm(mixed, row, retention=None, org=None, exclude=True)
    assert rec["status"] == "excluded" and rec["archival_code"] is None


def test_two_confirms_of_one_pending_record_the_second_is_refused_under_the_lock(mixed):
    """Two clerks (two handles, two threads) confirm the same 待定 record at once, one to archive it, one to
    exclude it, each on the record as they read it: the one that gets the lock second re-reads the record under
    the lock, finds it decided and is refused with the reason; exactly one decision stands."""
    import threading

    from archive.session import open_archive
    from archive.words import status_name

    row_id = _by(mixed, status="pending")["id"]
    handles = [open_archive(mixed.cfg) for _ in range(2)]
    both_read = threading.Barrier(2)
    results: list = [None, None]

    def clerk(i: int) -> None:
        arc = handles[i]
        row = catalog.get_record(arc.conn, row_id)  # both read it while it is still 待定
        both_read.wait()
        try:
            if i == 0:
                results[i] = confirm(arc, row, retention="D30", org="YWK", reason="业务来函，30年")
            else:
                results[i] = confirm(arc, row, retention=None, org=None, exclude=True, reason="重份")
        except ReviewError as e:
            results[i] = e

    threads = [threading.Thread(target=clerk, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, ReviewError)]
    assert len(done) == 1 and len(refused) == 1, results
    why = str(refused[0])
    assert f"记录 {row_id} 已于 " in why and f"由 {catalog.actor()} 处理为{status_name(done[0]['status'])}" in why
    assert why.endswith("未作更改：请重新查看后再操作")
    for arc in handles:
        arc.close()
    now = _by(mixed, id=row_id)
    assert now["status"] == done[0]["status"] and now["archival_code"] == done[0]["archival_code"]
    assert [e["action"] for e in catalog.events_for(mixed.conn, row_id)].count("confirm") == 1
    assert verify(mixed).ok


def test_a_reclassify_on_a_stale_reading_is_refused(mixed):
    """A record changed after it was read (here: reclassified by someone else) is not changed again on the
    old reading; read afresh, the change goes ahead."""
    stale = _by(mixed, archival_code="Z109-WS·2021-Y-BGS-0001")
    reclassify(mixed, stale, retention="D30", reason="经复核属一般性业务文件")
    with pytest.raises(ReviewError, match=r"已于 .* 修改，未作更改"):
        reclassify(mixed, stale, org="YWK", reason="改机构")
    assert _by(mixed, id=stale["id"])["org"] == "BGS"
    assert reclassify(mixed, _by(mixed, id=stale["id"]), org="YWK", reason="改机构")["org"] == "YWK"


def test_reclassify_moves_to_a_new_number_and_the_gap_is_explained(mixed):
    row = _by(mixed, archival_code="Z109-WS·2021-Y-BGS-0001")
    rec = reclassify(mixed, row, retention="D30", reason="经复核属一般性业务文件")
    assert rec["archival_code"] == "Z109-WS·2021-D30-BGS-0001" and rec["retention"] == "D30"
    detail = json.loads(catalog.events_for(mixed.conn, row["id"])[-1]["detail"])
    assert detail["vacated_code"] == "Z109-WS·2021-Y-BGS-0001"
    rep = verify(mixed)
    assert rep.ok, [f.message for f in rep.errors]  # Y-BGS-0001 is now a gap, explained by the event
    # excluded after all: the number is vacated too, and never reused
    rec2 = reclassify(mixed, _by(mixed, archival_code="Z109-WS·2021-Y-BGS-0002"), status="excluded", reason="重份")
    assert rec2["archival_code"] is None and rec2["status"] == "excluded"
    back = reclassify(mixed, _by(mixed, id=rec2["id"]), status="archived", retention="Y", org="BGS", reason="误判")
    assert back["archival_code"] == "Z109-WS·2021-Y-BGS-0003"
    assert verify(mixed).ok
    with pytest.raises(ReviewError, match="没有变化"):
        reclassify(mixed, _by(mixed, id=rec2["id"]), retention="Y", reason="again")


def test_cli_review_and_confirm(mixed, cfg_path):
    mixed.close()
    run = lambda *a: run_config(cfg_path, *a)  # noqa: E731
    p = run("review", "--json")
    assert p.returncode == 0, p.stderr
    items = json.loads(p.stdout)
    assert [i["reason"] for i in items] == ["没有规则适用"]
    p = run("confirm", str(items[0]["id"]), "--retention", "10年", "--org", "BGS", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["archival_code"] == "Z109-WS·2021-D10-BGS-0002"
    p = run("reclassify", str(items[0]["id"]), "--retention", "永久", "--reason", "重要")
    assert p.returncode == 0 and "Z109-WS·2021-Y-BGS-0003" in p.stderr
