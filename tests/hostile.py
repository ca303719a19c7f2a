"""Hostile input files for the reliability tests: each is small on disk and costly to read."""

from __future__ import annotations

import os
import zlib
from pathlib import Path


def _pdf(objects: list[bytes]) -> bytes:
    """Assemble a PDF from object bodies (object i+1 = objects[i]) with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_slow_pdf(path, pages: int = 3000, operators: int = 20_000) -> Path:
    """A PDF of thousands of pages that all share one content stream of many text operators (the
    file is a few hundred KB): pypdf needs minutes of CPU to read its text, page by page, with
    little memory. Stands for a parser stuck in a loop."""
    path = Path(path)
    content = b"BT /F1 12 Tf 72 700 Td " + b"(ab) Tj 0 -1 Td " * operators + b"ET"
    stream = zlib.compress(content, 9)
    first = 4  # objects 1-3: catalog, pages, font; then the stream; then the pages
    kids = b" ".join(b"%d 0 R" % (first + 1 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>")
    objects += [page] * pages
    path.write_bytes(_pdf(objects))
    return path


def make_memory_bomb_pdf(path, inflated_mb: int = 600) -> Path:
    """A PDF whose one content stream inflates to ``inflated_mb`` MB of zeros-like bytes (~1000:1):
    reading it needs more memory than the worker's limit."""
    path = Path(path)
    comp = zlib.compressobj(9)
    chunk = b"%" + b" " * (1024 * 1024 - 2) + b"\n"  # comment lines: valid, empty content
    stream = b"".join(comp.compress(chunk) for _ in range(inflated_mb)) + comp.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    path.write_bytes(_pdf(objects))
    return path


def make_sparse(path, size_mb: int, head: bytes = b"") -> Path:
    """A file of ``size_mb`` MB that takes (almost) no disk space: ``head`` then a hole."""
    path = Path(path)
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(size_mb * 1024 * 1024)
    return path
