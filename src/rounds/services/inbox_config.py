"""Inbox configuration: queues, routing rules, response-time targets and inbox settings (on-call contact,
breach-alert channels). All need MANAGE_INBOX_RULES to change; every change is audited."""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from rounds.db import Database
from rounds.db.inbox import InboxCase, InboxQueue, InboxRoutingRule, ResponseTarget
from rounds.db.listening import Topic
from rounds.db.models import Department, utcnow
from rounds.domain.audit import AuditAction
from rounds.domain.enrichment import Intent
from rounds.domain.errors import Conflict, NotFound, ValidationFailed
from rounds.domain.roles import Permission
from rounds.services import audit
from rounds.services.context import Actor, Origin
from rounds.services.inbox import (
    DEFAULT_RESOLUTION_MINUTES,
    DEFAULT_TARGET_MINUTES,
    Category,
    parse_category,
)
from rounds.services.inbox_alerts import settings_row
from rounds.services.inbox_work import clean_tags, may_work_cases
from rounds.services.listening_alerts import Channel

# --- queues --------------------------------------------------------------------------------------------------


class QueueInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    department_id: int | None = None
    skill: str = Field(default="", max_length=120)
    member_user_ids: list[int] = Field(default_factory=list, max_length=500)


class QueueView(BaseModel):
    id: int
    name: str
    department_id: int | None
    skill: str
    member_user_ids: list[int]


def _queue_view(queue: InboxQueue) -> QueueView:
    return QueueView(
        id=queue.id,
        name=queue.name,
        department_id=queue.department_id,
        skill=queue.skill,
        member_user_ids=list(queue.member_user_ids),
    )


def list_queues(db: Database, actor: Actor) -> list[QueueView]:
    actor.require(Permission.VIEW_INBOX)
    with db.session() as session:
        rows = session.execute(
            sa.select(InboxQueue)
            .where(InboxQueue.organization_id == actor.organization_id)
            .order_by(InboxQueue.name)
        ).scalars()
        return [_queue_view(row) for row in rows]


def _check_queue(session: Session, actor: Actor, data: QueueInput) -> None:
    if data.department_id is not None:
        department = session.get(Department, data.department_id)
        if department is None or department.organization_id != actor.organization_id:
            raise NotFound(f"Department {data.department_id} was not found.")
    for user_id in data.member_user_ids:
        if not may_work_cases(session, actor.organization_id, user_id):
            raise ValidationFailed(
                f"User {user_id} cannot work inbox cases.", hint="Members must be able to respond."
            )


def do_save_queue(
    db: Database, actor: Actor, data: QueueInput, *, queue_id: int | None = None, origin: Origin
) -> QueueView:
    """Create a queue (no ``queue_id``) or replace one."""
    actor.require(Permission.MANAGE_INBOX_RULES)
    with db.session() as session:
        _check_queue(session, actor, data)
        clash = session.execute(
            sa.select(InboxQueue.id).where(
                InboxQueue.organization_id == actor.organization_id, InboxQueue.name_key == data.name.lower()
            )
        ).scalar_one_or_none()
        if clash is not None and clash != queue_id:
            raise Conflict(f"A queue named {data.name!r} already exists.")
        if queue_id is None:
            queue = InboxQueue(organization_id=actor.organization_id)
            session.add(queue)
            before = None
        else:
            found = session.get(InboxQueue, queue_id)
            if found is None or found.organization_id != actor.organization_id:
                raise NotFound(f"Queue {queue_id} was not found.")
            queue = found
            before = _queue_view(queue).model_dump()
        queue.name, queue.name_key = data.name, data.name.lower()
        queue.department_id, queue.skill = data.department_id, data.skill
        queue.member_user_ids = list(dict.fromkeys(data.member_user_ids))
        queue.updated_at = utcnow()
        session.flush()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INBOX_QUEUE_CREATED if before is None else AuditAction.INBOX_QUEUE_UPDATED,
            object_type="inbox_queue",
            object_id=queue.id,
            before=before,
            after=_queue_view(queue).model_dump(),
            origin=origin,
        )
        return _queue_view(queue)


