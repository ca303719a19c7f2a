"""DA/T 70 items added by issue 14: encrypted files, signatures and seals (PDF and OFD), metadata value range,
页数 required, numeric 机构 codes, and the 四性检测报告 written by ``archive verify -o``."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import sqlite3
import zipfile

from openpyxl import load_workbook
from pypdf import PdfReader

from archive.importing import ImportedFile, import_record
from archive.verify import verify
from tests.clirun import run_config
from makedocs import make_pdf


def _import(arc, path, code, **meta):
    rec = import_record(arc, {"archival_code": code, "title": meta.pop("title", "关于档案工作的通知"),
                              "issuer": "示例县档案局", "date": meta.pop("date", "2020-05-06"), "pages": 1, **meta},
                        ImportedFile(path, written=True), source={"test": True})  # stored past the 涉密 gate
    return rec                                                          # (odd files verify must still judge)


def _by_item(rep, ref):
    return {(f.item, f.severity) for f in rep.findings if f.ref == ref}


def test_an_encrypted_pdf_is_reported(arc, tmp_path):
    from reportlab.lib.pdfencrypt import StandardEncryption

    # opens without a password (empty user password) but is encrypted: the old verify passed it
    f = make_pdf(tmp_path / "enc.pdf", ["示例县档案局", "加密的文件"],
                 encrypt=StandardEncryption("", ownerPassword="owner", canPrint=1))
    assert PdfReader(str(f)).is_encrypted
    _import(arc, f, "Z109-WS·2020-Y-BGS-0001")
    rep = verify(arc)
    assert not rep.ok
    assert ("文件未加密", "error") in _by_item(rep, "Z109-WS·2020-Y-BGS-0001")
    assert next(f for f in rep.errors if f.item == "文件未加密").check == "usability"


def _signed_pdf(path, tamper=False):
    """A PDF with a real detached PKCS#7 signature over its byte range (cryptography's CMS builder)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs7
    from cryptography.x509.oid import NameOID
    from pypdf import PdfWriter
    from pypdf.generic import (ArrayObject, ByteStringObject, DictionaryObject, NameObject, NumberObject,
                               TextStringObject)

    base = make_pdf(path.with_suffix(".base.pdf"), ["示例县档案局文件", "签名的文件"])
    w = PdfWriter(clone_from=str(base))
    sig = DictionaryObject({
        NameObject("/Type"): NameObject("/Sig"), NameObject("/Filter"): NameObject("/Adobe.PPKLite"),
        NameObject("/SubFilter"): NameObject("/adbe.pkcs7.detached"),
        NameObject("/ByteRange"): ArrayObject([NumberObject(x) for x in (0, 1111111111, 2222222222, 3333333333)]),
        NameObject("/Contents"): ByteStringObject(b"\x00" * 4096), NameObject("/Name"): TextStringObject("王局长")})
    field = DictionaryObject({NameObject("/FT"): NameObject("/Sig"), NameObject("/T"): TextStringObject("sig1"),
                              NameObject("/V"): w._add_object(sig), NameObject("/Subtype"): NameObject("/Widget"),
                              NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4)})
    ref = w._add_object(field)
    w._root_object[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): ArrayObject([ref]),
                                                                NameObject("/SigFlags"): NumberObject(3)})
    w.write(str(path))
    data = bytearray(path.read_bytes())
    m = re.search(rb"<(00){4096}>", data)
    start, end = m.start(), m.end()
    br = (0, start, end, len(data) - end)
    placeholder = re.search(rb"\[\s*0\s+1111111111\s+2222222222\s+3333333333\s*\]", data)
    new = ("[0 %d %d %d]" % br[1:]).encode().ljust(placeholder.end() - placeholder.start())
    data[placeholder.start():placeholder.end()] = new
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "示例县档案局")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(dt.datetime(2020, 1, 1)).not_valid_after(dt.datetime(2040, 1, 1))
            .sign(key, hashes.SHA256()))
    signed = bytes(data[:start]) + bytes(data[end:])
    cms = (pkcs7.PKCS7SignatureBuilder().set_data(signed).add_signer(cert, key, hashes.SHA256())
           .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]))
    hexed = cms.hex().encode().ljust(8192, b"0")
    data[start + 1:end - 1] = hexed
    if tamper:  # a changed byte inside the signed range, after signing
        i = data.find(b"/Producer")
        data[i + 1:i + 2] = b"Q"
    path.write_bytes(bytes(data))
    return path


