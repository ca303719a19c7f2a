""".doc, .wps and .rtf: converted to DOCX by LibreOffice in headless mode, then read as a DOCX (``docx.py``).

Runs inside the extraction worker. LibreOffice is started as ``soffice.bin`` directly (not the ``soffice``
shell script and its ``oosplash`` launcher, which would leave soffice.bin behind when killed), in its own
session, with:

* its own user profile per worker process (``-env:UserInstallation``), so that two workers, or a clerk's
  own LibreOffice, never share one (a shared profile makes the second instance hand its work to the first);
  within one process (the web page's threads: 归档章 copies of DOCX records asked at once) conversions queue
  for that profile, one at a time (issue 23: half of concurrent 归档章 requests failed);
* its own resource limits: address space (it reserves far more than it uses, more than the worker may),
  CPU time, and death with the worker (PR_SET_PDEATHSIG);
* a wall-clock timeout, after which its process group is killed.

Without LibreOffice the file fails with a reason that says what to install (Debian ``libreoffice-writer-nogui``).

What LibreOffice opens: Word 97–2003 .doc; a .wps from WPS Office (WPS 文字 2005 and later write the Word
binary format, an OLE file with a ``WordDocument`` stream, under the .wps name); Microsoft Works .wps (libwps);
RTF. The WPS 文字 formats of the DOS era and WPS 97/2000 (``.wps`` before 2005) are not read by LibreOffice:
they fail with the advice to save them again from WPS as .doc/.docx or PDF.
"""

from __future__ import annotations

import atexit
import ctypes
import hashlib
import os
import resource
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from archive.errors import ExtractionError
from archive.extract import fail
from archive.models import Extracted

__all__ = ["extract_office", "soffice_program", "convert", "rendered_pages", "CONVERT_TIMEOUT"]

CONVERT_TIMEOUT = 120.0  # seconds of wall clock for one conversion
CONVERT_CPU = 120  # seconds of CPU for one conversion
CONVERT_ADDRESS_SPACE_MB = 4096  # LibreOffice maps much more than it touches
_KIND = {"doc": "Word/WPS 文档", "rtf": "RTF 文档"}
_PROFILE: Path | None = None
_PROFILE_IN_USE = threading.Lock()  # one LibreOffice at a time on this process's profile
# One ingest of a .doc asks LibreOffice three times for the same bytes: the text (DOCX), the 页数 (PDF layout)
# and the 涉密 gate (DOCX again, in the main process). The DOCX is kept for the gate, keyed by the sha256 of the
# bytes converted and the target, in a 0700 folder of this user, taken (removed) by the reader that uses it, else
# pruned after CACHE_TTL seconds or when the process that wrote it ends. Never a source of truth: a missing or
# unreadable entry is converted again.
CACHE_TTL = 120.0
_CACHE_MAX_BYTES = 64 * 1024 * 1024  # a larger result is not kept
_CACHE_MADE: list[Path] = []  # entries this process wrote, removed at exit


def soffice_program() -> Path | None:
    """The ``soffice.bin`` of the LibreOffice whose ``soffice`` is on the PATH, or None."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            program = Path(os.path.realpath(found)).parent
            binary = program / "soffice.bin"
            if binary.exists():
                return binary
    return None


def _profile() -> Path:
    """This process's own LibreOffice user profile (created on first use, removed at exit)."""
    global _PROFILE
    if _PROFILE is None:
        base = Path(tempfile.gettempdir())
        for old in base.glob(f"archive-soffice-{os.getuid()}-*"):  # left by workers that were killed
            try:
                os.kill(int(old.name.rsplit("-", 1)[1]), 0)
            except ProcessLookupError:
                shutil.rmtree(old, ignore_errors=True)
            except (ValueError, PermissionError):
                pass
        _PROFILE = base / f"archive-soffice-{os.getuid()}-{os.getpid()}"
        shutil.rmtree(_PROFILE, ignore_errors=True)
        _PROFILE.mkdir(mode=0o700)
        atexit.register(shutil.rmtree, _PROFILE, True)
    return _PROFILE


def _limits() -> None:  # runs in the LibreOffice child, before exec
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the worker
    except (OSError, AttributeError):
        pass
    space = CONVERT_ADDRESS_SPACE_MB * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (space if hard == resource.RLIM_INFINITY else min(space, hard), hard))
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (CONVERT_CPU if hard == resource.RLIM_INFINITY
                                             else min(CONVERT_CPU, hard), hard))


