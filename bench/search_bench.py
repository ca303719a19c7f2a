"""Search benchmark (issue 3): ingest throughput, index size, search latency and search quality.

    python bench/search_bench.py --n 10000            # build, ingest, search latency, reindex
    python bench/search_bench.py --n 100000
    python bench/search_bench.py --quality            # real corpus: number lookup, phrases, analyzers
    python bench/search_bench.py --n 10000 --compare  # both backends side by side (issue 17)
    python bench/search_bench.py --n 100000 --compare --no-whoosh

Everything is written under /tmp/archbench (``--work`` to change); the repository is not touched.
Figures are printed, never asserted. ``--reuse`` skips building and ingesting when the store of a
previous run with the same N is complete (its ingest figures are read back from ingest.json).

Phases that need their own peak RSS (ingest, reindex) run in a child process of this script.
"""

from __future__ import annotations
from archive import pipeline

import argparse
import hashlib
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import build_corpus as bc  # noqa: E402

WORK = Path("/tmp/archbench")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_FW = str.maketrans("0123456789", "０１２３４５６７８９")


# ------------------------------------------------------------------------------------- helpers
def du(path: Path) -> int:
    """Bytes on disk under ``path`` (a file or a folder)."""
    if not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_blocks * 512
    return sum(p.stat().st_blocks * 512 for p in path.rglob("*") if p.is_file())


def mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def table(title: str, header: list[str], rows: list[list]) -> str:
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]

    def w(s: str) -> int:  # display width: CJK characters take two columns
        return sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in s)

    widths = [max(w(r[i]) for r in cells) for i in range(len(header))]
    lines = [f"\n== {title} =="]
    for k, r in enumerate(cells):
        lines.append("  ".join(c + " " * (widths[i] - w(c)) for i, c in enumerate(r)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * x for x in widths))
    return "\n".join(lines)


def open_archive(cfg_path: Path):
    from archive.config import load_config
    from archive.session import Archive

    return Archive(load_config(cfg_path))


# ------------------------------------------------------------------------------------- 发文字号 spellings
def number_variants(code: str, year: int | None, serial: int, kind: str = "standard") -> dict[str, str]:
    """Spellings of one number, by variant name (the GB/T 9704 form is not among them)."""
    fw = lambda x: str(x).translate(_FW)  # noqa: E731
    if year is None:  # 令: 国务院令第707号
        return {"spaces": f"{code} 第 {serial} 号", "fullwidth": f"{code}第{fw(serial)}号",
                "zeros": f"{code}第{serial:03d}号", "paren": f"{code}（第{serial}号）"}
    v = {
        "square": f"{code}[{year}]{serial}号",
        "fw_paren": f"{code}（{year}）{serial}号",
        "nian": f"{code}{year}年{serial}号",
        "fullwidth": f"{code}〔{fw(year)}〕{fw(serial)}号",
        "no_code": f"〔{year}〕{serial}号",
        "di": f"{code}〔{year}〕第{serial}号",
        "spaces": f"{code} 〔{year}〕 {serial} 号",
        "lenticular": f"{code}【{year}】{serial}号",
        "zeros": f"{code}〔{year}〕{serial:03d}号",
    }
    if kind == "announcement":  # 国家税务总局公告2015年第41号
        v["nian"] = f"{code}{year}年第{serial}号"
        v["ann_spaces"] = f"{code} {year}年 第 {serial} 号"
    return v


