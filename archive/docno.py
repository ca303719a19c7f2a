"""发文字号 (document number) parsing, finding and search keys.

GB/T 9704-2012 prints a number as ``机关代字〔年份〕序号号``; real documents spell it in many ways
(other brackets, mixed pairs, full-width digits, spaces, ``第``, leading zeros, labels, OCR damage),
and 令 / 公告 numbers form their own families (``国务院令第707号``, ``国家税务总局公告2015年第41号``).

- ``parse`` reads a string that *is* a number (a field value) and is lenient about its spelling.
- ``find_all`` finds numbers in running text, including OCR text where the number is glued to its
  neighbours, and picks the 机关代字 boundary with a few header/title heuristics.
- ``search_keys`` / ``query_keys`` give index keys so that any spelling of a number finds it.

Only the standard library is used; all patterns are compiled at import.
"""

from __future__ import annotations

import re
import unicodedata

from archive import zhnum
from archive.models import DocNumber

__all__ = ["parse", "find_all", "normalize", "search_keys", "query_keys", "exact_query_keys", "ocr_variant", "same_code"]

YEAR_MIN, YEAR_MAX = 1949, 2100
_MAX_SERIAL_DIGITS = 6
_MAX_CODE_RUN = 40  # how far find_all looks back for a 机关代字

# ---------------------------------------------------------------------------------------------
# Character folding. Length-preserving (one char -> one char) so find_all offsets stay valid.


def _build_fold() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0xFF01, 0xFF5F):  # full-width ASCII: digits, brackets, letters, colon
        table[cp] = chr(cp - 0xFEE0)
    for cp in (0x3000, 0x00A0, 0x202F, 0x205F, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF):
        table[cp] = " "
    for cp in range(0x2000, 0x200B):
        table[cp] = " "
    # Small-form look-alikes: ﹝﹞ render exactly like 〔〕.
    table.update({0xFE5D: "〔", 0xFE5E: "〕", 0xFE59: "(", 0xFE5A: ")", 0xFE5B: "{", 0xFE5C: "}"})
    # Kangxi radicals (PDF text layers): NFKC maps each to one ordinary ideograph.
    for cp in range(0x2F00, 0x2FD6):
        n = unicodedata.normalize("NFKC", chr(cp))
        if len(n) == 1:
            table[cp] = n
    # CJK Radicals Supplement: NFKC leaves these alone; map the ones seen in real text layers.
    table.update(
        {ord(k): v for k, v in zip("⺠⻅⻔⻓⻋⻢⻛⻜⻚⻄⻆⻉⻦⻥⻨⻩⻬⻰⻮⻳⺟⺩⻘⻝⻩", "民见门长车马风飞页西角贝鸟鱼麦黄齐龙齿龟母王青食黄")}
    )
    # Other digit forms that NFKC folds to one ASCII digit (e.g. mathematical digits).
    for cp in range(0x1D7CE, 0x1D800):
        table[cp] = unicodedata.normalize("NFKC", chr(cp))
    return table


_FOLD = _build_fold()


def _fold(s: str) -> str:
    return s.translate(_FOLD)


# ---------------------------------------------------------------------------------------------
# Patterns

_OPEN = r"[〔\[(【{〖〘]"
_CLOSE = r"[〕\])】}〗〙]"
_CODE_CHAR = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffA-Za-z]"
_CODE_CHAR_RE = re.compile(_CODE_CHAR)
_TAIL = r"[〔〕\[\]()【】{}〖〗.,;:。，；、!！?？'\"“”‘’]*"
_LABEL_RE = re.compile(r"^\s*(?:发文字号|发文文号|文号|字号|文件编号|编号)\s*[:：]?\s*")
_WS_RE = re.compile(r"\s+")

