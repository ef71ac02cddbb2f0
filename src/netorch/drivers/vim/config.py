"""The VIM config file: which VIMs netorch can deploy to, and with which driver and settings.

A YAML file, by default ``<NETORCH_HOME>/vims.yaml`` (``NETORCH_HOME`` defaults to
``~/.netorch``) or the path in ``NETORCH_VIM_CONFIG``::

    default: lab-sim
    vims:
      lab-sim:
        driver: sim
        inventory: sim-inventory.db     # relative paths are under the file's directory
        latency_ms: 5

Every key of a VIM entry but ``driver`` is a driver setting, handed to the driver as is; the
driver validates its own settings. Relative paths in settings are resolved by the driver against
:attr:`VimConfigFile.base_dir`, the config file's directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from netorch.model.errors import NotFoundError, PermanentError

ENV_HOME = "NETORCH_HOME"
ENV_VIM_CONFIG = "NETORCH_VIM_CONFIG"
DEFAULT_VIM_NAME = "sim"
DEFAULT_INVENTORY = "sim-inventory.db"
CONFIG_FILE_NAME = "vims.yaml"


class VimConfig(BaseModel):
    """One VIM entry: its ``driver`` (an entry point name) and the driver's own settings."""

    model_config = ConfigDict(extra="allow", frozen=True)

    driver: str = Field(min_length=1)

    @property
    def settings(self) -> dict[str, Any]:
        """Everything in the entry except ``driver``."""
        return dict(self.model_extra or {})


class VimConfigFile(BaseModel):
    """The whole file: the VIMs by name and which one is used when none is named."""

    model_config = ConfigDict(extra="forbid")

    default: str | None = None
    vims: dict[str, VimConfig] = Field(min_length=1)

    _base_dir: Path = PrivateAttr(default=Path("."))
    _path: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _default_is_defined(self) -> VimConfigFile:
        if self.default is not None and self.default not in self.vims:
            raise ValueError(
                f"default VIM {self.default!r} is not defined (defined: {', '.join(self.vims)})"
            )
        for name in self.vims:
            if not name.strip():
                raise ValueError("a VIM name must not be empty")
        return self

    @property
    def base_dir(self) -> Path:
        """Where relative paths in driver settings are resolved (the file's directory)."""
        return self._base_dir

    @property
    def path(self) -> Path | None:
        """The file this was read from; ``None`` for the built-in default."""
        return self._path

    def located(self, *, base_dir: Path, path: Path | None) -> VimConfigFile:
        """This config, with where it came from."""
        self._base_dir = base_dir
        self._path = path
        return self

    def default_name(self) -> str:
        """The VIM used when none is named: ``default``, or the only VIM there is."""
        if self.default is not None:
            return self.default
        if len(self.vims) == 1:
            return next(iter(self.vims))
        raise PermanentError(
            f"{self._where()}: no default VIM; name one of: {', '.join(sorted(self.vims))}"
        )

    def resolve(self, name: str | None = None) -> tuple[str, VimConfig]:
        """The VIM called ``name`` (the default one if ``None``), or NotFoundError."""
        chosen = self.default_name() if name is None else name
        cfg = self.vims.get(chosen)
        if cfg is None:
            raise NotFoundError(
                f"{self._where()}: no VIM named {chosen!r} (defined: "
                f"{', '.join(sorted(self.vims))})"
            )
        return chosen, cfg

    def _where(self) -> str:
        return str(self._path) if self._path is not None else "built-in VIM config"


def netorch_home(env: Mapping[str, str] | None = None) -> Path:
    """``$NETORCH_HOME``, else ``~/.netorch``."""
    environ = os.environ if env is None else env
    raw = environ.get(ENV_HOME)
    return Path(raw).expanduser() if raw else Path("~/.netorch").expanduser()


def vim_config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$NETORCH_VIM_CONFIG``, else ``<NETORCH_HOME>/vims.yaml``."""
    environ = os.environ if env is None else env
    raw = environ.get(ENV_VIM_CONFIG)
    return Path(raw).expanduser() if raw else netorch_home(environ) / CONFIG_FILE_NAME


def builtin_vim_config(base_dir: Path) -> VimConfigFile:
    """One ``sim`` VIM named ``sim`` keeping its inventory in ``base_dir/sim-inventory.db``."""
    cfg = VimConfigFile(
        default=DEFAULT_VIM_NAME,
        vims={
            DEFAULT_VIM_NAME: VimConfig.model_validate(
                {"driver": "sim", "inventory": DEFAULT_INVENTORY}
            )
        },
    )
    return cfg.located(base_dir=base_dir, path=None)


def load_vim_config(path: Path | None, *, base_dir: Path | None = None) -> VimConfigFile:
    """Read the VIM config file at ``path``.

    When ``path`` is ``None`` or does not exist, the built-in default is returned, with
    ``base_dir`` (default: the path's directory, else ``NETORCH_HOME``) as its base directory.
    A file that cannot be read or is malformed raises PermanentError naming the file, the line
    when known, and the reason.
    """
    if path is None or not path.exists():
        where = base_dir or (path.parent if path is not None else netorch_home())
        return builtin_vim_config(where)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PermanentError(f"{path}: cannot read VIM config: {exc}") from exc
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}:" if mark is not None else ""
        raise PermanentError(f"{path}:{line} invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PermanentError(
            f"{path}: a VIM config must be a mapping with 'vims' (and optionally 'default'), "
            f"got {type(data).__name__}"
        )
    try:
        cfg = VimConfigFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line_no = _line_of(node, loc)
            at = f"line {line_no}: " if line_no is not None else ""
            dotted = ".".join(str(p) for p in loc) or "(file)"
            problems.append(f"{at}{dotted}: {err['msg']}")
        raise PermanentError(f"{path}: invalid VIM config: {'; '.join(problems)}") from exc
    return cfg.located(base_dir=base_dir or path.parent, path=path)


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the deepest YAML node along ``loc`` (a pydantic error location)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                    node = value_node
                    line = key_node.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line
