"""Shared fixtures: a fresh database per test, on SQLite and (marker ``postgres``) on the local PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from rounds.db import Database
from rounds.db.migrate import upgrade
from rounds.db.models import Base
from rounds.settings import Settings, load_settings

POSTGRES_ADMIN_URL = os.environ.get(
    "ROUNDS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _postgres_reachable() -> str | None:
    """None when reachable, else the reason to skip."""
    try:
        engine = sa.create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any driver/connection failure means "skip with the reason"
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL.split('@')[-1]}: {type(error).__name__}"
    return None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped at the end)."""
    reason = _postgres_reachable()
    if reason:
        pytest.skip(reason)
    name = f"rounds_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as connection:
        connection.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
            {"name": name},
        )
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def make_settings(tmp_path: Path, database_url: str | None = None) -> Settings:
    return load_settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        environment="test",
        password_min_length=12,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Settings:
    if backend == "postgres":
        return make_settings(tmp_path, request.getfixturevalue("postgres_url"))
    return make_settings(tmp_path)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    """A migrated, empty database. On PostgreSQL the session database is emptied after each test."""
    database = Database(settings)
    upgrade(database)
    yield database
    if database.dialect == "postgresql":
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        with database.engine.begin() as connection:
            connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    database.dispose()
