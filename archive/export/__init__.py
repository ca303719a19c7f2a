"""Archivists' outputs: 归档文件目录 (catalogue.py), 归档章 (stamp.py), transfer packages (package.py)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archive.errors import ExportError


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Write an export to a hidden temporary name beside it (``.FILE.<random>.part``, created here, so
    never a user's own ``FILE.part``), then rename it: a reader never sees half a file, a failure leaves none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        os.close(fd)
    except OSError as e:
        raise ExportError(f"无法写入 {path}：{e.strerror}（请检查文件夹和权限）") from e
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp made it private; an export is for sharing
        tmp.replace(path)
    except OSError as e:
        raise ExportError(f"无法写入 {path}：{e.strerror}（请检查文件夹和权限，或文件是否被其他程序打开）") from e
    finally:
        if tmp.exists():
            tmp.unlink()
