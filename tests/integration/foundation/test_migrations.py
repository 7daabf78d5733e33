from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from rounds.db import Database
from rounds.db.listening import include_name
from rounds.db.migrate import current_revision, head_revision
from rounds.db.models import Base


def test_models_and_migrations_agree(db: Database) -> None:
    assert current_revision(db) == head_revision(db)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": False, "include_name": include_name}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode(db: Database) -> None:
    if db.dialect != "sqlite":
        return
    with db.engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert mode == "wal"
