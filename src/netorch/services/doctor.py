"""``netorch doctor``: compare every VIM's inventory with the store.

* **orphan** — the VIM holds a resource whose key netorch has no record of. The write-ahead
  journal makes this impossible for anything netorch created; finding one is a bug or a
  resource someone else made with netorch's tags.
* **missing** — the store says CREATED but the VIM no longer has it (heal replaces it).
* **in doubt** — a PENDING_* / FAILED record: an interrupted or failed operation still owns it
  (``netorch resume`` / ``rollback`` settles it).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from netorch.drivers.network.driver import NETWORK_DRIVER_NAME
from netorch.model.resources import RecordState, ResourceKind, ResourceRecord, ResourceState
from netorch.services.context import LOGICAL_VIM, Context


@dataclass(slots=True)
class VimReport:
    vim: str
    inventory: int = 0
    orphans: list[ResourceState] = field(default_factory=list)
    missing: list[ResourceRecord] = field(default_factory=list)
    in_doubt: list[ResourceRecord] = field(default_factory=list)
    error: str | None = None


@dataclass(slots=True)
class DoctorReport:
    vims: list[VimReport] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(not (v.orphans or v.missing or v.error) for v in self.vims)

    @property
    def orphans(self) -> list[ResourceState]:
        return [o for v in self.vims for o in v.orphans]


async def _check_vim(ctx: Context, vim: str, records: list[ResourceRecord]) -> VimReport:
    report = VimReport(vim=vim)
    try:
        if vim == NETWORK_DRIVER_NAME:
            # Devices are adopted, not owned; the device configurations are in the ledger.
            records = [r for r in records if r.kind is ResourceKind.NETCONFIG]
            network = ctx.network_driver()
            try:
                inventory = await network.list()
            finally:
                await network.close()
        else:
            async with ctx.vim(vim) as driver:
                inventory = await driver.list()
    except Exception as exc:
        report.error = f"{type(exc).__name__}: {exc}"
        return report
    report.inventory = len(inventory)
    known = {r.key for r in records}
    present = {s.key for s in inventory}
    report.orphans = [s for s in inventory if s.key not in known]
    report.missing = [r for r in records
                      if r.state is RecordState.CREATED and r.key not in present]
    report.in_doubt = [r for r in records if r.state is not RecordState.CREATED]
    return report


def doctor(ctx: Context) -> DoctorReport:
    records = [r for r in ctx.store.all_resources() if r.vim != LOGICAL_VIM]
    vims = set(ctx.vims.vims) | {r.vim for r in records}
    if (ctx.settings.home.expanduser() / "network-ledger.db").exists():
        vims.add(NETWORK_DRIVER_NAME)

    async def run() -> list[VimReport]:
        return list(await asyncio.gather(*(
            _check_vim(ctx, v, [r for r in records if r.vim == v]) for v in sorted(vims))))

    return DoctorReport(vims=asyncio.run(run()))
