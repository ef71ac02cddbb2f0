"""Credentials by name from the secrets file and the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from netorch.drivers.network.secrets import (
    default_secrets_file,
    resolve_credentials,
    resolve_snmp,
)
from netorch.model.errors import PermanentError


def write(path: Path, data: dict[str, object], mode: int = 0o600) -> Path:
    path.write_text(yaml.safe_dump(data))
    path.chmod(mode)
    return path


@pytest.fixture
def secrets(tmp_path: Path) -> Path:
    return write(tmp_path / "secrets.yaml", {
        "credentials": {"pe1": {"username": "netconf", "password": "s3cret"},
                        "sw-1": {"username": "admin", "key_file": "~/keys/sw1"}},
        "snmp": {"pe1-snmp": {"community": "public"},
                 "pe1-v3": {"user": "u", "auth_key": "ak", "auth_protocol": "SHA",
                            "priv_key": "pk", "priv_protocol": "AES"}}})


def test_file_credentials_and_repr_hides_the_password(secrets: Path) -> None:
    creds = resolve_credentials("pe1", secrets)
    assert (creds.username, creds.password, creds.key_file) == ("netconf", "s3cret", None)
    assert "s3cret" not in repr(creds)
    key = resolve_credentials("sw-1", secrets)
    assert key.key_file == str(Path("~/keys/sw1").expanduser()) and key.password is None


def test_environment_wins_field_by_field(secrets: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETORCH_CRED_PE1_PASSWORD", "from-env")
    monkeypatch.setenv("NETORCH_CRED_SW_1_USERNAME", "ops")
    assert resolve_credentials("pe1", secrets).password == "from-env"
    assert resolve_credentials("pe1", secrets).username == "netconf"
    assert resolve_credentials("sw-1", secrets).username == "ops"


def test_environment_alone_is_enough(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETORCH_CRED_PE2_USERNAME", "u")
    monkeypatch.setenv("NETORCH_CRED_PE2_PASSWORD", "p")
    creds = resolve_credentials("pe2", tmp_path / "missing.yaml")
    assert (creds.username, creds.password) == ("u", "p")


def test_missing_credentials_name_what_to_set(secrets: Path) -> None:
    with pytest.raises(PermanentError, match="NETORCH_CRED_NOPE_USERNAME") as info:
        resolve_credentials("nope", secrets)
    assert "s3cret" not in str(info.value)


def test_unparsable_file_does_not_echo_its_content(tmp_path: Path) -> None:
    bad = tmp_path / "secrets.yaml"
    bad.write_text("credentials: {pe1: {password: hunter2\n")
    with pytest.raises(PermanentError) as info:
        resolve_credentials("pe1", bad)
    assert "hunter2" not in str(info.value)


def test_loose_file_mode_is_warned_about(tmp_path: Path,
                                         caplog: pytest.LogCaptureFixture) -> None:
    loose = write(tmp_path / "secrets.yaml",
                  {"credentials": {"pe1": {"username": "a", "password": "b"}}}, 0o644)
    resolve_credentials("pe1", loose)
    assert "0600" in caplog.text


def test_default_file_follows_the_settings(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NETORCH_SECRETS_FILE", raising=False)
    monkeypatch.setenv("NETORCH_HOME", str(tmp_path))
    assert default_secrets_file() == tmp_path / "secrets.yaml"
    monkeypatch.setenv("NETORCH_SECRETS_FILE", str(tmp_path / "x.yaml"))
    assert default_secrets_file() == tmp_path / "x.yaml"


def test_snmp_v2c_v3_and_environment(secrets: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_snmp("pe1-snmp", secrets) == {"community": "public"}
    v3 = resolve_snmp("pe1-v3", secrets)
    assert v3["user"] == "u" and v3["priv_protocol"] == "AES"
    monkeypatch.setenv("NETORCH_SNMP_PE1_SNMP_COMMUNITY", "private")
    assert resolve_snmp("pe1-snmp", secrets)["community"] == "private"
    with pytest.raises(PermanentError, match="no SNMP credentials named 'x'"):
        resolve_snmp("x", secrets)
