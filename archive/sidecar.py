"""The simple sidecar (issue 27, item 5): ``X.pdf`` with ``X.json`` beside it in the inbox, for an OA system
that exports a file and the values it declares for it, and nothing more.

The sidecar is one JSON object, UTF-8, at most 64 KB, with any of these keys (docs/domain.md, 旁注文件):
题名, 文号, 发文机关, 成文日期 (YYYY-MM-DD or 2026年6月1日), 密级 (非密/公开/无, 秘密, 机密, 绝密), 阅件办件
(阅件 or 办件). Its values are declared: preferred to what is read from the text, with a warning on the record
where the two disagree. A 密级 is never weakened: a declared 秘密/机密/绝密 makes the file 涉密 (refused, as
a mark would), a declared 非密 clears nothing the file itself shows. A sidecar that cannot be read, is not
one JSON object, has a key not listed or a value that does not parse makes the file fail (moved to failed/
with the reason): nothing is guessed from a declaration that does not say what it means.

Pure: reads the sidecar, changes the ``GongwenFields`` it is given; the pipeline makes one call.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from archive import docno
from archive.models import GongwenFields

MAX_BYTES = 64 * 1024
MAX_VALUE = 500  # characters of one declared value
KEYS = ("题名", "文号", "发文机关", "成文日期", "密级", "阅件办件")
SECRET = ("秘密", "机密", "绝密")
NOT_SECRET = ("非密", "公开", "无", "")
HANDLING = ("阅件", "办件")
_DATE = re.compile(r"^\s*(\d{4})\s*(?:-|年|/|\.)\s*(\d{1,2})\s*(?:-|月|/|\.)\s*(\d{1,2})\s*日?\s*$")


class SidecarProblem(Exception):
    """A sidecar that does not say what it means (Chinese message)."""


@dataclass
class Declared:
    title: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    date: dt.date | None = None
    secrecy: str | None = None  # 秘密/机密/绝密, or None (非密 or not declared)
    handling: str | None = None  # 阅件 / 办件
    name: str = ""  # the sidecar's file name, for messages
    values: dict = field(default_factory=dict)  # what it declared, as read
    said: str = "旁注文件"  # who declared it, in warnings (an OA package: 归档信息包元数据)


def sidecar_of(path: Path) -> Path | None:
    """``X.json`` beside ``X.<ext>`` (a regular file, not a link), or None."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return None
    side = path.with_suffix(".json")
    try:
        mode = os.lstat(side).st_mode
    except OSError:
        return None
    return side if stat.S_ISREG(mode) else None


def is_sidecar(path: Path) -> bool:
    """Whether ``path`` is the sidecar of another file in the same folder (``X.json`` beside ``X.<ext>``)."""
    path = Path(path)
    if path.suffix.lower() != ".json":
        return False
    try:
        return any(p != path and p.stem == path.stem and p.suffix.lower() != ".json" and p.is_file()
                   for p in path.parent.iterdir())
    except OSError:
        return False


def _clean(value, key: str, who: str) -> str:
    if not isinstance(value, str):
        raise SidecarProblem(f"{who} 的“{key}”不是文本")
    v = unicodedata.normalize("NFC", value)
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in v):
        raise SidecarProblem(f"{who} 的“{key}”含有控制字符")
    v = v.strip()
    if len(v) > MAX_VALUE:
        raise SidecarProblem(f"{who} 的“{key}”过长（{len(v)} 字）")
    return v


