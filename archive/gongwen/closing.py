"""落款: the 成文日期 and the 发文机关署名 right above it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archive import zhnum
from archive.gongwen.flat import OnText
from archive.gongwen.vocab import CJK, ORG_END_RE, ORG_SUFFIX, clean_name, iter_dates, split_orgs, squash, trim_glued_name
from archive.gongwen import issuer

if TYPE_CHECKING:
    from archive.gongwen.body import Body
    from archive.gongwen.header import Header
    from archive.gongwen.reader import Doc


@dataclass
class Closing(OnText):
    """The 落款: the 成文日期 (and where it came from), the 署名's names, where the 署名 block starts, and
    what looked wrong there."""

    doc: Doc = field(repr=False)
    head: Header = field(repr=False)
    body: Body = field(repr=False)
    date: dt.date | None = None
    date_source: str | None = None
    sig_start: int | None = None
    signature_names: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read(doc: Doc, head: Header, body: Body) -> Closing:
    """The 落款's date and 署名; failing a 落款 date, the date under the title, or a shortened year."""
    r = Closing(doc, head, body)
    date_and_signature(r)
    title_date(r)
    short_year_date(r)
    return r


# a line made only of the words that end an organisation's name is the tail of the name above it
_SUFFIX_ONLY = re.compile("(?:%s)+" % "|".join(sorted(ORG_SUFFIX, key=len, reverse=True)))
# the date printed in parentheses under the title (党委 documents, 纪要, 讲话): （2018年4月7日）
_PAREN_DATE = re.compile(r"\s*[（(]\s*(%s|%s)\s*[）)]" % (zhnum.DATE_AR.pattern, zhnum.DATE_ZH.pattern))
# a Chinese-numeral date whose year lost digits on a scan (二〇二四 read as 二四)
_SHORT_YEAR = re.compile(r"(?<![%s])([%s]{2,3})\s*年\s*([%s]{1,3})\s*月\s*([%s]{1,3})\s*日" % (
    zhnum.YEAR_CHARS, zhnum.YEAR_CHARS, zhnum.SMALL_CHARS, zhnum.SMALL_CHARS))


def title_date(r: Closing) -> None:
    """No 落款 date: the date in parentheses right under the title (``（2018年4月7日）``) is the 成文日期."""
    if r.date is not None or not r.body.title_span:
        return
    m = _PAREN_DATE.match(r.flat, r.body.title_span[1])
    if not m:
        return
    found = zhnum.iter_dates(m.group(1))
    if found and found[0][0] is not None:
        r.date = found[0][0]
        r.date_source = "标题下"


def short_year_date(r: Closing) -> None:
    """No date found: a Chinese-numeral 落款 date with a shortened year (``二四年三月五日``, digits lost
    on a scan) is completed from the 文号's year when the digits left agree with it; else a warning."""
    if r.date is not None:
        return
    tail_from = max(0, len(r.flat) - 600)
    for m in _SHORT_YEAR.finditer(r.flat, tail_from):
        digits = "".join(str(zhnum.number(ch)) for ch in m.group(1))
        num = r.head.doc_number
        year = num.year if num is not None and num.year else None
        month, day = zhnum.number(m.group(2)), zhnum.number(m.group(3))
        if year and (str(year).endswith(digits) or _one_lost(digits, year)):
            d = zhnum.make_date(year, month, day)
            if d is not None:
                r.date = d
                r.date_source = "落款（年份据发文字号补全）"
                r.warnings.append(f"成文日期年份不全（{squash(m.group(0))}），已按发文字号年份补全为 {d.isoformat()}")
                return
        r.warnings.append(f"成文日期年份不全：{squash(m.group(0))}，请人工确认")
        return


def _one_lost(digits: str, year: int) -> bool:
    """Three digits left of the 文号's year with one lost anywhere (〇二二 of 2022), which the year before
    cannot give (二〇二 may be 2021 as well: a December date numbered in January; then the clerk decides)."""
    def within(d: str, y: str) -> bool:
        it = iter(y)
        return all(c in it for c in d)
    return len(digits) == 3 and within(digits, str(year)) and not within(digits, str(year - 1))


