"""ServiceModel <-> JSON round trips."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest

from netorch.model.serialize import decode_value, encode_value, model_from_dict, model_to_dict
from netorch.model.service import (
    ArtifactDef,
    GroupDef,
    InputDef,
    InstantiationLevel,
    InterfaceDef,
    NodeTemplate,
    OperationDef,
    OutputDef,
    PolicyDef,
    RequirementAssignment,
    ScalingAspect,
    ServiceModel,
)
from netorch.tosca import load

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted([*(REPO / "service-templates").glob("*.yaml"),
                   *(p for p in (REPO / "vnf-packages").iterdir() if p.is_dir())])


def through_json(model: ServiceModel) -> ServiceModel:
    text = json.dumps(model_to_dict(model), allow_nan=False, sort_keys=True)
    return model_from_dict(json.loads(text))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_round_trips(path: Path) -> None:
    model, diags = load(path)
    assert model is not None, diags
    again = through_json(model)
    assert again == model
    # and the tuple-typed fields are tuples again, not lists
    for node in again.nodes.values():
        assert isinstance(node.type_chain, tuple) and isinstance(node.requirements, tuple)
    for aspect in again.aspects.values():
        assert all(isinstance(steps, tuple) for steps in aspect.deltas.values())


def test_a_model_using_every_field_round_trips() -> None:
    odd_values = {
        "inf": float("inf"),
        "neg": float("-inf"),
        "int_keys": {1: "one", 2: ["two"]},
        "dollar": {"$tuple": "not a tag", "plain": 1},
        "tuple": (1, "a", (2,)),
        "set": {1, 2},
        "bytes": b"\x00\xff",
        "when": dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.UTC),
        "day": dt.date(2024, 5, 1),
        "nested": [{"get_attribute": ["vm", "private_address"]}, None, True, 1.5],
    }
    model = ServiceModel(
        name="everything", tosca_version="tosca_simple_yaml_1_3", source="x.yaml",
        description="all fields", metadata={"template_name": "everything", 3: "three"},
        inputs={"n": InputDef(name="n", type="integer", description="d", default=2,
                              required=False, has_default=True)},
        input_values={"n": 2},
        nodes={"vm": NodeTemplate(
            name="vm", type="tosca.nodes.Compute",
            type_chain=("tosca.nodes.Compute", "tosca.nodes.Root"), description="a vm",
            properties=odd_values, attributes={"a": 1},
            capabilities={"host": {"num_cpus": 2}},
            requirements=(RequirementAssignment(name="local_storage", target="disk",
                                                relationship="tosca.relationships.AttachesTo",
                                                capability="tosca.capabilities.Attachment",
                                                properties={"location": "/data"}),),
            interfaces=(InterfaceDef(name="Standard", type="tosca.interfaces.node.lifecycle."
                                     "Standard", operations=(OperationDef(
                                         name="create", implementation="create.sh",
                                         inputs={"x": {"$map": 1}}),)),),
            artifacts={"img": ArtifactDef(name="img", type="tosca.artifacts.Deployment.Image",
                                          file="img.qcow2", properties={"size": "1 GB"})},
            line=12)},
        policies=(PolicyDef(name="p", type="tosca.policies.Scaling",
                            type_chain=("tosca.policies.Scaling", "tosca.policies.Root"),
                            targets=("vm",), properties={"max_instances": 3}),),
        groups=(GroupDef(name="g", type="tosca.groups.Root", members=("vm",),
                         properties={"k": [1]}),),
        outputs={"o": OutputDef(name="o", value={"get_attribute": ["vm", "x"]},
                                description="out")},
        aspects={"p": ScalingAspect(name="p", max_scale_level=2, deltas={"vm": (1, 2)},
                                    description="asp")},
        initial_instances={"vm": 1}, min_instances={"vm": 1}, max_instances={"vm": 4},
        instantiation_levels={"small": InstantiationLevel(
            name="small", description="s", instances={"vm": 1}, scale_levels={"p": 0})},
        default_instantiation_level="small",
        content_hash="ab" * 32,
    )
    again = through_json(model)
    assert again == model
    assert again.nodes["vm"].properties["tuple"] == (1, "a", (2,))
    assert again.nodes["vm"].properties["int_keys"] == {1: "one", 2: ["two"]}
    assert again.metadata[3] == "three"


@pytest.mark.parametrize("value", [
    None, True, 0, -7, 1.25, "text", [], {}, [1, [2, [3]]], {"a": {"b": None}},
    {"$set": [1]}, float("inf"), (), frozenset(), {(1, 2): "tuple key"},
])
def test_encode_decode_values(value: object) -> None:
    encoded = encode_value(value)
    json.dumps(encoded, allow_nan=False)
    assert decode_value(json.loads(json.dumps(encoded))) == value


def test_nan_round_trips_as_nan() -> None:
    decoded = decode_value(json.loads(json.dumps(encode_value(math.nan))))
    assert isinstance(decoded, float) and math.isnan(decoded)


def test_unknown_value_types_are_refused() -> None:
    with pytest.raises(TypeError):
        encode_value(object())


def test_other_format_versions_are_refused() -> None:
    model, _ = load(EXAMPLES[0])
    assert model is not None
    data = model_to_dict(model)
    data["format"] = 99
    with pytest.raises(ValueError, match="format"):
        model_from_dict(data)
