"""``vnfpkgm/v1`` (SOL005 v2.6.1 §9) against the real app under uvicorn, over HTTP.

Every resource and method: create, read, list (SOL013 filter / selectors), asynchronous
onboarding through its states (and back to CREATED with failure details for hostile or broken
packages), content and artifact download with byte ranges, the VNFD as text or ZIP,
upload from a URI with basic authentication, PATCH / DELETE rules, roles, 405 and 404, and the
package notifications delivered to a real callback server.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from integration.api.packages_support import (
    VFIREWALL_ID,
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

ROOT = "/vnfpkgm/v1/vnf_packages"
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    yield from run_server(tmp_path_factory.mktemp("vnfpkgm-home"))


@pytest.fixture(scope="module")
def peer() -> Iterator[HttpPeer]:
    yield from run_peer()


@pytest.fixture(scope="module")
def admin(server: ApiServer) -> httpx.Client:
    return server.client("admin", api="vnfpkgm")


@pytest.fixture(scope="module")
def vrouter_zip() -> bytes:
    return zip_dir(VNF_PACKAGES / "vrouter")


@pytest.fixture(scope="module")
def vfirewall_zip() -> bytes:
    return zip_dir(VNF_PACKAGES / "vfirewall")


def create(client: httpx.Client, **body: Any) -> str:
    resp = client.post(ROOT, json=body)
    assert resp.status_code == 201, resp.text
    return str(resp.headers["Location"])


def upload(client: httpx.Client, href: str, data: bytes) -> dict[str, Any]:
    resp = client.put(f"{href}/package_content",
                      files={"file": ("package.zip", data, "application/zip")})
    assert resp.status_code == 202, resp.text
    assert resp.content == b""
    return wait_onboarding(client, href)


@pytest.fixture(scope="module")
def onboarded(admin: httpx.Client, vfirewall_zip: bytes) -> str:
    """A vFirewall package onboarded once for the read-only tests."""
    href = create(admin, userDefinedData={"site": "lab"})
    body = upload(admin, href, vfirewall_zip)
    assert body["onboardingState"] == "ONBOARDED", body
    return href


def problem(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = resp.json()
    assert body["status"] == status and body["detail"]
    return body


def rezip(data: bytes, changes: dict[str, bytes]) -> bytes:
    """``data`` with some members replaced or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename not in changes:
                dst.writestr(info.filename, src.read(info))
        for name, content in changes.items():
            dst.writestr(name, content)
    return out.getvalue()


# -- create / read -------------------------------------------------------------------------------


def test_create_answers_201_with_location_and_a_created_package(admin: httpx.Client) -> None:
    resp = admin.post(ROOT, json={"userDefinedData": {"owner": "team-a", "tier": 1}})
    assert resp.status_code == 201
    body = resp.json()
    assert resp.headers["Location"] == body["_links"]["self"]["href"]
    assert resp.headers["Location"].endswith(f"{ROOT}/{body['id']}")
    assert body["onboardingState"] == "CREATED"
    assert body["operationalState"] == "DISABLED"
    assert body["usageState"] == "NOT_IN_USE"
    assert body["userDefinedData"] == {"owner": "team-a", "tier": 1}
    assert body["_links"]["packageContent"]["href"].endswith("/package_content")
    assert "vnfd" not in body["_links"] and "vnfdId" not in body
    again = admin.get(resp.headers["Location"])
    assert again.status_code == 200 and again.json() == body
    assert again.headers["ETag"]


def test_create_without_a_body_and_bad_bodies(admin: httpx.Client) -> None:
    resp = admin.post(ROOT)
    assert resp.status_code == 201 and resp.json()["userDefinedData"] == {}
    problem(admin.post(ROOT, content=b"{not json", headers={"Content-Type": "application/json"}),
            400)
    problem(admin.post(ROOT, json={"userDefinedData": "not an object"}), 400)
    problem(admin.post(ROOT, content=b"<x/>", headers={"Content-Type": "application/xml"}), 415)


