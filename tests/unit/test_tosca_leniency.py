"""Defects netorch tolerates with a warning, and their strict counterparts that stay errors.

One rule per group of tests (netorch.tosca.leniency, netorch.tosca.yaml_doc duplicate keys,
the TOSCA 1.3 dangling requirements of netorch.tosca.compat), each with its lenient side (the
template loads, the warning names the file and line) and its strict side (an error).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from netorch.model.diagnostics import Diagnostic, Severity
from netorch.model.service import ServiceModel
from netorch.tosca import load
from netorch.tosca.imports import ImportedFile, ImportGraph
from netorch.tosca.leniency import repair
from netorch.tosca.type_registry import TypeRegistry
from netorch.tosca.yaml_doc import parse_yaml

ETSI = "https://forge.etsi.org/rep/nfv/SOL001/raw/v3.3.1"
SOL001 = f"""\
tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - {ETSI}/etsi_nfv_sol001_common_types.yaml
  - {ETSI}/etsi_nfv_sol001_vnfd_types.yaml
topology_template:
  node_templates:
    vdu1:
      type: tosca.nodes.nfv.Vdu.Compute
      properties:
        name: vdu1
        description: vdu1
        vdu_profile: {{ min_number_of_instances: 1, max_number_of_instances: 1 }}
        sw_image_data:
          name: image
          version: "1.0"
          checksum: {{ algorithm: ALGORITHM, hash: 0123456789abcdef }}
          container_format: bare
          disk_format: qcow2
          min_disk: 1 GB
          size: 20 MB
      capabilities:
        virtual_compute:
          properties:
            virtual_memory: {{ virtual_mem_size: 512 MB }}
            virtual_cpu: {{ num_virtual_cpu: 1 }}
    cp1:
      type: tosca.nodes.nfv.VduCp
      properties: {{ layer_protocols: [ ipv4 ], order: 0 }}
      requirements:
        - virtual_link: LINK
        - virtual_binding: BINDING
"""


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def sol001(tmp_path: Path, link: str = "public", binding: str = "vdu1",
           algorithm: str = "sha-256") -> Path:
    text = SOL001.replace("LINK", link).replace("BINDING", binding)
    return write(tmp_path / "vnfd.yaml", text.replace("ALGORITHM", algorithm))


def loaded(path: Path) -> tuple[ServiceModel, list[Diagnostic]]:
    model, diags = load(path)
    assert model is not None, [str(d) for d in diags]
    assert not [d for d in diags if d.severity is Severity.ERROR]
    return model, diags


def the(diags: list[Diagnostic], code: str, severity: Severity = Severity.WARNING
        ) -> Diagnostic:
    found = [d for d in diags if d.code == code and d.severity is severity]
    assert len(found) == 1, [str(d) for d in diags]
    return found[0]


def rejected(path: Path, code: str) -> Diagnostic:
    model, diags = load(path)
    assert model is None, [str(d) for d in diags]
    return the(diags, code, Severity.ERROR)


# -- duplicate YAML keys ------------------------------------------------------------------------
def test_a_key_repeating_the_same_value_is_a_warning() -> None:
    doc, diags = parse_yaml("a:\n  x: [1, {k: v, j: w}]\n  y: 2\na:\n  y: 2\n"
                           "  x: [1, {j: w, k: v}]\n", "f.yaml")
    assert doc is not None and doc.data == {"a": {"x": [1, {"k": "v", "j": "w"}], "y": 2}}
    [diag] = diags
    assert (diag.severity, diag.code, diag.line) == (Severity.WARNING, "yaml.duplicate_key", 4)
    assert "line 1" in diag.message


def test_a_key_repeated_with_another_value_is_an_error() -> None:
    for second in ("a:\n  x: [1, 2]\n", "a:\n  x: [1, '1']\n", "a: null\n"):
        doc, diags = parse_yaml("a:\n  x: [1, 1]\n" + second, "f.yaml")
        assert doc is None
        [diag] = diags
        assert (diag.severity, diag.code, diag.line) == (Severity.ERROR, "yaml.duplicate_key", 3)
        assert "different" in diag.message


def test_a_template_with_a_repeated_identical_key_loads(tmp_path: Path) -> None:
    model, diags = loaded(write(tmp_path / "t.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          node_templates:
            server:
              type: tosca.nodes.Compute
            server:
              type: tosca.nodes.Compute
    """))
    assert list(model.nodes) == ["server"]
    assert the(diags, "yaml.duplicate_key").line == 6


