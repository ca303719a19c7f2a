"""Shared fixtures: a real config.toml in a temporary folder, and an opened archive on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
_MADE_CACHE: list[Path] = []  # the LibreOffice cache folder this process made (removed at its end)


_MADE_TMP: list[Path] = []  # the run's temporary folder on a RAM file system this process made
TMP_ENV = "ARCHIVE_TEST_TMP"  # "disk": keep the system's temporary folder; else set to the run's own folder
RAM_TMP = Path("/dev/shm")
RAM_TMP_FREE = 4 << 30  # bytes free on it that a run may take


def _ram_tmp() -> None:
    """Once per run (the xdist workers and every process the tests start inherit it): the temporary folder
    (TMPDIR, hence pytest's tmp_path, the archives the tests build, LibreOffice's profiles) on a RAM file
    system when the machine has one with room. The product fsyncs every stored file, its folder and each
    commit; on a disk that is milliseconds each, thousands of times a run, and nothing a test checks (a test
    kills processes, never the machine). ARCHIVE_TEST_TMP=disk keeps the system's temporary folder."""
    import os
    import tempfile

    if os.environ.get(TMP_ENV) or os.environ.get("TMPDIR"):
        return  # the process that started this one chose, or the person running the tests did
    try:
        st = os.statvfs(RAM_TMP)
        if st.f_bavail * st.f_frsize < RAM_TMP_FREE or not os.access(RAM_TMP, os.W_OK | os.X_OK):
            return
        run = Path(tempfile.mkdtemp(prefix="archive-tests-", dir=RAM_TMP))
    except OSError:
        return
    _MADE_TMP.append(run)
    os.environ[TMP_ENV] = os.environ["TMPDIR"] = str(run)
    tempfile.tempdir = None  # computed again from TMPDIR at its next use (pytest's basetemp among them)


def pytest_configure(config):
    """Once per run (the xdist workers inherit it): the temporary folder on a RAM file system (``_ram_tmp``);
    LibreOffice conversions of the same content done once and kept for every later test and process of the
    run (tests/soffice_cache.py): not when LibreOffice is absent, nor when ARCHIVE_TEST_SOFFICE_CACHE=off."""
    import os
    import tempfile

    from tests.soffice_cache import ENV, install

    _ram_tmp()

    if os.environ.get(ENV):
        return  # made by the process that started this one, or switched off
    from archive.extract.office import soffice_program

    real = soffice_program()
    if real is None:
        return
    cache = Path(tempfile.mkdtemp(prefix="archive-test-soffice-"))
    _MADE_CACHE.append(cache)
    os.environ[ENV] = str(cache)
    os.environ["PATH"] = f"{install(cache, real)}{os.pathsep}{os.environ.get('PATH', '')}"


def pytest_collection_modifyitems(config, items):
    """The tests marked slow run first (in their order, the rest after in theirs): under xdist a long test that
    starts last leaves the other workers idle until it ends; started first, the short ones fill in around it."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    yield from _cpu_of(item, "setup")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield from _cpu_of(item, "call")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item):
    yield from _cpu_of(item, "teardown")


def _cpu_of(item, phase: str):
    """With ARCHIVE_TEST_CPU=FILE (bench/test_time.py): the CPU seconds of each test phase (this process and
    the children it waited for: CLI processes, extraction workers, LibreOffice), one line appended per phase,
    so that a run on a loaded machine still says where the CPU went. A worker's child reaped later is
    counted in the phase that reaped it."""
    import os
    import resource

    out = os.environ.get("ARCHIVE_TEST_CPU")
    if not out:
        yield
        return

    def now() -> float:
        a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

    start = now()
    yield
    line = f"{now() - start:.3f} {phase} {item.nodeid}\n".encode("utf-8", "backslashreplace")
    fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)  # one write per line: xdist workers share it
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def pytest_unconfigure(config):
    import os

    for cache in _MADE_CACHE:
        counted = cache / "count"
        if os.environ.get("ARCHIVE_TEST_SOFFICE_COUNT") and counted.is_file():  # for bench/test_time.md
            shutil.copyfile(counted, os.environ["ARCHIVE_TEST_SOFFICE_COUNT"])
        shutil.rmtree(cache, ignore_errors=True)
    for run in _MADE_TMP:  # what failed tests left stays for a look (pytest keeps only failures' folders)
        if getattr(config, "_archive_failed", False):
            print(f"\nthe failed tests' temporary folders are kept in {run}")
        else:
            shutil.rmtree(run, ignore_errors=True)


def pytest_sessionfinish(session, exitstatus):
    session.config._archive_failed = exitstatus == pytest.ExitCode.TESTS_FAILED


def write_config(folder: Path, text: str | None = None, **replace: str) -> Path:
    """Copy the project's example config.toml into ``folder`` (optionally edited) and return its path."""
    src = (ROOT / "config.toml").read_text(encoding="utf-8") if text is None else text
    for old, new in replace.items():
        assert old in src, old
        src = src.replace(old, new)
    # the suite's archives number at ingest, as before issue 25 (tests/test_filing.py asks for at_filing itself)
    src = src.replace('numbering = "at_filing"', 'numbering = "at_ingest"') if "[filing]" in src \
        else src + '\n[filing]\nnumbering = "at_ingest"\n'
    path = folder / "config.toml"
    path.write_text(src, encoding="utf-8")
    return path


