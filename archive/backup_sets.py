"""Backup sets in a second place (a NAS folder): incremental, kept by a rule, verified, drilled.

A backup place (``[backup] to``, or ``--to``) holds::

    档案备份.json                 the place's label: format, 全宗号, agency (refuses another 全宗's place)
    files/ab/<sha256>.<ext>       the stored files, by checksum, each written once (the store's own names)
    sets/20261207T030000+0800/    one set per run: catalog.sqlite (a consistent copy), config.toml, manifest.json

The store's files never change once written (archive/store.py), so a set copies only the files the place does
not hold yet (incremental), and each set is still whole by itself: its manifest lists every file it needs. A set
is written under ``sets/.part-…`` and renamed into place only after it was verified (every file it names is
present with its size, the new ones read back and hashed; ``full=True`` hashes every one). Sets are then kept by
the rule (the newest of each of the last N days, weeks, months; the newest set always), and the place's files no
kept set names are removed — only files of the place's own pattern under its ``files/``: the archive's store is
never touched, and the place may not lie inside the archive.

A restore drill restores the newest set into a temporary folder, runs the 四性 checks there and records the drill
(and its result) in the live archive's event log: a backup never restored is a hope, not a backup.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from archive import catalog
from archive.atomic import atomic_file, fsync
from archive.errors import BackupError, StoreError
from archive.faults import fault
from archive.store import sha256_file

FORMAT = "wenshu-archive-backup-place/1"
LABEL = "档案备份.json"
SET_FORMAT = "wenshu-archive-backup-set/1"
_SET_NAME = re.compile(r"^\d{8}T\d{6}[+-]\d{4}(-\d+)?$")
_POOL_FILE = re.compile(r"^files/[0-9a-f]{2}/[0-9a-f]{64}(\.[a-z0-9]+)?$")


@dataclass
class Retention:
    """[backup] keep_daily / keep_weekly / keep_monthly: how many of the newest days, weeks and months keep
    their newest set."""

    daily: int = 7
    weekly: int = 4
    monthly: int = 12


@dataclass
class SetSummary:
    place: Path
    name: str
    documents: int
    files: int
    new_files: int
    new_bytes: int
    verified: int  # files whose content was hashed in the place after writing
    removed_sets: list[str] = field(default_factory=list)
    removed_files: int = 0


@dataclass
class DrillResult:
    place: Path
    set_name: str
    documents: int
    ok: bool
    errors: int
    first_error: str | None


# ---- the place ---------------------------------------------------------------------------------------------

def _open_place(arc, place: Path, create: bool) -> Path:
    place = Path(place).expanduser().absolute()
    root = arc.cfg.path.parent.resolve()
    for inner in (arc.cfg.store.resolve(), arc.cfg.inbox.resolve(), root):
        try:
            place.resolve().relative_to(inner)
        except ValueError:
            continue
        raise BackupError(f"备份位置 {place} 在档案库的文件夹 {inner} 之内：请选另一块磁盘或网络存储（NAS）上的文件夹")
    label = place / LABEL
    if label.is_file():
        try:
            info = json.loads(label.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise BackupError(f"备份位置 {place} 的标签 {LABEL} 无法读取（{e}）：请检查该文件夹") from e
        if not isinstance(info, dict) or info.get("format") != FORMAT:
            raise BackupError(f"{place} 不是本程序的备份位置（{LABEL} 格式不符）")
        if info.get("fonds") != arc.cfg.fonds:
            raise BackupError(f"备份位置 {place} 属于全宗 {info.get('fonds')}，不是本档案库的全宗 {arc.cfg.fonds}："
                              "请为每个全宗用单独的备份位置")
        return place
    if not create:
        raise BackupError(f"{place} 不是备份位置（没有 {LABEL}）：请给出 archive backup --to 用过的文件夹")
    if place.exists() and (not place.is_dir() or any(place.iterdir())):
        raise BackupError(f"{place} 不是空文件夹，也不是本程序的备份位置：请给一个新的或空的文件夹")
    try:
        (place / "sets").mkdir(parents=True, exist_ok=True)
        (place / "files").mkdir(exist_ok=True)
        with atomic_file(label, error=BackupError, message="无法写入备份位置 {path}（{reason}）：请检查权限和空间") as t:
            t.write_text(json.dumps({"format": FORMAT, "fonds": arc.cfg.fonds, "agency": arc.cfg.agency_name,
                                     "created": catalog.now()}, ensure_ascii=False, indent=1), encoding="utf-8")
    except OSError as e:
        raise BackupError(f"无法建立备份位置 {place}（{e.strerror or e}）：请检查路径、权限和是否已挂载") from e
    return place


def sets_of(place: Path) -> list[str]:
    """The finished sets of a place, oldest first (names sort by time)."""
    folder = Path(place) / "sets"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir()
                  if p.is_dir() and _SET_NAME.match(p.name) and (p / "manifest.json").is_file())


def read_manifest(place: Path, name: str) -> dict:
    path = Path(place) / "sets" / name / "manifest.json"
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise BackupError(f"备份集 {name} 的清单无法读取（{e}）：该备份集不能使用，请用其他备份集") from e
    if not isinstance(m, dict) or m.get("format") != SET_FORMAT or not isinstance(m.get("files"), dict):
        raise BackupError(f"备份集 {name} 的清单格式不符：该备份集不能使用")
    return m


def _set_name(arc, place: Path, now: dt.datetime | None) -> str:
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(arc.cfg.tz)
    base = now.strftime("%Y%m%dT%H%M%S%z")
    name, k = base, 1
    while (place / "sets" / name).exists():
        k += 1
        name = f"{base}-{k}"
    return name


# ---- writing a set -----------------------------------------------------------------------------------------

def backup_to(arc, place: Path, *, full: bool = False, keep: Retention | None = None,
              progress=None, now: dt.datetime | None = None) -> SetSummary:
    """Write one backup set of ``arc`` to ``place``; copy the stored files the place lacks; verify; keep sets by
    ``keep``. ``full``: hash every file in the place (and rewrite any found damaged), not only the new ones.
    ``now``: the set's time (its name; the rule's days), the clock's by default."""
    place = _open_place(arc, place, create=True)
    with _one_writer(place):
        return _write_set(arc, place, full, keep, progress, now)


