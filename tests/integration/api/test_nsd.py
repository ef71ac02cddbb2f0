"""``nsd/v1`` (SOL005 v2.6.1 §5) against the real app under uvicorn, over HTTP.

NSD resources with their ``nsd``-prefixed states: create, read, list (filters, selectors),
asynchronous onboarding of a YAML or ZIP NSD that checks its VNFDs are onboarded (and goes
back to CREATED with failure details when they are not, or when the archive is hostile),
content download as text or ZIP with byte ranges, PATCH / DELETE rules including usage by an
NS instance, roles, 405 and 404, and the NSD notifications delivered to a real callback server.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from integration.api.packages_support import (
    VNF_PACKAGES,
    VROUTER_ID,
    ApiServer,
    HttpPeer,
    run_peer,
    run_server,
    wait_onboarding,
    zip_dir,
)
from netorch.services.context import Context
from netorch.services.notify import Notifier
from netorch.services.package_api import PackageApi
from netorch.services.settings import Settings

pytestmark = pytest.mark.timeout(300)

ROOT = "/nsd/v1/ns_descriptors"
PROBLEM = "application/problem+json"
NSD_ID = "8a1b2c3d-0000-4000-8000-0000000000a1"
NSD_YAML = (Path(__file__).parent / "data" / "edge-nsd.yaml").read_bytes()
MERGE = {"Content-Type": "application/merge-patch+json"}
STATE = "nsdOnboardingState"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    yield from run_server(tmp_path_factory.mktemp("nsd-home"))


@pytest.fixture(scope="module")
def peer() -> Iterator[HttpPeer]:
    yield from run_peer()


@pytest.fixture(scope="module")
def admin(server: ApiServer) -> httpx.Client:
    return server.client("admin", api="nsd")


@pytest.fixture(scope="module")
def vrouter(server: ApiServer) -> str:
    """The vRouter VNF package the NSD refers to, onboarded through vnfpkgm/v1."""
    pkgm = server.client("admin", api="vnfpkgm")
    href = str(pkgm.post("/vnfpkgm/v1/vnf_packages", json={}).headers["Location"])
    resp = pkgm.put(f"{href}/package_content", content=zip_dir(VNF_PACKAGES / "vrouter"),
                    headers={"Content-Type": "application/zip"})
    assert resp.status_code == 202
    assert wait_onboarding(pkgm, href)["onboardingState"] == "ONBOARDED"
    return href


def create(client: httpx.Client, **body: Any) -> str:
    resp = client.post(ROOT, json=body)
    assert resp.status_code == 201, resp.text
    return str(resp.headers["Location"])


def upload_yaml(client: httpx.Client, href: str, text: bytes = NSD_YAML) -> dict[str, Any]:
    resp = client.put(f"{href}/nsd_content", content=text,
                      headers={"Content-Type": "text/plain"})
    assert resp.status_code == 202, resp.text
    assert resp.content == b""
    return wait_onboarding(client, href, state_key=STATE)


def problem(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = resp.json()
    assert body["status"] == status and body["detail"]
    return body


def one_file_zip(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture(scope="module")
def onboarded(admin: httpx.Client, vrouter: str) -> str:
    href = create(admin, userDefinedData={"team": "edge"})
    body = upload_yaml(admin, href)
    assert body[STATE] == "ONBOARDED", body
    return href


# -- create / read -------------------------------------------------------------------------------


def test_create_answers_201_with_nsd_prefixed_states(admin: httpx.Client) -> None:
    resp = admin.post(ROOT, json={"userDefinedData": {"owner": "ops"}})
    assert resp.status_code == 201
    body = resp.json()
    assert resp.headers["Location"] == body["_links"]["self"]["href"]
    assert resp.headers["Location"].endswith(f"{ROOT}/{body['id']}")
    assert body["nsdOnboardingState"] == "CREATED"
    assert body["nsdOperationalState"] == "DISABLED"
    assert body["nsdUsageState"] == "NOT_IN_USE"
    assert body["userDefinedData"] == {"owner": "ops"}
    assert body["_links"]["nsd_content"]["href"].endswith("/nsd_content")
    assert "onboardingState" not in body and "nsdId" not in body
    assert admin.get(resp.headers["Location"]).json() == body
    problem(admin.post(ROOT, content=b"[]", headers={"Content-Type": "application/json"}), 400)
    problem(admin.post(ROOT, content=b"x", headers={"Content-Type": "text/plain"}), 415)


def test_unknown_ids_are_404(admin: httpx.Client) -> None:
    missing = f"{ROOT}/00000000-0000-4000-8000-000000000000"
    for resp in (admin.get(missing), admin.delete(missing),
                 admin.patch(missing, json={"nsdOperationalState": "ENABLED"}, headers=MERGE),
                 admin.get(f"{missing}/nsd_content"),
                 admin.put(f"{missing}/nsd_content", content=NSD_YAML,
                           headers={"Content-Type": "text/plain"})):
        problem(resp, 404)


# -- onboarding --------------------------------------------------------------------------------


def test_a_yaml_nsd_onboards_with_its_identity_and_vnf_packages(
        admin: httpx.Client, onboarded: str, vrouter: str) -> None:
    body = admin.get(onboarded).json()
    assert body[STATE] == "ONBOARDED"
    assert body["nsdOperationalState"] == "ENABLED"
    assert body["nsdUsageState"] == "NOT_IN_USE"
    assert (body["nsdId"], body["nsdName"], body["nsdVersion"], body["nsdDesigner"],
            body["nsdInvariantId"]) == (NSD_ID, "edge", "1.4", "edge-team",
                                        "8a1b2c3d-0000-4000-8000-0000000000a2")
    assert body["vnfPkgIds"] == [vrouter.rsplit("/", 1)[1]]
    assert body["userDefinedData"] == {"team": "edge"}
    assert "onboardingFailureDetails" not in body
    problem(admin.put(f"{onboarded}/nsd_content", content=NSD_YAML,
                      headers={"Content-Type": "text/plain"}), 409)


def test_an_nsd_whose_vnfd_is_not_onboarded_fails_and_can_be_uploaded_again(
        admin: httpx.Client, vrouter: str) -> None:
    unknown = "99999999-0000-4000-8000-000000000099"
    broken = NSD_YAML.replace(VROUTER_ID.encode(), unknown.encode())
    href = create(admin)
    body = upload_yaml(admin, href, broken)
    assert body[STATE] == "CREATED"
    details = body["onboardingFailureDetails"]
    assert details["status"] == 422 and unknown in details["detail"], details
    problem(admin.get(f"{href}/nsd_content"), 409)
    assert upload_yaml(admin, href)[STATE] == "ONBOARDED"


@pytest.mark.parametrize(("case", "expect"), [
    ("zip-slip", "escaped"),
    ("not-yaml", "yaml.syntax"),
    ("vnf-package", "not an NSD"),
])
def test_a_bad_nsd_goes_back_to_created(admin: httpx.Client, vrouter: str, case: str,
                                        expect: str) -> None:
    if case == "zip-slip":
        content = one_file_zip("../../escaped.yaml", NSD_YAML)
        ctype = "application/zip"
    elif case == "not-yaml":
        content, ctype = b"topology_template: [unclosed\n", "text/plain"
    else:
        content, ctype = zip_dir(VNF_PACKAGES / "vfirewall"), "application/zip"
    href = create(admin)
    assert admin.put(f"{href}/nsd_content", content=content,
                     headers={"Content-Type": ctype}).status_code == 202
    body = wait_onboarding(admin, href, state_key=STATE)
    assert body[STATE] == "CREATED"
    details = body["onboardingFailureDetails"]
    codes = " ".join(d["code"] for d in details.get("diagnostics", []))
    assert details["status"] == 422, details
    assert expect in details["detail"] or expect in codes, details


def test_a_zip_nsd_and_its_content(admin: httpx.Client, vrouter: str) -> None:
    data = one_file_zip("edge-nsd.yaml", NSD_YAML)
    href = create(admin)
    resp = admin.put(f"{href}/nsd_content",
                     files={"file": ("edge-nsd.zip", data, "application/zip")})
    assert resp.status_code == 202, resp.text
    assert wait_onboarding(admin, href, state_key=STATE)[STATE] == "ONBOARDED"
    whole = admin.get(f"{href}/nsd_content", headers={"Accept": "application/zip"})
    assert whole.status_code == 200 and whole.content == data
    # Stored as an archive: not available as text/plain.
    problem(admin.get(f"{href}/nsd_content", headers={"Accept": "text/plain"}), 406)


def test_a_multipart_yaml_upload(admin: httpx.Client, vrouter: str) -> None:
    href = create(admin)
    resp = admin.put(f"{href}/nsd_content",
                     files={"file": ("edge-nsd.yaml", NSD_YAML, "text/plain")})
    assert resp.status_code == 202, resp.text
    assert wait_onboarding(admin, href, state_key=STATE)[STATE] == "ONBOARDED"
    problem(admin.put(f"{create(admin)}/nsd_content", content=b"{}",
                      headers={"Content-Type": "application/json"}), 415)


# -- content -----------------------------------------------------------------------------------


def test_nsd_content_as_text_zip_and_ranges(admin: httpx.Client, onboarded: str) -> None:
    url = f"{onboarded}/nsd_content"
    text = admin.get(url, headers={"Accept": "text/plain"})
    assert text.status_code == 200 and text.content == NSD_YAML
    assert text.headers["content-type"].startswith("text/plain")
    packed = admin.get(url, headers={"Accept": "application/zip"})
    assert packed.status_code == 200 and packed.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(packed.content)) as zf:
        assert [zf.read(n) for n in zf.namelist()] == [NSD_YAML]
    either = admin.get(url, headers={"Accept": "text/plain,application/zip"})
    assert either.content == NSD_YAML
    part = admin.get(url, headers={"Accept": "text/plain", "Range": "bytes=0-23"})
    assert part.status_code == 206 and part.content == NSD_YAML[:24]
    assert part.headers["content-range"] == f"bytes 0-23/{len(NSD_YAML)}"
    beyond = admin.get(url, headers={"Accept": "text/plain",
                                     "Range": f"bytes={len(NSD_YAML)}-"})
    problem(beyond, 416)
    assert beyond.headers["content-range"] == f"bytes */{len(NSD_YAML)}"
    problem(admin.get(url, headers={"Accept": "application/json"}), 406)


# -- PATCH / DELETE ----------------------------------------------------------------------------


def test_patch_and_delete_rules(admin: httpx.Client, server: ApiServer, vrouter: str) -> None:
    href = create(admin, userDefinedData={"a": 1, "b": 2})
    problem(admin.patch(href, json={"nsdOperationalState": "ENABLED"}, headers=MERGE), 409)
    resp = admin.patch(href, json={"userDefinedData": {"b": None, "c": 3}}, headers=MERGE)
    assert resp.status_code == 200 and resp.json() == {"userDefinedData": {"b": None, "c": 3}}
    assert admin.get(href).json()["userDefinedData"] == {"a": 1, "c": 3}
    upload_yaml(admin, href)
    problem(admin.patch(href, json={"nsdOperationalState": "ENABLED"}, headers=MERGE), 409)
    problem(admin.delete(href), 409)
    problem(admin.patch(href, json={"nsdOperationalState": "DISABLED"},
                        headers={**MERGE, "If-Match": '"old"'}), 412)
    resp = admin.patch(href, json={"nsdOperationalState": "DISABLED"}, headers=MERGE)
    assert resp.status_code == 200 and resp.json() == {"nsdOperationalState": "DISABLED"}
    assert admin.get(href).json()["nsdOperationalState"] == "DISABLED"
    problem(admin.patch(href, json={"nsdOperationalState": "DISABLED"}, headers=MERGE), 409)
    problem(admin.patch(href, json={"operationalState": "ENABLED"}, headers=MERGE), 400)

    # An NS instance refers to it: IN_USE, and it cannot be deleted.
    nsd_id = href.rsplit("/", 1)[1]
    services = PackageApi(Context(Settings(home=server.home)))
    try:
        services.add_nsd_user(nsd_id, "ns-1")
        assert services.nsd_in_use(nsd_id)
        assert admin.get(href).json()["nsdUsageState"] == "IN_USE"
        problem(admin.delete(href), 409)
        services.remove_nsd_user(nsd_id, "ns-1")
        assert not services.nsd_in_use(nsd_id)
    finally:
        services.ctx.close()
    assert admin.get(href).json()["nsdUsageState"] == "NOT_IN_USE"
    assert admin.delete(href).status_code == 204
    problem(admin.get(href), 404)


def test_the_vnf_package_an_onboarded_nsd_needs_cannot_be_deleted(
        admin: httpx.Client, server: ApiServer, onboarded: str, vrouter: str) -> None:
    pkgm = server.client("admin", api="vnfpkgm")
    assert pkgm.patch(vrouter, json={"operationalState": "DISABLED"},
                      headers=MERGE).status_code == 200
    try:
        detail = problem(pkgm.delete(vrouter), 409)["detail"]
        assert VROUTER_ID in detail
    finally:
        assert pkgm.patch(vrouter, json={"operationalState": "ENABLED"},
                          headers=MERGE).status_code == 200


# -- list --------------------------------------------------------------------------------------


def test_list_filters_and_selectors(admin: httpx.Client, onboarded: str) -> None:
    created_id = create(admin, userDefinedData={"marker": "nsd-list"}).rsplit("/", 1)[1]
    onboarded_id = onboarded.rsplit("/", 1)[1]

    def ids(params: dict[str, str]) -> set[str]:
        resp = admin.get(ROOT, params=params)
        assert resp.status_code == 200, resp.text
        return {n["id"] for n in resp.json()}

    assert {created_id, onboarded_id} <= ids({})
    onboarded_ids = ids({"filter": "(eq,nsdOnboardingState,ONBOARDED)"})
    assert onboarded_id in onboarded_ids and created_id not in onboarded_ids
    created_ids = ids({"filter": "(neq,nsdOnboardingState,ONBOARDED)"})
    assert created_id in created_ids and onboarded_id not in created_ids
    assert onboarded_id in ids({"filter": f"(eq,nsdId,{NSD_ID});(eq,nsdDesigner,edge-team)"})
    assert ids({"filter": "(eq,userDefinedData/marker,nsd-list)"}) == {created_id}
    entry = next(n for n in admin.get(ROOT).json() if n["id"] == onboarded_id)
    assert "userDefinedData" not in entry and entry["nsdId"] == NSD_ID
    chosen = next(n for n in admin.get(ROOT, params={"fields": "userDefinedData"}).json()
                  if n["id"] == onboarded_id)
    assert chosen["userDefinedData"] == {"team": "edge"}
    problem(admin.get(ROOT, params={"filter": "(bogus,nsdId,x)"}), 400)


# -- roles, methods ----------------------------------------------------------------------------


def test_roles(server: ApiServer, onboarded: str) -> None:
    reader = server.client("reader", api="nsd")
    operator = server.client("operator", api="nsd")
    assert reader.get(ROOT).status_code == 200
    assert reader.get(f"{onboarded}/nsd_content").status_code == 200
    problem(reader.post(ROOT, json={}), 403)
    problem(operator.patch(onboarded, json={"nsdOperationalState": "DISABLED"},
                           headers=MERGE), 403)
    problem(operator.delete(onboarded), 403)
    problem(operator.put(f"{onboarded}/nsd_content", content=NSD_YAML,
                         headers={"Content-Type": "text/plain"}), 403)
    assert server.client(None, api="nsd").get(ROOT).status_code == 401


@pytest.mark.parametrize(("method", "sub"), [
    ("PUT", ""), ("PATCH", ""), ("DELETE", ""),
    ("POST", "/{id}"), ("PUT", "/{id}"),
    ("POST", "/{id}/nsd_content"), ("PATCH", "/{id}/nsd_content"),
    ("DELETE", "/{id}/nsd_content"),
])
def test_methods_not_implemented_are_405(admin: httpx.Client, onboarded: str, method: str,
                                         sub: str) -> None:
    resp = admin.request(method, ROOT + sub.format(id=onboarded.rsplit("/", 1)[1]))
    problem(resp, 405)
    assert method not in resp.headers["Allow"]


# -- notifications -----------------------------------------------------------------------------


def test_nsd_notifications_reach_a_subscriber(admin: httpx.Client, server: ApiServer,
                                              peer: HttpPeer, vrouter: str) -> None:
    ctx = Context(Settings(home=server.home))
    try:
        sub, _ = asyncio.run(Notifier(ctx.store, ctx.settings).subscribe(
            "nsd", f"{peer.url}/callback/nsd", None, None))
    finally:
        ctx.close()

    def seen(nsd_info_id: str, kind: str) -> dict[str, Any]:
        return peer.wait_for(lambda n: n.get("nsdInfoId") == nsd_info_id
                             and n["notificationType"] == kind)

    failing = create(admin)
    upload_yaml(admin, failing, NSD_YAML.replace(VROUTER_ID.encode(), b"not-onboarded"))
    failure = seen(failing.rsplit("/", 1)[1], "NsdOnBoardingFailureNotification")
    assert failure["subscriptionId"] == sub.id
    assert failure["onboardingFailureDetails"]["status"] == 422

    href = create(admin)
    nsd_info_id = href.rsplit("/", 1)[1]
    upload_yaml(admin, href)
    done = seen(nsd_info_id, "NsdOnBoardingNotification")
    assert done["nsdId"] == NSD_ID
    assert done["_links"]["nsdInfo"]["href"].endswith(f"{ROOT}/{nsd_info_id}")
    admin.patch(href, json={"nsdOperationalState": "DISABLED"}, headers=MERGE)
    assert seen(nsd_info_id, "NsdChangeNotification")["nsdOperationalState"] == "DISABLED"
    assert admin.delete(href).status_code == 204
    seen(nsd_info_id, "NsdDeletionNotification")


def test_an_nsd_onboarded_with_the_cli_is_an_nsd_resource(tmp_path: Path) -> None:
    """``netorch onboard`` of a VNF package and an NSD referring to it: both appear in the
    API (ONBOARDED / ENABLED / NOT_IN_USE, the NSD's ``vnfPkgIds`` naming the package); an NS
    instance created from the NSD makes it IN_USE; ``netorch packages delete`` removes it."""
    from netorch.services.onboarding import delete_package, list_packages, onboard

    with contextmanager(run_server)(tmp_path) as server:
        ctx = Context(Settings(home=server.home))
        try:
            assert onboard(ctx, VNF_PACKAGES / "vrouter").record is not None
            nsd_path = tmp_path / "edge-nsd.yaml"
            nsd_path.write_bytes(NSD_YAML)
            nsd_rec = onboard(ctx, nsd_path).record
            assert nsd_rec is not None
            client = server.client("admin", api="nsd")
            vnf_client = server.client("admin", api="vnfpkgm")
            vnf_ids = [p["id"] for p in vnf_client.get("/vnfpkgm/v1/vnf_packages").json()]
            listed = client.get(ROOT).json()
            assert [(n["nsdId"], n["nsdOnboardingState"], n["nsdOperationalState"],
                     n["nsdUsageState"], n["vnfPkgIds"]) for n in listed] == [
                (NSD_ID, "ONBOARDED", "ENABLED", "NOT_IN_USE", vnf_ids)]
            lcm = server.client("admin", api="nslcm")
            made = lcm.post("/nslcm/v1/ns_instances", json={
                "nsdId": NSD_ID, "nsName": "edge", "nsDescription": ""})
            assert made.status_code == 201, made.text
            assert made.json()["nsdInfoId"] == listed[0]["id"]
            assert client.get(f"{ROOT}/{listed[0]['id']}").json()["nsdUsageState"] == "IN_USE"
            assert lcm.delete(f"/nslcm/v1/ns_instances/{made.json()['id']}").status_code == 204
            delete_package(ctx, nsd_rec.content_hash)
            assert client.get(ROOT).json() == []
            assert [r.descriptor_id for r in list_packages(ctx)] == [VROUTER_ID]
        finally:
            ctx.close()
