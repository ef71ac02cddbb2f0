"""The service topology: a directed graph of nodes and their dependencies (networkx-backed).

An edge ``a -> b`` means *a depends on b* (a TOSCA requirement of ``a`` fulfilled by ``b``,
TOSCA Simple Profile YAML 1.3 §3.8.2), so ``b`` must exist before ``a`` is created and ``a``
must be gone before ``b`` is deleted (TOSCA 1.3 §3.2.3 / §6.1 deployment ordering).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from netorch.model.diagnostics import Diagnostic, error
from netorch.topology.canonical import fingerprint
from netorch.topology.kinds import EdgeKind
from netorch.topology.node import Edge, Node

_FORMAT = 1


def format_cycle(cycle: list[str]) -> str:
    """``a -> b -> c -> a``."""
    return " -> ".join([*cycle, cycle[0]])


class CycleError(ValueError):
    """The dependencies form a cycle, so there is no order to create things in."""

    def __init__(self, cycles: list[list[str]]) -> None:
        self.cycles = cycles
        text = "; ".join(format_cycle(c) for c in cycles) or "unknown cycle"
        super().__init__(f"dependency cycle: {text}")


class Topology:
    """Nodes in insertion order and the dependency edges between them."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._nodes: dict[str, Node] = {}
        self._position: dict[str, int] = {}
        self._edges: list[Edge] = []
        self._edge_set: set[Edge] = set()
        self._out: dict[str, list[Edge]] = {}
        self._in: dict[str, list[Edge]] = {}
        self._graph: Any = nx.DiGraph()

    # -- building ---------------------------------------------------------------------------

    def add_node(self, node: Node) -> None:
        """Add ``node``; its id must be new."""
        if node.id in self._nodes:
            raise ValueError(f"duplicate node id {node.id!r}")
        self._position[node.id] = len(self._nodes)
        self._nodes[node.id] = node
        self._out[node.id] = []
        self._in[node.id] = []
        self._graph.add_node(node.id)

    def add_edge(self, source: str, target: str, kind: EdgeKind, requirement: str) -> None:
        """Record that ``source`` depends on ``target``. Both must exist; an identical edge
        is recorded once."""
        for node_id in (source, target):
            if node_id not in self._nodes:
                raise KeyError(node_id)
        edge = Edge(source, target, EdgeKind(kind), requirement)
        if edge in self._edge_set:
            return
        self._edge_set.add(edge)
        self._edges.append(edge)
        self._out[source].append(edge)
        self._in[target].append(edge)
        self._graph.add_edge(source, target)

    # -- reading ----------------------------------------------------------------------------

    def node(self, node_id: str) -> Node:
        return self._nodes[node_id]

    def nodes(self) -> list[Node]:
        return list(self._nodes.values())

    def node_ids(self) -> list[str]:
        return list(self._nodes)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def edges(self) -> list[Edge]:
        return list(self._edges)

    def edges_from(self, node_id: str) -> list[Edge]:
        return list(self._out[node_id])

    def edges_to(self, node_id: str) -> list[Edge]:
        return list(self._in[node_id])

    def dependencies(self, node_id: str) -> list[str]:
        """What ``node_id`` depends on (targets of its edges), each once, in edge order."""
        if node_id not in self._nodes:
            raise KeyError(node_id)
        return list(self._graph.successors(node_id))

    def dependents(self, node_id: str) -> list[str]:
        """What depends on ``node_id`` (sources of edges to it), each once, in edge order."""
        if node_id not in self._nodes:
            raise KeyError(node_id)
        return list(self._graph.predecessors(node_id))

    # -- ordering ---------------------------------------------------------------------------

    def cycles(self) -> list[list[str]]:
        """One cycle per strongly connected component that has one, each starting at its
        earliest node and listed in node order (a self-dependency is ``[a]``)."""
        found: list[list[str]] = []
        for component in nx.strongly_connected_components(self._graph):
            members: set[str] = set(component)
            start = min(members, key=self._position.__getitem__)
            if len(members) == 1 and not self._graph.has_edge(start, start):
                continue
            found.append(self._shortest_cycle(start, members))
        found.sort(key=lambda c: self._position[c[0]])
        return found

    def _shortest_cycle(self, start: str, members: set[str]) -> list[str]:
        if self._graph.has_edge(start, start):
            return [start]
        parent: dict[str, str] = {start: start}
        queue: deque[str] = deque([start])
        while queue:
            current = queue.popleft()
            for nxt in self._graph.successors(current):
                if nxt == start:
                    path = [current]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    path.reverse()
                    return path
                if nxt in members and nxt not in parent:
                    parent[nxt] = current
                    queue.append(nxt)
        raise AssertionError(f"{start!r} is in a cycle but none was found")  # pragma: no cover

    def check(self) -> list[Diagnostic]:
        """Problems of the graph itself: dependency cycles (``topology.cycle``)."""
        return [error("topology.cycle", f"dependency cycle: {format_cycle(c)}")
                for c in self.cycles()]

    def order(self) -> list[list[str]]:
        """Dependency waves: wave 0 depends on nothing, every node of wave ``k`` depends only
        on nodes of earlier waves (and on at least one of wave ``k - 1``). Each wave is in
        node order. Raises :class:`CycleError` when there is no such order."""
        remaining = {node_id: self._graph.out_degree(node_id) for node_id in self._nodes}
        wave = [node_id for node_id, count in remaining.items() if count == 0]
        waves: list[list[str]] = []
        placed = 0
        while wave:
            waves.append(wave)
            placed += len(wave)
            ready: list[str] = []
            for node_id in wave:
                for dependent in self._graph.predecessors(node_id):
                    remaining[dependent] -= 1
                    if remaining[dependent] == 0:
                        ready.append(dependent)
            ready.sort(key=self._position.__getitem__)
            wave = ready
        if placed != len(self._nodes):
            raise CycleError(self.cycles())
        return waves

    # -- copies and serialisation -----------------------------------------------------------

    def with_node(self, node: Node) -> Topology:
        """A copy with the node of the same id replaced by ``node`` (edges kept)."""
        if node.id not in self._nodes:
            raise KeyError(node.id)
        return self._copy(replace={node.id: node})

    def _copy(self, replace: Mapping[str, Node] | None = None) -> Topology:
        replace = replace or {}
        copy = Topology(self.name)
        for node in self._nodes.values():
            copy.add_node(replace.get(node.id, node))
        copy._add_edges(self._edges)
        return copy

    def _add_edges(self, edges: Iterable[Edge]) -> None:
        for edge in edges:
            self.add_edge(edge.source, edge.target, edge.kind, edge.requirement)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "name": self.name,
            "nodes": [node.to_dict() for node in self._nodes.values()],
            "edges": [edge.to_dict() for edge in self._edges],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Topology:
        if d.get("format", _FORMAT) != _FORMAT:
            raise ValueError(f"unsupported topology format {d.get('format')!r}")
        topo = cls(str(d.get("name", "")))
        for node in d.get("nodes", ()):
            topo.add_node(Node.from_dict(node))
        topo._add_edges(Edge.from_dict(edge) for edge in d.get("edges", ()))
        return topo

    def fingerprint(self) -> str:
        """sha256 of the canonical JSON of :meth:`to_dict`."""
        return fingerprint(self.to_dict())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Topology):
            return NotImplemented
        return (self.name == other.name and list(self._nodes.values()) == list(
            other._nodes.values()) and self._edges == other._edges)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Topology(name={self.name!r}, nodes={len(self._nodes)}, edges={len(self._edges)})"
