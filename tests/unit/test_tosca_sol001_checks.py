"""The SOL001 semantic checks (netorch.tosca.sol001_checks), one small descriptor each."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from netorch.model.diagnostics import Diagnostic, Severity
from netorch.tosca import load
from netorch.tosca.sol001_checks import check
from netorch.tosca.type_registry import TypeRegistry
from netorch.tosca.yaml_doc import parse_yaml

ETSI = "https://forge.etsi.org/rep/nfv/SOL001/raw/v3.3.1"
HEADER = f"""\
tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - {ETSI}/etsi_nfv_sol001_common_types.yaml
  - {ETSI}/etsi_nfv_sol001_vnfd_types.yaml
"""
IMAGE = """\
        sw_image_data:
          name: image
          version: "1.0"
          checksum:
            algorithm: sha-256
            hash: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
          container_format: bare
          disk_format: qcow2
          min_disk: 1 GB
          size: 20 MB
"""
COMPUTE = """\
      capabilities:
        virtual_compute:
          properties:
            virtual_memory: { virtual_mem_size: 512 MB }
            virtual_cpu: { num_virtual_cpu: 1 }
"""


def vdu(name: str, image: str = IMAGE, extra: str = "") -> str:
    return (f"    {name}:\n      type: tosca.nodes.nfv.Vdu.Compute\n      properties:\n"
            f"        name: {name}\n        description: {name}\n        vdu_profile:\n"
            "          min_number_of_instances: 1\n          max_number_of_instances: 3\n"
            + image + COMPUTE + extra)


VL = """\
    vl:
      type: tosca.nodes.nfv.VnfVirtualLink
      properties:
        connectivity_type:
          layer_protocols: [ LAYER ]
        vl_profile:
          max_bitrate_requirements: { root: 1000 }
          min_bitrate_requirements: { root: 100 }
          virtual_link_protocol_data:
            - associated_layer_protocol: LAYER
    cp:
      type: tosca.nodes.nfv.VduCp
      properties:
        layer_protocols: [ ipv4 ]
        order: 0
      requirements:
        - virtual_binding: vdu1
        - virtual_link: vl
"""


def template(nodes: str, policies: str = "") -> str:
    text = HEADER + "topology_template:\n  node_templates:\n" + nodes
    if policies:
        text += "  policies:\n" + textwrap.indent(textwrap.dedent(policies).strip("\n"), "    ")
    return text + "\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def errors(tmp_path: Path, text: str) -> list[Diagnostic]:
    model, diags = load(write(tmp_path / "vnfd.yaml", text))
    found = [d for d in diags if d.severity is Severity.ERROR]
    assert (model is None) == bool(found)
    return found


def codes(tmp_path: Path, text: str) -> list[str]:
    return [d.code for d in errors(tmp_path, text)]


def the_error(tmp_path: Path, text: str, code: str) -> Diagnostic:
    found = errors(tmp_path, text)
    assert [d.code for d in found] == [code], [str(d) for d in found]
    assert found[0].line is not None and found[0].file is not None
    return found[0]


def test_a_sound_vnfd_passes_every_check(tmp_path: Path) -> None:
    assert codes(tmp_path, template(vdu("vdu1") + VL.replace("LAYER", "ipv4"))) == []


# -- software images --------------------------------------------------------------------------
def test_vm_vdu_without_image(tmp_path: Path) -> None:
    error = the_error(tmp_path, template(vdu("vdu1", image="")), "sol001.sw_image_missing")
    assert "'vdu1'" in error.message


def test_container_vdu_needs_no_image(tmp_path: Path) -> None:
    text = template(vdu("vdu1", image="").replace(COMPUTE, ""))
    assert codes(tmp_path, text) == []


def test_vdu_booting_from_an_imaged_volume(tmp_path: Path) -> None:
    volume = ("    disk:\n      type: tosca.nodes.nfv.Vdu.VirtualBlockStorage\n"
              "      properties:\n        virtual_block_storage_data:\n"
              "          size_of_storage: 10 GB\n" + IMAGE)
    text = template(vdu("vdu1", image="", extra="      requirements:\n"
                        "        - virtual_storage: disk\n") + volume)
    assert codes(tmp_path, text) == []


ARTIFACT = """\
      artifacts:
        sw_image:
          type: tosca.artifacts.nfv.SwImage
          file: ../Files/images/image.qcow2
