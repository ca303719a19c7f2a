"""OFD 电子印章 verified for real (issue 27): SM2 signatures and SM3 digests of V1 (GM/T 0031) and V4 (GB/T
38540) seals, on real sealed OFDs (tests/fixtures/ofd_sealed/, see PROVENANCE) and tampered copies of them;
verify reports 印章, 签名 and 证书 separately."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import sealtamper
from archive import signatures
from archive.importing import ImportedFile, import_record
from archive.seals import certs, der, gbt35275, ses
from archive.verify import verify

FIX = Path(__file__).parent / "fixtures" / "ofd_sealed"

# file -> (seal format, 签名 verdicts, 印章 verdicts): one entry per seal in the file
EXPECTED = {
    "converter_1.ofd": ("V4", [True], [True]),
    "converter_999.ofd": ("V4", [True], [True]),
    "converter_SignScaleError.ofd": ("V4", [True], [True]),
    "converter_V4RideRight.ofd": ("V4", [True], [True]),
    "converter_draw_param_ref.ofd": ("V4", [True], [True]),
    # the second seal rewrote Signatures.xml, which the first one protects
    "converter_h.ofd": ("V4", [False, True], [True, True]),
    # another vendor's V1 seal: its Signature.xml no longer matches the signature; the seal itself is intact
    "converter_n.ofd": ("V1", [False], [True]),
    # signed in 2026 with a seal valid 2020-2022
    "reader_SESV4SignDoc.ofd": ("V4", [True], [False]),
    "sign_allprotected.ofd": ("V4", [True], [True]),
    "sign_signedFile.ofd": ("V4", [True], [True]),
    "sign_v4signed.ofd": ("V4", [True], [True]),
    "v1_sealed.ofd": ("V1", [True], [True]),
    # two 电子签名 whose values are GB/T 35275 SignedData (signed attributes, SM2 algorithm 1.2.156.10197.1.301.1)
    "converter_testImageNotFound.ofd": ("GB/T 35275", [True, True], []),
    # a V4 seal and a GB/T 35275 signature, the pages changed after both: each signature value still verifies
    "layout_keyword.ofd": ("V4", [False, False], [True]),
}


def _parts(found, part):
    return [s.valid for s in found if s.part == part]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_seals(name):
    fmt, sig, seal = EXPECTED[name]
    found = signatures.inspect(FIX / name, "ofd")
    assert _parts(found, "签名") == sig
    assert _parts(found, "印章") == seal
    assert len(_parts(found, "证书")) == len(sig)
    assert all(f"{fmt} 格式" in s.detail for s in found if s.part == "印章")
    with zipfile.ZipFile(FIX / name) as z:
        value = z.read(sealtamper.first_signature(z)[1])
    if fmt == "GB/T 35275":
        assert all(gbt35275.parse(value)) and all("GB/T 35275" in s.detail for s in found if s.part == "签名")
    else:
        assert ses.parse(value).version == fmt
    if name == "layout_keyword.ofd":  # changed files, right signature values
        assert all(s.checks["files"] is False and s.checks["signer"] is True for s in found if s.part == "签名")


TAMPERED = [(name, kind) for name in ("v1_sealed.ofd", "sign_v4signed.ofd", "converter_V4RideRight.ofd",
                                      "converter_testImageNotFound.ofd")
            for kind in sealtamper.kinds(FIX / name)]  # an 电子签名 has no seal image to swap


@pytest.mark.parametrize(("name", "kind"), TAMPERED)
def test_tampered_copies_fail(name, kind, tmp_path):
    found = signatures.inspect(sealtamper.tamper(FIX / name, tmp_path / "t.ofd", kind), "ofd")
    sig, seal = found[0], found[1]
    assert sig.part == "签名" and seal.part in ("印章", "证书")
    assert sig.valid is False
    if kind == "file":
        assert sig.checks["files"] is False and sig.checks["signer"] is True
    elif kind == "value":
        assert sig.checks["signer"] is False and sig.checks["files"] is True
        assert seal.valid is (True if seal.part == "印章" else None)
    else:  # the maker's signature no longer covers the picture, nor the signer's the seal
        assert seal.checks["maker"] is False and sig.checks["signer"] is False


def test_certificate_reported_and_chain_checked():
    n = FIX / "converter_n.ofd"
    with zipfile.ZipFile(n) as z:
        cert = ses.parse(z.read("Doc_0/Signs/Sign_0/SignedValue.dat")).cert  # self-signed
    (c,) = [s for s in signatures.inspect(FIX / "v1_sealed.ofd", "ofd") if s.part == "证书"]
    assert c.valid is None and "Test Certificate" in c.detail and "2020-04-21 至 2022-04-21" in c.detail
    assert "未配置信任根" in c.detail
    (c,) = [s for s in signatures.inspect(n, "ofd", [cert]) if s.part == "证书"]
    assert c.valid is True and "信任根" in c.detail
    (c,) = [s for s in signatures.inspect(FIX / "v1_sealed.ofd", "ofd", [cert]) if s.part == "证书"]
    assert c.valid is False and "证书链不通" in c.detail


def test_trust_roots_load_pem_and_der(tmp_path):
    with zipfile.ZipFile(FIX / "converter_n.ofd") as z:
        cert = ses.parse(z.read("Doc_0/Signs/Sign_0/SignedValue.dat")).cert
    import base64
    (tmp_path / "a.cer").write_bytes(cert)
    (tmp_path / "b.pem").write_bytes(b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(cert)
                                     + b"-----END CERTIFICATE-----\n")
    assert certs.load_roots([tmp_path]) == [cert, cert]


def _replace(src: Path, out: Path, suffix: str, data: bytes) -> Path:
    """A copy of the OFD ``src`` whose member ending in ``suffix`` holds ``data``."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(out, "w") as w:
        for i in z.infolist():
            w.writestr(i.filename, data if i.filename.endswith(suffix) else z.read(i.filename))
    return out


