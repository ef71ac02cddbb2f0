"""The stitched example service against the real lab: yuma123 netconfd behind sshd (pe1, pe2),
an SSH shell device (sw1), deployed through the engine like any service.

What must hold (issue 4): the deployment configures every device; terminate leaves each device
exactly as it was (get-config before == after); a change across devices is all-or-nothing, so
every fault below ends the operation in FAILED_TEMP with the failing device's own text and
leaves no device half-configured (checked by get-config on every device afterwards).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from lab_fixture import chain_inputs
from ncclient import manager

from helpers import REPO, write_vims
from netorch.lab.inventory import Inventory
from netorch.model.operations import OpState
from netorch.services.context import Context
from netorch.services.lifecycle import Lifecycle
from netorch.services.network_check import check_network
from netorch.services.settings import Settings

TEMPLATE = REPO / "service-templates" / "stitched-chain.yaml"
FILTER = ('<filter type="subtree">'
          '<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"/>'
          '<chains xmlns="urn:netorch:yang:service-chain"/>'
          '<vrfs xmlns="urn:netorch:yang:l3vpn"/></filter>')


def _secrets(inv: Inventory) -> dict[str, Any]:
    data = yaml.safe_load(inv.secrets_file.read_text())
    assert isinstance(data, dict)
    return data


def running_config(inv: Inventory, name: str) -> str:
    """The device's whole running configuration of the three modules netorch writes."""
    dev = inv.device(name).endpoint
    cred = _secrets(inv)["credentials"][dev.credentials]
    with manager.connect(host=dev.host, port=dev.port, username=cred["username"],
                         password=cred.get("password"), hostkey_verify=False,
                         look_for_keys=False, allow_agent=False, timeout=10) as m:
        return str(m.get_config("running").data_xml)


def snapshot(inv: Inventory, names: tuple[str, ...] = ("pe1", "pe2")) -> dict[str, str]:
    return {n: running_config(inv, n) for n in names}


def shell_config(inv: Inventory) -> str:
    """Everything the CLI device holds that netorch could have written (read over SSH)."""
    from netmiko import ConnectHandler

    dev = inv.device("sw1").endpoint
    cred = _secrets(inv)["credentials"][dev.credentials]
    with ConnectHandler(device_type="linux", host=dev.host, port=dev.port,
                        username=cred["username"], password=cred["password"]) as c:
        # (shell history is the login shell's, not configuration)
        return str(c.send_command("ls -A ~ | grep -vx .bash_history; cat ~/netorch*/* 2>/dev/null"))


@pytest.fixture
def make_lc(lab: Inventory, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Lifecycle]]:
    """A Lifecycle on a fresh SQLite store and sim VIM, pointed at the lab's credentials."""
    made: list[Context] = []

    def make(**settings: Any) -> Lifecycle:
        home = tmp_path / f"home{len(made)}"
        home.mkdir()
        base: dict[str, Any] = {
            "home": home, "vim_config": write_vims(home), "parallelism": 8,
            "max_attempts": 2, "backoff_initial_s": 0.05, "step_timeout_s": 30,
            "secrets_file": lab.secrets_file, "known_hosts": lab.known_hosts,
            "confirm_timeout_s": 30}
        base.update(settings)
        ctx = Context(Settings(**base))
        made.append(ctx)
        return Lifecycle(ctx)

    yield make
    for ctx in made:
        ctx.close()


def lab_inputs(inv: Inventory, **over: Any) -> dict[str, Any]:
    return {**chain_inputs(inv), **over}


