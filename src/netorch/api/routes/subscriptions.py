"""Subscriptions of the three SOL005 v2.6.1 APIs: ``/nslcm/v1/subscriptions`` (§6.4.16,
``LccnSubscription``), ``/vnfpkgm/v1/subscriptions`` (§9.4.8, ``PkgmSubscription``) and
``/nsd/v1/subscriptions`` (§5.4.8, ``NsdmSubscription``).

| resource | methods |
|---|---|
| ``/subscriptions`` | POST → 201 + Location (303 for a duplicate, 422: callback test failed) |
| ``/subscriptions`` | GET (filter, selectors, paging) |
| ``/subscriptions/{subscriptionId}`` | GET, DELETE → 204 |

The callback is tested first (``GET`` expecting 204, SPEC-NOTES §0.7). Credentials given in
``authentication`` are kept for delivery and never returned. Creating and deleting needs the
operator role, reading the reader role.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from netorch.api.deps import Operator, Reader, get_state
from netorch.api.schemas.nslcm import SubscriptionRequest, read_body
from netorch.api.sol013.problem import ProblemError
from netorch.api.sol013.query import apply_query
from netorch.model.errors import ValidationFailed
from netorch.services.notify import CallbackTestFailed, Notifier, render_subscription


def _notifier(request: Request) -> Notifier:
    notifier = get_state(request).notifier
    if not isinstance(notifier, Notifier):
        raise ProblemError(503, "notifications are not available in this server")
    if not notifier.api_root:
        notifier.api_root = str(request.base_url).rstrip("/")
    return notifier


def _router(api: str) -> APIRouter:
    router = APIRouter(prefix=f"/{api}/v1", tags=[api])

    @router.post("/subscriptions", status_code=201)
    async def subscribe(request: Request, _: Operator) -> Response:
        body = await read_body(request, SubscriptionRequest)
        notifier = _notifier(request)
        try:
            sub, created = await notifier.subscribe(api, body.callback_uri, body.filter,
                                                    body.authentication)
        except CallbackTestFailed as exc:
            raise ProblemError(422, str(exc), "Callback test failed") from None
        except ValidationFailed as exc:
            raise ProblemError(400, str(exc)) from None
        href = notifier.subscription_href(api, sub.id)
        if not created:
            return Response(status_code=303, headers={"Location": href})
        return JSONResponse(render_subscription(sub, href), status_code=201,
                            headers={"Location": href})

    @router.get("/subscriptions")
    def list_subscriptions(request: Request, _: Reader) -> JSONResponse:
        notifier = _notifier(request)
        bodies: list[dict[str, Any]] = [
            render_subscription(s, notifier.subscription_href(api, s.id))
            for s in notifier.subscriptions(api)]
        items, headers = apply_query(bodies, request)
        return JSONResponse(items, headers=headers)

    @router.get("/subscriptions/{subscription_id}")
    def get_subscription(subscription_id: str, request: Request, _: Reader) -> JSONResponse:
        notifier = _notifier(request)
        sub = notifier.get(api, subscription_id)
        return JSONResponse(render_subscription(
            sub, notifier.subscription_href(api, sub.id)))

    @router.delete("/subscriptions/{subscription_id}", status_code=204)
    async def delete_subscription(subscription_id: str, request: Request,
                                  _: Operator) -> Response:
        notifier = _notifier(request)
        await run_in_threadpool(notifier.unsubscribe, api, subscription_id)
        return Response(status_code=204)

    return router


routers: list[APIRouter] = [_router(api) for api in ("nslcm", "vnfpkgm", "nsd")]
