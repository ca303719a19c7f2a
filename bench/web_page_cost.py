"""What one search or record page costs, one request at a time in one process (issue 29).

    PYTHONPATH=<code> python bench/web_page_cost.py --work /tmp/i29perf-scratch [--profile out.prof] [--html DIR]

The app of ``<code>`` (PYTHONPATH: this checkout or another, e.g. the code before a change) on an archive built by
bench/web_bench.py (its requests.json replayed: search pages of every kind and record pages), through Starlette's
TestClient with the thread pool run inline, so cProfile (``--profile``) sees the handlers. Prints CPU (user+sys of
the process) and wall p50 / p95 per kind. ``--html DIR`` writes each page's HTML with its timing stripped, to
compare two versions byte for byte (``diff -r``). Record pages write an access-log entry: run it on a copy of the
archive, never on the one web_bench measures.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import sys
import time
from pathlib import Path

USER, PASSWORD = "bench", "bench-password-1"


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


# what differs between two runs of the same page: the time it took, the CSRF token, an access-log time
STRIP = [re.compile(r"（\d+ 毫秒）"), re.compile(r'name="csrf" value="[^"]+"'),
         re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, required=True, help="a copy of bench/web_bench.py's archive folder")
    ap.add_argument("--limit", type=int, default=0, help="requests replayed (0: all)")
    ap.add_argument("--profile", type=Path, help="write cProfile stats of the handlers here")
    ap.add_argument("--html", type=Path, help="write each page's HTML (timing stripped) into this folder")
    ap.add_argument("--repeat", type=int, default=1, help="replay the requests this many times")
    a = ap.parse_args()

    import cProfile

    import starlette.concurrency
    from starlette.testclient import TestClient

    from archive.config import load_config
    from archive.web.app import create_app

    prof = cProfile.Profile(time.thread_time) if a.profile else None  # CPU, not wall: the machine is shared

    async def inline(func, *args, **kw):  # the handler in the event loop's thread, where cProfile looks
        if prof:
            prof.enable()
        try:
            return func(*args, **kw)
        finally:
            if prof:
                prof.disable()

    starlette.concurrency.run_in_threadpool = inline
    reqs = json.loads((a.work / "requests.json").read_text(encoding="utf-8"))
    if a.limit:
        reqs = reqs[:a.limit]
    app = create_app(load_config(a.work / "config.toml"))
    out: dict[str, list[tuple[float, float]]] = {}
    with TestClient(app, base_url="http://127.0.0.1") as c:
        tok = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
        r = c.post("/login", data={"csrf": tok, "name": USER, "password": PASSWORD, "next": "/search"})
        assert r.status_code in (200, 303), r.text[:300]
        for _, url in reqs[:20]:  # warm: templates compiled, menus read, pages in SQLite's cache
            c.get(url)
        for rep in range(a.repeat):
            for n, (kind, url) in enumerate(reqs):
                c0, t0 = cpu(), time.perf_counter()
                r = c.get(url)
                out.setdefault(kind, []).append((1000 * (cpu() - c0), 1000 * (time.perf_counter() - t0)))
                assert r.status_code == 200, (url, r.status_code, r.text[:300])
                if a.html and rep == 0:
                    a.html.mkdir(parents=True, exist_ok=True)
                    html = r.text
                    for rx in STRIP:
                        html = rx.sub("", html)
                    (a.html / f"{n:04d}-{kind.replace(':', '_')}.html").write_text(html, encoding="utf-8")
    if prof:
        prof.dump_stats(str(a.profile))
    print(f"{'page':<18} {'n':>4}  CPU p50 / p95 / mean   wall p50 / p95 (ms)")
    allc = []
    for kind in sorted(out):
        cs, ws = [x[0] for x in out[kind]], [x[1] for x in out[kind]]
        allc += cs
        print(f"{kind:<18} {len(cs):>4}  {pct(cs, 50):6.1f} / {pct(cs, 95):6.1f} / {statistics.mean(cs):6.1f}"
              f"   {pct(ws, 50):6.1f} / {pct(ws, 95):6.1f}")
    print(f"all pages: {len(allc)}, CPU {sum(allc) / 1000:.2f} s, mean {statistics.mean(allc):.1f} ms", file=sys.stderr)


if __name__ == "__main__":
    main()
