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
            or name.startswith(".~lock"))


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
    return sorted(out)
