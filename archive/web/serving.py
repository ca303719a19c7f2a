"""``archive serve``: the web page in ``[web] workers`` server processes (0: one per core), so every core
answers pages (issue 29: ten users shared one process, and a cheap record page waited behind searches).

What a process keeps in its own memory and what it must not split:
- logins, their failures and waits (login_failures), sessions (web_sessions) and accounts live in the catalog,
  so every process sees them; a login attempt is counted before its password is checked, in one write
  transaction (``accounts.reserve``), so two processes give an adversary no more attempts than one;
- the cookie's signing key (and so the CSRF token inside it) is the archive's one ``.web-secret`` file;
- every change takes the archive's write lock (``Archive.change``: a lock file between processes; the
  thread lock ``write_mutex`` only orders the threads of one process before it);
- per process and harmless: the filter menus' cache (a minute old at most, as before), read connections,
  the ingest thread and its extraction worker; the OCR engine is loaded ahead (warm-up) by one process only
  (the one holding ``.web-ocr-warm.lock``), the others load it at their first scan.

The first process checks everything before anything listens (a non-local address without accounts, the
certificate, the catalog's version) by making the application once; the workers are then started by uvicorn
from ``worker_app`` with what they need in the environment, and die with the first (PR_SET_PDEATHSIG)."""

from __future__ import annotations

import fcntl
import json
import os

ENV = "ARCHIVE_WEB_WORKER"  # what a worker process needs: the config file, the address, the cookie flag
WARM_LOCK = ".web-ocr-warm.lock"
_held: list = []  # the warm-up lock's open file, held for the life of the process


def workers_of(cfg) -> int:
    return cfg.web.workers or os.cpu_count() or 1


def run(cfg, host: str, port: int, *, secure_cookies: bool, tls, started=lambda n: None) -> int:
    """Serve until stopped; ``started(n)`` once the application was made and checked (n server processes).
    Returns n."""
    import uvicorn

    from archive.web import create_app

    n = workers_of(cfg)
    web = create_app(cfg, host, secure_cookies=secure_cookies, warm_ocr=n == 1)  # checks before listening
    started(n)
    kw = dict(host=host, port=port, log_level="warning", proxy_headers=False,
              **({"ssl_certfile": str(tls[0]), "ssl_keyfile": str(tls[1])} if tls else {}))
    if n == 1:
        uvicorn.run(web, **kw)
        return n
    web.state.web.close()  # checked; each worker opens its own
    os.environ[ENV] = json.dumps({"config": str(cfg.path), "host": host, "secure": secure_cookies,
                                  "parent": os.getpid()})
    uvicorn.run("archive.web.serving:worker_app", factory=True, workers=n, **kw)
    return n


def _claim_warm_up(cfg) -> bool:
    """Whether this process loads the OCR engine ahead: the first to lock the file does, until it ends."""
    try:
        f = open(cfg.store / WARM_LOCK, "a")
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    _held.append(f)
    return True


def worker_app():
    """The application of one worker process (uvicorn's factory), made from what ``run`` left in the
    environment."""
    from archive.config import load_config
    from archive.procs import die_with_parent
    from archive.web import create_app

    spec = json.loads(os.environ[ENV])
    die_with_parent(spec["parent"])  # a server killed outright leaves no worker holding the port
    cfg = load_config(spec["config"])
    return create_app(cfg, spec["host"], secure_cookies=spec["secure"], warm_ocr=_claim_warm_up(cfg))
