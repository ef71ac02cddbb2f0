"""SOL001 NSDs: the NS node, SAPs, NS virtual links, VNF references and NS policies."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from netorch.model.diagnostics import Severity
from netorch.tosca import load

ETSI = "https://forge.etsi.org/rep/nfv/SOL001/raw/v3.5.1"


def vnf(name: str, vnfd_id: str, flavour: str, links: str, profile: str) -> str:
    return f"""
    {name}:
      type: tosca.nodes.nfv.VNF
      properties:
        descriptor_id: {vnfd_id}
        descriptor_version: "1.0"
        provider: acme
        product_name: {name}
        software_version: "1.0"
        vnfm_info: [ netorch ]
        flavour_id: {flavour}
        flavour_description: {flavour}
        vnf_profile: {profile}
      requirements:
{links}"""


NSD = f"""
tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - {ETSI}/etsi_nfv_sol001_nsd_types.yaml
topology_template:
  node_templates:
    ns:
      type: tosca.nodes.nfv.NS
      properties:
        descriptor_id: 7d0a8b52-0000-4000-8000-00000000000a
        designer: netorch
        version: "1.0"
        name: edge
        invariant_id: 7d0a8b52-0000-4000-8000-00000000000b
        flavour_id: default
    access:
      type: tosca.nodes.nfv.NsVirtualLink
      properties:
        connectivity_type: {{ layer_protocols: [ ipv4 ] }}
        vl_profile:
          max_bitrate_requirements: {{ root: 1000 }}
          min_bitrate_requirements: {{ root: 100 }}
    sap:
      type: tosca.nodes.nfv.Sap
      properties:
        layer_protocols: [ ipv4 ]
      requirements:
        - internal_virtual_link: access
""" + vnf("firewall", "FW_ID", "FW_FLAVOUR", "        - virtual_link: access",
          "{ min_number_of_instances: 1, max_number_of_instances: 4 }") + vnf(
    "router", "RT_ID", "default", "        - virtual_link: access",
    "{ min_number_of_instances: 1, max_number_of_instances: 1 }") + """
  policies:
    - scaling:
        type: tosca.policies.nfv.NsScalingAspects
        properties:
          aspects:
            capacity:
              name: capacity
              description: more firewalls
              ns_scale_levels:
                0: { description: one }
                1: { description: two }
                2: { description: four }
    - firewall_levels:
        type: tosca.policies.nfv.VnfToLevelMapping
        properties:
          aspect: capacity
          number_of_instances: { 0: 1, 1: 2, 2: 4 }
        targets: [ firewall ]
    - levels:
        type: tosca.policies.nfv.NsInstantiationLevels
        properties:
          levels:
            small: { description: small, scale_info: { capacity: { scale_level: 0 } } }
            large: { description: large, scale_info: { capacity: { scale_level: 2 } } }
          default_level: small
    - firewall_instantiation_levels:
        type: tosca.policies.nfv.VnfToInstantiationLevelMapping
        properties:
          number_of_instances: { small: 1, large: 4 }
        targets: [ firewall ]
