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
    version: str | None = None
    """SOL001 ``descriptor_version`` (VNF) / ``version`` (NS), or the template metadata's
    ``template_version``."""
    provider: str | None = None
    """SOL001 VNF ``provider`` / NS ``designer``, or the template metadata's
    ``template_author``."""
    descriptor_id: str | None = None
    """SOL001 ``descriptor_id``: the ``vnfdId`` of a VNF package, the ``nsdId`` of an NSD."""
    flavours: tuple[str, ...] = ()
    """The deployment flavour ids the descriptor declares (SOL001 ``flavour_id``)."""
    content_format: str | None = None
    """How the onboarded content is kept (a :class:`ContentFormat` value); ``None`` when the
    record was made by a deployment from a path and holds no content."""
    content_name: str | None = None
    """The file name the content is written back as (entry file for a bundle)."""
    content_size: int | None = None
    """Size in bytes of the stored content (the bytes themselves are read separately)."""

    @property
    def onboarded(self) -> bool:
        """Whether the store holds this template's content (``netorch onboard``)."""
        return self.content_format is not None


class ContentFormat(StrEnum):
    """How an onboarded template's content is stored."""

    YAML = "yaml"
    """The template file's bytes."""
    YAML_BUNDLE = "yaml-bundle"
    """A ZIP of the template file and the local files it imports, paths relative to its
    folder; ``content_name`` is the template's path inside it."""
    ZIP = "zip"
    """A CSAR: the ZIP as given, or a ZIP of the CSAR directory (SOL004 §4.1)."""


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
