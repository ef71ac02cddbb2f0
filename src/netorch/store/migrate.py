"""Bring a database to the current schema with Alembic, without an ``alembic.ini``.

The revision scripts ship as package data in ``netorch/store/migrations``; the Alembic
``Config`` is built here in code. Concurrent migrators are serialised (PostgreSQL: a
transaction-level advisory lock; SQLite: ``BEGIN IMMEDIATE``), so the second one finds the
schema at head and does nothing.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from netorch.store.connect import writer

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_KEY = 0x6E65746F7263  # "netorc": arbitrary but fixed advisory-lock key

HEAD = "0005"
"""The newest revision. Kept here so that opening a store at head needs no Alembic import
(a CLI command stays fast); a test checks it against the scripts."""


def alembic_config() -> Config:
    """An Alembic ``Config`` pointing at the shipped migrations (for tooling and tests)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


@functools.cache
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the store's migrations must have exactly one head, found {heads}")
    return heads[0]


def upgrade_to_head(engine: Engine) -> None:
    """Apply every migration not yet applied; cheap (one query) when already at head."""
    head = HEAD
    with engine.connect() as conn:  # fast path: already at head, no lock, no Alembic
        if inspect(conn).has_table("alembic_version"):
            found = [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
            if found == [head]:
                return
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with writer(engine).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        current = MigrationContext.configure(conn).get_current_heads()
        if tuple(current) == (head,):
            return
        log.info("migrating store schema from %s to %s", current or "empty", head)
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
