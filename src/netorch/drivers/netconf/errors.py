"""ncclient / SSH failures as netorch errors, with the device's own words.

* :class:`~netorch.model.errors.TemporaryError` (the engine retries): the device cannot be
  reached, the session dropped or timed out, or the datastore is locked by someone else
  (``lock-denied``, ``in-use``, ``resource-denied``: RFC 6241 Appendix A).
* :class:`~netorch.model.errors.PermanentError`: authentication failed, the host key is
  unknown or changed, the device rejected the configuration (any other ``rpc-error``).

Messages read ``<device>: <stage> failed: <error-tag>: <error-message> (at <error-path>)``;
they never contain credentials.
"""

from __future__ import annotations

import socket
from typing import Any

import paramiko
from ncclient.operations.errors import TimeoutExpiredError
from ncclient.operations.rpc import RPCError
from ncclient.transport.errors import (
    AuthenticationError,
    SessionCloseError,
    SSHError,
    SSHUnknownHostError,
    TransportError,
)

from netorch.model.errors import NetorchError, PermanentError, TemporaryError
from netorch.model.network import DeviceError

TEMPORARY_TAGS = frozenset({"lock-denied", "in-use", "resource-denied"})
"""RFC 6241 Appendix A error-tags that say "not now" rather than "not this"."""

RETRY_DELAY_S = 1.0


def rpc_error_text(exc: Any) -> str:
    """Every ``rpc-error`` of a reply: tag, message, path and bad value."""
    parts = []
    for err in getattr(exc, "errors", None) or [exc]:
        text = f"{err.tag}: {(err.message or '').strip() or 'no error-message'}"
        if err.path:
            text += f" (at {err.path.strip()})"
        info = err.info or ""
        if "bad-value" in info:
            start = info.find(">", info.find("<bad-value")) + 1
            text += f" [bad-value {info[start:info.find('</', start)].strip()}]"
        parts.append(text)
    return "; ".join(parts)


def rpc_error_tags(exc: Any) -> set[str]:
    return {str(err.tag) for err in getattr(exc, "errors", None) or [exc]}


def _value_error_text(exc: ValueError) -> str:
    """pyangbind reports a value its YANG type refuses as a dict (``error-string``,
    ``defined-type``, ``generated-type``: the last is generated code, not for operators)."""
    detail = exc.args[0] if exc.args else None
    if isinstance(detail, dict) and "error-string" in detail:
        text = str(detail["error-string"])
        defined = detail.get("defined-type")
        return f"{text} (YANG type {defined})" if defined else text
    return str(exc)


def translate(device: str, stage: str, exc: BaseException) -> NetorchError:
    """The netorch error for ``exc`` raised while doing ``stage`` on ``device``."""
    if isinstance(exc, NetorchError):
        return exc
    if isinstance(exc, RPCError):
        text = str(DeviceError(device, stage, rpc_error_text(exc)))
        if rpc_error_tags(exc) & TEMPORARY_TAGS:
            return TemporaryError(text, delay=RETRY_DELAY_S)
        return PermanentError(text)
    if isinstance(exc, AuthenticationError | paramiko.AuthenticationException):
        return PermanentError(str(DeviceError(
            device, stage, "authentication failed (wrong username, password or key)")))
    if isinstance(exc, SSHUnknownHostError):
        return PermanentError(str(DeviceError(device, stage, f"unknown host key: {exc}")))
    if isinstance(exc, TimeoutExpiredError | socket.timeout | TimeoutError):
        return TemporaryError(str(DeviceError(device, stage, f"timed out: {exc}")),
                              delay=RETRY_DELAY_S)
    if isinstance(exc, SessionCloseError):
        return TemporaryError(str(DeviceError(device, stage, "session closed by the device")),
                              delay=RETRY_DELAY_S)
    if isinstance(exc, SSHError | TransportError | paramiko.SSHException | OSError | EOFError):
        return TemporaryError(str(DeviceError(device, stage, f"unreachable: {exc}")),
                              delay=RETRY_DELAY_S)
    if isinstance(exc, ValueError):
        return PermanentError(str(DeviceError(device, stage, _value_error_text(exc))))
    return PermanentError(str(DeviceError(device, stage, f"{type(exc).__name__}: {exc}")))
