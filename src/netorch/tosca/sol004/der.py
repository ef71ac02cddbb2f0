"""A small, strict reader for the DER encoding (ITU-T X.690 §8 and §10).

Only what CMS SignedData needs (RFC 5652 §5): definite lengths, low tag numbers, SEQUENCE /
SET / context-specific constructed elements, INTEGER, OBJECT IDENTIFIER, OCTET STRING.  Every
length is checked against the bytes that hold it, so truncated or overlong input is a
:class:`DerError`, never an ``IndexError`` or a huge allocation: elements are views into the
original buffer.  BER indefinite lengths (X.690 §8.1.3.6) are refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

# Universal tags (X.690 §8.1.2, class 0) as full identifier octets.
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
SEQUENCE = 0x30
SET = 0x31

class DerError(ValueError):
    """The bytes are not the DER structure that was expected."""


def context(number: int, constructed: bool = True) -> int:
    """The identifier octet of a context-specific tag ``[number]`` (X.690 §8.1.2.2)."""
    if not 0 <= number < 31:
        raise ValueError("high tag numbers are not supported")
    return 0x80 | (0x20 if constructed else 0) | number


@dataclass(frozen=True, slots=True)
class Element:
    """One TLV: its identifier octet and where its header and content lie in ``data``."""

    data: memoryview
    tag: int
    start: int
    content_start: int
    end: int

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    @property
    def raw(self) -> bytes:
        """The whole TLV (identifier, length and content octets)."""
        return bytes(self.data[self.start:self.end])

    @property
    def content(self) -> bytes:
        return bytes(self.data[self.content_start:self.end])

    def children(self) -> list[Element]:
        """The elements inside a constructed element, in order."""
        if not self.constructed:
            raise DerError(f"element with tag 0x{self.tag:02x} is not constructed")
        return list(_iterate(self.data, self.content_start, self.end))

    def expect(self, tag: int, what: str) -> Element:
        if self.tag != tag:
            raise DerError(f"{what}: expected tag 0x{tag:02x}, found 0x{self.tag:02x}")
        return self


def _read_header(data: memoryview, offset: int, limit: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the TLV at ``offset``; refuses anything odd."""
    if offset >= limit:
        raise DerError("unexpected end of data")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise DerError("high-tag-number form is not used by CMS")
    pos = offset + 1
    if pos >= limit:
        raise DerError("truncated length")
    first = data[pos]
    pos += 1
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise DerError("indefinite length (BER) is not DER")
    else:
        count = first & 0x7F
        if count > 4:
            raise DerError("length field too large")
        if pos + count > limit:
            raise DerError("truncated length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > limit:
        raise DerError("element runs past the end of its container")
    return tag, pos, pos + length


def _iterate(data: memoryview, start: int, end: int) -> Iterator[Element]:
    pos = start
    while pos < end:
        tag, content_start, content_end = _read_header(data, pos, end)
        yield Element(data, tag, pos, content_start, content_end)
        pos = content_end


def parse(data: bytes) -> Element:
    """The single top-level element of ``data``; trailing bytes are an error."""
    view = memoryview(data)
    tag, content_start, end = _read_header(view, 0, len(view))
    if end != len(view):
        raise DerError("trailing data after the top-level element")
    return Element(view, tag, 0, content_start, end)


def oid(element: Element) -> str:
    """Dotted form of an OBJECT IDENTIFIER (X.690 §8.19)."""
    element.expect(OBJECT_IDENTIFIER, "object identifier")
    body = element.content
    if not body or body[-1] & 0x80:
        raise DerError("malformed object identifier")
    arcs: list[int] = []
    value = 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


def integer(element: Element) -> int:
    element.expect(INTEGER, "integer")
    body = element.content
    if not body:
        raise DerError("empty integer")
    return int.from_bytes(body, "big", signed=True)


def octets(element: Element) -> bytes:
    return element.expect(OCTET_STRING, "octet string").content
