"""An archive of 公文 as text files, ingested through the real pipeline, for the search tests."""

from __future__ import annotations

from archive import pipeline
from pathlib import Path

from tests.conftest import write_config
from tests.makedocs import make_text


def ingested(tmp_path: Path, engine: str, docs: list[tuple[str, list[str], str]]):
    """Open a new archive with the ``engine`` full-text backend and ingest each (file name, lines, 文号) of ``docs``;
    returns (archive, {文号: record id}, config path). The caller closes the archive."""
    from archive.config import load_config
    from archive.session import open_archive

    cfg_path = write_config(tmp_path, **{'engine = "sqlite"': f'engine = "{engine}"'})
    arc = open_archive(load_config(cfg_path), create=True)
    src = tmp_path / "src"
    src.mkdir()
    ids = {}
    for name, lines, number in docs:
        r = pipeline.ingest_file(arc, make_text(src / name, "\n".join(lines)))
        assert r.record and r.record["doc_number"] == number, (r.outcome, r.reason, r.record)
        ids[number] = r.record["id"]
    return arc, ids, cfg_path
