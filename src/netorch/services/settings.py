"""Settings from the environment (``NETORCH_*``), with embedded defaults: SQLite under
``~/.netorch`` and the simulated VIM. pydantic-settings at the edge only."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NETORCH_", extra="ignore")

    home: Path = Path.home() / ".netorch"
    db: str | None = None
    """A SQLAlchemy URL (``postgresql+psycopg://…``) or a path to a SQLite file."""
    vim_config: Path | None = None
    parallelism: int = 16
    step_timeout_s: float = 120.0
    max_attempts: int = 4
    backoff_initial_s: float = 0.2
    # notification delivery (services/notify.py, SOL013 §6.x): exponential backoff per entry
    notify_backoff_initial_s: float = 1.0
    notify_backoff_max_s: float = 300.0
    notify_max_attempts: int = 30
    notify_poll_interval_s: float = 1.0
    notify_timeout_s: float = 10.0

    def db_url(self) -> str:
        if self.db is None:
            return f"sqlite:///{(self.home / 'netorch.db').expanduser().resolve()}"
        if "://" in self.db:
            return self.db
        return f"sqlite:///{Path(self.db).expanduser().resolve()}"

    def vim_config_path(self) -> Path:
        return (self.vim_config or self.home / "vims.yaml").expanduser()
