"""Analyzer comparison for bench/search_bench.py --quality: the CJK bigram analyzer of archive/index.py
against jieba, on the real corpus texts as the pipeline extracted them.

Each analyzer gets its own small Whoosh index (one field: the document's text as indexed by
archive.index.index_text) and the same queries, built the same way for all (no query parser):
a string becomes a phrase of its tokens ("phrase" mode) or an AND of its tokens ("and" mode);
a two-word query is the AND of its two words.

Rows:
- bigram            archive.index.CJKBigramTokenizer, phrase mode (what archive search does)
- jieba (phrase)    jieba.cut precise mode, tokens numbered 0,1,2… (a custom Whoosh tokenizer), phrase mode
- jieba (and)       the same index, and mode (higher recall, lower precision)
- jieba stock       jieba.analyse.ChineseAnalyzer (search mode, positions are character offsets, so
                    only the and mode is meaningful), and mode
"""

from __future__ import annotations

import logging
import random
import re
import shutil
import statistics
import time
from pathlib import Path

from whoosh import fields, index, query as wq
from whoosh.analysis import Token, Tokenizer

from archive.index import CJKBigramTokenizer, index_text

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_WORDY = re.compile(rf"[{_CJK}A-Za-z0-9]")


class JiebaTokenizer(Tokenizer):
    """jieba precise mode; punctuation and spaces dropped; positions count tokens (phrase queries work)."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        import jieba

        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for w, a, b in jieba.tokenize(value):
            if not _WORDY.search(w):
                continue
            t.text = w.lower()
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = w
            if positions:
                t.pos = pos
            if chars:
                t.startchar, t.endchar = start_char + a, start_char + b
            pos += 1
            yield t


def _analyzers():
    from jieba.analyse import ChineseAnalyzer

    return {"bigram": CJKBigramTokenizer(), "jieba": JiebaTokenizer(), "jieba stock": ChineseAnalyzer()}


def _du(path: Path) -> int:
    return sum(p.stat().st_blocks * 512 for p in path.rglob("*") if p.is_file())


def _q(analyzer, s: str, mode: str) -> wq.Query:
    toks = [t.text for t in analyzer(s)]
    if not toks:
        return wq.NullQuery
    if len(toks) == 1:
        return wq.Term("body", toks[0])
    return wq.Phrase("body", toks) if mode == "phrase" else wq.And([wq.Term("body", t) for t in toks])


def _pct(xs, p):
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def compare(texts: dict[int, str], phrases: dict[int, str], all_rows: list[dict], work: Path, seed: int) -> None:
    import jieba

    from search_bench import corpus_words, table

    jieba.setLogLevel(logging.WARNING)
    t0 = time.perf_counter()
    jieba.initialize()
    jieba_init = time.perf_counter() - t0

    docs = {i: index_text(t) for i, t in texts.items()}
    # two-word queries: pairs of common-ish corpus words that co-occur in at least one document
    rnd = random.Random(seed)
    words = corpus_words(all_rows)
    pairs = []
    while len(pairs) < 50:
        a, b = rnd.sample(words, 2)
        rel = {i for i, t in docs.items() if a in t and b in t}
        if rel:
            pairs.append((a, b, rel))

    if work.exists():
        shutil.rmtree(work)
    results = []
    for name, an in _analyzers().items():
        path = work / name.replace(" ", "_")
        path.mkdir(parents=True)
        schema = fields.Schema(id=fields.ID(stored=True), body=fields.TEXT(analyzer=an, phrase=True))
        ix = index.create_in(str(path), schema)
        t0 = time.perf_counter()
        w = ix.writer(limitmb=256)
        for i, t in docs.items():
            w.add_document(id=str(i), body=t)
        w.commit()
        build = time.perf_counter() - t0
        size = _du(path)
        modes = ["phrase", "and"] if name == "jieba" else ["and"] if name == "jieba stock" else ["phrase"]
        with ix.searcher() as s:
            for mode in modes:
                # 8-character distinctive phrases: top 5
                ok, lat_p = 0, []
                for did, ph in phrases.items():
                    t1 = time.perf_counter()
                    r = s.search(_q(an, ph, mode), limit=5)
                    lat_p.append(1000 * (time.perf_counter() - t1))
                    ok += str(did) in {h["id"] for h in r}
                # two-word queries: every result against substring ground truth
                precs, recs, lat_w = [], [], []
                tp = ret = relv = 0
                for a, b, rel in pairs:
                    q = wq.And([_q(an, a, mode), _q(an, b, mode)])
                    t1 = time.perf_counter()
                    r = s.search(q, limit=None)
                    got = {int(h["id"]) for h in r}
                    lat_w.append(1000 * (time.perf_counter() - t1))
                    hit = len(got & rel)
                    precs.append(hit / len(got) if got else 1.0)
                    recs.append(hit / len(rel))
                    tp, ret, relv = tp + hit, ret + len(got), relv + len(rel)
                label = name if name == "bigram" else f"{name} ({mode})"
                results.append([label, f"{100 * ok / len(phrases):.1f}%",
                                f"{100 * statistics.mean(precs):.1f}%", f"{100 * statistics.mean(recs):.1f}%",
                                f"{100 * tp / max(ret, 1):.1f}% / {100 * tp / relv:.1f}%",
                                f"{size / 1e6:.1f} MB", f"{build:.1f} s",
                                f"{_pct(lat_p, 50):.1f} / {_pct(lat_p, 95):.1f}",
                                f"{_pct(lat_w, 50):.1f} / {_pct(lat_w, 95):.1f}"])
        ix.close()
    print(table(f"Analyzer comparison ({len(docs)} real documents; {len(phrases)} unique 8-char phrases; "
                f"{len(pairs)} two-word queries, relevant = both words are substrings of the text)",
                ["analyzer", "8-char top5", "2-word P (macro)", "2-word R (macro)", "P / R (micro)",
                 "index size", "build", "phrase ms p50/p95", "2-word ms p50/p95"], results))
    print(f"jieba dictionary load (once per process, e.g. every `archive search`): {jieba_init:.2f} s")
    print("two-word examples: " + "; ".join(f"{a} {b} ({len(r)} relevant)" for a, b, r in pairs[:6]))
