"""VNF package management, ``{apiRoot}/vnfpkgm/v1`` (ETSI GS NFV-SOL 005 v2.6.1 §9.4).

| resource | methods |
|---|---|
| ``/vnf_packages`` | GET (SOL013 filter, selectors, paging), POST → 201 + Location |
| ``/vnf_packages/{vnfPkgId}`` | GET, PATCH (merge patch; 409, 412), DELETE → 204 (409) |
| ``/vnf_packages/{vnfPkgId}/vnfd`` | GET: text/plain (one-file VNFD) or zip; 406, 409 |
| ``/vnf_packages/{vnfPkgId}/package_content`` | PUT → 202 (409 unless CREATED); GET (Range) |
| ``…/package_content/upload_from_uri`` | POST → 202 (409 unless CREATED) |
| ``/vnf_packages/{vnfPkgId}/artifacts/{artifactPath}`` | GET (Range); 404, 409 |

``manifest`` and the ``artifacts`` list are SOL005 v3.x additions and not part of ``v1``. Every
other method answers 405 (the app's catch-all). Reading needs the reader role, changing the
admin role.
"""

from __future__ import annotations

import mimetypes
import posixpath

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
    VNF_PKG_COMPLEX,
    VNF_PKG_DEFAULT_EXCLUDE,
    CreateVnfPkgInfoRequest,
    UploadVnfPkgFromUriRequest,
    VnfPkgInfoModifications,
    read_json,
    vnf_pkg_info,
)
from netorch.api.sol013.problem import ProblemError
from netorch.services.package_api import ResourceKind
from netorch.services.package_files import descriptor_files, zip_of

router = APIRouter(prefix="/vnfpkgm/v1", tags=["vnfpkgm"])

VNF = ResourceKind.VNF_PACKAGE
_OCTET = "application/octet-stream"


@router.get("/vnf_packages")
def list_vnf_packages(request: Request, _: Reader) -> JSONResponse:
    """Query VNF packages (§9.4.2.3.2)."""
    return listed(request, VNF, vnf_pkg_info, default_exclude=VNF_PKG_DEFAULT_EXCLUDE,
                  complex_attrs=VNF_PKG_COMPLEX)


@router.post("/vnf_packages", status_code=201)
async def create_vnf_package(request: Request, _: Admin) -> JSONResponse:
    """Create an individual VNF package resource (§9.4.2.3.1): 201, Location, VnfPkgInfo."""
    body = await read_json(request, CreateVnfPkgInfoRequest, optional=True)
    return await created(request, VNF, body.user_defined_data, vnf_pkg_info)


@router.get("/vnf_packages/{vnfPkgId}")
def get_vnf_package(vnfPkgId: str, request: Request, _: Reader) -> JSONResponse:  # noqa: N803
    """Read information about an individual VNF package (§9.4.3.3.2)."""
    view = package_api(request).view(VNF, vnfPkgId)
    return JSONResponse(vnf_pkg_info(view, base_url(request)), headers={"ETag": etag(view)})


@router.patch("/vnf_packages/{vnfPkgId}")
async def modify_vnf_package(vnfPkgId: str, request: Request,  # noqa: N803
                             _: Admin) -> JSONResponse:
    """Enable / disable a VNF package, change its user defined data (§9.4.3.3.4): 200 with
    the modifications; 409 when not ONBOARDED or already in that state; 412 (If-Match)."""
    body = await read_json(request, VnfPkgInfoModifications, allowed=(MERGE_PATCH, JSON))
    if body.operational_state is None and body.user_defined_data is None:
        raise ProblemError(400, "the modifications change nothing: give operationalState "
                                "and/or userDefinedData")
    return await modified(request, VNF, vnfPkgId, operational_state=body.operational_state,
                          user_defined_data=body.user_defined_data)


@router.delete("/vnf_packages/{vnfPkgId}", status_code=204)
def delete_vnf_package(vnfPkgId: str, request: Request, _: Admin) -> Response:  # noqa: N803
    """Delete an individual VNF package (§9.4.3.3.5): 204; 409 unless DISABLED, NOT_IN_USE."""
    package_api(request).delete(VNF, vnfPkgId)
    return Response(status_code=204)