# -- groups and policies outside topology_template ---------------------------------------------
MISPLACED = """
    tosca_definitions_version: tosca_simple_yaml_1_3
    topology_template:
      node_templates:
        a: { type: tosca.nodes.Compute }
        b: { type: tosca.nodes.Compute }
    groups:
      pair: { type: tosca.groups.Root, members: [ a, b ] }
    policies:
      - spread: { type: tosca.policies.Placement, targets: [ pair ] }
"""


def test_top_level_groups_and_policies_are_read_as_the_topology_s(tmp_path: Path) -> None:
    model, diags = loaded(write(tmp_path / "t.yaml", MISPLACED))
    assert [(g.name, g.members) for g in model.groups] == [("pair", ("a", "b"))]
    assert [(p.name, p.targets) for p in model.policies] == [("spread", ("pair",))]
    lines = sorted(d.line or 0 for d in diags if d.code == "tosca.misplaced_section")
    assert lines == [6, 8]
    assert all(d.severity is Severity.WARNING for d in diags)


def test_a_moved_section_is_still_checked_at_its_own_line(tmp_path: Path) -> None:
    error = rejected(write(tmp_path / "t.yaml", MISPLACED.replace("[ pair ]", "[ nobody ]")),
                     "tosca.unknown_policy_target")
    assert error.line == 9


def test_groups_both_at_the_top_level_and_in_the_topology_are_an_error(tmp_path: Path) -> None:
    text = MISPLACED.replace("b: { type: tosca.nodes.Compute }\n",
                             "b: { type: tosca.nodes.Compute }\n      groups: {}\n")
    error = rejected(write(tmp_path / "t.yaml", text), "tosca.misplaced_section")
    assert error.line == 7 and "ambiguous" in error.message


def test_top_level_policies_without_a_topology_stay_an_error(tmp_path: Path) -> None:
    error = rejected(write(tmp_path / "t.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        policies:
          - spread: { type: tosca.policies.Placement }
    """), "tosca.misplaced_section")
    assert error.line == 2


def test_policies_written_as_a_map_are_read_in_order(tmp_path: Path) -> None:
    model, diags = loaded(write(tmp_path / "t.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          node_templates:
            a: { type: tosca.nodes.Compute }
          policies:
            second: { type: tosca.policies.Placement, targets: [ a ] }
            first: { type: tosca.policies.Placement, targets: [ a ] }
    """))
    assert [p.name for p in model.policies] == ["second", "first"]
    assert the(diags, "tosca.policies_as_map").line == 5


def test_a_policy_of_a_map_is_still_checked_at_its_own_line(tmp_path: Path) -> None:
    error = rejected(write(tmp_path / "t.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          node_templates:
            a: { type: tosca.nodes.Compute }
          policies:
            fine: { type: tosca.policies.Placement, targets: [ a ] }
            broken: { type: tosca.policies.NoSuchPolicy, targets: [ a ] }
    """), "tosca.unknown_type")
    assert error.line == 7 and "'broken'" in error.message


# -- external virtual links ---------------------------------------------------------------------
def test_a_virtual_link_to_no_node_is_an_external_link(tmp_path: Path) -> None:
    model, diags = loaded(sol001(tmp_path, link="public"))
    warning = the(diags, "tosca.external_link")
    assert warning.line == 30 and "'public'" in warning.message
    assert [(r.name, r.target) for r in model.nodes["cp1"].requirements] == [
        ("virtual_binding", "vdu1")]


def test_a_requirement_after_a_dropped_link_keeps_its_line(tmp_path: Path) -> None:
    error = rejected(sol001(tmp_path, link="public", binding="nowhere"),
                     "tosca.missing_requirement_target")
    assert error.line == 31 and "'virtual_binding'" in error.message


def test_a_virtual_link_to_a_node_is_an_edge(tmp_path: Path) -> None:
    text = sol001(tmp_path, link="vl1").read_text() + textwrap.indent(textwrap.dedent("""
        vl1:
          type: tosca.nodes.nfv.VnfVirtualLink
          properties:
            connectivity_type: { layer_protocols: [ ipv4 ] }
            vl_profile:
              max_bitrate_requirements: { root: 1000 }
              min_bitrate_requirements: { root: 100 }
    """), "    ")
    model, diags = loaded(write(tmp_path / "vnfd.yaml", text))
    assert not [d for d in diags if d.code == "tosca.external_link"]
    assert ("virtual_link", "vl1") in [(r.name, r.target) for r in model.nodes["cp1"].requirements]


def test_a_plain_requirement_to_no_node_stays_an_error(tmp_path: Path) -> None:
    error = rejected(write(tmp_path / "t.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          node_templates:
            a:
              type: tosca.nodes.Compute
              requirements:
                - dependency: nowhere
    """), "tosca.missing_requirement_target")
    assert error.line == 7


