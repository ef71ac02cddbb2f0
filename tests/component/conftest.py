"""Fixtures for component tests: a Lifecycle on a real store (SQLite and PostgreSQL) and a real
sim VIM with its own inventory file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import write_vims
from netorch.services.context import Context
from netorch.services.lifecycle import Lifecycle
from netorch.services.settings import Settings


@pytest.fixture
def make_lc(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
            ) -> Iterator[Callable[..., Lifecycle]]:
    """``make_lc(**sim_settings)``: a Lifecycle on the test store and a sim VIM so configured.
    Calling it again rewrites the VIM config (same inventory), like an operator editing it."""
    for var in ("NETORCH_SIM_LATENCY_MS", "NETORCH_SIM_FAILURE_RATE", "NETORCH_SIM_JITTER_MS",
                "NETORCH_SIM_FAILURE_SEED"):
        monkeypatch.delenv(var, raising=False)
    made: list[Context] = []

    def make(**sim: Any) -> Lifecycle:
        vims = write_vims(tmp_path, **sim)
        ctx = Context(Settings(home=tmp_path, db=store_url, vim_config=vims, parallelism=8,
                               max_attempts=3, backoff_initial_s=0.01, step_timeout_s=10))
        made.append(ctx)
        return Lifecycle(ctx)

    yield make
    for ctx in made:
        ctx.close()
