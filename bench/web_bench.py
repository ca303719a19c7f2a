"""Web page benchmark (issues 16, 29): search page and record page latency with concurrent users.

    python bench/web_bench.py --n 100000 --lists         # build (or --reuse) 100,000 documents, then measure
    python bench/web_bench.py --n 100000 --reuse         # reuse the archive of an earlier run
    python bench/web_bench.py --n 100000 --reuse --server-code /tmp/before   # the server running other code

The archive (under /tmp/archbench/web-n<N>, ``--work``): ``--base`` (3,000) generated 公文 from the shared corpus
(bench/build_corpus.py) written as TXT/DOCX/PDF files and ingested through the real pipeline (search_bench's
ingest phase), then the rest of the N multiplied from them through the catalog's write path (``multiply``: each a
copy of a random ingested record of its format with its own generated 题名, 发文字号, 日期 and text; one
``arc.change`` unit per 2,000 records; the FTS5 triggers index each as it is written). Then the real server is
started (``archive serve`` on 127.0.0.1, a free port), and ``--users`` client threads, each logged in with its own
session, send requests as fast as the server answers them: search pages (two words, a "phrase", a 发文字号 in
another spelling, words with 年度 + 保管期限 filters; a quarter of them again sorted by 日期, reported apart as
``sorted:date``) and record pages of random records. Latency is the full HTTP round trip (HTML rendered).
``--lists`` also times the pages that list the whole archive, one request at a time. Figures are printed, never
asserted; those of issue 29's runs are in bench/web_bench.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import queue
import random
import re
import shutil
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

USER, ADMIN, PASSWORD = "bench", "benchadmin", "bench-password-1"


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


def build(n: int, work: Path, seed: int, reuse: bool, base: int) -> dict:
    """The archive of ``n`` documents: the first ``base`` generated 公文 written as files and ingested through
    the real pipeline (search_bench's ingest phase, a child process), the rest multiplied from them through the
    catalog's write path (``multiply``). ``--reuse`` keeps what an earlier run built (a multiplication cut short
    goes on where it stopped). Returns the build figures (work/build.json)."""
    import json

    base = min(base, n)
    done = work / "build.json"
    if reuse and done.exists():
        info = json.loads(done.read_text(encoding="utf-8"))
        if info.get("documents") == n and info.get("base") == base:
            print(f"reusing the archive of a previous run in {work}", file=sys.stderr)
            return info
    ing_path = work / "ingest.json"
    ingested = reuse and ing_path.exists() and json.loads(ing_path.read_text(encoding="utf-8"))["files"] == base
    t0 = time.perf_counter()
    docs = bc.generate(n, seed)  # the first ``base`` of N are those of generate(base): one sequence per seed
    gen_s = time.perf_counter() - t0
    if not ingested:
        if work.exists():
            shutil.rmtree(work)
        t0 = time.perf_counter()
        spent = bc.write_docs(docs[:base], work / "src")
        bc.write_manifest(docs, work / "manifest.jsonl")
        bc.make_config(work)
        print(f"wrote {base} files in {time.perf_counter() - t0:.0f} s; ingesting them …", file=sys.stderr, flush=True)
        sb.child("ingest", work)
        ing = json.loads(ing_path.read_text(encoding="utf-8"))
        ing["build_seconds"] = spent
        ing_path.write_text(json.dumps(ing, ensure_ascii=False, indent=1), encoding="utf-8")
    ing = json.loads(ing_path.read_text(encoding="utf-8"))
    mult = multiply(work / "config.toml", docs, base, seed)
    info = {"documents": n, "base": base, "generate_seconds": gen_s,
            "ingest": {k: ing[k] for k in ("files", "documents", "seconds", "docs_per_s", "outcomes")},
            "multiply": mult}
    done.write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    return info


_DATE = re.compile(r"(20\d\d)年(\d{1,2})月(\d{1,2})日")


def multiply(cfg_path: Path, docs: list, base: int, seed: int, batch: int = 2000) -> dict:
    """Records ``base`` … N-1 of ``docs`` made from the ingested ones through the catalog's write path: each
    takes a random ingested record of the same file format as its template (its stored file, size, pages,
    classification, extraction method) and its own generated 题名, 发文机关, 发文字号, 成文日期 and text
    (``catalog.insert_record``: row, text, the FTS5 triggers' index entries, the 发文字号 keys), an ``ingest``
    event naming the template (``catalog.append_event``), a 件号 where the archive numbers at ingest
    (``archival_code.allocate``), the Whoosh queue when that is the engine; one ``arc.change`` unit per
    ``batch`` records. The texts come from the shared corpus of public 公文; any document whose 版头 lines show
    a 密级 mark (``secrecy.mark_in_text``) is left out and counted. The multiplied records share their template's
    stored file, so ``archive verify`` reports them (a benchmark archive, never an office's).
    Resumes after the last record an interrupted run committed (records are added in ``docs`` order)."""
    from archive import archival_code, catalog, docno, schema, secrecy

    arc = sb.open_archive(cfg_path)
    c0, t0 = cpu_seconds(), time.perf_counter()
    conn = arc.conn
    have = catalog.count_documents(conn)
    by_key = {}
    for row in catalog.all_records(conn):
        by_key.setdefault(Path(row["filename"]).suffix.lstrip("."), []).append(row)
    templates = {fmt: [r for r in rows if r["id"] <= base and r["status"] != "destroyed"] for fmt, rows in by_key.items()}
    done_keys = {r["filename"].rsplit(".", 1)[0] for rows in by_key.values() for r in rows}
    rnd = random.Random(seed * 7919 + len(docs))
    skip = {"id", "text_sha256", "archival_code", "item_no", "filing_state"}
    columns = [c.name for c in schema.COLUMNS if c.name not in skip]
    made, secret = 0, 0
    todo = [d for d in docs[base:] if d.key not in done_keys]
    for start in range(0, len(todo), batch):
        with arc.change("bench", "web_bench: multiplied records") as tx:
            numbered = archival_code.numbers_at_ingest(tx.conn, arc.cfg.numbering)
            for d in todo[start:start + batch]:
                if any(secrecy.mark_in_text(x) for x in d.lines[:3]):  # the 版头: mark, 发文字号, 题名
                    secret += 1
                    continue
                t = rnd.choice(templates.get(d.fmt) or [r for rows in templates.values() for r in rows])
                text = "\n".join(d.lines)
                dn = docno.parse(d.lines[1])
                m = next((_DATE.search(x) for x in reversed(d.lines[-3:]) if _DATE.search(x)), None)
                date = f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}" if m else None
                ts = catalog.now()
                row = {k: t[k] for k in columns if k in t.keys()}
                row.update(schema.doc_number_columns(dn))
                row.update({
                    "sha256": hashlib.sha256(f"web_bench {d.key}\n{text}".encode()).hexdigest(),
                    "filename": f"{d.key}.{d.fmt}", "source_path": None, "title": d.title, "issuer": d.issuer,
                    "doc_type": d.title.rsplit("的", 1)[-1] if "的" in d.title else "简报",
                    "date": date, "year": int(m[1]) if m else d.year, "ingested_at": ts, "updated_at": ts,
                })
                if row["status"] == "archived" and row["retention"]:
                    if numbered:
                        code = archival_code.allocate(tx.conn, arc.cfg.fonds, row["year"], row["retention"],
                                                      row["org"])
                        row.update({"archival_code": str(code), "item_no": code.item_no})
                    else:
                        row["filing_state"] = "collected"
                doc_id = catalog.insert_record(tx.conn, row, text, dn)
                catalog.append_event(tx.conn, "ingest", doc_id, {
                    "filename": row["filename"], "sha256": row["sha256"], "status": row["status"],
                    "archival_code": row.get("archival_code"), "rule_id": row["rule_id"], "reason": row["reason"],
                    "bench": f"multiplied from record {t['id']}"})
                arc.queue_index(doc_id)
                made += 1
        el = time.perf_counter() - t0
        print(f"  multiplied {have - base + made}/{len(docs) - base} ({made / el:.0f} records/s)",
              file=sys.stderr, flush=True)
    n_docs = catalog.count_documents(conn)
    arc.close()
    return {"records": made, "left_out_secret": secret, "documents": n_docs,
            "seconds": time.perf_counter() - t0, "cpu_seconds": cpu_seconds() - c0}


def cpu_seconds(children: bool = False) -> float:
    """user + sys CPU seconds of this process (``children``: of its waited-for children, e.g. the server)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def tree_cpu(pid: int) -> float:
    """user + sys CPU seconds of a live process and its live descendants (the server and its workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(cfg_path: Path, port: int, log: Path, code: Path = ROOT) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(code)}
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


def session(base: str, name: str = USER):
    import httpx

    c = httpx.Client(base_url=base, timeout=120)
    tok = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"csrf": tok, "name": name, "password": PASSWORD, "next": "/search"})
    assert r.status_code in (200, 303) and name in c.get("/search").text, r.text[:300]
    return c


def requests_for(cfg_path: Path, manifest: list[dict], k: int, seed: int) -> list[tuple[str, str]]:
    from urllib.parse import urlencode

    from archive import catalog

    arc = sb.open_archive(cfg_path)
    qs = sb.make_queries(arc, manifest, k, seed)
    max_id = catalog.record_ids(arc.conn)[-1]
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


LIST_PAGES = ("/admin", "/review", "/filing", "/admin/audit", "/appraisals", "/admin/holds", "/secrecy")


def time_list_pages(base: str, times: int = 3) -> dict[str, list[float]]:
    """Each page that lists the whole archive, as an 档案员 (one user, one request at a time): ms per request."""
    c = session(base, ADMIN)
    out: dict[str, list[float]] = {}
    try:
        for url in LIST_PAGES:
            for _ in range(times):
                t0 = time.perf_counter()
                r = c.get(url)
                out.setdefault(f"{url} ({r.status_code})", []).append(1000 * (time.perf_counter() - t0))
    finally:
        c.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="web page latency with concurrent users")
    ap.add_argument("--n", type=int, default=10000, help="documents in the archive")
    ap.add_argument("--base", type=int, default=3000,
                    help="documents ingested as files through the pipeline; the rest are multiplied from them")
    ap.add_argument("--work", type=Path)
    ap.add_argument("--corpus", type=Path, help="the shared corpus folder (default: found beside the repository)")
    ap.add_argument("--reuse", action="store_true", help="reuse the store of an earlier run with the same N")
    ap.add_argument("--users", type=int, default=10, help="concurrent users (each with its own session)")
    ap.add_argument("--queries", type=int, default=100, help="search requests per kind (record pages: twice that)")
    ap.add_argument("--lists", action="store_true", help="also time the pages that list the whole archive")
    ap.add_argument("--server-code", type=Path, default=ROOT,
                    help="the program the server runs (another checkout, e.g. the code before a change)")
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
    info = build(a.n, work, a.seed, a.reuse, a.base)
    print(f"archive of {a.n} documents ready in {time.perf_counter() - t0:.0f} s ({work}): "
          f"{info['base']} ingested in {info['ingest']['seconds']:.0f} s, {info['multiply']['records']} multiplied "
          f"in {info['multiply']['seconds']:.0f} s ({info['multiply']['cpu_seconds']:.0f} CPU s)", file=sys.stderr)
    cfg_path = work / "config.toml"

    from archive import catalog
    from archive.catalog import users
    from archive.config import load_config
    from archive.session import Archive
    from archive.web import accounts

    arc = Archive(load_config(cfg_path))
    for name, role in ((USER, "查阅"), (ADMIN, "档案员")):
        if users.id_of(arc.conn, name) is None:
            accounts.add_user(arc.conn, name, role, PASSWORD)
    n_docs = catalog.count_documents(arc.conn)
    arc.close()
    import json

    manifest = [json.loads(x) for x in (work / "manifest.jsonl").open(encoding="utf-8")]
    reqs = requests_for(cfg_path, manifest, a.queries, a.seed)
    (work / "requests.json").write_text(json.dumps(reqs, ensure_ascii=False), encoding="utf-8")  # to replay

    port = free_port()
    server_cpu0 = cpu_seconds(children=True)
    proc = start_server(cfg_path, port, work / "serve.log", a.server_code)
    print(f"server: {a.server_code}", file=sys.stderr)
    base = f"http://127.0.0.1:{port}"
    lists = {}
    try:
        run_load(base, reqs[:40], a.users)  # warm: the readers open their connections and the index
        c0, s0 = cpu_seconds(), tree_cpu(proc.pid)
        lat, wall, errors = run_load(base, reqs, a.users)
        client_cpu, load_cpu = cpu_seconds() - c0, tree_cpu(proc.pid) - s0
        if a.lists:
            lists = time_list_pages(base)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    server_cpu = cpu_seconds(children=True) - server_cpu0

    rows = []
    for kind in sorted(lat):
        xs = lat[kind]
        rows.append([kind, len(xs), f"{sb.pct(xs, 50):.0f}", f"{sb.pct(xs, 95):.0f}", f"{max(xs):.0f}"])
    search_all = [x for k, xs in lat.items() if k.startswith("search") for x in xs]
    rows.append(["search (all kinds)", len(search_all), f"{sb.pct(search_all, 50):.0f}",
                 f"{sb.pct(search_all, 95):.0f}", f"{max(search_all):.0f}"])
    load = os.getloadavg()
    print(sb.table(f"web pages, {n_docs} documents, {a.users} concurrent users, {os.cpu_count()} cores, load "
                   f"{load[0]:.1f} (ms, full HTTP round trip)", ["page", "requests", "p50", "p95", "max"], rows))
    print(f"\n{len(reqs)} requests in {wall:.1f} s = {len(reqs) / wall:.1f} pages/s; errors: {errors}; CPU: server "
          f"{server_cpu:.1f} s (its whole life, warm-up and list pages included), clients {client_cpu:.1f} s")
    print(f"server CPU during the {len(reqs)} requests (every process of it): {load_cpu:.1f} s = "
          f"{1000 * load_cpu / len(reqs):.1f} ms a request")
    if lists:
        print(sb.table("pages listing the whole archive (ms, one 档案员, one request at a time)",
                       ["page (status)", "first", "best", "worst"],
                       [[k, f"{v[0]:.0f}", f"{min(v):.0f}", f"{max(v):.0f}"] for k, v in lists.items()]))
    print("targets: search page p95 < 96 ms, record page p95 < 34 ms at 100,000 documents, 10 users (issue 29, "
          "measured on a quieter machine)")


if __name__ == "__main__":
    main()
