"""Table gateway of the year's filing (migration 16, docs/domain.md "The year's cycle"): ``filing_mode``,
``filing_years``, ``filing_order`` and the records of a 年度 as the arrangement reads them."""

from __future__ import annotations

import sqlite3

YEAR_COLUMNS = ("state", "arranged_by", "arranged_at", "checked_by", "checked_at", "handed_by", "received_by",
                "closed_at", "handover_pdf", "handover_xlsx", "reopened_by", "reopened_at", "reopen_reason")


def mode_row(conn: sqlite3.Connection):
    """The catalog's numbering mode (None: not decided yet, a new catalog)."""
    return conn.execute("SELECT * FROM filing_mode WHERE id = 1").fetchone()


def set_mode(conn: sqlite3.Connection, numbering: str, ts: str, who: str) -> None:
    conn.execute("INSERT INTO filing_mode(id, numbering, set_at, set_by) VALUES (1,?,?,?) "
                 "ON CONFLICT(id) DO UPDATE SET numbering=excluded.numbering, set_at=excluded.set_at, "
                 "set_by=excluded.set_by", (numbering, ts, who))


def any_numbered(conn: sqlite3.Connection) -> bool:
    """Whether any record has a 档号 (a numbering mode may change only before)."""
    return conn.execute("SELECT 1 FROM documents WHERE archival_code IS NOT NULL LIMIT 1").fetchone() is not None


def year_row(conn: sqlite3.Connection, fonds: str, year: int):
    return conn.execute("SELECT * FROM filing_years WHERE fonds=? AND year=?", (fonds, year)).fetchone()


def all_years(conn: sqlite3.Connection, fonds: str) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM filing_years WHERE fonds=? ORDER BY year", (fonds,)).fetchall()


def put_year(conn: sqlite3.Connection, fonds: str, year: int, values: dict) -> None:
    """Insert or update a year's row with ``values`` (columns of YEAR_COLUMNS)."""
    bad = set(values) - set(YEAR_COLUMNS)
    if bad:
        raise ValueError(f"not a column of filing_years: {', '.join(sorted(bad))}")
    cols = list(values)
    conn.execute(
        f"INSERT INTO filing_years(fonds, year, {', '.join(cols)}) VALUES (?,?,{','.join('?' * len(cols))}) "
        f"ON CONFLICT(fonds, year) DO UPDATE SET {', '.join(f'{c}=excluded.{c}' for c in cols)}",
        (fonds, year, *values.values()))


def year_records(conn: sqlite3.Connection, fonds: str, year: int) -> list[sqlite3.Row]:
    """Every record of a 年度 (any status but destroyed), in id order: what the checks read."""
    return conn.execute("SELECT * FROM documents WHERE fonds=? AND year=? AND status != 'destroyed' ORDER BY id",
                        (fonds, year)).fetchall()


def records_dated_in(conn: sqlite3.Connection, fonds: str, year: int) -> list[sqlite3.Row]:
    """Records filed in another 年度 whose 成文日期, 文号 year or 印发日期 says ``year``."""
    like = f"{year:04d}-%"
    return conn.execute(
        "SELECT * FROM documents WHERE fonds=? AND status != 'destroyed' AND (year IS NULL OR year != ?) "
        "AND (date LIKE ? OR docno_year = ? OR print_date LIKE ?) ORDER BY id",
        (fonds, year, like, year, like)).fetchall()


def pending_of_year(conn: sqlite3.Connection, fonds: str, year: int) -> list[sqlite3.Row]:
    """待定 records that belong to the year by their 年度 or, without one, by their 成文日期 or 文号 year."""
    return conn.execute(
        "SELECT * FROM documents WHERE status='pending' AND (fonds=? OR fonds IS NULL) AND "
        "(year = ? OR (year IS NULL AND (date LIKE ? OR docno_year = ?))) ORDER BY id",
        (fonds, year, f"{year:04d}-%", year)).fetchall()


