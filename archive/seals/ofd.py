"""OFD signatures (GB/T 33190-2016 §18): ``Signatures.xml`` lists each signature (Type Seal = 电子印章, Sign =
电子签名); its ``Signature.xml`` gives a digest (CheckValue) of every file it protects, and ``SignedValue.dat``
the signature over that Signature.xml. Each 电子印章 gets three verdicts:

- 签名: the protected files' digests, the SM3 digest of Signature.xml the signature carries (dataHash), and the
  signer's SM2 signature over TBS_Sign;
- 印章: the seal's structure (V1 / V4), the maker's SM2 signature over the seal information (so a swapped seal
  image fails) and the seal's validity period at the time of signing;
- 证书: the signer's certificate (subject, issuer, validity at the time of signing) and its chain to the
  configured trust roots.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import zipfile
from pathlib import Path

from archive.seals import certs, der, gbt35275, ses, sm2
from archive.seals.result import Signature

_METHODS = {"1.2.156.10197.1.401": "sm3", "sm3": "sm3", "1.3.14.3.2.26": "sha1", "sha1": "sha1",
            "2.16.840.1.101.3.4.2.1": "sha256", "sha256": "sha256", "1.2.840.113549.2.5": "md5", "md5": "md5"}
MAX_PART = 64 * 1024 * 1024  # a protected file larger than this is not read into memory
MAX_SIGNATURES = 32  # checked per file (each SM2 check runs openssl); more are reported, not checked


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def inspect(path: Path, roots: list[bytes] = ()) -> list[Signature]:
    out, seen = [], 0
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        for lst in sorted(n for n in names if re.search(r"(^|/)Signatures\.xml$", n)):
            base = lst.rsplit("/", 1)[0] if "/" in lst else ""
            root = _xml(_read(z, lst))
            for el in root.iter():
                if _local(el.tag) != "Signature" or not el.get("BaseLoc"):
                    continue
                kind = "OFD 电子签名" if el.get("Type") == "Sign" else "OFD 电子印章"
                seen += 1
                if seen > MAX_SIGNATURES:
                    continue
                loc = _resolve(base, el.get("BaseLoc"))
                if loc not in names:
                    out.append(Signature(kind, None, False, f"签名文件 {loc} 缺失"))
                    continue
                out.extend(check_signature(z, names, loc, kind, list(roots)))
    if seen > MAX_SIGNATURES:
        out.append(Signature("OFD 电子签名与印章", None, None,
                             f"文件有 {seen} 个签名，只核验了前 {MAX_SIGNATURES} 个，其余未核验"))
    return out


def _xml(data: bytes):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(data, parser)


def _read(z: zipfile.ZipFile, name: str) -> bytes:
    if z.getinfo(name).file_size > MAX_PART:
        raise ValueError(f"{name} 过大")
    return z.read(name)


def _resolve(base: str, loc: str) -> str:
    if loc.startswith("/"):
        return loc.lstrip("/")
    return f"{base}/{loc}" if base else loc


def check_signature(z: zipfile.ZipFile, names: set, loc: str, kind: str, roots: list[bytes]) -> list[Signature]:
    xml = _read(z, loc)
    sig = _xml(xml)
    base = loc.rsplit("/", 1)[0]
    signer = None
    value_loc = None
    sign_time = None
    seal_loc = None
    for el in sig.iter():
        t = _local(el.tag)
        if t == "BaseLoc" and _local(el.getparent().tag) == "Seal" and el.text:
            seal_loc = _resolve(base, el.text.strip())
        elif t == "Provider":
            signer = el.get("Company") or el.get("ProviderName")
        elif t == "SignedValue" and el.text:
            value_loc = _resolve(base, el.text.strip())
        elif t == "SignatureDateTime" and el.text:
            sign_time = el.text.strip()
    refs_ok, refs_words = _references(z, names, sig)
    if value_loc is None:  # GB/T 33190 names the file; some writers leave the element out
        value_loc = f"{base}/SignedValue.dat"
    if value_loc not in names:
        return [Signature(kind, signer, False if refs_ok is False else None, f"{refs_words}；签名值文件缺失")]
    value = _read(z, value_loc)
    try:
        s = ses.parse(value)
    except (der.DerError, ValueError) as e:
        try:
            signers = gbt35275.parse(value)
        except (der.DerError, ValueError):
            why = "签名值是裸 SM2 签名或其他格式，文件中没有可用的证书结构" if value[:1] == b"0" else "签名值无法解析"
            return [Signature(kind, signer, False if refs_ok is False else None,
                              f"{refs_words}；{why}（{e}），签名值未核验")]
        return _signed_data(kind, signer, signers, xml, refs_ok, refs_words, roots, sign_time)
    seal_file = None
    if seal_loc is not None:
        seal_file = _read(z, seal_loc) if seal_loc in names else b""
    return _verdicts(kind, s, xml, refs_ok, refs_words, roots, sign_time, seal_file)


def _references(z, names, sig) -> tuple[bool | None, str]:
    refs = [el for el in sig.iter() if _local(el.tag) == "References"]
    if not refs:
        return None, "没有受保护文件的摘要"
    raw_method = (refs[0].get("CheckMethod") or "sm3").strip()
    method = _METHODS.get(raw_method.lower())
    if method is None or method not in hashlib.algorithms_available:
        return None, f"摘要算法 {raw_method} 本机不支持"
    checked, broken = 0, []
    for r in refs[0]:
        if _local(r.tag) != "Reference":
            continue
        target = r.get("FileRef", "").strip().lstrip("/")
        value = next((c.text for c in r if _local(c.tag) == "CheckValue"), None)
        if target not in names or not value:
            broken.append(target or "？")
            continue
        try:
            expected = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            broken.append(target)
            continue
        if expected != hashlib.new(method, _read(z, target)).digest():
            broken.append(target)
        checked += 1
    if broken:
        return False, f"受保护的文件被修改或缺失：{'、'.join(broken[:5])}"
    if not checked:
        return None, "没有受保护文件的摘要"
    return True, f"{checked} 个受保护文件的 {method.upper()} 摘要一致"


def _verdicts(kind, s: ses.SesSignature, xml: bytes, refs_ok, refs_words, roots, sign_time,
              seal_file: bytes | None) -> list[Signature]:
    seal = s.seal
    when = certs.parse_time(s.sign_time) or certs.parse_time(sign_time or "")
    signer = seal.name or None
    out = []

    # 签名: protected files, dataHash of Signature.xml, signer's SM2 signature over TBS_Sign
    words = [refs_words]
    hash_ok = s.data_hash == sm2.sm3(xml)
    if not hash_ok:
        words.append("Signature.xml 与签名中的 SM3 摘要不符（签名信息被修改）")
    sig_ok, sig_words = _sm2(s.algorithm, s.cert, s.tbs_der, s.signature, "签章人")
    words.append(sig_words)
    checks = {"files": refs_ok, "data_hash": hash_ok, "signer": sig_ok}
    out.append(Signature(kind, signer, _and(_and(refs_ok, hash_ok), sig_ok), "；".join(words), "签名", checks))

    # 印章: the maker's signature over the seal information, the seal's validity period
    words = [f"印章“{seal.name}”（{seal.version} 格式，编码 {seal.es_id}，图像 {seal.picture_type or '未知'}）"]
    maker_ok, seal_words = _sm2(seal.maker_alg, seal.maker_cert, seal.info_der, seal.maker_signature, "制章者")
    words.append(seal_words)
    file_ok = None if seal_file is None else seal_file == seal.der
    if file_ok is False:
        words.append("印章文件（Seal.esl）与签章数据中的印章不一致")
    start, end = certs.parse_time(seal.valid_start), certs.parse_time(seal.valid_end)
    period_ok = None
    if when and start and end:
        period_ok = start <= when <= end
        if period_ok:
            words.append(f"签章时印章在有效期内（{start:%Y-%m-%d} 至 {end:%Y-%m-%d}）")
        else:
            words.append(f"签章时间 {when:%Y-%m-%d} 不在印章有效期 {start:%Y-%m-%d} 至 {end:%Y-%m-%d} 内")
    else:
        words.append("印章有效期或签章时间无法读取")
    checks = {"maker": maker_ok, "seal_file": file_ok, "seal_period": period_ok}
    seal_ok = _and(_and(maker_ok, period_ok), False if file_ok is False else True)
    out.append(Signature(kind, signer, seal_ok, "；".join(words), "印章", checks))

    out.append(_certificate(kind, signer, s.cert, [seal.maker_cert, *seal.bound_certs], roots, when))
    return out


def _certificate(kind, signer, cert_der: bytes | None, extra: list[bytes], roots, when) -> Signature:
    """证书: the signer's certificate, valid at the time of signing, and its chain."""
    try:
        ci = certs.info(cert_der) if cert_der else None
    except ValueError:
        ci = None
    if ci is None:
        return Signature(kind, signer, False, "签名人证书缺失或无法解析", "证书")
    words = [ci.describe()]
    cert_ok = ci.valid_at(when)
    if cert_ok is False:
        words.append(f"签名时间 {when:%Y-%m-%d} 不在证书有效期内")
    elif cert_ok is None:
        words.append("签名时间无法读取")
    chain_ok, chain_words = certs.chain(cert_der, extra, roots)
    words.append(chain_words)
    return Signature(kind, signer, _and(cert_ok, chain_ok), "；".join(words), "证书",
                     {"cert_period": cert_ok, "chain": chain_ok})


