"""SOL001 specifics: built-in type files, the types path, flavours and scaling policies."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from netorch.model.diagnostics import Severity, has_errors
from netorch.tosca import load
from netorch.tosca.imports import TYPES_PATH_ENV

ETSI = "https://forge.etsi.org/rep/nfv/SOL001/raw"
BUILTIN = Path(__file__).resolve().parents[2] / "src" / "netorch" / "tosca" / "types" / "sol001"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def vnfd(version: str, body: str, header: str = "tosca_simple_yaml_1_3") -> str:
    return textwrap.dedent(f"""
        tosca_definitions_version: {header}
        imports:
          - {ETSI}/{version}/etsi_nfv_sol001_common_types.yaml
          - {ETSI}/{version}/etsi_nfv_sol001_vnfd_types.yaml
        """).lstrip("\n") + textwrap.dedent(body)


IMAGE = """
        sw_image_data:
          name: cirros
          version: "0.6"
          checksum:
            algorithm: sha-256
            hash: 6c3e8e7cbd5b0c1d5b2ba5e2b8f3b43dd0e4c11f0f0f1e0a7a4b1a3c7d9e2f10
          container_format: bare
          disk_format: qcow2
          min_disk: 1 GB
          size: 20 MB
"""

VDU = """
topology_template:
  node_templates:
    vdu:
      type: tosca.nodes.nfv.Vdu.Compute
      properties:
        name: vdu
        vdu_profile:
          min_number_of_instances: 2
          max_number_of_instances: 6
""" + IMAGE.lstrip("\n") + """\
      capabilities:
        virtual_compute:
          properties:
            virtual_memory:
              virtual_mem_size: 512 MB
            virtual_cpu:
              num_virtual_cpu: 1
    vl:
      type: tosca.nodes.nfv.VnfVirtualLink
      properties:
        connectivity_type:
          layer_protocols: [ ipv4 ]
        vl_profile:
          max_bitrate_requirements: { root: 1000 }
          min_bitrate_requirements: { root: 100 }
    cp:
      type: tosca.nodes.nfv.VduCp
      properties:
        layer_protocols: [ ipv4 ]
      requirements:
        - virtual_binding: vdu
        - virtual_link: vl
"""


@pytest.mark.parametrize("version", ["v2.6.1", "v2.7.1", "v3.3.1", "v4.4.1"])
def test_etsi_urls_of_any_version_resolve_to_builtin_types(tmp_path: Path, version: str) -> None:
    model, diags = load(write(tmp_path / "vnfd.yaml", vnfd(version, VDU)))
    assert diags == [], [str(d) for d in diags]
    assert model is not None
    assert model.nodes["vdu"].type_chain == ("tosca.nodes.nfv.Vdu.Compute", "tosca.nodes.Root")
    assert model.nodes["cp"].type_chain == (
        "tosca.nodes.nfv.VduCp", "tosca.nodes.nfv.Cp", "tosca.nodes.Root")
    rels = {r.name: r.relationship for r in model.nodes["cp"].requirements}
    assert rels == {"virtual_binding": "tosca.relationships.nfv.VirtualBindsTo",
                    "virtual_link": "tosca.relationships.nfv.VirtualLinksTo"}
    assert model.min_instances == {"vdu": 2} and model.max_instances == {"vdu": 6}
    # no VduInitialDelta: a VDU starts at its profile's minimum
    assert model.initial_instances == {"vdu": 2}


def test_sol001_type_checks_apply(tmp_path: Path) -> None:
    body = VDU.replace("num_virtual_cpu: 1", "num_virtual_cpu: 0")
    model, diags = load(write(tmp_path / "vnfd.yaml", vnfd("v2.6.1", body)))
    assert model is None
    assert any("num_virtual_cpu" in d.message for d in diags if d.severity is Severity.ERROR)


def test_unknown_etsi_file_is_not_found(tmp_path: Path) -> None:
    text = vnfd("v2.6.1", VDU).replace("etsi_nfv_sol001_vnfd_types.yaml",
                                       "etsi_nfv_sol001_foo_types.yaml")
    model, diags = load(write(tmp_path / "vnfd.yaml", text))
    assert model is None
    [diag] = diags
    assert diag.code == "import.not_found" and "etsi_nfv_sol001_foo_types.yaml" in diag.message


def types_path_with_extra_type(root: Path, version_dir: str) -> Path:
    target = root / version_dir
    target.mkdir(parents=True)
    for name in ("etsi_nfv_sol001_common_types.yaml", "etsi_nfv_sol001_vnfd_types.yaml"):
        shutil.copy(BUILTIN / name, target / name)
    with (target / "etsi_nfv_sol001_vnfd_types.yaml").open("a") as fh:
        fh.write("\n  tosca.nodes.nfv.OnlyInTheTypesPath:\n    derived_from: tosca.nodes.Root\n")
    return root


ONLY_IN_TYPES_PATH = """
topology_template:
  node_templates:
    special:
      type: tosca.nodes.nfv.OnlyInTheTypesPath
