"""Resource limits of the extraction worker that OCR needs to adjust from inside it.

The worker (archive.extract.worker) sets RLIMIT_CPU per file and RLIMIT_AS once. RapidOCR runs inside the
worker: its model needs OCR_ADDRESS_SPACE_MB more address space when first loaded (``ocr_headroom``), and a long
scan is many pages' worth of CPU, so each page gets the per-file CPU allowance again (``rearm_cpu``). Outside
the worker (``enter_worker`` not called) both do nothing. The worker imports this module; nothing here imports
the worker.
"""

from __future__ import annotations

import math
import resource

# extra address space for ONNX Runtime and the OCR models (measured: ~1.5 GB peak reading one A4 page)
OCR_ADDRESS_SPACE_MB = 1536

_CPU_LIMIT: int | None = None  # set in the worker: CPU seconds per file, and per OCR page (rearm_cpu)
_HEADROOM_GIVEN = False


def enter_worker(cpu_seconds: int) -> None:
    """Called once by the worker child: from now on ``rearm_cpu`` and ``ocr_headroom`` act."""
    global _CPU_LIMIT
    _CPU_LIMIT = cpu_seconds


def arm_cpu(limit: int) -> None:
    """Allow ``limit`` more CPU seconds from now (RLIMIT_CPU counts the process's whole life)."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    used = math.ceil(ru.ru_utime + ru.ru_stime)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + limit
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def ocr_headroom() -> None:
    """In the worker child, once: raise the address-space limit by OCR_ADDRESS_SPACE_MB before the OCR model
    is loaded. Outside the worker it does nothing."""
    global _HEADROOM_GIVEN
    if _CPU_LIMIT is None or _HEADROOM_GIVEN:
        return
    _HEADROOM_GIVEN = True
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        soft += OCR_ADDRESS_SPACE_MB * 1024 * 1024
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def rearm_cpu() -> None:
    """In the worker child: allow the per-file CPU time again from now. OCR calls it before each page, since
    RapidOCR runs inside the child (each page is also bounded by its own wall-clock timeout). Outside the
    worker it does nothing."""
    if _CPU_LIMIT is not None:
        arm_cpu(_CPU_LIMIT)
