"""SOL004 package verification: both CSAR layouts, TOSCA.meta, the manifest and its digests.

Every package is built here, in tmp_path, from a plain TOSCA 1.3 entry so that only the package
checks can fail.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path

import pytest

from netorch.model.diagnostics import Diagnostic, Severity
from netorch.tosca import load
from netorch.tosca.csar import open_source
from netorch.tosca.sol004.policy import PackagePolicy
from netorch.tosca.sol004.verify import verify_package

ENTRY = ("tosca_definitions_version: tosca_simple_yaml_1_3\n"
         "metadata:\n  template_name: t\n  template_author: a\n  template_version: '1'\n"
         "topology_template:\n  node_templates:\n    vm:\n      type: tosca.nodes.Compute\n")
META = ("TOSCA-Meta-File-Version: 1.0\nCSAR-Version: 1.1\nCreated-By: netorch tests\n"
        "Entry-Definitions: Definitions/main.yaml\nETSI-Entry-Manifest: pkg.mf\n"
        "ETSI-Entry-Change-Log: ChangeLog.txt\nETSI-Entry-Licenses: Licenses\n")
VNF_METADATA = ("metadata:\nvnf_provider_id: ACME\nvnf_product_name: vFW\n"
                "vnf_release_date_time: 2024-01-31T10:00:00+01:00\nvnf_package_version: 1.0\n")
FILES = {"Definitions/main.yaml": ENTRY, "ChangeLog.txt": "1.0: first\n",
         "Licenses/LICENSE.txt": "Apache-2.0\n", "Scripts/install.sh": "echo hi\n"}
STRICT = PackagePolicy(strict=True)
SECRET_DIGEST = hashlib.sha256(b"secret\n").hexdigest()


def digest(data: bytes, algorithm: str = "sha256") -> str:
    return hashlib.new(algorithm, data).hexdigest()


def block(name: str, data: bytes, algorithm: str = "SHA-256") -> str:
    hashed = digest(data, algorithm.lower().replace("-", ""))
    return f"Source: {name}\nAlgorithm: {algorithm}\nHash: {hashed}\n"


def make_package(root: Path, files: Mapping[str, str | bytes] = FILES, *,
                 meta: str | None = META, manifest_name: str | None = "pkg.mf",
                 metadata: str = VNF_METADATA, unlisted: tuple[str, ...] = (),
                 extra_blocks: str = "") -> Path:
    """A package directory whose manifest lists (with SHA-256) every file but ``unlisted``."""
    root.mkdir(parents=True)
    contents = {name: (v.encode() if isinstance(v, str) else v) for name, v in files.items()}
    if meta is not None:
        contents["TOSCA-Metadata/TOSCA.meta"] = meta.encode()
    for name, data in contents.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    if manifest_name is not None:
        blocks = [block(n, d) for n, d in sorted(contents.items()) if n not in unlisted]
        text = metadata + "\n" + "\n".join(blocks) + ("\n" + extra_blocks if extra_blocks else "")
        (root / manifest_name).write_text(text)
    return root


def verify(path: Path, policy: PackagePolicy | None = None) -> list[Diagnostic]:
    with ExitStack() as stack:
        src, found = open_source(path, stack)
        assert src is not None, found
        return verify_package(src, policy or PackagePolicy())


def codes(diags: list[Diagnostic], severity: Severity | None = None) -> list[str]:
    return [d.code for d in diags if severity is None or d.severity is severity]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


# -- good packages ------------------------------------------------------------------------------
def test_a_complete_package_verifies_clean_and_loads(tmp_path: Path) -> None:
    root = make_package(tmp_path / "p")
    assert verify(root, STRICT) == []
    model, diags = load(root, security=PackagePolicy(strict=True))
    assert diags == [] and model is not None


def test_a_zipped_package_verifies_like_the_directory(tmp_path: Path) -> None:
    root = make_package(tmp_path / "p")
    archive = tmp_path / "p.csar"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(root).as_posix())
    assert verify(archive, STRICT) == []
    (root / "Scripts/install.sh").write_text("echo tampered\n")
    assert codes(verify(root)) == ["sol004.digest_mismatch"]


def test_layout_without_tosca_metadata_uses_the_same_named_manifest(tmp_path: Path) -> None:
    files = {"service.yaml": ENTRY, "ChangeLog.txt": "x\n", "Files/data.bin": b"\x00\x01"}
    root = make_package(tmp_path / "p", files, meta=None, manifest_name="service.mf")
    assert verify(root, STRICT) == []
    (root / "Files/data.bin").write_bytes(b"\x00\x02")
    diags = verify(root)
    assert codes(diags) == ["sol004.digest_mismatch"]
    assert diags[0].file == str(root / "service.mf")


def test_layout_without_tosca_metadata_rejects_another_manifest_name(tmp_path: Path) -> None:
    files = {"service.yaml": ENTRY, "ChangeLog.txt": "x\n"}
    root = make_package(tmp_path / "p", files, meta=None, manifest_name="other.mf")
    diags = verify(root)
    assert codes(diags, Severity.ERROR) == ["sol004.manifest_invalid"]
    assert "service.mf" in diags[0].message


def test_unprefixed_sol004_v241_keys_are_accepted(tmp_path: Path) -> None:
    meta = META.replace("ETSI-Entry-", "Entry-")
    root = make_package(tmp_path / "p", meta=meta)
    assert verify(root, STRICT) == []
    (root / "pkg.mf").unlink()
    diags = verify(root)
    assert [(d.code, d.line) for d in diags] == [("sol004.meta_file_missing", 5)]
    assert "pkg.mf" in diags[0].message


# -- TOSCA.meta ---------------------------------------------------------------------------------
def test_every_file_tosca_meta_names_must_exist(tmp_path: Path) -> None:
    meta = META + "ETSI-Entry-Certificate: pkg.cert\nETSI-Entry-Tests: Tests\n"
    files = {k: v for k, v in FILES.items() if k != "ChangeLog.txt"}
    root = make_package(tmp_path / "p", files, meta=meta)
    diags = verify(root)
    missing = sorted((d.line, d.message.split(" names ")[0]) for d in diags
                     if d.code == "sol004.meta_file_missing")
    assert missing == [(6, "ETSI-Entry-Change-Log"), (8, "ETSI-Entry-Certificate"),
                       (9, "ETSI-Entry-Tests")]
    assert all(d.severity is Severity.ERROR for d in diags)


def test_missing_mandatory_keys_are_warnings_or_strict_errors(tmp_path: Path) -> None:
    meta = ("TOSCA-Meta-File-Version: 1.0\nEntry-Definitions: Definitions/main.yaml\n"
            "ETSI-Entry-Manifest: pkg.mf\n")
    root = make_package(tmp_path / "p", meta=meta)
    lenient = verify(root)
    assert codes(lenient, Severity.WARNING) == ["sol004.meta_missing_key"] * 4
    assert codes(lenient, Severity.ERROR) == []
    messages = " ".join(d.message for d in lenient)
    for key in ("CSAR-Version", "Created-By", "ETSI-Entry-Change-Log", "ETSI-Entry-Licenses"):
        assert key in messages
    assert codes(verify(root, STRICT), Severity.ERROR) == ["sol004.meta_missing_key"] * 4


def test_meta_paths_must_stay_inside_the_package(tmp_path: Path) -> None:
    meta = META.replace("ETSI-Entry-Change-Log: ChangeLog.txt",
                        "ETSI-Entry-Change-Log: ../ChangeLog.txt")
    (tmp_path / "ChangeLog.txt").write_text("outside\n")
    root = make_package(tmp_path / "p", meta=meta)
    assert [(d.code, d.line) for d in verify(root)] == [("csar.path_traversal", 6)]


def test_malformed_meta_line_and_unknown_version(tmp_path: Path) -> None:
    meta = META.replace("CSAR-Version: 1.1", "CSAR-Version: 9.9") + "this is not a key\n"
    root = make_package(tmp_path / "p", meta=meta)
    diags = verify(root)
    assert sorted((d.code, d.severity.value, d.line) for d in diags) == [
        ("sol004.meta_invalid", "error", 8), ("sol004.meta_invalid", "warning", 2)]


def test_manifest_named_without_mf_extension(tmp_path: Path) -> None:
    root = make_package(tmp_path / "p", meta=META.replace("pkg.mf", "pkg.txt"),
                        manifest_name="pkg.txt")
    diags = verify(root)
    assert codes(diags, Severity.ERROR) == ["sol004.manifest_invalid"]
    assert diags[0].line == 5


def test_unreferenced_root_manifest_is_reported_not_used(tmp_path: Path) -> None:
    meta = META.replace("ETSI-Entry-Manifest: pkg.mf\n", "")
    root = make_package(tmp_path / "p", meta=meta)
    (root / "Scripts/install.sh").write_text("tampered\n")
    assert sorted(codes(verify(root))) == ["sol004.manifest_unreferenced",
                                           "sol004.meta_missing_key"]


def test_tacker_style_meta_digests(tmp_path: Path) -> None:
    data = FILES["Scripts/install.sh"].encode()
    good = f"\nName: Scripts/install.sh\nContent-Type: text/x-sh\nAlgorithm: SHA-256\n" \
           f"Hash: {digest(data)}\n"
    root = make_package(tmp_path / "ok", meta=META + good)
    assert verify(root, STRICT) == []
    stale = good.replace(digest(data), digest(b"older content"))
    root = make_package(tmp_path / "stale", meta=META + stale)
    assert [(d.code, d.severity.value, d.line) for d in verify(root)] == [
        ("sol004.digest_mismatch", "warning", 12)]
    assert codes(verify(root, STRICT), Severity.ERROR) == ["sol004.digest_mismatch"]
    short = good.replace(digest(data), digest(data)[:-1])
    root = make_package(tmp_path / "short", meta=META + short)
    diags = verify(root)
    assert [(d.code, d.severity.value) for d in diags] == [("sol004.digest_mismatch", "error")]
    assert "63 given" in diags[0].message and digest(data) in diags[0].message
    listing_only = "\nName: Files/images/absent.img\nContent-Type: application/x-image\n"
    root = make_package(tmp_path / "listing", meta=META + listing_only)
    assert verify(root, STRICT) == []


# -- manifest digests ---------------------------------------------------------------------------
def test_digest_mismatch_names_file_expected_and_actual(tmp_path: Path) -> None:
    root = make_package(tmp_path / "p")
    expected = digest(FILES["Scripts/install.sh"].encode())
    (root / "Scripts/install.sh").write_text("echo evil\n")
    diags = verify(root)
    assert codes(diags) == ["sol004.digest_mismatch"]
    message = diags[0].message
    assert "Scripts/install.sh" in message and expected in message
    assert digest(b"echo evil\n") in message
    text = (root / "pkg.mf").read_text().splitlines()
    assert text[diags[0].line - 1] == f"Hash: {expected}"
    assert diags[0].file == str(root / "pkg.mf")


@pytest.mark.parametrize(("algorithm", "hashlib_name"), [
    ("SHA-256", "sha256"), ("SHA-384", "sha384"), ("SHA-512", "sha512"), ("sha512", "sha512"),
    ("sha-224", "sha224"),
])
def test_every_supported_algorithm_spelling(tmp_path: Path, algorithm: str,
                                            hashlib_name: str) -> None:
    data = FILES["Scripts/install.sh"].encode()
    root = make_package(tmp_path / "p", unlisted=("Scripts/install.sh",),
                        extra_blocks=f"Source: Scripts/install.sh\nAlgorithm: {algorithm}\n"
                                     f"Hash: {digest(data, hashlib_name)}\n")
    assert verify(root, STRICT) == []
    edit(root / "pkg.mf", digest(data, hashlib_name), digest(b"x", hashlib_name))
    assert codes(verify(root)) == ["sol004.digest_mismatch"]


def test_unknown_algorithm(tmp_path: Path) -> None:
    root = make_package(tmp_path / "p")
    edit(root / "pkg.mf", "Source: Scripts/install.sh\nAlgorithm: SHA-256",
         "Source: Scripts/install.sh\nAlgorithm: sha-255")
    diags = verify(root)
    assert codes(diags) == ["sol004.unknown_algorithm"]
    assert "sha-255" in diags[0].message
    lines = (root / "pkg.mf").read_text().splitlines()
    assert lines[diags[0].line - 1] == "Algorithm: sha-255"


@pytest.mark.parametrize("key", ["Algorithm", "Hash", "Source"])
def test_missing_key_is_named(tmp_path: Path, key: str) -> None:
    root = make_package(tmp_path / "p", unlisted=("Scripts/install.sh",),
                        extra_blocks="Source: Scripts/install.sh\nAlgorithm: SHA-256\n"
                                     "Hash: " + "0" * 64 + "\n")
    text = (root / "pkg.mf").read_text()
    lines = [ln for ln in text.splitlines(keepends=True)]
    index = max(i for i, ln in enumerate(lines) if ln.startswith(f"{key}:"))
    del lines[index]
    (root / "pkg.mf").write_text("".join(lines))
    diags = verify(root)
    errors = [d for d in diags if d.code == "sol004.manifest_missing_key"]
    assert len(errors) == 1 and errors[0].severity is Severity.ERROR
    assert key in errors[0].message
    assert errors[0].line is not None


def test_algorithm_missing_but_digest_matches_is_a_warning(tmp_path: Path) -> None:
    data = FILES["Scripts/install.sh"].encode()
    root = make_package(tmp_path / "p", unlisted=("Scripts/install.sh",),
                        extra_blocks=f"Source: Scripts/install.sh\nHash: {digest(data)}\n")
    diags = verify(root)
    assert [(d.code, d.severity.value) for d in diags] == [
        ("sol004.manifest_missing_key", "warning")]
    assert "SHA-256" in diags[0].message
    assert codes(verify(root, STRICT), Severity.ERROR) == ["sol004.manifest_missing_key"]


def test_source_missing(tmp_path: Path) -> None:
    root = make_package(tmp_path / "p")
    (root / "Scripts/install.sh").unlink()
    diags = verify(root)
    assert [(d.code, d.severity.value) for d in diags] == [("sol004.source_missing", "error")]
    assert "Scripts/install.sh" in diags[0].message


def test_absent_software_image_is_a_warning_unless_strict(tmp_path: Path) -> None:
    root = make_package(tmp_path / "p", extra_blocks="Source: Files/images/vm.qcow2\n"
                                                     "Algorithm: SHA-512\nHash: " + "a" * 128)
    diags = verify(root)
    assert [(d.code, d.severity.value) for d in diags] == [("sol004.source_missing", "warning")]
    assert codes(verify(root, STRICT), Severity.ERROR) == ["sol004.source_missing"]


@pytest.mark.parametrize(("source", "code"), [
    ("../outside.txt", "csar.path_traversal"),
    ("/etc/hostname", "csar.absolute_path"),
])
def test_sources_outside_the_package_are_never_read(tmp_path: Path, source: str,
                                                    code: str) -> None:
    (tmp_path / "outside.txt").write_text("secret\n")
    root = make_package(tmp_path / "p", extra_blocks=f"Source: {source}\nAlgorithm: SHA-256\n"
                                                     f"Hash: {SECRET_DIGEST}\n")
    assert codes(verify(root)) == [code]


def test_symlink_leading_out_of_a_directory_package(tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text("secret\n")
    root = make_package(tmp_path / "p", extra_blocks="Source: Files/link.txt\n"
                                                     "Algorithm: SHA-256\n"
                                                     f"Hash: {SECRET_DIGEST}\n")
    (root / "Files").mkdir()
    os.symlink(tmp_path / "outside.txt", root / "Files/link.txt")
    assert codes(verify(root)) == ["csar.symlink"]


def test_external_artifacts_are_not_fetched(tmp_path: Path) -> None:
    root = make_package(tmp_path / "p", extra_blocks="Source: https://repo.example.com/x.bin\n"
                                                     "Algorithm: SHA-256\nHash: " + "0" * 64)
    assert [(d.code, d.severity.value) for d in verify(root)] == [
        ("sol004.external_artifact", "warning")]


def test_unlisted_files_warn_and_fail_when_strict(tmp_path: Path) -> None:
    root = make_package(tmp_path / "p", unlisted=("Scripts/install.sh", "ChangeLog.txt"))
    diags = verify(root)
    assert [(d.code, d.severity.value) for d in diags] == [("sol004.file_not_listed", "warning")]
    assert "2 file(s)" in diags[0].message
    assert "ChangeLog.txt" in diags[0].message and "Scripts/install.sh" in diags[0].message
    assert codes(verify(root, STRICT), Severity.ERROR) == ["sol004.file_not_listed"]


# -- manifest syntax and metadata ---------------------------------------------------------------
def test_metadata_block_checks(tmp_path: Path) -> None:
    root = make_package(tmp_path / "none", metadata="")
    assert [(d.code, d.severity.value) for d in verify(root)] == [
        ("sol004.manifest_metadata", "warning")]
    root = make_package(tmp_path / "date", metadata=VNF_METADATA.replace(
        "2024-01-31T10:00:00+01:00", "31/01/2024"))
    diags = verify(root, STRICT)
    assert [(d.code, d.severity.value, d.line) for d in diags] == [
        ("sol004.manifest_metadata", "error", 4)]
    nsd = ("metadata:\nnsd_designer: ACME\nnsd_invariant_id: ns-1\nnsd_name: ns\n"
           "nsd_release_date_time: 2024-01-31T10:00:00Z\nnsd_file_structure_version: 1.0\n")
    assert verify(make_package(tmp_path / "nsd", metadata=nsd), STRICT) == []
    old = VNF_METADATA.replace("vnf_release_date_time", "vnf_release_data_time")
    assert verify(make_package(tmp_path / "old", metadata=old), STRICT) == []


def test_syntax_errors_are_manifest_invalid_with_their_line(tmp_path: Path) -> None:
    root = make_package(tmp_path / "p", extra_blocks="Source: Scripts/install.sh\n"
                                                     "this line has no colon\n")
    diags = [d for d in verify(root) if d.code == "sol004.manifest_invalid"]
    lines = (root / "pkg.mf").read_text().splitlines()
    assert len(diags) == 1 and lines[diags[0].line - 1] == "this line has no colon"


def test_non_mano_artifacts_must_have_a_digest_block(tmp_path: Path) -> None:
    files = {**FILES, "Artifacts/ves.yaml": "events: []\n"}
    metadata = VNF_METADATA + ("\nnon_mano_artifact_sets:\n  onap_ves_events:\n"
                               "    Source: Artifacts/ves.yaml\n  other:\n"
                               "    Source: Artifacts/missing.yaml\n")
    root = make_package(tmp_path / "p", files, metadata=metadata)
    diags = verify(root)
    assert [(d.code, d.line) for d in diags] == [("sol004.manifest_invalid", 11)]
    assert "Artifacts/missing.yaml" in diags[0].message


def test_unsigned_package_under_a_require_signature_policy(tmp_path: Path) -> None:
    root = make_package(tmp_path / "p")
    diags = verify(root, PackagePolicy(require_signature=True))
    assert codes(diags) == ["sol004.signature_missing"]
    plain = tmp_path / "plain.yaml"
    plain.write_text(ENTRY)
    model, diags = load(plain, security=PackagePolicy(require_signature=True))
    assert model is None and codes(diags) == ["sol004.signature_missing"]
    assert load(plain, security=PackagePolicy())[1] == []


def test_policy_from_environment(tmp_path: Path) -> None:
    env = {"NETORCH_TRUST_ANCHORS": os.pathsep.join(["/a.pem", "/dir"]),
           "NETORCH_REQUIRE_SIGNATURE": "yes", "NETORCH_PACKAGE_STRICT": "0"}
    policy = PackagePolicy.from_env(env)
    assert policy.trust_anchors == (Path("/a.pem"), Path("/dir"))
    assert policy.require_signature and not policy.strict and policy.enforces_trust
    assert PackagePolicy.from_env({}) == PackagePolicy()
