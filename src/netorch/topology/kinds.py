"""Resource kinds of node types and edge kinds of relationship types.

Normative type names: TOSCA Simple Profile YAML 1.3 §5.9 (node types) and §5.7 (relationship
types); the TOSCA NFV profile (tosca.nodes.nfv.VDU / CP / VL); ETSI GS NFV-SOL 001 §6.8
(``tosca.nodes.nfv.Vdu.Compute``, ``VduCp``, ``VnfVirtualLink``, ``Vdu.Virtual*Storage``) and
§6.5 (``tosca.relationships.nfv.VirtualBindsTo`` / ``VirtualLinksTo`` / ``AttachesTo``).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from netorch.model.resources import ResourceKind


class EdgeKind(StrEnum):
    """The kind of a dependency edge (source depends on target)."""

    HOSTED_ON = "HostedOn"
    DEPENDS_ON = "DependsOn"
    BINDS_TO = "BindsTo"
    VIRTUAL_BINDS_TO = "VirtualBindsTo"
    LINKS_TO = "LinksTo"
    VIRTUAL_LINKS_TO = "VirtualLinksTo"
    ATTACHES_TO = "AttachesTo"
    CONNECTS_TO = "ConnectsTo"


_RELATIONSHIPS: dict[str, EdgeKind] = {
    # TOSCA Simple Profile YAML 1.3 §5.7
    "tosca.relationships.HostedOn": EdgeKind.HOSTED_ON,
    "tosca.relationships.DependsOn": EdgeKind.DEPENDS_ON,
    "tosca.relationships.AttachesTo": EdgeKind.ATTACHES_TO,
    "tosca.relationships.ConnectsTo": EdgeKind.CONNECTS_TO,
    # RoutesTo derives from ConnectsTo (§5.7.6): ordering-wise it is a ConnectsTo.
    "tosca.relationships.RoutesTo": EdgeKind.CONNECTS_TO,
    # TOSCA Simple Profile YAML 1.3 §8.5 (networking)
    "tosca.relationships.network.LinksTo": EdgeKind.LINKS_TO,
    "tosca.relationships.network.BindsTo": EdgeKind.BINDS_TO,
    # ETSI GS NFV-SOL 001 §6.5 and the TOSCA NFV profile
    "tosca.relationships.nfv.VirtualBindsTo": EdgeKind.VIRTUAL_BINDS_TO,
    "tosca.relationships.nfv.VirtualLinksTo": EdgeKind.VIRTUAL_LINKS_TO,
    "tosca.relationships.nfv.AttachesTo": EdgeKind.ATTACHES_TO,
}
# TOSCA allows the short name of a normative type (TOSCA 1.3 §3.1.2); RoutesTo is handled
# like above.
_RELATIONSHIPS.update({kind.value: kind for kind in EdgeKind})
_RELATIONSHIPS["RoutesTo"] = EdgeKind.CONNECTS_TO


def edge_kind(relationship: str | None) -> EdgeKind:
    """The edge kind of a relationship type name; unknown names are plain ``DependsOn``."""
    if not relationship:
        return EdgeKind.DEPENDS_ON
    return _RELATIONSHIPS.get(relationship, EdgeKind.DEPENDS_ON)


STRUCTURAL_EDGE_KINDS: frozenset[EdgeKind] = frozenset({
    EdgeKind.HOSTED_ON, EdgeKind.BINDS_TO, EdgeKind.VIRTUAL_BINDS_TO, EdgeKind.LINKS_TO,
    EdgeKind.VIRTUAL_LINKS_TO, EdgeKind.ATTACHES_TO,
})
"""Edges that tie the source to the very resource it targets: when the target is replaced
the source must be replaced too (``DependsOn`` / ``ConnectsTo`` only order things)."""

FOLLOW_EDGE_KINDS: frozenset[EdgeKind] = frozenset({
    EdgeKind.HOSTED_ON, EdgeKind.BINDS_TO, EdgeKind.VIRTUAL_BINDS_TO,
})
"""Edges along which an instance count is inherited: whatever is hosted on / bound to one
instance of a scaled node exists once per instance."""


_KIND_OF_TYPE: dict[str, ResourceKind] = {
    # TOSCA 1.3 §5.9.3 / TOSCA NFV profile / SOL001 §6.8.6
    "tosca.nodes.Compute": ResourceKind.COMPUTE,
    "tosca.nodes.nfv.Vdu.Compute": ResourceKind.COMPUTE,
    "tosca.nodes.nfv.VDU": ResourceKind.COMPUTE,
    # TOSCA 1.3 §8.5.2 / SOL001 §6.8.4, §6.8.x / TOSCA NFV profile
    "tosca.nodes.network.Network": ResourceKind.NETWORK,
    "tosca.nodes.nfv.VnfVirtualLink": ResourceKind.NETWORK,
    "tosca.nodes.nfv.NsVirtualLink": ResourceKind.NETWORK,
    "tosca.nodes.nfv.VL": ResourceKind.NETWORK,
    # TOSCA 1.3 §8.5.3 / SOL001 §6.8.5 / TOSCA NFV profile
    "tosca.nodes.network.Port": ResourceKind.PORT,
    "tosca.nodes.nfv.VduCp": ResourceKind.PORT,
    "tosca.nodes.nfv.CP": ResourceKind.PORT,
    # TOSCA 1.3 §5.9.6 / SOL001 §6.8.7-6.8.9
    "tosca.nodes.BlockStorage": ResourceKind.VOLUME,
    "tosca.nodes.Storage.BlockStorage": ResourceKind.VOLUME,
    "tosca.nodes.nfv.Vdu.VirtualBlockStorage": ResourceKind.VOLUME,
    "tosca.nodes.nfv.Vdu.VirtualObjectStorage": ResourceKind.VOLUME,
    "tosca.nodes.nfv.Vdu.VirtualFileStorage": ResourceKind.VOLUME,
    # netorch's network types (types/netorch/netorch_network_types.yaml)
    "netorch.nodes.network.Device": ResourceKind.DEVICE,
    "netorch.nodes.network.Stitching": ResourceKind.NETCONFIG,
}


def classify(type_chain: Iterable[str]) -> ResourceKind:
    """The resource kind of a node from its type chain (its type, then its ancestors).

    The most derived type with a known kind decides; nodes of no known kind are
    :attr:`ResourceKind.SOFTWARE` (logical, no VIM call).
    """
    for type_name in type_chain:
        kind = _KIND_OF_TYPE.get(type_name)
        if kind is not None:
            return kind
    return ResourceKind.SOFTWARE
