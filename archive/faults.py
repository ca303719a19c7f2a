"""Crash-test hook shared by the stages: ``ARCHIVE_FAULT_STAGE=<stage>`` SIGKILLs the process there.

Lets the tests prove that a kill -9 at any point leaves nothing or a complete record. Stages:
extracting (parent, worker busy), worker (the extraction child), copying (store copy half written),
stored, in-transaction (catalog rows inserted, not committed), committed, moved, logged,
index-writing (Whoosh: index writer filled, not committed), indexed (Whoosh), reindex-swap (Whoosh: old index
moved aside, new one not yet in place; SQLite: the FTS5 table rebuilt, not committed), classified, recovering
(archive recover, after each rebuilt record), import-record (an imported record committed, not yet indexed),
restoring (archive restore: catalog and files in place, index not rebuilt), reindex-child (a Whoosh writer child
of archive reindex kills its parent: the child must die with it), destroy-committed (archive destroy: the
destruction committed, its files not yet removed from the store), backup-writing (archive backup: the catalog copy and
part of the tar written beside the backup file),
held (a doubtful file's hold committed, the
original not yet moved into quarantine/), secrecy-decided (a 保密员's decision committed, the held file not yet moved), filing-close (archive arrange close: a
record of the year numbered, the transaction not committed), registration-journalled (a paper or box registration's
store journal entry written, the catalog not committed), registration-committed (committed, its ``done`` line not
yet written)."""

from __future__ import annotations

import os
import signal


def fault(stage: str) -> None:
    if os.environ.get("ARCHIVE_FAULT_STAGE") == stage:
        if stage == "reindex-child":  # a writer child: its parent is the one that dies
            os.kill(os.getppid(), signal.SIGKILL)
            return
        os.kill(os.getpid(), signal.SIGKILL)