def test_unknown_ids_are_404_on_every_resource(admin: httpx.Client) -> None:
    missing = f"{ROOT}/00000000-0000-4000-8000-000000000000"
    for resp in (admin.get(missing), admin.delete(missing),
                 admin.patch(missing, json={"operationalState": "ENABLED"},
                             headers={"Content-Type": "application/merge-patch+json"}),
                 admin.get(f"{missing}/package_content"), admin.get(f"{missing}/vnfd"),
                 admin.get(f"{missing}/artifacts/ChangeLog.txt"),
                 admin.put(f"{missing}/package_content", content=b"PK",
                           headers={"Content-Type": "application/zip"}),
                 admin.post(f"{missing}/package_content/upload_from_uri",
                            json={"addressInformation": "http://127.0.0.1:9/x.zip"})):
        problem(resp, 404)


# -- onboarding --------------------------------------------------------------------------------


def test_multipart_upload_onboards_asynchronously(admin: httpx.Client, onboarded: str,
                                                  vfirewall_zip: bytes) -> None:
    body = admin.get(onboarded).json()
    assert body["onboardingState"] == "ONBOARDED"
    assert body["operationalState"] == "ENABLED"
    assert body["usageState"] == "NOT_IN_USE"
    assert body["vnfdId"] == VFIREWALL_ID
    assert (body["vnfProvider"], body["vnfProductName"], body["vnfSoftwareVersion"],
            body["vnfdVersion"]) == ("netorch", "vFirewall", "2.1.0", "2.1.0")
    assert body["checksum"] == {"algorithm": "SHA-256",
                                "hash": hashlib.sha256(vfirewall_zip).hexdigest()}
    assert body["userDefinedData"] == {"site": "lab"}
    assert "onboardingFailureDetails" not in body
    images = {i["imagePath"]: i for i in body["softwareImages"]}
    fw = images["Files/images/vfirewall-fw-2.1.0.qcow2"]
    digest = hashlib.sha256(
        (VNF_PACKAGES / "vfirewall/Files/images/vfirewall-fw-2.1.0.qcow2").read_bytes())
    assert fw["checksum"] == {"algorithm": "SHA-256", "hash": digest.hexdigest()}
    assert (fw["name"], fw["version"], fw["diskFormat"], fw["containerFormat"],
            fw["size"]) == ("vfirewall-fw-2.1.0", "2.1.0", "QCOW2", "BARE", 163)
    assert len(images) == 2
    paths = [a["artifactPath"] for a in body["additionalArtifacts"]]
    assert paths == ["ChangeLog.txt", "Licenses/LICENSE.txt", "Scripts/configure_rules.sh"]
    assert body["_links"]["vnfd"]["href"] == f"{body['_links']['self']['href']}/vnfd"


def test_raw_zip_upload_is_uploading_while_the_body_arrives(admin: httpx.Client,
                                                           server: ApiServer,
                                                           vrouter_zip: bytes) -> None:
    import threading
    import time

    href = create(admin)
    release = threading.Event()

    def body() -> Iterator[bytes]:
        yield vrouter_zip[:100]
        release.wait(30)
        yield vrouter_zip[100:]

    result: dict[str, httpx.Response] = {}
    uploader = server.client("admin", api="vnfpkgm")
    thread = threading.Thread(target=lambda: result.setdefault("put", uploader.put(
        f"{href}/package_content", content=body(),
        headers={"Content-Type": "application/zip"})))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while admin.get(href).json()["onboardingState"] != "UPLOADING":
            assert time.monotonic() < deadline, "never UPLOADING"
            time.sleep(0.02)
        # Meanwhile nobody else can upload.
        problem(admin.put(f"{href}/package_content", content=vrouter_zip,
                          headers={"Content-Type": "application/zip"}), 409)
    finally:
        release.set()
        thread.join(30)
    assert result["put"].status_code == 202, result["put"].text
    body_ = wait_onboarding(admin, href)
    assert body_["onboardingState"] == "ONBOARDED" and body_["vnfdId"] == VROUTER_ID
    # Content can be uploaded once: a second PUT is a conflict.
    problem(admin.put(f"{href}/package_content", content=vrouter_zip,
                      headers={"Content-Type": "application/zip"}), 409)


