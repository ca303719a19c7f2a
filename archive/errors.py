"""One exception type per kind of user-facing failure.

The CLI catches ArchiveError and prints ``str(err)`` as one line; ``exit_code`` says whether it was
bad usage/config (2) or a command that ran and failed (1). Messages are Chinese: what went wrong,
which file, what to do.
"""

import re as _re


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


class FilingError(ArchiveError):
    """The year's arrangement and filing (archive arrange) refused: 待定 records, problems found by the checks, the
    same person as 整理人 and 检查人, a closed year, a numbering mode the catalog does not allow."""


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


class RenditionError(ArchiveError):
    """A PDF/A 版式副本 could not be made (archive convert, archive/rendition.py): the record is left as it was."""


class SecrecyDecisionError(ArchiveError):
    """A 保密员's decision that cannot apply (archive secrecy decide): no such held file, decided already, no
    reason, the held file gone or changed, or the gate now finds a mark or a new doubt."""


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
    lib = library_reason(e)
    if lib is not None:
        return f"文件无法读取：{lib}：请检查文件是否完整（如需排查，请用 --debug 重新运行）"
    if isinstance(e, OverflowError):
        return f"数值过大（{detail}）：请检查命令中的数字"
    if isinstance(e, UnicodeError):
        return f"文字编码无法处理（{detail}）：请检查输入中的特殊字符"
    return f"内部错误（{detail}）：请用 --debug 重新运行并把输出报告给维护人员"


# ---- library errors as one Chinese reason ------------------------------------------------------------
# The libraries we read files with (tomllib, bagit, tarfile, zipfile, openpyxl, jsonschema) speak English. The
# module that calls one catches its error and raises our own type with ``library_reason(e)`` inside the line;
# ``describe_unexpected`` uses it too, for one that slips through. Matched by class name, so this module
# imports none of them.

_TOML = [  # tomllib's messages (Python 3.11-3.13), without the "(at line …, column …)" suffix
    (r"Invalid value", "值无效（文字须加英文双引号，如 name = \"示例县档案局\"）"),
    (r"Invalid statement", "无法识别的一行（应为 键 = 值 或 [表名]）"),
    (r"Expected '=' after a key in a key/value pair", "键后面缺少等号 ="),
    (r"Expected newline or end of document after a statement", "一行只能写一个 键 = 值（值后面有多余的内容）"),
    (r"Expected '\]' at the end of a table declaration", "表名缺少右方括号 ]"),
    (r"Expected '\]\]' at the end of an array declaration", "[[表名]] 缺少右方括号 ]]"),
    (r"Invalid initial character for a key part", "键名的第一个字符无效（键名须为英文字母、数字、_ 或 -，或加引号）"),
    (r"Unterminated string", "字符串缺少结尾的引号"),
    (r"Unclosed array", "列表缺少右方括号 ]"),
    (r"Unclosed inline table", "行内表缺少右花括号 }"),
    (r"Cannot overwrite a value|Cannot declare (.*) twice|Duplicate inline table key (.*)", "同一个键或表写了两次"),
    (r"Cannot (?:mutate immutable|redefine) namespace (.*)", "与前面的表 {0} 冲突"),
    (r"Invalid date or datetime", "日期或时间无效"),
    (r"Unescaped '\\' in a string|Invalid hex value|Escaped character is not a Unicode scalar value",
     "字符串中的反斜杠 \\ 用法不对（路径请用 / 或单引号）"),
    (r"Illegal character (.*)|Found invalid character (.*)", "有不允许的字符 {0}"),
    (r"Expected (.*)", "此处应为 {0}"),
]
_BAGIT = [  # bagit's messages (gettext templates, filled)
    (r"Expected bagit\.txt does not exist.*|Expected .* to contain \"bagit\.txt\"", "缺少 bagit.txt"),
    (r"Missing required tag in bagit\.txt: (.*)", "bagit.txt 缺少必需的标签 {0}"),
    (r"Bag version numbers must be .*|Unsupported bag version: (.*)", "BagIt 版本号无效或不受支持"),
    (r"Unsupported encoding: (.*)", "标签文件的编码 {0} 不受支持"),
    (r"Expected data directory .* does not exist", "缺少 data 文件夹"),
    (r"No manifest files found", "缺少清单文件 manifest-*.txt"),
    (r"Payload-Oxum validation failed\. Expected (\d+) files and (\d+) bytes but found (\d+) files and (\d+) bytes",
     "Payload-Oxum 不符：应有 {0} 个文件、{1} 字节，实有 {2} 个文件、{3} 字节"),
    (r"Malformed Payload-Oxum value.*", "Payload-Oxum 格式错误"),
    (r"Bag is incomplete", "移交包不完整"),
    (r"Bag validation failed", "有文件与清单不符"),
    (r"bagit\.txt must not contain a byte-order mark", "bagit.txt 不应带字节顺序标记（BOM）"),
    (r"Could not read (.*?): .*", "无法读取 {0}"),
    (r"(.*) contains invalid tag: (.*)", "{0} 中有无效的标签行 “{1}”"),
    (r"Path \"(.*?)\" in .* is unsafe", "清单中的路径 {0} 不安全（指向移交包之外）"),
    (r".*manifest lists (.*) multiple times.*", "清单中 {0} 重复列出"),
    (r"Malformed URL in fetch\.txt.*", "fetch.txt 中的网址格式错误"),
    (r"Unicode normalization conflict for file \"(.*)\" and \"(.*)\"", "文件名 {0} 与 {1} 只差 Unicode 规范化形式"),
]


