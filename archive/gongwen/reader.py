"""The reader's order of work: the text prepared once (``Doc``), then 版头, 主体, 落款, 发文机关, 版记, each a
result of its own; ``read`` composes the fields from them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from archive import docno
from archive.gongwen import body, closing, colophon, elements, header, issuer, layout, meta
from archive.gongwen.flat import Flat
from archive.gongwen.vocab import clean_name, doc_type_of, split_orgs, squash
from archive.models import GongwenFields


@dataclass(frozen=True)
class Doc:
    """The text every part reads, prepared once: its cleaned lines without the meta table of a web copy,
    the layout, the flat string (``flat.Flat``), the meta table itself. Nothing writes to it."""

    text: str
    f: Flat
    meta: meta.Meta | None
    layout: str
    mark: str | None
    number_line: str | None

    @property
    def flat(self) -> str:
        return self.f.s


def prepare(text: str) -> Doc:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    lines = layout.clean_lines(text)
    table = meta.read(lines)
    if table:  # the table and the site's header are read apart; the text below is the 公文
        lines = ["" if i in table.lines else ln for i, ln in enumerate(lines)]
    kind, mark, number_line = layout.detect(lines)
    text = "\n".join(lines).strip("\n")
    return Doc(text=text, f=Flat(text), meta=table, layout=kind, mark=mark, number_line=number_line)


def read(text: str) -> GongwenFields:
    """Each part takes the prepared text (and what the parts before it found, as arguments) and returns
    its own result; the fields are composed from them here."""
    doc = prepare(text)
    head = header.read(doc)
    main = body.read(doc, head)
    close = closing.read(doc, head, main)
    names = issuer.choose(doc, head, main, close)
    col = colophon.read(doc, main.title_span)
    out = GongwenFields(
        copy_no=head.copy_no, secrecy=head.secrecy, secrecy_term=head.secrecy_term, urgency=head.urgency,
        doc_number=head.doc_number, signer=head.signer, title=main.title, recipients=main.recipients,
        date=close.date, date_source=close.date_source, issuers=names, issuer="、".join(names) or None,
        cc=col.cc, printer=col.printer, print_date=col.print_date, note=col.note,
        attachments=body.attachments(doc, main.body_start, close.sig_start),
        warnings=list(close.warnings))
    elements.read(doc.text, out)  # the 附注 line under the 落款 (issue 26)
    by_layout(doc, out)
    return finish(out)


def by_layout(doc: Doc, out: GongwenFields) -> None:
    """What a layout says that the general parts cannot know."""
    if doc.layout == layout.ORDER and doc.mark:
        full = docno.parse(doc.mark + doc.number_line) if doc.number_line else None
        if full and (out.doc_number is None or (
                out.doc_number.serial == full.serial and full.code.endswith(out.doc_number.code))):
            out.doc_number = full  # the whole mark, also when it wrapped over two lines
        # GB/T 9704's 命令格式 has no 标题: the 发令机关标志 stands in its place and is what the clerk files
        # (with the 令号 beside it). Only when the regulation's own text follows, headed by its name on a
        # line of its own, is that name printed as a title (国务院令 / 第487号 / … / 国家自然科学基金条例 / 第一章)
        if not (out.title and _heads_its_text(doc, out.title)):
            out.title = doc.mark
        # the mark names the issuing organs whole, also when it wrapped and the 令号 kept only its last line
        name = issuer.ORDER_SUFFIX.sub("", doc.mark)
        name = re.sub(r"^中华人民共和国(?=..)", "", name)  # the state's name before its organ (国务院令)
        names = split_orgs(name) or [name]
        cur = squash((out.issuer or "").replace("、", ""))
        if len(name) >= 2 and (not cur or (name != cur and (name.endswith(cur) or cur == "中华人民共和国" + name))):
            out.issuers, out.issuer = names, "、".join(names)
    elif doc.layout == layout.MINUTES and doc.mark:
        t = out.title
        out.title = t if t and t.endswith("纪要") and not (t != doc.mark and doc.mark.endswith(t)) else doc.mark
        name = layout.minutes_issuer(doc.mark)
        if name:  # a 纪要 has no 署名; its organiser is the mark's name
            out.issuers = [name]
            out.issuer = name
    if doc.meta:
        out.layout = layout.WEB
        m = doc.meta
        if m.doc_number:
            out.doc_number = docno.parse(m.doc_number) or out.doc_number
        if m.title:
            out.title = fuller_title(out.title, m.title)
        if m.issuer:
            names = [x for x in (clean_name(n) for n in re.split(r"[、，,；;\s]+", m.issuer)) if x]
            if names:
                out.issuers, out.issuer = names, "、".join(names)
        if m.date and out.date is None:
            out.date = m.date
        elif m.date and m.date != out.date:
            # the document's own 落款 wins over the site's table; the disagreement is the clerk's to settle
            out.doubtful_date = (f"成文日期不一致：落款为 {out.date.isoformat()}，"
                                 f"网页标注为 {m.date.isoformat()}")
    else:
        out.layout = doc.layout
    if out.issuer is None and out.printer:
        # last in trust: the 版记's 印发机关 is the issuer's office (XX县人民政府办公室印发)
        name = re.sub(r"(?<=.{4})(?:办公室|办公厅|秘书处|文印室)$", "", squash(out.printer))
        names = split_orgs(name)
        if names:
            out.issuers, out.issuer = names, "、".join(names)

def _heads_its_text(doc: Doc, name: str) -> bool:
    """Whether ``name`` stands alone on a line below the 令's first lines (the heading of the promulgated text)."""
    lines = [squash(ln) for ln in doc.text.split("\n") if ln.strip()]
    return squash(name) in lines[3:]


