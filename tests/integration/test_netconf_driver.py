"""The NETCONF driver against the session lab's yuma123 netconfd devices (``netorch lab up``,
see ``lab_fixture``): ``pe1`` (``--target=candidate``) and ``pe3`` (``--target=running``,
no :candidate).

The lab is shared by every integration test: this module names its entries ``ncdrv-…`` and
uses VLANs 3100-3199, and removes them after each test (``_clean``).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lab_fixture import lab_device, lab_session_fixture  # noqa: F401
from lxml import etree

from netorch.drivers.netconf.connector import NetconfConnector
from netorch.drivers.netconf.hostkeys import KnownHosts
from netorch.drivers.netconf.payload import normalise
from netorch.drivers.netconf.session import NetconfSession
from netorch.drivers.netconf.transport import connect
from netorch.drivers.network.secrets import resolve_credentials
from netorch.lab.inventory import Inventory
from netorch.model.errors import PermanentError, TemporaryError
from netorch.model.network import (
    Chain,
    ChainHop,
    DeviceDriverKind,
    DeviceEndpoint,
    DeviceIntent,
    SubInterface,
    Vrf,
)

L3VPN = "urn:netorch:yang:l3vpn"
IFS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
CHAINS = "urn:netorch:yang:service-chain"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
EVERYTHING = (f'<filter type="subtree"><interfaces xmlns="{IFS}"/><vrfs xmlns="{L3VPN}"/>'
              f'<chains xmlns="{CHAINS}"/></filter>')
PREFIX = "ncdrv-"
OURS_IF = re.compile(r"^eth[01]\.31\d\d$")
"""Sub-interfaces of this module: VLANs 3100-3199 (the stitching tests use 201-299)."""

CANDIDATE, RUNNING_ONLY = "pe1", "pe3"


@pytest.fixture(scope="module")
def observers(lab: Inventory) -> Iterator[dict[str, Any]]:
    """One long-lived ncclient session per device, reading and writing beside the driver."""
    with contextlib.ExitStack() as stack:
        yield {name: stack.enter_context(raw(lab, name))
               for name in (CANDIDATE, RUNNING_ONLY) if lab.has(name)}


@pytest.fixture
def pe1(lab: Inventory, observers: dict[str, Any]) -> Iterator[DeviceEndpoint]:
    """The candidate device, cleaned of this module's entries after the test."""
    device = lab_device(lab, CANDIDATE).endpoint
    try:
        yield device
    finally:
        _clean(observers[CANDIDATE])


@pytest.fixture
def pe3(lab: Inventory, observers: dict[str, Any]) -> Iterator[DeviceEndpoint]:
    """The running-only device, cleaned of this module's entries after the test."""
    device = lab_device(lab, RUNNING_ONLY).endpoint
    try:
        yield device
    finally:
        _clean(observers[RUNNING_ONLY])


def _clean(m: Any) -> None:
    """Remove every entry this module may have left (``ncdrv-…``, VLANs 31xx)."""
    root = etree.fromstring(str(m.get_config("running", filter=EVERYTHING).data_xml).encode())
    doomed: dict[tuple[str, str, str], list[str]] = {}
    for namespace, container, item in ((IFS, "interfaces", "interface"),
                                       (L3VPN, "vrfs", "vrf"), (CHAINS, "chains", "chain")):
        for entry in root.iter(f"{{{namespace}}}{item}"):
            name = entry.findtext(f"{{{namespace}}}name") or ""
            if name.startswith(PREFIX) or (namespace == IFS and OURS_IF.match(name)):
                doomed.setdefault((namespace, container, item), []).append(name)
    if not doomed:
        return
    config = "".join(
        f'<{container} xmlns="{ns}">'
        + "".join(f'<{item} xmlns:nc="{NC}" nc:operation="remove"><name>{n}</name></{item}>'
                  for n in names)
        + f"</{container}>"
        for (ns, container, item), names in doomed.items())
    edit(m, config)


def edit(m: Any, config: str) -> None:
    """Configuration written by someone else than netorch (candidate + commit, or running)."""
    target = "candidate" if ":candidate" in " ".join(m.server_capabilities) else "running"
    m.edit_config(target=target, config=f'<config xmlns="{NC}">{config}</config>')
    if target == "candidate":
        m.commit()


