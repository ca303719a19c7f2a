"""病毒检测 (DA/T 70-2018 安全性): files scanned by ClamAV before they are stored, and the stored files in verify.

ClamAV's ``clamscan`` (or ``clamdscan`` when a clamd daemon answers its ping) is run as a child process over a
batch of files. Each file is given to the scanner through a symlink with a plain numbered name in a private
temporary folder, so a hostile file name (a leading ``-``, a newline, ``: OK`` inside it) can neither be read as
an option nor forge a line of the scanner's output. Every file gets one of three verdicts:

- ``clean``: the scanner printed ``OK`` for it;
- ``infected``: the scanner printed ``<signature> FOUND`` (a ``Heuristics.Limits.Exceeded`` alert included: a
  file too large or nested too deep to be scanned whole is not passed);
- ``error``: anything else (the scanner failed, timed out, was killed, printed nothing for the file). A caller
  fails closed on it: the file is not stored.

When no scanner is installed, or it has no signature database, nothing is scanned and ``available`` says why
(``Scanner.missing``): callers print that the check did not run, never that it passed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from archive.config import VirusSettings

# where Debian's clamav keeps the signature database freshclam downloads
DEFAULT_DATABASE = Path("/var/lib/clamav")
_SIGNATURE_SUFFIXES = (".cvd", ".cld", ".cud", ".hdb", ".hsb", ".ndb", ".ldb", ".mdb", ".msb", ".ign2", ".yar",
                       ".yara", ".cbc", ".ndu", ".ldu", ".pdb", ".gdb", ".wdb", ".fp", ".sfp", ".idb", ".cdb",
                       ".crb", ".cat", ".info")
NOT_RUN_INGEST = "未进行病毒检测"


@dataclass
class Verdict:
    kind: str  # clean / infected / error
    signature: str = ""  # infected: the signature name; error: the scanner's reason

    def line(self, name: str) -> str:
        """One Chinese line for a clerk."""
        if self.kind == "infected":
            if self.signature.startswith("Heuristics.Limits.Exceeded"):
                return (f"文件 {name} 超出病毒扫描的大小或嵌套限制（{self.signature}），未能完整扫描，未入库；"
                        "请核实文件来源，确需入库的请交系统管理员处理")
            return f"文件 {name} 检出病毒（{self.signature}），未入库；请用杀毒软件处理源文件并核实来源"
        if self.kind == "error":
            return f"文件 {name} 病毒扫描未能完成（{self.signature}），按未通过处理，未入库；请检查扫描程序后重试"
        return f"文件 {name} 未检出病毒"


@dataclass
class Scanner:
    """A scanner found on this machine (``argv`` the command and its options), or why none can run."""

    argv: list[str] = field(default_factory=list)
    name: str = ""
    missing: str = ""  # why nothing is scanned (not installed, no database, switched off)
    timeout: float = 600.0
    settings: VirusSettings | None = None  # what it was found for (session_scanner: changed settings, found again)

    @property
    def available(self) -> bool:
        return not self.missing

    def scan(self, paths: list[Path]) -> list[Verdict]:
        """A verdict for each of ``paths``, in order. Never raises for a scanner's failure: those are errors."""
        if not self.available:
            raise RuntimeError("no scanner")  # a programming error: callers check ``available`` first
        if not paths:
            return []
        with tempfile.TemporaryDirectory(prefix="virus-scan-") as tmp:
            links = []
            for i, p in enumerate(paths):
                link = Path(tmp) / f"f{i}"
                os.symlink(os.path.abspath(p), link)
                links.append(link)
            try:
                out = subprocess.run([*self.argv, *map(str, links)], stdin=subprocess.DEVNULL,
                                     capture_output=True, timeout=self.timeout)
            except subprocess.TimeoutExpired:
                return [Verdict("error", f"扫描超过 {self.timeout:.0f} 秒未完成")] * len(paths)
            except OSError as e:
                return [Verdict("error", f"扫描程序无法运行：{e.strerror}")] * len(paths)
            found = _parse(out.stdout.decode("utf-8", "replace"), tmp)
        if out.returncode not in (0, 1):
            reason = _first_error(out.stderr.decode("utf-8", "replace")) or f"扫描程序退出码 {out.returncode}"
        else:
            reason = "扫描程序没有给出该文件的结果"
        return [found.get(f"f{i}") or Verdict("error", reason) for i in range(len(paths))]


def _parse(stdout: str, tmp: str) -> dict[str, Verdict]:
    """``<tmp>/f<i>: OK`` and ``<tmp>/f<i>: <signature> FOUND`` lines, by link name."""
    out: dict[str, Verdict] = {}
    prefix = tmp.rstrip("/") + "/"
    for line in stdout.splitlines():
        if not line.startswith(prefix) or ": " not in line:
            continue
        name, _, rest = line[len(prefix):].partition(": ")
        if not name.startswith("f") or not name[1:].isdigit():
            continue
        if rest == "OK":
            out.setdefault(name, Verdict("clean"))
        elif rest.endswith(" FOUND"):
            out[name] = Verdict("infected", rest[: -len(" FOUND")].strip() or "未知病毒")
        elif rest.endswith(" ERROR"):
            out[name] = Verdict("error", rest[: -len(" ERROR")].strip())
    return out