"""


def test_types_path_takes_precedence(tmp_path: Path) -> None:
    path = write(tmp_path / "vnfd.yaml", vnfd("v2.6.1", ONLY_IN_TYPES_PATH))
    model, diags = load(path)
    assert model is None and [d.code for d in diags] == ["tosca.unknown_type"]
    types = types_path_with_extra_type(tmp_path / "types", "2.6.1")
    model, diags = load(path, types_path=types)
    assert diags == [] and model is not None
    assert model.nodes["special"].type == "tosca.nodes.nfv.OnlyInTheTypesPath"


def test_types_path_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "vnfd.yaml", vnfd("v3.3.1", ONLY_IN_TYPES_PATH))
    monkeypatch.setenv(TYPES_PATH_ENV, str(types_path_with_extra_type(tmp_path / "t", "v3.3.1")))
    model, diags = load(path)
    assert diags == [] and model is not None


def test_a_package_copy_next_to_the_importer_is_preferred(tmp_path: Path) -> None:
    types = types_path_with_extra_type(tmp_path / "copy", "x")
    definitions = tmp_path / "pkg" / "Definitions"
    shutil.copytree(types / "x", definitions)
    path = write(definitions / "vnfd.yaml", vnfd("v2.6.1", ONLY_IN_TYPES_PATH))
    model, diags = load(path)
    assert diags == [] and model is not None


# -- deployment flavours ------------------------------------------------------------------------
TOP = """
node_types:
  # tosca-parser wants the flavours' substitution mappings to cover every required property of
  # the VNF type: the provider type pins them with defaults, as SOL001 VNFDs usually do
  acme.VNF:
    derived_from: tosca.nodes.nfv.VNF
    properties:
      descriptor_id: { type: string, default: 11111111-2222-3333-4444-555555555555 }
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
topology_template:
  inputs:
    selected_flavour:
      type: string
  node_templates:
    VNF:
      type: acme.VNF
      properties:
        flavour_id: { get_input: selected_flavour }
        # a top-level VNFD states the VNF's identity (SOL001 §6.9)
        descriptor_id: 11111111-2222-3333-4444-555555555555
        descriptor_version: "1.0"
        provider: ACME
        product_name: Widget
        software_version: "1.0"
        vnfm_info: [ netorch ]
"""

FLAVOUR = """
tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - {etsi}/v2.6.1/etsi_nfv_sol001_common_types.yaml
  - {etsi}/v2.6.1/etsi_nfv_sol001_vnfd_types.yaml
  - types.yaml
topology_template:
  inputs:
    # one input per property the substituted VNF node has (tosca-parser insists)
    descriptor_id: {{ type: string }}
    descriptor_version: {{ type: string }}
    provider: {{ type: string }}
    product_name: {{ type: string }}
    software_version: {{ type: string }}
    vnfm_info: {{ type: list, entry_schema: {{ type: string }} }}
    flavour_id: {{ type: string }}
    flavour_description: {{ type: string }}
  substitution_mappings:
    node_type: acme.VNF
    properties:
      flavour_id: {flavour}
  node_templates:
    VNF:
      type: acme.VNF
      properties:
        flavour_description: the {flavour} flavour
    worker:
      type: tosca.nodes.nfv.Vdu.Compute
      properties:
        name: {{ concat: [ "worker-", {{ get_input: flavour_id }} ] }}
        description: {{ get_input: descriptor_id }}
        vdu_profile:
          min_number_of_instances: 1
          max_number_of_instances: {max}
        sw_image_data:
          name: worker
          version: "1.0"
          checksum:
            algorithm: sha-256
            hash: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
          container_format: bare
          disk_format: qcow2
          min_disk: 1 GB
          size: 20 MB
      capabilities:
        virtual_compute:
          properties:
            virtual_memory:
              virtual_mem_size: 1 GB
            virtual_cpu:
              num_virtual_cpu: 1
  policies:
    - aspects:
        type: tosca.policies.nfv.ScalingAspects
        properties:
          aspects:
            workers:
              name: workers
              description: more workers
              max_scale_level: {levels}
              step_deltas: [ d1 ]
    - worker_deltas:
        type: tosca.policies.nfv.VduScalingAspectDeltas
        properties:
          aspect: workers
          deltas:
            d1:
              number_of_instances: 1
        targets: [ worker ]
