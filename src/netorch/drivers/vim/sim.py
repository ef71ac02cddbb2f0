"""``sim``: a simulated cloud that stands in for a real VIM (compute, networks, ports, volumes).

It behaves like a remote VIM as far as the engine can tell: every call takes ``latency_ms`` ±
``jitter_ms`` (an ``asyncio.sleep``, never blocking the loop), quotas are enforced, and faults
can be injected:

* ``failure_rate`` — that fraction of create / delete calls raise :class:`InjectedFaultError` (a
  TemporaryError), either *before* doing anything or *after* the change was committed (the VIM
  made it, the API call still failed; idempotent create-by-key must cope). ``failure_seed``
  makes the sequence reproducible, ``failure_after_ratio`` sets the before / after split;
* ``fail_permanently`` — creates of matching nodes raise PermanentError and create nothing;
* ``dies`` — matching resources read ERROR once ``after_s`` has passed since their creation;
* :meth:`SimVim.kill` — mark a resource ERROR now (a dead VNFC, for demos and tests).

Servers land on ``hosts`` simulated hypervisors in ``zones`` availability zones, honouring the
request's affinity / anti-affinity rules (:mod:`netorch.drivers.vim.sim_placement`); a server's
``host`` and ``zone`` are among its attributes.

Patterns are matched against the node id and the resource name with :mod:`fnmatch`; because
scaled instances are named like ``web[2]``, a pattern also matches when its brackets are read
literally (``upf[0]`` matches the node ``upf[0]`` as well as ``upf0``).

What the sim holds lives in its own SQLite file (:mod:`netorch.drivers.vim.sim_inventory`), so
crashes leave real orphans and several processes can share one cloud. Implements the protocol of
:mod:`netorch.drivers.vim.base`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import logging
import os
import queue
import random
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

from netorch.drivers.vim.sim_inventory import NewResource, SimInventory
from netorch.drivers.vim.sim_settings import SimSettings, load_sim_settings
from netorch.drivers.vim.sim_sizing import pick_flavor, volume_size_gib
from netorch.model.errors import PermanentError, TemporaryError
from netorch.model.resources import (
    VIM_KINDS,
    CreateRequest,
    ResourceKind,
    ResourceRef,
    ResourceState,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

Phase = Literal["before", "after"]


class InjectedFaultError(TemporaryError):
    """A failure the sim injected on purpose; ``phase`` says whether the change was committed."""

    def __init__(self, message: str, *, phase: Phase) -> None:
        super().__init__(message, delay=0.0)
        self.phase: Phase = phase


def pattern_matches(pattern: str, *values: str) -> bool:
    """True if ``pattern`` matches one of ``values``, as fnmatch or with literal brackets."""
    literal = "".join("[[]" if c == "[" else "[]]" if c == "]" else c for c in pattern)
    return any(
        fnmatch.fnmatchcase(value, pattern) or fnmatch.fnmatchcase(value, literal)
        for value in values
    )


_Job = tuple[Callable[..., Any], tuple[Any, ...], asyncio.AbstractEventLoop, "asyncio.Future[Any]"]

_MAX_BATCH = 256


def _settle(fut: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is None:
        fut.set_result(result)
    else:
        fut.set_exception(exc)


class _InventoryWorker:
    """The sim's own thread: it drains every queued request, runs them in one inventory
    transaction (a savepoint each), commits once, then answers them all."""

    def __init__(self, inventory: SimInventory, name: str) -> None:
        self._inventory = inventory
        self._name = name
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._main, name=self._name, daemon=True)
                self._thread.start()
        self._queue.put((fn, args, loop, fut))
        return fut

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _main(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < _MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            outcomes: list[tuple[Any, BaseException | None]] = []
            try:
                with self._inventory.batch():
                    for fn, args, _, _ in batch:
                        try:
                            outcomes.append((fn(*args), None))
                        except BaseException as exc:  # answered to its own caller
                            outcomes.append((None, exc))
            except BaseException as exc:  # the commit itself failed: nothing is durable
                log.warning("sim inventory batch failed: %s", exc)
                failure = exc if isinstance(exc, (TemporaryError, PermanentError)) else (
                    TemporaryError(f"sim inventory: {exc}"))
                outcomes = [(None, failure)] * len(batch)
            for (_, _, loop, fut), (result, error) in zip(batch, outcomes, strict=True):
                # RuntimeError: the caller's loop is closed, nobody is waiting any more
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_settle, fut, result, error)


class SimVim:
    """The simulated VIM named ``name``; ``config`` is its entry of the VIM config file."""

    def __init__(
        self,
        name: str,
        config: Mapping[str, Any],
        base_dir: Path,
        *,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.kinds: frozenset[ResourceKind] = VIM_KINDS
        self.settings: SimSettings = load_sim_settings(
            name, config, os.environ if env is None else env
        )
        path = Path(self.settings.inventory).expanduser()
        self.inventory_path = path if path.is_absolute() else Path(base_dir) / path
        self._inventory = SimInventory(
            self.inventory_path, busy_timeout_ms=self.settings.busy_timeout_ms
        )
        # One thread, group commit: inventory transactions never contend with each other for
        # the file lock, and concurrent requests share one commit.
        self._worker = _InventoryWorker(self._inventory, f"sim-{name}")
        seed = self.settings.failure_seed
        self._fault_rng = random.Random(seed)
        self._jitter_rng = random.Random(None if seed is None else seed ^ 0x5EED)

    def __repr__(self) -> str:
        return f"SimVim(name={self.name!r}, inventory={str(self.inventory_path)!r})"

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run inventory work on the sim's own thread: like a real VIM, its bookkeeping does not
        stall the caller's event loop (SQLite releases the GIL while it works)."""
        return await self._worker.submit(fn, *args)

    # -- simulation helpers -----------------------------------------------------------------

    async def _latency(self) -> None:
        s = self.settings
        delay_ms = s.latency_ms
        if s.jitter_ms:
            delay_ms += self._jitter_rng.uniform(-s.jitter_ms, s.jitter_ms)
        await asyncio.sleep(max(0.0, delay_ms) / 1000)

    def _roll_fault(self) -> Phase | None:
        s = self.settings
        if s.failure_rate <= 0 or self._fault_rng.random() >= s.failure_rate:
            return None
        return "after" if self._fault_rng.random() < s.failure_after_ratio else "before"

    def _fail(self, phase: Phase, op: str, key: str) -> InjectedFaultError:
        what = "after the change was committed" if phase == "after" else "before doing anything"
        log.info("sim VIM %s: injected %s failure of %s %s", self.name, phase, op, key)
        return InjectedFaultError(
            f"sim VIM {self.name!r}: injected temporary failure of {op} {key} ({what})",
            phase=phase,
        )

    def _plan(self, req: CreateRequest) -> NewResource:
        for pattern in self.settings.fail_permanently:
            if pattern_matches(pattern, req.node_id, req.name):
                raise PermanentError(
                    f"sim VIM {self.name!r}: injected permanent failure creating {req.name} "
                    f"(matches fail_permanently {pattern!r})"
                )
        dies_after = next(
            (
                rule.after_s
                for rule in self.settings.dies
                if pattern_matches(rule.match, req.node_id, req.name)
            ),
            None,
        )
        quotas = self.settings.quotas
        if req.kind == ResourceKind.COMPUTE:
            flavor_name, flavor = pick_flavor(req, self.settings.flavors)
            return NewResource(
                req=req,
                flavor=flavor_name,
                vcpus=flavor.vcpus,
                ram_mb=flavor.ram_mb,
                disk_gb=flavor.disk_gb,
                dies_after_s=dies_after,
                quotas=quotas,
                hosts=self.settings.hosts,
                zones=self.settings.zones,
            )
        if req.kind == ResourceKind.VOLUME:
            return NewResource(
                req=req, volume_gb=volume_size_gib(req), dies_after_s=dies_after, quotas=quotas
            )
        return NewResource(req=req, dies_after_s=dies_after, quotas=quotas)

    # -- VimDriver ----------------------------------------------------------------------------

    async def _with_latency(self, fn: Callable[..., T], *args: Any) -> T:
        """Do the inventory work while the simulated latency elapses, as a real VIM processes a
        request during the time its API call takes: the call lasts max(latency, work)."""
        work = asyncio.ensure_future(self._run(fn, *args))
        try:
            await self._latency()
        except BaseException:
            # Cancelled mid-call: the work still lands in the inventory (a real VIM would not
            # undo it either); wait for it so no thread outlives the call unseen.
            await asyncio.shield(work)
            raise
        return await work

    async def create(self, req: CreateRequest) -> ResourceState:
        """Create ``req`` or, if its key exists, return the existing resource (idempotent)."""
        if req.kind not in self.kinds:
            await self._latency()
            raise PermanentError(
                f"sim VIM {self.name!r} cannot create {req.kind} resources ({req.node_id})"
            )
        fault = self._roll_fault()
        if fault == "before":
            await self._latency()
            raise self._fail(fault, "create", req.key)
        state, created = await self._with_latency(self._inventory.create, req.key,
                                                  lambda: self._plan(req))
        if created:
            log.debug("sim VIM %s: created %s %s (%s)", self.name, req.kind, req.key, state.vim_id)
        if fault == "after":
            raise self._fail(fault, "create", req.key)
        return state

    async def read(self, ref: ResourceRef) -> ResourceState | None:
        return await self._with_latency(self._inventory.get, ref)

    async def delete(self, ref: ResourceRef) -> None:
        """Delete the resource; deleting something already gone succeeds."""
        fault = self._roll_fault()
        if fault == "before":
            await self._latency()
            raise self._fail(fault, "delete", ref.key)
        removed = await self._with_latency(self._inventory.delete, ref)
        log.debug("sim VIM %s: delete %s (%s)", self.name, ref.key, "done" if removed else "absent")
        if fault == "after":
            raise self._fail(fault, "delete", ref.key)

    async def list(self) -> list[ResourceState]:
        return await self._with_latency(self._inventory.all)

    async def close(self) -> None:
        self._worker.close()
        self._inventory.close()

    # -- simulation controls ------------------------------------------------------------------

    async def kill(self, key_or_name: str) -> None:
        """Mark the resource(s) with this key, vim id or name ERROR now (NotFoundError if none)."""
        keys = self._inventory.mark_error(key_or_name, "killed: simulated failure")
        log.info("sim VIM %s: killed %s", self.name, ", ".join(keys))

    def usage(self) -> dict[str, int]:
        """What the inventory uses, per quota metric."""
        return self._inventory.usage()
