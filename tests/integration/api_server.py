"""A real netorch API server on a free loopback port, for integration tests over HTTP.

Two ways to run it, both REAL uvicorn:

* :func:`run_server` — ``create_app(Settings(home=…))`` under ``uvicorn.Server`` in a thread of
  the test process (fast; lets a test add routes with ``extra_routers``);
* :func:`run_server_process` — ``python -m netorch serve --port N`` in a subprocess with
  ``NETORCH_HOME`` set (exactly what an operator runs; its log is in ``server.log_text()``).

Either yields an :class:`ApiServer` once it answers. Clients of each role (``reader``,
``operator``, ``admin``) are registered before it starts (through the same service the CLI
uses); ``server.token(role)`` fetches a token from ``/oauth2/token`` and ``server.client(role)``
gives an ``httpx.Client`` that sends it together with the ``Version`` header.

Module-scoped fixtures: ``api_server`` (thread) and ``api_server_process`` (subprocess).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import APIRouter

from helpers import write_vims
from netorch.api.app import create_app
from netorch.api.sol013.version import APIS
from netorch.services.api_access import ApiClients
from netorch.services.context import Context
from netorch.services.settings import Settings

ROLES = ("reader", "operator", "admin")
STARTUP_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def register_clients(settings: Settings, roles: Sequence[str] = ROLES
                     ) -> dict[str, tuple[str, str]]:
    """One client per role (named ``test-<role>``): ``role -> (client_id, secret)``."""
    ctx = Context(settings)
    try:
        clients = ApiClients(ctx.store)
        out = {}
        for role in roles:
            client, secret = clients.add(f"test-{role}", role)
            out[role] = (client.client_id, secret)
        return out
    finally:
        ctx.close()


@dataclass
class ApiServer:
    url: str
    home: Path
    secrets: dict[str, tuple[str, str]]
    tokens: dict[str, str] = field(default_factory=dict)
    clients: list[httpx.Client] = field(default_factory=list)
    log_file: Path | None = None
    verify: Any = True
    env: dict[str, str] = field(default_factory=dict)

    def token(self, role: str) -> str:
        """An access token for the ``role`` client (fetched once, then reused)."""
        if role not in self.tokens:
            client_id, secret = self.secrets[role]
            resp = httpx.post(f"{self.url}/oauth2/token", auth=(client_id, secret),
                              data={"grant_type": "client_credentials"}, timeout=10,
                              verify=self.verify)
            resp.raise_for_status()
            self.tokens[role] = resp.json()["access_token"]
        return self.tokens[role]

    def headers(self, role: str | None = "admin", api: str = "nslcm") -> dict[str, str]:
        """``Version`` (of ``api``) and, unless ``role`` is None, ``Authorization``."""
        headers = {"Version": APIS[api].version}
        if role is not None:
            headers["Authorization"] = f"Bearer {self.token(role)}"
        return headers

    def client(self, role: str | None = "admin", api: str = "nslcm") -> httpx.Client:
        client = httpx.Client(base_url=self.url, headers=self.headers(role, api), timeout=30,
                              verify=self.verify)
        self.clients.append(client)
        return client

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file else ""

    def close_clients(self) -> None:
        for c in self.clients:
            c.close()
        self.clients.clear()


def _wait_ready(url: str, alive: Any, verify: Any = True, log: Path | None = None) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        try:
            if httpx.get(f"{url}/nslcm/api_versions", timeout=2, verify=verify).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if not alive() or time.monotonic() > deadline:
            detail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
            raise RuntimeError(f"the API server at {url} did not start\n{detail}")
        time.sleep(0.05)


def run_server(home: Path, *, extra_routers: Sequence[APIRouter] = (), roles: Sequence[str]
               = ROLES, **settings: Any) -> Iterator[ApiServer]:
    """``create_app`` under uvicorn in a thread, with a fresh ``Settings(home=home, …)``."""
    if "vim_config" not in settings:
        settings["vim_config"] = write_vims(home)
    cfg = Settings(home=home, **settings)
    secrets = register_clients(cfg, roles)
    app = create_app(cfg)
    for router in extra_routers:
        app.include_router(router)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="api-test-server", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    _wait_ready(url, thread.is_alive)
    api = ApiServer(url=url, home=home, secrets=secrets)
    try:
        yield api
    finally:
        api.close_clients()
        server.should_exit = True
        thread.join(30)


def server_env(home: Path, **env: str) -> dict[str, str]:
    """The environment of a ``netorch`` subprocess: no inherited ``NETORCH_*`` but ``home``."""
    out = {k: v for k, v in os.environ.items() if not k.startswith("NETORCH_")}
    out.update(NETORCH_HOME=str(home), NETORCH_VIM_CONFIG=str(write_vims(home)), COLUMNS="200")
    out.update(env)
    return out


def netorch_cli(env: dict[str, str], *args: str, check: int | None = 0
                ) -> subprocess.CompletedProcess[str]:
    """Run ``python -m netorch ARGS`` with ``env``; assert its exit code unless ``check`` is
    None."""
    proc = subprocess.run([sys.executable, "-m", "netorch", *args], env=env, text=True,
                          capture_output=True, timeout=120, check=False)
    if check is not None:
        assert proc.returncode == check, (args, proc.returncode, proc.stdout, proc.stderr)
    return proc


def run_server_process(home: Path, *, args: Sequence[str] = (), env: dict[str, str] | None
                       = None, roles: Sequence[str] = ROLES, verbosity: str = "-v",
                       scheme: str = "http", verify: Any = True) -> Iterator[ApiServer]:
    """``python -m netorch [-v] serve --port N [ARGS]`` with ``NETORCH_HOME=home``."""
    full_env = server_env(home, **(env or {}))
    secrets = register_clients(Settings(home=home), roles)
    port = free_port()
    log = home / f"serve-{port}.log"
    cmd = [sys.executable, "-m", "netorch", *([verbosity] if verbosity else []), "serve",
           "--host", "127.0.0.1", "--port", str(port), *args]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    url = f"{scheme}://127.0.0.1:{port}"
    try:
        _wait_ready(url, lambda: proc.poll() is None, verify, log)
        api = ApiServer(url=url, home=home, secrets=secrets, log_file=log, verify=verify,
                        env=full_env)
        yield api
        api.close_clients()
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """The API under uvicorn in a thread, fresh NETORCH_HOME, clients of every role."""
    yield from run_server(tmp_path_factory.mktemp("api-home"))


@pytest.fixture(scope="module")
def api_server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """``python -m netorch serve`` in a subprocess, fresh NETORCH_HOME, clients of every role."""
    yield from run_server_process(tmp_path_factory.mktemp("api-proc-home"))
