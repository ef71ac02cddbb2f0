"""Alembic environment for the store.

netorch runs migrations programmatically (``netorch.store.migrate``): the caller passes an open
connection, already inside the transaction, in ``config.attributes["connection"]``. Offline
(SQL script) mode and a plain ``sqlalchemy.url`` are supported for operators who want them.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from netorch.store.tables import metadata


def _run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    config = context.config
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        _run_with(given)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url configured")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            _run_with(connection)
            connection.commit()
    finally:
        engine.dispose()


run()