PROPERTIES"""


def test_v2_image_artifact_needs_sw_image_data(tmp_path: Path) -> None:
    text = template(vdu("vdu1", image="", extra=ARTIFACT.replace("PROPERTIES", "")))
    error = the_error(tmp_path, text, "sol001.sw_image_data_missing")
    assert "'vdu1'" in error.message and "'sw_image'" in error.message


def test_v3_image_artifact_carries_its_properties(tmp_path: Path) -> None:
    props = "          properties:\n" + textwrap.indent(textwrap.dedent(
        IMAGE).split("\n", 1)[1], "            ")
    text = template(vdu("vdu1", image="", extra=ARTIFACT.replace("PROPERTIES", props)))
    assert codes(tmp_path, text) == []


def test_two_image_artifacts(tmp_path: Path) -> None:
    extra = ARTIFACT.replace("PROPERTIES", "") + (
        "        other_image:\n          type: tosca.artifacts.nfv.SwImage\n"
        "          file: ../Files/images/other.qcow2\n")
    error = the_error(tmp_path, template(vdu("vdu1", extra=extra)), "sol001.sw_image_duplicate")
    assert "sw_image, other_image" in error.message


# -- instantiation levels -------------------------------------------------------------------
LEVELS = """
- levels:
    type: tosca.policies.nfv.InstantiationLevels
    properties:
      levels:
        small: { description: small }
        large: { description: large }
      default_level: DEFAULT
"""
VDU_LEVELS = """
- vdu1_levels:
    type: tosca.policies.nfv.VduInstantiationLevels
    properties:
      levels:
        small: { number_of_instances: 1 }
        LEVEL: { number_of_instances: 2 }
    targets: [ vdu1 ]
"""


def test_consistent_levels(tmp_path: Path) -> None:
    policies = LEVELS.replace("DEFAULT", "small") + VDU_LEVELS.replace("LEVEL", "large")
    assert codes(tmp_path, template(vdu("vdu1"), policies)) == []


def test_vdu_levels_without_instantiation_levels(tmp_path: Path) -> None:
    error = the_error(tmp_path, template(vdu("vdu1"), VDU_LEVELS.replace("LEVEL", "large")),
                      "sol001.instantiation_levels_missing")
    assert "'vdu1_levels'" in error.message and "InstantiationLevels" in error.message


def test_vdu_levels_naming_an_undefined_level(tmp_path: Path) -> None:
    policies = LEVELS.replace("DEFAULT", "small") + VDU_LEVELS.replace("LEVEL", "huge")
    error = the_error(tmp_path, template(vdu("vdu1"), policies),
                      "sol001.instantiation_level_unknown")
    assert "huge" in error.message and "large, small" in error.message


def test_undefined_default_level(tmp_path: Path) -> None:
    error = the_error(tmp_path, template(vdu("vdu1"), LEVELS.replace("DEFAULT", "medium")),
                      "sol001.default_instantiation_level_unknown")
    assert "'medium'" in error.message and "'levels'" in error.message


# -- scaling --------------------------------------------------------------------------------
SCALING = """
- aspects:
    type: tosca.policies.nfv.ScalingAspects
    properties:
      aspects:
        workers:
          name: workers
          description: more workers
          max_scale_level: 2
          step_deltas: [ d1, d2 ]
- deltas:
    type: tosca.policies.nfv.VduScalingAspectDeltas
    properties:
      aspect: ASPECT
      deltas:
        d1: { number_of_instances: 1 }
        DELTA: { number_of_instances: 2 }
    targets: [ TARGET ]
- initial:
    type: tosca.policies.nfv.VduInitialDelta
    properties:
      initial_delta: { number_of_instances: 1 }
    INITIAL_TARGETS
