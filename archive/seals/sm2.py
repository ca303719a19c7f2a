"""SM3 digests and SM2 signature verification.

Choice (issue 27): OpenSSL 3, the system library Debian maintains and patches. SM3 comes through ``hashlib``
(Python's hashlib is built on the same OpenSSL); SM2 is checked by the ``openssl`` command (``dgst -sm3
-verify`` with the GB/T 32918 / GM/T 0009 default signer id ``1234567812345678``), because the ``cryptography``
package has no SM2 and the GmSSL binding (``gmssl-python``) needs libgmssl, which Debian does not package; the
pure-Python ``gmssl`` package is kept as the independent second opinion in bench/seal_crosscheck.py.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from archive.seals import der

DEFAULT_ID = "1234567812345678"
SM2_WITH_SM3 = "1.2.156.10197.1.501"
# what signers write for an SM2 signature over SM3: SM2-with-SM3, and (GB/T 35275 SignerInfos, their digest
# algorithm being SM3) the SM2 key / SM2 signature algorithm identifiers
SM2_ALGORITHMS = (SM2_WITH_SM3, "1.2.156.10197.1.301", "1.2.156.10197.1.301.1")


def sm3(data: bytes) -> bytes:
    return hashlib.new("sm3", data).digest()


def signature_der(sig: bytes) -> bytes:
    """The signature as DER SEQUENCE {r, s}; a bare 64-byte r||s is converted. Raises DerError otherwise."""
    if len(sig) == 64 and sig[0] != 0x30:
        return der.tlv(0x30, _int(sig[:32]) + _int(sig[32:]))
    node = der.parse(sig).expect(der.SEQUENCE)
    parts = node.children()
    if len(parts) != 2:
        raise der.DerError("SM2 签名值不是 (r, s)")
    for p in parts:
        if not 0 < p.integer() < 2 ** 256:
            raise der.DerError("SM2 签名值越界")
    return sig


@functools.lru_cache(maxsize=256)  # one openssl run per distinct check: a list naming one signature many times
def verify(spki: bytes, message: bytes, signature: bytes, signer_id: str = DEFAULT_ID) -> bool:
    """Whether ``signature`` is an SM2-with-SM3 signature of ``message`` by the key ``spki`` (DER).
    Raises RuntimeError when openssl is missing or refuses the key (not a verdict on the signature)."""
    exe = shutil.which("openssl")
    if exe is None:
        raise RuntimeError("本机没有 openssl 命令，SM2 签名未核验")
    sig = signature_der(signature)
    pem = b"-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(spki) + b"-----END PUBLIC KEY-----\n"
    with tempfile.TemporaryDirectory(prefix="archive-sm2-") as d:
        k, s, m = Path(d, "k.pem"), Path(d, "s.der"), Path(d, "m.bin")
        k.write_bytes(pem)
        s.write_bytes(sig)
        m.write_bytes(message)
        r = subprocess.run([exe, "dgst", "-sm3", "-verify", str(k), "-sigopt", f"distid:{signer_id}",
                            "-signature", str(s), str(m)], capture_output=True, timeout=60)
    out = r.stdout.decode("ascii", "replace")
    if r.returncode == 0 and "Verified OK" in out:
        return True
    if "Verification failure" in out or b"signature" in r.stderr.lower() and b"bad" in r.stderr.lower():
        return False
    if r.returncode == 1 and not r.stderr.strip(b"\n"):
        return False
    err = r.stderr.decode("utf-8", "replace").strip().splitlines()
    raise RuntimeError(f"openssl 无法核验（{err[0][:120] if err else r.returncode}）")


def _int(b: bytes) -> bytes:
    b = b.lstrip(b"\x00") or b"\x00"
    if b[0] & 0x80:
        b = b"\x00" + b
    return der.tlv(0x02, b)

