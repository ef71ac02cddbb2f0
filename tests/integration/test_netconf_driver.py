"""The NETCONF driver against a real yuma123 netconfd behind its own sshd.

Each module run starts one candidate-datastore device (and, for the writable-running tests,
one ``--target=running`` device); see ``netconf_fixtures``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from netconf_fixtures import NetconfLab, free_port, netconf_lab

from netorch.drivers.netconf.connector import NetconfConnector
from netorch.drivers.netconf.hostkeys import KnownHosts
from netorch.drivers.netconf.payload import normalise
from netorch.drivers.netconf.session import NetconfSession
from netorch.drivers.netconf.transport import connect
from netorch.model.errors import PermanentError, TemporaryError
from netorch.model.network import (
    Chain,
    ChainHop,
    Credentials,
    DeviceDriverKind,
    DeviceEndpoint,
    DeviceIntent,
    SubInterface,
    Vrf,
)

L3VPN = "urn:netorch:yang:l3vpn"
IFS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
CHAINS = "urn:netorch:yang:service-chain"
EVERYTHING = (f'<filter type="subtree"><interfaces xmlns="{IFS}"/><vrfs xmlns="{L3VPN}"/>'
              f'<chains xmlns="{CHAINS}"/></filter>')


_OBSERVERS: dict[int, Any] = {}
"""One long-lived ncclient session per device, reading and writing beside the driver."""


@contextlib.contextmanager
def _observed(target: str) -> Iterator[NetconfLab]:
    with netconf_lab(target=target) as device, raw(device) as observer:
        _OBSERVERS[device.port] = observer
        try:
            yield device
        finally:
            del _OBSERVERS[device.port]


@pytest.fixture(scope="module")
def lab() -> Iterator[NetconfLab]:
    with _observed("candidate") as device:
        yield device


@pytest.fixture(scope="module")
def running_lab() -> Iterator[NetconfLab]:
    with _observed("running") as device:
        yield device


def endpoint(lab: NetconfLab, name: str = "pe1", credentials: str = "pe1") -> DeviceEndpoint:
    return DeviceEndpoint(name=name, driver=DeviceDriverKind.NETCONF, platform="yuma123",
                          host="127.0.0.1", port=lab.port, credentials=credentials)


def secrets(tmp_path: Path, lab: NetconfLab, **extra: dict[str, str]) -> Path:
    path = tmp_path / "secrets.yaml"
    creds = {"pe1": {"username": lab.username, "password": lab.password},
             "pe1-key": {"username": lab.username, "key_file": str(lab.client_key)}, **extra}
    path.write_text(yaml.safe_dump({"credentials": creds}))
    path.chmod(0o600)
    return path


def connector(tmp_path: Path, lab: NetconfLab, **kw: Any) -> NetconfConnector:
    kw.setdefault("known_hosts", lab.known_hosts)
    return NetconfConnector(secrets_file=secrets(tmp_path, lab), **kw)


@contextlib.contextmanager
def raw(lab: NetconfLab) -> Iterator[Any]:
    """An ncclient manager of its own, standing for another management client (with the
    driver's transport only so that it does not wait out ncclient's 0.1 s poll)."""
    m = connect(endpoint(lab), Credentials(lab.username, lab.password),
                KnownHosts(lab.known_hosts), timeout_s=10)
    try:
        yield m
    finally:
        m.close_session()


def running_xml(lab: NetconfLab) -> str:
    return str(_OBSERVERS[lab.port].get_config("running", filter=EVERYTHING).data_xml)


def write_foreign(lab: NetconfLab, config: str) -> None:
    """Configuration written by someone else than netorch."""
    m = _OBSERVERS[lab.port]
    target = "candidate" if ":candidate" in " ".join(m.server_capabilities) else "running"
    m.edit_config(target=target, config=f'<config xmlns="urn:ietf:params:xml:ns:netconf:'
                  f'base:1.0">{config}</config>')
    if target == "candidate":
        m.commit()


def intent(lab: NetconfLab, svc: str, *, vlan: int = 100, hops: int = 2,
           extra_vrf: bool = False) -> DeviceIntent:
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
    return DeviceIntent(device=endpoint(lab), interfaces=subs if extra_vrf else subs[:1],
                        vrfs=tuple(vrfs), chains=(chain,), tag=tag)


async def apply(session: NetconfSession, want: DeviceIntent, previous: DeviceIntent | None,
                confirm_timeout_s: int | None = 60) -> None:
    await session.prepare(want, previous)
    await session.commit(confirm_timeout_s)
    await session.confirm()


def test_capabilities_are_discovered(lab: NetconfLab, tmp_path: Path) -> None:
    async def main() -> NetconfSession:
        s = await connector(tmp_path, lab).open(endpoint(lab))
        await s.close()
        return s

    s = asyncio.run(main())
    assert s.has_candidate and s.has_confirmed_commit and s.has_validate and s.has_xpath
    caps = " ".join(s.capabilities)
    for module in ("netorch-service-chain", "netorch-l3vpn", "ietf-interfaces"):
        assert f"module={module}" in caps


def test_prepare_commit_confirm_round_trip(lab: NetconfLab, tmp_path: Path) -> None:
    want = intent(lab, "rt", extra_vrf=True)

    async def main() -> DeviceIntent:
        conn = connector(tmp_path, lab)
        s = await conn.open(endpoint(lab))
        try:
            await apply(s, want, None)
        finally:
            await s.close()
        # a new session (the confirmed change survived the first one closing)
        s2 = await conn.open(endpoint(lab))
        try:
            return await s2.read(want)
        finally:
            await s2.close()

    assert asyncio.run(main()) == normalise(want)
    xml = running_xml(lab)
    assert "rt-vl1" in xml and "eth0.100" in xml and "iana-if-type" in xml


def test_update_removes_exactly_the_stale_entries(lab: NetconfLab, tmp_path: Path) -> None:
    write_foreign(lab, f'<vrfs xmlns="{L3VPN}"><vrf><name>foreign</name><rd>1:1</rd></vrf>'
                       f'</vrfs><interfaces xmlns="{IFS}"><interface><name>eth1.999</name>'
                       '<type xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">'
                       'ianaift:l2vlan</type></interface></interfaces>')
    before = intent(lab, "up", vlan=200, hops=3, extra_vrf=True)
    after = intent(lab, "up", vlan=200, hops=2)

    async def main() -> DeviceIntent:
        s = await connector(tmp_path, lab).open(endpoint(lab))
        try:
            await apply(s, before, None)
            await apply(s, after, before)
            return await s.read(before)
        finally:
            await s.close()

    assert asyncio.run(main()) == normalise(after)
    xml = running_xml(lab)
    assert "up-vl2" not in xml and "eth1.201" not in xml and "vnf3" not in xml
    assert "foreign" in xml and "eth1.999" in xml


def test_abort_after_prepare_leaves_running_and_releases_the_lock(
        lab: NetconfLab, tmp_path: Path) -> None:
    before = running_xml(lab)

    async def main() -> None:
        s = await connector(tmp_path, lab).open(endpoint(lab))
        try:
            await s.prepare(intent(lab, "ab1", vlan=300), None)
            await s.abort()
        finally:
            await s.close()

    asyncio.run(main())
    assert running_xml(lab) == before
    m = _OBSERVERS[lab.port]
    m.lock("candidate")  # nobody holds it any more, and the candidate is clean
    assert "ab1" not in str(m.get_config("candidate", filter=EVERYTHING).data_xml)
    m.unlock("candidate")


@pytest.mark.parametrize("confirm_timeout_s", [60, None], ids=["confirmed", "unconfirmed"])
def test_abort_after_commit_restores_running(lab: NetconfLab, tmp_path: Path,
                                             confirm_timeout_s: int | None) -> None:
    existing = intent(lab, "ab2", vlan=400)

    async def setup() -> None:
        s = await connector(tmp_path, lab).open(endpoint(lab))
        try:
            await apply(s, existing, None)
        finally:
            await s.close()

    asyncio.run(setup())
    before = running_xml(lab)
    changed = intent(lab, "ab2", vlan=400, hops=1, extra_vrf=True)

    async def main() -> None:
        s = await connector(tmp_path, lab).open(endpoint(lab))
        try:
            await s.prepare(changed, existing)
            await s.commit(confirm_timeout_s)
            assert "ab2-vl2" in running_xml(lab)
            await s.abort()
        finally:
            await s.close()

    asyncio.run(main())
    assert running_xml(lab) == before


def test_device_validation_error_is_permanent_with_the_device_text(
        lab: NetconfLab, tmp_path: Path) -> None:
    # pyangbind checks types; the must-constraint (one VRF per sub-interface) is the device's.
    write_foreign(lab, f'<vrfs xmlns="{L3VPN}"><vrf><name>other</name><attachment>'
                       '<interface>eth0.777</interface><vlan-id>777</vlan-id></attachment>'
                       '</vrf></vrfs>')
    before = running_xml(lab)
    want = intent(lab, "bad", vlan=777)

    async def main() -> None:
        s = await connector(tmp_path, lab).open(endpoint(lab))
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
    assert running_xml(lab) == before


def test_value_outside_the_yang_type_is_refused_before_sending(
        lab: NetconfLab, tmp_path: Path) -> None:
    want = DeviceIntent(device=endpoint(lab), interfaces=(SubInterface("eth0", 5000),),
                        vrfs=(Vrf("range", interfaces=("eth0.5000",)),))

    async def main() -> None:
        s = await connector(tmp_path, lab).open(endpoint(lab))
        try:
            with pytest.raises(PermanentError, match=r"pe1: edit failed: .*vlan"):
                await s.prepare(want, None)
        finally:
            await s.close()

    asyncio.run(main())


def test_lock_held_by_another_session_is_temporary(lab: NetconfLab, tmp_path: Path) -> None:
    async def main() -> None:
        s = await connector(tmp_path, lab).open(endpoint(lab))
        try:
            with pytest.raises(TemporaryError, match="pe1: lock failed: lock-denied"):
                await s.prepare(intent(lab, "lk"), None)
            await s.abort()
        finally:
            await s.close()

    with raw(lab) as other:
        other.lock("candidate")
        asyncio.run(main())
        other.unlock("candidate")


def test_wrong_password_is_permanent(lab: NetconfLab, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETORCH_CRED_PE1_PASSWORD", "not-the-password")
    with pytest.raises(PermanentError, match="pe1: connect failed: authentication") as info:
        asyncio.run(connector(tmp_path, lab).open(endpoint(lab)))
    assert "not-the-password" not in str(info.value)


def test_key_authentication(lab: NetconfLab, tmp_path: Path) -> None:
    async def main() -> None:
        s = await connector(tmp_path, lab).open(endpoint(lab, credentials="pe1-key"))
        await s.close()

    asyncio.run(main())


def test_unknown_host_key_is_permanent(lab: NetconfLab, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("")
    with pytest.raises(PermanentError, match="pe1: unknown host key ssh-ed25519 SHA256:"):
        asyncio.run(connector(tmp_path, lab, known_hosts=known, tofu=False)
                    .open(endpoint(lab)))
    assert known.read_text() == ""


def test_changed_host_key_is_refused_even_with_tofu(lab: NetconfLab, tmp_path: Path) -> None:
    other = (lab.run_dir / "client_key.pub").read_text().split()
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{lab.port} {other[0]} {other[1]}\n")
    with pytest.raises(PermanentError, match="host key mismatch"):
        asyncio.run(connector(tmp_path, lab, known_hosts=known, tofu=True)
                    .open(endpoint(lab)))


def test_trust_on_first_use_records_the_key(lab: NetconfLab, tmp_path: Path) -> None:
    known = tmp_path / "sub" / "known_hosts"

    async def main(tofu: bool) -> None:
        s = await connector(tmp_path, lab, known_hosts=known, tofu=tofu).open(endpoint(lab))
        await s.close()

    asyncio.run(main(True))
    assert known.read_text() == lab.host_key_line
    asyncio.run(main(False))  # now known
    assert known.read_text() == lab.host_key_line


def test_unreachable_device_is_temporary(lab: NetconfLab, tmp_path: Path) -> None:
    gone = DeviceEndpoint(name="pe9", driver=DeviceDriverKind.NETCONF, platform="yuma123",
                          host="127.0.0.1", port=free_port(), credentials="pe1")
    with pytest.raises(TemporaryError, match="pe9: connect failed: unreachable"):
        asyncio.run(connector(tmp_path, lab).open(gone))


def test_device_without_candidate_edits_running_and_restores_the_pre_image(
        running_lab: NetconfLab, tmp_path: Path) -> None:
    lab = running_lab
    first = intent(lab, "wr", vlan=500)
    second = intent(lab, "wr", vlan=500, hops=1, extra_vrf=True)

    async def main() -> DeviceIntent:
        s = await connector(tmp_path, lab).open(endpoint(lab))
        try:
            assert not s.has_candidate
            await apply(s, first, None)
            before = running_xml(lab)
            await s.prepare(second, first)
            await s.commit(60)
            assert "wr-vl2" in running_xml(lab)
            await s.abort()
            assert running_xml(lab) == before
            return await s.read(first)
        finally:
            await s.close()

    assert asyncio.run(main()) == normalise(first)
