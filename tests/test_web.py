"""The web page (archive serve) through its real Starlette app, a real catalog and store: roles, CSRF,
escaping, path parameters, filing through the pipeline, review, downloads, login throttling, the
refusal to listen beyond 127.0.0.1 without accounts."""

from __future__ import annotations
from archive import pipeline

import hashlib
import io
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from tests.conftest import copy_prepared, write_config
from tests.makedocs import SAMPLE_GONGWEN, make_docx, make_pdf, make_text

pytest.importorskip("starlette")
with warnings.catch_warnings():  # Starlette 1.x suggests httpx2 for its test client; httpx works the same
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

PASSWORD = "correct horse 1"
ROLES = {"cha": "查阅", "wen": "文书", "dang": "档案员", "ling": "领导"}

XSS_TITLE = "关于<script>alert(1)</script>的通知"
XSS_LINES = ["示例县档案局文件", "示档发〔2022〕9号", XSS_TITLE, "县直各单位：",
             "请注意<img src=x onerror=alert(2)>这一段正文里的标记。", "示例县档案局", "2022年8月28日"]
PENDING_LINES = ["某某科技有限公司", "关于数字化项目验收的函", "示例县档案局：", "我公司承担的数字化项目已完成，特此函告。",
                 "某某科技有限公司", "2022年9月1日"]


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, html[:500]
    return m.group(1)


def client_for(app) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1")


