"""The declared columns of a record (archive/schema.py) and the one write path (catalog, Archive.writing)."""

import sqlite3

import pytest

from archive import catalog, schema
from archive.config import load_config


def test_the_declared_columns_give_the_lists_every_existing_catalog_relies_on():
    # the digest order is in every event log already written: it must never change
    assert schema.SEALED_COLUMNS == (
        "archival_code", "fonds", "year", "retention", "org", "item_no", "doc_number", "doc_number_raw", "title",
        "issuer", "date", "doc_type", "secrecy", "urgency", "pages", "status", "sha256", "filename", "stored_path",
        "media_type", "size", "recipients", "signer", "cc", "printer", "print_date", "note", "rule_id", "basis")
    assert schema.RECORD_KEYS == (
        "id", "archival_code", "fonds", "year", "retention", "org", "item_no", "doc_number", "doc_number_raw",
        "title", "issuer", "date", "doc_type", "secrecy", "urgency", "pages", "status", "rule_id", "basis",
        "sha256", "filename")
    assert set(schema.IMPORTABLE) == {
        "archival_code", "fonds", "year", "retention", "org", "item_no", "doc_number_raw", "title", "issuer",
        "date", "doc_type", "secrecy", "urgency", "pages", "status", "recipients", "signer", "cc", "printer",
        "print_date", "note", "relation", "rule_id", "basis", "reason", "retention_old",
        "copy_no", "stamp", "annotation"}  # migration 18 (issue 26): 份号, 印章, 附注
    assert len({c.seal for c in schema.COLUMNS if c.seal is not None}) == len(schema.SEALED_COLUMNS)


def test_every_column_of_the_table_is_declared_once(tmp_path):
    conn = catalog.connect(tmp_path / "catalog.sqlite")
    table = [r[1] for r in conn.execute("PRAGMA table_info(documents)")]
    assert sorted(table) == sorted(c.name for c in schema.COLUMNS)
    assert len(schema.BY_NAME) == len(schema.COLUMNS)


def test_a_write_names_only_declared_columns(tmp_path):
    conn = catalog.connect(tmp_path / "catalog.sqlite")
    with pytest.raises(ValueError):
        catalog.update_record(conn, 1, {"title=title; --": "x"})
    with pytest.raises(ValueError):
        catalog.set_classification(conn, 1, {"title": "x"}, reason=None)


def test_writing_takes_the_lock_and_rolls_back_on_error(tmp_path, cfg_path):
    from archive.session import open_archive

    arc = open_archive(load_config(cfg_path), create=True)
    with pytest.raises(sqlite3.IntegrityError):
        with arc.change() as tx:
            conn = tx.conn
            assert arc._lock_depth == 1 and conn.in_transaction
            doc = catalog.insert_record(conn, {"status": "pending", "ingested_at": "t", "updated_at": "t"}, "正文")
            catalog.insert_record(conn, {"id": doc, "status": "pending", "ingested_at": "t", "updated_at": "t"}, "")
    assert arc._lock_depth == 0
    assert arc.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    arc.close()