def connector(lab: Inventory, **kw: Any) -> NetconfConnector:
    kw.setdefault("known_hosts", lab.known_hosts)
    return NetconfConnector(secrets_file=lab.secrets_file, **kw)


def _endpoint(lab: Inventory, name: str) -> DeviceEndpoint:
    return lab.device(name).endpoint


@contextlib.contextmanager
def raw(lab: Inventory, name: str) -> Iterator[Any]:
    """An ncclient manager of its own, standing for another management client (with the
    driver's transport only so that it does not wait out ncclient's 0.1 s poll)."""
    device = _endpoint(lab, name)
    m = connect(device, resolve_credentials(device.credentials, lab.secrets_file),
                KnownHosts(lab.known_hosts), timeout_s=10)
    try:
        yield m
    finally:
        m.close_session()


def running_xml(observers: dict[str, Any], device: DeviceEndpoint) -> str:
    return str(observers[device.name].get_config("running", filter=EVERYTHING).data_xml)


def host_key_line(lab: Inventory, device: DeviceEndpoint) -> str:
    entry = f"[{device.host}]:{device.port} "
    return next(line + "\n" for line in lab.known_hosts.read_text().splitlines()
                if line.startswith(entry))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def intent(device: DeviceEndpoint, svc: str, *, vlan: int = 3100, hops: int = 2,
           extra_vrf: bool = False) -> DeviceIntent:
    svc = f"{PREFIX}{svc}"
    tag = f"netorch:{svc}"
    subs = (SubInterface("eth0", vlan, f"{tag} to ce1", "10.1.0.1/24"),
            SubInterface("eth1", vlan + 1, f"{tag} to ce2"))
    vrfs = [Vrf(f"{svc}-vl1", "65000:1", ("65000:1",), ("65000:1", "65000:2"),
                (subs[0].name,))]
    if extra_vrf:
        vrfs.append(Vrf(f"{svc}-vl2", "65000:2", ("65000:2",), ("65000:2",), (subs[1].name,)))
    chain = Chain(f"{svc}-chain",
                  tuple(ChainHop(i, f"vnf{i}", "eth0", "eth1", f"10.0.0.{i}")
                        for i in range(1, hops + 1)), "fw then nat")
    return DeviceIntent(device=device, interfaces=subs if extra_vrf else subs[:1],
                        vrfs=tuple(vrfs), chains=(chain,), tag=tag)


async def apply(session: NetconfSession, want: DeviceIntent, previous: DeviceIntent | None,
                confirm_timeout_s: int | None = 60) -> None:
    await session.prepare(want, previous)
    await session.commit(confirm_timeout_s)
    await session.confirm()


def test_capabilities_are_discovered(lab: Inventory, pe1: DeviceEndpoint) -> None:
    async def main() -> NetconfSession:
        s = await connector(lab).open(pe1)
        await s.close()
        return s

    s = asyncio.run(main())
    assert s.has_candidate and s.has_confirmed_commit and s.has_validate and s.has_xpath
    caps = " ".join(s.capabilities)
    for module in ("netorch-service-chain", "netorch-l3vpn", "ietf-interfaces"):
        assert f"module={module}" in caps


def test_prepare_commit_confirm_round_trip(lab: Inventory, pe1: DeviceEndpoint,
                                           observers: dict[str, Any]) -> None:
    want = intent(pe1, "rt", extra_vrf=True)

    async def main() -> DeviceIntent:
        conn = connector(lab)
        s = await conn.open(pe1)
        try:
            await apply(s, want, None)
        finally:
            await s.close()
        # a new session (the confirmed change survived the first one closing)
        s2 = await conn.open(pe1)
        try:
            return await s2.read(want)
        finally:
            await s2.close()

    assert asyncio.run(main()) == normalise(want)
    xml = running_xml(observers, pe1)
    assert "ncdrv-rt-vl1" in xml and "eth0.3100" in xml and "iana-if-type" in xml


