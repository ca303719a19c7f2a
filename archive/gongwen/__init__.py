"""Recognise the 公文 elements (GB/T 9704-2012) in a document's normalised text.

``parse(text) -> GongwenFields``. It never raises: whatever it cannot read is left ``None`` and
what looked wrong goes into ``warnings``.

One module per part of a 公文, read in this order:

- ``layout``: the text's lines are cleaned (red rules typed as ``——``/``─``/``_``/``━``, page
  numbers ``- 2 -``) and the layout is recognised: 文件格式, 信函格式, 命令(令)格式, 纪要格式, or a
  web-page copy with a meta table (``meta``: its 发文字号, 发文机关, 成文日期 and 标题 win).
- ``header`` (版头): 份号, 密级, 紧急程度, the own 发文字号 (the first number of the header that is no
  citation; 签发人 on its line), the 发文机关标志.
- ``body`` (主体): 标题, 主送机关, 附件说明.
- ``closing`` (落款): 成文日期 and the 署名 above it.
- ``colophon`` (版记): 抄送, 印发机关和印发日期, 附注.
- ``issuer``: 发文机关 in order of trust: the 版头's mark, the 署名, a 令号, the title's prefix, the 版记.

Real text comes in two shapes: line-structured (DOCX paragraphs, PDF text layers, web pages) and
run-on (OCR-like text with no line breaks at all, the header glued together:
``内部事项国网湖北省电力有限公司文件鄂电司发展〔2021〕251号签发人：XXX国网湖北…关于…的报告…：``).
PDF text layers also break lines at arbitrary points (a title or a date may be split over two lines).
So the parts work on one *flat* string (``flat.Flat``): the text with its line breaks removed, and
the positions of the removed breaks kept aside as a feature ("this date stood on a line of its own").
"""

from __future__ import annotations

from archive.gongwen.reader import read
from archive.gongwen.vocab import DOC_TYPES, doc_type_of
from archive.models import GongwenFields

__all__ = ["parse", "DOC_TYPES", "doc_type_of"]


def parse(text: str) -> GongwenFields:
    """Recognise the 公文 elements of one document's normalised text. Never raises."""
    if not isinstance(text, str):
        try:
            text = "" if text is None else str(text)
        except Exception:
            text = ""
    try:
        return read(text)
    except Exception as exc:  # a bug must not stop ingest: report it and return what we have
        out = GongwenFields()
        out.warnings.append(f"解析公文要素时出错：{type(exc).__name__}")
        return out
