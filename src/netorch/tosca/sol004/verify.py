"""``verify_package``: the SOL004 checks an NFVO runs on a located package before its
descriptors are read (SPEC-NOTES §4.3 "NFVO onboarding checks" 2-6).

1. layout: TOSCA.meta keys and the files they name, or the layout without TOSCA-Metadata
   (:mod:`~netorch.tosca.sol004.layout`);
2. the manifest: syntax, metadata, every digest, non-MANO sets, unlisted files, plus the
   Tacker-style digests of TOSCA.meta (:mod:`~netorch.tosca.sol004.manifest_check`);
3. signatures: the manifest's CMS, per-artifact signatures, a signed CSAR, against the trust
   anchors of the :class:`~netorch.tosca.sol004.policy.PackagePolicy`
   (:mod:`~netorch.tosca.sol004.signatures`).

The archive itself was already made safe by :func:`netorch.tosca.csar.open_source`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from netorch.model.diagnostics import Diagnostic
from netorch.tosca.manifest import Manifest, parse_manifest
from netorch.tosca.sol004 import manifest_check
from netorch.tosca.sol004.layout import resolve_layout
from netorch.tosca.sol004.limits import read_limited
from netorch.tosca.sol004.policy import PackagePolicy
from netorch.tosca.sol004.report import Report
from netorch.tosca.sol004.signatures import check_signatures

if TYPE_CHECKING:
    from netorch.tosca.csar import Source

log = logging.getLogger(__name__)

MAX_MANIFEST_BYTES = 64 * 1024 * 1024


def verify_package(source: Source, policy: PackagePolicy | None = None) -> list[Diagnostic]:
    """Every SOL004 problem of the package ``source`` locates; [] for a plain template (unless
    the policy requires a signature, which a plain template cannot carry).

    ``policy`` defaults to :meth:`PackagePolicy.from_env`.
    """
    policy = policy or PackagePolicy.from_env()
    report = Report(policy)
    root = source.root
    if root is None:
        if policy.require_signature:
            report.error("sol004.signature_missing",
                         "a plain service template cannot carry a signature, and the policy "
                         "requires signed packages", source.label)
        return report.diagnostics
    layout = resolve_layout(source, report)
    manifest: Manifest | None = None
    if layout.manifest is not None:
        origin = source.display(layout.manifest)
        manifest = _read_manifest(layout.manifest, origin, report)
        if manifest is not None:
            for problem in manifest.problems:
                if problem.code == "sol004.manifest_unknown_key":
                    report.lenient(problem.code, problem.message, origin, problem.line)
                else:
                    report.error(problem.code, problem.message, origin, problem.line)
            manifest_check.check_metadata(manifest, origin, report)
            for claim in manifest_check.manifest_claims(manifest, origin):
                manifest_check.check_claim(claim, root, source.display, report)
            manifest_check.check_non_mano(manifest, origin, report)
            manifest_check.check_unlisted(manifest, root, layout.exempt, origin, report)
    if layout.meta is not None and layout.meta_display is not None:
        for claim in manifest_check.meta_claims(layout.meta, layout.meta_display):
            manifest_check.check_claim(claim, root, source.display, report)
    check_signatures(source, layout, manifest, report)
    log.debug("verified package %s: %d diagnostic(s)", source.label, len(report.diagnostics))
    return report.diagnostics


def _read_manifest(path: Path, origin: str, report: Report) -> Manifest | None:
    try:
        raw = read_limited(path, MAX_MANIFEST_BYTES)
    except OSError as exc:
        report.error("sol004.manifest_invalid", f"cannot read the manifest: {exc.strerror}",
                     origin)
        return None
    if raw is None:
        report.error("sol004.manifest_invalid",
                     f"the manifest is larger than {MAX_MANIFEST_BYTES} bytes", origin)
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.error("sol004.manifest_invalid",
                     f"the manifest is not UTF-8 text (byte {exc.start})", origin)
        return None
    return parse_manifest(text)
