"""The driver for logical nodes: software components, VNF / NS wrappers, abstract nodes.

Such nodes (``ResourceKind.SOFTWARE``) have no infrastructure of their own, so "creating" one has
no external effect. They exist exactly as long as netorch's record of them does: ``read`` reports
any software ref ACTIVE, and ``list`` is empty because nothing outside netorch can be orphaned.
Implements the protocol of :mod:`netorch.drivers.vim.base`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from netorch.model.errors import PermanentError
from netorch.model.resources import (
    CreateRequest,
    ResourceKind,
    ResourceRef,
    ResourceState,
    ResourceStatus,
)

LOGICAL_DRIVER_NAME = "logical"


class LogicalDriver:
    """Creates SOFTWARE resources without touching anything."""

    def __init__(
        self,
        name: str = LOGICAL_DRIVER_NAME,
        config: Mapping[str, Any] | None = None,
        base_dir: Path | None = None,
    ) -> None:
        self.name = name
        self.kinds: frozenset[ResourceKind] = frozenset({ResourceKind.SOFTWARE})

    def _check(self, kind: ResourceKind, what: str) -> None:
        if kind not in self.kinds:
            raise PermanentError(
                f"the logical driver handles software nodes only, not {kind} ({what})"
            )

    async def create(self, req: CreateRequest) -> ResourceState:
        self._check(req.kind, req.node_id)
        return ResourceState(
            key=req.key, kind=req.kind, name=req.name, status=ResourceStatus.ACTIVE
        )

    async def read(self, ref: ResourceRef) -> ResourceState | None:
        self._check(ref.kind, ref.key)
        return ResourceState(key=ref.key, kind=ref.kind, name=ref.key, status=ResourceStatus.ACTIVE)

    async def delete(self, ref: ResourceRef) -> None:
        self._check(ref.kind, ref.key)

    async def list(self) -> list[ResourceState]:
        return []

    async def close(self) -> None:
        return None
