"""The per-process context: settings, the store and the VIM drivers.

No global singletons: the CLI builds one ``Context`` per command, the API one per app.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from netorch.drivers.network.base import ConnectorOptions
from netorch.drivers.network.driver import NETWORK_DRIVER_NAME, NetworkDriver
from netorch.drivers.network.registry import open_network_driver
from netorch.drivers.vim.base import VimDriver
from netorch.drivers.vim.config import VimConfigFile, load_vim_config
from netorch.drivers.vim.logical import LogicalDriver
from netorch.drivers.vim.registry import open_vim
from netorch.engine.apply import EngineConfig
from netorch.engine.drivers import ResourceDriver
from netorch.model.errors import PermanentError
from netorch.model.resources import NETWORK_KINDS, ResourceKind, ResourceRecord
from netorch.planner import Step
from netorch.services.settings import Settings
from netorch.store import Store

log = logging.getLogger(__name__)

LOGICAL_VIM = "logical"


@dataclass(slots=True)
class Drivers:
    """The engine's DriverSet for one service: its VIM, the logical driver, and the network
    driver (devices and their configuration), which is only built when a step needs it."""

    vim: VimDriver
    logical: LogicalDriver
    network_factory: Callable[[], NetworkDriver] | None = None
    _network: NetworkDriver | None = None

    @property
    def network(self) -> NetworkDriver:
        if self._network is None:
            if self.network_factory is None:
                raise PermanentError("no network driver is configured")
            self._network = self.network_factory()
        return self._network

    def for_kind(self, kind: ResourceKind) -> ResourceDriver:
        if kind is ResourceKind.SOFTWARE:
            return self.logical
        if kind in NETWORK_KINDS:
            return self.network
        return self.vim

    def vim_name(self, record: ResourceRecord | None, step: Step) -> str:
        if record is not None:
            return record.vim
        if step.kind in NETWORK_KINDS:
            return NETWORK_DRIVER_NAME
        return LOGICAL_VIM if step.kind is ResourceKind.SOFTWARE else self.vim.name

    async def close(self) -> None:
        await self.logical.close()
        if self._network is not None:
            await self._network.close()
            self._network = None


@dataclass(slots=True)
class Context:
    settings: Settings = field(default_factory=Settings)
    _store: Store | None = None
    _vims: VimConfigFile | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self.settings.home.expanduser().mkdir(parents=True, exist_ok=True)
            self._store = Store(self.settings.db_url())
            self._store.migrate()
        return self._store

    @property
    def vims(self) -> VimConfigFile:
        if self._vims is None:
            self._vims = load_vim_config(self.vim_config_file)
        return self._vims

    @property
    def vim_config_file(self) -> Path:
        return self.settings.vim_config_path()

    @property
    def vim_base_dir(self) -> Path:
        path = self.vim_config_file
        return path.parent if path.exists() else self.settings.home.expanduser()

    def default_vim(self, name: str | None = None) -> str:
        return self.vims.resolve(name)[0]

    def engine_config(self) -> EngineConfig:
        s = self.settings
        return EngineConfig(parallelism=s.parallelism, step_timeout_s=s.step_timeout_s,
                            max_attempts=s.max_attempts, backoff_initial_s=s.backoff_initial_s)

    @asynccontextmanager
    async def vim(self, name: str | None) -> AsyncIterator[VimDriver]:
        vim_name, cfg = self.vims.resolve(name)
        driver = open_vim(vim_name, cfg, self.vim_base_dir)
        try:
            yield driver
        finally:
            await driver.close()

    def connector_options(self) -> ConnectorOptions:
        s = self.settings
        return ConnectorOptions(secrets_file=s.secrets_path(), known_hosts=s.known_hosts_path(),
                                tofu=s.ssh_tofu)

    def network_driver(self) -> NetworkDriver:
        """The network driver (its ledger lives beside the store, in ``$NETORCH_HOME``)."""
        home = self.settings.home.expanduser()
        home.mkdir(parents=True, exist_ok=True)
        return open_network_driver(home / "network-ledger.db", self.connector_options(),
                                   confirm_timeout_s=self.settings.confirm_timeout_s)

    @asynccontextmanager
    async def drivers(self, vim: str | None) -> AsyncIterator[Drivers]:
        async with self.vim(vim) as driver:
            drivers = Drivers(vim=driver, logical=LogicalDriver(),
                              network_factory=self.network_driver)
            try:
                yield drivers
            finally:
                await drivers.close()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