# ------------------------------------------------------------------------------------- query words
def _document_frequency(rows: list[dict]) -> Counter:
    """In how many corpus documents each jieba word of 2-4 CJK characters occurs."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    df: Counter = Counter()
    for r in rows:
        text = re.sub(r"\s+", "", r.get("body_text") or "")
        df.update({w for w in jieba.cut(text) if 2 <= len(w) <= 4 and re.fullmatch(f"[{_CJK}]+", w)})
    return df


def corpus_words(rows: list[dict], lo: float = 0.03, hi: float = 0.35, seed: int = 7) -> list[str]:
    """Common-ish words of the real corpus (jieba words of 2-4 CJK characters found in lo..hi of documents)."""
    df = _document_frequency(rows)
    n = len(rows)
    words = sorted(w for w, c in df.items() if lo * n <= c <= hi * n)
    random.Random(seed).shuffle(words)
    return words


def cjk_phrase(text: str, rnd: random.Random, length: int) -> str | None:
    runs = [m.group() for m in re.finditer(f"[{_CJK}]{{{length},}}", text)]
    if not runs:
        return None
    run = rnd.choice(runs)
    k = rnd.randint(0, len(run) - length)
    return run[k:k + length]


# ------------------------------------------------------------------------------------- ingest phase (child)
def phase_ingest(work: Path, defer_index: bool = False) -> None:
    """Ingest every generated file through Archive.ingest_file; write work/ingest.json.

    ``defer_index``: catalog only (the batched index commits are skipped; Archive.reindex builds the
    index afterwards), for N where the per-batch Whoosh commits make the normal ingest too slow."""
    arc = open_archive(work / "config.toml")
    arc.init()
    files = sorted((work / "src").iterdir())
    spent: dict[str, float] = defaultdict(float)
    count: Counter = Counter()
    outcomes: Counter = Counter()
    flush = {"t": 0.0, "n": 0}
    real_flush = arc._flush_index

    def timed_flush():  # ingest_file flushes every INDEX_BATCH records: account for it apart
        t0 = time.perf_counter()
        n = real_flush()
        flush["t"] += time.perf_counter() - t0
        flush["n"] += 1
        return n

    arc._flush_index = (lambda: 0) if defer_index else timed_flush
    progress_every = max(1000, len(files) // 20)
    t_start = time.perf_counter()
    for k, p in enumerate(files, 1):
        fmt = p.suffix.lstrip(".")
        f0 = flush["t"]
        t0 = time.perf_counter()
        r = pipeline.ingest_file(arc, p)
        spent[fmt] += time.perf_counter() - t0 - (flush["t"] - f0)
        count[fmt] += 1
        outcomes[r.outcome] += 1
        if k % progress_every == 0:
            el = time.perf_counter() - t_start
            print(f"  ingested {k}/{len(files)} in {el:.0f} s ({k / el:.1f} docs/s)", file=sys.stderr, flush=True)
    if defer_index:
        arc._unindexed = []  # left with indexed = 0: the reindex phase builds the index
    else:
        pass  # each ingest's unit of work flushed the index when it ended (arc.flush_index is gone)
    total = time.perf_counter() - t_start
    conn = arc.conn
    rule_mix = Counter()
    for row in conn.execute("SELECT status, retention, relation FROM documents"):
        rule_mix[f"{row[2]}/{row[0]}/{row[1] or '-'}"] += 1
    docs_with_no = conn.execute("SELECT count(doc_number) FROM documents").fetchone()[0]
    n_docs = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    arc.close()
    store = arc.cfg.store
    res = {
        "files": len(files), "documents": n_docs, "with_number": docs_with_no,
        "seconds": total, "docs_per_s": len(files) / total,
        "per_format": {f: {"n": count[f], "seconds": spent[f], "docs_per_s": count[f] / spent[f] if spent[f] else 0,
                           "ms_per_doc": 1000 * spent[f] / count[f]} for f in count},
        "index_flush_seconds": flush["t"], "index_flushes": flush["n"],
        "outcomes": dict(outcomes), "mix": dict(rule_mix.most_common()),
        "catalog_bytes": du(store / "catalog.sqlite") + du(store / "catalog.sqlite-wal"),
        "index_bytes": du(store / "index"), "files_bytes": du(store / "files"),
        "peak_rss_mb": peak_rss_mb(), "defer_index": defer_index,
    }
    (work / "ingest.json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")


def phase_reindex(work: Path, config: str = "config.toml") -> None:
    arc = open_archive(work / config)
    t0 = time.perf_counter()
    c0 = time.process_time()
    with arc.change(transaction=False):
        n = arc.reindex()
    sec = time.perf_counter() - t0
    cpu = time.process_time() - c0
    engine = arc.index.engine
    arc.close()
    res = {"documents": n, "seconds": sec, "cpu_seconds": cpu, "docs_per_s": n / sec,
           "index_bytes": du(arc.cfg.store / "index") if engine == "whoosh" else fts_bytes(arc.cfg.store),
           "peak_rss_mb": peak_rss_mb(), "engine": engine}
    for name in ("reindex.json", f"reindex-{engine}.json"):
        (work / name).write_text(json.dumps(res, indent=1), encoding="utf-8")


def fts_bytes(store: Path) -> int:
    """Bytes of the FTS5 table's pages inside catalog.sqlite (dbstat)."""
    import sqlite3

    conn = sqlite3.connect(store / "catalog.sqlite")
    try:
        return conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'fulltext%'").fetchone()[0] or 0
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def child(phase: str, work: Path, *extra: str) -> None:
    subprocess.run([sys.executable, __file__, "--phase", phase, "--work", str(work), *extra], check=True)


# ------------------------------------------------------------------------------------- scale run
def build_and_ingest(n: int, work: Path, seed: int, reuse: bool, defer: bool = False) -> tuple[list[dict], dict]:
    manifest = work / "manifest.jsonl"
    if reuse and (work / "ingest.json").exists() and manifest.exists():
        ing = json.loads((work / "ingest.json").read_text(encoding="utf-8"))
        if ing["files"] == n:
            print(f"reusing the store of a previous run in {work}", file=sys.stderr)
            return [json.loads(x) for x in manifest.open(encoding="utf-8")], ing
    if work.exists():
        shutil.rmtree(work)
    t0 = time.perf_counter()
    docs = bc.generate(n, seed)
    spent = bc.write_docs(docs, work / "src")
    bc.write_manifest(docs, manifest)
    bc.make_config(work)
    print(f"built {n} documents in {time.perf_counter() - t0:.0f} s "
          f"({', '.join(f'{k} {v:.0f} s' for k, v in spent.items())}); ingesting …", file=sys.stderr, flush=True)
    child("ingest", work, *(["--defer-index"] if defer else []))
    ing = json.loads((work / "ingest.json").read_text(encoding="utf-8"))
    ing["build_seconds"] = spent
    (work / "ingest.json").write_text(json.dumps(ing, ensure_ascii=False, indent=1), encoding="utf-8")
    return [json.loads(x) for x in manifest.open(encoding="utf-8")], ing