"""


@pytest.fixture
def flavoured(tmp_path: Path) -> Path:
    root = tmp_path / "pkg"
    defs = root / "Definitions"
    top = vnfd("v2.6.1", "").rstrip("\n") + "\n  - types.yaml\n  - df_small.yaml\n" \
        "  - df_big.yaml\n"
    write(defs / "top.yaml", top)
    types, topology = TOP.split("topology_template:")
    write(defs / "types.yaml", "tosca_definitions_version: tosca_simple_yaml_1_3\nimports:\n"
          f"  - {ETSI}/v2.6.1/etsi_nfv_sol001_vnfd_types.yaml\n" + textwrap.dedent(types))
    with (defs / "top.yaml").open("a") as fh:
        fh.write("topology_template:" + topology)
    for flavour, maximum, levels in (("small", 2, 1), ("big", 8, 7)):
        write(defs / f"df_{flavour}.yaml", FLAVOUR.format(etsi=ETSI, flavour=flavour,
                                                         max=maximum, levels=levels))
    write(root / "TOSCA-Metadata" / "TOSCA.meta",
          "TOSCA-Meta-File-Version: 1.0\nEntry-Definitions: Definitions/top.yaml\n")
    return root


@pytest.mark.parametrize(("flavour", "maximum", "levels"), [("small", 2, 1), ("big", 8, 7)])
def test_selected_flavour_is_merged(flavoured: Path, flavour: str, maximum: int,
                                    levels: int) -> None:
    model, diags = load(flavoured, inputs={"selected_flavour": flavour})
    assert not has_errors(diags), [str(d) for d in diags]
    assert model is not None
    assert set(model.nodes) == {"VNF", "worker"}
    vnf = model.nodes["VNF"].properties
    assert vnf["provider"] == "ACME"  # from the top-level node
    assert vnf["flavour_description"] == f"the {flavour} flavour"  # from the flavour
    worker = model.nodes["worker"].properties
    assert worker["name"] == f"worker-{flavour}"  # flavour inputs <- the VNF's properties
    assert worker["description"] == "11111111-2222-3333-4444-555555555555"
    assert model.max_instances == {"worker": maximum}
    assert model.aspects["workers"].max_scale_level == levels


def test_no_flavour_selected_means_no_merge(flavoured: Path) -> None:
    model, diags = load(flavoured)
    assert model is not None
    assert set(model.nodes) == {"VNF"}
    assert "sol001.flavour_not_selected" in {d.code for d in diags}


# -- scaling policies -------------------------------------------------------------------------
def test_tosca_scaling_policy_on_a_group_and_scalable_capability(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        policy_types:
          test.Scaling:
            derived_from: tosca.policies.Scaling
            properties:
              min_instances: { type: integer }
              max_instances: { type: integer }
              default_instances: { type: integer, required: false }
              increment: { type: integer, required: false }
        topology_template:
          node_templates:
            a:
              type: tosca.nodes.Compute
            b:
              type: tosca.nodes.Compute
            c:
              type: tosca.nodes.Compute
              capabilities:
                scalable:
                  properties:
                    min_instances: 1
                    max_instances: 3
                    default_instances: 2
          groups:
            pair:
              type: tosca.groups.Root
              members: [ a, b ]
          policies:
            - pair_scaling:
                type: test.Scaling
                targets: [ pair ]
                properties:
                  min_instances: 1
                  max_instances: 10
                  increment: 3
    """)
    model, diags = load(path)
    assert not has_errors(diags), diags
    assert model is not None
    aspect = model.aspects["pair_scaling"]
    # no default_instances: level 0 is min_instances; 1 + 3 * 3 = 10
    assert aspect.max_scale_level == 3
    assert dict(aspect.deltas) == {"a": (3,), "b": (3,)}
    assert model.initial_instances == {"a": 1, "b": 1, "c": 2}
    assert model.min_instances == {"a": 1, "b": 1, "c": 1}
    assert model.max_instances == {"a": 10, "b": 10, "c": 3}


