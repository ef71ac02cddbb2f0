"""The session lab: real devices started once per test session with :mod:`netorch.lab`.

Use it from a test module (``pythonpath=tests`` makes this importable)::

    from lab_fixture import lab_device, lab_env_fixture, lab_session_fixture  # noqa: F401

    def test_something(lab: Inventory) -> None:
        pe1 = lab_device(lab, "pe1").endpoint  # DeviceEndpoint (netconf, yuma123, :candidate)
        sw1 = lab.device("sw1").endpoint       # DeviceEndpoint (cli, linux: netmiko)
        lab.secrets_file, lab.known_hosts      # credentials (0600) and host keys

The fixtures are named ``lab`` and ``lab_env``; importing them by their function names keeps
ruff's F811 quiet about the test parameters.

Devices: ``pe1``, ``pe2`` (NETCONF, ``--target=candidate``), ``pe3`` (NETCONF,
``--target=running``: no :candidate), each with its own snmpd (sysName = device name); ``sw1``
(SSH shell, netmiko ``linux``). Ports are a free block picked at start, so several sessions can
run side by side. The devices are shared by every test of the session: name what you configure
after your test, and remove it.

``chain_inputs(lab)`` gives the inputs of service-templates/stitched-chain.yaml.
``lab_env`` points ``NETORCH_SECRETS_FILE`` / ``NETORCH_KNOWN_HOSTS`` at the lab's files for
one test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from netorch.cli.lab import yang_dir
from netorch.lab import launcher
from netorch.lab.inventory import Inventory, LabDevice

LAB_DEVICES = 3
LAB_RUNNING_ONLY = 1


def lab_unavailable() -> str | None:
    """Why the lab cannot run here, or None."""
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces, login users, sshd password auth)"
    return None


@pytest.fixture(scope="session", name="lab")
def lab_session_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inventory]:
    """The running lab's inventory (started once per session, stopped at its end)."""
    reason = lab_unavailable()
    if reason:
        pytest.skip(reason)
    lab_dir = tmp_path_factory.mktemp("lab")
    inventory = launcher.up(lab_dir, LAB_DEVICES, base_port=0, running_only=LAB_RUNNING_ONLY,
                            yang_dir=yang_dir())
    try:
        yield inventory
    finally:
        launcher.down(lab_dir)


def lab_device(lab: Inventory, name: str) -> LabDevice:
    """``lab.device(name)``, or skip the test with the reason the device did not start."""
    if not lab.has(name):
        pytest.skip("; ".join(str(s) for s in lab.skipped if s.device == name)
                    or f"no device {name} in the lab")
    return lab.device(name)


@pytest.fixture(name="lab_env")
def lab_env_fixture(lab: Inventory, monkeypatch: pytest.MonkeyPatch) -> Inventory:
    """The lab, with the settings pointing at its secrets and known-hosts files."""
    monkeypatch.setenv("NETORCH_SECRETS_FILE", str(lab.secrets_file))
    monkeypatch.setenv("NETORCH_KNOWN_HOSTS", str(lab.known_hosts))
    return lab


def chain_inputs(lab: Inventory) -> dict[str, object]:
    """Inputs for service-templates/stitched-chain.yaml (pe1, pe2, sw1). ``lab.inputs_file``
    also names pe3, which that template does not declare (undeclared inputs are refused)."""
    snmp = {f"{n}_snmp_port": access.port for n in ("pe1", "pe2")
            if (access := lab.device(n).endpoint.snmp) is not None}
    return {"device_address": "127.0.0.1",
            **{f"{n}_port": lab.device(n).endpoint.port for n in ("pe1", "pe2", "sw1")},
            **snmp}
