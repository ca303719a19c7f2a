"""到期鉴定 and 销毁 as web pages: the same services and checks as the command line (archive/appraisal.py).

    /appraisals                  every appraisal and the step it has reached
    /appraisals/new?as_of=…      the due list (audit.due_list) with a decision per record → appraisal.appraise
    /appraisals/{id}             its decisions and documents; the 领导's approval form (document number, date,
                                 the signed 签批件 optionally) → appraisal.approve; the 监销 form → appraisal.destroy
    /appraisals/{id}/register    the 销毁清册 as it stands (appraisal.draft_register), an Excel table

Who may do which step is the services' own check (issue 26): these pages only require the page's permission
(see: oversee; appraise and 监销: archival; approve: oversee) and pass the logged-in user's name as the actor and,
for the approval, as the approving leader. A signed 签批件 goes through appraisal.approve, which sends it through
the 涉密 gate (importing.gate_file) before it is archived.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from archive import catalog, display
from archive.errors import ArchiveError, UsageError
from archive.words import DECISION_NAMES

# the choices of one due record on the decision form: (value, label); extend carries its new period
CHOICES = [("", "暂不鉴定"), ("destroy", "销毁"), ("extend:D30", "延期至30年"), ("extend:Y", "延期为永久"),
           ("doubtful", "存疑（从长）")]


def _app():
    from archive.web import app  # the page helpers (require, render, forms); imported late: app imports us

    return app


# the command line's words in a service's message, as this page names the same field or step
PAGE_WORDS = [
    (r"请用 --destroy / --extend / --doubtful 逐一写明", "请在“鉴定结论”一栏逐件选择"),
    (r"请用 --member 逐一写明", "请在“鉴定小组成员”中逐一写明"),
    (r"请用 --supervisor 逐一写明", "请在“监销人”中逐一写明"),
    (r"（--leader）", ""), (r"（--document，", "（"), (r"（--method，", "（"), (r"（--place）", ""),
    (r"请先 archive approve \d+", "请先经领导批准"), (r"请用 archive appraisals 查看", "请在“鉴定与销毁”中查看"),
    (r"请先用 archive reclassify 补正", "请先在记录页“重新分类”中补正"),
    (r"--[a-z][a-z-]*", ""), (r"archive [a-z]+", "档案系统"),
]


def for_the_page(message: str) -> str:
    """A service's message as the web page says it: no options, no command names."""
    import re

    for pattern, words in PAGE_WORDS:
        message = re.sub(pattern, words, message)
    return message


def _names(text: str) -> list[str]:
    """People typed one per line, or separated by 、，, or spaces."""
    import re

    return [n for n in re.split(r"[\n\r、，,；;\s]+", text or "") if n.strip()]


def _appraisal_id(request: Request) -> int:
    return request.path_params["appraisal_id"]


def list_page(request: Request):
    from archive import appraisal

    a = _app()
    user = a.require(request, "oversee")
    rows = appraisal.listing(a._state(request).reader.conn)
    return a.render(request, "appraisal_list.html", user=user, rows=list(reversed(rows)))


def new_page(request: Request, error: str | None = None, status: int = 200, form=None):
    from archive import audit

    a = _app()
    user = a.require(request, "archival")
    w = a._state(request)
    day = display.today()
    try:
        day = a._date((form or request.query_params).get("as_of"), "鉴定基准日") or day
        audit.not_future(day)
    except ArchiveError as e:
        error, day = error or for_the_page(str(e)), display.today()
    items = audit.due_list(w.reader.conn, day, w.cfg)
    return a.render(request, "appraisal_new.html", status=status, user=user, items=items, day=day, error=error,
                    choices=CHOICES, form=form or {}, on_list=audit.pending_destruction(w.reader.conn))


def new_post(request: Request, form) -> Response:
    from archive import appraisal

    a = _app()
    user = a.require(request, "archival")
    w = a._state(request)
    try:
        day = a._date(form.get("as_of"), "鉴定基准日") or display.today()
        members = _names(str(form.get("members") or ""))
        default_reason = str(form.get("reason") or "").strip()
        with w.write_mutex, catalog.acting_as(user.name):
            decisions = []
            for key in form.keys():
                if not key.startswith("d_"):
                    continue
                choice = str(form.get(key) or "")
                if not choice:
                    continue
                doc_id = a._int(key[2:], "记录号")
                kind, _, ret = choice.partition(":")
                if kind not in DECISION_NAMES or (kind == "extend" and ret not in ("Y", "D30", "D10")):
                    raise UsageError(f"鉴定结论 “{choice}” 无效")
                reason = str(form.get(f"r_{doc_id}") or "").strip() or default_reason
                decisions.append(appraisal.Decision(a._row(w.writer.conn, doc_id), kind, reason, ret or None))
            step = appraisal.appraise(w.writer, day, members, decisions)
    except ArchiveError as e:
        return new_page(request, error=for_the_page(str(e)), status=400, form=form)
    return RedirectResponse(f"/appraisals/{step.appraisal['id']}?done=appraised", 303)


