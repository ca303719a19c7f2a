"""Paper originals (双套制) and 装盒 (DA/T 22-2015 6.4; docs/domain.md "Paper originals and boxes").

A record says whether its paper 正本 exists: 有, 无 or 未登记 (no registration). ``box_year`` puts the paper
originals of a filed (closed) year into 档案盒: one group (年度-保管期限-机构) never shares a box with another,
盒号 from 1 in each group, the 件 in 件号 order, a new box when the next 件 would pass the box's pages
(``[filing] box_pages``, else box_thickness × 8). Boxing is never undone and never renumbers a 件: a run after a
补充归档 fills the group's last box and then opens new ones; a 件 registered 有 later than its neighbours were boxed
goes into the box that holds its neighbours. Reopening a year keeps its boxes (its 件号 stay).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archive import catalog
from archive import paper_journal as journal
from archive.catalog import filing as gateway
from archive.errors import FilingError
from archive.faults import fault
from archive.retention import ORDER as RETENTION_ORDER
from archive.retention import name as retention_name
from archive.session import Archive

PAPER_STATES = ("有", "无", "未登记")


def capacity(cfg) -> int:
    """Pages one box holds: ``[filing] box_pages``, or the thickness in mm × 8 (a sheet is about 0.1 mm; a box is
    filled to about four fifths so that the papers stand without bending)."""
    return cfg.box_pages or cfg.box_thickness * 8


def paper_of(conn, ids: list[int]) -> dict[int, str]:
    """document id -> 有 / 无 / 未登记."""
    known = gateway.paper_states(conn, ids)
    return {i: known.get(i, "未登记") for i in ids}


def set_paper(arc: Archive, refs: list[str], state: str, by: str | None) -> list[int]:
    """Register whether the paper originals of ``refs`` exist (有/无), or clear it (未登记). A boxed record's
    paper cannot be said not to exist (it is in a box)."""
    from archive.filing import _name

    if state not in PAPER_STATES:
        raise FilingError(f"纸质原件只能是 {'、'.join(PAPER_STATES)}，不是 “{state}”")
    if not refs:
        raise FilingError("须指定至少一条记录（记录号、档号或文号）")
    by = _name(by, "登记人（--by）")
    done, changed, jid = [], [], None
    with arc.change(reason=f"登记纸质原件：{state}"):
        journal.settle(arc)
        rows = [arc.resolve(ref) for ref in refs]
        boxed = gateway.box_numbers(arc.conn, [r["id"] for r in rows])
        ts = catalog.now()
        pending_id = journal.new_id()
        for r in rows:
            if r["id"] in boxed and state != "有":
                raise FilingError(f"{r['archival_code'] or '记录 %d' % r['id']} 的纸质原件已装入第 {boxed[r['id']]} 盒，"
                                  f"不能登记为{state}")
            if r["status"] not in ("archived", "pending"):
                raise FilingError(f"记录 {r['id']} 不是归档或待定的记录，不登记纸质原件")
            before = paper_of(arc.conn, [r["id"]])[r["id"]]
            if before == state:
                continue
            gateway.set_paper(arc.conn, r["id"], None if state == "未登记" else state, by, ts)
            catalog.append_event(arc.conn, "paper", r["id"], {"paper": state, "was": before, "by": by,
                                                              "journal": pending_id})
            done.append(r["id"])
            changed.append(r)
        if changed:  # the store's journal, for archive recover: last, just before the commit
            jid = journal.write(arc, journal.paper_entry(changed, state, by, ts), pending_id)
    journal.confirm(arc, jid)
    return done


def _check_filed_state(state: str) -> None:
    """A year's or an arrangement's registration says 有 or 无 (未登记 is what it replaces)."""
    if state not in ("有", "无"):
        raise FilingError(f"纸质原件只能登记为 有 或 无，不是 “{state}”")


def mark_unregistered(arc: Archive, ids: list[int], state: str, by: str) -> int:
    """At arrangement: the records of ``ids`` whose paper original is 未登记 registered as ``state``; how many.
    Called inside the caller's unit of work; the caller calls ``journal_confirmed`` once that unit has ended."""
    _check_filed_state(state)
    return len(_mark_unregistered(arc, ids, state, by)[0])


def journal_confirmed(arc: Archive) -> None:
    """After a caller's unit of work that called ``mark_unregistered`` has ended: its journal entry confirmed."""
    journal.confirm_mine(arc)


