"""What drivers create and report, and what the store records about it.

A resource is identified, before it exists, by a ``key`` that netorch generates and records
*before* asking a VIM to create anything; every driver tags the resource with that key, so a
crash between "VIM created it" and "we recorded its id" can always be reconciled (and
``netorch doctor`` can tell ours from orphans).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ResourceKind(StrEnum):
    COMPUTE = "compute"
    NETWORK = "network"
    PORT = "port"
    VOLUME = "volume"
    SOFTWARE = "software"
    """Logical nodes (software components, VNF / NS wrappers, abstract nodes): no VIM call."""
    DEVICE = "device"
    """An existing network device or controller netorch configures (never created or deleted
    by netorch: "create" adopts it after checking it answers, "delete" lets go of it)."""
    NETCONFIG = "netconfig"
    """The network configuration of one service across its devices (VLANs, VRFs, chains),
    applied as one all-or-nothing multi-device transaction."""


VIM_KINDS: frozenset[ResourceKind] = frozenset(
    {ResourceKind.COMPUTE, ResourceKind.NETWORK, ResourceKind.PORT, ResourceKind.VOLUME}
)

NETWORK_KINDS: frozenset[ResourceKind] = frozenset({ResourceKind.DEVICE, ResourceKind.NETCONFIG})
"""Kinds handled by the network (device) driver rather than a VIM."""

IN_PLACE_KINDS: frozenset[ResourceKind] = frozenset(
    {ResourceKind.SOFTWARE, ResourceKind.DEVICE, ResourceKind.NETCONFIG}
)
"""Kinds changed in place when their spec or dependencies change (configuration, not
infrastructure): the planner UPDATEs them instead of replacing them."""


class ResourceStatus(StrEnum):
    BUILDING = "BUILDING"
    ACTIVE = "ACTIVE"
    ERROR = "ERROR"
    """The resource exists but is unhealthy (failed, died): heal replaces it."""
    DELETED = "DELETED"


@dataclass(frozen=True, slots=True)
class ResourceRef:
    key: str
    kind: ResourceKind
    vim_id: str | None = None


@dataclass(frozen=True, slots=True)
class CreateRequest:
    """Everything a driver needs to create one resource.

    ``links`` maps the requirement / relationship targets this resource depends on (by node id)
    to their refs, e.g. a port's network and compute.
    """

    key: str
    kind: ResourceKind
    name: str
    service: str
    node_id: str
    node_type: str
    properties: Mapping[str, Any] = field(default_factory=dict)
    capabilities: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    links: Mapping[str, ResourceRef] = field(default_factory=dict)
    placement: tuple[str, ...] = ()
    """Placement rules of a compute, ``kind:scope:policy`` (``anti-affinity:host:upf_aa``):
    ``kind`` is ``affinity`` or ``anti-affinity``; the VIM honours each rule against the other
    resources of the same ``service`` that carry the same rule (SOL001 §6.10 Affinity /
    AntiAffinityRule, TOSCA 1.3 §5.11.2 Placement)."""


@dataclass(frozen=True, slots=True)
class ResourceState:
    """The last known state of a resource as the driver sees it."""

    key: str
    kind: ResourceKind
    name: str
    status: ResourceStatus
    vim_id: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    """Runtime attributes for ``get_attribute``: ``private_address``, ``ip_address`` …"""
    error: str | None = None

    @property
    def ref(self) -> ResourceRef:
        return ResourceRef(key=self.key, kind=self.kind, vim_id=self.vim_id)


class RecordState(StrEnum):
    """Lifecycle of netorch's *record* of a resource (not the VIM's view of it)."""

    PENDING_CREATE = "PENDING_CREATE"
    """Recorded before the VIM call; may or may not exist in the VIM yet."""
    CREATED = "CREATED"
    PENDING_DELETE = "PENDING_DELETE"
    """Delete started; the VIM may still have it."""
    FAILED = "FAILED"
    """Create failed, but something exists in the VIM under this key: tracked, not orphaned."""


@dataclass(frozen=True, slots=True)
class ResourceRecord:
    """The store's record of one resource of one service instance."""

    service: str
    node_id: str
    key: str
    kind: ResourceKind
    vim: str
    state: RecordState
    spec_hash: str
    node_type: str = ""
    vim_id: str | None = None
    healthy: bool = True
    depends_on: tuple[str, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=dict)
    spec: Mapping[str, Any] = field(default_factory=dict)
    """The desired node (``Node.to_dict()``) this resource was made from."""

    @property
    def ref(self) -> ResourceRef:
        return ResourceRef(key=self.key, kind=self.kind, vim_id=self.vim_id)
