"""The office's web page (``archive serve``): search, read, file and review from a browser.

The same archive as the command line: the same catalog, store, index and pipeline. Reads go through one
``Archive`` per server thread (its own SQLite connection, WAL lets them read while another process writes);
every change goes through the one writer ``Archive`` under a thread lock and the archive's shared write lock
(``Archive.change``), so ``archive watch`` and the web page may run at once.

Safety rules kept here:
- no path from a request reaches the file system: files are found by record id in the catalog only, and a
  parameter holding ``../`` or an absolute path is refused outright;
- every text from a document is escaped (Jinja2 autoescape; highlighted snippets are escaped before the
  marks are added);
- every POST form carries the session's CSRF token; roles are checked on the server for every request;
- every change is logged with the user's name as the event's actor (``catalog.acting_as``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from archive import catalog, display, intake, retention
from archive.catalog import appraisals, exports
from archive.catalog import process as catalog_process  # the 办理过程 of an OA 归档信息包 (issue 27)
from archive.edit import FIELDS as EDIT_FIELDS, edit as edit_record
from archive.config import RETENTION_NAMES, Config
from archive.errors import ArchiveError, NotFoundError, StopRequested, StoreError, UsageError
from archive.session import Archive
from archive.web import accounts
from archive.web import use_pages  # issue 28: 利用, access log, 移交 (its handlers read this module at call time)
from archive.web.accounts import User
from archive.words import OUTCOME_NAMES, STATUS_NAMES

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 20
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MENUS_KEPT = 256  # WebArchive.filter_menus
UPLOAD_DIR = ".web-upload"  # hidden inside the inbox: the watcher never picks up a file the web page is filing

OUTCOME_LABELS = OUTCOME_NAMES
STATUS_LABELS = STATUS_NAMES  # 已归档 / 待定 / 不归档 / 已销毁: the command line's words (archive/words.py)
MEDIA_LABELS = {"pdf": "PDF", "docx": "DOCX", "ofd": "OFD", "text": "文本", "image": "图像"}


def is_loopback(host: str) -> bool:
    return host in LOOPBACK


def check_bind(host: str, conn) -> None:
    """Bound to any address but the local one, the page needs accounts."""
    if not is_loopback(host) and not accounts.has_users(conn):
        raise UsageError(f"绑定到 {host} 时必须先建立账号（网络上的任何人都能访问）："
                         "请先运行 archive user add 用户名 --role 档案员，或只绑定 127.0.0.1")


# ---- parameters -------------------------------------------------------------------------------------
_PATHLIKE = re.compile(r"(^|[\\/])\.\.([\\/]|$)|^[\\/]|^[A-Za-z]:[\\/]|\x00")


_DOTDOT = re.compile(r"(^|[\\/])\.\.([\\/]|$)|\\|\x00")
URL_KEYS = ("next",)  # a page of this site to return to after logging in: a URL path, checked for ``..`` only


def pathlike(key: str, value: str) -> bool:
    return bool((_DOTDOT if key in URL_KEYS else _PATHLIKE).search(value)) or bool(_PATHLIKE.search(key))


def refuse_pathlike(value: str, what: str = "参数", key: str = "") -> None:
    """``../`` and absolute paths are refused in every parameter: nothing here takes a path."""
    if pathlike(key, value):
        raise HTTPException(400, f"{what}中不允许出现文件路径（“..”、以 / 开头或盘符）")


def _int(value: str | None, what: str, lo: int = 1, hi: int = 10 ** 9) -> int | None:
    if value is None or value.strip() == "":
        return None
    try:
        n = int(value.strip())
    except ValueError:
        raise UsageError(f"{what} “{value}” 应为整数") from None
    if not lo <= n <= hi:
        raise UsageError(f"{what} “{value}” 超出范围")
    return n


def _year(value: str | None, what: str = "年度") -> int | None:
    """A 年度 typed into a form: an integer within archive.bounds (1949 to next year), or None when empty."""
    from archive.bounds import check_year

    n = _int(value, what, -10 ** 9)
    return None if n is None else check_year(n, what)


def _date(value: str | None, what: str) -> dt.date | None:
    from archive.bounds import parse_date

    return parse_date(value, what)


def _retention(value: str | None) -> str | None:
    if not value:
        return None
    code = retention.from_typed(value)
    if code is not None:
        return code
    raise UsageError(f"保管期限 “{value}” 无效：应为 永久、30年、10年")


def upload_name(raw: str | None) -> str:
    """The name an uploaded file is filed under: its own base name, never a path."""
    name = (raw or "").strip()
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\x00" in name:
        raise HTTPException(400, f"文件名 “{name}” 无效：不能含路径，不能以点开头")
    if any(ord(c) < 32 for c in name):
        raise HTTPException(400, "文件名含控制字符")
    while len(name.encode("utf-8")) > 200:  # leave room for the dated folders and a (2) suffix
        stem, dot, ext = name.rpartition(".")
        name = (stem[:-1] + dot + ext) if dot and len(ext) <= 8 and stem else name[:-1]
    return name


def snippet_html(snippet: str) -> Markup:
    from archive.search import MARK_END, MARK_START

    return Markup(str(escape(snippet)).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


# ---- the application --------------------------------------------------------------------------------
class WebArchive:
    """What the request handlers share: the config, read archives per thread, the one writer."""

    def __init__(self, cfg: Config, host: str = "127.0.0.1"):
        self.cfg = cfg
        self.host = host
        self._local = threading.local()
        self._readers: list[Archive] = []
        self._readers_lock = threading.Lock()
        self.writer = Archive(cfg)
        self.writer.init()
        self.write_mutex = threading.Lock()
        self.access_lock = threading.Lock()  # the access-log entries waiting for the writer (use_pages.write_access)
        self.access_queue: list = []
        # files are read by the writer's extraction worker, a child process that dies with the thread that
        # started it (PR_SET_PDEATHSIG): one long-lived thread runs every ingest, never a pool thread that
        # may end while another uses the worker
        self.ingest_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-ingest")
        # logins run in two threads of their own (their own two reader connections): random-name attempts at
        # once in the 40 pool threads grew each thread's page cache and malloc arena (issue 23)
        self.login_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="archive-login")
        check_bind(host, self.writer.conn)
        # auto_reload off: the templates ship with the program, and checking each file's time on every page
        # cost a third of a millisecond a page (bench/web_bench.md)
        self.env = Environment(loader=FileSystemLoader(str(HERE / "templates")), auto_reload=False,
                               autoescape=select_autoescape(default=True, default_for_string=True))
        self._menus: dict[tuple, Markup] = {}  # filter_menus: the search page's filter menus as rendered
        self.env.globals.update(RETENTION_NAMES=RETENTION_NAMES, STATUS_LABELS=STATUS_LABELS,
                                OUTCOME_LABELS=OUTCOME_LABELS, orgs=cfg.orgs, agency=cfg.agency_name,
                                local_time=self.local_time, MEDIA_LABELS=MEDIA_LABELS)
        # a file name or title is shown with its control characters and bidi overrides escaped, as on the
        # command line (display.printable): HTML escaping alone lets U+202E turn a name around
        self.env.filters["printable"] = lambda v: display.printable(v) if isinstance(v, str) else v
        self.env.filters["actor"] = shown_actor  # root is shown as 本机管理员

    def filter_menus(self, params: dict, years: list, doc_types: list) -> Markup:
        """The search page's filter menus (年度, 保管期限, 机构, 文种, 状态 …) with the request's choices selected:
        several hundred escaped options, the same for most requests, so rendered once per set of choices and
        selections (a few hundred kept; a page asks with its own typed values too)."""
        key = (tuple(params.items()), tuple(years), tuple(doc_types))
        html = self._menus.get(key)
        if html is None:
            html = Markup(self.env.get_template("search_filters.html").render(
                params=params, years=years, doc_types=doc_types))
            if len(self._menus) >= MENUS_KEPT:
                self._menus.clear()
            self._menus[key] = html
        return html

    def local_time(self, ts: str | None) -> str:
        """A catalog time on a page: the agency's wall clock ([agency] timezone), to the second."""
        return display.local_time(ts, self.cfg.tz, seconds=True)

    @property
    def reader(self) -> Archive:
        arc = getattr(self._local, "arc", None)
        if arc is None:
            arc = Archive(self.cfg)
            self._local.arc = arc
            with self._readers_lock:
                self._readers.append(arc)
        return arc

    def close(self) -> None:
        for arc in self._readers:
            try:
                arc.close()
            except Exception:
                pass
        self.ingest_thread.shutdown(wait=True)
        self.login_threads.shutdown(wait=True)
        self.writer.close()

    def secret_key(self) -> str:
        """The key that signs session cookies: made once per archive, readable by its owner only."""
        path = self.cfg.store / ".web-secret"
        if not path.exists():
            try:
                fd = os.open(path.with_name(f".web-secret.{os.getpid()}"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as f:
                    f.write(secrets.token_urlsafe(48))
                    f.flush()
                    os.fsync(f.fileno())
                os.link(path.with_name(f".web-secret.{os.getpid()}"), path)  # first one wins, never half written
            except FileExistsError:
                pass
            finally:
                path.with_name(f".web-secret.{os.getpid()}").unlink(missing_ok=True)
        return path.read_text().strip()

    def accounts_on(self) -> bool:
        return accounts.has_users(self.reader.conn)


def _state(request: Request) -> WebArchive:
    return request.app.state.web


def current_user(request: Request) -> User | None:
    w = _state(request)
    if not w.accounts_on():
        if is_loopback(w.host):
            return User(None, catalog.actor(), "档案员", local=True)
        return None
    return accounts.session_user(w.reader.conn, request.session.get("sid"))


def require(request: Request, permission: str = "read") -> User:
    user = current_user(request)
    if user is None:
        raise HTTPException(303, headers={"Location": "/login?next=" + urllib.parse.quote(
            request.url.path + (("?" + request.url.query) if request.url.query else ""))})
    if not user.may(permission):
        raise HTTPException(403, "您的角色无权进行此操作")
    return user


def csrf_token(request: Request) -> str:
    tok = request.session.get("csrf")
    if not tok:
        tok = secrets.token_urlsafe(32)
        request.session["csrf"] = tok
    return tok


async def checked_form(request: Request):
    """The POSTed form after its CSRF token and every text field were checked."""
    form = await request.form(max_files=200, max_fields=2000)
    sent = form.get("csrf")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "表单已失效或来源不明（缺少安全令牌）：请刷新页面后重试")
    for key, value in form.multi_items():
        refuse_pathlike(key, "字段名")
        if isinstance(value, str) and key not in ("password",):
            refuse_pathlike(value, key=key)
    return form


def render(request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
    w = _state(request)
    user = ctx.pop("user", None) or current_user(request)
    html = w.env.get_template(template).render(request=request, user=user, csrf=csrf_token(request),
                                           path=request.url.path, **ctx)
    return HTMLResponse(html, status_code=status)


def _row(conn, doc_id: int):
    row = catalog.get_record(conn, doc_id)
    if row is None:
        raise NotFoundError(f"没有记录号 {doc_id}")
    return row


# ---- login ------------------------------------------------------------------------------------------
def _safe_next(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/search"
    return value


async def login_page(request: Request):
    w = _state(request)
    if not w.accounts_on():
        return RedirectResponse("/search", 303)
    return render(request, "login.html", next=_safe_next(request.query_params.get("next")), user=None)


async def login_post(request: Request):
    w = _state(request)
    form = await checked_form(request)
    name = str(form.get("name", "")).strip()[:64]
    password = str(form.get("password", ""))
    nxt = _safe_next(str(form.get("next", "")))

    source = request.client.host if request.client else ""  # throttled per (source, name): issue 23

    def throttled() -> tuple[int, float]:  # (seconds this source must wait, seconds the name is slowed)
        conn = w.reader.conn  # an attempt that may go on is counted now, for every server process (issue 29)
        return accounts.reserve(conn, name, source), accounts.slow_seconds(conn, name)

    def attempt():  # in a login thread, with that thread's own connection (argon2 takes a while)
        conn = w.reader.conn
        user = accounts.authenticate(conn, name, password, source, reserved=True)
        return user, (accounts.new_session(conn, user) if user else None)

    wait, slow = await asyncio.wrap_future(w.login_threads.submit(throttled))
    user = sid = None
    if not wait:
        if slow:  # many failures at this name from everywhere: slowed, never refused
            await asyncio.sleep(slow)
        user, sid = await asyncio.wrap_future(w.login_threads.submit(attempt))
    if wait:
        return render(request, "login.html", status=429, next=nxt, name=name, user=None,
                      error=f"登录失败次数过多，请 {wait} 秒后再试")
    if user is None:
        return render(request, "login.html", status=401, next=nxt, name=name, user=None,
                      error="用户名或密码不正确")
    request.session.clear()  # a new session id and CSRF token after logging in
    request.session["sid"] = sid
    request.session["csrf"] = secrets.token_urlsafe(32)
    return RedirectResponse(nxt, 303)


async def logout(request: Request):
    await checked_form(request)
    accounts.end_session(_state(request).reader.conn, request.session.get("sid"))
    request.session.clear()
    return RedirectResponse("/login", 303)


# ---- search -----------------------------------------------------------------------------------------
FILTER_KEYS = ("year", "retention", "org", "doc_type", "issuer", "date_from", "date_to", "status")


def search_page(request: Request):
    from archive import search as search_mod

    user = require(request, "read")
    w = _state(request)
    arc = w.reader
    qp = request.query_params
    q = (qp.get("q") or "").strip()
    params = {k: (qp.get(k) or "").strip() for k in FILTER_KEYS}
    error = None
    res = None
    page = 1
    sort = (qp.get("sort") or "").strip()
    sort_window = False
    t0 = time.perf_counter()
    try:
        page = _int(qp.get("page"), "页码", 1, 100000) or 1
        status = params["status"] or None
        if status is not None and status not in STATUS_LABELS:
            raise UsageError(f"状态 “{status}” 无效")
        filters = search_mod.Filters(
            year=_year(params["year"]), retention=_retention(params["retention"]),
            org=params["org"] or None, doc_type=params["doc_type"] or None, issuer=params["issuer"] or None,
            date_from=_date(params["date_from"], "起始日期"), date_to=_date(params["date_to"], "截止日期"),
            status=status)
        if sort not in SORTS:
            raise UsageError(f"排序方式 “{sort}” 无效：应为 {'、'.join(SORTS.values())}")
        if sort and (q or any(params.values())):
            res, sort_window = _sorted(arc, q, filters, page, sort)
        elif q:
            res = search_mod.search(arc.conn, arc.index, q, filters, limit=PAGE_SIZE, page=page)
        elif any(params.values()):
            res = _browse(arc.conn, filters, page)
    except ArchiveError as e:
        error = str(e)
    hits = []
    if res is not None:
        for h in res.hits:
            hits.append({**h.record, "snippet": snippet_html(h.snippet) if h.snippet else "",
                         "matched": h.matched})
    keep = {k: v for k, v in {"q": q, **params}.items() if v}
    sort_links = [(code, name, urllib.parse.urlencode(dict(keep, **({"sort": code} if code else {}))))
                  for code, name in SORTS.items() if code or q]
    if sort:
        keep["sort"] = sort
    return render(request, "search.html", user=user, q=q, params=params, res=res, hits=hits, error=error,
                  sort=sort, sorts=SORTS, sort_links=sort_links, sort_window=sort_window and SORT_WINDOW,
                  page=page, keep=keep, urlencode=urllib.parse.urlencode,
                  seconds=time.perf_counter() - t0,
                  filter_menus=w.filter_menus(params, _distinct(arc.conn, "year"), _distinct(arc.conn, "doc_type")))


_DISTINCT_CACHE: dict[tuple[str, str], tuple[float, list]] = {}
DISTINCT_SECONDS = 60  # the filter menus' choices (年度, 文种) change rarely; a full scan per page would not do


def _distinct(conn, col: str) -> list:
    key = (exports.catalog_file(conn), col)
    hit = _DISTINCT_CACHE.get(key)
    if hit and time.monotonic() - hit[0] < DISTINCT_SECONDS:
        return hit[1]
    vals = exports.distinct_values(conn, col)
    _DISTINCT_CACHE[key] = (time.monotonic(), vals)
    return vals


# the sortable columns of the result list; "" is the order a search gives (relevance), or newest first
SORTS = {"": "相关度", "date": "日期", "date_asc": "日期（由早到晚）", "code": "档号", "title": "题名"}
SORT_WINDOW = 200  # a sorted list orders this many of the best matches (said on the page when there are more)


def _sort_key(sort: str):
    def text(v) -> str:
        return v if isinstance(v, str) else ""

    if sort in ("date", "date_asc"):
        return lambda r: (text(r.get("date")) or "", r.get("id") or 0)
    if sort == "code":  # 档号: fonds-year-retention-org-item, the item number compared as a number
        return lambda r: (not r.get("archival_code"), [int(p) if p.isdigit() else p
                                                        for p in re.split(r"(\d+)", text(r.get("archival_code")))])
    return lambda r: (not r.get("title"), text(r.get("title") or r.get("filename")))


def _sorted(arc: Archive, q: str, filters, page: int, sort: str):
    """One page of the best SORT_WINDOW matches (or the newest records passing the filters) in the chosen
    column's order: (Results, whether more matched than were sorted)."""
    from archive import search as search_mod
    from archive.search import Hit, Results

    if q:  # the snippets of the page shown only, not of all SORT_WINDOW (bench/web_bench.md)
        got = search_mod.search(arc.conn, arc.index, q, filters, limit=SORT_WINDOW, page=1, text_snippets=False)
        hits, total = got.hits, got.total
    else:
        where, args = filters.sql()
        total, rows = exports.browse(arc.conn, where, args, SORT_WINDOW, 0)
        hits = [Hit(catalog.record(r), 0.0, "", "filter") for r in rows]
    key = _sort_key(sort)
    hits = sorted(hits, key=lambda h: key(h.record), reverse=(sort == "date"))
    if sort == "date":  # newest first, records without a date last
        hits = [h for h in hits if h.record.get("date")] + [h for h in hits if not h.record.get("date")]
    start = (page - 1) * PAGE_SIZE
    shown = len(hits)
    page_hits = search_mod.fill_snippets(arc.conn, arc.index, q, hits[start:start + PAGE_SIZE]) if q \
        else hits[start:start + PAGE_SIZE]
    return (Results(page_hits, shown, page, max(1, -(-shown // PAGE_SIZE)), True), total > shown)


def _browse(conn, filters, page: int):
    """Filters without words: the newest records that pass them."""
    from archive.search import Hit, Results

    where, args = filters.sql()
    total, rows = exports.browse(conn, where, args, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return Results([Hit(catalog.record(r), 0.0, "", "filter") for r in rows], total, page,
                   max(1, -(-total // PAGE_SIZE)), True)


# ---- the record page --------------------------------------------------------------------------------
def _files(conn, row) -> list[dict]:
    """The record's files, numbered as the URLs name them: 1 its own file, 2… further files, 0 the
    searchable PDF of a scan."""
    out = []
    if row["stored_path"]:
        out.append({"seq": 1, "filename": row["filename"], "media_type": row["media_type"], "size": row["size"],
                    "label": "正本"})
    if row["searchable_path"]:
        out.append({"seq": 0, "filename": Path(row["filename"] or "scan").stem + "（可检索）.pdf",
                    "media_type": "pdf", "size": None, "label": "可检索 PDF（文字识别层）"})
    for f in exports.stored_further_files(conn, row["id"]):
        out.append({"seq": f["seq"], "filename": f["filename"], "media_type": f["media_type"], "size": f["size"],
                    "role": f["role"], "label": f["role"]})  # 正本 / 定稿 / 稿纸 / 附件 / 其他格式 (migration 13)
    return out


def _describe_event(e: dict) -> tuple[str, str]:
    """(what, why) of one event, in Chinese: the one table of event names (archive.display)."""
    from archive.display import event_detail, event_name

    try:
        d = json.loads(e["detail"])
    except ValueError:
        d = {}
    if not isinstance(d, dict):
        d = {}
    return event_name(e["action"], d), event_detail(e["action"], d)


SYSTEM_ACCOUNTS = {"root": "本机管理员", "administrator": "本机管理员"}  # never shown by its system name


def shown_actor(name: str | None) -> str:
    """Who did it, as a clerk reads it: a web user's own name, the machine's administrator account by role."""
    return SYSTEM_ACCOUNTS.get((name or "").lower(), name or "")


def record_page(request: Request):
    user = require(request, "read")
    arc = _state(request).reader
    conn = arc.conn
    row = _row(conn, request.path_params["doc_id"])
    events = []
    for e in catalog.events_for(conn, row["id"]):
        what, why = _describe_event(e)
        events.append({"ts": _state(request).local_time(e["ts"]), "actor": shown_actor(e["actor"]), "what": what,
                       "why": why})
    hold = appraisals.hold_of(conn, row["id"])
    warnings = json.loads(row["warnings"]) if row["warnings"] else []
    fields = [
        ("记录号", row["id"]), ("状态", STATUS_LABELS.get(row["status"], row["status"])),
        ("档号", row["archival_code"]), ("全宗号", row["fonds"]), ("年度", row["year"]),
        ("保管期限", (("建议" if row["status"] == "pending" and row["retention"] else "")
                      + RETENTION_NAMES.get(row["retention"] or "", ""))),
        ("机构(问题)", f"{row['org']} {arc.cfg.orgs.get(row['org'], '')}".strip() if row["org"] else None),
        ("件号", row["item_no"]), ("发文字号", row["doc_number"]), ("原文字号", row["doc_number_raw"]),
        ("题名", row["title"]), ("责任者（发文机关）", row["issuer"]), ("成文日期", row["date"]),
        ("文种", row["doc_type"]), ("密级", row["secrecy"]), ("紧急程度", row["urgency"]),
        ("主送", row["recipients"]), ("签发人", row["signer"]), ("抄送", row["cc"]),
        ("印发", " ".join(x for x in (row["printer"], row["print_date"]) if x)), ("附注", row["note"]),
        ("页数", row["pages"]), ("文字来源", (catalog.text_source(row) or "").replace("OCR", "文字识别")), ("与本机关关系", row["relation"]),
        ("原文件名", row["filename"]), ("校验码", row["sha256"]),
        ("入库时间", _state(request).local_time(row["ingested_at"])),
        ("来源", "导入" if row["origin"] == "import" else "入库"),
        ("人工更正", "、".join(label for k, label in EDIT_FIELDS.items() if k in catalog.corrected_of(row))),
    ]
    from archive.web import filing_pages

    fields += filing_pages.record_fields(conn, row)  # 纸质原件, 盒号 (issue 25 item 4)
    use_pages.log_access(request, user, row, "view", "记录页")
    return render(request, "record.html", user=user, row=row, fields=[(k, v) for k, v in fields if v not in (None, "")],
                  events=events, files=_files(conn, row), hold=hold, warnings=warnings,
                  retention_name=RETENTION_NAMES.get(row["retention"] or "", ""),
                  process=[{**s, "at": _state(request).local_time(s["at"]) if s["at"] else ""}  # an OA 归档信息包's
                           for s in catalog_process.steps_of(conn, row["id"])])


def _stored(arc: Archive, row, seq: int) -> tuple[Path, str, str]:
    """(absolute path, download name, media type) of one of the record's files, from the catalog only."""
    if seq == 1:
        rel, name, media = row["stored_path"], row["filename"], row["media_type"]
    elif seq == 0:
        rel, name, media = row["searchable_path"], Path(row["filename"] or "scan").stem + "（可检索）.pdf", "pdf"
    else:
        f = exports.further_file(arc.conn, row["id"], seq)
        rel, name, media = (f["stored_path"], f["filename"], f["media_type"]) if f else (None, None, None)
    if not rel:
        raise NotFoundError(f"记录 {row['id']} 没有第 {seq} 个文件（或已销毁）")
    root = arc.store.root.resolve()
    path = (root / rel).resolve()
    if root not in path.parents or not path.is_file():  # the catalog's own path, checked all the same
        raise NotFoundError(f"记录 {row['id']} 的文件不在档案库中：请档案员检查档案库的完整性")
    return path, name or path.name, media or ""


CONTENT_TYPES = {"pdf": "application/pdf", "ofd": "application/ofd",
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "text": "text/plain; charset=utf-8"}


def file_download(request: Request):
    user = require(request, "read")
    arc = _state(request).reader
    row = _row(arc.conn, request.path_params["doc_id"])
    path, name, media = _stored(arc, row, request.path_params["seq"])
    inline = request.query_params.get("inline") == "1" and media == "pdf"
    use_pages.log_access(request, user, row, "view" if inline else "download", f"第 {request.path_params['seq']} 个文件 {name}")
    return FileResponse(path, media_type=CONTENT_TYPES.get(media, "application/octet-stream"), filename=name,
                        content_disposition_type="inline" if inline else "attachment",
                        headers={} if inline else {"Content-Security-Policy": "sandbox"})


def view_page(request: Request):
    """A file in the browser as pages: a PDF inline; an OFD or an image as page images drawn on the server; a
    DOCX/DOC/WPS/RTF as its PDF rendition (a stored one first); other files as their extracted text."""
    from archive.web import render as rendering

    user = require(request, "read")
    w = _state(request)
    arc = w.reader
    row = _row(arc.conn, request.path_params["doc_id"])
    seq = request.path_params["seq"]
    path, name, media = _stored(arc, row, seq)
    use_pages.log_access(request, user, row, "view", f"第 {seq} 个文件 {name}")
    text, pages, frame, note = None, 0, None, None
    try:
        if media == "pdf":
            frame = f"/doc/{row['id']}/file/{seq}?inline=1"
        elif media == "ofd":
            pages = rendering.ofd_pages(path)
        elif media == "image":
            pages = rendering.image_pages(path)
        elif media in rendering.OFFICE_KINDS:
            kept = rendering.stored_rendition(_files(arc.conn, row)) if seq == 1 else None
            frame = (f"/doc/{row['id']}/file/{kept['seq']}?inline=1" if kept
                     else f"/doc/{row['id']}/rendition/{seq}")
            note = "库中保存的版式文件" if kept else "由系统排版生成的页面，仅供阅读；以下载的文件为准"
    except ArchiveError as e:
        note, frame, pages = str(e), None, 0
    if frame is None and not pages:
        text = exports.text_of(arc.conn, row["id"]) or ""
    return render(request, "view.html", user=user, row=row, seq=seq, name=name, media=media, text=text,
                  pages=pages, frame=frame, note=note)


def _file_sha(arc: Archive, row, seq: int) -> str | None:
    if seq == 1:
        return row["sha256"]
    if seq == 0:
        return None
    f = exports.further_file(arc.conn, row["id"], seq)
    return f["sha256"] if f and "sha256" in f.keys() else None


def page_image(request: Request):
    """Page ``n`` of an OFD or an image file, as a PNG drawn on the server (cached beside the inbox)."""
    from archive.web import render as rendering

    require(request, "read")
    w = _state(request)
    arc = w.reader
    row = _row(arc.conn, request.path_params["doc_id"])
    seq, n = request.path_params["seq"], request.path_params["n"]
    path, _name, media = _stored(arc, row, seq)
    sha = _file_sha(arc, row, seq) or _sha256_of(path)
    if media == "ofd":
        png = rendering.ofd_page_png(w.cfg, path, sha, n)
    elif media == "image":
        png = rendering.image_page_png(w.cfg, path, sha, n)
    else:
        raise NotFoundError("该文件不以图像显示")
    return FileResponse(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


def rendition_file(request: Request):
    """The PDF rendition of a DOCX/DOC/WPS/RTF file, shown inline (made by LibreOffice once per file)."""
    from archive.web import render as rendering

    require(request, "read")
    w = _state(request)
    arc = w.reader
    row = _row(arc.conn, request.path_params["doc_id"])
    seq = request.path_params["seq"]
    path, name, media = _stored(arc, row, seq)
    if media not in rendering.OFFICE_KINDS:
        raise NotFoundError("该文件没有排版后的页面")
    pdf = rendering.office_pdf(w.cfg, path, _file_sha(arc, row, seq) or _sha256_of(path), media)
    return FileResponse(pdf, media_type="application/pdf", filename=Path(name).stem + "（页面）.pdf",
                        content_disposition_type="inline")


def _sha256_of(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def stamp_download(request: Request):
    """The 归档章 copy: a new file with the stamp on page 1 (a PDF for PDF and DOCX records, an OFD with the
    stamp as an annotation for OFD records); the stored original is not touched."""
    from archive.export.stamping import OUTPUT_SUFFIX, stamp_record

    user = require(request, "read")
    arc = _state(request).reader
    row = _row(arc.conn, request.path_params["doc_id"])
    suffix = OUTPUT_SUFFIX.get(row["media_type"] or "", ".pdf")
    tmpdir = Path(tempfile.mkdtemp(prefix="archive-stamp-"))
    out = tmpdir / f"stamped{suffix}"
    try:
        stamp_record(arc.store, row, arc.cfg, out)
        use_pages.log_access(request, user, row, "stamp", out.name)
    except BaseException:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    pdf = suffix == ".pdf"
    return FileResponse(out, media_type="application/pdf" if pdf else "application/ofd",
                        filename=f"{row['archival_code']}（归档章）{suffix}",
                        content_disposition_type="inline" if pdf else "attachment",
                        background=BackgroundTask(shutil.rmtree, tmpdir, True))


def reclassify_post(request: Request, form) -> Response:
    from archive.review import reclassify

    user = require(request, "review")
    w = _state(request)
    doc_id = request.path_params["doc_id"]
    with w.write_mutex, catalog.acting_as(user.name):
        row = _row(w.writer.conn, doc_id)
        status = form.get("status") or None
        if status not in (None, "archived", "excluded", "pending"):
            raise UsageError(f"状态 “{status}” 无效")
        reclassify(w.writer, row, retention=_retention(form.get("retention")),
                   org=form.get("org") or None, year=_year(form.get("year")),
                   status=status, reason=str(form.get("reason") or "").strip())
    return RedirectResponse(f"/doc/{doc_id}", 303)


def edit_post(request: Request, form) -> Response:
    """The correction form of the record page: the same service as ``archive edit`` (archivists only)."""
    user = require(request, "archival")
    w = _state(request)
    doc_id = request.path_params["doc_id"]
    changes = {k: form.get(k) for k in EDIT_FIELDS if isinstance(form.get(k), str)}
    with w.write_mutex, catalog.acting_as(user.name):
        edit_record(w.writer, _row(w.writer.conn, doc_id), changes, reason=str(form.get("reason") or ""))
    return RedirectResponse(f"/doc/{doc_id}", 303)


# ---- filing -----------------------------------------------------------------------------------------
def file_page(request: Request):
    user = require(request, "file")
    return render(request, "file.html", user=user, results=None,
                  max_mb=_state(request).cfg.limits.max_file_mb)


def file_one(w: WebArchive, user: User, upload) -> dict:
    """Write one upload into the inbox atomically and run it through the pipeline (the one code path)."""
    name = upload_name(upload.filename)
    arc = w.writer
    limit = w.cfg.limits.max_file_mb * 1024 * 1024
    stamp = display.stamp(w.cfg.tz)
    folder = w.cfg.inbox / UPLOAD_DIR / f"{stamp}-{secrets.token_hex(4)}"

    def place() -> Path | None:  # the upload into the inbox, whole, or nothing when it is too large
        folder.mkdir(parents=True)
        part = folder / (name + ".part")
        size = 0
        try:
            with open(part, "wb") as f:
                while chunk := upload.file.read(1 << 20):
                    size += len(chunk)
                    if size > limit:
                        break
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
        except BaseException as e:  # a full disk: neither the .part nor its folder stays behind
            part.unlink(missing_ok=True)
            shutil.rmtree(folder, ignore_errors=True)
            if isinstance(e, OSError):
                raise StoreError(f"无法接收上传的文件 {name}（{e.strerror or e}）：请检查收件箱所在磁盘的空间") from e
            raise
        if size > limit:
            part.unlink()
            folder.rmdir()
            return None
        os.rename(part, folder / name)
        return folder / name

    with w.write_mutex, catalog.acting_as(user.name):
        taken = intake.take_in_placed(arc, place)  # searchable at once
    if taken is None:
        return {"file": name, "outcome": "failed", "reason": f"文件超过 {w.cfg.limits.max_file_mb} MB，未接收",
                "record": None}
    if not taken.results:  # the extraction was stopped (the server is shutting down): the upload stays in the inbox
        raise StopRequested("收到停止请求：文件留在收件箱中")
    result = taken.results[0]
    try:
        folder.rmdir()  # empty once the pipeline moved the original to processed/ (or duplicates/ …)
        folder.parent.rmdir()
    except OSError:
        pass
    return {"file": name, "outcome": result.outcome, "reason": result.reason, "record": result.record}


async def file_post(request: Request):
    user = require(request, "file")
    form = await checked_form(request)
    w = _state(request)
    uploads = [f for f in form.getlist("files") if hasattr(f, "filename") and f.filename]
    if not uploads:
        raise UsageError("请选择要归档的文件")
    names = [upload_name(f.filename) for f in uploads]  # refuse a bad name before filing any
    assert len(names) == len(uploads)
    results = []
    for up in uploads:
        results.append(await asyncio.wrap_future(w.ingest_thread.submit(file_one, w, user, up)))
    if request.headers.get("x-requested-with") == "fetch":
        return render(request, "file_rows.html", user=user, results=results)
    return render(request, "file.html", user=user, results=results, max_mb=w.cfg.limits.max_file_mb)


# ---- review -----------------------------------------------------------------------------------------
def review_page(request: Request, done: list | None = None, errors: list | None = None, status: int = 200):
    from archive.review import pending

    user = require(request, "review")
    conn = _state(request).reader.conn
    items = pending(conn, limit=500)  # the rows shown, and the count (not all rows: seconds at 100,000)
    return render(request, "review.html", status=status, user=user, items=items, total=catalog.count_pending(conn),
                  done=done or [], errors=errors or [],
                  default_org=_state(request).cfg.default_org)


def review_post(request: Request, form) -> Response:
    from archive.review import confirm

    user = require(request, "review")
    w = _state(request)
    action = form.get("action") or ""
    if action.startswith(("accept:", "exclude:", "receipt:")):
        verb, _, one = action.partition(":")
        ids = [_int(one, "记录号")]
    elif action in ("accept", "exclude"):
        verb, ids = action, [_int(v, "记录号") for v in form.getlist("ids")]
    else:
        raise UsageError("未知的操作")
    if not ids:
        raise UsageError("请先勾选要处理的文件")
    bulk_ret = _retention(form.get("bulk_retention")) if len(ids) > 1 else None
    done, errors = [], []
    with w.write_mutex, catalog.acting_as(user.name):
        for doc_id in ids:
            try:
                row = _row(w.writer.conn, doc_id)
                if verb == "receipt":  # the 收文 registration: the table decides again (issue 26)
                    from archive.review import set_receipt

                    rec = set_receipt(w.writer, row, form.get(f"receipt_{doc_id}") or "",
                                      reason=form.get("reason") or None)
                elif verb == "exclude":
                    rec = confirm(w.writer, row, retention=None, org=None, exclude=True,
                                  reason=form.get("reason") or "网页审核：确认不归档")
                else:
                    ret = _retention(form.get(f"retention_{doc_id}")) or bulk_ret or row["retention"]
                    if ret is None:
                        raise UsageError("没有建议的保管期限：请在该行选择保管期限")
                    org = form.get(f"org_{doc_id}") or row["org"] or None
                    rec = confirm(w.writer, row, retention=ret, org=org,
                                  year=_year(form.get(f"year_{doc_id}")),
                                  reason=form.get("reason") or "网页审核：确认归档")
                done.append(rec)
            except ArchiveError as e:
                errors.append(f"记录 {doc_id}：{e}")
    return review_page(request, done, errors, status=200 if not errors or done else 400)


# ---- archivist's pages ------------------------------------------------------------------------------
def dashboard_page(request: Request):
    from archive import secrecy_queue

    user = require(request, "oversee")
    w = _state(request)
    conn = w.reader.conn
    s = catalog.stats(conn)
    by_year: dict[int, dict[str, int]] = {}
    by_org: dict[str, int] = {}
    for r in s["archived_by_year"]:
        by_year.setdefault(r["year"], {}).setdefault(r["retention"], 0)
        by_year[r["year"]][r["retention"]] += r["n"]
        by_org[r["org"] or ""] = by_org.get(r["org"] or "", 0) + r["n"]
    from archive import filing, health

    return render(request, "dashboard.html", user=user, s=s, chart=bar_chart(by_year), by_org=by_org,
                  years=sorted(by_year, reverse=True), by_year=by_year,
                  holds=appraisals.count_holds(conn), secrecy_held=secrecy_queue.held_count(w.reader),
                  health=health.check(w.cfg),  # the last backup set and drill, disk, store (issue 30)
                  unfiled=filing.unfiled(w.reader))  # years still to be filed, deadline, blocks (issue 25)


RET_COLORS = {"Y": "#8c1c13", "D30": "#c9822b", "D10": "#5b7f95"}


def bar_chart(by_year: dict[int, dict[str, int]], width: int = 720, height: int = 260) -> dict:
    """A stacked bar per 年度 (永久 / 30年 / 10年), as shapes the template draws in plain SVG."""
    years = sorted(by_year)[-15:]
    most = max([sum(by_year[y].values()) for y in years] or [1]) or 1
    step = _nice_step(most / 4)
    top = step * 4 if step * 4 >= most else step * 5
    left, bottom, plot_h = 56, 28, height - 48
    slot = min(90.0, (width - left - 10) / max(1, len(years)))
    bar_w = slot * 0.62
    bars, labels = [], []
    for i, y in enumerate(years):
        x = left + 12 + i * slot
        base = height - bottom
        for ret in ("Y", "D30", "D10"):
            n = by_year[y].get(ret, 0)
            if not n:
                continue
            h = plot_h * n / top
            base -= h
            bars.append({"x": round(x, 1), "y": round(base, 1), "w": round(bar_w, 1), "h": round(h, 1),
                         "color": RET_COLORS[ret], "title": f"{y}年度 {RETENTION_NAMES[ret]}：{n} 件"})
        labels.append({"x": round(x + bar_w / 2, 1), "y": height - bottom + 16, "text": str(y),
                       "total": sum(by_year[y].values()), "ty": round(base - 4, 1)})
    ticks = [{"y": round(height - bottom - plot_h * v / top, 1), "v": v} for v in range(0, top + 1, step)]
    return {"width": width, "height": height, "bars": bars, "labels": labels, "ticks": ticks, "left": left,
            "right": round(left + 12 + len(years) * slot + 10, 1),
            "legend": [(RETENTION_NAMES[k], k) for k in RET_COLORS]}


def _nice_step(raw: float) -> int:
    """1, 2, 5, 10, 20, 50 … at least ``raw``: axis ticks people read at a glance."""
    k = 1
    while True:
        for m in (1, 2, 5):
            if k * m >= raw:
                return k * m
        k *= 10


def export_post(request: Request, form) -> Response:
    from archive.export import catalogue

    require(request, "archival")
    w = _state(request)
    year = _year(form.get("year"))
    if year is None:
        raise UsageError("请填写年度")
    fmt = form.get("format") or "xlsx"
    if fmt not in ("xlsx", "docx", "pdf"):
        raise UsageError(f"格式 “{fmt}” 无效：应为 xlsx、docx、pdf")
    org = form.get("org") or None
    sheets = catalogue.catalogue_sheets(w.reader.conn, w.cfg, year, _retention(form.get("retention")), org)
    if not any(s.rows for s in sheets):
        raise NotFoundError(f"{year} 年度没有已归档的文件")
    tmpdir = Path(tempfile.mkdtemp(prefix="archive-export-"))
    out = tmpdir / f"catalogue.{fmt}"
    try:
        catalogue.write(sheets, out, fmt)
    except BaseException:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    return FileResponse(out, filename=f"{w.cfg.fonds}-{year}年度归档文件目录.{fmt}",
                        background=BackgroundTask(shutil.rmtree, tmpdir, True))


def audit_page(request: Request):
    from archive import audit

    user = require(request, "oversee")
    conn = _state(request).reader.conn
    error = None
    day = display.today()
    try:
        day = _date(request.query_params.get("as_of"), "鉴定基准日") or day
    except ArchiveError as e:
        error = str(e)
    items = audit.due_list(conn, day, _state(request).cfg)  # the configured years of old 长期/短期, as the CLI
    return render(request, "audit.html", user=user, items=items, day=day, error=error,
                  held=sum(1 for i in items if i.hold_reason))


def holds_page(request: Request, error: str | None = None, status: int = 200):
    user = require(request, "oversee")
    conn = _state(request).reader.conn
    rows = appraisals.list_holds(conn, 500)
    return render(request, "holds.html", status=status, user=user, rows=rows, error=error)


def holds_post(request: Request, form) -> Response:
    from archive import audit

    user = require(request, "archival")
    w = _state(request)
    reason = str(form.get("reason") or "").strip()
    with w.write_mutex, catalog.acting_as(user.name):
        if form.get("action") == "release":
            row = _row(w.writer.conn, _int(form.get("doc_id"), "记录号"))
            audit.release(w.writer, row, reason)
        else:
            ref = str(form.get("ref") or "").strip()
            if not ref:
                raise UsageError("请填写档号、文号或记录号")
            row = w.writer.resolve(ref)
            audit.hold(w.writer, row, reason)
    return RedirectResponse("/admin/holds", 303)


# ---- the 保密员's queue (issue 22; archive/secrecy_queue.py) -------------------------------------------
def secrecy_page(request: Request, error: str | None = None, status: int = 200, done: str | None = None):
    from archive import secrecy_queue

    user = require(request, "secrecy")
    reader = _state(request).reader
    rows = secrecy_queue.held_files(reader, include_decided=True)
    waiting = [r for r in rows if r["decided_at"] is None]
    decided = [r for r in rows if r["decided_at"] is not None][:100]
    return render(request, "secrecy.html", status=status, user=user, waiting=waiting, decided=decided,
                  decisions=secrecy_queue.DECISIONS, error=error, done=done or request.query_params.get("done"))


def secrecy_post(request: Request, form) -> Response:
    from archive import secrecy_queue

    user = require(request, "secrecy")
    w = _state(request)
    with w.write_mutex, catalog.acting_as(user.name):
        result = secrecy_queue.decide(w.writer, _int(form.get("id"), "隔离文件编号"),
                                      str(form.get("decision") or "").strip(), str(form.get("reason") or ""))
    from urllib.parse import quote

    return RedirectResponse("/secrecy?done=" + quote(result["message"]), 303)


# ---- wiring -----------------------------------------------------------------------------------------
def _sync(handler):
    """A GET handler run in the thread pool (SQLite and Whoosh block)."""
    async def endpoint(request: Request):
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(handler, request)
    return endpoint


def _post(handler):
    """A POST handler: the form's CSRF token is checked first, then the handler runs in the thread pool."""
    async def endpoint(request: Request):
        from starlette.concurrency import run_in_threadpool

        form = await checked_form(request)
        return await run_in_threadpool(handler, request, form)
    return endpoint


async def home(request: Request):
    user = current_user(request)
    if user is None:
        return RedirectResponse("/login", 303)
    return RedirectResponse("/search", 303)


async def on_error(request: Request, exc: Exception):
    if isinstance(exc, HTTPException):
        if exc.status_code in (301, 302, 303, 307):
            return Response(status_code=exc.status_code, headers=exc.headers)
        status, message = exc.status_code, exc.detail
    elif isinstance(exc, NotFoundError):
        status, message = 404, str(exc)
    elif isinstance(exc, ArchiveError):
        status, message = (400 if exc.exit_code == 2 else 409), str(exc)
    else:
        status, message = 500, "服务器内部错误：请联系管理员查看日志"
    if status == 404 and not isinstance(exc, NotFoundError):
        message = "找不到此页面"
    try:
        return render(request, "error.html", status=status, message=message)
    except Exception:
        return PlainTextResponse(message, status_code=status)


class PathGuard:
    """Refuses a request whose URL path or query holds ``../`` or an absolute path, before any handler."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            raw = urllib.parse.unquote(scope.get("raw_path", b"").decode("latin-1")) or scope["path"]
            bad = ".." in raw.split("?")[0].replace("\\", "/").split("/") or "\x00" in raw
            if not bad:
                for k, v in urllib.parse.parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                                                   keep_blank_values=True, encoding="utf-8", errors="replace"):
                    if pathlike(k, v):
                        bad = True
                        break
            if bad:
                msg = "请求中不允许出现文件路径（“..”、以 / 开头或盘符）".encode("utf-8")
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                        (b"content-length", str(len(msg)).encode())]})
                await send({"type": "http.response.body", "body": msg})
                return
        await self.app(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Refuses a request body over its limit before anything reads it (issue 23: a 400 MB POST to /login was
    spooled to a temporary file before the 403): by its Content-Length at once, and by counting the bytes of
    a streamed body, with 413 and a page in Chinese. Any request: [web] max_request_kb; POST /file by a user
    who may file (logged in, or the local user): [web] max_upload_mb. Inside SessionMiddleware (the session
    is known)."""

    def __init__(self, app, w: WebArchive):
        self.app = app
        self.w = w

    def _limit(self, scope) -> tuple[int, str]:
        web = self.w.cfg.web
        small = (web.max_request_kb * 1024, f"{web.max_request_kb} KB")
        path = scope.get("path") or ""
        upload = path == "/file" or bool(re.fullmatch(r"/appraisals/\d+/approve", path))  # the signed 签批件
        if scope.get("method") != "POST" or not upload:
            return small
        w = self.w
        if not w.accounts_on():
            user = User(None, catalog.actor(), "档案员", local=True) if is_loopback(w.host) else None
        else:
            user = accounts.session_user(w.reader.conn, (scope.get("session") or {}).get("sid"))
        if user is None or not user.may("file" if path == "/file" else "oversee"):
            return small
        return web.max_upload_mb * 1024 * 1024, f"{web.max_upload_mb} MB"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        from starlette.concurrency import run_in_threadpool

        limit, shown = await run_in_threadpool(self._limit, scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        started = False

        async def refuse():
            msg = (f"<!doctype html><meta charset=utf-8><title>请求过大</title><h1>请求过大</h1>"
                   f"<p>提交的内容超过 {shown} 的上限，未接收。上传文件请先登录（文书、档案员），"
                   f"或分批上传。</p>").encode("utf-8")
            await send({"type": "http.response.start", "status": 413,
                        "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                    (b"content-length", str(len(msg)).encode()), (b"connection", b"close")]})
            await send({"type": "http.response.body", "body": msg})

        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return await refuse()
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge()
            return message

        async def watched_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched_send)
        except _BodyTooLarge:
            if not started:
                await refuse()


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        async def send_with(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {h[0].lower() for h in headers}
                for k, v in ((b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"SAMEORIGIN"),
                             (b"referrer-policy", b"same-origin"),
                             (b"content-security-policy", b"default-src 'self'; object-src 'self'; "
                                                          b"frame-ancestors 'self'; form-action 'self'")):
                    if k not in names:
                        headers.append((k, v))
                message["headers"] = headers
            await send(message)
        await self.app(scope, receive, send_with)


def _lifespan(w: WebArchive):
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        w.close()
    return lifespan


def create_app(cfg: Config, host: str = "127.0.0.1", *, secure_cookies: bool = False,
               warm_ocr: bool = False) -> Starlette:
    """The web application over the archive ``cfg`` names. Raises UsageError when bound beyond the local
    machine without accounts. ``warm_ocr`` (archive serve): the extraction worker loads the OCR engine now,
    so the first uploaded scan does not wait for it."""
    from archive.web import filing_pages
    from archive.web import appraisal_pages

    w = WebArchive(cfg, host)
    if warm_ocr:
        w.ingest_thread.submit(w.writer.worker.warm)  # in the thread that runs every ingest (the child dies with it)
    routes = [
        Route("/", home),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_post, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/search", _sync(search_page)),
        Route("/doc/{doc_id:int}", _sync(record_page)),
        Route("/doc/{doc_id:int}/view/{seq:int}", _sync(view_page)),
        Route("/doc/{doc_id:int}/file/{seq:int}", _sync(file_download)),
        Route("/doc/{doc_id:int}/page/{seq:int}/{n:int}", _sync(page_image)),
        Route("/doc/{doc_id:int}/rendition/{seq:int}", _sync(rendition_file)),
        Route("/doc/{doc_id:int}/stamp", _sync(stamp_download)),
        Route("/doc/{doc_id:int}/reclassify", _post(reclassify_post), methods=["POST"]),
        Route("/doc/{doc_id:int}/edit", _post(edit_post), methods=["POST"]),
        Route("/file", _sync(file_page), methods=["GET"]),
        Route("/file", file_post, methods=["POST"]),
        Route("/review", _sync(review_page), methods=["GET"]),
        Route("/review", _post(review_post), methods=["POST"]),
        Route("/admin", _sync(dashboard_page)),
        Route("/admin/export", _post(export_post), methods=["POST"]),
        Route("/admin/audit", _sync(audit_page)),
        Route("/admin/holds", _sync(holds_page), methods=["GET"]),
        Route("/admin/holds", _post(holds_post), methods=["POST"]),
        Route("/secrecy", _sync(secrecy_page), methods=["GET"]),
        Route("/secrecy", _post(secrecy_post), methods=["POST"]),
        *use_pages.routes(),
        *filing_pages.routes(),  # 年度整理归档 (archive/web/filing_pages.py)
        *appraisal_pages.routes(),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [Middleware(PathGuard), Middleware(SecurityHeaders)]
    if is_loopback(host):
        # a page on the local machine answers to local names only (no DNS rebinding from a web site)
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost", "[::1]", "::1"]))
    middleware.append(Middleware(SessionMiddleware, secret_key=w.secret_key(), session_cookie="archive_session",
                                 max_age=accounts.SESSION_SECONDS, same_site="strict", https_only=secure_cookies))
    middleware.append(Middleware(BodyLimit, w=w))  # innermost of ours: it knows the session (issue 23)
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HTTPException: on_error, ArchiveError: on_error, Exception: on_error},
                    lifespan=_lifespan(w))
    app.state.web = w
    for msg in w.writer.reconcile():
        print(msg)
    return app
