"""The SOL004 manifest file (ETSI GS NFV-SOL 004 §4.3.2 "Manifest file", SPEC-NOTES §4.2).

A manifest is blocks separated by blank lines:

* the ``metadata:`` block first (VNF: ``vnf_provider_id``, ``vnf_product_name``,
  ``vnf_release_date_time``, ``vnf_package_version``; PNFD and NSD archives use their own keys);
* optionally ``non_mano_artifact_sets:`` with indented set names and ``Source`` lines;
* one block per artifact: ``Source`` (a relative path or a URI), ``Algorithm`` (SHA-224,
  SHA-256, SHA-384 or SHA-512, with or without the dash, in any case), ``Hash`` (hex) and,
  from SOL004 v2.6.1, an optional ``Signature`` / ``Certificate`` for the artifact;
* optionally, last, the CMS signature of everything above it (``-----BEGIN CMS-----`` ...
  ``-----END CMS-----``, security option 1).

Parsing never raises: what is wrong is collected as :class:`ManifestProblem` with its line, and
:mod:`netorch.tosca.sol004` turns them into diagnostics.  Files are hashed in chunks so
multi-gigabyte images never sit in memory.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

_ALGORITHMS = {"sha224": "sha224", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}
_DIGEST_HEX_LENGTHS = {"sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}
_DISPLAY = {"sha224": "SHA-224", "sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512"}
_CHUNK = 1024 * 1024

ARTIFACT_KEYS = ("Source", "Algorithm", "Hash")
OPTIONAL_ARTIFACT_KEYS = ("Signature", "Certificate")
SIGNATURE_LABELS = ("CMS", "PKCS7")
"""PEM labels accepted for the manifest's signature block (RFC 7468 §9 uses ``CMS``; OpenSSL
and the ``cryptography`` library write ``PKCS7``)."""

_BEGIN = re.compile(r"^-----BEGIN ([A-Z0-9 ]+)-----\s*$")
_END = re.compile(r"^-----END ([A-Z0-9 ]+)-----\s*$")


def hashlib_name(algorithm: str) -> str:
    """``SHA-256`` / ``sha256`` / ``Sha-256`` -> ``sha256``; ValueError when unsupported."""
    key = algorithm.strip().lower().replace("-", "").replace("_", "")
    if key not in _ALGORITHMS:
        raise ValueError(f"unsupported manifest algorithm {algorithm!r} "
                         "(expected SHA-224, SHA-256, SHA-384 or SHA-512)")
    return _ALGORITHMS[key]


def display_name(algorithm: str) -> str:
    """``sha256`` -> ``SHA-256``."""
    return _DISPLAY[hashlib_name(algorithm)]


def digest_hex_length(algorithm: str) -> int:
    """How many hex digits a digest of ``algorithm`` has."""
    return _DIGEST_HEX_LENGTHS[hashlib_name(algorithm)]


def algorithm_for_length(hex_digits: int) -> str | None:
    """The one supported algorithm whose digests have ``hex_digits`` hex digits, if any."""
    return next((name for name, n in _DIGEST_HEX_LENGTHS.items() if n == hex_digits), None)


def compute_digest(path: Path, algorithm: str) -> str:
    """The lowercase hex digest of the file at ``path`` with a manifest ``algorithm``."""
    digest = hashlib.new(hashlib_name(algorithm))
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One artifact block."""

    source: str
    algorithm: str | None
    hash: str | None
    line: int
    """Line of the ``Source`` key (or of the block's first line when Source is missing)."""
    signature: str | None = None
    certificate: str | None = None
    key_lines: dict[str, int] = field(default_factory=dict)
    """Line of each key present in the block."""

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


@dataclass(frozen=True, slots=True)
class ManifestProblem:
    code: str
    message: str
    line: int | None


@dataclass(slots=True)
class Manifest:
    metadata: dict[str, str] = field(default_factory=dict)
    metadata_lines: dict[str, int] = field(default_factory=dict)
    metadata_line: int | None = None
    """Line of ``metadata:``; None when the manifest has no metadata block."""
    metadata_first: bool = True
    """Whether the metadata block is the first block, as SOL004 requires."""
    entries: list[ManifestEntry] = field(default_factory=list)
    """Artifact blocks; an entry whose ``source`` is empty lacks the Source key."""
    non_mano_sets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    """``non_mano_artifact_sets``: set name -> [(Source, line)]."""
    signature_pem: str | None = None
    """The CMS signature block, PEM armour included."""
    signature_line: int | None = None
    unsigned_text: str = ""
    """Everything before the signature block (all of the text when there is none)."""
    problems: list[ManifestProblem] = field(default_factory=list)


def parse_manifest(text: str) -> Manifest:
    """Parse a manifest; never raises (see the module docstring for the grammar)."""
    result = Manifest()
    lines = text.splitlines(keepends=True)
    body_end = len(lines)
    for index, raw in enumerate(lines):
        begin = _BEGIN.match(raw.strip())
        if begin:
            body_end = index
            _signature_block(lines, index, begin.group(1), result)
            break
    result.unsigned_text = "".join(lines[:body_end])
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for index in range(body_end):
        raw = lines[index].rstrip("\r\n")
        if not raw.strip():
            if current:
                blocks.append(current)
                current = []
            continue
        if raw.lstrip().startswith("#"):
            continue
        current.append((index + 1, raw))
    if current:
        blocks.append(current)
    blocks = _join_non_mano(blocks)
    for position, block in enumerate(blocks):
        _block(block, position, result)
    if not blocks and result.signature_pem is None:
        result.problems.append(ManifestProblem("sol004.manifest_invalid",
                                               "the manifest is empty", None))
    return result


