"""listening signals: spike and emerging-term alerts over stored posts, alert rule kinds, quarantine resolution

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25

* ``alert_rules.kind``: threshold (the rules so far) | volume_spike | negative_spike | emerging_term | emergency.
* ``alerts.signal_at`` / ``signal_key`` / ``dedupe_key`` (unique): a signal alert's moment, its term, and the key
  that makes detection idempotent (one alert per kind, topic and 5-minute bucket, and term).
* ``topic_matches.signals_checked_at``: NULL while the topic's detectors have not seen the match. Existing matches
  are history: they are marked checked (with their ``matched_at``) so upgrading raises no alerts.
* ``quarantined_items``: how an item was resolved (by a person with a note, or by a successful retry), who
  resolved it, and the retries.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="threshold")
        )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signal_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("signal_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=300), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_alerts_dedupe_key"), ["dedupe_key"])
    with op.batch_alter_table("topic_matches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signals_checked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_topic_matches_signals_checked_at"), ["signals_checked_at"], unique=False
        )
    op.execute("UPDATE topic_matches SET signals_checked_at = matched_at")
    with op.batch_alter_table("quarantined_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolution", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("resolution_note", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("resolved_by_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("retry_count", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("last_retry_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_quarantined_items_resolved_by_user_id_users"),
            "users",
            ["resolved_by_user_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("quarantined_items", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_quarantined_items_resolved_by_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("last_retry_at")
        batch_op.drop_column("retry_count")
        batch_op.drop_column("resolved_by_user_id")
        batch_op.drop_column("resolution_note")
        batch_op.drop_column("resolution")
    with op.batch_alter_table("topic_matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_topic_matches_signals_checked_at"))
        batch_op.drop_column("signals_checked_at")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_alerts_dedupe_key"), type_="unique")
        batch_op.drop_column("dedupe_key")
        batch_op.drop_column("signal_key")
        batch_op.drop_column("signal_at")
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.drop_column("kind")
