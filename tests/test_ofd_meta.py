"""An OFD 电子公文's declared metadata (OFD.xml DocInfo and CustomDatas, the custom tags' 语义标引) read,
preferred to the text's reading, and a disagreement on 发文字号 / 成文日期 / 发文机关 made 待定 (issue 27)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from archive import pipeline
from archive.extract import ofd_meta
from tests.gongwen_gen import gongwen_lines
from tests.makedocs import make_ofd

NS = "http://www.ofdspec.org/2016"


def _row(arc, r, *cols):
    return arc.conn.execute(f"SELECT {', '.join(cols)} FROM documents WHERE sha256=?",
                            (r.record["sha256"],)).fetchone()


def _declare(path: Path, custom: dict[str, str] | None = None, title: str | None = None,
             tags: dict[str, str] | None = None) -> Path:
    """Rewrite a made OFD with CustomDatas (and a Title) in OFD.xml, and/or a custom tag file whose elements
    refer (ObjectRef) to the page's text objects whose text is given."""
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    ofd = files["OFD.xml"].decode()
    extra = f"<ofd:Title>{title}</ofd:Title>" if title else ""
    if custom:
        extra += "<ofd:CustomDatas>" + "".join(
            f'<ofd:CustomData Name="{k}">{v}</ofd:CustomData>' for k, v in custom.items()) + "</ofd:CustomDatas>"
    files["OFD.xml"] = ofd.replace("</ofd:DocInfo>", extra + "</ofd:DocInfo>").encode()
    if tags:
        doc = files["Doc_0/Document.xml"].decode()
        files["Doc_0/Document.xml"] = doc.replace(
            "</ofd:Pages>", "</ofd:Pages><ofd:CustomTags>Tags/CustomTags.xml</ofd:CustomTags>").encode()
        files["Doc_0/Tags/CustomTags.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:CustomTags xmlns:ofd="{NS}"><ofd:CustomTag TypeID="gw">'
            "<ofd:FileLoc>CustomTag.xml</ofd:FileLoc></ofd:CustomTag></ofd:CustomTags>").encode()
        body, objs = "", ""
        for i, (k, v) in enumerate(tags.items()):
            body += f'<{k}><ofd:ObjectRef PageRef="100">{9000 + i}</ofd:ObjectRef></{k}>'
            objs += (f'<ofd:TextObject ID="{9000 + i}" Font="2" Size="1" Boundary="0 290 1 1">'
                     f'<ofd:TextCode X="0" Y="1"></ofd:TextCode></ofd:TextObject>')
            files["Doc_0/Pages/Page_0/Content.xml"] = files["Doc_0/Pages/Page_0/Content.xml"].replace(
                b"</ofd:Layer>", objs.encode() + b"</ofd:Layer>")
            objs = ""
        page = files["Doc_0/Pages/Page_0/Content.xml"].decode()
        for i, v in enumerate(tags.values()):  # the referenced objects' text: what the tag declares
            page = page.replace(f'ID="{9000 + i}" Font="2" Size="1" Boundary="0 290 1 1"><ofd:TextCode X="0" Y="1">',
                                f'ID="{9000 + i}" Font="2" Size="1" Boundary="0 290 1 1"><ofd:TextCode X="0" Y="1">{v}')
        files["Doc_0/Pages/Page_0/Content.xml"] = page.encode()
        files["Doc_0/Tags/CustomTag.xml"] = (f'<?xml version="1.0" encoding="UTF-8"?><gw:GongWen xmlns:gw="urn:x" '
                                             f'xmlns:ofd="{NS}">{body}</gw:GongWen>').encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
    return path


