"""The API process's state: one :class:`ApiState` per app, on ``app.state.netorch``.

Built by :func:`build_state` from the settings: the services context (store, VIMs), the API
clients and audit log, the token issuer and authenticator, and the notifier and LCM operation
runner whose background workers the app's lifespan starts and stops.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from netorch.api.security.authn import Authenticator
from netorch.api.security.jwks import JwksVerifier
from netorch.api.security.keys import load_or_create_key
from netorch.api.security.tokens import TokenIssuer
from netorch.services.api_access import ApiClients, AuditLog
from netorch.services.context import Context
from netorch.services.notify import Notifier
from netorch.services.op_runner import OpRunner
from netorch.services.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class ApiState:
    settings: Settings
    context: Context
    clients: ApiClients
    audit: AuditLog
    tokens: TokenIssuer
    authenticator: Authenticator
    notifier: Notifier
    """Subscriptions, the notification outbox and its delivery worker."""
    op_runner: OpRunner
    """LCM operations run in the background (and cancelled)."""
    extras: dict[str, Any] = field(default_factory=dict)
    """Per-app objects other route modules need (keyed by module name)."""

    @property
    def auth_enabled(self) -> bool:
        return self.settings.api_auth

    @property
    def page_size(self) -> int:
        return self.settings.api_page_size

    async def start(self) -> None:
        """Start the background workers (app startup)."""
        await self.notifier.astart()
        await self.op_runner.astart()

    async def stop(self) -> None:
        """Stop the background workers and release the store (app shutdown)."""
        for worker in (self.op_runner, self.notifier):
            try:
                await worker.astop()
            except Exception:
                log.exception("stopping %s failed", type(worker).__name__)
        self.context.close()


def build_state(settings: Settings) -> ApiState:
    """Everything one API app needs, from ``settings``."""
    context = Context(settings)
    store = context.store
    clients = ApiClients(store)
    tokens = TokenIssuer(load_or_create_key(settings.home), clients,
                         ttl_s=settings.api_token_ttl_s)
    external = None
    if settings.api_jwks_url:
        external = JwksVerifier(settings.api_jwks_url, issuer=settings.api_issuer,
                                audience=settings.api_audience,
                                role_claim=settings.api_role_claim)
    if not settings.api_auth:
        log.warning("API authentication is OFF (NETORCH_API_AUTH=off): every request acts as "
                    "admin; never run like this outside development")
    notifier = Notifier(store, settings)
    authenticator = Authenticator(tokens, external, cache_s=settings.api_auth_cache_s)
    return ApiState(settings=settings, context=context, clients=clients,
                    audit=AuditLog(store), tokens=tokens, authenticator=authenticator,
                    notifier=notifier, op_runner=OpRunner(context, notifier))
