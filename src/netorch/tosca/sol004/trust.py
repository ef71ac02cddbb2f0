"""Trust anchors and certificate paths for package signatures (SPEC-NOTES §4.3, steps 2 and 6:
"check the certificate chain up to a trusted root configured in the NFVO").

The path is built from the signer's certificate through the intermediates the package supplies
(inside the CMS signature, or as certificate files) to one of the configured trust anchors,
checking at each step that the issuer's name matches and its key verifies the signature
(``Certificate.verify_directly_issued_by``), that every issuer is a CA (RFC 5280 §4.2.1.9
basicConstraints, §4.2.1.3 keyCertSign, path length), and that every certificate on the path is
valid at the check time (§4.1.2.5).  Revocation is not checked.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

from netorch.tosca.sol004.limits import read_limited

log = logging.getLogger(__name__)

MAX_PATH_LENGTH = 8
_CERT_SUFFIXES = (".pem", ".crt", ".cer", ".cert", ".der")
MAX_CERTIFICATE_FILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class PathProblem:
    code: str
    """``sol004.untrusted_certificate`` or ``sol004.certificate_expired``."""
    message: str


def describe(cert: x509.Certificate) -> str:
    return f"'{cert.subject.rfc4514_string()}'"


def checked(cert: x509.Certificate) -> x509.Certificate:
    """``cert`` once every field the checks read has parsed; ValueError otherwise.

    ``cryptography`` parses names, extensions and keys lazily, so a malformed certificate would
    otherwise fail half-way through a path check.
    """
    try:
        _ = (cert.subject, cert.issuer, cert.serial_number, cert.not_valid_before_utc,
             cert.not_valid_after_utc, cert.public_key(), list(cert.extensions))
        cert.subject.rfc4514_string()
        cert.issuer.rfc4514_string()
    except (ValueError, KeyError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion) as exc:
        raise ValueError(f"malformed certificate: {exc}") from exc
    return cert


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle, or the one DER certificate; ValueError otherwise."""
    if len(data) > MAX_CERTIFICATE_FILE_BYTES:
        raise ValueError("the certificate file is too large")
    try:
        if b"-----BEGIN" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except x509.InvalidVersion as exc:
        raise ValueError(f"malformed certificate: {exc}") from exc
    if not certs:
        raise ValueError("no certificate in the PEM data")
    return [checked(cert) for cert in certs]


def load_anchor_files(paths: Iterable[Path]) -> tuple[list[x509.Certificate], list[str]]:
    """Certificates from PEM/DER files and directories of them; problems are returned as
    messages (an unreadable anchor file must not be silently ignored)."""
    anchors: list[x509.Certificate] = []
    problems: list[str] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files = sorted(p for p in path.iterdir()
                           if p.is_file() and p.suffix.lower() in _CERT_SUFFIXES)
        elif path.is_file():
            files = [path]
        else:
            problems.append(f"trust anchor path {str(path)!r} does not exist")
            continue
        for file in files:
            try:
                data = read_limited(file, MAX_CERTIFICATE_FILE_BYTES)
                if data is None:
                    raise ValueError("the file is too large")
                anchors.extend(load_certificates(data))
            except (OSError, ValueError) as exc:
                problems.append(f"cannot read trust anchor {str(file)!r}: {exc}")
    return anchors, problems


def _same(a: x509.Certificate, b: x509.Certificate) -> bool:
    """The same certificate, or the same subject and key (a re-issued anchor)."""
    if a == b:
        return True
    try:
        return a.subject == b.subject and a.public_key() == b.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return False


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _may_issue(cert: x509.Certificate, below: int) -> bool:
    """Whether ``cert`` is a CA that may sign a certificate with ``below`` CA certificates
    between it and the leaf (basicConstraints cA and pathLenConstraint, keyUsage)."""
    try:
        basic = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return False
    if not basic.ca or (basic.path_length is not None and below > basic.path_length):
        return False
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return usage.key_cert_sign


def build_path(leaf: x509.Certificate, intermediates: Sequence[x509.Certificate],
               anchors: Sequence[x509.Certificate]) -> list[x509.Certificate] | None:
    """leaf, intermediates..., anchor — or None when no path reaches an anchor."""

    def search(chain: list[x509.Certificate]) -> list[x509.Certificate] | None:
        current = chain[-1]
        if any(_same(current, anchor) for anchor in anchors):
            return chain
        if len(chain) > MAX_PATH_LENGTH:
            return None
        # below the current certificate, this many CA certificates sit between it and the leaf
        below = len(chain) - 1
        for candidate in (*anchors, *intermediates):
            if any(candidate == seen for seen in chain):
                continue
            if not _issued_by(current, candidate):
                continue
            is_anchor = any(_same(candidate, anchor) for anchor in anchors)
            if not is_anchor and not _may_issue(candidate, below):
                continue
            found = search([*chain, candidate])
            if found is not None:
                return found
        return None

    return search([leaf])


def check_signer(leaf: x509.Certificate, intermediates: Sequence[x509.Certificate],
                 anchors: Sequence[x509.Certificate], at: datetime) -> PathProblem | None:
    """None when ``leaf`` chains to an anchor and every certificate on the path is valid at
    ``at``; otherwise what is wrong."""
    if not anchors:
        return PathProblem("sol004.untrusted_certificate",
                           f"the signing certificate {describe(leaf)} cannot be checked: no "
                           "trust anchors are configured (NETORCH_TRUST_ANCHORS)")
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
        if not (usage.digital_signature or usage.content_commitment):
            return PathProblem("sol004.untrusted_certificate",
                               f"the certificate {describe(leaf)} is not allowed to sign "
                               "(keyUsage has neither digitalSignature nor nonRepudiation)")
    except x509.ExtensionNotFound:
        pass
    path = build_path(leaf, intermediates, anchors)
    if path is None:
        return PathProblem("sol004.untrusted_certificate",
                           f"the signing certificate {describe(leaf)} (issued by "
                           f"'{leaf.issuer.rfc4514_string()}') does not chain to a trusted "
                           "anchor")
    for cert in path:
        if at < cert.not_valid_before_utc:
            return PathProblem("sol004.certificate_expired",
                               f"the certificate {describe(cert)} is not valid before "
                               f"{cert.not_valid_before_utc.isoformat()} (checked at "
                               f"{at.isoformat()})")
        if at > cert.not_valid_after_utc:
            return PathProblem("sol004.certificate_expired",
                               f"the certificate {describe(cert)} expired on "
                               f"{cert.not_valid_after_utc.isoformat()} (checked at "
                               f"{at.isoformat()})")
    return None