@pytest.mark.parametrize(("case", "expect"), [
    ("zip-slip", "escaped"),
    ("absolute", "/tmp/"),
    ("bomb", "ratio"),
    ("tampered", "Definitions/vrouter_vnfd.yaml"),
    ("not-a-zip", "ZIP"),
    ("nsd-instead", "not a VNF package"),
])
def test_a_bad_package_goes_back_to_created_with_failure_details(
        admin: httpx.Client, vrouter_zip: bytes, case: str, expect: str) -> None:
    if case == "zip-slip":
        data = rezip(vrouter_zip, {"../../escaped.txt": b"owned"})
    elif case == "absolute":
        data = rezip(vrouter_zip, {"/tmp/netorch-api-escaped.txt": b"owned"})
    elif case == "bomb":
        data = rezip(vrouter_zip, {"Files/bomb.bin": bytes(8 * 1024 * 1024)})
    elif case == "tampered":
        data = rezip(vrouter_zip, {"Definitions/vrouter_vnfd.yaml": (
            VNF_PACKAGES / "vrouter/Definitions/vrouter_vnfd.yaml").read_bytes() + b"\n# x\n"})
    elif case == "not-a-zip":
        data = b"tosca_definitions_version: tosca_simple_yaml_1_3\n"
    else:
        data = _nsd_zip()
    href = create(admin)
    body = upload(admin, href, data)
    assert body["onboardingState"] == "CREATED", body
    details = body["onboardingFailureDetails"]
    assert details["status"] in (400, 422) and expect in details["detail"], details
    assert body["operationalState"] == "DISABLED"
    problem(admin.get(f"{href}/package_content"), 409)
    # Nothing escaped the staging area.
    assert not Path("/tmp/netorch-api-escaped.txt").exists()
    # The package can be uploaded again, and then onboards.
    again = upload(admin, href, vrouter_zip)
    assert again["onboardingState"] == "ONBOARDED"
    assert "onboardingFailureDetails" not in again


def _nsd_zip() -> bytes:
    nsd = Path(__file__).parent / "data" / "edge-nsd.yaml"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("edge-nsd.yaml", nsd.read_bytes())
    return buf.getvalue()


def test_an_empty_upload_is_refused_and_the_package_stays_created(admin: httpx.Client) -> None:
    href = create(admin)
    problem(admin.put(f"{href}/package_content", content=b"",
                      headers={"Content-Type": "application/zip"}), 400)
    body = admin.get(href).json()
    assert body["onboardingState"] == "CREATED"
    assert body["onboardingFailureDetails"]["status"] == 400
    problem(admin.put(f"{href}/package_content", content=b"x",
                      headers={"Content-Type": "application/json"}), 415)
    problem(admin.put(f"{href}/package_content", files={"other": ("a.zip", b"PK")}), 400)


# -- upload from URI ---------------------------------------------------------------------------


def test_upload_from_uri_with_basic_authentication(admin: httpx.Client, peer: HttpPeer,
                                                   vrouter_zip: bytes) -> None:
    peer.files["/repo/vrouter.zip"] = vrouter_zip
    peer.basic = ("fetcher", "s3cret")
    try:
        href = create(admin)
        resp = admin.post(f"{href}/package_content/upload_from_uri", json={
            "addressInformation": f"{peer.url}/repo/vrouter.zip",
            "userName": "fetcher", "password": "s3cret"})
        assert resp.status_code == 202 and resp.content == b""
        body = wait_onboarding(admin, href)
        assert body["onboardingState"] == "ONBOARDED" and body["vnfdId"] == VROUTER_ID
        # Not CREATED any more: 409.
        problem(admin.post(f"{href}/package_content/upload_from_uri", json={
            "addressInformation": f"{peer.url}/repo/vrouter.zip"}), 409)

        # Wrong password: the fetch fails, the package is CREATED again, and the failure
        # details never echo the credentials.
        href = create(admin)
        resp = admin.post(f"{href}/package_content/upload_from_uri", json={
            "addressInformation": f"{peer.url}/repo/vrouter.zip",
            "userName": "fetcher", "password": "wrong-password"})
        assert resp.status_code == 202
        body = wait_onboarding(admin, href)
        assert body["onboardingState"] == "CREATED"
        assert "401" in body["onboardingFailureDetails"]["detail"]
        assert "wrong-password" not in str(body)
    finally:
        peer.basic = None


