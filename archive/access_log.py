"""The access log: every view, download, ``archive open`` and 归档章 copy of a record, with who and when — the
security audit trail, apart from the use register (archive/use.py). Shown per record, exportable.

``record`` is the one call each way in makes (the CLI's ``open`` and ``export stamp``, the web page's record
view, file view, download and stamp routes); it writes through the unit of work like any change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from archive import catalog, display
from archive.catalog import access as gateway
from archive.export.catalogue import Sheet
from archive.session import Archive

ACTIONS = {"view": "查看", "download": "下载", "open": "取出副本", "stamp": "归档章副本"}
ROUTES = {"cli": "命令行", "web": "网页"}
COLUMNS = ("序号", "时间", "操作人", "操作", "途径", "档号", "记录号", "说明")
WIDTHS = (6, 20, 18, 12, 8, 30, 8, 30)


def record(arc: Archive, row, action: str, route: str, detail: str | None = None, actor: str | None = None) -> None:
    """One entry for the record ``row``: ``action`` one of ACTIONS, ``route`` cli or web."""
    if action not in ACTIONS or route not in ROUTES:
        raise ValueError(f"access log: {action!r} by {route!r}")
    who = actor or catalog.actor()
    with arc.change(who, "访问记录") as tx:
        gateway.add(tx.conn, ts=catalog.now(), actor=who, action=action, route=route, document_id=row["id"],
                    archival_code=row["archival_code"], detail=detail)


def within(ts: str, since: dt.date | None, until: dt.date | None, tz) -> bool:
    """Is the catalog time ``ts`` on or after day ``since`` and on or before day ``until``, both days of the
    agency's zone? Times carry their own offsets, so they are compared as instants, never as text."""
    at = dt.datetime.fromisoformat(ts)
    if since and at < dt.datetime.combine(since, dt.time(), tzinfo=tz):
        return False
    return not (until and at >= dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=tz))


def entries(arc: Archive, row=None, since: dt.date | None = None, until: dt.date | None = None) -> list[dict]:
    """Entries of one record (or all), from day ``since`` through day ``until`` (the agency's days)."""
    tz = arc.cfg.tz
    out = []
    for e in gateway.entries(arc.conn, row["id"] if row is not None else None):
        if not within(e["ts"], since, until, tz):
            continue
        out.append({**e, "action_name": ACTIONS[e["action"]], "route_name": ROUTES[e["route"]],
                    "local_ts": display.local_time(e["ts"], tz, seconds=True)})
    return out


def sheets(arc: Archive, items: list[dict], scope: str) -> list[Sheet]:
    rows = [[i + 1, e["local_ts"], e["actor"], e["action_name"], e["route_name"], e["archival_code"] or "",
             e["document_id"], e["detail"] or ""] for i, e in enumerate(items)]
    return [Sheet("访问记录", "档案访问记录", f"{arc.cfg.agency_name}　{scope}　共 {len(rows)} 条", COLUMNS, rows, WIDTHS)]


def export(arc: Archive, items: list[dict], scope: str, path: Path, fmt: str | None = None) -> Path:
    from archive.export import catalogue

    return catalogue.write(sheets(arc, items, scope), path, fmt)
