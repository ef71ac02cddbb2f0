"""What the store keeps about templates, service instances and the event log.

A ``ServiceRecord`` is netorch's view of one NS instance (ETSI GS NFV-SOL 005 §6.5.2.10
``NsInstance``: ``nsState`` is ``NOT_INSTANTIATED`` or ``INSTANTIATED``); a ``TemplateRecord``
is one onboarded template / package, identified by the hash of its content (SOL005 §5.5.2.2
``NsdInfo`` / SOL004 package); an ``EventRecord`` is one line of the append-only audit log.

The dataclasses are frozen; mapping fields must be treated as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class ServiceStatus(StrEnum):
    """``NsInstance.nsState`` (SOL005 §6.5.2.10)."""

    NOT_INSTANTIATED = "NOT_INSTANTIATED"
    INSTANTIATED = "INSTANTIATED"


class TemplateKind(StrEnum):
    """What an onboarded artefact is."""

    TEMPLATE = "template"
    """A plain TOSCA service template (TOSCA Simple Profile YAML 1.3 §3.10)."""
    VNF_PACKAGE = "vnf-package"
    """A SOL004 VNF package (CSAR) carrying a SOL001 VNFD."""
    NSD = "nsd"
    """A SOL001 §6 NS descriptor."""


class EventLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class TemplateRecord:
    """One onboarded template or package; ``content_hash`` is its identity."""

    content_hash: str
    name: str
    source: str
    tosca_version: str
    kind: str
    """A :class:`TemplateKind` value."""
    model: dict[str, Any]
    """The loaded ``ServiceModel`` as JSON."""
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """One service (NS) instance."""

    name: str
    template: str
    """Source path of the template it was created from."""
    template_hash: str
    vim: str
    status: str
    """A :class:`ServiceStatus` value."""
    inputs: dict[str, Any]
    model: dict[str, Any]
    """The ``ServiceModel`` as JSON."""
    desired: dict[str, Any] | None
    """The desired ``Topology.to_dict()``; ``None`` before the first instantiate."""
    scale_levels: dict[str, int]
    instantiation_level: str | None
    generations: dict[str, int]
    active_op: str | None
    """Id of the operation occurrence currently holding the service (one at a time)."""
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One entry of the append-only event log."""

    id: int
    time: datetime
    service: str | None
    op_id: str | None
    level: str
    """An :class:`EventLevel` value."""
    message: str
