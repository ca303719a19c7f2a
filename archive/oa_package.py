"""The OA system's 归档信息包 (issue 27, item 5; docs/oa_package.md): one 件 as the OA exports it, taken in as ONE
record: the 正本 (sealed OFD or PDF) is the record's file, the 定稿, 处理单, 附件 join it with their roles, the
declared metadata is preferred to what is read (a warning and 待定 where they disagree, as the sidecar's), and
the 办理过程 is stored as the record's process metadata (catalog/process.py, migration 25).

A package is a folder whose name ends in ``.oa`` or that holds ``manifest.json``, or a ``.zip`` with
``manifest.json`` at its root. The manifest is written last by the OA: a folder without it is not complete
and is left to wait; every file it lists carries its SHA-256, so a file still being copied, changed or
missing is seen. What is read is a private copy (a staging folder in the store's tmp), verified against the
manifest: a folder renamed or changed while read never gives a record of half its files.

Fail closed, whole package: a manifest that does not say what it means, two 正本 or none, a listed file
missing or different, a file not listed, a path leaving the package, a zip bomb → failed (moved to failed/
with the reason); a 密级 in the metadata or a mark in any file (secrecy.gate on every file) → refused; a
file the gate doubts → held in refused/ for the 保密员, nothing stored; the 正本 already here → duplicate.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import stat
import tempfile
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from archive import catalog, display, gongwen, inbox, pipeline, secrecy, sidecar, virus
from archive.catalog import process
from archive.errors import ExtractionError, StopRequested, StoreError
from archive.models import IngestResult
from archive.session import Archive

MANIFEST = "manifest.json"
SUFFIX = ".oa"
FORMAT = "归档信息包/1"
ROLES = ("正本", "定稿", "稿纸", "处理单", "附件", "其他格式")
KEYS = ("格式", "元数据", "文件", "办理过程")
STEP_KEYS = {"环节": "step", "处理人": "actor", "时间": "at", "意见": "opinion"}
MAX_MANIFEST = 1024 * 1024
MAX_FILES = 200
MAX_STEPS = 2000
MAX_TEXT = 2000  # characters of one step's 意见
MAX_RATIO = 200  # a zip member's uncompressed size over its compressed size, above which it is a bomb
SHA_LEN = 64
COPYING = (".part", ".partial", ".crdownload", ".filepart", ".download", ".tmp")  # a copy under way
JUNK = {"thumbs.db", "desktop.ini", ".ds_store"}  # what a desktop leaves in a folder it showed: not the package's


_BROKEN = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, ValueError, NotImplementedError)


class PackageProblem(Exception):
    """A package that does not say what it means, or is not whole (Chinese message): failed."""


class Vanished(Exception):
    """The package was moved, renamed or deleted while it was read: left for its new place."""


@dataclass
class Entry:
    rel: str  # the path inside the package as the manifest names it
    role: str
    sha: str
    size: int
    staged: Path | None = None


@dataclass
class Manifest:
    meta: dict
    entries: list[Entry]
    steps: list[dict] = field(default_factory=list)

    @property
    def main(self) -> Entry:
        return next(e for e in self.entries if e.role == "正本")


# ---- what a package is ------------------------------------------------------------------------------------
def is_package(path: Path) -> bool:
    """A package folder (``X.oa`` or one holding manifest.json) or a zip with manifest.json at its root."""
    path = Path(path)
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return False
    if stat.S_ISDIR(mode):
        return path.name.lower().endswith(SUFFIX) or os.path.lexists(path / MANIFEST)
    if stat.S_ISREG(mode) and path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as z:
                return MANIFEST in z.namelist()
        except (OSError, zipfile.BadZipFile, ValueError, RuntimeError, EOFError):
            return False
    return False


def package_root(path: Path, top: Path) -> Path | None:
    """The package folder ``path`` lies in (itself included), searched up to ``top``; None when none."""
    path, top = Path(path), Path(top)
    for p in (path, *path.parents):
        if p == top or top not in p.parents:
            return None
        if os.path.isdir(p) and not os.path.islink(p) and is_package(p):
            return p
    return None


def collapse(files: list[Path], top: Path) -> list[Path]:
    """Files found under ``top``, each file of a package folder replaced by its folder (once, in order)."""
    out: list[Path] = []
    for f in files:
        root = package_root(Path(f).parent, top) or (f if is_package(f) else None)
        item = root or f
        if item not in out:
            out.append(item)
    return out


def ready(path: Path) -> bool:
    """Whether a package may be taken now: a folder once its manifest is there (written last) and no file in it
    is still being copied under a copying tool's temporary name (X.part, X.filepart …); a zip always."""
    if os.path.islink(path) or not os.path.isdir(path):
        return True  # a file, a zip, or a link (never followed: the pipeline fails it as a link)
    if not os.path.lexists(Path(path) / MANIFEST):
        return False
    return not any(n.lower().endswith(COPYING) for _, _, names in os.walk(path) for n in names)


