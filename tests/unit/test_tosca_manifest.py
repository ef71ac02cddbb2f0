"""SOL004 manifest digests and blocks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from netorch.tosca.manifest import (
    algorithm_for_length,
    compute_digest,
    digest_hex_length,
    hashlib_name,
    parse_manifest,
    read_manifest_entries,
)


@pytest.mark.parametrize(("algorithm", "name"), [
    ("SHA-256", "sha256"), ("sha-256", "sha256"), ("SHA256", "sha256"), ("sha_512", "sha512"),
    ("SHA-224", "sha224"), ("Sha-384", "sha384"),
])
def test_digest_matches_hashlib(tmp_path: Path, algorithm: str, name: str) -> None:
    path = tmp_path / "blob.bin"
    data = bytes(range(256)) * 9000  # more than one read chunk
    path.write_bytes(data)
    assert hashlib_name(algorithm) == name
    assert compute_digest(path, algorithm) == hashlib.new(name, data).hexdigest()


@pytest.mark.parametrize("algorithm", ["MD5", "sha-255", "", "SHA-1"])
def test_unsupported_algorithms_are_refused(tmp_path: Path, algorithm: str) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"x")
    with pytest.raises(ValueError, match="unsupported"):
        compute_digest(path, algorithm)


def test_manifest_blocks() -> None:
    text = (
        "metadata:\n"
        "vnf_provider_id: ACME\n"
        "vnf_product_name: vFW\n"
        "\n"
        "Source: Definitions/a.yaml\n"
        "Algorithm: SHA-256\n"
        "Hash: 00ff\n"
        "\n"
        "Source: Scripts/run.sh\n"
        "Algorithm: SHA-512\n"
        "Hash: abcd\n"
        "\n"
        "-----BEGIN CMS-----\n"
        "Source: not/an/entry\n"
        "-----END CMS-----\n"
    )
    metadata, entries = read_manifest_entries(text)
    assert metadata == {"vnf_provider_id": "ACME", "vnf_product_name": "vFW"}
    assert [(e.source, e.algorithm, e.hash, e.line) for e in entries] == [
        ("Definitions/a.yaml", "SHA-256", "00ff", 5),
        ("Scripts/run.sh", "SHA-512", "abcd", 9),
    ]


# -- parse_manifest -----------------------------------------------------------------------------
SIGNED = (
    "metadata:\n"
    "vnf_provider_id: ACME\n"
    "vnf_product_name: vFW\n"
    "\n"
    "non_mano_artifact_sets:\n"
    "  onap_ves_events:\n"
    "    Source: Artifacts/ves.yaml\n"
    "\n"
    "  onap_pm:\n"
    "    Source: Artifacts/pm.yaml\n"
    "\n"
    "Source: Files/images/vm.qcow2\n"
    "Algorithm: SHA-512\n"
    "Hash: abcd\n"
    "Signature: Files/images/vm.qcow2.sig.cms\n"
    "Certificate: Files/images/vm.qcow2.cert\n"
    "\n"
    "-----BEGIN CMS-----\n"
    "TUlJ\n"
    "-----END CMS-----\n"
)


def test_parse_manifest_structure() -> None:
    manifest = parse_manifest(SIGNED)
    assert manifest.problems == []
    assert manifest.metadata_line == 1 and manifest.metadata_first
    assert manifest.metadata_lines == {"vnf_provider_id": 2, "vnf_product_name": 3}
    assert manifest.non_mano_sets == {"onap_ves_events": [("Artifacts/ves.yaml", 7)],
                                      "onap_pm": [("Artifacts/pm.yaml", 10)]}
    [entry] = manifest.entries
    assert (entry.source, entry.algorithm, entry.signature, entry.certificate, entry.line) == (
        "Files/images/vm.qcow2", "SHA-512", "Files/images/vm.qcow2.sig.cms",
        "Files/images/vm.qcow2.cert", 12)
    assert entry.line_of("Hash") == 14 and entry.line_of("Certificate") == 16
    assert manifest.signature_line == 18
    assert manifest.signature_pem == "-----BEGIN CMS-----\nTUlJ\n-----END CMS-----\n"
    assert manifest.unsigned_text == SIGNED[:SIGNED.index("-----BEGIN")]


@pytest.mark.parametrize(("text", "code", "line"), [
    ("metadata:\na: 1\n\nSource: x\nno colon here\n", "sol004.manifest_invalid", 5),
    ("Source: x\nAlgorithm: SHA-256\nAlgorithm: SHA-512\nHash: 00\n",
     "sol004.manifest_invalid", 3),
    ("metadata:\na: 1\na: 2\n", "sol004.manifest_invalid", 3),
    ("Source: x\nHash: 00\n\n-----BEGIN CMS-----\nTUlJ\n", "sol004.manifest_invalid", 4),
    ("Source: x\nHash: 00\n\n-----BEGIN CMS-----\nTUlJ\n-----END CMS-----\nSource: y\n",
     "sol004.manifest_invalid", 7),
    ("Source: x\nHash: 00\n\n-----BEGIN CERTIFICATE-----\nTUlJ\n-----END CERTIFICATE-----\n",
     "sol004.manifest_invalid", 4),
    ("Source: x\nChecksum: 00\n", "sol004.manifest_unknown_key", 2),
    ("vendor_block: 1\n", "sol004.manifest_unknown_key", 1),
    ("\n\n", "sol004.manifest_invalid", None),
])
def test_parse_manifest_problems(text: str, code: str, line: int | None) -> None:
    problems = parse_manifest(text).problems
    assert [(p.code, p.line) for p in problems] == [(code, line)]


def test_block_without_source_and_metadata_not_first() -> None:
    manifest = parse_manifest("Algorithm: SHA-256\nHash: 00\n\nmetadata:\na: 1\n")
    assert [(e.source, e.line) for e in manifest.entries] == [("", 1)]
    assert manifest.metadata_line == 4 and not manifest.metadata_first


def test_digest_lengths() -> None:
    assert [digest_hex_length(a) for a in ("SHA-224", "SHA-256", "sha384", "SHA_512")] == \
        [56, 64, 96, 128]
    assert algorithm_for_length(64) == "sha256" and algorithm_for_length(40) is None
