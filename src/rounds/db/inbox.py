"""Engagement inbox tables: cases and their posts, internal notes, replies (screened, approved, sent at most
once), privacy incidents, queues, routing rules, response-time targets, inbox settings and in-app notifications.

Registered on :data:`rounds.db.models.Base` (``models.py`` imports this module). Migrations: ``0004_inbox``, ``0006_inbox_resolution``.
Read and written only through the ``rounds.services.inbox*`` modules.

Replies keep their text (it is the archive of what the organization said in public); screening results keep the
verdict, the reasons and a findings summary (type, span offsets, component, rule) but never a copy of the spans'
text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from rounds.db.models import Base, utcnow


class InboxQueue(Base):
    """A work queue: a department and/or a skill (e.g. "Billing", "Cardiology", "Spanish")."""

    __tablename__ = "inbox_queues"
    __table_args__ = (sa.UniqueConstraint("organization_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_key: Mapped[str] = mapped_column(sa.String(200))
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    skill: Mapped[str] = mapped_column(sa.String(120), default="")
    member_user_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    last_assigned_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxCase(Base):
    """One conversation: an author on a platform in one thread. Posts join it as :class:`InboxCaseItem`."""

    __tablename__ = "inbox_cases"
    __table_args__ = (sa.UniqueConstraint("organization_id", "platform", "author_key", "thread_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    platform: Mapped[str] = mapped_column(sa.String(64))
    author_key: Mapped[str] = mapped_column(sa.String(300))
    thread_key: Mapped[str] = mapped_column(sa.String(512))
    author_handle: Mapped[str | None] = mapped_column(sa.String(300))
    author_name: Mapped[str | None] = mapped_column(sa.String(300))
    author_followers: Mapped[int | None] = mapped_column()
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("social_accounts.id"), index=True)
    source: Mapped[str] = mapped_column(sa.String(20))  # comment | mention | review | dm | listening
    routing_rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inbox_routing_rules.id"))
    status: Mapped[str] = mapped_column(sa.String(20), default="new", index=True)
    category: Mapped[str] = mapped_column(sa.String(40), default="other", index=True)
    intents: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    priority: Mapped[int] = mapped_column(default=0, index=True)
    priority_reason: Mapped[str] = mapped_column(sa.String(1000), default="")
    queue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inbox_queues.id"), index=True)
    assignee_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    self_disclosed_phi: Mapped[bool] = mapped_column(default=False)
    phi_reason: Mapped[str] = mapped_column(sa.String(1000), default="")
    emergency: Mapped[bool] = mapped_column(default=False)
    opened_at: Mapped[datetime] = mapped_column()  # the first post's time: response clocks start here
    last_activity_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    first_response_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    breached_at: Mapped[datetime | None] = mapped_column()
    breach_alert_id: Mapped[int | None] = mapped_column(sa.ForeignKey("alerts.id"))
    # resolution clock (0006): opened_at + the category's resolution target; alerted once when passed unresolved
    resolution_due_at: Mapped[datetime | None] = mapped_column(index=True)
    resolution_breached_at: Mapped[datetime | None] = mapped_column()
    resolution_breach_alert_id: Mapped[int | None] = mapped_column(sa.ForeignKey("alerts.id"))
    escalated_at: Mapped[datetime | None] = mapped_column()
    escalation_alert_id: Mapped[int | None] = mapped_column(sa.ForeignKey("alerts.id"))
    merged_into_case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inbox_cases.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxCaseItem(Base):
    """A stored post in a case. A post belongs to at most one case per organization."""

    __tablename__ = "inbox_case_items"
    __table_args__ = (sa.UniqueConstraint("organization_id", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("inbox_cases.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id"), index=True)
    is_duplicate: Mapped[bool] = mapped_column(default=False)
    merged_from_case_id: Mapped[int | None] = mapped_column()
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxNote(Base):
    """An internal note on a case (never published); ``mentions`` are the user ids it notified."""

    __tablename__ = "inbox_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("inbox_cases.id", ondelete="CASCADE"), index=True)
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    mentions: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxReply(Base):
    """A reply: drafted, screened, acknowledged/overridden/approved, then sent at most once (or marked sent
    by hand). Once sent it is the archive: text, time, remote id, who."""

    __tablename__ = "inbox_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("inbox_cases.id", ondelete="CASCADE"), index=True)
    parent_post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id"))
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("social_accounts.id"))
    platform: Mapped[str] = mapped_column(sa.String(64))
    text: Mapped[str] = mapped_column(sa.Text)
    template: Mapped[str | None] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(20), default="draft", index=True)
    screening_verdict: Mapped[str | None] = mapped_column(sa.String(16))
    screening_reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    screening_findings: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    screening_components: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    screened_text_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    screened_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    override_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    override_at: Mapped[datetime | None] = mapped_column()
    override_reason: Mapped[str] = mapped_column(sa.String(1000), default="")
    approval_required: Mapped[bool] = mapped_column(default=False)
    approved_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column()
    idempotency_key: Mapped[str] = mapped_column(sa.String(128), unique=True)
    send_attempts: Mapped[int] = mapped_column(default=0)
    send_started_at: Mapped[datetime | None] = mapped_column()
    last_error_code: Mapped[str | None] = mapped_column(sa.String(60))
    last_error_detail: Mapped[str] = mapped_column(sa.String(500), default="")
    remote_id: Mapped[str | None] = mapped_column(sa.String(512))
    remote_url: Mapped[str | None] = mapped_column(sa.String(2000))
    sent_manually: Mapped[bool] = mapped_column(default=False)
    sent_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    sent_at: Mapped[datetime | None] = mapped_column()
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PrivacyIncident(Base):
    """A recorded privacy event on a case (e.g. a commenter disclosed their own health details in public)."""

    __tablename__ = "privacy_incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inbox_cases.id"), index=True)
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    actions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(20), default="open")
    reported_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxRoutingRule(Base):
    """Sends listening matches (a topic, intents, a platform) to the inbox, with a queue, assignee, tags."""

    __tablename__ = "inbox_routing_rules"
    __table_args__ = (sa.UniqueConstraint("organization_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_key: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=100)
    topic_id: Mapped[int | None] = mapped_column(sa.ForeignKey("topics.id"))
    intents: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    platform: Mapped[str | None] = mapped_column(sa.String(64))
    applies_to_account_posts: Mapped[bool] = mapped_column(default=False)
    queue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inbox_queues.id"))
    assignee_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    round_robin: Mapped[bool] = mapped_column(default=False)
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ResponseTarget(Base):
    """Targets for one category: ``minutes`` to the first response and ``resolution_minutes`` to resolution
    (None: the default). Categories without a row use the defaults."""

    __tablename__ = "inbox_response_targets"
    __table_args__ = (sa.UniqueConstraint("organization_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(40))
    minutes: Mapped[int] = mapped_column()
    resolution_minutes: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxSettings(Base):
    """Per organization: the on-call contact for emergencies, breach-alert channels, the sync watermark."""

    __tablename__ = "inbox_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), unique=True)
    on_call_email: Mapped[str] = mapped_column(sa.String(320), default="")
    on_call_webhook_url: Mapped[str] = mapped_column(sa.String(2000), default="")
    on_call_webhook_format: Mapped[str] = mapped_column(sa.String(20), default="slack")
    breach_channels: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    synced_post_id: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxNotification(Base):
    """An in-app notice to one user: @mention in a note, assignment, escalation. Never holds post text."""

    __tablename__ = "inbox_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inbox_cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    message: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()
