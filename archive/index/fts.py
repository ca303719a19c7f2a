"""The SQLite backend (``[index] engine = "sqlite"``, the default): FTS5 inside the catalog.

The table ``fulltext`` (catalog migration 9) is contentless: it holds only the index of the bigram tokens of
each record's title (or file name), issuer and text, with rowid = documents.id; the text itself stays in
``document_texts``. Triggers on ``documents`` and ``document_texts`` keep it in step inside the transaction
that changes the record (every write path, whichever module does it), calling the SQL function ``bigrams``
that ``catalog.connect`` registers. A connection without that function (the sqlite3 shell) cannot change an
indexed column; ``verify`` finds edits made behind the program's back anyway.

The query language is the one users had with Whoosh: words (all must occur; a word matches where its bigrams
stand in sequence, i.e. as a substring), "quoted phrases", AND / OR / NOT, parentheses, and ``field:value``
(title, issuer, body; year, date, retention, org, doc_type, status, archival_code, doc_number, id; ranges as
``year:[2020 TO 2022]``). Text goes to one FTS5 MATCH; fields become SQL conditions on ``documents``.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from archive.errors import UsageError
from archive.faults import fault
from archive.index import runs

TABLE = "fulltext"
TEXT_COLUMNS = {"title": "title", "issuer": "issuer", "body": "body"}
DEFAULT_COLUMNS = "{title body}"  # the issuer's name is in the body (版头, 署名) anyway
META_FIELDS = {"year": "year", "date": "date", "retention": "retention", "org": "org", "doc_type": "doc_type",
               "status": "status", "archival_code": "archival_code", "doc_number": "doc_number", "id": "id"}

# the ranking (Whoosh's field boosts for title, issuer, body): the table's configured ``rank`` (migration 9), and
# the expression search_ids orders by (bench/web_bench.md: FTS5's own ORDER BY rank sorts every match in a
# sorter of its own, a third more CPU than SQLite's top-k over the same bm25)
WEIGHTS = "3.0, 1.5, 1.0"
# migration 9 of archive/schema.py: the table, its ranking, and the triggers
_ROW = ("SELECT d.id, bigrams(coalesce(d.title, d.filename)), bigrams(d.issuer), "
        "bigrams((SELECT t.text FROM document_texts t WHERE t.document_id = d.id)) FROM documents d")
_DEL = f"INSERT INTO {TABLE}({TABLE}, rowid, title, issuer, body) SELECT 'delete', * FROM ({_ROW} WHERE d.id = {{id}})"
_ADD = f"INSERT INTO {TABLE}(rowid, title, issuer, body) {_ROW} WHERE d.id = {{id}}"
MIGRATION = f"""
    CREATE VIRTUAL TABLE {TABLE} USING fts5(title, issuer, body, content='', tokenize='ascii');
    INSERT INTO {TABLE}({TABLE}, rank) VALUES ('rank', 'bm25({WEIGHTS})');
    INSERT INTO {TABLE}(rowid, title, issuer, body) {_ROW};
    CREATE TRIGGER fulltext_documents_insert AFTER INSERT ON documents
        BEGIN {_ADD.format(id="new.id")}; END;
    CREATE TRIGGER fulltext_documents_before BEFORE UPDATE OF title, filename, issuer ON documents
        BEGIN {_DEL.format(id="old.id")}; END;
    CREATE TRIGGER fulltext_documents_after AFTER UPDATE OF title, filename, issuer ON documents
        BEGIN {_ADD.format(id="new.id")}; END;
    CREATE TRIGGER fulltext_texts_before_insert BEFORE INSERT ON document_texts
        BEGIN {_DEL.format(id="new.document_id")}; END;
    CREATE TRIGGER fulltext_texts_after_insert AFTER INSERT ON document_texts
        BEGIN {_ADD.format(id="new.document_id")}; END;
    CREATE TRIGGER fulltext_texts_before_update BEFORE UPDATE OF text ON document_texts
        BEGIN {_DEL.format(id="old.document_id")}; END;
    CREATE TRIGGER fulltext_texts_after_update AFTER UPDATE OF text ON document_texts
        BEGIN {_ADD.format(id="new.document_id")}; END;
    CREATE TRIGGER fulltext_texts_no_delete BEFORE DELETE ON document_texts
        BEGIN SELECT RAISE(ABORT, 'a record keeps its text row (empty the text instead)'); END;