def date_and_signature(r: Closing) -> None:
    flat = r.flat
    out = r
    body_start = r.body.header_end or (r.body.title_span[1] if r.body.title_span else 0)
    dates = iter_dates(flat)
    best = None
    invalid = None
    for d, a, b in dates:
        if a < body_start and body_start:
            # a date in the header (令: 二〇〇七年…公布) may still be the 成文日期 of a 令;
            # the signature date normally follows the body
            pass
        after = flat[b:b + 6]
        before = flat[max(0, a - 4):a]
        if re.match(r"\s*(?:印发|翻印|印制|发布|签发|起|前|至|以来|以后|以前|开始|召开|举行|施行|实施|止|到|期间|后|\d{1,2}\s*(?:时|点)|零时|上午|下午|晚|在|的|，|,|、|[—－\-~～]\s*\d)", after):
            continue
        if re.search(r"(?:于|在|至|从|自|截至|截止|到|为|是|、|—|－|~|～|和|及|或|年度)\s*$", before):
            continue
        score = 0
        if r.f.line_start(a) and r.f.line_end(b):
            score += 4
        elif r.f.line_start(a) and r.f.lines > 1:
            la, _ = r.f.line_of(a - 1) if a > 0 else (0, 0)
            prev = flat[la:a]
            score += 3 if 0 < len(prev) <= 20 and "。" not in prev else 1
        elif r.f.line_end(b) or re.match(r"\s*[（(]", after) or b >= len(flat):
            score += 2
        # preceded by a signature-like name (run-on: 国网营销部2021年2月2日)
        pre = flat[max(0, a - 40):a]
        pm = re.search(r"([%s（）()·]{2,40})\s*$" % CJK, pre)
        if pm and ORG_END_RE.search(re.sub(r"[（(][^）)]*[）)]$", "", pm.group(1))):
            score += 3
        elif re.search(r"[。！；]\s*$", pre) and r.f.line_start(a) is False:
            score += 0
        if a < (r.body.title_span[1] if r.body.title_span else 0):
            score -= 3
        if d is None:
            if invalid is None and score >= 3:
                invalid = flat[a:b]
            continue
        if score >= 3:
            best = (d, a, b)
            break
    if best is None:
        if invalid:
            out.warnings.append(f"成文日期无效：{squash(invalid)}")
        # last resort: a date alone on the last lines
        return
    d, a, b = best
    out.date = d
    r.sig_start = a
    signature(r, a)


def signature(r: Closing, date_start: int) -> None:
    """The 发文机关署名: the name(s) right before the 成文日期."""
    flat = r.flat
    names: list[str] = []
    if r.f.lines > 1 and r.f.line_start(date_start):
        # line mode: up to 4 short lines right above the date
        pos = date_start
        for _ in range(12):  # a joint 落款 of ten organs stands on up to ten lines
            if pos <= 0:
                break
            a, b = r.f.line_of(pos - 1)
            line = flat[a:b].strip()
            if not line or len(line) > 60 or re.search(r"[。；！？：:]", line):
                # 附件：… lines end the block
                break
            if re.search(r"(特此|此复|附件|联系人|电话|\.docx?|\.pdf|\.xlsx?|\.wps)", line, re.I):
                break
            if not ORG_END_RE.search(squash(line)) and not re.search(r"\s", line):
                if names and _SUFFIX_ONLY.fullmatch(squash(names[0])) and len(squash(line)) <= 40:
                    # a name printed over two lines: 唐山市“一港双城”（城镇化）工作 / 委员会办公室
                    names[0] = squash(line) + squash(names[0])
                    pos = a
                    continue
                # 总  理  温家宝 (a 令's signer) is not an organisation
                break
            names.insert(0, line)
            pos = a
        # a single line of several names separated by spaces
        out_names: list[str] = []
        for ln in names:
            sq = clean_name(ln)
            pieces = [p for p in re.split(r"\s{1,}", sq) if p]
            if len(pieces) > 1 and all(len(p) == 1 for p in pieces):
                pieces = ["".join(pieces)]
            for p in pieces:
                out_names.extend(split_orgs(p))
        names = [n for n in out_names if ORG_END_RE.search(n)]
        if names:
            r.sig_start = r.f.line_of(pos)[0] if pos else 0
    else:
        lo = max(0, date_start - 80)
        if r.f.lines > 1:
            # 附件：支持…担保计划 / 财政部科技部…总局2024年7月24日: the name starts on the date's line
            la, _ = r.f.line_of(date_start)
            if la > lo:
                pa, _ = r.f.line_of(la - 1)
                if re.match(r"\s*附\s*件", flat[pa:la]) and not ORG_END_RE.search(flat[pa:la].rstrip()):
                    lo = la
        pre = flat[lo:date_start]
        m = re.search(r"([%s（）()·\s]{2,80})$" % CJK, pre)
        if m:
            seg = m.group(1).strip()
            # cut at the last sentence end / known end words
            seg = re.split(r"(?:特此通知|特此报告|特此函告|特此公告|此复|特此批复|特此通报|妥否，请批示|请批示|当否，请批示)", seg)[-1]
            sq = squash(seg)
            if sq and ORG_END_RE.search(sq) and 2 <= len(sq) <= 80:
                # run-on: the name may be glued to a trailing body phrase; keep the part that
                # starts like an organisation
                names = split_orgs(sq)
                # the body's last words before the signature have no org start; trust the
                # masthead/title to pick the real start when we can
                prefix = issuer.title_prefix(r.body.title)
                ref = r.head.masthead + ([prefix] if prefix else [])
                for name in ref:
                    if name and name in sq:
                        k = sq.find(name)
                        names = split_orgs(sq[k:])
                        break
                names = [n for n in names if ORG_END_RE.search(n)]
    r.signature_names = [x for x in (trim_glued_name(clean_name(n)) for n in names if n) if x]
