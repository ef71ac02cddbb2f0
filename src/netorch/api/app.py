"""The SOL005 v2.6.1 northbound API application (``netorch serve``).

:func:`create_app` builds one :class:`ApiState` (store, VIMs, security, notifier, operation
runner) on ``app.state.netorch`` and wires the SOL013 behaviour every resource shares: the
``Version`` header, ``api_versions``, ProblemDetails for every error, 405 with ``Allow`` for
every method a path does not implement, and the audit log of mutating requests. Routers of the
three APIs (``/vnfpkgm/v1``, ``/nsd/v1``, ``/nslcm/v1``) and their subscriptions are included.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from netorch import __version__
from netorch.api.routes import nsd, nslcm, subscriptions, vnfpkgm
from netorch.api.security.audit import AuditMiddleware
from netorch.api.security.oauth import token_router
from netorch.api.sol013.problem import install_problem_handlers
from netorch.api.sol013.version import VersionMiddleware, api_versions_router
from netorch.api.state import ApiState, build_state
from netorch.services.settings import Settings

log = logging.getLogger(__name__)


def _resource_routers() -> list[APIRouter]:
    """The SOL005 resource routers, and the subscription routers of each API."""
    return [vnfpkgm.router, nsd.router, nslcm.router, *subscriptions.routers]


def create_app(settings: Settings | None = None, *, state: ApiState | None = None) -> FastAPI:
    """The API application; ``state`` defaults to one built from ``settings``."""
    settings = settings or Settings()
    api_state = state or build_state(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await api_state.start()
        try:
            yield
        finally:
            await api_state.stop()

    app = FastAPI(
        title="netorch NFVO northbound API (ETSI GS NFV-SOL 005 v2.6.1)",
        version=__version__,
        description="NSD management (nsd/v1), VNF package management (vnfpkgm/v1) and NS "
                    "lifecycle management (nslcm/v1), with the SOL013 common behaviour. "
                    "Authenticate with OAuth 2.0 client credentials at /oauth2/token.",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.netorch = api_state
    install_problem_handlers(app)
    app.include_router(token_router())
    app.include_router(api_versions_router())
    for router in _resource_routers():
        app.include_router(router)
    # The last added is the outermost: the audit sees every request, even one the version
    # check refuses.
    app.add_middleware(VersionMiddleware)
    app.add_middleware(AuditMiddleware)
    return app


def app_factory() -> Any:
    """``uvicorn --factory netorch.api.app:app_factory``: the app from the environment."""
    return create_app()
