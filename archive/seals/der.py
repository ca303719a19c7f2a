"""A small strict DER reader for the seal structures (SES_Signature, SESeal): tag, length and bytes of each
element, with its children on demand. Hostile input: lengths are bounded by the buffer, indefinite lengths and
tags above 30 refused, nesting limited; every failure is a ``DerError``."""

from __future__ import annotations

from dataclasses import dataclass

MAX_DEPTH = 24

INTEGER, BIT_STRING, OCTET_STRING, OID, UTF8, SEQUENCE, SET = 0x02, 0x03, 0x04, 0x06, 0x0C, 0x30, 0x31
IA5, UTC_TIME, GENERALIZED_TIME, BOOLEAN = 0x16, 0x17, 0x18, 0x01


class DerError(ValueError):
    pass


@dataclass(frozen=True)
class Node:
    tag: int
    raw: bytes  # the whole element: tag, length, value
    value: bytes
    depth: int = 0

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    def children(self) -> list["Node"]:
        if not self.constructed:
            raise DerError(f"element {self.tag:#x} has no children")
        if self.depth >= MAX_DEPTH:
            raise DerError("nesting too deep")
        out, i = [], 0
        while i < len(self.value):
            n, i = _read(self.value, i, self.depth + 1)
            out.append(n)
        return out

    def integer(self) -> int:
        self.expect(INTEGER)
        return int.from_bytes(self.value, "big", signed=True) if self.value else 0

    def bits(self) -> bytes:
        self.expect(BIT_STRING)
        if not self.value or self.value[0] != 0:
            raise DerError("bit string with unused bits")
        return self.value[1:]

    def text(self) -> str:
        if self.tag not in (UTF8, IA5, 0x13, 0x1E, UTC_TIME, GENERALIZED_TIME):
            raise DerError(f"element {self.tag:#x} is not a string")
        if self.tag == 0x1E:
            return self.value.decode("utf-16-be", "replace")
        return self.value.decode("utf-8", "replace")

    def oid(self) -> str:
        self.expect(OID)
        v, parts, acc = self.value, [], 0
        if not v:
            raise DerError("empty OID")
        for b in v:
            acc = (acc << 7) | (b & 0x7F)
            if not b & 0x80:
                parts.append(acc)
                acc = 0
        first = min(parts[0] // 40, 2)
        return ".".join(str(x) for x in [first, parts[0] - 40 * first, *parts[1:]])

    def expect(self, tag: int) -> "Node":
        if self.tag != tag:
            raise DerError(f"expected {tag:#x}, found {self.tag:#x}")
        return self


def parse(data: bytes) -> Node:
    """The one element ``data`` holds (trailing bytes refused)."""
    node, end = _read(bytes(data), 0, 0)
    if end != len(data):
        raise DerError("bytes after the element")
    return node


def tlv(tag: int, value: bytes) -> bytes:
    """One DER element: tag, definite length, value."""
    n = len(value)
    if n < 0x80:
        return bytes([tag, n]) + value
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(ln)]) + ln + value


def sequence(content: bytes) -> bytes:
    """DER SEQUENCE around already encoded elements."""
    return tlv(SEQUENCE, content)


def _read(buf: bytes, i: int, depth: int) -> tuple[Node, int]:
    if i + 2 > len(buf):
        raise DerError("truncated")
    tag = buf[i]
    if tag & 0x1F == 0x1F:
        raise DerError("high tag numbers are not used here")
    n = buf[i + 1]
    j = i + 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4 or j + k > len(buf):
            raise DerError("bad length")
        n = int.from_bytes(buf[j:j + k], "big")
        j += k
    if j + n > len(buf):
        raise DerError("length beyond the data")
    return Node(tag, buf[i:j + n], buf[j:j + n], depth), j + n