def read(side: Path) -> Declared:
    """The declared values of a sidecar; SidecarProblem (Chinese) when it does not say what it means."""
    name = side.name
    try:
        with open(side, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise SidecarProblem(f"旁注文件 {name} 无法读取：{e.strerror}") from None
    return read_values(json_object(data, MAX_BYTES, f"旁注文件 {name}", KEYS), name)


def json_object(data: bytes, limit: int, who: str, keys, problem=SidecarProblem) -> dict:
    """One UTF-8 JSON object of at most ``limit`` bytes with only ``keys`` (a sidecar; an OA package's manifest),
    or ``problem`` (Chinese, naming ``who``)."""
    if len(data) > limit:
        raise problem(f"{who} 过大（超过 {limit // 1024} KB）")
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise problem(f"{who} 不是 UTF-8 编码的 JSON") from None
    if not isinstance(obj, dict):
        raise problem(f"{who} 应为一个 JSON 对象（键：{'、'.join(keys)}）")
    unknown = [str(k)[:20] for k in obj if k not in keys]
    if unknown:
        raise problem(f"{who} 有无法识别的键：{'、'.join(unknown[:5])}（可用：{'、'.join(keys)}）")
    return obj


def read_values(obj: dict, name: str, said: str = "旁注文件") -> Declared:
    """The declared values of one JSON object (a sidecar's, or an OA package's 元数据: ``said`` names it in
    messages and warnings); SidecarProblem (Chinese) when it does not say what it means."""
    who = f"{said} {name}" if said == "旁注文件" else said
    unknown = [k for k in obj if k not in KEYS]
    if unknown:
        raise SidecarProblem(f"{who} 有无法识别的键：{'、'.join(str(k)[:20] for k in unknown[:5])}"
                             f"（可用：{'、'.join(KEYS)}）")
    d = Declared(name=name, said=said)
    vals = {k: _clean(v, k, who) for k, v in obj.items() if v is not None}
    d.values = vals
    d.title = vals.get("题名") or None
    d.issuer = vals.get("发文机关") or None
    if vals.get("文号"):
        if docno.parse(vals["文号"]) is None:
            raise SidecarProblem(f"{who} 的文号“{vals['文号']}”无法识别")
        d.doc_number = vals["文号"]
    if vals.get("成文日期"):
        m = _DATE.match(vals["成文日期"])
        try:
            d.date = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
        except ValueError:
            d.date = None
        if d.date is None:
            raise SidecarProblem(f"{who} 的成文日期“{vals['成文日期']}”无法识别（应如 2026-06-01）")
    if "密级" in vals:
        level = vals["密级"].replace(" ", "")
        level = next((s for s in SECRET if level.startswith(s)), level)  # 秘密★1年
        if level in SECRET:
            d.secrecy = level
        elif level not in NOT_SECRET:
            raise SidecarProblem(f"{who} 的密级“{vals['密级']}”无法识别（应为 非密、秘密、机密 或 绝密）")
    if vals.get("阅件办件"):
        if vals["阅件办件"] not in HANDLING:
            raise SidecarProblem(f"{who} 的阅件办件“{vals['阅件办件']}”应为 阅件 或 办件")
        d.handling = vals["阅件办件"]
    return d


_RANK = {None: 0, "秘密": 1, "机密": 2, "绝密": 3}


def apply(d: Declared, fields: GongwenFields) -> None:
    """Declared values preferred to those read (a warning where they disagree); the 密级 only ever raised."""
    def differs(label: str, read_value, declared_value) -> None:
        if read_value not in (None, "") and str(read_value) != str(declared_value):
            fields.warnings.append(f"{d.said}声明的{label}“{declared_value}”与正文识别的“{read_value}”不一致，"
                                   "采用声明值")

    if d.title:
        differs("题名", fields.title, d.title)
        fields.title = d.title
    if d.issuer:
        differs("发文机关", fields.issuer, d.issuer)
        fields.issuer = d.issuer
        fields.issuers = [d.issuer]
    if d.doc_number:
        parsed = docno.parse(d.doc_number)
        differs("文号", fields.doc_number.raw if fields.doc_number is not None else None, d.doc_number)
        fields.doc_number = parsed
    if d.date:
        differs("成文日期", fields.date, d.date)
        fields.date = d.date
        fields.date_source = "旁注文件"
    if _RANK.get(d.secrecy, 0) > _RANK.get(fields.secrecy, 0):
        fields.secrecy = d.secrecy  # never weakened: a declared 非密 leaves a 密级 read from the file as it is
    if d.handling:  # the 收文 registration: what the classification needs to exclude a 阅件 (issue 26)
        from archive.classify import set_receipt

        set_receipt(fields, {"阅办类型": d.handling})


def declare(path: Path, fields: GongwenFields) -> str | None:
    """The pipeline's one call: apply the sidecar of ``path`` if it has one. None, or why the file fails."""
    side = sidecar_of(path)
    if side is None:
        return None
    try:
        apply(read(side), fields)
    except SidecarProblem as e:
        return f"{e}：请改正旁注文件后重新放入（未采用任何声明值）"
    return None