def test_upload_from_uri_refuses_other_schemes_and_bad_bodies(admin: httpx.Client) -> None:
    href = create(admin)
    problem(admin.post(f"{href}/package_content/upload_from_uri",
                       json={"addressInformation": "file:///etc/passwd"}), 400)
    problem(admin.post(f"{href}/package_content/upload_from_uri", json={}), 400)
    assert admin.get(href).json()["onboardingState"] == "CREATED"


# -- package content, VNFD, artifacts -----------------------------------------------------------


def test_package_content_whole_and_by_range(admin: httpx.Client, onboarded: str,
                                            vfirewall_zip: bytes) -> None:
    url = f"{onboarded}/package_content"
    whole = admin.get(url)
    assert whole.status_code == 200 and whole.content == vfirewall_zip
    assert whole.headers["content-type"] == "application/zip"
    assert whole.headers["accept-ranges"] == "bytes"
    size = len(vfirewall_zip)
    part = admin.get(url, headers={"Range": "bytes=10-99"})
    assert part.status_code == 206 and part.content == vfirewall_zip[10:100]
    assert part.headers["content-range"] == f"bytes 10-99/{size}"
    tail = admin.get(url, headers={"Range": "bytes=-16"})
    assert tail.status_code == 206 and tail.content == vfirewall_zip[-16:]
    open_end = admin.get(url, headers={"Range": f"bytes={size - 5}-"})
    assert open_end.status_code == 206 and open_end.content == vfirewall_zip[-5:]
    beyond = admin.get(url, headers={"Range": f"bytes={size}-{size + 10}"})
    problem(beyond, 416)
    assert beyond.headers["content-range"] == f"bytes */{size}"
    problem(admin.get(url, headers={"Range": "bytes=50-10"}), 416)
    problem(admin.get(url, headers={"Accept": "application/json"}), 406)


def test_content_of_a_package_not_onboarded_is_a_conflict(admin: httpx.Client) -> None:
    href = create(admin)
    for sub in ("package_content", "vnfd", "artifacts/ChangeLog.txt"):
        problem(admin.get(f"{href}/{sub}"), 409)


def test_vnfd_as_text_or_zip(admin: httpx.Client, onboarded: str) -> None:
    vnfd = (VNF_PACKAGES / "vfirewall/Definitions/vfirewall_vnfd.yaml").read_bytes()
    text = admin.get(f"{onboarded}/vnfd", headers={"Accept": "text/plain"})
    assert text.status_code == 200 and text.content == vnfd
    assert text.headers["content-type"].startswith("text/plain")
    packed = admin.get(f"{onboarded}/vnfd", headers={"Accept": "application/zip"})
    assert packed.status_code == 200 and packed.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(packed.content)) as zf:
        assert zf.namelist() == ["TOSCA-Metadata/TOSCA.meta",
                                 "Definitions/vfirewall_vnfd.yaml"]
        assert zf.read("Definitions/vfirewall_vnfd.yaml") == vnfd
    both = admin.get(f"{onboarded}/vnfd", headers={"Accept": "text/plain, application/zip"})
    assert both.status_code == 200 and both.content == vnfd
    problem(admin.get(f"{onboarded}/vnfd", headers={"Accept": "application/json"}), 406)


