"""Clean a text's lines and recognise its GB/T 9704 layout before any part is read.

Real files print things that are no part of any element: the red rule typed as a line of ``——``,
``─``, ``_`` or ``━`` (a rule drawn as a border leaves nothing in the text), page numbers
``- 2 -`` between the body and the 署名, the address line of a 信函格式 header. They are taken out
here so that a title is not glued to a rule nor a 署名 separated from its date.

The four layouts (GB/T 9704-2012) and a web-page copy are told apart by their first lines:
文件格式 ``XX文件`` above the number; 信函格式 the agency's name alone (often with an address) above a
number; 命令(令)格式 ``XX令`` then ``第N号``; 纪要格式 ``XX纪要`` then ``第N期``; a web copy has a
meta table (``meta``).
"""

from __future__ import annotations

import re

from archive.gongwen.vocab import ORG_END_RE

FILE = "文件格式"
LETTER = "信函格式"
ORDER = "命令格式"
MINUTES = "纪要格式"
WEB = "网页"

_RULE_LINE = re.compile(r"^[\s—─━_＿=═\-－–~～·•…]*[—─━_＿=═\-－–~～]{3,}[\s—─━_＿=═\-－–~～·•…]*$")
_PAGE_NO = re.compile(r"^\s*(?:[-—–－]\s*\d{1,3}\s*[-—–－]|第\s*\d{1,3}\s*页(?:\s*[，,/]?\s*共\s*\d{1,3}\s*页)?"
                      r"|\d{1,3}\s*/\s*\d{1,3})\s*$")
_ADDRESS = re.compile(r"^\s*(?:地\s*址|邮\s*编|邮政编码|电\s*话|传\s*真|网\s*址|联系电话)\s*[:：]")
_ORDER_MARK = re.compile(r"^\s*(\S{2,40}?令)\s*$")
_ORDER_NO = re.compile(r"^\s*[（(]?\s*(?:\d{4}\s*年\s*)?第\s*[\d〇零一二三四五六七八九十百]{1,6}\s*号\s*[）)]?\s*$")
_MINUTES_MARK = re.compile(r"^\s*(\S{2,40}纪要)\s*$")
_ISSUE_NO = re.compile(r"^\s*[（(]?\s*第\s*[\d〇零一二三四五六七八九十]{1,4}\s*期\s*[）)]?")
_FILE_MARK = re.compile(r"文\s*件\s*$")
_NUMBER_LINE = re.compile(r"[〔\[(（【﹝［][12]\d{3}[〕\])）】﹞］]\s*第?\s*\d{1,6}\s*号")
# widgets of a saved web page, each alone on its line: ``-次`` (a view counter), 分享到, 【打印】【关闭】
_WIDGET = re.compile(r"^\s*(?:-\s*次|分享到\s*[:：]?|(?:【\s*(?:打印|关闭|关闭窗口|返回顶部|字体[^】]{0,8})\s*】\s*)+"
                     r"|扫一扫在手机打开当前页|浏览次数\s*[:：].{0,12}|A\+\s*[大中小])\s*$")
_MARK_LINE = re.compile(r"^\s*(?:份号\s*[:：]?\s*)?\d{6}\s*$|^\s*(?:绝密|机密|秘密|特急|加急|特提|平急)")


def clean_lines(text: str) -> list[str]:
    """The text's lines without typed rules, page numbers and the header's address lines."""
    lines = text.split("\n")
    out: list[str] = []
    for i, ln in enumerate(lines):
        if _RULE_LINE.match(ln):
            out.append("")  # a rule still separates what is above from what is below
            continue
        if _PAGE_NO.match(ln):
            continue
        if _WIDGET.match(ln):
            out.append("")  # a web page's share/print/counter widget: a break, never glued to a number
            continue
        if i < 12 and _ADDRESS.match(ln) and not any(_NUMBER_LINE.search(x) for x in out):
            continue
        ln = repair_specks(ln, header=i < 15)
        # a typed rule glued to the end of a line (PDF text of a number line with the rule beside it)
        ln = re.sub(r"[—─━_＿═]{6,}\s*$", "", ln)
        # PDF text layers emit a ★ from a fallback font out of place: ★秘密1年 is 秘密★1年
        if i < 12:
            ln = re.sub(r"^(\s*)[★☆]\s*(绝密|机密|秘密)\s*(?=[\d一二三四五六七八九十]|长期)", r"\1\2★", ln)
        out.append(ln)
    return out


# OCR reads a speck of dirt as a dot or a tick: inside a date (``2022年8.月15日``), between a number's
# bracket and its serial (``人资〔2022].132号``), before a number line (``：人资〔2022]132号``), or alone before the last characters of a title's line
# (``·知``). Where it stands no character can be meant, so it is dropped; nothing else is touched.
_SPECK = r"[.·•'‘’`]"
_SPECK_DATE = re.compile(r"(?:\d{4}|[〇零一二三四五六七八九○]{4})\s*%s?\s*年\s*%s?\s*[\d一二三四五六七八九十]{1,3}\s*%s?\s*月"
                         r"\s*%s?\s*[\d一二三四五六七八九十]{1,3}\s*%s?\s*日" % ((_SPECK,) * 5))
