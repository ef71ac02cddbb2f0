"""SNMP credentials as the secrets file holds them: a v2c community (RFC 1901) or a v3 USM
user with authentication and privacy keys (RFC 3414 §3, RFC 3826 AES). ``repr`` hides every
secret."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netorch.model.errors import PermanentError

AUTH_PROTOCOLS = ("MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512", "NONE")
PRIV_PROTOCOLS = ("DES", "3DES", "AES", "AES128", "AES192", "AES256", "NONE")


@dataclass(frozen=True, slots=True)
class Community:
    """SNMPv2c community."""

    community: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class UsmUser:
    """SNMPv3 USM user (authPriv when both keys are set)."""

    user: str
    auth_key: str | None = field(default=None, repr=False)
    auth_protocol: str = "SHA"
    priv_key: str | None = field(default=None, repr=False)
    priv_protocol: str = "AES"


SnmpAuth = Community | UsmUser


def _protocol(value: Any, known: tuple[str, ...], what: str) -> str:
    name = str(value).upper().replace("-", "")
    if name not in known:
        raise PermanentError(f"unknown SNMPv3 {what} protocol {value!r} "
                             f"(known: {', '.join(known)})")
    return name


def auth_from_mapping(version: str, data: Mapping[str, Any], name: str) -> SnmpAuth:
    """The credentials named ``name`` for SNMP ``version`` (``2c`` or ``3``)."""
    if version in {"2c", "2", "v2c", "1"}:
        community = data.get("community")
        if not community:
            raise PermanentError(f"SNMP credentials {name!r} have no community")
        return Community(str(community))
    if version in {"3", "v3"}:
        user = data.get("user") or data.get("username")
        if not user:
            raise PermanentError(f"SNMP credentials {name!r} have no v3 user")
        auth_key = data.get("auth_key")
        priv_key = data.get("priv_key")
        return UsmUser(
            user=str(user), auth_key=None if auth_key is None else str(auth_key),
            auth_protocol=_protocol(data.get("auth_protocol", "SHA" if auth_key else "NONE"),
                                    AUTH_PROTOCOLS, "authentication"),
            priv_key=None if priv_key is None else str(priv_key),
            priv_protocol=_protocol(data.get("priv_protocol", "AES" if priv_key else "NONE"),
                                    PRIV_PROTOCOLS, "privacy"))
    raise PermanentError(f"unsupported SNMP version {version!r} (2c or 3)")