def test_a_multi_file_vnfd_is_only_a_zip(admin: httpx.Client, vrouter_zip: bytes) -> None:
    extra = b"tosca_definitions_version: tosca_simple_yaml_1_3\ndescription: extra types\n"
    manifest = (VNF_PACKAGES / "vrouter/vrouter.mf").read_bytes().rstrip(b"\n") + (
        b"\n\nSource: Definitions/extra_types.yaml\nAlgorithm: SHA-256\nHash: "
        + hashlib.sha256(extra).hexdigest().encode() + b"\n")
    data = rezip(vrouter_zip, {"Definitions/extra_types.yaml": extra, "vrouter.mf": manifest})
    href = create(admin)
    body = upload(admin, href, data)
    assert body["onboardingState"] == "ONBOARDED", body
    problem(admin.get(f"{href}/vnfd", headers={"Accept": "text/plain"}), 406)
    packed = admin.get(f"{href}/vnfd")
    assert packed.status_code == 200
    with zipfile.ZipFile(io.BytesIO(packed.content)) as zf:
        assert zf.namelist() == ["TOSCA-Metadata/TOSCA.meta", "Definitions/vrouter_vnfd.yaml",
                                 "Definitions/extra_types.yaml"]


def test_artifacts_whole_by_range_and_missing(admin: httpx.Client, onboarded: str) -> None:
    script = (VNF_PACKAGES / "vfirewall/Scripts/configure_rules.sh").read_bytes()
    url = f"{onboarded}/artifacts/Scripts/configure_rules.sh"
    whole = admin.get(url)
    assert whole.status_code == 200 and whole.content == script
    part = admin.get(url, headers={"Range": "bytes=0-3"})
    assert part.status_code == 206 and part.content == script[:4]
    assert part.headers["content-range"] == f"bytes 0-3/{len(script)}"
    problem(admin.get(url, headers={"Range": f"bytes={len(script) + 1}-"}), 416)
    image = admin.get(f"{onboarded}/artifacts/Files/images/vfirewall-fw-2.1.0.qcow2")
    assert image.status_code == 200 and len(image.content) == 163
    problem(admin.get(f"{onboarded}/artifacts/Scripts/nothing.sh"), 404)
    problem(admin.get(f"{onboarded}/artifacts/Scripts/%2E%2E/%2E%2E/etc/passwd"), 404)


# -- PATCH / DELETE ----------------------------------------------------------------------------


MERGE = {"Content-Type": "application/merge-patch+json"}


def patch(client: httpx.Client, href: str, body: dict[str, Any],
          **headers: str) -> httpx.Response:
    return client.patch(href, json=body, headers={**MERGE, **headers})


def test_patch_and_delete_rules(admin: httpx.Client, vrouter_zip: bytes) -> None:
    href = create(admin, userDefinedData={"keep": "yes", "drop": "me", "nested": {"a": 1}})
    # Not onboarded: the operational state cannot change, but user data can.
    problem(patch(admin, href, {"operationalState": "ENABLED"}), 409)
    resp = patch(admin, href, {"userDefinedData": {"drop": None, "nested": {"b": 2}}})
    assert resp.status_code == 200
    assert resp.json() == {"userDefinedData": {"drop": None, "nested": {"b": 2}}}
    assert admin.get(href).json()["userDefinedData"] == {"keep": "yes",
                                                         "nested": {"a": 1, "b": 2}}
    upload(admin, href, vrouter_zip)
    # ONBOARDED and ENABLED: enabling again is a conflict; deleting needs DISABLED.
    problem(patch(admin, href, {"operationalState": "ENABLED"}), 409)
    problem(admin.delete(href), 409)
    # If-Match: a stale entity tag is refused with 412, the current one is accepted.
    problem(patch(admin, href, {"operationalState": "DISABLED"}, **{"If-Match": '"stale"'}),
            412)
    current = admin.get(href).headers["ETag"]
    resp = patch(admin, href, {"operationalState": "DISABLED"}, **{"If-Match": current})
    assert resp.status_code == 200 and resp.json() == {"operationalState": "DISABLED"}
    assert admin.get(href).json()["operationalState"] == "DISABLED"
    problem(patch(admin, href, {"operationalState": "DISABLED"}), 409)
    # Bad modifications.
    problem(patch(admin, href, {}), 400)
    problem(patch(admin, href, {"operationalState": "BROKEN"}), 400)
    problem(admin.patch(href, content=b"operationalState=ENABLED",
                        headers={"Content-Type": "text/plain"}), 415)
    # DISABLED and NOT_IN_USE: deleted.
    assert admin.delete(href).status_code == 204
    problem(admin.get(href), 404)
    problem(admin.delete(href), 404)


