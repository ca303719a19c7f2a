"""The words of option values: one table, Chinese first, the English values kept for scripts.

A clerk types ``--status 待定``, ``--decision 延期``, ``--retention 三十年``; a script keeps typing ``pending``,
``extend``, ``D30``. Both reach the services as the one code the catalog stores (``pending``, ``extend``, ``D30``).
Help texts and error messages show the Chinese words only; ``--json`` output keeps the codes.
保管期限 words come from archive/retention.py (their one home); this module adds the other value words and the
Chinese names of the command line's arguments (``{ref}`` in a usage line becomes ``{记录}``).

A leaf: it imports only errors and retention, so the command line can import it at start-up.
"""

from __future__ import annotations

import unicodedata

from archive import retention as _retention
from archive.errors import UsageError

# ---- 状态 (status of a record) ----------------------------------------------------------------------
STATUS_NAMES = {"pending": "待定", "archived": "已归档", "excluded": "不归档", "destroyed": "已销毁"}
STATUSES = tuple(STATUS_NAMES)  # the codes the catalog stores
# what a clerk may type, besides the codes themselves
STATUS_WORDS = {**{name: code for code, name in STATUS_NAMES.items()},
                "归档": "archived", "不予归档": "excluded", "销毁": "destroyed", "待确认": "pending"}

# what became of one input file (ingest, watch, the web upload): the outcome words a clerk reads
OUTCOME_NAMES = {"archived": "归档", "pending": "待定", "excluded": "不归档", "duplicate": "重复",
                 "refused": "拒收（涉密）", "held": "隔离待审", "failed": "失败", "destroyed": "已销毁",
                 "attached": "并入"}  # attached: the file joined a record already there (one 件, several files)

# ---- the role of a record's PDF/A rendition (archive/rendition.py): its 版式 copy, made by the program -----
RENDITION_ROLE = "版式副本"

# ---- 处置方式 (dispose --decision) and the decisions of an appraisal ----------------------------------
DECISION_NAMES = {"destroy": "销毁", "extend": "延期", "doubtful": "存疑（从长）"}
DECISION_WORDS = {"延期": "extend", "延长": "extend", "续存": "extend", "延长保管期限": "extend", "延期保管": "extend",
                  "销毁": "destroy", "难以判定": "doubtful", "存疑": "doubtful"}

# ---- 格式 of a written table (--format) ---------------------------------------------------------------
FORMAT_NAMES = {"xlsx": "Excel 表格", "docx": "Word 文档", "pdf": "PDF", "csv": "CSV"}
FORMAT_WORDS = {"表格": "xlsx", "电子表格": "xlsx", "excel": "xlsx", "文档": "docx", "word": "docx",
                "版式": "pdf", "逗号分隔": "csv"}

# ---- 全文检索引擎 ([index] engine) and OCR engine ([ocr] engine): names shown to a clerk -----------------
ENGINE_NAMES = {"sqlite": "SQLite（目录库内）", "whoosh": "Whoosh", "rapidocr": "RapidOCR", "tesseract": "Tesseract"}

# ---- the command line's arguments, by their Python name: shown in usage lines and error hints ----------
ARGUMENT_NAMES = {
    "ref": "记录", "refs": "记录", "query": "检索词", "paths": "路径", "path": "路径", "file": "文件",
    "files": "文件", "name": "用户名", "code": "档号", "appraisal_id": "鉴定编号",
    "held_id": "隔离文件编号", "output": "输出", "directory": "文件夹", "folder": "文件夹", "role": "角色", "source": "文件或待定记录", "which": "序号或文件名",
    "kind": "阅办类型", "state": "纸质原件",
}


def _norm(value: str) -> str:
    """Full-width folded, spaces dropped, lower case: ``Ｐｅｎｄｉｎｇ`` and ``待 定`` read as typed plainly."""
    return "".join(unicodedata.normalize("NFKC", str(value)).split()).lower()


def _lookup(value: str, codes, words: dict) -> str | None:
    v = _norm(value)
    if v in codes:
        return v
    return words.get(v) or {_norm(k): c for k, c in words.items()}.get(v)


def listing(names) -> str:
    """``待定、已归档、不归档`` for help texts and messages."""
    return "、".join(names)


def status_name(code: str | None, default: str = "无") -> str:
    """pending -> 待定 for messages (an unknown code is shown as it is)."""
    if not code:
        return default
    return STATUS_NAMES.get(code, code)


def status(value: str | None, allowed=STATUSES, option: str = "--status") -> str | None:
    """A typed status (待定 / 已归档 / 不归档 / 已销毁, or the English code) -> the code; one Chinese line if not."""
    if value is None:
        return None
    code = _lookup(value, allowed, {w: c for w, c in STATUS_WORDS.items() if c in allowed})
    if code is None or code not in allowed:
        raise UsageError(f"{option} 状态 “{value}” 无效：应为 {listing(STATUS_NAMES[c] for c in allowed)}")
    return code


def decision(value: str | None, option: str = "--decision") -> str | None:
    """延期 / 续存 / 延长 / 销毁 / 难以判定 (or extend / destroy / doubtful) -> the code."""
    if value is None:
        return None
    code = _lookup(value, DECISION_NAMES, DECISION_WORDS)
    if code is None:
        raise UsageError(f"{option} “{value}” 无效：应为 {listing(DECISION_NAMES.values())}")
    return code


def retention(value: str | None, option: str = "--retention") -> str | None:
    """永久 / 30年 / 10年 in any spelling an archivist writes (三十年, 定期30年, ３０年), or Y / D30 / D10 -> the code.

    长期 and 短期 (the periods before 2006) are named as such: no record can be given one today."""
    if value is None:
        return None
    code = _retention.from_typed(value)
    if code is None:
        parsed = _retention.parse(value)
        if parsed and parsed[1] is None:
            code = parsed[0]
        elif parsed:
            raise UsageError(f"{option} 保管期限 “{value}” 是 2006 年以前的期限，现行期限只有 "
                             f"{listing(_retention.NAMES.values())}")
    if code is None:
        raise UsageError(f"{option} 保管期限 “{value}” 无效：应为 {listing(_retention.NAMES.values())}")
    return code


def table_format(value: str | None, option: str = "--format") -> str | None:
    """xlsx / docx / pdf / csv, or 表格 / 文档 / Excel / Word -> the file extension."""
    if value is None:
        return None
    code = _lookup(value.lstrip("."), FORMAT_NAMES, FORMAT_WORDS)
    if code is None:
        raise UsageError(f"{option} 格式 “{value}” 无效：应为 {listing(FORMAT_NAMES)}（表格、文档亦可）")
    return code


def values_help(kind: str) -> str:
    """The Chinese values of an option for its help text (what a clerk reads first)."""
    return {
        "status": listing(STATUS_NAMES.values()),
        "retention": listing(_retention.NAMES.values()),
        "format": listing(FORMAT_NAMES),
        "decision": "延期（或 续存）",
    }[kind]


def argument_name(name: str | None) -> str | None:
    """The Chinese name of a command-line argument (``ref`` -> 记录), or the name as it is."""
    return ARGUMENT_NAMES.get(name or "", name)


def install_argument_names(core) -> None:
    """Usage lines and error hints show an argument by its Chinese name (``{记录}`` rather than ``{ref}``).

    ``core`` is ``typer.core``; an argument given an explicit ``metavar=`` keeps it."""
    cls = getattr(core, "TyperArgument", None)
    if cls is None or getattr(cls, "_archive_names", False):
        return
    cls.display_name_raw = property(lambda self: self.metavar if self.metavar is not None
                                    else argument_name(self.name))
    cls._archive_names = True
