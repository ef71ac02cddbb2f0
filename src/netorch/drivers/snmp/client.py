"""The SNMP driver (pysnmp 7.1, asyncio ``hlapi.v3arch``): GET and subtree walks (RFC 3416
§4.2.1, §4.2.2) over SNMPv2c (RFC 1901) or SNMPv3 USM (RFC 3414), typed helpers for the system
group and the ifTable, and a device health summary.

Error mapping: no answer before the timeout (unreachable agent, and also a wrong v2c community
or a wrong v3 privacy key, which agents silently drop) is a
:class:`~netorch.model.errors.TemporaryError`; USM authentication failures the agent reports
(``usmStatsWrongDigests``, ``usmStatsUnknownUserNames``, ``usmStatsDecryptionErrors``, RFC 3414
§3.2) and access errors are :class:`~netorch.model.errors.PermanentError` carrying the text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    get_cmd,
    usm3DESEDEPrivProtocol,
    usmAesCfb128Protocol,
    usmAesCfb192Protocol,
    usmAesCfb256Protocol,
    usmDESPrivProtocol,
    usmHMAC128SHA224AuthProtocol,
    usmHMAC192SHA256AuthProtocol,
    usmHMAC256SHA384AuthProtocol,
    usmHMAC384SHA512AuthProtocol,
    usmHMACMD5AuthProtocol,
    usmHMACSHAAuthProtocol,
    usmNoAuthProtocol,
    usmNoPrivProtocol,
    walk_cmd,
)
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.smi import builder, view

from netorch.drivers.network.secrets import resolve_snmp
from netorch.drivers.snmp import mapping
from netorch.drivers.snmp.auth import Community, SnmpAuth, UsmUser, auth_from_mapping
from netorch.drivers.snmp.types import DeviceHealth, InterfaceStatus, SnmpValue, SystemInfo
from netorch.model.errors import NetorchError, PermanentError, TemporaryError
from netorch.model.network import DeviceEndpoint, SnmpAccess

log = logging.getLogger(__name__)

SnmpResolver = Callable[[str], Mapping[str, Any]]

_AUTH = {"MD5": usmHMACMD5AuthProtocol, "SHA": usmHMACSHAAuthProtocol,
         "SHA224": usmHMAC128SHA224AuthProtocol, "SHA256": usmHMAC192SHA256AuthProtocol,
         "SHA384": usmHMAC256SHA384AuthProtocol, "SHA512": usmHMAC384SHA512AuthProtocol,
         "NONE": usmNoAuthProtocol}
_PRIV = {"DES": usmDESPrivProtocol, "3DES": usm3DESEDEPrivProtocol,
         "AES": usmAesCfb128Protocol, "AES128": usmAesCfb128Protocol,
         "AES192": usmAesCfb192Protocol, "AES256": usmAesCfb256Protocol,
         "NONE": usmNoPrivProtocol}

PERMANENT_INDICATIONS = frozenset({
    "WrongDigest", "DecryptionError", "UnknownUserName", "UnknownSecurityName",
    "UnsupportedSecurityLevel", "AuthenticationError", "AuthenticationFailure",
    "UnsupportedAuthProtocol", "UnsupportedPrivProtocol", "NoEncryption", "NoAuthentication",
    "EncryptionError", "UnknownCommunityName", "NoSuchView", "NoAccessEntry", "NoGroupName",
    "NoSuchContext", "NotAccessible"})
"""pysnmp error indications retrying cannot cure (wrong keys, unknown user, no access)."""

TEMPORARY_STATUSES = frozenset({"genErr", "tooBig", "resourceUnavailable"})
"""PDU error-status values (RFC 3416 §3) worth retrying; any other is permanent."""


def default_resolver() -> SnmpResolver:
    """``resolve_snmp`` on the default secrets file."""
    return resolve_snmp


def to_python(value: Any) -> SnmpValue:
    """A pysnmp (pyasn1) value as :data:`SnmpValue`."""
    if isinstance(value, rfc1905.NoSuchObject | rfc1905.NoSuchInstance | rfc1905.EndOfMibView
                  | rfc1902.Null):
        return None
    if isinstance(value, rfc1902.IpAddress):
        return ".".join(str(b) for b in value.asOctets())
    if hasattr(value, "asOctets"):                    # OCTET STRING, Opaque, BITS
        raw = bytes(value.asOctets())
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return "0x" + raw.hex()
        return text if text.isprintable() else "0x" + raw.hex()
    if hasattr(value, "asTuple"):                     # OBJECT IDENTIFIER
        return ".".join(str(x) for x in value.asTuple())
    try:
        return int(value)                             # INTEGER, Counter*, Gauge32, TimeTicks
    except (TypeError, ValueError):
        return str(value.prettyPrint())


def _oid(name: Any) -> str:
    return ".".join(str(x) for x in name)


class _NoMibCompiler:
    """Stands in for pysmi's MIB compiler: reports nothing compiled."""

    def compile(self, *names: str, **options: Any) -> dict[str, str]:
        return {}