def fuller_title(printed: str | None, page: str) -> str:
    """The page's 标题 label, unless the 公文's own title line is that title with its issuer's name in
    front (a site's label drops the ``XX关于`` prefix: ``关于同意…的批复`` above
    ``平潭综合实验区管委会关于同意…的批复``); punctuation may differ (6.24 / 6·24), and a label the
    site mistyped (a character or two of a title of the same length) yields to the printed line."""
    pre = issuer.title_prefix(printed)
    if not printed or not pre or doc_type_of(printed) is None:
        return page
    own, label = _bare(printed[len(pre):]), _bare(page)
    if own == label:
        return printed
    # the site's label mistyped (触动 for 触电): the same length, a character or two apart
    differ = sum(a != b for a, b in zip(own, label))
    return printed if len(own) == len(label) >= 8 and differ <= 2 else page


def _bare(x: str) -> str:
    return re.sub(r"[^\w]", "", x)


def finish(out: GongwenFields) -> GongwenFields:
    check_date(out)
    out.doc_type = doc_type_of(out.title)
    if out.doc_number is None:
        out.warnings.append("未找到发文字号")
    if out.title is None:
        out.warnings.append("未找到标题")
    elif out.doc_type is None or out.title.count("《") != out.title.count("》"):
        out.warnings.append("标题不完整")
    if out.issuer is None:
        out.warnings.append("未找到发文机关")
    if out.date is None:
        out.warnings.append("未找到成文日期")
    if out.doubtful_date:
        out.warnings.append(out.doubtful_date)
    return out


def check_date(out: GongwenFields) -> None:
    """A 成文日期 that the document itself contradicts is in doubt: a 文号 of another year (a 文号's
    year is the year it was issued, so a later 成文日期 cannot be; an earlier one by more than the turn
    of the year is a misread), or an 印发日期 before it."""
    if out.date is None or out.doubtful_date:
        return
    num = out.doc_number
    if num is not None and num.year and num.kind != "order":
        if not (num.year - 1 <= out.date.year <= num.year):
            out.doubtful_date = (f"成文日期与发文字号年份不一致：成文日期为 {out.date.isoformat()}，"
                                 f"发文字号为 {num.raw}")
            return
    if out.print_date is not None and out.print_date < out.date:
        out.doubtful_date = (f"成文日期晚于印发日期：成文日期为 {out.date.isoformat()}，"
                             f"印发日期为 {out.print_date.isoformat()}")

