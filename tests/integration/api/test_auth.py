"""API security over real HTTP: the OAuth 2.0 token endpoint (RFC 6749 §4.4, §5.2), bearer
tokens (RFC 6750) of netorch and of an external issuer (JWKS served by a local HTTP server),
roles, the audit log, the ``api-client`` / ``audit`` CLI, secrets kept out of logs, TLS and
the auth-off development switch."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import sqlite3
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from integration.api.framework_routes import ROOT, framework_router
from integration.api_server import (
    ApiServer,
    netorch_cli,
    run_server,
    run_server_process,
    server_env,
)
from netorch.api.security.keys import load_or_create_key
from netorch.api.sol013.version import APIS
from netorch.services.api_access import AuditLog
from netorch.services.context import Context
from netorch.services.settings import Settings

pytestmark = pytest.mark.timeout(180)

V = APIS["nslcm"].version
PROBLEM = "application/problem+json"


# -- an external OAuth 2.0 issuer: its JWKS on a local HTTP server ------------------------------


class Issuer:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "ext-1"
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, use="sig", alg="RS256")
        body = json.dumps({"keys": [jwk]}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def token(self, key: Any = None, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": "https://idp.example.test", "aud": "netorch", "sub": "svc-1",
                "iat": now, "exp": now + 300, **claims}
        return jwt.encode({k: v for k, v in body.items() if v is not None}, key or self.key,
                          algorithm="RS256", headers={"kid": self.kid})

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    i = Issuer()
    yield i
    i.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, issuer: Issuer) -> Iterator[ApiServer]:
    yield from run_server(tmp_path_factory.mktemp("auth-home"),
                          extra_routers=[framework_router()], api_jwks_url=issuer.url,
                          api_issuer="https://idp.example.test", api_audience="netorch")


def _problem(resp: httpx.Response, status: int) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    assert resp.json()["status"] == status


def _bearer(token: str) -> dict[str, str]:
    return {"Version": V, "Authorization": f"Bearer {token}"}


# -- token endpoint -----------------------------------------------------------------------------


def test_token_with_http_basic_client_authentication(server: ApiServer) -> None:
    client_id, secret = server.secrets["reader"]
    resp = httpx.post(server.url + "/oauth2/token", auth=(client_id, secret),
                      data={"grant_type": "client_credentials"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert resp.headers["Cache-Control"] == "no-store"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == client_id and claims["iss"] == "netorch"
    assert httpx.get(server.url + ROOT, headers=_bearer(body["access_token"])).status_code == 200


def test_token_with_form_client_credentials(server: ApiServer) -> None:
    client_id, secret = server.secrets["operator"]
    resp = httpx.post(server.url + "/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    assert resp.status_code == 200 and resp.json()["access_token"]


@pytest.mark.parametrize(("kwargs", "status", "error"), [
    ({"data": {"grant_type": "client_credentials"}, "auth": ("x", "y")}, 401, "invalid_client"),
    ({"data": {"grant_type": "client_credentials"}}, 401, "invalid_client"),
    ({"data": {"grant_type": "password"}, "auth": "reader"}, 400, "unsupported_grant_type"),
    ({"data": {}, "auth": "reader"}, 400, "invalid_request"),
    ({"json": {"grant_type": "client_credentials"}, "auth": "reader"}, 400, "invalid_request"),
    ({"data": {"grant_type": "client_credentials", "client_id": "a", "client_secret": "b"},
      "auth": "reader"}, 400, "invalid_request"),
    ({"data": {"grant_type": "client_credentials"}, "auth": "wrong-secret"}, 401,
     "invalid_client"),
])
def test_token_errors_use_the_rfc6749_body(server: ApiServer, kwargs: dict[str, Any],
                                           status: int, error: str) -> None:
    if kwargs.get("auth") == "reader":
        kwargs["auth"] = server.secrets["reader"]
    elif kwargs.get("auth") == "wrong-secret":
        kwargs["auth"] = (server.secrets["reader"][0], "not-the-secret")
    resp = httpx.post(server.url + "/oauth2/token", **kwargs)
    assert resp.status_code == status, resp.text
    assert resp.json()["error"] == error
    if status == 401:
        assert resp.headers["WWW-Authenticate"].startswith("Basic")


# -- bearer tokens and roles --------------------------------------------------------------------


def test_no_token_is_401_with_a_bearer_challenge(server: ApiServer) -> None:
    resp = httpx.get(server.url + ROOT, headers={"Version": V})
    _problem(resp, 401)
    assert resp.headers["WWW-Authenticate"] == 'Bearer realm="netorch"'


@pytest.mark.parametrize("token", ["negativetoken", "a.b.c",
                                   "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.x"])
def test_invalid_tokens_are_401_invalid_token(server: ApiServer, token: str) -> None:
    resp = httpx.get(server.url + ROOT, headers=_bearer(token))
    _problem(resp, 401)
    assert 'error="invalid_token"' in resp.headers["WWW-Authenticate"]


def test_malformed_authorization_header_is_400(server: ApiServer) -> None:
    for value in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "token"):
        resp = httpx.get(server.url + ROOT, headers={"Version": V, "Authorization": value})
        _problem(resp, 400)


def _netorch_token(home: Path, client_id: str, **claims: Any) -> str:
    key = load_or_create_key(home)
    now = int(time.time())
    body = {"iss": "netorch", "aud": "netorch-api", "sub": client_id, "iat": now,
            "exp": now + 60, **claims}
    return jwt.encode(body, key.private, algorithm="EdDSA", headers={"kid": key.kid})


def test_expired_foreign_and_hmac_tokens_are_refused(server: ApiServer) -> None:
    client_id = server.secrets["admin"][0]
    good = _netorch_token(server.home, client_id)
    assert httpx.get(server.url + ROOT, headers=_bearer(good)).status_code == 200
    past = int(time.time()) - 3600
    expired = _netorch_token(server.home, client_id, iat=past - 60, exp=past)
    _problem(httpx.get(server.url + ROOT, headers=_bearer(expired)), 401)
    other_home = server.home / "elsewhere"
    foreign = _netorch_token(other_home, client_id)
    _problem(httpx.get(server.url + ROOT, headers=_bearer(foreign)), 401)
    hmac = jwt.encode({"iss": "netorch", "aud": "netorch-api", "sub": client_id,
                       "exp": int(time.time()) + 60}, "guess" * 8, algorithm="HS256")
    _problem(httpx.get(server.url + ROOT, headers=_bearer(hmac)), 401)
    wrong_aud = _netorch_token(server.home, client_id, aud="someone-else")
    _problem(httpx.get(server.url + ROOT, headers=_bearer(wrong_aud)), 401)


@pytest.mark.parametrize(("role", "get", "post", "delete"), [
    ("reader", 200, 403, 403), ("operator", 200, 201, 403), ("admin", 200, 201, 204),
])
def test_roles(server: ApiServer, role: str, get: int, post: int, delete: int) -> None:
    c = server.client(role)
    assert c.get(ROOT).status_code == get
    resp = c.post(ROOT, json={"name": "n", "size": 1})
    assert resp.status_code == post
    if post == 403:
        _problem(resp, 403)
        assert 'error="insufficient_scope"' in resp.headers["WWW-Authenticate"]
    assert c.delete(ROOT + "/i1").status_code == delete


def test_a_removed_client_loses_access_within_the_token_cache_window(server: ApiServer) -> None:
    """A verified token is trusted for ``api_auth_cache_s`` (2 s by default) without reading the
    client again: once that window has passed, a removed client's token is refused."""
    settings = Settings(home=server.home)
    ctx = Context(settings)
    try:
        from netorch.services.api_access import ApiClients

        clients = ApiClients(ctx.store)
        client, secret = clients.add("short-lived", "admin")
        token = httpx.post(server.url + "/oauth2/token", auth=(client.client_id, secret),
                           data={"grant_type": "client_credentials"}).json()["access_token"]
        assert httpx.get(server.url + ROOT, headers=_bearer(token)).status_code == 200
        clients.remove("short-lived")
    finally:
        ctx.close()
    deadline = time.monotonic() + 60
    while (resp := httpx.get(server.url + ROOT, headers=_bearer(token))).status_code == 200:
        assert time.monotonic() < deadline, "the removed client still has access"
        time.sleep(0.1)
    _problem(resp, 401)


