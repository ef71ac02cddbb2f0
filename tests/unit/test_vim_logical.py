"""The logical driver: software nodes that have no infrastructure."""

from __future__ import annotations

import asyncio

import pytest

from netorch.drivers.vim.base import VimDriver
from netorch.drivers.vim.logical import LogicalDriver
from netorch.model.errors import PermanentError
from netorch.model.resources import CreateRequest, ResourceKind, ResourceRef, ResourceStatus


def test_logical_driver_round_trip() -> None:
    drv = LogicalDriver()
    assert isinstance(drv, VimDriver)
    assert drv.kinds == frozenset({ResourceKind.SOFTWARE})
    req = CreateRequest(
        key="svc/app/0",
        kind=ResourceKind.SOFTWARE,
        name="app",
        service="svc",
        node_id="app",
        node_type="tosca.nodes.SoftwareComponent",
    )

    async def run() -> None:
        state = await drv.create(req)
        assert state.status == ResourceStatus.ACTIVE
        assert state.vim_id is None
        assert state.key == "svc/app/0"
        assert state.name == "app"
        read = await drv.read(state.ref)
        assert read is not None and read.status == ResourceStatus.ACTIVE
        assert await drv.list() == []
        await drv.delete(state.ref)
        await drv.delete(state.ref)
        await drv.close()

    asyncio.run(run())


def test_logical_driver_refuses_infrastructure() -> None:
    drv = LogicalDriver()
    req = CreateRequest(
        key="k", kind=ResourceKind.COMPUTE, name="vm", service="s", node_id="vm", node_type="t"
    )
    with pytest.raises(PermanentError, match="software nodes only"):
        asyncio.run(drv.create(req))
    with pytest.raises(PermanentError):
        asyncio.run(drv.delete(ResourceRef(key="k", kind=ResourceKind.NETWORK)))
