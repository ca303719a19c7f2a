"""A 版式 copy for every 件 (issue 27, item 3): the PDF/A-2b rendition of a record whose own file is a
word-processing or text file (DOCX, DOC, WPS, RTF, HTML, TXT).

A record's sealed OFD or PDF 正本 is its 版式 copy; only a record with no PDF or OFD file at all gets a
rendition. LibreOffice headless makes it (archive/extract/office.py: its runner, profile lock, limits and
timeout) from the record's own stored file, re-checksummed first: never from a path a person gives, so no file
reaches the store here that the 涉密 gate has not passed; the rendition is gated once more all the same.
Before it is stored it is checked: PDF/A identification in its XMP metadata (pdfaid:part 2, conformance B),
every font embedded, and as many pages as LibreOffice's own layout of the source (office.rendered_pages).
It is stored beside the original, as one more file of the record with the role 版式副本 (words.RENDITION_ROLE),
checksummed like every stored file; the original is never replaced or touched. A failure (LibreOffice missing,
failing or timing out, a check failing) leaves the record as it was and says why (docs/domain.md, 版式副本).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from archive import catalog
from archive.errors import ExtractionError, StopRequested
from archive.session import Archive
from archive.words import RENDITION_ROLE

# the record kinds (detect_type) a rendition is made for, and the suffix LibreOffice reads each by
# (a .wps of WPS 文字 is detected as "doc": the Word binary format under another name)
SOURCE_KINDS = {"docx": "docx", "doc": "doc", "rtf": "rtf", "html": "html", "mht": "mht", "text": "txt"}
LAYOUT_KINDS = ("pdf", "ofd")  # a file of these kinds is a 版式 copy already
PDFA_TARGET = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'  # PDF/A-2b
OPEN_STATUSES = ("archived", "pending")  # records kept or still to be decided; 不归档 and 已销毁 need none


@dataclass
class Outcome:
    """What became of one record: ``made`` (stored as file ``seq``), ``failed`` (``reason``, the record
    untouched), or ``would`` (a dry run)."""

    record_id: int
    ref: str
    outcome: str
    reason: str = ""
    seq: int | None = None
    pages: int | None = None

    def to_json(self) -> dict:
        return {"record": self.record_id, "ref": self.ref, "outcome": self.outcome, "reason": self.reason,
                "seq": self.seq, "pages": self.pages}


@dataclass
class Checks:
    """The checks of a rendition (all must hold before it is stored)."""

    pdfa: str | None = None  # "2B" as the XMP declares it
    unembedded: list[str] = field(default_factory=list)  # fonts not embedded
    pages: int = 0
    source_pages: int | None = None
    problems: list[str] = field(default_factory=list)  # Chinese, one per failed check

    @property
    def ok(self) -> bool:
        return not self.problems


def _ref(row) -> str:
    return row["archival_code"] or f"记录 {row['id']}"


def has_layout_copy(conn, row) -> bool:
    """Whether the record has a 版式 copy: its own file or a further file (not taken off) is a PDF or OFD."""
    if (row["media_type"] or "") in LAYOUT_KINDS:
        return True
    return any((f["media_type"] or "") in LAYOUT_KINDS or f["role"] == RENDITION_ROLE
               for f in catalog.further_files(conn, row["id"]))


def needs_rendition(conn, row) -> bool:
    """A record kept (or to be decided) whose own stored file is a word-processing or text file and which has
    no 版式 copy."""
    return (row["status"] in OPEN_STATUSES and bool(row["stored_path"])
            and (row["media_type"] or "") in SOURCE_KINDS and not has_layout_copy(conn, row))


def missing(arc: Archive) -> list:
    """The records that need a rendition, in id order."""
    return [r for r in catalog.all_records(arc.conn) if needs_rendition(arc.conn, r)]


def check_pdf(path: Path, source_pages: int | None) -> Checks:
    """PDF/A-2b identification (XMP), every font embedded, the page count equal to the source's layout."""
    import pypdf

    c = Checks(source_pages=source_pages)
    try:
        reader = pypdf.PdfReader(str(path))
        c.pages = len(reader.pages)
        xmp = reader.xmp_metadata
        part = conf = None
        if xmp is not None:  # <pdfaid:part>2</pdfaid:part> (or the attribute form) in the XMP packet
            ns = "http://www.aiim.org/pdfa/ns/id/"
            for node in xmp.rdf_root.getElementsByTagNameNS(ns, "part"):
                part = node.firstChild.data if node.firstChild else None
            for node in xmp.rdf_root.getElementsByTagNameNS(ns, "conformance"):
                conf = node.firstChild.data if node.firstChild else None
            for node in xmp.rdf_root.getElementsByTagNameNS("http://www.w3.org/1999/02/22-rdf-syntax-ns#",
                                                            "Description"):
                part = part or node.getAttributeNS(ns, "part") or None
                conf = conf or node.getAttributeNS(ns, "conformance") or None
        c.pdfa = f"{part}{conf}" if part else None
        if str(part).strip() != "2" or str(conf).strip().upper() != "B":
            c.problems.append(f"XMP 元数据未标识为 PDF/A-2b（标识为 {c.pdfa or '无'}）")
        c.unembedded = sorted(_unembedded_fonts(reader))
        if c.unembedded:
            c.problems.append(f"有字体未嵌入：{'、'.join(c.unembedded[:5])}")
    except Exception as e:  # noqa: BLE001 - a rendition that pypdf cannot read is not stored
        c.problems.append(f"转换结果无法读取（{type(e).__name__}）")
        return c
    if source_pages is None:
        c.problems.append("无法排版原文件计页，页数未能核对")
    elif source_pages != c.pages:
        c.problems.append(f"页数 {c.pages} 与原文件排版的 {source_pages} 页不符")
    return c


