"""SOL004 manifest digests and blocks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from netorch.tosca.manifest import compute_digest, hashlib_name, read_manifest_entries


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
