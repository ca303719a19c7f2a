"""Cross-check of OFD seal verification (issue 27): our verdict (archive.signatures: OpenSSL's SM2 and SM3)
against an independent one, on every sealed OFD in tests/fixtures/ofd_sealed/ and three tampered copies of each
(a protected file's byte changed, the signature value changed, the seal image swapped).

The independent verifier: ofdrw (Java) could not be built here: Maven Central is unreachable and no
BouncyCastle jar is installed (tried once). The second opinion is therefore the pure-Python ``gmssl`` package
(another code base: its own SM2 curve arithmetic and SM3), fed by a separate parse of the structures with
asn1crypto's generic DER reader and of the XML with the standard library; it checks what ofdrw's
SESV1/SESV4ValidateContainer check (the protected files' digests, the SM3 dataHash of Signature.xml, the
signer's SM2 signature over TBS_Sign) plus the seal maker's signature.

    PYTHONPATH=. python bench/seal_crosscheck.py
prints the table (file, seal format, our verdict, the independent verdict) and the count of disagreements.
"""

from __future__ import annotations

import base64
import binascii
import re
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from asn1crypto import core, x509  # noqa: E402
from gmssl import func, sm2 as gsm2, sm3 as gsm3  # noqa: E402

import sealtamper  # noqa: E402
from archive import signatures  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "ofd_sealed"


class _Any(core.SequenceOf):
    _child_spec = core.Any


def _items(der: bytes) -> list[core.Any]:
    return list(_Any.load(der))


def _sm3(data: bytes) -> bytes:
    return bytes.fromhex(gsm3.sm3_hash(func.bytes_to_list(data)))


def _gm_verify(cert_der: bytes, message: bytes, sig_der: bytes) -> bool:
    point = x509.Certificate.load(cert_der)["tbs_certificate"]["subject_public_key_info"]["public_key"].contents
    point = point[1:] if point[:1] == b"\x00" else point  # BIT STRING's unused-bits byte
    if len(sig_der) == 64:
        sig_hex, asn1 = sig_der.hex(), False
    else:
        sig_hex, asn1 = sig_der.hex(), True
    v = gsm2.CryptSM2(private_key=None, public_key="", asn1=asn1)
    v.public_key = point[1:].hex()  # gmssl 3.2.2's constructor does public_key.lstrip("04"): eats a key's leading 0s and 4s
    return bool(v.verify_with_sm3(sig_hex, message))


def _val(a: core.Any) -> bytes:
    return a.parsed.contents


def _bits(a: core.Any) -> bytes:
    return _val(a)[1:]


def independent(path: Path) -> tuple[str, bool | None]:
    """(format, verdict) for the whole file: every seal intact, by gmssl."""
    formats, ok = [], True
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        for sx in sorted(n for n in names if re.search(r"Sign_\d+/Signature\.xml$", n)):
            xml = z.read(sx)
            root = ET.fromstring(xml)
            for ref in root.iter():
                if ref.tag.endswith("}Reference"):
                    target = ref.get("FileRef", "").lstrip("/")
                    cv = next(c.text for c in ref if c.tag.endswith("}CheckValue"))
                    if target not in names or base64.b64decode(cv.strip()) != _sm3(z.read(target)):
                        ok = False
            value = z.read(sx.rsplit("/", 1)[0] + "/SignedValue.dat")
            try:
                top = _items(value)
                tbs = _items(top[0].dump())
                seal = _items(tbs[1].dump())
            except (ValueError, TypeError, IndexError):
                verdict = _signed_data(value, xml)
                formats.append("GB/T 35275" if verdict is not None else "其他")
                if verdict is None:
                    return "/".join(formats), None
                ok = ok and verdict
                continue
            info = seal[0].dump()
            if top[1].dump()[0] == 0x04:  # V4: cert, algorithm, signature after TBS_Sign
                formats.append("V4")
                cert, sig = _val(top[1]), _bits(top[3])
                maker_cert, maker_msg, maker_sig = _val(seal[1]), info, _bits(seal[3])
            else:
                formats.append("V1")
                cert, sig = _val(tbs[5]), _bits(top[1])
                sign_info = _items(seal[1].dump())
                maker_cert, maker_sig = _val(sign_info[0]), _bits(sign_info[2])
                body = info + sign_info[0].dump() + sign_info[1].dump()
                maker_msg = bytes([0x30, 0x82]) + len(body).to_bytes(2, "big") + body
            if _bits(tbs[3]) != _sm3(xml):
                ok = False
            if not _gm_verify(cert, top[0].dump(), sig) or not _gm_verify(maker_cert, maker_msg, maker_sig):
                ok = False
    return "/".join(formats) or "无", ok


