"""A clerk's day in a real browser: the real server (``archive serve`` on 127.0.0.1, a free port) and a real
headless Chromium (Debian chromium + chromium-driver) driven by Selenium.

Log in, upload a DOCX, a scanned PDF and a letter no rule decides, see the outcomes (checked against the
catalog), search one by its number in another spelling, open the record, view and download the file,
review and accept the pending one; then the archivist's pages. A screenshot of every page is saved
(``WEB_SCREENSHOTS=folder`` to keep them, e.g. ``docs/img``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.makedocs import SAMPLE_GONGWEN, make_docx, make_text
from tests.clirun import run_config, check

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
CLERK, ARCHIVIST, PASSWORD = "王芳", "李档案", "clerk-password-1"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
                                 reason="chromium / chromium-driver not installed")]

DOCX_LINES = [SAMPLE_GONGWEN[0], "示档发〔2022〕21号", "关于印发档案借阅管理办法的决定", "县直各单位：",
              "为规范档案借阅，现将《档案借阅管理办法》印发给你们，请遵照执行。", "示例县档案局", "2022年9月6日"]
SCAN_LINES = ["示例县人民政府文件", "示政发〔2022〕14号", "示例县人民政府关于加强档案安全工作的通知",
              "县直各单位：", "为加强全县档案安全工作，现就有关事项通知如下。", "一、落实档案安全责任制。",
              "二、定期开展档案安全检查。", "示例县人民政府", "2022年10月8日"]
LETTER_LINES = ["某某科技有限公司", "关于数字化项目验收的函", "示例县档案局：",
                "我公司承担的档案数字化项目已完成，特此函告，请安排验收。", "某某科技有限公司", "2022年11月2日"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(cfg_path: Path, tmp_path: Path):
    """``archive serve`` on a free local port in its own process, for the length of the block."""
    port = _free_port()
    log = open(tmp_path / "serve.log", "w")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "archive", "--config", str(cfg_path), "serve", "--host",
                             "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
    for _ in range(600):
        if proc.poll() is not None:
            raise AssertionError((tmp_path / "serve.log").read_text())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _cli(cfg_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return check(run_config(cfg_path, *args, input=stdin))


@pytest.fixture
def server(cfg_path, tmp_path):
    """``archive serve`` in its own process, with a clerk and an archivist."""
    _cli(cfg_path, "init")
    _cli(cfg_path, "user", "add", CLERK, "--role", "文书", "--password-stdin", stdin=PASSWORD + "\n")
    _cli(cfg_path, "user", "add", ARCHIVIST, "--role", "档案员", "--password-stdin", stdin=PASSWORD + "\n")
    with serving(cfg_path, tmp_path) as url:
        yield url


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1360,900",
              "--lang=zh-CN", "--disable-gpu"):
        opts.add_argument(a)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False,
                                           "plugins.always_open_pdf_externally": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.implicitly_wait(0)
    driver.downloads = downloads
    yield driver
    driver.quit()


class Shots:
    def __init__(self, driver, folder: Path):
        self.driver, self.folder = driver, folder
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str) -> None:
        # the whole page, not just the window
        h = self.driver.execute_script("return Math.max(document.body.scrollHeight, 700)")
        self.driver.set_window_size(1360, min(int(h) + 140, 2400))
        self.driver.save_screenshot(str(self.folder / f"web-{name}.png"))
        self.driver.set_window_size(1360, 900)


def wait_for(cond, timeout: float = 120, what: str = ""):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            v = cond()
        except (NoSuchElementException, StaleElementReferenceException):  # the next page is still loading
            v = None
        except WebDriverException as e:  # Chromium between two documents: "Node … does not belong to the document"
            if "does not belong to the document" not in str(e):
                raise
            v = None
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def catalog_rows(cfg) -> dict[str, sqlite3.Row]:
    conn = sqlite3.connect(cfg.store / "catalog.sqlite")
    conn.row_factory = sqlite3.Row
    try:
        return {r["filename"]: r for r in conn.execute("SELECT * FROM documents")}
    finally:
        conn.close()


def log_in(driver, url: str, name: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(url + "/login")
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(lambda: "/search" in driver.current_url and driver.find_elements(By.NAME, "q"), 30, "login")


def test_a_clerks_day(server, browser, cfg, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from tests.makescans import make_scan

    d, url = browser, server
    shot = Shots(d, Path(os.environ.get("WEB_SCREENSHOTS") or tmp_path / "shots"))
    src = tmp_path / "src"
    src.mkdir()
    docx = make_docx(src / "档案借阅管理办法.docx", DOCX_LINES)
    scan = make_scan(src / "县政府档案安全通知（扫描）.pdf", SCAN_LINES, dpi=200)
    letter = make_text(src / "科技公司来函.txt", "\n".join(LETTER_LINES))

    # ---- log in
    d.get(url + "/search")
    assert "/login" in d.current_url  # nothing without logging in
    shot("login")
    log_in(d, url, CLERK)
    assert CLERK in d.find_element(By.CSS_SELECTOR, ".who").text

    # ---- file three documents; each outcome appears as the pipeline gives it
    d.get(url + "/file")
    d.find_element(By.ID, "files").send_keys("\n".join(str(p) for p in (docx, scan, letter)))
    d.find_element(By.CSS_SELECTOR, "#upload button[type=submit]").click()
    wait_for(lambda: d.find_element(By.ID, "progress").get_attribute("data-done") == "1", 600, "filing")
    rows = d.find_elements(By.CSS_SELECTOR, "#outcome-rows tr")
    shown = {r.get_attribute("data-file"): r.get_attribute("data-outcome") for r in rows}
    shot("file")
    assert set(shown) == {docx.name, scan.name, letter.name}
    cat = catalog_rows(cfg)
    for name, outcome in shown.items():
        if outcome in ("archived", "pending", "excluded"):
            assert cat[name]["status"] == outcome, name  # the page says what the catalog holds
        else:
            assert name not in cat, name
    assert shown[docx.name] == "archived"
    assert shown[letter.name] == "pending"
    assert shown[scan.name] in ("archived", "pending", "failed")  # OCR may leave a scan pending
    assert not [p for p in cfg.inbox.rglob("*") if p.is_file()]  # filed through the inbox, nothing left there

    # ---- see them archived, and find the DOCX by its number in another spelling
    d.get(url + "/search?status=archived")
    assert "关于印发档案借阅管理办法的决定" in d.find_element(By.CSS_SELECTOR, "table.results").text
    d.get(url + "/search")
    box = d.find_element(By.NAME, "q")
    box.send_keys("示档发2022年21号")
    box.submit()
    wait_for(lambda: d.find_elements(By.ID, "count"), 30, "results")
    table = d.find_element(By.CSS_SELECTOR, "table.results").text
    code = cat[docx.name]["archival_code"]
    assert code in table and "示档发〔2022〕21号" in table
    shot("search")

    # ---- open the record: every field, the rule, the history with who and when
    d.find_element(By.LINK_TEXT, "关于印发档案借阅管理办法的决定").click()
    wait_for(lambda: "/doc/" in d.current_url and d.find_elements(By.CSS_SELECTOR, "table.history"), 30,
             "record page")
    page = d.find_element(By.TAG_NAME, "main").text
    assert code in page and "为何如此分类" in page and cat[docx.name]["rule_id"] in page
    history = d.find_element(By.CSS_SELECTOR, "table.history").text
    assert CLERK in history and "收集归档" in history
    shot("record")
    record_url = d.current_url

    # ---- view the DOCX in the browser (as pages: its PDF rendition), then download it
    d.find_element(By.LINK_TEXT, "在线查看").click()
    frame = wait_for(lambda: d.find_elements(By.CSS_SELECTOR, "iframe.pdf"), 30, "viewer")[0]
    assert frame.get_attribute("src").endswith("/rendition/1")
    time.sleep(2)
    shot("view")
    d.get(record_url)
    d.find_element(By.LINK_TEXT, "下载").click()
    got = wait_for(lambda: [p for p in d.downloads.iterdir() if not p.name.endswith(".crdownload")], 60, "download")
    assert hashlib.sha256(got[0].read_bytes()).hexdigest() == cat[docx.name]["sha256"]

    # ---- the scan: view its PDF inline when it was stored
    if scan.name in cat:
        d.get(f"{url}/doc/{cat[scan.name]['id']}")
        shot("record-scan")
        d.find_element(By.LINK_TEXT, "在线查看").click()
        frame = wait_for(lambda: d.find_elements(By.CSS_SELECTOR, "iframe.pdf"), 30, "pdf frame")[0]
        assert frame.get_attribute("src").endswith("?inline=1")
        time.sleep(1)
        shot("view-pdf")

    # ---- review: the letter is pending with its reason; accept it with a chosen retention
    d.get(url + "/review")
    lid = cat[letter.name]["id"]
    row = d.find_element(By.ID, f"pending-{lid}")
    assert "没有规则适用" in row.text
    Select(row.find_element(By.NAME, f"retention_{lid}")).select_by_visible_text("10年")
    shot("review")
    row.find_element(By.CSS_SELECTOR, f"button[value='accept:{lid}']").click()
    wait_for(lambda: d.find_elements(By.ID, "done"), 60, "review result")
    assert "已处理 1 件" in d.find_element(By.ID, "done").text
    shot("review-done")
    after = catalog_rows(cfg)[letter.name]
    assert after["status"] == "archived" and after["retention"] == "D10" and after["archival_code"]
    conn = sqlite3.connect(cfg.store / "catalog.sqlite")
    actor = conn.execute("SELECT actor FROM events WHERE document_id=? AND action='confirm'", (lid,)).fetchone()[0]
    conn.close()
    assert actor == CLERK
    # the clerk has no archivist's pages
    d.get(url + "/admin")
    assert "无权" in d.find_element(By.TAG_NAME, "main").text

    # ---- the archivist's pages
    d.find_element(By.CSS_SELECTOR, ".who button").click()
    wait_for(lambda: "/login" in d.current_url, 30, "logout")
    log_in(d, url, ARCHIVIST)
    d.get(url + "/admin")
    assert "<svg" in d.page_source and "各年度归档件数" in d.page_source
    shot("dashboard")
    d.get(url + "/admin/audit?as_of=2040-01-01")
    assert after["archival_code"] in d.find_element(By.CSS_SELECTOR, "table.results").text  # 10年 of 2022: due 2033
    shot("audit")
    d.get(url + "/admin/holds")
    d.find_element(By.NAME, "ref").send_keys(code)
    d.find_element(By.NAME, "reason").send_keys("审计调阅")
    d.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()
    wait_for(lambda: "审计调阅" in d.find_element(By.CSS_SELECTOR, "table.results").text, 30, "hold")
    shot("holds")
    d.get(url + "/search?q=" + "档案安全")
    shot("search-words")


# ---- every page, every role, a desktop and a phone (issue 29) ------------------------------------------------
SIZES = {"desktop": (1366, 900, False), "phone": (390, 844, True), "small-phone": (360, 740, True)}


@pytest.fixture
def full_server(cfg, cfg_path, tmp_path):
    """``archive serve`` over an archive with a user of every role, a DOCX, a PDF, a sealed OFD, a scan, a
    pending letter and an appraisal of two old records (tests/test_web_pages.py builds the same)."""
    from archive import appraisal, catalog, pipeline
    from archive.session import open_archive
    from archive.web import accounts
    from tests import test_web_pages as pages

    arc = open_archive(cfg, create=True)
    for role, name in pages.USERS.items():
        accounts.add_user(arc.conn, name, role, pages.PASSWORD)
    src = tmp_path / "src"
    src.mkdir()
    recs = {
        "docx": pipeline.ingest_file(arc, make_docx(src / "档案借阅管理办法.docx", DOCX_LINES)).record,
        "ofd": pipeline.ingest_file(arc, pages.make_sealed_ofd(src / "电子文件归档办法.ofd", pages.OFD_LINES)).record,
        "letter": pipeline.ingest_file(arc, make_text(src / "科技公司来函.txt", "\n".join(LETTER_LINES))).record,
        "old1": pages._add_old(arc, src, "Z109-WS·2009-D10-BGS-0001", 2009),
        "old2": pages._add_old(arc, src, "Z109-WS·2012-D10-BGS-0001", 2012),
    }
    from tests.makescans import make_scan

    recs["scan"] = pipeline.ingest_file(arc, make_scan(src / "县政府通知（扫描）.png", SCAN_LINES, dpi=150)).record
    import datetime as dt

    from tests.approved import approve_table

    approve_table(arc)  # issue 26: a destruction is proposed only under a table agreed, by a group of both sides
    step = appraisal.appraise(arc, dt.date(2026, 1, 1), ["档案:档案员老李", "业务:办公室小孙"], [
        appraisal.Decision(catalog.get_record(arc.conn, recs["old1"]["id"]), "destroy", "已无查考价值"),
        appraisal.Decision(catalog.get_record(arc.conn, recs["old2"]["id"]), "extend", "仍有查考价值", "D30")])
    arc.close()
    with serving(cfg_path, tmp_path) as url:
        yield url, {k: dict(v) for k, v in recs.items() if v}, step.appraisal["id"]


def _size(driver, name: str) -> None:
    w, h, mobile = SIZES[name]
    driver.set_window_size(max(w, 500), h)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": mobile})


def _loaded(driver) -> bool:
    return driver.execute_script("return document.readyState") == "complete"


def test_every_page_fits_a_desktop_and_a_phone_as_every_role(full_server, browser):
    """No page is wider than the screen (document.scrollingElement.scrollWidth <= innerWidth) at 1366×900, at
    390×844 and at 360×740 (mobile emulation), for every role; the menu folds on the phone and opens; a screenshot of each
    page (``WEB_SCREENSHOTS=docs/img`` keeps them)."""
    from selenium.webdriver.common.by import By

    from tests import test_web_pages as pages

    url, recs, aid = full_server
    d = browser
    folder = Path(os.environ.get("WEB_SCREENSHOTS") or d.downloads.parent / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    urls = {"search": "/search?q=档案", "search-sorted": "/search?status=archived&sort=date", "file": "/file",
            "review": "/review", "dashboard": "/admin", "audit": "/admin/audit?as_of=2026-01-01",
            "holds": "/admin/holds", "secrecy": "/secrecy", "appraisals": "/appraisals",
            "appraisal-new": "/appraisals/new?as_of=2026-01-01", "appraisal": f"/appraisals/{aid}",
            "filing": "/filing", "use": "/use", "use-access": "/use/access", "transfer": "/transfer"}
    for key, r in recs.items():
        urls[f"record-{key}"] = f"/doc/{r['id']}"
        urls[f"view-{key}"] = f"/doc/{r['id']}/view/1"
    too_wide, shots, checked = [], set(), 0
    for role, name in pages.USERS.items():
        _size(d, "desktop")
        d.get(url + "/login")
        d.find_element(By.NAME, "name").send_keys(name)
        d.find_element(By.NAME, "password").send_keys(pages.PASSWORD)
        d.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_for(lambda: "/search" in d.current_url, 30, "login")
        for size in SIZES:
            _size(d, size)
            for page, path in urls.items():
                d.get(url + path)
                wait_for(lambda: _loaded(d), 60, path)
                if "无权" in d.find_element(By.TAG_NAME, "main").text:
                    continue
                checked += 1
                sw, iw = d.execute_script("return [document.scrollingElement.scrollWidth, window.innerWidth]")
                if sw > iw:
                    too_wide.append(f"{role} {size} {path}: {sw} > {iw}")
                if size == "small-phone":
                    continue  # measured only: the screenshots are of the 390 px phone
                if (size, page) not in shots or role == "档案员" or (role == "领导" and page == "appraisal"):
                    shots.add((size, page))
                    h = d.execute_script("return Math.min(document.scrollingElement.scrollHeight, 3000)")
                    w, _h, mobile = SIZES[size]
                    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                      {"width": w, "height": int(h), "deviceScaleFactor": 1, "mobile": mobile})
                    if page.startswith("view"):
                        time.sleep(2)  # the page images or the PDF viewer draw after the load event
                    who = "-leader" if role == "领导" and page == "appraisal" else ""
                    d.save_screenshot(str(folder / f"web-{size}-{page}{who}.png"))
                    _size(d, size)
            if size == "phone":  # the menu is folded; its button opens it and 退出 is on the screen
                d.get(url + "/search")
                nav = d.find_element(By.CSS_SELECTOR, "header nav")
                assert not nav.is_displayed()
                d.find_element(By.CSS_SELECTOR, ".menu-btn").click()
                wait_for(lambda: nav.is_displayed(), 10, "menu")
                out = d.find_element(By.CSS_SELECTOR, ".who button")
                rect = d.execute_script("return arguments[0].getBoundingClientRect().right", out)
                assert out.is_displayed() and rect <= SIZES["phone"][0]
                if role == "档案员":
                    d.save_screenshot(str(folder / "web-phone-menu.png"))
        _size(d, "desktop")  # the menu unfolded: 退出 in sight
        d.get(url + "/search")
        d.find_element(By.CSS_SELECTOR, ".who button").click()
        wait_for(lambda: "/login" in d.current_url, 30, "logout")
    # the page images zoom in, inside their own scrolling box: the document stays as wide as the screen
    log_in_as = pages.USERS["查阅"]
    d.get(url + "/login")
    d.find_element(By.NAME, "name").send_keys(log_in_as)
    d.find_element(By.NAME, "password").send_keys(pages.PASSWORD)
    d.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(lambda: "/search" in d.current_url, 30, "login")
    _size(d, "phone")
    d.get(url + urls["view-ofd"])
    img = wait_for(lambda: [i for i in d.find_elements(By.CSS_SELECTOR, "#pages img")
                            if d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", i)],
                   30, "page image")[0]
    before = img.size["width"]
    d.find_element(By.CSS_SELECTOR, "button[data-zoom='1']").click()
    assert img.size["width"] > before * 1.3
    sw, iw = d.execute_script("return [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert sw <= iw
    d.find_element(By.CSS_SELECTOR, "button[data-zoom='0']").click()
    assert img.size["width"] == before
    assert checked > 100
    assert not too_wide, "\n".join(too_wide)