def test_deploy_configures_every_device_and_terminate_leaves_them_as_they_were(
        lab: Inventory, make_lc: Callable[..., Lifecycle]) -> None:
    before, sw_before = snapshot(lab), shell_config(lab)
    lc = make_lc()
    op = lc.instantiate(TEMPLATE, "chain1", inputs=lab_inputs(lab, left_vlan=201,
                                                              right_vlan=202))
    assert op.state is OpState.COMPLETED, op.error
    during = snapshot(lab)
    assert "chain1-fw_nat_chain" in during["pe1"] and "chain1-fw_nat_chain" in during["pe2"]
    assert "chain1-left_net" in during["pe1"] and "65000:101" in during["pe1"]
    assert "chain1-right_net" in during["pe2"]
    assert "eth1.201" in during["pe1"] and "eth1.202" in during["pe2"]
    assert shell_config(lab) != sw_before
    assert "201" in shell_config(lab)

    check = check_network(lc.ctx, "chain1")
    assert check.configured and check.in_sync, check.to_dict()
    devices = {r.node_id: r for r in lc.store.resources("chain1") if r.kind.value == "device"}
    # adopted devices: what they announced (NETCONF hello) and their inventory (SNMP)
    assert "urn:ietf:params:netconf:capability:candidate:1.0" in \
        devices["pe1"].attributes["capabilities"]
    assert devices["pe1"].attributes["snmp"]["name"] == "pe1"
    assert devices["pe2"].attributes["snmp"]["name"] == "pe2"

    op = lc.terminate("chain1")
    assert op.state is OpState.COMPLETED, op.error
    assert snapshot(lab) == before
    assert shell_config(lab) == sw_before


def _edit(inv: Inventory, name: str, config: str) -> None:
    dev = inv.device(name).endpoint
    cred = _secrets(inv)["credentials"][dev.credentials]
    with manager.connect(host=dev.host, port=dev.port, username=cred["username"],
                         password=cred.get("password"), hostkey_verify=False,
                         look_for_keys=False, allow_agent=False, timeout=10) as m:
        m.edit_config(target="candidate", config=config)
        m.commit()


def test_drift_on_a_device_is_reported_then_scale_free_update_repairs_nothing_else(
        lab: Inventory, make_lc: Callable[..., Lifecycle]) -> None:
    lc = make_lc()
    op = lc.instantiate(TEMPLATE, "drift1", inputs=lab_inputs(lab, left_vlan=211,
                                                              right_vlan=212))
    assert op.state is OpState.COMPLETED, op.error
    try:
        _edit(lab, "pe1", '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
                          '<vrfs xmlns="urn:netorch:yang:l3vpn"><vrf><name>drift1-left_net'
                          '</name><rd>65000:999</rd></vrf></vrfs></config>')
        check = check_network(lc.ctx, "drift1")
        assert not check.in_sync
        assert [(d.device, d.intended, d.running) for d in check.drift] == [
            ("pe1", "65000:101", "65000:999")]
    finally:
        assert lc.terminate("drift1").state is OpState.COMPLETED


def test_update_changes_the_devices_in_place(
        lab: Inventory, make_lc: Callable[..., Lifecycle]) -> None:
    before = snapshot(lab)
    lc = make_lc()
    assert lc.instantiate(TEMPLATE, "upd1", inputs=lab_inputs(
        lab, left_vlan=291, right_vlan=292)).state is OpState.COMPLETED
    op = lc.update("upd1", {"left_vlan": 293})
    assert op.state is OpState.COMPLETED, op.error
    pe1 = running_config(lab, "pe1")
    assert "eth1.293" in pe1 and "eth1.291" not in pe1
    assert "293" in shell_config(lab)
    assert check_network(lc.ctx, "upd1").in_sync
    # the configuration was updated in place: its resource (and ledger key) is the same
    records = {r.node_id: r for r in lc.store.resources("upd1")}
    assert records["network-config"].kind.value == "netconfig"
    assert lc.terminate("upd1").state is OpState.COMPLETED
    assert snapshot(lab) == before


