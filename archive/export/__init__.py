"""Archivists' outputs: 归档文件目录 (catalogue.py), 归档章 (stamp.py), transfer packages (package.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archive.errors import ExportError


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Write an export to FILE.part, then rename it: a reader never sees half a file, a failure leaves none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    try:
        yield tmp
        tmp.replace(path)
    except OSError as e:
        raise ExportError(f"无法写入 {path}：{e.strerror}（请检查文件夹和权限，或文件是否被其他程序打开）") from e
    finally:
        if tmp.exists():
            tmp.unlink()