def test_pdf_signature_found_and_checked(arc, tmp_path):
    good = _signed_pdf(tmp_path / "signed.pdf")
    bad = _signed_pdf(tmp_path / "tampered.pdf", tamper=True)
    _import(arc, good, "Z109-WS·2020-Y-BGS-0001")
    _import(arc, bad, "Z109-WS·2020-Y-BGS-0002")
    rep = verify(arc)
    ok = [f for f in rep.findings if f.ref == "Z109-WS·2020-Y-BGS-0001" and f.item == "电子签名与印章"]
    assert [f.message.split("：")[0].rsplit("·", 1)[1] for f in ok] == ["签名", "证书"]  # reported separately
    assert ok[0].severity == "notice" and "核验通过" in ok[0].message and "王局长" in ok[0].message
    broken = [f for f in rep.errors if f.ref == "Z109-WS·2020-Y-BGS-0002"]
    assert [f.item for f in broken] == ["电子签名与印章"] and "篡改" in broken[0].message
    assert broken[0].check == "authenticity" and rep.counts["signed"] == 2


def _ofd(path, *, tamper=False):
    """A minimal OFD (GB/T 33190) with one 电子印章 whose Signature.xml protects Document.xml by SM3."""
    doc = ("<?xml version='1.0' encoding='UTF-8'?><ofd:Document xmlns:ofd='http://www.ofdspec.org/2016'>"
           "<ofd:CommonData><ofd:MaxUnitID>1</ofd:MaxUnitID></ofd:CommonData></ofd:Document>").encode()
    digest = base64.b64encode(hashlib.new("sm3", doc).digest()).decode()
    sig = ("<?xml version='1.0' encoding='UTF-8'?><ofd:Signature xmlns:ofd='http://www.ofdspec.org/2016'>"
           "<ofd:SignedInfo><ofd:Provider ProviderName='示例签章系统' Company='示例县档案局'/>"
           "<ofd:References CheckMethod='1.2.156.10197.1.401'><ofd:Reference FileRef='/Doc_0/Document.xml'>"
           f"<ofd:CheckValue>{digest}</ofd:CheckValue></ofd:Reference></ofd:References>"
           "<ofd:Seal><ofd:BaseLoc>Seal.esl</ofd:BaseLoc></ofd:Seal></ofd:SignedInfo>"
           "<ofd:SignedValue>SignedValue.dat</ofd:SignedValue></ofd:Signature>")
    sigs = ("<?xml version='1.0' encoding='UTF-8'?><ofd:Signatures xmlns:ofd='http://www.ofdspec.org/2016'>"
            "<ofd:Signature ID='1' Type='Seal' BaseLoc='Sign_0/Signature.xml'/></ofd:Signatures>")
    ofd = ("<?xml version='1.0' encoding='UTF-8'?><ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016' DocType='OFD' "
           "Version='1.0'><ofd:DocBody><ofd:DocInfo><ofd:DocID>x</ofd:DocID></ofd:DocInfo>"
           "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot><ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures>"
           "</ofd:DocBody></ofd:OFD>")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("OFD.xml", ofd)
        z.writestr("Doc_0/Document.xml", doc.replace(b">1<", b">2<") if tamper else doc)
        z.writestr("Doc_0/Signs/Signatures.xml", sigs)
        z.writestr("Doc_0/Signs/Sign_0/Signature.xml", sig)
        z.writestr("Doc_0/Signs/Sign_0/Seal.esl", b"seal")
        z.writestr("Doc_0/Signs/Sign_0/SignedValue.dat", b"value")
    return path


def test_ofd_seal_found_and_checked(arc, tmp_path):
    _import(arc, _ofd(tmp_path / "a.ofd"), "Z109-WS·2020-Y-BGS-0001")
    _import(arc, _ofd(tmp_path / "b.ofd", tamper=True), "Z109-WS·2020-Y-BGS-0002")
    assert arc.conn.execute("SELECT media_type FROM documents WHERE id=1").fetchone()[0] == "ofd"
    rep = verify(arc)
    seal = [f for f in rep.findings if f.ref == "Z109-WS·2020-Y-BGS-0001" and f.item == "电子签名与印章"]
    assert len(seal) == 1 and seal[0].severity == "notice" and "OFD 电子印章" in seal[0].message
    assert "SM3" in seal[0].message and "示例县档案局" in seal[0].message
    bad = [f for f in rep.errors if f.ref == "Z109-WS·2020-Y-BGS-0002"]
    assert [f.item for f in bad] == ["电子签名与印章"] and "Doc_0/Document.xml" in bad[0].message