def test_seal_file_must_match_the_signed_seal(tmp_path):
    out = _replace(FIX / "converter_V4RideRight.ofd", tmp_path / "swapped.ofd", "Seal.esl",
                   (FIX / "PROVENANCE").read_bytes())  # not this seal
    found = signatures.inspect(out, "ofd")
    seal = [s for s in found if s.part == "印章"][0]
    assert seal.valid is False and seal.checks["seal_file"] is False and "Seal.esl" in seal.detail


@pytest.mark.parametrize("value", [b"", b"0", b"\x30\x80\x00\x00", b"\x30\x84\xff\xff\xff\xff",
                                   b"\x30\x03\x02\x01\x04", b"\x30" * 2 + b"\x30\x00" * 50, bytes(range(256))])
def test_hostile_signed_values_are_reported_not_fatal(value, tmp_path):
    out = _replace(FIX / "sign_v4signed.ofd", tmp_path / "h.ofd", "SignedValue.dat", value)
    (s,) = signatures.inspect(out, "ofd")
    assert s.valid is None and "签名值未核验" in s.detail


def test_deep_nesting_refused():
    deep = b"\x30\x00"
    for _ in range(40):
        deep = der.sequence(deep)
    node = der.parse(deep)
    with pytest.raises(der.DerError):
        while True:
            node = node.children()[0]


def test_bare_signature_without_certificate_not_checkable():
    (s,) = signatures.inspect(FIX / "sign_DigitalSign.ofd", "ofd")
    assert s.valid is None and s.kind == "OFD 电子签名" and "SM3 摘要一致" in s.detail


def test_verify_reports_seal_signature_and_certificate(arc, tmp_path):
    for i, name in enumerate(["v1_sealed.ofd", "reader_SESV4SignDoc.ofd"], 1):
        p = tmp_path / name
        p.write_bytes((FIX / name).read_bytes())
        import_record(arc, {"archival_code": f"Z109-WS·2020-Y-BGS-000{i}", "title": "关于档案工作的通知",
                            "issuer": "示例县档案局", "date": "2020-05-06", "pages": 1},
                      ImportedFile(p, written=True), source={"test": True})
    rep = verify(arc)
    good = [f for f in rep.findings if f.ref.endswith("0001") and f.item == "电子签名与印章"]
    assert sorted(f.message.split("：")[0].rsplit("·", 1)[1] for f in good) == ["印章", "签名", "证书"]
    assert all(f.severity == "notice" for f in good)
    bad = [f for f in rep.errors if f.ref.endswith("0002")]
    assert len(bad) == 2 and any("印章有效期" in f.message for f in bad) and any("·证书" in f.message for f in bad)


def test_trust_roots_configured(tmp_path):
    from archive.config import load_config, write_starter_config
    from archive.errors import ConfigError

    cfg_path = tmp_path / "config.toml"
    write_starter_config(cfg_path)
    base = cfg_path.read_text(encoding="utf-8")
    cfg_path.write_text(base + '\n[signatures]\ntrust_roots = ["roots"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="trust_roots"):
        load_config(cfg_path)
    (tmp_path / "roots").mkdir()
    with zipfile.ZipFile(FIX / "converter_n.ofd") as z:
        (tmp_path / "roots" / "ca.cer").write_bytes(ses.parse(z.read("Doc_0/Signs/Sign_0/SignedValue.dat")).cert)
    cfg = load_config(cfg_path)
    assert cfg.trust_roots == [(tmp_path / "roots").resolve()]
    (c,) = [s for s in signatures.inspect(FIX / "converter_n.ofd", "ofd", signatures.roots(cfg.trust_roots))
            if s.part == "证书"]
    assert c.valid is True


def test_too_many_signatures_are_counted_not_all_checked(tmp_path):
    from archive.seals import ofd

    n = ofd.MAX_SIGNATURES + 3  # a hostile list: the same signature named over and over
    listing = ('<?xml version="1.0" encoding="UTF-8"?><ofd:Signatures xmlns:ofd="http://www.ofdspec.org/2016">'
               + "".join(f'<ofd:Signature ID="{i}" Type="Seal" BaseLoc="Sign_0/Signature.xml"/>' for i in range(n))
               + "</ofd:Signatures>").encode()
    out = _replace(FIX / "sign_v4signed.ofd", tmp_path / "many.ofd", "Signs/Signatures.xml", listing)
    found = signatures.inspect(out, "ofd")
    assert len([s for s in found if s.part == "签名"]) == ofd.MAX_SIGNATURES
    assert found[-1].valid is None and f"文件有 {n} 个签名，只核验了前 {ofd.MAX_SIGNATURES} 个" in found[-1].detail
