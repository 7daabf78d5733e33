"""A topic's listening dashboard: volume and sentiment over time, top posts, share of voice, recent alerts and
emerging terms. Read-only; everything is computed from stored posts and topic matches.

Volume counts every matched post (copies too: a retweet is volume); top posts show each duplicate group once.
Emerging terms replay the topic's posts of the period through
:class:`~rounds.pipeline.signals.terms.EmergingTermDetector` (``signals.terms.v1``), the same detector the
listening signals use, so the dashboard and the alerts agree.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel

from rounds.db import Database
from rounds.db.listening import Alert, StoredPost, Topic, TopicMatch
from rounds.db.models import utcnow
from rounds.domain.errors import ValidationFailed
from rounds.domain.roles import Permission
from rounds.domain.topics import TopicKind
from rounds.pipeline.signals.terms import EmergingTermDetector, candidate_terms
from rounds.pipeline.text import TextView
from rounds.services.context import Actor
from rounds.services.listening import SourceView
from rounds.services.listening_alerts import AlertView, RuleView, alert_view
from rounds.services.listening_search import PostSummary, _summary
from rounds.services.listening_topics import TopicView, access_topic
from rounds.settings import Settings

Bucket = Literal["hour", "day"]
MAX_POSTS_SCANNED = 200_000
MAX_BUCKETS = 24 * 31
SHARE_OF_VOICE_KINDS = (TopicKind.BRAND.value, TopicKind.COMPETITOR.value)
TERMS_COMPONENT = "signals.terms.v1"


class VolumePoint(BaseModel):
    start: datetime
    negative: int = 0
    neutral: int = 0
    positive: int = 0

    @property
    def total(self) -> int:
        return self.negative + self.neutral + self.positive


class ShareOfVoice(BaseModel):
    topic_id: int
    name: str
    kind: str
    posts: int
    share: float
    """0..1 of the brand and competitor topics' posts in the period."""


class EmergingTermView(BaseModel):
    term: str
    at: datetime
    observed: int
    expected: float
    score: float
    authors: int


class TopicDashboard(BaseModel):
    topic: TopicView
    since: datetime
    until: datetime
    bucket: Bucket
    series: list[VolumePoint]
    total: int
    sentiment_totals: dict[str, int]
    top_posts: list[PostSummary]
    share_of_voice: list[ShareOfVoice]
    alerts: list[AlertView]
    emerging_terms: list[EmergingTermView]
    terms_component: str = TERMS_COMPONENT


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _floor(value: datetime, bucket: Bucket) -> datetime:
    value = _aware(value).astimezone(UTC)
    if bucket == "day":
        return value.replace(hour=0, minute=0, second=0, microsecond=0)
    return value.replace(minute=0, second=0, microsecond=0)