def test_metadata_type_length_range_and_required_pages(arc, tmp_path):
    f = make_pdf(tmp_path / "a.pdf", ["示例县档案局", "正文"])
    rec = _import(arc, f, "Z109-WS·2020-Y-BGS-0001")
    assert verify(arc).ok
    raw = sqlite3.connect(arc.catalog_path, isolation_level=None)
    from archive.index import bigrams

    raw.create_function("bigrams", 1, bigrams, deterministic=True)  # the full-text triggers call it
    for sql, item in (("UPDATE documents SET pages=NULL", "必备著录项"),
                      ("UPDATE documents SET pages='三'", "元数据类型与长度"),
                      ("UPDATE documents SET title=?", "元数据类型与长度"),
                      ("UPDATE documents SET date='2099-01-01'", "元数据值域"),
                      ("UPDATE documents SET secrecy='机密'", "涉密信息")):
        raw.execute("BEGIN")
        raw.execute(sql, ("题" * 600,) if "?" in sql else ())
        raw.execute("COMMIT")
        rep = verify(arc)
        assert item in {f.item for f in rep.errors if f.ref == rec["archival_code"]}, (sql, rep.errors)
        raw.execute("BEGIN")
        raw.execute("UPDATE documents SET pages=1, title='关于档案工作的通知', date='2020-05-06', secrecy=NULL")
        raw.execute("COMMIT")
    raw.close()


def test_numeric_org_codes_are_accepted(tmp_path):
    from archive.config import load_config
    from archive.session import open_archive
    from conftest import write_config

    cfg_path = write_config(tmp_path, **{'BGS = "办公室"': '"001" = "办公室"', 'default_org = "BGS"': 'default_org = "001"',
                                         'org = "BGS"': 'org = "001"'})
    cfg = load_config(cfg_path)
    assert cfg.orgs["001"] == "办公室"
    arc = open_archive(cfg, create=True)
    try:
        f = make_pdf(tmp_path / "a.pdf", ["示例县档案局", "正文"])
        rec = _import(arc, f, "Z109-WS·2020-Y-001-0001")
        assert rec["org"] == "001" and rec["item_no"] == 1
        rep = verify(arc)
        assert rep.ok, [f.message for f in rep.errors]
    finally:
        arc.close()


def test_cli_writes_the_report_with_counts_per_property_and_item(arc, cfg_path, tmp_path):
    from reportlab.lib.pdfencrypt import StandardEncryption

    _import(arc, make_pdf(tmp_path / "a.pdf", ["示例县档案局", "正文"]), "Z109-WS·2020-Y-BGS-0001")
    _import(arc, make_pdf(tmp_path / "e.pdf", ["示例县档案局", "加密的文件"], encrypt=StandardEncryption("", ownerPassword="o")),
            "Z109-WS·2020-Y-BGS-0002")
    arc.close()
    xlsx, pdf = tmp_path / "四性检测报告.xlsx", tmp_path / "四性检测报告.pdf"
    for out in (xlsx, pdf):
        p = run_config(cfg_path, "verify", "-o", str(out), "--json")  # the report is the point: in this process
        assert p.returncode == 1, p.stderr  # the encrypted file is a failure
    data = json.loads(p.stdout)
    assert [x["property"] for x in data["properties"]] == ["真实性", "完整性", "可用性", "安全性"]
    usab = next(x for x in data["properties"] if x["property"] == "可用性")
    assert usab["errors"] == 1
    ws = load_workbook(xlsx)["检测汇总"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert ["可用性", "文件未加密", 2, 1, 0, "不通过", None] in rows and ["可用性", "（合计）"] == next(
        r[:2] for r in rows if r[0] == "可用性")
    text = "".join(pg.extract_text() for pg in PdfReader(str(pdf)).pages)
    assert "电子档案四性检测报告" in text and "文件未加密" in text and "Z109-WS·2020-Y-BGS-0002" in text
