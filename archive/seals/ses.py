"""The 电子印章 structures an OFD seal's SignedValue.dat holds: ``SES_Signature`` with its ``TBS_Sign`` and the
``SESeal`` inside it, in the two versions found in the field:

- V4, GB/T 38540-2020 (信息安全技术 安全电子签章密码技术规范): SES_Signature = SEQUENCE { toSign TBS_Sign, cert
  OCTET STRING, signatureAlgID OID, signature BIT STRING, timeStamp [0] OPTIONAL }; TBS_Sign = SEQUENCE { version
  INTEGER (4), eseal SESeal, timeInfo GeneralizedTime, dataHash BIT STRING, propertyInfo IA5String, extDatas
  OPTIONAL }; SESeal = SEQUENCE { esealInfo, cert OCTET STRING, signAlgID OID, signedValue BIT STRING }.
- V1, GM/T 0031-2014 (安全电子签章密码技术规范): SES_Signature = SEQUENCE { toSign TBS_Sign, signature BIT STRING };
  TBS_Sign = SEQUENCE { version, eseal SESeal, timeInfo BIT STRING, dataHash BIT STRING, propertyInfo IA5String,
  cert OCTET STRING, signatureAlgorithm OID }; SESeal = SEQUENCE { esealInfo, signInfo SEQUENCE { cert, OID,
  signData BIT STRING } }.

esealInfo = SEQUENCE { header SEQUENCE { "ES", version, vid }, esID, property SEQUENCE { type, name, (V4:
certListType,) certList, createDate, validStart, validEnd }, picture SEQUENCE { type, data, width, height },
extDatas OPTIONAL }. The signer signs the DER of TBS_Sign; the seal maker (制章者) signs the DER of esealInfo
in V4, and the DER of SEQUENCE { esealInfo, cert, signatureAlgorithm } in V1 (both found by checking real
seals: ofdrw's samples, tax bureaus' V4 seals and ofdrw's UserV1.esl). Field order as in ofdrw's
org.ofdrw.gm.ses classes (ofdrw-gm), which we read; the standards' texts themselves were not found.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archive.seals import der


@dataclass
class Seal:
    version: str  # V1 / V4
    es_id: str
    name: str
    seal_type: int | None
    valid_start: str
    valid_end: str
    info_der: bytes  # what the maker signed (V4: esealInfo; V1: SEQUENCE {esealInfo, cert, algorithm})
    maker_cert: bytes
    maker_alg: str
    maker_signature: bytes
    picture_type: str
    picture: bytes
    bound_certs: list[bytes] = field(default_factory=list)
    der: bytes = b""  # the whole SESeal, as a Seal.esl file beside the signature should hold it


@dataclass
class SesSignature:
    version: str  # V1 / V4
    tbs_der: bytes  # what the signer signed
    cert: bytes
    algorithm: str
    signature: bytes
    sign_time: str
    data_hash: bytes
    property_info: str
    seal: Seal


def parse(data: bytes) -> SesSignature:
    """Raises der.DerError when ``data`` is neither structure."""
    top = der.parse(data).expect(der.SEQUENCE).children()
    if len(top) < 2:
        raise der.DerError("SES_Signature 字段不全")
    tbs = top[0].expect(der.SEQUENCE)
    t = tbs.children()
    if len(t) < 5:
        raise der.DerError("TBS_Sign 字段不全")
    version = t[0].integer()
    if top[1].tag == der.OCTET_STRING:  # V4
        if len(top) < 4:
            raise der.DerError("SES_Signature 字段不全")
        cert, alg, sig = top[1].value, top[2].oid(), top[3].bits()
        ver = "V4"
    elif top[1].tag == der.BIT_STRING:  # V1
        if len(t) < 7:
            raise der.DerError("TBS_Sign 字段不全")
        cert, alg, sig = t[5].expect(der.OCTET_STRING).value, t[6].oid(), top[1].bits()
        ver = "V1"
    else:
        raise der.DerError("不是已知的电子签章结构")
    time_node = t[2]
    sign_time = time_node.bits().decode("ascii", "replace") if time_node.tag == der.BIT_STRING else time_node.text()
    return SesSignature(ver, tbs.raw, cert, alg, sig, sign_time, t[3].bits(), t[4].text(),
                        _seal(t[1].expect(der.SEQUENCE), ver, version))


def _seal(node: der.Node, ver: str, version: int) -> Seal:
    s = node.children()
    info = s[0].expect(der.SEQUENCE)
    if ver == "V4" and len(s) >= 4:
        mcert, malg, msig = s[1].expect(der.OCTET_STRING).value, s[2].oid(), s[3].bits()
        signed = info.raw
    elif len(s) >= 2 and s[1].tag == der.SEQUENCE:
        si = s[1].children()
        if len(si) < 3:
            raise der.DerError("SES_SignInfo 字段不全")
        mcert, malg, msig = si[0].expect(der.OCTET_STRING).value, si[1].oid(), si[2].bits()
        signed = der.sequence(info.raw + si[0].raw + si[1].raw)  # V1: SEQUENCE {esealInfo, cert, algorithm}
    else:
        raise der.DerError("SESeal 字段不全")
    f = info.children()
    if len(f) < 4:
        raise der.DerError("SES_SealInfo 字段不全")
    es_id = f[1].text()
    p = f[2].expect(der.SEQUENCE).children()
    seal_type = p[0].integer() if p and p[0].tag == der.INTEGER else None
    name = p[1].text() if len(p) > 1 else ""
    rest = p[2:]
    if rest and rest[0].tag == der.INTEGER:  # V4 certListType
        rest = rest[1:]
    certs = []
    if rest and rest[0].constructed:
        certs = _certs(rest[0])
        rest = rest[1:]
    times = [n.text() for n in rest if n.tag in (der.UTC_TIME, der.GENERALIZED_TIME)]
    pic = f[3].expect(der.SEQUENCE).children()
    if len(pic) < 2:
        raise der.DerError("印章图像字段不全")
    return Seal(ver, es_id, name, seal_type, times[1] if len(times) > 1 else "", times[2] if len(times) > 2 else "",
                signed, mcert, malg, msig, pic[0].text(), pic[1].expect(der.OCTET_STRING).value, certs, node.raw)


def _certs(node: der.Node) -> list[bytes]:
    out = []
    for c in node.children():
        if c.tag == der.OCTET_STRING:
            out.append(c.value)
        elif c.tag == der.SEQUENCE:  # CertDigestList entries or bare certificates
            out.append(c.raw)
    return out