# Field values (parse): whitespace already removed.
# OCR doubles a bracket (〔【2009], 〔2014]】) and reads 〔 as "[0" ([02017]): one or two brackets, and
# a stray 0 before a 19xx/20xx year, are accepted.
_YEAR4 = r"0?(?P<y>(?:19|20)\d{2})|(?P<y2>\d{4})"
# A series word printed between the year and the serial (南宁站[2025]（通知）柳梧10号) belongs to the
# 代字: the number keeps it, so two series of one agency stay apart.
_INFIX = r"\([\u4e00-\u9fff]{1,4}\)[\u4e00-\u9fff]{0,6}"
_P_BR = re.compile(rf"(?P<c>.*?){_OPEN}{{1,2}}(?:{_YEAR4}){_CLOSE}{{1,2}}(?P<i>{_INFIX}(?=\d+号))?(?P<di>第)?(?P<n>0*\d{{1,6}})(?P<h>号)?{_TAIL}")
_P_BR_SWAP = re.compile(rf"(?P<c>.*?){_OPEN}{{1,2}}(?:{_YEAR4}){_CLOSE}{{1,2}}号(?P<n>0*\d{{1,6}}){_TAIL}")
_CN_NUM = "[〇零一二三四五六七八九十百千两]{1,8}"  # 令第二十三号
_P_LING = re.compile(rf"(?P<c>.*令)\(?第?(?P<n>0*\d{{1,6}}|{_CN_NUM})号?{_TAIL}")
_P_DIHAO = re.compile(rf"(?P<c>.*?)第(?P<n>0*\d{{1,6}})号(?P<s>令|公告){_TAIL}")
_P_NIAN = re.compile(rf"(?P<c>.*?)(?P<y>\d{{4}})年(?P<di>第)?(?P<n>0*\d{{1,6}})(?P<h>号)?(?P<s>令|公告)?{_TAIL}")
# Queries only: "国发2018 43", "2017-55", "第55号", "55号".
_Q_LOOSE = re.compile(r"(?P<c>\D*?)\s*(?P<y>\d{4})\s*[-—–_./、,，:：#\s]\s*第?\s*(?P<n>0*\d{1,6})\s*号?" + _TAIL)
_Q_SERIAL = re.compile(r"(?P<c>\D*?)\s*第?\s*(?P<n>0*\d{1,6})\s*号" + _TAIL)

# Running text (find_all): whitespace (incl. a line break) may sit inside a number.
_Y = r"\d(?:[ \t]?\d){3}"
_S = r"\s{0,3}"
_FIND = re.compile(
    rf"(?P<b>{_OPEN})(?:{_S}{_OPEN})?{_S}(?:0(?=[12]\d{{3}}\D))?(?P<by>{_Y}){_S}{_CLOSE}(?:{_S}{_CLOSE})?{_S}"
    rf"(?P<bi>{_INFIX}{_S}(?=\d{{1,6}}{_S}号))?(?P<bd>第{_S})?(?P<bn>0*\d{{1,6}})(?!\d)(?:{_S}(?P<bh>号))?"
    # OCR lost the opening bracket (冀发2015〕14号): only right after a code, with the closing bracket and 号
    rf"|(?<=[\u4e00-\u9fff])(?P<xy>(?:19|20)\d{{2}}){_S}{_CLOSE}{_S}(?P<xn>0*\d{{1,6}})(?!\d){_S}(?P<xh>号)"
    rf"|(?P<lk>令){_S}(?P<lp>\()?{_S}第{_S}(?P<ln>0*\d{{1,6}}(?!\d)|{_CN_NUM}){_S}号(?(lp){_S}\))"
    rf"|(?<!\d)(?P<ny>{_Y}){_S}年{_S}第{_S}(?P<nn>0*\d{{1,6}})(?!\d){_S}号(?:\s{{0,2}}(?P<ns>公告|令))?"
    rf"|(?<![\d第])第{_S}(?P<zn>0*\d{{1,6}})(?!\d){_S}号\s{{0,2}}(?P<zs>令|公告)"
)

# 机关代字 boundary heuristics. A code is the run of CJK/letters before the bracket; the run often
# starts with header words (…文件, 内部事项, 特急), a title tail (…的通知) or a verb (根据, 按照…).
# Split after the rightmost marker that leaves a non-empty code; "weak" markers need >= 2 chars left,
# because 公告/函 end real codes (国家税务总局公告, 鲁应急函) and org words may precede a short code.
_STRONG_MARKERS = (
    "文件 事项 特急 加急 平急 部门 签发人 签发 盖章 等级 "
    "措施 方案 细则 条例 规定 实施办法 管理办法 暂行办法 试行办法 "
    "通知 决定 意见 报告 请示 批复 通报 通告 公报 纪要 决议 议案 命令 的函 复函 "
    "根据 按照 依据 依照 参照 对照 遵照 比照 结合 参见 详见 援引 提供 商请 执行 落实 贯彻 学习 转发 印发 下发 发布 通过 关于 "
    "废止 修订 撤销 "
    "的 了 在 是 把 被 将 及 与 并 或 即 据 于 为 以 由 从 向 见 照 按 等 至 号"
).split()
_WEAK_MARKERS = "公告".split()
_ORG_MARKERS = "人民政府 办公厅 办公室 委员会 有限公司 公司 政府 中心".split()  # standard codes only
_PREFIX_STRIP = ("明电",)
_SUFFIX_STRIP = ("已发布", "发布", "已印发")  # scraped "上海海关已发布2019年第1号"


