"""Memory of a real ``archive serve`` (uvicorn) under random-name login attempts (issue 23: 40 of them took the
server from 50 MB to 2.2 GB).

Makes a fresh archive with one user in a temporary folder, starts ``archive serve`` on 127.0.0.1 (a free
port), logs the resident memory at rest, then sends N attempts with random names and wrong passwords from
C clients at once (each from its own 127.x.y.z source), and prints the resident memory (VmRSS) and its
peak (VmHWM) of the server process, and the rows the failure table keeps.

    PYTHONPATH=. python bench/login_bench.py [--attempts 10000] [--clients 40]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--attempts", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=40)
    args = ap.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="login-bench-"))
    cfg = folder / "config.toml"
    cfg.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = [sys.executable, "-m", "archive", "--config", str(cfg)]
    subprocess.run([*run, "init"], check=True, env=env, capture_output=True)
    subprocess.run([*run, "user", "add", "李档案", "--role", "档案员", "--password-stdin"], input="bench-password-1\n",
                   text=True, check=True, env=env, capture_output=True)
    port = _free_port()
    proc = subprocess.Popen([*run, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None:
                    raise SystemExit("archive serve did not start")
                time.sleep(0.2)
        with httpx.Client(base_url=url) as c:
            c.get("/login")
        rest = _kb(proc.pid, "VmRSS")
        print(f"at rest: VmRSS {rest / 1024:.1f} MB")

        clients = [httpx.Client(base_url=url, timeout=120,
                                transport=httpx.HTTPTransport(local_address=f"127.0.{i // 250 + 2}.{i % 250 + 1}"))
                   for i in range(args.clients)]
        tokens = [re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1) for c in clients]
        codes: dict[int, int] = {}

        def attempt(i: int) -> None:
            k = i % args.clients
            r = clients[k].post("/login", data={"csrf": tokens[k], "name": "n" + secrets.token_hex(8),
                                                "password": "wrong-password"})
            codes[r.status_code] = codes.get(r.status_code, 0) + 1

        t0 = time.monotonic()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(attempt, range(args.attempts)))
        took = time.monotonic() - t0
        rss, peak = _kb(proc.pid, "VmRSS"), _kb(proc.pid, "VmHWM")
        with sqlite3.connect(f"file:{folder / 'store' / 'catalog.sqlite'}?mode=ro", uri=True) as conn:
            rows = conn.execute("SELECT count(*) FROM login_failures").fetchone()[0]
        print(f"{args.attempts} random-name attempts from {args.clients} clients in {took:.0f} s: answers {codes}")
        print(f"after: VmRSS {rss / 1024:.1f} MB (+{(rss - rest) / 1024:.1f}), "
              f"peak VmHWM {peak / 1024:.1f} MB (+{(peak - rest) / 1024:.1f} over rest)")
        print(f"failure table: {rows} rows (cap {10_000})")
        for c in clients:
            c.close()
    finally:
        proc.terminate()
        proc.wait(timeout=60)


if __name__ == "__main__":
    main()