def make_queries(arc, manifest: list[dict], k: int, seed: int) -> dict[str, list[tuple[str, dict, int | None]]]:
    """k queries per kind: (query text, filter kwargs, expected document id or None)."""
    rnd = random.Random(seed)
    rows = bc.load_corpus()
    words = corpus_words(rows)
    conn = arc.conn
    by_file = {r[0].rsplit(".", 1)[0]: r[1] for r in conn.execute("SELECT filename, id FROM documents")}
    max_id = conn.execute("SELECT max(id) FROM documents").fetchone()[0]
    out: dict[str, list] = {"two-word": [], "phrase": [], "docno": [], "filtered": []}
    for _ in range(k):
        out["two-word"].append((f"{rnd.choice(words)} {rnd.choice(words)}", {}, None))
        while True:  # a phrase from the text of a random stored document
            did = rnd.randint(1, max_id)
            t = conn.execute("SELECT text FROM document_texts WHERE document_id=?", (did,)).fetchone()
            ph = cjk_phrase(t[0], rnd, rnd.randint(4, 7)) if t else None
            if ph:
                out["phrase"].append((f'"{ph}"', {}, did))
                break
        m = rnd.choice(manifest)
        v = rnd.choice(list(number_variants(m["code"], m["year"], m["serial"]).items()))
        out["docno"].append((v[1], {"_variant": v[0]}, by_file.get(m["key"])))
        while True:
            did = rnd.randint(1, max_id)
            r = conn.execute("SELECT year, retention FROM documents WHERE id=? AND retention IS NOT NULL",
                             (did,)).fetchone()
            if r and r[0]:
                out["filtered"].append((f"{rnd.choice(words)} {rnd.choice(words)}",
                                        {"year": r[0], "retention": r[1]}, None))
                break
    return out


def in_process(conn, ix, queries):
    """Run every query through archive.search.search (the searcher is warmed first)."""
    from archive.search import Filters, search

    for q, f, _ in queries["two-word"][:5]:  # warm: open the index, load the segments
        search(conn, ix, q)
    lat: dict[str, list[float]] = {}
    hits: dict[str, list[int]] = {}
    found_first: Counter = Counter()
    for kind, qs in queries.items():
        lat[kind], hits[kind] = [], []
        for q, f, expect in qs:
            filt = Filters(**{a: b for a, b in f.items() if not a.startswith("_")})
            t0 = time.perf_counter()
            res = search(conn, ix, q, filt)
            lat[kind].append(1000 * (time.perf_counter() - t0))
            hits[kind].append(res.total)
            if expect is not None:
                found_first[kind, "asked"] += 1
                ids = [h.record["id"] for h in res.hits]
                if ids and ids[0] == expect:
                    found_first[kind, "first"] += 1
                if expect in ids[:5]:
                    found_first[kind, "top5"] += 1
    segs = 1
    if getattr(ix, "engine", "whoosh") == "whoosh":
        with ix.open().searcher() as s:
            segs = len(s.reader().leaf_readers()) if hasattr(s.reader(), "leaf_readers") else 1
    return lat, hits, found_first, segs


RET_CLI = {"Y": "永久", "D30": "30年", "D10": "10年"}