def test_update_removes_exactly_the_stale_entries(lab: Inventory, pe1: DeviceEndpoint,
                                                  observers: dict[str, Any]) -> None:
    edit(observers[CANDIDATE],
         f'<vrfs xmlns="{L3VPN}"><vrf><name>ncdrv-foreign</name><rd>1:1</rd></vrf>'
         f'</vrfs><interfaces xmlns="{IFS}"><interface><name>eth1.3199</name>'
         '<type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">'
         'ianaift:l2vlan</type></interface></interfaces>')
    before = intent(pe1, "up", vlan=3110, hops=3, extra_vrf=True)
    after = intent(pe1, "up", vlan=3110, hops=2)

    async def main() -> DeviceIntent:
        s = await connector(lab).open(pe1)
        try:
            await apply(s, before, None)
            await apply(s, after, before)
            return await s.read(before)
        finally:
            await s.close()

    assert asyncio.run(main()) == normalise(after)
    xml = running_xml(observers, pe1)
    assert "ncdrv-up-vl2" not in xml and "eth1.3111" not in xml and "vnf3" not in xml
    assert "ncdrv-foreign" in xml and "eth1.3199" in xml


def test_abort_after_prepare_leaves_running_and_releases_the_lock(
        lab: Inventory, pe1: DeviceEndpoint, observers: dict[str, Any]) -> None:
    before = running_xml(observers, pe1)

    async def main() -> None:
        s = await connector(lab).open(pe1)
        try:
            await s.prepare(intent(pe1, "ab1", vlan=3120), None)
            await s.abort()
        finally:
            await s.close()

    asyncio.run(main())
    assert running_xml(observers, pe1) == before
    m = observers[CANDIDATE]
    m.lock("candidate")  # nobody holds it any more, and the candidate is clean
    try:
        assert "ncdrv-ab1" not in str(m.get_config("candidate", filter=EVERYTHING).data_xml)
    finally:
        m.unlock("candidate")


@pytest.mark.parametrize("confirm_timeout_s", [60, None], ids=["confirmed", "unconfirmed"])
def test_abort_after_commit_restores_running(lab: Inventory, pe1: DeviceEndpoint,
                                             observers: dict[str, Any],
                                             confirm_timeout_s: int | None) -> None:
    existing = intent(pe1, "ab2", vlan=3130)

    async def setup() -> None:
        s = await connector(lab).open(pe1)
        try:
            await apply(s, existing, None)
        finally:
            await s.close()

    asyncio.run(setup())
    before = running_xml(observers, pe1)
    changed = intent(pe1, "ab2", vlan=3130, hops=1, extra_vrf=True)

    async def main() -> None:
        s = await connector(lab).open(pe1)
        try:
            await s.prepare(changed, existing)
            await s.commit(confirm_timeout_s)
            assert "ncdrv-ab2-vl2" in running_xml(observers, pe1)
            await s.abort()
        finally:
            await s.close()

    asyncio.run(main())
    assert running_xml(observers, pe1) == before


def test_device_validation_error_is_permanent_with_the_device_text(
        lab: Inventory, pe1: DeviceEndpoint, observers: dict[str, Any]) -> None:
    # pyangbind checks types; the must-constraint (one VRF per sub-interface) is the device's.
    edit(observers[CANDIDATE],
         f'<vrfs xmlns="{L3VPN}"><vrf><name>ncdrv-other</name><attachment>'
         '<interface>eth0.3177</interface><vlan-id>3177</vlan-id></attachment>'
         '</vrf></vrfs>')
    before = running_xml(observers, pe1)
    want = intent(pe1, "bad", vlan=3177)

    async def main() -> None:
        s = await connector(lab).open(pe1)
        try:
            with pytest.raises(PermanentError) as info:
                await s.prepare(want, None)
                await s.commit(60)
            await s.abort()
        finally:
            await s.close()
        text = str(info.value)
        assert text.startswith("pe1: ")
        assert "a sub-interface is attached to at most one VRF" in text
        assert "attachment" in text  # the error-path

    asyncio.run(main())
    assert running_xml(observers, pe1) == before


def test_value_outside_the_yang_type_is_refused_before_sending(
        lab: Inventory, pe1: DeviceEndpoint) -> None:
    want = DeviceIntent(device=pe1, interfaces=(SubInterface("eth0", 5000),),
                        vrfs=(Vrf("ncdrv-range", interfaces=("eth0.5000",)),))

    async def main() -> None:
        s = await connector(lab).open(pe1)
        try:
            with pytest.raises(PermanentError, match=r"pe1: edit failed: .*vlan"):
                await s.prepare(want, None)
        finally:
            await s.close()

    asyncio.run(main())