def _unembedded_fonts(reader) -> set[str]:
    """The names of fonts used on the pages whose program is not in the file (Type3 fonts are their own)."""
    out: set[str] = set()
    for page in reader.pages:
        res = page.get("/Resources")
        res = res.get_object() if res is not None else None
        fonts = res.get("/Font") if res is not None else None
        if fonts is None:
            continue
        for ref in fonts.get_object().values():
            font = ref.get_object()
            if font.get("/Subtype") == "/Type3":
                continue
            desc_font = font
            if font.get("/Subtype") == "/Type0":
                desc_font = font["/DescendantFonts"][0].get_object()
            desc = desc_font.get("/FontDescriptor")
            desc = desc.get_object() if desc is not None else None
            if desc is None or not any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                out.add(str(font.get("/BaseFont", "?")).lstrip("/"))
    return out


def make(arc: Archive, row, *, reason: str | None = None) -> Outcome:
    """Make, check and store the rendition of one record (``row``); the record is untouched on any failure."""
    from archive import secrecy
    from archive.extract import office
    from archive.store import sha256_file

    ref = _ref(row)
    if not needs_rendition(arc.conn, row):
        return Outcome(row["id"], ref, "failed", "无需转换：已有版式文件，或不是待转换的文字处理/文本文件")
    binary = office.soffice_program()
    if binary is None:
        return Outcome(row["id"], ref, "failed", "本机未安装 LibreOffice，无法生成版式副本"
                       "（Debian/Ubuntu：sudo apt-get install libreoffice-writer-nogui）")
    src = arc.store.abspath(row["stored_path"])
    try:
        if sha256_file(src) != row["sha256"]:
            return Outcome(row["id"], ref, "failed", "存储文件的校验值与目录不符，未转换：请运行 archive verify")
    except OSError as e:
        return Outcome(row["id"], ref, "failed", f"存储文件无法读取：{e.strerror}")
    kind = row["media_type"]
    suffix = SOURCE_KINDS[kind]
    with tempfile.TemporaryDirectory(prefix="archive-rendition-") as tmp:
        source = _source_copy(arc, row, src, Path(tmp), suffix)
        with office.converted(binary, source, suffix, PDFA_TARGET, "pdf") as c:
            if c.rc is None:
                return Outcome(row["id"], ref, "failed",
                               f"LibreOffice 转换超时（超过 {office.CONVERT_TIMEOUT:g} 秒），已终止；记录未改动")
            if not c.made:
                return Outcome(row["id"], ref, "failed", f"LibreOffice 无法转换该文件（退出码 {c.rc}"
                               f"{'：' + c.tail if c.tail else ''}）；记录未改动")
            pdf = Path(tmp) / "rendition.pdf"
            shutil.copyfile(c.result, pdf)
        source_pages, why = office.rendered_pages(source, suffix)
        checks = check_pdf(pdf, source_pages)
        if not checks.ok:
            return Outcome(row["id"], ref, "failed", "版式副本未通过检查：" + "；".join(checks.problems)
                           + (f"（{why}）" if why else "") + "；记录未改动", pages=checks.pages)
        try:
            verdict = secrecy.gate(pdf, ocr=arc.cfg.ocr)  # defence in depth: the source passed it already
        except StopRequested:
            raise
        except ExtractionError as e:
            return Outcome(row["id"], ref, "failed", f"版式副本无法检查密级标志（{e}）；记录未改动")
        if verdict.kind != "clear":
            return Outcome(row["id"], ref, "failed", f"版式副本未存储：{verdict.message()}；请保密员核查该记录")
        return _store(arc, row, pdf, checks, reason)