def run_scale(n: int, work: Path, seed: int, reuse: bool, k: int, cli_runs: int, do_reindex: bool,
              defer: bool = False) -> None:
    manifest, ing = build_and_ingest(n, work, seed, reuse, defer)
    if ing.get("defer_index") and not (work / "reindex.json").exists():
        print("building the index with Archive.reindex (ingest was catalog-only) …", file=sys.stderr, flush=True)
        child("reindex", work)
        do_reindex = False
    rx = json.loads((work / "reindex.json").read_text()) if ing.get("defer_index") else None
    arc = open_archive(work / "config.toml")
    queries = make_queries(arc, manifest, k, seed)
    conn, ix = arc.conn, arc.index
    lat, hits, found_first, segs = in_process(conn, ix, queries)
    search_rss = peak_rss_mb()

    cli: dict[str, list[float]] = {}
    env = {**os.environ, "ARCHIVE_CONFIG": str(work / "config.toml")}
    for kind, qs in queries.items():
        cli[kind] = []
        for q, f, _ in qs[:cli_runs]:
            cmd = ["archive", "search", q, "--json"]
            if "year" in f:
                cmd += ["--year", str(f["year"]), "--retention", RET_CLI[f["retention"]]]
            t0 = time.perf_counter()
            p = subprocess.run(cmd, env=env, capture_output=True)
            cli[kind].append(time.perf_counter() - t0)
            if p.returncode != 0:
                print(f"  archive search {q!r} failed: {p.stderr.decode()[-300:]}", file=sys.stderr)
    cli_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    arc.close()

    lat2, segs2 = None, None
    if do_reindex:
        print("reindexing …", file=sys.stderr, flush=True)
        child("reindex", work)
        rx = json.loads((work / "reindex.json").read_text())
        arc = open_archive(work / "config.toml")
        lat2, _, _, segs2 = in_process(arc.conn, arc.index, queries)
        arc.close()

    # ---- report
    print(f"\n######## N = {n:,} documents (store {work / 'store'}) ########")
    pf = ing["per_format"]
    rows = [["all", ing["files"], f"{ing['seconds']:.0f}", f"{ing['docs_per_s']:.1f}",
             f"{1000 * ing['seconds'] / ing['files']:.1f}"]]
    for fmt in ("txt", "docx", "pdf"):
        if fmt in pf:
            rows.append([fmt, pf[fmt]["n"], f"{pf[fmt]['seconds']:.0f}", f"{pf[fmt]['docs_per_s']:.1f}",
                         f"{pf[fmt]['ms_per_doc']:.1f}"])
    rows.append(["(index commits, in 'all')", ing["index_flushes"], f"{ing['index_flush_seconds']:.0f}", "",
                 f"{1000 * ing['index_flush_seconds'] / ing['files']:.1f}"])
    print(table("Ingest (Archive.ingest_file, one process; per format excludes the batched index commits)"
                + (" -- CATALOG ONLY: index commits deferred, the index was built by Archive.reindex"
                   if ing.get("defer_index") else ""),
                ["format", "files", "seconds", "docs/s", "ms/doc"], rows))
    print(table("Store", ["item", "value"], [
        ["documents in catalog", f"{ing['documents']:,}"],
        ["… with a 发文字号", f"{ing['with_number']:,}"],
        ["outcomes", ", ".join(f"{a} {b}" for a, b in ing["outcomes"].items())],
        ["catalog.sqlite (+wal)", mb(ing["catalog_bytes"])],
        ["index (after ingest)", mb(ing["index_bytes"])],
        ["index (after reindex)", mb(rx["index_bytes"]) if rx else "-"],
        ["stored files", mb(ing["files_bytes"])],
        ["peak RSS, ingest process", f"{ing['peak_rss_mb']:.0f} MB"],
        ["peak RSS, reindex process", f"{rx['peak_rss_mb']:.0f} MB" if rx else "-"],
        ["peak RSS, bench (search) process", f"{search_rss:.0f} MB"],
        ["peak RSS, archive search subprocess", f"{cli_rss:.0f} MB"],
    ]))
    mix = sorted(ing["mix"].items(), key=lambda x: -x[1])
    print(table("Classification mix (relation/status/retention)", ["class", "docs", "share"],
                [[a, b, f"{100 * b / ing['documents']:.1f}%"] for a, b in mix]))
    rows = []
    target = {"docno": (20, None), "two-word": (150, None)}
    for kind in queries:
        t = target.get(kind)
        rows.append([kind, len(lat[kind]), f"{pct(lat[kind], 50):.1f}", f"{pct(lat[kind], 95):.1f}",
                     f"{max(lat[kind]):.0f}", f"{statistics.mean(hits[kind]):,.0f}",
                     f"< {t[0]} ms" if t else "",
                     len(cli[kind]), f"{pct(cli[kind], 50):.2f}", f"{pct(cli[kind], 95):.2f}"])
    print(table(f"Search latency: in-process search() warm [ms], index as left by ingest ({segs} segments); "
                "archive search --json subprocess [s] (target < 1.5 s)",
                ["kind", "queries", "p50 ms", "p95 ms", "max ms", "mean hits", "p95 target",
                 "cli runs", "cli p50 s", "cli p95 s"], rows))
    if lat2:
        print(table(f"Search latency in-process after reindex ({segs2} segment(s)) [ms]",
                    ["kind", "queries", "p50 ms", "p95 ms", "max ms"],
                    [[kind, len(v), f"{pct(v, 50):.1f}", f"{pct(v, 95):.1f}", f"{max(v):.0f}"] for kind, v in lat2.items()]))
    rows = []
    for kind in ("docno", "phrase"):
        a = found_first[kind, "asked"]
        rows.append([kind, a, f"{100 * found_first[kind, 'first'] / a:.1f}%", f"{100 * found_first[kind, 'top5'] / a:.1f}%"])
    print(table("Sanity: the document the query was made from (phrase: bodies are shared by many generated docs)", ["kind", "queries", "first", "top 5"], rows))
    if rx:
        print(table("Reindex (Archive.reindex, from the catalog alone)", ["documents", "seconds", "docs/s", "target"],
                    [[f"{rx['documents']:,}", f"{rx['seconds']:.0f}", f"{rx['docs_per_s']:.0f}", "< 1200 s"]]))
    print(table("Example queries", ["kind", "query", "filters"],
                [[kind, qs[i][0], json.dumps(qs[i][1], ensure_ascii=False)] for kind, qs in queries.items()
                 for i in range(2)]))
    sys.stdout.flush()


# ------------------------------------------------------------------------------------- quality (real corpus)
def unique_phrases(texts: dict[int, str], length: int, seed: int) -> dict[int, str]:
    """For each document, one run of ``length`` CJK characters that occurs in no other document."""
    rnd = random.Random(seed)
    joined = {i: re.sub(r"\s+", "", t) for i, t in texts.items()}
    out = {}
    for i, t in joined.items():
        cands = []
        for m in re.finditer(f"[{_CJK}]{{{length},}}", t):
            run = m.group()
            cands += [run[k:k + length] for k in range(len(run) - length + 1)]
        rnd.shuffle(cands)
        for c in cands[:200]:
            if sum(1 for tt in joined.values() if c in tt) == 1:
                out[i] = c
                break
    return out