def do_delete_queue(db: Database, actor: Actor, queue_id: int, *, origin: Origin) -> int:
    """Delete a queue. Its cases leave the queue (they stay in the inbox, unqueued) and routing rules that sent
    cases to it stop doing so (no queue, no round-robin). One audit event names the queue, the cases and the
    rules it touched. Returns the number of cases unqueued."""
    actor.require(Permission.MANAGE_INBOX_RULES)
    with db.session() as session:
        queue = session.get(InboxQueue, queue_id)
        if queue is None or queue.organization_id != actor.organization_id:
            raise NotFound(f"Queue {queue_id} was not found.")
        before = _queue_view(queue).model_dump()
        case_ids = list(
            session.execute(
                sa.select(InboxCase.id).where(InboxCase.queue_id == queue.id).order_by(InboxCase.id)
            ).scalars()
        )
        now = utcnow()
        if case_ids:
            session.execute(
                sa.update(InboxCase)
                .where(InboxCase.queue_id == queue.id)
                .values(queue_id=None, updated_at=now)
            )
        rule_ids = list(
            session.execute(
                sa.select(InboxRoutingRule.id).where(InboxRoutingRule.queue_id == queue.id)
            ).scalars()
        )
        if rule_ids:
            session.execute(
                sa.update(InboxRoutingRule)
                .where(InboxRoutingRule.queue_id == queue.id)
                .values(queue_id=None, round_robin=False, updated_at=now)
            )
        session.delete(queue)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INBOX_QUEUE_DELETED,
            object_type="inbox_queue",
            object_id=queue_id,
            before=before,
            after={
                "unqueued_case_ids": case_ids[:1000],
                "cases": len(case_ids),
                "routing_rule_ids": rule_ids,
            },
            origin=origin,
        )
        return len(case_ids)


# --- routing rules -------------------------------------------------------------------------------------------


class RoutingRuleInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    position: int = Field(default=100, ge=0, le=100_000)
    topic_id: int | None = None
    intents: list[Intent] = Field(default_factory=list)
    platform: str | None = Field(default=None, max_length=64)
    applies_to_account_posts: bool = False
    queue_id: int | None = None
    assignee_user_id: int | None = None
    round_robin: bool = False
    tags: list[str] = Field(default_factory=list)
    is_active: bool = True


class RoutingRuleView(RoutingRuleInput):
    id: int


def _rule_view(rule: InboxRoutingRule) -> RoutingRuleView:
    return RoutingRuleView(
        id=rule.id,
        name=rule.name,
        position=rule.position,
        topic_id=rule.topic_id,
        intents=[Intent(i) for i in rule.intents],
        platform=rule.platform,
        applies_to_account_posts=rule.applies_to_account_posts,
        queue_id=rule.queue_id,
        assignee_user_id=rule.assignee_user_id,
        round_robin=rule.round_robin,
        tags=list(rule.tags),
        is_active=rule.is_active,
    )


def list_routing_rules(db: Database, actor: Actor) -> list[RoutingRuleView]:
    actor.require(Permission.VIEW_INBOX)
    with db.session() as session:
        rows = session.execute(
            sa.select(InboxRoutingRule)
            .where(InboxRoutingRule.organization_id == actor.organization_id)
            .order_by(InboxRoutingRule.position, InboxRoutingRule.id)
        ).scalars()
        return [_rule_view(row) for row in rows]


