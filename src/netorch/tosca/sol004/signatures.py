"""Package signatures (ETSI GS NFV-SOL 004 §5; SPEC-NOTES §4.3, onboarding checks 2 and 6).

* **Option 1**, signed manifest: the CMS block at the end of the manifest signs the manifest
  text before it.  The signed text is taken as SOL004 tools write it (the text before the block,
  trailing blanks stripped, one final newline — ONAP's ``save_to_temp_without_cms``), exactly
  as it stands before the block, or in the CRLF form S/MIME signers produce when not told the
  text is binary (``openssl cms -sign`` without ``-binary``); the candidates differ only in
  trailing whitespace and line endings.  The
  signer's certificate comes from the CMS, from ``ETSI-Entry-Certificate`` or from
  ``<manifest>.cert`` at the root.
* **Per-artifact signatures**: an artifact block's ``Signature`` (a detached CMS over the
  artifact, PEM or DER) with its ``Certificate`` — or, without one, the certificates of the
  signature itself, of the package and of the manifest's CMS.  A ``<artifact>.sig.cms`` beside
  the artifact counts as its ``Signature``.
* **Option 2**, signed CSAR: ``<name>.cms`` is a detached CMS over the bytes of
  ``<name>.csar``, with the certificate inside it or in ``<name>.cert``.

Codes: ``sol004.signature_invalid`` (unreadable, or the signed data changed after signing),
``sol004.certificate_missing``, ``sol004.untrusted_certificate``,
``sol004.certificate_expired`` (or not yet valid), ``sol004.signature_missing`` (the policy
requires a package signature and there is none), ``sol004.trust_anchor_invalid``.  Signer
problems are errors when the policy enforces trust (anchors configured or a signature required)
and warnings otherwise; a signature that does not match is always an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

from netorch.tosca.manifest import Manifest
from netorch.tosca.sol004 import cms, trust
from netorch.tosca.sol004.limits import read_limited
from netorch.tosca.sol004.paths import OutsidePackage, is_uri, resolve_member
from netorch.tosca.sol004.report import Report

if TYPE_CHECKING:
    from netorch.tosca.csar import Source
    from netorch.tosca.sol004.layout import Layout


@dataclass(slots=True)
class _Anchors:
    report: Report
    loaded: list[x509.Certificate] | None = None

    def get(self) -> list[x509.Certificate]:
        if self.loaded is None:
            self.loaded, problems = trust.load_anchor_files(self.report.policy.trust_anchors)
            for problem in problems:
                self.report.error("sol004.trust_anchor_invalid", problem)
        return self.loaded


@dataclass(slots=True)
class _Where:
    what: str
    """What was signed, for messages: "the manifest", "artifact Files/x"."""
    file: str
    line: int | None = None


@dataclass(slots=True)
class SignatureCheck:
    source: Source
    layout: Layout
    report: Report
    anchors: _Anchors = field(init=False)
    package_certificates: list[x509.Certificate] = field(default_factory=list)
    manifest_certificates: list[x509.Certificate] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.anchors = _Anchors(self.report)

    def run(self, manifest: Manifest | None) -> None:
        package_signed = False
        if self.layout.certificate is not None:
            self.package_certificates = self._certificates(self.layout.certificate)
        if self.source.signed_archive is not None:
            package_signed = True
            self._option2()
        if manifest is not None and manifest.signature_pem is not None:
            package_signed = True
            self._manifest(manifest)
        if manifest is not None:
            self._artifacts(manifest)
        if self.report.policy.require_signature and not package_signed:
            self.report.error("sol004.signature_missing",
                              "the package is not signed (no CMS signature in the manifest, no "
                              "signed CSAR) and the policy requires a signature (SOL004 §5)",
                              self._manifest_display())

    def _manifest_display(self) -> str:
        if self.layout.manifest is not None:
            return self.source.display(self.layout.manifest)
        return self.source.label

    def _certificates(self, path: Path) -> list[x509.Certificate]:
        try:
            return trust.load_certificates(_read_small(path, trust.MAX_CERTIFICATE_FILE_BYTES))
        except (OSError, ValueError) as exc:
            self.report.error("sol004.certificate_invalid",
                              f"cannot read the certificate: {exc}", self.source.display(path))
            return []

    def _option2(self) -> None:
        signed = self.source.signed_archive
        assert signed is not None
        extra = self._certificates(signed.certificate) if signed.certificate else []
        where = _Where(f"the signed CSAR {signed.csar.name}", signed.display_cms)
        try:
            data = _read_small(signed.cms, cms.MAX_SIGNATURE_BYTES)
        except (OSError, ValueError) as exc:
            self.report.error("sol004.signature_invalid", f"cannot read the signature: {exc}",
                              where.file)
            return
        self._verify(data, [signed.csar], extra, where)

    def _manifest(self, manifest: Manifest) -> None:
        assert manifest.signature_pem is not None
        display = self._manifest_display()
        body = manifest.unsigned_text
        canonical = body.replace("\r\n", "\n").rstrip(" \t\r\n") + "\n"
        candidates: list[bytes | Path] = []
        for text in (canonical, body, canonical.replace("\n", "\r\n")):
            data = text.encode("utf-8")
            if data not in candidates:
                candidates.append(data)
        where = _Where("the manifest", display, manifest.signature_line)
        signed = self._verify(manifest.signature_pem.encode("ascii", "replace"), candidates,
                              self.package_certificates, where)
        if signed is not None:
            self.manifest_certificates = list(signed.certificates)
            if signed.certificates and self.layout.certificate is not None:
                self.report.lenient("sol004.certificate_conflict",
                                    "the signing certificate is both inside the CMS signature "
                                    f"and in {self.layout.certificate.name}; SOL004 allows one "
                                    "place", display, manifest.signature_line)

    def _artifacts(self, manifest: Manifest) -> None:
        assert self.source.root is not None
        root = self.source.root
        display = self._manifest_display()
        for entry in manifest.entries:
            if not entry.source or is_uri(entry.source):
                continue
            try:
                artifact = resolve_member(root, entry.source)
            except OutsidePackage:
                continue  # reported by the digest check
            signature_name = entry.signature
            if signature_name is None:
                beside = Path(f"{artifact}.sig.cms")
                if not beside.is_file():
                    continue
                signature_name = f"{entry.source}.sig.cms"
            line = entry.line_of("Signature")
            try:
                signature = resolve_member(root, signature_name)
            except OutsidePackage as exc:
                self.report.error(exc.code, f"Signature {signature_name!r} is not a path "
                                            f"inside the package: it is {exc.reason}",
                                  display, line)
                continue
            if not signature.is_file():
                self.report.error("sol004.source_missing",
                                  f"the Signature file {signature_name!r} of {entry.source} "
                                  "does not exist in the package", display, line)
                continue
            if not artifact.is_file():
                continue  # reported by the digest check
            certificates = self._entry_certificates(entry.certificate, display,
                                                    entry.line_of("Certificate"))
            try:
                data = _read_small(signature, cms.MAX_SIGNATURE_BYTES)
            except (OSError, ValueError) as exc:
                self.report.error("sol004.signature_invalid",
                                  f"cannot read the signature of {entry.source}: {exc}",
                                  display, line)
                continue
            self._verify(data, [artifact], certificates,
                         _Where(f"artifact {entry.source}", display, line))

    def _entry_certificates(self, name: str | None, display: str, line: int
                            ) -> list[x509.Certificate]:
        fallback = [*self.package_certificates, *self.manifest_certificates]
        if not name:
            return fallback
        assert self.source.root is not None
        try:
            path = resolve_member(self.source.root, name)
        except OutsidePackage as exc:
            self.report.error(exc.code, f"Certificate {name!r} is not a path inside the "
                                        f"package: it is {exc.reason}", display, line)
            return fallback
        if not path.is_file():
            self.report.error("sol004.source_missing",
                              f"the Certificate file {name!r} does not exist in the package",
                              display, line)
            return fallback
        return self._certificates(path)

    def _verify(self, signature: bytes, contents: list[bytes | Path],
                certificates: list[x509.Certificate], where: _Where) -> cms.SignedData | None:
        """Check a CMS signature over the first of ``contents`` it matches; report problems."""
        report = self.report
        try:
            signed = cms.parse(signature)
        except cms.CmsError as exc:
            report.error("sol004.signature_invalid",
                         f"the signature of {where.what} cannot be read: {exc}", where.file,
                         where.line)
            return None
        if signed.content is not None:
            attached = signed.content
            if not any(isinstance(c, bytes) and c == attached for c in contents) and \
                    not any(isinstance(c, Path) and _same_file_content(c, attached)
                            for c in contents):
                report.error("sol004.signature_invalid",
                             f"the signature of {where.what} carries other content than "
                             f"{where.what}", where.file, where.line)
                return signed
            contents = [attached]
        pool = [*signed.certificates, *certificates]
        for signer in signed.signers:
            cert = cms.find_signer_certificate(signer, pool)
            if cert is None:
                report.error("sol004.certificate_missing",
                             f"the certificate of the signer of {where.what} "
                             f"({signer.describe()}) is neither in the signature nor in the "
                             "package", where.file, where.line)
                continue
            problem = _check_contents(signed, signer, cert, contents)
            if problem is not None:
                report.error("sol004.signature_invalid", f"{where.what}: {problem}",
                             where.file, where.line)
                continue
            others = [c for c in pool if c != cert]
            try:
                path_problem = trust.check_signer(cert, others, self.anchors.get(),
                                                  report.policy.at())
            except (ValueError, UnsupportedAlgorithm) as exc:
                path_problem = trust.PathProblem(
                    "sol004.untrusted_certificate",
                    f"a certificate of the signer's chain is malformed: {exc}")
            if path_problem is not None:
                report.trust(path_problem.code, f"{where.what}: {path_problem.message}",
                             where.file, where.line)
        return signed


def _check_contents(signed: cms.SignedData, signer: cms.SignerInfo, cert: x509.Certificate,
                    contents: list[bytes | Path]) -> str | None:
    """None when the signature matches one of ``contents``, else why not."""
    for content in contents:
        try:
            cms.verify_signer(signed, signer, cert, content)
        except InvalidSignature:
            continue
        except cms.CmsError as exc:
            return f"the signature cannot be verified: {exc}"
        except OSError as exc:
            return f"cannot read the signed file: {exc}"
        return None
    return ("the signature does not match: the signed data was changed after signing, or it "
            f"was signed with another key than that of '{cert.subject.rfc4514_string()}'")


def _read_small(path: Path, limit: int) -> bytes:
    """A signature or certificate file; ValueError when it is implausibly large."""
    data = read_limited(path, limit)
    if data is None:
        raise ValueError(f"the file is larger than {limit} bytes")
    return data


def _same_file_content(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def check_signatures(source: Source, layout: Layout, manifest: Manifest | None,
                     report: Report) -> None:
    SignatureCheck(source, layout, report).run(manifest)
