"""Backup and restore: one tar file holding the catalog, the stored files, the config and a manifest.

The catalog is copied with SQLite's online backup API while holding the write lock for that moment
only, so the copy is consistent and every record in it has its stored file (files are written before
their record and never change). The manifest lists the SHA-256 of every member; a restore checks
each member against it before anything is used, writes into an empty folder only, points the
restored config at that folder and rebuilds the full-text index (derived, so not backed up).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import lzma
import os
import re
import shutil
import stat
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from archive import catalog
from archive.atomic import atomic_file, held, scratch_file, sweep_parts
from archive.config import load_config
from archive.errors import BackupError, StoreError, library_reason
from archive.faults import fault
from archive.store import CHUNK, sha256_file

FORMAT = "wenshu-archive-backup/1"
MANIFEST = "manifest.json"
_MEMBER = re.compile(r"^(catalog\.sqlite|config\.toml|files/[0-9a-f]{2}/[0-9a-f]{64}(\.[a-z]+)?)$")


@dataclass
class BackupSummary:
    path: Path
    documents: int
    files: int
    bytes: int


def _log(arc, action: str, detail: dict) -> None:
    with arc.change() as tx:
        catalog.append_event(tx.conn, action, None, detail)


def backup(arc, out: Path, progress=None, force: bool = False) -> BackupSummary:
    """Write a backup of ``arc`` to ``out`` (a new file, or with ``force`` one replaced once the new one is
    whole); log it in the event log. ``progress(done, total)``: after each file written into the backup."""
    out = Path(out).absolute()
    if out.is_dir():
        raise BackupError(f"{out} 是文件夹：请给出备份文件名，如 {out / '档案备份.tar'}")
    if out.exists() and not force:
        raise BackupError(f"{out} 已存在：请换一个备份文件名（如要覆盖，请加 --force）")
    if not out.parent.is_dir():
        raise BackupError(f"文件夹 {out.parent} 不存在：请先创建或换一个位置")
    # what a kill -9 of an earlier backup to this name left beside it (the half tar, the catalog copy)
    sweep_parts(out.parent, out.name)
    # written whole or not at all, and private (0600, as made): it holds the whole catalog
    with atomic_file(out, error=BackupError, mode=None, make_parents=False,
                     message="无法写入备份文件 {path}（{reason}）：请检查磁盘空间和权限") as part, held(part):
        # the catalog copy: a private hidden temporary beside the backup, swept like the tar's
        with scratch_file(out.parent, out.name, error=BackupError,
                          message="无法写入备份文件 {path}（{reason}）：请检查磁盘空间和权限") as snap:
            with arc.change(transaction=False):  # a moment with no writer: every record in the copy has its file
                catalog.snapshot(arc.conn, snap)
            referenced, documents, events, schema = catalog.snapshot_contents(snap)
            stored = sorted(referenced.items())
            members = [("catalog.sqlite", snap), ("config.toml", arc.cfg.path)]
            members += [(rel, arc.store.abspath(rel)) for rel, _ in stored]
            expected = {rel: sha for rel, sha in stored}
            listing, total = {}, 0
            with tarfile.open(part, "w", format=tarfile.PAX_FORMAT) as tar:
                for k, (name, path) in enumerate(members, 1):
                    try:
                        sha = sha256_file(path)
                    except OSError as e:
                        raise BackupError(f"无法读取 {path}（{e.strerror}）：备份未完成。请先检查档案库（archive verify）") from e
                    if name in expected and sha != expected[name]:
                        raise BackupError(f"存储文件 {path} 的校验值与目录记录不符：备份未完成。请先检查档案库（archive verify）")
                    size = path.stat().st_size
                    tar.add(path, arcname=name, recursive=False)
                    listing[name] = {"sha256": sha, "size": size}
                    total += size
                    if progress:
                        progress(k, len(members))
                    fault("backup-writing")  # the catalog copy and part of the tar beside the backup
                manifest = {
                    "format": FORMAT, "created": catalog.now(), "agency": arc.cfg.agency_name,
                    "fonds": arc.cfg.fonds, "schema_version": schema, "documents": documents,
                    "events": events, "members": listing,
                }
                data = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(data), int(dt.datetime.now().timestamp()), 0o644
                tar.addfile(info, io.BytesIO(data))
    _log(arc, "backup", {"file": str(out), "sha256": sha256_file(out), "documents": documents,
                              "files": len(stored)})
    return BackupSummary(out, documents, len(stored), total)


def _read_manifest(tar: tarfile.TarFile, file: Path) -> dict:
    try:
        f = tar.extractfile(MANIFEST)
        manifest = json.loads(f.read().decode("utf-8")) if f else None
    except (KeyError, ValueError, UnicodeDecodeError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or "members" not in manifest:
        raise BackupError(f"{file} 不是本程序的备份文件（缺少或无法读取 {MANIFEST}）")
    return manifest


def _paths_section(config_text: str) -> str:
    """The config with its [paths] pointing at the restored folder's inbox/ and store/."""
    lines = config_text.splitlines()
    out, skipping = [], False
    for line in lines:
        if re.match(r"^\s*\[paths\]", line):
            skipping = True
            continue
        if skipping and re.match(r"^\s*\[", line):
            skipping = False
        if not skipping:
            out.append(line)
    out += ["", "[paths]                                    # set by archive restore",
            'inbox = "inbox"', 'store = "store"', ""]
    return "\n".join(out)