"""


def scaling(aspect: str = "workers", delta: str = "d2", target: str = "vdu1",
            initial: str = "targets: [ vdu1 ]") -> str:
    return SCALING.replace("INITIAL_TARGETS", initial).replace("ASPECT", aspect).replace(
        "DELTA", delta).replace("TARGET", target)


def test_consistent_scaling(tmp_path: Path) -> None:
    model, diags = load(write(tmp_path / "v.yaml", template(vdu("vdu1"), scaling())))
    assert model is not None, [str(d) for d in diags]
    assert model.aspects["workers"].deltas == {"vdu1": (1, 2)}


@pytest.mark.parametrize(("kwargs", "code", "fragment"), [
    ({"aspect": "shrink"}, "sol001.unknown_aspect", "'shrink'"),
    ({"delta": "d3"}, "sol001.unknown_delta", "d2"),
    ({"target": "cp"}, "sol001.invalid_policy_target", "'cp'"),
    ({"initial": ""}, "sol001.policy_without_targets", "'initial'"),
])
def test_inconsistent_scaling(tmp_path: Path, kwargs: dict[str, str], code: str,
                              fragment: str) -> None:
    nodes = vdu("vdu1") + VL.replace("LAYER", "ipv4")
    error = the_error(tmp_path, template(nodes, scaling(**kwargs)), code)
    assert fragment in error.message


def test_levels_scaling_an_unknown_aspect(tmp_path: Path) -> None:
    policies = """
    - levels:
        type: tosca.policies.nfv.InstantiationLevels
        properties:
          levels:
            small:
              description: small
              scale_info:
                workers: { scale_level: 0 }
    """
    error = the_error(tmp_path, template(vdu("vdu1"), policies), "sol001.unknown_aspect")
    assert "'workers'" in error.message and "'small'" in error.message


# -- links, storage and compute requirements -----------------------------------------------------
@pytest.mark.parametrize("protocol", ["ethernet", "mpls", "odu2", "ipv4", "ipv6",
                                      "pseudo-wire"])
def test_supported_layer_protocols(tmp_path: Path, protocol: str) -> None:
    assert codes(tmp_path, template(vdu("vdu1") + VL.replace("LAYER", protocol))) == []


def test_unsupported_layer_protocol_is_caught_by_the_types(tmp_path: Path) -> None:
    found = errors(tmp_path, template(vdu("vdu1") + VL.replace("LAYER", "ipx")))
    assert found and all("ipx" in d.message for d in found)


UNCONSTRAINED = """\
tosca_definitions_version: tosca_simple_yaml_1_3
node_types:
  # a SOL001 type library whose layer protocol constraint did not come through (the official
  # files spell some of them "- valid_values [ ... ]", which constrains nothing)
  tosca.nodes.nfv.VnfVirtualLink:
    derived_from: tosca.nodes.Root
    properties:
      connectivity_type: { type: map, required: false }
topology_template:
  node_templates:
    vl:
      type: tosca.nodes.nfv.VnfVirtualLink
      properties:
        connectivity_type: { layer_protocols: [ ipv4, ipx ] }
"""


def test_unsupported_layer_protocol(tmp_path: Path) -> None:
    doc, _ = parse_yaml(UNCONSTRAINED, "vl.yaml")
    assert doc is not None
    registry = TypeRegistry("tosca_simple_yaml_1_3")
    registry.add_file_types(doc.data)
    [error] = check(registry, doc, [])
    assert error.code == "sol001.unsupported_layer_protocol"
    assert "ipx" in error.message and "ipv4" not in error.message.split(";")[0]
    assert (error.file, error.line) == ("vl.yaml", 11)


def test_storage_requirement_to_a_compute_node(tmp_path: Path) -> None:
    text = template(vdu("vdu1", extra="      requirements:\n        - virtual_storage: vdu2\n")
                    + vdu("vdu2"))
    error = the_error(tmp_path, text, "sol001.requirement_target_mismatch")
    assert "'virtual_storage'" in error.message and "'vdu2'" in error.message


@pytest.mark.parametrize(("value", "valid"), [
    ("'{\"hw:cpu_policy\": \"dedicated\"}'", True),
    ("'hw:cpu_policy: dedicated'", True),
    ("'dummy: ]['", False),
    ("plain-text", False),
])
def test_compute_requirements_read_as_maps(tmp_path: Path, value: str, valid: bool) -> None:
    compute = COMPUTE + ("            compute_requirements:\n"
                         f"              nova_extra_specs: {value}\n")
    text = template(vdu("vdu1").replace(COMPUTE, compute))
    assert codes(tmp_path, text) == ([] if valid else ["sol001.invalid_compute_requirements"])


# -- the VNF and its deployment flavours -----------------------------------------------------------
VNF_TYPE = """\
node_types:
  acme.VNF:
    derived_from: tosca.nodes.nfv.VNF
    properties:
      # the VNF type pins the VNF's identity, as SOL001 VNFDs do
      descriptor_id: { type: string, default: 6a1c9c0e-0000-4000-8000-000000000001 }
      descriptor_version: { type: string, default: "1.0" }
      provider: { type: string, default: ACME }
      product_name: { type: string, default: Widget }
      software_version: { type: string, default: "1.0" }
      vnfm_info: { type: list, entry_schema: { type: string }, default: [ netorch ] }
      flavour_description: { type: string, default: widget }
      flavour_id:
        type: string
        constraints: [ valid_values: [ small, big ] ]
        default: small
