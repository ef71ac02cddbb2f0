"""The shared TOSCA / ETSI NFV corpus (issue 3): every entry loads, or is rejected for its reason.

The corpus lives beside the repository (``<repo>/../shared/corpus``, or ``NETORCH_CORPUS``);
this module skips, saying so, when it is not there.  Per ``MANIFEST.json`` entry:

* ``valid`` -> :func:`netorch.tosca.load` reports no error (warnings are fine); the entries of
  :data:`LENIENT` load only because netorch tolerates a defect (:mod:`netorch.tosca.leniency`,
  the dangling requirements of TOSCA 1.3): the warnings that say so must be there;
* ``invalid`` / ``semantic-invalid`` -> at least one error, and among the diagnostics the one
  :data:`REJECTIONS` names: its code, a fragment of its message, its severity;
* no entry gives an ``internal.error`` or lets an exception out.

Three tables change what an entry is held to, each with its reason:

* :data:`DELIBERATE` - entries the manifest calls valid that netorch rejects on purpose: their
  defects are of the kind the corpus's invalid and semantic-invalid entries are rejected for
  (an ambiguous duplicate key, an undefined type, properties that violate the package's own
  type files, a VDU image without its data, policies targeting nodes that do not exist); each
  names the diagnostic it must get, the warnings the tolerated defects must get, and why;
* :data:`STRETCH` - TOSCA 2.0 and a pre-release NFV profile draft: expected to fail (xfail),
  the test still reports the first problem and still forbids internal errors;
* :data:`VIA_VALIDATION` - the cyclic-dependency entry, which only the topology (built by
  ``netorch.services.validation.validate``) can reject: the loader sits below it.
"""

from __future__ import annotations

import io
import json
import os
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from netorch.model.diagnostics import Diagnostic, Severity, has_errors
from netorch.services.validation import validate
from netorch.tosca import load

CORPUS_ENV = "NETORCH_CORPUS"


