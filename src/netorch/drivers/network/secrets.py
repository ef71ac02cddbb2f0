"""Device credentials by name: the secrets file, and the environment that wins over it.

The secrets file is YAML (mode 0600; ``NETORCH_SECRETS_FILE``, default
``$NETORCH_HOME/secrets.yaml``)::

    credentials:
      pe1: {username: netconf, password: netconf}        # or key_file: /path/to/key
    snmp:
      pe1-snmp: {community: public}                      # SNMPv2c (RFC 3416)
      pe1-snmp-v3: {user: u, auth_key: …, auth_protocol: SHA, priv_key: …, priv_protocol: AES}

Environment variables win over the file, field by field: ``NETORCH_CRED_<NAME>_USERNAME``,
``_PASSWORD``, ``_KEY_FILE`` for device logins and ``NETORCH_SNMP_<NAME>_<FIELD>`` (e.g.
``NETORCH_SNMP_PE1_SNMP_COMMUNITY``) for SNMP, with ``NAME`` upper-cased and ``-`` → ``_``.

Secrets are never logged, and errors name the credentials and the file, never a value.
Shared by the NETCONF, CLI and SNMP drivers.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from netorch.model.errors import PermanentError
from netorch.model.network import Credentials

log = logging.getLogger(__name__)

SNMP_FIELDS = ("community", "user", "auth_key", "auth_protocol", "priv_key", "priv_protocol")


def default_secrets_file() -> Path:
    """``$NETORCH_SECRETS_FILE``, else ``$NETORCH_HOME/secrets.yaml`` (home default
    ``~/.netorch``), as the settings define it."""
    explicit = os.environ.get("NETORCH_SECRETS_FILE")
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get("NETORCH_HOME")
    return (Path(home) if home else Path.home() / ".netorch").expanduser() / "secrets.yaml"


def _env_name(name: str) -> str:
    return name.upper().replace("-", "_").replace(".", "_")


_PARSED: dict[Path, tuple[tuple[int, int, int, int], Mapping[str, Any]]] = {}
"""Parsed secrets files, kept while inode, size, mtime and mode stay the same: a transaction
opens a session per device, and parsing a lab's file of 100 entries costs ~10 ms of CPU."""
_PARSED_LOCK = threading.Lock()
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(path: Path) -> Mapping[str, Any]:
    try:
        st = path.stat()
    except FileNotFoundError:
        return {}
    signature = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode)
    with _PARSED_LOCK:
        hit = _PARSED.get(path)
    if hit is not None and hit[0] == signature:
        return hit[1]
    data = _parse(path, st.st_mode)
    with _PARSED_LOCK:
        _PARSED[path] = (signature, data)
    return data


def _parse(path: Path, mode: int) -> Mapping[str, Any]:
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("secrets file %s is readable by group or others (mode %o); use 0600",
                    path, stat.S_IMODE(mode))
    try:
        data = yaml.load(path.read_text(), Loader=_LOADER) or {}
    except (OSError, yaml.YAMLError) as exc:
        # The parser's message may quote the file's content: do not pass it on.
        raise PermanentError(f"secrets file {path} cannot be read "
                             f"({type(exc).__name__})") from None
    if not isinstance(data, Mapping):
        raise PermanentError(f"secrets file {path} is not a mapping")
    return data


def _section(path: Path, section: str, name: str) -> dict[str, str]:
    entries = _load(path).get(section) or {}
    if not isinstance(entries, Mapping):
        raise PermanentError(f"secrets file {path}: {section!r} is not a mapping")
    entry = entries.get(name) or {}
    if not isinstance(entry, Mapping):
        raise PermanentError(f"secrets file {path}: {section}.{name} is not a mapping")
    return {str(k): str(v) for k, v in entry.items() if v is not None}


def resolve_credentials(name: str, secrets_file: Path | None = None) -> Credentials:
    """The login named ``name`` (a :attr:`DeviceEndpoint.credentials` reference).

    Raises :class:`PermanentError` when neither the environment nor the file has a username
    and a password or key file for it.
    """
    path = secrets_file or default_secrets_file()
    fields = _section(path, "credentials", name)
    prefix = f"NETORCH_CRED_{_env_name(name)}_"
    for field, env in (("username", "USERNAME"), ("password", "PASSWORD"),
                       ("key_file", "KEY_FILE")):
        value = os.environ.get(prefix + env)
        if value:
            fields[field] = value
    username = fields.get("username")
    if not username or not (fields.get("password") or fields.get("key_file")):
        raise PermanentError(
            f"no credentials named {name!r}: set {prefix}USERNAME and {prefix}PASSWORD "
            f"(or {prefix}KEY_FILE), or add credentials.{name} to {path}")
    key_file = fields.get("key_file")
    return Credentials(username=username, password=fields.get("password"),
                       key_file=None if key_file is None else str(Path(key_file).expanduser()))


def resolve_snmp(name: str, secrets_file: Path | None = None) -> dict[str, str]:
    """The SNMP parameters named ``name``: ``community`` (v2c) or ``user``, ``auth_key``,
    ``auth_protocol``, ``priv_key``, ``priv_protocol`` (v3 USM, RFC 3414)."""
    path = secrets_file or default_secrets_file()
    fields = {k: v for k, v in _section(path, "snmp", name).items() if k in SNMP_FIELDS}
    prefix = f"NETORCH_SNMP_{_env_name(name)}_"
    for field in SNMP_FIELDS:
        value = os.environ.get(prefix + field.upper())
        if value:
            fields[field] = value
    if not fields.get("community") and not fields.get("user"):
        raise PermanentError(
            f"no SNMP credentials named {name!r}: set {prefix}COMMUNITY (v2c) or "
            f"{prefix}USER and its keys (v3), or add snmp.{name} to {path}")
    return fields
