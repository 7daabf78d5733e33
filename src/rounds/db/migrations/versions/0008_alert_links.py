"""alert links: where a delivered alert points in the app

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25

``alerts.link_path`` (NULL: the alert's listening page). Inbox alerts (escalations, first-response and resolution
breaches) point at their case, ``/inbox/cases/{id}``; existing ones are backfilled from the cases that hold them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("link_path", sa.String(length=300), nullable=True))
    alerts = sa.table("alerts", sa.column("id", sa.Integer()), sa.column("link_path", sa.String()))
    cases = sa.table(
        "inbox_cases",
        sa.column("id", sa.Integer()),
        sa.column("escalation_alert_id", sa.Integer()),
        sa.column("breach_alert_id", sa.Integer()),
        sa.column("resolution_breach_alert_id", sa.Integer()),
    )
    bind = op.get_bind()
    for column in ("escalation_alert_id", "breach_alert_id", "resolution_breach_alert_id"):
        rows = bind.execute(sa.select(cases.c.id, cases.c[column]).where(cases.c[column].is_not(None))).all()
        for case_id, alert_id in rows:
            bind.execute(
                sa.update(alerts).where(alerts.c.id == alert_id).values(link_path=f"/inbox/cases/{case_id}")
            )


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("link_path")
