"""PDF signatures validated with pyHanko (issue 27): digest, signature value, coverage, the signer's
certificate and its chain to configured trust roots, each reported (签名, 证书)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from asn1crypto import cms

from archive import signatures
from archive.seals import ses
from test_verify_dat70 import _signed_pdf

FIX = Path(__file__).parent / "fixtures" / "ofd_sealed"


@pytest.fixture(scope="module")
def signed(tmp_path_factory) -> Path:
    return _signed_pdf(tmp_path_factory.mktemp("pdf") / "signed.pdf")


def _cms(path: Path) -> tuple[bytes, bytes]:
    """(the signer's certificate, the signature value) of the PDF's one signature."""
    data = path.read_bytes()
    start = data.index(b"/Contents <") + len(b"/Contents <") if b"/Contents <" in data else data.index(b"/Contents<") + 10
    end = data.index(b">", start)
    ci = cms.ContentInfo.load(bytes.fromhex(data[start:end].decode()).rstrip(b"\x00"), strict=False)
    sd = ci["content"]
    return sd["certificates"][0].chosen.dump(), sd["signer_infos"][0]["signature"].native


def _parts(found):
    return {s.part: s for s in found}


def test_intact_signature_and_certificate_reported(signed):
    p = _parts(signatures.inspect(signed, "pdf"))
    assert p["签名"].valid is True and p["签名"].checks == {"intact": True, "signature": True, "entire_file": True}
    assert p["证书"].valid is None and "示例县档案局" in p["证书"].detail and "2020-01-01 至 2040-01-01" in p["证书"].detail


def test_chain_to_a_configured_root(signed):
    cert, _ = _cms(signed)
    assert _parts(signatures.inspect(signed, "pdf", [cert]))["证书"].valid is True
    with zipfile.ZipFile(FIX / "converter_1.ofd") as z:
        other = ses.parse(z.read("Doc_0/Signs/Sign_0/SignedValue.dat")).cert  # a tax bureau's, not this signer's
    with zipfile.ZipFile(FIX / "converter_n.ofd") as z:
        odd = ses.parse(z.read("Doc_0/Signs/Sign_0/SignedValue.dat")).cert  # an extension asn1crypto refuses
    c = _parts(signatures.inspect(signed, "pdf", [other, odd]))["证书"]
    assert c.valid is False and "证书链不通" in c.detail


def test_changed_signature_value_fails(signed, tmp_path):
    _, value = _cms(signed)
    data = signed.read_bytes()
    hexed = value.hex().encode()
    i = data.lower().index(hexed) + 10
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(data[:i] + (b"0" if data[i:i + 1] != b"0" else b"1") + data[i + 1:])
    s = _parts(signatures.inspect(bad, "pdf"))["签名"]
    assert s.valid is False and s.checks["intact"] is True and s.checks["signature"] is False


def test_bytes_appended_after_signing_fail(signed, tmp_path):
    bad = tmp_path / "appended.pdf"
    bad.write_bytes(signed.read_bytes() + b"\n% appended after signing\n")
    s = _parts(signatures.inspect(bad, "pdf"))["签名"]
    assert s.valid is False and s.checks["entire_file"] is False and "追加" in s.detail
