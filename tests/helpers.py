"""Shared test helpers (importable as ``helpers``; pytest puts tests/ on sys.path)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "src" / "netorch" / "examples" / "demo-chain.yaml"


def write_vims(home: Path, **sim: Any) -> Path:
    """A VIM config with one sim VIM ``sim1`` (no latency unless given) under ``home``."""
    path = home / "vims.yaml"
    settings = {"driver": "sim", "inventory": "sim.db", "latency_ms": 0, "jitter_ms": 0, **sim}
    path.write_text(yaml.safe_dump({"default": "sim1", "vims": {"sim1": settings}}))
    return path
