"""Pre-checks of shapes the validator would crash on, each reported with its position."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from netorch.model.diagnostics import Severity
from netorch.tosca import load

BASE = """
tosca_definitions_version: tosca_simple_yaml_1_3
topology_template:
  node_templates:
    vm:
      type: tosca.nodes.Compute
"""


@pytest.mark.parametrize(("addition", "code", "fragment", "line"), [
    ("      interfaces:\n        Maintenance:\n          start: start.sh\n",
     "tosca.unknown_interface", "'Maintenance'", 7),
    ("      interfaces:\n        Standard:\n          create:\n",
     "tosca.invalid_section", "operation 'create'", 7),
    ("      interfaces:\n        Standard: start.sh\n", "tosca.invalid_section", "a map", 7),
    ("      capabilities:\n        host: 2\n", "tosca.invalid_section", "'host'", 7),
    ("      artifacts:\n        image: 3\n", "tosca.invalid_section", "'image'", 7),
    ("  inputs:\n    cpus: { default: 2 }\n", "tosca.missing_field", "'cpus'", 7),
    ("  substitution_mappings:\n    properties: {}\n", "tosca.missing_field", "node_type", 6),
    ("  substitution_mappings:\n    node_type: acme.Nothing\n", "tosca.unknown_type",
     "'acme.Nothing'", 7),
    ("node_types: [ a, b ]\n", "tosca.invalid_section", "'node_types'", 6),
    ("data_types:\n  Bad: 3\n", "tosca.invalid_section", "'Bad'", 7),
])
def test_malformed_shapes(tmp_path: Path, addition: str, code: str, fragment: str,
                          line: int) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent(BASE).lstrip("\n") + addition, encoding="utf-8")
    model, diags = load(path)
    assert model is None
    errors = [d for d in diags if d.severity is Severity.ERROR]
    assert [(d.code, d.line) for d in errors] == [(code, line)], [str(d) for d in errors]
    assert fragment in errors[0].message


def test_an_empty_operation_list_is_accepted(tmp_path: Path) -> None:
    # Tacker writes `instantiate: []` for "no script": the type's operation without one
    path = tmp_path / "t.yaml"
    path.write_text(textwrap.dedent(BASE).lstrip("\n") +
                    "      interfaces:\n        Standard:\n          create: []\n")
    model, diags = load(path)
    assert model is not None, [str(d) for d in diags]
