"""Valid TOSCA 1.1-1.3 that the validator mishandles loads, and its real errors still show.

Each test is one construct of :mod:`netorch.tosca.compat` (the staged copy's lowering or a
validator finding that is not a TOSCA error), written as a small template.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netorch.model.diagnostics import Diagnostic, Severity, has_errors
from netorch.model.service import ServiceModel
from netorch.tosca import load


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def loads(path: Path, **kwargs: object) -> ServiceModel:
    model, diags = load(path, **kwargs)  # type: ignore[arg-type]
    errors = [str(d) for d in diags if d.severity is Severity.ERROR]
    assert not errors and model is not None, errors
    return model


def errors_of(path: Path, **kwargs: object) -> list[Diagnostic]:
    model, diags = load(path, **kwargs)  # type: ignore[arg-type]
    assert model is None
    return [d for d in diags if d.severity is Severity.ERROR]


# -- versions -------------------------------------------------------------------------------
def test_tosca_1_1_is_read(tmp_path: Path) -> None:
    model = loads(write(tmp_path / "t.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_1
        metadata: { template_name: one-one }
        topology_template:
          node_templates:
            server: { type: tosca.nodes.Compute }
    """))
    assert model.tosca_version == "tosca_simple_yaml_1_1"
    assert model.name == "one-one"


def test_the_nfv_profile_short_version_is_the_legacy_profile(tmp_path: Path) -> None:
    model = loads(write(tmp_path / "t.yaml", """
        tosca_definitions_version: tosca_simple_profile_for_nfv_1_0
        topology_template:
          node_templates:
            vdu: { type: tosca.nodes.nfv.VDU }
            vl:
              type: tosca.nodes.nfv.VL
              properties: { vendor: acme }
            cp:
              type: tosca.nodes.nfv.CP
              requirements:
                - virtualLink: vl
                - virtualBinding: vdu
                # the profile's CP is a tosca.nodes.network.Port, whose requirements remain
                - link: vl
                - binding: vdu
    """))
    assert model.nodes["vdu"].type_chain[0] == "tosca.nodes.nfv.VDU"
    assert {r.target for r in model.nodes["cp"].requirements} == {"vl", "vdu"}


# -- names ----------------------------------------------------------------------------------
def test_namespace_prefixes_reach_nested_imports(tmp_path: Path) -> None:
    write(tmp_path / "profile" / "profile.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        namespace: http://example.com/cloud
        imports: [ nodes.yaml ]
    """)
    write(tmp_path / "profile" / "nodes.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        imports: [ data.yaml ]
        node_types:
          Server:
            properties:
              flavor: { type: Flavor }
    """)
    write(tmp_path / "profile" / "data.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        data_types:
          Flavor:
            derived_from: string
            constraints: [ valid_values: [ small, large ] ]
    """)
    main = write(tmp_path / "main.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        imports:
          - namespace_prefix: cloud
            file: profile/profile.yaml
        topology_template:
          node_templates:
            a: { type: "cloud:Server", properties: { flavor: small } }
    """)
    model = loads(main)
    assert model.nodes["a"].type_chain == ("cloud:Server", "tosca.nodes.Root")
    # the profile's own data type still constrains the value
    main.write_text(main.read_text().replace("flavor: small", "flavor: huge"))
    assert any("huge" in d.message for d in errors_of(main))


