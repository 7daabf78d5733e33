"""Persistence: SQLAlchemy models, Alembic migrations and the Database handle."""

from rounds.db.database import Database, make_engine

__all__ = ["Database", "make_engine"]
