"""Electronic signatures and seals in stored PDF and OFD files, found and checked where we can (DA/T 70).

PDF: every embedded signature validated by pyHanko (archive.seals.pdf): digest over the byte range, the CMS
signature value, coverage of the whole file; the signer's certificate and its chain to the configured roots.

OFD (GB/T 33190): see archive.seals.ofd — protected files' digests, the signer's and the seal maker's SM2
signatures (SM3 digests; OpenSSL 3, see archive.seals.sm2), the seal's and the certificate's validity, and the
certificate chain to the configured trust roots.
"""

from __future__ import annotations

import functools
from pathlib import Path

from archive.seals.result import Signature  # noqa: F401 (the verdict type callers know from here)


def roots(paths) -> list[bytes]:
    """The DER certificates of the configured trust roots ([signatures] trust_roots), read once per set."""
    return list(_roots(tuple(str(p) for p in paths))) if paths else []


@functools.lru_cache(maxsize=4)
def _roots(paths: tuple[str, ...]) -> tuple[bytes, ...]:
    from archive.seals import certs

    return tuple(certs.load_roots(paths))


def inspect(path: Path, media_type: str | None, trust_roots: list[bytes] = ()) -> list[Signature]:
    """Every seal and signature in the file, each checked: an OFD 电子印章 as three verdicts (印章, 签名, 证书,
    archive.seals.ofd), a PDF signature as two (签名, 证书, archive.seals.pdf); ``trust_roots`` are DER
    certificates (``roots`` of [signatures] trust_roots)."""
    if media_type == "pdf":
        from archive.seals import pdf

        return pdf.inspect(Path(path), list(trust_roots))
    if media_type == "ofd":
        from archive.seals import ofd

        return ofd.inspect(Path(path), list(trust_roots))
    return []
