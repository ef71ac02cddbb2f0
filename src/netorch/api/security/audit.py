"""Audit log of every mutating API request (POST, PUT, PATCH, DELETE): who (the principal's
client id, ``-`` when the request was not authenticated), what (method and path, without the
query string), when, and the result (the response status). Written to the store's
``audit_log`` and to the ``netorch.audit`` logger; read with ``netorch audit``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netorch.model.api_access import AuditEntry

log = logging.getLogger("netorch.audit")

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in MUTATING:
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            principal = state.get("principal")
            client = scope.get("client")
            entry = AuditEntry(
                time=datetime.now(UTC),
                principal=getattr(principal, "client_id", "-"),
                method=scope["method"], path=scope["path"], status=status,
                remote=f"{client[0]}:{client[1]}" if client else None)
            api_state = getattr(scope["app"].state, "netorch", None)
            if api_state is None:
                log.info("%s %s %s -> %d", entry.principal, entry.method, entry.path,
                         entry.status)
            else:
                try:
                    await anyio.to_thread.run_sync(api_state.audit.record, entry)
                except Exception:
                    log.exception("could not write the audit entry for %s %s", entry.method,
                                  entry.path)