"""


def nsd(tmp_path: Path, fw_id: str = "fw-1", fw_flavour: str = "simple") -> Path:
    path = tmp_path / "nsd.yaml"
    path.write_text(textwrap.dedent(NSD).lstrip("\n").replace("FW_ID", fw_id).replace(
        "FW_FLAVOUR", fw_flavour).replace("RT_ID", "rt-1"), encoding="utf-8")
    return path


def test_nsd_maps_onto_the_model(tmp_path: Path) -> None:
    model, diags = load(nsd(tmp_path))
    assert model is not None, [str(d) for d in diags]
    assert not [d for d in diags if d.severity is Severity.ERROR]
    assert model.nodes["sap"].type_chain[:2] == ("tosca.nodes.nfv.Sap", "tosca.nodes.nfv.Cp")
    assert [(r.target, r.relationship) for r in model.nodes["firewall"].requirements] == [
        ("access", "tosca.relationships.nfv.VirtualLinksTo")]
    capacity = model.aspects["capacity"]
    assert capacity.max_scale_level == 2
    assert dict(capacity.deltas) == {"firewall": (1, 2)}  # 1 -> 2 -> 4 instances
    assert model.initial_instances["firewall"] == 1
    assert (model.min_instances["firewall"], model.max_instances["firewall"]) == (1, 4)
    assert model.max_instances["router"] == 1
    assert set(model.instantiation_levels) == {"small", "large"}
    assert model.instantiation_levels["large"].instances == {"firewall": 4}
    assert model.instantiation_levels["large"].scale_levels == {"capacity": 2}
    assert model.default_instantiation_level == "small"


KNOWN = {"fw-1": {"simple", "ha"}, "rt-1": {"default"}}


def test_vnf_references_resolve_against_onboarded_vnfds(tmp_path: Path) -> None:
    model, diags = load(nsd(tmp_path), known_vnfds=KNOWN)
    assert model is not None, [str(d) for d in diags]


@pytest.mark.parametrize(("fw_id", "flavour", "code", "fragment"), [
    ("fw-9", "simple", "sol001.vnfd_unknown", "'fw-9'"),
    ("fw-1", "big", "sol001.vnf_flavour_unknown", "'big'"),
])
def test_unresolved_vnf_references(tmp_path: Path, fw_id: str, flavour: str, code: str,
                                   fragment: str) -> None:
    model, diags = load(nsd(tmp_path, fw_id, flavour), known_vnfds=KNOWN)
    assert model is None
    [error] = [d for d in diags if d.severity is Severity.ERROR]
    assert error.code == code and fragment in error.message and "'firewall'" in error.message
    assert error.line is not None


def test_references_are_not_checked_without_onboarded_vnfds(tmp_path: Path) -> None:
    model, _ = load(nsd(tmp_path, "fw-9", "big"))
    assert model is not None


def test_forwarding_graph_types(tmp_path: Path) -> None:
    path = nsd(tmp_path)
    text = path.read_text().replace("  policies:\n", """\
    fw_in:
      type: tosca.nodes.nfv.Forwarding
      requirements: [ virtual_link: access ]
    element:
      type: tosca.nodes.nfv.NfpPositionElement
      requirements: [ profile_element: fw_in ]
    position:
      type: tosca.nodes.nfv.NfpPosition
      properties: { forwarding_behaviour: lb }
      requirements: [ element: element ]
    path:
      type: tosca.nodes.nfv.NFP
      requirements: [ nfp_position: position ]
  groups:
    graph:
      type: tosca.groups.nfv.VNFFG
      properties: { description: north-south }
      members: [ path, firewall, element ]
  policies:
    - classifier:
        type: tosca.policies.nfv.NfpRule
        properties:
          ether_type: ipv4
          source_port_range: [ 1024, 65535 ]
          extended_criteria:
            - { starting_point: 1, length: 8, value: "0x0a" }
        targets: [ path ]
""", 1)
    path.write_text(text)
    model, diags = load(path)
    assert model is not None, [str(d) for d in diags]
    assert [r.relationship for r in model.nodes["path"].requirements] == [
        "tosca.relationships.DependsOn"]
    [group] = model.groups
    assert group.type == "tosca.groups.nfv.VNFFG" and group.members == (
        "path", "firewall", "element")
    path.write_text(text.replace("forwarding_behaviour: lb", "forwarding_behaviour: random"))
    model, diags = load(path)
    assert model is None and any("random" in d.message for d in diags)


@pytest.mark.parametrize(("port_range", "fragment"), [
    ("[ 1024, 70000 ]", "not within [0, 65535]"),
    ("[ 2000, 1000 ]", "lower first"),
    ("1024", "is not a range"),
])
def test_range_properties_are_checked(tmp_path: Path, port_range: str, fragment: str) -> None:
    path = nsd(tmp_path)
    path.write_text(path.read_text().replace("  policies:\n", f"""\
    path:
      type: tosca.nodes.nfv.NFP
      requirements: [ nfp_position: position ]
    position:
      type: tosca.nodes.nfv.NfpPosition
      requirements: [ element: element ]
    element:
      type: tosca.nodes.nfv.NfpPositionElement
      requirements: [ profile_element: position ]
  policies:
    - classifier:
        type: tosca.policies.nfv.NfpRule
        properties:
          source_port_range: {port_range}
        targets: [ path ]
""", 1))
    model, diags = load(path)
    assert model is None
    [error] = [d for d in diags if d.severity is Severity.ERROR]
    assert error.code == "tosca.invalid_value" and fragment in error.message
    assert "'source_port_range'" in error.message and "'classifier'" in error.message


def test_an_ns_flavour_without_an_ns_node_is_an_nsd(tmp_path: Path) -> None:
    # the NS node is substituted: this topology is one of its flavours (with an input per
    # NS property, tosca-parser's substitution rule)
    path = nsd(tmp_path, "fw-9")
    text = path.read_text()
    text = text[:text.index("    ns:\n")] + text[text.index("    access:\n"):]
    inputs = "".join(f"    {p}: {{ type: string }}\n" for p in (
        "descriptor_id", "designer", "version", "name", "invariant_id", "flavour_id"))
    text = text.replace("topology_template:\n", "topology_template:\n"
                        "  substitution_mappings:\n    node_type: tosca.nodes.nfv.NS\n"
                        "  inputs:\n" + inputs, 1)
    path.write_text(text)
    model, diags = load(path, known_vnfds=KNOWN)
    assert model is None
    assert [d.code for d in diags if d.severity is Severity.ERROR] == ["sol001.vnfd_unknown"]
