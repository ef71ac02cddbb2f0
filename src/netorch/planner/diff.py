"""Desired vs observed, node by node: what has to change and why.

Rules (Kubernetes-style desired/observed reconciliation, Terraform-style actions):

* desired, not observed -> CREATE; observed, not desired -> DELETE;
* observed but recorded PENDING_CREATE / PENDING_DELETE / FAILED, unhealthy, or of another
  kind -> REPLACE;
* spec hash differs, or a structural requirement (HostedOn, BindsTo, LinksTo, AttachesTo …)
  now points elsewhere -> UPDATE for software and network configuration (changed in
  place), REPLACE for VIM
  resources; a software node whose dependencies changed (e.g. a scaled tier it depends on) is
  UPDATEd, while infrastructure ignores plain DependsOn changes;
* otherwise NOOP.

A replace (or a creation) cascades to what is hosted on, bound, linked or attached to the
node (TOSCA 1.3 §5.7 / §8.5, SOL001 §6.5 structural relationships): those resources refer to
the very resource that goes away, so they are replaced as well. ``DependsOn`` and
``ConnectsTo`` only order things and do not cascade — except that a service's network
configuration is UPDATEd when anything it depends on is rebuilt (it renders their runtime
attributes onto the devices).
"""

from __future__ import annotations

from collections import deque

from netorch.model.resources import IN_PLACE_KINDS, RecordState, ResourceKind
from netorch.planner.observed import ObservedResource, ObservedState
from netorch.planner.plan import Action, Change
from netorch.topology.graph import Topology
from netorch.topology.kinds import STRUCTURAL_EDGE_KINDS
from netorch.topology.node import Node, natural_key

_BROKEN_STATES = frozenset({RecordState.PENDING_CREATE, RecordState.PENDING_DELETE,
                            RecordState.FAILED})
_CASCADING = frozenset({Action.CREATE, Action.REPLACE})
_CASCADED = frozenset({Action.NOOP, Action.UPDATE})


def _compare(node: Node, observed: ObservedResource | None, structural: frozenset[str],
             dependencies: frozenset[str]) -> tuple[Action, str]:
    if observed is None:
        return Action.CREATE, "not in the observed state"
    if observed.state in _BROKEN_STATES:
        return Action.REPLACE, f"recorded state is {observed.state.value}"
    if not observed.healthy:
        return Action.REPLACE, "observed unhealthy"
    if observed.kind is not node.kind:
        return Action.REPLACE, f"kind changed from {observed.kind.value} to {node.kind.value}"
    if observed.spec_hash != node.spec_hash():
        if node.kind in IN_PLACE_KINDS:
            return Action.UPDATE, "spec changed"
        return Action.REPLACE, "spec changed"
    recorded = frozenset(observed.depends_on)
    if not structural <= recorded:
        # Re-pointed to another host / network / volume: the resource itself must be rebuilt.
        moved = ", ".join(sorted(structural - recorded))
        if node.kind in IN_PLACE_KINDS:
            return Action.UPDATE, f"now requires {moved}"
        return Action.REPLACE, f"now requires {moved}"
    if node.kind in IN_PLACE_KINDS and dependencies != recorded:
        return Action.UPDATE, "its dependencies changed"
    return Action.NOOP, "up to date"


def _targets(desired: Topology, node_id: str) -> tuple[frozenset[str], frozenset[str]]:
    edges = desired.edges_from(node_id)
    return (frozenset(e.target for e in edges if e.kind in STRUCTURAL_EDGE_KINDS),
            frozenset(e.target for e in edges))


def diff(desired: Topology, observed: ObservedState) -> list[Change]:
    """One change per desired node (in dependency order) then one DELETE per observed node
    that is not desired (in natural node id order). Raises ``CycleError`` when the desired
    topology is cyclic."""
    order = [node_id for wave in desired.order() for node_id in wave]
    actions: dict[str, tuple[Action, str]] = {
        node_id: _compare(desired.node(node_id), observed.resources.get(node_id),
                          *_targets(desired, node_id))
        for node_id in order}

    queue: deque[str] = deque(n for n in order if actions[n][0] in _CASCADING)
    while queue:
        target = queue.popleft()
        verb = "replaced" if actions[target][0] is Action.REPLACE else "created"
        for edge in desired.edges_to(target):
            if edge.kind in STRUCTURAL_EDGE_KINDS and actions[edge.source][0] in _CASCADED:
                actions[edge.source] = (
                    Action.REPLACE, f"its {edge.kind.value} target {target} is {verb}")
                queue.append(edge.source)

    # Network configuration reads runtime attributes of what it depends on (a chain hop's
    # address is get_attribute of the VNF's port): when one of those is rebuilt, re-render the
    # configuration on the devices, in place.
    for node_id in order:
        if desired.node(node_id).kind is not ResourceKind.NETCONFIG or \
                actions[node_id][0] is not Action.NOOP:
            continue
        rebuilt = [d for d in desired.dependencies(node_id) if actions[d][0] in _CASCADING]
        if rebuilt:
            actions[node_id] = (Action.UPDATE, f"its dependency {rebuilt[0]} is rebuilt")

    changes = [Change(node_id, action, reason, desired.node(node_id).kind)
               for node_id, (action, reason) in actions.items()]
    for node_id in sorted((n for n in observed.resources if n not in desired), key=natural_key):
        changes.append(Change(node_id, Action.DELETE, "not in the desired state",
                              observed.resources[node_id].kind))
    return changes
