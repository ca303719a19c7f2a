"""The file store: immutable, content-addressed copies of every kept document.

A file is copied under a temporary name, fsynced, its SHA-256 checked against the one computed while
copying, then renamed into place (files/ab/abcdef….pdf) and made read-only. The name is the checksum,
so the same content is never stored twice and a stored file can be verified by its own name.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from archive.errors import StoreError
from archive.faults import fault

CHUNK = 1 << 20
EXTENSIONS = {"pdf": ".pdf", "docx": ".docx", "ofd": ".ofd", "text": ".txt", "image": ""}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileStore:
    def __init__(self, root: Path):
        self.root = root
        self.files = root / "files"
        self.tmp = root / "tmp"

    def init(self) -> None:
        self.files.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def relpath(self, sha256: str, media_type: str) -> str:
        return f"files/{sha256[:2]}/{sha256}{EXTENSIONS.get(media_type, '')}"

    def abspath(self, rel: str) -> Path:
        return self.root / rel

    def put(self, src: Path, sha256: str, media_type: str, sync: bool = True) -> str:
        """Copy ``src`` into the store atomically; returns the relative path. Idempotent.

        ``sync=False``: the caller calls ``sync`` on the copies before any record refers to them (a batch pays
        for one round of flushes instead of one per file)."""
        rel = self.relpath(sha256, media_type)
        dest = self.root / rel
        if dest.exists() and sha256_file(dest) == sha256:
            return rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.tmp / f"{sha256}.{os.getpid()}.part"
        h = hashlib.sha256()
        try:
            with open(src, "rb") as fin, open(tmp, "wb") as fout:
                for chunk in iter(lambda: fin.read(CHUNK), b""):
                    h.update(chunk)
                    fout.write(chunk)
                    fout.flush()
                    fault("copying")  # a half-written temporary copy
                fout.flush()
                if sync:
                    os.fsync(fout.fileno())
            if h.hexdigest() != sha256:
                raise StoreError(f"文件 {src} 在复制过程中发生变化（校验值不符），请稍后重试")
            os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            os.replace(tmp, dest)
            if sync:
                _fsync_dir(dest.parent)
        except OSError as e:
            raise StoreError(f"无法把 {src} 存入档案库 {self.root}：{e.strerror}（请检查磁盘空间和权限）") from e
        finally:
            if tmp.exists():
                tmp.unlink()
        return rel

    def sync(self, rels: list[str]) -> None:
        """Make copies stored with ``put(sync=False)`` durable: each file, then each folder once."""
        try:
            for rel in rels:
                fd = os.open(self.root / rel, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            for folder in sorted({(self.root / rel).parent for rel in rels}):
                _fsync_dir(folder)
        except OSError as e:
            raise StoreError(f"无法写入档案库 {self.root}：{e.strerror}（请检查磁盘空间和权限）") from e

    def stored_files(self) -> set[str]:
        return {p.relative_to(self.root).as_posix() for p in self.files.glob("*/*") if p.is_file()}

    def remove(self, rel: str) -> None:
        """Only for rolling back a copy that no catalog record references (reconcile)."""
        p = self.root / rel
        if p.exists():
            os.chmod(p, stat.S_IRUSR | stat.S_IWUSR)
            p.unlink()

    def clean_tmp(self) -> int:
        n = 0
        for p in self.tmp.glob("*.part"):
            p.unlink()
            n += 1
        return n