def pending_counts(conn: sqlite3.Connection, fonds: str) -> dict[int, int]:
    """How many 待定 records each year has, as ``pending_of_year`` counts them, in one pass over their year
    columns (the dashboard asks for every year: a query and all whole rows per year took seconds at 100,000)."""
    out: dict[int, int] = {}
    for year, date, docno_year in conn.execute(
            "SELECT year, date, docno_year FROM documents WHERE status='pending' AND (fonds=? OR fonds IS NULL)",
            (fonds,)):
        if year is not None:
            years = {year}
        else:  # date LIKE 'YYYY-%' OR docno_year = YYYY
            years = {docno_year} if docno_year is not None else set()
            if isinstance(date, str) and date[4:5] == "-" and date[:4].isascii() and date[:4].isdigit():
                years.add(int(date[:4]))
        for y in years:
            out[y] = out.get(y, 0) + 1
    return out


def collected(conn: sqlite3.Connection, fonds: str, year: int | None = None) -> list[sqlite3.Row]:
    """预归档 records (archived, no 档号 yet), of one 年度 or of all."""
    if year is None:
        return conn.execute("SELECT * FROM documents WHERE fonds=? AND filing_state='collected' ORDER BY id",
                            (fonds,)).fetchall()
    return conn.execute("SELECT * FROM documents WHERE fonds=? AND year=? AND filing_state='collected' ORDER BY id",
                        (fonds, year)).fetchall()


def collected_years(conn: sqlite3.Connection, fonds: str) -> list[tuple[int, int]]:
    """(年度, 件数) of the 预归档 records waiting for their year's filing."""
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT year, count(*) FROM documents WHERE fonds=? AND filing_state='collected' GROUP BY year ORDER BY year",
        (fonds,))]


def set_order(conn: sqlite3.Connection, fonds: str, year: int, rows: list[tuple[int, str, str | None, int]]) -> None:
    """Replace the arrangement of a year: ``rows`` of (document_id, retention, org, position)."""
    conn.execute("DELETE FROM filing_order WHERE fonds=? AND year=?", (fonds, year))
    conn.executemany("INSERT INTO filing_order(document_id, fonds, year, retention, org, position) "
                     "VALUES (?,?,?,?,?,?)", [(d, fonds, year, ret, org or "", pos) for d, ret, org, pos in rows])


def order_of(conn: sqlite3.Connection, fonds: str, year: int) -> list[sqlite3.Row]:
    """The year's arrangement: (document_id, retention, org, position), by group and position."""
    return conn.execute("SELECT document_id, retention, org, position FROM filing_order WHERE fonds=? AND year=? "
                        "ORDER BY retention, org, position", (fonds, year)).fetchall()


# ---- paper originals and boxes (migration 23; archive/boxes.py) ------------------------------------------
def paper_states(conn: sqlite3.Connection, ids: list[int]) -> dict[int, str]:
    """document id -> 有/无 for the records whose paper original was registered (the others: 未登记)."""
    out: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out.update((r[0], r[1]) for r in conn.execute(
            f"SELECT document_id, state FROM paper_originals WHERE document_id IN ({','.join('?' * len(chunk))})",
            chunk))
    return out


def set_paper(conn: sqlite3.Connection, document_id: int, state: str | None, who: str, ts: str) -> None:
    """Register a record's paper original (有/无), or remove the registration (None: 未登记)."""
    if state is None:
        conn.execute("DELETE FROM paper_originals WHERE document_id=?", (document_id,))
        return
    conn.execute("INSERT INTO paper_originals(document_id, state, set_by, set_at) VALUES (?,?,?,?) "
                 "ON CONFLICT(document_id) DO UPDATE SET state=excluded.state, set_by=excluded.set_by, "
                 "set_at=excluded.set_at", (document_id, state, who, ts))


def boxes_of_year(conn: sqlite3.Connection, fonds: str, year: int) -> list[sqlite3.Row]:
    """The year's boxes, each with its records' count, pages and first/last 件号, by group and 盒号."""
    return conn.execute(
        "SELECT b.*, count(d.id) AS items, coalesce(sum(d.pages), 0) AS pages, min(d.item_no) AS first_item, "
        "max(d.item_no) AS last_item FROM filing_boxes b LEFT JOIN box_items i ON i.box_id = b.id "
        "LEFT JOIN documents d ON d.id = i.document_id WHERE b.fonds=? AND b.year=? "
        "GROUP BY b.id ORDER BY b.retention, b.org, b.box_no", (fonds, year)).fetchall()


def box_members(conn: sqlite3.Connection, box_id: int) -> list[sqlite3.Row]:
    return conn.execute("SELECT d.* FROM box_items i JOIN documents d ON d.id = i.document_id WHERE i.box_id=? "
                        "ORDER BY d.item_no", (box_id,)).fetchall()


