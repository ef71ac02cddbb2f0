"""Canonical JSON: one stable text (and hash) per value, so fingerprints and spec hashes compare
across processes and Python versions.

Values are reduced to plain JSON types first (mappings to ``dict``, sequences to ``list``,
anything unknown to its ``str``), which is also what a JSON round trip gives back: a node
built from plain values compares equal after ``to_dict`` / ``from_dict`` through JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def plain(value: Any) -> Any:
    """A deep copy of ``value`` made only of ``dict``, ``list``, ``str``, ``int``, ``float``,
    ``bool`` and ``None``."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((plain(v) for v in value), key=canonical_json)
    return str(value)


def _fallback(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=canonical_json)
    return str(value)


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys; values JSON does not know are written as their ``str``."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_fallback)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(value: Any) -> str:
    """sha256 (hex) of the canonical JSON of ``value``."""
    return sha256_hex(canonical_json(value))
