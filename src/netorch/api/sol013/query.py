"""SOL013 §5.2-5.4 applied to a list response: filter, select attributes, page.

Route modules call :func:`apply_query` with the full list of resource bodies (JSON-ready
dicts, in a stable order) and answer with the returned page and headers::

    items, headers = apply_query(bodies, request, default_exclude=NS_INSTANCE_DEFAULT_EXCLUDE)
    return JSONResponse(items, headers=headers)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from fastapi import Request

from netorch.api.sol013.filters import FilterError, matches, parse_filter
from netorch.api.sol013.paging import PagingError, page
from netorch.api.sol013.problem import ProblemError
from netorch.api.sol013.selectors import SelectorError, parse_selector, select

DEFAULT_PAGE_SIZE = 100


def apply_query(
    items: Sequence[Mapping[str, Any]],
    request: Request,
    *,
    default_exclude: Collection[str] = (),
    complex_attrs: Collection[str] | None = None,
    page_size: int | None = None,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Filter (``filter``), select attributes (``all_fields``, ``fields``, ``exclude_fields``,
    ``exclude_default``) and page (``nextpage_opaque_marker``) ``items`` as ``request`` asks.

    ``default_exclude`` is the resource's default exclude set (SOL013 §5.3); ``complex_attrs``
    its complex attributes of lower cardinality 0 (the ones ``fields`` / ``exclude_fields`` may
    drop; by default ``default_exclude`` plus every top-level object- or array-valued attribute
    but ``_links``). Returns the page and the headers to send (``Link: <…>; rel="next"`` when
    more follow). Raises :class:`ProblemError` 400 on a malformed filter, selector or marker.
    """
    params = request.query_params
    try:
        expr = parse_filter(params["filter"]) if "filter" in params else None
        selector = parse_selector(params)
    except (FilterError, SelectorError) as exc:
        raise ProblemError(400, str(exc)) from None
    kept = [item for item in items if expr is None or matches(expr, item)]
    if page_size is None:
        state = getattr(request.app.state, "netorch", None)
        page_size = getattr(state, "page_size", DEFAULT_PAGE_SIZE)
    try:
        chunk, next_marker = page(kept, params.get("nextpage_opaque_marker"), page_size,
                                  fingerprint=str(params.get("filter", "")))
    except PagingError as exc:
        raise ProblemError(400, str(exc)) from None
    try:
        out = [select(item, selector, default_exclude=default_exclude,
                      complex_attrs=complex_attrs) for item in chunk]
    except SelectorError as exc:
        raise ProblemError(400, str(exc)) from None
    headers: dict[str, str] = {}
    if next_marker is not None:
        url = request.url.include_query_params(nextpage_opaque_marker=next_marker)
        headers["Link"] = f'<{url}>; rel="next"'
    return out, headers
