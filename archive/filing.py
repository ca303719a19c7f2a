"""定期整理归档: the year's arrangement, check and filing (issue 25; docs/domain.md "The year's cycle").

During the year an archived record is 预归档 (``filing_state = 'collected'``, no 档号) when the catalog numbers at
filing (archival_code.numbering). ``arrange`` runs the checks and writes the proposed order of each 年度-保管期限-机构
group (``propose``), or the 整理人's own; ``check`` is the 检查人's confirmation (another person); ``close`` gives
件号 from the group's next number (1 in a fresh group) in that order, in one transaction, closes the year and writes
the 归档移交清单. A closed year's late arrivals are filed the same way with the next 件号 and a 备注 (补充归档);
``reopen`` is the 档案员's, with a reason, before the year's catalogue was transferred.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from archive import archival_code, catalog
from archive.catalog import filing as gateway
from archive.catalog import users as users_gateway
from archive.edit import missing_required
from archive.errors import FilingError, NotFoundError
from archive.faults import fault
from archive.retention import ORDER as RETENTION_ORDER
from archive.retention import name as retention_name
from archive.session import Archive

STATE_NAMES = {None: "收集中", "arranging": "整理中（待检查）", "checked": "已检查（待归档）", "closed": "已归档"}
# kinds of problem: blocking ones stop arrange/check/close until fixed; the others are listed for a person
BLOCKING = ("待定", "缺必备著录项", "日期不在本年度", "年度不一致")
WARNING = ("文号与成文日期年份不同", "印发日期与成文日期年份不同", "文号重复", "题名日期重复", "联合行文", "件内文件不一致",
           "他年度记录日期属本年")


@dataclass
class Problem:
    kind: str
    doc_id: int
    ref: str
    message: str
    fix: str = ""

    @property
    def blocking(self) -> bool:
        return self.kind in BLOCKING

    def as_dict(self) -> dict:
        return {"kind": self.kind, "id": self.doc_id, "ref": self.ref, "message": self.message, "fix": self.fix,
                "blocking": self.blocking}


@dataclass
class Group:
    retention: str
    org: str | None
    numbered: list = field(default_factory=list)  # rows already with a 件号 (kept)
    order: list = field(default_factory=list)  # collected rows in the order they will be numbered
    first_item: int = 1  # the 件号 the first of ``order`` gets

    @property
    def key(self) -> tuple[str, str]:
        return (self.retention, self.org or "")

    def name(self, orgs: dict) -> str:
        org = f"-{orgs.get(self.org, self.org)}" if self.org else ""
        return f"{retention_name(self.retention, self.retention)}{org}"


@dataclass
class Plan:
    year: int
    state: str | None
    problems: list[Problem]
    groups: list[Group]
    pending: list  # 待定 rows of the year
    left_out: list  # what --leave-pending leaves out (the pending ones)
    supplement: bool  # the year was filed: these are 补充归档
    paper_marked: int = 0  # records whose paper original the arrangement registered (--paper)

    @property
    def blocking(self) -> list[Problem]:
        return [p for p in self.problems if p.blocking]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.blocking]

    def counts(self) -> dict:
        return {"待定": len(self.pending), "须更正": sum(1 for p in self.blocking if p.kind != "待定"),
                "提示": len(self.warnings),
                "待编号": sum(len(g.order) for g in self.groups),
                "已编号": sum(len(g.numbered) for g in self.groups)}


# ---- the checks --------------------------------------------------------------------------------------
def _ref(r) -> str:
    return r["archival_code"] or f"记录 {r['id']}"


def _year_of(iso: str | None) -> int | None:
    return int(iso[:4]) if iso and re.match(r"\d{4}-", iso) else None


def _squash(text: str | None) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def checks(arc: Archive, year: int, rows: list, pending: list) -> list[Problem]:
    """What must be fixed (blocking) or looked at before a year is numbered (docs/domain.md)."""
    conn, out = arc.conn, []
    for r in pending:
        out.append(Problem("待定", r["id"], _ref(r), f"待定：{r['reason'] or '未确定归档范围'}（{r['title'] or r['filename']}）",
                           f"archive confirm {r['id']} 或 --leave-pending"))
    archived = [r for r in rows if r["status"] == "archived"]
    by_docno: dict[str, list] = {}
    by_title: dict[tuple, list] = {}
    for r in archived:
        ref = _ref(r)
        if missing := missing_required(r):
            out.append(Problem("缺必备著录项", r["id"], ref, f"缺少{'、'.join(missing)}", f"archive edit {r['id']} …"))
        dy, ny, py = _year_of(r["date"]), r["docno_year"], _year_of(r["print_date"])
        if dy is not None and dy != year:
            out.append(Problem("日期不在本年度", r["id"], ref, f"成文日期 {r['date']} 不在 {year} 年度",
                               f"archive edit {r['id']} --date … 或 archive reclassify {r['id']} --year {dy}"))
        elif dy is not None:
            # a 文号 is given when the document is issued: one year after the 成文日期 is a December document
            # numbered in January; any other year says the 年度 may be wrong
            if ny is not None and ny not in (dy, dy + 1):
                out.append(Problem("年度不一致", r["id"], ref, f"成文日期 {r['date']} 与文号年份 {ny} 不符",
                                   f"核对成文日期：archive edit {r['id']} --date …"))
            elif ny is not None and ny != dy:
                out.append(Problem("文号与成文日期年份不同", r["id"], ref, f"成文日期 {r['date']}，文号年份 {ny}（跨年编号？）"))
            if py is not None and py not in (dy, dy + 1):
                out.append(Problem("年度不一致", r["id"], ref, f"成文日期 {r['date']} 与印发日期 {r['print_date']} 年份不符",
                                   f"核对成文日期和印发日期：archive edit {r['id']} …"))
            elif py is not None and py != dy:
                out.append(Problem("印发日期与成文日期年份不同", r["id"], ref, f"成文日期 {r['date']}，印发日期 {r['print_date']}"))
        if r["doc_number"]:
            by_docno.setdefault(r["doc_number"], []).append(r)
        if r["title"] and r["date"]:
            by_title.setdefault((_squash(r["title"]), r["date"]), []).append(r)
        if r["issuer"] and "、" in r["issuer"] or r["relation"] == "本机关协办":
            out.append(Problem("联合行文", r["id"], ref, f"联合行文（{r['issuer']}）：主办机关归档原件，协办机关归档复制件",
                               "核对本机关是否主办"))
        for f in catalog.further_files(conn, r["id"]):
            if f["role"] in ("正本", "其他格式") and f["pages"] and r["pages"] and f["pages"] != r["pages"]:
                out.append(Problem("件内文件不一致", r["id"], ref,
                                   f"同一件的文件页数不同：{r['filename']} {r['pages']} 页，{f['filename']} {f['pages']} 页",
                                   f"archive show {r['id']}；必要时 archive detach"))
    for docno, rs in by_docno.items():
        if len(rs) > 1:
            for r in rs:
                others = "、".join(_ref(o) for o in rs if o is not r)
                out.append(Problem("文号重复", r["id"], _ref(r), f"文号 {docno} 与 {others} 相同",
                                   "同一文件的另一份请 archive attach 并入；不同文件请核对文号"))
    for (title, date), rs in by_title.items():
        if len(rs) > 1 and len({r["doc_number"] for r in rs}) < len(rs) + 1:
            for r in rs:
                others = "、".join(_ref(o) for o in rs if o is not r)
                out.append(Problem("题名日期重复", r["id"], _ref(r), f"题名和日期与 {others} 相同", "核对是否同一文件"))
    for r in gateway.records_dated_in(conn, arc.cfg.fonds, year):
        if r["status"] == "archived" and r["year"] is not None and _year_of(r["date"]) != r["year"]:
            continue  # reported by its own year's check (日期不在本年度)
        if r["status"] == "archived" and r["year"] is not None:
            out.append(Problem("他年度记录日期属本年", r["id"], _ref(r),
                               f"归入 {r['year']} 年度，但文号或印发日期为 {year} 年", "核对年度"))
    return out


# ---- the proposed order ------------------------------------------------------------------------------
_FORWARD = re.compile(r"转发[^《]*《([^》]+)》|转发(.+?)的(?:通知|函)")
_QUOTED = re.compile(r"《([^》]{4,})》")


def _key(r) -> tuple:
    return (r["date"] or "9999-99-99", r["docno_code"] or "", r["docno_serial"] or 0, _squash(r["title"]), r["id"])


def _meeting(r) -> str | None:
    """The meeting a document belongs to, from its title (its issuer and a leading 关于召开/关于印发 left out): the
    words up to the first 会议 — 会议通知, 议程, 决议, 纪要, 讲话 of one meeting share them."""
    title = _squash(r["title"])
    issuer = _squash(r["issuer"])
    if issuer and title.startswith(issuer):
        title = title[len(issuer):]
    title = re.sub(r"^关于(?:召开|印发|举办)?", "", title)
    at = title.find("会议")
    return title[:at + 2] if at >= 4 else None


def _parents(conn, rows: list) -> dict[int, int]:
    """document id -> the document it follows: a 批复 its 请示, a 转发 what it forwards, a meeting's documents
    the first of the meeting (docs/domain.md: the proposed order)."""
    by_docno = {r["doc_number"]: r for r in rows if r["doc_number"]}
    by_title = {_squash(r["title"]): r for r in rows if r["title"]}
    parent: dict[int, int] = {}
    for r in rows:
        title = _squash(r["title"])
        if r["doc_type"] == "批复" or title.endswith("批复"):
            text = _squash(catalog.text_of(conn, r["id"]) or "")
            for q in rows:
                if q is r or not (q["doc_type"] == "请示" or _squash(q["title"]).endswith("请示")):
                    continue
                if (q["doc_number_raw"] and _squash(q["doc_number_raw"]) in text) or \
                        (q["title"] and _squash(q["title"]) in text):
                    parent[r["id"]] = q["id"]
                    break
        elif "转发" in title:
            m = _FORWARD.search(title)
            names = [g for g in (m.groups() if m else ()) if g]
            for name in names:
                target = by_title.get(_squash(name)) or next(
                    (q for t, q in by_title.items() if t.endswith(_squash(name)) and q is not r), None)
                if target is None:
                    docno = re.search(r"〔\d{4}〕\d+号", name)
                    target = by_docno.get(docno.group(0)) if docno else None
                if target is not None and target is not r:
                    parent[r["id"]] = target["id"]
                    break
    meetings: dict[str, list] = {}
    for r in rows:
        if r["id"] not in parent and (m := _meeting(r)):
            meetings.setdefault(m, []).append(r)
    for members in meetings.values():
        members.sort(key=_key)
        for r in members[1:]:
            parent[r["id"]] = members[0]["id"]
    # no cycles: a parent that leads back to the child is dropped
    for child in list(parent):
        seen, p = {child}, parent.get(child)
        while p is not None and p not in seen:
            seen.add(p)
            p = parent.get(p)
        if p is not None:
            del parent[child]
    return parent


def propose(conn, rows: list) -> list:
    """The proposed order of one group's collected records: by 成文日期, one 事由 kept together — each record's
    followers (批复, 转发, the meeting's other documents) right after it, in date order."""
    parent = _parents(conn, rows)
    children: dict[int, list] = {}
    for r in rows:
        if r["id"] in parent:
            children.setdefault(parent[r["id"]], []).append(r)
    out: list = []

    def visit(r) -> None:
        out.append(r)
        for c in sorted(children.get(r["id"], []), key=_key):
            visit(c)

    for r in sorted((r for r in rows if r["id"] not in parent), key=_key):
        visit(r)
    return out


# ---- the plan of a year ------------------------------------------------------------------------------
def _group_key(r) -> tuple[str, str]:
    return (r["retention"], r["org"] or "")


def _sorted_groups(groups: dict) -> list[Group]:
    return [groups[k] for k in sorted(groups, key=lambda k: (RETENTION_ORDER.get(k[0], 9), k[1]))]


def plan(arc: Archive, year: int, *, use_saved: bool = True) -> Plan:
    """The year as it stands: the checks, and each group's numbered records and collected ones in the saved
    order (``use_saved``) or the proposed one."""
    conn, fonds = arc.conn, arc.cfg.fonds
    rows = gateway.year_records(conn, fonds, year)
    pending = gateway.pending_of_year(conn, fonds, year)
    yrow = gateway.year_row(conn, fonds, year)
    state = yrow["state"] if yrow else None
    groups: dict[tuple, Group] = {}
    collected = [r for r in rows if r["status"] == "archived" and r["filing_state"] == "collected"]
    for r in rows:
        if r["status"] == "archived" and r["filing_state"] is None and r["item_no"] is not None:
            g = groups.setdefault(_group_key(r), Group(r["retention"], r["org"]))
            g.numbered.append(r)
    by_group: dict[tuple, list] = {}
    for r in collected:
        by_group.setdefault(_group_key(r), []).append(r)
    saved = {o["document_id"]: o for o in gateway.order_of(conn, fonds, year)} if use_saved else {}
    for key, members in by_group.items():
        g = groups.setdefault(key, Group(key[0], key[1] or None))
        if saved and all(m["id"] in saved and (saved[m["id"]]["retention"], saved[m["id"]]["org"]) == key
                         for m in members):
            g.order = sorted(members, key=lambda m: saved[m["id"]]["position"])
        else:
            g.order = propose(conn, members)
    for g in groups.values():
        g.numbered.sort(key=lambda r: r["item_no"])
        g.first_item = (catalog.last_item(conn, fonds, year, g.retention, g.org) or 0) + 1
    return Plan(year, state, checks(arc, year, rows, pending), _sorted_groups(groups), pending, [],
                state == "closed" or (yrow is not None and yrow["closed_at"] is not None))


def saved_matches(arc: Archive, year: int) -> bool:
    """Whether the saved arrangement covers exactly the year's collected records, each in its group."""
    conn, fonds = arc.conn, arc.cfg.fonds
    saved = {o["document_id"]: (o["retention"], o["org"]) for o in gateway.order_of(conn, fonds, year)}
    now = {r["id"]: _group_key(r) for r in gateway.collected(conn, fonds, year)}
    return all(saved.get(i) == k for i, k in now.items())


def code_of(arc: Archive, year: int, g: Group, item_no: int) -> archival_code.ArchivalCode:
    return archival_code.ArchivalCode(arc.cfg.fonds, year, g.retention, g.org, item_no)


def _refuse_blocked(p: Plan, leave_pending: bool) -> None:
    if p.pending and not leave_pending:
        listing = "；".join(f"记录 {r['id']}（{r['title'] or r['filename']}）" for r in p.pending[:10])
        more = f" 等 {len(p.pending)} 件" if len(p.pending) > 10 else ""
        raise FilingError(f"{p.year} 年度有 {len(p.pending)} 件待定记录，不能整理：{listing}{more}。"
                          "请先确认（archive review），或加 --leave-pending 把它们留在本次整理之外")
    blocking = [x for x in p.blocking if x.kind != "待定"]
    if blocking:
        listing = "；".join(f"{x.ref}：{x.message}" for x in blocking[:10])
        more = f" 等 {len(blocking)} 处" if len(blocking) > 10 else ""
        raise FilingError(f"{p.year} 年度有 {len(blocking)} 处须先更正：{listing}{more}。"
                          f"请用 archive arrange --year {p.year} --dry-run 查看全部及更正方法")


def _name(text: str | None, what: str) -> str:
    from archive.bounds import check_text_arg, clean_text

    from archive.display import acted_on

    name = clean_text(check_text_arg(text or "", what, limit=40)).strip()
    if not name:
        raise FilingError(f"须填写{what}")
    if any(acted_on(c) for c in name):  # a bidi override or a control character: the name would print reversed
        raise FilingError(f"{what}中有不可见的控制字符（如文字方向控制符）：请重新输入姓名")
    return name


def _same_person(a: str | None, b: str | None) -> bool:
    return bool(a and b) and _squash(a).casefold() == _squash(b).casefold()


def _apply_order_file(arc: Archive, p: Plan, path: Path) -> None:
    """The 整理人's order: one REF a line (record id, 档号 or 文号); within each group the records listed keep
    that order and every collected record must be listed once."""
    try:
        if Path(path).stat().st_size > 4 * 1024 * 1024:
            raise FilingError(f"顺序文件 {path} 太大（超过 4 MB）：每行只写一个记录号、档号或文号")
        lines = [ln.strip() for ln in Path(path).read_text(encoding="utf-8-sig").splitlines()]
    except (OSError, UnicodeDecodeError) as e:
        raise FilingError(f"无法读取顺序文件 {path}：{e}") from e
    refs = [ln for ln in lines if ln and not ln.startswith("#")]
    position: dict[int, int] = {}
    for i, ref in enumerate(refs):
        try:
            row = arc.resolve(ref)
        except NotFoundError as e:
            raise FilingError(f"顺序文件第 {i + 1} 项 “{ref}”：{e}") from e
        if row["id"] in position:
            raise FilingError(f"顺序文件中记录 {row['id']} 出现了两次")
        position[row["id"]] = i
    for g in p.groups:
        missing = [r for r in g.order if r["id"] not in position]
        if missing:
            raise FilingError(f"顺序文件缺少 {len(missing)} 件待编号记录（如记录 {missing[0]['id']}）：每件须列出一次")
        g.order.sort(key=lambda r: position[r["id"]])
    known = {r["id"] for g in p.groups for r in g.order}
    stray = [i for i in position if i not in known]
    if stray:
        raise FilingError(f"顺序文件中的记录 {stray[0]} 不是 {p.year} 年度待编号的记录")


def _apply_move(arc: Archive, p: Plan, ref: str, after: str) -> None:
    moving, target = arc.resolve(ref), arc.resolve(after)
    for g in p.groups:
        ids = [r["id"] for r in g.order]
        if moving["id"] in ids:
            if target["id"] not in ids:
                raise FilingError(f"记录 {target['id']} 与记录 {moving['id']} 不在同一组（年度-保管期限-机构）待编号记录中："
                                  "只能在组内调整顺序")
            if moving["id"] == target["id"]:
                raise FilingError("不能把记录移到它自己之后")
            row = g.order.pop(ids.index(moving["id"]))
            g.order.insert([r["id"] for r in g.order].index(target["id"]) + 1, row)
            return
    raise FilingError(f"记录 {moving['id']} 不是 {p.year} 年度待编号的记录")


def _save_order(conn, fonds: str, p: Plan) -> None:
    gateway.set_order(conn, fonds, p.year, [(r["id"], g.retention, g.org, i)
                                            for g in p.groups for i, r in enumerate(g.order, 1)])


# ---- the steps ---------------------------------------------------------------------------------------
def arrange(arc: Archive, year: int, by: str | None, *, dry_run: bool = False, leave_pending: bool = False,
            order_file: Path | None = None, move: tuple[str, str] | None = None, paper: str | None = None) -> Plan:
    """整理: the checks, then the order of each group saved (proposed, from ``order_file`` or with one ``move``).
    ``dry_run``: nothing written, the plan returned (problems and the numbering it would give). ``paper`` (有/无):
    the arranged records whose paper original is 未登记 registered so (archive/boxes.py)."""
    if dry_run:  # the saved order where there is one (what close would number), else the proposed one
        p = plan(arc, year)
        if order_file is not None:
            _apply_order_file(arc, p, order_file)
        if move is not None:
            _apply_move(arc, p, *move)
        return p
    by = _name(by, "整理人（--by）")
    conn, fonds = arc.conn, arc.cfg.fonds
    with arc.change(reason=f"{year} 年度整理"):
        p = plan(arc, year, use_saved=move is not None)
        # an adjustment (--move) of a saved arrangement keeps what the arrangement left out
        _refuse_blocked(p, leave_pending or (move is not None and p.state in ("arranging", "checked")))
        if p.state == "checked" and move is None and order_file is None and saved_matches(arc, year):
            raise FilingError(f"{year} 年度的整理已经检查（检查人 {gateway.year_row(conn, fonds, year)['checked_by']}）："
                              "如需调整顺序请用 --move 或 --order，调整后须重新检查")
        if not any(g.order for g in p.groups) and (p.supplement or not any(g.numbered for g in p.groups)):
            raise FilingError(f"{year} 年度没有待编号（预归档）的记录")
        if order_file is not None:
            _apply_order_file(arc, p, order_file)
        if move is not None:
            _apply_move(arc, p, *move)
        p.left_out = list(p.pending)
        _save_order(conn, fonds, p)
        if paper is not None:
            from archive import boxes

            p.paper_marked = boxes.mark_unregistered(arc, [r["id"] for g in p.groups for r in g.order], paper, by)
        ts = catalog.now()
        gateway.put_year(conn, fonds, year, {"state": "arranging", "arranged_by": by, "arranged_at": ts,
                                             "checked_by": None, "checked_at": None})
        catalog.append_event(conn, "arrange", None, {
            "year": year, "by": by, "counts": p.counts(), "left_pending": [r["id"] for r in p.left_out],
            "order": {f"{g.retention}-{g.org or ''}": [r["id"] for r in g.order] for g in p.groups if g.order},
            "how": "order file" if order_file else "move" if move else "proposed"})
        p.state = "arranging"
    if paper is not None:  # the paper registration's entry in the store's journal: committed
        from archive import boxes

        boxes.journal_confirmed(arc)
    return p


def check(arc: Archive, year: int, by: str | None) -> Plan:
    """检查: another person than the 整理人 confirms the saved order; the checks run again."""
    by = _name(by, "检查人（--by）")
    conn, fonds = arc.conn, arc.cfg.fonds
    with arc.change(reason=f"{year} 年度整理检查"):
        yrow = gateway.year_row(conn, fonds, year)
        if yrow is None or yrow["state"] != "arranging" or not yrow["arranged_by"]:
            raise FilingError(f"{year} 年度当前{STATE_NAMES[yrow['state'] if yrow else None]}，没有待检查的整理："
                              f"请先 archive arrange --year {year}")
        if _same_person(by, yrow["arranged_by"]):
            raise FilingError(f"检查人不能是整理人本人（{yrow['arranged_by']}）：请由另一人检查")
        if not saved_matches(arc, year):
            raise FilingError(f"{year} 年度整理之后有记录新增或变动：请重新 archive arrange --year {year}")
        p = plan(arc, year)
        _refuse_blocked(p, leave_pending=True)
        ts = catalog.now()
        gateway.put_year(conn, fonds, year, {"state": "checked", "checked_by": by, "checked_at": ts})
        catalog.append_event(conn, "arrange_check", None, {"year": year, "by": by, "arranged_by": yrow["arranged_by"],
                                                           "counts": p.counts()})
        p.state = "checked"
    return p


@dataclass
class Closed:
    year: int
    groups: list[dict]  # name, retention, org, 件数, 页数, first, last
    arranged_by: str
    checked_by: str
    received_by: str
    files: list[Path]  # the 归档移交清单 (PDF, XLSX)
    supplement: bool
    outputs: list[Path] = field(default_factory=list)  # the year's catalogue, 归档章 sheet, summary (and box prints)


def close(arc: Archive, year: int, received_by: str | None) -> Closed:
    """归档: in one transaction the checked order numbered (件号 from the group's next, 1 in a fresh group, no gap),
    the year closed, the 归档移交清单 written and kept with the year; the events say who and when."""
    received_by = _name(received_by, "接收人（--received-by）")
    conn, fonds = arc.conn, arc.cfg.fonds
    with arc.change(reason=f"{year} 年度归档") as tx:
        yrow = gateway.year_row(conn, fonds, year)
        if yrow is None or yrow["state"] != "checked":
            raise FilingError(f"{year} 年度当前{STATE_NAMES[yrow['state'] if yrow else None]}：须先整理"
                              f"（archive arrange --year {year}）并由另一人检查（archive arrange check）才能归档")
        if not saved_matches(arc, year):
            raise FilingError(f"{year} 年度检查之后有记录新增或变动：请重新整理并检查")
        p = plan(arc, year)
        _refuse_blocked(p, leave_pending=True)
        supplement = p.supplement
        ts = catalog.now()
        day = ts[:10]  # the agency's date (catalog.now() is on its clock)
        groups = []
        for g in p.groups:
            new = []
            for r in g.order:
                code = archival_code.allocate(conn, fonds, year, g.retention, g.org)
                note = r["note"]
                if supplement:
                    note = "；".join(x for x in (note, f"补充归档（{day}）") if x)
                catalog.update_record(conn, r["id"], {"archival_code": str(code), "item_no": code.item_no,
                                                      "filing_state": None, "note": note, "indexed": 0}, ts=ts)
                catalog.append_event(conn, "file", r["id"], {"archival_code": str(code), "year": year,
                                                             "supplement": supplement})
                tx.queue_index(r["id"])
                fault("filing-close")  # kill -9 here: nothing of the filing is committed
                new.append((r, str(code)))
            # handed over: the whole group at the year's filing (numbered at ingest or now), the new ones after
            handed = ([] if supplement else [(r, r["archival_code"]) for r in g.numbered]) + new
            if handed:
                groups.append({"name": g.name(arc.cfg.orgs), "retention": g.retention, "org": g.org,
                               "件数": len(handed), "页数": sum(r["pages"] or 0 for r, _ in handed),
                               "新编号": len(new), "first": handed[0][1], "last": handed[-1][1]})
        if not groups:
            raise FilingError(f"{year} 年度没有可归档的记录")
        files = _write_handover(arc, year, groups, yrow, received_by, supplement)
        outputs = year_outputs(arc, year)
        gateway.put_year(conn, fonds, year, {"state": "closed", "handed_by": yrow["arranged_by"],
                                             "received_by": received_by, "closed_at": ts,
                                             "handover_pdf": str(files[0]), "handover_xlsx": str(files[1])})
        catalog.append_event(conn, "arrange_close", None, {
            "year": year, "arranged_by": yrow["arranged_by"], "checked_by": yrow["checked_by"],
            "received_by": received_by, "supplement": supplement, "groups": groups,
            "files": [f.name for f in files]})
    return Closed(year, groups, yrow["arranged_by"], yrow["checked_by"], received_by, files, supplement, outputs)


def reopen(arc: Archive, year: int, reason: str | None, by: str | None) -> None:
    """Reopening a filed year: only a 档案员 (a user of that role), with a reason, before the catalogue was
    transferred. Numbers given stay; what is collected later is numbered after them."""
    by = _name(by, "档案员（--by）")
    reason = _name(reason, "重新打开的原因（--reason）")
    conn, fonds = arc.conn, arc.cfg.fonds
    with arc.change(reason=reason):
        user = users_gateway.active_user(conn, by)
        if user is None or user["role"] != "档案员":
            raise FilingError(f"只有档案员才能重新打开已归档的年度：“{by}” 不是在用的档案员账号（archive user add --role 档案员）")
        yrow = gateway.year_row(conn, fonds, year)
        if yrow is None or yrow["state"] != "closed":
            raise FilingError(f"{year} 年度尚未归档，无需重新打开")
        if transferred(conn, fonds, year):
            raise FilingError(f"{year} 年度的档案目录已移交，不能重新打开")
        ts = catalog.now()
        gateway.put_year(conn, fonds, year, {"state": "arranging", "arranged_by": None, "arranged_at": None,
                                             "checked_by": None, "checked_at": None, "reopened_by": by,
                                             "reopened_at": ts, "reopen_reason": reason})
        catalog.append_event(conn, "arrange_reopen", None, {"year": year, "by": by, "reason": reason})


def transferred(conn, fonds: str, year: int) -> bool:
    """Whether any record of the year is in a 移交 (issue 28: a confirmed transfer, or one exported and awaiting
    its receipt): reopening then would renumber what the 档案馆 holds or is about to receive."""
    from archive.catalog import transfers as transfers_gateway

    ids = [r["id"] for r in gateway.year_records(conn, fonds, year)]
    return bool(transfers_gateway.transferred(conn, ids) or transfers_gateway.in_open_transfer(conn, ids))


def years(arc: Archive) -> list[dict]:
    """Each 年度 with 预归档 records or a filing row: its state, counts, who."""
    conn, fonds = arc.conn, arc.cfg.fonds
    waiting = dict(gateway.collected_years(conn, fonds))
    rows = {r["year"]: r for r in gateway.all_years(conn, fonds)}
    out = []
    for y in sorted(set(waiting) | set(rows)):
        r = rows.get(y)
        out.append({"year": y, "state": STATE_NAMES[r["state"] if r else None], "collected": waiting.get(y, 0),
                    "arranged_by": r["arranged_by"] if r else None, "checked_by": r["checked_by"] if r else None,
                    "received_by": r["received_by"] if r else None, "closed_at": r["closed_at"] if r else None})
    return out


def deadline_of(year: int, cfg) -> dt.date:
    """The day by which the year's documents are to be filed: ``[filing] deadline`` (MM-DD) of the next year."""
    month, day = int(cfg.filing_deadline[:2]), int(cfg.filing_deadline[3:])
    return dt.date(year + 1, month, day)


def unfiled(arc: Archive, today: dt.date | None = None) -> list[dict]:
    """Each year not yet filed that has work waiting (预归档 records, or 待定 of that year): its state, the
    deadline, whether it has passed, and what blocks the filing (待定 records, the arrangement, the check)."""
    from archive import display

    today = today or display.today()
    conn, fonds = arc.conn, arc.cfg.fonds
    out = []
    counts = gateway.pending_counts(conn, fonds)
    for y in years(arc):
        pending = counts.get(y["year"], 0)
        if y["state"] == STATE_NAMES["closed"] and not y["collected"]:
            continue
        if not y["collected"] and not pending:
            continue
        due = deadline_of(y["year"], arc.cfg)
        blocks = []
        if pending:
            blocks.append(f"待定 {pending} 件")
        if y["collected"] and y["state"] == STATE_NAMES["closed"]:
            blocks.append(f"补充归档 {y['collected']} 件待整理")
        elif y["collected"] and not y["arranged_by"]:
            blocks.append("尚未整理")
        elif y["collected"] and not y["checked_by"]:
            blocks.append("待检查")
        elif y["collected"]:
            blocks.append("待接收")
        out.append({**y, "pending": pending, "deadline": due.isoformat(), "overdue": today > due,
                    "blocks": blocks})
    return out


# ---- the year's outputs (archive/export/year_outputs.py) ------------------------------------------------
def year_outputs(arc: Archive, year: int, folder: Path | None = None) -> list[Path]:
    """The year's 归档文件目录 with covers, 归档章 sheet and summary (and, once boxed, the 备考表 and labels):
    into the year's folder of the store (at close, and again on demand), or into ``folder`` outside it."""
    from archive.export import year_outputs as outputs

    if folder is None:
        folder = handover_dir(arc, year)
    else:
        folder = Path(folder)
        root = arc.store.root.resolve()
        if folder.resolve() == root or root in folder.resolve().parents:
            raise FilingError(f"不能写入档案库内部（{folder}）：请指定库外的文件夹，或不加 -o")
    return outputs.write_year(arc, year, folder)


# ---- the 归档移交清单 ----------------------------------------------------------------------------------
def handover_dir(arc: Archive, year: int) -> Path:
    return arc.store.root / "filing" / str(year)


def _write_handover(arc: Archive, year: int, groups: list[dict], yrow, received_by: str, supplement: bool) -> list[Path]:
    """The 归档移交清单 as PDF and XLSX, kept with the year (a new pair for each filing of the year)."""
    from archive.export.catalogue import Sheet, write

    folder = handover_dir(arc, year)
    folder.mkdir(parents=True, exist_ok=True)
    n = 1 + len(list(folder.glob("归档移交清单-*.pdf")))
    kind = "补充归档" if supplement else "归档"
    rows = [[i, year, g["name"].split("-")[0], arc.cfg.orgs.get(g["org"], g["org"] or ""), g["件数"], g["页数"],
             f"{g['first']} 至 {g['last']}"] for i, g in enumerate(groups, 1)]
    rows.append(["合计", "", "", "", sum(g["件数"] for g in groups), sum(g["页数"] for g in groups), ""])
    from archive.display import local_time

    sheet = Sheet(
        name=f"{year}归档移交清单", title="归档移交清单" if not supplement else "归档移交清单（补充归档）",
        subtitle=f"全宗：{arc.cfg.agency_name}（{arc.cfg.fonds}）　　年度：{year}　　{kind}第 {n} 次",
        columns=("序号", "年度", "保管期限", "机构（问题）", "件数", "页数", "档号起止"),
        widths=(10, 12, 16, 26, 12, 12, 80), rows=rows,
        footer="\n".join([f"移交人（整理人）：{yrow['arranged_by']}　　检查人：{yrow['checked_by']}　　"
                          f"接收人：{received_by}",
                          f"移交时间：{local_time(catalog.now(), arc.cfg.tz)}"]))
    pdf = write([sheet], folder / f"归档移交清单-{year}-{n}.pdf")
    xlsx = write([sheet], folder / f"归档移交清单-{year}-{n}.xlsx")
    return [pdf, xlsx]


def shift(arc: Archive, year: int, by: str | None, doc_id: int, step: int) -> None:
    """The web page's up (-1) / down (+1): one record moved by one place within its group of the saved
    arrangement (the 整理人's change: the check must be done again)."""
    if step not in (-1, 1):
        raise FilingError("只能上移或下移一位")
    by = _name(by, "整理人")
    conn, fonds = arc.conn, arc.cfg.fonds
    with arc.change(reason=f"{year} 年度整理：调整顺序"):
        yrow = gateway.year_row(conn, fonds, year)
        if yrow is None or yrow["state"] not in ("arranging", "checked") or not saved_matches(arc, year):
            raise FilingError(f"{year} 年度还没有保存的整理顺序（或之后有变动）：请先整理")
        p = plan(arc, year)
        for g in p.groups:
            ids = [r["id"] for r in g.order]
            if doc_id in ids:
                i = ids.index(doc_id)
                j = i + step
                if not 0 <= j < len(ids):
                    raise FilingError("已在本组的最前（或最后）")
                g.order[i], g.order[j] = g.order[j], g.order[i]
                break
        else:
            raise FilingError(f"记录 {doc_id} 不是 {year} 年度待编号的记录")
        _save_order(conn, fonds, p)
        gateway.put_year(conn, fonds, year, {"state": "arranging", "arranged_by": by, "arranged_at": catalog.now(),
                                             "checked_by": None, "checked_at": None})
        catalog.append_event(conn, "arrange", None, {"year": year, "by": by, "how": "move", "id": doc_id,
                                                     "step": step, "counts": p.counts()})
