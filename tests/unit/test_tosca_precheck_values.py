"""Capability assignments and complex data values: precise errors where tosca-parser crashes.

TOSCA Simple Profile YAML 1.3 §3.8.1 (capability assignment keynames) and §3.7.6 (a value of
a complex data type is a map of its fields); netorch.tosca.precheck reports both, and the
staged copy gives the validator the ``properties`` key it cannot do without.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from netorch.model.diagnostics import Diagnostic, Severity
from netorch.tosca import load

CAPABILITY = """
    tosca_definitions_version: tosca_simple_yaml_1_3
    topology_template:
      node_templates:
        vm:
          type: tosca.nodes.Compute
          capabilities:
            host:
    ASSIGNMENT
"""

DATA = """
    tosca_definitions_version: tosca_simple_yaml_1_3
    data_types:
      Limits:
        derived_from: tosca.datatypes.Root
        properties:
          cpu: { type: integer, required: false }
      Profile:
        derived_from: tosca.datatypes.Root
        properties:
          limits: { type: Limits, required: false }
          port: { type: tosca.datatypes.network.PortDef, required: false }
    node_types:
      App:
        derived_from: tosca.nodes.Root
        properties:
          profiles: { type: map, entry_schema: { type: Profile } }
    topology_template:
      node_templates:
        app:
          type: App
          properties:
            profiles:
              small:
                port: 8080
                limits: VALUE
"""


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def errors(path: Path) -> list[Diagnostic]:
    model, diags = load(path)
    found = [d for d in diags if d.severity is Severity.ERROR]
    assert (model is None) == bool(found), [str(d) for d in diags]
    assert not [d for d in diags if d.code == "internal.error"], [str(d) for d in diags]
    return found


@pytest.mark.parametrize("assignment", [
    "",
    "          occurrences: [ 1, 1 ]",
    "          properties: { num_cpus: 2 }",
    "          properties: { num_cpus: 2 }\n          attributes: {}",
])
def test_capability_assignments_with_their_keynames_load(tmp_path: Path,
                                                         assignment: str) -> None:
    text = textwrap.dedent(CAPABILITY).replace("ASSIGNMENT", assignment)
    assert errors(write(tmp_path / "t.yaml", text)) == []


def test_capability_property_values_outside_properties_are_an_error(tmp_path: Path) -> None:
    text = textwrap.dedent(CAPABILITY).replace("ASSIGNMENT", "          num_cpus: 2\n"
                                                             "          mem_size: 1 GB")
    [error] = errors(write(tmp_path / "t.yaml", text))
    assert (error.code, error.line) == ("tosca.unknown_field", 8)
    assert "'num_cpus', 'mem_size'" in error.message and "'properties'" in error.message


def test_a_map_for_a_complex_data_type_loads(tmp_path: Path) -> None:
    text = textwrap.dedent(DATA).replace("VALUE", "{ cpu: 2 }")
    assert errors(write(tmp_path / "t.yaml", text)) == []


@pytest.mark.parametrize(("value", "shown"), [("", "null"), ("'2 cpus'", "'2 cpus'"),
                                              ("[ 2 ]", "[2]")])
def test_a_non_map_for_a_complex_data_type_is_an_error(tmp_path: Path, value: str,
                                                       shown: str) -> None:
    text = textwrap.dedent(DATA).replace("VALUE", value)
    [error] = errors(write(tmp_path / "t.yaml", text))
    assert (error.code, error.line) == ("tosca.type_mismatch", 25)
    assert error.message.startswith(f"app.properties.profiles.small.limits is {shown}, ")
    assert "data type Limits" in error.message
