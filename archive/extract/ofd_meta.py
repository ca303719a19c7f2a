"""What an OFD 电子公文 declares about itself, preferred to what is read from its text (issue 27).

Places read (GB/T 33190-2016, the OFD format):
- ``OFD.xml`` DocBody/DocInfo: Title, Author, Subject, CreationDate, and CustomDatas/CustomData (Name = value):
  OA systems and e-invoice issuers put the business fields there under Chinese names (发文字号, 成文日期 …);
- the document's custom tags (Document.xml CustomTags → CustomTags.xml → CustomTag files: 语义标引): an
  element whose name is a 公文 element (发文字号 …) holds the text itself or ObjectRefs to the page's text
  objects, whose text is then the value.

The element names are GB/T 9704-2012's 公文 elements and their usual variants; the GB/T 33476–33483 texts that
define the 电子公文 structure and identification were not found (see docs/domain.md), so no other naming is
assumed. Values the file declares win over the text's reading; where the two disagree the record carries a
warning, and a disagreement about 发文字号, 成文日期 or 发文机关 makes it 待定 (the caller's reason).
A declared 密级 is never weakened: the stricter of the declared and the read 密级 is kept (the 涉密 gate follows).

Hostile files: every part read is capped in size, XML is parsed without entities or network, values are
bounded in length and stripped of control characters."""

from __future__ import annotations

import posixpath
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MAX_XML = 4 * 1024 * 1024  # a metadata part larger than this is not read
MAX_VALUE = 500
MAX_TAG_FILES = 8
MAX_PAGES = 50  # pages whose text objects are read to resolve ObjectRefs

# element / CustomData names -> the field they declare
NAMES = {
    "标题": "title", "题名": "title", "文件标题": "title", "公文标题": "title",
    "发文字号": "doc_number", "文号": "doc_number", "发文文号": "doc_number",
    "发文机关": "issuer", "发文机关署名": "issuer", "发文单位": "issuer", "发文机关名称": "issuer",
    "成文日期": "date", "发文日期": "date",
    "密级": "secrecy", "紧急程度": "urgency", "签发人": "signer", "主送机关": "recipients",
    "抄送机关": "cc", "印发机关": "printer", "印发日期": "print_date", "份号": "copy_no", "保密期限": "secrecy_term",
}
LABELS = {"title": "标题", "doc_number": "发文字号", "issuer": "发文机关", "date": "成文日期", "secrecy": "密级",
          "urgency": "紧急程度", "signer": "签发人", "recipients": "主送机关", "cc": "抄送机关", "printer": "印发机关",
          "print_date": "印发日期", "copy_no": "份号", "secrecy_term": "保密期限"}
DOUBT_FIELDS = ("doc_number", "date", "issuer")  # a disagreement here makes the record 待定
_SECRECY_RANK = {None: 0, "": 0, "秘密": 1, "机密": 2, "绝密": 3}


@dataclass
class Declared:
    values: dict[str, str] = field(default_factory=dict)  # field -> value as declared
    where: dict[str, str] = field(default_factory=dict)  # field -> where (OFD.xml CustomData / 语义标引 …)
    doc_info: dict[str, str] = field(default_factory=dict)  # DocInfo's own Title/Author/Subject/CreationDate
    weak: set[str] = field(default_factory=set)  # fields that only fill a gap (DocInfo Title: often a file name)


def read(path: Path) -> Declared:
    """The metadata the OFD at ``path`` declares (empty when none, or when the file is not a readable OFD)."""
    out = Declared()
    try:
        with zipfile.ZipFile(path) as z:
            names = {n.lstrip("/"): n for n in z.namelist()}
            root = _xml(z, names, "OFD.xml")
            if root is None:
                return out
            for body in _children(root, "DocBody"):
                info = _child(body, "DocInfo")
                if info is not None:
                    _doc_info(info, out)
                doc_root = _child(body, "DocRoot")
                if doc_root is not None and doc_root.text:
                    _custom_tags(z, names, _clean_loc(doc_root.text, ""), out)
                break  # the first document is the 公文
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError, RuntimeError):
        return Declared()
    return out


def apply(path: Path, media_type: str | None, fields) -> str | None:
    """Prefer the declared metadata of an OFD to ``fields`` (a GongwenFields read from the text), in place.
    Returns the 待定 reason when the two disagree on 发文字号, 成文日期 or 发文机关, else None."""
    if media_type != "ofd":
        return None
    d = read(path)
    if not d.values:
        return None
    from archive import docno, zhnum

    doubts, notes = [], []
    for key, value in d.values.items():
        label, where = LABELS[key], d.where[key]
        if key == "doc_number":
            new = docno.parse(value)
            if new is None:
                notes.append(f"文件声明的{label}“{value}”（{where}）无法解析，沿用正文识别的结果")
                continue
            old = fields.doc_number
            if old is not None and old.canonical != new.canonical:
                doubts.append(f"{label}：文件声明“{new.canonical}”，正文为“{old.canonical}”")
            fields.doc_number = new
        elif key in ("date", "print_date"):
            try:
                new = zhnum.parse_date(value)
            except ValueError:
                new = None
            if new is None:
                notes.append(f"文件声明的{label}“{value}”（{where}）不是日期，沿用正文识别的结果")
                continue
            old = getattr(fields, key)
            if old is not None and old != new:
                (doubts if key == "date" else notes).append(
                    f"{label}：文件声明 {new.isoformat()}，正文为 {old.isoformat()}")
            setattr(fields, key, new)
            if key == "date":
                fields.date_source = "文件声明"
        elif key == "secrecy":
            level = next((lv for lv in ("绝密", "机密", "秘密") if lv in value), None)
            if _SECRECY_RANK.get(level, 0) > _SECRECY_RANK.get(fields.secrecy, 0):
                fields.secrecy = level
            if level != fields.secrecy:
                notes.append(f"{label}：文件声明“{value}”，正文为“{fields.secrecy or '无'}”（取较高者）")
        elif key in d.weak and getattr(fields, key):
            if _norm(getattr(fields, key)) != _norm(value):
                notes.append(f"{label}：文件声明“{value}”（{where}），正文为“{getattr(fields, key)}”，沿用正文")
        else:
            old = getattr(fields, key)
            if old and _norm(old) != _norm(value) and not _same_issuer(key, old, value):
                (doubts if key in DOUBT_FIELDS else notes).append(f"{label}：文件声明“{value}”，正文为“{old}”")
            setattr(fields, key, value)
            if key == "issuer":
                fields.issuers = [s for s in re.split(r"[、，,]", value) if s]
    for n in notes:
        fields.warnings.append(f"文件声明的元数据与正文不一致：{n}")
    for n in doubts:
        fields.warnings.append(f"文件声明的元数据与正文不一致：{n}")
    if doubts:
        return "文件声明的元数据与正文识别不一致（" + "；".join(doubts) + "），请人工确认"
    return None


