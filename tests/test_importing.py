"""Importing records whose 档号 was assigned elsewhere (archive.importing), on a real catalog and store."""

from __future__ import annotations

import json
import sqlite3

import pytest

from archive import catalog
from archive.importing import ImportedFile, ImportRecordError, attach_file, import_record
from archive.search import Filters, search
from makedocs import make_pdf, make_text

META = {"archival_code": "Z109-WS·2015-Y-BGS-0007", "doc_number_raw": "示档发[2015]3号",
        "title": "示例县档案局关于印发档案工作规划的通知", "issuer": "示例县档案局", "date": "2015-03-02"}


def test_record_keeps_its_code_and_raises_the_sequence(arc, tmp_path):
    f = make_text(tmp_path / "a.txt", "示例县档案局\n关于印发档案工作规划的通知\n馆藏数字化推进计划正文。")
    rec = import_record(arc, META, ImportedFile(f), source={"file": "old.xlsx", "row": 2})
    assert rec["archival_code"] == "Z109-WS·2015-Y-BGS-0007"
    assert (rec["fonds"], rec["year"], rec["retention"], rec["org"], rec["item_no"]) == ("Z109", 2015, "Y", "BGS", 7)
    assert rec["doc_number"] == "示档发〔2015〕3号" and rec["status"] == "archived"
    row = arc.conn.execute("SELECT origin, stored_path FROM documents WHERE id=?", (rec["id"],)).fetchone()
    assert row["origin"] == "import" and (arc.store.root / row["stored_path"]).exists()
    ev = catalog.events_for(arc.conn, rec["id"])
    assert ev[-1]["action"] == "import" and json.loads(ev[-1]["detail"])["row"] == 2
    # the next number allocated in that group follows the imported one
    from archive import archival_code
    arc.conn.execute("BEGIN IMMEDIATE")
    nxt = archival_code.allocate(arc.conn, "Z109", 2015, "Y", "BGS")
    arc.conn.execute("ROLLBACK")
    assert nxt.item_no == 8
    # findable by its number in another spelling and by its text
    hits = search(arc.conn, arc.index, "（2015）3号", Filters()).hits
    assert hits and hits[0].record["id"] == rec["id"]
    assert search(arc.conn, arc.index, "数字化推进", Filters()).hits[0].record["id"] == rec["id"]
    assert catalog.verify_chain(arc.conn) == []


def test_lower_imported_number_does_not_lower_the_sequence(arc):
    import_record(arc, {**META, "archival_code": "Z109-WS·2015-Y-BGS-0009"}, None, source={"row": 1})
    import_record(arc, {**META, "archival_code": "Z109-WS·2015-Y-BGS-0002"}, None, source={"row": 2})
    (last,) = arc.conn.execute("SELECT last_item FROM sequences WHERE year=2015").fetchone()
    assert last == 9


def test_record_without_a_file_then_attach(arc, tmp_path):
    rec = import_record(arc, META, None, source={"row": 3})
    assert rec["sha256"] is None and rec["filename"] is None
    pdf = make_pdf(tmp_path / "Z109-WS·2015-Y-BGS-0007.pdf", ["示例县档案局文件", "关于印发档案工作规划的通知", "扫描件挂接测试正文"])
    rec2 = attach_file(arc, rec["id"], ImportedFile(pdf), source={"dir": str(tmp_path)})
    assert rec2["sha256"] and rec2["filename"] == pdf.name and rec2["archival_code"] == rec["archival_code"]
    assert search(arc.conn, arc.index, "挂接测试", Filters()).hits[0].record["id"] == rec["id"]
    with pytest.raises(ImportRecordError, match="已有文件"):
        attach_file(arc, rec["id"], ImportedFile(pdf), source={})


@pytest.mark.parametrize("meta, message", [
    ({**META, "archival_code": "Z109-2015-0007"}, "不符合"),
    ({**META, "year": 2016}, "不一致"),
    ({**META, "date": "2015-02-30"}, "日期"),
    ({"title": "无档号", "status": "archived"}, "必须有档号"),
    ({**META, "colour": "red"}, "未知的字段"),
])
def test_invalid_records_are_refused_and_nothing_is_written(arc, meta, message):
    before = arc.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    with pytest.raises(ImportRecordError, match=message):
        import_record(arc, meta, None, source={})
    assert arc.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == before


def test_taken_code_and_stored_file_are_conflicts(arc, tmp_path):
    f = make_text(tmp_path / "a.txt", "正文甲")
    import_record(arc, META, ImportedFile(f), source={})
    with pytest.raises(ImportRecordError, match="已存在"):
        import_record(arc, META, None, source={})
    with pytest.raises(ImportRecordError, match="已在库中"):
        import_record(arc, {**META, "archival_code": "Z109-WS·2015-Y-BGS-0008"}, ImportedFile(f), source={})
    assert arc.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 1
    assert {p.name for p in arc.store.files.rglob("*") if p.is_file()}.__len__() == 1


def test_v2_catalog_migrates_without_losing_rows(tmp_path):
    """A catalog made by the previous release (schema 2) is rebuilt in place by migration 5."""
    path = tmp_path / "catalog.sqlite"
    conn = sqlite3.connect(path)
    for v in (1, 2):
        for stmt in catalog._split_sql(catalog._MIGRATIONS[v]):
            conn.execute(stmt)
    conn.execute("PRAGMA user_version=2")
    conn.execute("INSERT INTO documents(sha256, filename, media_type, size, status, ingested_at, updated_at) "
                 "VALUES ('ab', 'x.txt', 'text', 3, 'pending', 't', 't')")
    conn.execute("INSERT INTO document_texts VALUES (1, 'text')")
    conn.commit()
    conn.close()
    conn = catalog.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == catalog.SCHEMA_VERSION
    row = conn.execute("SELECT * FROM documents").fetchone()
    assert row["origin"] == "ingest" and row["sha256"] == "ab"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
        conn.execute("DELETE FROM documents")
