"""What the engine needs from drivers: a structural protocol, so the engine never imports them."""

from __future__ import annotations

from typing import Protocol

from netorch.model.resources import CreateRequest, ResourceKind, ResourceRef, ResourceState


class ResourceDriver(Protocol):
    name: str

    async def create(self, req: CreateRequest) -> ResourceState: ...

    async def read(self, ref: ResourceRef) -> ResourceState | None: ...

    async def delete(self, ref: ResourceRef) -> None: ...


class UpdatableDriver(ResourceDriver, Protocol):
    """A driver that changes a resource in place (network configuration): ``update`` makes
    the resource under ``ref`` match ``req`` and keeps its key."""

    async def update(self, ref: ResourceRef, req: CreateRequest) -> ResourceState: ...


def updatable(driver: ResourceDriver) -> UpdatableDriver | None:
    """``driver`` if it can update in place, else ``None`` (the update is a record change)."""
    update = getattr(driver, "update", None)
    return driver if callable(update) else None  # type: ignore[return-value]


class DriverSet(Protocol):
    """Chooses the driver for a resource kind (the VIM for infrastructure, the logical driver
    for software nodes)."""

    def for_kind(self, kind: ResourceKind) -> ResourceDriver: ...
