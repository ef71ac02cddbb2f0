"""Request and response bodies of ``vnfpkgm/v1`` and ``nsd/v1`` (ETSI GS NFV-SOL 005 v2.6.1).

Requests (pydantic, at the edge): ``CreateVnfPkgInfoRequest`` (§9.5.2.2),
``VnfPkgInfoModifications`` (§9.5.2.3), ``UploadVnfPkgFromUriRequest`` (§9.5.2.4),
``CreateNsdInfoRequest`` (§5.5.2.3), ``NsdInfoModifications`` (§5.5.2.6). Responses are
rendered from the service layer's views: ``VnfPkgInfo`` (§9.5.2.5) and ``NsdInfo`` (§5.5.2.2),
with their ``_links``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic.alias_generators import to_camel

from netorch.api.sol013.problem import ProblemError
from netorch.services.package_api import OnboardingState, ResourceView

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"

VNF_PKG_DEFAULT_EXCLUDE = ("softwareImages", "additionalArtifacts", "userDefinedData",
                           "checksum", "onboardingFailureDetails")
"""SOL005 §9.4.2.3.2: excluded from list entries unless a selector asks for them."""
NSD_INFO_DEFAULT_EXCLUDE = ("userDefinedData", "onboardingFailureDetails")
"""SOL005 §5.4.2.3.2 (``NsdInfo`` default exclude set)."""

VNF_PKG_COMPLEX = ("softwareImages", "additionalArtifacts", "userDefinedData", "checksum",
                   "onboardingFailureDetails")
NSD_INFO_COMPLEX = ("userDefinedData", "onboardingFailureDetails", "vnfPkgIds", "pnfdInfoIds",
                    "nestedNsdInfoIds")

State = Literal["ENABLED", "DISABLED"]


class _Body(BaseModel):
    """SOL005 attribute names (camelCase) on the wire, snake_case in Python."""

    model_config = ConfigDict(extra="ignore", alias_generator=to_camel, populate_by_name=True)


class CreateVnfPkgInfoRequest(_Body):
    user_defined_data: dict[str, Any] | None = None


class VnfPkgInfoModifications(_Body):
    operational_state: State | None = None
    user_defined_data: dict[str, Any] | None = None


class UploadVnfPkgFromUriRequest(_Body):
    address_information: str = Field(min_length=1)
    user_name: str | None = None
    password: SecretStr | None = None


class CreateNsdInfoRequest(_Body):
    user_defined_data: dict[str, Any] | None = None


class NsdInfoModifications(_Body):
    nsd_operational_state: State | None = None
    user_defined_data: dict[str, Any] | None = None


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read_json(request: Request, model: type[_Body], *,
                    allowed: tuple[str, ...] = (JSON,), optional: bool = False) -> Any:
    """The request's JSON body as ``model``: 415 for another content type, 400 when it is not
    JSON or not the expected structure (SOL013 §6.4). ``optional``: an empty body is ``{}``."""
    raw = await request.body()
    if not raw.strip() and optional:
        return model()
    media = _media_type(request)
    if media not in allowed:
        raise ProblemError(415, f"the request body must be {' or '.join(allowed)}, not "
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


def _drop_none(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


def vnf_pkg_info(view: ResourceView, base: str) -> dict[str, Any]:
    """``VnfPkgInfo`` (SOL005 v2.6.1 §9.5.2.5)."""
    res = view.resource
    href = f"{base}/vnfpkgm/v1/vnf_packages/{res.id}"
    info = res.info
    onboarded = res.onboarding_state is OnboardingState.ONBOARDED
    links: dict[str, Any] = {"self": {"href": href}}
    if onboarded:
        links["vnfd"] = {"href": f"{href}/vnfd"}
    links["packageContent"] = {"href": f"{href}/package_content"}
    body: dict[str, Any] = {"id": res.id}
    if onboarded:
        for key in ("vnfdId", "vnfProvider", "vnfProductName", "vnfSoftwareVersion",
                    "vnfdVersion", "checksum", "softwareImages", "additionalArtifacts"):
            body[key] = info.get(key)
    body.update({
        "onboardingState": str(res.onboarding_state),
        "operationalState": str(res.operational_state),
        "usageState": view.usage_state,
        "userDefinedData": dict(res.user_defined_data),
        "onboardingFailureDetails": res.failure_details,
        "_links": links,
    })
    return _drop_none(body)


def nsd_info(view: ResourceView, base: str) -> dict[str, Any]:
    """``NsdInfo`` (SOL005 v2.6.1 §5.5.2.2)."""
    res = view.resource
    href = f"{base}/nsd/v1/ns_descriptors/{res.id}"
    info = res.info
    body: dict[str, Any] = {"id": res.id}
    if res.onboarding_state is OnboardingState.ONBOARDED:
        for key in ("nsdId", "nsdName", "nsdVersion", "nsdDesigner", "nsdInvariantId"):
            body[key] = info.get(key)
        body["vnfPkgIds"] = list(view.vnf_pkg_ids)
    body.update({
        "nsdOnboardingState": str(res.onboarding_state),
        "onboardingFailureDetails": res.failure_details,
        "nsdOperationalState": str(res.operational_state),
        "nsdUsageState": view.usage_state,
        "userDefinedData": dict(res.user_defined_data),
        "_links": {"self": {"href": href}, "nsd_content": {"href": f"{href}/nsd_content"}},
    })
    return _drop_none(body)


__all__ = [
    "MERGE_PATCH", "NSD_INFO_COMPLEX", "NSD_INFO_DEFAULT_EXCLUDE", "VNF_PKG_COMPLEX",
    "VNF_PKG_DEFAULT_EXCLUDE", "CreateNsdInfoRequest", "CreateVnfPkgInfoRequest",
    "NsdInfoModifications", "UploadVnfPkgFromUriRequest", "VnfPkgInfoModifications",
    "nsd_info", "read_json", "vnf_pkg_info",
]