def test_a_created_package_can_be_deleted(admin: httpx.Client) -> None:
    href = create(admin)
    assert admin.delete(href).status_code == 204


def test_a_package_in_use_cannot_be_deleted(admin: httpx.Client, server: ApiServer,
                                            vrouter_zip: bytes) -> None:
    # An NS instance using an NSD that refers to the vRouter VNFD makes the package IN_USE.
    href = create(admin)
    upload(admin, href, vrouter_zip)
    nsd = server.client("admin", api="nsd")
    nsd_href = str(nsd.post("/nsd/v1/ns_descriptors", json={}).headers["Location"])
    resp = nsd.put(f"{nsd_href}/nsd_content", content=_nsd_yaml(),
                   headers={"Content-Type": "text/plain"})
    assert resp.status_code == 202
    assert wait_onboarding(nsd, nsd_href, state_key="nsdOnboardingState")[
        "nsdOnboardingState"] == "ONBOARDED"
    nsd_id = nsd_href.rsplit("/", 1)[1]
    services = PackageApi(Context(Settings(home=server.home)))
    services.add_nsd_user(nsd_id, "ns-instance-1")
    try:
        assert admin.get(href).json()["usageState"] == "IN_USE"
        assert patch(admin, href, {"operationalState": "DISABLED"}).status_code == 200
        problem(admin.delete(href), 409)
    finally:
        services.remove_nsd_user(nsd_id, "ns-instance-1")
        services.ctx.close()
    assert admin.get(href).json()["usageState"] == "NOT_IN_USE"


def _nsd_yaml() -> bytes:
    return (Path(__file__).parent / "data" / "edge-nsd.yaml").read_bytes()


# -- list: filters, selectors, paging ----------------------------------------------------------


def test_list_filters_on_onboarding_state_and_selects_attributes(
        admin: httpx.Client, onboarded: str) -> None:
    created = create(admin, userDefinedData={"marker": "list-test"})
    created_id = created.rsplit("/", 1)[1]
    onboarded_id = onboarded.rsplit("/", 1)[1]

    def ids(params: dict[str, str]) -> set[str]:
        resp = admin.get(ROOT, params=params)
        assert resp.status_code == 200, resp.text
        return {p["id"] for p in resp.json()}

    assert {created_id, onboarded_id} <= ids({})
    only_onboarded = ids({"filter": "(eq,onboardingState,ONBOARDED)"})
    assert onboarded_id in only_onboarded and created_id not in only_onboarded
    only_created = ids({"filter": "(eq,onboardingState,CREATED)"})
    assert created_id in only_created and onboarded_id not in only_created
    assert ids({"filter": f"(eq,vnfdId,{VFIREWALL_ID});(eq,operationalState,ENABLED)"}) >= {
        onboarded_id}
    assert ids({"filter": "(eq,userDefinedData/marker,list-test)"}) == {created_id}
    # Default exclude set; all_fields brings it back.
    entry = next(p for p in admin.get(ROOT).json() if p["id"] == onboarded_id)
    assert "softwareImages" not in entry and "userDefinedData" not in entry
    assert entry["vnfdId"] == VFIREWALL_ID and "_links" in entry
    full = next(p for p in admin.get(ROOT, params={"all_fields": ""}).json()
                if p["id"] == onboarded_id)
    assert full["softwareImages"] and full["userDefinedData"] == {"site": "lab"}
    problem(admin.get(ROOT, params={"filter": "(eq,onboardingState"}), 400)
    problem(admin.get(ROOT, params={"all_fields": "", "exclude_fields": "checksum"}), 400)


# -- roles, methods ----------------------------------------------------------------------------