def _alt(words: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(sorted(map(re.escape, words), key=len, reverse=True)))


# 和 joins names (工业和信息化部, 中华人民共和国); it is a split point only in "…和公告2011年第55号".
_STRONG_RE = re.compile(_alt(_STRONG_MARKERS).pattern + r"|和(?=公告$|令$)")
_WEAK_RE = _alt(_WEAK_MARKERS)
_AND_RE = re.compile("和")  # "…和国办发〔2019〕5号": standard codes never contain 和
# An issuer name such as 山东省交通运输厅 / 上海市物价局 (but not the 工信厅 inside 工信厅产业函).
_ORG_RE = re.compile(_alt(_ORG_MARKERS).pattern + r"|[省市县区州][\u4e00-\u9fff]{2,10}?[厅局]")


def _rightmost_split(run: str, pat: re.Pattern[str], min_rest: int) -> int:
    best = 0
    for i in range(len(run)):
        m = pat.match(run, i)
        if m and len(run) - m.end() >= min_rest:
            best = max(best, m.end())
    return best


def _trim_code(run: str, family_suffix: str = "", field: bool = False, bracketed: bool = False) -> str:
    """Cut header words / title tails / verbs off the front of a candidate 机关代字.

    family_suffix is 令 or 公告 when the number belongs to that family. Only the abbreviated codes of
    bracketed numbers (鲁交城市函) are cut after organisation words or 和; 令/公告 and YYYY年第N号
    numbers carry full agency names (重庆市人民政府令, 工业和信息化部2019年第4号).
    """
    if not run:
        return run
    joint = re.search(r"等[一二三四五六七八九十百\d]+个?部门$", run) if family_suffix in ("令", "公告") else None
    if joint and joint.start() > 0:  # a joint 令 of many ministries: 科技部等二十二部门令第65号
        head = _trim_code(run[:joint.start()], "", field, bracketed)
        return head + run[joint.start():] if head else run[joint.start() + 1:]
    full = run + family_suffix  # judge the code as it will read
    cut = max(_rightmost_split(full, _STRONG_RE, 1), _rightmost_split(full, _WEAK_RE, 2))
    if bracketed and not (full.endswith("令") or full.endswith("公告")):
        cut = max(cut, _rightmost_split(full, _ORG_RE, 2), _rightmost_split(full, _AND_RE, 1))
    cut = min(cut, len(run))
    code = run[cut:]
    for p in _PREFIX_STRIP:
        if code.startswith(p) and len(code) - len(p) >= 2:
            code = code[len(p) :]
    for p in _SUFFIX_STRIP if field else ():  # find_all needs the code to stay a suffix of the run
        if code.endswith(p) and len(code) - len(p) >= 2:
            code = code[: -len(p)]
            break
    return code


def _code_tail(prefix: str) -> str:
    """The trailing run of code characters of ``prefix`` (what a field value has before the year)."""
    i = len(prefix)
    while i > 0 and _CODE_CHAR_RE.match(prefix[i - 1]):
        i -= 1
    return prefix[i:]


def _num(s: str) -> int:
    """An ASCII or Chinese-numeral serial (二十三, 一〇五) as int; 0 when unreadable."""
    return zhnum.number(s) or 0


def _year_ok(y: int | None) -> bool:
    return y is None or YEAR_MIN <= y <= YEAR_MAX


def _make(raw: str, code: str, year: int | None, serial: int, *, has_di: bool, bracketed: bool) -> DocNumber | None:
    """Decide the family and build the DocNumber, or None when the parts are implausible."""
    if serial <= 0 or not _year_ok(year):
        return None
    if code.endswith("令"):
        # 令 numbers without a year (国务院令第707号) are the "order" family. A 令 number that carries
        # a year is ONE number however it is printed (河北省人民政府令〔2022〕第2号, …令〔2022〕2号,
        # 商务部令2018年第2号, 渝府令〔2023〕358号): it is "standard", canonical 代字〔Y〕N号 (GB/T 9704
        # shape, no 第), so that every spelling gives the same canonical form and parse(canonical)
        # round-trips. The model's order-with-year canonical form is therefore never produced here.
        kind = "order" if year is None else "standard"
    elif year is None:
        return None  # a standard number without a year is not a number (豫政 第24号)
    elif not bracketed and (has_di or code.endswith("公告")):
        kind = "announcement"
    else:
        kind = "standard"
    return DocNumber(raw=raw, code=code, year=year, serial=serial, kind=kind)


