"""Manifest checks: metadata, every digest, the non-MANO sets, and files left unlisted
(ETSI GS NFV-SOL 004 §4.3.2; SPEC-NOTES §4.2 and §4.3 "NFVO onboarding checks" 4 and 5).

Severities:

* errors, always: a malformed manifest (``sol004.manifest_invalid``), an artifact block without
  Source / Algorithm / Hash (``sol004.manifest_missing_key``), an unsupported algorithm
  (``sol004.unknown_algorithm``), a digest that does not match or is not a digest of the named
  algorithm (``sol004.digest_mismatch``), a Source that does not exist
  (``sol004.source_missing``) or is not inside the package;
* warnings, errors under a strict policy (what SOL004 requires but Tacker accepts): a missing or
  incomplete metadata block (``sol004.manifest_metadata``), files the manifest does not list
  (``sol004.file_not_listed`` — SOL004 wants every file listed; Tacker does not care), a
  software image listed but absent (Tacker never hashes images; packages are often shipped
  without them and the image supplied later), external (URI) artifacts, which are not fetched
  (``sol004.external_artifact``), a block whose Algorithm is missing but whose digest length
  names one algorithm that matches the file;
* Tacker-style ``Algorithm`` / ``Hash`` lines in TOSCA.meta per-file blocks are verified the same
  way, except that a well-formed digest that does not match is a warning (error when strict):
  they are not part of SOL004 (which says to prefer the manifest), are never signed, and real
  Tacker samples carry stale ones.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from netorch.tosca.manifest import (
    Manifest,
    algorithm_for_length,
    compute_digest,
    digest_hex_length,
    display_name,
    hashlib_name,
)
from netorch.tosca.sol004.meta import ToscaMeta
from netorch.tosca.sol004.paths import OutsidePackage, is_uri, normalize, resolve_member
from netorch.tosca.sol004.report import Report

IMAGE_SUFFIXES = frozenset({
    "qcow2", "raw", "vhd", "vhdx", "vmdk", "vdi", "iso", "ploop", "img", "aki", "ari", "ami",
})
"""SOL001 ``sw_image_data`` disk formats (and ``img``), as Tacker recognises images."""

METADATA_KEYS = {
    "VNF": (("vnf_provider_id",), ("vnf_product_name",),
            ("vnf_release_date_time", "vnf_release_data_time"), ("vnf_package_version",)),
    "PNFD": (("pnfd_provider",), ("pnfd_name",), ("pnfd_release_date_time",),
             ("pnfd_archive_version",)),
    "NSD": (("nsd_designer",), ("nsd_invariant_id",), ("nsd_name",),
            ("nsd_release_date_time",), ("nsd_file_structure_version",)),
}
"""Mandatory metadata per archive kind (SOL004 §4.3.2, SOL007 for NSDs; ``vnf_release_data_time``
is the misspelling old tools write)."""

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")

Display = Callable[[Path], str]


@dataclass(frozen=True, slots=True)
class DigestClaim:
    """A file, and the digest a manifest block or a TOSCA.meta block claims for it."""

    source: str | None
    algorithm: str | None
    hash: str | None
    line: int
    origin: str
    """The claiming file, as shown in diagnostics."""
    source_key: str = "Source"
    legacy: bool = False
    """From a TOSCA.meta per-file block rather than the manifest."""
    key_lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


def check_metadata(manifest: Manifest, origin: str, report: Report) -> None:
    if manifest.metadata_line is None:
        report.lenient("sol004.manifest_metadata",
                       "the manifest has no metadata block (SOL004 §4.3.2 requires one, "
                       "first)", origin, 1)
        return
    if not manifest.metadata_first:
        report.lenient("sol004.manifest_metadata",
                       "the metadata block must be the first block of the manifest", origin,
                       manifest.metadata_line)
    keys = manifest.metadata
    kind = "NSD" if any(k.startswith("nsd_") for k in keys) else \
        "PNFD" if any(k.startswith("pnfd_") for k in keys) else "VNF"
    for alternatives in METADATA_KEYS[kind]:
        present = next((k for k in alternatives if k in keys), None)
        if present is None:
            report.lenient("sol004.manifest_metadata",
                           f"the {kind} manifest metadata lacks {alternatives[0]}", origin,
                           manifest.metadata_line)
            continue
        if present.endswith(("_date_time", "_data_time")) and not _is_rfc3339(keys[present]):
            report.lenient("sol004.manifest_metadata",
                           f"{present} {keys[present]!r} is not an RFC 3339 date-time",
                           origin, manifest.metadata_lines.get(present))


def _is_rfc3339(value: str) -> bool:
    if not _RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace(" ", "T").replace("t", "T").replace("z", "Z"))
    except ValueError:
        return False
    return True


def manifest_claims(manifest: Manifest, origin: str) -> list[DigestClaim]:
    return [DigestClaim(e.source or None, e.algorithm, e.hash, e.line, origin,
                        key_lines=e.key_lines) for e in manifest.entries]


def meta_claims(meta: ToscaMeta, origin: str) -> list[DigestClaim]:
    """TOSCA.meta per-file blocks that state a digest (``Algorithm`` or ``Hash``); blocks with
    only ``Name`` / ``Content-Type`` (TOSCA 1.0 style) claim nothing."""
    claims: list[DigestClaim] = []
    for block in meta.file_blocks:
        algorithm, digest, name = block.get("Algorithm"), block.get("Hash"), block.get("Name")
        if algorithm is None and digest is None:
            continue
        lines = {ml.key: ml.line for ml in block.lines}
        claims.append(DigestClaim(
            name.value if name is not None else None,
            algorithm.value if algorithm is not None else None,
            digest.value if digest is not None else None,
            name.line if name is not None else block.line, origin, "Name", True,
            {"Source": lines.get(name.key, block.line) if name else block.line,
             "Algorithm": algorithm.line if algorithm else block.line,
             "Hash": digest.line if digest else block.line}))
    return claims


def check_claim(claim: DigestClaim, root: Path, display: Display, report: Report) -> None:
    """Verify one claimed digest (see the module docstring for severities)."""
    origin = claim.origin
    if not claim.source:
        report.error("sol004.manifest_missing_key",
                     f"an artifact block lacks the {claim.source_key} key", origin, claim.line)
        return
    name = claim.source
    if is_uri(name):
        report.lenient("sol004.external_artifact",
                       f"{name} is an external artifact; it is not fetched, so its digest is "
                       "not verified", origin, claim.line)
        return
    try:
        path = resolve_member(root, name)
    except OutsidePackage as exc:
        report.error(exc.code, f"{claim.source_key} {name!r} is not a path inside the package: "
                               f"it is {exc.reason}", origin, claim.line)
        return
    exists = path.is_file()
    if path.is_dir():
        report.error("sol004.source_invalid",
                     f"{claim.source_key} {name!r} is a directory, not a file", origin,
                     claim.line)
        return
    algorithm, digest = (claim.algorithm or "").strip(), (claim.hash or "").strip()
    if not digest:
        report.error("sol004.manifest_missing_key",
                     f"the artifact block for {name} lacks the Hash key", origin, claim.line)
        _missing(claim, name, path, exists, report)
        return
    if not algorithm:
        _without_algorithm(claim, name, path, digest, exists, report)
        return
    try:
        hashlib_name(algorithm)
    except ValueError:
        report.error("sol004.unknown_algorithm",
                     f"the algorithm {algorithm!r} of {name} is not supported (SHA-224, "
                     "SHA-256, SHA-384 or SHA-512)", origin, claim.line_of("Algorithm"))
        _missing(claim, name, path, exists, report)
        return
    if not exists:
        _missing(claim, name, path, exists, report)
        return
    _compare(claim, name, path, algorithm, digest, report)


def _missing(claim: DigestClaim, name: str, path: Path, exists: bool, report: Report) -> None:
    if exists:
        return
    if path.suffix.lower().lstrip(".") in IMAGE_SUFFIXES:
        report.lenient("sol004.source_missing",
                       f"the software image {name} is listed but not in the package; its "
                       "digest cannot be verified", claim.origin, claim.line)
    else:
        report.error("sol004.source_missing",
                     f"{claim.source_key} {name!r} does not exist in the package",
                     claim.origin, claim.line)


def _without_algorithm(claim: DigestClaim, name: str, path: Path, digest: str, exists: bool,
                       report: Report) -> None:
    guessed = algorithm_for_length(len(digest)) if _HEX.match(digest) else None
    if guessed is not None and exists and compute_digest(path, guessed) == digest.lower():
        report.lenient("sol004.manifest_missing_key",
                       f"the artifact block for {name} lacks the Algorithm key; its Hash "
                       f"matches the file as {display_name(guessed)}", claim.origin,
                       claim.line)
        return
    report.error("sol004.manifest_missing_key",
                 f"the artifact block for {name} lacks the Algorithm key", claim.origin,
                 claim.line)
    _missing(claim, name, path, exists, report)


def _compare(claim: DigestClaim, name: str, path: Path, algorithm: str, digest: str,
             report: Report) -> None:
    shown = display_name(algorithm)
    actual = compute_digest(path, algorithm)
    length = digest_hex_length(algorithm)
    line = claim.line_of("Hash")
    if not _HEX.match(digest) or len(digest) != length:
        report.error("sol004.digest_mismatch",
                     f"{name}: the Hash {digest!r} is not a {shown} digest ({length} hex "
                     f"digits expected, {len(digest)} given); the file's {shown} is {actual}",
                     claim.origin, line)
        return
    if actual == digest.lower():
        return
    message = f"{name}: {shown} digest mismatch: expected {digest.lower()}, actual {actual}"
    if claim.legacy:
        report.lenient("sol004.digest_mismatch",
                       message + " (TOSCA.meta per-file digests are not SOL004; the manifest's "
                       "are authoritative)", claim.origin, line)
    else:
        report.error("sol004.digest_mismatch", message, claim.origin, line)


def check_non_mano(manifest: Manifest, origin: str, report: Report) -> None:
    """Every ``non_mano_artifact_sets`` Source must also be an artifact block (ONAP 0x4008)."""
    listed = {normalize(e.source) for e in manifest.entries if e.source}
    for set_name, sources in manifest.non_mano_sets.items():
        for source, line in sources:
            if normalize(source) not in listed:
                report.error("sol004.manifest_invalid",
                             f"non-MANO artifact {source} (set {set_name}) has no Source block "
                             "with its digest", origin, line)


def package_files(root: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for filename in sorted(filenames):
            yield Path(dirpath) / filename


def check_unlisted(manifest: Manifest, root: Path, exempt: set[Path], origin: str,
                   report: Report, limit: int = 10) -> None:
    """Files of the package the manifest does not list (SOL004 wants all of them listed)."""
    listed = {normalize(e.source) for e in manifest.entries if e.source}
    for entry in manifest.entries:
        for extra in (entry.signature, entry.certificate):
            if extra:
                listed.add(normalize(extra))
        if entry.source:
            listed.add(normalize(entry.source) + ".sig.cms")
    skip = {p.resolve() for p in exempt}
    unlisted = [rel for path in package_files(root)
                if (rel := path.relative_to(root).as_posix()) not in listed
                and path.resolve() not in skip]
    if not unlisted:
        return
    shown = ", ".join(unlisted[:limit]) + (f" and {len(unlisted) - limit} more"
                                           if len(unlisted) > limit else "")
    report.lenient("sol004.file_not_listed",
                   f"{len(unlisted)} file(s) of the package are not listed in the manifest "
                   f"(SOL004 §4.3.2 lists every file): {shown}", origin)
