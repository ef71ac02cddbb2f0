"""Shared by test_vnfpkgm.py and test_nsd.py: packages, onboarding polls, an HTTP peer.

The API server itself is the shared real-uvicorn fixture of ``integration.api_server``
(re-exported here as :func:`run_server` / :class:`ApiServer`); :class:`HttpPeer` is a second
real HTTP server that serves packages (behind basic authentication) and receives
notifications.
"""

from __future__ import annotations

import io
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from helpers import REPO
from integration.api_server import ApiServer, run_server

VNF_PACKAGES = REPO / "vnf-packages"
VROUTER_ID = "6f1e4a4c-0b0e-4d5e-9c1a-2f2a8e0f7a11"
VFIREWALL_ID = "0c6f7a52-3d1b-4b8e-a2f4-7d9e1c5b3a60"
TERMINAL = {"ONBOARDED", "CREATED"}

__all__ = ["VFIREWALL_ID", "VNF_PACKAGES", "VROUTER_ID", "ApiServer", "HttpPeer", "run_peer",
           "run_server", "wait_onboarding", "zip_dir"]


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
