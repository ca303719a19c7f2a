"""PDF signatures validated with pyHanko (CMS signature value, digest over the byte range, what the signature
covers), the signer's certificate reported, and its chain checked when trust roots are configured. Two verdicts
per signature: 签名 and 证书 (a PDF signature has no separate seal structure). Nothing is fetched over the
network (no OCSP, no CRL, no certificate download)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from archive.seals.result import Signature


def inspect(path: Path, roots: list[bytes]) -> list[Signature]:
    with warnings.catch_warnings():  # pyHanko's import warns about DSA, which it still supports
        warnings.simplefilter("ignore")
        from asn1crypto import x509
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko_certvalidator import ValidationContext

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)  # its warnings go into our verdicts instead
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    out = []
    with open(path, "rb") as f, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = PdfFileReader(f, strict=False)
        for emb in reader.embedded_signatures:
            kind = "PDF 时间戳" if emb.sig_object.get("/Type") == "/DocTimeStamp" else "PDF 数字签名"
            name = str(emb.sig_object.get("/Name") or "") or None
            vc = ValidationContext(trust_roots=_parsable(x509, roots), allow_fetching=False,
                                   revocation_mode="soft-fail")
            try:
                st = validate_pdf_signature(emb, vc, skip_diff=True)
            except Exception as e:  # a damaged signature dictionary or CMS blob: reported, not fatal
                out.append(Signature(kind, name, False, f"签名无法解析（{type(e).__name__}），视为无效", "签名"))
                continue
            cert = st.signing_cert
            signer = name or (cert.subject.native.get("common_name") if cert is not None else None)
            out.extend(_verdicts(kind, signer, st, bool(roots)))
    return out


def _parsable(x509, roots: list[bytes]) -> list:
    """The roots asn1crypto parses in full (pyHanko parses lazily and would fail later on a bad extension)."""
    out = []
    for r in roots:
        try:
            c = x509.Certificate.load(r)
            c.native  # noqa: B018 - forces the whole parse
            out.append(c)
        except ValueError:
            continue
    return out


def _verdicts(kind, signer, st, have_roots: bool) -> list[Signature]:
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    entire = st.coverage == SignatureCoverageLevel.ENTIRE_FILE
    words = []
    if not st.intact:
        words.append("签名覆盖的内容与签名中的摘要不符（文件被篡改）")
    if st.intact and not st.valid:
        words.append("签名值不正确（签名被替换或损坏）")
    if not entire:
        words.append("签名后文件被追加或修改（签名范围未覆盖整个文件）")
    ok = bool(st.intact and st.valid and entire)
    if ok:
        words.append(f"签名覆盖整个文件，{(st.md_algorithm or '').upper()} 摘要一致，签名值正确（pyHanko 核验）")
    checks = {"intact": bool(st.intact), "signature": bool(st.valid), "entire_file": entire}
    out = [Signature(kind, signer, ok, "；".join(words), "签名", checks)]

    cert = st.signing_cert
    if cert is None:
        out.append(Signature(kind, signer, False, "签名中没有签名人证书", "证书"))
        return out
    from archive.seals import certs

    info = certs.info(cert.dump())
    words = [info.describe()]
    if not have_roots:
        trusted, chain = None, "未配置信任根（[signatures] trust_roots），未核验证书链"
    elif st.trust_problem_indic is None and st.validation_path is not None:
        trusted, chain = True, "证书链通到信任根"
    else:
        trusted, chain = False, "证书链不通或证书无效（相对已配置的信任根）"
    when = st.signer_reported_dt
    period = info.valid_at(when) if when else None
    if period is False:
        words.append(f"签名时间 {when:%Y-%m-%d} 不在证书有效期内")
    words.append(chain)
    verdict = False if False in (period, trusted) else None if None in (period, trusted) else True
    out.append(Signature(kind, signer, verdict, "；".join(words), "证书", {"cert_period": period, "chain": trusted}))
    return out
