import sqlite3

import pytest

from archive import catalog


def test_schema_is_created_once_and_versioned(tmp_path):
    path = tmp_path / "catalog.sqlite"
    conn = catalog.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == catalog.SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    conn = catalog.connect(path)  # reopening migrates nothing and loses nothing
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "catalog.sqlite"
    sqlite3.connect(path).execute("PRAGMA user_version=99")
    with pytest.raises(Exception, match="更新版本"):
        catalog.connect(path)


def test_event_log_is_hash_chained_and_append_only(tmp_path):
    conn = catalog.connect(tmp_path / "catalog.sqlite")
    for i in range(3):
        conn.execute("BEGIN")
        catalog.append_event(conn, "ingest", None, {"n": i, "名": "测试"})
        conn.execute("COMMIT")
    assert catalog.verify_chain(conn) == []
    rows = conn.execute("SELECT prev_hash, hash FROM events ORDER BY id").fetchall()
    assert rows[0][0] == catalog.GENESIS and rows[1][0] == rows[0][1] and rows[2][0] == rows[1][1]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE events SET detail='{}' WHERE id=2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM events WHERE id=2")


def test_tampering_behind_the_triggers_is_detected(tmp_path):
    conn = catalog.connect(tmp_path / "catalog.sqlite")
    for i in range(3):
        catalog.append_event(conn, "ingest", None, {"n": i})
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET detail='{\"n\": 9}' WHERE id=2")
    findings = catalog.verify_chain(conn)
    assert any("事件 2" in f for f in findings)