def prepare_target(to: Path) -> tuple[Path, bool]:
    """The restore's target folder: empty or new (what a killed restore of ours left is cleared first).
    Returns (absolute path, whether it did not exist)."""
    to = Path(to).absolute()
    if to.is_dir() and (to / ".restoring").is_dir():
        # a restore of ours killed half-way (its marker folder goes last): the folder was empty when it
        # began, so everything in it is that restore's work; start again from an empty folder
        for p in to.iterdir():
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
    if to.exists() and (not to.is_dir() or any(to.iterdir())):
        raise BackupError(f"目标文件夹 {to} 不是空的：恢复只写入空文件夹或新文件夹，以免覆盖已有档案")
    return to, not to.exists()


def clear_target(to: Path, created: bool) -> None:
    """Leave a failed restore's target as it was: empty, or absent."""
    if created:
        shutil.rmtree(to, ignore_errors=True)
    elif to.exists():
        for p in to.iterdir():
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink()


def finish_restore(stage: Path, to: Path, listing: dict, source: str, manifest: dict, progress, done: int,
                   steps: int):
    """Place what was checked into ``stage`` (catalog.sqlite, config.toml, files/) as an archive in ``to``,
    open it, check every stored file the catalog names against ``listing``, rebuild the index, log it."""
    from archive.session import open_archive

    store = to / "store"
    store.mkdir()
    os.replace(stage / "catalog.sqlite", store / "catalog.sqlite")
    if (stage / "files").exists():
        os.replace(stage / "files", store / "files")
    for p in (store / "files").rglob("*") if (store / "files").exists() else []:
        if p.is_file():
            os.chmod(p, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    config = _paths_section((stage / "config.toml").read_text(encoding="utf-8"))
    (to / "config.toml").write_text(config, encoding="utf-8")
    fault("restoring")
    arc = open_archive(load_config(to / "config.toml"), create=True)
    bad = [rel for rel, sha in catalog.referenced_files(arc.conn).items()
           if listing.get(rel, {}).get("sha256") != sha]
    if bad:
        arc.close()
        raise BackupError(f"备份中 {len(bad)} 个存储文件与目录记录不符（如 {bad[0]}）：已拒绝恢复")
    with arc.change(transaction=False):
        arc.reindex(progress=(lambda n: progress(done + n, steps)) if progress else None)
        _log(arc, "restore", {"file": source, "created": manifest.get("created"),
                              "documents": manifest.get("documents")})
    shutil.rmtree(stage)  # last: while it exists, the folder holds an unfinished restore
    return arc


def restore(file: Path, to: Path, progress=None):
    """Restore the backup ``file`` into the empty (or new) folder ``to``; returns the opened Archive.
    ``progress(done, total)``: each member checked and written, then each record indexed (total: both)."""
    file = Path(file)
    if file.is_dir():  # a backup place (archive backup --to): its newest set
        from archive.backup_sets import restore_set
        return restore_set(file, to, progress=progress)
    to, created = prepare_target(to)
    try:
        tar = tarfile.open(file, "r:*")
    except (OSError, tarfile.TarError) as e:
        raise BackupError(f"无法打开备份文件 {file}（{library_reason(e) or e}）：请确认文件完整") from e
    ok = False
    try:
        with tar:
            manifest = _read_manifest(tar, file)
            listing = manifest["members"]
            steps = len(listing) + int(manifest.get("documents") or 0)
            seen = set()
            stage = to / ".restoring"
            stage.mkdir(parents=True)
            for m in tar:
                if m.name == MANIFEST:
                    continue
                if not m.isfile() or not _MEMBER.match(m.name) or m.name not in listing:
                    raise BackupError(f"备份文件 {file} 含有不应有的成员 {m.name!r}：已拒绝恢复")
                dest = stage / m.name
                dest.parent.mkdir(parents=True, exist_ok=True)
                h = hashlib.sha256()
                with tar.extractfile(m) as src, open(dest, "wb") as f:
                    for chunk in iter(lambda: src.read(CHUNK), b""):
                        h.update(chunk)
                        f.write(chunk)
                if h.hexdigest() != listing[m.name]["sha256"]:
                    raise BackupError(f"备份文件 {file} 中的 {m.name} 校验值与清单不符（已损坏）：已拒绝恢复")
                seen.add(m.name)
                if progress:
                    progress(len(seen), steps)
            missing = sorted(set(listing) - seen)
            if missing:
                raise BackupError(f"备份文件 {file} 不完整：缺少 {len(missing)} 个成员（如 {missing[0]}）")
        arc = finish_restore(stage, to, listing, str(file.absolute()), manifest, progress, len(seen), steps)
        ok = True
        return arc
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError) as e:  # damaged or cut short past its opening
        raise BackupError(f"备份文件 {file} 已损坏（{library_reason(e) or e}）：已拒绝恢复，请换一份备份") from e
    except (OSError, StoreError) as e:
        raise BackupError(f"恢复到 {to} 失败（{e}）：请检查磁盘空间和权限") from e
    finally:
        if not ok:
            clear_target(to, created)
