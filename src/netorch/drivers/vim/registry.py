"""Finding VIM drivers by name: the ``netorch.vim_drivers`` entry-point group.

A distribution makes a driver available by declaring, in its packaging metadata::

    [project.entry-points."netorch.vim_drivers"]
    sim = "netorch.drivers.vim.sim:SimVim"

The entry point must be a :class:`~netorch.drivers.vim.base.VimDriverFactory` (usually the
driver class). Nothing is imported until a driver is asked for by name.
"""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import cast

from netorch.drivers.vim.base import VimDriver, VimDriverFactory
from netorch.drivers.vim.config import VimConfig
from netorch.model.errors import PermanentError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "netorch.vim_drivers"


def _entry_points() -> list[EntryPoint]:
    return list(entry_points(group=ENTRY_POINT_GROUP))


def available_drivers() -> list[str]:
    """The names of the installed VIM drivers, sorted."""
    return sorted({ep.name for ep in _entry_points()})


def load_driver_factory(driver: str) -> VimDriverFactory:
    """The factory registered as ``driver``; PermanentError naming the known ones if none is."""
    found = [ep for ep in _entry_points() if ep.name == driver]
    if not found:
        known = ", ".join(available_drivers()) or "none installed"
        raise PermanentError(f"unknown VIM driver {driver!r} (known drivers: {known})")
    if len(found) > 1:
        log.warning(
            "VIM driver %r is registered %d times (%s); using %s",
            driver,
            len(found),
            ", ".join(ep.value for ep in found),
            found[0].value,
        )
    try:
        factory = found[0].load()
    except Exception as exc:
        raise PermanentError(
            f"VIM driver {driver!r} ({found[0].value}) cannot be loaded: {exc}"
        ) from exc
    if not callable(factory):
        raise PermanentError(f"VIM driver {driver!r} ({found[0].value}) is not callable")
    return cast(VimDriverFactory, factory)


def open_vim(name: str, cfg: VimConfig, base_dir: Path) -> VimDriver:
    """An instance of ``cfg.driver`` for the VIM called ``name``."""
    factory = load_driver_factory(cfg.driver)
    driver = factory(name, cfg.settings, base_dir)
    if not isinstance(driver, VimDriver):
        raise PermanentError(
            f"VIM driver {cfg.driver!r} returned {type(driver).__name__}, not a VimDriver"
        )
    return driver
