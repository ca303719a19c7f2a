"""The Whoosh backend (``[index] engine = "whoosh"``): a folder derived from the catalog, rebuilt from it
alone by ``reindex``, brought up to date in batches (``documents.indexed`` = 0: not yet in this index).

Chinese is indexed as overlapping character bigrams (档案管理 -> 档案 案管 管理) with positions, and a
query's Chinese word matches a document holding all of its bigrams; a "quoted phrase" must have them in
sequence (positions are kept for that). This needs no dictionary (so nothing to load at start-up) and finds
any substring of two or more characters.
ASCII words and numbers are lowercased tokens. bench/search_bench.py measures this against jieba.

Document numbers are not searched here: the catalog's docno_keys table answers those exactly (see
``archive.search``); the index only holds the canonical number for display and field queries.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from whoosh import fields, index
from whoosh.analysis import Token, Tokenizer
from whoosh.writing import NO_MERGE

from archive.errors import StoreError
from archive.faults import fault
from archive.index import _IS_CJK, _RUN, index_text

MAX_SEGMENTS = 12  # incremental commits leave small segments; merge when there are this many


class CJKBigramTokenizer(Tokenizer):
    """Bigrams for runs of Chinese characters (a lone character is its own token); ASCII words as is."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for m in _RUN.finditer(value):
            run, base = m.group(), m.start()
            if _IS_CJK.match(run):
                grams = [(run, 0)] if len(run) == 1 else [(run[i:i + 2], i) for i in range(len(run) - 1)]
            else:
                grams = [(run.lower(), 0)]
            for text, off in grams:
                t.text = text
                t.boost = 1.0
                t.stopped = False
                if keeporiginal:
                    t.original = text
                if positions:
                    t.pos = pos
                if chars:
                    t.startchar = start_char + base + off
                    t.endchar = t.startchar + len(text)
                pos += 1
                yield t


def analyzer():
    return CJKBigramTokenizer()


def schema() -> fields.Schema:
    # positions are kept for "quoted phrases"; an unquoted word is the AND of its bigrams (archive.search)
    text = dict(analyzer=analyzer(), phrase=True, multitoken_query="and")
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        archival_code=fields.ID(stored=True),
        doc_number=fields.ID(stored=True),
        title=fields.TEXT(stored=True, field_boost=3.0, **text),
        issuer=fields.TEXT(stored=True, field_boost=1.5, **text),
        body=fields.TEXT(**text),
        year=fields.NUMERIC(int, stored=True),
        date=fields.NUMERIC(int, stored=True),  # YYYYMMDD, for --from/--to ranges
        retention=fields.ID(stored=True),
        org=fields.ID(stored=True),
        doc_type=fields.ID(stored=True),
        status=fields.ID(stored=True),
    )


def _int32(value) -> int | None:
    """A value Whoosh's NUMERIC field can hold, else None: a malformed 年度 or date from an older catalog
    (12345678901) made a writer process die while ``reindex`` reported success."""
    try:
        n = int(str(value).replace("-", ""))
    except (TypeError, ValueError):
        return None
    return n if -2**31 <= n < 2**31 else None


def to_document(row, text: str) -> dict:
    """One catalog row (sqlite3.Row or dict) and its text as a Whoosh document."""
    date = _int32(row["date"]) if row["date"] else None
    doc = {
        "id": str(row["id"]),
        "archival_code": row["archival_code"] or "",
        "doc_number": row["doc_number"] or "",
        "title": row["title"] or row["filename"] or "",
        "issuer": row["issuer"] or "",
        "body": index_text(text or ""),
        "retention": row["retention"] or "",
        "org": row["org"] or "",
        "doc_type": row["doc_type"] or "",
        "status": row["status"],
    }
    if row["year"] is not None and _int32(row["year"]) is not None:
        doc["year"] = _int32(row["year"])
    if date is not None:
        doc["date"] = date
    return doc


class Index:
    """The Whoosh index directory under the store (store/index)."""

    engine = "whoosh"

    def __init__(self, path: Path):
        self.path = path
        self._ix = None

    def exists(self) -> bool:
        return index.exists_in(str(self.path))

    def open(self):
        if self._ix is None:
            if not self.exists():
                self.path.mkdir(parents=True, exist_ok=True)
                self._ix = index.create_in(str(self.path), schema())
            else:
                self._ix = index.open_dir(str(self.path))
        return self._ix

    def close(self) -> None:
        if self._ix is not None:
            self._ix.close()
            self._ix = None

    def indexed_ids(self) -> set[int]:
        """The record ids this index holds (verify); raises when it cannot be read."""
        with self.open().searcher() as s:
            return {int(f["id"]) for f in s.all_stored_fields()}

    def update(self, docs: Iterable[dict], delete_ids: Iterable[str] = ()) -> int:
        """Add or replace documents (by id) in one commit."""
        ix = self.open()
        n = 0
        # non-compound segments are memory-mapped when a searcher opens them; a compound file is
        # copied into memory on every open, which dominated search time (bench/search_bench.py)
        writer = ix.writer(limitmb=256, compound=False)
        try:
            for doc_id in delete_ids:
                writer.delete_by_term("id", doc_id)
            for doc in docs:
                writer.update_document(**doc)
                n += 1
            # merging on every small commit cost most of ingest time; merge only once segments pile up
            many = len(ix._segments()) >= MAX_SEGMENTS
            fault("index-writing")
            writer.commit(mergetype=None if many else NO_MERGE)
        except BaseException:
            writer.cancel()
            raise
        return n

    @staticmethod
    def rebuild(path: Path, docs: Iterable[dict], progress=None) -> int:
        """Build a fresh index beside the old one and swap it in, so searches never see half an index."""
        tmp = path.with_name(path.name + ".new")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        ix = index.create_in(str(tmp), schema())
        # one writer process per core, each writing its own segment: reindex time halves on two
        # cores (bench/search_bench.py); the segments are few and are merged on a later commit
        procs = max(1, min(4, os.cpu_count() or 1))
        from archive.procs import arm_whoosh_writers
        arm_whoosh_writers()  # the writer processes die with us (they hold the write lock's descriptor)
        writer = ix.writer(limitmb=256, procs=procs, multisegment=procs > 1, compound=False)
        n = 0
        try:
            for doc in docs:
                writer.add_document(**doc)
                n += 1
                if progress:
                    progress(n)
            writer.commit()
        except BaseException:
            writer.cancel()
            ix.close()
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        held = ix.refresh().doc_count() if hasattr(ix, "refresh") else ix.doc_count()
        ix.close()
        if held != n:  # a writer process died (its error went to stderr only): never swap in half an index
            shutil.rmtree(tmp, ignore_errors=True)
            raise StoreError(f"全文索引重建不完整（应为 {n} 份，实为 {held} 份）：原索引未改动。"
                             "请用 archive verify 检查目录中的记录")
        old = path.with_name(path.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        if path.exists():
            path.rename(old)
        fault("reindex-swap")
        tmp.rename(path)
        shutil.rmtree(old, ignore_errors=True)
        return n
