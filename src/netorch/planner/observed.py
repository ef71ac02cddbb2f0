"""What exists, as the planner sees it: one resource record per node id.

Built from the store's :class:`~netorch.model.resources.ResourceRecord` rows. Its fingerprint
is what a saved plan is checked against before it is applied (Terraform's stale plan check).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from netorch.model.resources import RecordState, ResourceKind, ResourceRecord
from netorch.topology.canonical import fingerprint


@dataclass(frozen=True, slots=True)
class ObservedResource:
    node_id: str
    key: str
    kind: ResourceKind
    spec_hash: str
    state: RecordState
    healthy: bool = True
    depends_on: tuple[str, ...] = ()
    """Node ids (or resource keys) this resource was created against."""
    node_type: str = ""

    @classmethod
    def from_record(cls, record: ResourceRecord) -> ObservedResource:
        return cls(node_id=record.node_id, key=record.key, kind=record.kind,
                   spec_hash=record.spec_hash, state=record.state, healthy=record.healthy,
                   depends_on=tuple(record.depends_on), node_type=record.node_type)


@dataclass(frozen=True, slots=True)
class ObservedState:
    resources: Mapping[str, ObservedResource] = field(default_factory=dict)
    """By node id."""

    @classmethod
    def from_records(cls, records: Iterable[ResourceRecord]) -> ObservedState:
        """One resource per node id; two records for the same node id are an error
        (``ValueError``): the planner cannot tell which one is meant."""
        resources: dict[str, ObservedResource] = {}
        for record in records:
            if record.node_id in resources:
                raise ValueError(
                    f"two resource records for node {record.node_id!r}: "
                    f"{resources[record.node_id].key!r} and {record.key!r}")
            resources[record.node_id] = ObservedResource.from_record(record)
        return cls(resources)

    def fingerprint(self) -> str:
        """sha256 over the sorted (node_id, key, spec_hash, state, healthy) of every resource."""
        rows = sorted((r.node_id, r.key, r.spec_hash, r.state.value, r.healthy)
                      for r in self.resources.values())
        return fingerprint(rows)

    def dependents(self) -> dict[str, list[str]]:
        """node id -> node ids of the observed resources that depend on it (by node id or key),
        sorted by node id."""
        by_key = {r.key: r.node_id for r in self.resources.values()}
        result: dict[str, list[str]] = {}
        for node_id in sorted(self.resources):
            for dep in self.resources[node_id].depends_on:
                target = dep if dep in self.resources else by_key.get(dep)
                if target is not None and target != node_id:
                    result.setdefault(target, []).append(node_id)
        return result
