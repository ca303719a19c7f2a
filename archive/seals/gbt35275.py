"""An OFD 电子签名 (Type Sign) whose SignedValue.dat is a SignedData in the GB/T 35275 form (SM2 密码算法加密签名
消息语法规范: PKCS#7 with SM2 object identifiers) — the layout and the check are ofdrw's GBT35275Validate, which
we read (the standard's text was not found): the content is SM3(Signature.xml) (some writers put it Base64
encoded); without signed attributes the signer signs that content, with them the DER of the attribute SET, whose
messageDigest must then be SM3(Signature.xml). The signer's certificate is the one in the SignedData whose
issuer and serial number the SignerInfo names."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from archive.seals import der

SIGNED_DATA = ("1.2.156.10197.6.1.4.2.2", "1.2.840.113549.1.7.2")
MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
SIGNER_LIMIT = 8


@dataclass
class Signer:
    cert: bytes | None  # None: the SignedData holds no certificate matching the SignerInfo
    algorithm: str
    signed: bytes  # what the signature covers
    signature: bytes
    digest: bytes | None  # the SM3 of Signature.xml the signer vouches for (content or messageDigest)


def parse(data: bytes) -> list[Signer]:
    """Raises der.DerError when ``data`` is not such a SignedData."""
    ci = der.parse(data).expect(der.SEQUENCE).children()
    if len(ci) != 2 or ci[0].oid() not in SIGNED_DATA or ci[1].tag != 0xA0:
        raise der.DerError("不是 GB/T 35275 / PKCS#7 签名数据")
    sd = ci[1].children()[0].expect(der.SEQUENCE).children()
    if len(sd) < 4:
        raise der.DerError("SignedData 字段不全")
    content = None
    inner = sd[2].expect(der.SEQUENCE).children()
    if len(inner) > 1 and inner[1].tag == 0xA0:
        wrapped = inner[1].children()
        if wrapped and wrapped[0].tag == der.OCTET_STRING:
            content = wrapped[0].value
    certs = [c.raw for n in sd[3:] if n.tag == 0xA0 for c in n.children()]
    infos = sd[-1]
    if infos.tag != der.SET:
        raise der.DerError("SignedData 没有 SignerInfos")
    out = []
    for si in infos.children()[:SIGNER_LIMIT]:
        f = si.expect(der.SEQUENCE).children()
        if len(f) < 5:
            raise der.DerError("SignerInfo 字段不全")
        ias = f[1].expect(der.SEQUENCE).children()
        rest = f[3:]
        attrs = rest[0] if rest and rest[0].tag == 0xA0 else None
        if attrs is not None:
            rest = rest[1:]
        if len(rest) < 2:
            raise der.DerError("SignerInfo 字段不全")
        algorithm = rest[0].expect(der.SEQUENCE).children()[0].oid()
        signature = rest[1].expect(der.OCTET_STRING).value
        if attrs is not None:
            signed = der.tlv(der.SET, attrs.value)  # signed as a DER SET, not as the [0] it is stored under
            digest = _message_digest(attrs)
        else:
            signed = content if content is not None else b""
            digest = _unwrap(content)
        out.append(Signer(_match(certs, ias), algorithm, signed, signature, digest))
    if not out:
        raise der.DerError("SignedData 没有签名者")
    return out


def _unwrap(content: bytes | None) -> bytes | None:
    if content is None or len(content) == 32:
        return content
    try:
        decoded = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        return content
    return decoded if len(decoded) == 32 else content


def _message_digest(attrs: der.Node) -> bytes | None:
    for a in attrs.children():
        parts = a.expect(der.SEQUENCE).children()
        if len(parts) == 2 and parts[0].oid() == MESSAGE_DIGEST:
            values = parts[1].children()
            if values and values[0].tag == der.OCTET_STRING:
                return values[0].value
    return None


def _match(certs: list[bytes], ias: list[der.Node]) -> bytes | None:
    from asn1crypto import x509

    if len(ias) != 2:
        return None
    issuer, serial = ias[0].raw, ias[1].integer()
    for c in certs:
        try:
            cert = x509.Certificate.load(c)
            if cert.serial_number == serial and cert["tbs_certificate"]["issuer"].dump() == issuer:
                return c
        except ValueError:
            continue
    return None
