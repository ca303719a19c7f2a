"""归档章 on a record whatever its file: PDF, DOCX (a PDF rendition by LibreOffice) or OFD (an annotation).

* PDF: the stored PDF with the stamp on page 1 (stamp.py) → a PDF.
* DOCX: LibreOffice headless makes a PDF rendition (rendition.py), which gets the stamp → a PDF.
* OFD: a copy of the OFD with the stamp as a Stamp annotation on page 1 (ofd_stamp.py) → an OFD. The page
  content stays as it was; a reader shows the annotation over page 1.
* Anything else (text, images, .doc/.wps, web pages): one line saying why and what to do.

The stored original is never modified: every result is a new file outside the store, and an existing file
is replaced only when asked (``force``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from archive.config import Config
from archive.errors import ExportError
from archive.store import FileStore

# what each kind of record becomes, and how
OUTPUT_SUFFIX = {"pdf": ".pdf", "docx": ".pdf", "ofd": ".ofd"}
_WHY_NOT = {
    "text": "纯文本没有版面，无法加盖归档章",
    "image": "图像文件不能直接加盖归档章",
    "doc": "Word 97–2003/WPS 文件不能直接加盖归档章",
    "rtf": "RTF 文件不能直接加盖归档章",
    "html": "网页文件没有固定版面，无法加盖归档章",
    "mht": "网页文件没有固定版面，无法加盖归档章",
}


@dataclass
class Stamped:
    path: Path
    kind: str  # pdf | ofd: what was written
    notes: list[str] = field(default_factory=list)


def default_name(row) -> str:
    """``<档号>-归档章.pdf``/``.ofd``: the 档号 without characters a file name cannot hold."""
    from archive.export.retrieve import safe_name

    return safe_name(f"{row['archival_code']}-归档章") + OUTPUT_SUFFIX.get(row["media_type"] or "", ".pdf")


def stamp_record(store: FileStore, row, cfg: Config, out: Path | None = None, force: bool = False) -> Stamped:
    """Write the record's 归档章 copy to ``out`` (default: ``<档号>-归档章.pdf|.ofd`` in the current folder)."""
    from archive.export.stamp import check_stampable, stamp_cells, stamp_pdf_file

    ref = row["archival_code"] or f"记录 {row['id']}"
    kind = row["media_type"] or ""
    out = Path(out) if out is not None else Path.cwd() / default_name(row) if row["archival_code"] else None
    src = check_stampable(store, row, out or Path.cwd() / "x")
    if kind not in OUTPUT_SUFFIX:
        why = _WHY_NOT.get(kind, f"{kind or '未知'}类型的文件不能加盖归档章")
        raise ExportError(f"{ref}：{why}；归档章只能加在 PDF、DOCX 或 OFD 上（如需盖章，请将该件转为 PDF 后入库）")
    assert out is not None
    want = OUTPUT_SUFFIX[kind]
    if out.suffix.lower() != want:
        raise ExportError(f"{ref} 的加章副本是 {want[1:].upper()} 文件：输出文件名应以 {want} 结尾（{out}）")
    if out.is_dir():
        raise ExportError(f"{out} 是文件夹：请给出输出文件名")
    if (out.exists() or out.is_symlink()) and not force:
        raise ExportError(f"输出文件已存在：{out}（如要覆盖，请加 --force）")
    if not src.exists():
        raise ExportError(f"库中找不到 {ref} 的电子文件（{row['stored_path']}）：请运行 archive verify 检查")
    if kind == "pdf":
        stamp_pdf_file(src, row, cfg, out)
        return Stamped(out, "pdf")
    if kind == "docx":
        from archive.export.rendition import pdf_rendition

        with pdf_rendition(src, ref) as pdf:
            stamp_pdf_file(pdf, row, cfg, out, what="DOCX 转换的 PDF")
        return Stamped(out, "pdf", ["DOCX 经 LibreOffice 转为 PDF 后加盖归档章（版式以 LibreOffice 的排版为准）"])
    from archive.export.ofd_stamp import stamp_ofd_file

    signed = stamp_ofd_file(src, stamp_cells(row, cfg), out, ref)
    notes = ["归档章以 OFD 注释（Stamp）加在首页右上角，正文内容未改动"]
    if signed:
        notes.append("该 OFD 带电子签章：加章副本中的签章校验将不通过，有效签章以库中原件为准")
    return Stamped(out, "ofd", notes)
