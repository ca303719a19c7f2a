"""Archivists' outputs: 归档文件目录 (catalogue.py), 归档章 (stamp.py), transfer packages (package.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archive.atomic import atomic_file
from archive.errors import ExportError


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Write an export whole or not at all (archive.atomic): a reader never sees half a file, a failure
    leaves none."""
    with atomic_file(path, error=ExportError,
                     message="无法写入 {path}：{reason}（请检查文件夹和权限，或文件是否被其他程序打开）") as tmp:
        yield tmp
