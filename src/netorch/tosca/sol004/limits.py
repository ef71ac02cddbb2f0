"""Resource limits for untrusted packages and YAML (SPEC-NOTES §4.3 "NFVO onboarding checks" 1).

A package is untrusted input until it has been verified, so everything that reads it is
bounded: the archive (entry count, declared and actually written bytes, per-entry compression
ratio) and the YAML inside it (nodes reached through aliases, nesting depth, file size).

Every limit has a default that no real package comes near and can be changed per call or
through the environment (read when :meth:`ArchiveLimits.from_env` / :meth:`YamlLimits.from_env`
is called, never at import time):

==================================  ================================================
``NETORCH_CSAR_MAX_FILES``           entries in an archive
``NETORCH_CSAR_MAX_BYTES``           total uncompressed bytes of an archive
``NETORCH_CSAR_MAX_RATIO``           uncompressed / compressed size of one entry
``NETORCH_YAML_MAX_ALIAS_NODES``     YAML nodes reached only through aliases
``NETORCH_YAML_MAX_DEPTH``           YAML nesting depth
``NETORCH_YAML_MAX_BYTES``           size of one YAML file
==================================  ================================================
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Bounds on a CSAR ZIP before and while it is extracted."""

    max_files: int = 10_000
    """Entries (files and directories) in the archive; checked from the end-of-central-directory
    record before the central directory is even read."""
    max_total_bytes: int = 8 * GIB
    """Uncompressed bytes of all entries: the declared sizes are checked first, then the bytes
    actually written are counted."""
    max_ratio: float = 200.0
    """Uncompressed / compressed size of one entry (a zip bomb's signature)."""
    ratio_min_bytes: int = 1 * MIB
    """The ratio is only checked for entries larger than this: a small file of blanks may
    legitimately compress a thousandfold."""
    max_central_directory_bytes: int = 64 * MIB
    """Size of the ZIP central directory, which is read into memory to list the entries."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ArchiveLimits:
        return _from_env(cls(), _ARCHIVE_ENV, os.environ if environ is None else environ)


@dataclass(frozen=True, slots=True)
class YamlLimits:
    """Bounds on one YAML document (YAML 1.1 §3.2.2.2 aliases; "billion laughs")."""

    max_alias_nodes: int = 100_000
    """Nodes a document gains through alias expansion (each alias counts the size of the
    subtree it repeats).  Real templates use a handful of anchors for shared property blocks."""
    max_depth: int = 500
    """Nesting depth of collections (the libyaml-based composer would otherwise overflow the C
    stack on ``[[[[...`` and crash the process)."""
    max_bytes: int = 256 * MIB
    """Size of one YAML file."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> YamlLimits:
        return _from_env(cls(), _YAML_ENV, os.environ if environ is None else environ)


_ARCHIVE_ENV = {"max_files": "NETORCH_CSAR_MAX_FILES", "max_total_bytes": "NETORCH_CSAR_MAX_BYTES",
                "max_ratio": "NETORCH_CSAR_MAX_RATIO"}
_YAML_ENV = {"max_alias_nodes": "NETORCH_YAML_MAX_ALIAS_NODES",
             "max_depth": "NETORCH_YAML_MAX_DEPTH", "max_bytes": "NETORCH_YAML_MAX_BYTES"}

_L = TypeVar("_L", ArchiveLimits, YamlLimits)


def _from_env(default: _L, names: Mapping[str, str], environ: Mapping[str, str]) -> _L:
    changes: dict[str, Any] = {}
    kinds = {f.name: f.type for f in fields(default)}
    for attr, var in names.items():
        raw = environ.get(var)
        if raw is None or not raw.strip():
            continue
        try:
            value: int | float = float(raw) if kinds[attr] in (float, "float") else int(raw)
        except ValueError:
            log.warning("ignoring %s=%r: not a number", var, raw)
            continue
        if value <= 0:
            log.warning("ignoring %s=%r: must be positive", var, raw)
            continue
        changes[attr] = value
    return replace(default, **changes) if changes else default


def read_limited(path: Path, limit: int, chunk: int = MIB) -> bytes | None:
    """The bytes of ``path``, or None when it holds more than ``limit`` bytes.

    Reads in chunks, so memory never exceeds what the file really holds (``read(limit)``
    would allocate ``limit`` bytes up front).  OSError propagates.
    """
    parts: list[bytes] = []
    total = 0
    with Path(path).open("rb") as fh:
        while block := fh.read(min(chunk, limit + 1 - total)):
            parts.append(block)
            total += len(block)
            if total > limit:
                return None
    return b"".join(parts)
