"""NS lifecycle management, ``{apiRoot}/nslcm/v1`` (ETSI GS NFV-SOL 005 v2.6.1 §6.4).

| resource | methods |
|---|---|
| ``/ns_instances`` | GET (SOL013 filter, selectors, paging), POST → 201 + Location |
| ``/ns_instances/{nsInstanceId}`` | GET, DELETE → 204 (409 unless NOT_INSTANTIATED) |
| ``/ns_instances/{id}/instantiate|scale|update|heal|terminate`` | POST → 202 + Location |
| ``/ns_lcm_op_occs`` | GET (filter, selectors, paging) |
| ``/ns_lcm_op_occs/{nsLcmOpOccId}`` | GET |
| ``/ns_lcm_op_occs/{id}/retry|rollback|continue|cancel`` | POST → 202 |
| ``/ns_lcm_op_occs/{id}/fail`` | POST → 200 + NsLcmOpOcc |

A task's occurrence is stored (PROCESSING) before the 202; it then runs in the background
(:mod:`netorch.services.op_runner`). A task that conflicts with the instance's state, or any
task while its last operation is not final, is a 409. Reading needs the reader role, tasks
the operator role. Every other method answers 405.

Reading one NS instance, or a page of them the database filters, is one indexed query: those
handlers run on the event loop (no worker-thread hop, one pooled connection at a time).
Anything that may take longer (a whole list evaluated in Python, an occurrence with its steps,
the tasks) runs in the thread pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from netorch.api.deps import Operator, Reader, get_state
from netorch.api.schemas.nslcm import (
    CancelModeRequest,
    CreateNsRequest,
    HealNsRequest,
    InstantiateNsRequest,
    ScaleNsRequest,
    TerminateNsRequest,
    UpdateNsRequest,
    read_body,
)
from netorch.api.sol013.filters import FilterError, parse_filter
from netorch.api.sol013.paging import PagingError, decode_marker, encode_marker
from netorch.api.sol013.problem import ProblemError
from netorch.api.sol013.query import apply_query
from netorch.api.sol013.responses import JsonResponse
from netorch.api.sol013.selectors import SelectorError, parse_selector, select
from netorch.services.ns_instances import (
    NS_DEFAULT_EXCLUDE,
    OP_DEFAULT_EXCLUDE,
    SQL_FILTER_OPS,
    SQL_FILTERABLE,
    NsLcm,
)
from netorch.services.op_runner import OpRunner

router = APIRouter(prefix="/nslcm/v1", tags=["nslcm"])

_EXTRAS_KEY = "nslcm"
_lock = threading.Lock()


def nslcm(request: Request) -> NsLcm:
    """The app's :class:`NsLcm`, made on first use."""
    state = get_state(request)
    svc = state.extras.get(_EXTRAS_KEY)
    if not isinstance(svc, NsLcm):
        with _lock:
            svc = state.extras.get(_EXTRAS_KEY)
            if not isinstance(svc, NsLcm):
                runner = state.op_runner
                if not isinstance(runner, OpRunner):
                    runner = state.op_runner = OpRunner(state.context, state.notifier)
                svc = NsLcm(state.context, runner, state.notifier)
                state.extras[_EXTRAS_KEY] = svc
    if not svc.api_root:
        svc.api_root = str(request.base_url).rstrip("/")
        if state.notifier is not None and not state.notifier.api_root:
            state.notifier.api_root = svc.api_root
    return svc


def _wants(request: Request, excluded: tuple[str, ...]) -> bool:
    """Whether the attribute selectors ask for an attribute of the default exclude set (so it
    must be computed for the list)."""
    params = request.query_params
    if "all_fields" in params:
        return True
    wanted = params.get("fields", "") + "," + params.get("filter", "")
    return any(name in wanted for name in excluded)


def _body(model: BaseModel) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(by_alias=True, exclude_none=True)
    return data


def _accepted(svc: NsLcm, op_id: str) -> Response:
    return Response(status_code=202, headers={"Location": svc.op_href(op_id)})


async def _task(request: Request, model: type[BaseModel],
                task: Callable[[NsLcm], Callable[[str, dict[str, Any]], str]],
                ns_instance_id: str, *, optional: bool = False) -> Response:
    """A task resource (SOL005 §6.4.4-§6.4.8): the body as ``model``, the operation begun
    (persisted PROCESSING) off the event loop, then 202 with the op occurrence's Location."""
    body = await read_body(request, model, optional=optional)
    svc = nslcm(request)
    return _accepted(svc, await run_in_threadpool(task(svc), ns_instance_id, _body(body)))


