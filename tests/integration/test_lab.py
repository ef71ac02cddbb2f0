"""``netorch lab``: real netconfd/sshd/snmpd processes on 127.0.0.1 (issue 4).

The session lab (``lab_fixture.lab``) is checked from the outside with plain clients (an SSH
banner, the NETCONF <hello> over the ``netconf`` SSH subsystem, ``snmpget``, a shell command);
the life cycle (second ``up`` refused, a killed daemon in ``status``, ``down`` stopping exactly
its own PIDs and namespaces, idempotent ``down``) runs on labs of its own.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paramiko
import pytest
import yaml
from lab_fixture import lab_device, lab_unavailable
from typer.testing import CliRunner

from netorch.cli.app import app
from netorch.cli.lab import yang_dir
from netorch.lab import host, launcher, procs
from netorch.lab.inventory import Inventory
from netorch.lab.state import LabState
from netorch.model.network import DeviceDriverKind

pytestmark = pytest.mark.skipif(lab_unavailable() is not None, reason=lab_unavailable() or "")

EOM = b"]]>]]>"
CANDIDATE = "urn:ietf:params:netconf:capability:candidate:1.0"


def _known_hosts(inv: Inventory) -> dict[int, str]:
    keys = {}
    for line in inv.known_hosts.read_text().splitlines():
        m = re.fullmatch(r"\[127\.0\.0\.1\]:(\d+) (ssh-ed25519 \S+)", line)
        assert m, f"bad known_hosts line {line!r}"
        keys[int(m.group(1))] = m.group(2)
    return keys


def _secrets(inv: Inventory) -> dict[str, dict[str, dict[str, str]]]:
    data: dict[str, dict[str, dict[str, str]]] = yaml.safe_load(inv.secrets_file.read_text())
    return data


def _ssh(inv: Inventory, name: str, *, key: bool = False) -> paramiko.SSHClient:
    """An SSH client that trusts exactly the lab's known_hosts (no trust on first use)."""
    dev = inv.device(name).endpoint
    creds = _secrets(inv)["credentials"][f"{name}-key" if key else name]
    client = paramiko.SSHClient()
    client.load_host_keys(str(inv.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(dev.host, dev.port, username=creds["username"],
                   password=creds.get("password"), key_filename=creds.get("key_file"),
                   look_for_keys=False, allow_agent=False, timeout=10)
    return client


def _netconf_hello(inv: Inventory, name: str, *, key: bool = False) -> str:
    """The server's NETCONF <hello> (RFC 6242 §4.1, base:1.0 framing) over the subsystem."""
    client = _ssh(inv, name, key=key)
    try:
        chan = client.get_transport().open_session(timeout=10)  # type: ignore[union-attr]
        chan.settimeout(10)
        chan.invoke_subsystem("netconf")
        data = b""
        while EOM not in data:
            chunk = chan.recv(65536)
            assert chunk, f"{name}: channel closed before <hello>: {data[-300:]!r}"
            data += chunk
        return data.split(EOM, 1)[0].decode()
    finally:
        client.close()


# --- the session lab, from the outside --------------------------------------------------------

def test_inventory_names_every_device_with_its_files(lab: Inventory) -> None:
    raw = yaml.safe_load((lab.lab_dir / "inventory.yaml").read_text())
    assert Path(raw["lab_dir"]) == lab.lab_dir
    assert [d["name"] for d in raw["devices"]] == ["pe1", "pe2", "pe3", "sw1"]
    for d in raw["devices"][:3]:
        assert (d["driver"], d["platform"], d["host"]) == ("netconf", "yuma123", "127.0.0.1")
        assert d["credentials"] == d["name"]
        assert d["netns"] == f"nclab-{d['port']}"
        assert d["snmp"] == {"host": "127.0.0.1", "port": d["snmp"]["port"], "version": "2c",
                             "credentials": f"{d['name']}-snmp"}
        assert sorted(d["processes"]) == ["netconfd", "snmpd", "sshd"]
        assert sorted(d["pids"]) == sorted(d["processes"].values())
    assert [d["target"] for d in raw["devices"][:3]] == ["candidate", "candidate", "running"]
    sw1 = raw["devices"][3]
    assert (sw1["driver"], sw1["platform"], sw1["credentials"]) == ("cli", "linux", "sw1")
    assert "snmp" not in sw1

    assert stat.S_IMODE(lab.secrets_file.stat().st_mode) == 0o600
    secrets = _secrets(lab)
    for name in ("pe1", "pe2", "pe3"):
        assert secrets["credentials"][name] == {"username": "netconf", "password": "netconf"}
        assert secrets["snmp"][f"{name}-snmp"] == {"community": "public"}
        assert secrets["snmp"][f"{name}-snmp-v3"]["priv_protocol"] == "AES"
    assert secrets["credentials"]["sw1"]["username"] == "nmlab"

    ssh_ports = {d.endpoint.port for d in lab.devices}
    assert set(_known_hosts(lab)) == ssh_ports

    text = lab.inputs_file.read_text()
    inputs = yaml.safe_load(text)
    assert inputs == {"device_address": "127.0.0.1",
                      **{f"{d.name}_port": d.endpoint.port for d in lab.devices},
                      **{f"{d.name}_snmp_port": d.endpoint.snmp.port for d in lab.devices
                         if d.endpoint.snmp is not None}}
    assert f"# known_hosts: {lab.known_hosts}\n" in text
    assert f"# secrets_file: {lab.secrets_file}\n" in text
    env = (lab.lab_dir / "env.sh").read_text()
    assert f"export NETORCH_SECRETS_FILE={lab.secrets_file}\n" in env
    assert f"export NETORCH_KNOWN_HOSTS={lab.known_hosts}\n" in env
    assert Inventory.load(lab.lab_dir) == lab


def test_every_ssh_port_answers_with_the_recorded_host_key(lab: Inventory) -> None:
    keys = _known_hosts(lab)
    for d in lab.devices:
        banner = procs.ssh_banner("127.0.0.1", d.endpoint.port)
        assert banner is not None and banner.startswith("SSH-2.0-OpenSSH"), d.name
        transport = paramiko.Transport(("127.0.0.1", d.endpoint.port))
        try:
            transport.start_client(timeout=10)
            server_key = transport.get_remote_server_key()
        finally:
            transport.close()
        assert f"{server_key.get_name()} {server_key.get_base64()}" == keys[d.endpoint.port]


def test_netconf_hello_over_the_ssh_subsystem(lab: Inventory) -> None:
    hello = _netconf_hello(lab, "pe1")
    assert "urn:ietf:params:netconf:base:1.0" in hello
    assert CANDIDATE in hello
    assert "module=ietf-interfaces" in hello
    ours = yang_dir()  # our own modules are loaded when their files exist
    if ours is not None and (ours / "netorch-service-chain.yang").is_file():
        assert "module=netorch-service-chain" in hello
    if ours is not None and (ours / "netorch-l3vpn.yang").is_file():
        assert "module=netorch-l3vpn" in hello
    # key login on another device; the running-only device has no :candidate
    assert CANDIDATE in _netconf_hello(lab, "pe2", key=True)
    assert CANDIDATE not in _netconf_hello(lab, "pe3")


def test_snmpd_answers_v2c_and_v3_with_the_device_name(lab: Inventory) -> None:
    snmpget = shutil.which("snmpget")
    assert snmpget is not None, "apt-get install snmp"
    secrets = _secrets(lab)["snmp"]
    env = {**os.environ, "MIBS": ""}
    for d in lab.devices:
        snmp = d.endpoint.snmp
        if snmp is None:
            continue
        community = secrets[snmp.credentials or ""]["community"]
        v2c = subprocess.run([snmpget, "-v2c", "-c", community, "-Oqv", "-t", "2",
                              f"{snmp.host}:{snmp.port}", "1.3.6.1.2.1.1.5.0"],
                             capture_output=True, text=True, env=env, check=True)
        assert v2c.stdout.strip().strip('"') == d.name
        v3 = secrets[f"{snmp.credentials}-v3"]
        got = subprocess.run([snmpget, "-v3", "-l", "authPriv", "-u", v3["user"],
                              "-a", v3["auth_protocol"], "-A", v3["auth_key"],
                              "-x", v3["priv_protocol"], "-X", v3["priv_key"], "-Oqv", "-t", "2",
                              f"{snmp.host}:{snmp.port}", "1.3.6.1.2.1.1.5.0"],
                             capture_output=True, text=True, env=env, check=True)
        assert got.stdout.strip().strip('"') == d.name


def _snmp(lab: Inventory, name: str, *args: str) -> dict[str, str]:
    """``snmpwalk -v2c`` of a subtree: {numeric OID suffix: value}."""
    snmp = lab.device(name).endpoint.snmp
    assert snmp is not None
    done = subprocess.run(["snmpwalk", "-v2c", "-c", "public", "-On", "-Oq", "-t", "2",
                           f"{snmp.host}:{snmp.port}", *args], capture_output=True, text=True,
                          env={**os.environ, "MIBS": ""}, check=True)
    rows = (line.split(" ", 1) for line in done.stdout.splitlines())
    return {oid.rsplit(".", 1)[1]: value.strip('"') for oid, value in rows}


def _oper_status_becomes(lab: Inventory, name: str, index: str, want: str) -> str:
    """ifOperStatus.index once it reads ``want`` (snmpd caches its ifTable for a few
    seconds), or the last value read after 15 s."""
    deadline = time.monotonic() + 15
    while True:
        got = _snmp(lab, name, "1.3.6.1.2.1.2.2.1.8")[index]
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.25)


def test_snmp_sees_the_device_ports_and_a_link_taken_down(lab: Inventory) -> None:
    descr = _snmp(lab, "pe2", "1.3.6.1.2.1.2.2.1.2")            # ifDescr
    assert sorted(descr.values()) == ["eth0", "eth1", "lo"]      # the namespace, not the host
    index = next(i for i, name in descr.items() if name == "eth1")
    assert _snmp(lab, "pe2", "1.3.6.1.2.1.2.2.1.8")[index] == "1"  # ifOperStatus up
    code, output = _cli("lab", "link", "pe2", "eth1", "down", "--dir", str(lab.lab_dir))
    try:
        assert code == 0, output
        assert _oper_status_becomes(lab, "pe2", index, "2") == "2"  # down
    finally:
        launcher.set_link(lab.lab_dir, "pe2", "eth1", up=True)
    assert _oper_status_becomes(lab, "pe2", index, "1") == "1"
    code, output = _cli("lab", "link", "sw1", "eth0", "down", "--dir", str(lab.lab_dir))
    assert code == 1 and "no network namespace" in output


def test_cli_device_is_a_login_shell(lab: Inventory) -> None:
    sw1 = lab_device(lab, "sw1")
    assert sw1.endpoint.driver is DeviceDriverKind.CLI
    client = _ssh(lab, "sw1")
    try:
        _, stdout, _ = client.exec_command("id -un; echo $SHELL; echo $HOME; pwd")
        lines = stdout.read().decode().split()
    finally:
        client.close()
    home = Path(sw1.extras["home"])
    assert lines == ["nmlab", "/bin/bash", str(home), str(home)]
    assert home.parent.name == "home" and home.name == "sw1"  # the device's own, in this lab


def test_status_of_the_session_lab_is_healthy(lab: Inventory) -> None:
    st = launcher.status(lab.lab_dir)
    assert st.healthy
    assert {(s.device, s.service) for s in st.services} == {
        (d.name, svc) for d in lab.devices for svc in d.processes}
    result = CliRunner().invoke(app, ["lab", "status", "--dir", str(lab.lab_dir)])
    assert result.exit_code == 0, result.output
    assert "DOWN" not in result.output


# --- life cycle on labs of their own ----------------------------------------------------------

@pytest.fixture
def bystanders(tmp_path: Path) -> Iterator[list[procs.ProcId]]:
    """Processes the lab did not start: a ``sleep`` and an sshd on its own port."""
    (tmp_path / "by").mkdir()
    key = tmp_path / "by" / "key"
    host.keygen(key, "bystander")
    port = launcher._auto_plan(1, 0, 0, False)[0].port
    (tmp_path / "by" / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {key}\nUsePAM no\n"
        f"PidFile {tmp_path / 'by' / 'sshd.pid'}\n")
    started = [procs.spawn(["sleep", "300"], log_file=tmp_path / "by" / "sleep.log"),
               procs.spawn([procs.which("sshd") or "sshd", "-D", "-f",
                            str(tmp_path / "by" / "sshd_config")],
                           log_file=tmp_path / "by" / "sshd.log")]
    for _ in range(200):
        if procs.ssh_banner("127.0.0.1", port):
            break
        time.sleep(0.02)
    yield started
    procs.stop(started)


CHAINS = '<chains xmlns="urn:netorch:yang:service-chain"/>'


def _manager(inv: Inventory, name: str) -> Any:
    from ncclient import manager

    dev = inv.device(name).endpoint
    return manager.connect(host=dev.host, port=dev.port, username="netconf",
                           password="netconf", hostkey_verify=False, look_for_keys=False,
                           allow_agent=False, timeout=10)


def _commit_chain(inv: Inventory, name: str, chain: str) -> None:
    config = (f'<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
              f'<chains xmlns="urn:netorch:yang:service-chain"><chain><name>{chain}</name>'
              f'<hop><index>1</index><vnf>fw</vnf></hop></chain></chains></config>')
    with _manager(inv, name) as m:
        m.edit_config(target="candidate", config=config)
        m.commit()


def _chains(inv: Inventory, name: str) -> str:
    with _manager(inv, name) as m:
        data = m.get_config("running", filter=("subtree", CHAINS)).data_xml
    found = re.findall(r"<name>([^<]*)</name>", data)
    return ",".join(found)


def _netorch(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command in its own process (the lab outlives it)."""
    return subprocess.run([sys.executable, "-m", "netorch", *args], capture_output=True,
                          text=True, timeout=120)


def _cli(*args: str) -> tuple[int, str]:
    """The command in-process (quicker): exit code and output (stdout and stderr)."""
    result = CliRunner().invoke(app, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_life_cycle_stops_exactly_what_it_started(tmp_path: Path,
                                                  bystanders: list[procs.ProcId]) -> None:
    lab_dir = tmp_path / "lab"
    first = _netorch("lab", "up", "--devices", "1", "--dir", str(lab_dir), "--base-port", "0")
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    state = LabState.load(lab_dir)
    assert state is not None and len(state.processes) == 4  # netconfd, sshd, snmpd, sw1 sshd
    assert all(procs.alive(p.proc) for p in state.processes)
    assert all(host.netns_exists(ns) for ns in state.namespaces)

    code, output = _cli("lab", "up", "--devices", "1", "--dir", str(lab_dir), "--base-port", "0")
    assert code == 1
    assert "already running" in output and "lab down" in output
    with pytest.raises(launcher.LabRunning):
        launcher.up(lab_dir, 1, base_port=0)

    _commit_chain(Inventory.load(lab_dir), "pe1", "kept-across-restart")
    netconfd = next(p for p in state.processes if p.service == "netconfd")
    os.kill(netconfd.pid, signal.SIGKILL)
    for _ in range(200):
        if not procs.alive(netconfd.proc):
            break
        time.sleep(0.01)
    st = launcher.status(lab_dir)
    assert not st.healthy
    assert {s.service for s in st.services if not s.alive} == {"netconfd"}
    code, output = _cli("lab", "status", "--dir", str(lab_dir))
    assert code == 1
    assert re.search(rf"netconfd\s*│\s*{netconfd.pid}\s*│.*DOWN", output), output

    code, output = _cli("lab", "restart", "pe1", "--dir", str(lab_dir))
    assert code == 0, output
    assert launcher.status(lab_dir).healthy
    inv = Inventory.load(lab_dir)
    assert inv.device("pe1").processes["netconfd"] != netconfd.pid
    assert _chains(inv, "pe1") == "kept-across-restart"  # reloaded from its --startup file
    state = LabState.load(lab_dir)
    assert state is not None

    code, output = _cli("lab", "down", "--dir", str(lab_dir))
    assert code == 0, output
    assert "stopped 4 processes" in output
    assert not any(procs.alive(p.proc) for p in state.processes)
    assert not any(host.netns_exists(ns) for ns in state.namespaces)
    assert not Path(state.runtime_dir or "/nonexistent").exists()
    assert all(procs.alive(p) for p in bystanders), "down touched a process it did not start"

    code, output = _cli("lab", "down", "--dir", str(lab_dir))
    assert code == 0 and "no lab process" in output
    assert _cli("lab", "status", "--dir", str(lab_dir))[0] == 1


def test_up_over_a_dead_lab_cleans_it_and_starts_again(tmp_path: Path) -> None:
    inv = launcher.up(tmp_path / "lab", 1, base_port=0, cli_devices=0, snmp=False)
    try:
        old = LabState.load(inv.lab_dir)
        assert old is not None
        procs.stop([p.proc for p in old.processes])  # crashed: state.json stays behind
        again = launcher.up(inv.lab_dir, 1, base_port=0, cli_devices=0, snmp=False)
        assert launcher.status(inv.lab_dir).healthy
        assert "<hello" in _netconf_hello(again, "pe1")
    finally:
        launcher.down(inv.lab_dir)
    assert not any(host.netns_exists(ns) for ns in old.namespaces)


def test_a_stale_namespace_is_replaced(tmp_path: Path) -> None:
    port = launcher._auto_plan(1, 0, 0, False)[0].port
    stale = f"nclab-{port}"
    procs.run(["ip", "netns", "add", stale])  # a crashed lab's leftover, without eth0
    try:
        launcher.up(tmp_path / "lab", 1, base_port=port, cli_devices=0, snmp=False)
        links = procs.run(["ip", "-n", stale, "-br", "link"]).stdout
        assert "eth0" in links and "eth1" in links
    finally:
        launcher.down(tmp_path / "lab")
        host.netns_delete(stale)
    assert not host.netns_exists(stale)


def test_what_cannot_start_is_reported_and_the_rest_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_which = procs.which
    monkeypatch.setattr(procs, "which",
                        lambda name: None if name == "netconfd" else real_which(name))
    result = CliRunner().invoke(app, ["lab", "up", "-n", "1", "--cli-devices", "0",
                                      "--base-port", "0", "--dir", str(tmp_path / "lab")])
    try:
        assert result.exit_code == 0, result.output
        assert "not started: pe1/netconfd: missing netconfd (apt-get install netconfd" \
            in result.output
        inv = Inventory.load(tmp_path / "lab")
        pe1 = inv.device("pe1")
        assert pe1.endpoint.driver is DeviceDriverKind.SNMP_ONLY
        assert list(pe1.processes) == ["snmpd"]
        snmp = pe1.endpoint.snmp
        assert snmp is not None
        assert procs.snmp_get_string(snmp.host, snmp.port, "public") == "pe1"
    finally:
        launcher.down(tmp_path / "lab")


def test_without_root_only_snmpd_starts(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(procs, "is_root", lambda: False)
    inv = launcher.up(tmp_path / "lab", 1, base_port=0)
    try:
        reasons = {(s.device, s.service): s.reason for s in inv.skipped}
        assert set(reasons) == {("pe1", "netconfd"), ("sw1", "sshd")}
        assert all("needs root" in r for r in reasons.values())
        assert [d.endpoint.driver for d in inv.devices] == [DeviceDriverKind.SNMP_ONLY]
    finally:
        launcher.down(tmp_path / "lab")


def test_a_service_that_does_not_come_up_is_an_error_and_nothing_stays(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from netorch.lab import daemons

    real = daemons.NetconfdSetup.argv

    def bad_argv(self: daemons.NetconfdSetup, ip: str, netconfd: str) -> list[str]:
        return [*real(self, ip, netconfd), "--no-such-option"]

    monkeypatch.setattr(daemons.NetconfdSetup, "argv", bad_argv)
    with pytest.raises(launcher.LabError, match=r"pe1/netconfd .*exited") as caught:
        launcher.up(tmp_path / "lab", 1, base_port=0, cli_devices=0, timeout=10)
    assert "netconfd.out" in str(caught.value)
    state = LabState.load(tmp_path / "lab")
    assert state is not None
    assert not any(procs.alive(p.proc) for p in state.processes)
    assert not any(host.netns_exists(ns) for ns in state.namespaces)
    launcher.down(tmp_path / "lab")