def _match(table, text: str, default: str) -> str:
    for pattern, zh in table:
        m = _re.fullmatch(pattern, text.strip(), _re.S)
        if m:  # {0}, {1} … filled by replacement: the Chinese texts hold braces of their own
            for i, g in enumerate(g for g in m.groups() if g is not None):
                zh = zh.replace("{%d}" % i, g)
            return zh
    return default


def _names(e: BaseException) -> set[str]:
    return {f"{c.__module__}.{c.__name__}" for c in type(e).__mro__}


def toml_position(e: BaseException) -> tuple[int | None, int | None]:
    """(line, column) of a TOML syntax error, 1-based; (None, None) at the end of the document."""
    line, col = getattr(e, "lineno", None), getattr(e, "colno", None)
    if line is None:
        m = _re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        if m:
            line, col = int(m.group(1)), int(m.group(2))
    return line, col


def toml_reason(e: BaseException) -> str:
    """``第 3 行第 8 列：值无效（…）`` for a tomllib.TOMLDecodeError."""
    msg = getattr(e, "msg", None) or _re.sub(r"\s*\(at (?:line \d+, column \d+|end of document)\)$", "", str(e))
    where = "文件末尾" if "end of document" in str(e) else ""
    line, col = toml_position(e)
    if line is not None:
        where = f"第 {line} 行第 {col} 列"
    return f"{where}：{_match(_TOML, msg, 'TOML 语法错误')}" if where else _match(_TOML, msg, "TOML 语法错误")


def bagit_reason(e: BaseException) -> str:
    """One Chinese reason for a bagit.BagError / BagValidationError, naming up to five files it lists."""
    message = getattr(e, "message", None) or (e.args[0] if e.args else "")
    own = _match(_BAGIT, str(message), "不符合 BagIt 规范")
    details = []
    for d in list(getattr(e, "details", None) or [])[:5]:
        kind, path = type(d).__name__, getattr(d, "path", "")
        if kind == "ChecksumMismatch":
            details.append(f"{path} 的 {getattr(d, 'algorithm', '')} 校验值不符，文件已被改动或损坏")
        elif kind == "FileMissing":
            details.append(f"{path} 列在清单中，但文件不存在")
        elif kind == "UnexpectedFile":
            details.append(f"{path} 不在清单中")
        else:
            details.append(_match(_BAGIT, str(d), "不符合 BagIt 规范"))
    more = len(getattr(e, "details", None) or []) - len(details)
    tail = "；".join(details) + (f"；另有 {more} 处" if more > 0 else "")
    return f"{own}（{tail}）" if tail else own


def damage_detail(e: BaseException) -> str:
    """What a reader library said about a damaged file, for a clerk: its reason in Chinese when we know it, else
    nothing (its English words stay out of the message; ``--debug`` shows the traceback)."""
    reason = library_reason(e)
    return f"：{reason}" if reason else ""