def corpus_dir() -> Path:
    configured = os.environ.get(CORPUS_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


CORPUS = corpus_dir()
if not (CORPUS / "MANIFEST.json").is_file():
    pytest.skip(f"the shared corpus is not at {CORPUS} (set {CORPUS_ENV} to point at it)",
                allow_module_level=True)

ENTRIES: list[dict[str, Any]] = json.loads((CORPUS / "MANIFEST.json").read_text("utf-8"))


@dataclass(frozen=True)
class Rejection:
    """The diagnostic that names why an entry is rejected."""

    code: str
    fragment: str
    severity: Severity = Severity.ERROR
    reason: str = ""
    at: str | None = None
    """``<file name>:<line>`` where the diagnostic must point, when it matters."""
    warnings: tuple[str, ...] = ()
    """Codes of warnings that must be reported too (tolerated defects of the entry)."""


_TP = "tosca-parser:tosca-parser/data/"
_HT = "heat-translator:heat-translator/data/"
_TK = "tacker:tacker/"
_CN = "cloudnet-tosca-toolbox:cloudnet-tosca-toolbox/"
_MANO = "etsi-mano-package-parser:"

REJECTIONS: dict[str, Rejection] = {
    # -- TOSCA grammar and types (tosca-parser's own negative tests) ---------------------------
    f"{_TP}test_tosca_top_level_error2.yaml": Rejection("tosca.unknown_field", "node_template"),
    f"{_TP}test_multiple_validation_errors.yaml":
        Rejection("tosca.unsupported_version", "'tosca_simple_yaml_1'"),
    f"{_TP}test_scalar_unit_without_unit.yaml":
        Rejection("tosca.invalid_value", "is not a valid scalar-unit"),
    f"{_TP}test_template_without_requirement.yaml":
        Rejection("tosca.requirement_occurrences", 'Relationship "host" in template "webserver"'),
    f"{_TP}functions/test_concat_invalid.yaml":
        Rejection("tosca.invalid_function", 'function "concat"'),
    f"{_TP}functions/test_get_attribute_unknown_node_template_name.yaml":
        Rejection("tosca.not_found", '"unknown_node_template"'),
    f"{_TP}functions/test_invalid_function_signature.yaml":
        Rejection("tosca.invalid_function", 'function "get_input"'),
    f"{_TP}functions/test_unknown_input_in_property.yaml":
        Rejection("tosca.unknown_input", '"objectstore_name"'),
    f"{_TP}datatypes/test_custom_datatypes_value_error.yaml":
        Rejection("tosca.invalid_value", "is not a map"),
    f"{_TP}policies/test_policies_without_required_property.yaml":
        Rejection("yaml.duplicate_key", "'type'", at="tacker_nfv_defs.yaml:261", reason=(
            "its import tacker_nfv_defs.yaml repeats the key 'type' (line 261), which rejects "
            "the template before its policies are looked at")),
    f"{_TP}topology_template/validate/test_substitution_mappings_error_property_type.yaml":
        Rejection("tosca.type_mismatch", "Node Filter"),
    f"{_TP}topology_template/validate/test_substitution_mappings_invalid_output.yaml":
        Rejection("tosca.not_found", '"my_cpu_output"'),
    f"{_TP}topology_template/validate/system_invalid_input.yaml":
        Rejection("tosca.substitution_missing_input", '"server_port"'),
    # -- CSAR structure -------------------------------------------------------------------------
    f"{_TP}CSAR/csar_not_zip.zip": Rejection("csar.bad_zip", "not a valid ZIP"),
    f"{_TP}CSAR/csar_invalid_entry_def.zip":
        Rejection("csar.entry_not_found", "definitions/tosca_helloworld.yaml"),
    f"{_TP}CSAR/csar_two_root_level_yaml.zip": Rejection("csar.ambiguous_entry", "2 YAML files"),
    f"{_TP}CSAR/csar_wordpress_invalid_import_path.zip":
        Rejection("import.not_found", "Invalid_import_path/wordpress.yaml"),
    f"{_TP}CSAR/csar_invalid_multilevel_imports_validation.zip":
        Rejection("csar.reference_not_found", "Files/images/cirros-0.4.0-x86_64-disk.img",
                  Severity.WARNING, reason=(
                      "a file missing from a package is a warning (images are often shipped "
                      "beside it); the entry is still rejected, for the VNF type it never "
                      "defines")),
    f"{_TP}CSAR/csar_wordpress_invalid_import_url.zip":
        Rejection("import.not_found", "wordpress1.yaml"),
    f"{_HT}tosca_helloworld_invalid.yaml":
        Rejection("tosca.missing_version", "tosca_definitions_version"),
    f"{_TK}unit-etsi_nfv/tosca_generate_hot_from_tosca_parser_error.yaml":
        Rejection("tosca.missing_field", '"VDU1"'),
    # -- YAML -----------------------------------------------------------------------------------
    f"{_CN}tests/yaml_parsing/duplicate_map_key.yaml":
        Rejection("yaml.duplicate_key", "'description'", at="duplicate_map_key.yaml:5"),
    f"{_CN}tests/yaml_parsing/incorrect_indentation_in_mapping.yaml":
        Rejection("yaml.syntax", "expected key"),
    f"{_CN}tests/syntax_checking-1.3.yaml": Rejection("tosca.missing_field", "'policy1'"),
    # -- SOL004 (the package security work) -------------------------------------------------
    f"{_TK}packages/sample_vnf_package_csar_in_meta_and_manifest_false":
        Rejection("sol004.manifest_invalid", "manifest.mf1"),
    f"{_TK}packages/sample_vnf_package_csar_in_meta_and_manifest_false_hash":
        Rejection("sol004.digest_mismatch", "Scripts/install.sh"),
    f"{_TK}packages/sample_vnf_package_csar_in_meta_and_manifest_missing_key":
        Rejection("sol004.manifest_missing_key", "Algorithm"),
    f"{_TK}packages/sample_vnf_package_csar_in_meta_and_manifest_false_source":
        Rejection("sol004.source_missing", "Scripts/install.s'"),
    f"{_TK}packages/sample_vnf_package_csar_in_meta_and_manifest_false_algorithm":
        Rejection("sol004.unknown_algorithm", "255"),
    # -- SOL001 semantics -------------------------------------------------------------------
    f"{_TK}packages/csar_without_instantiation_level":
        Rejection("sol001.instantiation_levels_missing", "InstantiationLevels"),
    f"{_TK}packages/csar_invalid_instantiation_level":
        Rejection("sol001.instantiation_level_unknown", "instantiation_level_3"),
    f"{_TK}packages/csar_with_invalid_default_instantiation_level":
        Rejection("sol001.default_instantiation_level_unknown", "'instantiation_level_3'"),
    f"{_TK}packages/csar_without_vnfd_info": Rejection("sol001.vnf_properties_missing", "'VNF'"),
    f"{_TK}packages/csar_without_sw_image_data":
        Rejection("sol001.sw_image_data_missing", "'VDU1'"),
    f"{_TK}packages/csar_with_multiple_sw_image_data":
        Rejection("sol001.sw_image_duplicate", "'VDU1'"),
    f"{_HT}etsi_nfv/tosca_nfv_vdu_with_invalid_compute_requirements.yaml":
        Rejection("sol001.invalid_compute_requirements", "nova_extra_specs"),
    f"{_HT}etsi_nfv/tosca_nfv_vdu_with_unsupported_storage.yaml":
        Rejection("sol001.requirement_target_mismatch", "'virtual_storage'"),
    f"{_HT}etsi_nfv/tosca_nfv_scaling_non_target_vdu_in_initial_delta.yaml":
        Rejection("sol001.policy_without_targets", "'VDU1_initial_delta'"),
}

VIA_VALIDATION: dict[str, Rejection] = {
    f"{_CN}examples/OASIS_TOSCA_1.2/cyclic-dependencies.yaml":
        Rejection("topology.cycle", "node1 -> node2 -> node1"),
}

LENIENT: dict[str, tuple[str, ...]] = {
    # valid entries that load with a warning for the defect netorch tolerates
    f"{_TK}unit-etsi_nfv/tosca_vnfd_affinity.yaml": ("sol001.algorithm_alias",),
    "puccini-go:puccini-go/examples/1.3/functions.yaml": ("tosca.dangling_requirement",),
}

_MANO_NSD_TYPES = (
    "its NSD's VNF nodes leave out properties the tosca.nodes.nfv.VNF of the package's own NSD "
    "types requires (descriptor_version, provider, product_name, software_version, vnfm_info, "
    "flavour_description), and its NsVirtualLink properties violate those types "
    "(test_access 'test' is not a valid value)")

DELIBERATE: dict[str, Rejection] = {
    f"{_TP}CSAR/csar_valid_multilevel_imports_validation.zip":
        Rejection("tosca.unknown_type", "'company.sample.VNF'", reason=(
            "the VNF type it uses is defined nowhere; upstream's 'valid' only means that "
            "CSAR.validate() checks the archive's structure and imports")),
    f"{_HT}autoscaling/tosca_autoscaling.yaml":
        Rejection("yaml.duplicate_key", "'type'", at="tacker_nfv_defs.yaml:261", reason=(
            "its import ../nfv/tacker_nfv_defs.yaml gives a property 'type: list' and then "
            "'type: tosca.nfv.datatypes.pathType': two different values, the property type is "
            "ambiguous")),
    f"{_MANO}etsi-mano-package-parser/demo/master-nsd":
        Rejection("tosca.missing_requirement_target", "'virtual_link_1'", reason=(
            "node vnf_middle assigns requirement virtual_link_1, which its type "
            "tosca.nodes.nfv.VNF does not define, to a node that does not exist; "
            + _MANO_NSD_TYPES + ", and NsVlProfile / NsVirtualLinkQos (unknown field "
            "service_availability, latency missing)"),
            warnings=("tosca.misplaced_section", "tosca.policies_as_map",
                      "tosca.external_link")),
    f"{_MANO}etsi-mano-package-parser/demo/vnf-storage":
        Rejection("tosca.unknown_policy_target", "'vl01'", reason=(
            "policies target vl01, vdu01, extCp, VduCp, which do not exist; capability "
            "property values are written outside 'properties'; lcm_operations_configuration "
            "entries are null; and past those, the SOL001 defects of semantic-invalid entries: "
            "webserver's SwImage artifact has no image data (csar_without_sw_image_data) and "
            "vlright names an undefined instantiation level (csar_invalid_instantiation_level)"),
            warnings=("yaml.duplicate_key", "tosca.misplaced_section", "tosca.policies_as_map",
                      "tosca.external_link")),
    f"{_MANO}etsi-mano-package-parser/demo/conn-vnf":
        Rejection("tosca.unknown_field", "capability 'virtual_compute'", reason=(
            "the capability property values of webserver are written outside 'properties' "
            "(tosca-parser crashes on them), the node has a field 'name' no node template "
            "has, and its SwImage artifact has no image data, the defect semantic-invalid "
            "csar_without_sw_image_data is rejected for"),
            warnings=("tosca.external_link",)),
    f"{_MANO}etsi-mano-package-parser/sol001-4.4.1/ubi-tosca":
        Rejection("tosca.unknown_policy_target", "'SunshineDB'", reason=(
            "a parser test fixture: policies target nodes that do not exist (SunshineDB, vl01, "
            "vdu01, ''), capability property values sit outside 'properties', the VNF has "
            "properties its type lacks (scale_status), VDUs have no software image, and "
            "policies name undefined instantiation levels and aspects - the defects "
            "semantic-invalid entries are rejected for"),
            warnings=("tosca.external_link",)),
    f"{_MANO}vnffg-nsd":
        Rejection("tosca.misplaced_section", "both at the top level", reason=(
            "groups and policies are written both under topology_template and at the top "
            "level, and the two policies differ (protocol null / TCP): ambiguous; NfpRule "
            "source_port_range '0 - 22' is not a range; " + _MANO_NSD_TYPES),
            warnings=("tosca.policies_as_map", "tosca.unknown_group_member",
                      "tosca.external_link")),
    f"{_MANO}etsi-mano-package-parser/sol001-api/ubi-tm21-vnf.csar":
        Rejection("tosca.type_mismatch", "lcm_operations_configuration.instantiate is null",
                  reason=(
            "lcm_operations_configuration entries are null, capability property values sit "
            "outside 'properties', the VNF assigns requirements its type does not define "
            "(virtual_link_1..3), and its virtual_link targets a VduCp, which is not "
            "VirtualLinkable (the defect semantic-invalid "
            "tosca_nfv_vdu_with_unsupported_storage is rejected for)"),
            warnings=("tosca.misplaced_section", "tosca.policies_as_map",
                      "tosca.unknown_group_member")),
}

STRETCH: dict[str, str] = {
    "puccini:puccini/examples/tour/interfaces.yaml": "TOSCA 2.0 is a stretch goal",
    "puccini:puccini/examples/tour/workflows.yaml": "TOSCA 2.0 is a stretch goal",
    "xopera:xopera/tests/hello_world_tosca_2_0/service.yaml": "TOSCA 2.0 is a stretch goal",
    "puccini-go:puccini-go/examples/1.3/simple-for-nfv.yaml": (
        "written for a later draft of the OASIS NFV profile (VDU.Compute, VduCpd) than the "
        "tosca_simple_profile_for_nfv_1_0_0 types netorch supports"),
}

INPUTS: dict[str, dict[str, Any]] = {
    # the top-level VNFD selects a deployment flavour: given one, the flavour is merged in
    f"{_TK}packages/vnf_packages": {"selected_flavour": "simple"},
    f"{_TK}packages/functional": {"selected_flavour": "simple"},
    f"{_TK}packages/free5gc_cnf_package": {"selected_flavour": "simple"},
    f"{_TK}packages/csar_with_short_notation_for_artifacts": {"selected_flavour": "simple"},
    f"{_TK}packages/sample_vnf_package_csar_in_meta_and_manifest": {"selected_flavour": "simple"},
    f"{_TK}packages/csar_without_policies": {"selected_flavour": "simple"},
    f"{_TK}packages/practical_vnf_package": {"selected_flavour": "scalable"},
}

SERVED_URLS: dict[str, dict[str, str]] = {
    # upstream's own test serves the URL import from the archive's copy; so does this one
    f"{_TP}CSAR/csar_wordpress_with_url_import_and_script.zip":
        {"https://example.com/wordpress.yaml": "Definitions/wordpress.yaml"},
}


def entry_path(entry: dict[str, Any]) -> Path:
    path = CORPUS / entry["path"]
    return path / entry["entry_file"] if entry.get("entry_file") else path


@pytest.fixture
def served_urls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path, dict[str, str]],
                                                                     None]]:
    """Answer the given URLs with files of a ZIP, and refuse any other network access."""

    def serve(archive: Path, urls: dict[str, str]) -> None:
        with zipfile.ZipFile(archive) as zf:
            bodies = {url: zf.read(member) for url, member in urls.items()}

        def fake_urlopen(url: Any, *args: Any, **kwargs: Any) -> io.BytesIO:
            address = url if isinstance(url, str) else url.full_url
            if address not in bodies:
                raise AssertionError(f"unexpected network access to {address}")
            return io.BytesIO(bodies[address])

        monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)

    yield serve


