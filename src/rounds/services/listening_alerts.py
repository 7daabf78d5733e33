"""Alert rules, alerts and notifications (in-app, email over SMTP, webhooks for Slack, Teams, Mattermost).

A rule has a kind:

* ``threshold``: topic, intents, sentiment, threshold posts within a window; checked when new posts could count
  for it; it fires at most once per cooldown. During its quiet hours, notifications wait until the quiet hours end.
* ``volume_spike``, ``negative_spike``, ``emerging_term``: the rule routes the signal alerts of its topic (or of
  every topic) to its channels, after its quiet hours (:mod:`rounds.services.listening_signals` raises them).
* ``emergency``: an emergency/self-harm post raises an alert at once, in the ingest transaction, whatever the
  rules say; emergency rules of its topic (or of every topic), and threshold rules that list the
  ``emergency_self_harm`` intent, add their channels and ignore quiet hours for it.
* Messages name the rule, the counts and a link, never the post text (it may hold PHI).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from rounds.db import Database
from rounds.db.listening import Alert, AlertNotification, AlertRule, PostIntent, StoredPost, TopicMatch
from rounds.db.models import utcnow
from rounds.domain.enrichment import Intent, Sentiment
from rounds.domain.errors import Conflict, NotFound, ValidationFailed
from rounds.domain.topics import ListeningAuditAction
from rounds.services import audit
from rounds.services.context import Actor, Origin
from rounds.services.listening import MANAGE_ALERT_RULES, VIEW_LISTENING, audit_action, check_name
from rounds.settings import Settings

if TYPE_CHECKING:
    from rounds.services.listening_ingest import _NewPost

logger = logging.getLogger(__name__)

EMERGENCY = Intent.EMERGENCY_SELF_HARM.value


class Channel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    type: Literal["in_app", "email", "webhook"]
    target: str = ""
    """Email address, or webhook URL."""
    format: Literal["slack", "teams", "mattermost"] = "slack"

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        return value[:2000]


RuleKind = Literal["threshold", "volume_spike", "negative_spike", "emerging_term", "emergency"]
RULE_KINDS: tuple[str, ...] = ("threshold", "volume_spike", "negative_spike", "emerging_term", "emergency")


class RuleInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    kind: RuleKind = "threshold"
    topic_id: int | None = None
    intents: list[Intent] = Field(default_factory=list)
    sentiment: Sentiment | None = None
    threshold: int = Field(default=1, ge=1, le=1_000_000)
    window_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    cooldown_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    quiet_start: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    quiet_end: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str = "UTC"
    channels: list[Channel] = Field(default_factory=lambda: [Channel(type="in_app")])
    is_active: bool = True

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as America/Chicago)"
            ) from None
        return value

    def check(self) -> None:
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValidationFailed(
                "Quiet hours need both a start and an end (HH:MM).",
                details=[{"field": "quiet_start", "message": "both or neither"}],
            )
        for channel in self.channels:
            if channel.type == "email" and "@" not in channel.target:
                raise ValidationFailed(f"Email channel needs an address, not {channel.target!r}.")
            if channel.type == "webhook" and not channel.target.lower().startswith(("https://", "http://")):
                raise ValidationFailed("A webhook channel needs an http(s) URL.")


class RuleView(BaseModel):
    id: int
    name: str
    kind: str
    topic_id: int | None
    intents: list[str]
    sentiment: str | None
    threshold: int
    window_minutes: int
    cooldown_minutes: int
    quiet_start: str | None
    quiet_end: str | None
    timezone: str
    channels: list[dict[str, str]]
    is_active: bool
    last_fired_at: datetime | None


class AlertView(BaseModel):
    id: int
    rule_id: int | None
    topic_id: int | None
    post_id: int | None
    kind: str
    score: float
    reason: str
    created_at: datetime
    acknowledged_at: datetime | None
    signal_at: datetime | None = None
    term: str | None = None
    """The emerging term (in the app only: never in email or webhook texts)."""


def alert_view(row: Alert) -> AlertView:
    return AlertView(
        id=row.id,
        rule_id=row.rule_id,
        topic_id=row.topic_id,
        post_id=row.post_id,
        kind=row.kind,
        score=row.score,
        reason=row.reason,
        created_at=row.created_at,
        acknowledged_at=row.acknowledged_at,
        signal_at=row.signal_at,
        term=row.signal_key,
    )


def _masked(channel: dict[str, Any]) -> dict[str, str]:
    """Webhook URLs are secrets: show the host only."""
    target = str(channel.get("target", ""))
    if channel.get("type") == "webhook":
        host = httpx.URL(target).host if target else ""
        target = f"https://{host}/…"
    return {"type": str(channel.get("type")), "target": target, "format": str(channel.get("format", ""))}


def _rule_view(rule: AlertRule) -> RuleView:
    return RuleView(
        id=rule.id,
        name=rule.name,
        kind=rule.kind or "threshold",
        topic_id=rule.topic_id,
        intents=list(rule.intents),
        sentiment=rule.sentiment,
        threshold=rule.threshold,
        window_minutes=rule.window_minutes,
        cooldown_minutes=rule.cooldown_minutes,
        quiet_start=rule.quiet_start,
        quiet_end=rule.quiet_end,
        timezone=rule.timezone,
        channels=[_masked(channel) for channel in rule.channels],
        is_active=rule.is_active,
        last_fired_at=rule.last_fired_at,
    )


def _snapshot(rule: AlertRule) -> dict[str, Any]:
    view = _rule_view(rule).model_dump(mode="json")
    view.pop("last_fired_at")
    view.pop("id")
    return view


def _apply(rule: AlertRule, data: RuleInput) -> None:
    rule.name = data.name
    rule.name_key = data.name.lower()
    rule.kind = data.kind
    rule.topic_id = data.topic_id
    rule.intents = [intent.value for intent in data.intents]
    rule.sentiment = data.sentiment.value if data.sentiment else None
    rule.threshold = data.threshold
    rule.window_minutes = data.window_minutes
    rule.cooldown_minutes = data.cooldown_minutes
    rule.quiet_start = data.quiet_start
    rule.quiet_end = data.quiet_end
    rule.timezone = data.timezone
    rule.channels = [channel.model_dump() for channel in data.channels]
    rule.is_active = data.is_active


def do_create_rule(db: Database, actor: Actor, data: RuleInput, *, origin: Origin) -> RuleView:
    actor.require(MANAGE_ALERT_RULES)
    check_name(data.name, "alert rule")
    data.check()
    with db.session() as session:
        if data.topic_id is not None:
            from rounds.services.listening_topics import load_topic

            load_topic(session, actor, data.topic_id)
        exists = session.execute(
            sa.select(AlertRule.id).where(
                AlertRule.organization_id == actor.organization_id, AlertRule.name_key == data.name.lower()
            )
        ).scalar_one_or_none()
        if exists is not None:
            raise Conflict(f"An alert rule named {data.name!r} already exists.")
        rule = AlertRule(organization_id=actor.organization_id, created_by_user_id=actor.user_id)
        _apply(rule, data)
        session.add(rule)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action=audit_action(ListeningAuditAction.ALERT_RULE_CREATED),
            object_type="alert_rule",
            object_id=rule.id,
            after=_snapshot(rule),
            origin=origin,
        )
        return _rule_view(rule)


def do_update_rule(db: Database, actor: Actor, rule_id: int, data: RuleInput, *, origin: Origin) -> RuleView:
    actor.require(MANAGE_ALERT_RULES)
    data.check()
    with db.session() as session:
        rule = session.get(AlertRule, rule_id)
        if rule is None or rule.organization_id != actor.organization_id:
            raise NotFound(f"Alert rule {rule_id} was not found.")
        before = _snapshot(rule)
        _apply(rule, data)
        after = _snapshot(rule)
        if after != before:
            rule.updated_at = utcnow()
            audit.record(
                session,
                actor=actor,
                action=audit_action(ListeningAuditAction.ALERT_RULE_UPDATED),
                object_type="alert_rule",
                object_id=rule.id,
                before=before,
                after=after,
                origin=origin,
            )
        return _rule_view(rule)


def list_rules(db: Database, actor: Actor) -> list[RuleView]:
    actor.require(VIEW_LISTENING)
    with db.session() as session:
        rows = session.execute(
            sa.select(AlertRule)
            .where(AlertRule.organization_id == actor.organization_id)
            .order_by(AlertRule.id)
        ).scalars()
        return [_rule_view(rule) for rule in rows]


def list_alerts(
    db: Database, actor: Actor, *, limit: int = 100, unacknowledged: bool = False
) -> list[AlertView]:
    actor.require(VIEW_LISTENING)
    with db.session() as session:
        query = sa.select(Alert).where(Alert.organization_id == actor.organization_id)
        if unacknowledged:
            query = query.where(Alert.acknowledged_at.is_(None))
        rows = session.execute(query.order_by(Alert.id.desc()).limit(max(1, min(limit, 1000)))).scalars()
        return [alert_view(row) for row in rows]


def do_acknowledge_alert(db: Database, actor: Actor, alert_id: int, *, origin: Origin) -> None:
    actor.require(VIEW_LISTENING)
    with db.session() as session:
        alert = session.get(Alert, alert_id)
        if alert is None or alert.organization_id != actor.organization_id:
            raise NotFound(f"Alert {alert_id} was not found.")
        if alert.acknowledged_at is not None:
            return
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by_user_id = actor.user_id
        audit.record(
            session,
            actor=actor,
            action=audit_action(ListeningAuditAction.ALERT_ACKNOWLEDGED),
            object_type="alert",
            object_id=alert.id,
            after={"acknowledged": True},
            origin=origin,
        )


# --- evaluation during ingest --------------------------------------------------------------------------------


def quiet_until(rule: AlertRule, now: datetime) -> datetime | None:
    """The end of the rule's quiet hours when ``now`` falls inside them, else None."""
    if not rule.quiet_start or not rule.quiet_end:
        return None
    zone = ZoneInfo(rule.timezone)
    local = now.astimezone(zone)
    start = time.fromisoformat(rule.quiet_start)
    end = time.fromisoformat(rule.quiet_end)
    current = local.time().replace(tzinfo=None)
    if start <= end:
        inside = start <= current < end
        end_day = local.date()
    else:  # spans midnight, e.g. 22:00-07:00
        inside = current >= start or current < end
        end_day = local.date() + timedelta(days=1) if current >= start else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(UTC)


