"""Shared fixtures.

``store_url`` runs a test against SQLite (a fresh file under ``tmp_path``) and against
PostgreSQL (the server named by ``NETORCH_TEST_PG``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Every PostgreSQL test gets its own fresh
schema (selected through ``search_path`` in the URL) that is dropped afterwards, so tests are
independent. When the server cannot be reached the PostgreSQL variant is skipped, with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from netorch.store import Store

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session", autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests never read or write the operator's ~/.netorch (store, VIM config, load cache)."""
    saved = os.environ.get("NETORCH_HOME")
    os.environ["NETORCH_HOME"] = str(tmp_path_factory.mktemp("netorch-home"))
    yield
    if saved is None:
        os.environ.pop("NETORCH_HOME", None)
    else:
        os.environ["NETORCH_HOME"] = saved


def pg_base_url() -> str:
    return os.environ.get("NETORCH_TEST_PG", DEFAULT_PG_URL)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine | str]:
    """An autocommit engine on the test server, or the reason it cannot be used."""
    url = pg_base_url()
    engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the server means "skip", with the reason
        engine.dispose()
        yield f"PostgreSQL at {make_url(url).render_as_string()} is not reachable: {exc}"
        return
    yield engine
    engine.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL with an empty database: SQLite file or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'netorch.db'}"
        return
    admin = request.getfixturevalue("pg_admin")
    if isinstance(admin, str):
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL suite: {admin}")
        pytest.skip(admin)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(pg_base_url()).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated store on ``store_url``, closed after the test."""
    s = Store(store_url)
    s.migrate()
    try:
        yield s
    finally:
        s.close()