def test_roles(server: ApiServer, onboarded: str) -> None:
    reader = server.client("reader", api="vnfpkgm")
    operator = server.client("operator", api="vnfpkgm")
    anonymous = server.client(None, api="vnfpkgm")
    assert reader.get(ROOT).status_code == 200
    assert reader.get(onboarded).status_code == 200
    assert reader.get(f"{onboarded}/package_content").status_code == 200
    problem(reader.post(ROOT, json={}), 403)
    problem(operator.post(ROOT, json={}), 403)
    problem(operator.patch(onboarded, json={"operationalState": "DISABLED"}, headers=MERGE), 403)
    problem(operator.delete(onboarded), 403)
    problem(operator.put(f"{onboarded}/package_content", content=b"PK",
                         headers={"Content-Type": "application/zip"}), 403)
    resp = anonymous.get(ROOT)
    assert resp.status_code == 401 and "WWW-Authenticate" in resp.headers


@pytest.mark.parametrize(("method", "sub"), [
    ("PUT", ""), ("PATCH", ""), ("DELETE", ""),
    ("POST", "/{id}"), ("PUT", "/{id}"),
    ("POST", "/{id}/vnfd"), ("PUT", "/{id}/vnfd"), ("PATCH", "/{id}/vnfd"),
    ("DELETE", "/{id}/vnfd"),
    ("POST", "/{id}/package_content"), ("PATCH", "/{id}/package_content"),
    ("DELETE", "/{id}/package_content"),
    ("GET", "/{id}/package_content/upload_from_uri"),
    ("PUT", "/{id}/package_content/upload_from_uri"),
    ("PATCH", "/{id}/package_content/upload_from_uri"),
    ("DELETE", "/{id}/package_content/upload_from_uri"),
    ("POST", "/{id}/artifacts/ChangeLog.txt"), ("PUT", "/{id}/artifacts/ChangeLog.txt"),
    ("PATCH", "/{id}/artifacts/ChangeLog.txt"), ("DELETE", "/{id}/artifacts/ChangeLog.txt"),
])
def test_methods_not_implemented_are_405(admin: httpx.Client, onboarded: str, method: str,
                                         sub: str) -> None:
    pkg_id = onboarded.rsplit("/", 1)[1]
    resp = admin.request(method, ROOT + sub.format(id=pkg_id))
    problem(resp, 405)
    assert resp.headers["Allow"]
    assert method not in resp.headers["Allow"]


# -- notifications -----------------------------------------------------------------------------


def test_package_notifications_reach_a_subscriber(admin: httpx.Client, server: ApiServer,
                                                  peer: HttpPeer, vrouter_zip: bytes) -> None:
    import asyncio

    ctx = Context(Settings(home=server.home))
    try:
        notifier = Notifier(ctx.store, ctx.settings)
        sub, _ = asyncio.run(notifier.subscribe(
            "vnfpkgm", f"{peer.url}/callback/vnfpkgm", {"vnfdId": [VROUTER_ID]}, None))
    finally:
        ctx.close()
    href = create(admin)
    pkg_id = href.rsplit("/", 1)[1]
    upload(admin, href, vrouter_zip)
    onboarded = peer.wait_for(lambda n: n.get("vnfPkgId") == pkg_id and n[
        "notificationType"] == "VnfPackageOnboardingNotification")
    assert onboarded["vnfdId"] == VROUTER_ID and onboarded["subscriptionId"] == sub.id
    assert onboarded["_links"]["vnfPackage"]["href"].endswith(f"{ROOT}/{pkg_id}")
    assert patch(admin, href, {"operationalState": "DISABLED"}).status_code == 200
    change = peer.wait_for(lambda n: n.get("vnfPkgId") == pkg_id and n.get(
        "changeType") == "OP_STATE_CHANGE")
    assert change["notificationType"] == "VnfPackageChangeNotification"
    assert change["operationalState"] == "DISABLED"
    assert admin.delete(href).status_code == 204
    peer.wait_for(lambda n: n.get("vnfPkgId") == pkg_id and n.get("changeType") == "PKG_DELETE")


# -- concurrency and restarts ------------------------------------------------------------------


def test_concurrent_uploads_one_wins_the_other_is_a_conflict(admin: httpx.Client,
                                                             server: ApiServer,
                                                             vrouter_zip: bytes) -> None:
    from concurrent.futures import ThreadPoolExecutor

    href = create(admin)
    clients = [server.client("admin", api="vnfpkgm") for _ in range(4)]
    with ThreadPoolExecutor(len(clients)) as pool:
        codes = sorted(pool.map(lambda c: c.put(
            f"{href}/package_content", content=vrouter_zip,
            headers={"Content-Type": "application/zip"}).status_code, clients))
    assert codes == [202, 409, 409, 409]
    assert wait_onboarding(admin, href)["onboardingState"] == "ONBOARDED"