def do_save_routing_rule(
    db: Database, actor: Actor, data: RoutingRuleInput, *, rule_id: int | None = None, origin: Origin
) -> RoutingRuleView:
    """Create or replace a routing rule. A rule for listening matches needs a topic; ``applies_to_account_posts``
    routes posts on our own accounts (queue, assignee, tags) instead."""
    actor.require(Permission.MANAGE_INBOX_RULES)
    if data.topic_id is None and not data.applies_to_account_posts:
        raise ValidationFailed(
            "A routing rule needs a topic (for listening matches) or to apply to posts on our accounts.",
            details=[{"field": "topic_id", "message": "required unless applies_to_account_posts"}],
        )
    if data.round_robin and data.queue_id is None:
        raise ValidationFailed("Round-robin assignment needs a queue.")
    tags = clean_tags(data.tags)
    with db.session() as session:
        if data.topic_id is not None:
            topic = session.get(Topic, data.topic_id)
            if topic is None or topic.organization_id != actor.organization_id:
                raise NotFound(f"Topic {data.topic_id} was not found.")
        if data.queue_id is not None:
            queue = session.get(InboxQueue, data.queue_id)
            if queue is None or queue.organization_id != actor.organization_id:
                raise NotFound(f"Queue {data.queue_id} was not found.")
        if data.assignee_user_id is not None and not may_work_cases(
            session, actor.organization_id, data.assignee_user_id
        ):
            raise ValidationFailed(f"User {data.assignee_user_id} cannot be assigned cases.")
        clash = session.execute(
            sa.select(InboxRoutingRule.id).where(
                InboxRoutingRule.organization_id == actor.organization_id,
                InboxRoutingRule.name_key == data.name.lower(),
            )
        ).scalar_one_or_none()
        if clash is not None and clash != rule_id:
            raise Conflict(f"A routing rule named {data.name!r} already exists.")
        if rule_id is None:
            rule = InboxRoutingRule(organization_id=actor.organization_id, created_by_user_id=actor.user_id)
            session.add(rule)
            before: dict[str, Any] | None = None
        else:
            found = session.get(InboxRoutingRule, rule_id)
            if found is None or found.organization_id != actor.organization_id:
                raise NotFound(f"Routing rule {rule_id} was not found.")
            rule = found
            before = _rule_view(rule).model_dump(mode="json")
        rule.name, rule.name_key, rule.position = data.name, data.name.lower(), data.position
        rule.topic_id, rule.intents = data.topic_id, [i.value for i in data.intents]
        rule.platform = data.platform.lower() if data.platform else None
        rule.applies_to_account_posts = data.applies_to_account_posts
        rule.queue_id, rule.assignee_user_id, rule.round_robin = (
            data.queue_id,
            data.assignee_user_id,
            data.round_robin,
        )
        rule.tags, rule.is_active, rule.updated_at = tags, data.is_active, utcnow()
        session.flush()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INBOX_ROUTING_RULE_CREATED
            if before is None
            else AuditAction.INBOX_ROUTING_RULE_UPDATED,
            object_type="inbox_routing_rule",
            object_id=rule.id,
            before=before,
            after=_rule_view(rule).model_dump(mode="json"),
            origin=origin,
        )
        return _rule_view(rule)


def do_delete_routing_rule(db: Database, actor: Actor, rule_id: int, *, origin: Origin) -> None:
    """Delete a routing rule. Cases it routed keep their queue, assignee and tags; they forget the rule (the
    audit log keeps which rule created them)."""
    actor.require(Permission.MANAGE_INBOX_RULES)
    with db.session() as session:
        rule = session.get(InboxRoutingRule, rule_id)
        if rule is None or rule.organization_id != actor.organization_id:
            raise NotFound(f"Routing rule {rule_id} was not found.")
        before = _rule_view(rule).model_dump(mode="json")
        session.execute(
            sa.update(InboxCase).where(InboxCase.routing_rule_id == rule.id).values(routing_rule_id=None)
        )
        session.delete(rule)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INBOX_ROUTING_RULE_DELETED,
            object_type="inbox_routing_rule",
            object_id=rule_id,
            before=before,
            origin=origin,
        )


# --- response-time targets -----------------------------------------------------------------------------------


