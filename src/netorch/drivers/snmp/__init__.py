"""SNMP driver (pysnmp): inventory and health polling over SNMPv2c / SNMPv3 USM."""

from __future__ import annotations

from netorch.drivers.snmp.client import SnmpDriver, SnmpResolver
from netorch.drivers.snmp.types import DeviceHealth, InterfaceStatus, SnmpValue, SystemInfo

__all__ = ["DeviceHealth", "InterfaceStatus", "SnmpDriver", "SnmpResolver", "SnmpValue",
           "SystemInfo"]
