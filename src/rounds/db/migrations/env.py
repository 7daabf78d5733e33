"""Alembic environment: uses the connection handed in by rounds.db.migrate (batch mode for SQLite)."""

from __future__ import annotations

from alembic import context

from rounds.db.listening import include_name
from rounds.db.models import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=lambda name, type_, parents: include_name(
        name, type_, {str(k): v for k, v in parents.items()}
    ),
)
with context.begin_transaction():
    context.run_migrations()
