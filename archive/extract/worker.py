"""Isolated extraction: ``extract(path)`` runs in a child process with CPU, memory and time limits.

A hostile file (a PDF that sends pypdf into a loop, a zip bomb, a huge stream) must fail that one
file with a reason, never hang or kill the watcher. The worker is a persistent child
(``python -m archive.extract.worker``) reused file after file, so a batch pays for one interpreter,
and replaced after any failure. In the child: RLIMIT_AS (memory) once, RLIMIT_CPU re-armed before each
file (the limit counts the child's whole life), death with its parent (PR_SET_PDEATHSIG). In the
parent: a wall-clock timeout. The child runs in its own session so that a kill on timeout also ends
the programs it started (OCR's tesseract, whose CPU time RLIMIT_CPU does not see).

RapidOCR (ONNX Runtime) runs inside the child: its models are loaded once per child, and it needs about
1.5 GB of address space, so when a child first loads them its RLIMIT_AS grows by OCR_ADDRESS_SPACE_MB
(``archive.extract.ocr.limits``: the rlimit helpers OCR calls from inside the child; the worker imports them,
OCR never imports the worker), which the engine's own arenas then largely hold: what a file may use stays
about ``memory_mb``.
The limit is set as a soft limit only, so that LibreOffice (``office.py``), which reserves far more address
space than it uses, can be given its own limits in its own child. A page whose OCR overran its timeout
leaves its thread running: the child replies, then exits, and the next file gets a fresh child.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import pickle
import resource
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from archive.errors import ExtractionError, ExtractionLimitError
from archive.faults import fault
from archive.models import Extracted

__all__ = ["Limits", "ExtractWorker"]

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Limits:
    """Per-file extraction limits ([limits] in config.toml)."""

    timeout_seconds: float = 1200.0  # wall clock: generous, an OCR of a long scan takes minutes
    cpu_seconds: int = 180  # the worker's own CPU time: stops a parser stuck in a loop
    memory_mb: int = 1024  # address space of the worker
    max_file_mb: int = 1024  # a bigger file is not read at all
    max_text_chars: int = 500_000  # characters of extracted text kept, the rest dropped with a warning


class ExtractWorker:
    """The parent's handle on one persistent extraction child."""

    def __init__(self, limits: Limits = Limits(), tag: str = "", ocr=None):
        self.limits = limits
        self.ocr = ocr  # OcrSettings, passed with each file (OCR runs tesseract as the worker's children)
        self.tag = tag  # shown in ps: which archive this worker belongs to
        self._proc: subprocess.Popen | None = None
        self.cancel = None  # a threading.Event (a watcher's stop request): ends the wait for a reply

    # ---- lifecycle -----------------------------------------------------------------------
    def _start(self) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "archive.extract.worker", str(self.limits.cpu_seconds),
               str(self.limits.memory_mb)] + ([self.tag] if self.tag else [])
        root = str(Path(__file__).resolve().parent.parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                      start_new_session=True)
        return self._proc

    def close(self) -> None:
        """Stop the child (and anything it started)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self._kill(proc)
        finally:
            proc.stdout.close()

    def __del__(self):  # an Archive dropped without close() must not leave an idle worker behind
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    @staticmethod
    def _kill(proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()

    def _discard(self) -> int:
        """Kill the current child after a failure; returns its exit status."""
        proc, self._proc = self._proc, None
        if proc is None:
            return 0
        if proc.poll() is None:
            try:
                proc.wait(timeout=2)  # it may be exiting on its own (memory error, fault)
            except subprocess.TimeoutExpired:
                pass
        self._kill(proc)
        for f in (proc.stdin, proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        return proc.returncode

    def warm(self) -> None:
        """Start the child now and have it load the OCR engine, without waiting for it: the first scan (a web
        upload) then finds the engine loaded. The child sends no reply to this request; a file sent meanwhile
        waits in the pipe until the engine is loaded. Call it from the thread that will extract (the child
        dies with the thread that started it)."""
        if self.ocr is None:
            return
        proc = self._proc if self._proc is not None and self._proc.poll() is None else self._start()
        try:
            pickle.dump((None, self.ocr), proc.stdin)
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._discard()  # the next file starts a fresh child

    # ---- one file ------------------------------------------------------------------------
    def extract(self, path) -> Extracted:
        """Extract ``path`` in the child; raises ExtractionError (ExtractionLimitError past a limit)."""
        path = Path(path)
        return cap_text(self._ask(str(path), path), self.limits.max_text_chars)

    def ocr_pages(self, path, numbers: list[int]) -> list:
        """OCR the given 1-based pages of a PDF in the child, one after the other (the child is a page helper
        of an extraction worker reading a long scan in several processes): a list of OcrPage; raises as
        ``extract``."""
        path = Path(path)
        return self._ask(("pages", str(path), list(numbers)), path)

    def _ask(self, request, path: Path):
        """Send one request to the child and return what it read; raises ExtractionError."""
        for attempt in (1, 2):
            proc = self._proc if self._proc is not None and self._proc.poll() is None else self._start()
            try:
                pickle.dump((request, self.ocr), proc.stdin)
                proc.stdin.flush()
                break
            except (BrokenPipeError, OSError):
                self._discard()  # died between files: start a fresh one, once
                if attempt == 2:
                    raise ExtractionLimitError(f"提取进程异常退出：{path}（无法启动提取进程）。请检查系统资源后重试")
        fault("extracting")
        ready = self._wait_reply(proc)
        if not ready:
            self._discard()
            raise ExtractionLimitError(
                f"提取超时（{self.limits.timeout_seconds:g} 秒）：{path} 读取时间过长，已终止。"
                "请检查文件是否损坏；如确需处理，请调大 config.toml [limits] extract_timeout_seconds")
        try:
            reply = pickle.load(proc.stdout)
        except (EOFError, pickle.UnpicklingError, OSError):
            reply = None
        if reply is None or reply[0] == "memory":
            status = self._discard()
            raise self._died(path, status, memory=reply is not None)
        kind = reply[0]
        if len(reply) > 1 and reply[-1] == "restart":  # the child exits after this reply (a stuck OCR call)
            self._discard()
            reply = reply[:-1]
        if kind == "ok":
            return reply[1]
        if kind == "error":  # an ExtractionError (or subclass) raised in the child
            _, cls, message, state = reply
            exc = cls.__new__(cls)
            Exception.__init__(exc, message)
            exc.__dict__.update(state)
            raise exc
        raise ExtractionError(f"读取文件时出错（{reply[1]}）")  # a library bug on a hostile file

    def _wait_reply(self, proc: subprocess.Popen) -> bool:
        """Wait for the child's reply up to the wall-clock limit; a stop request (``cancel``) ends the
        wait within half a second: the child is killed and StopRequested raised (the file is not failed)."""
        if self.cancel is None:
            return bool(select.select([proc.stdout], [], [], self.limits.timeout_seconds)[0])
        deadline = time.monotonic() + self.limits.timeout_seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if select.select([proc.stdout], [], [], min(0.5, left))[0]:
                return True
            if self.cancel.is_set():
                self._discard()
                from archive.errors import StopRequested
                raise StopRequested("收到停止请求：已中止正在进行的文本提取，文件留在收件箱中")

    def _died(self, path: Path, status: int, memory: bool) -> ExtractionLimitError:
        lim = self.limits
        if memory:
            return ExtractionLimitError(
                f"提取时内存超过 {lim.memory_mb} MB：{path} 可能是恶意或损坏的文件，已终止。"
                "请核实文件来源；如确需处理，请调大 config.toml [limits] extract_memory_mb")
        if status == -signal.SIGXCPU:
            return ExtractionLimitError(
                f"提取超时（CPU {lim.cpu_seconds} 秒）：{path} 读取耗用的计算时间过长，可能是损坏或恶意的文件，已终止。"
                "如确需处理，请调大 config.toml [limits] extract_cpu_seconds")
        how = f"信号 {signal.Signals(-status).name}" if status < 0 else f"退出码 {status}"
        return ExtractionLimitError(f"提取进程异常退出：{path}（{how}）。请检查文件能否正常打开；"
                                    "如反复出现，请将该文件交技术人员分析")


# ---- several processes reading one scan's pages ------------------------------------------------------
class PageHelpers:
    """In the extraction child: the pages of one scanned PDF read at once by this process and by helper
    processes ([ocr] workers in all, at most one a page). A helper is a child of this child, started as an
    extraction worker with the same limits (CPU re-armed per page, the same address space, the same page
    timeout), started by the first long scan (not by warm(): a server that never sees one holds one engine) and
    kept for the next file; it dies with this process (PR_SET_PDEATHSIG, tied to the thread that
    started it: each helper belongs to one long-lived thread here). The pages come back in page order, cut after
    the first page ``stop`` accepts, as one process reading them in turn gives them. A helper that dies or
    overruns its time fails the whole file (fail closed: nothing of a file read in part is filed)."""

    def __init__(self, cpu_seconds: int, memory_mb: int):
        self.limits = Limits(cpu_seconds=cpu_seconds, memory_mb=memory_mb)
        self._pool = None  # ThreadPoolExecutor: one thread for each helper, alive as long as this process
        self._local = threading.local()
        self._helpers: list[ExtractWorker] = []

    def close(self) -> None:
        """End the helpers and wait for them (their CPU time is then counted as this process's children's)."""
        for h in list(self._helpers):
            h.close()
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def _pool_of(self, helpers: int) -> None:
        if self._pool is None or self._pool._max_workers < helpers:
            from concurrent.futures import ThreadPoolExecutor

            # a bigger pool replaces a smaller one; the old threads' helpers end with their threads
            if self._pool is not None:
                self._pool.shutdown(wait=False)
            self._pool = ThreadPoolExecutor(max_workers=helpers, thread_name_prefix="ocr-pages")

    def _helper(self, settings) -> "ExtractWorker":
        h = getattr(self._local, "helper", None)
        if h is None:
            h = self._local.helper = ExtractWorker(self.limits, tag="ocr-pages")
            self._helpers.append(h)
        h.ocr = dataclasses.replace(settings, workers=1)  # a helper reads its pages itself
        # a page past its own timeout is given up inside the helper; this wait is for a helper that hangs
        h.limits = dataclasses.replace(self.limits, timeout_seconds=3 * settings.page_timeout + 60)
        return h

    def __call__(self, path: Path, numbers: list[int], settings, stop=None) -> list:
        from archive.extract.ocr.pages import read_pdf_pages

        helpers = min(settings.worker_count(), len(numbers)) - 1
        self._pool_of(helpers)
        todo = list(numbers)
        order = {n: i for i, n in enumerate(numbers)}
        lock = threading.Lock()
        read: dict[int, object] = {}
        failed: list[BaseException] = []

        def take():
            with lock:
                return todo.pop(0) if todo and not failed else None

        def run(reader):
            while (n := take()) is not None:
                try:
                    got = reader(n)
                except BaseException as e:  # noqa: BLE001 - the file fails, in the caller's thread
                    with lock:
                        failed.append(e)
                    return
                with lock:
                    for page in got:
                        read[page.number] = page
                        if stop is not None and stop(page):  # the pages after it are not needed
                            todo[:] = [m for m in todo if order[m] < order[page.number]]

        futures = [self._pool.submit(run, lambda n: self._helper(settings).ocr_pages(path, [n]))
                   for _ in range(helpers)]
        run(lambda n: read_pdf_pages(path, [n], settings))
        for f in futures:
            f.result()
        if failed:
            raise failed[0]
        out = []
        for n in numbers:  # page order; after the first page that stops the reading, nothing
            page = read.get(n)
            if page is None:
                break
            out.append(page)
            if stop is not None and stop(page):
                break
        return out


# ---- the child -------------------------------------------------------------------------------
def cap_text(ex, limit: int):
    """Keep ``limit`` characters of the text: the beginning and the last part (a 公文's 署名, 成文日期 and 版记
    stand at its end), with a warning on the record. One 20 MB text file must not cost the main process
    gigabytes and minutes in parsing and indexing. Page texts keep their beginning."""
    total = len(ex.text)
    if limit <= 0 or total <= limit:
        return ex
    tail = min(limit // 10, 5000)
    head = limit - tail - 1
    ex.text = ex.text[:head] + "\n" + ex.text[total - tail:]
    if ex.page_texts:
        kept, room = [], head
        for t in ex.page_texts:
            kept.append(t[:room])
            room = max(0, room - len(t))
        ex.page_texts = kept
    ex.warnings = list(ex.warnings) + [
        f"提取的文字过长（{total} 个字符）：只保留开头和结尾共 {limit} 个字符用于识别和全文检索，原文件完整保存。"
        "如需全部检索，请调大 config.toml [limits] max_text_chars"]
    return ex


def _child(cpu_seconds: int, memory_mb: int) -> None:
    from archive.extract.ocr import limits

    limits.enter_worker(cpu_seconds)  # OCR re-arms the CPU limit per page and grows the memory limit once
    # die with the parent: a killed ingest must not leave a worker behind. (Linux ties this to the
    # parent *thread*; a worker outliving a finished watcher thread is simply started again.)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:
        return
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library's print() must not corrupt the replies
    requests = sys.stdin.buffer
    # import the readers before the memory limit, so the limit is what a file may use
    import archive.extract as ex
    import archive.extract.detect  # noqa: F401
    import archive.extract.docx  # noqa: F401
    import archive.extract.ocr  # noqa: F401
    import archive.extract.html  # noqa: F401
    import archive.extract.ofd  # noqa: F401
    import archive.extract.office  # noqa: F401
    import archive.extract.pdf  # noqa: F401
    import archive.extract.text  # noqa: F401

    limit = memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))  # soft: office.py gives soffice its own
    archive.extract.ocr.pages.PARALLEL = PageHelpers(cpu_seconds, memory_mb)  # a long scan's pages at once
    while True:
        try:
            path, ocr = pickle.load(requests)
        except EOFError:
            archive.extract.ocr.pages.PARALLEL.close()
            return
        limits.arm_cpu(cpu_seconds)
        if path is None:  # warm(): load the OCR engine now; no reply
            try:
                archive.extract.ocr.engines.preload(ocr)
            except Exception:  # noqa: BLE001 - the first scan loads it again and reports what fails
                pass
            continue
        fault("worker")
        try:
            if isinstance(path, tuple):  # ("pages", pdf, numbers): a page helper of another worker
                reply = ("ok", archive.extract.ocr.pages.read_pdf_pages(path[1], path[2], ocr))
            else:
                reply = ("ok", ex.extract(path, ocr=ocr))
        except MemoryError:
            reply = ("memory",)
        except ExtractionError as e:
            reply = ("error", type(e), str(e), dict(e.__dict__))
        except Exception as e:  # noqa: BLE001 - reported as the file's failure
            reply = ("exception", f"{type(e).__name__}: {e}")
        stuck = archive.extract.ocr.STUCK.is_set()
        if stuck:
            reply = (*reply, "restart")
        try:
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            data = pickle.dumps(("memory",))
        replies.write(data)
        replies.flush()
        if stuck:
            os._exit(0)  # the stuck OCR thread cannot be joined
        if reply[0] == "memory":
            return  # a fresh worker for the next file


if __name__ == "__main__":
    _child(int(sys.argv[1]), int(sys.argv[2]))