def test_lock_held_by_another_session_is_temporary(lab: Inventory,
                                                    pe1: DeviceEndpoint) -> None:
    async def main() -> None:
        s = await connector(lab).open(pe1)
        try:
            with pytest.raises(TemporaryError, match="pe1: lock failed: lock-denied"):
                await s.prepare(intent(pe1, "lk", vlan=3140), None)
            await s.abort()
        finally:
            await s.close()

    with raw(lab, CANDIDATE) as other:
        other.lock("candidate")
        try:
            asyncio.run(main())
        finally:
            other.unlock("candidate")


def test_wrong_password_is_permanent(lab: Inventory, pe1: DeviceEndpoint,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETORCH_CRED_PE1_PASSWORD", "not-the-password")
    with pytest.raises(PermanentError, match="pe1: connect failed: authentication") as info:
        asyncio.run(connector(lab).open(pe1))
    assert "not-the-password" not in str(info.value)


def test_key_authentication(lab: Inventory, pe1: DeviceEndpoint) -> None:
    async def main() -> None:
        s = await connector(lab).open(DeviceEndpoint(
            name=pe1.name, driver=pe1.driver, platform=pe1.platform, host=pe1.host,
            port=pe1.port, credentials=f"{pe1.credentials}-key"))
        await s.close()

    asyncio.run(main())


def test_unknown_host_key_is_permanent(lab: Inventory, pe1: DeviceEndpoint,
                                       tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("")
    with pytest.raises(PermanentError, match="pe1: unknown host key ssh-ed25519 SHA256:"):
        asyncio.run(connector(lab, known_hosts=known, tofu=False).open(pe1))
    assert known.read_text() == ""


def test_changed_host_key_is_refused_even_with_tofu(lab: Inventory, pe1: DeviceEndpoint,
                                                    tmp_path: Path) -> None:
    other = (lab.lab_dir / "client_key.pub").read_text().split()  # some other ed25519 key
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{pe1.port} {other[0]} {other[1]}\n")
    with pytest.raises(PermanentError, match="host key mismatch"):
        asyncio.run(connector(lab, known_hosts=known, tofu=True).open(pe1))


def test_trust_on_first_use_records_the_key(lab: Inventory, pe1: DeviceEndpoint,
                                            tmp_path: Path) -> None:
    known = tmp_path / "sub" / "known_hosts"

    async def main(tofu: bool) -> None:
        s = await connector(lab, known_hosts=known, tofu=tofu).open(pe1)
        await s.close()

    asyncio.run(main(True))
    assert known.read_text() == host_key_line(lab, pe1)
    asyncio.run(main(False))  # now known
    assert known.read_text() == host_key_line(lab, pe1)


def test_unreachable_device_is_temporary(lab: Inventory) -> None:
    gone = DeviceEndpoint(name="pe9", driver=DeviceDriverKind.NETCONF, platform="yuma123",
                          host="127.0.0.1", port=free_port(), credentials="pe1")
    with pytest.raises(TemporaryError, match="pe9: connect failed: unreachable"):
        asyncio.run(connector(lab).open(gone))


def test_device_without_candidate_edits_running_and_restores_the_pre_image(
        lab: Inventory, pe3: DeviceEndpoint, observers: dict[str, Any]) -> None:
    first = intent(pe3, "wr", vlan=3150)
    second = intent(pe3, "wr", vlan=3150, hops=1, extra_vrf=True)

    async def main() -> DeviceIntent:
        s = await connector(lab).open(pe3)
        try:
            assert not s.has_candidate
            await apply(s, first, None)
            before = running_xml(observers, pe3)
            await s.prepare(second, first)
            await s.commit(60)
            assert "ncdrv-wr-vl2" in running_xml(observers, pe3)
            await s.abort()
            assert running_xml(observers, pe3) == before
            return await s.read(first)
        finally:
            await s.close()

    assert asyncio.run(main()) == normalise(first)