def default_period(days: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    until = _aware(now or utcnow())
    return until - timedelta(days=days), until


def topic_dashboard(
    db: Database,
    actor: Actor,
    topic_id: int,
    *,
    since: datetime,
    until: datetime,
    bucket: Bucket = "day",
    top: int = 10,
) -> TopicDashboard:
    """The dashboard of one topic over ``[since, until)``."""
    topic = access_topic(db, actor, topic_id)  # NotFound for other organizations and without VIEW_LISTENING
    since, until = _aware(since), _aware(until)
    if until <= since:
        raise ValidationFailed(
            "The period must end after it starts.", details=[{"field": "until", "message": "before since"}]
        )
    step = timedelta(hours=1) if bucket == "hour" else timedelta(days=1)
    first = _floor(since, bucket)
    if (until - first) / step > MAX_BUCKETS:
        raise ValidationFailed(
            f"Too many {bucket} buckets for this period (at most {MAX_BUCKETS}).",
            hint="Choose a shorter period or daily buckets.",
            details=[{"field": "bucket", "message": "too many buckets"}],
        )
    in_topic = sa.select(TopicMatch.post_id).where(TopicMatch.topic_id == topic_id)
    in_period = sa.and_(StoredPost.created_at >= since, StoredPost.created_at < until)
    with db.session() as session:
        rows = session.execute(
            sa.select(StoredPost.created_at, StoredPost.sentiment, StoredPost.text, StoredPost.author_handle)
            .where(StoredPost.id.in_(in_topic), in_period)
            .order_by(StoredPost.created_at, StoredPost.id)
            .limit(MAX_POSTS_SCANNED)
        ).all()
        top_rows = session.execute(
            sa.select(StoredPost)
            .where(StoredPost.id.in_(in_topic), in_period, StoredPost.is_duplicate.is_(False))
            .order_by(StoredPost.influence.desc(), StoredPost.created_at.desc(), StoredPost.id.desc())
            .limit(max(1, min(top, 100)))
        ).scalars()
        top_posts = [_summary(row) for row in top_rows]
        voice_rows = session.execute(
            sa.select(Topic.id, Topic.name, Topic.kind, sa.func.count(StoredPost.id))
            .select_from(Topic)
            .outerjoin(TopicMatch, TopicMatch.topic_id == Topic.id)
            .outerjoin(StoredPost, sa.and_(StoredPost.id == TopicMatch.post_id, in_period))
            .where(
                Topic.organization_id == actor.organization_id,
                Topic.kind.in_(SHARE_OF_VOICE_KINDS),
                Topic.is_active.is_(True),
            )
            .group_by(Topic.id, Topic.name, Topic.kind)
            .order_by(Topic.name_key)
        ).all()
        alert_rows = session.execute(
            sa.select(Alert)
            .where(Alert.organization_id == actor.organization_id, Alert.topic_id == topic_id)
            .order_by(Alert.id.desc())
            .limit(10)
        ).scalars()
        alerts = [alert_view(row) for row in alert_rows]
    points: dict[datetime, VolumePoint] = {}
    cursor = first
    while cursor < until:
        points[cursor] = VolumePoint(start=cursor)
        cursor += step
    totals = {"negative": 0, "neutral": 0, "positive": 0}
    detector = EmergingTermDetector()
    found: dict[str, EmergingTermView] = {}
    for created_at, sentiment, text, author in rows:
        key = sentiment if sentiment in totals else "neutral"
        totals[key] += 1
        point = points.get(_floor(created_at, bucket))
        if point is not None:
            setattr(point, key, getattr(point, key) + 1)
        at = _aware(created_at)
        for term in detector.observe(at, candidate_terms(TextView(text).tokens), author):
            previous = found.get(term.term)
            if previous is None or term.score > previous.score:
                found[term.term] = EmergingTermView(
                    term=term.term,
                    at=term.at,
                    observed=term.observed,
                    expected=term.expected,
                    score=term.score,
                    authors=term.authors,
                )
    voice_total = sum(count for *_rest, count in voice_rows)
    share = [
        ShareOfVoice(
            topic_id=voice_id,
            name=name,
            kind=kind,
            posts=count,
            share=(count / voice_total) if voice_total else 0.0,
        )
        for voice_id, name, kind, count in voice_rows
    ]
    return TopicDashboard(
        topic=topic,
        since=since,
        until=until,
        bucket=bucket,
        series=list(points.values()),
        total=len(rows),
        sentiment_totals=totals,
        top_posts=top_posts,
        share_of_voice=sorted(share, key=lambda item: -item.posts),
        alerts=alerts,
        emerging_terms=sorted(found.values(), key=lambda item: -item.score)[:15],
    )


def access_alert(db: Database, actor: Actor, alert_id: int) -> AlertView:
    """One alert of the actor's organization (NotFound for missing and forbidden alike)."""
    from rounds.domain.errors import NotFound
    from rounds.services.listening import VIEW_LISTENING

    with db.session() as session:
        row = session.get(Alert, alert_id)
        if row is None or row.organization_id != actor.organization_id or not actor.can(VIEW_LISTENING):
            raise NotFound(f"Alert {alert_id} was not found.")
        return alert_view(row)


def stored_webhooks(db: Database, actor: Actor, rule_id: int) -> dict[str, str]:
    """The rule's webhook URLs by format, for an edit form that keeps a URL left blank (views mask them)."""
    from rounds.db.listening import AlertRule
    from rounds.domain.errors import NotFound
    from rounds.services.listening import MANAGE_ALERT_RULES

    actor.require(MANAGE_ALERT_RULES)
    with db.session() as session:
        rule = session.get(AlertRule, rule_id)
        if rule is None or rule.organization_id != actor.organization_id:
            raise NotFound(f"Alert rule {rule_id} was not found.")
        return {
            str(channel.get("format", "slack")): str(channel.get("target", ""))
            for channel in rule.channels
            if channel.get("type") == "webhook"
        }


def access_rule(db: Database, actor: Actor, rule_id: int) -> RuleView:
    from rounds.domain.errors import NotFound
    from rounds.services.listening_alerts import list_rules

    for rule in list_rules(db, actor):
        if rule.id == rule_id:
            return rule
    raise NotFound(f"Alert rule {rule_id} was not found.")


def access_source(db: Database, settings: Settings, actor: Actor, source_id: int) -> SourceView:
    from rounds.domain.errors import NotFound
    from rounds.services.listening import list_sources

    for source in list_sources(db, settings, actor):
        if source.id == source_id:
            return source
    raise NotFound(f"Connector source {source_id} was not found.")


# --- checks the web layer calls before showing a form (saving is checked again by the do_* functions) ------


def check_can_manage_topics(actor: Actor) -> None:
    actor.require(Permission.MANAGE_TOPICS)


def check_can_manage_alert_rules(actor: Actor) -> None:
    actor.require(Permission.MANAGE_ALERT_RULES)


def check_can_manage_connectors(actor: Actor) -> None:
    actor.require(Permission.MANAGE_CONNECTORS)
