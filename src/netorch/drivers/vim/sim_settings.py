"""Settings of the simulated VIM (the ``sim`` driver), read from one VIM entry of the config file.

Environment variables win over the file so scripts and benchmarks can tune a run without editing
it: ``NETORCH_SIM_LATENCY_MS``, ``NETORCH_SIM_JITTER_MS``, ``NETORCH_SIM_FAILURE_RATE`` and
``NETORCH_SIM_FAILURE_SEED``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from netorch.model.errors import PermanentError

ENV_LATENCY_MS = "NETORCH_SIM_LATENCY_MS"
ENV_JITTER_MS = "NETORCH_SIM_JITTER_MS"
ENV_FAILURE_RATE = "NETORCH_SIM_FAILURE_RATE"
ENV_FAILURE_SEED = "NETORCH_SIM_FAILURE_SEED"

_ENV_FIELDS: dict[str, str] = {
    ENV_LATENCY_MS: "latency_ms",
    ENV_JITTER_MS: "jitter_ms",
    ENV_FAILURE_RATE: "failure_rate",
    ENV_FAILURE_SEED: "failure_seed",
}


class Flavor(BaseModel):
    """A compute flavor: the sizes a simulated server can have."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vcpus: int = Field(ge=1)
    ram_mb: int = Field(ge=1, description="MiB")
    disk_gb: int = Field(default=0, ge=0, description="GiB")


class Quotas(BaseModel):
    """Tenant quotas, enforced over everything in the inventory; ``None`` is unlimited."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    instances: int | None = Field(default=None, ge=0)
    vcpus: int | None = Field(default=None, ge=0)
    ram_mb: int | None = Field(default=None, ge=0)
    networks: int | None = Field(default=None, ge=0)
    ports: int | None = Field(default=None, ge=0)
    volumes: int | None = Field(default=None, ge=0)
    volume_gb: int | None = Field(default=None, ge=0)


class DeathRule(BaseModel):
    """Resources matching ``match`` read ERROR once ``after_s`` has passed since their creation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    match: str = Field(min_length=1)
    after_s: float = Field(ge=0)


def default_flavors() -> dict[str, Flavor]:
    """The flavors a sim VIM offers when its config names none."""
    return {
        "m1.tiny": Flavor(vcpus=1, ram_mb=512, disk_gb=1),
        "m1.small": Flavor(vcpus=1, ram_mb=2048, disk_gb=20),
        "m1.medium": Flavor(vcpus=2, ram_mb=4096, disk_gb=40),
        "m1.large": Flavor(vcpus=4, ram_mb=8192, disk_gb=80),
        "m1.xlarge": Flavor(vcpus=8, ram_mb=16384, disk_gb=160),
    }


class SimSettings(BaseModel):
    """Everything a VIM entry with ``driver: sim`` may set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    inventory: str = Field(default="sim-inventory.db", min_length=1)
    """SQLite file holding the simulated cloud; relative paths are under the config's directory."""
    latency_ms: float = Field(default=5.0, ge=0)
    jitter_ms: float = Field(default=2.0, ge=0)
    failure_rate: float = Field(default=0.0, ge=0, le=1)
    """Fraction of create / delete calls that raise a TemporaryError."""
    failure_after_ratio: float = Field(default=0.5, ge=0, le=1)
    """Of the injected failures, the fraction raised *after* the change was committed."""
    failure_seed: int | None = None
    quotas: Quotas = Field(default_factory=Quotas)
    flavors: dict[str, Flavor] = Field(default_factory=default_flavors, min_length=1)
    fail_permanently: list[str] = Field(default_factory=list)
    dies: list[DeathRule] = Field(default_factory=list)
    busy_timeout_ms: int = Field(default=5000, ge=0)
    hosts: int = Field(default=8, ge=1)
    """Simulated hypervisors ``host-0 .. host-{hosts-1}``: every server lands on one of them."""
    zones: int = Field(default=2, ge=1)
    """Availability zones ``zone-0 ..``; host ``i`` is in zone ``i % zones``."""


def load_sim_settings(
    vim_name: str, config: Mapping[str, Any], env: Mapping[str, str]
) -> SimSettings:
    """Validate one VIM entry's settings with the environment overrides applied.

    Raises PermanentError naming the VIM and every invalid setting.
    """
    data = dict(config)
    data.pop("driver", None)
    from_env: dict[str, str] = {}
    for var, field_name in _ENV_FIELDS.items():
        raw = env.get(var)
        if raw is not None and raw.strip() != "":
            data[field_name] = raw.strip()
            from_env[field_name] = var
    try:
        return SimSettings.model_validate(data)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(settings)'}"
            f"{_env_note(from_env, err['loc'])}: {err['msg']}"
            for err in exc.errors()
        )
        raise PermanentError(f"sim VIM {vim_name!r}: invalid settings: {reasons}") from exc


def _env_note(from_env: Mapping[str, str], loc: tuple[int | str, ...]) -> str:
    var = from_env.get(str(loc[0])) if loc else None
    return f" (from ${var})" if var else ""