def list_response_targets(db: Database, actor: Actor) -> dict[str, int]:
    """Minutes to first response per category (stored values over the defaults)."""
    actor.require(Permission.VIEW_INBOX)
    targets = {category.value: minutes for category, minutes in DEFAULT_TARGET_MINUTES.items()}
    with db.session() as session:
        for category, minutes in session.execute(
            sa.select(ResponseTarget.category, ResponseTarget.minutes).where(
                ResponseTarget.organization_id == actor.organization_id
            )
        ):
            targets[category] = minutes
    return targets


def do_set_response_target(
    db: Database, actor: Actor, category: Category | str, minutes: int, *, origin: Origin
) -> None:
    """Set a category's target. Applies to cases created afterwards (existing due times stay as promised)."""
    actor.require(Permission.MANAGE_INBOX_RULES)
    chosen = category if isinstance(category, Category) else parse_category(category)
    if not 1 <= minutes <= 60 * 24 * 30:
        raise ValidationFailed("A target is between 1 minute and 30 days.")
    with db.session() as session:
        row = session.execute(
            sa.select(ResponseTarget).where(
                ResponseTarget.organization_id == actor.organization_id,
                ResponseTarget.category == chosen.value,
            )
        ).scalar_one_or_none()
        before = row.minutes if row else DEFAULT_TARGET_MINUTES[chosen]
        if row is None:
            row = ResponseTarget(
                organization_id=actor.organization_id, category=chosen.value, minutes=minutes
            )
            session.add(row)
        row.minutes, row.updated_at = minutes, utcnow()
        session.flush()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INBOX_RESPONSE_TARGET_SET,
            object_type="inbox_response_target",
            object_id=chosen.value,
            before={"minutes": before},
            after={"minutes": minutes},
            origin=origin,
        )


def list_resolution_targets(db: Database, actor: Actor) -> dict[str, int]:
    """Minutes to resolution per category (stored values over the defaults)."""
    actor.require(Permission.VIEW_INBOX)
    targets = {category.value: minutes for category, minutes in DEFAULT_RESOLUTION_MINUTES.items()}
    with db.session() as session:
        for category, minutes in session.execute(
            sa.select(ResponseTarget.category, ResponseTarget.resolution_minutes).where(
                ResponseTarget.organization_id == actor.organization_id,
                ResponseTarget.resolution_minutes.is_not(None),
            )
        ):
            targets[category] = int(minutes or 0)
    return targets


def do_set_resolution_target(
    db: Database, actor: Actor, category: Category | str, minutes: int, *, origin: Origin
) -> None:
    """Set a category's resolution target. Applies to cases created afterwards (and to a case whose category
    changes); existing due times stay as promised."""
    actor.require(Permission.MANAGE_INBOX_RULES)
    chosen = category if isinstance(category, Category) else parse_category(category)
    if not 1 <= minutes <= 60 * 24 * 90:
        raise ValidationFailed("A resolution target is between 1 minute and 90 days.")
    with db.session() as session:
        row = session.execute(
            sa.select(ResponseTarget).where(
                ResponseTarget.organization_id == actor.organization_id,
                ResponseTarget.category == chosen.value,
            )
        ).scalar_one_or_none()
        before = (
            row.resolution_minutes if row and row.resolution_minutes else DEFAULT_RESOLUTION_MINUTES[chosen]
        )
        if row is None:
            row = ResponseTarget(
                organization_id=actor.organization_id,
                category=chosen.value,
                minutes=DEFAULT_TARGET_MINUTES[chosen],
            )
            session.add(row)
        row.resolution_minutes, row.updated_at = minutes, utcnow()
        session.flush()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INBOX_RESOLUTION_TARGET_SET,
            object_type="inbox_response_target",
            object_id=chosen.value,
            before={"resolution_minutes": before},
            after={"resolution_minutes": minutes},
            origin=origin,
        )


# --- settings ------------------------------------------------------------------------------------------------


class InboxSettingsInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    on_call_email: str = Field(default="", max_length=320, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    on_call_webhook_url: str = Field(default="", max_length=2000, pattern=r"^$|^https?://")
    """Blank keeps the stored URL (webhook URLs are secrets and never shown); ``clear_on_call_webhook`` removes
    it."""
    clear_on_call_webhook: bool = False
    on_call_webhook_format: Literal["slack", "teams", "mattermost"] = "slack"
    breach_channels: list[Channel] = Field(default_factory=list)
    keep_breach_webhooks: bool = False
    """When ``breach_channels`` has no webhook, keep the stored breach webhooks (what the settings form sends when
    its webhook field is left blank)."""


class InboxSettingsView(BaseModel):
    on_call_email: str
    on_call_webhook_host: str
    on_call_webhook_format: str
    breach_channels: list[dict[str, str]]
    """type, format; ``target`` for email; ``host`` only for webhooks."""


def _host(url: str) -> str:
    import httpx

    try:
        return httpx.URL(url).host if url else ""
    except Exception:  # a malformed stored URL shows as unknown, never as itself
        return "?"


def _settings_view(session: Session, organization_id: int) -> InboxSettingsView:
    row = settings_row(session, organization_id)
    channels: list[dict[str, str]] = []
    for channel in row.breach_channels:
        kind = str(channel.get("type"))
        shown = {"type": kind, "format": str(channel.get("format", ""))}
        if kind == "email":
            shown["target"] = str(channel.get("target", ""))
        elif kind == "webhook":
            shown["host"] = _host(str(channel.get("target", "")))  # webhook URLs are secrets: the host only
        channels.append(shown)
    return InboxSettingsView(
        on_call_email=row.on_call_email,
        on_call_webhook_host=_host(row.on_call_webhook_url),
        on_call_webhook_format=row.on_call_webhook_format,
        breach_channels=channels,
    )


def get_inbox_settings(db: Database, actor: Actor) -> InboxSettingsView:
    actor.require(Permission.MANAGE_INBOX_RULES)
    with db.session() as session:
        return _settings_view(session, actor.organization_id)


def do_update_inbox_settings(
    db: Database, actor: Actor, data: InboxSettingsInput, *, origin: Origin
) -> InboxSettingsView:
    """Replace the on-call contact and breach channels. Stored webhook URLs are kept when none is given (see
    ``on_call_webhook_url`` and ``keep_breach_webhooks``)."""
    actor.require(Permission.MANAGE_INBOX_RULES)
    for channel in data.breach_channels:
        if channel.type == "email" and "@" not in channel.target:
            raise ValidationFailed("An email channel needs an address.")
        if channel.type == "webhook" and not channel.target.lower().startswith(("https://", "http://")):
            raise ValidationFailed("A webhook channel needs an http(s) URL.")
    with db.session() as session:
        before = _settings_view(session, actor.organization_id).model_dump()
        row = settings_row(session, actor.organization_id)
        channels = [channel.model_dump() for channel in data.breach_channels]
        if data.keep_breach_webhooks and not any(c["type"] == "webhook" for c in channels):
            channels += [
                {**dict(c), "format": data.on_call_webhook_format}
                for c in row.breach_channels
                if c.get("type") == "webhook"
            ]
        row.on_call_email = data.on_call_email
        if data.clear_on_call_webhook:
            row.on_call_webhook_url = ""
        elif data.on_call_webhook_url:
            row.on_call_webhook_url = data.on_call_webhook_url
        row.on_call_webhook_format = data.on_call_webhook_format
        row.breach_channels = channels
        row.updated_at = utcnow()
        session.flush()
        after = _settings_view(session, actor.organization_id)
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INBOX_SETTINGS_UPDATED,
            object_type="inbox_settings",
            object_id=actor.organization_id,
            before=before,
            after=after.model_dump(),
            origin=origin,
        )
        return after
