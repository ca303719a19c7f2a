"""One 件 of several files: does a new file belong to a record already in the catalog?

DA/T 22 makes one 件 of a 公文's 正本 and its 定稿 (with the 发文稿纸), of an 正文 and its 附件, and of the same
document in several renderings (PDF, TXT, a scan). ``match`` reads the catalog (under the caller's write lock, in
the transaction that will record the outcome, so a record committed earlier in the same batch is seen) and says
whether the new file is attached to a record (sure), suggested for one (unsure: it becomes a 待定 record carrying
the suggestion), or is a record of its own. The rules are in docs/domain.md ("一件多文件"); no field of the
existing record is ever changed by a match.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from archive import catalog, docno
from archive.models import GongwenFields

# what a further file is to its record (document_files.role, migration 13)
ROLES = ("正本", "定稿", "稿纸", "附件", "其他格式")
# what a clerk may type for a role (--role), and what it means
ROLE_WORDS = {**{r: r for r in ROLES}, "正文": "正本", "底稿": "定稿", "发文稿纸": "稿纸", "其它格式": "其他格式",
              "其他": "其他格式", "其它": "其他格式"}

# a draft's markers, longest first: which role each gives
_DRAFT_MARKS = (("发文稿纸", "稿纸"), ("稿纸", "稿纸"), ("定稿", "定稿"), ("底稿", "定稿"))
# the first line of an 附件: 附件 / 附件1 / 附件一： / 附件 2：
_ANNEX_HEAD = re.compile(r"^\s*附\s*件\s*[0-9０-９一二三四五六七八九十]*\s*[:：]?\s*")
_SPACE = re.compile(r"\s+")
_MIN_TITLE = 6  # a title shorter than this is too common to name a document by


@dataclass
class Match:
    """Where a new file goes. ``document_id`` set and ``sure``: attached with ``role``. Not sure: a 待定 record
    whose reason names ``candidates`` (``why`` says what matched)."""

    role: str
    why: str
    candidates: list[int] = field(default_factory=list)
    sure: bool = False

    @property
    def document_id(self) -> int | None:
        return self.candidates[0] if self.sure else None

    def suggestion(self, conn: sqlite3.Connection) -> str:
        """The pending reason: which record(s) it may belong to, and the command that attaches it."""
        refs = "、".join(_ref(conn, i) for i in self.candidates[:5])
        return (f"可能属于{refs}（作为{self.role}：{self.why}）；如是，请运行 archive attach <记录> <本记录号> "
                f"--role {self.role}，否则按一般待定文件确认")


def role_of(word: str) -> str | None:
    """A role as a clerk typed it (--role), or None."""
    return ROLE_WORDS.get(_SPACE.sub("", word or ""))


def match(conn: sqlite3.Connection, fields: GongwenFields, filename: str, text: str) -> Match | None:
    """The record a new file belongs to (see the module doc), or None: a record of its own."""
    stem = Path(filename).stem
    head = _first_line(text)
    draft = _draft_role(fields.title, stem)
    if draft:
        return _draft(conn, fields, stem, text, draft)
    if _ANNEX_HEAD.match(head) or "附件" in stem:
        found = _annex(conn, stem, text, bool(_ANNEX_HEAD.match(head)))
        if found is not None:
            return found
    return _rendering(conn, fields, text)


# ---- the three kinds ------------------------------------------------------------------------------------------
def _rendering(conn, fields: GongwenFields, text: str = "") -> Match | None:
    """The same document again: the same 发文字号 and 发文机关, or (no number) the same 题名 and 成文日期 — and,
    where both files have text, the same text (another rendering of one document reads alike; two documents
    that share a number or a title do not)."""
    date = fields.date.isoformat() if fields.date else None

    def same_day(r) -> bool:  # two renderings of one document carry one 成文日期 (or one of them was not read)
        return not date or not r["date"] or r["date"] == date

    if fields.doc_number is not None:
        rows = catalog.live_by_doc_number(conn, fields.doc_number.canonical)
        if not rows:
            return None
        number = fields.doc_number.canonical
        alike_text = {r["id"]: _same_text(conn, r["id"], text) for r in rows}
        same = [r["id"] for r in rows if _same_issuer(r["issuer"], fields.issuer)]
        # a number does not always name one document (a 令号 runs on across years, a numbering slip): the
        # date and the text decide, never the number alone
        fits = [r["id"] for r in rows if same_day(r) and alike_text[r["id"]] is not False
                and _alike_title(r["title"], fields.title) and (r["id"] in same or alike_text[r["id"]])]
        if len(fits) == 1:
            why = "与发文机关相同" if fits[0] in same else "相同，全文一致"
            return Match("其他格式", f"发文字号 {number} {why}", fits, sure=True)
        if len(fits) > 1:
            return Match("其他格式", f"发文字号 {number} 相同的记录不止一件", fits)
        if same:
            return Match("其他格式", f"发文字号 {number} 与发文机关相同，但题名、成文日期或内容不同", same)
        return Match("其他格式", f"发文字号 {number} 相同，但发文机关不同或未识别", [r["id"] for r in rows])
    title = _norm(fields.title)
    if len(title) < _MIN_TITLE:
        return None
    rows = [r for r in catalog.live_by_flat_title(conn, title, unnumbered=True)
            if _norm(r["title"]) == title]
    if not rows:
        return None
    same = [r["id"] for r in rows if date and r["date"] == date and _same_text(conn, r["id"], text) is not False]
    if len(same) == 1:
        return Match("其他格式", f"题名与成文日期 {date} 相同", same, sure=True)
    if same:
        return Match("其他格式", f"题名与成文日期 {date} 相同的记录不止一件", same)
    return Match("其他格式", "只有题名相同（成文日期或内容不同）", [r["id"] for r in rows])


def _same_text(conn, document_id: int, text: str) -> bool | None:
    """Whether a file's text and a record's own text are one document's: True, False, or None when the text
    cannot tell (too little of it, e.g. a scan OCR could not read, or a short text whose share falls between
    the two bounds). Character pairs of the first _TEXT_SPAN characters, spaces and punctuation left out; the
    share of the smaller set found in the other. On the evaluation set's tune split, renderings of one document
    shared 0.76 and more of their pairs (a short saved web page with its metadata table 0.6), different
    documents 0.59 and less (two short 令 of one template 0.69, two 纪要 of one title 0.35)."""
    a, b = _pairs(catalog.text_of(conn, document_id, _TEXT_SPAN * 2)), _pairs(text)
    if len(a) < _MIN_PAIRS or len(b) < _MIN_PAIRS:
        return None
    share = len(a & b) / min(len(a), len(b))
    return True if share >= _SAME_TEXT else False if share < _OTHER_TEXT else None


_TEXT_SPAN = 3000
_MIN_PAIRS = 50
_SAME_TEXT = 0.75   # at least this share: the same text
_OTHER_TEXT = 0.45  # below it: another document's text; between the two, the text does not decide
_NOT_WORD = re.compile(r"[\s\W_]+")


def _pairs(text: str | None) -> set[str]:
    t = _NOT_WORD.sub("", text or "")[:_TEXT_SPAN]
    return {t[i:i + 2] for i in range(len(t) - 1)}


def _draft(conn, fields: GongwenFields, stem: str, text: str, role: str) -> Match | None:
    """A 定稿 or 发文稿纸 of a record: said so by its title or file name, and matching by number or title."""
    ids: dict[int, str] = {}
    numbers = [fields.doc_number] if fields.doc_number else []
    numbers += [n for n, _, _ in docno.find_all(text[:2000])]
    for n in numbers:
        for r in catalog.live_by_doc_number(conn, n.canonical):
            ids.setdefault(r["id"], f"发文字号 {n.canonical} 相同")
    for t in (_strip_marks(fields.title), _strip_marks(stem)):
        if len(t) >= _MIN_TITLE:
            for r in _by_title(conn, t):
                ids.setdefault(r["id"], "题名相同")
    what = f"文件名或题名标明为{role}"
    if not ids:  # a title written somewhere in it: a suggestion only (a document may cite another's title)
        found = {r["id"]: "稿中写有其题名" for r in _titles_in(conn, text[:2000])}
        return Match(role, f"{what}，稿中写有其题名", list(found)) if found else None
    return _decide(ids, role, what)


def _annex(conn, stem: str, text: str, headed: bool) -> Match | None:
    """An 附件 that names its main document: its text begins with 附件 and the record's 发文字号 or 题名 is in it,
    or its file name is ``<题名 or 发文字号>附件…``."""
    ids: dict[int, str] = {}
    prefix = stem.split("附件", 1)[0].strip(" _-—－·.")
    if prefix:
        n = docno.parse(prefix)
        if n is not None:
            for r in catalog.live_by_doc_number(conn, n.canonical):
                ids.setdefault(r["id"], f"文件名写有发文字号 {n.canonical}")
        if len(_norm(prefix)) >= _MIN_TITLE:
            for r in _by_title(conn, prefix):
                ids.setdefault(r["id"], "文件名以其题名开头")
    if headed and not ids:
        for n, _, _ in docno.find_all(text[:2000]):
            for r in catalog.live_by_doc_number(conn, n.canonical):
                ids.setdefault(r["id"], f"附件中写有发文字号 {n.canonical}")
        if not ids:
            for r in _titles_in(conn, text[:2000]):
                ids.setdefault(r["id"], "附件中写有其题名")
    if not ids:
        return None
    return _decide(ids, "附件", "以“附件”开头" if headed else "文件名标明为附件")


def _decide(ids: dict[int, str], role: str, what: str) -> Match | None:
    if not ids:
        return None
    why = f"{what}，{'；'.join(dict.fromkeys(ids.values()))}"
    return Match(role, why, list(ids), sure=len(ids) == 1)


# ---- reading the catalog ------------------------------------------------------------------------------------
def _by_title(conn, title: str) -> list[sqlite3.Row]:
    t = _norm(title)
    return [r for r in catalog.live_by_flat_title(conn, t) if _norm(r["title"]) == t] if t else []


def _titles_in(conn, text: str) -> list[sqlite3.Row]:
    """Records whose 题名 (of at least _MIN_TITLE characters) is written in ``text`` (spaces and line breaks
    ignored)."""
    flat = _norm(text)
    if not flat:
        return []
    return [r for r in catalog.live_titles_in(conn, flat, _MIN_TITLE) if _norm(r["title"]) in flat]


def _row(rows, document_id: int):
    return next(r for r in rows if r["id"] == document_id)


def _ref(conn, document_id: int) -> str:
    r = catalog.get_record(conn, document_id)
    if r is None:
        return f"记录 {document_id}"
    name = r["archival_code"] or r["doc_number"] or r["title"] or ""
    return f"记录 {r['id']}（{name}）" if name else f"记录 {r['id']}"


# ---- text ---------------------------------------------------------------------------------------------------
def _norm(s: str | None) -> str:
    return _SPACE.sub("", s or "")


def _first_line(text: str) -> str:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def _draft_role(title: str | None, stem: str) -> str | None:
    for s in (stem, title or ""):
        for mark, role in _DRAFT_MARKS:
            if mark in s:
                return role
    return None


def _strip_marks(s: str | None) -> str:
    s = _norm(s)
    for mark, _ in _DRAFT_MARKS:
        s = s.replace(mark, "")
    return s.strip("()（）[]【】_-—－·.")


def _alike_title(a: str | None, b: str | None) -> bool:
    """Titles of one document: the same, one inside the other, or one not recognised at all."""
    a, b = _norm(a), _norm(b)
    return not a or not b or a in b or b in a


def _same_issuer(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and _norm(a) == _norm(b)
