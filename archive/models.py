"""Plain data passed between the pipeline's stages.

extract -> Extracted -> gongwen.parse -> GongwenFields -> classify -> Classification
-> archival_code -> store/catalog -> the catalog record (a dict, ``catalog.record``). Each stage takes
these in and gives these out, so each can be tested alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DocNumber:
    """发文字号 (document number), parsed.

    kind: "standard"  代字〔年份〕序号号       e.g. 屯X发〔2017〕55号
          "order"     …令第N号 (no year)       e.g. 国务院令第707号   (code = "国务院令")
          "announcement" …公告YYYY年第N号       e.g. 国家税务总局公告2015年第41号 (code = "国家税务总局公告")
    For order/announcement numbers that do carry a year, ``year`` is set.
    """

    raw: str  # as printed in the document (trimmed)
    code: str  # 机关代字 ("" when the number has none, e.g. a bare 〔2017〕55号)
    year: int | None  # 年份
    serial: int  # 序号
    kind: str = "standard"

    @property
    def canonical(self) -> str:
        """GB/T 9704 form: 代字〔年份〕序号号; 令 and 公告 numbers keep their own family form."""
        if self.kind == "order":
            if self.year:
                return f"{self.code}〔{self.year}〕第{self.serial}号"
            return f"{self.code}第{self.serial}号"
        if self.kind == "announcement":
            return f"{self.code}{self.year}年第{self.serial}号"
        return f"{self.code}〔{self.year}〕{self.serial}号"


@dataclass
class Extracted:
    """What the extract stage read from a file. ``text`` is already normalised (textnorm)."""

    media_type: str  # "pdf" | "docx" | "ofd" | "text" | "image"
    text: str
    pages: int
    page_texts: list[str] = field(default_factory=list)
    method: str = "text-layer"  # how the text was obtained: "text-layer" | "ocr" | "text-layer+ocr"
    warnings: list[str] = field(default_factory=list)
    # OCR only: per page, the mean word confidence 0–100 (None for a page read from its text layer)
    page_confidences: list[float | None] = field(default_factory=list)
    ocr_lines: list = field(default_factory=list)  # OcrLines of the OCR pages (text, confidences, page)
    searchable_pdf: bytes | None = None  # the scan with an added text layer, when [ocr] asks for it
    # a PDF whose page 1 is an image under a text layer: that image's top read by OCR, for the 涉密 gate
    # ({"page", "cover", "lines": [OcrLine], "error", "text_layer"}; archive.extract._probe_pdf)
    image_probe: dict | None = None


@dataclass
class GongwenFields:
    """公文 elements recognised in a document's text (GB/T 9704-2012). None = not found."""

    issuer: str | None = None  # 发文机关 (joint issuers joined with "、")
    issuers: list[str] = field(default_factory=list)
    doc_number: DocNumber | None = None  # own 发文字号, from the header
    title: str | None = None  # 标题
    doc_type: str | None = None  # 文种 (last word of the title)
    recipients: str | None = None  # 主送机关 (without the trailing colon)
    date: dt.date | None = None  # 成文日期
    signer: str | None = None  # 签发人
    secrecy: str | None = None  # 密级: 秘密 / 机密 / 绝密
    secrecy_term: str | None = None  # 保密期限, e.g. "1年"
    urgency: str | None = None  # 紧急程度: 特急 / 加急
    copy_no: str | None = None  # 份号
    cc: str | None = None  # 抄送机关
    printer: str | None = None  # 印发机关
    print_date: dt.date | None = None  # 印发日期
    attachments: list[str] = field(default_factory=list)  # 附件说明
    note: str | None = None  # 附注, e.g. （此件公开发布）; stored as the record's ``annotation`` (not 备注)
    stamp: str | None = None  # 印章: 有 / 无 / 不详 (archive.gongwen.elements.stamp_of; None: not looked at)
    receipt_kind: str | None = None  # 阅件 / 办件 from the 收文处理单 (archive.classify.set_receipt); None: unknown
    warnings: list[str] = field(default_factory=list)  # what looked wrong while parsing
    layout: str | None = None  # GB/T 9704 layout: 文件格式 / 信函格式 / 命令格式 / 纪要格式, or 网页 (a web copy)
    date_source: str | None = None  # where the 成文日期 came from when not the 落款 (标题下, a completed year)
    doubtful_date: str | None = None  # why the 成文日期 is in doubt (disagrees with the 文号's year, 印发日期, a page's table)


@dataclass
class Classification:
    """The retention table's verdict, and why (规则编号 + 依据)."""

    status: str  # "archived" | "excluded" | "pending"
    retention: str | None = None  # "Y" | "D30" | "D10" (保管期限代码)
    org: str | None = None  # 机构(问题) code, e.g. "BGS"
    rule_id: str | None = None
    basis: str | None = None
    relation: str | None = None  # 本机关 / 上级 / 同级 / 下级 / 其他
    reason: str | None = None  # for pending: what is missing or undecided


@dataclass
class IngestResult:
    """The outcome of one input file. Every file gets exactly one."""

    file: str
    outcome: str  # archived | pending | excluded | duplicate | refused | held (涉密 doubt) | failed
    reason: str | None = None
    record: dict | None = None  # the catalog record (keys: docs/domain.md, the record as printed) where there is one
