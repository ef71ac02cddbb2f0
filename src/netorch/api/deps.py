"""FastAPI dependencies every route uses: the app's :class:`ApiState` and role checks.

Usage in a route module::

    from netorch.api.deps import Principal, Role, get_state, require

    @router.post("/ns_instances", status_code=201)
    async def create(body: CreateNsRequest, principal: Principal = require(Role.OPERATOR),
                     state: ApiState = Depends(get_state)) -> ...:

or ``dependencies=[require(Role.READER)]`` on a router. ``require`` authenticates the bearer
token (401 without or with an invalid one, 400 for a malformed ``Authorization`` header) and
checks the role (403 when it does not allow the request); roles are ordered
admin ⊇ operator ⊇ reader. The principal is also put on ``request.state.principal`` for the
audit log.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2

from netorch.api.security.errors import forbidden
from netorch.api.security.oauth import TOKEN_PATH
from netorch.api.security.principal import ANONYMOUS_ADMIN, Principal
from netorch.api.state import ApiState
from netorch.model.api_access import Role

__all__ = [
    "Admin",
    "ApiState",
    "Operator",
    "Principal",
    "Reader",
    "Role",
    "get_state",
    "require",
]

_scheme = OAuth2(
    flows=OAuthFlows(clientCredentials=OAuthFlowClientCredentials(tokenUrl=TOKEN_PATH)),
    scheme_name="oauth2ClientCredentials",
    description="OAuth 2.0 client credentials grant (RFC 6749 §4.4), SOL013 §8",
    auto_error=False,
)


def get_state(request: Request) -> ApiState:
    """The app's :class:`ApiState`."""
    state: ApiState = request.app.state.netorch
    return state


def require(role: Role) -> Any:
    """A dependency: the authenticated :class:`Principal`, whose role must allow ``role``."""

    async def check(request: Request,
                    _authorization: Annotated[str | None, Depends(_scheme)]) -> Principal:
        state = get_state(request)
        if not state.auth_enabled:
            principal = ANONYMOUS_ADMIN
        else:
            principal = await state.authenticator.authenticate(
                request.headers.get("authorization"))
        request.state.principal = principal
        if not principal.allows(role):
            raise forbidden(f"role {principal.role.value} may not do this; it needs "
                            f"{role.value} or higher")
        return principal

    return Depends(check)


Reader = Annotated[Principal, require(Role.READER)]
Operator = Annotated[Principal, require(Role.OPERATOR)]
Admin = Annotated[Principal, require(Role.ADMIN)]