@contextmanager
def _one_writer(place: Path):
    """One backup at a time into a place (the nightly timer and a clerk's run): the sweep of unfinished sets and
    the removal of unneeded files must never touch what another run is writing. A lock on the place's label,
    released by the kernel if the process dies."""
    try:
        fd = os.open(place / LABEL, os.O_RDONLY)
    except OSError as e:
        raise BackupError(f"无法打开备份位置 {place} 的标签（{e.strerror or e}）：请检查权限和是否已挂载") from e
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(f"另一个备份正在写入备份位置 {place}：请等它完成后再运行") from None
        yield
    finally:
        os.close(fd)


def _write_set(arc, place: Path, full: bool, keep: Retention | None, progress, now) -> SetSummary:
    name = _set_name(arc, place, now)
    part = place / "sets" / f".part-{name}"
    _sweep_unfinished(place)
    try:
        part.mkdir()
    except OSError as e:
        raise BackupError(f"无法写入备份位置 {place}（{e.strerror or e}）：请检查权限、空间和是否已挂载") from e
    try:
        # straight into the unfinished set: the whole .part folder goes on any failure (or at the next run)
        with arc.change(transaction=False):  # a moment with no writer: every record in the copy has its file
            catalog.snapshot(arc.conn, part / "catalog.sqlite")
        referenced, documents, events, schema = catalog.snapshot_contents(part / "catalog.sqlite")
        shutil.copyfile(arc.cfg.path, part / "config.toml")
        new_files = new_bytes = verified = 0
        items = sorted(referenced.items())
        for k, (rel, sha) in enumerate(items, 1):
            dest = place / rel
            src = arc.store.abspath(rel)
            have = dest.is_file() and dest.stat().st_size == _size(src, rel)
            if have and full:
                have = sha256_file(dest) == sha  # a damaged copy in the place: written again below
            if not have:
                new_bytes += _copy_in(src, dest, sha)  # hashed where it lies before it is renamed in
                new_files += 1
            verified += int(full or not have)
            if progress:
                progress(k, len(items))
            fault("backup-set-writing")
        manifest = {
            "format": SET_FORMAT, "created": catalog.now(), "agency": arc.cfg.agency_name, "fonds": arc.cfg.fonds,
            "schema_version": schema, "documents": documents, "events": events,
            "catalog_sha256": sha256_file(part / "catalog.sqlite"),
            "config_sha256": sha256_file(part / "config.toml"),
            "files": {rel: {"sha256": sha, "size": (place / rel).stat().st_size} for rel, sha in items},
        }
        (part / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _fsync_tree(part)
        problems = check_set(place, manifest, part, deep=False)
        if problems:
            raise BackupError(f"备份集写入后检查不通过（{problems[0]}）：备份未完成，请检查备份位置 {place}")
        os.replace(part, place / "sets" / name)
    except BackupError:
        shutil.rmtree(part, ignore_errors=True)
        raise
    except OSError as e:
        shutil.rmtree(part, ignore_errors=True)
        raise BackupError(f"写入备份位置 {place} 失败（{e.strerror or e}）：备份未完成，请检查空间、权限和网络存储") from e
    summary = SetSummary(place, name, documents, len(items), new_files, new_bytes, verified)
    if keep is not None:
        summary.removed_sets, summary.removed_files = prune(place, keep, arc.cfg.tz)
    with arc.change() as tx:
        catalog.append_event(tx.conn, "backup", None, {
            "to": str(place), "set": name, "documents": documents, "files": len(items), "new_files": new_files,
            "new_bytes": new_bytes, "verified": True, "full": full, "removed_sets": summary.removed_sets})
    return summary


def _size(src: Path, rel: str) -> int:
    try:
        return src.stat().st_size
    except OSError as e:
        raise BackupError(f"无法读取存储文件 {rel}（{e.strerror or e}）：备份未完成。请先检查档案库（archive verify）") from e


def _copy_in(src: Path, dest: Path, sha: str) -> int:
    """Copy one stored file into the place by way of a temporary, check its checksum there, rename it in."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(dest, error=BackupError, mode=0o444,
                     message="无法写入备份位置的文件 {path}（{reason}）：请检查空间和权限") as t:
        try:
            shutil.copyfile(src, t)
        except OSError as e:
            raise BackupError(f"无法读取存储文件 {src}（{e.strerror or e}）：备份未完成。请先检查档案库（archive verify）") from e
        got = sha256_file(t)
        if got != sha:
            which = "存储文件" if sha256_file(src) != sha else "备份位置中写入的文件"
            raise BackupError(f"{which} {src.name} 的校验值与目录记录不符：备份未完成。请先检查档案库（archive verify）")
    return dest.stat().st_size


def _fsync_tree(folder: Path) -> None:
    """The set's files, then the folder's entries, on the disk before the set is checked and renamed in."""
    for p in folder.iterdir():
        if p.is_file():
            fsync(p)
    fsync(folder)


def _sweep_unfinished(place: Path) -> None:
    """A set a kill -9 cut short (``sets/.part-…``) is never used: remove it. Files it copied into the pool
    are whole (each renamed in after its checksum) and serve the next set."""
    for p in (place / "sets").glob(".part-*"):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)


def check_set(place: Path, manifest: dict, folder: Path | None = None, *, deep: bool = True) -> list[str]:
    """What is wrong with a set: its catalog and config copies against the manifest, each file it names
    present with its size, and with ``deep`` each file's checksum. [] when whole."""
    folder = folder or Path(place) / "sets" / manifest.get("_name", "")
    out = []
    for member, key in (("catalog.sqlite", "catalog_sha256"), ("config.toml", "config_sha256")):
        p = folder / member
        if not p.is_file():
            out.append(f"缺少 {member}")
        elif sha256_file(p) != manifest.get(key):
            out.append(f"{member} 的校验值与清单不符")
    for rel, info in manifest["files"].items():
        if not _POOL_FILE.match(rel):
            out.append(f"清单中有不应有的路径 {rel!r}")
            continue
        p = Path(place) / rel
        if not p.is_file():
            out.append(f"缺少文件 {rel}")
        elif p.stat().st_size != info.get("size"):
            out.append(f"文件 {rel} 的大小与清单不符")
        elif deep and sha256_file(p) != info.get("sha256"):
            out.append(f"文件 {rel} 的校验值与清单不符（已损坏）")
    return out


# ---- keeping sets ------------------------------------------------------------------------------------------

def _when(name: str, tz) -> dt.datetime:
    return dt.datetime.strptime(name[:20], "%Y%m%dT%H%M%S%z").astimezone(tz)


def kept_sets(names: list[str], keep: Retention, tz) -> set[str]:
    """The sets the rule keeps: the newest set; the newest of each of the last ``daily`` days that have a
    set, of the last ``weekly`` ISO weeks, of the last ``monthly`` months (in the agency's calendar)."""
    if not names:
        return set()
    newest_first = sorted(names, key=lambda n: (_when(n, tz), n), reverse=True)
    kept = {newest_first[0]}
    for count, key in ((keep.daily, lambda t: t.date()), (keep.weekly, lambda t: t.isocalendar()[:2]),
                       (keep.monthly, lambda t: (t.year, t.month))):
        seen = []
        for n in newest_first:
            k = key(_when(n, tz))
            if k in seen:
                continue
            if len(seen) >= count:
                break
            seen.append(k)
            kept.add(n)
    return kept


def prune(place: Path, keep: Retention, tz) -> tuple[list[str], int]:
    """Remove the sets the rule does not keep, then the place's files no kept set names."""
    place = Path(place)
    names = sets_of(place)
    kept = kept_sets(names, keep, tz)
    removed = [n for n in names if n not in kept]
    for n in removed:
        shutil.rmtree(place / "sets" / n)
    needed: set[str] = set()
    for n in kept:
        needed.update(read_manifest(place, n)["files"])
    gone = 0
    for p in (place / "files").glob("*/*"):
        rel = p.relative_to(place).as_posix()
        if p.is_file() and not p.is_symlink() and _POOL_FILE.match(rel) and rel not in needed:
            p.unlink()
            gone += 1
    return removed, gone


# ---- restoring a set, and the drill ------------------------------------------------------------------------

def restore_set(place: Path, to: Path, name: str | None = None, progress=None):
    """Restore set ``name`` (default: the newest) of ``place`` into the empty or new folder ``to``; returns
    the opened Archive. Every file is checked against the set's manifest before anything is used."""
    from archive.backup import finish_restore, prepare_target

    place = Path(place).absolute()
    if not (place / LABEL).is_file():
        raise BackupError(f"{place} 不是备份位置（没有 {LABEL}）：请给出 archive backup --to 用过的文件夹")
    names = sets_of(place)
    if not names:
        raise BackupError(f"备份位置 {place} 中没有完成的备份集")
    name = name or names[-1]
    if name not in names:
        raise BackupError(f"备份位置 {place} 中没有备份集 {name}（有：{'、'.join(names[-5:])}）")
    manifest = read_manifest(place, name)
    folder = place / "sets" / name
    to, created = prepare_target(to)
    ok = False
    try:
        stage = to / ".restoring"
        stage.mkdir(parents=True)
        listing = {"catalog.sqlite": {"sha256": manifest["catalog_sha256"]},
                   "config.toml": {"sha256": manifest["config_sha256"]}, **manifest["files"]}
        steps = len(listing) + int(manifest.get("documents") or 0)
        done = 0
        for member, info in listing.items():
            src = folder / member if member in ("catalog.sqlite", "config.toml") else place / member
            if member not in ("catalog.sqlite", "config.toml") and not _POOL_FILE.match(member):
                raise BackupError(f"备份集 {name} 的清单含有不应有的路径 {member!r}：已拒绝恢复")
            dest = stage / member
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(src, dest)
            except OSError as e:
                raise BackupError(f"备份集 {name} 缺少或无法读取 {member}（{e.strerror or e}）：已拒绝恢复，请换一个备份集") from e
            if sha256_file(dest) != info["sha256"]:
                raise BackupError(f"备份集 {name} 中的 {member} 校验值与清单不符（已损坏）：已拒绝恢复，请换一个备份集")
            done += 1
            if progress:
                progress(done, steps)
        arc = finish_restore(stage, to, listing, str(folder), manifest, progress, done, steps)
        ok = True
        return arc
    except (OSError, StoreError) as e:
        raise BackupError(f"恢复到 {to} 失败（{e}）：请检查磁盘空间和权限") from e
    finally:
        if not ok:
            from archive.backup import clear_target
            clear_target(to, created)


def drill(arc, place: Path | None = None, progress=None, workdir: Path | None = None) -> DrillResult:
    """Restore the newest set of ``place`` into a temporary folder (under ``workdir``, else the system's temporary
    folder: it needs the archive's size in free space), run the 四性 checks on it, record the drill and its result
    in ``arc``'s event log, remove the temporary folder."""
    from archive.verify import verify

    if place is None and arc.cfg.backup.to is None:
        raise BackupError("没有给出备份位置：请在配置文件 [backup] to 中填写，或用 --from 指定")
    place = _open_place(arc, place if place is not None else arc.cfg.backup.to, create=False)
    names = sets_of(place)
    if not names:
        raise BackupError(f"备份位置 {place} 中没有完成的备份集：请先运行 archive backup --to {place}")
    name = names[-1]
    if workdir is not None and not Path(workdir).is_dir():
        raise BackupError(f"演练用的文件夹 {workdir} 不存在：请先创建（须有与档案库相当的剩余空间）")
    with tempfile.TemporaryDirectory(prefix="archive-drill-", dir=workdir) as tmp:
        try:
            restored = restore_set(place, Path(tmp) / "restored", name, progress=progress)
        except BackupError as e:
            result = DrillResult(place, name, 0, False, 1, str(e))
        else:
            try:
                rep = verify(restored)
                docs = catalog.count_documents(restored.conn)
            finally:
                restored.close()
            first = rep.errors[0] if rep.errors else None
            result = DrillResult(place, name, docs, rep.ok, len(rep.errors),
                                 f"{first.ref}：{first.message}" if first else None)
    with arc.change() as tx:
        catalog.append_event(tx.conn, "backup_drill", None, {
            "from": str(place), "set": name, "documents": result.documents, "ok": result.ok,
            "errors": result.errors, "first_error": result.first_error})
    return result