# ---------------------------------------------------------------------------------------------
# parse


def _clean_field(s: str) -> str:
    t = _fold(s).strip()
    t = _LABEL_RE.sub("", t)
    return t


_P_INFIX_CANON = re.compile(rf"(?P<c>{_CODE_CHAR}+{_INFIX})〔(?P<y>\d{{4}})〕(?P<n>\d{{1,6}})号")


def _parse_compact(c: str, raw: str) -> DocNumber | None:
    m = _P_INFIX_CANON.fullmatch(c)  # the canonical form of a number with a series infix
    if m:
        return _make(raw, m["c"], int(m["y"]), int(m["n"]), has_di=False, bracketed=True)
    m = _P_BR.fullmatch(c) or _P_BR_SWAP.fullmatch(c)
    if m:
        code = _trim_code(_code_tail(m["c"]), field=True, bracketed=True) + (m.groupdict().get("i") or "")
        has_di = bool(m.groupdict().get("di"))
        return _make(raw, code, int(m["y"] or m["y2"]), int(m["n"]), has_di=has_di, bracketed=True)
    m = _P_LING.fullmatch(c)
    if m:
        code = _trim_code(_code_tail(m["c"][:-1]), "令") + "令"
        if code != "令":
            return _make(raw, code, None, _num(m["n"]), has_di=True, bracketed=False)
    m = _P_DIHAO.fullmatch(c)
    if m:
        run = _code_tail(m["c"])
        if run and m["s"] == "令":
            return _make(raw, _trim_code(run, "令") + "令", None, int(m["n"]), has_di=True, bracketed=False)
    m = _P_NIAN.fullmatch(c)
    if m and not (m["c"] and m["c"][-1].isdigit()):
        suffix = m["s"] or ""
        code = _trim_code(_code_tail(m["c"]), suffix, field=True)
        if suffix and not code.endswith(suffix):
            code += suffix
        return _make(raw, code, int(m["y"]), int(m["n"]), has_di=bool(m["di"]), bracketed=False)
    return None


def parse(s: str) -> DocNumber | None:
    """Parse a string that is supposed to be a 发文字号 (a field value); None if it is not one."""
    if not s:
        return None
    f = _fold(s)  # one char for one char, so positions in f are positions in s
    m = _LABEL_RE.match(f)
    start = m.end() if m else 0
    raw = s[start:].strip()
    if not raw:
        return None
    return _parse_compact(_WS_RE.sub("", f[start:]), raw)


def normalize(s: str) -> str | None:
    """Canonical GB/T 9704 spelling of a field value, or None."""
    d = parse(s)
    return d.canonical if d else None


# ---------------------------------------------------------------------------------------------
# find_all

_AFTER_BARE_OK = re.compile(r"(?:\s|[)）】\]〕}」』”’,，。;；、:：]|$)")


def _scan_code(t: str, end: int, floor: int) -> tuple[str, int]:
    """Code characters just before ``end`` (a few spaces / one line break allowed between), and
    where that run ends."""
    i = end
    skipped = 0
    while i > floor and t[i - 1].isspace() and skipped < 4:
        i -= 1
        skipped += 1
    j = i
    lo = max(floor, i - _MAX_CODE_RUN)
    while j > lo and _CODE_CHAR_RE.match(t[j - 1]):
        j -= 1
    if j < i and j > 0 and t[j - 1].isdigit() and t[j] in "年月日号":
        j += 1  # a date (…2007年4月22日河北省人民政府令) or a previous number's 号
    return t[j:i], i


