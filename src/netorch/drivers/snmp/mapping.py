"""Numeric OIDs and the mapping from polled values to result types. IF-MIB is not bundled with
pysnmp, so the ifTable columns are addressed by number (RFC 2863 §6; RFC 1213 §6.5)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from netorch.drivers.snmp.types import InterfaceStatus, SnmpValue, SystemInfo

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYSTEM_OIDS = (SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME)

IF_TABLE_ENTRY = "1.3.6.1.2.1.2.2.1"
IF_INDEX = IF_TABLE_ENTRY + ".1"
IF_DESCR = IF_TABLE_ENTRY + ".2"
IF_ADMIN_STATUS = IF_TABLE_ENTRY + ".7"
IF_OPER_STATUS = IF_TABLE_ENTRY + ".8"
INTERFACE_COLUMNS = (IF_INDEX, IF_DESCR, IF_ADMIN_STATUS, IF_OPER_STATUS)


def _text(value: SnmpValue) -> str:
    return "" if value is None else str(value)


def _int(value: SnmpValue) -> int:
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return 0


def system_info(values: Mapping[str, SnmpValue]) -> SystemInfo:
    """The system group from a GET of :data:`SYSTEM_OIDS`."""
    return SystemInfo(descr=_text(values.get(SYS_DESCR)),
                      object_id=_text(values.get(SYS_OBJECT_ID)),
                      uptime_ticks=_int(values.get(SYS_UPTIME)),
                      name=_text(values.get(SYS_NAME)))


def interfaces(columns: Mapping[str, Sequence[tuple[str, SnmpValue]]]) -> tuple[
        InterfaceStatus, ...]:
    """Rows of the ifTable from walks of :data:`INTERFACE_COLUMNS` (column OID → ``(oid,
    value)`` pairs), keyed by the instance index (the last sub-identifier)."""
    rows: dict[int, dict[str, SnmpValue]] = {}
    for column, pairs in columns.items():
        for oid, value in pairs:
            if not oid.startswith(column + "."):
                continue
            index = _int(oid[len(column) + 1:])
            rows.setdefault(index, {})[column] = value
    return tuple(
        InterfaceStatus(index=index, descr=_text(row.get(IF_DESCR)),
                        admin_status=_int(row.get(IF_ADMIN_STATUS)),
                        oper_status=_int(row.get(IF_OPER_STATUS)))
        for index, row in sorted(rows.items()))
