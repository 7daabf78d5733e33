"""Listening tables: raw payloads, posts with their enrichment and findings, duplicate groups, quarantine,
connector sources, ingest runs, topics, topic matches, alert rules, alerts and their notifications.

Registered on :data:`rounds.db.models.Base` (``models.py`` imports this module). Migrations: ``0002_listening``,
``0007_listening_signals`` (signal alerts, rule kinds, quarantine resolution).

Full-text search lives outside the models because it differs per dialect, and the migration creates it:

* SQLite: an FTS5 external-content table ``posts_fts`` over ``posts.text`` kept in sync by triggers, except that
  posts stored by ingest (with a ``raw_payload_id``) are indexed in bulk by ingest, in the same transaction
  (:func:`index_posts_for_search`; migration ``0005``);
* PostgreSQL: a generated ``posts.search_vector`` tsvector column with a GIN index.

:func:`is_search_object` names those objects so a models/migration comparison can leave them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from rounds.db.models import Base, utcnow

# --- search objects made by the migration, per dialect ------------------------------------------------------

FTS_TABLE = "posts_fts"
FTS_SHADOW_SUFFIXES = ("_data", "_idx", "_docsize", "_config", "_content")
SEARCH_VECTOR_COLUMN = "search_vector"
SEARCH_VECTOR_INDEX = "ix_posts_search_vector"


def is_search_object(name: str | None, type_: str, parent_names: dict[str, Any] | None = None) -> bool:
    """True for the dialect-specific search objects (FTS5 table and its shadow tables, the tsvector column
    and its GIN index). Usable as the negation of Alembic's ``include_name`` hook."""
    if name is None:
        return False
    if type_ == "table":
        return name == FTS_TABLE or any(name == FTS_TABLE + suffix for suffix in FTS_SHADOW_SUFFIXES)
    table = (parent_names or {}).get("table_name")
    if type_ == "column":
        return table == "posts" and name == SEARCH_VECTOR_COLUMN
    if type_ == "index":
        return name == SEARCH_VECTOR_INDEX
    return False


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic ``include_name`` hook: everything except the search objects."""
    return not is_search_object(name, type_, parent_names)


_BULK_INDEX_MARK = "new.raw_payload_id IS NULL"


def search_index_is_bulk(session: Session) -> bool:
    """True when the writer of a post with a raw payload must index it (SQLite after migration 0005)."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    sql = session.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'posts_fts_after_insert'")
    ).scalar_one_or_none()
    return sql is not None and _BULK_INDEX_MARK in str(sql)


def index_posts_for_search(session: Session, post_ids: Sequence[int], chunk: int = 900) -> None:
    """Add just-inserted posts to the SQLite FTS5 index with one ``INSERT ... SELECT`` per chunk of ids (a
    seventh of the cost of the per-row trigger). Only for posts the trigger left out (see
    :func:`search_index_is_bulk`): an id indexed twice would be counted twice."""
    statement = sa.text(
        "INSERT INTO posts_fts(rowid, text, title) SELECT id, text, coalesce(title, '') FROM posts "
        "WHERE id IN :ids"
    ).bindparams(sa.bindparam("ids", expanding=True))
    for start in range(0, len(post_ids), chunk):
        session.execute(statement, {"ids": list(post_ids[start : start + chunk])})


# --- connectors and ingest -----------------------------------------------------------------------------------