def signature(path: Path) -> tuple[int, int]:
    """(total size, newest mtime) of everything in a package folder (its own lstat for a zip): the watcher
    takes it only once this has stayed the same for settle_seconds."""
    if not os.path.isdir(path):
        st = os.lstat(path)
        return st.st_size, st.st_mtime_ns
    size, newest = 0, os.lstat(path).st_mtime_ns
    for dirpath, dirnames, filenames in os.walk(path):
        for n in dirnames + filenames:
            try:
                st = os.lstat(os.path.join(dirpath, n))
            except OSError:
                continue
            size += st.st_size
            newest = max(newest, st.st_mtime_ns)
    return size, newest


# ---- the manifest ------------------------------------------------------------------------------------------
def _text(value, what: str, limit: int = sidecar.MAX_VALUE) -> str:
    if not isinstance(value, str):
        raise PackageProblem(f"清单中{what}不是文本")
    v = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in v):
        raise PackageProblem(f"清单中{what}含有控制字符")
    if len(v) > limit:
        raise PackageProblem(f"清单中{what}过长（{len(v)} 字）")
    return v


def _member(rel, i: int) -> str:
    """A file's path inside the package: relative, forward slashes, no .. , no drive, no hidden trick."""
    rel = _text(rel, f"第 {i} 个文件的路径", 300)
    p = PurePosixPath(rel)
    if (not rel or "\\" in rel or rel.startswith("/") or ":" in rel or any(part in ("", ".", "..") for part in
                                                                            rel.split("/"))
            or p.name == MANIFEST):
        raise PackageProblem(f"清单中第 {i} 个文件的路径“{rel[:60]}”无效（应为包内的相对路径，不得含 .. 或盘符）")
    return rel


def parse_manifest(data: bytes) -> Manifest:
    """The manifest as declared; PackageProblem (Chinese) when it does not say what it means."""
    obj = sidecar.json_object(data, MAX_MANIFEST, f"清单 {MANIFEST}", KEYS, PackageProblem)
    if obj.get("格式") != FORMAT:
        raise PackageProblem(f"清单的“格式”应为“{FORMAT}”（见 docs/oa_package.md）")
    meta = obj.get("元数据") or {}
    if not isinstance(meta, dict):
        raise PackageProblem("清单的“元数据”应为一个对象")
    files = obj.get("文件")
    if not isinstance(files, list) or not files:
        raise PackageProblem("清单的“文件”应为非空的列表")
    if len(files) > MAX_FILES:
        raise PackageProblem(f"清单列出的文件过多（{len(files)} 个，上限 {MAX_FILES}）")
    entries, seen = [], set()
    for i, f in enumerate(files, 1):
        if not isinstance(f, dict) or set(f) - {"路径", "角色", "SHA256", "大小"}:
            raise PackageProblem(f"清单中第 {i} 个文件应为含 路径、角色、SHA256、大小 的对象")
        rel = _member(f.get("路径"), i)
        if rel.casefold() in seen:
            raise PackageProblem(f"清单两次列出文件 {rel}")
        seen.add(rel.casefold())
        role = f.get("角色")
        if role not in ROLES:
            raise PackageProblem(f"清单中 {rel} 的角色“{str(role)[:20]}”无效：应为 {' / '.join(ROLES)}")
        sha = str(f.get("SHA256") or "").lower()
        if len(sha) != SHA_LEN or any(c not in "0123456789abcdef" for c in sha):
            raise PackageProblem(f"清单中 {rel} 的 SHA256 无效（应为 64 位十六进制）")
        size = f.get("大小")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise PackageProblem(f"清单中 {rel} 的大小无效（应为字节数）")
        entries.append(Entry(rel, role, sha, size))
    mains = [e.rel for e in entries if e.role == "正本"]
    if len(mains) != 1:
        raise PackageProblem("包中没有正本" if not mains else f"包中有 {len(mains)} 个正本（{'、'.join(mains[:3])}）："
                             "一件只能有一个正本")
    steps = obj.get("办理过程") or []
    if not isinstance(steps, list) or len(steps) > MAX_STEPS:
        raise PackageProblem(f"清单的“办理过程”应为不超过 {MAX_STEPS} 个环节的列表")
    return Manifest(meta, entries, [_step(s, i) for i, s in enumerate(steps, 1)])