def test_declared_values_read_from_custom_datas_and_tags(tmp_path):
    p = _declare(make_ofd(tmp_path / "a.ofd", gongwen_lines(0, kind=0, year=2022)),
                 {"发文字号": "示档发〔2022〕1号", "template-version": "1.0", "成文日期": "2022年1月1日"},
                 title="关于档案工作的决定", tags={"签发人": "张三", "发文机关": "示例县档案局"})
    d = ofd_meta.read(p)
    assert d.values == {"doc_number": "示档发〔2022〕1号", "date": "2022年1月1日", "title": "关于档案工作的决定",
                        "signer": "张三", "issuer": "示例县档案局"}
    assert d.where["signer"] == "语义标引 签发人" and "自定义数据" in d.where["doc_number"]
    assert d.doc_info["Title"] == "关于档案工作的决定"


def test_agreeing_declaration_archives_and_fills_gaps(arc, tmp_path):
    p = _declare(make_ofd(tmp_path / "a.ofd", gongwen_lines(0, kind=0, year=2022)),
                 {"发文字号": "示档发〔2022〕1号", "成文日期": "2022-01-01", "签发人": "李四"})
    r = pipeline.ingest_file(arc, p)
    assert r.outcome == "archived" and r.record["doc_number"] == "示档发〔2022〕1号"
    (signer,) = _row(arc, r, "signer")
    assert signer == "李四"  # the text has no 签发人: the declaration fills it


def test_disagreement_on_number_date_or_issuer_is_pending(arc, tmp_path):
    p = _declare(make_ofd(tmp_path / "a.ofd", gongwen_lines(0, kind=0, year=2022)),
                 {"发文字号": "示档发〔2022〕7号", "成文日期": "2022-03-05", "发文机关": "示例县档案局"})
    r = pipeline.ingest_file(arc, p)
    assert r.outcome == "pending"
    number, date, reason, warnings = _row(arc, r, "doc_number", "date", "reason", "warnings")
    assert number == "示档发〔2022〕7号" and date == "2022-03-05"  # the declared values win
    assert "文件声明的元数据与正文识别不一致" in reason
    assert "示档发〔2022〕7号" in reason and "示档发〔2022〕1号" in reason
    warns = json.loads(warnings)
    assert any("发文字号" in w for w in warns) and any("成文日期" in w for w in warns)
    assert not any("发文机关" in w for w in warns)  # the same issuer: no doubt


def test_title_disagreement_is_a_warning_and_docinfo_title_only_fills_a_gap(arc, tmp_path):
    p = _declare(make_ofd(tmp_path / "a.ofd", gongwen_lines(0, kind=0, year=2022)), title="Document1")
    r = pipeline.ingest_file(arc, p)
    title, warnings = _row(arc, r, "title", "warnings")
    assert r.outcome == "archived" and title != "Document1"
    assert any("Document1" in w for w in json.loads(warnings))


def test_declared_secrecy_refuses(arc, tmp_path):
    p = _declare(make_ofd(tmp_path / "a.ofd", gongwen_lines(0, kind=0, year=2022)), {"密级": "机密"})
    r = pipeline.ingest_file(arc, p)
    assert r.outcome == "refused" and "机密" in r.reason


def test_hostile_metadata_is_ignored_not_fatal(tmp_path):
    p = make_ofd(tmp_path / "a.ofd", gongwen_lines(0, kind=0, year=2022))
    with zipfile.ZipFile(p) as z:
        files = {n: z.read(n) for n in z.namelist()}
    bomb = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            f'<ofd:OFD xmlns:ofd="{NS}"><ofd:DocBody><ofd:DocInfo><ofd:CustomDatas>'
            '<ofd:CustomData Name="发文字号">&b;</ofd:CustomData><ofd:CustomData Name="签发人">张\u202e\u200b三</ofd:CustomData>'
            "</ofd:CustomDatas></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
    files["OFD.xml"] = bomb.encode()
    with zipfile.ZipFile(p, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
    d = ofd_meta.read(p)
    assert "aaaa" not in d.values.get("doc_number", "")  # entities are not expanded
    assert d.values.get("signer") == "张三"  # format (bidi, zero-width) characters dropped
    assert ofd_meta.read(tmp_path / "missing.ofd").values == {}
    (tmp_path / "junk.ofd").write_bytes(b"PK\x03\x04junk")
    assert ofd_meta.read(tmp_path / "junk.ofd").values == {}
