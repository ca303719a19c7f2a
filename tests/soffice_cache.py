"""A test-only cache of LibreOffice conversions, shared by every process of one test run.

Many tests file the same 公文 as a DOCX, and each DOCX filed is laid out by LibreOffice to count its pages
(``office.rendered_pages``, about a second each), in the extraction worker, a child process. This module puts
a ``soffice`` on the PATH whose ``soffice.bin`` (what ``office.soffice_program`` runs) is this script: it runs
the real ``soffice.bin`` once per content and keeps what that conversion made; the same content converted again
gets the same file back. Only a conversion that succeeded (exit 0, a non-empty result) is kept: a timeout, a
crash, a refusal run the real program every time. The key is the target format, the input's name and its
content (for a zip, e.g. a DOCX, each member's name and bytes: a DOCX generated twice differs only in the zip's
timestamps, which LibreOffice does not read). The real program keeps its limits and dies with its caller (the
parent-death signal is set again in the child, since fork clears it).

``conftest.py`` installs it once per run (``install``) into a fresh folder and removes that folder at the end;
``python tests/soffice_cache.py REAL CACHE ARGS…`` is what the generated ``soffice.bin`` runs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

ENV = "ARCHIVE_TEST_SOFFICE_CACHE"


def install(cache: Path, real: Path) -> Path:
    """Write ``cache/bin/soffice`` and ``cache/bin/soffice.bin`` (running the real ``real`` through the cache)
    and return the bin folder, to be put first on the PATH."""
    bindir = cache / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    (cache / "real").write_text(str(real), encoding="utf-8")  # the program behind it (tests/test_soffice_cache.py)
    stub = bindir / "soffice"  # a real file: office.soffice_program resolves links to find soffice.bin beside it
    stub.write_text(f"#!/bin/sh\nexec {real.parent / 'soffice'} \"$@\"\n", encoding="utf-8")
    proxy = bindir / "soffice.bin"
    proxy.write_text(f"#!{sys.executable} -IS\nimport sys\nsys.path.insert(0, {str(Path(__file__).parent)!r})\n"
                     f"import soffice_cache\nsoffice_cache.main({str(real)!r}, {str(cache)!r}, sys.argv[1:])\n",
                     encoding="utf-8")
    for f in (stub, proxy):
        f.chmod(f.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return bindir


def real_program() -> Path | None:
    """The real ``soffice.bin``, also while this run's cache is on the PATH."""
    import os

    from archive.extract.office import soffice_program

    cache = os.environ.get(ENV)
    if cache and (Path(cache) / "real").is_file():
        return Path((Path(cache) / "real").read_text(encoding="utf-8"))
    return soffice_program()


def _content_key(src: Path) -> str:
    h = hashlib.sha256(src.name.encode("utf-8") + b"\0")
    try:
        with zipfile.ZipFile(src) as z:
            for info in z.infolist():
                h.update(info.filename.encode("utf-8", "surrogateescape") + b"\0")
                h.update(hashlib.sha256(z.read(info)).digest())
        return "zip-" + h.hexdigest()
    except Exception:  # not a zip, or a broken one: its bytes as they are
        h = hashlib.sha256(src.name.encode("utf-8") + b"\0")
        h.update(src.read_bytes())
        return "raw-" + h.hexdigest()


def _die_with_parent() -> None:
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _count(cache: str, what: str) -> None:
    """One line per conversion asked for in ``CACHE/count``: "hit" or "run", a tab and the test that asked
    (pytest's PYTEST_CURRENT_TEST as the process that started LibreOffice inherited it) — bench/test_time.md
    counts hits and real runs by test file."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" (", 1)[0]
    with open(Path(cache) / "count", "a", encoding="utf-8", errors="backslashreplace") as f:
        f.write(f"{what}\t{test}\n")


def main(real: str, cache: str, args: list[str]) -> None:
    try:
        target = args[args.index("--convert-to") + 1]
        outdir = Path(args[args.index("--outdir") + 1])
        src = Path(args[-1])
        ext = target.split(":", 1)[0]
        key = hashlib.sha256(f"{target}\0".encode("utf-8") + _content_key(src).encode("ascii")).hexdigest()
    except (ValueError, IndexError, OSError):
        os.execv(real, [real, *args])
    result = outdir / f"{src.stem}.{ext}"
    kept, log = Path(cache) / f"{key}.{ext}", Path(cache) / f"{key}.log"
    if kept.is_file() and log.is_file():
        _count(cache, "hit")
        shutil.copyfile(kept, result)
        sys.stdout.buffer.write(log.read_bytes())
        sys.exit(0)
    _count(cache, "run")
    p = subprocess.run([real, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       preexec_fn=_die_with_parent)
    sys.stdout.buffer.write(p.stdout)
    if p.returncode == 0 and result.is_file() and result.stat().st_size > 0:
        for dest, write in ((log, lambda t: t.write_bytes(p.stdout)), (kept, lambda t: shutil.copyfile(result, t))):
            tmp = dest.with_name(f".{dest.name}.{os.getpid()}")
            write(tmp)
            os.replace(tmp, dest)  # whole or absent: another process may read it at once
    sys.exit(p.returncode)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
