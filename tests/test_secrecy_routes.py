"""The one 涉密 gate asked by every way in (issue 22): ingest, watch (a real observer), web upload, attach,
``import catalog --files``, ``import package``, ``approve --file``, ``recover`` and ``verify``. Each case checks
"stored = 0" in the store (no file of that content under files/) and in the catalog (no record owns it).

The files are made by ``bench/secrecy_battery.py``'s builders (python-docx with a header or a ``w:sym`` star,
reportlab with a FreeText annotation, pypdf encryption), not by ``tests/makedocs.py``. The PDF mark stands in
an annotation, where the older text-layer check did not look: the cases fail on the code before the gate."""

from __future__ import annotations

import csv
import datetime as dt
import random
import sys
import threading
import time
from pathlib import Path

import pytest

from archive import catalog, pipeline
from archive.session import open_archive
from archive.store import sha256_file
from tests.conftest import write_config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import secrecy_battery as bat  # noqa: E402

MARK = "秘密★1年"


@pytest.fixture(scope="module")
def marked(tmp_path_factory) -> dict[str, Path]:
    """The marked files, made once: a DOCX with the mark only in its header, one with the star as a w:sym
    Wingdings run, a PDF whose mark is a FreeText annotation, and a password PDF (unreadable)."""
    out = tmp_path_factory.mktemp("marked")
    rnd = random.Random(22)
    made = {
        "docx_header": bat.make_docx(out / "页眉密级.docx", bat.doc_lines(rnd), mark=MARK, place="header"),
        "docx_sym": bat.make_docx(out / "符号星号.docx", bat.doc_lines(rnd), mark=MARK, place="sym"),
        "pdf_annot": bat.make_pdf(out / "批注密级.pdf", bat.doc_lines(rnd), mark=MARK, how="annot"),
    }
    (out / "u").mkdir()
    made["pdf_locked"] = bat.unreadable(out / "u", rnd)[0]
    return made


def fresh(folder: Path, name: str, src: Path) -> Path:
    """A copy of ``src`` under its own name (each case ingests its own copy)."""
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / name
    dest.write_bytes(src.read_bytes())
    return dest


def assert_not_stored(arc, path_or_sha) -> None:
    """stored = 0: no record (main file, further file, searchable PDF) owns the content, no file of it in the store."""
    sha = path_or_sha if isinstance(path_or_sha, str) else sha256_file(path_or_sha)
    assert catalog.owner_of(arc.conn, sha) is None, "a record owns the marked file"
    assert not [p for p in arc.store.files.rglob("*") if p.is_file() and p.name.startswith(sha)], "stored"


def held(arc, sha: str) -> bool:
    return arc.conn.execute("SELECT count(*) FROM secrecy_queue WHERE sha256=?", (sha,)).fetchone()[0] == 1


def refused_events(arc) -> int:
    return arc.conn.execute("SELECT count(*) FROM events WHERE action='refused'").fetchone()[0]


@pytest.fixture
def arc2(cfg):
    a = open_archive(cfg, create=True)
    yield a
    a.close()


# ---- ingest ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["docx_header", "docx_sym", "pdf_annot"])
def test_ingest_refuses_a_marked_file_from_the_inbox_and_leaves_it_in_refused(arc2, marked, kind):
    arc = arc2
    f = fresh(arc.cfg.inbox, marked[kind].name, marked[kind])
    sha = sha256_file(f)
    r = pipeline.ingest_file(arc, f, from_inbox=True)
    assert r.outcome == "refused" and "秘密" in r.reason, r
    assert_not_stored(arc, sha)
    left = [p for p in arc.cfg.refused_dir.rglob(f.name)]
    assert len(left) == 1 and sha256_file(left[0]) == sha, "the original, untouched, in refused/"
    assert refused_events(arc) == 1


def test_ingest_of_an_encrypted_pdf_stores_nothing(arc2, marked, tmp_path):
    f = fresh(tmp_path / "in", "加密.pdf", marked["pdf_locked"])
    r = pipeline.ingest_file(arc2, f)
    assert r.outcome in ("failed", "held", "refused"), r
    assert_not_stored(arc2, f)


# ---- watch: a real observer -----------------------------------------------------------------------------------
def test_watch_refuses_marked_files_dropped_into_the_inbox(tmp_path, marked):
    from archive.config import load_config
    from archive.watch import InboxWatcher

    cfg = load_config(write_config(tmp_path, **{"settle_seconds = 2.0": "settle_seconds = 0.5"}))
    cfg.inbox.mkdir(parents=True, exist_ok=True)
    arc = open_archive(cfg, create=True)
    watcher = InboxWatcher(arc)
    t = threading.Thread(target=watcher.run, daemon=True)
    t.start()
    try:
        time.sleep(1.0)  # observer running
        names = ["docx_header", "docx_sym", "pdf_annot", "pdf_locked"]
        shas = []
        for k in names:
            stage = fresh(tmp_path / "stage", marked[k].name, marked[k])
            shas.append(sha256_file(stage))
            stage.replace(cfg.inbox / stage.name)
        end = time.monotonic() + 300
        while len(watcher.results) < len(names) and time.monotonic() < end and t.is_alive():
            time.sleep(0.3)
        assert len(watcher.results) == len(names), watcher.results
    finally:
        watcher.stop_event.set()
        t.join(60)
    outcomes = {Path(r.file).name: r.outcome for r in watcher.results}
    assert all(outcomes[marked[k].name] == "refused" for k in names[:3]), outcomes
    assert outcomes[marked["pdf_locked"].name] in ("failed", "held"), outcomes
    for sha in shas:
        assert_not_stored(arc, sha)
    assert not [p for p in cfg.inbox.rglob("*") if p.is_file()], "every original left the inbox"
    arc.close()


