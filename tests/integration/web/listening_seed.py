"""A few stored posts, topics, a rule, an alert, a connector source and a quarantined line for the listening page
tests and the authorization matrix.

Written straight to the tables (milliseconds) rather than through ingest (which loads the enrichment models, a
few seconds): these tests are about the web layer. Idempotent: a second call returns the same ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from rounds.db import Database
from rounds.db.listening import (
    Alert,
    AlertRule,
    ConnectorSource,
    DuplicateGroup,
    PostEnrichment,
    PostFinding,
    PostIntent,
    QuarantinedItem,
    RawPayloadRecord,
    StoredPost,
    Topic,
    TopicMatch,
)
from rounds.db.models import Organization, utcnow
from rounds.services.listening import encrypt_secret
from rounds.settings import Settings

SECRET_TOKEN = "matrix-bearer-token-9f2c71"
HTML_TEXT = "<script>alert('pwned')</script> Thanks Riverbend Health, Nurse Dana Whitfield was <b>great</b>"
FINDING_WORDS = "Dana Whitfield"


@dataclass(frozen=True)
class ListeningIds:
    organization_id: int
    brand_topic_id: int
    competitor_topic_id: int
    complaint_post_id: int
    html_post_id: int
    copy_post_id: int
    competitor_post_id: int
    rule_id: int
    alert_id: int
    source_id: int
    quarantine_id: int


def _existing(db: Database) -> ListeningIds | None:
    with db.session() as session:
        brand = session.execute(sa.select(Topic).where(Topic.name_key == "seed brand")).scalar_one_or_none()
        if brand is None:
            return None
        competitor = session.execute(
            sa.select(Topic.id).where(Topic.name_key == "seed competitor")
        ).scalar_one()

        def post(remote_id: str) -> int:
            return session.execute(
                sa.select(StoredPost.id).where(StoredPost.remote_id == remote_id)
            ).scalar_one()

        return ListeningIds(
            organization_id=brand.organization_id,
            brand_topic_id=brand.id,
            competitor_topic_id=competitor,
            complaint_post_id=post("seed-1"),
            html_post_id=post("seed-2"),
            copy_post_id=post("seed-3"),
            competitor_post_id=post("seed-4"),
            rule_id=session.execute(
                sa.select(AlertRule.id).where(AlertRule.name_key == "seed rule")
            ).scalar_one(),
            alert_id=session.execute(sa.select(sa.func.min(Alert.id))).scalar_one(),
            source_id=session.execute(
                sa.select(ConnectorSource.id).where(ConnectorSource.name_key == "seed source")
            ).scalar_one(),
            quarantine_id=session.execute(sa.select(sa.func.min(QuarantinedItem.id))).scalar_one(),
        )


def seed_listening(db: Database, settings: Settings) -> ListeningIds:
    found = _existing(db)
    if found is not None:
        return found
    now = utcnow()
    with db.session() as session:
        organization_id = session.execute(sa.select(sa.func.min(Organization.id))).scalar_one()

        def add_post(
            remote_id: str, text: str, *, platform: str, sentiment: str, hours_ago: float, **extra: object
        ) -> StoredPost:
            row = StoredPost(
                platform=platform,
                remote_id=remote_id,
                text=text,
                url=f"https://example.org/{platform}/{remote_id}",
                author_handle=f"@{remote_id}-author",
                created_at=now - timedelta(hours=hours_ago),
                language="en",
                sentiment=sentiment,
                author_kind="patient_public",
                **extra,
            )
            session.add(row)
            session.flush()
            return row

        complaint = add_post(
            "seed-1",
            "Riverbend Health ER wait was four hours tonight, awful",
            platform="x",
            sentiment="negative",
            hours_ago=3,
        )
        html = add_post(
            "seed-2", HTML_TEXT, platform="bluesky", sentiment="positive", hours_ago=30, verdict="warn"
        )
        group = DuplicateGroup(canonical_post_id=complaint.id, method="exact", size=2)
        session.add(group)
        session.flush()
        complaint.duplicate_group_id = group.id
        copy = add_post(
            "seed-3",
            "RT Riverbend Health ER wait was four hours tonight, awful",
            platform="x",
            sentiment="negative",
            hours_ago=2,
            duplicate_group_id=group.id,
            is_duplicate=True,
        )
        competitor = add_post(
            "seed-4",
            "Lakeside Medical opened a new clinic downtown",
            platform="reddit",
            sentiment="neutral",
            hours_ago=50,
        )
        session.add(
            PostEnrichment(
                post_id=complaint.id,
                language="en",
                language_confidence=0.98,
                sentiment="negative",
                sentiment_scores={"negative": 0.91, "neutral": 0.06, "positive": 0.03},
                intents=["complaint"],
                intent_scores={"complaint": 0.87},
                author_kind="patient_public",
                influence=1.5,
                components={"sentiment": "v1", "intent": "v1", "language": "v1"},
                explanations=[
                    {
                        "component": "enrich.sentiment.v1",
                        "decision": "negative",
                        "score": 0.91,
                        "reason": "negative cues outweigh positive ones",
                        "evidence": ["awful", "wait"],
                    },
                    {
                        "component": "enrich.intent.v1",
                        "decision": "complaint",
                        "score": 0.87,
                        "reason": "describes a bad experience with a service",
                        "evidence": ["wait", "hours"],
                    },
                ],
                failures=[],
                screening_verdict="ok",
                screening_reasons=[],
                screening_components=["phi.identifiers.v1"],
            )
        )
        session.add(PostIntent(post_id=complaint.id, intent="complaint", score=0.87))
        start = HTML_TEXT.index(FINDING_WORDS)
        session.add(
            PostFinding(
                post_id=html.id,
                type="person",
                span_start=start,
                span_end=start + len(FINDING_WORDS),
                component="phi.names.v2",
                rule="full_name_with_title",
                score=0.9,
                explanation="A person's full name after a job title",
            )
        )
        brand = Topic(
            organization_id=organization_id,
            name="Seed brand",
            name_key="seed brand",
            kind="brand",
            query='"Riverbend Health"',
        )
        rival = Topic(
            organization_id=organization_id,
            name="Seed competitor",
            name_key="seed competitor",
            kind="competitor",
            query='"Lakeside Medical"',
        )
        session.add_all([brand, rival])
        session.flush()
        for post in (complaint, html, copy):
            session.add(TopicMatch(topic_id=brand.id, post_id=post.id, post_created_at=post.created_at))
        session.add(
            TopicMatch(topic_id=rival.id, post_id=competitor.id, post_created_at=competitor.created_at)
        )
        rule = AlertRule(
            organization_id=organization_id,
            topic_id=brand.id,
            name="Seed rule",
            name_key="seed rule",
            intents=["complaint"],
            threshold=3,
            window_minutes=60,
            channels=[
                {
                    "type": "webhook",
                    "target": "https://hooks.slack.example/services/T000/SECRET",
                    "format": "slack",
                }
            ],
        )
        session.add(rule)
        session.flush()
        alert = Alert(
            organization_id=organization_id,
            rule_id=rule.id,
            topic_id=brand.id,
            kind="rule",
            score=3.0,
            reason="Rule 'Seed rule': 3 posts with intent complaint in the last 60 minutes (threshold 3).",
            created_at=now - timedelta(hours=1),
        )
        session.add(alert)
        source = ConnectorSource(
            organization_id=organization_id,
            name="Seed source",
            name_key="seed source",
            connector="file.import",
            options={"path": str(settings.data_dir / "no-such-export.jsonl")},
            credentials_encrypted=encrypt_secret(settings, {"bearer_token": SECRET_TOKEN}),
            cursor="{}",
            enabled=True,
            interval_seconds=300,
            health_status="auth_expired",
            health_detail="HTTP 401 from the platform: the token was refused",
        )
        session.add(source)
        bad_line = b'{"platform": "x", "id": "991", "text": "x", "author": "a", "created_at": "2024-13-45"}'
        payload = RawPayloadRecord(
            digest="seed-quarantine-991",
            platform="file",
            kind="file.jsonl_line",
            source="export.jsonl",
            meta={"line": "7"},
            body=bad_line,
            fetched_at=now,
            status="processed",
        )
        session.add(payload)
        session.flush()
        session.add(
            QuarantinedItem(
                raw_payload_id=payload.id,  # stored, so it can be retried (and still fails)
                platform="x",
                kind="file.jsonl_line",
                source="export.jsonl",
                remote_id="991",
                line=7,
                reason="invalid created_at '2024-13-45': not an ISO 8601 date",
            )
        )
    found = _existing(db)
    assert found is not None
    return found