class ConnectorSource(Base):
    """A configured connector instance: options, encrypted credentials, the cursor and the last health."""

    __tablename__ = "connector_sources"
    __table_args__ = (sa.UniqueConstraint("organization_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_key: Mapped[str] = mapped_column(sa.String(200))
    connector: Mapped[str] = mapped_column(sa.String(80))
    options: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    credentials_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    cursor: Mapped[str] = mapped_column(sa.Text, default="{}")
    enabled: Mapped[bool] = mapped_column(default=True)
    interval_seconds: Mapped[int] = mapped_column(default=300)
    health_status: Mapped[str] = mapped_column(sa.String(40), default="unknown")
    health_detail: Mapped[str] = mapped_column(sa.String(1000), default="")
    health_checked_at: Mapped[datetime | None] = mapped_column()
    retry_after: Mapped[datetime | None] = mapped_column()
    last_run_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class IngestRun(Base):
    """One import or connector run with its counts; a crashed run stays ``running``."""

    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    source_id: Mapped[int | None] = mapped_column(sa.ForeignKey("connector_sources.id"), index=True)
    connector: Mapped[str] = mapped_column(sa.String(80))
    label: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[str] = mapped_column(sa.String(40), default="running")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    read_count: Mapped[int] = mapped_column(default=0)
    stored: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    quarantined: Mapped[int] = mapped_column(default=0)
    grouped: Mapped[int] = mapped_column(default=0)
    cursor: Mapped[str] = mapped_column(sa.Text, default="{}")
    detail: Mapped[str] = mapped_column(sa.String(1000), default="")


class RawPayloadRecord(Base):
    """A payload exactly as received, stored (and committed) before the cursor moves past it."""

    __tablename__ = "raw_payloads"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    source_id: Mapped[int | None] = mapped_column(sa.ForeignKey("connector_sources.id"), index=True)
    platform: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(120))
    source: Mapped[str] = mapped_column(sa.String(500), default="")
    remote_id: Mapped[str | None] = mapped_column(sa.String(512))
    meta: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    fetched_at: Mapped[datetime] = mapped_column()
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending", index=True)
    processed_at: Mapped[datetime | None] = mapped_column()


class QuarantinedItem(Base):
    """A payload (or one item or line of it) that could not become a post, with the reason. Never stops a run."""

    __tablename__ = "quarantined_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    raw_payload_id: Mapped[int | None] = mapped_column(sa.ForeignKey("raw_payloads.id"), index=True)
    source_id: Mapped[int | None] = mapped_column(sa.ForeignKey("connector_sources.id"), index=True)
    platform: Mapped[str] = mapped_column(sa.String(64), default="")
    kind: Mapped[str] = mapped_column(sa.String(120), default="")
    source: Mapped[str] = mapped_column(sa.String(500), default="")
    remote_id: Mapped[str | None] = mapped_column(sa.String(512))
    line: Mapped[int | None] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column()
    # migration 0007: how it was resolved ("resolved" by a person with a note, or "retried" into a post)
    resolution: Mapped[str | None] = mapped_column(sa.String(20))
    resolution_note: Mapped[str | None] = mapped_column(sa.String(1000))
    resolved_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    retry_count: Mapped[int] = mapped_column(default=0, server_default="0")
    last_retry_at: Mapped[datetime | None] = mapped_column()


# --- posts ---------------------------------------------------------------------------------------------------


class DuplicateGroup(Base):
    """Posts with the same or nearly the same text (retweets, cross-posts, copy-paste campaigns)."""

    __tablename__ = "duplicate_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    canonical_post_id: Mapped[int] = mapped_column(index=True)
    method: Mapped[str] = mapped_column(sa.String(20))  # exact | near
    size: Mapped[int] = mapped_column(default=1)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class StoredPost(Base):
    """A post, idempotent on (platform, remote_id), with the enrichment values search filters on."""

    __tablename__ = "posts"
    __table_args__ = (sa.UniqueConstraint("platform", "remote_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(64))
    remote_id: Mapped[str] = mapped_column(sa.String(512))
    raw_payload_id: Mapped[int | None] = mapped_column(sa.ForeignKey("raw_payloads.id"), index=True)
    source_id: Mapped[int | None] = mapped_column(sa.ForeignKey("connector_sources.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    title: Mapped[str | None] = mapped_column(sa.String(1000))
    url: Mapped[str | None] = mapped_column(sa.String(2000))
    author_handle: Mapped[str | None] = mapped_column(sa.String(300), index=True)
    author_name: Mapped[str | None] = mapped_column(sa.String(300))
    author_remote_id: Mapped[str | None] = mapped_column(sa.String(300))
    author_followers: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(index=True)
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow)
    parent_remote_id: Mapped[str | None] = mapped_column(sa.String(512))
    thread_remote_id: Mapped[str | None] = mapped_column(sa.String(512))
    metrics: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    media: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    language: Mapped[str] = mapped_column(sa.String(16), default="und")
    sentiment: Mapped[str] = mapped_column(sa.String(16), default="neutral", index=True)
    author_kind: Mapped[str] = mapped_column(sa.String(32), default="patient_public")
    influence: Mapped[float] = mapped_column(default=0.0)
    verdict: Mapped[str] = mapped_column(sa.String(16), default="ok")
    content_hash: Mapped[str | None] = mapped_column(sa.String(16), index=True)
    minhash: Mapped[str | None] = mapped_column(sa.String(128))
    sim_band0: Mapped[int | None] = mapped_column(index=True)
    sim_band1: Mapped[int | None] = mapped_column(index=True)
    sim_band2: Mapped[int | None] = mapped_column(index=True)
    sim_band3: Mapped[int | None] = mapped_column(index=True)
    duplicate_group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("duplicate_groups.id"), index=True)
    is_duplicate: Mapped[bool] = mapped_column(default=False)


class PostEnrichment(Base):
    """Everything enrichment and screening said about a post, with component names, versions and reasons."""

    __tablename__ = "post_enrichments"

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(sa.String(16))
    language_confidence: Mapped[float] = mapped_column(default=0.0)
    sentiment: Mapped[str] = mapped_column(sa.String(16))
    sentiment_scores: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    intents: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    intent_scores: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    author_kind: Mapped[str] = mapped_column(sa.String(32))
    influence: Mapped[float] = mapped_column(default=0.0)
    components: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    explanations: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    failures: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    screening_verdict: Mapped[str] = mapped_column(sa.String(16), default="ok")
    screening_reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    screening_components: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    screening_error: Mapped[str | None] = mapped_column(sa.String(500))
    enriched_at: Mapped[datetime] = mapped_column(default=utcnow)


class PostIntent(Base):
    __tablename__ = "post_intents"

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    intent: Mapped[str] = mapped_column(sa.String(40), primary_key=True, index=True)
    score: Mapped[float | None] = mapped_column()


class PostFinding(Base):
    """One screening finding: type, span offsets, component and rule, reason. The span's text is not copied."""

    __tablename__ = "post_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(sa.String(40))
    span_start: Mapped[int] = mapped_column()
    span_end: Mapped[int] = mapped_column()
    component: Mapped[str] = mapped_column(sa.String(120))
    rule: Mapped[str] = mapped_column(sa.String(120))
    score: Mapped[float] = mapped_column()
    explanation: Mapped[str] = mapped_column(sa.String(1000))
    organizational: Mapped[bool] = mapped_column(default=False)


# --- topics --------------------------------------------------------------------------------------------------


class Topic(Base):
    """A saved Boolean query, typed and owned by a department; matched on every new post."""

    __tablename__ = "topics"
    __table_args__ = (sa.UniqueConstraint("organization_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_key: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(40))
    query: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    backfilled_at: Mapped[datetime | None] = mapped_column()


class TopicMatch(Base):
    __tablename__ = "topic_matches"

    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True)
    post_id: Mapped[int] = mapped_column(
        sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    post_created_at: Mapped[datetime] = mapped_column(index=True)
    matched_at: Mapped[datetime] = mapped_column(default=utcnow)
    signals_checked_at: Mapped[datetime | None] = mapped_column(index=True)
    """When the topic's spike and term detectors last saw this match; NULL = still to check (migration 0007).
    Ingest leaves it NULL; backfilled (historical) matches are marked checked so history raises no alerts."""


# --- alerts --------------------------------------------------------------------------------------------------


class AlertRule(Base):
    """Which topic and intents, how many posts in what window, quiet hours, and where to notify."""

    __tablename__ = "alert_rules"
    __table_args__ = (sa.UniqueConstraint("organization_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    topic_id: Mapped[int | None] = mapped_column(sa.ForeignKey("topics.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_key: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20), default="threshold", server_default="threshold")
    """threshold | volume_spike | negative_spike | emerging_term | emergency (migration 0007)."""
    intents: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    sentiment: Mapped[str | None] = mapped_column(sa.String(16))
    threshold: Mapped[int] = mapped_column(default=1)
    window_minutes: Mapped[int] = mapped_column(default=60)
    cooldown_minutes: Mapped[int] = mapped_column(default=60)
    quiet_start: Mapped[str | None] = mapped_column(sa.String(5))
    quiet_end: Mapped[str | None] = mapped_column(sa.String(5))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    channels: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    last_fired_at: Mapped[datetime | None] = mapped_column()
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("alert_rules.id"), index=True)
    topic_id: Mapped[int | None] = mapped_column(sa.ForeignKey("topics.id"), index=True)
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    score: Mapped[float] = mapped_column(default=0.0)
    reason: Mapped[str] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # migration 0007, for the signal alerts (volume_spike, negative_spike, emerging_term):
    signal_at: Mapped[datetime | None] = mapped_column()
    """created_at of the post that raised the signal."""
    signal_key: Mapped[str | None] = mapped_column(sa.String(200))
    """The emerging term (kept out of ``reason``, which goes to email and webhooks)."""
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(300), unique=True)
    """kind:topic:5-minute bucket[:term]; one alert per signal and bucket, whoever detects it."""
    link_path: Mapped[str | None] = mapped_column(sa.String(300))
    """Where the alert points in the app, e.g. ``/inbox/cases/12`` (migration 0008); NULL: its listening page."""


class AlertNotification(Base):
    """One delivery of an alert to one channel: in-app, email or a webhook (Slack, Teams, Mattermost)."""

    __tablename__ = "alert_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(sa.ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(sa.String(20))
    target: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(20), default="pending", index=True)
    deliver_after: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