def _describe(diags: list[Diagnostic]) -> str:
    return "\n".join(str(d) for d in diags) or "(no diagnostics)"


def _named(diags: list[Diagnostic], expected: Rejection) -> bool:
    return any(d.code == expected.code and expected.fragment in d.message
               and d.severity is expected.severity
               and (expected.at is None or f"{Path(d.file or '').name}:{d.line}" == expected.at)
               for d in diags)


def _missing_warnings(diags: list[Diagnostic], codes: tuple[str, ...]) -> list[str]:
    found = {d.code for d in diags if d.severity is Severity.WARNING}
    return [code for code in codes if code not in found]


def _load(entry: dict[str, Any], serve: Callable[[Path, dict[str, str]], None]
          ) -> list[Diagnostic]:
    entry_id = entry["id"]
    path = entry_path(entry)
    if entry_id in VIA_VALIDATION:
        return list(validate(path).diagnostics)
    urls = SERVED_URLS.get(entry_id)
    if urls is not None:
        serve(path, urls)
    model, diags = load(path, inputs=INPUTS.get(entry_id), allow_network=urls is not None)
    if model is None and not has_errors(diags):
        diags.append(Diagnostic(Severity.ERROR, "test.no_model",
                                "load returned no model and reported no error"))
    if entry_id in INPUTS and model is not None and len(model.nodes) < 2:
        diags.append(Diagnostic(Severity.ERROR, "test.flavour_not_merged",
                                f"the selected flavour was not merged: {list(model.nodes)}"))
    return diags