# -- group members --------------------------------------------------------------------------------
GROUP = """
    tosca_definitions_version: tosca_simple_yaml_1_3
    topology_template:
      node_templates:
        a: { type: tosca.nodes.Compute }
        b: { type: tosca.nodes.Compute }
      groups:
        g:
          type: tosca.groups.Root
          members: [ a, MEMBER, b ]
"""


def test_a_group_member_that_is_no_node_is_dropped(tmp_path: Path) -> None:
    model, diags = loaded(write(tmp_path / "t.yaml", GROUP.replace("MEMBER", "internal")))
    assert [g.members for g in model.groups] == [("a", "b")]
    warning = the(diags, "tosca.unknown_group_member")
    assert warning.line == 9 and "'internal'" in warning.message


def test_a_group_member_that_is_not_a_name_stays_an_error(tmp_path: Path) -> None:
    rejected(write(tmp_path / "t.yaml", GROUP.replace("MEMBER", "{ x: 1 }")),
             "tosca.unknown_group_member")


# -- checksum algorithm ---------------------------------------------------------------------------
def test_an_unhyphenated_checksum_algorithm_is_normalised(tmp_path: Path) -> None:
    model, diags = loaded(sol001(tmp_path, link="public", algorithm="sha512"))
    warning = the(diags, "sol001.algorithm_alias")
    assert warning.line == 16 and "'sha512'" in warning.message
    image = model.nodes["vdu1"].properties["sw_image_data"]
    assert image["checksum"]["algorithm"] == "sha-512"


CONSTRAINED = """
    tosca_definitions_version: tosca_simple_yaml_1_3
    data_types:
      tosca.datatypes.nfv.ChecksumData:
        derived_from: tosca.datatypes.Root
        properties:
          algorithm:
            type: string
            constraints:
              - valid_values: [ sha-224, sha-256, sha-384, sha-512 ]
          hash: { type: string }
    node_types:
      Image:
        derived_from: tosca.nodes.Root
        properties:
          checksums: { type: list, entry_schema: { type: tosca.datatypes.nfv.ChecksumData } }
    topology_template:
      node_templates:
        image:
          type: Image
          properties:
            checksums:
              - { algorithm: sha-256, hash: abc }
              - { algorithm: ALGORITHM, hash: def }
"""


def test_an_alias_inside_a_list_is_normalised_before_validation(tmp_path: Path) -> None:
    model, diags = loaded(write(tmp_path / "t.yaml", CONSTRAINED.replace("ALGORITHM", "sha384")))
    assert the(diags, "sol001.algorithm_alias").line == 23
    assert [c["algorithm"] for c in model.nodes["image"].properties["checksums"]] == [
        "sha-256", "sha-384"]


def test_another_checksum_algorithm_stays_an_error(tmp_path: Path) -> None:
    for algorithm in ("md5", "SHA512", "sha-1"):
        model, diags = load(write(tmp_path / "t.yaml", CONSTRAINED.replace("ALGORITHM",
                                                                           algorithm)))
        assert model is None
        assert any(d.code == "tosca.invalid_value" and algorithm in d.message for d in diags)
        assert not [d for d in diags if d.code == "sol001.algorithm_alias"]


