"""netmiko underneath the CLI driver: connect (with host-key checking), show, push.

Everything here is synchronous (netmiko is); :mod:`netorch.drivers.cli.session` runs it in a
worker thread. netmiko's session log stays off and credentials are passed straight to it, so no
secret reaches a log. Errors are mapped onto the engine's taxonomy: unreachable / timeouts are
:class:`~netorch.model.errors.TemporaryError`; bad credentials, an unknown or changed host key
(RFC 4251 §4.1) and lines the device rejects are :class:`~netorch.model.errors.PermanentError`
carrying the device's own text.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko
from netmiko import ConnectHandler
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadException,
    ReadTimeout,
    WriteException,
)

from netorch.drivers.cli.platform import CliPlatform
from netorch.model.errors import PermanentError, TemporaryError
from netorch.model.network import Credentials, DeviceEndpoint, DeviceError

log = logging.getLogger(__name__)

RC_MARK = "__netorch_rc"
"""Printed after every line on shells (``echo __netorch_rc=$?``) to read the exit status."""
_RC = re.compile(RC_MARK + r"=(\d+)")
_SESSION_ERRORS = (ReadTimeout, ReadException, WriteException, OSError, EOFError)


@dataclass(frozen=True, slots=True)
class SshTrust:
    """Where the devices' host keys are and whether unknown ones may be learnt (TOFU)."""

    known_hosts: Path
    tofu: bool = False

    @classmethod
    def from_env(cls) -> SshTrust:
        """``NETORCH_KNOWN_HOSTS`` (default ``$NETORCH_HOME/known_hosts``) and
        ``NETORCH_SSH_TOFU=1`` — the same settings the services layer reads."""
        home = Path(os.environ.get("NETORCH_HOME") or "~/.netorch").expanduser()
        path = os.environ.get("NETORCH_KNOWN_HOSTS")
        tofu = os.environ.get("NETORCH_SSH_TOFU", "").strip().lower() in {"1", "true", "yes"}
        return cls(Path(path).expanduser() if path else home / "known_hosts", tofu)


def failure(device: str, stage: str, message: str) -> PermanentError:
    """A permanent failure carrying the device's own text (:class:`DeviceError` wording)."""
    return PermanentError(str(DeviceError(device=device, stage=stage, message=message.strip())))


def connect(device: DeviceEndpoint, platform: CliPlatform, creds: Credentials,
            trust: SshTrust, timeout_s: float) -> Any:
    """An open netmiko connection (``BaseConnection``), privileged when the platform needs it."""
    if creds.password is None and creds.key_file is None:
        raise PermanentError(f"{device.name}: credentials {device.credentials!r} have neither a "
                             "password nor a key file")
    if trust.tofu:
        trust.known_hosts.parent.mkdir(parents=True, exist_ok=True)
        trust.known_hosts.touch(mode=0o600, exist_ok=True)   # paramiko saves learnt keys here
    params: dict[str, Any] = {
        "device_type": platform.device_type, "host": device.host, "port": device.port,
        "username": creds.username, "password": creds.password or "", "secret": "",
        "use_keys": creds.key_file is not None, "key_file": creds.key_file,
        "allow_agent": False, "ssh_strict": not trust.tofu, "system_host_keys": False,
        "alt_host_keys": True, "alt_key_file": str(trust.known_hosts),
        "conn_timeout": timeout_s, "auth_timeout": timeout_s, "banner_timeout": timeout_s,
        "session_log": None,
    }
    where = f"{device.host}:{device.port}"
    try:
        conn = ConnectHandler(**params)
    except NetmikoAuthenticationException:
        raise failure(device.name, "connect",
                      f"authentication failed for user {creds.username!r} at {where}") from None
    except (NetmikoTimeoutException, paramiko.SSHException) as exc:
        raise _connect_error(device, where, trust, exc) from None
    except (OSError, EOFError, ReadTimeout) as exc:
        raise TemporaryError(f"{device.name}: SSH to {where} failed: {exc}") from None
    try:
        if platform.uses_enable:
            conn.enable()
    except (ReadTimeout, ValueError, OSError) as exc:
        disconnect(conn)
        raise failure(device.name, "enable", str(exc)) from None
    return conn


def _connect_error(device: DeviceEndpoint, where: str, trust: SshTrust,
                   exc: BaseException) -> PermanentError | TemporaryError:
    """netmiko wraps every paramiko ``SSHException`` of the handshake in
    ``NetmikoTimeoutException``; the original is its ``__context__``."""
    cause = exc.__context__ if isinstance(exc, NetmikoTimeoutException) else exc
    text = str(cause if cause is not None else exc)
    if isinstance(cause, paramiko.BadHostKeyException):
        return failure(device.name, "connect",
                       f"host key of {where} does not match {trust.known_hosts}: {cause}")
    if "not found in known_hosts" in text:
        return failure(device.name, "connect",
                       f"host key of {where} is not in {trust.known_hosts} "
                       "(add it, or set NETORCH_SSH_TOFU=1 to learn it)")
    if isinstance(cause, OSError) or "TCP connection to device failed" in text:
        return TemporaryError(f"{device.name}: cannot reach {where}: {cause or exc}")
    first = next((line for line in text.splitlines() if line.strip()), type(exc).__name__)
    return TemporaryError(f"{device.name}: SSH to {where} failed: {first.strip()}")


def _prompt_pattern(conn: Any) -> str:
    return re.escape(str(conn.base_prompt)) + r"[^\n]*[#>$]"


def show(conn: Any, commands: Sequence[str], device: str) -> list[str]:
    """The output of each show command."""
    try:
        return [str(conn.send_command(cmd, read_timeout=30)) for cmd in commands]
    except _SESSION_ERRORS as exc:
        raise TemporaryError(f"{device}: show failed: {exc}") from None


def _rejected(output: str, platform: CliPlatform) -> bool:
    status = _RC.search(output)
    if status is not None and status.group(1) != "0":
        return True
    return any(marker in output for marker in platform.error_markers)


def push(conn: Any, platform: CliPlatform, lines: Sequence[str], device: str,
         stage: str = "commit") -> str:
    """Send ``lines`` one by one, stopping at the first one the device rejects
    (:class:`PermanentError` with the line and the device's answer). Configuration mode is
    entered and left (with ``exit``: IOS ``end`` is not universal) when the platform has one."""
    transcript: list[str] = []
    try:
        if platform.config_mode and lines:
            conn.config_mode()
        try:
            for line in lines:
                if platform.config_mode:
                    out = str(conn.send_command(line, expect_string=_prompt_pattern(conn),
                                                read_timeout=30))
                else:
                    out = str(conn.send_command(f"{line}; echo {RC_MARK}=$?", read_timeout=30))
                if _rejected(out, platform):
                    text = _RC.sub("", out).strip() or "(no output)"
                    raise failure(device, stage, f"device rejected {line!r}: {text}")
                transcript.append(out)
        finally:
            if platform.config_mode and lines:
                _leave_config(conn)
    except _SESSION_ERRORS as exc:
        raise TemporaryError(f"{device}: {stage}: session failed: {exc}") from None
    return "\n".join(transcript)


def _leave_config(conn: Any) -> None:
    for _ in range(4):
        if not conn.check_config_mode():
            return
        conn.send_command("exit", expect_string=_prompt_pattern(conn), read_timeout=30)


def disconnect(conn: Any) -> None:
    """Close the session; failures are only logged."""
    try:
        conn.disconnect()
    except Exception as exc:  # closing a broken session must not mask the real error
        log.debug("disconnect failed: %s", exc)
