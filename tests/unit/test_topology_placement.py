"""Placement rules from affinity / anti-affinity policies (SOL001 §6.10, TOSCA 1.3 §5.11.2)
carried by the compute nodes of the topology."""

from __future__ import annotations

import json
from typing import Any

from helpers import REPO
from netorch.model.diagnostics import Severity
from netorch.model.resources import ResourceKind
from netorch.model.service import (
    GroupDef,
    NodeTemplate,
    PolicyDef,
    RequirementAssignment,
    ScalingAspect,
    ServiceModel,
)
from netorch.topology import Node, Topology, build_topology
from netorch.topology.canonical import fingerprint
from netorch.tosca import load

ROOT = "tosca.nodes.Root"
VDU = ("tosca.nodes.nfv.Vdu.Compute", ROOT)
VL = ("tosca.nodes.nfv.VnfVirtualLink", ROOT)
APP = ("acme.App", "tosca.nodes.SoftwareComponent", ROOT)
PLACEMENT = ("tosca.policies.Placement", "tosca.policies.Root")
SOL_ANTI = ("tosca.policies.nfv.AntiAffinityRule", *PLACEMENT)
SOL_AFF = ("tosca.policies.nfv.AffinityRule", *PLACEMENT)


def tmpl(name: str, chain: tuple[str, ...], host: str | None = None) -> NodeTemplate:
    reqs = (RequirementAssignment("host", host, "tosca.relationships.HostedOn"),) if host else ()
    return NodeTemplate(name=name, type=chain[0], type_chain=chain, requirements=reqs)


def policy(name: str, chain: tuple[str, ...], targets: tuple[str, ...],
           **properties: Any) -> PolicyDef:
    return PolicyDef(name=name, type=chain[0], type_chain=chain, targets=targets,
                     properties=properties)


def model(*policies: PolicyDef, groups: tuple[GroupDef, ...] = (), **kw: Any) -> ServiceModel:
    """a, b, c: VDUs (b scalable through aspect 'out'); net: a virtual link; app on a."""
    nodes = [tmpl("a", VDU), tmpl("b", VDU), tmpl("c", VDU), tmpl("net", VL),
             tmpl("app", APP, host="a")]
    defaults: dict[str, Any] = {
        "aspects": {"out": ScalingAspect(name="out", max_scale_level=3, deltas={"b": (1,)})},
        "initial_instances": {"b": 1},
    }
    defaults.update(kw)
    return ServiceModel(name="vnf", tosca_version="tosca_simple_yaml_1_3", source="vnf.yaml",
                        nodes={n.name: n for n in nodes}, policies=policies, groups=groups,
                        **defaults)


def placements(t: Topology) -> dict[str, tuple[str, ...]]:
    return {n.id: n.placement for n in t.nodes() if n.placement}


def codes(diags: list[Any]) -> list[str]:
    return [d.code for d in diags]


def test_sol001_rules_normalise_nfvi_node_and_reach_every_scaled_instance() -> None:
    m = model(policy("apart", SOL_ANTI, ("b",), scope="nfvi_node"),
              policy("together", SOL_AFF, ("a", "c"), scope="zone"))
    t, diags = build_topology(m, scale_levels={"out": 2})
    assert diags == []
    assert placements(t) == {
        "a": ("affinity:zone:together",),
        "b[0]": ("anti-affinity:host:apart",),
        "b[1]": ("anti-affinity:host:apart",),
        "b[2]": ("anti-affinity:host:apart",),
        "c": ("affinity:zone:together",),
    }
    assert t.node("app").placement == () and t.node("net").placement == ()


def test_tosca_placement_types_by_name_and_by_ancestry() -> None:
    anti = ("netorch.policies.AntiAffinity", *PLACEMENT)
    derived = ("acme.KeepApart", *anti)  # its own name says nothing, its parent does
    affinity = ("acme.policies.Affinity", *PLACEMENT)
    other = ("acme.policies.Spread", *PLACEMENT)  # a placement policy, but not a rule we know
    not_placement = ("acme.AntiAffinity", "tosca.policies.Root")  # name alone is not enough
    scaling = ("tosca.policies.Scaling", "tosca.policies.Root")
    m = model(policy("p1", anti, ("a",), scope="region"),
              policy("p2", derived, ("c",)),
              policy("p3", affinity, ("a", "c"), scope="host"),
              policy("p4", other, ("a",)),
              policy("p5", not_placement, ("a",)),
              policy("p6", scaling, ("b",)))
    t, diags = build_topology(m)
    assert diags == []
    assert placements(t) == {
        "a": ("anti-affinity:region:p1", "affinity:host:p3"),
        "c": ("anti-affinity:host:p2", "affinity:host:p3"),  # no scope: host
    }


