from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from rounds.db import Database
from rounds.db.listening import include_name, is_search_object
from rounds.db.models import Base


def test_models_and_migration_agree_apart_from_search_objects(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": False, "include_name": include_name}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_search_objects_exist_per_dialect(db: Database) -> None:
    inspector = sa.inspect(db.engine)
    if db.dialect == "sqlite":
        tables = set(inspector.get_table_names())
        assert "posts_fts" in tables
        assert all(is_search_object(name, "table") for name in tables if name.startswith("posts_fts"))
        with db.engine.connect() as connection:
            triggers = (
                connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'posts'"
                )
                .scalars()
                .all()
            )
        assert set(triggers) == {"posts_fts_after_insert", "posts_fts_after_delete", "posts_fts_after_update"}
    else:
        columns = {column["name"]: column for column in inspector.get_columns("posts")}
        assert "search_vector" in columns
        assert columns["search_vector"].get("computed") is not None
        assert "ix_posts_search_vector" in {index["name"] for index in inspector.get_indexes("posts")}
