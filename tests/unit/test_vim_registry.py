"""VIM drivers are found through the ``netorch.vim_drivers`` entry points.

Needs netorch installed (``pip install -e . --no-deps``) so that its entry points exist.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from netorch.drivers.vim.base import VimDriver
from netorch.drivers.vim.config import VimConfig
from netorch.drivers.vim.registry import available_drivers, load_driver_factory, open_vim
from netorch.drivers.vim.sim import SimVim
from netorch.model.errors import PermanentError


def test_sim_is_registered() -> None:
    assert "sim" in available_drivers()
    assert load_driver_factory("sim") is SimVim


def test_unknown_driver_lists_known_ones() -> None:
    with pytest.raises(PermanentError, match=r"unknown VIM driver 'openstak'.*known drivers:.*sim"):
        load_driver_factory("openstak")


def test_open_vim_builds_a_driver_from_config(tmp_path: Path) -> None:
    cfg = VimConfig.model_validate(
        {"driver": "sim", "inventory": "inv/lab.db", "latency_ms": 0, "jitter_ms": 0}
    )
    vim = open_vim("lab", cfg, tmp_path)
    assert isinstance(vim, VimDriver)
    assert isinstance(vim, SimVim)
    assert vim.name == "lab"
    assert vim.inventory_path == tmp_path / "inv" / "lab.db"
    assert asyncio.run(vim.list()) == []
    asyncio.run(vim.close())
    assert (tmp_path / "inv" / "lab.db").exists()


def test_open_vim_with_invalid_settings_is_permanent(tmp_path: Path) -> None:
    cfg = VimConfig.model_validate({"driver": "sim", "latency_ms": -1, "typo_setting": 1})
    with pytest.raises(PermanentError, match=r"sim VIM 'lab'.*latency_ms.*typo_setting"):
        open_vim("lab", cfg, tmp_path)
