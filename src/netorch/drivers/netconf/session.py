"""One NETCONF session to one device, for one transaction (RFC 6241).

Implements :class:`netorch.drivers.network.base.DeviceSession`:

========== =================================================================================
prepare    ``:candidate`` (§8.3): ``<lock>`` candidate (§7.5), ``<discard-changes>`` (start
           from running), ``<edit-config>`` candidate (§7.2).
           Without it (``:writable-running``, §8.2): ``<lock>`` running, save the pre-image
           of netorch's entries with ``<get-config>``, ``<edit-config>`` running.
commit     ``<commit>`` (§8.3.4.1), confirmed with ``<confirm-timeout>`` when asked and
           ``:confirmed-commit:1.1`` is announced (§8.4.5.1) (otherwise the pre-image of
           netorch's entries is saved first, to restore on abort); then read back with
           ``<get-config>`` and verify. Until confirm or abort, :meth:`read` answers from
           that read-back (the session holds the lock; nothing of netorch's changed since).
confirm    the confirming ``<commit/>`` (§8.4), then ``<unlock>``.
abort      ``<cancel-commit>`` (§8.4.5.2) or the pre-image restored, ``<discard-changes>``,
           ``<unlock>``; never raises.
========== =================================================================================

``<validate>`` is never sent before ``<commit>``: yuma123 2.13 answers ``<ok/>`` to the
commit but drops the pending changes (lab RECIPES gotcha 4); ``<edit-config>`` and
``<commit>`` validate anyway.

ncclient is synchronous: every call runs in a worker thread of the NETCONF pool
(:mod:`.threads`, sized for device fan-out), one at a time per session, and so does building
the payload through pyangbind, so the event loop is never blocked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from netorch.drivers.netconf.errors import translate
from netorch.drivers.netconf.payload import (
    build_edit,
    build_filter,
    build_keys_filter,
    build_restore,
    normalise,
    parse_running,
    present_keys,
    removals,
    without,
)
from netorch.drivers.netconf.threads import in_thread
from netorch.model.errors import PermanentError
from netorch.model.network import DeviceEndpoint, DeviceIntent, diff_intent, merge_names

log = logging.getLogger(__name__)

T = TypeVar("T")

CANDIDATE = "urn:ietf:params:netconf:capability:candidate:1.0"
CONFIRMED_COMMIT_11 = "urn:ietf:params:netconf:capability:confirmed-commit:1.1"
VALIDATE = "urn:ietf:params:netconf:capability:validate:1.1"
VALIDATE_10 = "urn:ietf:params:netconf:capability:validate:1.0"
XPATH = "urn:ietf:params:netconf:capability:xpath:1.0"
WRITABLE_RUNNING = "urn:ietf:params:netconf:capability:writable-running:1.0"
ROLLBACK_ON_ERROR = "urn:ietf:params:netconf:capability:rollback-on-error:1.0"


def _base(uri: str) -> str:
    return uri.split("?", 1)[0]


class NetconfSession:
    """A :class:`~netorch.drivers.network.base.DeviceSession` over an ncclient manager."""

    def __init__(self, device: DeviceEndpoint, manager: Any) -> None:
        self.device = device
        self._m = manager
        self._caps = frozenset(str(c) for c in manager.server_capabilities)
        self._plain = frozenset(_base(c) for c in self._caps)
        self._io = asyncio.Lock()
        self._locked: str | None = None
        self._intended: DeviceIntent | None = None
        self._names: DeviceIntent | None = None
        self._pre_image: str | None = None
        self._read_back: tuple[DeviceIntent, str] | None = None
        """(names read, reply) of the verification after commit; cleared by confirm/abort."""
        self._state = "open"
        """open → prepared → committed → (confirmed: back to open) ; abort → open."""
        self._confirmed = False
        self.release: Callable[[NetconfSession], bool] | None = None
        """Set by a pooling connector: takes the session back instead of closing it."""

    @property
    def reusable(self) -> bool:
        """Clean and connected: no lock held, nothing staged or awaiting confirmation."""
        return (self._state == "open" and self._locked is None and not self._confirmed
                and bool(getattr(self._m, "connected", False)))

    def reset_for(self, device: DeviceEndpoint) -> None:
        """Prepare a pooled session for its next transaction (a new event loop may run it)."""
        self.device = device
        self._io = asyncio.Lock()
        self._intended = self._names = None
        self._pre_image = None
        self._read_back = None

    # -- what the device can do --------------------------------------------------------------
    @property
    def capabilities(self) -> frozenset[str]:
        return self._caps

    @property
    def has_candidate(self) -> bool:
        return CANDIDATE in self._plain

    @property
    def has_confirmed_commit(self) -> bool:
        return CONFIRMED_COMMIT_11 in self._plain

    @property
    def has_validate(self) -> bool:
        return VALIDATE in self._plain or VALIDATE_10 in self._plain

    @property
    def has_xpath(self) -> bool:
        return XPATH in self._plain

    @property
    def session_id(self) -> str:
        return str(self._m.session_id)

    # -- plumbing ----------------------------------------------------------------------------
    async def _call(self, stage: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        async with self._io:
            try:
                return await in_thread(fn, *args, **kwargs)
            except Exception as exc:
                raise translate(self.device.name, stage, exc) from exc

    def _datastore(self) -> str:
        return "candidate" if self.has_candidate else "running"

    async def _get_config(self, stage: str, names_of: DeviceIntent) -> str:
        reply = await self._call(stage, self._m.get_config, source="running",
                                 filter=build_filter(names_of))
        return str(reply.data_xml)

    async def _edit(self, stage: str, target: str, config: str) -> None:
        kwargs: dict[str, Any] = {}
        if target == "running" and ROLLBACK_ON_ERROR in self._plain:
            kwargs["error_option"] = "rollback-on-error"
        await self._call(stage, self._m.edit_config, target=target, config=config, **kwargs)

    # -- DeviceSession -----------------------------------------------------------------------
    async def prepare(self, intended: DeviceIntent, previous: DeviceIntent | None) -> None:
        if self._state != "open":
            raise PermanentError(f"{self.device.name}: prepare called twice without "
                                 "confirm or abort")
        try:
            # pyangbind is slow (~0.1 s per ietf-interfaces entry): off the event loop.
            payload = await in_thread(build_edit, intended, previous)
        except ValueError as exc:
            raise translate(self.device.name, "edit", exc) from exc
        names = merge_names(intended, previous)
        removed = {ns: keys for ns, keys in removals(intended, previous).items() if keys}
        target = self._datastore()
        if not self.has_candidate and WRITABLE_RUNNING not in self._plain:
            raise PermanentError(f"{self.device.name}: edit failed: the device announces "
                                 "neither :candidate nor :writable-running")
        await self._call("lock", self._m.lock, target=target)
        self._locked = target
        self._intended, self._names = intended, names
        self._state = "prepared"
        if target == "candidate":
            await self._call("lock", self._m.discard_changes)
        else:
            self._pre_image = await self._get_config("lock", names)
        if names.is_empty():
            return  # nothing netorch has or wants here: lock only
        if removed and previous is not None:
            # Under the lock, look at what is there before removing anything:
            # * only entries that exist are removed (yuma123 2.13 answers a `remove` of a
            #   missing ietf-interfaces entry with data-missing for its mandatory `type`,
            #   although RFC 6241 §7.2 makes such a remove a no-op), so a cleanup after a
            #   crash, whose entries may never have reached the device, still goes through;
            # * if netorch's entries are all a container holds, the container goes too, so
            #   the device is left exactly as netorch found it.
            source = target if target == "candidate" else "running"
            reply = await self._call("edit", self._m.get_config, source=source,
                                     filter=build_keys_filter(removed))
            existing = {ns: present_keys(str(reply.data_xml), ns) for ns in removed}
            drop = [ns for ns, keys in removed.items()
                    if existing[ns][0] and existing[ns][1] <= keys]
            gone = {ns: keys - existing[ns][1] for ns, keys in removed.items()}
            if drop or any(gone.values()):
                previous = without(previous, gone)
                payload = await in_thread(build_edit, intended, previous, drop)
        await self._edit("edit", target, payload)
        log.debug("%s: staged %d bytes on %s", self.device.name, len(payload), target)

    async def commit(self, confirm_timeout_s: int | None) -> None:
        if self._state != "prepared" or self._intended is None or self._names is None:
            raise PermanentError(f"{self.device.name}: commit without prepare")
        if self.has_candidate:
            if confirm_timeout_s is not None and self.has_confirmed_commit:
                # abort is <cancel-commit> (§8.4.5.2): the device keeps the pre-image itself
                await self._call("commit", self._m.commit, confirmed=True,
                                 timeout=str(int(confirm_timeout_s)))
                self._confirmed = True
            else:
                self._pre_image = await self._get_config("commit", self._names)
                await self._call("commit", self._m.commit)
        self._state = "committed"
        await self._verify(self._intended, self._names)

    async def _verify(self, intended: DeviceIntent, names: DeviceIntent) -> None:
        xml = await self._get_config("verify", names)
        self._read_back = (names, xml)
        running = parse_running(xml, names)
        problems = [f"{d.path}: intended {d.intended!r}, running {d.running!r}"
                    for d in diff_intent(normalise(intended), running)]
        wanted = ({i.name for i in intended.interfaces}, {v.name for v in intended.vrfs},
                  {c.name for c in intended.chains})
        problems += [f"/interfaces/interface[name={i.name}] still present"
                     for i in running.interfaces if i.name not in wanted[0]]
        problems += [f"/vrfs/vrf[name={v.name}] still present"
                     for v in running.vrfs if v.name not in wanted[1]]
        problems += [f"/chains/chain[name={c.name}] still present"
                     for c in running.chains if c.name not in wanted[2]]
        if problems:
            raise PermanentError(f"{self.device.name}: verify failed: running differs "
                                 f"after commit: {'; '.join(problems)}")

    async def confirm(self) -> None:
        if self._state not in ("committed", "open"):
            raise PermanentError(f"{self.device.name}: confirm without commit")
        self._read_back = None
        if self._confirmed:
            await self._call("confirm", self._m.commit)
            self._confirmed = False
        await self._unlock("confirm")
        self._state = "open"

    async def _unlock(self, stage: str) -> None:
        if self._locked is not None:
            target, self._locked = self._locked, None
            await self._call(stage, self._m.unlock, target=target)

    async def abort(self) -> None:
        try:
            await self._abort()
        except Exception:
            log.exception("%s: abort could not undo the change (read shows what is running)",
                          self.device.name)
        finally:
            self._state = "open"
            self._confirmed = False
            self._read_back = None

    async def _abort(self) -> None:
        state, names = self._state, self._names
        if state == "open" or names is None:
            await self._unlock("abort")
            return
        if self.has_candidate:
            if state == "committed" and self._confirmed:
                await self._call("abort", self._m.cancel_commit)
                self._confirmed = False
            elif state == "committed" and self._pre_image is not None:
                await self._call("abort", self._m.discard_changes)
                await self._edit("abort", "candidate", build_restore(self._pre_image, names))
                await self._call("abort", self._m.commit)
            await self._call("abort", self._m.discard_changes)
        elif self._pre_image is not None:
            await self._edit("abort", "running", build_restore(self._pre_image, names))
        await self._unlock("abort")

    async def read(self, names_of: DeviceIntent) -> DeviceIntent:
        if names_of.is_empty():
            return DeviceIntent(device=names_of.device, tag=names_of.tag)
        if (self._state == "committed" and self._read_back is not None
                and _covers(self._read_back[0], names_of)):
            return parse_running(self._read_back[1], names_of)
        xml = await self._get_config("verify", names_of)
        return parse_running(xml, names_of)

    async def close(self) -> None:
        """Close the session (RFC 6241 §7.8). The device releases our locks and rolls back
        an unconfirmed confirmed commit when the session ends (§7.5, §8.4.1). A clean session
        of a pooling connector goes back to its pool instead."""
        if self.release is not None and self.reusable and self.release(self):
            return
        await self.shutdown()

    async def shutdown(self) -> None:
        """Really close the session."""
        try:
            await self._call("close", self._m.close_session)
        except Exception as exc:
            log.debug("%s: close-session failed: %s", self.device.name, exc)


def _covers(read: DeviceIntent, names_of: DeviceIntent) -> bool:
    """Every entry ``names_of`` names was selected when ``read`` was read."""
    return ({i.name for i in names_of.interfaces} <= {i.name for i in read.interfaces}
            and {v.name for v in names_of.vrfs} <= {v.name for v in read.vrfs}
            and {c.name for c in names_of.chains} <= {c.name for c in read.chains})