# ---- web upload -----------------------------------------------------------------------------------------------
def test_web_upload_refuses_marked_files(cfg, marked):
    from archive.web import accounts, create_app
    from tests.test_web import PASSWORD, login, token

    arc = open_archive(cfg, create=True)
    accounts.add_user(arc.conn, "wen", "文书", PASSWORD)
    arc.close()
    app = create_app(cfg)
    try:
        c = login(app, "wen")
        for k in ("docx_header", "docx_sym", "pdf_annot"):
            r = c.post("/file", data={"csrf": token(c, "/file")},
                       files={"files": (marked[k].name, marked[k].read_bytes())})
            assert 'data-outcome="refused"' in r.text and "涉密" in r.text, k
    finally:
        app.state.web.close()
    arc = open_archive(cfg)
    try:
        for k in ("docx_header", "docx_sym", "pdf_annot"):
            assert_not_stored(arc, marked[k])
    finally:
        arc.close()


# ---- attach ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["docx_sym", "pdf_annot", "pdf_locked"])
def test_attach_refuses_a_marked_or_unreadable_file(arc2, marked, tmp_path, kind):
    from archive.attach import AttachError, attach

    plain = tmp_path / "正文.txt"
    plain.write_text("示例县档案局文件\n示档发〔2024〕3号\n关于春季档案检查的通知\n各科室：\n现将有关事项通知如下。\n",
                     encoding="utf-8")
    rec = pipeline.ingest_file(arc2, plain).record
    row = catalog.get_record(arc2.conn, rec["id"])
    f = fresh(tmp_path / "a", marked[kind].name, marked[kind])
    with pytest.raises(AttachError):
        attach(arc2, row, str(f), "附件")
    assert_not_stored(arc2, f)
    assert catalog.get_record(arc2.conn, rec["id"])["updated_at"] == row["updated_at"]