def find_all(text: str) -> list[tuple[DocNumber, int, int]]:
    """Every 发文字号 in running text, as (number, start, end) with offsets into ``text``, in order.

    start/end cover the 机关代字 when one was found; numbers with no code (〔2021〕1号) start at the
    bracket. The first hit is not necessarily the document's own number: body text cites others,
    so a caller looking for the own number should restrict the search to the header.
    """
    if not text:
        return []
    t = _fold(text)
    out: list[tuple[DocNumber, int, int]] = []
    floor = 0
    for m in _FIND.finditer(t):
        end = m.end()
        d: DocNumber | None = None
        run, run_end = _scan_code(t, m.start(), floor)
        code_part = ""  # the part of ``run`` that belongs to the number
        if m["xy"] is not None:
            code_part = _trim_code(run, bracketed=True)
            if code_part:
                d = _make("", code_part, int(m["xy"]), int(m["xn"]), has_di=False, bracketed=True)
        elif m["b"] is not None:
            code_part = _trim_code(run, bracketed=True)
            if m["bh"] is None:
                # A truncated citation (国家电网资本〔2020〕668) only with a code, a 〔-like
                # bracket and nothing glued on after; tables print "(2014)68".
                if not code_part or m["b"] == "(" or not _AFTER_BARE_OK.match(t, end):
                    continue
            year = int(_WS_RE.sub("", m["by"]))
            if m["bi"]:
                if not code_part:
                    continue
                code_part_full = code_part + _WS_RE.sub("", m["bi"])
                d = _make("", code_part_full, year, int(m["bn"]), has_di=False, bracketed=True)
                if d is not None:
                    start = run_end - len(code_part)
                    out.append((DocNumber(raw=text[start:end].strip(), code=d.code, year=d.year, serial=d.serial,
                                          kind=d.kind), start, end))
                    floor = end
                continue
            d = _make("", code_part, year, int(m["bn"]), has_di=m["bd"] is not None, bracketed=True)
        elif m["lk"] is not None:
            # the run ends at 令 (inside the match); the code includes it
            code_part = _trim_code(run, "令")
            if code_part:
                d = _make("", code_part + "令", None, _num(m["ln"]), has_di=True, bracketed=False)
        elif m["ny"] is not None:
            suffix = m["ns"] or ""
            code_part = _trim_code(run, suffix)
            code = code_part if code_part.endswith(suffix) else code_part + suffix
            # "2019年第1号" alone is too common a phrase; require the 公告/令 family marker.
            if code.endswith("公告") or code.endswith("令"):
                year = int(_WS_RE.sub("", m["ny"]))
                d = _make("", code, year, int(m["nn"]), has_di=True, bracketed=False)
        elif m["zs"] == "令":
            code_part = _trim_code(run, "令")
            if code_part:
                d = _make("", code_part + "令", None, int(m["zn"]), has_di=True, bracketed=False)
        if d is None:
            continue
        start = run_end - len(code_part) if code_part else m.start()
        raw = text[start:end].strip()
        out.append((DocNumber(raw=raw, code=d.code, year=d.year, serial=d.serial, kind=d.kind), start, end))
        floor = end
    return out


# ---------------------------------------------------------------------------------------------
# search keys


def search_keys(dn: DocNumber) -> list[str]:
    """Index keys for a number, most specific first, so that any spelling of it finds it.

    canonical; a family-neutral full key 代字〔Y〕N号 (so 屯X发2017年第55号 meets 屯X发〔2017〕55号);
    the code-less 〔Y〕N号 and compact Y-N; for 令 the year-less forms; and 号-N, the serial alone.
    """
    keys: list[str] = []
    if dn.kind != "standard" or dn.year is not None:
        keys.append(dn.canonical)
    keys.extend(_specific_keys(dn))
    keys.extend(_broad_keys(dn))
    keys.append(f"号-{dn.serial}")
    return list(dict.fromkeys(keys))


def _specific_keys(dn: DocNumber) -> list[str]:
    if not dn.code:
        return []
    keys = []
    if dn.year is not None:
        keys.append(f"{dn.code}〔{dn.year}〕{dn.serial}号")
    if dn.code.endswith("令") or dn.year is None:
        keys.append(f"{dn.code}第{dn.serial}号")
    return keys


def _broad_keys(dn: DocNumber) -> list[str]:
    keys = []
    if dn.year is not None:
        keys += [f"〔{dn.year}〕{dn.serial}号", f"{dn.year}-{dn.serial}"]
    if dn.code.endswith("令"):  # 令 numbers are often cited without their year
        keys.append(f"令-{dn.serial}")
    return keys


def _parse_query(s: str) -> DocNumber | None:
    d = parse(s)
    if d is not None:
        return d
    t = _clean_field(s)
    t = _WS_RE.sub(" ", t).strip()
    if not t:
        return None
    m = _Q_LOOSE.fullmatch(t)
    year: int | None = None
    if m:
        year = int(m["y"])
    else:
        m = _Q_SERIAL.fullmatch(t) or _Q_SERIAL.fullmatch(_WS_RE.sub("", t))
        if not m:
            return None
    code = _code_tail(_WS_RE.sub("", m["c"]))
    serial = int(m["n"])
    if serial <= 0 or not _year_ok(year):
        return None
    kind = "order" if code.endswith("令") else "standard"
    return DocNumber(raw=s.strip(), code=code, year=year, serial=serial, kind=kind)


