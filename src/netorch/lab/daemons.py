"""Configuration and command lines of the lab's daemons: yuma123 ``netconfd`` behind a dedicated
OpenSSH ``sshd`` (RFC 6242 NETCONF over SSH, subsystem ``netconf``), a plain ``sshd`` with a login
shell for CLI devices, and net-snmp ``snmpd`` (SNMPv2c community + SNMPv3 USM authPriv, RFC 3414).

Every daemon listens on 127.0.0.1 only and reads only the files written here (``sshd -f``,
``snmpd -C -c``): the system's own configuration is never read or touched.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from netorch.lab.procs import SYSTEM_DIRS

HOST = "127.0.0.1"
NETCONF_USER, NETCONF_PASSWORD = "netconf", "netconf"
CLI_USER, CLI_PASSWORD = "nmlab", "nmlab"
CLI_PASSWD_HOME = Path("/var/lib/netorch-lab/nmlab")
"""``nmlab``'s home in /etc/passwd (where sshd starts sessions); each CLI device gets its own
``HOME`` under the lab dir through ``SetEnv``."""
SNMP_COMMUNITY = "public"
SNMP_V3_USER, SNMP_V3_AUTH, SNMP_V3_PRIV = "labuser", "labauthpass", "labprivpass"
YUMA_MODULES = Path("/usr/share/yuma/modules")
NETCONF_SUBSYSTEM = "/usr/sbin/netconf-subsystem"
EMPTY_CONFIG = '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>\n'

# Modules loaded into every netconfd, when their .yang file is found on the module path.
NETCONF_MODULES = ("ietf-interfaces", "netorch-service-chain", "netorch-l3vpn")


def find_module(name: str, dirs: list[Path]) -> Path | None:
    """``NAME.yang`` or ``NAME@REVISION.yang`` anywhere under ``dirs`` (yuma searches its
    --modpath recursively)."""
    for d in dirs:
        if not d.is_dir():
            continue
        for pattern in (f"{name}.yang", f"{name}@*.yang"):
            found = sorted(d.rglob(pattern))
            if found:
                return found[0]
    return None


@dataclass(frozen=True, slots=True)
class NetconfdSetup:
    """One netconfd instance (yuma123 2.13)."""

    run_dir: Path
    socket: Path
    port: int
    target: str
    modpath: tuple[Path, ...]
    modules: tuple[str, ...]
    netns: str
    bin_dir: Path

    def argv(self, ip: str, netconfd: str) -> list[str]:
        # --port: netconf-subsystem reports the port the client used; netconfd refuses ports
        # it was not told about ("agt_connect error (access denied)").
        # --startup: per-instance file; the default is ~/.yuma/startup-cfg.xml of the passwd
        # home, shared by every instance.
        # --superuser: NACM is enforced by default; writes need the superuser.
        return [ip, "netns", "exec", self.netns, netconfd,
                f"--ncxserver-sockname={self.socket}", f"--port={self.port}",
                f"--superuser={NETCONF_USER}", f"--target={self.target}",
                f"--startup={self.run_dir / 'startup-cfg.xml'}",
                "--modpath=" + ":".join(str(p) for p in self.modpath),
                *(f"--module={m}" for m in self.modules),
                f"--log={self.run_dir / 'netconfd.log'}", "--log-level=info"]

    def env(self) -> dict[str, str]:
        return {"PATH": ":".join([str(self.bin_dir), *SYSTEM_DIRS]), "HOME": str(self.run_dir),
                "LANG": "C"}


def sshd_config(*, port: int, run_dir: Path, host_key: Path, user: str,
                authorized_keys: Path, subsystem: str | None, home: Path | None = None) -> str:
    """A private sshd configuration: loopback only, password and public-key login for one
    user, no PAM (so nothing in /etc/pam.d matters), no forwarding."""
    lines = [
        f"Port {port}",
        f"ListenAddress {HOST}",
        f"HostKey {host_key}",
        f"PidFile {run_dir / 'sshd.pid'}",
        "UsePAM no",
        "PasswordAuthentication yes",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        f"AuthorizedKeysFile {authorized_keys}",
        "StrictModes no",
        "PermitRootLogin no",
        f"AllowUsers {user}",
        "AllowTcpForwarding no",
        "X11Forwarding no",
        "PrintMotd no",
        "PrintLastLog no",
        "UseDNS no",
        "MaxStartups 100:30:200",
        "MaxSessions 50",
        "LoginGraceTime 30",
    ]
    if subsystem is not None:
        lines.append(f"Subsystem netconf {subsystem}")
    if home is not None:
        # SetEnv is applied after sshd's own HOME=<passwd home>, so it wins
        lines.append(f'SetEnv HOME="{home}"')
    return "\n".join(lines) + "\n"


def sshd_argv(sshd: str, run_dir: Path) -> list[str]:
    # -D: stay in the foreground, so the PID we record is the listener's; -E: own log file.
    return [sshd, "-D", "-f", str(run_dir / "sshd_config"), "-E", str(run_dir / "sshd.log")]


def snmpd_config(*, port: int, run_dir: Path, sys_name: str, descr: str) -> str:
    # "[snmp] persistentDir": the bare directive is not an snmpd.conf token; includeFile (not
    # include) for the override file (fault injection: "override OID TYPE VALUE", restart).
    return "\n".join([
        f"agentAddress udp:{HOST}:{port}",
        f"[snmp] persistentDir {run_dir / 'snmp-persist'}",
        f"rocommunity {SNMP_COMMUNITY} {HOST}",
        f'createUser {SNMP_V3_USER} SHA "{SNMP_V3_AUTH}" AES "{SNMP_V3_PRIV}"',
        f"rouser {SNMP_V3_USER} authpriv",
        f"sysName {sys_name}",
        f"sysDescr {descr}",
        "sysLocation netorch-lab",
        "sysContact netorch-lab@localhost",
        "sysServices 72",
        "dontLogTCPWrappersConnects yes",
        f"includeFile {run_dir / 'snmpd-overrides.conf'}",
    ]) + "\n"


def snmpd_argv(snmpd: str, run_dir: Path) -> list[str]:
    # -f foreground, -C: no system/default config files, only ours (-c).
    return [snmpd, "-f", "-C", "-c", str(run_dir / "snmpd.conf"),
            "-Lf", str(run_dir / "snmpd.log"), "-p", str(run_dir / "snmpd.pid")]


def snmpd_in_netns_argv(snmpd: str, run_dir: Path, *, ip: str, netns: str) -> list[str]:
    """snmpd inside the device's namespace (its ifTable is the device's lo/eth0/eth1, the
    interfaces netconfd reports), answering on a UDP socket bound in the host namespace.

    The socket arrives as the wrapper's stdin and is handed on the systemd way
    (sd_listen_fds(3): fd 3, ``LISTEN_FDS=1``, ``LISTEN_PID`` = snmpd's PID); net-snmp uses an
    inherited socket whose address matches ``agentAddress``. ``sh`` execs ``ip netns exec``,
    which execs snmpd, so ``$$`` is snmpd's PID and the PID we record. (dash accepts only
    one-digit descriptors in redirections, hence stdin rather than an arbitrary fd.)
    """
    inner = " ".join(shlex.quote(a) for a in
                     [ip, "netns", "exec", netns, *snmpd_argv(snmpd, run_dir)])
    return ["/bin/sh", "-c", f"export LISTEN_PID=$$ LISTEN_FDS=1; exec {inner} 3<&0 0</dev/null"]