def library_reason(e: BaseException) -> str | None:
    """One Chinese reason for an error raised by a library we read files with, or None for any other."""
    names = _names(e)
    text = str(e)
    if "tomllib.TOMLDecodeError" in names:
        return toml_reason(e)
    if "bagit.BagError" in names:
        return bagit_reason(e)
    if "jsonschema.exceptions.ValidationError" in names or "jsonschema.exceptions._Error" in names:
        return schema_problem(e)
    if "openpyxl.utils.exceptions.InvalidFileException" in names:
        return "不是 .xlsx 文件（旧的 .xls 请用 Excel 另存为 .xlsx）"
    if "zipfile.BadZipFile" in names or "zipfile.LargeZipFile" in names:
        return "文件损坏、不完整，或不是它的扩展名所说的格式（读不出其中的 ZIP 压缩包）"
    if "tarfile.TarError" in names:
        if "empty file" in text:
            return "文件是空的"
        if "unexpected end of data" in text or "truncated" in text:
            return "文件不完整（在中途截断）"
        return "不是 tar 文件，或已损坏"
    if "zlib.error" in names or "lzma.LZMAError" in names or "_compression.DecompressionError" in names:
        return "压缩数据已损坏"
    if isinstance(e, EOFError):
        return "文件不完整（在中途截断）"
    if isinstance(e, KeyError) and "There is no item named" in text:
        return "文件缺少必要的组成部分（已损坏，或不是 Excel/Word 文件）"
    return None


_SCHEMA_TYPES = {"string": "文字", "array": "列表", "object": "表", "boolean": "true/false", "integer": "整数",
                 "number": "数字", "null": "空值"}


def schema_problem(err) -> str:
    """One Chinese sentence for a jsonschema ValidationError: where, the value found, what was expected."""
    import json

    where = ""
    for part in getattr(err, "absolute_path", ()) or ():
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    where = where or "（顶层）"
    v, want = err.validator, err.validator_value
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return f"{where} 缺少必填项 {missing}"
    if v == "additionalProperties":
        extra = _re.findall(r"'([^']+)'", err.message)
        return f"{where} 有未知的键 {', '.join(extra)}（请检查拼写）"
    found = json.dumps(err.instance, ensure_ascii=False, default=str)
    if len(found) > 80:
        found = found[:77] + "…"
    if v == "enum":
        return f"{where} = {found}：应为 {'、'.join(str(x) for x in want)} 之一"
    if v == "const":
        return f"{where} = {found}：应为 {want}"
    if v == "type":
        w = "、".join(_SCHEMA_TYPES.get(x, x) for x in want) if isinstance(want, list) else _SCHEMA_TYPES.get(want, want)
        return f"{where} = {found}：应为{w}"
    if v == "pattern":
        return f"{where} = {found}：格式不符（应匹配 {want}）"
    if v in ("minLength", "minItems", "minProperties") and want == 1:
        return f"{where} 不能为空"
    limits = {"minimum": "应不小于 {0}", "maximum": "应不大于 {0}", "exclusiveMinimum": "应大于 {0}",
              "exclusiveMaximum": "应小于 {0}", "minLength": "至少 {0} 个字符", "maxLength": "最多 {0} 个字符",
              "minItems": "至少 {0} 项", "maxItems": "最多 {0} 项", "uniqueItems": "不能有重复项",
              "format": "格式不符（应为 {0}）", "multipleOf": "应为 {0} 的倍数"}
    if v in limits:
        return f"{where} = {found}：{limits[v].format(want)}"
    if v == "dependentRequired":
        pairs = [f"{k} 与 {'、'.join(o)}" for k, o in want.items() if k in (err.instance or {})]
        return f"{where}：{'；'.join(pairs)} 须同时填写"
    if v in ("oneOf", "anyOf", "allOf", "not", "if", "then", "else", "dependencies"):
        return f"{where} = {found}：不符合规定的写法"
    return f"{where} = {found}：不符合规定（{v}）"


class UseError(ArchiveError):
    """A use-register entry (利用登记) or a web request that cannot be made: no approval for an outside copy, a
    loan without a due date, an entry that does not exist or is already returned."""


class TransferError(ArchiveError):
    """A 移交 step that cannot apply: records without 开放审核, a record already transferred (edit, reclassify and
    destruction of a 已移交 record are refused with this type), an unknown transfer or receipt."""