def test_tosca_shorthand_names_and_root_types(tmp_path: Path) -> None:
    model = loads(write(tmp_path / "t.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        capability_types:
          Ingress: {}
        node_types:
          Gateway:
            derived_from: tosca:Compute
            capabilities:
              ingress: Ingress
          Backend: {}
        topology_template:
          node_templates:
            gw: { type: Gateway }
            be: { type: Backend }
            lb: { type: tosca:LoadBalancer }
    """))
    assert model.nodes["gw"].type_chain == ("Gateway", "tosca.nodes.Compute", "tosca.nodes.Root")
    assert model.nodes["be"].type_chain == ("Backend", "tosca.nodes.Root")
    assert model.nodes["lb"].type == "tosca.nodes.LoadBalancer"


# -- TOSCA 1.2 normative types ----------------------------------------------------------------
STORAGE = """
    tosca_definitions_version: tosca_simple_yaml_1_2
    topology_template:
      node_templates:
        server:
          type: Compute
          requirements:
            - local_storage:
                node: disk
                relationship:
                  type: AttachesTo
                  properties: { location: /data }
        disk:
          type: DISK_TYPE
          properties:
            name: data
            size: 10 GB
        bucket:
          type: tosca:Storage.ObjectStorage
          properties: { name: logs, maxsize: 1 TB }
"""


@pytest.mark.parametrize("disk_type", ["BlockStorage", "Storage.BlockStorage",
                                       "tosca.nodes.Storage.BlockStorage"])
def test_storage_types_of_tosca_1_2(tmp_path: Path, disk_type: str) -> None:
    model = loads(write(tmp_path / "t.yaml", STORAGE.replace("DISK_TYPE", disk_type)))
    disk = model.nodes["disk"]
    assert disk.type_chain == ("tosca.nodes.Storage.BlockStorage", "tosca.nodes.Abstract.Storage",
                               "tosca.nodes.Root")
    assert disk.properties["name"] == "data"
    assert model.nodes["bucket"].type == "tosca.nodes.Storage.ObjectStorage"
    [attach] = model.nodes["server"].requirements
    assert (attach.target, attach.relationship) == ("disk", "tosca.relationships.AttachesTo")


def test_tosca_1_2_storage_name_is_required(tmp_path: Path) -> None:
    path = write(tmp_path / "t.yaml", STORAGE.replace("DISK_TYPE", "BlockStorage").replace(
        "            name: data\n", ""))
    [error] = errors_of(path)
    assert error.code == "tosca.missing_field"
    assert '"disk"' in error.message and "'name'" in error.message


def test_tosca_1_0_keeps_its_block_storage(tmp_path: Path) -> None:
    path = write(tmp_path / "t.yaml", STORAGE.replace("DISK_TYPE", "BlockStorage").replace(
        "tosca_simple_yaml_1_2", "tosca_simple_yaml_1_0").replace(
        "bucket:\n          type: tosca:Storage.ObjectStorage", "bucket:\n          type: "
        "tosca:ObjectStorage").replace("{ name: logs, maxsize: 1 TB }", "{ name: logs }"))
    # 1.0's BlockStorage has no name property
    [error] = errors_of(path)
    assert error.code == "tosca.unknown_field" and '"name"' in error.message


def test_container_application_of_tosca_1_2(tmp_path: Path) -> None:
    model = loads(write(tmp_path / "t.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_2
        topology_template:
          node_templates:
            app:
              type: tosca.nodes.Container.Application.Docker
              requirements:
                - host: runtime
                - network: db
            runtime:
              type: tosca.nodes.Container.Runtime
              requirements: [ host: vm ]
            vm: { type: tosca.nodes.Compute }
            db:
              type: tosca.nodes.Database
              requirements: [ host: dbms ]
            dbms:
              type: tosca.nodes.DBMS
              requirements: [ host: vm ]
    """))
    assert [(r.name, r.target) for r in model.nodes["app"].requirements] == [
        ("host", "runtime"), ("network", "db")]


# -- definitions and assignments ----------------------------------------------------------------
def test_refinements_and_short_notations(tmp_path: Path) -> None:
    model = loads(write(tmp_path / "t.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        node_types:
          MyDBMS:
            derived_from: tosca.nodes.DBMS
            properties:
              port:
                default: 3306
            capabilities:
              host:
                valid_source_types: [ tosca.nodes.Database ]
          Ports:
            derived_from: tosca.nodes.Root
            capabilities:
              ingress: tosca.capabilities.Endpoint
            requirements:
              - peer:
                  capability: tosca.capabilities.Endpoint
                  relationship: tosca.relationships.ConnectsTo
        topology_template:
          node_templates:
            dbms:
              type: MyDBMS
              requirements: [ host: vm ]
            vm: { type: tosca.nodes.Compute }
            a:
              type: Ports
              requirements:
                - peer:
                    node: b
                    relationship:
                      properties: {}
            b:
              type: Ports
              requirements:
                - peer: a
    """))
    assert model.nodes["dbms"].properties["port"] == 3306
    [peer] = model.nodes["a"].requirements
    assert peer.relationship == "tosca.relationships.ConnectsTo"


def test_interface_inputs_reach_every_operation(tmp_path: Path) -> None:
    model = loads(write(tmp_path / "t.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          inputs:
            password: { type: string, default: secret }
          node_templates:
            db:
              type: tosca.nodes.DBMS
              requirements: [ host: vm ]
              interfaces:
                Standard:
                  inputs:
                    root_password: { get_input: password }
                  operations:
                    create: install.sh
                    configure:
                      implementation: configure.sh
                      inputs: { port: 5432 }
            vm: { type: tosca.nodes.Compute }
    """))
    [standard] = model.nodes["db"].interfaces
    ops = {op.name: op for op in standard.operations}
    assert ops["create"].inputs == {"root_password": "secret"}
    assert ops["configure"].inputs == {"root_password": "secret", "port": 5432}