def test_without_the_token_cache_a_removed_client_loses_access_at_once(
        tmp_path: Path) -> None:
    gen = run_server(tmp_path, extra_routers=[framework_router()], api_auth_cache_s=0,
                     roles=())
    server = next(gen)
    try:
        ctx = Context(Settings(home=server.home))
        try:
            from netorch.services.api_access import ApiClients

            clients = ApiClients(ctx.store)
            client, secret = clients.add("short-lived", "admin")
            token = httpx.post(server.url + "/oauth2/token", auth=(client.client_id, secret),
                               data={"grant_type": "client_credentials"}).json()["access_token"]
            assert httpx.get(server.url + ROOT, headers=_bearer(token)).status_code == 200
            clients.remove("short-lived")
        finally:
            ctx.close()
        _problem(httpx.get(server.url + ROOT, headers=_bearer(token)), 401)
    finally:
        gen.close()


# -- external issuer through its JWKS ------------------------------------------------------------


def test_external_tokens_validated_through_jwks(server: ApiServer, issuer: Issuer) -> None:
    op = issuer.token(netorch_role="operator")
    assert httpx.get(server.url + ROOT, headers=_bearer(op)).status_code == 200
    assert httpx.post(server.url + ROOT, headers=_bearer(op),
                      json={"name": "n", "size": 1}).status_code == 201
    assert httpx.delete(server.url + ROOT + "/i1", headers=_bearer(op)).status_code == 403
    admin = issuer.token(netorch_role=["reader", "admin"])
    assert httpx.delete(server.url + ROOT + "/i1", headers=_bearer(admin)).status_code == 204
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for bad in (issuer.token(netorch_role="admin", aud="another-api"),
                issuer.token(netorch_role="admin", iss="https://evil.example.test"),
                issuer.token(),  # no role claim
                issuer.token(netorch_role="superuser"),
                issuer.token(netorch_role="admin", exp=int(time.time()) - 600),
                issuer.token(key=other_key, netorch_role="admin")):
        _problem(httpx.get(server.url + ROOT, headers=_bearer(bad)), 401)