CRYPTO = ("files", "data_hash", "signer", "maker")  # what both verifiers check; validity periods are ours only


def _signed_data(value: bytes, xml: bytes) -> bool | None:
    """A GB/T 35275 SignedData read with asn1crypto's CMS classes (the SM2 content types registered as their
    PKCS#7 counterparts), checked with gmssl; None when it is not one."""
    from asn1crypto import cms

    cms.ContentType._map.setdefault("1.2.156.10197.6.1.4.2.2", "signed_data")
    cms.ContentType._map.setdefault("1.2.156.10197.6.1.4.2.1", "data")
    cms.ContentType._reverse_map = None
    try:
        ci = cms.ContentInfo.load(value)
        if ci["content_type"].native != "signed_data":
            return None
        sd = ci["content"]
        content = sd["encap_content_info"]["content"].native
        certs = {(c.chosen.issuer.dump(), c.chosen.serial_number): c.chosen.dump() for c in sd["certificates"]}
        ok = True
        for si in sd["signer_infos"]:
            sid = si["sid"].chosen
            cert = certs.get((sid["issuer"].dump(), sid["serial_number"].native))
            attrs = si["signed_attrs"]
            if attrs.native is not None and len(attrs):
                digest = next(a["values"][0].native for a in attrs if a["type"].native == "message_digest")
                signed = b"\x31" + attrs.dump()[1:]  # signed as a SET, stored as [0] IMPLICIT
            else:
                digest = content if len(content or b"") == 32 else base64.b64decode(content)
                signed = content
            if cert is None or digest != _sm3(xml) or not _gm_verify(cert, signed, si["signature"].native):
                ok = False
        return ok
    except (ValueError, TypeError, KeyError, binascii.Error):
        return None


def ours(path: Path) -> tuple[bool | None, str]:
    """(the cryptographic verdict, what else our verify says: periods, Seal.esl)."""
    found = signatures.inspect(path, "ofd")
    values = [s.checks.get(k) for s in found for k in CRYPTO if k in s.checks]
    if not values:
        return None, ""
    other = sorted({f"{k}=否" for s in found for k, v in s.checks.items() if k not in CRYPTO and v is False})
    verdict = False if False in values else None if None in values else True
    return verdict, " ".join(other)


def _word(v: bool | None) -> str:
    return {True: "通过", False: "失败", None: "未能核验"}[v]


def main() -> int:
    rows, disagree = [], 0
    t0 = time.perf_counter()
    t_ours = t_theirs = 0.0
    with tempfile.TemporaryDirectory() as d:
        for f in sorted(FIXTURES.glob("*.ofd")):
            cases = [(f.name, f)]
            with zipfile.ZipFile(f) as z:
                try:
                    sealtamper.first_signature(z)
                    fmt_ok = True
                except ValueError:
                    fmt_ok = False
            if fmt_ok and independent(f)[1] is not None:
                for k in sealtamper.kinds(f):
                    cases.append((f"  ↳ 篡改:{k}", sealtamper.tamper(f, Path(d, f"{f.stem}.{k}.ofd"), k)))
            for label, p in cases:
                t = time.perf_counter()
                fmt, theirs = independent(p)
                t_theirs += time.perf_counter() - t
                t = time.perf_counter()
                mine, other = ours(p)
                t_ours += time.perf_counter() - t
                if mine != theirs:
                    disagree += 1
                rows.append((label, fmt, _word(mine), _word(theirs), ("" if mine == theirs else "✗ 不一致 ") + other))
    w = max(len(r[0]) for r in rows) + 2
    fw = max(len(r[1]) for r in rows) + 2
    print(f"{'文件':<{w - 2}}{'印章格式':<{fw - 4}}{'本程序':<9}{'独立核验(gmssl)':<14}本程序另查（有效期、印章文件）")
    for r in rows:
        print(f"{r[0]:<{w}}{r[1]:<{fw}}{r[2]:<12}{r[3]:<18}{r[4]}")
    originals = sum(1 for r in rows if not r[0].startswith("  "))
    print(f"\n{originals} 个 OFD、{len(rows) - originals} 个篡改副本；不一致 {disagree} 处；"
          f"用时 {time.perf_counter() - t0:.1f} 秒（本程序 {t_ours:.1f} 秒，gmssl {t_theirs:.1f} 秒）")
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