def test_group_targets_expand_and_non_compute_targets_warn() -> None:
    group = GroupDef(name="pg", type="tosca.groups.nfv.PlacementGroup", members=("a", "c", "net"))
    outer = GroupDef(name="outer", type="tosca.groups.Root", members=("pg", "b"))
    m = model(policy("apart", SOL_ANTI, ("outer", "app", "ghost"), scope="zone"),
              groups=(group, outer))
    t, diags = build_topology(m)
    assert placements(t) == {
        "a": ("anti-affinity:zone:apart",),
        "b[0]": ("anti-affinity:zone:apart",),
        "c": ("anti-affinity:zone:apart",),
    }
    assert all(d.severity is Severity.WARNING for d in diags)
    assert codes(diags) == ["topology.placement_target"] * 3
    text = " ".join(d.message for d in diags)
    assert "'net'" in text and "'app'" in text and "'ghost'" in text


def test_unknown_scope_warns_and_means_host() -> None:
    m = model(policy("apart", SOL_ANTI, ("a", "c"), scope="rack"),
              policy("apart2", SOL_ANTI, ("a",), scope=3))
    t, diags = build_topology(m)
    assert codes(diags) == ["topology.placement_scope"] * 2
    assert all(d.severity is Severity.WARNING and d.file == "vnf.yaml" for d in diags)
    assert "'rack'" in diags[0].message
    assert placements(t) == {"a": ("anti-affinity:host:apart", "anti-affinity:host:apart2"),
                             "c": ("anti-affinity:host:apart",)}


def test_the_same_rule_twice_is_carried_once() -> None:
    group = GroupDef(name="g", type="tosca.groups.Root", members=("a",))
    t, _ = build_topology(model(policy("p", SOL_ANTI, ("a", "g"), scope="zone")))
    assert t.node("a").placement == ("anti-affinity:zone:p",)
    t, _ = build_topology(model(policy("p", SOL_ANTI, ("a", "g"), scope="zone"),
                                groups=(group,)))
    assert t.node("a").placement == ("anti-affinity:zone:p",)


def test_spec_hash_without_placement_is_unchanged_and_with_it_differs() -> None:
    base = Node(id="vm", template="vm", type="tosca.nodes.Compute",
                type_chain=("tosca.nodes.Compute", ROOT), kind=ResourceKind.COMPUTE,
                properties={"x": 1}, capabilities={"host": {"num_cpus": 2}}, generation=3)
    # exactly the hash nodes had before placement existed
    assert base.spec_hash() == fingerprint({
        "type": "tosca.nodes.Compute", "properties": {"x": 1},
        "capabilities": {"host": {"num_cpus": 2}}, "generation": 3})
    assert "placement" not in base.to_dict()
    placed = Node(id="vm", template="vm", type=base.type, type_chain=base.type_chain,
                  kind=base.kind, properties={"x": 1}, capabilities={"host": {"num_cpus": 2}},
                  generation=3, placement=("anti-affinity:host:p",))
    other = Node(id="vm", template="vm", type=base.type, type_chain=base.type_chain,
                 kind=base.kind, properties={"x": 1}, capabilities={"host": {"num_cpus": 2}},
                 generation=3, placement=("anti-affinity:zone:p",))
    assert len({base.spec_hash(), placed.spec_hash(), other.spec_hash()}) == 3
    assert placed != base


def test_round_trip_keeps_placement_and_reads_old_dicts() -> None:
    m = model(policy("apart", SOL_ANTI, ("b",), scope="nfvi_node"))
    t, _ = build_topology(m, scale_levels={"out": 1})
    back = Topology.from_dict(json.loads(json.dumps(t.to_dict())))
    assert back == t and back.fingerprint() == t.fingerprint()
    assert back.node("b[1]").placement == ("anti-affinity:host:apart",)
    assert back.node("b[1]").spec_hash() == t.node("b[1]").spec_hash()
    old = t.node("a").to_dict()
    assert "placement" not in old
    assert Node.from_dict(old).placement == ()


def test_the_5g_slice_template_keeps_its_upf_vms_apart() -> None:
    loaded, diags = load(REPO / "service-templates" / "5g-upf-slice.yaml")
    assert loaded is not None and diags == []
    t, tdiags = build_topology(loaded)
    assert tdiags == []
    assert placements(t) == {
        "upf1_vm": ("anti-affinity:host:upf_anti_affinity",),
        "upf2_vm": ("anti-affinity:host:upf_anti_affinity",),
    }