def detail_page(request: Request, error: str | None = None, status: int = 200):
    from archive import appraisal

    a = _app()
    user = a.require(request, "oversee")
    w = a._state(request)
    conn = w.reader.conn
    aid = _appraisal_id(request)
    row = appraisal.as_dict(appraisal.get(conn, aid))
    its = appraisal.items(conn, aid)
    docs = []
    for kind, label in (("report_id", "鉴定工作报告"), ("approval_id", "销毁审批（签批件）"), ("register_id", "销毁清册")):
        if row.get(kind):
            rec = catalog.get_record(conn, row[kind])
            if rec is not None:
                docs.append({"label": label, "id": rec["id"], "code": rec["archival_code"], "title": rec["title"],
                             "stored": bool(rec["stored_path"])})
    destroy_n = sum(1 for i in its if i["decision"] == "destroy")
    return a.render(request, "appraisal_detail.html", status=status, user=user, a=row, items=its, docs=docs,
                    destroy_n=destroy_n, error=error, done=request.query_params.get("done"),
                    today=display.today().isoformat(), min_supervisors=max(2, w.cfg.supervisors_min),
                    now=display.now().strftime("%Y-%m-%dT%H:%M"), decision_names=DECISION_NAMES)


async def approve_post(request: Request):
    """The 领导's approval: a multipart form (the signed 签批件 may come with it), read after its CSRF check."""
    from starlette.concurrency import run_in_threadpool

    a = _app()
    user = a.require(request, "oversee")
    form = await a.checked_form(request)
    upload = form.get("file")
    tmpdir = None
    path = None
    if upload is not None and hasattr(upload, "filename") and upload.filename:
        name = a.upload_name(upload.filename)
        tmpdir = Path(tempfile.mkdtemp(prefix="archive-approval-"))
        path = tmpdir / name
        with open(path, "wb") as f:
            while chunk := await upload.read(1 << 20):
                f.write(chunk)
    try:
        return await run_in_threadpool(_approve, request, user, form, path)
    finally:
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)  # our temporary copy only: the archived one is in the store


def _approve(request: Request, user, form, path: Path | None) -> Response:
    from archive import appraisal

    a = _app()
    w = a._state(request)
    aid = _appraisal_id(request)
    try:
        on = a._date(form.get("on"), "批准日期") or display.today()
        with w.write_mutex, catalog.acting_as(user.name):  # only a 领导 account approves (issue 26): the service checks
            appraisal.approve(w.writer, aid, leader=user.name, on=on, document=str(form.get("document") or ""),
                              file=path, role=None if user.local else user.role)
    except ArchiveError as e:
        return detail_page(request, error=for_the_page(str(e)), status=400)
    return RedirectResponse(f"/appraisals/{aid}?done=approved", 303)


def destroy_post(request: Request, form) -> Response:
    from archive import appraisal

    a = _app()
    user = a.require(request, "archival")
    w = a._state(request)
    aid = _appraisal_id(request)
    try:
        at = None
        raw = str(form.get("at") or "").strip()
        if raw:
            try:
                at = dt.datetime.fromisoformat(raw).replace(tzinfo=w.cfg.tz)
            except ValueError:
                raise UsageError(f"销毁时间 “{raw}” 无效：应为 年-月-日 时:分") from None
        with w.write_mutex, catalog.acting_as(user.name):
            appraisal.destroy(w.writer, aid, supervisors=_names(str(form.get("supervisors") or "")),
                              method=str(form.get("method") or ""), place=str(form.get("place") or ""), at=at,
                              role=None if user.local else user.role)  # only a 档案员 records it (issue 26)
    except ArchiveError as e:
        return detail_page(request, error=for_the_page(str(e)), status=400)
    return RedirectResponse(f"/appraisals/{aid}?done=destroyed", 303)


def register_download(request: Request):
    from archive import appraisal

    a = _app()
    a.require(request, "oversee")
    w = a._state(request)
    aid = _appraisal_id(request)
    tmpdir = Path(tempfile.mkdtemp(prefix="archive-register-"))
    out = tmpdir / "register.xlsx"
    try:
        appraisal.draft_register(w.reader, aid, out)
    except BaseException:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    return FileResponse(out, filename=f"第{aid}号鉴定销毁清册.xlsx", background=BackgroundTask(shutil.rmtree, tmpdir, True))


def routes() -> list[Route]:
    a = _app()
    return [
        Route("/appraisals", a._sync(list_page)),
        Route("/appraisals/new", a._sync(new_page), methods=["GET"]),
        Route("/appraisals/new", a._post(new_post), methods=["POST"]),
        Route("/appraisals/{appraisal_id:int}", a._sync(detail_page)),
        Route("/appraisals/{appraisal_id:int}/approve", approve_post, methods=["POST"]),
        Route("/appraisals/{appraisal_id:int}/destroy", a._post(destroy_post), methods=["POST"]),
        Route("/appraisals/{appraisal_id:int}/register", a._sync(register_download)),
    ]
