"""The flat view of a text (line breaks removed, their places kept) and finding numbers in it."""

from __future__ import annotations

import re

from archive.models import DocNumber
from archive.gongwen.vocab import LABEL_RE, TYPES_BY_LEN


class Flat:
    """The text without line breaks, plus where the breaks were."""

    def __init__(self, text: str):
        chars = []
        breaks = set()
        blank = set()  # breaks where a blank line (or a rule taken out) stood
        prev_nl = False
        for ch in text:
            if ch == "\n":
                if prev_nl or not chars:
                    blank.add(len(chars))
                breaks.add(len(chars))
                prev_nl = True
            elif ch.strip() or not prev_nl:
                chars.append(ch)
                prev_nl = False
            else:
                chars.append(ch)
        self.s = "".join(chars)
        self.breaks = breaks
        self.blank = blank
        self.lines = len(breaks) + 1

    def line_start(self, i: int) -> bool:
        return i == 0 or i in self.breaks

    def line_end(self, i: int) -> bool:
        return i >= len(self.s) or i in self.breaks

    def line_of(self, i: int) -> tuple[int, int]:
        """Start and end (flat offsets) of the original line holding position i."""
        a = i
        while a > 0 and a not in self.breaks:
            a -= 1
        b = i + 1
        while b < len(self.s) and b not in self.breaks:
            b += 1
        return a, min(b, len(self.s))


# --------------------------------------------------------------------------------------------
# the header


CITE_BEFORE = re.compile(r"(?:关于|会签|商请|根据|按照|依据|依照|贯彻|落实|执行|参照|参见|详见|转发|印发|经|以|和|及|与|或|即|是|的|对|将|把|由|在|于|如|照|据)\s*$")
CITE_AFTER = re.compile(r"^\s*(?:文件?精神|文件?要求|文件?规定|文件的|文件）|文件\)|精神|要求|规定|的|）|\)|】|》|〉|等|和|、|，|,|同时|已|文件收悉|收悉|文$)|^文件(?!登记)")


def recipient_colon(flat: str, start: int, limit: int) -> int | None:
    """First colon in flat[start:limit] that is not a label's colon."""
    for m in re.finditer(r"[：:]", flat[start:limit]):
        i = start + m.start()
        before = flat[max(0, i - 8):i]
        if LABEL_RE.search(before):
            continue
        # a time of day (8:45) is no colon of ours, nor a link's (https://…)
        if flat[i - 1:i].isdigit() and flat[i + 1:i + 2].isdigit() or flat[i + 1:i + 3] == "//":
            continue
        return i
    return None


def is_citation(flat: str, start: int, end: int) -> bool:
    before = flat[max(0, start - 6):start]
    after = flat[end:end + 8]
    if re.search(r"[（(《〈【\[]\s*$", before):
        return True
    if CITE_BEFORE.search(before) and not re.search(r"(?:文件|事项|特急|加急|明电|部门)\s*$", before):
        return True
    if CITE_AFTER.search(after):
        return True
    # inside an open 《 … 》 or （ … ）
    return (unclosed(flat[max(0, start - 120):start], "《〈", "》〉")
            or unclosed(flat[max(0, start - 200):start], "（(", "）)"))


def unclosed(text: str, opens: str, closes: str) -> bool:
    """Whether ``text`` ends inside a bracket it opened."""
    depth = 0
    for ch in text:
        if ch in opens:
            depth += 1
        elif ch in closes:
            depth = max(0, depth - 1)
    return depth > 0


TRIM_ORG = ("委员会", "办公室", "办公厅", "政府", "中心", "公司", "厅", "局")


def trim_number(num: DocNumber, a: int, b: int, flat: str) -> tuple[DocNumber, int]:
    """Cut header text that a glued run-on header left in front of the 机关代字.

    ``普通事项安监函`` -> ``安监函``; ``…若干措施冀政办发`` -> ``冀政办发`` (the title before the
    number); ``山东省交通运输厅鲁交城市函`` -> ``鲁交城市函`` (the 发文机关标志 without 文件).
    """
    code = num.code or ""
    if not code:
        return num, a
    cut = 0
    m = re.match(r"(?:内部事项|普通事项|特急|加急|特提|平急|明电|等级|[·，,\s])+", code)
    if m and len(code) - m.end() >= 1:
        cut = m.end()
    for w in TYPES_BY_LEN:
        if len(w) < 2:
            continue
        k = code.rfind(w)
        if k >= 0 and len(code) - (k + len(w)) >= 2:
            cut = max(cut, k + len(w))
    if num.kind == "standard":
        for suf in TRIM_ORG:
            for mm in re.finditer(suf, code):
                p = mm.end()
                if p >= 5 and len(code) - p >= 2:
                    cut = max(cut, p)
    if cut <= 0:
        return num, a
    new_code = code[cut:]
    seg = flat[a:b]
    k = seg.find(new_code)
    if k < 0:
        return num, a
    try:
        import dataclasses

        return dataclasses.replace(num, code=new_code, raw=seg[k:].strip()), a + k
    except Exception:
        return num, a


def find_numbers(flat: str):
    try:
        from archive import docno
    except Exception:  # pragma: no cover - docno is part of the package
        return []
    try:
        found = docno.find_all(flat)
    except Exception:
        return []
    out = []
    for item in found or []:
        try:
            num, a, b = item
        except (TypeError, ValueError):
            continue
        if isinstance(num, DocNumber):
            a, b = int(a), int(b)
            num, a = trim_number(num, a, b, flat)
            out.append((num, a, b))
    out.sort(key=lambda t: t[1])
    return out


class OnText:
    """A part's result that reads the prepared text: ``flat`` and ``f`` are those of its ``doc``."""

    @property
    def flat(self) -> str:
        return self.doc.f.s

    @property
    def f(self) -> Flat:
        return self.doc.f
