"""Crash recovery and observation: make the store's records agree with what the VIM holds.

After a ``kill -9`` the journal may hold resources in PENDING_CREATE (the VIM may or may not have
made them) or PENDING_DELETE (the VIM may or may not have removed them). Before anything is
planned again, each such record is settled by reading the VIM by key — the same recovery that
Tacker applies on restart (SPEC-NOTES §2), done per resource rather than per operation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace

from netorch.engine.drivers import DriverSet
from netorch.engine.journal import Journal
from netorch.model.resources import RecordState, ResourceRecord, ResourceState, ResourceStatus

log = logging.getLogger(__name__)

_IN_DOUBT = (RecordState.PENDING_CREATE, RecordState.PENDING_DELETE, RecordState.FAILED)


@dataclass(frozen=True, slots=True)
class Settled:
    node_id: str
    key: str
    before: RecordState
    outcome: str
    """``adopted`` (it exists: recorded as CREATED), ``dropped`` (it does not exist: record
    removed), ``kept`` (could not tell, or still failed: left for the planner to replace)."""


async def _read(drivers: DriverSet, rec: ResourceRecord) -> tuple[bool, ResourceState | None]:
    try:
        return True, await drivers.for_kind(rec.kind).read(rec.ref)
    except Exception as exc:  # unknown: leave the record in doubt, the planner replaces it
        log.warning("cannot read %s (%s) to settle its record: %s", rec.node_id, rec.key, exc)
        return False, None


async def settle_records(
    records: Iterable[ResourceRecord], drivers: DriverSet, journal: Journal
) -> list[Settled]:
    """Settle every in-doubt record; returns what was done to each."""
    doubtful = [r for r in records if r.state in _IN_DOUBT]
    if not doubtful:
        return []
    reads = await asyncio.gather(*(_read(drivers, r) for r in doubtful))
    out: list[Settled] = []
    for rec, (known, state) in zip(doubtful, reads, strict=True):
        if not known:
            out.append(Settled(rec.node_id, rec.key, rec.state, "kept"))
        elif state is None:
            await journal.resource_changed(remove_key=rec.key)
            out.append(Settled(rec.node_id, rec.key, rec.state, "dropped"))
        elif rec.state is RecordState.FAILED:
            out.append(Settled(rec.node_id, rec.key, rec.state, "kept"))
        else:
            # PENDING_CREATE that exists: adopt it. PENDING_DELETE that still exists: it may be
            # half-deleted, so it is adopted as unhealthy and the planner replaces or deletes it.
            healthy = rec.state is RecordState.PENDING_CREATE and (
                state.status is not ResourceStatus.ERROR)
            await journal.resource_changed(replace(
                rec, state=RecordState.CREATED, vim_id=state.vim_id,
                attributes=dict(state.attributes), healthy=healthy))
            out.append(Settled(rec.node_id, rec.key, rec.state, "adopted"))
    return out


async def observe_health(
    records: Iterable[ResourceRecord], drivers: DriverSet
) -> dict[str, str | None]:
    """Read every created resource; returns node id -> problem (None when healthy).

    A resource is unhealthy when the VIM reports it in ERROR or no longer has it.
    """
    created = [r for r in records if r.state is RecordState.CREATED]
    reads = await asyncio.gather(*(_read(drivers, r) for r in created))
    out: dict[str, str | None] = {}
    for rec, (known, state) in zip(created, reads, strict=True):
        if not known:
            continue
        if state is None:
            out[rec.node_id] = "gone from the VIM"
        elif state.status is ResourceStatus.ERROR:
            out[rec.node_id] = state.error or "reported ERROR by the VIM"
        else:
            out[rec.node_id] = None
    return out


async def refresh_attributes(
    records: Iterable[ResourceRecord], drivers: DriverSet, journal: Journal
) -> int:
    """Re-read created resources and record attributes that changed since their creation (a
    server's ``private_address`` once its ports are attached, for instance). Returns how many
    records changed."""
    created = [r for r in records if r.state is RecordState.CREATED]
    reads = await asyncio.gather(*(_read(drivers, r) for r in created))
    changed = 0
    for rec, (known, state) in zip(created, reads, strict=True):
        if known and state is not None and dict(state.attributes) != dict(rec.attributes):
            await journal.resource_changed(replace(rec, attributes=dict(state.attributes)))
            changed += 1
    return changed
