"""The normalized service model that every loader (TOSCA 1.x, SOL001 VNFD/NSD) produces.

Values are already resolved where they can be at load time: ``get_input`` and ``get_property``
are substituted; ``get_attribute`` / ``get_operation_output`` stay as their TOSCA function
dicts (e.g. ``{"get_attribute": ["server", "private_address"]}``) because they only have a
value once the resource exists (TOSCA Simple Profile YAML 1.3 §4.4, §4.5).

The dataclasses are frozen; mapping fields must be treated as read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class InputDef:
    """A topology_template input (TOSCA 1.3 §3.6.12)."""

    name: str
    type: str = "string"
    description: str | None = None
    default: Any = None
    required: bool = True
    has_default: bool = False


@dataclass(frozen=True, slots=True)
class RequirementAssignment:
    """One requirement of a node template, resolved to its target (TOSCA 1.3 §3.8.2)."""

    name: str
    target: str
    relationship: str = "tosca.relationships.DependsOn"
    """The relationship type name, e.g. ``tosca.relationships.HostedOn``."""
    capability: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OperationDef:
    name: str
    implementation: str | None = None
    inputs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InterfaceDef:
    """An interface assignment on a node template (TOSCA 1.3 §3.6.20)."""

    name: str
    type: str | None = None
    operations: tuple[OperationDef, ...] = ()


@dataclass(frozen=True, slots=True)
class ArtifactDef:
    """An artifact (TOSCA 1.3 §3.6.7), e.g. a SOL001 ``tosca.artifacts.nfv.SwImage``."""

    name: str
    type: str | None = None
    file: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NodeTemplate:
    """A node template with its type's ancestry, so later layers never need the type system.

    ``type_chain`` is the node's type followed by its ancestors up to ``tosca.nodes.Root``.
    """

    name: str
    type: str
    type_chain: tuple[str, ...] = ()
    description: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    attributes: Mapping[str, Any] = field(default_factory=dict)
    capabilities: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """capability name -> its property values (e.g. ``host: {num_cpus: 2, mem_size: "2 GB"}``)."""
    requirements: tuple[RequirementAssignment, ...] = ()
    interfaces: tuple[InterfaceDef, ...] = ()
    artifacts: Mapping[str, ArtifactDef] = field(default_factory=dict)
    line: int | None = None

    def is_a(self, type_name: str) -> bool:
        return type_name == self.type or type_name in self.type_chain


@dataclass(frozen=True, slots=True)
class PolicyDef:
    """A policy (TOSCA 1.3 §3.6.16), e.g. ``tosca.policies.Scaling`` or a SOL001 policy."""

    name: str
    type: str
    type_chain: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    properties: Mapping[str, Any] = field(default_factory=dict)

    def is_a(self, type_name: str) -> bool:
        return type_name == self.type or type_name in self.type_chain


@dataclass(frozen=True, slots=True)
class GroupDef:
    name: str
    type: str
    members: tuple[str, ...] = ()
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OutputDef:
    name: str
    value: Any = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ScalingAspect:
    """A scaling aspect, from SOL001 ``tosca.policies.nfv.ScalingAspects`` +
    ``VduScalingAspectDeltas`` (SOL001 §6.10.x), or from a TOSCA 1.x ``tosca.policies.Scaling``
    policy (then one aspect per policy, named after it, with a delta of 1 per step).

    ``deltas[node][k]`` is how many instances of ``node`` step ``k`` (0-based) adds; when the
    list is shorter than ``max_scale_level`` its last value repeats (uniform deltas).
    """

    name: str
    max_scale_level: int
    deltas: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    description: str | None = None

    def added_instances(self, node: str, level: int) -> int:
        steps = self.deltas.get(node, ())
        if not steps or level <= 0:
            return 0
        total = 0
        for k in range(level):
            total += steps[k] if k < len(steps) else steps[-1]
        return total


@dataclass(frozen=True, slots=True)
class InstantiationLevel:
    """SOL001 ``InstantiationLevels`` + ``VduInstantiationLevels``: per-node instance counts
    and the aspect scale levels that the level corresponds to."""

    name: str
    description: str | None = None
    instances: Mapping[str, int] = field(default_factory=dict)
    scale_levels: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ServiceModel:
    """A loaded, validated service: what a template *means*, independent of its syntax."""

    name: str
    tosca_version: str
    source: str
    """The file (or CSAR entry definitions path) the model was loaded from."""
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    inputs: Mapping[str, InputDef] = field(default_factory=dict)
    input_values: Mapping[str, Any] = field(default_factory=dict)
    """The values used for ``get_input`` (given inputs merged over defaults)."""
    nodes: Mapping[str, NodeTemplate] = field(default_factory=dict)
    policies: tuple[PolicyDef, ...] = ()
    groups: tuple[GroupDef, ...] = ()
    outputs: Mapping[str, OutputDef] = field(default_factory=dict)
    aspects: Mapping[str, ScalingAspect] = field(default_factory=dict)
    initial_instances: Mapping[str, int] = field(default_factory=dict)
    """Instance count of a node before any aspect step (SOL001 ``VduInitialDelta``, TOSCA
    ``tosca.policies.Scaling.default_instances`` or ``scalable.default_instances``).
    Nodes not listed have one instance."""
    min_instances: Mapping[str, int] = field(default_factory=dict)
    max_instances: Mapping[str, int] = field(default_factory=dict)
    instantiation_levels: Mapping[str, InstantiationLevel] = field(default_factory=dict)
    default_instantiation_level: str | None = None
    content_hash: str = ""