"""
# A text row replaced with INSERT OR REPLACE: the BEFORE INSERT trigger removes the old tokens while the old
# row still stands; REPLACE's own delete fires no trigger (recursive_triggers stays off).


class FtsIndex:
    """The FTS5 table in the catalog. Nothing to open, queue, flush or repair."""

    engine = "sqlite"

    def __init__(self, conn_getter, whoosh_path=None):
        self._conn = conn_getter
        self.path = whoosh_path  # where a Whoosh index would be: removed when reindex switches to sqlite

    def exists(self) -> bool:
        return True

    def open(self):
        return self

    def close(self) -> None:
        pass

    def indexed_ids(self, conn: sqlite3.Connection | None = None) -> set[int]:
        """The record ids the table holds (verify), after FTS5's own integrity check."""
        conn = conn or self._conn()
        conn.execute(f"INSERT INTO {TABLE}({TABLE}, rank) VALUES ('integrity-check', 0)")
        return {r[0] for r in conn.execute(f"SELECT rowid FROM {TABLE}")}

    def differing_ids(self, conn: sqlite3.Connection | None = None) -> list[int]:
        """Records whose index rows differ from their title, issuer and text (verify)."""
        return differing_ids(conn or self._conn())

    def rebuild(self, conn: sqlite3.Connection, progress=None, chunk: int = 200) -> int:
        """Re-create every row from the catalog in one transaction (a crash keeps the old index)."""
        ids = [r[0] for r in conn.execute("SELECT id FROM documents ORDER BY id")]
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES ('delete-all')")
            for start in range(0, len(ids), chunk):
                part = ids[start:start + chunk]
                conn.execute(f"INSERT INTO {TABLE}(rowid, title, issuer, body) {_ROW} WHERE d.id BETWEEN ? AND ?",
                             (part[0], part[-1]))
                if progress:
                    progress(start + len(part))
            conn.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES ('optimize')")
            fault("reindex-swap")  # the new index written, not committed: a crash keeps the old one
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return len(ids)


def differing_ids(conn: sqlite3.Connection) -> list[int]:
    """Records whose index rows differ from the rows their title, issuer and text give (words planted in, or
    taken from, the FTS table alone: verify). The table is contentless, so its tokens are compared with those of
    a fresh index of the same rows, built in the connection's temporary schema (the catalog is not written)."""
    conn.execute("DROP TABLE IF EXISTS temp.fulltext_expected")
    conn.execute("DROP TABLE IF EXISTS temp.fulltext_vocab_expected")
    conn.execute("DROP TABLE IF EXISTS temp.fulltext_vocab")
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.fulltext_expected USING fts5(title, issuer, body, content='', "
                     "tokenize='ascii')")
        conn.execute(f"INSERT INTO temp.fulltext_expected(rowid, title, issuer, body) {_ROW}")
        conn.execute(f"CREATE VIRTUAL TABLE temp.fulltext_vocab USING fts5vocab(main, {TABLE}, instance)")
        conn.execute("CREATE VIRTUAL TABLE temp.fulltext_vocab_expected USING fts5vocab(temp, fulltext_expected, "
                     "instance)")
        rows = conn.execute(
            "SELECT doc FROM (SELECT term, doc, col, offset FROM temp.fulltext_vocab EXCEPT "
            "SELECT term, doc, col, offset FROM temp.fulltext_vocab_expected) UNION "
            "SELECT doc FROM (SELECT term, doc, col, offset FROM temp.fulltext_vocab_expected EXCEPT "
            "SELECT term, doc, col, offset FROM temp.fulltext_vocab) ORDER BY 1").fetchall()
        return [r[0] for r in rows]
    finally:
        for t in ("fulltext_vocab_expected", "fulltext_vocab", "fulltext_expected"):
            conn.execute(f"DROP TABLE IF EXISTS temp.{t}")


# ------------------------------------------------------------------------------------ the query language
@dataclass
class Leaf:
    field: str | None  # None: the default text fields
    text: str
    quoted: bool = False
    hi: str | None = None  # a range's upper end (``year:[2020 TO 2022]``); text is the lower end


