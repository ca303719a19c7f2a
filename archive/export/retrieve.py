"""``archive open``: copies of a record's stored files under readable names with the right extension.

The store keeps a file as ``files/xx/<sha256>`` plus an extension from its media type — none for an
image. The copy is named after the 档号 (a pending record: ``记录<id>``), further files (document_files)
get ``-<seq>``, and the extension comes from the original filename when it fits the media type (.wps,
.jpg, .tif …), else from the media type, and for an image without a usable name from its first bytes.
Each copy is checked against the record's SHA-256 while it is made; the stored file is only read.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from archive.catalog import exports
from archive.errors import ExportError, StoreError
from archive.export import atomic_output
from archive.store import CHUNK, FileStore, open_regular

DEFAULT_SUFFIX = {"pdf": ".pdf", "docx": ".docx", "ofd": ".ofd", "text": ".txt", "doc": ".doc", "rtf": ".rtf",
                  "html": ".html", "mht": ".mht"}
FITTING = {"doc": {".doc", ".wps"}, "text": {".txt", ".csv", ".md"}, "html": {".html", ".htm"},
           "mht": {".mht", ".mhtml"}, "image": {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp"}}
_MAGIC = ((b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"II*\x00", ".tif"), (b"MM\x00*", ".tif"),
          (b"GIF87a", ".gif"), (b"GIF89a", ".gif"), (b"BM", ".bmp"))
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@dataclass
class StoredFile:
    """One file of a record: which (1 = the record's own), where in the store, how it arrived."""
    seq: int
    stored_path: str
    sha256: str
    filename: str | None
    media_type: str | None


@dataclass
class Given:
    source: StoredFile
    path: Path


def safe_name(name: str) -> str:
    """A file name any file system takes: no separators or control characters, not empty."""
    name = _UNSAFE.sub("-", name).strip(" .")
    return name or "文件"


def suffix_for(store: FileStore, f: StoredFile) -> str:
    kind = f.media_type or ""
    orig = Path(f.filename or "").suffix.lower()
    if orig and orig in FITTING.get(kind, {DEFAULT_SUFFIX.get(kind, "")}):
        return orig
    if kind == "image":
        with open(store.abspath(f.stored_path), "rb") as fh:
            head = fh.read(16)
        return next((s for magic, s in _MAGIC if head.startswith(magic)), orig or ".img")
    return DEFAULT_SUFFIX.get(kind, orig)


def files_of_record(conn: sqlite3.Connection, row) -> list[StoredFile]:
    """The record's own file and its further files (document_files), in order; destroyed ones are left out."""
    files = []
    if row["stored_path"]:
        files.append(StoredFile(1, row["stored_path"], row["sha256"], row["filename"], row["media_type"]))
    for r in exports.stored_further_files(conn, row["id"]):
        files.append(StoredFile(r["seq"], r["stored_path"], r["sha256"], r["filename"], r["media_type"]))
    return files


def plan(store: FileStore, conn: sqlite3.Connection, row, output: Path | None) -> list[Given]:
    """Where each file goes. ``output``: a folder (existing, or when the record has several files), or
    for a single file its name; default: the current folder."""
    ref = row["archival_code"] or f"记录 {row['id']}"
    files = files_of_record(conn, row)
    if not files:
        if row["status"] == "destroyed":
            raise ExportError(f"{ref} 已销毁，库中没有它的电子文件")
        raise ExportError(f"{ref} 没有电子文件（可能是按纸质目录导入的记录）")
    for f in files:
        if not store.abspath(f.stored_path).is_file():
            raise StoreError(f"库中找不到 {ref} 的电子文件 {f.stored_path}：请运行 archive verify 检查")
    stem = safe_name(row["archival_code"] or f"记录{row['id']}")
    names = [f"{stem}{'' if f.seq == 1 else f'-{f.seq}'}{suffix_for(store, f)}" for f in files]
    if output is None:
        folder = Path.cwd()
    elif output.is_dir() or len(files) > 1:
        folder = output
    else:
        if not output.suffix:
            output = output.with_name(output.name + Path(names[0]).suffix)
        return [Given(files[0], output)]
    return [Given(f, folder / n) for f, n in zip(files, names)]


def give_back(store: FileStore, conn: sqlite3.Connection, row, output: Path | None = None,
              force: bool = False) -> list[Given]:
    """Copy the record's files out of the store. Nothing is written when any target exists (without
    ``force``) or lies inside the store; a copy whose checksum differs from the catalog's is not kept."""
    ref = row["archival_code"] or f"记录 {row['id']}"
    given = plan(store, conn, row, output)
    root = store.root.resolve()
    for g in given:
        target = g.path.resolve()
        if target == root or root in target.parents:
            raise ExportError(f"不能写入档案库内部（{g.path}）：请指定库外的文件夹")
        if g.path.is_dir():
            raise ExportError(f"{g.path} 是文件夹：请给出另一个文件名或输出文件夹")
        if (g.path.exists() or g.path.is_symlink()) and not force:
            raise ExportError(f"文件已存在：{g.path}（如要覆盖，请加 --force）")
    for g in given:
        src = store.abspath(g.source.stored_path)
        h = hashlib.sha256()
        with atomic_output(g.path) as tmp:
            with os.fdopen(open_regular(src), "rb") as fin, open(tmp, "wb") as fout:
                for chunk in iter(lambda: fin.read(CHUNK), b""):
                    h.update(chunk)
                    fout.write(chunk)
            if g.source.sha256 and h.hexdigest() != g.source.sha256:
                raise StoreError(f"库中 {ref} 的电子文件 {g.source.stored_path} 与登记的校验值不符，未导出："
                                 "请运行 archive verify 检查，必要时从备份恢复")
    return given


__all__ = ["give_back", "plan", "safe_name", "suffix_for", "files_of_record", "Given", "StoredFile"]
