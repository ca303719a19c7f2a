"""The store's journal of paper-original and box registrations, so that ``archive recover`` can put them back.

The catalog is the truth while it lives; this file (``store/journal/paper-boxes.jsonl``, one JSON object a line,
only appended to) is what survives it. A registration (``arrange paper``, ``arrange --paper``, ``arrange box``)
writes its entry, flushed to the disk, inside its unit of work just before the commit, with an id that its catalog
events carry (``"journal": id``); once the transaction has committed a ``{"done": id}`` line follows (a caller
whose own unit of work holds the registration calls ``confirm_mine`` after it). A kill -9
between the two leaves an entry without ``done``: the next registration (under the write lock, so no other
transaction is open) settles it against the catalog: ``done`` when an event names it, else ``void`` (rolled back).
``recover`` replays only entries marked done (and snapshots), keyed by the records' stored files' SHA-256 (the
rebuilt records get new ids), and reports the entries it could not confirm and the registrations whose records
are gone. An archive registered before this journal existed gets a ``snapshot`` of the catalog's registrations
at its next registration.

Records are referred to by SHA-256, boxes by (全宗, 年度, 保管期限, 机构, 盒号); nothing else of a record is written.
"""

from __future__ import annotations

import json
import os
import re
import uuid
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from archive.atomic import fsync
from archive.catalog import filing as gateway
from archive.errors import StoreError
from archive.faults import fault

NAME = Path("journal") / "paper-boxes.jsonl"
PAPER = ("有", "无", "未登记")
_SHA = re.compile(r"[0-9a-f]{64}")
BOX_KEYS = ("fonds", "year", "retention", "org", "box_no")

# entries written through each archive handle of this process, with the unit of work they were written in (settle
# leaves those of the unit still open alone: its events are visible to this connection before they are committed)
_written: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def path(root: Path) -> Path:
    return root / NAME


def new_id() -> str:
    return uuid.uuid4().hex