class SnmpDriver:
    """SNMP polling for many devices; one :class:`SnmpEngine`, closed by :meth:`close`.
    Use one driver within one event loop (the engine's dispatcher binds to it)."""

    def __init__(self, *, resolver: SnmpResolver | None = None, timeout_s: float = 1.0,
                 retries: int = 1) -> None:
        self._resolver = resolver
        self.timeout_s = timeout_s
        self.retries = retries
        self._engine: SnmpEngine | None = None

    @property
    def engine(self) -> SnmpEngine:
        if self._engine is None:
            engine = SnmpEngine()
            # The command generator's MIB view (kept in the engine's cache) gets a compiler
            # that never compiles: OIDs here are numeric, and pysmi would otherwise build its
            # ASN.1 parser (seconds of CPU) and may try to fetch MIBs from the network.
            mibs = view.MibViewController(builder.MibBuilder())
            mibs.mibBuilder.set_mib_compiler(_NoMibCompiler(), "")
            engine.cache["mibViewController"] = mibs
            self._engine = engine
        return self._engine

    async def close(self) -> None:
        if self._engine is not None:
            self._engine.close_dispatcher()
            self._engine = None

    # -- plumbing --------------------------------------------------------------------------
    def _auth(self, target: SnmpAccess) -> SnmpAuth:
        if target.credentials is None:
            raise PermanentError(f"SNMP access to {target.host}:{target.port} names no "
                                 "credentials")
        resolver = self._resolver or default_resolver()
        try:
            data = resolver(target.credentials)
        except NetorchError:
            raise
        except Exception as exc:  # a resolver's own error type: no retry can help
            raise PermanentError(f"cannot resolve SNMP credentials {target.credentials!r}: "
                                 f"{type(exc).__name__}") from None
        return auth_from_mapping(target.version, data, target.credentials)

    def _auth_data(self, auth: SnmpAuth) -> CommunityData | UsmUserData:
        if isinstance(auth, Community):
            return CommunityData(auth.community, mpModel=1)
        assert isinstance(auth, UsmUser)
        return UsmUserData(auth.user, auth.auth_key, auth.priv_key,
                           authProtocol=_AUTH[auth.auth_protocol],
                           privProtocol=_PRIV[auth.priv_protocol])

    async def _target(self, target: SnmpAccess) -> UdpTransportTarget:
        try:
            return await UdpTransportTarget.create((target.host, target.port),
                                                   timeout=self.timeout_s, retries=self.retries)
        except Exception as exc:  # address resolution: DNS may come back
            raise TemporaryError(f"SNMP agent {target.host}:{target.port}: {exc}") from None

    @staticmethod
    def _check(target: SnmpAccess, indication: Any, status: Any, index: Any,
               var_binds: Sequence[Any]) -> None:
        where = f"SNMP agent {target.host}:{target.port}"
        if indication:
            text = str(indication)
            if type(indication).__name__ in PERMANENT_INDICATIONS:
                raise PermanentError(f"{where}: {text}")
            hint = (" (unreachable, or the agent dropped the request: wrong community or "
                    "privacy key)" if type(indication).__name__ == "RequestTimedOut" else "")
            raise TemporaryError(f"{where}: {text}{hint}")
        if status and int(status) != 0:
            name = str(status.prettyPrint())
            at = ""
            if index and int(index) <= len(var_binds):
                at = f" at {_oid(var_binds[int(index) - 1][0])}"
            if name in TEMPORARY_STATUSES:
                raise TemporaryError(f"{where}: {name}{at}")
            raise PermanentError(f"{where}: {name}{at}")

    # -- operations ------------------------------------------------------------------------
    async def get(self, target: SnmpAccess, oids: Sequence[str]) -> dict[str, SnmpValue]:
        """GET ``oids`` (numeric, dotted) in one request; absent instances map to ``None``."""
        auth = self._auth_data(self._auth(target))
        transport = await self._target(target)
        wanted = [oid.strip(".") for oid in oids]
        indication, status, index, var_binds = await get_cmd(
            self.engine, auth, transport, ContextData(),
            *(ObjectType(ObjectIdentity(oid)) for oid in wanted), lookupMib=False)
        self._check(target, indication, status, index, var_binds)
        got = {_oid(name): to_python(value) for name, value in var_binds}
        return {oid: got.get(oid) for oid in wanted}

    async def walk(self, target: SnmpAccess, oid: str) -> list[tuple[str, SnmpValue]]:
        """Every instance under ``oid`` (GETNEXT/GETBULK, stopping at the end of the subtree)."""
        auth = self._auth_data(self._auth(target))
        transport = await self._target(target)
        rows: list[tuple[str, SnmpValue]] = []
        async for indication, status, index, var_binds in walk_cmd(
                self.engine, auth, transport, ContextData(),
                ObjectType(ObjectIdentity(oid.strip("."))), lexicographicMode=False,
                lookupMib=False):
            self._check(target, indication, status, index, var_binds)
            rows.extend((_oid(name), to_python(value)) for name, value in var_binds)
        return rows

    async def system_info(self, target: SnmpAccess) -> SystemInfo:
        """sysDescr, sysObjectID, sysUpTime, sysName (RFC 3418 §2)."""
        return mapping.system_info(await self.get(target, mapping.SYSTEM_OIDS))

    async def interfaces(self, target: SnmpAccess) -> tuple[InterfaceStatus, ...]:
        """ifIndex, ifDescr, ifAdminStatus, ifOperStatus of every ifEntry (RFC 2863 §6)."""
        columns = {column: await self.walk(target, column)
                   for column in mapping.INTERFACE_COLUMNS}
        return mapping.interfaces(columns)

    async def health(self, device: DeviceEndpoint) -> DeviceHealth:
        """Reachable or not, uptime and interfaces that are down. An unreachable device is
        reported (``reachable=False``), not raised; bad credentials raise PermanentError."""
        if device.snmp is None:
            raise PermanentError(f"{device.name}: no SNMP access configured")
        try:
            info = await self.system_info(device.snmp)
            interfaces = await self.interfaces(device.snmp)
        except TemporaryError as exc:
            return DeviceHealth(device=device.name, reachable=False, error=str(exc))
        return DeviceHealth(device=device.name, reachable=True, uptime_s=info.uptime_s,
                            interfaces_down=tuple(i for i in interfaces if i.is_down))

    async def probe(self, device: DeviceEndpoint) -> dict[str, Any]:
        """The system group of a monitored-only device as a mapping (the network driver's
        prober)."""
        if device.snmp is None:
            raise PermanentError(f"{device.name}: no SNMP access configured")
        return (await self.system_info(device.snmp)).to_dict()