# -- audit log ----------------------------------------------------------------------------------


def test_every_mutating_request_is_audited(server: ApiServer) -> None:
    started = dt.datetime.now(dt.UTC)
    operator_id = server.secrets["operator"][0]
    reader_id = server.secrets["reader"][0]
    server.client("operator").post(ROOT, json={"name": "audited", "size": 2})
    server.client("reader").delete(ROOT + "/i2")
    httpx.patch(server.url + ROOT + "/i3", headers={"Version": V})
    server.client("reader").get(ROOT)  # reads are not audited
    ctx = Context(Settings(home=server.home))
    try:
        entries = AuditLog(ctx.store).entries(since=started, limit=1000)
    finally:
        ctx.close()
    seen = {(e.principal, e.method, e.path, e.status) for e in entries}
    assert (operator_id, "POST", ROOT, 201) in seen
    assert (reader_id, "DELETE", ROOT + "/i2", 403) in seen
    assert ("-", "PATCH", ROOT + "/i3", 405) in seen
    assert all(e.method != "GET" for e in entries)
    assert all(e.remote and e.remote.startswith("127.0.0.1:") for e in entries)


# -- the CLI, a real `netorch serve`, logs, key file ---------------------------------------------


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    return cert_file, key_file


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """``python -m netorch -vv serve --tls-cert … --tls-key …``: HTTPS with a self-signed
    certificate, and debug logging (to check that no secret reaches the log)."""
    home = tmp_path_factory.mktemp("served-home")
    cert, key = _self_signed(home)
    yield from run_server_process(home, args=["--tls-cert", str(cert), "--tls-key", str(key)],
                                  verbosity="-vv", scheme="https",
                                  verify=ssl.create_default_context(cafile=str(cert)))





