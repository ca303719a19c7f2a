"""Electronic signatures and seals in stored PDF and OFD files, found and checked where we can (DA/T 70).

PDF: every signature field (/FT /Sig) with its /ByteRange and /Contents (a PKCS#7/CMS SignedData). We check
that the signed byte ranges cover the whole file but the signature itself (nothing appended after signing),
and that the digest of those bytes equals the ``messageDigest`` the signature carries; the signer is read
from the embedded certificate. The signature's cryptography and the certificate chain are not checked here.

OFD (GB/T 33190): see archive.seals.ofd — protected files' digests, the signer's and the seal maker's SM2
signatures (SM3 digests; OpenSSL 3, see archive.seals.sm2), the seal's and the certificate's validity, and the
certificate chain to the configured trust roots.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

from archive.seals.result import Signature

_MESSAGE_DIGEST_OID = bytes.fromhex("06092a864886f70d010904")  # 1.2.840.113549.1.9.4
_DIGEST_BY_LENGTH = {16: "md5", 20: "sha1", 32: "sha256", 48: "sha384", 64: "sha512"}
_OFD_METHODS = {"1.2.156.10197.1.401": "sm3", "sm3": "sm3", "1.3.14.3.2.26": "sha1", "sha1": "sha1",
                "2.16.840.1.101.3.4.2.1": "sha256", "sha256": "sha256", "1.2.840.113549.2.5": "md5", "md5": "md5"}


def inspect(path: Path, media_type: str | None, trust_roots: list[bytes] = ()) -> list[Signature]:
    """Every seal and signature in the file, each checked: an OFD 电子印章 as three verdicts (印章, 签名, 证书,
    archive.seals.ofd); ``trust_roots`` are DER certificates (certs.load_roots of [signatures] trust_roots)."""
    if media_type == "pdf":
        return _pdf(Path(path))
    if media_type == "ofd":
        from archive.seals import ofd

        return ofd.inspect(Path(path), list(trust_roots))
    return []


# ---- PDF ---------------------------------------------------------------------------------------------
def _pdf(path: Path) -> list[Signature]:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    root = reader.trailer["/Root"]
    form = root.get("/AcroForm")
    if form is None:
        return []
    data = path.read_bytes()
    out = []
    for ref in _fields(form.get_object().get("/Fields", [])):
        f = ref.get_object()
        if f.get("/FT") != "/Sig" or f.get("/V") is None:
            continue
        v = f["/V"].get_object()
        name = str(v.get("/Name") or "") or None
        if v.get("/Type") == "/DocTimeStamp":
            kind = "PDF 时间戳"
        else:
            kind = "PDF 数字签名"
        out.append(_check_pdf_signature(data, v, kind, name))
    return out


def _fields(fields):
    for ref in fields:
        f = ref.get_object()
        yield f
        kids = f.get("/Kids")
        if kids:
            yield from _fields(kids)


def _check_pdf_signature(data: bytes, v, kind: str, name: str | None) -> Signature:
    br = [int(x) for x in v.get("/ByteRange", [])]
    contents = bytes(v.get("/Contents", b""))
    signer = name or _signer(contents)
    if len(br) != 4:
        return Signature(kind, signer, None, "签名字典没有 ByteRange")
    a, la, b, lb = br
    if a != 0 or b + lb != len(data):
        return Signature(kind, signer, False, "签名后文件被追加或修改（签名范围未覆盖整个文件）")
    signed = data[a:a + la] + data[b:b + lb]
    digest = _message_digest(contents)
    if digest is None:
        return Signature(kind, signer, None, "签名中没有摘要属性（本程序无法核对）")
    algo = _DIGEST_BY_LENGTH.get(len(digest))
    if algo is None:
        return Signature(kind, signer, None, f"摘要长度 {len(digest)} 字节，算法不明")
    if hashlib.new(algo, signed).digest() != digest:
        return Signature(kind, signer, False, "签名覆盖的内容与签名中的摘要不符（文件被篡改）")
    return Signature(kind, signer, True, f"签名覆盖整个文件，{algo.upper()} 摘要一致（未核验证书链）")


def _message_digest(cms: bytes) -> bytes | None:
    """The messageDigest signed attribute of a CMS SignedData (DER), found by its OID."""
    i = cms.find(_MESSAGE_DIGEST_OID)
    if i < 0:
        return None
    j = i + len(_MESSAGE_DIGEST_OID)
    if cms[j] != 0x31:  # SET
        return None
    j += 2 if cms[j + 1] < 0x80 else 2 + (cms[j + 1] & 0x7F)
    if cms[j] != 0x04:  # OCTET STRING
        return None
    n = cms[j + 1]
    return cms[j + 2:j + 2 + n]


def _signer(cms: bytes) -> str | None:
    try:
        from cryptography.hazmat.primitives.serialization import pkcs7
        from cryptography.x509.oid import NameOID

        certs = pkcs7.load_der_pkcs7_certificates(cms.rstrip(b"\x00"))
        for c in certs:
            cn = c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            if cn:
                return str(cn[0].value)
    except Exception:
        return None
    return None
