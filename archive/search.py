"""Search: by document number in any spelling (catalog lookup), and by words (the full-text backend).

A query that is a document number (``〔2017〕55号``, ``示档发2017年55号``, ``国发2018 43`` …) is looked up in
the catalog's docno_keys table first — exact, fast, and needing no index — and those documents come first.
A number with its 机关代字 answers with that number only (文号匹配), then the numbers whose 代字 differs by one
OCR misreading (相近文号, the difference said); a bare 〔年〕号 answers with every document carrying it. Words go to the configured backend (archive/index/): the FTS5 table inside the
catalog (default; exact counts) or Whoosh, both with the same query syntax for fields
(``title:档案 AND year:2022``). Filters apply to both.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from dataclasses import dataclass, field

from archive import catalog, docno, zhnum
from archive.catalog import searching
from archive.errors import ArchiveError, StoreError, UsageError
from archive.index import _CJK, index_text

# the default fields of a word query; the issuer's name is in the body (版头, 署名) anyway, and every field
# searched adds a matcher per word (bench/search_bench.py); `issuer:` and --issuer still reach it
TEXT_FIELDS = ["title", "body"]
EXACT_COUNT_UP_TO = 20_000  # documents in the index


@dataclass
class Filters:
    year: int | None = None
    retention: str | None = None  # Y / D30 / D10
    org: str | None = None
    doc_type: str | None = None
    issuer: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    status: str | None = None

    def sql(self) -> tuple[str, list]:
        where, args = [], []
        for col, val in (("year", self.year), ("retention", self.retention), ("org", self.org),
                         ("doc_type", self.doc_type), ("status", self.status)):
            if val is not None:
                where.append(f"d.{col}=?")
                args.append(val)
        if self.issuer:
            where.append("d.issuer LIKE ?")
            args.append(f"%{self.issuer}%")
        if self.date_from:
            where.append("d.date>=?")
            args.append(self.date_from.isoformat())
        if self.date_to:
            where.append("d.date<=?")
            args.append(self.date_to.isoformat())
        return (" AND ".join(where) or "1"), args

    def whoosh(self):
        from whoosh import query as wq

        parts: list[wq.Query] = []
        for name, val in (("retention", self.retention), ("org", self.org), ("doc_type", self.doc_type),
                          ("status", self.status)):
            if val is not None:
                parts.append(wq.Term(name, val))
        if self.year is not None:
            parts.append(wq.NumericRange("year", self.year, self.year))
        if self.issuer:
            parts.append(_phrase_query("issuer", self.issuer))
        if self.date_from or self.date_to:
            lo = int(self.date_from.strftime("%Y%m%d")) if self.date_from else None
            hi = int(self.date_to.strftime("%Y%m%d")) if self.date_to else None
            parts.append(wq.NumericRange("date", lo, hi))
        return wq.And(parts) if parts else None


@dataclass
class Hit:
    record: dict
    score: float
    snippet: str = ""
    # "docno": it carries the number asked for (文号匹配); "docno_near": its 代字 differs from the query's by one
    # OCR misreading (相近文号, the snippet says which character); "text": found by words
    matched: str = "text"


@dataclass
class Results:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0  # over all pages
    page: int = 1
    pages: int = 1
    exact: bool = True  # False: ``total`` is Whoosh's estimate (counting every match would double the time)
    # a number given without its 机关代字 (〔2019〕21号) that several documents carry: those documents
    # (record dicts, most specific first), so the caller can say the number alone is not enough
    ambiguous: list[dict] = field(default_factory=list)


def _phrase_query(fieldname: str, text: str):
    from whoosh import query as wq

    from archive.index.whoosh import analyzer

    words = [t.text for t in analyzer()(text)]
    if not words:
        return wq.NullQuery
    return wq.Term(fieldname, words[0]) if len(words) == 1 else wq.Phrase(fieldname, words)


MARK_START, MARK_END = "\x01", "\x02"  # around matched terms in a snippet; the CLI renders them


def _marker():
    from whoosh import highlight

    class _Marker(highlight.Formatter):
        between = "…"

        def format_token(self, text, token, replace=False):
            return MARK_START + highlight.get_text(text, token, replace) + MARK_END

    return _Marker()


def search(conn: sqlite3.Connection, ix, text: str, filters: Filters | None = None,
           limit: int = 20, page: int = 1, *, text_snippets: bool = True) -> Results:
    """``ix``: the archive's index backend (``Archive.index``: FtsIndex or the Whoosh Index).

    ``text_snippets=False``: the SQLite backend leaves the snippets of hits found by words empty, for a caller
    that shows only some of many hits (the web page's sorted list) and fills those with ``fill_snippets``."""
    filters = filters or Filters()
    if limit < 1 or page < 1:
        raise UsageError("--limit 和 --page 必须是正整数")
    text = _numerals_in_fields(text.strip())
    by_number, snippets, ambiguous = _by_number(conn, text, filters)
    number_ids = {i for i, _, _ in by_number}
    ordered = list(by_number)
    total = len(ordered)
    start = (page - 1) * limit
    exact = True

    if by_number and docno.parse(zhnum.to_arabic(text)) is not None:
        # the whole query is a document number and the catalog knows it: no text search needed
        chosen = ordered[start:start + limit]
    elif getattr(ix, "engine", "whoosh") == "sqlite":
        from archive.index import fts

        where, args = filters.sql()
        found, n, words = fts.search_ids(conn, text, where, args, number_ids, max(0, start + limit - total))
        ordered += [(i, score, "text") for i, score in found]
        total += n
        chosen = ordered[start:start + limit]
        if text_snippets:
            snippets.update(_fts_snippets(conn, chosen, words))
    elif ix.exists():
        from whoosh import highlight, query as wq
        from whoosh.qparser import MultifieldParser

        with ix.open().searcher() as s:
            for name in ("title", "issuer", "body"):
                # an unquoted word matches when all its bigrams are in the field; checking that they are
                # adjacent (a phrase) cost 2-4x on 100,000 documents (bench/search_bench.py). A quoted
                # "phrase" is still matched exactly. Set here too for indexes made before index.schema() said so.
                s.schema[name].multitoken_query = "and"
            parser = MultifieldParser(TEXT_FIELDS, schema=s.schema)
            try:
                q = parser.parse(text)
            except Exception as e:  # Whoosh raises assorted errors on malformed syntax
                raise UsageError(f"无法理解查询 “{text}”：{e}") from e
            # enough text hits to fill the requested page after the number hits
            # terms=False and no exact count keep Whoosh's block-skipping top-k search: on 100,000 documents
            # an exact count re-ran the whole query (bench/search_bench.py)
            restrict = filters.whoosh()
            if restrict is not None:
                # a required clause that scores nothing: the intersection skips to the filter's documents,
                # where a Whoosh filter= first lists every document the filter allows (bench/search_bench.py)
                q = wq.And([q, wq.ConstantScoreQuery(restrict, 0.0)])
            results = s.search(q, limit=start + limit + len(number_ids))
            results.fragmenter = highlight.ContextFragmenter(maxchars=90, surround=25)
            results.formatter = _marker()
            by_id = {}
            for r in results:
                doc_id = int(r["id"])
                if doc_id not in number_ids:
                    by_id[doc_id] = r
                    ordered.append((doc_id, r.score, "text"))
            # counting every match is cheap on a small archive; on a large one the estimate is shown (约 N)
            exact = results.has_exact_length() or s.doc_count() <= EXACT_COUNT_UP_TO
            found = len(results) if exact else max(results.estimated_length(), len(results.top_n))
            total += found - (len(results.top_n) - len(by_id))
            chosen = ordered[start:start + limit]
            words = {t.decode("utf-8") if isinstance(t, bytes) else t
                     for f, t in results.query_terms(expand=True) if f in ("body", "title")}
            snippets.update(_snippets(conn, chosen, by_id, words))
    else:
        chosen = ordered[start:start + limit]

    rows = searching.records_by_id(conn, [c[0] for c in chosen])
    hits = [Hit(catalog.record(rows[i]), round(score, 3), snippets.get(i, ""), how)
            for i, score, how in chosen if i in rows]
    return Results(hits, total, page, max(1, -(-total // limit)), exact, _records(conn, ambiguous[:AMBIGUOUS_SHOWN]))


def fill_snippets(conn: sqlite3.Connection, ix, text: str, hits: list[Hit]) -> list[Hit]:
    """``hits`` of ``search(..., text_snippets=False)`` for the query ``text`` with the snippets that ``search``
    would have given them (SQLite backend; the Whoosh backend always gives them)."""
    if getattr(ix, "engine", "whoosh") != "sqlite":
        return hits
    from archive.index import fts

    words = fts.plan(_numerals_in_fields(text.strip())).words
    got = _fts_snippets(conn, [(h.record["id"], h.score, h.matched) for h in hits], words)
    return [Hit(h.record, h.score, got.get(h.record["id"], h.snippet), h.matched) for h in hits]


AMBIGUOUS_SHOWN = 50  # documents listed for a number without its 代字
NEAR_LABEL = "相近文号"  # a hit whose 代字 differs from the query's by one OCR misreading (Hit.matched "docno_near")


def _by_number(conn: sqlite3.Connection, text: str, filters: Filters):
    """Documents found by the query read as a 发文字号: ([(id, score, how)], {id: snippet}, ambiguous ids).

    With a 机关代字 (某农发〔2023〕1号) only that number is an answer ("docno", 文号匹配): the documents carrying
    it in any spelling. A document whose 代字 differs from the query's in one character that OCR is known to
    read for it (冀 / 费) follows ("docno_near"), its snippet saying which character differs. Another agency's
    number with the same 〔年〕号 is not an answer. Without a 代字 (〔2023〕1号) every document carrying that
    年号 answers, and when several do they are also returned as ``ambiguous`` (the caller says so)."""
    asked = docno.query_number(text)
    if asked is None:
        return [], {}, []
    found = catalog.docno_matches(conn, text, *filters.sql())  # ranked by docno.query_keys order
    if not asked.code:
        ids = [i for i, _ in found]
        return [(i, 1000.0 - rank, "docno") for i, rank in found], {}, ids if len(ids) > 1 else []
    n_exact = len(docno.exact_query_keys(text))
    numbers = searching.doc_numbers(conn, [i for i, rank in found if rank >= n_exact])
    exact, near, notes = [], [], {}
    for i, rank in found:
        stored = numbers.get(i)
        if rank < n_exact:
            exact.append((i, 1000.0 - rank, "docno"))
            continue
        d = docno.parse(stored) if stored else None
        if d is None or d.serial != asked.serial or (asked.year is not None and d.year != asked.year):
            continue
        if docno.same_code(asked.code, d.code):  # the same number under a key the query did not name (a 令 with
            # its year), or its 代字 written with or without the organ's name in front (局长令 / 国家知识产权局局长令)
            exact.append((i, 1000.0 - rank, "docno"))
            continue
        diff = docno.ocr_variant(asked.code, d.code)
        if diff is not None:
            near.append((i, 500.0 - rank, "docno_near"))
            notes[i] = f"{NEAR_LABEL}：代字“{diff[0]}”与检索的“{diff[1]}”一字之差（可能是识别错误，请核对）"
    return exact + near, notes, []


def _records(conn: sqlite3.Connection, ids: list[int]) -> list[dict]:
    rows = searching.records_by_id(conn, ids)
    return [catalog.record(rows[i]) for i in ids if i in rows]


_FIELD_VALUE = re.compile(r"(?<![A-Za-z_])(year|date):(\[?)([^\s\]]+)(?:(\s+TO\s+)([^\s\]]+))?")


def _numerals_in_fields(text: str) -> str:
    """``year:二〇一九``, ``date:二〇一九年三月`` (and ranges) in digits, as both backends read them."""
    if "year:" not in text and "date:" not in text:
        return text

    def value(name: str, v: str | None) -> str | None:
        if v is None or v.isascii():
            return v
        if name == "year":
            n = zhnum.number(v.removesuffix("年度").removesuffix("年"))
            return str(n) if n is not None else v
        parts = zhnum.date_parts(v)
        if parts is None:
            n = zhnum.number(v.removesuffix("年"))  # a whole year
            return str(n) if n is not None else v
        y, m, d = parts
        return f"{y:04d}{m:02d}" + (f"{d:02d}" if d else "")

    def sub(m: re.Match) -> str:
        name = m[1]
        out = f"{name}:{m[2]}{value(name, m[3])}"
        if m[4]:
            out += f"{m[4]}{value(name, m[5])}"
        return out

    return _FIELD_VALUE.sub(sub, text)


def _window(text: str, words: set[str], size: int = 160) -> str:
    """The part of a document's text around its first query term, as people read it (line breaks
    as spaces). Highlighting a window instead of the whole text keeps a page of hits cheap."""
    flat = index_text(text)
    flat = re.sub(r"\s+", " ", flat)
    found = [k for k in (flat.find(w) for w in words) if k >= 0]
    if not found:
        return flat[:size]
    k = min(found)
    return flat[max(0, k - size // 2):k + size // 2]


def _snippets(conn: sqlite3.Connection, chosen, results_by_id, words: set[str]) -> dict[int, str]:
    """Highlighted context from the catalog's text (the index does not store bodies)."""
    out = {}
    ids = [i for i, _, how in chosen if how == "text" and i in results_by_id]
    if not ids:
        return out
    texts = searching.texts_by_id(conn, ids)
    for i in ids:
        hit = results_by_id[i]
        snip = hit.highlights("body", text=_window(texts.get(i, ""), words), top=1)
        if not snip:
            snip = hit.highlights("title", text=hit.get("title", ""))
        out[i] = re.sub(r"\s+", " ", snip).strip()
    return out


def _mark(text: str, words: list[str]) -> str:
    """``text`` with every occurrence of the query's words between MARK_START and MARK_END."""
    flat = sorted({index_text(w).lower() for w in words if w.strip()}, key=len, reverse=True)
    if not flat:
        return text
    rx = re.compile("|".join(map(re.escape, flat)), re.I)
    return rx.sub(lambda m: MARK_START + m.group() + MARK_END, text)


_SPACES = re.compile(r"\s+")
_SAFE_END = re.compile(rf"[{_CJK}0-9]")  # a character no case rule or join looks past (see _first_hit)
SNIPPET_BEFORE, SNIPPET_AFTER = 25, 65  # characters of the flattened text kept before and after the first hit


def _first_hit(text: str, keys: list[str], start: int = 1024) -> tuple[str, int | None]:
    """(flattened text, where the first of ``keys`` stands in it, lowercased) as over the whole text
    (whitespace runs as one space after ``index_text``, then ``.lower().find``), computed over the shortest
    prefix that decides it: a page of hits flattens about the first thousand characters of each document (the
    bench queries' first hits: median at character 250, nine in ten before 2,000), not its whole text.

    A prefix ending in a Chinese character or a digit flattens to a prefix of the whole text's flattening: no
    whitespace run is cut, no join (index_text) or case rule (final sigma) looks past such a character. The
    first hit found in it is the whole text's when it ends at least the longest key before the prefix's end
    (a later key could not start earlier); the flattened text returned has the snippet's characters after it."""
    if not keys:
        return "", None
    longest = max(map(len, keys))
    n = start
    while True:
        if n < len(text):
            end = n
            while end < len(text) and not _SAFE_END.match(text, end - 1):
                end += 1  # a prefix ends only on a safe character
            if end - n > 256:
                end = len(text)
        else:
            end = len(text)
        flat = _SPACES.sub(" ", index_text(text[:end]))
        low = flat.lower()
        found = [k for k in (low.find(w) for w in keys) if k >= 0]
        k = min(found) if found else None
        if end == len(text):
            return flat, k
        if k is not None and k + longest <= len(low) and k + SNIPPET_AFTER <= len(flat):
            return flat, k
        n = end * 4


def _fts_snippets(conn: sqlite3.Connection, chosen, words: list[str]) -> dict[int, str]:
    """Highlighted context from the catalog's text around the first query word (title when the body has none)."""
    ids = [i for i, _, how in chosen if how == "text"]
    if not ids:
        return {}
    texts, titles = searching.texts_by_id(conn, ids), searching.titles_by_id(conn, ids)
    keys = [index_text(w).lower() for w in words if w.strip()]
    out = {}
    for i in ids:
        flat, k = _first_hit(texts.get(i) or "", keys)
        if k is not None:
            cut = flat[max(0, k - SNIPPET_BEFORE):k + SNIPPET_AFTER]
            out[i] = _mark(cut, words).strip()
        else:
            title = titles.get(i, "")
            out[i] = _mark(title, words) if any(w in title.lower() for w in keys) else ""
    return out


# ---- the archive's search, as the command line runs it ------------------------------------------------
_REBUILD_HINT = "请运行 archive reindex 从目录重建（不重新读取文件）"


def search_archive(arc, text: str, filters: Filters | None = None, limit: int = 20, page: int = 1):
    """``search`` over an open archive, where a missing or damaged full-text index is one clear line (a
    StoreError) and the way out, whatever the backend."""
    _ = arc.conn  # a catalog that cannot be opened is the catalog's error, not the index's
    try:
        exists = getattr(arc.index, "exists", None)
        if callable(exists) and not exists() and catalog.any_indexed(arc.conn):
            raise StoreError(f"全文索引缺失（{arc.cfg.store / 'index'}）：{_REBUILD_HINT}")
        return search(arc.conn, arc.index, text, filters, limit=limit, page=page)
    except ArchiveError:
        raise
    except sqlite3.OperationalError as e:
        if "readonly" in str(e) or "locked" in str(e):
            raise
        raise StoreError(f"全文检索失败（{type(e).__name__}: {str(e)[:200]}）：索引可能已损坏，{_REBUILD_HINT}") from e
    except Exception as e:  # noqa: BLE001 - the index library's own errors differ by backend
        raise StoreError(f"全文索引无法读取（{type(e).__name__}: {str(e)[:200]}）：索引可能已损坏，{_REBUILD_HINT}") from e


def rebuild_index(arc, progress=None) -> int:
    """Rebuild the full-text index from the catalog (``archive reindex``), holding the archive's write lock
    throughout so no ingest, watcher or web upload writes between the catalog read and the index swap.
    Returns the number of documents indexed."""
    with arc.change(transaction=False):
        return arc.reindex(progress=progress)