def test_api_client_cli_and_netorch_serve(served: ApiServer) -> None:
    http = httpx.Client(base_url=served.url, verify=served.verify)
    env = served.env
    added = json.loads(netorch_cli(env, "api-client", "add", "cli-op", "--role", "operator",
                                   "--json").stdout)
    assert added["role"] == "operator" and len(added["client_secret"]) >= 32
    listed = netorch_cli(env, "api-client", "list", "--json").stdout
    assert "cli-op" in listed and added["client_secret"] not in listed
    # stored only as a salted hash
    with sqlite3.connect(served.home / "netorch.db") as db:
        (stored,) = db.execute("SELECT secret_hash FROM api_clients WHERE name='cli-op'").fetchone()
    assert stored.startswith("scrypt$") and added["client_secret"] not in stored
    token = http.post("/oauth2/token",
                       auth=(added["client_id"], added["client_secret"]),
                       data={"grant_type": "client_credentials"}).json()["access_token"]
    # auth is on by default
    _problem(http.get("/nslcm/v1/ns_instances", headers={"Version": V}), 401)
    resp = http.delete("/nslcm/v1/no_such", headers=_bearer(token))
    assert resp.status_code in (404, 405)
    audit = json.loads(netorch_cli(env, "audit", "--json").stdout)
    assert [(a["method"], a["path"], a["status"]) for a in audit
            if a["client_id"] == added["client_id"]] == [("POST", "/oauth2/token", 200)]
    # a request that never reached authentication is audited as "-"
    assert ("-", "DELETE", "/nslcm/v1/no_such") in {
        (a["client_id"], a["method"], a["path"]) for a in audit}
    netorch_cli(env, "api-client", "remove", "cli-op")
    _problem(http.get("/nslcm/v1/ns_instances", headers=_bearer(token)), 401)
    key = served.home / "api" / "token-signing-key.pem"
    assert key.stat().st_mode & 0o777 == 0o600


def test_tokens_and_secrets_never_reach_the_logs(served: ApiServer) -> None:
    http = httpx.Client(base_url=served.url, verify=served.verify)
    client_id, secret = served.secrets["admin"]
    token = served.token("admin")
    wrong = "definitely-not-the-secret-" + "x" * 20
    http.post("/oauth2/token", auth=(client_id, wrong),
               data={"grant_type": "client_credentials"})
    http.post("/oauth2/token", data={"grant_type": "client_credentials",
                                                   "client_id": client_id,
                                                   "client_secret": wrong})
    bogus = token[:-8] + "AAAAAAAA"
    for t in (token, bogus):
        http.get("/nslcm/v1/ns_instances", headers=_bearer(t))
        http.post("/nslcm/v1/ns_instances", headers=_bearer(t), json={})
    http.get("/nslcm/v1/ns_instances", headers={"Version": V,
                                                              "Authorization": f"Basic {token}"})
    time.sleep(0.5)  # let the server flush its log lines (not a timing assertion)
    log = served.log_text()
    assert "issued an access token" in log and "rejected an access token" in log
    signature = token.rsplit(".", 1)[1]
    for needle in (token, signature, secret, wrong, bogus.rsplit(".", 1)[1],
                   base64.b64encode(f"{client_id}:{wrong}".encode()).decode()):
        assert needle not in log


def test_tls(served: ApiServer) -> None:
    assert served.url.startswith("https://")
    assert served.client("reader").get("/nslcm/v1/api_versions").status_code == 200
    with pytest.raises(httpx.HTTPError):  # a client that does not trust the certificate
        httpx.get(served.url + "/nslcm/api_versions", timeout=5)


def test_tls_settings_from_the_environment_and_half_configured_tls(tmp_path: Path) -> None:
    cert, _key = _self_signed(tmp_path)
    env = server_env(tmp_path, NETORCH_API_TLS_CERT=str(cert))
    proc = netorch_cli(env, "serve", "--port", "1", check=2)
    assert "--tls-key" in proc.stderr


def test_auth_off_is_a_development_switch(tmp_path: Path) -> None:
    assert Settings().api_auth is True
    gen = run_server(tmp_path, extra_routers=[framework_router()], api_auth=False, roles=())
    server = next(gen)
    try:
        assert httpx.get(server.url + ROOT, headers={"Version": V}).status_code == 200
        assert httpx.delete(server.url + ROOT + "/i1", headers={"Version": V}).status_code == 204
    finally:
        gen.close()
