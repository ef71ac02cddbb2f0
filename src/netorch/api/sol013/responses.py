"""JSON responses of the API resources (SOL013 §4.3: ``application/json``, UTF-8).

:class:`JsonResponse` serialises with orjson: the same compact JSON as Starlette's
``JSONResponse`` (no spaces, non-ASCII characters as UTF-8), several times faster on the
lists the nslcm resources return.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


class JsonResponse(JSONResponse):
    """``application/json`` rendered by orjson."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