def run_quality(work: Path, seed: int) -> None:
    from archive import docno
    from archive.search import search

    work = work / "quality"
    rows = bc.load_corpus(files=("docs.jsonl",))
    if work.exists():
        shutil.rmtree(work)
    (work / "src").mkdir(parents=True)
    for k, r in enumerate(rows):
        (work / "src" / f"q{k:04d}.txt").write_text(r["body_text"], encoding="utf-8")
    bc.make_config(work)
    arc = open_archive(work / "config.toml")
    arc.init()
    t0 = time.perf_counter()
    ids = {}
    outcomes = Counter()
    for k in range(len(rows)):
        res = pipeline.ingest_file(arc, work / "src" / f"q{k:04d}.txt")
        outcomes[res.outcome] += 1
        ids[k] = res.record["id"] if res.record else None
    print(f"quality store: {len(rows)} documents ingested in {time.perf_counter() - t0:.0f} s ({dict(outcomes)})",
          file=sys.stderr)
    conn, ix = arc.conn, arc.index

    # --- number lookup in three other spellings
    rnd = random.Random(seed)
    have = asked = ok = 0
    extracted_agree = 0
    per_variant: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses = []
    for k, r in enumerate(rows):
        did = ids[k]
        rec = conn.execute("SELECT doc_number FROM documents WHERE id=?", (did,)).fetchone() if did else None
        if not rec or not rec[0]:
            continue
        have += 1
        extracted_agree += rec[0] == r["doc_number"]
        gold = docno.parse(r["doc_number"])
        if gold is None:
            misses.append((r["id"], r["doc_number"], "(gold number does not parse)", rec[0]))
            continue
        variants = number_variants(gold.code, gold.year, gold.serial, gold.kind)
        variants = {a: b for a, b in variants.items() if b != r["doc_number"] and b != r["meta"].get("doc_number_raw")}
        for name in rnd.sample(sorted(variants), 3):
            q = variants[name]
            res = search(conn, ix, q)
            first = res.hits[0].record["id"] if res.hits else None
            asked += 1
            per_variant[name][1] += 1
            if first == did:
                ok += 1
                per_variant[name][0] += 1
            else:
                misses.append((r["id"], r["doc_number"], q, rec[0]))
    print(f"\n######## Search quality on the real corpus ({len(rows)} documents of docs.jsonl, as .txt) ########")
    print(table("发文字号 lookup in 3 other spellings: the document comes first", ["item", "value"], [
        ["documents with a number extracted by the pipeline", f"{have}/{len(rows)} ({100 * have / len(rows):.1f}%)"],
        ["… extracted number equal to the corpus doc_number", f"{extracted_agree}/{have} ({100 * extracted_agree / have:.1f}%)"],
        ["queries (3 per document with a number)", asked],
        ["found first", f"{ok}/{asked} = {100 * ok / asked:.1f}%  (target 99%+)"],
    ]))
    print(table("… per spelling variant", ["variant", "first", "asked", "rate"],
                [[a, b[0], b[1], f"{100 * b[0] / b[1]:.0f}%"] for a, b in sorted(per_variant.items())]))
    if misses:
        print(table("… misses (first 25)", ["doc", "corpus doc_number", "query", "pipeline doc_number"],
                    [list(m) for m in misses[:25]]))

    # --- unique 8-character phrases
    texts = {ids[k]: t for k, t in ((k, conn.execute("SELECT text FROM document_texts WHERE document_id=?",
                                                     (ids[k],)).fetchone()[0]) for k in ids if ids[k])}
    phrases = unique_phrases(texts, 8, seed)
    ok5 = ok1 = 0
    pmiss = []
    lat = []
    for did, ph in phrases.items():
        t0 = time.perf_counter()
        res = search(conn, ix, ph)
        lat.append(1000 * (time.perf_counter() - t0))
        got = [h.record["id"] for h in res.hits[:5]]
        ok5 += did in got
        ok1 += bool(got) and got[0] == did
        if did not in got:
            pmiss.append((did, ph, got))
    print(table("Distinctive 8-character phrase (occurs in exactly one document): in the top 5", ["item", "value"], [
        ["documents with such a phrase", f"{len(phrases)}/{len(texts)}"],
        ["found in top 5", f"{ok5}/{len(phrases)} = {100 * ok5 / len(phrases):.1f}%  (target 95%+)"],
        ["found first", f"{ok1}/{len(phrases)} = {100 * ok1 / len(phrases):.1f}%"],
        ["latency p50 / p95", f"{pct(lat, 50):.1f} / {pct(lat, 95):.1f} ms"],
    ]))
    if pmiss:
        print(table("… misses (first 10)", ["doc id", "phrase", "top 5"], [list(m) for m in pmiss[:10]]))
    arc.close()
    sys.stdout.flush()

    import analyzers

    analyzers.compare(texts, phrases, bc.load_corpus(), work / "analyzers", seed)


# ------------------------------------------------------------------------------------- both backends, side by side
RETENTIONS = ("Y", "D30", "D10")


