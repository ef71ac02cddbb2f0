"""SOL004 manifest digests (ETSI GS NFV-SOL 004 §4.3.2 "Manifest file", SPEC-NOTES §4.2).

A manifest artifact block is ``Source`` / ``Algorithm`` / ``Hash``; the algorithm is one of
SHA-224, SHA-256, SHA-384, SHA-512 (written with or without the dash, in any case) and the hash
is lowercase hex.  Files are hashed in chunks so multi-gigabyte images never sit in memory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

_ALGORITHMS = {"sha224": "sha224", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}
_CHUNK = 1024 * 1024


def hashlib_name(algorithm: str) -> str:
    """``SHA-256`` / ``sha256`` / ``Sha-256`` -> ``sha256``; ValueError when unsupported."""
    key = algorithm.strip().lower().replace("-", "").replace("_", "")
    if key not in _ALGORITHMS:
        raise ValueError(f"unsupported manifest algorithm {algorithm!r} "
                         "(expected SHA-224, SHA-256, SHA-384 or SHA-512)")
    return _ALGORITHMS[key]


def compute_digest(path: Path, algorithm: str) -> str:
    """The lowercase hex digest of the file at ``path`` with a manifest ``algorithm``."""
    digest = hashlib.new(hashlib_name(algorithm))
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    source: str
    algorithm: str | None
    hash: str | None
    line: int


def read_manifest_entries(text: str) -> tuple[dict[str, str], list[ManifestEntry]]:
    """The metadata block and the ``Source`` blocks of a manifest (the CMS block is skipped)."""
    metadata: dict[str, str] = {}
    entries: list[ManifestEntry] = []
    current: dict[str, str] = {}
    start = 0
    in_metadata = False
    in_signature = False

    def flush() -> None:
        if "Source" in current:
            entries.append(ManifestEntry(current["Source"], current.get("Algorithm"),
                                         current.get("Hash"), start))

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("-----BEGIN"):
            in_signature = True
        if in_signature:
            in_signature = not line.startswith("-----END")
            continue
        if not line or line.startswith("#"):
            in_metadata = False
            continue
        key, sep, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not sep:
            continue
        if key == "metadata" and not value:
            in_metadata = True
            continue
        if in_metadata:
            metadata[key] = value
            continue
        if key == "Source":
            flush()
            current = {}
            start = number
        current[key] = value
    flush()
    return metadata, entries
