"""Full-text search backends behind one small interface (``[index] engine`` in config.toml).

- ``sqlite`` (default, archive/index/fts.py): an FTS5 table inside the catalog, kept in step by SQLite
  triggers on ``documents`` and ``document_texts`` in the same transaction as the record. Exact results and
  counts, nothing to repair after a crash, backed up with the catalog.
- ``whoosh`` (archive/index/whoosh.py): a separate index folder under the store, derived from the catalog,
  brought up to date in batches (``documents.indexed`` = 0 marks what it has not caught up with).

Both index the same tokens: Chinese as overlapping character bigrams (档案管理 -> 档案 案管 管理; a lone
character is its own token), ASCII words and numbers lowercased. A query word matches where its bigrams stand
in sequence. This needs no dictionary and finds any substring of two or more characters; bench/search_bench.py
measures it against jieba and trigrams.

Document numbers are not searched here: the catalog's docno_keys table answers those (archive.search).
"""

from __future__ import annotations

import re

ENGINES = ("sqlite", "whoosh")

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[A-Za-z0-9]+")
_IS_CJK = re.compile(rf"[{_CJK}]")
_JOIN = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


def index_text(text: str) -> str:
    """The text as indexed: line breaks and spaces between Chinese characters removed, so a word
    wrapped across a PDF line (档案管\\n理) is still one phrase. Snippets are cut from the same text."""
    return _JOIN.sub("", text)


# full-width letters and digits (２０１７, ＧＢ) are indexed and searched as their ASCII forms
_FOLD = {c: c - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for c in range(r[0], r[1] + 1)}


def runs(text: str) -> list[list[str]]:
    """The index tokens of ``text`` by run: each run of Chinese characters as its bigrams (a lone character as
    itself), each ASCII word or number lowercased."""
    out: list[list[str]] = []
    for run in _RUN.findall(index_text(text).translate(_FOLD)):
        if run[0] > "\u2fff":  # a CJK run (ASCII runs start below U+0080)
            out.append(list(map(str.__add__, run, run[1:])) if len(run) > 1 else [run])
        else:
            out.append([run.lower()])
    return out


def tokens(text: str) -> list[str]:
    """The index tokens of ``text`` in order."""
    return [t for run in runs(text) for t in run]


def bigrams(text: str | None) -> str:
    """``tokens`` joined by spaces: what the FTS5 table stores (its ``ascii`` tokenizer splits on spaces).
    Registered as the SQL function ``bigrams`` on every catalog connection (catalog.connect).

    The table is contentless: a row is removed by giving the same tokens again, so a change to this function
    needs a catalog migration that rebuilds the table (``FtsIndex.rebuild``)."""
    return " ".join(tokens(text)) if text else ""


def open_index(engine: str, store, conn_getter):
    """The backend named in ``[index] engine``; ``conn_getter`` returns the catalog connection."""
    if engine == "whoosh":
        from archive.index.whoosh import Index

        return Index(store / "index")
    from archive.index.fts import FtsIndex

    return FtsIndex(conn_getter, store / "index")


def __getattr__(name):  # the Whoosh names older code imports from archive.index, loaded only when used
    if name in ("Index", "CJKBigramTokenizer", "analyzer", "schema", "to_document", "MAX_SEGMENTS"):
        from archive.index import whoosh

        return getattr(whoosh, name)
    raise AttributeError(name)