def add_box(conn: sqlite3.Connection, fonds: str, year: int, retention: str, org: str | None, box_no: int,
            thickness_mm: int, by: str, checked_by: str | None, ts: str) -> int:
    cur = conn.execute(
        "INSERT INTO filing_boxes(fonds, year, retention, org, box_no, thickness_mm, arranged_by, arranged_at, "
        "checked_by, checked_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (fonds, year, retention, org or "", box_no, thickness_mm, by, ts, checked_by, ts if checked_by else None))
    return int(cur.lastrowid)


def put_in_box(conn: sqlite3.Connection, document_id: int, box_id: int, ts: str) -> None:
    conn.execute("INSERT INTO box_items(document_id, box_id, boxed_at) VALUES (?,?,?)", (document_id, box_id, ts))


def box_numbers(conn: sqlite3.Connection, ids: list[int]) -> dict[int, int]:
    """document id -> its 盒号 (records in a box)."""
    out: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out.update((r[0], r[1]) for r in conn.execute(
            "SELECT i.document_id, b.box_no FROM box_items i JOIN filing_boxes b ON b.id = i.box_id "
            f"WHERE i.document_id IN ({','.join('?' * len(chunk))})", chunk))
    return out


def numbered_of_year(conn: sqlite3.Connection, fonds: str, year: int) -> list[sqlite3.Row]:
    """The year's filed records (with a 件号), by group and 件号: what boxes hold."""
    return conn.execute("SELECT * FROM documents WHERE fonds=? AND year=? AND status='archived' AND item_no IS NOT NULL "
                        "ORDER BY retention, org, item_no", (fonds, year)).fetchall()


def journalled_ids(conn: sqlite3.Connection, ids: list[str]) -> set[str]:
    """Of the store journal's entry ids ``ids`` (archive/paper_journal.py), those a committed paper or boxing
    event names: their registration is in the catalog."""
    out: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out.update(r[0] for r in conn.execute(
            "SELECT DISTINCT json_extract(detail, '$.journal') FROM events WHERE action IN ('paper', 'box_year') "
            f"AND json_valid(detail) AND json_extract(detail, '$.journal') IN ({','.join('?' * len(chunk))})", chunk))
    return out


def registrations(conn: sqlite3.Connection) -> tuple[list[sqlite3.Row], list[sqlite3.Row]]:
    """Every paper registration (sha256, state, set_by, set_at) and every boxed record with its box (sha256, the
    box's columns, boxed_at): what the store journal's first snapshot holds."""
    paper = conn.execute("SELECT d.sha256, p.state, p.set_by, p.set_at FROM paper_originals p "
                         "JOIN documents d ON d.id = p.document_id ORDER BY p.set_at, d.id").fetchall()
    boxed = conn.execute("SELECT d.sha256, b.fonds, b.year, b.retention, b.org, b.box_no, b.thickness_mm, "
                         "b.arranged_by, b.arranged_at, b.checked_by, b.checked_at, i.boxed_at FROM box_items i "
                         "JOIN filing_boxes b ON b.id = i.box_id JOIN documents d ON d.id = i.document_id "
                         "ORDER BY b.id, d.id").fetchall()
    return paper, boxed


def ids_by_sha256(conn: sqlite3.Connection, shas: list[str]) -> dict[str, int]:
    """sha256 -> document id, for the records whose stored file is one of ``shas``."""
    out: dict[str, int] = {}
    for start in range(0, len(shas), 500):
        chunk = shas[start:start + 500]
        out.update((r[0], r[1]) for r in conn.execute(
            f"SELECT sha256, id FROM documents WHERE sha256 IN ({','.join('?' * len(chunk))})", chunk))
    return out


def add_box_as(conn: sqlite3.Connection, fonds: str, year: int, retention: str, org: str, box_no: int,
               thickness_mm: int, by: str, at: str, checked_by: str | None, checked_at: str | None) -> int:
    """A box put back as it was registered (archive recover): its own times, not now."""
    cur = conn.execute(
        "INSERT INTO filing_boxes(fonds, year, retention, org, box_no, thickness_mm, arranged_by, arranged_at, "
        "checked_by, checked_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (fonds, year, retention, org or "", box_no, thickness_mm, by, at, checked_by, checked_at))
    return int(cur.lastrowid)
