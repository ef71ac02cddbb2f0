"""netorch.topology.build_topology: nodes, edges and scaling expansion from a ServiceModel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netorch.model.diagnostics import Severity
from netorch.model.resources import ResourceKind
from netorch.model.service import (
    InstantiationLevel,
    NodeTemplate,
    RequirementAssignment,
    ScalingAspect,
    ServiceModel,
)
from netorch.topology import Topology, build_topology

ROOT = "tosca.nodes.Root"
VDU = ("tosca.nodes.nfv.Vdu.Compute", ROOT)
CP = ("tosca.nodes.nfv.VduCp", "tosca.nodes.nfv.Cp", ROOT)
VL = ("tosca.nodes.nfv.VnfVirtualLink", ROOT)
VOL = ("tosca.nodes.nfv.Vdu.VirtualBlockStorage", ROOT)
APP = ("acme.App", "tosca.nodes.SoftwareComponent", ROOT)


def tmpl(name: str, chain: tuple[str, ...], *reqs: tuple[str, str, str],
         properties: Mapping[str, Any] | None = None) -> NodeTemplate:
    return NodeTemplate(
        name=name, type=chain[0], type_chain=chain, properties=properties or {},
        requirements=tuple(RequirementAssignment(name=r, target=t, relationship=rel)
                           for r, t, rel in reqs))


def vnf(**kw: Any) -> ServiceModel:
    """net; vdu (attaches vol); cp bound to vdu and linked to net; app hosted on vdu;
    mon (software) depends on app; vdu is scalable through aspect 'out'."""
    nodes = [
        tmpl("net", VL),
        tmpl("vdu", VDU, ("virtual_storage", "vol", "tosca.relationships.nfv.AttachesTo"),
             properties={"name": "vdu", "sw": {"image": "cirros"}}),
        tmpl("vol", VOL),
        tmpl("cp", CP, ("virtual_binding", "vdu", "tosca.relationships.nfv.VirtualBindsTo"),
             ("virtual_link", "net", "tosca.relationships.nfv.VirtualLinksTo")),
        tmpl("app", APP, ("host", "vdu", "tosca.relationships.HostedOn")),
        tmpl("mon", APP, ("dependency", "app", "tosca.relationships.DependsOn")),
    ]
    defaults: dict[str, Any] = {
        "aspects": {"out": ScalingAspect(name="out", max_scale_level=3,
                                         deltas={"vdu": (1,)})},
        "initial_instances": {"vdu": 1},
        "max_instances": {"vdu": 4},
    }
    defaults.update(kw)
    return ServiceModel(name="vnf", tosca_version="tosca_simple_yaml_1_3", source="vnf.yaml",
                        nodes={n.name: n for n in nodes}, **defaults)


def ids(t: Topology) -> list[str]:
    return [n.id for n in t.nodes()]


def edge_set(t: Topology) -> set[tuple[str, str, str]]:
    return {(e.source, e.target, e.kind.value) for e in t.edges()}


def test_unscaled_model_one_node_per_template() -> None:
    model = vnf(aspects={}, initial_instances={}, max_instances={})
    t, diags = build_topology(model)
    assert diags == []
    assert ids(t) == ["net", "vdu", "vol", "cp", "app", "mon"]
    assert t.name == "vnf"
    assert [t.node(i).kind for i in ids(t)] == [
        ResourceKind.NETWORK, ResourceKind.COMPUTE, ResourceKind.VOLUME, ResourceKind.PORT,
        ResourceKind.SOFTWARE, ResourceKind.SOFTWARE]
    assert t.node("vdu").index is None
    assert t.node("vdu").properties == {"name": "vdu", "sw": {"image": "cirros"}}
    assert edge_set(t) == {("vdu", "vol", "AttachesTo"), ("cp", "vdu", "VirtualBindsTo"),
                           ("cp", "net", "VirtualLinksTo"), ("app", "vdu", "HostedOn"),
                           ("mon", "app", "DependsOn")}
    assert t.edges_from("cp")[0].requirement == "virtual_binding"
    assert t.order() == [["net", "vol"], ["vdu"], ["cp", "app"], ["mon"]]


def test_scalable_template_is_indexed_even_with_one_instance_and_followers_too() -> None:
    t, diags = build_topology(vnf())
    assert diags == []
    assert ids(t) == ["net", "vdu[0]", "vol[0]", "cp[0]", "app[0]", "mon"]
    assert t.node("vdu[0]").index == 0 and t.node("vdu[0]").template == "vdu"
    assert edge_set(t) == {("vdu[0]", "vol[0]", "AttachesTo"),
                           ("cp[0]", "vdu[0]", "VirtualBindsTo"),
                           ("cp[0]", "net", "VirtualLinksTo"),
                           ("app[0]", "vdu[0]", "HostedOn"),
                           ("mon", "app[0]", "DependsOn")}


def test_aspect_levels_expand_leader_and_followers_pairwise() -> None:
    t, diags = build_topology(vnf(), scale_levels={"out": 2})
    assert diags == []
    assert ids(t) == ["net", "vdu[0]", "vdu[1]", "vdu[2]", "vol[0]", "vol[1]", "vol[2]",
                      "cp[0]", "cp[1]", "cp[2]", "app[0]", "app[1]", "app[2]", "mon"]
    for i in range(3):
        assert t.dependencies(f"cp[{i}]") == [f"vdu[{i}]", "net"]
        assert t.dependencies(f"app[{i}]") == [f"vdu[{i}]"]
        assert t.dependencies(f"vdu[{i}]") == [f"vol[{i}]"]
        assert t.node(f"cp[{i}]").index == i
    # an unexpanded node depending on an expanded group depends on every instance
    assert t.dependencies("mon") == ["app[0]", "app[1]", "app[2]"]
    # an expanded node depending on an unexpanded one: every instance -> it
    assert t.dependents("net") == ["cp[0]", "cp[1]", "cp[2]"]


def test_non_uniform_deltas_and_initial_instances() -> None:
    aspect = ScalingAspect(name="out", max_scale_level=3, deltas={"vdu": (2, 1)})
    t, diags = build_topology(vnf(aspects={"out": aspect}, initial_instances={"vdu": 2},
                                  max_instances={}), scale_levels={"out": 3})
    assert diags == []
    # 2 initial + 2 (step 1) + 1 (step 2) + 1 (step 3, last delta repeats)
    assert [n.id for n in t.nodes() if n.template == "vdu"] == [f"vdu[{i}]" for i in range(6)]


def test_scale_to_zero_removes_instances_and_their_followers() -> None:
    t, diags = build_topology(vnf(initial_instances={"vdu": 0}))
    assert diags == []
    assert ids(t) == ["net", "mon"]
    assert t.edges() == []


def test_clamping_to_min_and_max_instances_warns() -> None:
    t, diags = build_topology(vnf(max_instances={"vdu": 2}), scale_levels={"out": 3})
    assert [n.id for n in t.nodes() if n.kind is ResourceKind.COMPUTE] == ["vdu[0]", "vdu[1]"]
    assert [(d.severity, d.code) for d in diags] == [
        (Severity.WARNING, "topology.instances_clamped")]
    assert "'vdu'" in diags[0].message and "4" in diags[0].message

    t, diags = build_topology(vnf(initial_instances={"vdu": 0}, min_instances={"vdu": 1}))
    assert [n.id for n in t.nodes() if n.kind is ResourceKind.COMPUTE] == ["vdu[0]"]
    assert [d.code for d in diags] == ["topology.instances_clamped"]


def test_scale_level_outside_the_aspect_is_clamped_and_unknown_aspect_is_an_error() -> None:
    t, diags = build_topology(vnf(max_instances={}), scale_levels={"out": 9, "nope": 1})
    assert len([n for n in t.nodes() if n.template == "vdu"]) == 4  # 1 + 3 steps
    assert sorted((d.severity.value, d.code) for d in diags) == [
        ("error", "topology.unknown_aspect"), ("warning", "topology.scale_level_clamped")]


def test_instantiation_levels() -> None:
    levels = {
        "small": InstantiationLevel(name="small", instances={"vdu": 1}),
        "large": InstantiationLevel(name="large", instances={"vdu": 3},
                                    scale_levels={"out": 2}),
    }
    model = vnf(instantiation_levels=levels, default_instantiation_level="small",
                initial_instances={}, max_instances={})

    def vdus(t: Topology) -> int:
        return len([n for n in t.nodes() if n.template == "vdu"])

    t, diags = build_topology(model)  # default level
    assert diags == [] and vdus(t) == 1
    t, diags = build_topology(model, instantiation_level="large")
    assert diags == [] and vdus(t) == 3
    # the level's own scale levels are where it starts: scaling from "large" (level 2) to 3
    # adds one step of the aspect
    t, diags = build_topology(model, instantiation_level="large", scale_levels={"out": 3})
    assert diags == [] and vdus(t) == 4
    # explicit scale levels without a level: initial (1) + aspect steps
    t, diags = build_topology(model, scale_levels={"out": 1})
    assert diags == [] and vdus(t) == 2
    t, diags = build_topology(model, instantiation_level="huge")
    assert [d.code for d in diags] == ["topology.unknown_instantiation_level"]
    assert vdus(t) == 1


def test_a_template_named_only_by_an_instantiation_level_is_scalable() -> None:
    levels = {"l": InstantiationLevel(name="l", instances={"net": 2})}
    t, _ = build_topology(vnf(aspects={}, initial_instances={}, max_instances={},
                              instantiation_levels=levels), instantiation_level="l")
    assert [n.id for n in t.nodes() if n.template == "net"] == ["net[0]", "net[1]"]
    # cp (unexpanded, not led by net) links to both network instances
    assert t.dependencies("cp") == ["vdu", "net[0]", "net[1]"]


def test_differently_led_groups_are_connected_all_to_all() -> None:
    nodes = [
        tmpl("db", VDU),
        tmpl("web", VDU, ("backend", "db", "tosca.relationships.ConnectsTo")),
    ]
    model = ServiceModel(name="m", tosca_version="1.3", source="m.yaml",
                         nodes={n.name: n for n in nodes},
                         initial_instances={"db": 2, "web": 2})
    t, diags = build_topology(model)
    assert diags == []
    assert edge_set(t) == {(f"web[{i}]", f"db[{j}]", "ConnectsTo")
                           for i in range(2) for j in range(2)}


def test_tosca_port_and_compute_with_local_storage() -> None:
    """TOSCA 1.3 normative types: Port BindsTo Compute, LinksTo Network; Compute AttachesTo
    BlockStorage; SoftwareComponent HostedOn Compute, transitively followed."""
    nodes = [
        tmpl("server", ("tosca.nodes.Compute", ROOT),
             ("local_storage", "disk", "tosca.relationships.AttachesTo")),
        tmpl("disk", ("tosca.nodes.Storage.BlockStorage", ROOT)),
        tmpl("lan", ("tosca.nodes.network.Network", ROOT)),
        tmpl("nic", ("tosca.nodes.network.Port", ROOT),
             ("binding", "server", "tosca.relationships.network.BindsTo"),
             ("link", "lan", "tosca.relationships.network.LinksTo")),
        tmpl("runtime", APP, ("host", "server", "tosca.relationships.HostedOn")),
        tmpl("webapp", APP, ("host", "runtime", "tosca.relationships.HostedOn")),
    ]
    model = ServiceModel(name="m", tosca_version="1.3", source="m.yaml",
                         nodes={n.name: n for n in nodes}, initial_instances={"server": 2})
    t, diags = build_topology(model)
    assert diags == []
    assert ids(t) == ["server[0]", "server[1]", "disk[0]", "disk[1]", "lan", "nic[0]",
                      "nic[1]", "runtime[0]", "runtime[1]", "webapp[0]", "webapp[1]"]
    assert t.dependencies("webapp[1]") == ["runtime[1]"]
    assert t.dependencies("runtime[1]") == ["server[1]"]
    assert t.dependencies("server[1]") == ["disk[1]"]
    assert t.dependencies("nic[0]") == ["server[0]", "lan"]


def test_generations_and_unknown_targets_and_cycles() -> None:
    t, _ = build_topology(vnf(), generations={"vdu[0]": 2})
    assert t.node("vdu[0]").generation == 2
    assert t.node("cp[0]").generation == 0

    nodes = [tmpl("a", APP, ("dependency", "b", "tosca.relationships.DependsOn")),
             tmpl("b", APP, ("dependency", "a", "tosca.relationships.DependsOn"),
                  ("dependency", "ghost", "tosca.relationships.DependsOn"))]
    model = ServiceModel(name="m", tosca_version="1.3", source="m.yaml",
                         nodes={n.name: n for n in nodes})
    t, diags = build_topology(model)
    assert {d.code for d in diags} == {"topology.unknown_target", "topology.cycle"}
    assert all(d.severity is Severity.ERROR for d in diags)
    assert any("a -> b -> a" in d.message for d in diags)
    assert any("'ghost'" in d.message for d in diags)


def test_unknown_template_in_scaling_data_warns() -> None:
    _, diags = build_topology(vnf(initial_instances={"vdu": 1, "ghost": 2}))
    assert [(d.severity, d.code) for d in diags] == [
        (Severity.WARNING, "topology.unknown_template")]


def test_build_is_deterministic() -> None:
    a, _ = build_topology(vnf(), scale_levels={"out": 2})
    b, _ = build_topology(vnf(), scale_levels={"out": 2})
    assert a == b and a.fingerprint() == b.fingerprint()
    assert a.to_dict() == b.to_dict()
