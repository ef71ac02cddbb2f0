"""get_attribute resolution (TOSCA 1.3 §4.5.1) from recorded resource attributes."""

from __future__ import annotations

from netorch.engine.attributes import resolve, unresolved
from netorch.model.resources import RecordState, ResourceKind, ResourceRecord


def rec(node_id: str, **attrs: object) -> ResourceRecord:
    return ResourceRecord(service="s", node_id=node_id, key=f"k-{node_id}",
                          kind=ResourceKind.COMPUTE, vim="sim", state=RecordState.CREATED,
                          spec_hash="h", vim_id=f"v-{node_id}", attributes=attrs)


RECORDS = {
    "lb": rec("lb", private_address="10.0.0.5", networks={"front": {"addresses": ["10.0.0.5"]}}),
    "web[0]": rec("web[0]", private_address="10.1.0.10"),
    "web[1]": rec("web[1]", private_address="10.1.0.11"),
    "cfg[1]": rec("cfg[1]"),
}


def test_template_name_node_id_self_and_nested_paths() -> None:
    assert resolve({"get_attribute": ["lb", "private_address"]}, me=None,
                   records=RECORDS) == "10.0.0.5"
    assert resolve({"get_attribute": ["web[1]", "private_address"]}, me=None,
                   records=RECORDS) == "10.1.0.11"
    assert resolve({"get_attribute": ["lb", "networks", "front", "addresses", 0]}, me=None,
                   records=RECORDS) == "10.0.0.5"
    assert resolve({"get_attribute": ["SELF", "tosca_id"]}, me="lb", records=RECORDS) == "v-lb"


def test_scaled_template_resolves_to_the_callers_own_index() -> None:
    value = {"backend": {"get_attribute": ["web", "private_address"]}, "port": 80}
    assert resolve(value, me="cfg[1]", records=RECORDS) == {"backend": "10.1.0.11", "port": 80}
    # Ambiguous without an index: left as the function, never guessed.
    left = resolve(value, me="lb", records=RECORDS)
    assert left["backend"] == {"get_attribute": ["web", "private_address"]}
    assert unresolved(left) and not unresolved({"port": 80, "list": [1, "a"]})


def test_unknown_entity_or_attribute_is_left_alone() -> None:
    for call in (["nope", "private_address"], ["lb", "no_such_attribute"],
                 ["lb", "networks", "missing"]):
        assert resolve({"get_attribute": call}, me=None, records=RECORDS) == {"get_attribute": call}
    assert resolve([{"get_attribute": ["lb", "private_address"]}, 3], me=None,
                   records=RECORDS) == ["10.0.0.5", 3]
