"""One exception type per kind of user-facing failure.

The CLI catches ArchiveError and prints ``str(err)`` as one line; ``exit_code`` says whether it was
bad usage/config (2) or a command that ran and failed (1). Messages are Chinese: what went wrong,
which file, what to do.
"""


class ArchiveError(Exception):
    exit_code = 1


class ConfigError(ArchiveError):
    """config.toml missing, unparsable or not valid against schemas/config.schema.json."""

    exit_code = 2


class UsageError(ArchiveError):
    exit_code = 2


class ExtractionError(ArchiveError):
    """A file cannot be read: unknown type, encrypted, damaged, empty, or no text at all."""


class ExtractionLimitError(ExtractionError):
    """Extraction went past a limit (time, CPU, memory, size) or its worker process died."""


class OcrError(ExtractionError):
    """A scan or image needs OCR and OCR cannot run (not enabled, tesseract or its language data missing)."""


class StoreError(ArchiveError):
    """The store or catalog is missing, locked or inconsistent."""


class NotFoundError(ArchiveError):
    """A REF (id, 档号 or 文号) names no record."""


class DispositionError(ArchiveError):
    """A hold, release or disposal that the rules forbid (held, not yet due, not archived, shorter retention)."""


class ReviewError(ArchiveError):
    """A confirm or reclassify that cannot apply to the record (wrong status, unknown 机构, no 年度)."""


class ExportError(ArchiveError):
    """An export cannot be written (no CJK font, output exists, the record has no PDF)."""


class PackageError(ArchiveError):
    """A transfer package is invalid (BagIt validation, a record against the schema) or conflicts with the catalog."""


class CatalogFileError(ArchiveError):
    """A catalogue to import (xlsx/csv) or its mapping file cannot be read or has no recognisable header."""


class BackupError(ArchiveError):
    """A backup cannot be written, or a backup file is damaged, incomplete or not ours."""


class CatalogLostError(StoreError):
    """The catalog is missing, empty or unreadable while the store holds files, or vanished while running.

    Every command stops: a new empty catalog would make every stored file look like nobody's."""


class StopRequested(ArchiveError):
    """A watcher was asked to stop (SIGTERM) while it waited for the lock or an extraction: the file it
    was on stays in the inbox, untouched, for the next start."""
