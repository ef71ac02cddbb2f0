"""The CLI driver against real SSH devices: the session lab's ``sw1`` (``netorch lab up``:
OpenSSH with a bash login, netmiko ``linux``) and fake-switches ``cisco_generic``
(``cisco_ios``, started by ``cli_snmp_fixtures``: the lab has no Cisco device).

The lab is shared: each test writes into a config directory of its own in ``sw1``'s home
(``netorch-config-clidrv-…``) and removes it afterwards.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_snmp_fixtures import FakeSwitch, fake_cisco_fixture, free_port  # noqa: F401
from lab_fixture import lab_device, lab_session_fixture  # noqa: F401

from netorch.drivers.cli import CliConnector, CliSession, SshTrust
from netorch.drivers.cli.platforms.cisco_ios import PLATFORM as CISCO
from netorch.drivers.cli.platforms.linux import LinuxPlatform
from netorch.drivers.network.secrets import resolve_credentials
from netorch.drivers.network.transaction import DeviceChange, TransactionFailed, run_transaction
from netorch.lab.inventory import Inventory
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


@dataclass(frozen=True)
class SshHost:
    """The lab's linux CLI device: where it listens, its login's home, its host keys."""

    port: int
    home: Path
    known_hosts: Path
    user: str
    password: str


@pytest.fixture
def cli_host(lab: Inventory) -> SshHost:
    device = lab_device(lab, "sw1")
    creds = resolve_credentials(device.endpoint.credentials, lab.secrets_file)
    assert creds.password is not None
    return SshHost(port=device.endpoint.port, home=Path(device.extras["home"]),
                   known_hosts=lab.known_hosts, user=creds.username, password=creds.password)


@pytest.fixture
def store(cli_host: SshHost, request: pytest.FixtureRequest) -> Iterator[tuple[str, Path]]:
    """A config directory of its own for each test (name, absolute path on the host),
    removed afterwards."""
    test = request.node.name.removeprefix("test_")[:24]
    name = f"netorch-config-clidrv-{test}-{uuid.uuid4().hex[:6]}"
    path = cli_host.home / name
    try:
        yield name, path
    finally:
        if path.exists():
            for p in path.rglob("*"):
                p.chmod(0o755 if p.is_dir() else 0o644)
        shutil.rmtree(path, ignore_errors=True)


def endpoint(port: int, platform: str = "linux", name: str = "sw1") -> DeviceEndpoint:
    return DeviceEndpoint(name=name, driver=DeviceDriverKind.CLI, platform=platform,
                          host="127.0.0.1", port=port, credentials=name)


def connector(host: SshHost, config_dir: str, *, password: str | None = None,
              trust: SshTrust | None = None) -> CliConnector:
    creds = Credentials(username=host.user, password=password or host.password)
    return CliConnector(resolver=lambda _name: creds,
                        trust=trust or SshTrust(host.known_hosts),
                        platforms={"linux": LinuxPlatform(config_dir)}, timeout_s=5)


def intent_v1(dev: DeviceEndpoint) -> DeviceIntent:
    return DeviceIntent(
        device=dev, tag="netorch:svc1",
        interfaces=(SubInterface("eth1", 101, "netorch:svc1 to fw", "10.1.0.1/24"),
                    SubInterface("eth1", 102, "netorch:svc1 to nat")),
        vrfs=(Vrf("svc1-blue", rd="65000:1", import_targets=("65000:1",),
                  export_targets=("65000:1",), interfaces=("eth1.101",)),),
        chains=(Chain("svc1-chain", (ChainHop(1, "fw", "eth1.101", "eth1.102"),
                                     ChainHop(2, "nat", ip_address="10.1.0.9")), "web path"),))


async def apply(conn: CliConnector, dev: DeviceEndpoint, intended: DeviceIntent,
                previous: DeviceIntent | None = None) -> DeviceIntent:
    session = await conn.open(dev)
    try:
        await session.prepare(intended, previous)
        await session.commit(None)
        await session.confirm()
        return await session.read(intended)
    finally:
        await session.close()


def entries(path: Path) -> set[str]:
    return {p.name for p in path.iterdir()} if path.exists() else set()


def test_linux_push_verify_update_keeps_foreign_entries(
        cli_host: SshHost, store: tuple[str, Path]) -> None:
    name, path = store
    dev = endpoint(cli_host.port)
    conn = connector(cli_host, name)
    v1 = intent_v1(dev)

    running = asyncio.run(apply(conn, dev, v1))
    assert running == v1
    assert entries(path) == {"interface--eth1.101.conf", "interface--eth1.102.conf",
                             "vrf--svc1-blue.conf", "chain--svc1-chain.conf"}
    assert "rd=65000:1" in (path / "vrf--svc1-blue.conf").read_text().splitlines()

    # an operator's own entries beside ours
    (path / "interface--eth9.conf").write_text("description=operator's\n")
    (path / "notes.txt").write_text("keep me\n")

    v2 = DeviceIntent(device=dev, tag="netorch:svc1",
                      interfaces=(SubInterface("eth1", 101, "netorch:svc1 to fw v2"),),
                      vrfs=(Vrf("svc1-blue", rd="65000:2"),))
    running = asyncio.run(apply(conn, dev, v2, previous=v1))
    assert running == v2
    assert entries(path) == {"interface--eth1.101.conf", "vrf--svc1-blue.conf",
                             "interface--eth9.conf", "notes.txt"}
    assert (path / "interface--eth9.conf").read_text() == "description=operator's\n"

    # read() of the dropped names reports them absent
    async def read_old() -> DeviceIntent:
        session = await conn.open(dev)
        try:
            return await session.read(v1)
        finally:
            await session.close()

    old = asyncio.run(read_old())
    assert [i.name for i in old.interfaces] == ["eth1.101"]
    assert old.chains == ()


def test_linux_through_the_transaction_coordinator(
        cli_host: SshHost, store: tuple[str, Path]) -> None:
    name, path = store
    dev = endpoint(cli_host.port)
    v1 = intent_v1(dev)
    conns = {DeviceDriverKind.CLI: connector(cli_host, name)}
    running = asyncio.run(run_transaction([DeviceChange(v1)], conns))
    assert running == {"sw1": v1}
    empty = DeviceIntent(device=dev, tag=v1.tag)
    asyncio.run(run_transaction([DeviceChange(empty, previous=v1)], conns))
    assert entries(path) == set()


def test_linux_rejected_line_is_permanent_and_pre_image_restored(
        cli_host: SshHost, store: tuple[str, Path]) -> None:
    name, path = store
    dev = endpoint(cli_host.port)
    conn = connector(cli_host, name)
    path.mkdir()
    os.chown(path, *_ids(cli_host.home))
    locked = path / "interface--eth1.102.conf"
    locked.write_text("description=pinned by the operator\n")
    os.chown(locked, *_ids(cli_host.home))
    locked.chmod(0o444)                       # the login user cannot overwrite it

    v1 = intent_v1(dev)

    async def run() -> CliSession:
        session = await conn.open(dev)
        await session.prepare(v1, None)
        with pytest.raises(PermanentError) as info:
            await session.commit(None)
        assert "Permission denied" in str(info.value)
        assert "sw1: commit failed" in str(info.value)
        assert (path / "interface--eth1.101.conf").exists()   # written before the failure
        await session.abort()
        await session.close()
        return session

    asyncio.run(run())
    assert entries(path) == {"interface--eth1.102.conf"}
    assert locked.read_text() == "description=pinned by the operator\n"


def _ids(home: Path) -> tuple[int, int]:
    st = home.stat()
    return st.st_uid, st.st_gid


def test_wrong_password_is_permanent(cli_host: SshHost) -> None:
    conn = connector(cli_host, "unused", password="not-the-password")
    with pytest.raises(PermanentError, match="authentication failed"):
        asyncio.run(conn.open(endpoint(cli_host.port)))


def test_unreachable_port_is_temporary(cli_host: SshHost) -> None:
    conn = connector(cli_host, "unused")
    with pytest.raises(TemporaryError, match="cannot reach"):
        asyncio.run(conn.open(endpoint(free_port())))


def test_unknown_host_key_is_refused_unless_tofu(cli_host: SshHost, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    strict = connector(cli_host, "unused", trust=SshTrust(known))
    with pytest.raises(PermanentError, match="not in"):
        asyncio.run(strict.open(endpoint(cli_host.port)))

    tofu = connector(cli_host, "unused", trust=SshTrust(known, tofu=True))

    async def open_close() -> None:
        session = await tofu.open(endpoint(cli_host.port))
        await session.close()

    asyncio.run(open_close())
    learnt = known.read_text()
    assert f"[127.0.0.1]:{cli_host.port} ssh-ed25519" in learnt
    strict_again = connector(cli_host, "unused", trust=SshTrust(known))

    async def open_strict() -> None:
        session = await strict_again.open(endpoint(cli_host.port))   # now known
        await session.close()

    asyncio.run(open_strict())


# -- cisco_ios on fake-switches ---------------------------------------------------------------

def cisco_connector(sw: FakeSwitch, tmp_path: Path) -> CliConnector:
    creds = Credentials(username=sw.user, password=sw.password)
    return CliConnector(resolver=lambda _n: creds,
                        trust=SshTrust(tmp_path / "known_hosts", tofu=True), timeout_s=5)


def test_cisco_push_update_and_rejection(fake_cisco: FakeSwitch, tmp_path: Path) -> None:
    dev = endpoint(fake_cisco.port, platform="cisco_ios", name="nsw1")
    conn = cisco_connector(fake_cisco, tmp_path)
    v1 = DeviceIntent(device=dev, tag="netorch:svc2", interfaces=(
        SubInterface("FastEthernet0/3", 310, "netorch:svc2 fw", "10.31.0.1/24"),
        SubInterface("FastEthernet0/4", 311, "netorch:svc2 nat")))
    assert asyncio.run(apply(conn, dev, v1)) == v1

    v2 = DeviceIntent(device=dev, tag="netorch:svc2", interfaces=(
        SubInterface("FastEthernet0/3", 310, "netorch:svc2 fw v2"),))
    assert asyncio.run(apply(conn, dev, v2, previous=v1)) == v2

    async def probe(commands: list[str]) -> list[str]:
        from netorch.drivers.cli import transport

        session = await conn.open(dev)
        try:
            return transport.show(session._conn, commands, "nsw1")
        finally:
            await session.close()

    config = asyncio.run(probe(["show running-config"]))[0]
    blocks = CISCO.parse(["vlan/311", "port/FastEthernet0/4", "svi/310", "vlan/1"], [config])
    assert blocks == {"vlan/311": None, "port/FastEthernet0/4": {}, "svi/310": None,
                      "vlan/1": {}}

    # the device rejects a port it does not have; what was pushed before is taken back
    bad = DeviceIntent(device=dev, tag="netorch:svc3", interfaces=(
        SubInterface("FastEthernet0/5", 320, "netorch:svc3 ok"),
        SubInterface("FastEthernet0/99", 321, "netorch:svc3 no such port")))

    async def rejected() -> DeviceIntent:
        session = await conn.open(dev)
        try:
            await session.prepare(bad, None)
            with pytest.raises(PermanentError, match="Invalid input") as info:
                await session.commit(None)
            assert "FastEthernet0/99" in str(info.value)
            await session.abort()
            return await session.read(bad)
        finally:
            await session.close()

    assert asyncio.run(rejected()).interfaces == ()
    config = asyncio.run(probe(["show running-config"]))[0]
    assert CISCO.parse(["vlan/320", "vlan/321", "port/FastEthernet0/5"], [config]) == {
        "vlan/320": None, "vlan/321": None, "port/FastEthernet0/5": {}}

    # clean up what the test added
    asyncio.run(apply(conn, dev, DeviceIntent(device=dev, tag="netorch:svc2"), previous=v2))


def test_transaction_failure_on_cli_is_rolled_back(
        cli_host: SshHost, store: tuple[str, Path]) -> None:
    name, path = store
    dev = endpoint(cli_host.port)
    conns = {DeviceDriverKind.CLI: connector(cli_host, name)}
    path.mkdir()
    os.chown(path, *_ids(cli_host.home))
    (path / "chain--svc1-chain.conf").mkdir()          # a directory where our file goes
    with pytest.raises(TransactionFailed) as info:
        asyncio.run(run_transaction([DeviceChange(intent_v1(dev))], conns))
    assert "Is a directory" in str(info.value) or "Is a directory" in str(info.value.__cause__)
    assert entries(path) == {"chain--svc1-chain.conf"}


def test_registry_connector_reads_the_secrets_file(lab: Inventory, cli_host: SshHost) -> None:
    from netorch.drivers.network.base import ConnectorOptions
    from netorch.drivers.network.registry import connectors

    options = ConnectorOptions(secrets_file=lab.secrets_file, known_hosts=lab.known_hosts)
    conn = connectors(options)[DeviceDriverKind.CLI]

    async def caps() -> frozenset[str]:
        session = await conn.open(endpoint(cli_host.port))
        try:
            return session.capabilities
        finally:
            await session.close()

    assert asyncio.run(caps()) == frozenset({"cli:linux"})
