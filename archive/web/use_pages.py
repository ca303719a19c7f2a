"""The web pages of issue 28: the use register and the requests (利用), the access log, and 移交 with its
开放审核. A 查阅 user files a request for records and sees its state; the 档案员 grants or refuses it (a grant
makes the register entry, with the rules ``archive use register`` keeps) and sees the register, the access log
and the transfer pages. ``log_access`` is the one call the record, file view, download and stamp routes of
app.py make. Added to app.py's routes with one line (``routes()``)."""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from archive import access_log, catalog, transfer, use
from archive.bounds import parse_date
from archive.errors import NotFoundError, UsageError
from archive.web import app as web

MAX_REFS = 50


def log_access(request: Request, user, row, action: str, detail: str | None = None) -> None:
    """An access-log entry for the web user ``user`` (written by the one writer, under its mutex)."""
    write_access(web._state(request), user.name, row, action, detail)


class _Entry:
    def __init__(self, actor: str, row, action: str, detail: str | None):
        self.actor, self.row, self.action, self.detail = actor, row, action, detail
        self.written = False
        self.error: BaseException | None = None


def write_access(w, actor: str, row, action: str, detail: str | None = None) -> None:
    """The entry committed (and synced to disk) before this returns, in a group: the entries of the requests
    that waited for the writer meanwhile are written by whichever of them gets it first, in one unit of work,
    so ten users' record views share a disk sync instead of queueing for one each (issue 29). An entry that
    could not be written fails its own request, as before."""
    me = _Entry(actor, row, action, detail)
    with w.access_lock:
        w.access_queue.append(me)
    with w.write_mutex:
        if not me.written and me.error is None:
            with w.access_lock:
                group, w.access_queue = w.access_queue, []
            try:
                with catalog.acting_as(group[0].actor), w.writer.change(group[0].actor, "访问记录"):
                    for e in group:
                        access_log.record(w.writer, e.row, e.action, "web", e.detail, actor=e.actor)
            except BaseException as err:  # noqa: BLE001 - each waiting request raises it on its own
                for e in group:
                    e.error = err
            else:
                for e in group:
                    e.written = True
    if me.error is not None:
        raise me.error


def _refs(arc, text: str) -> list:
    parts = [p for p in re.split(r"[\s,，;；、]+", text or "") if p]
    if not parts:
        raise UsageError("请填写档号、文号或记录号（可多个，用空格或逗号分开）")
    if len(parts) > MAX_REFS:
        raise UsageError(f"一次最多 {MAX_REFS} 件")
    return [arc.resolve(p) for p in parts]


def _done(path: str, message: str) -> Response:
    return RedirectResponse(f"{path}?done=" + quote(message), 303)


# ---- 利用 --------------------------------------------------------------------------------------------
def use_page(request: Request, error: str | None = None, status: int = 200):
    user = web.require(request, "read")
    arc = web._state(request).reader
    archivist = user.may("archival")
    mine = use.requests(arc, None if archivist else user.name)
    ctx = {"requests": mine, "ways": use.WAYS, "error": error, "done": request.query_params.get("done"),
           "archivist": archivist, "entries": [], "overdue": []}
    if archivist:
        items = use.entries(arc)
        ctx["entries"] = [use.register_row(arc, u) for u in reversed(items[-200:])]
        ctx["columns"] = use.REGISTER_COLUMNS
        ctx["overdue"] = [use.register_row(arc, u) for u in use.entries(arc, overdue=True)]
    return web.render(request, "use_register.html", status=status, user=user, **ctx)


def use_request_post(request: Request, form) -> Response:
    user = web.require(request, "read")
    w = web._state(request)
    with w.write_mutex, catalog.acting_as(user.name):
        rows = _refs(w.writer, str(form.get("refs") or ""))
        req = use.file_request(w.writer, user.name, rows, person=str(form.get("person") or user.name),
                               unit=str(form.get("unit") or ""), purpose=str(form.get("purpose") or ""),
                               way=str(form.get("way") or ""))
    return _done("/use", f"已提交第 {req['id']} 号利用申请，待档案员审批")


def use_decide_post(request: Request, form) -> Response:
    user = web.require(request, "archival")
    w = web._state(request)
    grant = form.get("grant") == "1"
    due = parse_date(str(form.get("due") or "") or None, "归还期限")
    with w.write_mutex, catalog.acting_as(user.name):
        req = use.decide_request(w.writer, web._int(form.get("id"), "申请编号"), grant=grant, by=user.name,
                                 approved_by=str(form.get("approved_by") or "") or None, due=due,
                                 note=str(form.get("note") or "") or None)
    return _done("/use", f"第 {req['id']} 号利用申请{req['state']}" + (f"，登记为第 {req['use_id']} 号利用" if req["use_id"] else ""))


def access_page(request: Request):
    user = web.require(request, "archival")
    arc = web._state(request).reader
    ref = (request.query_params.get("ref") or "").strip()
    row = arc.resolve(ref) if ref else None
    items = access_log.entries(arc, row)
    rows = access_log.sheets(arc, list(reversed(items[-500:])), "")[0].rows
    return web.render(request, "use_access.html", user=user, rows=rows, columns=access_log.COLUMNS, ref=ref,
                      total=len(items), row=row)


# ---- 移交 ---------------------------------------------------------------------------------------------
def transfer_page(request: Request, error: str | None = None, status: int = 200):
    user = web.require(request, "archival")
    arc = web._state(request).reader
    year = web._year(request.query_params.get("year"))
    items = transfer.plan(arc, year) if year else []
    return web.render(request, "use_transfer.html", status=status, user=user, year=year, items=items,
                      openness=transfer.OPENNESS, disclosure=transfer.DISCLOSURE,
                      reasons=arc.cfg.transfer.control_reasons, transfers=transfer.transfers(arc),
                      due=transfer.due_from(year, arc.cfg) if year else None,
                      is_due=transfer.is_due(arc, year) if year else False, error=error,
                      done=request.query_params.get("done"))


def transfer_review_post(request: Request, form) -> Response:
    user = web.require(request, "archival")
    w = web._state(request)
    year = web._year(form.get("year"))
    ids = [web._int(v, "记录号") for v in form.getlist("doc")]
    if not ids:
        raise UsageError("请勾选要审核的档案")
    with w.write_mutex, catalog.acting_as(user.name):
        rows = []
        for doc_id in ids:
            r = catalog.get_record(w.writer.conn, doc_id)
            if r is None:
                raise NotFoundError(f"没有记录号 {doc_id}")
            rows.append(r)
        done = transfer.review(w.writer, rows, openness=str(form.get("openness") or ""),
                               disclosure=str(form.get("disclosure") or ""),
                               reason=str(form.get("reason") or "") or None,
                               secrecy_change=str(form.get("secrecy_change") or "") or None, by=user.name)
    return RedirectResponse(f"/transfer?year={year or ''}&done=" + quote(f"已记录开放审核 {len(done)} 件"), 303)


def routes() -> list[Route]:
    return [
        Route("/use", web._sync(use_page), methods=["GET"]),
        Route("/use/request", web._post(use_request_post), methods=["POST"]),
        Route("/use/decide", web._post(use_decide_post), methods=["POST"]),
        Route("/use/access", web._sync(access_page), methods=["GET"]),
        Route("/transfer", web._sync(transfer_page), methods=["GET"]),
        Route("/transfer/review", web._post(transfer_review_post), methods=["POST"]),
    ]