def _append(root: Path, obj: dict) -> None:
    p = path(root)
    line = (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    try:
        p.parent.mkdir(exist_ok=True)
        new = not os.path.lexists(p)
        fd = os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        if new:
            fsync(p.parent)
            fsync(root)
    except OSError as e:
        raise StoreError(f"无法写入档案库的登记日志 {p}：{e.strerror}（请检查磁盘空间和权限）；本次登记未保存") from e


def write(arc, entry: dict, jid: str) -> str:
    """Append ``entry`` under the id ``jid`` (its catalog events carry it; returned) inside the caller's unit of
    work, as the last thing before its commit."""
    _append(arc.store.root, {"id": jid, **entry})
    _written.setdefault(arc, {})[jid] = getattr(arc, "_in_tx", None)
    fault("registration-journalled")  # kill -9 here: the entry, no commit (settled as void)
    return jid


def confirm(arc, jid: str | None) -> None:
    """After the unit of work that wrote ``jid`` ended: ``done`` when its transaction has committed. Nested in a
    caller's unit of work (still open) the entry waits for the next settle."""
    if jid is None or arc.conn.in_transaction:
        return
    fault("registration-committed")  # kill -9 here: committed, no done line (settled as done later)
    _append(arc.store.root, {"done": jid})
    _written.get(arc, {}).pop(jid, None)


def confirm_mine(arc) -> None:
    """For a caller whose unit of work held a registration (``arrange --paper``), once that unit has ended: the
    entries this handle wrote, ``done`` where the catalog has their events (committed), else ``void``."""
    mine = _written.get(arc)
    if not mine or arc.conn.in_transaction:
        return
    committed = gateway.journalled_ids(arc.conn, list(mine))
    for jid in list(mine):
        _append(arc.store.root, {"done" if jid in committed else "void": jid})
        del mine[jid]


@dataclass
class Journal:
    entries: list[dict] = field(default_factory=list)  # in file order
    done: set[str] = field(default_factory=set)
    void: set[str] = field(default_factory=set)
    damaged: int = 0  # lines that are not an entry (a torn last line after a kill -9, an edited file)
    exists: bool = False

    def confirmed(self) -> list[dict]:
        return [e for e in self.entries if e.get("kind") == "snapshot" or e["id"] in self.done]

    def unconfirmed(self) -> list[dict]:
        return [e for e in self.entries if e.get("kind") != "snapshot" and e["id"] not in self.done | self.void]


def read(root: Path) -> Journal:
    j = Journal()
    p = path(root)
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return j
    except OSError as e:
        raise StoreError(f"无法读取档案库的登记日志 {p}：{e.strerror}") from e
    j.exists = True
    with os.fdopen(fd, "rb") as f:
        for raw in f:
            try:
                obj = json.loads(raw)
            except ValueError:
                j.damaged += 1
                continue
            if not isinstance(obj, dict):
                j.damaged += 1
            elif isinstance(obj.get("done"), str):
                j.done.add(obj["done"])
            elif isinstance(obj.get("void"), str):
                j.void.add(obj["void"])
            elif isinstance(obj.get("id"), str) and obj.get("kind") in ("paper", "box", "snapshot"):
                j.entries.append(obj)
            else:
                j.damaged += 1
    return j


def settle(arc) -> None:
    """Under the caller's write lock: entries a kill -9 left without ``done`` become done (the catalog has their
    events) or void (it has not: rolled back); an archive with registrations and no journal gets a snapshot."""
    root = arc.store.root
    j = read(root)
    if not j.exists:
        _snapshot(arc)
        return
    current, mine = getattr(arc, "_in_tx", None), _written.get(arc, {})
    waiting = [e["id"] for e in j.unconfirmed() if not (e["id"] in mine and mine[e["id"]] is current)]
    if not waiting:
        return
    committed = gateway.journalled_ids(arc.conn, waiting)
    for jid in waiting:
        _append(root, {"done" if jid in committed else "void": jid})
        mine.pop(jid, None)


def _snapshot(arc) -> None:
    paper, boxed = gateway.registrations(arc.conn)
    if not paper and not boxed:
        return
    boxes, items = {}, []
    for r in boxed:
        key = tuple(r[k] for k in BOX_KEYS)
        boxes.setdefault(key, {k: r[k] for k in (*BOX_KEYS, "thickness_mm", "arranged_by", "arranged_at",
                                                  "checked_by", "checked_at")})
        items.append([r["sha256"], *key, r["boxed_at"]])
    # committed data read under the lock: confirmed by nature, no done line needed
    _append(arc.store.root, {"id": new_id(), "kind": "snapshot",
                             "paper": [[r["sha256"], r["state"], r["set_by"], r["set_at"]] for r in paper],
                             "boxes": list(boxes.values()), "items": items})


def paper_entry(rows: list, state: str, by: str, at: str) -> dict:
    return {"kind": "paper", "paper": [[r["sha256"], state, by, at] for r in rows]}


def box_entry(new_boxes: list[dict], items: list[list]) -> dict:
    return {"kind": "box", "boxes": new_boxes, "items": items}


# ---- replay (archive recover) ------------------------------------------------------------------------------
@dataclass
class Restored:
    paper: int = 0  # records whose 有/无 was put back
    paper_lost: int = 0  # registrations whose record is not in the rebuilt catalog (file gone, 涉密)
    boxes: int = 0
    boxes_lost: int = 0  # boxes none of whose records are in the rebuilt catalog
    boxed: int = 0  # records put back into their box
    boxed_lost: int = 0
    unconfirmed: int = 0  # entries a kill -9 left unsettled: not replayed (it is not known they were committed)
    damaged: int = 0  # journal lines or items that could not be read

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _text(v, limit: int = 200) -> bool:
    return isinstance(v, str) and 0 < len(v) <= limit


def _box_ok(b) -> bool:
    return (isinstance(b, dict) and _text(b.get("fonds")) and type(b.get("year")) is int
            and 1000 <= b["year"] <= 9999 and _text(b.get("retention"), 20)
            and isinstance(b.get("org"), str) and len(b["org"]) <= 200
            and type(b.get("box_no")) is int and b["box_no"] >= 1
            and type(b.get("thickness_mm")) is int and b["thickness_mm"] > 0
            and _text(b.get("arranged_by")) and _text(b.get("arranged_at"), 40)
            and (b.get("checked_by") is None or _text(b["checked_by"]))
            and (b.get("checked_at") is None or _text(b["checked_at"], 40)))


def replay(conn, j: Journal) -> Restored:
    """Put the confirmed registrations of ``j`` into the (new) catalog behind ``conn``, inside the caller's
    transaction; the last registration of a record wins, as it did in the catalog."""
    out = Restored(unconfirmed=len(j.unconfirmed()), damaged=j.damaged)
    papers: dict[str, tuple] = {}
    boxes: dict[tuple, dict] = {}
    placed: dict[str, tuple] = {}
    for e in j.confirmed():
        for it in e.get("paper") or []:
            if (isinstance(it, list) and len(it) == 4 and isinstance(it[0], str) and _SHA.fullmatch(it[0])
                    and it[1] in PAPER and (it[2] is None or _text(it[2])) and _text(it[3], 40)):
                papers[it[0]] = (it[1], it[2], it[3])
            else:
                out.damaged += 1
        for b in e.get("boxes") or []:
            if _box_ok(b):
                boxes.setdefault(tuple(b[k] for k in BOX_KEYS), b)
            else:
                out.damaged += 1
        for it in e.get("items") or []:
            if (isinstance(it, list) and len(it) == 7 and isinstance(it[0], str) and _SHA.fullmatch(it[0])
                    and _text(it[6], 40)):
                placed[it[0]] = (tuple(it[1:6]), it[6])
            else:
                out.damaged += 1
    ids = gateway.ids_by_sha256(conn, sorted(set(papers) | set(placed)))
    for sha, (state, by, at) in papers.items():
        if state == "未登记":
            continue
        if sha in ids:
            gateway.set_paper(conn, ids[sha], state, by, at)
            out.paper += 1
        else:
            out.paper_lost += 1
    members: dict[tuple, list] = {}
    for sha, (key, at) in placed.items():
        if key not in boxes:
            out.damaged += 1  # a placement into a box the journal never defined
        elif sha not in ids:
            out.boxed_lost += 1
        else:
            members.setdefault(key, []).append((ids[sha], at))
    for key, b in boxes.items():
        if key not in members:
            out.boxes_lost += 1
            continue
        box_id = gateway.add_box_as(conn, b["fonds"], b["year"], b["retention"], b["org"], b["box_no"],
                                    b["thickness_mm"], b["arranged_by"], b["arranged_at"], b.get("checked_by"),
                                    b.get("checked_at"))
        for doc_id, at in members[key]:
            gateway.put_in_box(conn, doc_id, box_id, at)
            out.boxed += 1
        out.boxes += 1
    return out
