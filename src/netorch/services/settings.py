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
    # network devices (drivers/network, drivers/netconf, drivers/cli)
    secrets_file: Path | None = None
    """Device credentials (YAML, mode 0600); default ``$NETORCH_HOME/secrets.yaml``."""
    known_hosts: Path | None = None
    """SSH host keys of the devices (OpenSSH format); default ``$NETORCH_HOME/known_hosts``."""
    ssh_tofu: bool = False
    """Trust a device's host key on first use (and record it). Off: unknown keys are refused."""
    confirm_timeout_s: int = 120
    """Timeout of a NETCONF confirmed commit (RFC 6241 §8.4) during a multi-device change."""
    # notification delivery (services/notify.py, SOL013 §6.x): exponential backoff per entry
    notify_backoff_initial_s: float = 1.0
    notify_backoff_max_s: float = 300.0
    notify_max_attempts: int = 30
    notify_poll_interval_s: float = 1.0
    notify_timeout_s: float = 10.0
    op_stop_grace_s: float = 10.0
    """How long a stopping API server lets running LCM operations finish (op_runner)."""
    # northbound API (netorch serve, SOL005 / SOL013): auth is on unless NETORCH_API_AUTH=off
    api_auth: bool = True
    api_page_size: int = 100
    api_tls_cert: Path | None = None
    api_tls_key: Path | None = None
    api_token_ttl_s: int = 3600
    api_jwks_url: str | None = None
    """An external token issuer's JWKS (RFC 7517); its JWTs are accepted beside netorch's own."""
    api_issuer: str | None = None
    api_audience: str | None = None
    api_role_claim: str = "netorch_role"
    api_auth_cache_s: float = 2.0
    """How long a verified bearer token is trusted without checking it again (and so how long
    a removed API client may keep access); 0 checks every request."""

    def db_url(self) -> str:
        if self.db is None:
            return f"sqlite:///{(self.home / 'netorch.db').expanduser().resolve()}"
        if "://" in self.db:
            return self.db
        return f"sqlite:///{Path(self.db).expanduser().resolve()}"

    def secrets_path(self) -> Path:
        return (self.secrets_file or self.home / "secrets.yaml").expanduser()

    def known_hosts_path(self) -> Path:
        return (self.known_hosts or self.home / "known_hosts").expanduser()

    def vim_config_path(self) -> Path:
        return (self.vim_config or self.home / "vims.yaml").expanduser()
