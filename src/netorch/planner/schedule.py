"""From changes to ordered steps, and :func:`plan` itself.

* CREATE -> ``create:n``; DELETE -> ``delete:n``; UPDATE -> ``update:n``; REPLACE ->
  ``delete:n`` then ``create:n``; NOOP -> nothing.
* A create / update waits for the create / update steps of the node's desired dependencies
  (TOSCA 1.3 §3.2.3: requirements are satisfied before the node is created).
* A delete of ``n`` waits for the deletes of the observed resources that depend on ``n``
  (deletion runs in reverse dependency order) and, when ``n`` goes for good, for the updates
  of those that stay: a load balancer is reconfigured before the backend it drops is deleted.

Pure and deterministic: no I/O, clocks or random ids; same inputs give the same JSON.
"""

from __future__ import annotations

from collections.abc import Sequence

from netorch.model.operations import StepOp
from netorch.planner.diff import diff
from netorch.planner.observed import ObservedState
from netorch.planner.ordering import stable_waves
from netorch.planner.plan import Action, Change, Plan, Step, step_id
from netorch.topology.graph import CycleError, Topology


def _steps(desired: Topology, observed: ObservedState, changes: Sequence[Change]) -> list[Step]:
    deleting = {c.node_id for c in changes if c.action in (Action.DELETE, Action.REPLACE)}
    building: dict[str, StepOp] = {}
    for change in changes:
        if change.action in (Action.CREATE, Action.REPLACE):
            building[change.node_id] = StepOp.CREATE
        elif change.action is Action.UPDATE:
            building[change.node_id] = StepOp.UPDATE
    observed_dependents = observed.dependents()

    deletes: list[Step] = []
    builds: list[Step] = []
    for change in changes:
        node_id = change.node_id
        if node_id in deleting:
            resource = observed.resources[node_id]
            deletes.append(Step(
                id=step_id(StepOp.DELETE, node_id), node_id=node_id, op=StepOp.DELETE,
                kind=resource.kind,
                depends_on=tuple(
                    step_id(StepOp.DELETE, d) if d in deleting else step_id(StepOp.UPDATE, d)
                    for d in observed_dependents.get(node_id, ())
                    if d in deleting or (building.get(d) is StepOp.UPDATE
                                         and change.action is Action.DELETE)),
                key=resource.key))
        op = building.get(node_id)
        if op is None:
            continue
        node = desired.node(node_id)
        links = tuple(desired.dependencies(node_id))
        depends = [step_id(building[d], d) for d in links if d in building]
        if change.action is Action.REPLACE:
            depends.insert(0, step_id(StepOp.DELETE, node_id))
        existing = observed.resources.get(node_id)
        builds.append(Step(
            id=step_id(op, node_id), node_id=node_id, op=op, kind=node.kind,
            depends_on=tuple(depends), node=node,
            key=existing.key if op is StepOp.UPDATE and existing is not None else None,
            links=links))
    return deletes + builds


def _in_order(steps: list[Step]) -> list[Step]:
    by_id = {s.id: s for s in steps}
    layers, stuck = stable_waves([s.id for s in steps], {s.id: s.depends_on for s in steps})
    if stuck:
        raise CycleError([stuck])
    return [by_id[i] for layer in layers for i in layer]


def plan(desired: Topology, observed: ObservedState, *, service: str = "") -> Plan:
    """The plan that takes ``observed`` to ``desired``.

    ``service`` names the service instance (default: the topology's name). Raises
    :class:`~netorch.topology.graph.CycleError` when the desired topology (or the recorded
    dependencies of what is deleted) is cyclic.
    """
    changes = diff(desired, observed)
    steps = _in_order(_steps(desired, observed, changes))
    return Plan(service=service or desired.name, changes=tuple(changes), steps=tuple(steps),
                base_fingerprint=observed.fingerprint(),
                desired_fingerprint=desired.fingerprint())
