"""netorch.topology: kinds, the graph, cycles, waves, copies and serialisation."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netorch.model.diagnostics import Severity
from netorch.model.resources import ResourceKind
from netorch.topology import (
    CycleError,
    Edge,
    EdgeKind,
    Node,
    Topology,
    classify,
    edge_kind,
    natural_key,
)


def node(node_id: str, kind: ResourceKind = ResourceKind.SOFTWARE, **kw: object) -> Node:
    return Node(id=node_id, template=node_id, type="acme.T", type_chain=("acme.T",),
                kind=kind, **kw)  # type: ignore[arg-type]


def topo_of(edges: list[tuple[str, str]], *nodes: str) -> Topology:
    t = Topology("t")
    names = list(nodes)
    for a, b in edges:
        for n in (a, b):
            if n not in names:
                names.append(n)
    for n in names:
        t.add_node(node(n))
    for a, b in edges:
        t.add_edge(a, b, EdgeKind.DEPENDS_ON, "dep")
    return t


@pytest.mark.parametrize(("chain", "kind"), [
    (("tosca.nodes.Compute", "tosca.nodes.Root"), ResourceKind.COMPUTE),
    (("acme.Vdu", "tosca.nodes.nfv.Vdu.Compute", "tosca.nodes.Root"), ResourceKind.COMPUTE),
    (("tosca.nodes.nfv.VDU", "tosca.nodes.Root"), ResourceKind.COMPUTE),
    (("tosca.nodes.network.Network", "tosca.nodes.Root"), ResourceKind.NETWORK),
    (("tosca.nodes.nfv.VnfVirtualLink", "tosca.nodes.Root"), ResourceKind.NETWORK),
    (("tosca.nodes.nfv.NsVirtualLink", "tosca.nodes.Root"), ResourceKind.NETWORK),
    (("tosca.nodes.nfv.VL",), ResourceKind.NETWORK),
    (("tosca.nodes.network.Port", "tosca.nodes.Root"), ResourceKind.PORT),
    (("tosca.nodes.nfv.VduCp", "tosca.nodes.nfv.Cp", "tosca.nodes.Root"), ResourceKind.PORT),
    (("tosca.nodes.nfv.CP",), ResourceKind.PORT),
    (("tosca.nodes.BlockStorage", "tosca.nodes.Storage"), ResourceKind.VOLUME),
    (("tosca.nodes.Storage.BlockStorage",), ResourceKind.VOLUME),
    (("tosca.nodes.nfv.Vdu.VirtualBlockStorage", "tosca.nodes.Root"), ResourceKind.VOLUME),
    (("tosca.nodes.nfv.Vdu.VirtualObjectStorage",), ResourceKind.VOLUME),
    (("tosca.nodes.nfv.Vdu.VirtualFileStorage",), ResourceKind.VOLUME),
    (("tosca.nodes.SoftwareComponent", "tosca.nodes.Root"), ResourceKind.SOFTWARE),
    (("tosca.nodes.nfv.VnfExtCp", "tosca.nodes.nfv.Cp", "tosca.nodes.Root"),
     ResourceKind.SOFTWARE),
    (("tosca.nodes.nfv.VNF", "tosca.nodes.Root"), ResourceKind.SOFTWARE),
    ((), ResourceKind.SOFTWARE),
])
def test_classify(chain: tuple[str, ...], kind: ResourceKind) -> None:
    assert classify(chain) is kind


@pytest.mark.parametrize(("relationship", "kind"), [
    ("tosca.relationships.HostedOn", EdgeKind.HOSTED_ON),
    ("tosca.relationships.DependsOn", EdgeKind.DEPENDS_ON),
    ("tosca.relationships.AttachesTo", EdgeKind.ATTACHES_TO),
    ("tosca.relationships.ConnectsTo", EdgeKind.CONNECTS_TO),
    ("tosca.relationships.RoutesTo", EdgeKind.CONNECTS_TO),
    ("tosca.relationships.network.LinksTo", EdgeKind.LINKS_TO),
    ("tosca.relationships.network.BindsTo", EdgeKind.BINDS_TO),
    ("tosca.relationships.nfv.VirtualBindsTo", EdgeKind.VIRTUAL_BINDS_TO),
    ("tosca.relationships.nfv.VirtualLinksTo", EdgeKind.VIRTUAL_LINKS_TO),
    ("tosca.relationships.nfv.AttachesTo", EdgeKind.ATTACHES_TO),
    ("HostedOn", EdgeKind.HOSTED_ON),
    ("acme.relationships.Custom", EdgeKind.DEPENDS_ON),
    ("", EdgeKind.DEPENDS_ON),
])
def test_edge_kind(relationship: str, kind: EdgeKind) -> None:
    assert edge_kind(relationship) is kind


def test_graph_queries() -> None:
    t = Topology("svc")
    for n in ("net", "vm", "port"):
        t.add_node(node(n))
    t.add_edge("port", "vm", EdgeKind.BINDS_TO, "binding")
    t.add_edge("port", "net", EdgeKind.LINKS_TO, "link")
    t.add_edge("port", "net", EdgeKind.LINKS_TO, "link")  # identical edge recorded once
    assert [n.id for n in t.nodes()] == ["net", "vm", "port"]
    assert len(t) == 3 and "vm" in t and "nope" not in t
    assert t.dependencies("port") == ["vm", "net"]
    assert t.dependents("net") == ["port"]
    assert t.dependencies("net") == []
    assert t.edges_from("port") == [Edge("port", "vm", EdgeKind.BINDS_TO, "binding"),
                                    Edge("port", "net", EdgeKind.LINKS_TO, "link")]
    assert t.edges_to("vm") == [Edge("port", "vm", EdgeKind.BINDS_TO, "binding")]
    assert len(t.edges()) == 2
    with pytest.raises(KeyError):
        t.node("nope")
    with pytest.raises(KeyError):
        t.add_edge("port", "nope", EdgeKind.DEPENDS_ON, "x")
    with pytest.raises(ValueError, match="duplicate"):
        t.add_node(node("vm"))


def test_order_waves() -> None:
    t = topo_of([("app", "vm"), ("vm", "vol"), ("port", "vm"), ("port", "net"), ("lb", "app")],
                "net")
    assert t.order() == [["net", "vol"], ["vm"], ["app", "port"], ["lb"]]
    assert t.check() == []
    assert t.cycles() == []


def test_cycle_detection_names_the_cycle() -> None:
    t = topo_of([("a", "b"), ("b", "c"), ("c", "a"), ("d", "a"), ("e", "e")])
    assert t.cycles() == [["a", "b", "c"], ["e"]]
    diags = t.check()
    assert [d.code for d in diags] == ["topology.cycle", "topology.cycle"]
    assert all(d.severity is Severity.ERROR for d in diags)
    assert "a -> b -> c -> a" in diags[0].message
    assert "e -> e" in diags[1].message
    with pytest.raises(CycleError, match="a -> b -> c -> a") as info:
        t.order()
    assert isinstance(info.value, ValueError)
    assert info.value.cycles == [["a", "b", "c"], ["e"]]


def test_with_node_replaces_one_node_and_keeps_the_original() -> None:
    t = topo_of([("port", "vm")])
    bumped = node("vm", generation=3)
    t2 = t.with_node(bumped)
    assert t2.node("vm").generation == 3
    assert t.node("vm").generation == 0
    assert t2.edges() == t.edges()
    assert t2 != t
    assert t2.fingerprint() != t.fingerprint()
    t2.add_edge("vm", "port", EdgeKind.DEPENDS_ON, "extra")  # the copy is independent
    assert t.dependencies("vm") == []
    with pytest.raises(KeyError):
        t.with_node(node("ghost"))


def test_spec_hash_covers_type_properties_capabilities_generation_only() -> None:
    base = Node(id="vm[0]", template="vm", type="tosca.nodes.Compute",
                type_chain=("tosca.nodes.Compute",), kind=ResourceKind.COMPUTE, index=0,
                properties={"a": 1, "b": [1, 2]}, capabilities={"host": {"num_cpus": 2}})
    same = Node(id="vm[1]", template="vm", type="tosca.nodes.Compute",
                type_chain=("tosca.nodes.Compute", "tosca.nodes.Root"),
                kind=ResourceKind.COMPUTE, index=1,
                properties={"b": [1, 2], "a": 1}, capabilities={"host": {"num_cpus": 2}})
    assert base.spec_hash() == same.spec_hash()
    assert len(base.spec_hash()) == 64
    variants = [
        Node(id="vm[0]", template="vm", type="acme.Compute", type_chain=(),
             kind=ResourceKind.COMPUTE, properties={"a": 1, "b": [1, 2]},
             capabilities={"host": {"num_cpus": 2}}),
        Node(id="vm[0]", template="vm", type="tosca.nodes.Compute", type_chain=(),
             kind=ResourceKind.COMPUTE, properties={"a": 2, "b": [1, 2]},
             capabilities={"host": {"num_cpus": 2}}),
        Node(id="vm[0]", template="vm", type="tosca.nodes.Compute", type_chain=(),
             kind=ResourceKind.COMPUTE, properties={"a": 1, "b": [1, 2]},
             capabilities={"host": {"num_cpus": 4}}),
        Node(id="vm[0]", template="vm", type="tosca.nodes.Compute", type_chain=(),
             kind=ResourceKind.COMPUTE, properties={"a": 1, "b": [1, 2]},
             capabilities={"host": {"num_cpus": 2}}, generation=1),
    ]
    hashes = {v.spec_hash() for v in variants}
    assert len(hashes) == 4 and base.spec_hash() not in hashes


def test_to_dict_round_trip_through_json() -> None:
    t = Topology("svc")
    t.add_node(Node(id="vm[0]", template="vm", type="tosca.nodes.Compute",
                    type_chain=("tosca.nodes.Compute", "tosca.nodes.Root"),
                    kind=ResourceKind.COMPUTE, index=0,
                    properties={"image": "cirros", "meta": {"x": [1, 2.5, None, True]}},
                    capabilities={"host": {"num_cpus": 2}}, generation=2))
    t.add_node(node("app"))
    t.add_edge("app", "vm[0]", EdgeKind.HOSTED_ON, "host")
    data = json.loads(json.dumps(t.to_dict()))
    back = Topology.from_dict(data)
    assert back == t
    assert back.to_dict() == t.to_dict()
    assert back.fingerprint() == t.fingerprint()
    assert back.node("vm[0]").generation == 2
    assert back.node("vm[0]").kind is ResourceKind.COMPUTE
    assert back.edges_from("app")[0].kind is EdgeKind.HOSTED_ON


def test_fingerprint_depends_on_content() -> None:
    a = topo_of([("x", "y")])
    b = topo_of([("x", "y")])
    c = topo_of([("y", "x")])
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != c.fingerprint()


def test_natural_key_orders_indices_numerically() -> None:
    ids = ["vdu[10]", "vdu[2]", "cp[1]", "vdu[1]"]
    assert sorted(ids, key=natural_key) == ["cp[1]", "vdu[1]", "vdu[2]", "vdu[10]"]


@st.composite
def random_dags(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, str]]]:
    """Nodes inserted in a random order; every edge goes from a higher to a lower rank."""
    count = draw(st.integers(min_value=0, max_value=25))
    names = [f"n{i}" for i in range(count)]
    edges: list[tuple[str, str]] = []
    if count > 1:
        pairs = draw(st.lists(st.tuples(st.integers(0, count - 1), st.integers(0, count - 1)),
                              max_size=60))
        edges = [(names[max(a, b)], names[min(a, b)]) for a, b in pairs if a != b]
    seed = draw(st.integers(0, 2**32 - 1))
    order = list(names)
    random.Random(seed).shuffle(order)
    return order, edges


@settings(max_examples=150, deadline=None)
@given(random_dags(), st.sampled_from(list(EdgeKind)))
def test_random_dags_round_trip_and_order_respects_every_edge(
        dag: tuple[list[str], list[tuple[str, str]]], kind: EdgeKind) -> None:
    names, edges = dag
    t = Topology("random")
    for n in names:
        t.add_node(node(n, properties={"rank": int(n[1:])}))
    for a, b in edges:
        t.add_edge(a, b, kind, f"r{b}")
    back = Topology.from_dict(json.loads(json.dumps(t.to_dict())))
    assert back == t and back.fingerprint() == t.fingerprint()

    waves = t.order()
    wave_of = {n: i for i, wave in enumerate(waves) for n in wave}
    assert sorted(wave_of) == sorted(names)
    assert sum(len(w) for w in waves) == len(names)
    for a, b in edges:
        assert wave_of[a] > wave_of[b]
    for n, w in wave_of.items():  # each node is in the earliest wave possible
        deps = t.dependencies(n)
        assert w == (max(wave_of[d] for d in deps) + 1 if deps else 0)
    position = {n: i for i, n in enumerate(names)}
    for wave in waves:
        assert wave == sorted(wave, key=position.__getitem__)
    assert t.cycles() == []
