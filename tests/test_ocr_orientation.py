"""A scan fed sideways or upside down is read upright; a page the fast path reads unsure is read again on the
careful path; the extraction worker can load the OCR engine before the first scan arrives (issue 24)."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from archive.extract import ocr
from archive.extract.ocr import engines
from archive.extract.worker import ExtractWorker, Limits
from tests.makescans import scan_pages

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None or ocr.available(ocr.OcrSettings()) is not None,
                                reason="needs pdftoppm and rapidocr-onnxruntime")

LINES = ["示例县人民政府文件", "示政发〔2024〕17号", "关于加强档案管理工作的通知",
         "各乡镇人民政府，县政府各部门：", "为做好档案工作，现将有关事项通知如下。"]
SETTINGS = ocr.OcrSettings(threads=1)
NUMBER = re.compile(r"示政发[〔\[［【(（]2024[〕\]］】)）]17号")  # the bracket's shape is not what is tested here


@pytest.fixture(scope="module")
def page():
    """The upper half of a real typeset page rasterised at 200 dpi (the half is cheaper to read)."""
    [im] = scan_pages(LINES)
    return im.crop((0, 0, im.width, im.height // 2))


def _read(image):
    [p] = ocr.ocr_pil_pages([(1, image, 200)], SETTINGS)
    return p, [re.sub(r"\s+", "", ln.text) for ln in p.lines]


def _where(lines: list[str], needle: str) -> int:
    return next((i for i, t in enumerate(lines) if needle in t), -1)


@pytest.mark.slow
@pytest.mark.parametrize("angle", [90, 180, 270])
def test_a_scan_fed_turned_is_read_upright_in_order(page, angle):
    p, lines = _read(page.rotate(angle, expand=True))  # counter-clockwise, as a sheet put in turned
    number, title = _where(lines, "示政发"), _where(lines, "档案管理工作")
    assert number >= 0 and title >= 0, lines
    assert _where(lines, "示例县人民政府文件") < number < title, lines  # each line on its own, top to bottom
    assert NUMBER.search(lines[number])
    assert p.turned == angle
    assert all(0 <= ln.top < ln.page_height == page.height and ln.page_width == page.width for ln in p.lines)


@pytest.mark.slow
def test_an_unsure_page_falls_back_to_the_careful_path(page, monkeypatch):
    """The orientation check off, an upside-down page reads unsure on the fast path (no angle classifier):
    the confidence gate sends it to the careful path, which reads its characters; without the gate the number
    is lost."""
    upside_down = page.rotate(180)
    monkeypatch.setattr(engines, "ORIENT_SAMPLE", 0)
    p, _ = _read(upside_down)
    assert NUMBER.search(re.sub(r"\s+", "", p.text))
    assert p.confidence is not None and p.confidence >= engines.ANGLE_RETRY_BELOW
    monkeypatch.setattr(engines, "ANGLE_RETRY_BELOW", 0.0)  # the fast path alone
    fast, _ = _read(upside_down)
    assert not NUMBER.search(re.sub(r"\s+", "", fast.text))


def _maps_onnxruntime(pid: int) -> bool:
    try:
        return "onnxruntime" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.mark.slow
def test_a_warmed_worker_has_the_engine_loaded_before_the_first_scan(page, tmp_path):
    scan = tmp_path / "scan.png"
    page.save(scan, dpi=(200, 200))
    w = ExtractWorker(Limits(), ocr=SETTINGS)
    try:
        w.warm()
        pid = w._proc.pid
        deadline = time.monotonic() + 300  # a bound on the wait, not a speed requirement
        while not _maps_onnxruntime(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _maps_onnxruntime(pid)  # loaded although no file was sent
        ex = w.extract(scan)
        assert w._proc.pid == pid  # the same child read the scan (the warm request has no reply to mix up)
        assert NUMBER.search(re.sub(r"\s+", "", ex.text))
    finally:
        w.close()


def test_det_max_side_is_a_setting_with_a_floor(tmp_path):
    from archive.config import load_config
    from archive.errors import ConfigError
    from tests.conftest import write_config

    assert load_config(write_config(tmp_path)).ocr.det_max_side == 1280
    cfg = load_config(write_config(tmp_path, **{"det_max_side = 1280 ": "det_max_side = 960 "}))
    assert cfg.ocr.det_max_side == 960
    for bad in ("100", "true", '"960"'):
        with pytest.raises(ConfigError) as e:
            load_config(write_config(tmp_path, **{"det_max_side = 1280 ": f"det_max_side = {bad} "}))
        assert "det_max_side" in str(e.value)


def _worker_of(store: Path) -> int | None:
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"archive.extract.worker" in cmd and str(store).encode() in cmd:
                return int(proc.name)
    return None


@pytest.mark.slow
def test_the_served_web_app_warms_its_extraction_worker(tmp_path):
    from starlette.testclient import TestClient

    from archive.config import load_config
    from archive.web import create_app
    from tests.conftest import write_config

    cfg = load_config(write_config(tmp_path))
    with TestClient(create_app(cfg)):
        time.sleep(0.5)
        assert _worker_of(cfg.store) is None  # the test apps (and the tests) do not pay for a warm worker
    with TestClient(create_app(cfg, warm_ocr=True)):
        deadline = time.monotonic() + 300  # a bound on the wait, not a speed requirement
        pid = None
        while time.monotonic() < deadline and not (pid and _maps_onnxruntime(pid)):
            pid = _worker_of(cfg.store)
            time.sleep(0.2)
        assert pid and _maps_onnxruntime(pid)  # loaded before any upload
