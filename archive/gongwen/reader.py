"""The reader's state and its order of work: layout first, then 版头, 主体, 落款, 版记, 发文机关."""

from __future__ import annotations

import re

from archive import docno
from archive.gongwen import body, closing, colophon, header, issuer, layout, meta
from archive.gongwen.flat import Flat
from archive.gongwen.vocab import clean_name, doc_type_of, split_orgs, squash
from archive.models import GongwenFields


class Reader:
    """What the parts have found so far; every part reads and writes it (plain state, no logic)."""

    def __init__(self, text: str):
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
        lines = layout.clean_lines(text)
        self.meta = meta.read(lines)
        if self.meta:  # the table and the site's header are read apart; the text below is the 公文
            lines = ["" if i in self.meta.lines else ln for i, ln in enumerate(lines)]
        self.layout, self.mark, self.number_line = layout.detect(lines)
        text = "\n".join(lines).strip("\n")
        self.text = text
        self.f = Flat(text)
        self.flat = self.f.s
        self.out = GongwenFields()
        self.boundaries: list[int] = []  # flat offsets where a title may start
        self.number_span: tuple[int, int] | None = None
        self.mark_end = 0  # end of the 份号/密级/紧急程度 marks
        self.title_span: tuple[int, int] | None = None
        self.title_paren: tuple[int, int] | None = None  # a title printed with its 令号 in parentheses
        self.header_end = 0
        self.masthead: list[str] = []  # issuers from the 发文机关标志
        self.masthead_raw = ""  # the mark's name as printed (``XX文件`` without 文件)
        self.signature_names: list[str] = []  # issuers from the 署名
        self.sig_start: int | None = None

    def run(self) -> GongwenFields:
        limit = header.header_limit(self)
        header.marks(self, limit)
        header.doc_number(self, limit)
        if self.out.signer is None:
            header.signer(self, limit)
        header.masthead(self, limit)
        body.title(self, limit if self.out.doc_number is None or self.number_span[1] <= limit
                   else self.number_span[1])
        if self.out.title is None and limit < len(self.flat) and self.flat[limit] in "：:":
            # the header may end at a colon we took for the recipients: look up to the 。
            k = self.flat.find("。", limit, 1200)
            body.title(self, k if k > limit else min(len(self.flat), limit + 200))
        body.recipients(self, limit)
        closing.date_and_signature(self)
        closing.title_date(self)
        closing.short_year_date(self)
        issuer.choose(self)
        colophon.colophon(self)
        body.attachments(self)
        return self.finish()

    def by_layout(self) -> None:
        """What a layout says that the general parts cannot know."""
        out = self.out
        if self.layout == layout.ORDER and self.mark:
            full = docno.parse(self.mark + self.number_line) if self.number_line else None
            if full and (out.doc_number is None or (
                    out.doc_number.serial == full.serial and full.code.endswith(out.doc_number.code))):
                out.doc_number = full  # the whole mark, also when it wrapped over two lines
            if out.title is None or (out.title != self.mark and (self.mark.endswith(out.title)
                                                                  or out.title.endswith(self.mark))):
                out.title = self.mark  # a 令 has no title of its own: its mark names it
        elif self.layout == layout.MINUTES and self.mark:
            t = out.title
            out.title = t if t and t.endswith("纪要") and not (t != self.mark and self.mark.endswith(t)) else self.mark
            name = layout.minutes_issuer(self.mark)
            if name:  # a 纪要 has no 署名; its organiser is the mark's name
                out.issuers = [name]
                out.issuer = name
        if self.meta:
            out.layout = layout.WEB
            m = self.meta
            if m.doc_number:
                out.doc_number = docno.parse(m.doc_number) or out.doc_number
            if m.title:
                out.title = m.title
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
            out.layout = self.layout
        if out.issuer is None and out.printer:
            # last in trust: the 版记's 印发机关 is the issuer's office (XX县人民政府办公室印发)
            name = re.sub(r"(?<=.{4})(?:办公室|办公厅|秘书处|文印室)$", "", squash(out.printer))
            names = split_orgs(name)
            if names:
                out.issuers, out.issuer = names, "、".join(names)

    def finish(self) -> GongwenFields:
        self.by_layout()
        out = self.out
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


def read(text: str) -> GongwenFields:
    return Reader(text).run()
