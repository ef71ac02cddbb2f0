"""Host key policy: known keys pass, unknown keys are refused unless TOFU, changed never."""

from __future__ import annotations

from pathlib import Path

import paramiko
import pytest

from netorch.drivers.netconf.hostkeys import KnownHosts, default_known_hosts, host_entry
from netorch.model.errors import PermanentError


@pytest.fixture(scope="module")
def keys() -> tuple[paramiko.PKey, paramiko.PKey]:
    return paramiko.ECDSAKey.generate(), paramiko.ECDSAKey.generate()


def line(key: paramiko.PKey, port: int = 8830) -> str:
    return f"[127.0.0.1]:{port} {key.get_name()} {key.get_base64()}\n"


def test_openssh_host_names() -> None:
    assert host_entry("10.0.0.1", 22) == "10.0.0.1"
    assert host_entry("127.0.0.1", 8830) == "[127.0.0.1]:8830"


def test_recorded_key_is_accepted(tmp_path: Path, keys: tuple[paramiko.PKey, ...]) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(line(keys[0]))
    KnownHosts(path).verify("pe1", "127.0.0.1", 8830, keys[0])


def test_unknown_key_is_refused_without_tofu(tmp_path: Path,
                                             keys: tuple[paramiko.PKey, ...]) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(line(keys[0], port=9999))  # another port is another host
    with pytest.raises(PermanentError, match=r"pe1: unknown host key .* \[127.0.0.1\]:8830"):
        KnownHosts(path).verify("pe1", "127.0.0.1", 8830, keys[0])
    with pytest.raises(PermanentError, match="unknown host key"):
        KnownHosts(tmp_path / "absent").verify("pe1", "127.0.0.1", 8830, keys[0])
    assert path.read_text() == line(keys[0], port=9999)


def test_tofu_records_the_key_once_known(tmp_path: Path,
                                         keys: tuple[paramiko.PKey, ...]) -> None:
    path = tmp_path / "dir" / "known_hosts"
    KnownHosts(path, tofu=True).verify("pe1", "127.0.0.1", 8830, keys[0])
    assert path.read_text() == line(keys[0])
    KnownHosts(path).verify("pe1", "127.0.0.1", 8830, keys[0])  # known now, without TOFU
    assert paramiko.HostKeys(str(path)).lookup("[127.0.0.1]:8830") is not None


def test_changed_key_is_refused_even_with_tofu(tmp_path: Path,
                                               keys: tuple[paramiko.PKey, ...]) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(line(keys[0]))
    with pytest.raises(PermanentError, match="host key mismatch"):
        KnownHosts(path, tofu=True).verify("pe1", "127.0.0.1", 8830, keys[1])
    assert path.read_text() == line(keys[0])


def test_default_path_follows_the_settings(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NETORCH_KNOWN_HOSTS", raising=False)
    monkeypatch.setenv("NETORCH_HOME", str(tmp_path))
    assert default_known_hosts() == tmp_path / "known_hosts"
    monkeypatch.setenv("NETORCH_KNOWN_HOSTS", str(tmp_path / "kh"))
    assert default_known_hosts() == tmp_path / "kh"