"""
IDENTITY = """\
        descriptor_id: 6a1c9c0e-0000-4000-8000-000000000001
        descriptor_version: "1.0"
        provider: ACME
        product_name: Widget
        software_version: "1.0"
        vnfm_info: [ netorch ]
"""


def package(tmp_path: Path, top_properties: str, flavour_type: str = "acme.VNF",
            flavour_id: str = "small") -> Path:
    root = tmp_path / "pkg"
    write(root / "TOSCA-Metadata" / "TOSCA.meta",
          "TOSCA-Meta-File-Version: 1.0\nEntry-Definitions: Definitions/top.yaml\n")
    write(root / "Definitions" / "types.yaml", HEADER + VNF_TYPE)
    write(root / "Definitions" / "top.yaml", HEADER + "  - types.yaml\n  - flavour.yaml\n"
          "topology_template:\n  inputs:\n    selected_flavour: { type: string }\n"
          "  node_templates:\n    VNF:\n      type: acme.VNF\n      properties:\n"
          "        flavour_id: { get_input: selected_flavour }\n"
          "        flavour_description: widget\n" + top_properties)
    inputs = "".join(f"    {name}: {{ type: {kind} }}\n" for name, kind in (
        ("descriptor_id", "string"), ("descriptor_version", "string"), ("provider", "string"),
        ("product_name", "string"), ("software_version", "string"), ("flavour_id", "string"),
        ("flavour_description", "string"), ("vnfm_info", "list")))
    # the flavour declares an input per VNF property (tosca-parser's substitution rule)
    write(root / "Definitions" / "flavour.yaml", HEADER + "  - types.yaml\n"
          "topology_template:\n  inputs:\n" + inputs + "  substitution_mappings:\n"
          f"    node_type: {flavour_type}\n    properties:\n      flavour_id: {flavour_id}\n"
          "  node_templates:\n" + vdu("vdu1"))
    return root


def test_a_flavoured_package_passes(tmp_path: Path) -> None:
    model, diags = load(package(tmp_path, IDENTITY), inputs={"selected_flavour": "small"})
    assert model is not None, [str(d) for d in diags]
    assert set(model.nodes) == {"VNF", "vdu1"}


def test_top_level_vnf_must_state_its_identity(tmp_path: Path) -> None:
    model, diags = load(package(tmp_path, IDENTITY.replace("        provider: ACME\n", "")))
    assert model is None
    [error] = [d for d in diags if d.severity is Severity.ERROR]
    assert error.code == "sol001.vnf_properties_missing"
    assert "'VNF'" in error.message and "provider" in error.message
    assert "descriptor_id" not in error.message


def test_flavour_substituting_another_type(tmp_path: Path) -> None:
    model, diags = load(package(tmp_path, IDENTITY, flavour_type="tosca.nodes.nfv.Vdu.Compute"))
    assert model is None
    assert "sol001.substitution_type_mismatch" in [d.code for d in diags]


def test_flavour_id_the_vnf_type_does_not_allow(tmp_path: Path) -> None:
    model, diags = load(package(tmp_path, IDENTITY, flavour_id="medium"))
    assert model is None
    [error] = [d for d in diags if d.severity is Severity.ERROR]
    assert error.code == "sol001.flavour_id_mismatch" and "'medium'" in error.message


def test_fixed_flavour_no_topology_provides(tmp_path: Path) -> None:
    root = package(tmp_path, IDENTITY)
    top = root / "Definitions" / "top.yaml"
    top.write_text(top.read_text().replace("{ get_input: selected_flavour }", "big"))
    model, diags = load(root)
    assert model is None
    [error] = [d for d in diags if d.severity is Severity.ERROR]
    assert error.code == "sol001.flavour_unknown" and "'big'" in error.message


def test_vnf_without_flavour(tmp_path: Path) -> None:
    # a vendor type that makes flavour_id optional gets past the type check, not this one
    text = HEADER + """\
node_types:
  acme.Loose:
    derived_from: tosca.nodes.nfv.VNF
    properties:
      flavour_id: { type: string, required: false }
topology_template:
  node_templates:
    VNF:
      type: acme.Loose
      properties:
""" + IDENTITY + "        flavour_description: none\n" + vdu("vdu1")
    error = the_error(tmp_path, text, "sol001.flavour_missing")
    assert "'VNF'" in error.message and "flavour_id" in error.message
