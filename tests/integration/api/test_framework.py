"""SOL013 behaviour of the API over real HTTP (uvicorn on loopback): api_versions, the Version
header, ProblemDetails for every error, 405 with Allow, attribute filters, selectors and paging
(through test routes using ``apply_query``), and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from integration.api.framework_routes import ITEMS, ROOT, framework_router
from integration.api_server import ApiServer, run_server
from netorch.api.sol013.version import APIS

pytestmark = pytest.mark.timeout(120)

PROBLEM = "application/problem+json"
V = APIS["nslcm"].version


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    yield from run_server(tmp_path_factory.mktemp("framework-home"),
                          extra_routers=[framework_router()], api_page_size=3)


@pytest.fixture(scope="module")
def reader(server: ApiServer) -> httpx.Client:
    return server.client("reader")


def assert_problem(resp: httpx.Response, status: int) -> dict[str, object]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    body = resp.json()
    assert body["status"] == status and isinstance(body["detail"], str) and body["detail"]
    return body  # type: ignore[no-any-return]


@pytest.mark.parametrize("api", sorted(APIS))
def test_api_versions_at_both_levels_need_no_version_and_no_token(server: ApiServer,
                                                                   api: str) -> None:
    info = APIS[api]
    for path in (f"/{api}/api_versions", f"/{api}/v1/api_versions"):
        resp = httpx.get(server.url + path)
        assert resp.status_code == 200
        assert resp.headers["Version"] == info.version
        assert resp.json() == {"uriPrefix": f"/{api}/v1",
                               "apiVersions": [{"version": info.version, "isDeprecated": False}]}
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            bad = httpx.request(method, server.url + path, headers={"Version": info.version})
            assert_problem(bad, 405)
            assert bad.headers["Allow"] == "GET"


def test_version_header_missing_malformed_unsupported(server: ApiServer) -> None:
    auth = {"Authorization": f"Bearer {server.token('reader')}"}
    url = server.url + ROOT
    body = assert_problem(httpx.get(url, headers=auth), 400)
    assert "Version" in str(body["detail"])
    assert_problem(httpx.get(url, headers={**auth, "Version": "one"}), 400)
    assert_problem(httpx.get(url, headers={**auth, "Version": "9.0.0"}), 406)
    ok = httpx.get(url, headers={**auth, "Version": f"{V}-impl:acme:nfvo:1"})
    assert ok.status_code == 200 and ok.headers["Version"] == V


def test_every_response_under_an_api_carries_version(server: ApiServer,
                                                     reader: httpx.Client) -> None:
    for resp in (reader.get(ROOT), reader.get(ROOT + "/nope"), reader.get("/nslcm/v1/nope"),
                 httpx.get(server.url + ROOT, headers={"Version": V}),
                 reader.put(ROOT)):
        assert resp.headers["Version"] == V, resp.request.url


def test_unknown_resources_and_domain_errors_are_problem_details(reader: httpx.Client) -> None:
    assert_problem(reader.get("/nslcm/v1/no_such_resource"), 404)
    assert assert_problem(reader.get(ROOT + "/missing"), 404)["instance"] == ROOT + "/missing"
    assert_problem(reader.get(ROOT + "/conflict"), 409)
    later = reader.get(ROOT + "/later")
    assert_problem(later, 503)
    assert later.headers["Retry-After"] == "7"
    assert_problem(reader.get(ROOT + "/invalid"), 422)
    crash = assert_problem(reader.get(ROOT + "/crash"), 500)
    assert "secret internals" not in str(crash)


def test_request_validation_errors_are_400_problem_details(server: ApiServer) -> None:
    op = server.client("operator")
    assert_problem(op.post(ROOT, json={"name": "x"}), 400)
    assert_problem(op.post(ROOT, content=b"{not json", headers={"content-type":
                                                                "application/json"}), 400)
    assert op.post(ROOT, json={"name": "x", "size": 1}).status_code == 201


def test_methods_not_implemented_are_405_with_allow(server: ApiServer) -> None:
    admin = server.client("admin")
    for method in ("PUT", "PATCH", "DELETE"):
        resp = admin.request(method, ROOT)
        assert_problem(resp, 405)
        assert resp.headers["Allow"] == "GET, POST"
    for method in ("POST", "PUT", "PATCH"):
        resp = admin.request(method, ROOT + "/i1")
        assert_problem(resp, 405)
        assert resp.headers["Allow"] == "GET, DELETE"
    token = httpx.get(server.url + "/oauth2/token")
    assert_problem(token, 405)
    assert token.headers["Allow"] == "POST"


def test_filter(reader: httpx.Client) -> None:
    def ids(flt: str) -> list[str]:
        resp = reader.get(ROOT, params={"filter": flt, "all_fields": ""})
        assert resp.status_code == 200, resp.text
        return [i["id"] for i in resp.json()]

    assert ids("(eq,state,A)") == ["i1", "i3", "i5"]
    assert ids("(eq,state,B);(gt,size,2)") == ["i4", "i6"]
    assert ids("(in,details/owner,o0,o6)") == ["i0", "i6"]
    assert ids("(eq,details/deep/k,2)") == ["i2"]
    assert ids("(eq,tags,t3)") == ["i3"]
    assert ids("(neq,tags,all)") == []
    assert ids("(cont,id,'i1')") == ["i1"]
    for bad in ("(eq,state", "(xx,state,A)", "(eq,state,A,B)", "eq,state,A"):
        body = assert_problem(reader.get(ROOT, params={"filter": bad}), 400)
        assert "filter" in str(body["detail"]) or "operator" in str(body["detail"])


def test_attribute_selectors(reader: httpx.Client) -> None:
    def first(**params: str) -> dict[str, object]:
        resp = reader.get(ROOT, params={"filter": "(eq,id,i1)", **params})
        assert resp.status_code == 200, resp.text
        return resp.json()[0]  # type: ignore[no-any-return]

    assert set(first()) == {"id", "state", "size", "tags", "_links"}
    assert set(first(exclude_default="")) == {"id", "state", "size", "tags", "_links"}
    assert set(first(all_fields="")) == {"id", "state", "size", "tags", "details", "_links"}
    assert set(first(fields="details")) == {"id", "state", "size", "details", "_links"}
    assert set(first(fields="details", exclude_default="")) == set(ITEMS[1])
    nested = first(exclude_fields="details/deep")
    assert nested["details"] == {"owner": "o1"} and "tags" in nested
    assert "tags" not in first(exclude_fields="tags")
    for bad in ({"all_fields": "", "fields": "tags"}, {"fields": "a", "exclude_fields": "b"},
                {"exclude_fields": "state"}, {"fields": ""}):
        assert_problem(reader.get(ROOT, params=bad), 400)


def test_paging_follows_link_headers(reader: httpx.Client) -> None:
    seen: list[str] = []
    url: str | None = ROOT + "?filter=(neq,id,i0)"
    pages = 0
    while url is not None:
        resp = reader.get(url)
        assert resp.status_code == 200, resp.text
        assert len(resp.json()) <= 3
        seen.extend(i["id"] for i in resp.json())
        pages += 1
        link = resp.headers.get("Link")
        if link is None:
            url = None
            continue
        assert link.startswith("<") and link.endswith('>; rel="next"')
        url = link[1:link.index(">")]
        query = parse_qs(urlsplit(url).query)
        assert query["filter"] == ["(neq,id,i0)"] and "nextpage_opaque_marker" in query
    assert seen == [f"i{n}" for n in range(1, 7)] and pages == 2
    assert_problem(reader.get(ROOT, params={"nextpage_opaque_marker": "garbage"}), 400)


def test_openapi_document(server: ApiServer) -> None:
    doc = httpx.get(server.url + "/openapi.json").json()
    paths = doc["paths"]
    for api in APIS:
        assert f"/{api}/api_versions" in paths and f"/{api}/v1/api_versions" in paths
    assert "post" in paths["/oauth2/token"]
    scheme = doc["components"]["securitySchemes"]["oauth2ClientCredentials"]
    assert scheme["flows"]["clientCredentials"]["tokenUrl"] == "/oauth2/token"
