"""Web page benchmark (issue 16): search page and record page latency with concurrent users.

    python bench/web_bench.py --n 10000                  # build + ingest 10,000 documents, then measure
    python bench/web_bench.py --n 10000 --reuse          # reuse the store of an earlier run

The archive is built with the search benchmark's helpers (bench/build_corpus.py, bench/search_bench.py:
generated 公文 from the shared corpus, ingested through the pipeline, index rebuilt), under /tmp/archbench/
web-n<N> (``--work``). Then the real server is started (``archive serve`` on 127.0.0.1, a free port), and
``--users`` client threads, each logged in with its own session, send requests as fast as the server answers
them: search pages (two words, a "phrase", a 发文字号 in another spelling, words with 年度 + 保管期限
filters; a quarter of them again sorted by 日期, reported apart as ``sorted:date``) and record pages of random records. Latency is the full HTTP round trip (HTML rendered). Figures
are printed, never asserted.

The targets are at 100,000 documents (``--n 100000``, about 10 minutes to build here); the search page's
cost is the full-text engine's (SQLite FTS5 by default).
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import build_corpus as bc  # noqa: E402
import search_bench as sb  # noqa: E402

USER, PASSWORD = "bench", "bench-password-1"


def find_corpus(given: Path | None) -> Path:
    if given:
        return given
    for p in [bc.CORPUS, *(q / "shared" / "corpus" for q in ROOT.parents)]:
        if (p / "docs.jsonl").exists():
            return p
    raise SystemExit("shared corpus not found: pass --corpus")


def corpus_words(rows: list[dict], lo: float = 0.03, hi: float = 0.35, seed: int = 7) -> list[str]:
    """Common-ish 2-3 character CJK strings of the real corpus (search_bench's word list without jieba,
    which the project does not depend on)."""
    import re
    from collections import Counter

    df: Counter = Counter()
    for r in rows:
        text = re.sub(r"\s+", "", r.get("body_text") or "")
        grams = set()
        for run in re.findall(f"[{sb._CJK}]{{2,}}", text):
            grams.update(run[i:i + 2] for i in range(len(run) - 1))
            grams.update(run[i:i + 3] for i in range(len(run) - 2))
        df.update(grams)
    n = len(rows)
    words = sorted(w for w, c in df.items() if lo * n <= c <= hi * n)
    random.Random(seed).shuffle(words)
    return words[:2000]


def build(n: int, work: Path, seed: int, reuse: bool) -> None:
    sb.build_and_ingest(n, work, seed, reuse, defer=True)
    if not (work / "reindex.json").exists() or not reuse:
        sb.child("reindex", work)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(cfg_path: Path, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "archive", "--config", str(cfg_path), "serve", "--port",
                             str(port)], stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env)
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(log.read_text())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def session(base: str):
    import re

    import httpx

    c = httpx.Client(base_url=base, timeout=60)
    tok = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"csrf": tok, "name": USER, "password": PASSWORD, "next": "/search"})
    assert r.status_code in (200, 303) and "bench" in c.get("/search").text, r.text[:300]
    return c


def requests_for(cfg_path: Path, manifest: list[dict], k: int, seed: int) -> list[tuple[str, str]]:
    from urllib.parse import urlencode

    arc = sb.open_archive(cfg_path)
    qs = sb.make_queries(arc, manifest, k, seed)
    max_id = arc.conn.execute("SELECT max(id) FROM documents").fetchone()[0]
    arc.close()
    out = []
    for kind, items in qs.items():
        for text, filt, _ in items:
            params = {"q": text, **{a: b for a, b in filt.items() if not a.startswith("_")}}
            out.append((f"search:{kind}", "/search?" + urlencode(params)))
        for text, filt, _ in items[: max(1, len(items) // 4)]:  # the same searches sorted by 日期 (issue 29)
            params = {"q": text, "sort": "date", **{a: b for a, b in filt.items() if not a.startswith("_")}}
            out.append(("sorted:date", "/search?" + urlencode(params)))
    rnd = random.Random(seed)
    out += [("record", f"/doc/{rnd.randint(1, max_id)}") for _ in range(k * 2)]
    rnd.shuffle(out)
    return out


def run_load(base: str, reqs: list[tuple[str, str]], users: int) -> tuple[dict[str, list[float]], float, int]:
    q: queue.Queue = queue.Queue()
    for r in reqs:
        q.put(r)
    lat: dict[str, list[float]] = {}
    errors = [0]
    lock = threading.Lock()
    clients = [session(base) for _ in range(users)]

    def worker(c):
        while True:
            try:
                kind, url = q.get_nowait()
            except queue.Empty:
                return
            t0 = time.perf_counter()
            r = c.get(url)
            ms = 1000 * (time.perf_counter() - t0)
            with lock:
                if r.status_code != 200:
                    errors[0] += 1
                lat.setdefault(kind, []).append(ms)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    for c in clients:
        c.close()
    return lat, wall, errors[0]


def main() -> None:
    ap = argparse.ArgumentParser(description="web page latency with concurrent users")
    ap.add_argument("--n", type=int, default=10000, help="documents in the archive")
    ap.add_argument("--work", type=Path)
    ap.add_argument("--corpus", type=Path, help="the shared corpus folder (default: found beside the repository)")
    ap.add_argument("--reuse", action="store_true", help="reuse the store of an earlier run with the same N")
    ap.add_argument("--users", type=int, default=10, help="concurrent users (each with its own session)")
    ap.add_argument("--queries", type=int, default=100, help="search requests per kind (record pages: twice that)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    work = a.work or sb.WORK / f"web-n{a.n}"
    bc.CORPUS = find_corpus(a.corpus)
    bc.generate.__defaults__ = (1, bc.CORPUS)  # generate(n, seed=1, corpus=CORPUS) was bound at import
    bc.load_corpus.__defaults__ = (bc.CORPUS, bc.load_corpus.__defaults__[1])
    try:
        import jieba  # noqa: F401  (search_bench's own word list when it is installed)
    except ImportError:
        sb.corpus_words = corpus_words

    t0 = time.perf_counter()
    build(a.n, work, a.seed, a.reuse)
    print(f"archive of {a.n} documents ready in {time.perf_counter() - t0:.0f} s ({work})", file=sys.stderr)
    cfg_path = work / "config.toml"

    from archive.config import load_config
    from archive.session import Archive
    from archive.web import accounts

    arc = Archive(load_config(cfg_path))
    if not arc.conn.execute("SELECT 1 FROM users WHERE name=?", (USER,)).fetchone():
        accounts.add_user(arc.conn, USER, "查阅", PASSWORD)
    n_docs = arc.conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    arc.close()
    import json

    manifest = [json.loads(x) for x in (work / "manifest.jsonl").open(encoding="utf-8")]
    reqs = requests_for(cfg_path, manifest, a.queries, a.seed)

    port = free_port()
    proc = start_server(cfg_path, port, work / "serve.log")
    base = f"http://127.0.0.1:{port}"
    try:
        run_load(base, reqs[:40], a.users)  # warm: the readers open their connections and the index
        lat, wall, errors = run_load(base, reqs, a.users)
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    rows = []
    for kind in sorted(lat):
        xs = lat[kind]
        rows.append([kind, len(xs), f"{sb.pct(xs, 50):.0f}", f"{sb.pct(xs, 95):.0f}", f"{max(xs):.0f}"])
    search_all = [x for k, xs in lat.items() if k.startswith("search") for x in xs]
    rows.append(["search (all kinds)", len(search_all), f"{sb.pct(search_all, 50):.0f}",
                 f"{sb.pct(search_all, 95):.0f}", f"{max(search_all):.0f}"])
    print(sb.table(f"web pages, {n_docs} documents, {a.users} concurrent users, {os.cpu_count()} cores "
                   f"(ms, full HTTP round trip)", ["page", "requests", "p50", "p95", "max"], rows))
    print(f"\n{len(reqs)} requests in {wall:.1f} s = {len(reqs) / wall:.1f} pages/s; errors: {errors}")
    print("targets: search page p95 < 300 ms, record page p95 < 200 ms, at 100,000 documents, 10 users")


if __name__ == "__main__":
    main()
