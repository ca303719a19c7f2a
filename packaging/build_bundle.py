"""Build the offline installation bundle (issue 30): everything an agency's server in the 政务内网 needs, nothing
downloaded at install time.

    python packaging/build_bundle.py [-o dist] [--arch x86_64 --arch aarch64] [--python 3.11] [--carry-python DIR]

Writes ``dist/wenshu-archive-<version>-bundle.tar.gz`` holding::

    install.sh                    the installer (run as root in the unpacked folder)
    wheelhouse/any/               this program's own wheel
    wheelhouse/<arch>/            every dependency as a binary wheel for CPython <python> on Linux <arch>
    python/<arch>/                with --carry-python DIR: the Python 3.11 built by packaging/build_python.sh
                                  (python-*-linux-<arch>.tar.gz and .GLIBC, the oldest glibc it runs on), which
                                  install.sh uses where the system's Python is older than 3.11
    systemd/                      the service and timer units, serve.env
    docs/                         the manuals (docs/manual/) and the domain notes
    BUNDLE.txt                    what is inside: versions, per-architecture wheels, the oldest glibc, SHA-256

and prints, per architecture, each dependency's wheel (or that none exists) and the oldest glibc the wheels need
(the highest manylinux tag among them). Every dependency is taken as a binary wheel (``--only-binary=:all:``):
a package without one for an architecture makes that architecture fail here, on the build machine, not at an
agency.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORMS = {  # pip's platform tags, oldest first: pip takes the first wheel any of them matches
    "x86_64": ["manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_24_x86_64",
               "manylinux_2_27_x86_64", "manylinux_2_28_x86_64", "linux_x86_64"],
    "aarch64": ["manylinux2014_aarch64", "manylinux_2_17_aarch64", "manylinux_2_24_aarch64",
                "manylinux_2_27_aarch64", "manylinux_2_28_aarch64", "linux_aarch64"],
}
_GLIBC = re.compile(r"manylinux_(\d+)_(\d+)_|manylinux(2014|2010|1)_")
_OLD = {"2014": (2, 17), "2010": (2, 12), "1": (2, 5)}


def glibc_of(wheel: str) -> tuple[int, int] | None:
    """The glibc a wheel's platform tag asks for (None: pure Python)."""
    best = None
    for m in _GLIBC.finditer(wheel):
        v = (int(m.group(1)), int(m.group(2))) if m.group(1) else _OLD[m.group(3)]
        best = v if best is None or v < best else best  # a wheel tagged for several: the lowest is enough
    return best


def run(cmd: list[str]) -> None:
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def carry_python(src: Path | None, arch: str, dest: Path) -> list[str]:
    """Copy the built Python for `arch` into the bundle; the lines BUNDLE.txt says about it."""
    found = sorted(src.glob(f"python-*-linux-{arch}.tar.gz")) if src else []
    if not found:
        return [f"   自带 Python：无（{arch} 上系统 Python 低于 3.11 时，须安装发行版的 python3.11）"]
    tar = found[-1]
    need = tar.with_name(tar.name.removesuffix(".tar.gz") + ".GLIBC")
    if not need.is_file():
        raise SystemExit(f"{need} is missing: build_python.sh writes it beside the archive")
    dest.mkdir(parents=True)
    shutil.copy(tar, dest / tar.name)
    shutil.copy(need, dest / need.name)
    glibc = need.read_text(encoding="utf-8").strip()
    return [f"   自带 Python：{tar.name}（{tar.stat().st_size / 1048576:.0f} MB），需要 glibc {glibc} 或更新"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", type=Path, default=ROOT / "dist")
    ap.add_argument("--arch", action="append", choices=sorted(PLATFORMS))
    ap.add_argument("--python", default="3.11")
    ap.add_argument("--carry-python", type=Path, metavar="DIR",
                    help="folder with python-*-linux-<arch>.tar.gz and .GLIBC from packaging/build_python.sh")
    args = ap.parse_args()
    arches = args.arch or sorted(PLATFORMS)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    name = f"wenshu-archive-{version}-bundle"
    work = args.out / name
    shutil.rmtree(work, ignore_errors=True)
    (work / "wheelhouse" / "any").mkdir(parents=True)
    pip = [sys.executable, "-m", "pip"]
    run(pip + ["wheel", "-q", "--no-deps", "-w", str(work / "wheelhouse" / "any"), str(ROOT)])
    own = next((work / "wheelhouse" / "any").glob("*.whl"))
    abi = "cp" + args.python.replace(".", "")
    report = [f"文书档案 {version} 离线安装包", f"Python {args.python}（{abi}）", ""]
    for arch in arches:
        dest = work / "wheelhouse" / arch
        cmd = pip + ["download", "-q", "--only-binary=:all:", "--python-version", args.python,
                     "--implementation", "cp", "--abi", abi, "--abi", "abi3", "--abi", "none", "-d", str(dest)]
        for tag in PLATFORMS[arch]:
            cmd += ["--platform", tag]
        run(cmd + [str(own)])
        wheels = sorted(p.name for p in dest.glob("*.whl"))
        native = [w for w in wheels if glibc_of(w)]
        oldest = max((glibc_of(w) for w in native), default=None)
        size = sum(p.stat().st_size for p in dest.glob("*.whl"))
        report += [f"== {arch}: {len(wheels)} 个程序包（{len(native)} 个含本机代码），{size / 1048576:.0f} MB，"
                   f"最低 glibc {'.'.join(map(str, oldest)) if oldest else '不限'}"]
        report += [f"   {w}" for w in wheels]
        report += carry_python(args.carry_python, arch, work / "python" / arch)
    shutil.copytree(ROOT / "packaging" / "systemd", work / "systemd")
    shutil.copy(ROOT / "packaging" / "install.sh", work / "install.sh")
    shutil.copytree(ROOT / "docs", work / "docs")
    sums = [f"{sha256(p)}  {p.relative_to(work).as_posix()}" for p in sorted(work.rglob("*")) if p.is_file()]
    (work / "BUNDLE.txt").write_text("\n".join(report + ["", "SHA-256:"] + sums) + "\n", encoding="utf-8")
    tar = args.out / f"{name}.tar.gz"
    with tarfile.open(tar, "w:gz") as t:
        t.add(work, arcname=name)
    print("\n".join(report[:3] + [line for line in report if line.startswith(("==", "   自带"))]))
    print(f"安装包：{tar}（{tar.stat().st_size / 1048576:.0f} MB）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