def test_inconsistent_sol001_policies_are_rejected_by_name(tmp_path: Path) -> None:
    body = VDU + """
  policies:
    - aspects:
        type: tosca.policies.nfv.ScalingAspects
        properties:
          aspects:
            grow:
              name: grow
              description: grow
              max_scale_level: 2
              step_deltas: [ d1, d2 ]
    - deltas:
        type: tosca.policies.nfv.VduScalingAspectDeltas
        properties:
          aspect: grow
          deltas:
            d1: { number_of_instances: 1 }
        targets: [ vdu ]
    - other:
        type: tosca.policies.nfv.VduScalingAspectDeltas
        properties:
          aspect: shrink
          deltas:
            d1: { number_of_instances: 1 }
        targets: [ vdu ]
    - levels:
        type: tosca.policies.nfv.InstantiationLevels
        properties:
          levels:
            one:
              description: one
          default_level: two
"""
    text = vnfd("v2.6.1", body)
    model, diags = load(write(tmp_path / "v.yaml", text))
    assert model is None
    # each finding names the policy (and level or delta) and points at the policy's line
    line_of: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line_of.setdefault(line.strip(" -:"), number)
    found = {d.code: d for d in diags if d.severity is Severity.ERROR}
    assert set(found) == {"sol001.unknown_delta", "sol001.unknown_aspect",
                          "sol001.default_instantiation_level_unknown"}
    delta = found["sol001.unknown_delta"]
    assert "d2" in delta.message and "'deltas'" in delta.message
    assert delta.line == line_of["deltas"]
    aspect = found["sol001.unknown_aspect"]
    assert "'shrink'" in aspect.message and aspect.line == line_of["other"]
    level = found["sol001.default_instantiation_level_unknown"]
    assert "'two'" in level.message and "one" in level.message
    assert level.line == line_of["levels"]


def test_nsd_and_pnfd_basics_load(tmp_path: Path) -> None:
    path = write(tmp_path / "nsd.yaml", f"""
        tosca_definitions_version: tosca_simple_yaml_1_3
        imports:
          - {ETSI}/v3.3.1/etsi_nfv_sol001_nsd_types.yaml
        topology_template:
          node_templates:
            ns:
              type: tosca.nodes.nfv.NS
              properties:
                descriptor_id: 8a1b2c3d-0000-4000-8000-000000000001
                designer: netorch
                version: "1.0"
                name: edge
                invariant_id: 8a1b2c3d-0000-4000-8000-000000000002
                flavour_id: default
            access:
              type: tosca.nodes.nfv.NsVirtualLink
              properties:
                connectivity_type:
                  layer_protocols: [ ipv4 ]
                vl_profile:
                  max_bitrate_requirements: {{ root: 1000 }}
                  min_bitrate_requirements: {{ root: 100 }}
            sap:
              type: tosca.nodes.nfv.Sap
              properties:
                layer_protocols: [ ipv4 ]
              requirements:
                - internal_virtual_link: access
            pe:
              type: tosca.nodes.nfv.PNF
              properties:
                descriptor_id: pnf-1
                function_description: provider edge
                provider: acme
                version: "1"
                descriptor_invariant_id: pnf-1
                name: pe
              requirements:
                - virtual_link: access
    """)
    model, diags = load(path)
    assert diags == [], [str(d) for d in diags]
    assert model is not None
    assert model.nodes["sap"].type_chain == ("tosca.nodes.nfv.Sap", "tosca.nodes.nfv.Cp",
                                             "tosca.nodes.Root")
    assert [(r.target, r.relationship) for r in model.nodes["pe"].requirements] == [
        ("access", "tosca.relationships.nfv.VirtualLinksTo")]
