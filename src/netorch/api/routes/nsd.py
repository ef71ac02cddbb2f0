"""NSD management, ``{apiRoot}/nsd/v1`` (ETSI GS NFV-SOL 005 v2.6.1 §5.4).

| resource | methods |
|---|---|
| ``/ns_descriptors`` | GET (SOL013 filter, selectors, paging), POST → 201 + Location |
| ``/ns_descriptors/{nsdInfoId}`` | GET, PATCH (merge patch; 409, 412), DELETE → 204 (409) |
| ``/ns_descriptors/{nsdInfoId}/nsd_content`` | PUT → 202 (409 unless CREATED); GET |

GET ``nsd_content`` gives text/plain (a one-file NSD) or application/zip, honours Range and
answers 406, 409 or 416.

Onboarding an NSD checks that every VNFD it refers to is onboarded (SOL001
``strict_nsd_constituent_onboarding``); when it fails the NSD goes back to CREATED with
``onboardingFailureDetails`` and an ``NsdOnBoardingFailureNotification`` is sent. PNF
descriptors are not supported (no ``pnf_descriptors`` resource). Every other method answers 405.
Reading needs the reader role, changing the admin role.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from netorch.api.deps import Admin, Reader
from netorch.api.routes.package_io import (
    TEXT,
    ZIP,
    base_url,
    created,
    etag,
    listed,
    modified,
    negotiate,
    not_acceptable,
    package_api,
    ranged,
    upload_body,
)
from netorch.api.schemas.packages import (
    JSON,
    MERGE_PATCH,
    NSD_INFO_COMPLEX,
    NSD_INFO_DEFAULT_EXCLUDE,
    CreateNsdInfoRequest,
    NsdInfoModifications,
    nsd_info,
    read_json,
)
from netorch.api.sol013.problem import ProblemError
from netorch.model.records import ContentFormat
from netorch.services.package_api import ResourceKind
from netorch.services.package_files import descriptor_files, open_package, zip_of

router = APIRouter(prefix="/nsd/v1", tags=["nsd"])

NSD = ResourceKind.NSD


@router.get("/ns_descriptors")
def list_ns_descriptors(request: Request, _: Reader) -> JSONResponse:
    """Query NSD resources (§5.4.2.3.2)."""
    return listed(request, NSD, nsd_info, default_exclude=NSD_INFO_DEFAULT_EXCLUDE,
                  complex_attrs=NSD_INFO_COMPLEX)


@router.post("/ns_descriptors", status_code=201)
async def create_ns_descriptor(request: Request, _: Admin) -> JSONResponse:
    """Create an individual NS descriptor resource (§5.4.2.3.1): 201, Location, NsdInfo."""
    body = await read_json(request, CreateNsdInfoRequest, optional=True)
    return await created(request, NSD, body.user_defined_data, nsd_info)


@router.get("/ns_descriptors/{nsdInfoId}")
def get_ns_descriptor(nsdInfoId: str, request: Request, _: Reader) -> JSONResponse:  # noqa: N803
    """Read information about an individual NS descriptor (§5.4.3.3.2)."""
    view = package_api(request).view(NSD, nsdInfoId)
    return JSONResponse(nsd_info(view, base_url(request)), headers={"ETag": etag(view)})


@router.patch("/ns_descriptors/{nsdInfoId}")
async def modify_ns_descriptor(nsdInfoId: str, request: Request,  # noqa: N803
                               _: Admin) -> JSONResponse:
    """Enable / disable an NSD, change its user defined data (§5.4.3.3.4): 200 with the
    modifications; 409 when not ONBOARDED or already in that state; 412 (If-Match)."""
    body = await read_json(request, NsdInfoModifications, allowed=(MERGE_PATCH, JSON))
    if body.nsd_operational_state is None and body.user_defined_data is None:
        raise ProblemError(400, "the modifications change nothing: give nsdOperationalState "
                                "and/or userDefinedData")
    return await modified(request, NSD, nsdInfoId,
                          operational_state=body.nsd_operational_state,
                          user_defined_data=body.user_defined_data,
                          state_name="nsdOperationalState")


@router.delete("/ns_descriptors/{nsdInfoId}", status_code=204)
def delete_ns_descriptor(nsdInfoId: str, request: Request, _: Admin) -> Response:  # noqa: N803
    """Delete an individual NS descriptor (§5.4.3.3.5): 204; 409 unless DISABLED and
    NOT_IN_USE."""
    package_api(request).delete(NSD, nsdInfoId)
    return Response(status_code=204)


@router.get("/ns_descriptors/{nsdInfoId}/nsd_content")
def fetch_nsd_content(nsdInfoId: str, request: Request, _: Reader) -> Response:  # noqa: N803
    """Fetch the content of an onboarded NSD (§5.4.4.3.2): a one-file NSD as text/plain when
    accepted, else a ZIP (the archive as uploaded, or one holding the single file); Range
    gives 206; 406 when only text/plain is accepted and the NSD has several files; 409 when
    not ONBOARDED; 416 for a range that cannot be served."""
    rec, data = package_api(request).content(NSD, nsdInfoId)
    single = rec.content_format == ContentFormat.YAML
    offered = [TEXT, ZIP] if single else [ZIP]
    chosen = negotiate(request, offered)
    if chosen is None:
        raise not_acceptable(request, offered)
    if chosen == TEXT:
        return ranged(request, data, TEXT)
    if rec.content_format == ContentFormat.ZIP:
        return ranged(request, data, ZIP, file_name=rec.content_name)
    pkg = open_package(rec, data)
    name = (rec.content_name or "nsd").rsplit(".", 1)[0] + ".zip"
    return ranged(request, zip_of(pkg.files, descriptor_files(pkg)), ZIP, file_name=name)


@router.put("/ns_descriptors/{nsdInfoId}/nsd_content", status_code=202)
async def upload_nsd_content(nsdInfoId: str, request: Request,  # noqa: N803
                             _: Admin) -> Response:
    """Upload the content of an NSD (§5.4.4.3.3): a ZIP (``application/zip``), one YAML file
    (``text/plain``) or either as the ``file`` part of ``multipart/form-data``; 202 and
    processing continues asynchronously; 409 unless CREATED."""
    api = package_api(request)
    await run_in_threadpool(api.get, NSD, nsdInfoId)
    upload = await upload_body(request, (ZIP, TEXT))
    await api.upload(NSD, nsdInfoId, upload.chunks, file_name=upload.file_name,
                     text=upload.text)
    return Response(status_code=202)