def test_heal_of_a_vnf_renders_its_new_address_onto_the_devices(
        lab: Inventory, make_lc: Callable[..., Lifecycle]) -> None:
    before = snapshot(lab)
    lc = make_lc()
    assert lc.instantiate(TEMPLATE, "heal1", inputs=lab_inputs(
        lab, left_vlan=311, right_vlan=312)).state is OpState.COMPLETED

    def port_address() -> str:
        recs = {r.node_id: r for r in lc.store.resources("heal1")}
        return str(recs["fw_left_port"].attributes["ip_address"])

    old = port_address()
    assert old in running_config(lab, "pe1")
    op = lc.heal("heal1", "fw_vm")
    assert op.state is OpState.COMPLETED, op.error
    new = port_address()
    assert new != old
    pe1 = running_config(lab, "pe1")
    assert new in pe1 and old not in pe1  # the chain hop follows the rebuilt VNF
    assert check_network(lc.ctx, "heal1").in_sync
    assert lc.terminate("heal1").state is OpState.COMPLETED
    assert snapshot(lab) == before


# ----- faults: each ends in FAILED_TEMP with the device's text, no device half-configured ---

def _deploy_fails(lab: Inventory, lc: Lifecycle, name: str, **inputs: Any) -> str:
    before = snapshot(lab)
    op = lc.instantiate(TEMPLATE, name, inputs=lab_inputs(lab, **inputs))
    assert op.state is OpState.FAILED_TEMP, op.state
    assert op.error
    assert snapshot(lab) == before, "a device was left half-configured"
    # and the operator can give up cleanly: rollback removes what the VIM got
    rolled = lc.rollback(op.id)
    assert rolled.state is OpState.ROLLED_BACK, rolled.error
    assert snapshot(lab) == before
    return op.error


def test_unreachable_device(lab: Inventory, make_lc: Callable[..., Lifecycle]) -> None:
    error = _deploy_fails(lab, make_lc(), "unreach", pe2_port=1, left_vlan=221,
                          right_vlan=222)
    assert "pe2" in error and "connect" in error


