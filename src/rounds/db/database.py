"""Engine and sessions. Built from settings by an entry point, never at import time."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from rounds.domain.errors import DatabaseLocked, DatabaseUnavailable
from rounds.settings import Settings

logger = logging.getLogger(__name__)


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return on_connect


def make_engine(settings: Settings) -> Engine:
    url = settings.resolved_database_url()
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas(settings.sqlite_busy_timeout_ms))
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def translate_database_error(error: DBAPIError) -> DatabaseLocked | DatabaseUnavailable:
    text = str(error.orig).lower() if error.orig is not None else str(error).lower()
    if "locked" in text or "busy" in text:
        return DatabaseLocked(
            "The database is busy (locked by another process); nothing was changed.",
            hint="Try again in a moment. If it persists, check for a stuck process holding the database.",
        )
    return DatabaseUnavailable(
        "The database cannot be reached; nothing was changed.",
        hint="Check that the database server is running and ROUNDS_DATABASE_URL is right.",
    )


class Database:
    """Owns the engine; hands out sessions whose transaction commits on success and rolls back on error."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: commit at the end, roll back on any error (database errors made clear)."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except OperationalError as error:
            session.rollback()
            raise translate_database_error(error) from error
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except DBAPIError:
            logger.warning("database ping failed")
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()
