"""Certificates in seals and signatures: who (subject), from whom (issuer), valid when, and the chain up to a
trust root the agency configured ([signatures] trust_roots). SM2 certificates are checked with sm2.verify;
RSA and ECDSA ones with the ``cryptography`` package."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from archive.seals import der, sm2

MAX_CHAIN = 8


@dataclass
class CertInfo:
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    der: bytes

    def describe(self) -> str:
        return (f"证书主体“{self.subject}”，颁发者“{self.issuer}”，"
                f"有效期 {self.not_before:%Y-%m-%d} 至 {self.not_after:%Y-%m-%d}")

    def valid_at(self, when: datetime | None) -> bool | None:
        if when is None:
            return None
        return self.not_before <= when <= self.not_after


def info(cert_der: bytes) -> CertInfo:
    """Raises ValueError when ``cert_der`` is not an X.509 certificate."""
    from asn1crypto import x509

    try:
        c = x509.Certificate.load(bytes(cert_der), strict=True)
        tbs = c["tbs_certificate"]
        v = tbs["validity"]
        return CertInfo(_name(tbs["subject"]), _name(tbs["issuer"]), v["not_before"].native, v["not_after"].native,
                        bytes(cert_der))
    except (ValueError, TypeError, KeyError) as e:
        raise ValueError(f"证书无法解析：{e}") from None


def _name(name) -> str:
    parts = []
    for rdn in name.chosen:
        for atv in rdn:
            if atv["type"].native in ("common_name", "organization_name", "organizational_unit_name"):
                parts.append(str(atv["value"].native))
    return "，".join(parts) or name.human_friendly


def load_roots(paths) -> list[bytes]:
    """DER certificates from the configured files and folders (PEM or DER, .cer/.crt/.pem/.der)."""
    from asn1crypto import pem

    out = []
    for p in paths:
        p = Path(p)
        files = sorted(q for q in p.iterdir() if q.is_file()) if p.is_dir() else [p]
        for f in files:
            data = f.read_bytes()
            if pem.detect(data):
                out.extend(body for kind, _, body in pem.unarmor(data, multiple=True) if kind == "CERTIFICATE")
            else:
                out.append(data)
    return out


def issued_by(cert_der: bytes, issuer_der: bytes) -> bool:
    """Whether ``issuer_der``'s key signed ``cert_der`` (names must match too)."""
    from asn1crypto import x509

    c, i = x509.Certificate.load(cert_der), x509.Certificate.load(issuer_der)
    if c.issuer != i.subject:
        return False
    alg = c["signature_algorithm"]["algorithm"].dotted
    sig = c["signature_value"].native
    tbs = c["tbs_certificate"].dump()
    if alg == sm2.SM2_WITH_SM3:
        return sm2.verify(i["tbs_certificate"]["subject_public_key_info"].dump(), tbs, sig)
    from cryptography import x509 as cx
    from cryptography.exceptions import InvalidSignature

    try:
        cx.load_der_x509_certificate(cert_der).verify_directly_issued_by(cx.load_der_x509_certificate(issuer_der))
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def chain(cert_der: bytes, extra: list[bytes], roots: list[bytes]) -> tuple[bool | None, str]:
    """(verdict, words): True when a path of valid signatures leads from the certificate to a trust root;
    None when no roots are configured; False otherwise."""
    if not roots:
        return None, "未配置信任根（[signatures] trust_roots），未核验证书链"
    pool = [c for c in extra if c != cert_der]
    cur, names = cert_der, []
    for _ in range(MAX_CHAIN):
        for r in roots:
            if cur == r or _safe(issued_by, cur, r):
                names.append(info(r).subject)
                return True, "证书链通到信任根：" + " → ".join(names)
        nxt = next((p for p in pool if _safe(issued_by, cur, p)), None)
        if nxt is None:
            return False, "证书链不通：找不到签发者，或签发者不在信任根中"
        names.append(info(nxt).subject)
        pool.remove(nxt)
        cur = nxt
    return False, "证书链过长"


def _safe(fn, *args) -> bool:
    try:
        return fn(*args)
    except (ValueError, der.DerError, RuntimeError):
        return False


def parse_time(text: str) -> datetime | None:
    """A GeneralizedTime / UTCTime / OFD SignatureDateTime as an aware datetime (UTC when no offset)."""
    t = (text or "").strip()
    if len(t) == 13 and t.endswith("Z"):  # UTCTime: two-digit year
        t = ("19" if t[:2] >= "50" else "20") + t
    for fmt in ("%Y%m%d%H%M%SZ", "%Y%m%d%H%M%S.%fZ", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ",
                "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(t, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None