def _mark_unregistered(arc: Archive, ids: list[int], state: str, by: str) -> tuple[list[int], str | None]:
    """mark_unregistered, with the journal entry's id (confirmed by the caller once its unit of work commits)."""
    journal.settle(arc)
    current = paper_of(arc.conn, ids)
    ts = catalog.now()
    jid = journal.new_id()
    marked = [i for i in ids if current[i] == "未登记"]
    for i in marked:
        gateway.set_paper(arc.conn, i, state, by, ts)
        catalog.append_event(arc.conn, "paper", i, {"paper": state, "was": "未登记", "by": by, "journal": jid})
    if not marked:
        return [], None
    return marked, journal.write(arc, journal.paper_entry(catalog.records(arc.conn, marked), state, by, ts), jid)


@dataclass
class Box:
    id: int
    retention: str
    org: str
    box_no: int
    thickness_mm: int
    arranged_by: str
    arranged_at: str
    checked_by: str | None
    checked_at: str | None
    items: list = field(default_factory=list)  # the records, by 件号

    @property
    def pages(self) -> int:
        return sum(r["pages"] or 0 for r in self.items)

    @property
    def first(self) -> int | None:
        return self.items[0]["item_no"] if self.items else None

    @property
    def last(self) -> int | None:
        return self.items[-1]["item_no"] if self.items else None

    def group_name(self, orgs: dict) -> str:
        org = f"-{orgs.get(self.org, self.org)}" if self.org else ""
        return f"{retention_name(self.retention, self.retention)}{org}"


def boxes(arc: Archive, year: int) -> list[Box]:
    """The year's boxes with their records, by group and 盒号."""
    out = []
    for b in gateway.boxes_of_year(arc.conn, arc.cfg.fonds, year):
        box = Box(b["id"], b["retention"], b["org"], b["box_no"], b["thickness_mm"], b["arranged_by"],
                  b["arranged_at"], b["checked_by"], b["checked_at"], list(gateway.box_members(arc.conn, b["id"])))
        out.append(box)
    out.sort(key=lambda b: (RETENTION_ORDER.get(b.retention, 9), b.org, b.box_no))
    return out


@dataclass
class Boxing:
    year: int
    new_boxes: list[Box]
    placed: int  # records put into a box by this run
    no_paper: int  # records of the year without a paper original (无): not boxed
    oversize: list[str]  # 档号 of a 件 larger than a box: alone in its box
    capacity: int
    boxes: list[Box]


def box_year(arc: Archive, year: int, by: str | None, checked_by: str | None = None) -> Boxing:
    """装盒 of a closed year (docs/domain.md): refused before the year is filed, and while any filed record's
    paper original is 未登记 (the list, and how to register it)."""
    from archive.filing import STATE_NAMES, _name, _same_person

    by = _name(by, "装盒人（--by）")
    checked = _name(checked_by, "检查人（--checked-by）") if checked_by else None
    if checked and _same_person(by, checked):
        raise FilingError(f"检查人不能是装盒人本人（{by}）：请由另一人检查")
    conn, fonds = arc.conn, arc.cfg.fonds
    cap = capacity(arc.cfg)
    jid = journal.new_id()
    with arc.change(reason=f"{year} 年度装盒"):
        journal.settle(arc)
        yrow = gateway.year_row(conn, fonds, year)
        records = gateway.numbered_of_year(conn, fonds, year)
        if yrow is None and not records and not gateway.collected(conn, fonds, year):
            raise FilingError(f"{year} 年度没有已归档的记录，无法装盒")
        if yrow is None or yrow["closed_at"] is None:
            state = STATE_NAMES[yrow["state"] if yrow else None]
            raise FilingError(f"{year} 年度尚未归档（当前{state}）：装盒须在归档之后"
                              f"（archive arrange close --year {year}）")
        papers = paper_of(conn, [r["id"] for r in records])
        unknown = [r for r in records if papers[r["id"]] == "未登记"]
        if unknown:
            listing = "、".join(r["archival_code"] for r in unknown[:5])
            raise FilingError(f"{year} 年度有 {len(unknown)} 件未登记是否有纸质原件（如 {listing}）：请先登记"
                              f"（archive arrange paper 有|无 记录…，或 archive arrange paper 有 --year {year} 登记全年）")
        boxed = gateway.box_numbers(conn, [r["id"] for r in records])
        existing = boxes(arc, year)
        ts = catalog.now()
        new_boxes: list[Box] = []
        placed, oversize, items = 0, [], []
        by_group: dict[tuple, list] = {}
        for r in records:
            by_group.setdefault((r["retention"], r["org"] or ""), []).append(r)
        for key, members in by_group.items():
            group_boxes = [b for b in existing if (b.retention, b.org) == key]
            for r in members:
                if r["id"] in boxed or papers[r["id"]] != "有":
                    continue
                pages = r["pages"] or 0
                last = group_boxes[-1] if group_boxes else None
                if last is not None and last.last is not None and r["item_no"] < last.last:
                    # registered 有 after its neighbours were boxed: the box its 件号 falls in
                    before = [b for b in group_boxes if b.first is not None and b.first <= r["item_no"]]
                    target = before[-1] if before else group_boxes[0]
                elif last is None or (last.items and last.pages + pages > cap):
                    number = (last.box_no if last else 0) + 1
                    box_id = gateway.add_box(conn, fonds, year, key[0], key[1], number, arc.cfg.box_thickness,
                                             by, checked, ts)
                    target = Box(box_id, key[0], key[1], number, arc.cfg.box_thickness, by, ts, checked,
                                 ts if checked else None)
                    group_boxes.append(target)
                    new_boxes.append(target)
                else:
                    target = last
                if pages > cap:
                    oversize.append(r["archival_code"])
                gateway.put_in_box(conn, r["id"], target.id, ts)
                target.items.append(r)
                target.items.sort(key=lambda x: x["item_no"])
                items.append([r["sha256"], fonds, year, key[0], key[1], target.box_no, ts])
                catalog.append_event(conn, "box", r["id"], {"year": year, "box_no": target.box_no, "by": by})
                fault("boxing")  # kill -9 here: no box and no 盒号 committed
                placed += 1
        if not placed:
            raise FilingError(f"{year} 年度没有待装盒的纸质原件（已全部装盒，或登记为无纸质原件）")
        catalog.append_event(conn, "box_year", None, {
            "year": year, "by": by, "checked_by": checked, "placed": placed, "capacity": cap,
            "new_boxes": [f"{b.retention}-{b.org}-{b.box_no}" for b in new_boxes], "journal": jid})
        journal.write(arc, journal.box_entry([
            {"fonds": fonds, "year": year, "retention": b.retention, "org": b.org, "box_no": b.box_no,
             "thickness_mm": b.thickness_mm, "arranged_by": b.arranged_by, "arranged_at": b.arranged_at,
             "checked_by": b.checked_by, "checked_at": b.checked_at} for b in new_boxes], items), jid)
        no_paper = sum(1 for r in records if papers[r["id"]] == "无")
    journal.confirm(arc, jid)
    return Boxing(year, new_boxes, placed, no_paper, oversize, cap, boxes(arc, year))


