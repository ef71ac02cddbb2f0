"""The one device the session lab (``netorch lab up``, ``lab_fixture``) does not start:
fake-switches ``cisco_generic`` (netmiko ``cisco_ios``), RECIPES §3a, when its side
virtualenv exists (``NETORCH_FAKESWITCHES``, which scripts/run-tests.sh exports, or
``$HOME/.cache/netorch/venv-fsw`` / ``/tmp/netorch-lab/venv-fsw``).

The linux CLI device (``sw1``) and the snmpd agents come from the lab.
Import the fixture (named ``fake_cisco``) into a test module::

    from cli_snmp_fixtures import fake_cisco_fixture  # noqa: F401
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

FSW_USER, FSW_PASSWORD = "admin", "admin"


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_tcp(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    for _ in range(200):
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def fake_switches_bin() -> Path | None:
    for candidate in (os.environ.get("NETORCH_FAKESWITCHES"),
                      str(Path.home() / ".cache" / "netorch" / "venv-fsw" / "bin"
                          / "fake-switches"),
                      "/tmp/netorch-lab/venv-fsw/bin/fake-switches",
                      shutil.which("fake-switches")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@dataclass(frozen=True)
class FakeSwitch:
    port: int
    hostname: str = "nsw1"
    user: str = FSW_USER
    password: str = FSW_PASSWORD


@pytest.fixture(scope="session", name="fake_cisco")
def fake_cisco_fixture() -> Iterator[FakeSwitch]:
    """fake-switches ``cisco_generic`` (Twisted SSH, accepts any host key check-less client)."""
    binary = fake_switches_bin()
    if binary is None:
        pytest.skip("fake-switches is not installed (side venv: pip install --no-deps "
                    "fake-switches==1.5.0 'twisted[conch]' netaddr tftpy lxml; RECIPES §3a; "
                    "scripts/run-tests.sh does it)")
    port = free_port()
    sw = FakeSwitch(port=port)
    log = Path(tempfile.mkdtemp(prefix="netorch-fsw-")) / "fsw.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(binary), "--model", "cisco_generic", "--hostname", sw.hostname,
             "--username", sw.user, "--password", sw.password,
             "--listen-host", "127.0.0.1", "--listen-port", str(port)],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        _wait_tcp(port, proc, "fake-switches")
        yield sw
    finally:
        _stop(proc)
        shutil.rmtree(log.parent, ignore_errors=True)
