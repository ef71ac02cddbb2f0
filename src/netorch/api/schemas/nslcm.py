"""Request bodies of the NS lifecycle management and subscription resources (ETSI GS NFV-SOL
005 v2.6.1 §6.5.2; SOL013 §6 subscriptions). Pydantic at the edge only: each model checks the
shape of what the service layer reads and keeps the rest (``extra="allow"``), because the
whole body is recorded as the occurrence's ``operationParams``.
"""

from __future__ import annotations

import json
from typing import Any, Literal, TypeVar

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from netorch.api.sol013.problem import ProblemError


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class CreateNsRequest(_Open):
    """§6.5.2.9."""

    nsd_id: str = Field(alias="nsdId", min_length=1)
    ns_name: str = Field(alias="nsName")
    ns_description: str = Field(alias="nsDescription")


class InstantiateNsRequest(_Open):
    """§6.5.2.11 (``nsFlavourId`` mandatory)."""

    ns_flavour_id: str = Field(alias="nsFlavourId", min_length=1)
    ns_instantiation_level_id: str | None = Field(default=None, alias="nsInstantiationLevelId")
    additional_params_for_ns: dict[str, Any] | None = Field(default=None,
                                                            alias="additionalParamsForNs")


class ScaleNsByStepsData(_Open):
    scaling_direction: Literal["SCALE_IN", "SCALE_OUT"] = Field(alias="scalingDirection")
    aspect_id: str = Field(alias="aspectId")
    number_of_steps: int = Field(default=1, alias="numberOfSteps", ge=1)


class ScaleNsData(_Open):
    scale_ns_by_steps_data: ScaleNsByStepsData | None = Field(default=None,
                                                              alias="scaleNsByStepsData")


class ScaleNsRequest(_Open):
    """§6.5.2.14."""

    scale_type: Literal["SCALE_NS", "SCALE_VNF"] = Field(alias="scaleType")
    scale_ns_data: ScaleNsData | None = Field(default=None, alias="scaleNsData")
    scale_vnf_data: list[dict[str, Any]] | None = Field(default=None, alias="scaleVnfData")


class UpdateNsRequest(_Open):
    """§6.5.2.12."""

    update_type: str = Field(alias="updateType", min_length=1)


class HealNsRequest(_Open):
    """§6.5.2.13: one of ``healNsData`` / ``healVnfData``."""

    heal_ns_data: dict[str, Any] | None = Field(default=None, alias="healNsData")
    heal_vnf_data: list[dict[str, Any]] | None = Field(default=None, alias="healVnfData")


class TerminateNsRequest(_Open):
    """§6.5.2.15: empty means now."""

    termination_time: str | None = Field(default=None, alias="terminationTime")


class CancelModeRequest(_Open):
    """§6.5.2.16 ``CancelMode``."""

    cancel_mode: Literal["GRACEFUL", "FORCEFUL"] = Field(alias="cancelMode")


class SubscriptionRequest(_Open):
    """``LccnSubscriptionRequest`` (§6.5.2.2), ``PkgmSubscriptionRequest`` (§9.5.2.2),
    ``NsdmSubscriptionRequest`` (§5.5.2.7): a callback, an optional filter and SOL013
    ``SubscriptionAuthentication``."""

    callback_uri: str = Field(alias="callbackUri", min_length=1)
    filter: dict[str, Any] | None = None
    authentication: dict[str, Any] | None = None


_M = TypeVar("_M", bound=BaseModel)


async def read_body(request: Request, model: type[_M], *, optional: bool = False) -> _M:
    """The request's JSON body as ``model``: 415 for another content type, 400 when it is not
    a JSON object of the expected structure (SOL013 §6.4). ``optional``: empty body is ``{}``."""
    raw = await request.body()
    if not raw.strip() and optional:
        return model.model_validate({})
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise ProblemError(415, "the request body must be application/json, not "
                                f"{media or 'without a Content-Type'}")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProblemError(400, f"the request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProblemError(400, "the request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        parts = [f"{'/'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                 for e in exc.errors()[:10]]
        raise ProblemError(400, "invalid request body: " + "; ".join(parts)) from None
