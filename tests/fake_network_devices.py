"""An in-process fake device for fast unit tests of the transaction logic (the real devices
are exercised by tests/integration against the lab's netconfd and sshd)."""

from __future__ import annotations

from dataclasses import dataclass, field

from netorch.model.errors import PermanentError, TemporaryError
from netorch.model.network import DeviceEndpoint, DeviceIntent, merge_names


def _drop(intent: DeviceIntent, names_of: DeviceIntent | None) -> DeviceIntent:
    if names_of is None:
        return intent
    ifs = {i.name for i in names_of.interfaces}
    vrfs = {v.name for v in names_of.vrfs}
    chains = {c.name for c in names_of.chains}
    return DeviceIntent(device=intent.device, tag=intent.tag,
                        interfaces=tuple(i for i in intent.interfaces if i.name not in ifs),
                        vrfs=tuple(v for v in intent.vrfs if v.name not in vrfs),
                        chains=tuple(c for c in intent.chains if c.name not in chains))


@dataclass
class FakeDevice:
    endpoint: DeviceEndpoint
    running: DeviceIntent
    fail_at: str | None = None
    temporary: bool = False
    locked: bool = False
    calls: list[str] = field(default_factory=list)


class FakeSession:
    def __init__(self, dev: FakeDevice) -> None:
        self.dev = dev
        self.device = dev.endpoint
        self.saved: DeviceIntent | None = None
        self.staged: DeviceIntent | None = None

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset({"fake:candidate"})

    def _maybe_fail(self, stage: str) -> None:
        self.dev.calls.append(stage)
        if self.dev.fail_at == stage:
            err = TemporaryError if self.dev.temporary else PermanentError
            raise err(f"<rpc-error> {stage} refused by {self.device.name}")

    async def prepare(self, intended: DeviceIntent, previous: DeviceIntent | None) -> None:
        self._maybe_fail("prepare")
        self.dev.locked = True
        self.saved = self.dev.running
        base = _drop(_drop(self.dev.running, previous), intended)
        self.staged = merge_names(intended, base)

    async def commit(self, confirm_timeout_s: int | None) -> None:
        self._maybe_fail("commit")
        assert self.staged is not None
        self.dev.running = self.staged

    async def confirm(self) -> None:
        self._maybe_fail("confirm")
        self.dev.locked = False

    async def abort(self) -> None:
        self.dev.calls.append("abort")
        if self.saved is not None:
            self.dev.running = self.saved
        self.dev.locked = False

    async def read(self, names_of: DeviceIntent) -> DeviceIntent:
        ifs = {i.name for i in names_of.interfaces}
        vrfs = {v.name for v in names_of.vrfs}
        chains = {c.name for c in names_of.chains}
        r = self.dev.running
        return DeviceIntent(device=r.device, tag=r.tag,
                            interfaces=tuple(i for i in r.interfaces if i.name in ifs),
                            vrfs=tuple(v for v in r.vrfs if v.name in vrfs),
                            chains=tuple(c for c in r.chains if c.name in chains))

    async def close(self) -> None:
        self.dev.calls.append("close")


class FakeConnector:
    def __init__(self, devices: dict[str, FakeDevice], unreachable: set[str] | None = None):
        self.devices = devices
        self.unreachable = unreachable or set()

    async def open(self, device: DeviceEndpoint) -> FakeSession:
        if device.name in self.unreachable:
            raise TemporaryError(f"{device.name}: connection refused")
        return FakeSession(self.devices[device.name])
