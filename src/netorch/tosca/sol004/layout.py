"""Where a package's manifest, certificate, change log and licenses are, for both CSAR layouts
(ETSI GS NFV-SOL 004 §4.1, §4.2; SPEC-NOTES §4.1), with a diagnostic for each broken reference.

* With ``TOSCA-Metadata/TOSCA.meta``: the ``ETSI-Entry-*`` keys (or their SOL004 v2.4.1 names
  without ``ETSI-``) name the files; every file named must exist.  The mandatory TOSCA keys
  (``TOSCA-Meta-File-Version``, ``CSAR-Version``, ``Created-By``) and, once a package uses any
  ETSI key, the mandatory ETSI ones (``ETSI-Entry-Manifest``, ``-Change-Log``, ``-Licenses``) are
  checked; their absence is a warning (an error under a strict policy), because Tacker and the
  OASIS examples omit them.
* Without it: the manifest is ``<entry base name>.mf`` at the root (any other root ``.mf`` is an
  error, as Tacker does), the certificate ``<entry base name>.cert``, the change log
  ``ChangeLog.txt``.

The package certificate (security option 1) is ``ETSI-Entry-Certificate`` or, at the root,
``<manifest base name>.cert``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from netorch.tosca.sol004.meta import (
    CSAR_VERSIONS,
    MANDATORY_ETSI_KEYS,
    MANDATORY_TOSCA_KEYS,
    META_FILE_VERSIONS,
    ToscaMeta,
    missing,
    parse_tosca_meta,
)
from netorch.tosca.sol004.paths import OutsidePackage, resolve_member
from netorch.tosca.sol004.report import Report

if TYPE_CHECKING:
    from netorch.tosca.csar import Source

META_FILE = "TOSCA-Metadata/TOSCA.meta"
CHANGE_LOG = "ChangeLog.txt"


@dataclass(slots=True)
class Layout:
    meta: ToscaMeta | None = None
    meta_display: str | None = None
    manifest: Path | None = None
    """The manifest to verify (it exists)."""
    certificate: Path | None = None
    """The package certificate file (it exists)."""
    exempt: set[Path] = field(default_factory=set)
    """Files the manifest need not list (itself, the certificate)."""


def resolve_layout(source: Source, report: Report) -> Layout:
    assert source.root is not None
    root = source.root
    meta_path = root / META_FILE
    if meta_path.is_file():
        return _with_meta(source, meta_path, report)
    return _without_meta(source, report)


def _named(source: Source, meta: ToscaMeta, key: str, display: str, report: Report,
           kind: str) -> Path | None:
    """The existing path a TOSCA.meta key names; a diagnostic when it names nothing."""
    assert source.root is not None
    entry = meta.get(key)
    if entry is None:
        return None
    if not entry.value:
        report.error("sol004.meta_invalid", f"{entry.key} has no value", display, entry.line)
        return None
    try:
        path = resolve_member(source.root, entry.value)
    except OutsidePackage as exc:
        report.error(exc.code, f"{entry.key} {entry.value!r} is not a path inside the "
                               f"package: it is {exc.reason}", display, entry.line)
        return None
    if not (path.is_file() if kind == "file" else path.exists()):
        report.error("sol004.meta_file_missing",
                     f"{entry.key} names {entry.value!r}, which does not exist in the package",
                     display, entry.line)
        return None
    return path


def _with_meta(source: Source, meta_path: Path, report: Report) -> Layout:
    assert source.root is not None
    display = source.display(meta_path)
    try:
        meta = parse_tosca_meta(meta_path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        report.error("sol004.meta_invalid", f"cannot read TOSCA.meta: {exc}", display)
        return Layout(meta_display=display)
    layout = Layout(meta, display)
    for line, text in meta.malformed:
        report.error("sol004.meta_invalid", f"expected 'Key: value', found {text!r}", display,
                     line)
    package_line = meta.package.line or None
    for key in missing(meta, MANDATORY_TOSCA_KEYS):
        report.lenient("sol004.meta_missing_key",
                       f"TOSCA.meta lacks the mandatory key {key} (TOSCA 1.3 §4.2.1.1)", display,
                       package_line)
    _check_version(meta, "TOSCA-Meta-File-Version", META_FILE_VERSIONS, display, report)
    _check_version(meta, "CSAR-Version", CSAR_VERSIONS, display, report)
    if meta.is_etsi() or report.policy.strict:
        for key in missing(meta, MANDATORY_ETSI_KEYS):
            report.lenient("sol004.meta_missing_key",
                           f"TOSCA.meta lacks {key}, mandatory for SOL004 v2.6.1+ packages",
                           display, package_line)
    manifest = _named(source, meta, "ETSI-Entry-Manifest", display, report, "file")
    named = meta.get("ETSI-Entry-Manifest")
    if named is not None and not named.value.lower().endswith(".mf"):
        report.error("sol004.manifest_invalid",
                     f"{named.key} names {named.value!r}, which is not a manifest: a SOL004 "
                     "manifest has the .mf extension", display, named.line)
        manifest = None
    layout.manifest = manifest
    _named(source, meta, "ETSI-Entry-Change-Log", display, report, "file")
    _named(source, meta, "ETSI-Entry-Licenses", display, report, "any")
    _named(source, meta, "ETSI-Entry-Tests", display, report, "any")
    certificate = _named(source, meta, "ETSI-Entry-Certificate", display, report, "file")
    root_cert = source.root / f"{manifest.stem}.cert" if manifest is not None else None
    if root_cert is not None and root_cert.is_file() and root_cert.parent == source.root:
        if certificate is not None and certificate.resolve() != root_cert.resolve():
            report.lenient("sol004.certificate_conflict",
                           f"the package certificate is given twice: by ETSI-Entry-Certificate "
                           f"and as {root_cert.name} at the root (SOL004 allows one place)",
                           display, package_line)
        certificate = certificate or root_cert
    layout.certificate = certificate
    if named is None:
        stray = sorted(p.name for p in source.root.glob("*.mf") if p.is_file())
        if stray:
            report.lenient("sol004.manifest_unreferenced",
                           f"{', '.join(stray)} at the package root is not named by "
                           "ETSI-Entry-Manifest, so it is not verified", display, package_line)
    layout.exempt = {p for p in (manifest, certificate) if p is not None}
    return layout


def _check_version(meta: ToscaMeta, key: str, known: tuple[str, ...], display: str,
                   report: Report) -> None:
    entry = meta.get(key)
    if entry is not None and entry.value not in known:
        report.lenient("sol004.meta_invalid",
                       f"{entry.key} {entry.value!r} is not a known version "
                       f"({', '.join(known)})", display, entry.line)


def _without_meta(source: Source, report: Report) -> Layout:
    assert source.root is not None
    root = source.root
    stem = source.entry.stem
    layout = Layout()
    expected = root / f"{stem}.mf"
    for other in sorted(root.glob("*.mf")):
        if other.is_file() and other.name != expected.name:
            report.error("sol004.manifest_invalid",
                         f"the manifest of a package without TOSCA-Metadata must be named "
                         f"{expected.name} after its entry definitions, found {other.name} "
                         "(SOL004 §4.1)", source.display(other))
    if expected.is_file():
        layout.manifest = expected
        if not (root / CHANGE_LOG).is_file():
            report.lenient("sol004.meta_file_missing",
                           f"a package without TOSCA-Metadata carries its change log as "
                           f"{CHANGE_LOG} at the root; there is none", source.display(expected))
    cert = root / f"{stem}.cert"
    if cert.is_file():
        layout.certificate = cert
    layout.exempt = {p for p in (layout.manifest, layout.certificate) if p is not None}
    return layout
