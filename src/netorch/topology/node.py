"""Nodes and edges of a service topology.

A node is one resource-to-be: a node template (TOSCA Simple Profile YAML 1.3 §3.8.3), or one
instance of a scalable one (SOL001 §6.10 scaling aspects); an edge is one requirement of it
(TOSCA 1.3 §3.8.2), pointing from the requiring node to the node it depends on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netorch.model.resources import ResourceKind
from netorch.topology.canonical import fingerprint, plain
from netorch.topology.kinds import EdgeKind


def instance_id(template: str, index: int) -> str:
    """The node id of instance ``index`` of a scalable template: ``vdu1[0]``."""
    return f"{template}[{index}]"


_DIGITS = re.compile(r"(\d+)")


def natural_key(node_id: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders ``vdu[2]`` before ``vdu[10]``."""
    return tuple((1, int(part)) if part.isdigit() else (0, part)
                 for part in _DIGITS.split(node_id) if part)


@dataclass(frozen=True, slots=True)
class Node:
    """One node of the desired topology."""

    id: str
    """``vdu1[0]`` for an instance of a scalable template, else the template name."""
    template: str
    type: str
    type_chain: tuple[str, ...]
    kind: ResourceKind
    index: int | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    capabilities: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    generation: int = 0
    """Heal bumps it to force a replace of an otherwise unchanged node."""
    placement: tuple[str, ...] = ()
    """Placement rules of a compute node, ``kind:scope:policy`` (e.g.
    ``anti-affinity:host:upf_anti_affinity``; see :mod:`netorch.topology.placement`)."""
    _spec_hash: str | None = field(default=None, init=False, repr=False, compare=False)

    def spec_hash(self) -> str:
        """sha256 over the type, properties, capabilities, generation and, when there are
        any, the placement rules (cached). A node without placement rules hashes as it did
        before nodes had them."""
        cached = self._spec_hash
        if cached is None:
            spec: dict[str, Any] = {
                "type": self.type,
                "properties": self.properties,
                "capabilities": self.capabilities,
                "generation": self.generation,
            }
            if self.placement:
                spec["placement"] = list(self.placement)
            cached = fingerprint(spec)
            object.__setattr__(self, "_spec_hash", cached)
        return cached

    def __hash__(self) -> int:
        return hash((self.id, self.spec_hash()))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "template": self.template,
            "type": self.type,
            "type_chain": list(self.type_chain),
            "kind": self.kind.value,
            "index": self.index,
            "properties": plain(self.properties),
            "capabilities": plain(self.capabilities),
            "generation": self.generation,
        }
        if self.placement:
            d["placement"] = list(self.placement)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Node:
        index = d.get("index")
        return cls(
            id=str(d["id"]),
            template=str(d["template"]),
            type=str(d["type"]),
            type_chain=tuple(str(t) for t in d.get("type_chain", ())),
            kind=ResourceKind(d["kind"]),
            index=None if index is None else int(index),
            properties=plain(d.get("properties") or {}),
            capabilities=plain(d.get("capabilities") or {}),
            generation=int(d.get("generation", 0)),
            placement=tuple(str(rule) for rule in d.get("placement") or ()),
        )


@dataclass(frozen=True, slots=True)
class Edge:
    """``source`` depends on ``target`` through its requirement ``requirement``."""

    source: str
    target: str
    kind: EdgeKind
    requirement: str

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source, "target": self.target, "kind": self.kind.value,
                "requirement": self.requirement}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Edge:
        return cls(source=str(d["source"]), target=str(d["target"]), kind=EdgeKind(d["kind"]),
                   requirement=str(d["requirement"]))