def _run(binary: Path, src: Path, outdir: Path, target: str = "docx:MS Word 2007 XML") -> tuple[int | None, str]:
    profile = _profile()
    cmd = [str(binary), "--headless", "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
           f"-env:UserInstallation={profile.as_uri()}", "--convert-to", target,
           "--outdir", str(outdir), str(src)]
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["HOME"] = str(profile)  # nothing of the clerk's own LibreOffice settings
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=env, cwd=str(outdir), start_new_session=True, preexec_fn=_limits)
    try:
        out, _ = proc.communicate(timeout=CONVERT_TIMEOUT)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.communicate()
        return None, ""
    return proc.returncode, (out or b"").decode("utf-8", "replace")


def convert(binary: Path, src: Path, outdir: Path, target: str) -> tuple[int | None, str]:
    """One conversion of ``src`` into ``outdir`` (``target`` as for ``--convert-to``), in this process's own
    profile, limits and timeout; returns (exit code or None on timeout, LibreOffice's output). Also used
    for the PDF rendition of a DOCX record that gets the 归档章 (archive/export/rendition.py)."""
    rc, log = None, ""
    with _PROFILE_IN_USE:  # threads of one process queue: a second instance on the profile fails
        for _ in range(2):  # 81: LibreOffice made its new profile and asks to be started again
            rc, log = _run(binary, src, outdir, target)
            if rc != 81:
                break
    return rc, log


@dataclass
class Conversion:
    """What one conversion left: LibreOffice's exit code (None on timeout), its output, the converted file
    (absent or empty when it failed) and the last line of its output, for a message."""
    rc: int | None
    log: str
    result: Path
    cached: bool = False  # taken from the conversion cache, LibreOffice not run

    @property
    def made(self) -> bool:
        return self.result.exists() and self.result.stat().st_size > 0

    @property
    def tail(self) -> str:
        return " ".join(self.log.strip().splitlines()[-1:])[:200]


def _cache_dir() -> Path | None:
    """The conversion cache's folder, or None when it is not ours alone (another owner, a link, open modes)."""
    base = Path(tempfile.gettempdir()) / f"archive-convcache-{os.getuid()}"
    try:
        base.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        st = os.lstat(base)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        return None
    return base