@router.get("/vnf_packages/{vnfPkgId}/vnfd")
def get_vnfd(vnfPkgId: str, request: Request, _: Reader) -> Response:  # noqa: N803
    """Read the VNFD of an on-boarded package (§9.4.4.3.2): a one-file VNFD as text/plain when
    accepted, else a ZIP of ``TOSCA-Metadata`` and the descriptor files; 406 when only
    text/plain is accepted and the VNFD has several files; 409 when not ONBOARDED."""
    pkg = package_api(request).package(VNF, vnfPkgId)
    files = descriptor_files(pkg)
    yaml_files = [f for f in files if f.endswith((".yaml", ".yml"))]
    offered = [TEXT, ZIP] if len(yaml_files) == 1 else [ZIP]
    chosen = negotiate(request, offered)
    if chosen is None:
        raise not_acceptable(request, offered)
    if chosen == TEXT:
        return Response(pkg.files[yaml_files[0]], media_type=TEXT)
    return Response(zip_of(pkg.files, files), media_type=ZIP,
                    headers={"Content-Disposition": 'attachment; filename="vnfd.zip"'})


@router.get("/vnf_packages/{vnfPkgId}/package_content")
def fetch_package_content(vnfPkgId: str, request: Request,  # noqa: N803
                          _: Reader) -> Response:
    """Fetch an on-boarded VNF package (§9.4.5.3.2): the ZIP, whole (200) or a byte range
    (206); 409 when not ONBOARDED; 416 for a range that cannot be served."""
    if negotiate(request, [ZIP]) is None:
        raise not_acceptable(request, [ZIP])
    rec, data = package_api(request).content(VNF, vnfPkgId)
    return ranged(request, data, ZIP, file_name=rec.content_name)


@router.put("/vnf_packages/{vnfPkgId}/package_content", status_code=202)
async def upload_package_content(vnfPkgId: str, request: Request,  # noqa: N803
                                 _: Admin) -> Response:
    """Upload a VNF package (§9.4.5.3.3): ``multipart/form-data`` (``file``) or the ZIP as
    ``application/zip``; 202 and processing continues asynchronously; 409 unless CREATED."""
    api = package_api(request)
    await run_in_threadpool(api.get, VNF, vnfPkgId)  # 404 before reading the body
    upload = await upload_body(request, (ZIP, _OCTET))
    await api.upload(VNF, vnfPkgId, upload.chunks, file_name=upload.file_name)
    return Response(status_code=202)


@router.post("/vnf_packages/{vnfPkgId}/package_content/upload_from_uri", status_code=202)
async def upload_package_from_uri(vnfPkgId: str, request: Request,  # noqa: N803
                                  _: Admin) -> Response:
    """Upload a VNF package from a URI (§9.4.6.3.1): 202; the NFVO fetches it (HTTP basic
    authentication with ``userName`` / ``password`` when given) and processes it
    asynchronously; 409 unless CREATED."""
    body = await read_json(request, UploadVnfPkgFromUriRequest)
    api = package_api(request)
    password = body.password.get_secret_value() if body.password is not None else None
    await api.upload_from_uri(VNF, vnfPkgId, body.address_information, user_name=body.user_name,
                              password=password)
    return Response(status_code=202)


@router.get("/vnf_packages/{vnfPkgId}/artifacts/{artifactPath:path}")
def fetch_artifact(vnfPkgId: str, artifactPath: str, request: Request,  # noqa: N803
                   _: Reader) -> Response:
    """Fetch an individual artifact of an on-boarded package by its path in the package
    (§9.4.7.3.2): 200 or 206 (Range); 404 when the package has no such file; 409 when not
    ONBOARDED; 416 for a range that cannot be served."""
    pkg = package_api(request).package(VNF, vnfPkgId)
    data = pkg.read(artifactPath)
    media = mimetypes.guess_type(artifactPath)[0] or _OCTET
    return ranged(request, data, media, file_name=posixpath.basename(artifactPath))
