"""ingest performance: on SQLite, posts stored by ingest are added to the FTS5 index in bulk

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

The ``posts_fts_after_insert`` trigger indexed every new post row by row. For posts stored by ingest (the ones
with a ``raw_payload_id``) ingest now adds the whole batch to ``posts_fts`` with one ``INSERT ... SELECT`` in
the same transaction, which costs about a seventh of the per-row trigger; the trigger keeps indexing every
other insert (``WHEN new.raw_payload_id IS NULL``). Update and delete triggers are unchanged. PostgreSQL (a
generated tsvector column) has nothing to change. No data changes: every stored post is already indexed.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_INDEX_ROW = (
    "INSERT INTO posts_fts(rowid, text, title) VALUES (new.id, new.text, coalesce(new.title, '')); END"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS posts_fts_after_insert")
    op.execute(
        "CREATE TRIGGER posts_fts_after_insert AFTER INSERT ON posts WHEN new.raw_payload_id IS NULL BEGIN "
        + _INDEX_ROW
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS posts_fts_after_insert")
    op.execute("CREATE TRIGGER posts_fts_after_insert AFTER INSERT ON posts BEGIN " + _INDEX_ROW)
    # posts ingest indexed in bulk are already in the index: nothing to add
