"""The lab's inventory file (``<lab>/inventory.yaml``): which simulated devices run where.

Each device entry is :meth:`netorch.model.network.DeviceEndpoint.to_dict` plus lab extras
(``pids``, ``netns``, ``target``, ``processes``); the file also names the secrets file and the
known-hosts file the drivers need, and lists what the lab could not start and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from netorch.model.network import DeviceDriverKind, DeviceEndpoint

INVENTORY_FILE = "inventory.yaml"
SECRETS_FILE = "secrets.yaml"
KNOWN_HOSTS_FILE = "known_hosts"
INPUTS_FILE = "inputs.yaml"
ENV_FILE = "env.sh"
STATE_FILE = "state.json"


@dataclass(frozen=True, slots=True)
class Skipped:
    """A service the lab did not start, and why (not root, a missing binary …)."""

    device: str
    service: str
    reason: str

    def __str__(self) -> str:
        return f"{self.device}/{self.service}: {self.reason}"

    def to_dict(self) -> dict[str, str]:
        return {"device": self.device, "service": self.service, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class LabDevice:
    """One simulated device: how to reach it (``endpoint``) and what runs it."""

    endpoint: DeviceEndpoint
    processes: Mapping[str, int] = field(default_factory=dict)
    """service name (``netconfd``, ``sshd``, ``snmpd``) → PID."""
    netns: str | None = None
    target: str | None = None
    """NETCONF: ``candidate`` (has :candidate) or ``running`` (writes go to running)."""
    extras: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.endpoint.name

    @property
    def pids(self) -> list[int]:
        return list(self.processes.values())

    def to_dict(self) -> dict[str, Any]:
        d = self.endpoint.to_dict()
        if d["snmp"] is None:
            del d["snmp"]
        d["pids"] = self.pids
        d["processes"] = dict(self.processes)
        if self.netns is not None:
            d["netns"] = self.netns
        if self.target is not None:
            d["target"] = self.target
        d.update(self.extras)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> LabDevice:
        known = {"name", "driver", "platform", "host", "port", "credentials", "snmp", "pids",
                 "processes", "netns", "target"}
        return cls(endpoint=DeviceEndpoint.from_dict(d),
                   processes={str(k): int(v) for k, v in (d.get("processes") or {}).items()},
                   netns=d.get("netns"), target=d.get("target"),
                   extras={k: v for k, v in d.items() if k not in known})


@dataclass(frozen=True, slots=True)
class Inventory:
    """The parsed ``inventory.yaml``."""

    lab_dir: Path
    secrets_file: Path
    known_hosts: Path
    inputs_file: Path
    devices: tuple[LabDevice, ...]
    skipped: tuple[Skipped, ...] = ()

    def device(self, name: str) -> LabDevice:
        for d in self.devices:
            if d.name == name:
                return d
        raise KeyError(f"no device {name!r} in the lab at {self.lab_dir}"
                       + "".join(f"\n  not started: {s}" for s in self.skipped
                                 if s.device == name))

    def has(self, name: str) -> bool:
        return any(d.name == name for d in self.devices)

    def endpoints(self, driver: DeviceDriverKind | None = None) -> list[DeviceEndpoint]:
        return [d.endpoint for d in self.devices
                if driver is None or d.endpoint.driver is driver]

    def to_dict(self) -> dict[str, Any]:
        return {"lab_dir": str(self.lab_dir), "secrets_file": str(self.secrets_file),
                "known_hosts": str(self.known_hosts), "inputs_file": str(self.inputs_file),
                "devices": [d.to_dict() for d in self.devices],
                "skipped": [s.to_dict() for s in self.skipped]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Inventory:
        lab_dir = Path(d["lab_dir"])
        return cls(lab_dir=lab_dir, secrets_file=Path(d["secrets_file"]),
                   known_hosts=Path(d["known_hosts"]),
                   inputs_file=Path(d.get("inputs_file") or lab_dir / INPUTS_FILE),
                   devices=tuple(LabDevice.from_dict(x) for x in d.get("devices") or ()),
                   skipped=tuple(Skipped(str(s["device"]), str(s["service"]), str(s["reason"]))
                                 for s in d.get("skipped") or ()))

    def write(self) -> Path:
        path = self.lab_dir / INVENTORY_FILE
        path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False))
        return path

    @classmethod
    def load(cls, lab_dir: Path) -> Inventory:
        """Read ``<lab_dir>/inventory.yaml`` (FileNotFoundError when no lab was started)."""
        data = yaml.safe_load((lab_dir / INVENTORY_FILE).read_text())
        return cls.from_dict(data)