def _step(s, i: int) -> dict:
    if not isinstance(s, dict) or set(s) - set(STEP_KEYS) or "环节" not in s:
        raise PackageProblem(f"办理过程第 {i} 步应为含 环节、处理人、时间、意见 的对象")
    out = {STEP_KEYS[k]: _text(v, f"办理过程第 {i} 步的{k}", MAX_TEXT) for k, v in s.items() if v is not None}
    if not out.get("step"):
        raise PackageProblem(f"办理过程第 {i} 步没有环节名称")
    if out.get("at"):
        try:
            out["at"] = display.typed_time(out["at"]).isoformat()  # the agency's clock unless it names an offset
        except ValueError:
            raise PackageProblem(f"办理过程第 {i} 步的时间“{out['at'][:40]}”无法识别（应如 2026-03-02T09:30+08:00）") from None
    return out


# ---- a private, verified copy ------------------------------------------------------------------------------
def _open_inside(root: Path, rel: str) -> int:
    """A read-only descriptor on the regular file ``rel`` of the package folder: never through a link (the file
    itself or a folder on its way), never a FIFO or a device."""
    src = root / rel
    if os.path.realpath(src.parent) != os.path.join(os.path.realpath(root), *PurePosixPath(rel).parts[:-1]):
        raise PackageProblem(f"文件 {rel} 位于符号链接的文件夹中，不予读取")
    fd = os.open(src, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise PackageProblem(f"文件 {rel} 不是普通文件（管道、设备或套接字），未读取")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _copy(fin, dest: Path, limit: int, too_big: str) -> tuple[str, int]:
    """Copy an open file to ``dest``, hashing it and counting what is read: past ``limit`` bytes (the size the
    manifest declares; a zip header's size is not trusted) it stops with ``too_big``."""
    h, n = hashlib.sha256(), 0
    with open(dest, "xb") as fout:
        while chunk := fin.read(1 << 20):
            n += len(chunk)
            if n > limit:
                raise PackageProblem(too_big)
            h.update(chunk)
            fout.write(chunk)
    return h.hexdigest(), n


def _place(staging: Path, i: int, rel: str) -> Path:
    d = staging / "files" / str(i)
    d.mkdir(parents=True)
    return d / PurePosixPath(rel).name


def _check(e: Entry, sha: str, n: int) -> None:
    if n != e.size or sha != e.sha:
        raise PackageProblem(f"文件 {e.rel} 与清单不符（大小或 SHA256 不同）：包不完整或被改动")


def _within(m: Manifest, limit: int) -> Manifest:
    """Each declared file at most ``limit`` bytes ([limits] max_file_mb, as for a file on its own), the package at
    most four times that: checked before a byte is copied."""
    big = [e.rel for e in m.entries if e.size > limit]
    if big:
        raise PackageProblem(f"包中的 {big[0]} 过大（上限 {limit // 1048576} MB，见 config.toml [limits] max_file_mb）")
    if sum(e.size for e in m.entries) > 4 * limit:
        raise PackageProblem(f"包过大（清单声明共 {sum(e.size for e in m.entries) // 1048576} MB）")
    return m


def _stage_folder(root: Path, staging: Path, limit: int) -> Manifest:
    try:
        fd = _open_inside(root, MANIFEST)
    except FileNotFoundError:
        if not os.path.isdir(root):
            raise Vanished() from None
        raise PackageProblem(f"包中没有清单 {MANIFEST}（OA 应最后写入它）") from None
    except OSError as e:
        raise PackageProblem(f"清单 {MANIFEST} 无法读取（{e.strerror or e}）") from None
    with os.fdopen(fd, "rb") as f:
        m = _within(parse_manifest(f.read(MAX_MANIFEST + 1)), limit)
    listed = {e.rel for e in m.entries}
    extra = []
    for dirpath, dirnames, filenames in os.walk(root):
        for n in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            rel = Path(os.path.join(dirpath, n)).relative_to(root).as_posix()
            if (rel != MANIFEST and rel not in listed and not rel.endswith(inbox.REASON_SUFFIX)
                    and n.lower() not in JUNK):
                extra.append(rel)
    if extra:
        raise PackageProblem(f"包中有清单未列出的文件：{'、'.join(sorted(extra)[:3])}")
    for i, e in enumerate(m.entries):
        try:
            fd = _open_inside(root, e.rel)  # never follows a link, never opens a FIFO or a device
        except FileNotFoundError:
            if not os.path.isdir(root):
                raise Vanished() from None
            raise PackageProblem(f"清单列出的文件 {e.rel} 不在包中") from None
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise PackageProblem(f"文件 {e.rel} 是符号链接，不予读取") from None
            raise PackageProblem(f"文件 {e.rel} 无法读取（{err.strerror or err}）") from None
        e.staged = _place(staging, i, e.rel)
        with os.fdopen(fd, "rb") as fin:
            _check(e, *_copy(fin, e.staged, e.size, f"{e.staged.name} 超过清单声明的大小"))
    return m


def _stage_zip(path: Path, staging: Path, limit: int) -> Manifest:
    try:
        z = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise Vanished() from None
    except (OSError, *_BROKEN) as e:
        raise PackageProblem(f"压缩包无法打开（{type(e).__name__}）") from None
    with z:
        infos = z.infolist()
        if len(infos) > MAX_FILES + 1:
            raise PackageProblem(f"压缩包中的文件过多（{len(infos)} 个）")
        names = {}
        for info in infos:
            if info.flag_bits & 0x1:
                raise PackageProblem(f"压缩包中的 {info.filename[:60]} 已加密，无法检查")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise PackageProblem(f"压缩包中的 {info.filename[:60]} 是符号链接，不予读取")
            if info.is_dir():
                continue
            if info.filename in names:
                raise PackageProblem(f"压缩包两次含有 {info.filename[:60]}")
            names[info.filename] = info
        if MANIFEST not in names:
            raise PackageProblem(f"压缩包根目录中没有清单 {MANIFEST}")
        m = _within(parse_manifest(_read_member(z, names[MANIFEST], MAX_MANIFEST + 1)), limit)
        listed = {e.rel for e in m.entries}
        extra = sorted(set(names) - listed - {MANIFEST})
        if extra:
            raise PackageProblem(f"包中有清单未列出的文件：{'、'.join(x[:60] for x in extra[:3])}（或路径不合规）")
        for i, e in enumerate(m.entries):
            info = names.get(e.rel)
            if info is None:
                raise PackageProblem(f"清单列出的文件 {e.rel} 不在压缩包中")
            if info.file_size > e.size or info.file_size > max(info.compress_size, 1) * MAX_RATIO:
                raise PackageProblem(f"压缩包中的 {e.rel} 解压后远大于其压缩大小或清单声明：疑为压缩炸弹，未解压")
            e.staged = _place(staging, i, e.rel)
            try:
                with z.open(info) as fin:
                    got = _copy(fin, e.staged, e.size, f"压缩包中的 {e.rel} 超过清单声明的大小：疑为压缩炸弹")
            except _BROKEN as err:  # a damaged member (CRC, deflate stream, an unsupported method)
                raise PackageProblem(f"压缩包中的 {e.rel} 无法解压（{type(err).__name__}）：压缩包已损坏") from None
            _check(e, *got)
    return m


def _read_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    try:
        with z.open(info) as f:
            data = f.read(limit)
    except (*_BROKEN, OSError) as e:
        raise PackageProblem(f"压缩包中的 {info.filename[:60]} 无法解压（{type(e).__name__}）") from None
    return data


# ---- taking one package in ---------------------------------------------------------------------------------
def take_in(arc: Archive, path: Path, *, from_inbox: bool = False) -> IngestResult:
    """One package → one record (or one outcome for the whole package: failed, refused, held, duplicate)."""
    path = Path(path)
    arc.store.init()
    staging = Path(tempfile.mkdtemp(prefix=".oa-", dir=arc.store.tmp))
    try:
        return _take_in(arc, path, staging, from_inbox)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # our own scratch copies, never an original


def _take_in(arc: Archive, path: Path, staging: Path, from_inbox: bool) -> IngestResult:
    name = inbox.shown(path)
    try:
        limit = arc.cfg.limits.max_file_mb * 1024 * 1024
        m = (_stage_folder(path, staging, limit) if os.path.isdir(path) and not os.path.islink(path)
             else _stage_zip(path, staging, limit))
    except Vanished:
        return IngestResult(name, "failed", "读取时包被移动、改名或删除：未登记；将按其新位置重新处理")
    except PackageProblem as e:
        return _outcome(arc, path, "", "failed", f"归档信息包不合规：{e}", from_inbox)
    except OSError as e:
        if not os.path.lexists(path):
            return IngestResult(name, "failed", "读取时包被移动、改名或删除：未登记；将按其新位置重新处理")
        return IngestResult(name, "failed", inbox.write_failure(e))  # disk full: left where it is, retried
    main = m.main
    declared = _declared(m.meta)
    if isinstance(declared, str):
        return _outcome(arc, path, main.sha, "failed", declared, from_inbox)
    if declared.secrecy:
        return _outcome(arc, path, main.sha, "refused", f"归档信息包元数据声明密级“{declared.secrecy}”：涉密文件不得在"
                        "非涉密系统中处理，整包未存储", from_inbox)
    said = _marked_text(m)  # a 密级 written in the metadata's or the 办理过程's own words
    if said is not None:
        kind, where, hit = said
        if kind == "mark":
            return _outcome(arc, path, main.sha, "refused", f"归档信息包的{where}写有密级标志“{hit}”：涉密文件不得在非涉密"
                            "系统中处理，整包未存储", from_inbox)
        return _outcome(arc, path, main.sha, "held", f"归档信息包的{where}写有“{hit}”，是否涉密无法确定：整包未存储，"
                        "已移入隔离文件夹，请保密员核实", from_inbox)
    owner = catalog.owner_of(arc.conn, main.sha)
    if owner is not None:
        return _already(arc, path, m, owner, from_inbox)
    for e in m.entries:  # [virus] at_ingest: every file scanned before it is read; one refusal fails the package
        if (bad := virus.refusal_at_ingest(arc.cfg.virus, e.staged, f"包中 {e.rel}（{e.role}）", arc)) is not None:
            return _outcome(arc, path, main.sha, "failed", f"{bad}；整包未存储", from_inbox)
    # every file through the 涉密 gate before anything is stored: one mark refuses the whole package
    reads = {}
    for e in m.entries:
        try:
            ex = arc.worker.extract(e.staged)
        except StopRequested:
            raise
        except ExtractionError as err:
            return _outcome(arc, path, main.sha, "failed", f"包中 {e.rel}（{e.role}）无法读取：{err}", from_inbox)
        except Exception as err:  # a library bug on a hostile file fails this package, not the batch
            return _outcome(arc, path, main.sha, "failed", f"读取包中 {e.rel} 时出错（{type(err).__name__}）", from_inbox)
        fields = gongwen.parse(ex.text)
        level = secrecy.secret_level(fields, ex)
        verdict = secrecy.gate(e.staged, ex, fields, arc.cfg.ocr)
        if level or verdict.kind == "mark":
            said = verdict.message() if verdict.kind == "mark" else secrecy.refusal_reason(level, fields)
            return _outcome(arc, path, main.sha, "refused", f"包中 {e.rel}（{e.role}）：{said}；整包未存储", from_inbox)
        if verdict.kind == "doubtful":
            return _outcome(arc, path, main.sha, "held", f"包中 {e.rel}（{e.role}）：{verdict.message()}；整包未存储，"
                            "已移入隔离文件夹，请保密员核实", from_inbox)
        other = catalog.owner_of(arc.conn, e.sha)
        if other is not None:
            ref = other["archival_code"] or f"记录 {other['id']}"
            return _outcome(arc, path, main.sha, "failed", f"包中 {e.rel}（{e.role}）与已入库的 {ref} 的文件相同："
                            "一个文件只能属于一件，整包未登记", from_inbox)
        reads[e.rel] = (ex, fields)
    if len({e.sha for e in m.entries}) != len(m.entries):
        return _outcome(arc, path, main.sha, "failed", "包中有内容相同的两个文件：整包未登记", from_inbox)
    return _commit(arc, path, m, declared, reads, from_inbox)


_HANDLING = re.compile(r"(?:阅办类型|办理类型|文件类型|类型)\s*[:：]\s*[☑√■]?\s*(阅件|办件)")


def _form_handling(m: Manifest, reads: dict) -> str | None:
    """阅件 or 办件 as the package's 处理单 states it on a line of its own (``阅办类型：办件``), or None when no
    处理单 says it, or they say both."""
    found = {h for e in m.entries if e.role == "处理单" for h in _HANDLING.findall(reads[e.rel][0].text or "")}
    return found.pop() if len(found) == 1 else None


def _marked_text(m: Manifest) -> tuple[str, str, str] | None:
    """(mark | doubtful, where, the words) for the strongest 密级 mark in the manifest's own texts (metadata values
    other than 密级, which is read as a declaration; file paths; every step), or None."""
    texts = [(f"元数据“{k}”", str(v)) for k, v in m.meta.items() if k != "密级" and isinstance(v, str)]
    texts += [("文件路径", e.rel) for e in m.entries]
    texts += [(f"办理过程第 {i} 步", "\n".join(v for v in s.values() if v)) for i, s in enumerate(m.steps, 1)]
    best = None
    for where, text in texts:
        hit = secrecy.find_mark(text)
        if hit is not None and (best is None or secrecy.rank(hit) > secrecy.rank(best[0])):
            best = (hit, where)
    return None if best is None else (best[0].kind, best[1], best[0].evidence)


def _declared(meta: dict):
    """The metadata through the sidecar's reading (the same keys and checks): Declared, or why it fails."""
    try:
        return sidecar.read_values(meta, MANIFEST, said="归档信息包元数据")
    except sidecar.SidecarProblem as e:
        return f"归档信息包不合规：{e}"


def _prepared(e: Entry, ex, fields, main: pipeline.Prepared) -> pipeline.Prepared:
    """A further file of the package as attach_prepared takes it (read and gated already)."""
    return pipeline.Prepared(e.staged, e.sha, e.size, ex, fields, main.cls, None, False)


def _commit(arc: Archive, path: Path, m: Manifest, declared, reads: dict, from_inbox: bool) -> IngestResult:
    main = m.main
    ex, _ = reads[main.rel]
    form = _form_handling(m, reads)  # 阅件/办件 as the 处理单 itself reads
    differs = None
    if form is not None and declared.handling is None:
        declared.handling = form
    elif form is not None and form != declared.handling:
        differs = f"归档信息包元数据声明为{declared.handling}，处理单上为{form}，请核对"
    prep = pipeline.prepare_read(arc, main.staged, main.sha, main.size, ex, declared)
    if differs:
        prep.fields.warnings.append(differs)
        prep.cls = pipeline._pending_for_ocr(prep.cls, differs)
    others = [(e, _prepared(e, *reads[e.rel], prep)) for e in m.entries if e is not main]
    digest = process.digest(m.steps)
    detail = {"oa_package": inbox.shown(path.name), "process_steps": len(m.steps), "process_sha256": digest,
              "package_files": [{"path": e.rel, "role": e.role, "sha256": e.sha} for e in m.entries]}
    try:
        with arc.change(transaction=False):
            arc.check_catalog()
            if any(catalog.owner_of(arc.conn, e.sha) is not None for e in m.entries):
                raise StoreError("stored by another process meanwhile")
            rel = arc.put_file(main.staged, main.sha, ex.media_type)
            rels = [arc.put_file(e.staged, e.sha, p.ex.media_type, "attach") for e, p in others]
            searchable = pipeline._put_searchable(arc, main.sha, ex)
            with arc.change(reason=f"归档信息包 {detail['oa_package']}") as tx:
                _source(prep, path, main.rel)
                rec = pipeline.commit_record(arc, prep, rel, searchable, tx=False, detail=detail)
                for (e, p), r in zip(others, rels):
                    _source(p, path, e.rel)
                    pipeline.attach_prepared(arc, p, r, None, document_id=rec["id"], role=e.role,
                                             detail={"by": "oa-package", "package": detail["oa_package"]})
                process.add_steps(tx.conn, rec["id"], m.steps, detail["oa_package"])
                tx.queue_index(rec["id"])
                rec = catalog.record(catalog.get_record(tx.conn, rec["id"]))
    except StoreError as err:
        if "meanwhile" in str(err):
            return take_in(arc, path, from_inbox=from_inbox)  # now a duplicate, or finished: said as such
        return IngestResult(inbox.shown(path), "failed", str(err))
    except OSError as err:
        return IngestResult(inbox.shown(path), "failed", inbox.write_failure(err))
    return _done(arc, path, rec, prep, len(others), len(m.steps), from_inbox)


def _source(p: pipeline.Prepared, path: Path, rel: str) -> None:
    """The record names the file where the OA put it (the package and its path), not our scratch copy."""
    p.path = Path(path) / rel


def _done(arc: Archive, path: Path, rec: dict, prep, n_others: int, n_steps: int, from_inbox: bool,
          again: bool = False) -> IngestResult:
    moved = ""
    if from_inbox:
        try:
            with arc.change(transaction=False):
                inbox.move(path, inbox.dated(arc.cfg.processed_dir, inbox.inbox_relative(path, arc.cfg.inbox)), None)
        except OSError as e:  # the record stands; the next look finds it taken in and moves it then
            moved = f"；原包未能移出收件箱（{e.strerror}），稍后自动重试"
    said = "上次中断后已完成归档" if again else (f"归档信息包：正本及 {n_others} 个附属文件为一件，办理过程 {n_steps} 个环节"
                                           + (f"；{prep.cls.reason}" if prep is not None and rec["status"] == "pending"
                                              and prep.cls.reason else ""))
    return IngestResult(inbox.shown(path), rec["status"], said + moved, rec)


def _already(arc: Archive, path: Path, m: Manifest, owner, from_inbox: bool) -> IngestResult:
    """The 正本 is here already: this package finished before a crash (every file is that record's), or a
    duplicate."""
    owners = {(o["id"] if o is not None else None) for o in (catalog.owner_of(arc.conn, e.sha) for e in m.entries)}
    if owners == {owner["id"]} and len(process.steps_of(arc.conn, owner["id"])) == len(m.steps):
        return _done(arc, path, catalog.record(owner), None, 0, 0, from_inbox, again=True)
    ref = owner["archival_code"] or f"记录 {owner['id']}"
    return _outcome(arc, path, m.main.sha, "duplicate", f"包的正本与已入库文件相同（{ref}，{owner['filename']}）",
                    from_inbox, owner["id"], catalog.record(owner))


_FOLDERS = {"failed": "failed_dir", "refused": "refused_dir", "held": "refused_dir", "duplicate": "duplicates_dir"}
_ADVICE = {"failed": "请让 OA 按 docs/oa_package.md 重新导出本件后放入收件箱。",
           "refused": "请按保密规定在涉密载体或涉密系统中处理本包，并从本机删除副本。",
           "held": "请保密员核实；确认不涉密的，可由 OA 重新导出后放入。",
           "duplicate": "无需处理；如确需再次入库，请先核对原记录。"}


def _outcome(arc: Archive, path: Path, sha: str, outcome: str, reason: str, from_inbox: bool,
             document_id: int | None = None, record: dict | None = None) -> IngestResult:
    """The whole package to one outcome folder with its reason (inbox.side_outcome: logged, then moved)."""
    if from_inbox and not os.path.lexists(path):
        return IngestResult(inbox.shown(path), "failed", "读取时包被移动、改名或删除：未登记；将按其新位置重新处理")
    try:
        return inbox.side_outcome(arc, path, sha, outcome, reason, getattr(arc.cfg, _FOLDERS[outcome]), from_inbox,
                                  document_id, record, _ADVICE[outcome])
    except OSError as e:
        if e.errno == errno.ENOENT:
            return IngestResult(inbox.shown(path), "failed", "读取时包被移动、改名或删除：未登记")
        raise


# ---- the 办理过程 as shown (archive show / open, the web record page, the transfer package) -----------------
def steps_of(conn, document_id: int) -> list[dict]:
    """A record's 办理过程 (empty for a record that did not come from an OA package)."""
    return process.steps_of(conn, document_id)


def step_rows(steps: list[dict], tz=None) -> list[tuple[str, str, str, str, str]]:
    """(序号, 环节, 处理人, 时间 on the agency's clock, 意见) for each step."""
    return [(str(s["seq"]), s["step"], s["actor"] or "", display.local_time(s["at"], tz) if s["at"] else "",
             s["opinion"] or "") for s in steps]
