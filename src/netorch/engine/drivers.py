"""What the engine needs from drivers: a structural protocol, so the engine never imports them."""

from __future__ import annotations

from typing import Protocol

from netorch.model.resources import CreateRequest, ResourceKind, ResourceRef, ResourceState


class ResourceDriver(Protocol):
    name: str

    async def create(self, req: CreateRequest) -> ResourceState: ...

    async def read(self, ref: ResourceRef) -> ResourceState | None: ...

    async def delete(self, ref: ResourceRef) -> None: ...


class DriverSet(Protocol):
    """Chooses the driver for a resource kind (the VIM for infrastructure, the logical driver
    for software nodes)."""

    def for_kind(self, kind: ResourceKind) -> ResourceDriver: ...
