"""The VIM driver protocol.

Every call is async and returns typed results. Errors are
:class:`~netorch.model.errors.TemporaryError` (retry with backoff) or
:class:`~netorch.model.errors.PermanentError` (fail the step at once).

Contract every driver must keep, because crash recovery and ``netorch doctor`` rely on it:

* ``create`` is idempotent on ``req.key``: creating a key that already exists returns the existing
  resource instead of making a second one;
* the key is stored with the resource inside the VIM (a tag, a name, a label) so that ``list``
  reports it — anything the VIM holds whose key netorch has no record of is an orphan;
* ``delete`` of something already gone succeeds (deletes are idempotent);
* ``read`` returns ``None`` when the resource does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from netorch.model.resources import CreateRequest, ResourceKind, ResourceRef, ResourceState


@runtime_checkable
class VimDriver(Protocol):
    """A virtual infrastructure manager: compute, networks, ports and volumes."""

    name: str
    """The VIM's name in the VIM config file (not the driver's)."""

    kinds: frozenset[ResourceKind]
    """The resource kinds this driver can create."""

    async def create(self, req: CreateRequest) -> ResourceState: ...

    async def read(self, ref: ResourceRef) -> ResourceState | None: ...

    async def delete(self, ref: ResourceRef) -> None: ...

    async def list(self) -> list[ResourceState]: ...

    async def close(self) -> None: ...


class VimDriverFactory(Protocol):
    """What an entry point in the ``netorch.vim_drivers`` group must be (usually the class)."""

    def __call__(self, name: str, config: Mapping[str, Any], base_dir: Path) -> VimDriver: ...
