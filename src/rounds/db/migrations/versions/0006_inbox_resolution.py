"""inbox resolution targets: a resolution due time and breach alert per case, resolution minutes per category

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

``inbox_cases`` gets ``resolution_due_at`` (opened_at + the category's resolution target), ``resolution_breached_at``
and ``resolution_breach_alert_id``; ``inbox_response_targets`` gets ``resolution_minutes`` (NULL: the default).
Existing cases get their resolution due time from the default targets, so the clocks and metrics cover them.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The defaults at the time of this migration (rounds.services.inbox.DEFAULT_RESOLUTION_MINUTES).
_DEFAULT_MINUTES = {
    "emergency": 4 * 60,
    "complaint": 72 * 60,
    "question": 72 * 60,
    "appointment": 72 * 60,
    "adverse_drug_event": 72 * 60,
}
_OTHERWISE = 7 * 24 * 60


def upgrade() -> None:
    with op.batch_alter_table("inbox_cases") as batch:
        batch.add_column(sa.Column("resolution_due_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resolution_breached_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resolution_breach_alert_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_inbox_cases_resolution_breach_alert_id_alerts",
            "alerts",
            ["resolution_breach_alert_id"],
            ["id"],
        )
        batch.create_index("ix_inbox_cases_resolution_due_at", ["resolution_due_at"])
    with op.batch_alter_table("inbox_response_targets") as batch:
        batch.add_column(sa.Column("resolution_minutes", sa.Integer(), nullable=True))
    cases = sa.table(
        "inbox_cases",
        sa.column("id", sa.Integer()),
        sa.column("category", sa.String()),
        sa.column("opened_at", sa.DateTime(timezone=True)),
        sa.column("resolution_due_at", sa.DateTime(timezone=True)),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(cases.c.id, cases.c.category, cases.c.opened_at)).all()
    for case_id, category, opened_at in rows:
        due = opened_at + timedelta(minutes=_DEFAULT_MINUTES.get(category, _OTHERWISE))
        bind.execute(sa.update(cases).where(cases.c.id == case_id).values(resolution_due_at=due))


def downgrade() -> None:
    with op.batch_alter_table("inbox_response_targets") as batch:
        batch.drop_column("resolution_minutes")
    with op.batch_alter_table("inbox_cases") as batch:
        batch.drop_index("ix_inbox_cases_resolution_due_at")
        batch.drop_constraint("fk_inbox_cases_resolution_breach_alert_id_alerts", type_="foreignkey")
        batch.drop_column("resolution_breach_alert_id")
        batch.drop_column("resolution_breached_at")
        batch.drop_column("resolution_due_at")