def _judge(entry: dict[str, Any], diags: list[Diagnostic]) -> tuple[str, str]:
    """(outcome, explanation) of one entry."""
    entry_id, kind = entry["id"], entry["kind"]
    internal = [d for d in diags if d.code == "internal.error"]
    if internal:
        return "FAILED", "internal error:\n" + _describe(internal)
    expected = REJECTIONS.get(entry_id) or VIA_VALIDATION.get(entry_id) or \
        DELIBERATE.get(entry_id)
    if kind == "valid" and entry_id in STRETCH:
        if not has_errors(diags):
            return "loaded", ""
        first = next(d for d in diags if d.severity is Severity.ERROR)
        return "xfail (stretch)", f"{STRETCH[entry_id]}; first problem: {first}"
    if kind == "valid" and expected is None:
        if has_errors(diags):
            return "FAILED", "a valid entry was rejected:\n" + _describe(diags)
        missing = _missing_warnings(diags, LENIENT.get(entry_id, ()))
        if missing:
            return "FAILED", f"loaded without the warning(s) {missing}:\n" + _describe(diags)
        return "loaded", ""
    if expected is None:
        return "FAILED", f"no expected diagnostic is recorded for {kind} entry {entry_id}"
    if not has_errors(diags):
        return "FAILED", "the entry was accepted:\n" + _describe(diags)
    if not _named(diags, expected):
        where = f" at {expected.at}" if expected.at else ""
        return "FAILED", (f"no {expected.severity.value} {expected.code} mentioning "
                          f"{expected.fragment!r}{where}:\n" + _describe(diags))
    missing = _missing_warnings(diags, expected.warnings)
    if missing:
        return "FAILED", f"rejected without the warning(s) {missing}:\n" + _describe(diags)
    if kind == "valid":
        return "valid, rejected on purpose", expected.reason
    return "rejected as expected", ""


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_corpus_entry(entry: dict[str, Any], record_outcome: Callable[[str, str, str], None],
                      served_urls: Callable[[Path, dict[str, str]], None]) -> None:
    try:
        diags = _load(entry, served_urls)
    except Exception as exc:  # the loader's contract: never raise
        record_outcome(entry["id"], entry["kind"], "FAILED")
        raise AssertionError(f"loading raised {type(exc).__name__}: {exc}") from exc
    outcome, explanation = _judge(entry, diags)
    record_outcome(entry["id"], entry["kind"], outcome)
    if outcome == "FAILED":
        pytest.fail(explanation, pytrace=False)
    if outcome == "xfail (stretch)":
        pytest.xfail(explanation)


