"""listening: raw payloads, posts, enrichment, findings, duplicates, quarantine, sources, topics, alerts, search

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Search is dialect-specific and made here with dialect checks: on SQLite an FTS5 external-content table
``posts_fts`` kept in sync by triggers; on PostgreSQL a generated ``tsvector`` column with a GIN index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE posts_fts USING fts5("
    "text, title, content='posts', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER posts_fts_after_insert AFTER INSERT ON posts BEGIN "
    "INSERT INTO posts_fts(rowid, text, title) VALUES (new.id, new.text, coalesce(new.title, '')); END",
    "CREATE TRIGGER posts_fts_after_delete AFTER DELETE ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, text, title) "
    "VALUES ('delete', old.id, old.text, coalesce(old.title, '')); END",
    "CREATE TRIGGER posts_fts_after_update AFTER UPDATE OF text, title ON posts BEGIN "
    "INSERT INTO posts_fts(posts_fts, rowid, text, title) "
    "VALUES ('delete', old.id, old.text, coalesce(old.title, '')); "
    "INSERT INTO posts_fts(rowid, text, title) VALUES (new.id, new.text, coalesce(new.title, '')); END",
)
SQLITE_SEARCH_DROP = (
    "DROP TRIGGER IF EXISTS posts_fts_after_update",
    "DROP TRIGGER IF EXISTS posts_fts_after_delete",
    "DROP TRIGGER IF EXISTS posts_fts_after_insert",
    "DROP TABLE IF EXISTS posts_fts",
)
POSTGRES_SEARCH = (
    "ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple', coalesce(title, '') || ' ' || text)) STORED",
    "CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)",
)
POSTGRES_SEARCH_DROP = (
    "DROP INDEX IF EXISTS ix_posts_search_vector",
    "ALTER TABLE posts DROP COLUMN IF EXISTS search_vector",
)


def _search(statements_by_dialect: dict[str, tuple[str, ...]]) -> None:
    for statement in statements_by_dialect.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "duplicate_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("canonical_post_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_groups")),
    )
    with op.batch_alter_table("duplicate_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_duplicate_groups_canonical_post_id"), ["canonical_post_id"], unique=False
        )

    op.create_table(
        "connector_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("connector", sa.String(length=80), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("credentials_encrypted", sa.Text(), nullable=True),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("health_status", sa.String(length=40), nullable=False),
        sa.Column("health_detail", sa.String(length=1000), nullable=False),
        sa.Column("health_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retry_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_connector_sources_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_connector_sources_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connector_sources")),
        sa.UniqueConstraint(
            "organization_id", "name_key", name=op.f("uq_connector_sources_organization_id_name_key")
        ),
    )
    with op.batch_alter_table("connector_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_connector_sources_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_connector_sources_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("backfilled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_topics_created_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_topics_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_topics_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topics")),
        sa.UniqueConstraint("organization_id", "name_key", name=op.f("uq_topics_organization_id_name_key")),
    )
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_topics_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_topics_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("intents", sa.JSON(), nullable=False),
        sa.Column("sentiment", sa.String(length=16), nullable=True),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("window_minutes", sa.Integer(), nullable=False),
        sa.Column("cooldown_minutes", sa.Integer(), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_end", sa.String(length=5), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("last_fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_alert_rules_created_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_alert_rules_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], name=op.f("fk_alert_rules_topic_id_topics")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
        sa.UniqueConstraint(
            "organization_id", "name_key", name=op.f("uq_alert_rules_organization_id_name_key")
        ),
    )
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_rules_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_rules_topic_id"), ["topic_id"], unique=False)

    op.create_table(
        "ingest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("connector", sa.String(length=80), nullable=False),
        sa.Column("label", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_count", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("grouped", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("detail", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ingest_runs_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["connector_sources.id"], name=op.f("fk_ingest_runs_source_id_connector_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_runs")),
    )
    with op.batch_alter_table("ingest_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingest_runs_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ingest_runs_source_id"), ["source_id"], unique=False)

    op.create_table(
        "raw_payloads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("remote_id", sa.String(length=512), nullable=True),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["connector_sources.id"], name=op.f("fk_raw_payloads_source_id_connector_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_payloads")),
        sa.UniqueConstraint("digest", name=op.f("uq_raw_payloads_digest")),
    )
    with op.batch_alter_table("raw_payloads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_raw_payloads_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_raw_payloads_status"), ["status"], unique=False)

    op.create_table(
        "posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("remote_id", sa.String(length=512), nullable=False),
        sa.Column("raw_payload_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("author_handle", sa.String(length=300), nullable=True),
        sa.Column("author_name", sa.String(length=300), nullable=True),
        sa.Column("author_remote_id", sa.String(length=300), nullable=True),
        sa.Column("author_followers", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("parent_remote_id", sa.String(length=512), nullable=True),
        sa.Column("thread_remote_id", sa.String(length=512), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("sentiment", sa.String(length=16), nullable=False),
        sa.Column("author_kind", sa.String(length=32), nullable=False),
        sa.Column("influence", sa.Double(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("content_hash", sa.String(length=16), nullable=True),
        sa.Column("minhash", sa.String(length=128), nullable=True),
        sa.Column("sim_band0", sa.Integer(), nullable=True),
        sa.Column("sim_band1", sa.Integer(), nullable=True),
        sa.Column("sim_band2", sa.Integer(), nullable=True),
        sa.Column("sim_band3", sa.Integer(), nullable=True),
        sa.Column("duplicate_group_id", sa.Integer(), nullable=True),
        sa.Column("is_duplicate", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["duplicate_group_id"],
            ["duplicate_groups.id"],
            name=op.f("fk_posts_duplicate_group_id_duplicate_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["raw_payload_id"], ["raw_payloads.id"], name=op.f("fk_posts_raw_payload_id_raw_payloads")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["connector_sources.id"], name=op.f("fk_posts_source_id_connector_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posts")),
        sa.UniqueConstraint("platform", "remote_id", name=op.f("uq_posts_platform_remote_id")),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_posts_author_handle"), ["author_handle"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_content_hash"), ["content_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_duplicate_group_id"), ["duplicate_group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_raw_payload_id"), ["raw_payload_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_sentiment"), ["sentiment"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_sim_band0"), ["sim_band0"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_sim_band1"), ["sim_band1"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_sim_band2"), ["sim_band2"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_sim_band3"), ["sim_band3"], unique=False)
        batch_op.create_index(batch_op.f("ix_posts_source_id"), ["source_id"], unique=False)

    op.create_table(
        "quarantined_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("raw_payload_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("remote_id", sa.String(length=512), nullable=True),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["raw_payload_id"],
            ["raw_payloads.id"],
            name=op.f("fk_quarantined_items_raw_payload_id_raw_payloads"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["connector_sources.id"],
            name=op.f("fk_quarantined_items_source_id_connector_sources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantined_items")),
    )
    with op.batch_alter_table("quarantined_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quarantined_items_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_quarantined_items_raw_payload_id"), ["raw_payload_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_quarantined_items_source_id"), ["source_id"], unique=False)

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_user_id"], ["users.id"], name=op.f("fk_alerts_acknowledged_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_alerts_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_alerts_post_id_posts")),
        sa.ForeignKeyConstraint(["rule_id"], ["alert_rules.id"], name=op.f("fk_alerts_rule_id_alert_rules")),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], name=op.f("fk_alerts_topic_id_topics")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_post_id"), ["post_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_rule_id"), ["rule_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_topic_id"), ["topic_id"], unique=False)

    op.create_table(
        "post_enrichments",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("language_confidence", sa.Double(), nullable=False),
        sa.Column("sentiment", sa.String(length=16), nullable=False),
        sa.Column("sentiment_scores", sa.JSON(), nullable=False),
        sa.Column("intents", sa.JSON(), nullable=False),
        sa.Column("intent_scores", sa.JSON(), nullable=False),
        sa.Column("author_kind", sa.String(length=32), nullable=False),
        sa.Column("influence", sa.Double(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("explanations", sa.JSON(), nullable=False),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.Column("screening_verdict", sa.String(length=16), nullable=False),
        sa.Column("screening_reasons", sa.JSON(), nullable=False),
        sa.Column("screening_components", sa.JSON(), nullable=False),
        sa.Column("screening_error", sa.String(length=500), nullable=True),
        sa.Column("enriched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_enrichments_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_post_enrichments")),
    )
    op.create_table(
        "post_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.Column("component", sa.String(length=120), nullable=False),
        sa.Column("rule", sa.String(length=120), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("explanation", sa.String(length=1000), nullable=False),
        sa.Column("organizational", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_findings_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_findings")),
    )
    with op.batch_alter_table("post_findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_findings_post_id"), ["post_id"], unique=False)

    op.create_table(
        "post_intents",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("intent", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_post_intents_post_id_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", "intent", name=op.f("pk_post_intents")),
    )
    with op.batch_alter_table("post_intents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_intents_intent"), ["intent"], unique=False)

    op.create_table(
        "topic_matches",
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("post_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_topic_matches_post_id_posts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_topic_matches_topic_id_topics"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("topic_id", "post_id", name=op.f("pk_topic_matches")),
    )
    with op.batch_alter_table("topic_matches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_topic_matches_post_created_at"), ["post_created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_topic_matches_post_id"), ["post_id"], unique=False)

    op.create_table(
        "alert_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("deliver_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_notifications_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_notifications")),
    )
    with op.batch_alter_table("alert_notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_notifications_alert_id"), ["alert_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_notifications_status"), ["status"], unique=False)
    _search({"sqlite": SQLITE_SEARCH, "postgresql": POSTGRES_SEARCH})


def downgrade() -> None:
    _search({"sqlite": SQLITE_SEARCH_DROP, "postgresql": POSTGRES_SEARCH_DROP})
    with op.batch_alter_table("alert_notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_notifications_status"))
        batch_op.drop_index(batch_op.f("ix_alert_notifications_alert_id"))

    op.drop_table("alert_notifications")
    with op.batch_alter_table("topic_matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_topic_matches_post_id"))
        batch_op.drop_index(batch_op.f("ix_topic_matches_post_created_at"))

    op.drop_table("topic_matches")
    with op.batch_alter_table("post_intents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_intents_intent"))

    op.drop_table("post_intents")
    with op.batch_alter_table("post_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_findings_post_id"))

    op.drop_table("post_findings")
    op.drop_table("post_enrichments")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_topic_id"))
        batch_op.drop_index(batch_op.f("ix_alerts_rule_id"))
        batch_op.drop_index(batch_op.f("ix_alerts_post_id"))
        batch_op.drop_index(batch_op.f("ix_alerts_organization_id"))
        batch_op.drop_index(batch_op.f("ix_alerts_created_at"))

    op.drop_table("alerts")
    with op.batch_alter_table("quarantined_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantined_items_source_id"))
        batch_op.drop_index(batch_op.f("ix_quarantined_items_raw_payload_id"))
        batch_op.drop_index(batch_op.f("ix_quarantined_items_created_at"))

    op.drop_table("quarantined_items")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posts_source_id"))
        batch_op.drop_index(batch_op.f("ix_posts_sim_band3"))
        batch_op.drop_index(batch_op.f("ix_posts_sim_band2"))
        batch_op.drop_index(batch_op.f("ix_posts_sim_band1"))
        batch_op.drop_index(batch_op.f("ix_posts_sim_band0"))
        batch_op.drop_index(batch_op.f("ix_posts_sentiment"))
        batch_op.drop_index(batch_op.f("ix_posts_raw_payload_id"))
        batch_op.drop_index(batch_op.f("ix_posts_duplicate_group_id"))
        batch_op.drop_index(batch_op.f("ix_posts_created_at"))
        batch_op.drop_index(batch_op.f("ix_posts_content_hash"))
        batch_op.drop_index(batch_op.f("ix_posts_author_handle"))

    op.drop_table("posts")
    with op.batch_alter_table("raw_payloads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_raw_payloads_status"))
        batch_op.drop_index(batch_op.f("ix_raw_payloads_source_id"))

    op.drop_table("raw_payloads")
    with op.batch_alter_table("ingest_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingest_runs_source_id"))
        batch_op.drop_index(batch_op.f("ix_ingest_runs_organization_id"))

    op.drop_table("ingest_runs")
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_rules_topic_id"))
        batch_op.drop_index(batch_op.f("ix_alert_rules_organization_id"))

    op.drop_table("alert_rules")
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_topics_organization_id"))
        batch_op.drop_index(batch_op.f("ix_topics_department_id"))

    op.drop_table("topics")
    with op.batch_alter_table("connector_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connector_sources_organization_id"))
        batch_op.drop_index(batch_op.f("ix_connector_sources_department_id"))

    op.drop_table("connector_sources")
    with op.batch_alter_table("duplicate_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicate_groups_canonical_post_id"))

    op.drop_table("duplicate_groups")