# -- dangling requirements (TOSCA 1.3) -------------------------------------------------------
DANGLING = """
    tosca_definitions_version: VERSION
    node_types:
      Client:
        derived_from: tosca.nodes.Root
        requirements:
          - server:
              capability: tosca.capabilities.Endpoint
              relationship: tosca.relationships.ConnectsTo
    topology_template:
      node_templates:
        client:
          type: Client
"""


def test_an_open_requirement_of_a_1_3_template_is_dangling(tmp_path: Path) -> None:
    model, diags = loaded(write(tmp_path / "t.yaml",
                                DANGLING.replace("VERSION", "tosca_simple_yaml_1_3")))
    warning = the(diags, "tosca.dangling_requirement")
    assert warning.line == 11 and '"server"' in warning.message
    assert model.nodes["client"].requirements == ()


def test_an_open_requirement_before_1_3_stays_an_error(tmp_path: Path) -> None:
    for version in ("tosca_simple_yaml_1_0", "tosca_simple_yaml_1_2"):
        rejected(write(tmp_path / "t.yaml", DANGLING.replace("VERSION", version)),
                 "tosca.requirement_occurrences")


def test_a_1_3_node_without_its_host_stays_an_error(tmp_path: Path) -> None:
    rejected(write(tmp_path / "t.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          node_templates:
            app: { type: tosca.nodes.SoftwareComponent }
    """), "tosca.requirement_occurrences")


def test_a_1_3_requirement_assigned_too_often_stays_an_error(tmp_path: Path) -> None:
    rejected(write(tmp_path / "t.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        node_types:
          Client:
            derived_from: tosca.nodes.Root
            requirements:
              - server:
                  capability: tosca.capabilities.Node
                  occurrences: [ 0, 1 ]
        topology_template:
          node_templates:
            a: { type: tosca.nodes.Compute }
            b: { type: tosca.nodes.Compute }
            client:
              type: Client
              requirements: [ { server: a }, { server: b } ]
    """), "tosca.requirement_occurrences")


# -- the parsed documents are left alone ---------------------------------------------------
def test_repair_copies_the_document_it_changes() -> None:
    text = textwrap.dedent(MISPLACED).lstrip("\n").replace("[ a, b ]", "[ a, ghost, b ]")
    doc, _diags = parse_yaml(text, "t.yaml")
    assert doc is not None
    original = repr(doc.data)
    graph = ImportGraph([ImportedFile(Path("t.yaml"), doc)])
    registry = TypeRegistry("tosca_simple_yaml_1_3")
    repaired = repair(graph, registry)
    assert repr(doc.data) == original
    fixed = graph.files[0].doc
    assert fixed is not doc and fixed.repaired and not doc.repaired
    assert fixed.data["topology_template"]["groups"]["pair"]["members"] == ["a", "b"]
    assert fixed.line_of("topology_template", "groups", "pair", "members", 1) == \
        doc.line_of("groups", "pair", "members", 2)
    assert sorted(d.code for d in repaired.diagnostics) == [
        "tosca.misplaced_section", "tosca.misplaced_section", "tosca.unknown_group_member"]


def test_a_mandatory_external_link_is_not_an_unfulfilled_requirement(tmp_path: Path) -> None:
    # the requirement is given at instantiation: before TOSCA 1.3 too, it is no error
    text = sol001(tmp_path).read_text().replace("tosca_simple_yaml_1_3", "tosca_simple_yaml_1_2")
    text = text.replace("  node_templates:\n", textwrap.dedent("""\
        node_types:
          UplinkCp:
            derived_from: tosca.nodes.nfv.VduCp
            requirements:
              - uplink:
                  capability: tosca.capabilities.nfv.VirtualLinkable
                  relationship: tosca.relationships.nfv.VirtualLinksTo
                  occurrences: [ 1, 1 ]
        topology_template:
          node_templates:
        """)).replace("topology_template:\nnode_types:", "node_types:", 1)
    text = text.replace("type: tosca.nodes.nfv.VduCp", "type: UplinkCp").replace(
        "- virtual_link: public", "- uplink: provider-net")
    model, diags = loaded(write(tmp_path / "vnfd.yaml", text))
    assert "'provider-net'" in the(diags, "tosca.external_link").message
    assert not [d for d in diags if "occurrences" in d.code]
    assert [r.name for r in model.nodes["cp1"].requirements] == ["virtual_binding"]