def test_every_table_entry_is_in_the_manifest() -> None:
    ids = {e["id"] for e in ENTRIES}
    tables: dict[str, Any] = {"REJECTIONS": REJECTIONS, "DELIBERATE": DELIBERATE,
                              "LENIENT": LENIENT, "STRETCH": STRETCH, "INPUTS": INPUTS,
                              "VIA_VALIDATION": VIA_VALIDATION, "SERVED_URLS": SERVED_URLS}
    stale = {name: sorted(set(table) - ids) for name, table in tables.items()
             if set(table) - ids}
    assert not stale, stale
    kinds = {e["id"]: e["kind"] for e in ENTRIES}
    assert all(kinds[i] == "valid" for i in DELIBERATE | LENIENT)
    assert not set(DELIBERATE) & set(LENIENT)
    assert all(rejection.reason for rejection in DELIBERATE.values())
    assert all(kinds[i] != "valid" for i in REJECTIONS | VIA_VALIDATION)
    missing = sorted(i for i, k in kinds.items()
                     if k != "valid" and i not in REJECTIONS and i not in VIA_VALIDATION)
    assert not missing, missing


def test_offline_url_import_names_the_url_and_the_reason() -> None:
    entry_id = f"{_TP}CSAR/csar_wordpress_with_url_import_and_script.zip"
    [entry] = [e for e in ENTRIES if e["id"] == entry_id]
    model, diags = load(entry_path(entry))
    assert model is None
    [diag] = [d for d in diags if d.code == "import.not_found"]
    assert "https://example.com/wordpress.yaml" in diag.message
    assert "network access is disabled" in diag.message