# ---- import catalog --files -----------------------------------------------------------------------------------
def test_import_catalog_files_refuses_marked_and_holds_unreadable(arc2, marked, tmp_path):
    from archive.import_catalog import import_catalog

    files = tmp_path / "files"
    files.mkdir()
    codes = {"docx_header": "Z109-WS·2015-Y-BGS-0001", "pdf_annot": "Z109-WS·2015-Y-BGS-0002",
             "pdf_locked": "Z109-WS·2015-Y-BGS-0003"}
    rows = [["档号", "责任者", "题名", "日期"]]
    for k, code in codes.items():
        fresh(files, code + marked[k].suffix, marked[k])
        rows.append([code, "示例县档案局", f"关于{k}的通知", "2015-03-02"])
    src = tmp_path / "目录.csv"
    with open(src, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    rep = import_catalog(arc2, src, files_dir=files)
    assert rep.imported == 0, rep.to_json() if hasattr(rep, "to_json") else rep
    for k in codes:
        assert_not_stored(arc2, marked[k])
    assert held(arc2, sha256_file(marked["pdf_locked"])), "the password PDF waits for the 保密员"


# ---- import package -------------------------------------------------------------------------------------------
def test_import_package_refuses_a_planted_marked_file(tmp_path, marked):
    """A package exported by another archive whose store already held a marked file (planted there as a file the
    program wrote itself, past the gate) and an encrypted PDF: neither is stored by import package."""
    from archive.config import load_config
    from archive.export.package import export_package, import_package
    from archive.importing import ImportedFile, import_record

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    src_arc = open_archive(load_config(write_config(tmp_path / "a")), create=True)
    for n, k in enumerate(("pdf_annot", "pdf_locked", "docx_sym"), start=1):
        if k == "docx_sym":  # a clean record beside them: the package imports what is clear
            f = tmp_path / "clean.txt"
            f.write_text("示例县档案局文件\n关于春季档案检查的通知\n", encoding="utf-8")
        else:
            f = marked[k]
        import_record(src_arc, {"archival_code": f"Z109-WS·2019-Y-BGS-000{n}", "title": f"文件{n}",
                                "issuer": "示例县档案局", "date": "2019-06-01"},
                      ImportedFile(f, written=True), source={"test": True})
    out = tmp_path / "pkg"
    export_package(src_arc, 2019, out)
    src_arc.close()
    dst = open_archive(load_config(write_config(tmp_path / "b")), create=True)
    try:
        refused: list = []
        done = import_package(dst, out, refused=refused)
        assert len(done) == 1 and len(refused) == 2, (done, refused)
        assert_not_stored(dst, marked["pdf_annot"])
        assert_not_stored(dst, marked["pdf_locked"])
    finally:
        dst.close()


# ---- approve --file -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["pdf_annot", "pdf_locked"])
def test_approve_with_a_marked_or_unreadable_file_changes_nothing(arc2, marked, tmp_path, kind):
    from archive import appraisal
    from archive.importing import ImportedFile, SecretRecordError, import_record

    f = tmp_path / "old.txt"
    f.write_text("示例县档案局\n2009年的一份文件，独特词。\n", encoding="utf-8")
    rec = import_record(arc2, {"archival_code": "Z109-WS·2009-D10-BGS-0001", "title": "旧文件",
                               "issuer": "示例县档案局", "date": "2009-06-01"}, ImportedFile(f), source={"test": 1})
    row = catalog.get_record(arc2.conn, rec["id"])
    day = dt.date(2026, 1, 1)
    from tests.approved import GROUP, approve_table

    approve_table(arc2)
    a = appraisal.appraise(arc2, day, GROUP, [appraisal.Decision(row, "destroy", "无价值")]).appraisal["id"]
    events = arc2.conn.execute("SELECT count(*) FROM events WHERE action='approve'").fetchone()[0]
    approval = fresh(tmp_path / "批", marked[kind].name, marked[kind])
    with pytest.raises(SecretRecordError):
        appraisal.approve(arc2, a, leader="王局长", on=day, document="批示1", file=approval)
    assert appraisal.get(arc2.conn, a)["approved_at"] is None, "the approval was not committed"
    assert arc2.conn.execute("SELECT count(*) FROM events WHERE action='approve'").fetchone()[0] == events
    assert_not_stored(arc2, approval)


# ---- recover --------------------------------------------------------------------------------------------------
def test_recover_reports_a_marked_stored_file_and_makes_no_record_of_it(tmp_path, marked):
    from archive.config import load_config
    from archive.importing import ImportedFile, import_record
    from archive.recover import recover

    cfg = load_config(write_config(tmp_path))
    arc = open_archive(cfg, create=True)
    plain = tmp_path / "正文.txt"
    plain.write_text("示例县档案局文件\n关于春季档案检查的通知\n", encoding="utf-8")
    pipeline.ingest_file(arc, plain)
    leaked = import_record(arc, {"archival_code": "Z109-WS·2019-Y-BGS-0001", "title": "泄露", "issuer": "示例县档案局",
                                 "date": "2019-06-01"}, ImportedFile(marked["pdf_annot"], written=True),
                           source={"test": True})  # a marked file that got in before the gate
    leaked = dict(catalog.get_record(arc.conn, leaked["id"]))
    stored = arc.store.abspath(leaked["stored_path"])
    arc.close()
    (cfg.store / "catalog.sqlite").unlink()
    s = recover(cfg)
    assert s.records == 1 and [x["stored_path"] for x in s.secret] == [leaked["stored_path"]]
    arc = open_archive(cfg)
    try:
        assert catalog.owner_of(arc.conn, leaked["sha256"]) is None, "no record re-created for the marked file"
        assert stored.is_file(), "the stored file is left for the 保密员 (nothing deletes a stored file)"
        ev = arc.conn.execute("SELECT detail FROM events WHERE action='refused'").fetchall()
        assert len(ev) == 1 and "保密事件" in ev[0][0]
    finally:
        arc.close()


# ---- verify ---------------------------------------------------------------------------------------------------
def test_verify_finds_marked_stored_records(arc2, marked, tmp_path):
    """Records stored before the gate: a born-digital PDF whose mark is an annotation (the file-level gate finds
    it) and a record whose stored text carries a spaced mark (the text-level check finds it); a clean one is not
    a finding."""
    from archive.importing import ImportedFile, import_record
    from archive.verify import verify

    meta = {"title": "泄露", "issuer": "示例县档案局", "date": "2019-06-01"}
    import_record(arc2, {**meta, "archival_code": "Z109-WS·2019-Y-BGS-0001"},
                  ImportedFile(marked["pdf_annot"], written=True), source={"test": True})
    t = tmp_path / "plain.txt"
    t.write_text("临江县人民政府\n关于春耕的通知\n各乡镇：\n", encoding="utf-8")
    rec = import_record(arc2, {**meta, "archival_code": "Z109-WS·2019-Y-BGS-0002"}, ImportedFile(t),
                        source={"test": True})
    c = tmp_path / "clean.txt"
    c.write_text("临江县人民政府\n关于秋收的通知\n各乡镇：工作秘密事项另行通知。\n", encoding="utf-8")
    import_record(arc2, {**meta, "archival_code": "Z109-WS·2019-Y-BGS-0003"}, ImportedFile(c), source={"test": 1})
    with arc2.change() as tx:  # an older version's record: its text kept the mark the reader saw
        catalog.set_text(tx.conn, rec["id"], "秘 密★1年\n临江县人民政府\n关于春耕的通知\n")
    found = [f for f in verify(arc2).findings if f.item == "涉密信息" and f.severity == "error"]
    assert sorted(f.ref for f in found) == ["Z109-WS·2019-Y-BGS-0001", "Z109-WS·2019-Y-BGS-0002"], found
