"""Test-only routes mounted beside the real ones, to drive the SOL013 / security glue over HTTP
(list with filter/selectors/paging, one route per role, domain errors, a crash)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from netorch.api.deps import Admin, Operator, Reader
from netorch.api.sol013.query import apply_query
from netorch.model.errors import ConflictError, NotFoundError, TemporaryError, ValidationFailed

ROOT = "/nslcm/v1/x_test_items"

ITEMS: list[dict[str, Any]] = [
    {"id": f"i{n}", "state": "A" if n % 2 else "B", "size": n,
     "details": {"owner": f"o{n}", "deep": {"k": n}}, "tags": [f"t{n}", "all"],
     "_links": {"self": {"href": f"{ROOT}/i{n}"}}}
    for n in range(7)
]
DEFAULT_EXCLUDE = ("details",)
COMPLEX = ("details", "tags")


class CreateItem(BaseModel):
    name: str
    size: int


def framework_router() -> APIRouter:
    router = APIRouter()

    @router.get(ROOT)
    async def list_items(request: Request, _p: Reader) -> JSONResponse:
        items, headers = apply_query(ITEMS, request, default_exclude=DEFAULT_EXCLUDE,
                                     complex_attrs=COMPLEX)
        return JSONResponse(items, headers=headers)

    @router.post(ROOT, status_code=201)
    async def create_item(body: CreateItem, _p: Operator) -> dict[str, Any]:
        return {"id": "new", "name": body.name, "size": body.size}

    @router.get(ROOT + "/{item_id}")
    async def get_item(item_id: str, _p: Reader) -> dict[str, Any]:
        if item_id == "conflict":
            raise ConflictError("busy with another operation")
        if item_id == "later":
            raise TemporaryError("try later", delay=7)
        if item_id == "invalid":
            raise ValidationFailed("bad content")
        if item_id == "crash":
            raise RuntimeError("secret internals")
        for item in ITEMS:
            if item["id"] == item_id:
                return item
        raise NotFoundError(f"no item {item_id}")

    @router.delete(ROOT + "/{item_id}", status_code=204)
    async def delete_item(item_id: str, _p: Admin) -> Response:
        return Response(status_code=204)

    return router
