"""From a :class:`~netorch.model.service.ServiceModel` to the desired :class:`Topology`.

Each node template becomes one node, or ``n`` indexed nodes ``t[0] .. t[n-1]`` when it is
scalable (ETSI GS NFV-SOL 001 §6.10 aspects / instantiation levels; see
:mod:`netorch.topology.scaling`). What is hosted on or bound to an instance of a scaled node
(TOSCA 1.3 §5.7.3 HostedOn, §8.5 BindsTo, SOL001 §6.5 VirtualBindsTo), and the volumes a
scaled compute attaches (TOSCA 1.3 §5.9.3 ``local_storage``, SOL001 ``virtual_storage``), are
*followers*: they get the same count, and instance ``i`` goes with the leader's instance ``i``.
Every instance of a compute template targeted by an affinity / anti-affinity policy carries its
placement rules (:mod:`netorch.topology.placement`). A service that attaches virtual links to
network devices or chains VNFs through them gets one more node, its device configuration
(:mod:`netorch.topology.stitching`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

from netorch.model.diagnostics import Diagnostic, error
from netorch.model.resources import ResourceKind
from netorch.model.service import NodeTemplate, ServiceModel
from netorch.topology.canonical import plain
from netorch.topology.graph import Topology
from netorch.topology.kinds import FOLLOW_EDGE_KINDS, EdgeKind, classify, edge_kind
from netorch.topology.node import Node, instance_id
from netorch.topology.placement import placement_rules
from netorch.topology.scaling import instance_counts
from netorch.topology.stitching import add_stitching


def _chain(template: NodeTemplate) -> tuple[str, ...]:
    chain = tuple(template.type_chain)
    if not chain or chain[0] != template.type:
        chain = (template.type, *chain)
    return chain


def _group_roots(model: ServiceModel, scalable: list[str],
                 kinds: Mapping[str, ResourceKind]) -> dict[str, str]:
    """Expanded template -> the scalable template whose count (and indices) it follows."""
    scalable_set = set(scalable)
    followers: dict[str, list[str]] = {}
    for name, template in model.nodes.items():
        for req in template.requirements:
            if req.target not in model.nodes:
                continue
            kind = edge_kind(req.relationship)
            if kind in FOLLOW_EDGE_KINDS and name not in scalable_set:
                followers.setdefault(req.target, []).append(name)
            elif (kind is EdgeKind.ATTACHES_TO and kinds[name] is ResourceKind.COMPUTE
                  and kinds[req.target] is ResourceKind.VOLUME
                  and req.target not in scalable_set):
                followers.setdefault(name, []).append(req.target)
    roots = {name: name for name in scalable}
    queue: deque[str] = deque(scalable)
    while queue:
        leader = queue.popleft()
        for follower in followers.get(leader, ()):
            if follower not in roots:
                roots[follower] = roots[leader]
                queue.append(follower)
    return roots


def build_topology(model: ServiceModel, *, scale_levels: Mapping[str, int] | None = None,
                   instantiation_level: str | None = None,
                   generations: Mapping[str, int] | None = None,
                   ) -> tuple[Topology, list[Diagnostic]]:
    """The desired topology of ``model`` at the given scale.

    ``scale_levels`` maps aspect names to levels; ``instantiation_level`` names one of the
    model's levels (the model's default one is used when neither is given);
    ``generations`` maps node ids to :attr:`Node.generation`. The diagnostics include
    clamped counts and levels, unknown names, dangling requirements, dependency cycles and
    placement rules that cannot apply (unknown scope or target).
    """
    counts, diagnostics = instance_counts(model, scale_levels=scale_levels,
                                          instantiation_level=instantiation_level)
    generations = generations or {}
    kinds = {name: classify(_chain(t)) for name, t in model.nodes.items()}
    roots = _group_roots(model, list(counts), kinds)
    placement, placement_diagnostics = placement_rules(model, kinds)
    diagnostics.extend(placement_diagnostics)

    topo = Topology(model.name)
    ids: dict[str, list[str]] = {}
    for name, template in model.nodes.items():
        chain = _chain(template)
        properties = plain(template.properties)
        capabilities = plain(template.capabilities)
        indexed: list[tuple[str, int | None]]
        if name in roots:
            indexed = [(instance_id(name, i), i) for i in range(counts[roots[name]])]
        else:
            indexed = [(name, None)]
        ids[name] = [node_id for node_id, _ in indexed]
        for node_id, index in indexed:
            topo.add_node(Node(
                id=node_id, template=name, type=template.type, type_chain=chain,
                kind=kinds[name], index=index, properties=properties,
                capabilities=capabilities, generation=int(generations.get(node_id, 0)),
                placement=placement.get(name, ())))

    for name, template in model.nodes.items():
        for req in template.requirements:
            if req.target not in model.nodes:
                diagnostics.append(error(
                    "topology.unknown_target",
                    f"requirement {req.name!r} of {name!r} targets {req.target!r},"
                    " which is not a node template", model.source, template.line))
                continue
            kind = edge_kind(req.relationship)
            sources, targets = ids[name], ids[req.target]
            if name in roots and req.target in roots and roots[name] == roots[req.target]:
                for source, target in zip(sources, targets, strict=True):
                    topo.add_edge(source, target, kind, req.name)
            else:
                for source in sources:
                    for target in targets:
                        topo.add_edge(source, target, kind, req.name)

    diagnostics.extend(add_stitching(topo, model.source))
    diagnostics.extend(topo.check())
    return topo, diagnostics