def notify(
    session: Session,
    alert: Alert,
    channels: Sequence[dict[str, Any]],
    deliver_after: datetime,
    *,
    link_path: str | None = None,
) -> None:
    """Queue ``alert`` for in-app and each channel (deduplicated), delivered from ``deliver_after`` by
    :func:`deliver_notifications`. ``link_path`` (e.g. ``/inbox/cases/12``) is where delivered messages link;
    by default the alert's listening page. Other areas (the inbox) raise their alerts through this."""
    if link_path is not None:
        alert.link_path = link_path
    unique: dict[tuple[str, str], dict[str, Any]] = {}
    for channel in [{"type": "in_app"}, *channels]:
        unique.setdefault((str(channel.get("type")), str(channel.get("target", ""))), channel)
    _add_notifications(session, alert, list(unique.values()), deliver_after)


def notify_rules(
    session: Session,
    alert: Alert,
    groups: Sequence[tuple[Sequence[dict[str, Any]], datetime]],
    now: datetime,
) -> None:
    """In-app at once, then each rule's channels after its own ``deliver_after`` (quiet hours); a channel
    named by several rules is notified once, at the earliest."""
    seen: set[tuple[str, str]] = set()
    ordered = sorted(groups, key=lambda group: group[1])
    for channels, deliver_after in [([{"type": "in_app"}], now), *ordered]:
        fresh = [c for c in channels if (str(c.get("type")), str(c.get("target", ""))) not in seen]
        seen.update((str(c.get("type")), str(c.get("target", ""))) for c in fresh)
        _add_notifications(session, alert, fresh, deliver_after)


