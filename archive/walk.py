"""The one place that lists the files under a folder (``archive ingest DIR`` and the watched inbox).

Symlinks are never followed: a symlink (to a file or a folder, inside or outside the folder) is
listed as itself, so the pipeline can fail it with a reason instead of reading what it points to.
Hidden entries are skipped; in the inbox also editors' and browsers' temporary files.
"""

from __future__ import annotations

import os
from pathlib import Path

IGNORED_SUFFIXES = (".tmp", ".temp", ".crdownload", ".part", ".partial", ".download", ".swp", ".swx",
                    ".lock", ".~lock", ".filepart", ".原因.txt")
IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}


def is_hidden(path: Path, root: Path) -> bool:
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return True
    return any(p.startswith(".") for p in parts)


def is_ignored(path: Path, inbox: Path) -> bool:
    """Temporary, hidden and system files are never ingested (they are someone's work in progress)."""
    if is_hidden(path, inbox):
        return True
    name = path.name
    low = name.lower()
    return (name.startswith("~") or low in IGNORED_NAMES or low.endswith(IGNORED_SUFFIXES)
            or name.startswith(".~lock") or _has_its_file(path))


def _has_its_file(path: Path) -> bool:
    """A sidecar whose file is beside it on disk (the watched inbox sees each file on its own)."""
    if path.suffix.lower() != ".json":
        return False
    try:
        return any(q.stem == path.stem and q.suffix.lower() != ".json" for q in path.parent.iterdir())
    except OSError:
        return False


def walk(root: Path, *, skip_temporary: bool = True) -> list[Path]:
    """Files (and symlinks, FIFOs, devices) under ``root``, sorted; folders behind symlinks are not entered."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        # a symlinked folder shows up in dirnames; os.walk does not enter it, we list the link itself
        entries = filenames + [d for d in dirnames if (here / d).is_symlink()]
        for name in entries:
            p = here / name
            if (skip_temporary and is_ignored(p, root)) or is_hidden(p, root):
                continue
            # FIFOs, sockets and devices are listed too (never opened here): the pipeline fails them
            # with a reason instead of leaving them unaccounted for
            if p.is_symlink() or not p.is_dir():
                out.append(p)
    return sorted(p for p in out if not _is_sidecar(p, out))


def _is_sidecar(p: Path, listed: list[Path]) -> bool:
    """``X.json`` beside ``X.<ext>``: an OA system's sidecar, read with its file (archive/sidecar.py), not a
    file of its own."""
    return p.suffix.lower() == ".json" and any(q.parent == p.parent and q.stem == p.stem and q != p
                                               and q.suffix.lower() != ".json" for q in listed)
