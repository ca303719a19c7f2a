"""OCR in several processes (issue 24, OCR throughput): a long scan's pages read by helper processes of the
extraction worker, a batch's files read by several extraction workers; the text the same and in page order
as from one worker, and a worker killed while it reads fails only its own file. Real scans, real processes."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from archive import pipeline
from archive.config import load_config
from archive.extract.ocr import OcrSettings, available
from archive.extract.worker import ExtractWorker, Limits
from archive.session import open_archive
from tests.conftest import write_config
from tests.gongwen_gen import gongwen_lines
from tests.makescans import make_scan

_ocr = pytest.mark.skipif(
    available(OcrSettings()) is not None or shutil.which("pdftoppm") is None,
    reason="needs rapidocr-onnxruntime and poppler-utils (.ci/run installs them)")

DOC = gongwen_lines(0, kind=0, year=2022)  # 示档发〔2022〕1号, page 1
PAGES = [["附件一", "第一条为规范本局档案管理工作，制定本办法。"],
         ["附件二", "第二条本办法自印发之日起施行。"],
         ["附件三", "第三条本办法由县档案局负责解释。"]]


def _worker_processes() -> dict[int, list[str]]:
    """Our descendants that are extraction workers (or their page helpers): pid -> the files they hold open."""
    me = os.getpid()
    found = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().split(b"\0")
            if b"archive.extract.worker" not in cmd:
                continue
            pid, ancestors = int(d.name), set()
            p = pid
            while p > 1 and p not in ancestors:
                ancestors.add(p)
                p = int((Path("/proc") / str(p) / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if me not in ancestors:
                continue
            files = []
            for fd in (d / "fd").iterdir():
                try:
                    files.append(os.readlink(fd))
                except OSError:
                    pass
            found[pid] = files
        except (OSError, ValueError, IndexError):
            continue
    return found


def _parent(pid: int) -> int:
    return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])


class Watch(threading.Thread):
    """Looks at our extraction processes while a batch runs: the most seen at once; ``kill``: SIGKILL the
    process found holding that file open (once)."""

    def __init__(self, kill: Path | None = None, helper: bool = False):
        super().__init__(daemon=True)
        self.kill, self.killed, self.most = (str(kill) if kill else None), None, 0
        self.helper = helper  # kill a page helper (a worker's child), not a worker
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            procs = _worker_processes()
            self.most = max(self.most, len(procs))
            if self.kill and self.killed is None:
                for pid, files in procs.items():
                    if self.kill in files and (not self.helper or _parent(pid) != os.getpid()):
                        os.kill(pid, signal.SIGKILL)
                        self.killed = pid
            self.done.wait(0.02)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.join()


@pytest.fixture(scope="module")
def scans(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("scans")
    return {  # five pages of two lines: the 公文's first lines, then one page for each 附件
        "long": make_scan(d / "long.pdf", DOC[:4] + sum(PAGES, []), lines_per_page=2),
        "a": make_scan(d / "a.png", gongwen_lines(1, kind=0, year=2022)),
        "b": make_scan(d / "b.png", gongwen_lines(2, kind=0, year=2022)),
    }


@pytest.mark.slow
@_ocr
def test_a_long_scan_read_by_several_processes_gives_the_same_pages_in_order(scans):
    got, most = {}, {}
    for n in (1, 3):
        w = ExtractWorker(Limits(), ocr=OcrSettings(workers=n))
        try:
            with Watch() as watch:
                got[n] = w.extract(scans["long"])
        finally:
            w.close()
        most[n] = watch.most
    one, three = got[1], got[3]
    assert one.pages == three.pages == 5
    assert three.text == one.text and three.page_texts == one.page_texts
    assert three.page_confidences == one.page_confidences and three.warnings == one.warnings
    at = [next((i for i, t in enumerate(one.page_texts) if name in t.replace(" ", "")), None)
          for name in ("附件一", "附件二", "附件三")]
    assert at == [2, 3, 4], one.page_texts
    assert most == {1: 1, 3: 3}  # the worker and two page helpers read at once


def _texts(arc) -> dict[str, str]:
    rows = arc.conn.execute("SELECT d.filename AS name, t.text FROM documents d "
                            "JOIN document_texts t ON t.document_id = d.id").fetchall()
    return {r["name"]: r["text"] for r in rows}


def _ingest(tmp_path: Path, files: list[Path], workers: int, kill: Path | None = None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    cfg = load_config(write_config(tmp_path, **{"workers = 0 ": f"workers = {workers} "}))
    arc = open_archive(cfg, create=True)
    try:
        with Watch(kill) as watch:
            results = pipeline.ingest_many(arc, files)
        return results, _texts(arc), watch
    finally:
        arc.close()


@pytest.mark.slow
@_ocr
def test_a_batch_read_by_several_workers_files_the_same_text(scans, tmp_path):
    files = [scans["a"], scans["long"], scans["b"]]
    res1, text1, watch1 = _ingest(tmp_path / "one", files, 1)
    res2, text2, watch2 = _ingest(tmp_path / "two", files, 2)
    assert [r.file for r in res2] == [str(f) for f in files]  # results in the batch's order
    assert [r.outcome for r in res2] == [r.outcome for r in res1]
    assert [r.record["doc_number"] for r in res2] == [r.record["doc_number"] for r in res1]
    assert len(text1) == 3 and text2 == text1
    assert watch1.most == 1 and watch2.most == 2  # two files read at once


@pytest.mark.slow
@_ocr
def test_a_worker_killed_while_reading_fails_only_its_file(scans, tmp_path):
    files = [scans["a"], scans["long"], scans["b"]]
    results, texts, watch = _ingest(tmp_path / "two", files, 2, kill=scans["long"])
    assert watch.killed is not None and watch.most == 2
    by = {Path(r.file).name: r for r in results}
    assert by["long.pdf"].outcome == "failed" and "提取进程异常退出" in by["long.pdf"].reason, by["long.pdf"]
    assert "SIGKILL" in by["long.pdf"].reason
    assert by["a.png"].outcome in ("archived", "pending") and by["b.png"].outcome in ("archived", "pending")
    assert set(texts) == {"a.png", "b.png"}  # the killed file left nothing in the catalog
    _, alone, _ = _ingest(tmp_path / "alone", [scans["a"], scans["b"]], 1)
    assert texts == alone  # the others read as by one worker


def test_workers_setting_is_checked_and_bounded_by_memory(tmp_path):
    from archive.errors import ConfigError
    from archive.extract.ocr import model

    for bad in ('"2"', "-1", "true", "65"):
        with pytest.raises(ConfigError) as e:
            load_config(write_config(tmp_path, **{"workers = 0 ": f"workers = {bad} "}))
        assert "ocr.workers" in str(e.value)
    assert load_config(write_config(tmp_path, **{"workers = 0 ": "workers = 3 "})).ocr.worker_count() == 3
    auto = OcrSettings(workers=0).worker_count()
    assert 1 <= auto <= (os.cpu_count() or 1)
    assert auto <= max(1, model._available_mb() // model.OCR_PROCESS_MB)


@pytest.mark.slow
@_ocr
def test_a_secret_long_scan_read_by_several_processes_stops_and_is_refused(tmp_path):
    """Page 1 shows a 密级: as with one process, the reading ends with page 1 (the pages read meanwhile by the
    helpers are dropped) and the file is refused with nothing stored."""
    scan = make_scan(tmp_path / "secret.pdf", ["秘密★1年"] + DOC[:3] + sum(PAGES, []), lines_per_page=4)
    got, most = {}, {}
    for n in (1, 3):
        w = ExtractWorker(Limits(), ocr=OcrSettings(workers=n))
        try:
            with Watch() as watch:
                got[n] = w.extract(scan)
        finally:
            w.close()
        most[n] = watch.most
    assert most == {1: 1, 3: 3}
    assert got[3].text == got[1].text and got[3].page_texts == got[1].page_texts and len(got[1].page_texts) >= 1
    assert "秘密" in got[3].page_texts[0]
    cfg = load_config(write_config(tmp_path, **{"workers = 0 ": "workers = 3 "}))
    arc = open_archive(cfg, create=True)
    try:
        r = pipeline.ingest_file(arc, scan)
        assert r.outcome == "refused" and "涉密文件（秘密" in r.reason, r.reason
        assert arc.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
        assert not [p for p in arc.store.files.rglob("*") if p.is_file()]
    finally:
        arc.close()


@pytest.mark.slow
@_ocr
def test_a_page_helper_killed_while_reading_fails_its_file_and_the_worker_reads_on(scans):
    from archive.errors import ExtractionLimitError

    w = ExtractWorker(Limits(), ocr=OcrSettings(workers=3))
    try:
        with Watch(kill=scans["long"], helper=True) as watch:
            with pytest.raises(ExtractionLimitError) as e:
                w.extract(scans["long"])  # fail closed: no text of a file read in part
        assert watch.killed is not None and "SIGKILL" in str(e.value)
        alone = ExtractWorker(Limits(), ocr=OcrSettings(workers=1))
        try:
            assert w.extract(scans["a"]).text == alone.extract(scans["a"]).text  # the next file is read
        finally:
            alone.close()
    finally:
        w.close()