def build_catalog(n: int, work: Path, seed: int, deferred: bool = False) -> list[dict]:
    """A catalog of N generated documents written straight into SQLite (no files: this measures search, and
    bench/ingest_bench.py measures ingest). The FTS5 triggers index every row as it is inserted."""
    from archive import catalog, docno

    if work.exists():
        shutil.rmtree(work)
    t0 = time.perf_counter()
    docs = bc.generate(n, seed)
    gen_s = time.perf_counter() - t0
    cfg = bc.make_config(work)
    text = cfg.read_text(encoding="utf-8")
    assert 'engine = "sqlite"' in text
    (work / "config-whoosh.toml").write_text(text.replace('engine = "sqlite"', 'engine = "whoosh"'), encoding="utf-8")
    arc = open_archive(cfg)
    arc.init()
    conn = arc.conn
    if deferred:  # the triggers index nothing now; archive reindex (measured) builds the full text after
        conn.create_function("bigrams", 1, lambda s: "", deterministic=True)
    rnd = random.Random(seed)
    ts = catalog.now()
    date_rx = re.compile(r"(20\d\d)年(\d{1,2})月(\d{1,2})日")
    manifest = []
    t0 = time.perf_counter()
    item = Counter()
    for start in range(0, len(docs), 1000):
        with catalog.transaction(conn):
            for d in docs[start:start + 1000]:
                body = "\n".join(d.lines)
                dn = docno.parse(d.lines[1])
                m = next((date_rx.search(x) for x in reversed(d.lines[-3:]) if date_rx.search(x)), None)
                date = f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}" if m else None
                r = rnd.random()
                status = "archived" if r < 0.85 else "excluded" if r < 0.95 else "pending"
                ret = rnd.choice(RETENTIONS) if status == "archived" else None
                code = None
                if ret:
                    item[(d.year, ret)] += 1
                    code = f"Z109-WS·{d.year}-{ret}-BGS-{item[(d.year, ret)]:04d}"
                row = {"sha256": hashlib.sha256(d.key.encode()).hexdigest(), "filename": f"{d.key}.{d.fmt}",
                       "media_type": d.fmt, "size": len(body.encode()), "pages": 1 + len(body) // 900,
                       "status": status, "archival_code": code, "fonds": "Z109", "year": d.year, "retention": ret,
                       "org": "BGS" if ret else None, "item_no": item[(d.year, ret)] if ret else None,
                       "doc_number": dn.canonical if dn else None, "doc_number_raw": dn.raw if dn else None,
                       "docno_code": dn.code if dn else None, "docno_year": dn.year if dn else None,
                       "docno_serial": dn.serial if dn else None, "docno_kind": dn.kind if dn else None,
                       "title": d.title, "issuer": d.issuer, "date": date, "doc_type": d.title[-2:],
                       "ingested_at": ts, "updated_at": ts}
                catalog.insert_record(conn, row, body, dn)  # the program's own write path
                manifest.append({"key": d.key, "code": d.code, "year": d.year, "serial": d.serial})
    ins_s = time.perf_counter() - t0
    arc.close()
    info = {"documents": n, "generate_seconds": gen_s, "insert_with_triggers_seconds": ins_s, "deferred": deferred}
    (work / "catalog.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    bc.write_manifest(docs, work / "manifest.jsonl")
    return manifest


def word_pools(rows: list[dict], seed: int = 7) -> tuple[list[str], list[str]]:
    """(common words: in 3-35% of corpus documents; rare words: in exactly one) from jieba over the corpus."""
    df = _document_frequency(rows)
    n = len(rows)
    common = sorted(w for w, c in df.items() if 0.03 * n <= c <= 0.35 * n)
    rare = sorted(w for w, c in df.items() if c == 1 and len(w) >= 3)
    random.Random(seed).shuffle(common)
    random.Random(seed).shuffle(rare)
    return common, rare


def compare_queries(conn, manifest: list[dict], k: int, seed: int) -> list[tuple[str, str, dict]]:
    """k queries per kind, shuffled together: (kind, query, filter kwargs)."""
    rnd = random.Random(seed)
    common, rare = word_pools(bc.load_corpus())
    max_id = conn.execute("SELECT max(id) FROM documents").fetchone()[0]
    out = []
    for i in range(k):
        out.append(("two-word", f"{rnd.choice(common)} {rnd.choice(common)}", {}))
        out.append(("rare word", rare[i % len(rare)], {}))
        while True:
            did = rnd.randint(1, max_id)
            t = conn.execute("SELECT text FROM document_texts WHERE document_id=?", (did,)).fetchone()
            ph = cjk_phrase(t[0], rnd, rnd.randint(4, 8)) if t else None
            if ph:
                out.append(("phrase", f'"{ph}"', {}))
                break
        m = rnd.choice(manifest)
        out.append(("number", rnd.choice(list(number_variants(m["code"], m["year"], m["serial"]).values())), {}))
        year, ret = rnd.randint(2005, 2023), rnd.choice(RETENTIONS)
        out.append(("filtered", f"{rnd.choice(common)} {rnd.choice(common)}", {"year": year, "retention": ret}))
    rnd.shuffle(out)
    return out


KINDS = ("two-word", "phrase", "rare word", "number", "filtered")


_FLAT = "coalesce(d.title, d.filename, '') || char(1) || t.text"
for _ch in (10, 13, 9, 32, 12288):  # whitespace index_text joins between Chinese characters
    _FLAT = f"replace({_FLAT}, char({_ch}), '')"


def scan(conn, query: str, filt: dict) -> set[int]:
    """Brute force: records containing every word of the query (a substring of title or text, whitespace
    removed: the query words are Chinese only) and matching the filters. No index is used."""
    from archive.search import Filters

    words = [w for w in re.findall(r'"([^"]+)"|(\S+)', query) for w in w if w]
    assert all(re.fullmatch(f"[{_CJK}]+", w) for w in words), words
    where, args = Filters(**filt).sql()
    sql = (f"SELECT d.id FROM documents d JOIN document_texts t ON t.document_id = d.id WHERE " +
           " AND ".join([f"instr({_FLAT}, ?) > 0"] * len(words) + [where]))
    return {r[0] for r in conn.execute(sql, [*words, *args])}


def run_compare(n: int, work: Path, seed: int, k: int, cli_runs: int, whoosh: bool, check: int, reuse: bool,
                deferred: bool = False) -> None:
    from archive.index import open_index
    from archive.index.fts import search_ids
    from archive.search import Filters, search

    if not (reuse and (work / "catalog.json").exists()):
        print(f"building a catalog of {n:,} documents …", file=sys.stderr, flush=True)
        build_catalog(n, work, seed, deferred)
        for f in ("reindex-sqlite.json", "reindex-whoosh.json"):
            (work / f).unlink(missing_ok=True)
    info = json.loads((work / "catalog.json").read_text())
    manifest = [json.loads(x) for x in (work / "manifest.jsonl").open(encoding="utf-8")]
    # sqlite first: reindexing to sqlite removes a Whoosh folder (the engine switch), so Whoosh is built after
    if not (work / "reindex-sqlite.json").exists() or (whoosh and not (work / "reindex-whoosh.json").exists()):
        print("archive reindex, sqlite …", file=sys.stderr, flush=True)
        child("reindex", work, "--config-name", "config.toml")
        if whoosh:
            print("archive reindex, whoosh …", file=sys.stderr, flush=True)
            child("reindex", work, "--config-name", "config-whoosh.toml")
    builds = {e: json.loads((work / f"reindex-{e}.json").read_text()) for e in ("sqlite", "whoosh")
              if (work / f"reindex-{e}.json").exists()}
    engines = ["sqlite"] + (["whoosh"] if whoosh else [])

    arc = open_archive(work / "config.toml")
    conn = arc.conn
    texts_bytes = conn.execute("SELECT sum(length(CAST(text AS BLOB))) FROM document_texts").fetchone()[0]
    backends = {e: open_index(e, arc.cfg.store, lambda: conn) for e in engines}
    queries = compare_queries(conn, manifest, k, seed)
    for e, ix in backends.items():  # warm: open the index, load pages
        for _, q, f in queries[:10]:
            search(conn, ix, q, Filters(**f))
    lat = {(kd, e): [] for kd in KINDS for e in engines}
    cpu = {(kd, e): [] for kd in KINDS for e in engines}
    hits = {(kd, e): [] for kd in KINDS for e in engines}
    estimates = Counter()
    for i, (kind, q, f) in enumerate(queries):
        order = engines if i % 2 == 0 else engines[::-1]  # interleaved: each goes first half the time
        for e in order:
            c0 = time.process_time()
            t0 = time.perf_counter()
            res = search(conn, backends[e], q, Filters(**f))
            lat[kind, e].append(1000 * (time.perf_counter() - t0))
            cpu[kind, e].append(1000 * (time.process_time() - c0))
            hits[kind, e].append(res.total)
            estimates[e] += not res.exact
    search_rss = peak_rss_mb()

    # whole `archive search` commands, interleaved
    exe = Path(sys.executable).parent / "archive"
    base = [str(exe)] if exe.exists() else [sys.executable, "-m", "archive"]
    cli = {(kd, e): [] for kd in KINDS for e in engines}
    cli_cpu = {(kd, e): [] for kd in KINDS for e in engines}
    per_kind = defaultdict(list)
    for kind, q, f in queries:
        per_kind[kind].append((q, f))
    for kind in KINDS:
        for j, (q, f) in enumerate(per_kind[kind][:cli_runs]):
            order = engines if j % 2 == 0 else engines[::-1]
            for e in order:
                cfg = work / ("config.toml" if e == "sqlite" else "config-whoosh.toml")
                cmd = [*base, "--config", str(cfg), "search", q, "--json"]
                if "year" in f:
                    cmd += ["--year", str(f["year"]), "--retention", RET_CLI[f["retention"]]]
                r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.perf_counter()
                p = subprocess.run(cmd, capture_output=True)
                cli[kind, e].append(time.perf_counter() - t0)
                r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                cli_cpu[kind, e].append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
                if p.returncode != 0:
                    print(f"  archive search {q!r} ({e}) failed: {p.stderr.decode()[-300:]}", file=sys.stderr)

    # brute force on a sample
    print("brute-force scan of a sample …", file=sys.stderr, flush=True)
    checked = {(kd, e): [0, 0, 0] for kd in KINDS for e in engines}  # asked, count equal, top-20 all true
    for kind in ("two-word", "phrase", "rare word", "filtered"):
        for q, f in per_kind[kind][:check]:
            truth = scan(conn, q, f)
            for e in engines:
                res = search(conn, backends[e], q, Filters(**f), limit=20)
                c = checked[kind, e]
                c[0] += 1
                if e == "sqlite":
                    where, args = Filters(**f).sql()
                    ids, total, _ = search_ids(conn, q, where, args, set(), 10 ** 7)
                    c[1] += total == len(truth) and set(i for i, _ in ids) == truth and res.total == len(truth)
                else:
                    c[1] += res.total == len(truth)
                c[2] += all(h.record["id"] in truth for h in res.hits)
    arc.close()

    # ---- report
    print(f"\n######## N = {n:,} documents: both backends side by side, {len(queries)} queries interleaved "
          f"(store {work / 'store'}) ########")
    rows = []
    for kind in KINDS:
        for e in engines:
            L, C, P, CC = lat[kind, e], cli[kind, e], cpu[kind, e], cli_cpu[kind, e]
            ch = checked[kind, e]
            rows.append([kind, e, len(L), f"{pct(L, 50):.1f}", f"{pct(L, 95):.1f}", f"{pct(P, 50):.1f}",
                         f"{pct(P, 95):.1f}", f"{statistics.mean(hits[kind, e]):,.0f}", len(C),
                         f"{pct(C, 50):.2f}" if C else "-", f"{pct(C, 95):.2f}" if C else "-",
                         f"{pct(CC, 50):.2f}" if CC else "-", f"{pct(CC, 95):.2f}" if CC else "-",
                         f"{ch[1]}/{ch[0]}" if ch[0] else "-", f"{ch[2]}/{ch[0]}" if ch[0] else "-"])
    print(table("Search latency: in-process archive.search.search() wall and CPU [ms]; whole `archive search --json` "
                "command wall and CPU [s]; brute-force check (exact count and set / every shown hit true). "
                f"Load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
                ["kind", "engine", "queries", "p50 ms", "p95 ms", "CPU p50", "CPU p95", "mean hits", "cmds",
                 "cmd p50 s", "cmd p95 s", "cmd CPU p50", "cmd CPU p95", "count = scan", "hits true"], rows))
    rows = []
    for e in engines:
        b = builds.get(e)
        rows.append([e, f"{b['seconds']:.0f}" if b else "-", f"{b['cpu_seconds']:.0f}" if b else "-",
                     f"{b['peak_rss_mb']:.0f} MB" if b else "-", mb(b["index_bytes"]) if b else "-",
                     f"{b['index_bytes'] / texts_bytes:.2f}" if b else "-", estimates[e]])
    print(table(f"Build (archive reindex from the catalog alone) and size; texts {mb(texts_bytes)} (UTF-8)",
                ["engine", "reindex s", "CPU s", "peak RSS", "index size", "size / texts", "estimated counts"],
                rows))
    how = ("inserted with an empty bigrams() (full text built by archive reindex only)" if info.get("deferred")
           else "inserted with the FTS5 triggers indexing each record")
    print(f"catalog of {n:,} generated in {info['generate_seconds']:.0f} s, {how} in "
          f"{info['insert_with_triggers_seconds']:.0f} s ({n / info['insert_with_triggers_seconds']:.0f} records/s, "
          f"1,000 per transaction); peak RSS of this process {search_rss:.0f} MB")
    print(table("Example queries", ["kind", "query", "filters"],
                [[kd, q, json.dumps(f, ensure_ascii=False)] for kd in KINDS for q, f in per_kind[kd][:2]]))
    sys.stdout.flush()


# ------------------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description="Search benchmark (ingest, latency, quality, analyzers)")
    ap.add_argument("--n", type=int, help="number of generated documents (10000, 100000)")
    ap.add_argument("--quality", action="store_true", help="search quality and analyzer comparison on the real corpus")
    ap.add_argument("--work", type=Path, help=f"working folder (default {WORK}/n<N>)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--queries", type=int, default=200, help="in-process queries per kind")
    ap.add_argument("--cli-runs", type=int, default=20, help="archive search subprocess runs per kind")
    ap.add_argument("--reuse", action="store_true", help="reuse the store of a previous run with the same N")
    ap.add_argument("--no-reindex", action="store_true")
    ap.add_argument("--defer-index", action="store_true",
                    help="ingest into the catalog only, then build the index with Archive.reindex "
                         "(--compare: the triggers index nothing while the catalog is written)")
    ap.add_argument("--phase", choices=["ingest", "reindex"], help=argparse.SUPPRESS)
    ap.add_argument("--config-name", default="config.toml", help=argparse.SUPPRESS)
    ap.add_argument("--compare", action="store_true",
                    help="with --n: both backends side by side on a catalog written straight into SQLite")
    ap.add_argument("--no-whoosh", action="store_true", help="with --compare: the default backend only")
    ap.add_argument("--check", type=int, default=25, help="with --compare: queries per kind checked by a scan")
    a = ap.parse_args()
    if a.phase == "ingest":
        return phase_ingest(a.work, a.defer_index)
    if a.phase == "reindex":
        return phase_reindex(a.work, a.config_name)
    if not a.n and not a.quality:
        ap.error("give --n N and/or --quality")
    if a.quality:
        run_quality(a.work or WORK, a.seed)
    if a.n and a.compare:
        return run_compare(a.n, a.work or WORK / f"cmp{a.n}", a.seed, a.queries, a.cli_runs, not a.no_whoosh,
                           a.check, a.reuse, a.defer_index)
    if a.n:
        run_scale(a.n, a.work or WORK / f"n{a.n}", a.seed, a.reuse, a.queries, a.cli_runs, not a.no_reindex,
                  a.defer_index)


if __name__ == "__main__":
    main()
