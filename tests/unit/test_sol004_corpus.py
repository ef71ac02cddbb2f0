"""The shared corpus's CSAR and SOL004 cases give the package-level code they are about, and the
valid packages give no package-level error (TOSCA / SOL001 checks are other tests' business)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netorch.model.diagnostics import Diagnostic, Severity
from netorch.tosca import load

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
ARCHIVE_CODES = frozenset({
    "csar.bad_zip", "csar.bad_meta", "csar.path_traversal", "csar.absolute_path", "csar.symlink",
    "csar.special_file", "csar.duplicate_entry", "csar.too_large", "csar.too_many_files",
    "csar.compression_ratio", "csar.no_entry_definitions", "csar.entry_not_found",
    "csar.ambiguous_entry",
})
"""The codes of the archive layer (netorch.tosca.csar); artifact references and YAML content are
checked, and tested, elsewhere."""
TACKER = "tacker/packages/sample_vnf_package_csar_in_meta_and_manifest"

EXPECTED = {
    f"{TACKER}_false": ("sol004.manifest_invalid", "manifest.mf1"),
    f"{TACKER}_false_hash": ("sol004.digest_mismatch", "Scripts/install.sh"),
    f"{TACKER}_missing_key": ("sol004.manifest_missing_key", "Algorithm"),
    f"{TACKER}_false_source": ("sol004.source_missing", "Scripts/install.s"),
    f"{TACKER}_false_algorithm": ("sol004.unknown_algorithm", "SHA-255"),
    "tosca-parser/data/CSAR/csar_not_zip.zip": ("csar.bad_zip", "not a valid ZIP"),
    "tosca-parser/data/CSAR/csar_invalid_entry_def.zip":
        ("csar.entry_not_found", "definitions/tosca_helloworld.yaml"),
    "tosca-parser/data/CSAR/csar_two_root_level_yaml.zip": ("csar.ambiguous_entry", "2 YAML"),
}


def _entries() -> list[dict[str, str]]:
    manifest = CORPUS / "MANIFEST.json"
    if not manifest.is_file():
        return []
    entries: list[dict[str, str]] = json.loads(manifest.read_text())
    return entries


def _package_errors(diags: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diags if d.severity is Severity.ERROR
            and (d.code.startswith("sol004.") or d.code in ARCHIVE_CODES)]


@pytest.mark.parametrize(("entry", "code", "detail"),
                         [(k, *v) for k, v in sorted(EXPECTED.items())],
                         ids=lambda v: Path(v).name if "/" in str(v) else str(v))
def test_invalid_packages_give_their_code(entry: str, code: str, detail: str) -> None:
    path = CORPUS / entry
    if not path.exists():
        pytest.skip(f"corpus entry absent: {path}")
    model, diags = load(path)
    assert model is None
    hits = [d for d in diags if d.code == code and d.severity is Severity.ERROR]
    assert hits, [str(d) for d in diags]
    assert any(detail in d.message for d in hits), [d.message for d in hits]
    if code.startswith("sol004."):
        assert all(d.file and d.line for d in hits)


def test_valid_packages_have_no_package_level_error() -> None:
    packages = [e for e in _entries()
                if e["kind"] == "valid" and e["form"] in ("csar-dir", "csar-zip")
                and e.get("note") != "needs-network" and not e.get("entry_file")]
    if not packages:
        pytest.skip(f"corpus absent: {CORPUS}")
    failures = {}
    for entry in packages:
        _, diags = load(CORPUS / entry["path"])
        errors = _package_errors(diags)
        if errors:
            failures[entry["path"]] = [str(d) for d in errors]
    assert failures == {}
    assert len(packages) >= 15


def test_the_valid_tacker_sample_verifies_with_warnings_only() -> None:
    path = CORPUS / TACKER
    if not path.is_dir():
        pytest.skip(f"corpus entry absent: {path}")
    _, diags = load(path)
    package = [d for d in diags if d.code.startswith("sol004.")]
    assert _package_errors(diags) == []
    # the stale TOSCA.meta digest and the image left out of the corpus are still reported
    assert {"sol004.digest_mismatch", "sol004.source_missing"} <= {d.code for d in package}
