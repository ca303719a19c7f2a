"""保管期限 (retention period): the one home of its codes, names, years, order and every spelling we accept.

Since 国家档案局令第8号 (2006) a 文书档案 is kept 永久 or 定期 (30年, 10年); the catalog stores the codes
``Y`` / ``D30`` / ``D10`` (docs/retention.md). The 1987 rule had 长期 and 短期: an imported record keeps
such a period as written (``documents.retention_old``), never converted, and old 档号 spell it ``C`` / ``D``.
No official conversion exists (长期 meant up to about 50 years), so an old period is appraised when it comes due.

A leaf module: the catalog, the services, the command line and the web page all read it, it reads nothing.
"""

from __future__ import annotations

import unicodedata

# ---- today's periods ---------------------------------------------------------------------------------
CODES = ("Y", "D30", "D10")  # longest first: the order of a catalogue (归档文件目录) and of a table
NAMES = {"Y": "永久", "D30": "30年", "D10": "10年"}  # code -> name as printed
CODE_OF_NAME = {name: code for code, name in NAMES.items()}  # 永久 -> Y
YEARS = {"D10": 10, "D30": 30}  # 永久 (Y) is never due
RANK = {"D10": 0, "D30": 1, "Y": 2}  # longer ranks higher (从长: an extension must go up)
ORDER = {code: i for i, code in enumerate(CODES)}  # Y 0, D30 1, D10 2: catalogue order

# ---- the periods of the 1987 rule (abolished 2006) --------------------------------------------------
OLD_NAMES = {"C": "长期", "D": "短期"}  # code, as old 档号 write it -> name
OLD_CODE_OF_NAME = {name: code for code, name in OLD_NAMES.items()}  # 长期 -> C
OLD_YEARS = {"长期": 50, "短期": 15}  # defaults of [appraisal] old_long_years / old_short_years

# ---- spellings ---------------------------------------------------------------------------------------
# What a clerk types on the command line, the web page or in ``--extend REF:期限:理由``: the name or the code.
TYPED = {**CODE_OF_NAME, **{code: code for code in CODES}}
# What a catalogue of older software, a 鉴定意见 or a mapping file may write (compared after ``normalize``:
# full-width folded, spaces dropped, upper case). Maps to Y / D30 / D10.
WRITTEN = {**TYPED, "定期30年": "D30", "30": "D30", "三十年": "D30", "定期三十年": "D30",
           "定期10年": "D10", "10": "D10", "十年": "D10", "定期十年": "D10"}
# The old periods as a catalogue writes them: name or 档号 code -> C / D.
WRITTEN_OLD = {**OLD_CODE_OF_NAME, **{code: code for code in OLD_NAMES}}


def normalize(text) -> str:
    """Full-width to half-width, no spaces, upper case: ``３０ 年`` and ``d30`` read as ``30年`` and ``D30``."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).upper()


def from_typed(value: str | None) -> str | None:
    """永久 / 30年 / 10年 or Y / D30 / D10, exactly as typed -> the code; None for anything else."""
    return TYPED.get(value or "")


def parse(value) -> tuple[str, str | None] | None:
    """A period as an older catalogue writes it -> (code, old name), or None when it is none we know.

    Today's periods give (Y/D30/D10, None); 长期/短期 (or C/D) give ("C"/"D", "长期"/"短期"): kept as
    written, never converted (a mapping file's own spellings are the importer's to try first)."""
    v = normalize(value)
    if v in WRITTEN:
        return WRITTEN[v], None
    if v in WRITTEN_OLD:
        code = WRITTEN_OLD[v]
        return code, OLD_NAMES[code]
    return None


def name(code: str | None, default: str = "") -> str:
    """Y / D30 / D10 -> 永久 / 30年 / 10年; C / D of an old 档号 -> 长期 / 短期; else ``default``."""
    return NAMES.get(code or "") or OLD_NAMES.get(code or "") or default


def label(row) -> str:
    """保管期限 as shown for a record: 永久 / 30年 / 10年, or 原长期 / 原短期 for an imported old period,
    or both (``30年（原长期）``) once an appraisal has given it one of today's."""
    old = row["retention_old"] if "retention_old" in row.keys() else None
    new = NAMES.get(row["retention"] or "", "")
    if old and new:
        return f"{new}（原{old}）"
    return f"原{old}" if old else new


def order_sql(column: str = "retention") -> str:
    """A SQL expression sorting ``column`` in catalogue order (永久, 30年, 10年, then anything else)."""
    whens = " ".join(f"WHEN '{code}' THEN {i}" for code, i in ORDER.items())
    return f"CASE {column} {whens} ELSE {len(ORDER)} END"
