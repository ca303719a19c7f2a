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


class AmbiguousRefError(NotFoundError):
    """A REF (a 发文字号 shared by several documents) names more than one record: ``rows`` lists them, so the
    command line can show their record numbers and ask for one."""

    def __init__(self, message: str, rows: list | None = None):
        super().__init__(message)
        self.rows = list(rows or [])


class DispositionError(ArchiveError):
    """A hold, release or disposal that the rules forbid (held, not yet due, not archived, shorter retention)."""


class ReviewError(ArchiveError):
    """A confirm or reclassify that cannot apply to the record (wrong status, unknown 机构, no 年度)."""


class EditError(ArchiveError):
    """A correction of a record's 著录项 that cannot apply (no reason, nothing changed, a destroyed record, a
    corrected date that would move an archived record to another year)."""


class ExportError(ArchiveError):
    """An export cannot be written (no CJK font, output exists, the record has no PDF)."""


class PackageError(ArchiveError):
    """A transfer package is invalid (BagIt validation, a record against the schema) or conflicts with the catalog."""


class CatalogFileError(ArchiveError):
    """A catalogue to import (xlsx/csv) or its mapping file cannot be read or has no recognisable header."""


class BackupError(ArchiveError):
    """A backup cannot be written, or a backup file is damaged, incomplete or not ours."""


class AttachError(ArchiveError):
    """A file that cannot be attached to or detached from a record (archive attach / detach): wrong role,
    a record that cannot take it, a file another record owns."""


class CatalogLostError(StoreError):
    """The catalog is missing, empty or unreadable while the store holds files, or vanished while running.

    Every command stops: a new empty catalog would make every stored file look like nobody's."""


class StopRequested(ArchiveError):
    """A watcher was asked to stop (SIGTERM) while it waited for the lock or an extraction: the file it
    was on stays in the inbox, untouched, for the next start."""


def describe_unexpected(e: Exception) -> str:
    """One Chinese line for a failure no command turned into an ArchiveError (read-only or full disk, a
    damaged catalog or index, a value too large for the database): the command line prints it instead of a
    traceback."""
    import sqlite3

    detail = f"{type(e).__name__}: {str(e)[:200]}"
    if isinstance(e, sqlite3.OperationalError) and "readonly" in str(e):
        return f"档案库是只读的，无法写入（{detail}）：请检查档案库文件夹和 catalog.sqlite 的权限"
    if isinstance(e, sqlite3.DatabaseError):
        return (f"目录数据库出错（{detail}）：请运行 archive verify 检查；如数据库已损坏，请用 archive restore 从备份恢复")
    if isinstance(e, PermissionError):
        return f"没有权限读写 {e.filename or ''}（{e.strerror}）：请检查档案库文件夹的权限"
    if isinstance(e, OSError):
        return f"读写文件失败：{e.filename or ''}（{e.strerror or detail}）：请检查磁盘空间、权限和路径"
    if isinstance(e, OverflowError):
        return f"数值过大（{detail}）：请检查命令中的数字"
    if isinstance(e, UnicodeError):
        return f"文字编码无法处理（{detail}）：请检查输入中的特殊字符"
    return f"内部错误（{detail}）：请用 --debug 重新运行并把输出报告给维护人员"
