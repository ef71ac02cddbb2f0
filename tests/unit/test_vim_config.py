"""The VIM config file: built-in default, parsing, errors with line numbers, resolve."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netorch.drivers.vim.config import (
    VimConfig,
    load_vim_config,
    netorch_home,
    vim_config_path,
)
from netorch.model.errors import NotFoundError, PermanentError

GOOD = """\
default: lab-sim
vims:
  lab-sim:
    driver: sim
    inventory: sim-inventory.db
    latency_ms: 5
    quotas: {instances: 200, vcpus: 400}
    fail_permanently: ["web*[2]"]
  other:
    driver: sim
    inventory: /abs/other.db
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conf" / "vims.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_builtin_sim(tmp_path: Path) -> None:
    cfg = load_vim_config(tmp_path / "nope" / "vims.yaml")
    name, vim = cfg.resolve(None)
    assert name == "sim"
    assert vim.driver == "sim"
    assert vim.settings == {"inventory": "sim-inventory.db"}
    assert cfg.base_dir == tmp_path / "nope"
    assert cfg.path is None


def test_none_path_uses_netorch_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETORCH_HOME", str(tmp_path / "home"))
    cfg = load_vim_config(None)
    assert cfg.base_dir == tmp_path / "home"
    assert load_vim_config(None, base_dir=tmp_path).base_dir == tmp_path


def test_good_file(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    cfg = load_vim_config(path)
    assert cfg.path == path
    assert cfg.base_dir == path.parent
    name, vim = cfg.resolve(None)
    assert name == "lab-sim"
    assert vim.driver == "sim"
    assert vim.settings["latency_ms"] == 5
    assert vim.settings["quotas"] == {"instances": 200, "vcpus": 400}
    assert "driver" not in vim.settings
    assert cfg.resolve("other")[1].settings["inventory"] == "/abs/other.db"


def test_resolve_unknown_lists_the_known(tmp_path: Path) -> None:
    cfg = load_vim_config(_write(tmp_path, GOOD))
    with pytest.raises(NotFoundError, match=r"no VIM named 'prod'.*lab-sim, other"):
        cfg.resolve("prod")


def test_single_vim_is_the_default(tmp_path: Path) -> None:
    cfg = load_vim_config(_write(tmp_path, "vims:\n  only:\n    driver: sim\n"))
    assert cfg.resolve(None)[0] == "only"


def test_no_default_among_several_is_an_error(tmp_path: Path) -> None:
    cfg = load_vim_config(_write(tmp_path, "vims:\n  a:\n    driver: sim\n  b:\n    driver: sim\n"))
    with pytest.raises(PermanentError, match=r"no default VIM.*a, b"):
        cfg.resolve(None)


def test_invalid_yaml_reports_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "default: x\nvims:\n  a: [unclosed\n  b: 2\n")
    with pytest.raises(PermanentError) as info:
        load_vim_config(path)
    message = str(info.value)
    assert str(path) in message
    assert "invalid YAML" in message
    assert "line " in message


def test_missing_driver_reports_location_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "default: a\nvims:\n  a:\n    driver: sim\n  b:\n    latency_ms: 3\n")
    with pytest.raises(PermanentError) as info:
        load_vim_config(path)
    message = str(info.value)
    assert str(path) in message
    assert "vims.b.driver" in message
    assert "line 5" in message  # the 'b:' entry that lacks its driver


def test_default_must_be_defined(tmp_path: Path) -> None:
    path = _write(tmp_path, "default: nope\nvims:\n  a:\n    driver: sim\n")
    with pytest.raises(PermanentError, match="default VIM 'nope' is not defined"):
        load_vim_config(path)


@pytest.mark.parametrize(
    "text",
    ["", "- a\n- b\n", "vims: {}\n", "vims:\n  a:\n    driver: sim\nextra: 1\n"],
)
def test_other_malformed_files(tmp_path: Path, text: str) -> None:
    with pytest.raises(PermanentError, match=re.escape(str(tmp_path))):
        load_vim_config(_write(tmp_path, text))


def test_paths_from_environment(tmp_path: Path) -> None:
    assert vim_config_path({"NETORCH_VIM_CONFIG": str(tmp_path / "x.yaml")}) == tmp_path / "x.yaml"
    env = {"NETORCH_HOME": str(tmp_path)}
    assert vim_config_path(env) == tmp_path / "vims.yaml"
    assert netorch_home({}) == Path("~/.netorch").expanduser()


def test_vim_config_keeps_extra_settings() -> None:
    cfg = VimConfig.model_validate({"driver": "sim", "latency_ms": 1, "flavors": {}})
    assert cfg.settings == {"latency_ms": 1, "flavors": {}}