def _source_copy(arc: Archive, row, src: Path, tmp: Path, suffix: str) -> Path:
    """The file LibreOffice converts. A text file is given as the text ingest read from it (UTF-8 with a
    byte-order mark), so a GB18030 file is not laid out as mojibake; any other kind is the stored file."""
    if suffix != "txt":
        return src
    try:
        ex = arc.worker.extract(src)
        text = ex.text
    except (ExtractionError, OSError):
        text = src.read_bytes().decode("utf-8", "replace")
    out = tmp / "source.txt"
    out.write_text("\ufeff" + text, encoding="utf-8")
    return out


def _store(arc: Archive, row, pdf: Path, checks: Checks, reason: str | None) -> Outcome:
    from archive import intake
    from archive.store import sha256_file

    sha = sha256_file(pdf)
    ref = _ref(row)
    name = f"{Path(row['filename'] or 'file').stem}.版式副本.pdf"
    with arc.change(transaction=False):
        cur = catalog.get_record(arc.conn, row["id"])
        if cur is None or not needs_rendition(arc.conn, cur):
            return Outcome(row["id"], ref, "failed", "记录已被另一操作更改（或已有版式副本），未作更改")
        if catalog.owner_of(arc.conn, sha) is not None:
            return Outcome(row["id"], ref, "failed", "同样内容的文件已属于另一记录，未存储")
        with intake.stored(arc, pdf, sha, "pdf", "rendition", reason or "生成版式副本（PDF/A-2b）") as (tx, rel):
            seq = catalog.attach_file(tx.conn, row["id"], RENDITION_ROLE, {
                "sha256": sha, "filename": name, "source_path": None, "stored_path": rel, "media_type": "pdf",
                "size": pdf.stat().st_size, "pages": checks.pages, "extract_method": "text-layer",
                "warnings": None}, None, count_pages=False)
            catalog.append_event(tx.conn, "attach", row["id"], {
                "filename": name, "sha256": sha, "seq": seq, "role": RENDITION_ROLE, "by": "rendition",
                "from_sha256": row["sha256"], "pdfa": checks.pdfa, "pages": checks.pages,
                "source_pages": checks.source_pages})
            tx.queue_index(row["id"])
    return Outcome(row["id"], ref, "made", seq=seq, pages=checks.pages)


def convert_missing(arc: Archive, *, dry_run: bool = False, progress=None) -> list[Outcome]:
    """``archive convert --missing``: a rendition for every record filed without a 版式 copy."""
    rows = missing(arc)
    out = []
    for i, row in enumerate(rows):
        if dry_run:
            out.append(Outcome(row["id"], _ref(row), "would"))
        else:
            out.append(make(arc, row))
        if progress:
            progress(i + 1, len(rows))
    return out