# -- NS instances -------------------------------------------------------------------------------


@router.get("/ns_instances")
async def list_ns_instances(request: Request, _: Reader) -> JsonResponse:
    """Query NS instances (§6.4.2.3.2).

    A filter made only of ``eq``/``neq``/``in``/``nin`` on simple identity attributes (or no
    filter) is evaluated and paged in the database, so a page costs the same with 10 or 10,000
    instances; any other filter is evaluated on the rendered list (SOL013 §5.2 in full)."""
    svc = nslcm(request)
    full = _wants(request, NS_DEFAULT_EXCLUDE)
    fast = _sql_page(svc, request, full)
    if fast is not None:
        return fast
    return await run_in_threadpool(_full_list, svc, request, full)


def _full_list(svc: NsLcm, request: Request, full: bool) -> JsonResponse:
    bodies = svc.list_instances(full=full)
    items, headers = apply_query(bodies, request, default_exclude=NS_DEFAULT_EXCLUDE)
    return JsonResponse(items, headers=headers)


def _sql_page(svc: NsLcm, request: Request, full: bool) -> JsonResponse | None:
    """The page answered from the database, or ``None`` when the filter needs the full
    evaluation. Same filter grammar, selectors and paging markers as :func:`apply_query`."""
    params = request.query_params
    raw = params.get("filter")
    try:
        expr = parse_filter(raw) if raw is not None else ()
        selector = parse_selector(params)
    except (FilterError, SelectorError) as exc:
        raise ProblemError(400, str(exc)) from None
    conditions: list[tuple[str, str, tuple[str, ...]]] = []
    for cond in expr:
        if cond.op not in SQL_FILTER_OPS or len(cond.path) != 1 \
                or cond.path[0] not in SQL_FILTERABLE:
            return None
        conditions.append((cond.op, cond.path[0], cond.values))
    size = get_state(request).page_size
    fingerprint = str(params.get("filter", ""))
    marker = params.get("nextpage_opaque_marker")
    try:
        offset = decode_marker(marker, fingerprint) if marker is not None else 0
    except PagingError as exc:
        raise ProblemError(400, str(exc)) from None
    limit = size + 1 if size > 0 else 1_000_000_000
    bodies = svc.instances_page(conditions, offset=offset, limit=limit, full=full)
    headers: dict[str, str] = {}
    if size > 0 and len(bodies) > size:
        bodies = bodies[:size]
        url = request.url.include_query_params(
            nextpage_opaque_marker=encode_marker(offset + size, fingerprint))
        headers["Link"] = f'<{url}>; rel="next"'
    if not full and not _SELECTORS.intersection(params):
        # no selector: the default exclude set applies, and the light bodies hold none of it
        return JsonResponse(bodies, headers=headers)
    try:
        items = [select(b, selector, default_exclude=NS_DEFAULT_EXCLUDE) for b in bodies]
    except SelectorError as exc:
        raise ProblemError(400, str(exc)) from None
    return JsonResponse(items, headers=headers)


_SELECTORS = frozenset({"all_fields", "fields", "exclude_fields", "exclude_default"})


@router.post("/ns_instances", status_code=201)
async def create_ns_instance(request: Request, _: Operator) -> JsonResponse:
    """Create an NS instance identifier (§6.4.2.3.1): 201, Location, NsInstance."""
    body = await read_body(request, CreateNsRequest)
    svc = nslcm(request)
    inst = await run_in_threadpool(svc.create, body.nsd_id, body.ns_name, body.ns_description)
    return JsonResponse(inst, status_code=201,
                        headers={"Location": inst["_links"]["self"]["href"]})


@router.get("/ns_instances/{ns_instance_id}")
async def get_ns_instance(ns_instance_id: str, request: Request, _: Reader) -> JsonResponse:
    """Read an NS instance (§6.4.3.3.2)."""
    return JsonResponse(nslcm(request).get_instance(ns_instance_id))


@router.delete("/ns_instances/{ns_instance_id}", status_code=204)
def delete_ns_instance(ns_instance_id: str, request: Request, _: Operator) -> Response:
    """Delete an NS instance identifier (§6.4.3.3.5): 204; 409 unless NOT_INSTANTIATED."""
    nslcm(request).delete(ns_instance_id)
    return Response(status_code=204)


