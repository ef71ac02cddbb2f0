"""Persistent state (SQLAlchemy 2 + Alembic): SQLite by default, the same code on PostgreSQL.

Imports :mod:`netorch.model` only; engine and services use it through :class:`Store` and the
journal it hands out.
"""

from netorch.store.journal import StoreJournal
from netorch.store.store import Store

__all__ = ["Store", "StoreJournal"]
