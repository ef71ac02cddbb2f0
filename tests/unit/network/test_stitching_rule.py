"""The stitching rule (topology/stitching.py): from attachments and service chains to one
device-configuration node, and the mistakes it refuses."""

from __future__ import annotations

from pathlib import Path

from helpers import REPO
from netorch.model.network import DeviceIntent
from netorch.model.resources import ResourceKind
from netorch.planner import Action, plan
from netorch.planner.observed import ObservedState
from netorch.topology.build import build_topology
from netorch.topology.stitching import STITCH_NODE_ID
from netorch.tosca.loader import load

TEMPLATE = REPO / "service-templates" / "stitched-chain.yaml"


def _build(path: Path, **inputs: object):  # type: ignore[no-untyped-def]
    model, diags = load(path, inputs=inputs or None)
    assert model is not None, [str(d) for d in diags]
    return build_topology(model)


def test_the_example_becomes_one_configuration_node_after_everything_it_stitches() -> None:
    topo, diags = _build(TEMPLATE)
    assert not [d for d in diags if d.severity.value == "error"]
    node = topo.node(STITCH_NODE_ID)
    assert node.kind is ResourceKind.NETCONFIG
    intents = {d: DeviceIntent.from_dict(i) for d, i in node.properties["devices"].items()}
    assert set(intents) == {"pe1", "pe2", "sw1"}
    pe1 = intents["pe1"]
    assert [i.name for i in pe1.interfaces] == ["eth1.101"]
    assert [(v.name, v.rd, v.interfaces) for v in pe1.vrfs] == [
        ("left_net", "65000:101", ("eth1.101",))]
    assert [h.vnf for h in pe1.chains[0].hops] == ["fw_vm", "nat_vm"]
    assert [c.name for c in intents["sw1"].chains] == []  # the chain is on pe1 and pe2 only
    # configured after the devices, the attachments, the VNFs and the ports its hops read
    deps = set(topo.dependencies(STITCH_NODE_ID))
    assert {"pe1", "pe2", "sw1", "left_on_pe1", "fw_nat_chain", "fw_vm", "fw_left_port",
            "nat_right_port"} <= deps
    assert topo.node("pe1").kind is ResourceKind.DEVICE
    # the hop addresses stay get_attribute functions until the engine applies the node
    hop = node.properties["devices"]["pe1"]["chains"][0]["hops"][0]
    assert hop["ip_address"] == {"get_attribute": ["fw_left_port", "ip_address"]}


def test_a_changed_vlan_updates_the_configuration_in_place() -> None:
    old, _ = _build(TEMPLATE)
    new, _ = _build(TEMPLATE, left_vlan=150)
    from netorch.model.resources import RecordState, ResourceRecord

    records = [ResourceRecord(service="s", node_id=n.id, key=f"k-{n.id}", kind=n.kind,
                              vim="x", state=RecordState.CREATED, spec_hash=n.spec_hash(),
                              node_type=n.type, depends_on=tuple(old.dependencies(n.id)))
               for n in old.nodes()]
    p = plan(new, ObservedState.from_records(records))
    actions = {c.node_id: c.action for c in p.changes if c.action is not Action.NOOP}
    assert actions[STITCH_NODE_ID] is Action.UPDATE
    assert Action.REPLACE not in actions.values()


def test_two_attachments_of_one_vlan_on_one_interface_are_refused(tmp_path: Path) -> None:
    text = TEMPLATE.read_text().replace("vlan: { get_input: right_vlan }",
                                        "vlan: { get_input: left_vlan }").replace(
        "- device: pe2\n        - virtual_link: right_net",
        "- device: pe1\n        - virtual_link: right_net")
    path = tmp_path / "clash.yaml"
    path.write_text(text)
    topo, diags = _build(path)
    assert any(d.code == "stitching.vlan_clash" and "eth1.101" in d.message for d in diags)
    assert STITCH_NODE_ID not in topo


def test_a_monitoring_only_device_cannot_be_configured(tmp_path: Path) -> None:
    text = TEMPLATE.read_text().replace("        driver: cli\n", "        driver: snmp-only\n")
    path = tmp_path / "snmp-only.yaml"
    path.write_text(text)
    _, diags = _build(path)
    assert any(d.code == "stitching.snmp_only" and "sw1" in d.message for d in diags)


def test_a_service_without_attachments_has_no_configuration_node() -> None:
    topo, _ = _build(REPO / "service-templates" / "vcpe.yaml")
    assert STITCH_NODE_ID not in topo


def test_a_rebuilt_vnf_re_renders_the_configuration_in_place() -> None:
    from netorch.model.resources import RecordState, ResourceRecord
    from netorch.topology.node import Node

    topo, _ = _build(TEMPLATE)
    records = [ResourceRecord(service="s", node_id=n.id, key=f"k-{n.id}", kind=n.kind,
                              vim="x", state=RecordState.CREATED, spec_hash=n.spec_hash(),
                              node_type=n.type, depends_on=tuple(topo.dependencies(n.id)))
               for n in topo.nodes()]
    assert all(c.action is Action.NOOP
               for c in plan(topo, ObservedState.from_records(records)).changes)
    # heal bumps the generation of fw_vm: it and its port are replaced, and the chain hop
    # address the devices carry (get_attribute of the port) must be rendered again
    vm = topo.node("fw_vm")
    healed = topo.with_node(Node.from_dict({**vm.to_dict(), "generation": 1}))
    changes = {c.node_id: c for c in plan(healed, ObservedState.from_records(records)).changes}
    assert changes["fw_vm"].action is Action.REPLACE
    assert changes["fw_left_port"].action is Action.REPLACE
    assert changes[STITCH_NODE_ID].action is Action.UPDATE
    assert "rebuilt" in changes[STITCH_NODE_ID].reason