@router.post("/ns_instances/{ns_instance_id}/instantiate", status_code=202)
async def instantiate(ns_instance_id: str, request: Request, _: Operator) -> Response:
    """Instantiate an NS (§6.4.4.3.1): 202 + Location of the op occurrence."""
    return await _task(request, InstantiateNsRequest, lambda svc: svc.instantiate, ns_instance_id)


@router.post("/ns_instances/{ns_instance_id}/scale", status_code=202)
async def scale(ns_instance_id: str, request: Request, _: Operator) -> Response:
    """Scale an NS instance (§6.4.5.3.1)."""
    return await _task(request, ScaleNsRequest, lambda svc: svc.scale, ns_instance_id)


@router.post("/ns_instances/{ns_instance_id}/update", status_code=202)
async def update(ns_instance_id: str, request: Request, _: Operator) -> Response:
    """Update an NS instance (§6.4.6.3.1)."""
    return await _task(request, UpdateNsRequest, lambda svc: svc.update, ns_instance_id)


@router.post("/ns_instances/{ns_instance_id}/heal", status_code=202)
async def heal(ns_instance_id: str, request: Request, _: Operator) -> Response:
    """Heal an NS instance (§6.4.7.3.1)."""
    return await _task(request, HealNsRequest, lambda svc: svc.heal, ns_instance_id)


@router.post("/ns_instances/{ns_instance_id}/terminate", status_code=202)
async def terminate(ns_instance_id: str, request: Request, _: Operator) -> Response:
    """Terminate an NS instance (§6.4.8.3.1); an empty body means now."""
    return await _task(request, TerminateNsRequest, lambda svc: svc.terminate, ns_instance_id,
                       optional=True)


# -- NS LCM operation occurrences ---------------------------------------------------------------


@router.get("/ns_lcm_op_occs")
def list_ns_lcm_op_occs(request: Request, _: Reader) -> JsonResponse:
    """Query NS LCM operation occurrences (§6.4.9.3.2)."""
    svc = nslcm(request)
    bodies = svc.list_ops(full=_wants(request, OP_DEFAULT_EXCLUDE))
    items, headers = apply_query(bodies, request, default_exclude=OP_DEFAULT_EXCLUDE)
    return JsonResponse(items, headers=headers)


@router.get("/ns_lcm_op_occs/{op_id}")
def get_ns_lcm_op_occ(op_id: str, request: Request, _: Reader) -> JsonResponse:
    """Read an NS LCM operation occurrence (§6.4.10.3.2); in the thread pool, as its
    ``resourceChanges`` reads the operation's steps (thousands for a large service)."""
    return JsonResponse(nslcm(request).get_op(op_id))


@router.post("/ns_lcm_op_occs/{op_id}/retry", status_code=202)
def retry(op_id: str, request: Request, _: Operator) -> Response:
    """Retry a FAILED_TEMP operation (§6.4.11.3.1)."""
    svc = nslcm(request)
    return _accepted(svc, svc.retry(op_id))


@router.post("/ns_lcm_op_occs/{op_id}/rollback", status_code=202)
def rollback(op_id: str, request: Request, _: Operator) -> Response:
    """Roll back a FAILED_TEMP operation (§6.4.12.3.1)."""
    svc = nslcm(request)
    return _accepted(svc, svc.rollback(op_id))


@router.post("/ns_lcm_op_occs/{op_id}/continue", status_code=202)
def continue_(op_id: str, request: Request, _: Operator) -> Response:
    """Continue a FAILED_TEMP operation past its failed steps (§6.4.13.3.1)."""
    svc = nslcm(request)
    return _accepted(svc, svc.continue_(op_id))


@router.post("/ns_lcm_op_occs/{op_id}/fail", status_code=200)
def fail(op_id: str, request: Request, _: Operator) -> JsonResponse:
    """Mark a FAILED_TEMP operation as finally FAILED (§6.4.14.3.1): 200 with the body."""
    return JsonResponse(nslcm(request).fail(op_id))


@router.post("/ns_lcm_op_occs/{op_id}/cancel", status_code=202)
async def cancel(op_id: str, request: Request, _: Operator) -> Response:
    """Cancel a PROCESSING / ROLLING_BACK operation (§6.4.15.3.1)."""
    body = await read_body(request, CancelModeRequest)
    svc = nslcm(request)
    await run_in_threadpool(svc.cancel, op_id, body.cancel_mode)
    return _accepted(svc, op_id)
