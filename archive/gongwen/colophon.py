"""版记: 抄送, 印发机关和印发日期, and the 附注."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archive.gongwen.vocab import ORG_END_RE, ZH_NUM, ZH_YEAR, iter_dates, squash

if TYPE_CHECKING:
    from archive.gongwen.reader import Doc


@dataclass
class Colophon:
    """The 版记: 抄送机关, 印发机关 and 印发日期; and the 附注 (``（此件公开发布）``)."""

    cc: str | None = None
    printer: str | None = None
    print_date: dt.date | None = None
    note: str | None = None


def read(doc: Doc, title_span: tuple[int, int] | None) -> Colophon:
    flat = doc.flat
    out = Colophon()
    # 抄送
    m = None
    for m_ in re.finditer(r"抄\s*送\s*[:：]\s*", flat):
        m = m_
    if m:
        s = m.end()
        e = len(flat)
        for stop in ("。",):
            k = flat.find(stop, s)
            if k >= 0:
                e = min(e, k)
        for k in sorted(doc.f.breaks):
            if k > s:
                e = min(e, k)
                break
        cc = squash(flat[s:e])
        if cc and len(cc) <= 300:
            out.cc = cc
    # 印发机关和印发日期 (the last one)
    pm = None
    for m_ in re.finditer(r"(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[%s]{4}\s*年\s*[%s]{1,3}\s*月\s*[%s]{1,3}\s*日)\s*印\s*发" % (ZH_YEAR, ZH_NUM, ZH_NUM), flat):
        pm = m_
    if pm:
        ds = iter_dates(pm.group(1))
        if ds and ds[0][0]:
            out.print_date = ds[0][0]
        pre = flat[max(0, pm.start() - 60):pm.start()]
        # the printer sits after the last sentence end / 抄送 line / 附注
        k = max(pre.rfind(c) for c in "。）)；\n")
        if doc.f.lines > 1:
            a, _ = doc.f.line_of(pm.start())
            k = max(k, a - max(0, pm.start() - 60) - 1)
        name = squash(pre[k + 1:])
        name = re.sub(r"^(?:抄\s*送|分\s*送)\s*[:：].*", "", name)
        if name and ORG_END_RE.search(name):
            out.printer = name
    # 附注 （此件公开发布）
    start = title_span[1] if title_span else 0
    m = re.search(r"[（(]\s*此件[^（）()]{1,80}[）)]", flat[start:])
    if m:
        out.note = squash(m.group(0))
    return out
