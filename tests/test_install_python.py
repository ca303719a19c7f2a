"""install.sh's choice of Python (issue 30), run for real with `--print-python` (no root needed): the system's
Python when it is 3.11 or newer, else the Python the bundle carries for this architecture, only when the system's
glibc is new enough; an explicit --python wins; without either, one Chinese line and exit 2.

Each case runs the real script with sh in a PATH holding only the tools it uses and the interpreters the case
gives it (small shell scripts answering the version check like an old or a new Python)."""

from __future__ import annotations

import platform
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARCH = platform.machine()
TOOLS = ["sh", "uname", "ls", "head", "cat", "awk", "sort", "printf", "dirname", "tr", "id", "grep"]


def _bundle(tmp_path: Path, *, carried: str | None) -> Path:
    """An unpacked bundle folder with the real install.sh and, if `carried` (the glibc it needs), a Python."""
    b = tmp_path / "bundle"
    b.mkdir()
    shutil.copy(ROOT / "packaging" / "install.sh", b / "install.sh")
    if carried is not None:
        d = b / "python" / ARCH
        d.mkdir(parents=True)
        (d / f"python-3.11.2-linux-{ARCH}.tar.gz").write_bytes(b"not read by --print-python")
        (d / f"python-3.11.2-linux-{ARCH}.GLIBC").write_text(carried + "\n")
    return b


def _path(tmp_path: Path, pythons: dict[str, bool], glibc: str) -> str:
    """A PATH with the needed tools, fake interpreters (name -> is 3.11 or newer) and a getconf saying `glibc`."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for t in TOOLS:
        found = shutil.which(t)
        if found:
            (bin_ / t).symlink_to(found)
    for name, new in pythons.items():
        (bin_ / name).write_text(f"#!/bin/sh\nexit {0 if new else 1}\n")
        (bin_ / name).chmod(0o755)
    (bin_ / "getconf").write_text(f"#!/bin/sh\necho 'glibc {glibc}'\n")
    (bin_ / "getconf").chmod(0o755)
    return str(bin_)


def _choose(bundle: Path, path: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["/bin/sh", str(bundle / "install.sh"), "--print-python", *args], capture_output=True,
                          text=True, env={"PATH": path, "LANG": "C.UTF-8"}, timeout=60)


def test_new_system_python_is_used_even_with_a_bundled_one(tmp_path):
    b = _bundle(tmp_path, carried="2.31")
    r = _choose(b, _path(tmp_path, {"python3": False, "python3.11": True}, "2.36"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(str(tmp_path / "bin" / "python3.11")), r.stdout


def test_old_system_python_takes_the_bundled_one(tmp_path):
    b = _bundle(tmp_path, carried="2.31")
    r = _choose(b, _path(tmp_path, {"python3": False}, "2.31"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"bundled {b}/python/{ARCH}/python-3.11.2-linux-{ARCH}.tar.gz"), r.stdout
    assert "系统没有 Python 3.11" in r.stdout


def test_bundled_refused_when_glibc_is_older_than_it_needs(tmp_path):
    b = _bundle(tmp_path, carried="2.31")
    r = _choose(b, _path(tmp_path, {"python3": False}, "2.28"))
    assert r.returncode == 2 and r.stdout == ""
    assert "需要 glibc 2.31" in r.stderr and "2.28" in r.stderr
    # glibc versions compare as versions, not as text: 2.100 is newer than 2.31
    (tmp_path / "newer").mkdir()
    r = _choose(b, _path(tmp_path / "newer", {"python3": False}, "2.100"))
    assert r.returncode == 0, r.stderr


def test_python_bundled_asked_for_even_with_a_new_system_python(tmp_path):
    b = _bundle(tmp_path, carried="2.17")
    r = _choose(b, _path(tmp_path, {"python3.12": True}, "2.28"), "--python", "bundled")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("bundled "), r.stdout


def test_python_bundled_without_one_for_this_architecture(tmp_path):
    b = _bundle(tmp_path, carried=None)
    r = _choose(b, _path(tmp_path, {"python3.12": True}, "2.36"), "--python", "bundled")
    assert r.returncode == 2
    assert f"没有为 {ARCH} 架构准备的 Python" in r.stderr


def test_no_python_at_all_is_one_line_and_exit_2(tmp_path):
    b = _bundle(tmp_path, carried=None)
    r = _choose(b, _path(tmp_path, {"python3": False}, "2.36"))
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "找不到 Python 3.11" in r.stderr


def test_explicit_python_wins(tmp_path):
    b = _bundle(tmp_path, carried="2.31")
    r = _choose(b, _path(tmp_path, {"python3": False}, "2.36"), "--python", "/usr/bin/python3.11")
    assert r.returncode == 0 and r.stdout.startswith("/usr/bin/python3.11（按 --python 指定）"), r.stdout


def _build_bundle_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_bundle", ROOT / "packaging" / "build_bundle.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_bundle_carries_the_built_python_with_its_glibc(tmp_path):
    """build_bundle.carry_python puts the architecture's Python and its .GLIBC where install.sh looks for them."""
    bb = _build_bundle_module()
    src = tmp_path / "built"
    src.mkdir()
    (src / "python-3.11.2-linux-aarch64.tar.gz").write_bytes(b"x" * 10)
    (src / "python-3.11.2-linux-aarch64.GLIBC").write_text("2.28\n")
    lines = bb.carry_python(src, "aarch64", tmp_path / "bundle" / "python" / "aarch64")
    assert (tmp_path / "bundle/python/aarch64/python-3.11.2-linux-aarch64.tar.gz").read_bytes() == b"x" * 10
    assert (tmp_path / "bundle/python/aarch64/python-3.11.2-linux-aarch64.GLIBC").read_text() == "2.28\n"
    assert "需要 glibc 2.28" in lines[0]
    # none built for x86_64: the bundle says so, and install.sh will find none
    lines = bb.carry_python(src, "x86_64", tmp_path / "bundle" / "python" / "x86_64")
    assert "自带 Python：无" in lines[0] and not (tmp_path / "bundle/python/x86_64").exists()
    # a Python without its glibc file is refused: install.sh could not check the machine
    (src / "python-3.11.2-linux-aarch64.GLIBC").unlink()
    with pytest.raises(SystemExit):
        bb.carry_python(src, "aarch64", tmp_path / "other")