def _signature_block(lines: list[str], start: int, label: str, result: Manifest) -> None:
    result.signature_line = start + 1
    if label not in SIGNATURE_LABELS:
        result.problems.append(ManifestProblem(
            "sol004.manifest_invalid",
            f"'-----BEGIN {label}-----' is not a signature block (expected "
            "'-----BEGIN CMS-----')", start + 1))
        return
    for index in range(start + 1, len(lines)):
        end = _END.match(lines[index].strip())
        if end is None:
            continue
        if end.group(1) != label:
            break
        result.signature_pem = "".join(lines[start:index + 1])
        trailing = next((n + 1 for n in range(index + 1, len(lines)) if lines[n].strip()), None)
        if trailing is not None:
            result.problems.append(ManifestProblem(
                "sol004.manifest_invalid",
                "text follows the signature block; the CMS signature must be the last thing in "
                "the manifest", trailing))
        return
    result.problems.append(ManifestProblem(
        "sol004.manifest_invalid", f"the signature block has no '-----END {label}-----' line",
        start + 1))


def _join_non_mano(blocks: list[list[tuple[int, str]]]) -> list[list[tuple[int, str]]]:
    """Glue indented continuation blocks onto a preceding ``non_mano_artifact_sets`` block."""
    joined: list[list[tuple[int, str]]] = []
    for block in blocks:
        if joined and joined[-1][0][1].strip().rstrip(":").strip() == "non_mano_artifact_sets" \
                and block[0][1][:1] in (" ", "\t"):
            joined[-1].extend(block)
        else:
            joined.append(list(block))
    return joined


def _split(raw: str) -> tuple[str, str] | None:
    key, sep, value = raw.strip().partition(":")
    if not sep or not key.strip():
        return None
    return key.strip(), value.strip()


def _block(block: list[tuple[int, str]], position: int, result: Manifest) -> None:
    first_line, first = block[0]
    head = _split(first)
    if head is None:
        result.problems.append(ManifestProblem(
            "sol004.manifest_invalid", f"expected 'key: value', found {first.strip()!r}",
            first_line))
        return
    key, value = head
    if key == "metadata" and not value:
        _metadata(block, position, result)
    elif key == "non_mano_artifact_sets" and not value:
        _non_mano(block, result)
    elif key in ARTIFACT_KEYS or key in OPTIONAL_ARTIFACT_KEYS:
        _artifacts(block, result)
    else:
        result.problems.append(ManifestProblem(
            "sol004.manifest_unknown_key",
            f"unknown manifest block starting with {key!r} (expected metadata, "
            "non_mano_artifact_sets or an artifact block starting with Source)", first_line))


def _pairs(lines: list[tuple[int, str]], result: Manifest) -> Iterator[tuple[int, str, str]]:
    """``(line, key, value)`` for each ``key: value`` line; any other line is a problem."""
    for number, raw in lines:
        pair = _split(raw)
        if pair is None:
            result.problems.append(ManifestProblem(
                "sol004.manifest_invalid", f"expected 'key: value', found {raw.strip()!r}",
                number))
            continue
        yield number, pair[0], pair[1]


def _metadata(block: list[tuple[int, str]], position: int, result: Manifest) -> None:
    if result.metadata_line is not None:
        result.problems.append(ManifestProblem(
            "sol004.manifest_invalid", "a second metadata block", block[0][0]))
        return
    result.metadata_line = block[0][0]
    result.metadata_first = position == 0
    for number, key, value in _pairs(block[1:], result):
        if key in result.metadata:
            result.problems.append(ManifestProblem(
                "sol004.manifest_invalid", f"metadata key {key!r} appears twice", number))
            continue
        result.metadata[key] = value
        result.metadata_lines[key] = number


def _non_mano(block: list[tuple[int, str]], result: Manifest) -> None:
    current: str | None = None
    for number, key, value in _pairs(block[1:], result):
        if not value:
            current = key
            result.non_mano_sets.setdefault(key, [])
        elif key == "Source" and current is not None:
            result.non_mano_sets[current].append((value, number))
        else:
            result.problems.append(ManifestProblem(
                "sol004.manifest_invalid",
                f"unexpected {key!r} in non_mano_artifact_sets (expected a set name, then "
                "Source lines)", number))


def _artifacts(block: list[tuple[int, str]], result: Manifest) -> None:
    fields_: dict[str, str] = {}
    lines: dict[str, int] = {}

    def flush() -> None:
        if not lines:
            return
        start = lines.get("Source", min(lines.values()))
        result.entries.append(ManifestEntry(
            fields_.get("Source", ""), fields_.get("Algorithm"), fields_.get("Hash"), start,
            fields_.get("Signature"), fields_.get("Certificate"), dict(lines)))

    for number, key, value in _pairs(block, result):
        if key == "Source" and "Source" in lines:
            # a new artifact without the blank line that should separate it: tolerated
            flush()
            fields_, lines = {}, {}
        if key in lines:
            result.problems.append(ManifestProblem(
                "sol004.manifest_invalid", f"{key!r} appears twice in one artifact block",
                number))
            continue
        if key not in ARTIFACT_KEYS and key not in OPTIONAL_ARTIFACT_KEYS:
            result.problems.append(ManifestProblem(
                "sol004.manifest_unknown_key", f"unknown artifact key {key!r} (ignored)",
                number))
            continue
        fields_[key] = value
        lines[key] = number
    flush()


def read_manifest_entries(text: str) -> tuple[dict[str, str], list[ManifestEntry]]:
    """The metadata block and the artifact blocks that have a ``Source`` (the CMS block is
    skipped)."""
    manifest = parse_manifest(text)
    return manifest.metadata, [e for e in manifest.entries if e.source]
