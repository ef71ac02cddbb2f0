"""Paging of list responses (SOL013 §5.4).

A page holds at most ``size`` items; when more follow, the response's ``Link`` header names
the same URL with ``nextpage_opaque_marker`` set. The marker is opaque to clients: here it
encodes the offset of the next page and a digest of the filter it was made for (a marker
reused with another filter, or garbled, is a 400). Items inserted or deleted between two
requests may shift a page boundary by that many items.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


class PagingError(ValueError):
    """An invalid ``nextpage_opaque_marker`` (answered with 400)."""


def _digest(fingerprint: str) -> str:
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:12]


def encode_marker(offset: int, fingerprint: str = "") -> str:
    raw = f"{offset}.{_digest(fingerprint)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_marker(marker: str, fingerprint: str = "") -> int:
    """The offset a marker stands for; :class:`PagingError` when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(marker + "=" * (-len(marker) % 4)).decode()
        offset_text, digest = raw.split(".", 1)
        offset = int(offset_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise PagingError("invalid nextpage_opaque_marker") from None
    if offset < 0 or digest != _digest(fingerprint):
        raise PagingError("invalid nextpage_opaque_marker (not made for this query)")
    return offset


def page(items: Sequence[T], marker: str | None, size: int,
         fingerprint: str = "") -> tuple[list[T], str | None]:
    """The page of ``items`` that ``marker`` starts (the first when ``None``) and the marker
    of the next page (``None`` on the last). ``size <= 0`` disables paging."""
    start = 0 if marker is None else decode_marker(marker, fingerprint)
    if size <= 0:
        return list(items[start:]), None
    end = start + size
    chunk = list(items[start:end])
    return chunk, (encode_marker(end, fingerprint) if end < len(items) else None)
