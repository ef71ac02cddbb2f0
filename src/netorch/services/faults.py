"""Fault injection on VIMs that support it (the sim VIM's ``kill``), to exercise heal."""

from __future__ import annotations

import asyncio

from netorch.model.errors import NotFoundError, PermanentError
from netorch.services.lifecycle import Lifecycle


def kill_resource(lc: Lifecycle, service: str, node_id: str) -> None:
    svc = lc.service(service)
    record = next((r for r in lc.store.resources(service) if r.node_id == node_id), None)
    if record is None:
        raise NotFoundError(f"service {service!r} has no resource for node {node_id!r}")

    async def run() -> None:
        async with lc.ctx.vim(svc.vim) as vim:
            kill = getattr(vim, "kill", None)
            if kill is None:
                raise PermanentError(f"VIM {svc.vim!r} does not support fault injection")
            await kill(record.key)

    asyncio.run(run())