def situation(box: Box, records_of_group: list, papers: dict[int, str]) -> str:
    """盒内情况说明: what a person reading the box needs (DA/T 22-2015 6.4.2 a): the count and pages, the 件号
    in the box's range that are not in it (no paper original, destroyed), the 补充归档 ones."""
    lines = [f"本盒共 {len(box.items)} 件，{box.pages} 页，件号 {box.first:04d} 至 {box.last:04d}。"] if box.items \
        else ["本盒暂无文件。"]
    inside = {r["id"] for r in box.items}
    missing = [r for r in records_of_group
               if box.items and box.first < r["item_no"] < box.last and r["id"] not in inside]
    no_paper = [f"{r['item_no']:04d}" for r in missing if papers.get(r["id"]) == "无"]
    if no_paper:
        lines.append(f"件号 {'、'.join(no_paper)} 无纸质原件（仅有电子文件），不在本盒。")
    others = [f"{r['item_no']:04d}" for r in missing if papers.get(r["id"]) != "无"]
    if others:
        lines.append(f"件号 {'、'.join(others)} 不在本盒（见其他盒或备注）。")
    destroyed = [f"{r['item_no']:04d}" for r in box.items if r["status"] == "destroyed"]
    if destroyed:
        lines.append(f"件号 {'、'.join(destroyed)} 已销毁（见销毁清册）。")
    supplement = [f"{r['item_no']:04d}" for r in box.items if "补充归档" in (r["note"] or "")]
    if supplement:
        lines.append(f"件号 {'、'.join(supplement)} 为补充归档。")
    return "".join(lines)


def set_paper_year(arc: Archive, year: int, state: str, by: str | None) -> int:
    """Every record of ``year`` (filed, or collected for filing) whose paper original is 未登记 registered as
    ``state``; the others keep theirs. How many."""
    from archive.filing import _name

    by = _name(by, "登记人（--by）")
    _check_filed_state(state)
    with arc.change(reason=f"登记 {year} 年度纸质原件：{state}"):
        rows = [r for r in gateway.year_records(arc.conn, arc.cfg.fonds, year) if r["status"] == "archived"]
        if not rows:
            raise FilingError(f"{year} 年度没有归档或预归档的记录")
        marked, jid = _mark_unregistered(arc, [r["id"] for r in rows], state, by)
    journal.confirm(arc, jid)
    return len(marked)