def test_wrong_credentials(lab: Inventory, make_lc: Callable[..., Lifecycle],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETORCH_CRED_PE2_PASSWORD", "not-the-password")
    error = _deploy_fails(lab, make_lc(), "badcred", left_vlan=231, right_vlan=232)
    assert "pe2" in error and "auth" in error.lower()
    assert "not-the-password" not in error


def test_unknown_host_key(lab: Inventory, make_lc: Callable[..., Lifecycle],
                          tmp_path: Path) -> None:
    pe2 = lab.device("pe2").endpoint
    lines = [ln for ln in lab.known_hosts.read_text().splitlines()
             if not ln.startswith(f"[{pe2.host}]:{pe2.port} ")]
    partial = tmp_path / "known_hosts"
    partial.write_text("\n".join(lines) + "\n")
    error = _deploy_fails(lab, make_lc(known_hosts=partial), "hostkey", left_vlan=241,
                          right_vlan=242)
    assert "pe2" in error and "host key" in error.lower()


def test_a_value_the_yang_model_refuses_fails_before_any_device_changes(
        lab: Inventory, make_lc: Callable[..., Lifecycle], tmp_path: Path) -> None:
    # TOSCA accepts any string as a route distinguisher; netorch-l3vpn's pattern does not, and
    # the payload is built through the YANG bindings, so the value never reaches a device.
    bad = tmp_path / "bad-rd.yaml"
    bad.write_text(TEMPLATE.read_text().replace('rd: "65000:102"', 'rd: "not-an-rd"'))
    before = snapshot(lab)
    lc = make_lc()
    op = lc.instantiate(bad, "badrd", inputs=lab_inputs(lab, left_vlan=251, right_vlan=252))
    assert op.state is OpState.FAILED_TEMP
    assert op.error and "pe2" in op.error and "route-distinguisher" in op.error
    assert "YANGDynClass" not in op.error  # no generated code in an operator's error
    assert snapshot(lab) == before
    assert lc.rollback(op.id).state is OpState.ROLLED_BACK


FOREIGN_VRF = ('<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
               '<vrfs xmlns="urn:netorch:yang:l3vpn"><vrf><name>ops-vrf</name>'
               '<rd>64999:1</rd><attachment><interface>eth1.255</interface>'
               '<vlan-id>255</vlan-id></attachment></vrf></vrfs></config>')
REMOVE_FOREIGN_VRF = ('<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" '
                      'xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">'
                      '<vrfs xmlns="urn:netorch:yang:l3vpn" nc:operation="remove"/></config>')


def test_yang_validation_error_from_the_device(
        lab: Inventory, make_lc: Callable[..., Lifecycle]) -> None:
    # Someone configured VRF ops-vrf on pe2 by hand, attaching eth1.255. netorch's VRF wants
    # the same sub-interface: only the device knows (netorch-l3vpn's `must`: a sub-interface
    # is attached to at most one VRF), and it refuses the commit with an rpc-error.
    _edit(lab, "pe2", FOREIGN_VRF)
    try:
        before = snapshot(lab)
        lc = make_lc()
        op = lc.instantiate(TEMPLATE, "mustvrf",
                            inputs=lab_inputs(lab, left_vlan=254, right_vlan=255))
        assert op.state is OpState.FAILED_TEMP
        assert op.error and "pe2" in op.error
        assert "at most one VRF" in op.error  # the device's own error-message
        assert snapshot(lab) == before  # pe1 rolled back, pe2's own VRF untouched
        assert lc.rollback(op.id).state is OpState.ROLLED_BACK
    finally:
        _edit(lab, "pe2", REMOVE_FOREIGN_VRF)


def test_lock_held_by_another_session(lab: Inventory,
                                      make_lc: Callable[..., Lifecycle]) -> None:
    dev = lab.device("pe2").endpoint
    cred = _secrets(lab)["credentials"][dev.credentials]
    with manager.connect(host=dev.host, port=dev.port, username=cred["username"],
                         password=cred.get("password"), hostkey_verify=False,
                         look_for_keys=False, allow_agent=False, timeout=10) as other, \
            other.locked("candidate"):
        error = _deploy_fails(lab, make_lc(), "locked", left_vlan=261, right_vlan=262)
    assert "pe2" in error and "lock" in error.lower()


def test_device_killed_between_prepare_and_commit(
        lab: Inventory, make_lc: Callable[..., Lifecycle],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from netorch.drivers.network import transaction

    victim = Inventory.load(lab.lab_dir).device("pe2")  # current PIDs (after any restart)
    real = transaction.run_transaction
    killed: list[int] = []

    async def kill_before_commit(changes: Any, connectors: Any, **kw: Any) -> Any:
        # Wrap the pe2 session so that its commit first kills pe2's netconfd.
        from netorch.model.network import DeviceDriverKind

        base = connectors[DeviceDriverKind.NETCONF]

        class Killing:
            async def open(self, device: Any) -> Any:
                session = await base.open(device)
                if device.name == "pe2":
                    original = session.commit

                    async def commit(confirm_timeout_s: int | None) -> None:
                        pid = victim.processes["netconfd"]
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pid)
                        await original(confirm_timeout_s)

                    session.commit = commit
                return session

        wrapped = dict(connectors)
        wrapped[DeviceDriverKind.NETCONF] = Killing()
        return await real(changes, wrapped, **kw)

    monkeypatch.setattr("netorch.drivers.network.driver.run_transaction", kill_before_commit)
    before = running_config(lab, "pe1")
    lc = make_lc(max_attempts=1)
    op = lc.instantiate(TEMPLATE, "killed", inputs=lab_inputs(lab, left_vlan=271,
                                                              right_vlan=272))
    assert killed, "pe2 was never reached"
    assert op.state is OpState.FAILED_TEMP
    assert op.error and "pe2" in op.error
    assert running_config(lab, "pe1") == before
    from netorch.lab import launcher

    launcher.restart(lab.lab_dir, "pe2")
    assert "killed-" not in running_config(lab, "pe2")


def _shell(inv: Inventory, command: str) -> str:
    from netmiko import ConnectHandler

    dev = inv.device("sw1").endpoint
    cred = _secrets(inv)["credentials"][dev.credentials]
    with ConnectHandler(device_type="linux", host=dev.host, port=dev.port,
                        username=cred["username"], password=cred["password"]) as c:
        return str(c.send_command(command))


def test_cli_command_rejected_by_the_device(
        lab: Inventory, make_lc: Callable[..., Lifecycle]) -> None:
    # The switch refuses the configuration commands: where netorch keeps its entries is a
    # plain file, so every command writing an entry fails with the shell's own error text.
    _shell(lab, "touch ~/netorch-config")
    try:
        before, sw_before = snapshot(lab), shell_config(lab)
        lc = make_lc()
        op = lc.instantiate(TEMPLATE, "badcli",
                            inputs=lab_inputs(lab, left_vlan=281, right_vlan=282))
        assert op.state is OpState.FAILED_TEMP
        assert op.error and "sw1" in op.error
        assert "Not a directory" in op.error or "File exists" in op.error, op.error
        assert snapshot(lab) == before  # pe1 and pe2 rolled back
        assert shell_config(lab) == sw_before
        assert lc.rollback(op.id).state is OpState.ROLLED_BACK
    finally:
        _shell(lab, "rm -f ~/netorch-config")


# ----- netorch itself dies mid-transaction ---------------------------------------------------

KILLABLE = """
import asyncio, faulthandler, pathlib, sys
faulthandler.dump_traceback_later(150)  # into the log, should it ever hang
from netorch.drivers.netconf import session

MARKER = pathlib.Path(sys.argv[1])

async def confirm(self):  # stop between commit and confirm, and say so
    MARKER.write_text(self.device.name)
    await asyncio.sleep(3600)

session.NetconfSession.confirm = confirm
from netorch.cli.app import main
sys.argv = ["netorch", *sys.argv[2:]]
main()
"""


def _wait_for(what: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if what():
            return True
        time.sleep(0.2)
    return False


def test_sigkill_between_commit_and_confirm_leaves_no_device_configured(
        lab: Inventory, tmp_path: Path) -> None:
    before, sw_before = snapshot(lab), shell_config(lab)
    inputs = tmp_path / "inputs.yaml"
    inputs.write_text(yaml.safe_dump(lab_inputs(lab, left_vlan=301, right_vlan=302)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETORCH_")}
    env.update(NETORCH_HOME=str(tmp_path), NETORCH_SECRETS_FILE=str(lab.secrets_file),
               NETORCH_KNOWN_HOSTS=str(lab.known_hosts), NETORCH_CONFIRM_TIMEOUT_S="120",
               NETORCH_VIM_CONFIG=str(write_vims(tmp_path)), NETORCH_MAX_ATTEMPTS="1")
    marker = tmp_path / "committed"
    log_path = tmp_path / "out.log"
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-c", KILLABLE, str(marker), "deploy", str(TEMPLATE), "-n",
             "crash1", "--inputs", str(inputs)], env=env, stdout=log_file,
            stderr=subprocess.STDOUT)
        try:
            assert _wait_for(marker.exists, 120), log_path.read_text()[-6000:]
            assert _wait_for(lambda: "crash1-" in running_config(lab, "pe1"), 10)  # committed
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
    # RFC 6241 §8.4: the session of an unconfirmed commit is gone, so each PE goes back
    assert _wait_for(lambda: snapshot(lab) == before, 30), "a PE kept the unconfirmed commit"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "netorch", *args], env=env, text=True,
                              capture_output=True, timeout=300)

    ops = cli("ops", "crash1", "--json")
    assert ops.returncode == 0, ops.stderr
    op = json.loads(ops.stdout)[0]
    assert op["operationState"] == "FAILED_TEMP"  # the interrupted operation is found
    rolled = cli("rollback", op["id"])
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert snapshot(lab) == before
    assert shell_config(lab) == sw_before  # the CLI device, which has no confirmed commit
    doctor = cli("doctor", "--json")
    assert doctor.returncode == 0, doctor.stdout
