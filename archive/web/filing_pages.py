"""The year's filing on the web page (issue 25; archive/filing.py): the years, a year's checks and proposed
order with up/down, the 检查人's confirmation and the 档案员's filing. Routes added to app.py by ``routes()``."""

from __future__ import annotations

from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from archive import catalog, filing
from archive.catalog import filing as gateway
from archive.errors import UsageError


def _web():
    from archive.web import app  # app.py imports this module's routes(): its helpers are read at call time

    return app


def _year_of(value) -> int:
    from archive.bounds import check_year

    if value in (None, ""):
        raise UsageError("请填写年度")
    try:
        return check_year(int(str(value)), "年度")
    except ValueError:
        raise UsageError(f"年度 “{value}” 无效") from None


def filing_page(request, error: str | None = None, status: int = 200) -> Response:
    web = _web()
    user = web.require(request, "review")
    arc = web._state(request).reader
    years = filing.years(arc)
    year = request.query_params.get("year")
    p = filing.plan(arc, _year_of(year)) if year else None
    codes = {}
    if p is not None:
        codes = {r["id"]: str(filing.code_of(arc, p.year, g, g.first_item + i))
                 for g in p.groups for i, r in enumerate(g.order)}
    yrow = gateway.year_row(arc.conn, arc.cfg.fonds, p.year) if p is not None else None
    from archive import boxes

    found = boxes.boxes(arc, p.year) if p is not None else []
    return web.render(request, "filing_year.html", status=status, user=user, years=years, plan=p, codes=codes,
                      yrow=yrow, orgs=arc.cfg.orgs, states=filing.STATE_NAMES, error=error, boxes=found,
                      outputs=OUTPUTS, capacity=boxes.capacity(arc.cfg))


def filing_post(request, form) -> Response:
    web = _web()
    action = str(form.get("action") or "")
    user = web.require(request, "archival" if action in ("close", "reopen", "box", "paper_year") else "review")
    w = web._state(request)
    year = _year_of(form.get("year"))
    with w.write_mutex, catalog.acting_as(user.name):
        if action == "arrange":
            filing.arrange(w.writer, year, user.name, leave_pending=form.get("leave_pending") == "1")
        elif action in ("up", "down"):
            filing.shift(w.writer, year, user.name, web._int(form.get("doc_id"), "记录号"), -1 if action == "up" else 1)
        elif action == "check":
            filing.check(w.writer, year, user.name)
        elif action == "close":
            filing.close(w.writer, year, str(form.get("received_by") or user.name))
        elif action == "reopen":
            filing.reopen(w.writer, year, str(form.get("reason") or ""), user.name)
        elif action == "box":
            from archive import boxes

            boxes.box_year(w.writer, year, user.name, str(form.get("checked_by") or "") or None)
        elif action == "paper_year":
            from archive import boxes

            boxes.set_paper_year(w.writer, year, str(form.get("paper") or ""), user.name)
        else:
            raise UsageError("未知的操作")
    return RedirectResponse(f"/filing?year={year}", 303)


def paper_post(request, form) -> Response:
    """The record page's 纸质原件 有/无/未登记 (archive/boxes.py)."""
    web = _web()
    user = web.require(request, "review")
    w = web._state(request)
    doc_id = web._int(form.get("doc_id"), "记录号")
    from archive import boxes

    with w.write_mutex, catalog.acting_as(user.name):
        boxes.set_paper(w.writer, [str(doc_id)], str(form.get("paper") or ""), user.name)
    return RedirectResponse(f"/doc/{doc_id}", 303)


def record_fields(conn, row) -> list[tuple[str, object]]:
    """纸质原件 and 盒号 for the record page."""
    from archive import boxes

    box = gateway.box_numbers(conn, [row["id"]]).get(row["id"])
    return [("纸质原件", boxes.paper_of(conn, [row["id"]])[row["id"]]), ("盒号", box)]


# the year's outputs a person may download: key -> (what, the writer) — made afresh from the catalog
OUTPUTS = {"catalogue_pdf": "归档文件目录（含封面，PDF）", "catalogue_xlsx": "归档文件目录（含封面，Excel）",
           "stamps": "归档章（PDF）", "summary_pdf": "年度统计（PDF）", "summary_xlsx": "年度统计（Excel）",
           "beikao": "备考表（PDF）", "labels_a4": "盒脊和封面（A4）", "labels_label": "盒脊和封面（标签尺寸）"}


def output_download(request) -> Response:
    """One of the year's outputs, made from the catalog as it is now into a scratch folder removed after."""
    import shutil
    import tempfile
    from pathlib import Path

    from starlette.background import BackgroundTask

    from archive.export import year_outputs

    web = _web()
    web.require(request, "oversee")
    arc = web._state(request).reader
    year = _year_of(request.path_params["year"])
    key = request.path_params["key"]
    if key not in OUTPUTS:
        raise web.NotFoundError("没有这种输出")
    tmp = Path(tempfile.mkdtemp(prefix="year-output-"))
    try:
        name = tmp / year_outputs.file_name(key, year)
        if key.startswith("catalogue"):
            path = year_outputs.catalogue(arc, year, tmp)[0 if key.endswith("pdf") else 1]
        elif key == "stamps":
            path = year_outputs.stamp_sheet(arc, year, name)
        elif key.startswith("summary"):
            from archive.export.catalogue import write

            path = write([year_outputs.summary_sheet(arc, year)], name)
        elif key == "beikao":
            path = year_outputs.beikao(arc, year, name)
        else:
            path = year_outputs.labels(arc, year, name, "a4" if key == "labels_a4" else "label")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return FileResponse(path, filename=path.name, background=BackgroundTask(shutil.rmtree, tmp, True))


def handover_download(request) -> Response:
    web = _web()
    web.require(request, "oversee")
    arc = web._state(request).reader
    year = _year_of(request.path_params["year"])
    row = gateway.year_row(arc.conn, arc.cfg.fonds, year)
    if row is None or not row["handover_pdf"]:
        raise web.NotFoundError(f"{year} 年度还没有归档移交清单")
    from pathlib import Path

    path = Path(row["handover_pdf"])
    if filing.handover_dir(arc, year) not in path.parents or not path.is_file():
        raise web.NotFoundError(f"{year} 年度的归档移交清单不在档案库中")
    return FileResponse(path, filename=path.name)


def routes() -> list[Route]:
    web = _web()
    return [Route("/filing", web._sync(filing_page), methods=["GET"]),
            Route("/filing", web._post(filing_post), methods=["POST"]),
            Route("/filing/{year:int}/handover.pdf", web._sync(handover_download)),
            Route("/filing/{year:int}/out/{key}", web._sync(output_download)),
            Route("/filing/paper", web._post(paper_post), methods=["POST"])]