def _signed_data(kind, signer, signers, xml: bytes, refs_ok, refs_words, roots, sign_time) -> list[Signature]:
    """签名 and 证书 of an 电子签名 whose value is a GB/T 35275 SignedData (archive.seals.gbt35275)."""
    when = certs.parse_time(sign_time or "")
    out = []
    for sd in signers:
        words = [refs_words, "签名数据格式 GB/T 35275"]
        hash_ok = sd.digest == sm2.sm3(xml)
        if not hash_ok:
            words.append("Signature.xml 与签名中的 SM3 摘要不符（签名信息被修改）")
        if sd.cert is None:
            sig_ok, sig_words = False, "签名数据中没有签名人的证书"
        else:
            sig_ok, sig_words = _sm2(sd.algorithm, sd.cert, sd.signed, sd.signature, "签名人")
        words.append(sig_words)
        checks = {"files": refs_ok, "data_hash": hash_ok, "signer": sig_ok}
        out.append(Signature(kind, signer, _and(_and(refs_ok, hash_ok), sig_ok), "；".join(words), "签名", checks))
        out.append(_certificate(kind, signer, sd.cert, [], roots, when))
    return out


def _sm2(alg: str, cert_der: bytes, message: bytes, signature: bytes, who: str) -> tuple[bool | None, str]:
    if alg not in sm2.SM2_ALGORITHMS:
        return None, f"{who}签名算法 {alg} 本程序不核验"
    try:
        from asn1crypto import x509

        spki = x509.Certificate.load(cert_der)["tbs_certificate"]["subject_public_key_info"].dump()
        good = sm2.verify(spki, message, signature)
    except (ValueError, TypeError, KeyError, der.DerError) as e:
        return False, f"{who}签名值或证书无法解析（{type(e).__name__}）"
    except RuntimeError as e:
        return None, str(e)
    return (True, f"{who} SM2 签名值正确") if good else (False, f"{who} SM2 签名值不正确（内容被篡改或签名被替换）")


def _and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True