# ---- reading -------------------------------------------------------------------------------------------
def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(el, name):
    return [c for c in el if _local(c.tag) == name]


def _child(el, name):
    return next(iter(_children(el, name)), None)


def _xml(z: zipfile.ZipFile, names: dict, name: str):
    real = names.get(name)
    if real is None:
        return None
    if z.getinfo(real).file_size > MAX_XML:
        return None
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        return etree.fromstring(z.read(real), parser)
    except etree.XMLSyntaxError:
        return None


def _value(text: str | None) -> str:
    s = "".join(ch for ch in (text or "") if unicodedata.category(ch)[0] != "C" or ch in " ")
    s = unicodedata.normalize("NFKC", s)
    return re.sub(r"\s+", " ", s).strip()[:MAX_VALUE]


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def _same_issuer(key: str, read_value: str, declared: str) -> bool:
    """发文机关标志 printed as 「XX县人民政府文件」 names the same issuer as a declared 「XX县人民政府」."""
    if key != "issuer":
        return False
    a, b = _norm(read_value), _norm(declared)
    a = re.sub(r"(文件|函|令|公告|通告|纪要)$", "", a)
    return a == b or set(a.split("、")) == set(b.split("、"))


def _put(out: Declared, key: str, value: str, where: str) -> None:
    value = _value(value)
    if value and key not in out.values:
        out.values[key] = value
        out.where[key] = where


def _doc_info(info, out: Declared) -> None:
    for name in ("Title", "Author", "Subject", "CreationDate", "ModDate", "Creator"):
        el = _child(info, name)
        if el is not None and _value(el.text):
            out.doc_info[name] = _value(el.text)
    datas = _child(info, "CustomDatas")
    if datas is not None:
        for cd in _children(datas, "CustomData"):
            key = NAMES.get(_norm(cd.get("Name") or ""))
            if key:
                _put(out, key, cd.text, f"OFD.xml 自定义数据“{_value(cd.get('Name'))}”")
    if "Title" in out.doc_info and "title" not in out.values:
        _put(out, "title", out.doc_info["Title"], "OFD.xml 文档元数据 Title")
        out.weak.add("title")


def _clean_loc(loc: str, base: str) -> str:
    loc = loc.strip()
    path = loc.lstrip("/") if loc.startswith("/") else posixpath.join(base, loc)
    return posixpath.normpath(path).lstrip("/")


def _custom_tags(z, names, doc_xml: str, out: Declared) -> None:
    doc = _xml(z, names, doc_xml)
    if doc is None:
        return
    base = posixpath.dirname(doc_xml)
    ct = _child(doc, "CustomTags")
    if ct is None or not ct.text:
        return
    tags_loc = _clean_loc(ct.text, base)
    tags = _xml(z, names, tags_loc)
    if tags is None:
        return
    texts = None
    for tag in _children(tags, "CustomTag")[:MAX_TAG_FILES]:
        loc = _child(tag, "FileLoc")
        if loc is None or not loc.text:
            continue
        tree = _xml(z, names, _clean_loc(loc.text, posixpath.dirname(tags_loc)))
        if tree is None:
            continue
        for el in tree.iter():
            key = NAMES.get(_local(el.tag))
            if not key or key in out.values:
                continue
            refs = [r for r in el.iter() if _local(r.tag) == "ObjectRef" and r.text]
            if refs:
                if texts is None:
                    texts = _text_objects(z, names, base, doc)
                value = "".join(texts.get(r.text.strip(), "") for r in refs)
            else:
                value = el.text or ""
            _put(out, key, value, f"语义标引 {_local(el.tag)}")


def _text_objects(z, names, base: str, doc) -> dict[str, str]:
    """ID -> text of every TextObject on the first pages (the ObjectRefs of the custom tags point there)."""
    out: dict[str, str] = {}
    pages = [p for p in doc.iter() if _local(p.tag) == "Page" and p.get("BaseLoc")][:MAX_PAGES]
    for p in pages:
        tree = _xml(z, names, _clean_loc(p.get("BaseLoc"), base))
        if tree is None:
            continue
        for obj in tree.iter():
            if _local(obj.tag) == "TextObject" and obj.get("ID"):
                out[obj.get("ID")] = "".join(t.text or "" for t in obj.iter() if _local(t.tag) == "TextCode")
    return out

