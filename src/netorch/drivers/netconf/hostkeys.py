"""SSH host key verification against an OpenSSH ``known_hosts`` file (RFC 4251 §4.1).

A device must present the host key recorded for it (``[host]:port`` for ports other than
22, as OpenSSH writes them). An unknown key is refused unless trust-on-first-use is on, and
then it is appended to the file. A key that differs from a recorded one is always refused:
that is what a man in the middle looks like.

Settings: ``NETORCH_KNOWN_HOSTS`` (default ``$NETORCH_HOME/known_hosts``) and
``NETORCH_SSH_TOFU=1``. Uses paramiko only, so the CLI driver can use it too.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

import paramiko

from netorch.model.errors import PermanentError

_APPEND_LOCK = threading.Lock()
_PARSED_LOCK = threading.Lock()
_PARSED: dict[Path, tuple[tuple[int, int, int], paramiko.HostKeys]] = {}


def _parsed(path: Path) -> paramiko.HostKeys:
    """``path`` parsed, from the cache while the file is unchanged (read-only: callers get
    copies of what it holds)."""
    try:
        st = path.stat()
    except OSError:
        return paramiko.HostKeys()
    signature = (st.st_ino, st.st_size, st.st_mtime_ns)
    with _PARSED_LOCK:
        hit = _PARSED.get(path)
    if hit is not None and hit[0] == signature:
        return hit[1]
    keys = paramiko.HostKeys()
    keys.load(str(path))
    with _PARSED_LOCK:
        _PARSED[path] = (signature, keys)
    return keys


def default_known_hosts() -> Path:
    explicit = os.environ.get("NETORCH_KNOWN_HOSTS")
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get("NETORCH_HOME")
    return (Path(home) if home else Path.home() / ".netorch").expanduser() / "known_hosts"


def tofu_from_env() -> bool:
    return os.environ.get("NETORCH_SSH_TOFU", "").strip().lower() in {"1", "true", "yes", "on"}


def host_entry(host: str, port: int) -> str:
    """How OpenSSH names a host in known_hosts."""
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(key: paramiko.PKey) -> str:
    """``SHA256:…`` as ``ssh-keygen -l`` prints it."""
    return str(key.fingerprint)


class KnownHosts:
    """The known-hosts policy for one file."""

    def __init__(self, path: Path, *, tofu: bool = False) -> None:
        self.path = path
        self.tofu = tofu

    def load(self) -> paramiko.HostKeys:
        keys = paramiko.HostKeys()
        if self.path.is_file():
            keys.load(str(self.path))
        return keys

    def recorded(self, host: str, port: int) -> dict[str, paramiko.PKey]:
        """The keys recorded for ``host:port``, by key type.

        The parsed file is kept while its inode, size and modification time stay the same
        (a lab's file names dozens of devices, and paramiko parses every line, ~0.4 ms each,
        on every connect); any change to the file, such as a key appended on first use,
        makes the next call read it again."""
        found = _parsed(self.path).lookup(host_entry(host, port))
        return {} if found is None else dict(found)

    def verify(self, device: str, host: str, port: int, key: paramiko.PKey) -> None:
        """Accept ``key`` for ``host:port`` or raise :class:`PermanentError`."""
        recorded = self.recorded(host, port)
        if any(k.get_name() == key.get_name() and k.asbytes() == key.asbytes()
               for k in recorded.values()):
            return
        if recorded:
            raise PermanentError(
                f"{device}: host key mismatch for {host_entry(host, port)}: the device "
                f"presented {key.get_name()} {fingerprint(key)}, which is not the key "
                f"recorded in {self.path} (possible man-in-the-middle; remove the old entry "
                "if the device was re-keyed)")
        if not self.tofu:
            raise PermanentError(
                f"{device}: unknown host key {key.get_name()} {fingerprint(key)} for "
                f"{host_entry(host, port)}: not in {self.path} (add it, or set "
                "NETORCH_SSH_TOFU=1 to trust it on first use)")
        self.append(host, port, key)

    def append(self, host: str, port: int, key: paramiko.PKey) -> None:
        """Record ``key`` (trust on first use). Serialised between threads and processes."""
        line = f"{host_entry(host, port)} {key.get_name()} {key.get_base64()}\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _APPEND_LOCK, self.path.open("a", encoding="ascii") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                if key.asbytes() not in (k.asbytes() for k in self.recorded(host, port).values()):
                    fh.write(line)  # not recorded meanwhile by a parallel session
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