def test_onboarding_interrupted_by_a_restart_goes_back_to_created(tmp_path: Path) -> None:
    from netorch.services.package_api import OnboardingState, ResourceKind

    ctx = Context(Settings(home=tmp_path))
    try:
        api = PackageApi(ctx)
        stuck = api.create(ResourceKind.VNF_PACKAGE)
        api.resources.update(stuck.id, ResourceKind.VNF_PACKAGE,
                             onboarding_state=OnboardingState.PROCESSING)
    finally:
        ctx.close()
    for srv in run_server(tmp_path):
        client = srv.client("reader", api="vnfpkgm")
        body = client.get(f"{ROOT}/{stuck.id}").json()
        assert body["onboardingState"] == "CREATED"
        assert body["onboardingFailureDetails"]["status"] == 503
        assert "restarted" in body["onboardingFailureDetails"]["detail"]


# -- one set of packages for the API and the CLI (issue 5) -------------------------------------


def _cli_json(home: Path, *args: str) -> Any:
    """``netorch ARGS --json`` in-process on the server's store; its JSON output."""
    import json

    from typer.testing import CliRunner

    from netorch.cli.app import app

    result = CliRunner().invoke(app, [*args, "--json", "--db", str(home / "netorch.db")],
                                env={"NETORCH_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _cli(home: Path, *args: str) -> None:
    from typer.testing import CliRunner

    from netorch.cli.app import app

    result = CliRunner().invoke(app, [*args, "--db", str(home / "netorch.db")],
                                env={"NETORCH_HOME": str(home)})
    assert result.exit_code == 0, result.output


def test_cli_and_api_show_the_same_packages(tmp_path: Path, vfirewall_zip: bytes) -> None:
    """A package onboarded with ``netorch onboard`` is an ONBOARDED / ENABLED / NOT_IN_USE
    VnfPkgInfo with a stable id; one onboarded through the API is in ``netorch packages``;
    deleting through either removes it from both."""
    with contextmanager(run_server)(tmp_path) as server:
        client = server.client("admin", api="vnfpkgm")
        home = server.home
        cli_pkg = _cli_json(home, "onboard", str(VNF_PACKAGES / "vrouter"))["package"]
        listed = client.get(ROOT).json()
        assert [(p["vnfdId"], p["onboardingState"], p["operationalState"], p["usageState"])
                for p in listed] == [(VROUTER_ID, "ONBOARDED", "ENABLED", "NOT_IN_USE")]
        adopted = listed[0]["id"]
        assert client.get(ROOT).json()[0]["id"] == adopted  # stable
        assert client.get(f"{ROOT}/{adopted}").json()["vnfdId"] == VROUTER_ID
        content = client.get(f"{ROOT}/{adopted}/package_content")
        assert content.status_code == 200, content.text

        api_href = create(client)
        upload(client, api_href, vfirewall_zip)
        api_id = api_href.rsplit("/", 1)[-1]
        in_cli = {p["descriptorId"]: p for p in _cli_json(home, "packages")}
        assert set(in_cli) == {VROUTER_ID, VFIREWALL_ID}
        assert in_cli[VROUTER_ID]["id"] == cli_pkg["id"]
        assert {p["id"] for p in client.get(ROOT).json()} == {adopted, api_id}

        # deleted with the CLI: gone from the API
        _cli(home, "packages", "delete", cli_pkg["id"])
        assert [p["id"] for p in client.get(ROOT).json()] == [api_id]
        assert client.get(f"{ROOT}/{adopted}").status_code == 404

        # deleted through the API: gone from the CLI
        assert client.patch(f"{api_href}", json={"operationalState": "DISABLED"}).status_code \
            == 200
        assert client.delete(api_href).status_code == 204
        assert _cli_json(home, "packages") == []
        assert client.get(ROOT).json() == []