def query_number(s: str) -> DocNumber | None:
    """A user's query read as a 发文字号 in any spelling, Chinese numerals included: 国防部发〔二〇一二〕21号,
    冀办字〔2019〕一号 (zhnum.to_arabic turns only the numbers of a 文号 or a date into digits). None when the
    query is not a number. ``.code`` is empty when the query gave no 机关代字 (〔2019〕21号)."""
    return _parse_query(zhnum.to_arabic(s)) if s else None


def query_keys(s: str) -> list[str]:
    """Keys to look up for a user's query in any spelling, most specific first.

    With a 代字 the full keys come first, then the code-less ones (the 代字 may be spelled
    differently in the document); with no year only the serial keys remain.
    """
    d = query_number(s)
    if d is None:
        return []
    keys: list[str] = []
    if d.code and (d.kind != "standard" or d.year is not None):
        keys.append(d.canonical)
    keys.extend(_specific_keys(d))
    keys.extend(_broad_keys(d))
    if d.year is None:
        keys.append(f"号-{d.serial}")
    return list(dict.fromkeys(keys))


# ---------------------------------------------------------------------------------------------
# an exact number and its OCR misreadings (search)

# Groups of characters a recogniser reads one for another in the 机关代字 of a scanned 版头: the province
# abbreviation Tesseract's chi_sim does not know in some typefaces (冀 read as 费, see extract.ocr.header_repair),
# and shapes that differ by a stroke or a dot. A 代字 that differs from another only by one character of one
# group is "the same number, misread" (相近文号); any other difference is another agency's number.
CONFUSABLE_GROUPS = (
    "冀翼费糞龚", "办为协", "发友及", "函画凾", "政玫攻", "字宇学", "规观", "区医", "科料", "农衣", "委姿",
    "厅斤", "局届", "财材", "教救", "人入八", "市布", "县具", "府俯", "党觉", "工土士", "干千于", "己已巳",
    "未末", "日曰", "王玉主", "大太犬", "天夫", "休体", "鸟乌", "折拆", "戍戌戊", "侯候", "治冶", "延廷",
    "即既", "拔拨", "沪泸", "浙淅渐", "皖晥", "鲁曾鱼", "湘相", "晋普", "津律", "闽闯", "渝瑜愉", "滇镇",
    "陕峡", "苏芬", "吉古", "鄂谔", "粤奥", "豫像", "桂挂", "川州", "藏臧", "京亰", "青肯", "甘廿", "宁守",
    "黑墨", "贵贯", "新亲",
)
_CONFUSABLE: dict[str, frozenset[str]] = {}
for _group in CONFUSABLE_GROUPS:
    for _ch in _group:
        _CONFUSABLE[_ch] = _CONFUSABLE.get(_ch, frozenset()) | frozenset(_group) - {_ch}


def ocr_variant(asked: str, found: str) -> tuple[str, str] | None:
    """(the character of ``found``, the character of ``asked`` it stands for) when the two 机关代字 differ in
    exactly one place and those two characters are a known OCR confusion; None otherwise (equal codes too)."""
    if len(asked) != len(found) or asked == found:
        return None
    diff = [(f, a) for a, f in zip(asked, found) if a != f]
    if len(diff) != 1:
        return None
    f, a = diff[0]
    return (f, a) if f in _CONFUSABLE.get(a, ()) else None


def same_code(asked: str, found: str) -> bool:
    """Whether two 机关代字 name the same series: equal, or one is the other with the organ's name in front
    (科学技术部令 / 中华人民共和国科学技术部令, 局长令 / 国家知识产权局局长令), the shorter of at least 2 characters."""
    if asked == found:
        return True
    short, long_ = sorted((asked, found), key=len)
    return len(short) >= 2 and long_.endswith(short)


def exact_query_keys(s: str) -> list[str]:
    """The keys of ``query_keys(s)`` that carry the 机关代字 (they name one number, not a 年号 many agencies
    share); empty when the query gives no 代字. They come first in ``query_keys``."""
    d = query_number(s)
    if d is None or not d.code:
        return []
    return [k for k in query_keys(s) if d.code in k]
