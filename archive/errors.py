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


class OcrError(ExtractionError):
    """A scan or image needs OCR and OCR cannot run (not enabled, tesseract or its language data missing)."""


class StoreError(ArchiveError):
    """The store or catalog is missing, locked or inconsistent."""


class NotFoundError(ArchiveError):
    """A REF (id, 档号 or 文号) names no record."""