@pytest.fixture
def cfg_path(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.fixture
def cfg(cfg_path: Path):
    from archive.config import load_config

    return load_config(cfg_path)


@pytest.fixture
def fast_cfg(tmp_path: Path):
    """The example config with a short settle time, for watcher tests."""
    from archive.config import load_config

    path = write_config(tmp_path, **{"settle_seconds = 2.0": "settle_seconds = 0.5"})
    return load_config(path)


@pytest.fixture
def arc(cfg):
    from archive.session import open_archive

    a = open_archive(cfg, create=True)
    yield a
    a.close()


@pytest.fixture
def samples_dir() -> Path:
    return ROOT / "samples"


def copy_tree(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def copy_prepared(template: Path, dest: Path) -> Path:
    """Copy an archive a session fixture prepared once (config.toml, store/, inbox/ …) into ``dest``, so that a
    test which writes changes its own copy: much cheaper than filing the documents again."""
    dest.mkdir(parents=True, exist_ok=True)
    for entry in template.iterdir():
        if entry.is_dir():
            shutil.copytree(entry, dest / entry.name, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(entry, dest / entry.name)
    return dest


def run_cli(cfg_path: Path, *args: str):
    """``archive --config CFG ARGS`` as the clerk's command line runs it (in this process: tests/clirun.py)."""
    from tests.clirun import run_config

    return run_config(cfg_path, *args)


def problems(arc) -> list:
    """verify's findings other than notices."""
    from archive.verify import verify

    return [f for f in verify(arc).findings if f.severity != "notice"]


def assert_backup_restores(cfg_path: Path, tmp_path: Path, owned: list[str]) -> None:
    """A backup of the archive restored elsewhere holds every file in ``owned`` (store paths) and verifies."""
    from archive.config import load_config
    from archive.session import open_archive

    tar = tmp_path / "备份.tar"
    assert run_cli(cfg_path, "backup", "-o", str(tar)).returncode == 0
    target = tmp_path / "恢复"
    r = run_cli(cfg_path, "restore", str(tar), "--to", str(target))
    assert r.returncode == 0, r.stderr
    restored = open_archive(load_config(target / "config.toml"))
    try:
        assert all(restored.store.abspath(rel).is_file() for rel in owned)
        assert problems(restored) == []
    finally:
        restored.close()


def catalog_before(path: Path, version: int):
    """A catalog as a program before migration ``version`` left it: every earlier migration applied, the
    connection open (foreign keys off, as the migrations run) for the test to fill before it upgrades."""
    import sqlite3

    from archive.catalog import _split_sql
    from archive.schema import _MIGRATIONS

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.create_function("bigrams", 1, lambda s: s or "")
    for v in sorted(k for k in _MIGRATIONS if k < version):
        for stmt in _split_sql(_MIGRATIONS[v]):
            conn.execute(stmt)
        conn.execute(f"PRAGMA user_version={v}")
    return conn