_SPECK_NUMBER = re.compile(r"([〔\[(（【﹝［][12]\d{3}\s*[〕\])）】﹞］])\s*%s\s*(?=\d{1,6}\s*号)" % _SPECK)
_SPECK_NUMBER_LEAD = re.compile(r"^(\s*)[：:.·•'‘’`]\s*(?=[^\s：:]{1,12}[〔\[(（【﹝［][12]\d{3}\s*[〕\])）】﹞］]\s*\d{1,6}\s*号)")
_SPECK_BEFORE_DATE = re.compile(r"(?<=[\u4e00-\u9fff])\s*%s\s+(?=(?:\d{4}|[〇零一二三四五六七八九○]{4})\s*年)" % _SPECK)
_SPECK_LEAD = re.compile(r"^(\s*)%s\s*(?=[\u4e00-\u9fff]{1,3}\s*$)" % _SPECK)


# a date's 日 read as 曰 or 目, a day written 廿/卅 (二十/三十): only inside a whole date
_DATE_DAY_END = re.compile(r"((?:\d{4}|[〇零一二三四五六七八九○OＯ]{4})\s*年\s*[\d一二三四五六七八九十]{1,3}\s*月\s*)"
                           r"([\d一二三四五六七八九十廿卅]{1,3})\s*([日曰目])")
# a 发文字号 as OCR misreads it in the 版头: 〔 or 〕 read as C, 〈〉 for 〔〕, the letter O in the year, l or I
# for 1 in the serial, 号 read as 亏 or 弓 (its top lost). Only the whole pattern (代字, bracketed year,
# serial, 号) is repaired, only in the first lines, and only to the one reading it can be.
_OCR_NUMBER = re.compile(r"(?<=[\u4e00-\u9fff])(?P<open>[〔\[(（【﹝［〈C])\s*(?P<year>[12][\dOoＯ]{3})\s*"
                         r"(?P<close>[〕\])）】﹞］〉C])\s*(?P<serial>[\dlIOo]{1,6})\s*(?P<hao>[号亏弓])"
                         r"(?![损本欠空箭])")


def _number_fix(m: re.Match) -> str:
    year = re.sub(r"[OoＯ]", "0", m.group("year"))
    serial = re.sub(r"[Oo]", "0", re.sub(r"[lI]", "1", m.group("serial")))
    if not re.search(r"\d", m.group("serial")) or not 1949 <= int(year) <= 2099:
        return m.group(0)
    opening = "〔" if m.group("open") in "C〈" else m.group("open")
    closing = "〕" if m.group("close") in "C〉" else m.group("close")
    return f"{opening}{year}{closing}{serial}号"


def _day_fix(m: re.Match) -> str:
    day = m.group(2).replace("廿", "二十").replace("卅", "三十")
    return f"{m.group(1)}{day}日"


def repair_specks(ln: str, header: bool = True) -> str:
    """The usual OCR misreads of a 版头 number and a date, where only one reading is possible (above)."""
    ln = _SPECK_DATE.sub(lambda m: re.sub(_SPECK, "", m.group(0)), ln)
    ln = _SPECK_BEFORE_DATE.sub("\u3000\u3000", ln)  # 国家电网有限公司办公室· 二〇二一年五月十九日
    ln = _DATE_DAY_END.sub(_day_fix, ln)
    if header:
        ln = _OCR_NUMBER.sub(_number_fix, ln)
    ln = _SPECK_NUMBER.sub(r"\1", ln)
    ln = _SPECK_NUMBER_LEAD.sub(r"\1", ln)
    return _SPECK_LEAD.sub(r"\1", ln)


def detect(lines: list[str]) -> tuple[str | None, str | None, str | None]:
    """(layout, mark, number line) of a cleaned text, from its first lines; layout None: not
    recognisable. ``mark`` is the 发文机关标志 line (``XX令``, ``XX纪要``, ``XX文件``, the name)."""
    head = [ln.strip() for ln in lines[:40] if ln.strip()]
    head = [ln for ln in head if not _MARK_LINE.match(ln)][:8]
    if not head:
        return None, None, None
    for k, ln in enumerate(head[:4]):
        # a long mark wraps (河北省科学技术厅河北省教育厅常务会 / 议纪要): try it joined with the next line,
        # and a joint 令's mark with the line after that (…中共河北省委 / 宣传部…河北 / 省教育厅令)
        for mark, rest in ((ln, head[k + 1:k + 3]), (ln + "".join(head[k + 1:k + 2]), head[k + 2:k + 4]),
                           (ln + "".join(head[k + 1:k + 3]), head[k + 3:k + 5])):
            nxt = [x for x in rest if _ORDER_NO.match(x)]
            if _ORDER_MARK.match(mark) and nxt:
                return ORDER, re.sub(r"\s+", "", mark), re.sub(r"\s+", "", nxt[0])
            nxt = [x for x in rest if _ISSUE_NO.match(x)]
            if _MINUTES_MARK.match(mark) and nxt:
                return MINUTES, re.sub(r"\s+", "", mark), None
    for k, ln in enumerate(head[:5]):
        if _FILE_MARK.search(ln) and len(ln) <= 40:
            return FILE, re.sub(r"\s+", "", ln), None
        if _NUMBER_LINE.search(ln):
            break
    first = re.sub(r"\s+", "", head[0])
    if ORG_END_RE.search(first) and len(first) <= 40 and any(_NUMBER_LINE.search(x) for x in head[1:4]):
        return LETTER, first, None
    return None, None, None


def minutes_issuer(mark: str) -> str:
    """The meeting's organiser from a 纪要格式 mark: 河北省人民政府常务会议纪要 -> 河北省人民政府."""
    name = re.sub(r"\s+", "", mark)
    name = re.sub(r"(?:常务会议|专题会议|办公会议|工作会议|党组会议|联席会议|会议|常务会|专题会|办公会|党组会)?纪要$", "", name)
    return name
