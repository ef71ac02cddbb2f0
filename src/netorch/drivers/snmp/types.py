"""What the SNMP driver reports: the system group (RFC 3418 §2), the interfaces table
(RFC 2863 §6, ``ifTable``) and a device's health derived from both."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

SnmpValue = int | str | None
"""A polled value as Python: integers (INTEGER, Counter, Gauge, TimeTicks), strings (OCTET
STRING as text, OBJECT IDENTIFIER and IpAddress dotted), ``None`` for noSuchObject /
noSuchInstance / endOfMibView (RFC 3416 §4.2.1)."""


class IfStatus(IntEnum):
    """``ifAdminStatus`` / ``ifOperStatus`` values (RFC 2863 §6)."""

    UP = 1
    DOWN = 2
    TESTING = 3
    UNKNOWN = 4
    DORMANT = 5
    NOT_PRESENT = 6
    LOWER_LAYER_DOWN = 7


@dataclass(frozen=True, slots=True)
class SystemInfo:
    """The system group: sysDescr, sysObjectID, sysUpTime (hundredths of a second), sysName."""

    descr: str
    object_id: str
    uptime_ticks: int
    name: str

    @property
    def uptime_s(self) -> float:
        return self.uptime_ticks / 100.0

    def to_dict(self) -> dict[str, Any]:
        return {"descr": self.descr, "object_id": self.object_id,
                "uptime_ticks": self.uptime_ticks, "name": self.name}


@dataclass(frozen=True, slots=True)
class InterfaceStatus:
    """One ``ifEntry``: index, description, administrative and operational state."""

    index: int
    descr: str
    admin_status: int
    oper_status: int

    @property
    def is_down(self) -> bool:
        """Administratively up but not operating (``ifOperStatus`` ≠ up, RFC 2863 §3.1.13);
        an interface an operator shut down is not a fault."""
        return self.admin_status == IfStatus.UP and self.oper_status != IfStatus.UP

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "descr": self.descr, "admin_status": self.admin_status,
                "oper_status": self.oper_status}


@dataclass(frozen=True, slots=True)
class DeviceHealth:
    """A device as seen over SNMP: reachable or not, uptime, interfaces that are down."""

    device: str
    reachable: bool
    uptime_s: float | None = None
    interfaces_down: tuple[InterfaceStatus, ...] = ()
    error: str | None = None
    """Why the device could not be polled (unreachable / timeout)."""

    @property
    def healthy(self) -> bool:
        return self.reachable and not self.interfaces_down

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "reachable": self.reachable, "uptime_s": self.uptime_s,
                "interfaces_down": [i.to_dict() for i in self.interfaces_down],
                "error": self.error}