def test_tosca_1_3_functions(tmp_path: Path) -> None:
    model = loads(write(tmp_path / "t.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          node_templates:
            vm:
              type: tosca.nodes.Compute
              attributes:
                tosca_name: { token: [ "a-*-b-*-c", "-*", 0 ] }
                tosca_id: { join: [ [ 10, 0, 0, 1 ], "." ] }
                state: { get_nodes_of_type: tosca.nodes.Compute }
    """))
    attributes = model.nodes["vm"].attributes
    assert attributes["tosca_name"] == "a"
    assert attributes["tosca_id"] == "10.0.0.1"
    assert attributes["state"] == {"get_nodes_of_type": "tosca.nodes.Compute"}


TRIGGERS = """
    tosca_definitions_version: tosca_simple_yaml_1_3
    policy_types:
      Backup:
        derived_from: tosca.policies.Root
    topology_template:
      node_templates:
        vm: { type: tosca.nodes.Compute }
      outputs:
        address:
          type: string
          value: { get_attribute: [ vm, private_address ] }
      policies:
        - backup:
            type: Backup
            targets: [ vm ]
            triggers:
              nightly:
                event: tick
                condition:
                  - state: [ { equal: started } ]
                action:
                  - ACTIVITY
"""


def test_tosca_1_3_triggers_and_output_types(tmp_path: Path) -> None:
    text = TRIGGERS.replace("ACTIVITY", "call_operation: Standard.stop")
    model = loads(write(tmp_path / "t.yaml", text))
    assert model.outputs["address"].value == {"get_attribute": ["vm", "private_address"]}


def test_a_malformed_trigger_is_reported(tmp_path: Path) -> None:
    text = TRIGGERS.replace("ACTIVITY", "reboot: now")
    [error] = errors_of(write(tmp_path / "t.yaml", text))
    assert error.code == "tosca.invalid_trigger"
    assert "'nightly'" in error.message and "'backup'" in error.message
    assert error.line is not None


def test_circular_imports_load(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        imports: [ b.yaml ]
        node_types:
          A: { derived_from: tosca.nodes.Root }
    """)
    write(tmp_path / "b.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        imports: [ a.yaml ]
        node_types:
          B: { derived_from: A }
    """)
    model = loads(write(tmp_path / "main.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        imports: [ a.yaml ]
        topology_template:
          node_templates:
            x: { type: B }
    """))
    assert model.nodes["x"].type_chain == ("B", "A", "tosca.nodes.Root")


def test_misplaced_topology_sections_are_named(tmp_path: Path) -> None:
    # policies both at the top level and in the topology: which ones are meant is ambiguous
    # (written once, at the top level only, they are read with a warning: test_tosca_leniency)
    errors = errors_of(write(tmp_path / "t.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          node_templates:
            vm: { type: tosca.nodes.Compute }
          policies: []
        policies:
          - p: { type: tosca.policies.Placement, targets: [ vm ] }
    """))
    assert [(e.code, e.line) for e in errors] == [("tosca.misplaced_section", 6)]
    assert "'policies'" in errors[0].message and "topology_template" in errors[0].message


# -- validator findings that are not TOSCA errors, and the ones that are -------------------------
SUBSTITUTION = """
    tosca_definitions_version: tosca_simple_yaml_1_3
    node_types:
      Appliance:
        derived_from: tosca.nodes.Root
        properties:
          size: { type: integer, required: false }
        requirements:
          - host:
              capability: tosca.capabilities.Container
              node: tosca.nodes.Compute
              relationship: tosca.relationships.HostedOn
    topology_template:
      inputs:
        size: { type: integer }
      node_templates:
        web:
          type: tosca.nodes.WebServer
      substitution_mappings:
        node_type: Appliance
        properties:
          size: [ size ]
        requirements:
          MAPPING
"""


def test_requirements_mapped_by_substitution_may_stay_open(tmp_path: Path) -> None:
    loads(write(tmp_path / "t.yaml", SUBSTITUTION.replace("MAPPING", "host: [ web, host ]")))


def test_unmapped_requirements_must_be_fulfilled(tmp_path: Path) -> None:
    path = write(tmp_path / "t.yaml", SUBSTITUTION.replace("MAPPING", "{}").replace(
        "requirements:\n          {}", "requirements: {}"))
    [error] = errors_of(path)
    assert error.code == "tosca.requirement_occurrences" and '"web"' in error.message


VALUES = """
    tosca_definitions_version: tosca_simple_yaml_1_3
    data_types:
      Memory:
        derived_from: tosca.datatypes.Root
        properties:
          size: { type: integer }
          huge_pages: { type: boolean, required: true, default: false }
          policy: { type: string, status: deprecated, required: false }
    node_types:
      Box:
        derived_from: tosca.nodes.Root
        properties:
          load: { type: float }
          tags:
            type: list
            entry_schema: { type: string }
            constraints: [ valid_values: [ [ a, b ], [ c ] ] ]
          memory: { type: Memory }
    topology_template:
      node_templates:
        box:
          type: Box
          properties:
            load: LOAD
            tags: TAGS
            memory: MEMORY
"""


def values(load_value: str, tags: str, memory: str) -> str:
    return VALUES.replace("LOAD", load_value).replace("TAGS", tags).replace("MEMORY", memory)


def test_values_tosca_accepts(tmp_path: Path) -> None:
    model = loads(write(tmp_path / "t.yaml", values("10", "[ a, b ]", "{ size: 512 }")))
    assert model.nodes["box"].properties["load"] == 10


@pytest.mark.parametrize(("load_value", "tags", "memory", "fragment"), [
    ("ten", "[ a, b ]", "{ size: 512 }", '"ten" is not a float'),
    ("1.5", "[ a ]", "{ size: 512 }", "['a']"),
    ("1.5", "[ c ]", "{ }", "'size'"),
])
def test_values_tosca_rejects(tmp_path: Path, load_value: str, tags: str, memory: str,
                              fragment: str) -> None:
    errors = errors_of(write(tmp_path / "t.yaml", values(load_value, tags, memory)))
    assert any(fragment in e.message for e in errors), [str(e) for e in errors]
    # a required field with a false default is never the missing one
    assert not any("huge_pages" in e.message for e in errors)


def test_policy_types_may_target_normative_node_types(tmp_path: Path) -> None:
    loads(write(tmp_path / "t.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        policy_types:
          Backup:
            derived_from: tosca.policies.Root
            targets: [ tosca.nodes.Compute ]
        topology_template:
          node_templates:
            vm: { type: tosca.nodes.Compute }
          policies:
            - backup: { type: Backup, targets: [ vm ] }
    """))