def login(app, name: str, password: str = PASSWORD) -> TestClient:
    c = client_for(app)
    r = c.get("/login")
    r = c.post("/login", data={"csrf": csrf_of(r.text), "name": name, "password": password, "next": "/search"},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def token(c: TestClient, url: str = "/search") -> str:
    return csrf_of(c.get(url).text.replace('name="csrf"', 'name="csrf"'))


@pytest.fixture(scope="session")
def _web_template(tmp_path_factory):
    """Built once per test process: the archive of ``web`` in a folder of its own, and the records filed."""
    from archive.config import load_config
    from archive.session import open_archive
    from archive.web import accounts

    folder = tmp_path_factory.mktemp("web-template")
    arc = open_archive(load_config(write_config(folder)), create=True)
    for name, role in ROLES.items():
        accounts.add_user(arc.conn, name, role, PASSWORD)
    src = folder / "src"
    src.mkdir()
    docs = {
        "docx": pipeline.ingest_file(arc, make_docx(src / "决定.docx", SAMPLE_GONGWEN)),
        "pdf": pipeline.ingest_file(arc, make_pdf(src / "通知.pdf", [*SAMPLE_GONGWEN[:1], "示档发〔2022〕7号",
                                                          "关于开展档案安全检查的决定", *SAMPLE_GONGWEN[3:]])),
        "pending": pipeline.ingest_file(arc, make_text(src / "来函.txt", "\n".join(PENDING_LINES))),
        "xss": pipeline.ingest_file(arc, make_text(src / "xss.txt", "\n".join(XSS_LINES))),
    }
    arc.close()
    return folder, {k: r.record for k, r in docs.items()}


@pytest.fixture
def web(cfg, _web_template):
    """An archive with four users (one per role), an archived DOCX, a stored PDF, a pending text and a
    document whose title holds a script tag; the app over it. A copy of the session's prepared archive:
    each test may change its own."""
    from archive.web import create_app

    template, docs = _web_template
    copy_prepared(template, cfg.store.parent)
    app = create_app(cfg)
    yield app, {k: dict(r) for k, r in docs.items()}, cfg
    app.state.web.close()


def events(cfg) -> list[sqlite3.Row]:
    conn = sqlite3.connect(cfg.store / "catalog.sqlite")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM events ORDER BY id").fetchall()
    finally:
        conn.close()


def test_outcomes_of_the_fixture(web):
    _, docs, _ = web
    assert docs["docx"]["status"] == "archived" and docs["pending"]["status"] == "pending"
    assert docs["xss"]["title"] == XSS_TITLE


def test_login_required_and_wrong_password(web):
    app, _, _ = web
    c = client_for(app)
    r = c.get("/search", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = c.get("/login")
    r = c.post("/login", data={"csrf": csrf_of(r.text), "name": "wen", "password": "wrong password"})
    assert r.status_code == 401 and "用户名或密码不正确" in r.text
    assert c.get("/search", follow_redirects=False).status_code == 303


def test_repeated_failed_logins_are_slowed_down(web):
    app, _, _ = web
    c = client_for(app)
    tok = csrf_of(c.get("/login").text)
    for _ in range(3):
        r = c.post("/login", data={"csrf": tok, "name": "wen", "password": "guess-guess"})
        assert r.status_code == 401
    # the right password now has to wait: guessing is slowed down
    r = c.post("/login", data={"csrf": tok, "name": "wen", "password": PASSWORD})
    assert r.status_code == 429 and "秒后再试" in r.text
    # another user is not affected
    assert login(app, "cha").get("/search").status_code == 200


def test_form_without_csrf_token_is_refused(web):
    app, docs, cfg = web
    c = login(app, "wen")
    pid = docs["pending"]["id"]
    before = len(events(cfg))
    r = c.post("/review", data={"action": f"accept:{pid}", f"retention_{pid}": "D10"})
    assert r.status_code == 403 and "安全令牌" in r.text
    r = c.post("/review", data={"csrf": "forged", "action": f"accept:{pid}", f"retention_{pid}": "D10"})
    assert r.status_code == 403
    r = c.post("/file", files={"files": ("a.txt", b"x")})
    assert r.status_code == 403
    r = c.post("/login", data={"name": "wen", "password": PASSWORD})
    assert r.status_code == 403
    assert len(events(cfg)) == before
    # a token from another session does not pass either
    other = login(app, "dang")
    r = c.post("/review", data={"csrf": token(other), "action": f"accept:{pid}", f"retention_{pid}": "D10"})
    assert r.status_code == 403


@pytest.mark.parametrize("role_user, allowed", [
    ("cha", {"/search", "/doc", "/view", "/download"}),
    ("ling", {"/search", "/doc", "/view", "/download", "/admin", "/admin/audit", "/admin/holds"}),
    ("wen", {"/search", "/doc", "/view", "/download", "/file", "/review", "POST /review", "POST reclassify"}),
    ("dang", {"/search", "/doc", "/view", "/download", "/file", "/review", "/admin", "/admin/audit", "/admin/holds",
              "POST /review", "POST reclassify", "POST /admin/export", "POST /admin/holds"}),
])
def test_each_role_is_refused_what_it_may_not_do(web, role_user, allowed):
    app, docs, cfg = web
    c = login(app, role_user)
    tok = token(c)
    did = docs["docx"]["id"]
    gets = {"/search": "/search", "/doc": f"/doc/{did}", "/view": f"/doc/{did}/view/1",
            "/download": f"/doc/{did}/file/1", "/file": "/file", "/review": "/review", "/admin": "/admin",
            "/admin/audit": "/admin/audit", "/admin/holds": "/admin/holds"}
    for key, url in gets.items():
        r = c.get(url, follow_redirects=False)
        assert (r.status_code == 200) == (key in allowed), (role_user, url, r.status_code)
        if key not in allowed:
            assert r.status_code == 403 and "无权" in r.text
    posts = {
        "POST /review": ("/review", {"action": "exclude:999999"}),  # no such record: 400, but past the role check
        "POST reclassify": (f"/doc/{did}/reclassify", {"status": "archived", "retention": "D30", "reason": "核对"}),
        "POST /admin/export": ("/admin/export", {"year": "2022", "format": "xlsx"}),
        "POST /admin/holds": ("/admin/holds", {"action": "hold", "ref": str(did), "reason": "审计"}),
        "POST /file": ("/file", None),
    }
    for key, (url, data) in posts.items():
        if key == "POST /file":
            r = c.post(url, data={"csrf": tok}, files={"files": ("note.txt", "无关".encode())}, follow_redirects=False)
            expected = "/file" in allowed
        else:
            r = c.post(url, data={"csrf": tok, **data}, follow_redirects=False)
            expected = key in allowed
        if expected:
            assert r.status_code != 403, (role_user, key, r.text[:300])
        else:
            assert r.status_code == 403, (role_user, key, r.status_code)


def test_changes_are_logged_with_the_users_name(web):
    app, docs, cfg = web
    c = login(app, "wen")
    pid = docs["pending"]["id"]
    r = c.post("/review", data={"csrf": token(c, "/review"), "action": f"accept:{pid}", f"retention_{pid}": "D10",
                                f"org_{pid}": "BGS"})
    assert r.status_code == 200 and "已处理 1 件" in r.text
    last = events(cfg)[-1]
    assert last["action"] == "confirm" and last["actor"] == "wen" and last["document_id"] == pid
    # the record page shows who did it, in local time
    page = c.get(f"/doc/{pid}").text
    assert "wen" in page and "Z109-WS·2022-D10-BGS-" in page
    # archival: a hold by the archivist
    d = login(app, "dang")
    r = d.post("/admin/holds", data={"csrf": token(d), "action": "hold", "ref": str(docs["docx"]["id"]),
                                     "reason": "审计"}, follow_redirects=False)
    assert r.status_code == 303
    last = events(cfg)[-1]
    assert (last["action"], last["actor"]) == ("hold", "dang")


def test_review_many_at_once_and_exclude(web, tmp_path):
    app, docs, cfg = web
    c = login(app, "wen")
    tok = token(c)
    # a second pending record
    files = {"files": ("来函二.txt", "\n".join(PENDING_LINES).replace("验收", "付款").encode("utf-8"))}
    r = c.post("/file", data={"csrf": tok}, files=files)
    assert 'data-outcome="pending"' in r.text
    page = c.get("/review").text
    ids = re.findall(r'name="ids" value="(\d+)"', page)
    assert len(ids) == 2
    r = c.post("/review", data={"csrf": tok, "action": "exclude", "ids": ids})
    assert r.status_code == 200 and "已处理 2 件" in r.text and "没有待定的文件" in r.text
    acts = [(e["action"], e["actor"]) for e in events(cfg)[-2:]]
    assert acts == [("confirm", "wen"), ("confirm", "wen")]


def test_script_in_a_title_is_shown_as_text(web):
    app, docs, _ = web
    c = login(app, "cha")
    xid = docs["xss"]["id"]
    for url in (f"/doc/{xid}", "/search?q=" + "示档发[2022]9号", "/search?q=正文里的标记", f"/doc/{xid}/view/1"):
        html = c.get(url).text
        assert "<script>alert(1)</script>" not in html, url
        assert "<img src=x" not in html, url
    html = c.get(f"/doc/{xid}").text
    assert "关于&lt;script&gt;alert(1)&lt;/script&gt;的通知" in html
    html = c.get("/search?q=正文里的标记").text
    assert "&lt;img src=x onerror=alert(2)&gt;" in html or "<mark>" in html
    assert c.get("/admin", follow_redirects=False).status_code == 403
    # the only scripts any page loads are our own file
    assert re.findall(r"<script[^>]*>", c.get(f"/doc/{xid}").text) == ['<script src="/static/app.js" defer>']


@pytest.mark.parametrize("url", [
    "/search?q=../../etc/passwd", "/search?q=/etc/passwd", "/search?issuer=..%2F..%2Fetc", "/search?org=C:%5Cwindows",
    "/doc/1/view/1?x=../../x", "/static/%2e%2e/app.py", "/static/..%2F..%2Fconfig.toml", "/doc/%2e%2e/1",
    "/admin/audit?as_of=/etc/passwd", "/login?next=/../../etc",
])
def test_paths_in_parameters_are_refused(web, url):
    app, _, _ = web
    c = login(app, "dang")
    r = c.get(url, follow_redirects=False)
    assert r.status_code == 400 and "路径" in r.text, (url, r.status_code)


def test_paths_in_forms_and_file_names_are_refused(web, cfg):
    app, docs, _ = web
    c = login(app, "dang")
    tok = token(c)
    r = c.post("/admin/holds", data={"csrf": tok, "action": "hold", "ref": "../../etc/passwd", "reason": "x"})
    assert r.status_code == 400
    r = c.post("/admin/export", data={"csrf": tok, "year": "2022", "format": "/etc/passwd"})
    assert r.status_code == 400
    for bad in ("../evil.txt", "/etc/evil.txt", "..\\evil.txt", ".hidden.txt"):
        r = c.post("/file", data={"csrf": tok}, files={"files": (bad, b"text")})
        assert r.status_code == 400, bad
    assert not (cfg.inbox.parent / "evil.txt").exists() and not Path("/etc/evil.txt").exists()
    # a file id that the catalog does not know is not found; nothing else names a file
    assert c.get("/doc/1/file/9").status_code == 404
    assert c.get("/doc/999/file/1").status_code == 404


def test_download_is_the_stored_file(web, cfg):
    app, docs, _ = web
    c = login(app, "cha")
    for key in ("docx", "pdf"):
        r = c.get(f"/doc/{docs[key]['id']}/file/1")
        assert r.status_code == 200
        assert hashlib.sha256(r.content).hexdigest() == docs[key]["sha256"]
        assert "attachment" in r.headers["content-disposition"]
    r = c.get(f"/doc/{docs['pdf']['id']}/file/1?inline=1")
    assert r.headers["content-type"] == "application/pdf" and r.headers["content-disposition"].startswith("inline")
    # a DOCX is viewed as pages, through its PDF rendition (tests/test_web_pages.py); a text file as its text
    html = c.get(f"/doc/{docs['docx']['id']}/view/1").text
    assert f'src="/doc/{docs["docx"]["id"]}/rendition/1"' in html and 'id="doctext"' not in html
    html = c.get(f"/doc/{docs['pending']['id']}/view/1").text
    assert "数字化项目验收" in html and 'id="doctext"' in html


def test_stamp_copy_and_catalogue_export(web):
    app, docs, _ = web
    c = login(app, "dang")
    pdf = docs["pdf"]
    assert pdf["status"] == "archived"
    r = c.get(f"/doc/{pdf['id']}/stamp")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
    assert "全宗号" in text and "Z109" in text
    # a DOCX record: its LibreOffice PDF rendition with the stamp (issue 13)
    docx = docs["docx"]
    assert f'/doc/{docx["id"]}/stamp' in c.get(f"/doc/{docx['id']}").text
    r = c.get(f"/doc/{docx['id']}/stamp")
    assert r.status_code == 200 and r.content.startswith(b"%PDF"), r.text[:300]
    assert "全宗号" in PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
    for fmt, magic in (("xlsx", b"PK"), ("docx", b"PK"), ("pdf", b"%PDF")):
        r = c.post("/admin/export", data={"csrf": token(c), "year": "2022", "format": fmt})
        assert r.status_code == 200 and r.content.startswith(magic), fmt
        assert "attachment" in r.headers["content-disposition"]
    r = c.post("/admin/export", data={"csrf": token(c), "year": "1999", "format": "xlsx"})
    assert r.status_code == 404


def test_filing_goes_through_the_inbox_and_the_pipeline(web, tmp_path):
    app, _, cfg = web
    c = login(app, "wen")
    data = make_docx(tmp_path / "新文件.docx", [*SAMPLE_GONGWEN[:1], "示档发〔2022〕12号",
                                                 "关于印发档案借阅办法的决定", *SAMPLE_GONGWEN[3:]]).read_bytes()
    r = c.post("/file", data={"csrf": token(c, "/file")}, files={"files": ("新文件.docx", data)})
    assert r.status_code == 200
    row = re.search(r'<tr class="outcome-(\w+)" data-outcome="(\w+)" data-file="([^"]+)">', r.text)
    assert row and row.group(3) == "新文件.docx"
    conn = sqlite3.connect(cfg.store / "catalog.sqlite")
    status, actor = conn.execute("SELECT d.status, e.actor FROM documents d JOIN events e ON e.document_id = d.id "
                                 "AND e.action='ingest' WHERE d.filename='新文件.docx'").fetchone()
    conn.close()
    assert row.group(2) == status == "archived" and actor == "wen"
    # the original went where every inbox file goes; nothing is left in the inbox
    assert [p.name for p in cfg.processed_dir.rglob("新文件.docx")] == ["新文件.docx"]
    assert not [p for p in cfg.inbox.rglob("*") if p.is_file()]
    # the same file again: a duplicate, not stored twice
    r = c.post("/file", data={"csrf": token(c, "/file")}, files={"files": ("again.docx", data)})
    assert 'data-outcome="duplicate"' in r.text
    # searchable at once, by its number in another spelling
    html = c.get("/search", params={"q": "示档发2022年12号"}).text
    assert "关于印发档案借阅办法的决定" in html


def test_search_filters_and_paging(web):
    app, docs, _ = web
    c = login(app, "cha")
    html = c.get("/search", params={"status": "pending"}).text
    assert "共 1 条" in html and "关于数字化项目验收的函" in html
    html = c.get("/search", params={"q": "档案", "retention": "Y"}).text
    assert "共" in html
    html = c.get("/search", params={"year": "abc"}).text
    assert "应为整数" in html
    html = c.get("/search", params={"date_from": "2022-13-01"}).text
    assert "不是有效日期" in html


def test_dashboard_has_a_chart_in_svg(web):
    app, _, _ = web
    c = login(app, "ling")
    html = c.get("/admin").text
    assert "<svg" in html and "<rect" in html and "2022" in html
    assert "导出归档文件目录" not in html  # the leader sees the counts, the archivist exports


def test_logout_ends_the_session(web):
    app, _, _ = web
    c = login(app, "cha")
    old_cookie = c.cookies.get("archive_session")
    r = c.post("/logout", data={"csrf": token(c)}, follow_redirects=False)
    assert r.status_code == 303
    c2 = client_for(app)
    c2.cookies.set("archive_session", old_cookie)  # the old signed cookie no longer opens a session
    assert c2.get("/search", follow_redirects=False).status_code == 303


def test_local_single_user_without_accounts(cfg):
    from archive.web import create_app

    app = create_app(cfg, "127.0.0.1")
    try:
        c = client_for(app)
        html = c.get("/search").text
        assert "本机用户" in html
        assert c.get("/admin").status_code == 200
        # another Host header (DNS rebinding from a web site) is refused
        assert c.get("/search", headers={"host": "evil.example"}).status_code == 400
    finally:
        app.state.web.close()


def test_network_bind_without_accounts_is_refused(cfg):
    from archive.errors import UsageError
    from archive.web import create_app

    with pytest.raises(UsageError, match="必须先建立账号"):
        create_app(cfg, "0.0.0.0")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_on_0000_without_accounts_refuses_to_start(cfg_path):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    p = subprocess.run([sys.executable, "-m", "archive", "--config", str(cfg_path), "serve", "--host", "0.0.0.0",
                        "--port", str(_free_port())], capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 2
    assert "必须先建立账号" in p.stderr


def test_user_command(cfg_path):
    from tests.clirun import run_config

    run = lambda *a, stdin=None: run_config(cfg_path, *a, input=stdin)  # noqa: E731 (in-process: tests/clirun.py)
    p = run("user", "add", "张三", "--role", "文书", "--password-stdin", stdin="a good password\n")
    assert p.returncode == 0, p.stderr
    assert run("user", "add", "李四", "--role", "管理员", "--password-stdin", stdin="a good password\n").returncode == 2
    assert run("user", "add", "王五", "--role", "查阅", "--password-stdin", stdin="short\n").returncode == 2
    p = run("user", "list", "--json")
    users = json.loads(p.stdout)
    assert [(u["name"], u["role"]) for u in users] == [("张三", "文书")]
    from archive.config import load_config

    conn = sqlite3.connect(load_config(cfg_path).store / "catalog.sqlite")
    h = conn.execute("SELECT password_hash FROM users WHERE name='张三'").fetchone()[0]
    conn.close()
    assert h.startswith("$argon2id$") and "a good password" not in h


def test_a_secret_document_uploaded_is_refused_and_not_stored(web, tmp_path):
    app, _, cfg = web
    c = login(app, "wen")
    secret = make_docx(tmp_path / "密件.docx", ["秘密★1年", *SAMPLE_GONGWEN[:1], "示档发〔2022〕30号",
                                               "关于内部事项的通知", *SAMPLE_GONGWEN[3:]])
    r = c.post("/file", data={"csrf": token(c, "/file")}, files={"files": ("密件.docx", secret.read_bytes())})
    assert 'data-outcome="refused"' in r.text and "涉密" in r.text
    conn = sqlite3.connect(cfg.store / "catalog.sqlite")
    assert conn.execute("SELECT count(*) FROM documents WHERE filename='密件.docx'").fetchone()[0] == 0
    conn.close()
    assert [p.name for p in cfg.refused_dir.rglob("密件.docx")] == ["密件.docx"]


def test_review_registers_a_receipt_with_one_select(web):
    """Issue 26: a superior's 普发 notice is 待定 for want of the 收文 registration; one select and the table decides."""
    app, _, cfg = web
    c = login(app, "wen")
    tok = token(c)
    text = ("示例县人民政府文件\n示政发〔2026〕77号\n示例县人民政府关于做好第77号台风防御工作的通知\n各乡镇人民政府：\n"
            "    请各乡镇做好台风防御工作。\n示例县人民政府\n2026年5月7日\n")
    r = c.post("/file", data={"csrf": tok}, files={"files": ("台风通知.txt", text.encode("utf-8"))})
    assert 'data-outcome="pending"' in r.text
    page = c.get("/review").text
    ids = re.findall(r'name="receipt_(\d+)"', page)
    doc_id = max(ids, key=int)
    assert "未登记阅件/办件" in page
    r = c.post("/review", data={"csrf": tok, "action": f"receipt:{doc_id}", f"receipt_{doc_id}": "阅件"})
    assert r.status_code == 200 and "已处理 1 件" in r.text
    assert f'name="receipt_{doc_id}"' not in r.text  # no longer pending: excluded as a 阅件 (R20)
    assert [e["action"] for e in events(cfg)[-2:]] == ["edit", "confirm"]
