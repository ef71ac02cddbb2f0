"""Shared by test_vnfpkgm.py and test_nsd.py: a real uvicorn server, role tokens, packages.

The server runs the real app (``create_app``) on a free loopback port in a thread, with its own
NETORCH_HOME and SQLite store, and OAuth 2.0 clients for each role registered in that store;
:meth:`ApiServer.client` gives an httpx client carrying the role's bearer token and the
``Version`` header.
"""

from __future__ import annotations

import io
import socket
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from helpers import REPO
from netorch.api.app import create_app
from netorch.api.sol013.version import APIS
from netorch.services.api_access import ApiClients
from netorch.services.context import Context
from netorch.services.settings import Settings

VNF_PACKAGES = REPO / "vnf-packages"
VROUTER_ID = "6f1e4a4c-0b0e-4d5e-9c1a-2f2a8e0f7a11"
VFIREWALL_ID = "0c6f7a52-3d1b-4b8e-a2f4-7d9e1c5b3a60"
ROLES = ("reader", "operator", "admin")
TERMINAL = {"ONBOARDED", "CREATED"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ApiServer:
    url: str
    home: Path
    secrets: dict[str, tuple[str, str]]
    tokens: dict[str, str] = field(default_factory=dict)
    clients: list[httpx.Client] = field(default_factory=list)

    def token(self, role: str) -> str:
        if role not in self.tokens:
            client_id, secret = self.secrets[role]
            resp = httpx.post(f"{self.url}/oauth2/token", auth=(client_id, secret),
                              data={"grant_type": "client_credentials"}, timeout=10)
            resp.raise_for_status()
            self.tokens[role] = resp.json()["access_token"]
        return self.tokens[role]

    def client(self, role: str | None = "admin", api: str = "vnfpkgm") -> httpx.Client:
        headers = {"Version": APIS[api].version}
        if role is not None:
            headers["Authorization"] = f"Bearer {self.token(role)}"
        client = httpx.Client(base_url=self.url, headers=headers, timeout=30)
        self.clients.append(client)
        return client


def run_server(home: Path, **settings: Any) -> Iterator[ApiServer]:
    """Start the app under uvicorn; yield once it is serving; stop it afterwards."""
    cfg = Settings(home=home, **settings)
    ctx = Context(cfg)
    clients = ApiClients(ctx.store)
    secrets = {}
    for role in ROLES:
        client, secret = clients.add(f"test-{role}", role)
        secrets[role] = (client.client_id, secret)
    ctx.close()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(cfg), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="api-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    api = ApiServer(url=f"http://127.0.0.1:{port}", home=home, secrets=secrets)
    try:
        yield api
    finally:
        for c in api.clients:
            c.close()
        server.should_exit = True
        thread.join(30)


def zip_dir(src: Path, *, tweak: Callable[[str, bytes], bytes] | None = None,
            extra: dict[str, bytes] | None = None) -> bytes:
    """A CSAR ZIP of a package directory (``tweak`` may change a member's bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(src.rglob("*")):
            if f.is_file():
                name = f.relative_to(src).as_posix()
                data = f.read_bytes()
                zf.writestr(name, tweak(name, data) if tweak else data)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def wait_onboarding(client: httpx.Client, href: str, *, state_key: str = "onboardingState",
                    timeout: float = 60.0) -> dict[str, Any]:
    """Poll a resource after an upload was accepted until processing ends: ONBOARDED, or
    CREATED again (with failure details). ``_seen`` lists the states observed, in order."""
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while True:
        resp = client.get(href)
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        state = body[state_key]
        if not seen or seen[-1] != state:
            seen.append(state)
        if state in TERMINAL:
            body["_seen"] = seen
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"{href} still {state} after {timeout} s (seen {seen})")
        time.sleep(0.02)


@dataclass
class HttpPeer:
    """A real HTTP server on loopback: serves files (optionally behind HTTP basic auth), and
    records notifications (answers a callback's test GET and each POST with 204)."""

    url: str
    files: dict[str, bytes] = field(default_factory=dict)
    basic: tuple[str, str] | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    auth_seen: list[str | None] = field(default_factory=list)

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool],
                 timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for body in list(self.received):
                if predicate(body):
                    return body
            time.sleep(0.02)
        raise AssertionError(f"no matching notification in {self.received}")


def run_peer() -> Iterator[HttpPeer]:
    import base64
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    peer = HttpPeer(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _authorised(self) -> bool:
            header = self.headers.get("Authorization")
            peer.auth_seen.append(header)
            if peer.basic is None:
                return True
            want = base64.b64encode(f"{peer.basic[0]}:{peer.basic[1]}".encode()).decode()
            return header == f"Basic {want}"

        def do_GET(self) -> None:
            if self.path.startswith("/callback"):
                self.send_response(204)
                self.end_headers()
                return
            if not self._authorised():
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="test"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = peer.files.get(self.path)
            if data is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            peer.received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    peer.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, name="http-peer", daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)
