"""The plan: what changes, and the steps that make the changes, in dependency order.

Terraform-style plan / apply separation: a plan is pure data, can be saved as JSON, shown,
and applied later, but only against the observed state it was made for
(:meth:`Plan.check_current`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from netorch.model.errors import StalePlanError
from netorch.model.operations import StepOp
from netorch.model.resources import ResourceKind
from netorch.planner.observed import ObservedState
from netorch.planner.ordering import stable_waves
from netorch.topology.node import Node

_FORMAT = 1


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"
    NOOP = "noop"


def step_id(op: StepOp, node_id: str) -> str:
    """``create:vdu1[0]``."""
    return f"{op.value.lower()}:{node_id}"


@dataclass(frozen=True, slots=True)
class Change:
    node_id: str
    action: Action
    reason: str
    kind: ResourceKind

    def to_dict(self) -> dict[str, Any]:
        return {"node_id": self.node_id, "action": self.action.value, "reason": self.reason,
                "kind": self.kind.value}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Change:
        return cls(node_id=str(d["node_id"]), action=Action(d["action"]),
                   reason=str(d["reason"]), kind=ResourceKind(d["kind"]))


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    """``f"{op.lower()}:{node_id}"``, e.g. ``create:vdu1[0]``."""
    node_id: str
    op: StepOp
    kind: ResourceKind
    depends_on: tuple[str, ...]
    """Ids of the steps that must complete first."""
    node: Node | None = None
    """The desired node (CREATE / UPDATE)."""
    key: str | None = None
    """The observed resource's key (DELETE / UPDATE)."""
    links: tuple[str, ...] = ()
    """Node ids of the desired dependencies (CREATE / UPDATE): the engine passes their refs to
    the driver."""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "node_id": self.node_id, "op": self.op.value,
                "kind": self.kind.value, "depends_on": list(self.depends_on),
                "node": None if self.node is None else self.node.to_dict(), "key": self.key,
                "links": list(self.links)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Step:
        node = d.get("node")
        key = d.get("key")
        return cls(id=str(d["id"]), node_id=str(d["node_id"]), op=StepOp(d["op"]),
                   kind=ResourceKind(d["kind"]),
                   depends_on=tuple(str(s) for s in d.get("depends_on", ())),
                   node=None if node is None else Node.from_dict(node),
                   key=None if key is None else str(key),
                   links=tuple(str(n) for n in d.get("links", ())))


@dataclass(frozen=True, slots=True)
class Plan:
    service: str
    changes: tuple[Change, ...]
    steps: tuple[Step, ...]
    """In a dependency (topological) order."""
    base_fingerprint: str
    """:meth:`ObservedState.fingerprint` of the state the plan was made against."""
    desired_fingerprint: str
    """:meth:`Topology.fingerprint` of the desired state."""
    _index: dict[str, Step] | None = field(default=None, init=False, repr=False, compare=False)

    def step(self, id: str) -> Step:
        """The step with this id (``KeyError`` when there is none)."""
        index = self._index
        if index is None:
            index = {s.id: s for s in self.steps}
            object.__setattr__(self, "_index", index)
        return index[id]

    def waves(self) -> list[list[str]]:
        """Step ids in parallel layers: every step of a layer depends only on earlier layers.
        ``ValueError`` if the steps' dependencies are dangling or cyclic."""
        layers, stuck = stable_waves([s.id for s in self.steps],
                                     {s.id: s.depends_on for s in self.steps})
        if stuck:
            raise ValueError(f"plan steps have a dependency cycle among {stuck}")
        return layers

    def is_empty(self) -> bool:
        return not self.steps

    def summary(self) -> dict[str, int]:
        """Number of changes per action (every action is listed)."""
        counts = {action.value: 0 for action in Action}
        for change in self.changes:
            counts[change.action.value] += 1
        return counts

    def check_current(self, observed: ObservedState) -> None:
        """Refuse a plan made against another observed state (``StalePlanError``)."""
        current = observed.fingerprint()
        if current != self.base_fingerprint:
            raise StalePlanError(
                f"plan for {self.service!r} was made against observed state "
                f"{self.base_fingerprint} but the state is now {current}; plan again")

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "service": self.service,
            "base_fingerprint": self.base_fingerprint,
            "desired_fingerprint": self.desired_fingerprint,
            "changes": [c.to_dict() for c in self.changes],
            "steps": [s.to_dict() for s in self.steps],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Plan:
        if d.get("format") != _FORMAT:
            raise ValueError(f"not a netorch plan (format {d.get('format')!r})")
        plan = cls(service=str(d["service"]),
                   changes=tuple(Change.from_dict(c) for c in d.get("changes", ())),
                   steps=tuple(Step.from_dict(s) for s in d.get("steps", ())),
                   base_fingerprint=str(d["base_fingerprint"]),
                   desired_fingerprint=str(d["desired_fingerprint"]))
        plan.waves()  # validates the step graph
        return plan

    @classmethod
    def from_json(cls, s: str) -> Plan:
        data = json.loads(s)
        if not isinstance(data, dict):
            raise ValueError("not a netorch plan (not a JSON object)")
        return cls.from_dict(data)