@dataclass
class Node:
    op: str  # AND, OR, NOT
    kids: list


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<range>(?P<rf>[A-Za-z_]+):\[(?P<lo>[^\]]*?)\s+TO\s+(?P<hi>[^\]]*?)\])
    | (?P<field>[A-Za-z_]+):(?=[^\s)])
    | (?P<lp>\() | (?P<rp>\))
    | "(?P<q>[^"]*)"? | “(?P<q2>[^”]*)”?
    | (?P<w>[^\s()"“]+)
    )""", re.X)


def _lex(text: str) -> list[tuple[str, str | None, str | None]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        if m["range"]:
            out.append(("range", m["rf"].lower(), f"{m['lo']}\x00{m['hi']}"))
        elif m["field"]:
            out.append(("field", m["field"].lower(), None))
        elif m["lp"]:
            out.append(("(", None, None))
        elif m["rp"]:
            out.append((")", None, None))
        elif m["q"] is not None or m["q2"] is not None:
            out.append(("phrase", None, m["q"] if m["q"] is not None else m["q2"]))
        elif m["w"] in ("AND", "OR", "NOT"):
            out.append((m["w"], None, None))
        else:
            out.append(("word", None, m["w"]))
    return out


class _Parser:
    """or := and ("OR" and)* ; and := unary (["AND"] unary)* ; unary := "NOT" unary | "(" or ")" | leaf"""

    def __init__(self, toks):
        self.toks, self.i = toks, 0

    def peek(self):
        return self.toks[self.i][0] if self.i < len(self.toks) else None

    def take(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def parse(self):
        node = self.or_()
        while self.i < len(self.toks):  # a stray ")" or operator: skip it, as Whoosh does
            self.take()
            more = self.or_()
            node = Node("AND", [node, more]) if node is not None and more is not None else node or more
        return node

    def or_(self):
        kids = [self.and_()]
        while self.peek() == "OR":
            self.take()
            kids.append(self.and_())
        kids = [k for k in kids if k is not None]
        return None if not kids else kids[0] if len(kids) == 1 else Node("OR", kids)

    def and_(self):
        kids = []
        while self.peek() not in (None, "OR", ")"):
            if self.peek() == "AND":
                self.take()
                continue
            kids.append(self.unary())
        kids = [k for k in kids if k is not None]
        return None if not kids else kids[0] if len(kids) == 1 else Node("AND", kids)

    def unary(self):
        kind = self.peek()
        if kind == "NOT":
            self.take()
            kid = self.unary()
            return Node("NOT", [kid]) if kid is not None else None
        if kind == "(":
            self.take()
            node = self.or_()
            if self.peek() == ")":
                self.take()
            return node
        kind, name, val = self.take()
        if kind == "field":
            if self.peek() in ("word", "phrase"):
                k2, _, v2 = self.take()
                if name in TEXT_COLUMNS or name in META_FIELDS:
                    return Leaf(name, v2, k2 == "phrase")
                return Leaf(None, f"{name}:{v2}", k2 == "phrase")  # not a field we know: plain text
            return None
        if kind == "range":
            lo, hi = val.split("\x00")
            return Leaf(name, lo, hi=hi) if name in META_FIELDS else None
        if kind in ("word", "phrase"):
            return Leaf(None, val, kind == "phrase")
        return None  # an operator where a term should be


def parse(text: str):
    return _Parser(_lex(text)).parse()


def _is_text(leaf: Leaf) -> bool:
    return leaf.field is None or leaf.field in TEXT_COLUMNS


def _pure(node, text: bool) -> bool:
    if isinstance(node, Leaf):
        return _is_text(node) == text
    return all(_pure(k, text) for k in node.kids)


def _fts_leaf(leaf: Leaf) -> str | None:
    """A quoted phrase: all its tokens in sequence. An unquoted word: each of its runs (Chinese characters,
    a number, an ASCII word) in sequence, the runs in any place (``河北省人民政府令2007年5号`` finds the text
    ``河北省人民政府令〔2007〕5号``); a pure Chinese word is thus exactly the substring."""
    parts = runs(leaf.text)
    if not parts:
        return None
    cols = "{" + TEXT_COLUMNS[leaf.field] + "}" if leaf.field else DEFAULT_COLUMNS
    if leaf.quoted:
        groups = [[t for run in parts for t in run]]
    else:  # a lone Chinese character stays with the run before it (2022年: "2022 年*")
        groups = []
        for run in parts:
            if groups and len(run) == 1 and len(run[0]) == 1 and run[0] > "\u2fff":
                groups[-1] = groups[-1] + run
            else:
                groups.append(run)
    phrases = []
    for k, toks in enumerate(groups):
        phrase = '"' + " ".join(toks) + '"'
        last = toks[-1]
        if len(last) == 1 and last > "\u2fff" and len(toks) > 1:
            phrase += " *"  # 2022年 also finds 2022年度: a lone character after a number starts a bigram
        phrases.append(f"{cols} : {phrase}")
    return phrases[0] if len(phrases) == 1 else "(" + " AND ".join(phrases) + ")"


def _fts(node) -> str | None:
    """An FTS5 expression for a text-only subtree (None: nothing searchable in it)."""
    if isinstance(node, Leaf):
        return _fts_leaf(node)
    if node.op == "NOT":
        return None  # only inside AND (FTS5's NOT is binary); see _fts_and
    if node.op == "OR":
        parts = [p for p in map(_fts, node.kids) if p]
        return "(" + " OR ".join(parts) + ")" if parts else None
    return _fts_and(node.kids)


def _fts_and(kids) -> str | None:
    pos = [p for p in (_fts(k) for k in kids if not (isinstance(k, Node) and k.op == "NOT")) if p]
    neg = [p for p in (_fts(k.kids[0]) for k in kids if isinstance(k, Node) and k.op == "NOT") if p]
    if not pos:
        return None
    expr = "(" + " AND ".join(pos) + ")"
    if neg:
        expr = f"({expr} NOT ({' OR '.join(neg)}))"
    return expr


def _meta_sql(leaf: Leaf) -> tuple[str, list]:
    col = "d." + META_FIELDS[leaf.field]
    if leaf.field in ("year", "id"):
        try:
            lo = int(leaf.text) if leaf.text.strip() else None
            hi = (int(leaf.hi) if leaf.hi.strip() else None) if leaf.hi is not None else lo
        except ValueError:
            raise UsageError(f"{leaf.field}: 后应为数字（如 {leaf.field}:2022 或 {leaf.field}:[2020 TO 2022]）") from None
    elif leaf.field == "date":
        lo, hi = _date(leaf.text), _date(leaf.hi, end=True) if leaf.hi is not None else None
        if leaf.hi is None:
            hi = _date(leaf.text, end=True)
    else:
        if leaf.hi is not None:
            return f"{col} BETWEEN ? AND ?", [leaf.text, leaf.hi]
        val = leaf.text.upper() if leaf.field == "retention" else leaf.text
        return f"{col} = ?", [val]
    where, args = [], []
    if lo is not None:
        where.append(f"{col} >= ?")
        args.append(lo)
    if hi is not None:
        where.append(f"{col} <= ?")
        args.append(hi)
    return (" AND ".join(where) or "1"), args


def _date(s: str | None, end: bool = False) -> str | None:
    """YYYY, YYYYMM, YYYYMMDD or YYYY-MM-DD as an ISO date (the first or ``end``: last possible day)."""
    if not s or not s.strip():
        return None
    d = re.sub(r"\D", "", s)
    if len(d) == 4:
        return f"{d}-12-31" if end else f"{d}-01-01"
    if len(d) == 6:
        return f"{d[:4]}-{d[4:]}-31" if end else f"{d[:4]}-{d[4:]}-01"
    if len(d) == 8:
        return f"{d[:4]}-{d[4:6]}-{d[6:]}"
    raise UsageError(f"无法理解日期 “{s}”（可写 20220828 或 2022-08-28）")


def _sql(node) -> tuple[str, list]:
    """A SQL condition on ``d`` for any subtree (text parts as sub-queries on the FTS table)."""
    if isinstance(node, Leaf):
        if _is_text(node):
            expr = _fts_leaf(node)
            if expr is None:
                return "1", []
            return f"d.id IN (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ?)", [expr]
        return _meta_sql(node)
    if node.op == "NOT":
        inner, args = _sql(node.kids[0])
        return f"NOT ({inner})", args
    parts = [_sql(k) for k in node.kids]
    joiner = " AND " if node.op == "AND" else " OR "
    return "(" + joiner.join(p[0] for p in parts) + ")", [a for p in parts for a in p[1]]


@dataclass
class Plan:
    match: str | None  # one FTS5 expression, or None (fields only)
    where: str  # SQL on ``d``
    args: list
    words: list[str]  # the positive text terms, for snippets


def plan(text: str) -> Plan:
    """Split a query into one FTS5 MATCH (all text terms joined by AND at the top) and SQL on documents."""
    node = parse(text)
    words = _words(node)
    if node is None:
        return Plan(None, "1", [], words)
    if _pure(node, text=True):
        expr = _fts(node)
        if expr is not None:
            return Plan(expr, "1", [], words)
        where, args = _sql(node)  # e.g. only NOT terms
        return Plan(None, where, args, words)
    if _pure(node, text=False):
        where, args = _sql(node)
        return Plan(None, where, args, words)
    if isinstance(node, Node) and node.op == "AND":
        text_kids = [k for k in node.kids if _pure(k, text=True)]
        other = [k for k in node.kids if not _pure(k, text=True)]
        expr = _fts_and(text_kids) if text_kids else None
        if expr is None:
            other = node.kids
        parts = [_sql(k) for k in other]
        return Plan(expr, " AND ".join(p[0] for p in parts) or "1", [a for p in parts for a in p[1]], words)
    where, args = _sql(node)
    return Plan(None, where, args, words)


def _words(node, negated: bool = False) -> list[str]:
    if node is None:
        return []
    if isinstance(node, Leaf):
        return [node.text] if _is_text(node) and not negated and node.field != "issuer" else []
    return [w for k in node.kids for w in _words(k, negated or node.op == "NOT")]


def search_ids(conn: sqlite3.Connection, text: str, where: str, args: list, exclude: set[int],
               limit: int) -> tuple[list[tuple[int, float]], int, list[str]]:
    """(id, score) of the best ``limit`` records matching the query and the filter ``where``/``args`` (SQL on
    ``d``), leaving out ``exclude``; the exact number of all matches; the query's words (for snippets)."""
    p = plan(text)
    cond = [c for c in (where, p.where) if c and c != "1"]
    cond_args = [*args, *p.args]
    if exclude:
        cond.append(f"d.id NOT IN ({','.join('?' * len(exclude))})")
        cond_args += sorted(exclude)
    try:
        if p.match is not None:
            # CROSS JOIN: the full-text match first, then the filter on each match (never the reverse)
            source = (f" FROM {TABLE}" + (f" CROSS JOIN documents d ON d.id = {TABLE}.rowid" if cond else "")
                      + f" WHERE {TABLE} MATCH ?" + "".join(f" AND {c}" for c in cond))
            if limit == 0:  # the page is filled by number hits: only the count
                n = conn.execute(f"SELECT count(*){source}", [p.match, *cond_args]).fetchone()[0]
                return [], n, p.words
            # the best ``limit`` by the table's rank, equal scores by id (as FTS5's ORDER BY rank gave them), and the
            # number of all matches, from one pass over the matches: they are scored once into a materialized
            # table, counted there and the best taken through SQLite's top-k sorter. A count apart walked the
            # matches again (a third of the time at 100,000 documents, bench/web_bench.md); FTS5's own ORDER BY
            # rank sorts every match in a sorter of its own (a third more CPU)
            rows = conn.execute(f"WITH m AS MATERIALIZED (SELECT {TABLE}.rowid AS id, bm25({TABLE}, {WEIGHTS}) AS "
                                f"score{source}) SELECT id, score, (SELECT count(*) FROM m) FROM m "
                                f"ORDER BY score, id LIMIT ?", [p.match, *cond_args, limit]).fetchall()
            return [(r[0], -r[1]) for r in rows], (rows[0][2] if rows else 0), p.words
        if not cond:
            return [], 0, p.words  # nothing searchable in the query
        sql = (f"SELECT d.id, 0.0, count(*) OVER () FROM documents d WHERE {' AND '.join(cond)} "
               f"ORDER BY d.date IS NULL, d.date DESC, d.id DESC LIMIT ?")
        rows = conn.execute(sql, [*cond_args, limit]).fetchall()
    except sqlite3.OperationalError as e:
        if "fts5" in str(e) or "MATCH" in str(e):
            raise UsageError(f"无法理解查询 “{text}”：{e}") from e
        raise
    return [(r[0], r[1]) for r in rows], (rows[0][2] if rows else 0), p.words
