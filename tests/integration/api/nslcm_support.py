"""Shared by test_nslcm.py and test_subscriptions.py: a real callback receiver (a small HTTP
server on a loopback port, in a thread), the VIMs and the NSD the NS lifecycle tests use, and
polling helpers.

The receiver answers the subscription test ``GET`` with 204, records every notification
``POST``\\ed to it, checks the credentials the subscription gave (HTTP Basic, or a bearer token
it issued itself from its ``/token`` endpoint: RFC 6749 §4.4), and can be stopped and started
again on the same port to test delivery retries.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml

from helpers import DEMO
from integration.api_server import free_port
from netorch.services.context import Context
from netorch.services.onboarding import onboard
from netorch.services.settings import Settings

FINAL = {"COMPLETED", "FAILED", "ROLLED_BACK"}
SETTLED = FINAL | {"FAILED_TEMP"}


def write_test_vims(home: Path) -> Path:
    """Three sim VIMs: ``sim1`` (default, instant), ``slow`` (each call ~0.4 s, so an operation
    can be cancelled while it runs) and ``broken`` (creating ``web`` fails permanently)."""
    path = home / "vims.yaml"
    base = {"driver": "sim", "latency_ms": 0, "jitter_ms": 0}
    path.write_text(yaml.safe_dump({"default": "sim1", "vims": {
        "sim1": {**base, "inventory": "sim1.db"},
        "slow": {**base, "inventory": "slow.db", "latency_ms": 400},
        "broken": {**base, "inventory": "broken.db", "fail_permanently": ["web*"]},
    }}))
    return path


def onboard_demo(home: Path, vim_config: Path) -> str:
    """Onboard the demo service template (as ``netorch onboard`` does); its id is the nsdId."""
    ctx = Context(Settings(home=home, vim_config=vim_config))
    try:
        result = onboard(ctx, DEMO)
        assert result.record is not None, result.diagnostics
        return result.record.content_hash
    finally:
        ctx.close()


def wait_op(client: httpx.Client, location: str, states: set[str] = SETTLED,
            timeout: float = 60.0) -> dict[str, Any]:
    """Poll an op occurrence until its state is one of ``states``."""
    deadline = time.monotonic() + timeout
    while True:
        resp = client.get(location)
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        if body["operationState"] in states:
            return body
        assert time.monotonic() < deadline, f"operation still {body['operationState']}"
        time.sleep(0.05)


def wait_for(cond: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


class Receiver:
    """A notification consumer (SOL005 §6.4.18 ``Notification endpoint``) on 127.0.0.1."""

    def __init__(self, *, user: str = "cb-user", password: str = "cb-pass",
                 client_id: str = "nfvo", client_secret: str = "s3cret") -> None:
        self.port = free_port()
        self.user, self.password = user, password
        self.client_id, self.client_secret = client_id, client_secret
        self.notifications: list[dict[str, Any]] = []
        self.auth_seen: list[str] = []
        self.test_gets = 0
        self.test_status = 204
        self.tokens: set[str] = set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def callback(self) -> str:
        return f"{self.url}/callback"

    @property
    def token_endpoint(self) -> str:
        return f"{self.url}/token"

    def _authorized(self, header: str | None) -> bool:
        if not header:
            return True  # subscriptions without authentication
        scheme, _, value = header.partition(" ")
        if scheme == "Basic":
            return base64.b64decode(value).decode() == f"{self.user}:{self.password}"
        if scheme == "Bearer":
            return value in self.tokens
        return False

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                return None

            def _reply(self, status: int, body: bytes = b"",
                       ctype: str = "application/json") -> None:
                self.send_response(status)
                if body:
                    self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def do_GET(self) -> None:
                with receiver._lock:
                    receiver.test_gets += 1
                if not receiver._authorized(self.headers.get("Authorization")):
                    self._reply(401)
                    return
                self._reply(receiver.test_status)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                if self.path == "/token":
                    expected = base64.b64encode(
                        f"{receiver.client_id}:{receiver.client_secret}".encode()).decode()
                    if self.headers.get("Authorization") != f"Basic {expected}" \
                            or b"grant_type=client_credentials" not in raw:
                        self._reply(401)
                        return
                    token = secrets.token_hex(16)
                    with receiver._lock:
                        receiver.tokens.add(token)
                    self._reply(200, json.dumps({"access_token": token, "token_type": "Bearer",
                                                 "expires_in": 3600}).encode())
                    return
                header = self.headers.get("Authorization")
                if not receiver._authorized(header):
                    self._reply(401)
                    return
                with receiver._lock:
                    receiver.notifications.append(json.loads(raw))
                    receiver.auth_seen.append(header or "")
                self._reply(204)

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True,
                                        name="callback-receiver")
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def received(self, ntype: str | None = None, **match: Any) -> list[dict[str, Any]]:
        with self._lock:
            found = list(self.notifications)
        return [n for n in found if (ntype is None or n.get("notificationType") == ntype)
                and all(n.get(k) == v for k, v in match.items())]

    def wait(self, ntype: str, count: int = 1, timeout: float = 30.0,
             **match: Any) -> list[dict[str, Any]]:
        wait_for(lambda: len(self.received(ntype, **match)) >= count, timeout,
                 f"{count} {ntype} {match}")
        return self.received(ntype, **match)
