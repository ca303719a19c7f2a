"""Tampered copies of a sealed OFD, for tests/test_seals.py and bench/seal_crosscheck.py:

- ``file``: one byte of a file the first signature protects changed (its digest no longer matches);
- ``value``: one byte of the signer's SM2 signature value changed (inside r, so the DER stays valid);
- ``image``: the seal image inside SignedValue.dat swapped for another picture (the DER rebuilt around it).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from archive.seals import der, gbt35275, ses

KINDS = ("file", "value", "image")
# a different picture: a 1x1 PNG
OTHER_IMAGE = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                            "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2262f5b0000000049454e44ae426082")


def first_signature(z: zipfile.ZipFile) -> tuple[str, str]:
    """(Signature.xml, SignedValue.dat) of the first seal in the package."""
    for n in sorted(z.namelist()):
        if re.search(r"Sign_\d+/Signature\.xml$", n):
            v = n.rsplit("/", 1)[0] + "/SignedValue.dat"
            if v in z.namelist():
                return n, v
    raise ValueError("no seal")


def kinds(src: Path) -> tuple[str, ...]:
    """The tamperings that apply to the first signature of ``src``: a seal image only where there is a seal."""
    with zipfile.ZipFile(src) as z:
        value = z.read(first_signature(z)[1])
    try:
        ses.parse(value)
        return KINDS
    except ValueError:
        gbt35275.parse(value)
        return ("file", "value")


def _signature_value(value: bytes) -> bytes:
    try:
        return ses.parse(value).signature
    except ValueError:
        return gbt35275.parse(value)[0].signature


def tamper(src: Path, dst: Path, kind: str) -> Path:
    with zipfile.ZipFile(src) as z:
        files = {i.filename: z.read(i.filename) for i in z.infolist()}
        sig_xml, value = first_signature(z)
    if kind == "file":
        target = re.search(rb'FileRef="/?([^"]+)"', files[sig_xml]).group(1).decode()
        data = bytearray(files[target])
        i = len(data) // 2
        data[i] = data[i] ^ 0x01
        files[target] = bytes(data)
    elif kind == "value":
        i = files[value].rfind(_signature_value(files[value])) + 8  # inside r, past the SEQUENCE and INTEGER headers
        data = bytearray(files[value])
        data[i] ^= 0x01
        files[value] = bytes(data)
    elif kind == "image":
        s = ses.parse(files[value])
        files[value] = swap_picture(files[value], s.seal.picture)
    else:
        raise ValueError(kind)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in files.items():
            z.writestr(n, data)
    return dst


def swap_picture(value: bytes, picture: bytes) -> bytes:
    """SignedValue.dat with the seal picture's OCTET STRING replaced by OTHER_IMAGE, lengths re-encoded."""
    def rebuild(node: der.Node) -> bytes:
        if node.tag == der.OCTET_STRING and node.value == picture:
            return der.tlv(der.OCTET_STRING, OTHER_IMAGE)
        if node.constructed and node.tag in (der.SEQUENCE, der.SET):
            return der.tlv(node.tag, b"".join(rebuild(c) for c in node.children()))
        return node.raw

    out = rebuild(der.parse(value))
    if out == value:
        raise ValueError("picture not found")
    return out

