"""The file store: immutable, content-addressed copies of every kept document.

A file is copied under a temporary name, fsynced, its SHA-256 checked against the one computed while
copying, then renamed into place (files/ab/abcdef….pdf) and made read-only. The name is the checksum,
so the same content is never stored twice and a stored file can be verified by its own name.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

from archive.atomic import atomic_file, fsync
from archive.errors import StoreError
from archive.faults import fault

CHUNK = 1 << 20
EXTENSIONS = {"pdf": ".pdf", "docx": ".docx", "ofd": ".ofd", "text": ".txt", "image": "",
              "doc": ".doc", "rtf": ".rtf", "html": ".html", "mht": ".mht"}


def open_regular(path) -> int:
    """A read-only descriptor on ``path`` if it is a regular file. O_NONBLOCK: opening a FIFO must not
    wait for a writer (it would block a watcher forever); a FIFO, device or socket is refused after
    open, before a single byte is read."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "不是普通文件（管道、设备或套接字），未读取", str(path))
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with os.fdopen(open_regular(path), "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


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
        self.tmp.mkdir(parents=True, exist_ok=True)
        h = hashlib.sha256()
        # a temporary unique per attempt in store/tmp (two processes storing one content never share it),
        # read-only once in place
        with atomic_file(dest, error=StoreError, tmp_dir=self.tmp, mode=stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH,
                         sync=sync, message=f"无法把 {src} 存入档案库 {self.root}：{{reason}}（请检查磁盘空间和权限）") as tmp:
            with os.fdopen(open_regular(src), "rb") as fin, open(tmp, "wb") as fout:
                for chunk in iter(lambda: fin.read(CHUNK), b""):
                    h.update(chunk)
                    fout.write(chunk)
                    fout.flush()
                    fault("copying")  # a half-written temporary copy
            if h.hexdigest() != sha256:
                raise StoreError(f"文件 {src} 在复制过程中发生变化（校验值不符），请稍后重试")
        return rel

    def sync(self, rels: list[str]) -> None:
        """Make copies stored with ``put(sync=False)`` durable: each file, then each folder once."""
        try:
            for rel in rels:
                fsync(self.root / rel)
            for folder in sorted({(self.root / rel).parent for rel in rels}):
                fsync(folder)
        except OSError as e:
            raise StoreError(f"无法写入档案库 {self.root}：{e.strerror}（请检查磁盘空间和权限）") from e

    def stored_files(self) -> set[str]:
        if not self.files.is_dir():
            return set()
        return {p.relative_to(self.root).as_posix() for p in self.files.glob("*/*") if p.is_file()}

    def has_files(self) -> bool:
        """Whether anything is stored (stops at the first file: cheap on a store of a million)."""
        if not self.files.is_dir():
            return False
        with os.scandir(self.files) as subs:
            for sub in subs:
                if sub.is_dir(follow_symlinks=False):
                    with os.scandir(sub.path) as it:
                        if any(e.is_file(follow_symlinks=False) for e in it):
                            return True
        return False

    def remove(self, rel: str) -> None:
        """Only for rolling back a copy that no catalog record references (reconcile)."""
        p = self.root / rel
        if p.exists():
            os.chmod(p, stat.S_IRUSR | stat.S_IWUSR)
            p.unlink()

    def clean_tmp(self) -> int:
        """Temporary copies in store/tmp (a folder only this program writes to) left by a crash. Call
        under the write lock: a copy in progress holds it."""
        n = 0
        if not self.tmp.is_dir():
            return 0
        for p in list(self.tmp.glob("*.part")) + list(self.tmp.glob(".*.part")):
            if p.is_file() and not p.is_symlink():
                p.unlink()
                n += 1
        return n
