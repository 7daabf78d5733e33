"""inbox: cases and case items, notes, replies, privacy incidents, queues, routing rules, response-time
targets, inbox settings and in-app notifications

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "inbox_response_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_inbox_response_targets_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_response_targets")),
        sa.UniqueConstraint(
            "organization_id", "category", name=op.f("uq_inbox_response_targets_organization_id_category")
        ),
    )
    with op.batch_alter_table("inbox_response_targets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbox_response_targets_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "inbox_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("on_call_email", sa.String(length=320), nullable=False),
        sa.Column("on_call_webhook_url", sa.String(length=2000), nullable=False),
        sa.Column("on_call_webhook_format", sa.String(length=20), nullable=False),
        sa.Column("breach_channels", sa.JSON(), nullable=False),
        sa.Column("synced_post_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_inbox_settings_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_settings")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_inbox_settings_organization_id")),
    )
    op.create_table(
        "inbox_queues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("skill", sa.String(length=120), nullable=False),
        sa.Column("member_user_ids", sa.JSON(), nullable=False),
        sa.Column("last_assigned_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_inbox_queues_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["last_assigned_user_id"], ["users.id"], name=op.f("fk_inbox_queues_last_assigned_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_inbox_queues_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_queues")),
        sa.UniqueConstraint(
            "organization_id", "name_key", name=op.f("uq_inbox_queues_organization_id_name_key")
        ),
    )
    with op.batch_alter_table("inbox_queues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_queues_department_id"), ["department_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_inbox_queues_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "inbox_routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("intents", sa.JSON(), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=True),
        sa.Column("applies_to_account_posts", sa.Boolean(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        sa.Column("round_robin", sa.Boolean(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_user_id"], ["users.id"], name=op.f("fk_inbox_routing_rules_assignee_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_inbox_routing_rules_created_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_inbox_routing_rules_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["inbox_queues.id"], name=op.f("fk_inbox_routing_rules_queue_id_inbox_queues")
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_inbox_routing_rules_topic_id_topics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_routing_rules")),
        sa.UniqueConstraint(
            "organization_id", "name_key", name=op.f("uq_inbox_routing_rules_organization_id_name_key")
        ),
    )
    with op.batch_alter_table("inbox_routing_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbox_routing_rules_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "inbox_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("author_key", sa.String(length=300), nullable=False),
        sa.Column("thread_key", sa.String(length=512), nullable=False),
        sa.Column("author_handle", sa.String(length=300), nullable=True),
        sa.Column("author_name", sa.String(length=300), nullable=True),
        sa.Column("author_followers", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("routing_rule_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("intents", sa.JSON(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("priority_reason", sa.String(length=1000), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("self_disclosed_phi", sa.Boolean(), nullable=False),
        sa.Column("phi_reason", sa.String(length=1000), nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breach_alert_id", sa.Integer(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalation_alert_id", sa.Integer(), nullable=True),
        sa.Column("merged_into_case_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["social_accounts.id"], name=op.f("fk_inbox_cases_account_id_social_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_user_id"], ["users.id"], name=op.f("fk_inbox_cases_assignee_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["breach_alert_id"], ["alerts.id"], name=op.f("fk_inbox_cases_breach_alert_id_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["escalation_alert_id"], ["alerts.id"], name=op.f("fk_inbox_cases_escalation_alert_id_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_case_id"],
            ["inbox_cases.id"],
            name=op.f("fk_inbox_cases_merged_into_case_id_inbox_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_inbox_cases_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["inbox_queues.id"], name=op.f("fk_inbox_cases_queue_id_inbox_queues")
        ),
        sa.ForeignKeyConstraint(
            ["routing_rule_id"],
            ["inbox_routing_rules.id"],
            name=op.f("fk_inbox_cases_routing_rule_id_inbox_routing_rules"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_cases")),
        sa.UniqueConstraint(
            "organization_id",
            "platform",
            "author_key",
            "thread_key",
            name=op.f("uq_inbox_cases_organization_id_platform_author_key_thread_key"),
        ),
    )
    with op.batch_alter_table("inbox_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_cases_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_inbox_cases_assignee_user_id"), ["assignee_user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_inbox_cases_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbox_cases_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbox_cases_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbox_cases_priority"), ["priority"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbox_cases_queue_id"), ["queue_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbox_cases_status"), ["status"], unique=False)

    op.create_table(
        "inbox_case_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("is_duplicate", sa.Boolean(), nullable=False),
        sa.Column("merged_from_case_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["inbox_cases.id"],
            name=op.f("fk_inbox_case_items_case_id_inbox_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_inbox_case_items_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_inbox_case_items_post_id_posts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_case_items")),
        sa.UniqueConstraint(
            "organization_id", "post_id", name=op.f("uq_inbox_case_items_organization_id_post_id")
        ),
    )
    with op.batch_alter_table("inbox_case_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_case_items_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_inbox_case_items_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_inbox_case_items_post_id"), ["post_id"], unique=False)

    op.create_table(
        "inbox_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("mentions", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"], ["users.id"], name=op.f("fk_inbox_notes_author_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["inbox_cases.id"],
            name=op.f("fk_inbox_notes_case_id_inbox_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_notes")),
    )
    with op.batch_alter_table("inbox_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_notes_case_id"), ["case_id"], unique=False)

    op.create_table(
        "inbox_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["inbox_cases.id"],
            name=op.f("fk_inbox_notifications_case_id_inbox_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_inbox_notifications_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_inbox_notifications_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_notifications")),
    )
    with op.batch_alter_table("inbox_notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbox_notifications_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_inbox_notifications_user_id"), ["user_id"], unique=False)

    op.create_table(
        "inbox_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("parent_post_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("screening_verdict", sa.String(length=16), nullable=True),
        sa.Column("screening_reasons", sa.JSON(), nullable=False),
        sa.Column("screening_findings", sa.JSON(), nullable=False),
        sa.Column("screening_components", sa.JSON(), nullable=False),
        sa.Column("screened_text_sha256", sa.String(length=64), nullable=True),
        sa.Column("screened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_user_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("override_by_user_id", sa.Integer(), nullable=True),
        sa.Column("override_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("override_reason", sa.String(length=1000), nullable=False),
        sa.Column("approval_required", sa.Boolean(), nullable=False),
        sa.Column("approved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("send_attempts", sa.Integer(), nullable=False),
        sa.Column("send_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error_code", sa.String(length=60), nullable=True),
        sa.Column("last_error_detail", sa.String(length=500), nullable=False),
        sa.Column("remote_id", sa.String(length=512), nullable=True),
        sa.Column("remote_url", sa.String(length=2000), nullable=True),
        sa.Column("sent_manually", sa.Boolean(), nullable=False),
        sa.Column("sent_by_user_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["social_accounts.id"], name=op.f("fk_inbox_replies_account_id_social_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_user_id"],
            ["users.id"],
            name=op.f("fk_inbox_replies_acknowledged_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_user_id"], ["users.id"], name=op.f("fk_inbox_replies_approved_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["inbox_cases.id"],
            name=op.f("fk_inbox_replies_case_id_inbox_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_inbox_replies_created_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_inbox_replies_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["override_by_user_id"], ["users.id"], name=op.f("fk_inbox_replies_override_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["parent_post_id"], ["posts.id"], name=op.f("fk_inbox_replies_parent_post_id_posts")
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_user_id"], ["users.id"], name=op.f("fk_inbox_replies_sent_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_replies")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_inbox_replies_idempotency_key")),
    )
    with op.batch_alter_table("inbox_replies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_replies_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_inbox_replies_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_inbox_replies_status"), ["status"], unique=False)

    op.create_table(
        "privacy_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reported_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["inbox_cases.id"], name=op.f("fk_privacy_incidents_case_id_inbox_cases")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_privacy_incidents_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_privacy_incidents_post_id_posts")),
        sa.ForeignKeyConstraint(
            ["reported_by_user_id"], ["users.id"], name=op.f("fk_privacy_incidents_reported_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_incidents")),
    )
    with op.batch_alter_table("privacy_incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_incidents_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_privacy_incidents_organization_id"), ["organization_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("privacy_incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_incidents_organization_id"))
        batch_op.drop_index(batch_op.f("ix_privacy_incidents_case_id"))

    op.drop_table("privacy_incidents")
    with op.batch_alter_table("inbox_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_replies_status"))
        batch_op.drop_index(batch_op.f("ix_inbox_replies_organization_id"))
        batch_op.drop_index(batch_op.f("ix_inbox_replies_case_id"))

    op.drop_table("inbox_replies")
    with op.batch_alter_table("inbox_notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_notifications_user_id"))
        batch_op.drop_index(batch_op.f("ix_inbox_notifications_organization_id"))

    op.drop_table("inbox_notifications")
    with op.batch_alter_table("inbox_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_notes_case_id"))

    op.drop_table("inbox_notes")
    with op.batch_alter_table("inbox_case_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_case_items_post_id"))
        batch_op.drop_index(batch_op.f("ix_inbox_case_items_organization_id"))
        batch_op.drop_index(batch_op.f("ix_inbox_case_items_case_id"))

    op.drop_table("inbox_case_items")
    with op.batch_alter_table("inbox_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_cases_status"))
        batch_op.drop_index(batch_op.f("ix_inbox_cases_queue_id"))
        batch_op.drop_index(batch_op.f("ix_inbox_cases_priority"))
        batch_op.drop_index(batch_op.f("ix_inbox_cases_organization_id"))
        batch_op.drop_index(batch_op.f("ix_inbox_cases_due_at"))
        batch_op.drop_index(batch_op.f("ix_inbox_cases_category"))
        batch_op.drop_index(batch_op.f("ix_inbox_cases_assignee_user_id"))
        batch_op.drop_index(batch_op.f("ix_inbox_cases_account_id"))

    op.drop_table("inbox_cases")
    with op.batch_alter_table("inbox_routing_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_routing_rules_organization_id"))

    op.drop_table("inbox_routing_rules")
    with op.batch_alter_table("inbox_queues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_queues_organization_id"))
        batch_op.drop_index(batch_op.f("ix_inbox_queues_department_id"))

    op.drop_table("inbox_queues")
    op.drop_table("inbox_settings")
    with op.batch_alter_table("inbox_response_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_response_targets_organization_id"))

    op.drop_table("inbox_response_targets")