def _add_notifications(
    session: Session, alert: Alert, channels: Sequence[dict[str, Any]], deliver_after: datetime
) -> None:
    for channel in channels:
        kind = str(channel.get("type"))
        in_app = kind == "in_app"
        session.add(
            AlertNotification(
                alert_id=alert.id,
                channel=kind if kind != "webhook" else f"webhook:{channel.get('format', 'slack')}",
                target=str(channel.get("target", "")),
                status="sent" if in_app else "pending",
                deliver_after=deliver_after,
                sent_at=deliver_after if in_app else None,
            )
        )


def _rule_kind(rule: AlertRule) -> str:
    return rule.kind or "threshold"


def _rule_applies(rule: AlertRule, item: _NewPost) -> bool:
    if rule.topic_id is not None and rule.topic_id not in item.topic_ids:
        return False
    enrichment = item.enrichment
    if rule.intents and (enrichment is None or not {i.value for i in enrichment.intents} & set(rule.intents)):
        return False
    return not (rule.sentiment and (enrichment is None or enrichment.sentiment.value != rule.sentiment))


def on_new_posts(session: Session, organization_id: int, new_posts: Sequence[_NewPost], now: datetime) -> int:
    """Raise alerts for the posts just stored (inside the ingest transaction). Returns the alerts raised."""
    rules = list(
        session.execute(
            sa.select(AlertRule).where(
                AlertRule.organization_id == organization_id, AlertRule.is_active.is_(True)
            )
        ).scalars()
    )
    raised = 0
    for item in new_posts:
        enrichment = item.enrichment
        if enrichment is None or Intent.EMERGENCY_SELF_HARM not in enrichment.intents:
            continue
        score = enrichment.intent_scores.get(EMERGENCY, 1.0)
        component = next(
            (e.component for e in enrichment.explanations if e.decision == EMERGENCY), "enrich.intent"
        )
        alert = Alert(
            organization_id=organization_id,
            post_id=item.post_id,
            topic_id=item.topic_ids[0] if item.topic_ids else None,
            kind="emergency",
            score=float(score),
            reason=f"A post was classified as an emergency or self-harm risk by {component} "
            f"(score {float(score):.2f}); review it now.",
            created_at=now,
        )
        session.add(alert)
        session.flush()
        channels = [
            channel
            for rule in rules
            if (
                (_rule_kind(rule) == "threshold" and EMERGENCY in rule.intents and _rule_applies(rule, item))
                or (_rule_kind(rule) == "emergency" and rule.topic_id in (None, *item.topic_ids))
            )
            for channel in rule.channels
        ]
        notify(session, alert, channels, now)  # emergencies ignore quiet hours
        raised += 1
    for rule in rules:
        if _rule_kind(rule) != "threshold":
            continue  # emergencies above, post by post; signal kinds in listening_signals
        if rule.intents == [EMERGENCY] and rule.threshold <= 1:
            continue  # handled above, post by post
        if rule.last_fired_at is not None and now - rule.last_fired_at < timedelta(
            minutes=rule.cooldown_minutes
        ):
            continue
        if not any(_rule_applies(rule, item) for item in new_posts):
            continue
        since = now - timedelta(minutes=rule.window_minutes)
        query = sa.select(sa.func.count(sa.distinct(StoredPost.id))).where(StoredPost.created_at >= since)
        if rule.topic_id is not None:
            query = query.join(TopicMatch, TopicMatch.post_id == StoredPost.id).where(
                TopicMatch.topic_id == rule.topic_id
            )
        if rule.intents:
            query = query.join(PostIntent, PostIntent.post_id == StoredPost.id).where(
                PostIntent.intent.in_(rule.intents)
            )
        if rule.sentiment:
            query = query.where(StoredPost.sentiment == rule.sentiment)
        count = session.execute(query).scalar_one()
        if count < rule.threshold:
            continue
        filters = []
        if rule.intents:
            filters.append("intent " + "/".join(rule.intents))
        if rule.sentiment:
            filters.append(f"{rule.sentiment} sentiment")
        alert = Alert(
            organization_id=organization_id,
            rule_id=rule.id,
            topic_id=rule.topic_id,
            kind="rule",
            score=float(count),
            reason=f"Rule {rule.name!r}: {count} posts{' with ' + ', '.join(filters) if filters else ''} "
            f"in the last {rule.window_minutes} minutes (threshold {rule.threshold}).",
            created_at=now,
        )
        session.add(alert)
        session.flush()
        rule.last_fired_at = now
        notify(session, alert, rule.channels, quiet_until(rule, now) or now)
        raised += 1
    return raised