def _cache_key(src: Path, target: str) -> str:
    h = hashlib.sha256()
    with open(src, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return f"{h.hexdigest()}-{hashlib.sha256(target.encode()).hexdigest()[:16]}"


def _prune(folder: Path) -> None:
    now = time.time()
    for entry in folder.iterdir():
        try:
            if now - entry.lstat().st_mtime > CACHE_TTL:
                entry.unlink()
        except OSError:
            pass


def _cache_get(key: str, dest: Path) -> bool:
    folder = _cache_dir()
    if folder is None:
        return False
    _prune(folder)
    entry = folder / key
    try:
        st = os.lstat(entry)
        if not stat.S_ISREG(st.st_mode) or st.st_size == 0 or time.time() - st.st_mtime > CACHE_TTL:
            return False
        shutil.copyfile(entry, dest)
        entry.unlink()  # taken: the second reader is the last (the gate after the text); nothing lingers
        return True
    except OSError:
        return False


def _cache_put(key: str, result: Path) -> None:
    folder = _cache_dir()
    if folder is None or result.stat().st_size > _CACHE_MAX_BYTES:
        return
    tmp = folder / f".{key}.{os.getpid()}.{threading.get_ident()}"
    try:
        shutil.copyfile(result, tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, folder / key)  # whole or not at all: a reader never sees half a file
        if not _CACHE_MADE:
            atexit.register(_forget_made)
        _CACHE_MADE.append(folder / key)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass


def _forget_made() -> None:
    for entry in _CACHE_MADE:
        try:
            entry.unlink()
        except OSError:
            pass


@contextmanager
def converted(binary: Path, path: Path, suffix: str, target: str, out_suffix: str) -> Iterator[Conversion]:
    """Convert a copy of ``path`` (named ``input.<suffix>``: no shell or option surprises, the original never
    touched) in a private temporary folder, removed when the block ends. The same bytes converted to the same
    target within CACHE_TTL (by this or another process of this user) are not converted again."""
    with tempfile.TemporaryDirectory(prefix="archive-office-") as tmp:
        tmp = Path(tmp)
        src = tmp / f"input.{suffix}"
        shutil.copyfile(path, src)
        out = tmp / "out"
        out.mkdir()
        result = out / f"input.{out_suffix}"
        # only the DOCX of a .doc has a second reader in one ingest (the 涉密 gate); a PDF layout has none
        key = _cache_key(src, target) if target.startswith("docx") else None
        if key and _cache_get(key, result):
            yield Conversion(0, "", result, cached=True)
            return
        rc, log = convert(binary, src, out, target)
        c = Conversion(rc, log, result)
        if key and rc == 0 and c.made:
            _cache_put(key, result)
        yield c


def extract_office(path) -> Extracted:
    """Convert with LibreOffice, read the DOCX; the media type stays what the file is (``doc``/``rtf``)."""
    from archive.extract.detect import detect_type
    from archive.extract.docx import extract_docx

    path = Path(path)
    kind = detect_type(path)
    what = _KIND.get(kind, "文档")
    binary = soffice_program()
    if binary is None:
        raise fail(path, f"{what}需要 LibreOffice 转换才能读取，但本机未安装 LibreOffice",
                   "请安装 LibreOffice（Debian/Ubuntu：sudo apt-get install libreoffice-writer-nogui）后重新放入，"
                   "或另存为 DOCX 或 PDF")
    with converted(binary, path, "rtf" if kind == "rtf" else "doc", "docx:MS Word 2007 XML", "docx") as c:
        docx = c.result
        if c.rc is None:
            raise fail(path, f"LibreOffice 转换{what}超时（超过 {CONVERT_TIMEOUT:g} 秒），已终止",
                       "请检查文件是否损坏，或用 WPS/Word 另存为 DOCX 或 PDF 后再试")
        if not c.made:
            raise fail(path, f"LibreOffice 无法打开该{what}（退出码 {c.rc}{'：' + c.tail if c.tail else ''}）",
                       "可能是损坏的文件或 LibreOffice 不支持的旧版 WPS 格式；请用 WPS/Word 另存为 DOCX 或 PDF 后再试")
        try:
            ex = extract_docx(docx)
        except ExtractionError as e:  # name the clerk's file, not our temporary copy
            raise type(e)(str(e).replace(str(docx), str(path))) from e
    return Extracted(media_type=kind, text=ex.text, pages=ex.pages, page_texts=ex.page_texts,
                     method="text-layer", warnings=list(ex.warnings))  # the text the file holds, via DOCX


# ---- the page count of a word-processing file, from a rendering ---------------------------------------------
RENDER_FORMATS = {"docx": "docx", "doc": "doc", "rtf": "rtf"}  # detect_type kind -> the name's suffix


def rendered_pages(path, kind: str = "docx") -> tuple[int | None, str]:
    """(pages of ``path`` laid out by LibreOffice as a PDF, "") or (None, why not, Chinese).

    A DOCX's own page count (docProps/app.xml) is whatever the program that saved it last wrote, and
    generators write 1; only a layout says how many pages the 公文 has. LibreOffice lays it out with the
    fonts installed here: the 公文 fonts (仿宋_GB2312, 方正小标宋, 宋体, 黑体, 楷体) are replaced through fontconfig
    by an installed CJK font, every one of which sets a Han character one em wide, so lines break where they
    do in the original; line heights of 'single' spacing may differ (docs/domain.md, 页数)."""
    binary = soffice_program()
    if binary is None:
        return None, "本机未安装 LibreOffice，无法排版计页"
    suffix = RENDER_FORMATS.get(kind, kind)
    with converted(binary, Path(path), suffix, "pdf:writer_pdf_Export", "pdf") as c:
        if c.rc is None:
            return None, f"排版计页超时（超过 {CONVERT_TIMEOUT:g} 秒）"
        if not c.made:
            return None, f"LibreOffice 无法排版该文件（退出码 {c.rc}）"
        import pypdfium2 as pdfium

        try:
            pdf = pdfium.PdfDocument(str(c.result))
        except pdfium.PdfiumError as e:
            return None, f"排版结果无法读取（{e}）"
        try:
            return len(pdf), ""
        finally:
            pdf.close()