def test_a_requirement_target_without_the_capability_is_a_warning(tmp_path: Path) -> None:
    model, diags = load(write(tmp_path / "t.yaml", """
        tosca_definitions_version: tosca_simple_yaml_1_3
        topology_template:
          node_templates:
            app:
              type: tosca.nodes.WebApplication
              requirements: [ host: net ]
            net: { type: tosca.nodes.network.Network }
    """))
    assert model is not None and not has_errors(diags)
    [warning] = [d for d in diags if d.code == "tosca.requirement_target_mismatch"]
    assert warning.severity is Severity.WARNING
    assert "'net'" in warning.message and "tosca.capabilities.Container" in warning.message


# -- robustness: netorch's own stages never raise on any TOSCA-shaped input ---------------------
KEYS = st.sampled_from([
    "topology_template", "node_templates", "node_types", "data_types", "policy_types", "type",
    "derived_from", "properties", "requirements", "capabilities", "interfaces", "operations",
    "inputs", "outputs", "policies", "triggers", "substitution_mappings", "artifacts", "file",
    "token", "join", "relationship", "node", "capability", "event", "action", "namespace",
    "tosca:Compute", "tosca.nodes.nfv.Vdu.Compute", "BlockStorage", "range", "in_range",
    "constraints", "status", "x"])
TREES = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2) | KEYS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children,
                                                                     max_size=4),
    max_leaves=24)


NODE_TYPES = st.sampled_from([
    "tosca.nodes.Compute", "tosca.nodes.WebServer", "tosca:Storage.BlockStorage",
    "tosca.nodes.Container.Application.Docker", "tosca.nodes.network.Port",
    "tosca.nodes.LoadBalancer"])
NODES = st.dictionaries(
    st.sampled_from(["a", "b", "c"]),
    st.fixed_dictionaries({"type": NODE_TYPES}, optional={
        key: TREES for key in ("properties", "requirements", "interfaces", "capabilities",
                               "artifacts")}),
    max_size=3)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=st.dictionaries(KEYS, TREES, max_size=5), nodes=NODES,
       topology=st.dictionaries(KEYS, TREES, max_size=2))
def test_malformed_templates_are_diagnosed_not_crashed_on(
        tmp_path: Path, tree: dict[str, object], nodes: dict[str, object],
        topology: dict[str, object]) -> None:
    for document in ({"tosca_definitions_version": "tosca_simple_yaml_1_3", **tree},
                     {"tosca_definitions_version": "tosca_simple_yaml_1_3",
                      "topology_template": {**topology, "node_templates": nodes}}):
        path = tmp_path / "tree.yaml"
        path.write_text(yaml.safe_dump(document))
        model, diags = load(path)
        # neither netorch nor tosca-parser may crash: the shapes they cannot read are
        # reported by the pre-checks first
        assert not [d for d in diags if d.code == "internal.error"], (document, diags)
        assert model is not None or has_errors(diags)