# --- delivery ------------------------------------------------------------------------------------------------


def webhook_body(fmt: str, title: str, text: str, link: str | None) -> dict[str, Any]:
    """The JSON a Slack, Microsoft Teams or Mattermost incoming webhook expects."""
    line = f"{text} <{link}|Open in Rounds>" if link and fmt == "slack" else text
    if fmt == "teams":
        card: dict[str, Any] = {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": title,
            "themeColor": "B00020",
            "title": title,
            "text": text,
        }
        if link:
            card["potentialAction"] = [
                {"@type": "OpenUri", "name": "Open in Rounds", "targets": [{"os": "default", "uri": link}]}
            ]
        return card
    if fmt == "mattermost":
        return {
            "username": "Rounds",
            "text": f"**{title}**\n{text}" + (f" [Open in Rounds]({link})" if link else ""),
        }
    return {"text": f"*{title}*\n{line}"}


EmailSender = Callable[[str, str, str], None]
"""(to, subject, body) -> None; raises on failure."""


def smtp_sender(settings: Settings) -> EmailSender | None:
    """An SMTP sender from settings (``smtp_host`` ...), or None when email is not configured."""
    host = settings.smtp_host
    if not host:
        return None
    port = settings.smtp_port
    sender = settings.smtp_from or "rounds@localhost"
    username = settings.smtp_username
    secret = settings.smtp_password.get_secret_value() if settings.smtp_password else None

    def send(to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, to, subject
        message.set_content(body)
        with smtplib.SMTP(host, port, timeout=20) as client:
            if settings.smtp_starttls:
                client.starttls()
            if username and secret:
                client.login(username, secret)
            client.send_message(message)

    return send


class DeliveryReport(BaseModel):
    sent: int = 0
    failed: int = 0
    waiting: int = 0


def deliver_notifications(
    db: Database,
    *,
    http: httpx.Client,
    send_email: EmailSender | None,
    base_url: str | None = None,
    now: datetime | None = None,
    max_attempts: int = 5,
) -> DeliveryReport:
    """Send due notifications; failures are retried on later runs, up to ``max_attempts``."""
    now = now or utcnow()
    report = DeliveryReport()
    with db.session() as session:
        due = session.execute(
            sa.select(AlertNotification, Alert)
            .join(Alert, Alert.id == AlertNotification.alert_id)
            .where(AlertNotification.status == "pending")
            .order_by(AlertNotification.id)
        ).all()
        for notification, alert in due:
            if notification.deliver_after > now:
                report.waiting += 1
                continue
            title = "Rounds emergency alert" if alert.kind == "emergency" else "Rounds listening alert"
            if alert.kind.startswith("inbox_"):
                title = "Rounds inbox alert"
            path = alert.link_path or f"/listening/alerts/{alert.id}"
            link = f"{base_url.rstrip('/')}{path}" if base_url else None
            try:
                if notification.channel == "email":
                    if send_email is None:
                        raise RuntimeError("email is not configured (smtp_host)")
                    send_email(notification.target, title, alert.reason + (f"\n\n{link}" if link else ""))
                elif notification.channel.startswith("webhook:"):
                    fmt = notification.channel.split(":", 1)[1]
                    response = http.post(
                        notification.target, json=webhook_body(fmt, title, alert.reason, link)
                    )
                    response.raise_for_status()
                notification.status = "sent"
                notification.sent_at = now
                report.sent += 1
            except Exception as error:  # one failing channel never blocks the others
                notification.attempts += 1
                notification.last_error = f"{type(error).__name__}: {str(error)[:200]}"
                if notification.attempts >= max_attempts:
                    notification.status = "failed"
                logger.warning("alert notification %s failed: %s", notification.id, type(error).__name__)
                report.failed += 1
    return report