def _first_error(stderr: str) -> str:
    for line in stderr.splitlines():
        if "ERROR" in line.upper():
            return line.strip()[:200]
    return ""


def _has_database(path: Path) -> bool:
    if path.is_file():
        return True
    try:
        return path.is_dir() and any(p.suffix.lower() in _SIGNATURE_SUFFIXES for p in path.iterdir())
    except OSError:
        return False


def _daemon_answers(exe: str) -> bool:
    try:
        return subprocess.run([exe, "--ping=1"], stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def scanner(settings: VirusSettings) -> Scanner:
    """The scanner ``settings`` ask for, as installed on this machine (PATH), or one that says why not."""
    if not settings.enabled:
        return Scanner(missing="病毒检测已在配置中关闭（virus 的 enabled = false）")
    want = settings.command
    if want in ("auto", "clamdscan"):
        exe = shutil.which("clamdscan")
        if exe and _daemon_answers(exe):
            # the daemon reads the file through the client (--stream): it may run as another user
            return Scanner([exe, "--no-summary", "--stream"], "clamdscan", timeout=settings.timeout_seconds)
        if want == "clamdscan":
            return Scanner(missing="未找到可用的 clamdscan（clamd 守护进程无应答）")
    exe = shutil.which("clamscan")
    if not exe:
        return Scanner(missing="本机未安装病毒扫描程序 ClamAV（clamscan）")
    db = settings.database or DEFAULT_DATABASE
    if not _has_database(db):
        return Scanner(missing=f"ClamAV 没有病毒库（{db} 中无病毒特征文件；请运行 freshclam 或在配置 virus 的 database 中"
                               "指定病毒库）")
    mb = max(1, min(int(settings.max_file_mb), 4000))
    argv = [exe, "--no-summary", "--stdout", "--follow-file-symlinks=1", "--alert-exceeds-max=yes",
            f"--max-filesize={mb}M", f"--max-scansize={mb}M"]
    if settings.database is not None:
        argv.append(f"--database={db}")
    return Scanner(argv, "clamscan", timeout=settings.timeout_seconds)


def not_run_line(sc: Scanner) -> str:
    """What a report says when nothing was scanned: the check did not run (never that it passed)."""
    return f"病毒检测未进行：{sc.missing}。请用本单位的杀毒软件检查"


def scan_files(settings: VirusSettings, paths: list[Path]) -> tuple[Scanner, list[Verdict] | None]:
    """The scanner and a verdict per path, or None when no scanner can run (``Scanner.missing`` says why)."""
    sc = scanner(settings)
    if not sc.available:
        return sc, None
    return sc, sc.scan(list(paths))


# the scanner of a session (an ingest batch, a watcher, the web page's writer), found once: finding it looks up
# PATH, lists the database folder and pings clamd, which is not to be paid for every file
_of_session: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_session_lock = threading.Lock()  # a batch's reading threads (extract/readahead.py) ask at once: found once


def session_scanner(session, settings: VirusSettings) -> Scanner:
    """The scanner found once for ``session`` (any object living as long as the batch or the watch), or found
    now. One that is missing, or whose last run failed, is looked for again: a daemon restarted or ClamAV
    installed meanwhile is used from the next file on (the file that met the failure has already failed)."""
    with _session_lock:
        sc = _of_session.get(session)
        if sc is None or not sc.available or sc.settings is not settings:
            sc = scanner(settings)
            sc.settings = settings
            _of_session[session] = sc
        return sc


def refusal_at_ingest(settings: VirusSettings, path: Path, name: str, session=None) -> str | None:
    """[virus] at_ingest: the one line why ``path`` is not taken in (infected, not scanned whole, the scanner
    failed or is missing: the switch asks for a scan, so no scan is no entry), or None when it may go on.
    ``session``: the scanner is found once for it (``session_scanner``), not for each file."""
    if not settings.at_ingest:
        return None
    sc = session_scanner(session, settings) if session is not None else scanner(settings)
    if not sc.available:
        return f"入库前须做病毒检测（配置中 virus 的 at_ingest = true），但{sc.missing}，文件 {name} 未入库"
    verdict = sc.scan([path])[0]
    if verdict.kind == "error" and session is not None:
        with _session_lock:
            if _of_session.get(session) is sc:  # (another thread may have found a new one meanwhile)
                _of_session.pop(session, None)  # found again for the next file; this one fails closed
    return None if verdict.kind == "clean" else verdict.line(name)
