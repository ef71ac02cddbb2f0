"""The service as a graph: nodes, dependency edges, ordering and scaling expansion.

Pure: no I/O. Built from a :class:`~netorch.model.service.ServiceModel` by
:func:`build_topology`; read by the planner and the UI.
"""

from netorch.topology.build import build_topology
from netorch.topology.graph import CycleError, Topology, format_cycle
from netorch.topology.kinds import (
    FOLLOW_EDGE_KINDS,
    STRUCTURAL_EDGE_KINDS,
    EdgeKind,
    classify,
    edge_kind,
)
from netorch.topology.node import Edge, Node, instance_id, natural_key
from netorch.topology.scaling import instance_counts, scalable_templates

__all__ = [
    "FOLLOW_EDGE_KINDS",
    "STRUCTURAL_EDGE_KINDS",
    "CycleError",
    "Edge",
    "EdgeKind",
    "Node",
    "Topology",
    "build_topology",
    "classify",
    "edge_kind",
    "format_cycle",
    "instance_counts",
    "instance_id",
    "natural_key",
    "scalable_templates",
]
