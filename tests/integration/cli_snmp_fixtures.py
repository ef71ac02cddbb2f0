"""Real devices for the CLI and SNMP driver tests, started by the tests themselves:

* an OpenSSH ``sshd`` on a free loopback port with a login user that has a bash shell and a
  home (netmiko ``linux``), RECIPES §3b;
* fake-switches ``cisco_generic`` (netmiko ``cisco_ios``) when its side virtualenv exists
  (``NETORCH_FAKESWITCHES`` or ``/tmp/netorch-lab/venv-fsw/bin/fake-switches``), RECIPES §3a;
* net-snmp ``snmpd`` on a free loopback UDP port with a v2c community and a v3 authPriv
  (SHA/AES) user, ``-f -C -c <conf>``, ``MIBS=`` (RECIPES §2a).

Import the fixtures into a test module: ``from cli_snmp_fixtures import cli_host  # noqa``.
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

CLI_USER, CLI_PASSWORD = "nmtest", "nmtest-pass"
SNMP_COMMUNITY = "netorch-ro"
SNMP_USER, SNMP_AUTH, SNMP_PRIV = "nmuser", "nmauthpass1", "nmprivpass1"
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


def _need(*binaries: str, root: bool = False) -> None:
    if root and os.geteuid() != 0:
        pytest.skip("needs root (login user for sshd password auth)")
    missing = [b for b in binaries if shutil.which(b) is None and not Path(b).exists()]
    if missing:
        pytest.skip(f"missing: {', '.join(missing)}")


@dataclass(frozen=True)
class SshHost:
    """A running sshd: where it listens, its login user's home, its known_hosts file."""

    port: int
    home: Path
    known_hosts: Path
    user: str = CLI_USER
    password: str = CLI_PASSWORD


@pytest.fixture(scope="session")
def cli_host() -> Iterator[SshHost]:
    """An OpenSSH sshd (own config, own host key) on a free port with a bash login user."""
    _need("/usr/sbin/sshd", "ssh-keygen", "useradd", "chpasswd", "bash", root=True)
    base = Path(tempfile.mkdtemp(prefix="netorch-cli-"))
    base.chmod(0o755)                        # the login user must reach its home
    home = base / "home"
    exists = subprocess.run(["id", CLI_USER], capture_output=True).returncode == 0
    if exists:
        subprocess.run(["usermod", "-d", str(home), CLI_USER], check=True)
    else:
        subprocess.run(["useradd", "-M", "-d", str(home), "-s", "/bin/bash", CLI_USER],
                       check=True)
    home.mkdir()
    shutil.chown(home, CLI_USER, CLI_USER)
    subprocess.run(["chpasswd"], input=f"{CLI_USER}:{CLI_PASSWORD}\n".encode(), check=True)
    Path("/run/sshd").mkdir(exist_ok=True)
    key = base / "host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    port = free_port()
    conf = base / "sshd_config"
    conf.write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {key}", f"PidFile {base}/sshd.pid",
        "UsePAM no", "PasswordAuthentication yes", "KbdInteractiveAuthentication no",
        "PermitRootLogin no", f"AllowUsers {CLI_USER}", "StrictModes no", "PrintMotd no",
        "PrintLastLog no", "X11Forwarding no", "AllowTcpForwarding no", ""]))
    known = base / "known_hosts"
    keytype, blob = key.with_suffix(".pub").read_text().split()[:2]
    known.write_text(f"[127.0.0.1]:{port} {keytype} {blob}\n")
    proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-f", str(conf), "-E", str(base / "log")],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_tcp(port, proc, "sshd")
        yield SshHost(port=port, home=home, known_hosts=known)
    finally:
        _stop(proc)
        shutil.rmtree(base, ignore_errors=True)


def fake_switches_bin() -> Path | None:
    for candidate in (os.environ.get("NETORCH_FAKESWITCHES"),
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


@pytest.fixture(scope="session")
def fake_cisco() -> Iterator[FakeSwitch]:
    """fake-switches ``cisco_generic`` (Twisted SSH, accepts any host key check-less client)."""
    binary = fake_switches_bin()
    if binary is None:
        pytest.skip("fake-switches is not installed (side venv: pip install --no-deps "
                    "fake-switches==1.5.0 'twisted[conch]' netaddr tftpy lxml; RECIPES §3a)")
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


@dataclass
class Snmpd:
    """A running net-snmp agent."""

    port: int
    directory: Path
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        _stop(self.proc)


def start_snmpd(directory: Path, *, sys_name: str = "netorch-snmpd",
                extra: tuple[str, ...] = ()) -> Snmpd:
    """Start ``snmpd -f -C -c <conf>`` on a free UDP port and wait until it answers."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "persist").mkdir(exist_ok=True)
    port = free_port(socket.SOCK_DGRAM)
    conf = directory / "snmpd.conf"
    conf.write_text("\n".join([
        f"agentAddress udp:127.0.0.1:{port}",
        f"[snmp] persistentDir {directory}/persist",
        f"rocommunity {SNMP_COMMUNITY} 127.0.0.1",
        f'createUser {SNMP_USER} SHA "{SNMP_AUTH}" AES "{SNMP_PRIV}"',
        f"rouser {SNMP_USER} authpriv",
        f"sysName {sys_name}", "sysLocation netorch-tests", *extra, ""]))
    env = {**os.environ, "MIBS": ""}
    proc = subprocess.Popen(
        ["/usr/sbin/snmpd", "-f", "-C", "-c", str(conf), "-Lf", str(directory / "snmpd.log"),
         "-p", str(directory / "snmpd.pid")],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=env, start_new_session=True)
    agent = Snmpd(port, directory, proc)
    for _ in range(100):
        if proc.poll() is not None:
            raise RuntimeError(f"snmpd exited with {proc.returncode}: "
                               f"{(directory / 'snmpd.log').read_text(errors='replace')}")
        probe = subprocess.run(
            ["snmpget", "-v2c", "-c", SNMP_COMMUNITY, "-t", "0.2", "-r", "0",
             f"127.0.0.1:{port}", "1.3.6.1.2.1.1.3.0"],
            capture_output=True, env=env)
        if probe.returncode == 0:
            return agent
        time.sleep(0.1)
    agent.stop()
    raise RuntimeError("snmpd did not answer")


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snmpd]:
    """A net-snmp agent with v2c community ``netorch-ro`` and v3 user ``nmuser`` (authPriv)."""
    _need("/usr/sbin/snmpd", "snmpget")
    agent = start_snmpd(tmp_path_factory.mktemp("snmpd"))
    try:
        yield agent
    finally:
        agent.stop()
