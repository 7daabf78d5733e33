from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from rounds.db import Database
from rounds.db.listening import Alert, AlertNotification
from rounds.domain.errors import Forbidden
from rounds.domain.roles import Role
from rounds.domain.topics import TopicQueryError
from rounds.services.context import Actor
from rounds.services.listening_alerts import Channel, RuleInput, deliver_notifications, do_create_rule
from rounds.services.listening_ingest import Ingestor, import_file
from rounds.services.listening_search import SearchFilters, access_post, search_posts
from rounds.services.listening_topics import do_create_topic, list_topics, try_query

from .conftest import ORIGIN, line, write_jsonl


def _now_iso(minutes_ago: int = 0) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


@pytest.fixture
def stored(db: Database, admin: Actor, ingestor: Ingestor, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "s.jsonl",
        [
            line(1, "Six hour wait at #MercyER again, the triage nurse was rude", created_at=_now_iso(5)),
            line(
                2, "Great news: Mercy opens a new pediatric wing", platform="mastodon", created_at=_now_iso(4)
            ),
            line(3, "Parking at St. Luke's is impossible, waited forever", created_at=_now_iso(3)),
            line(
                4, "RT @a: Six hour wait at #MercyER again, the triage nurse was rude", created_at=_now_iso(2)
            ),
        ],
    )
    import_file(db, admin, path, origin=ORIGIN, ingestor=ingestor)


def test_full_text_search_with_filters(db: Database, admin: Actor, stored: None) -> None:
    result = search_posts(db, admin, SearchFilters(text="triage NURSE"))
    assert [post.remote_id for post in result.posts] == ["1"]  # the retweet is folded into its group
    with_copies = search_posts(db, admin, SearchFilters(text="triage", include_duplicates=True))
    assert {post.remote_id for post in with_copies.posts} == {"1", "4"}
    assert search_posts(db, admin, SearchFilters(text="pediatric", platform="x")).total == 0
    assert search_posts(db, admin, SearchFilters(text="pediatric", platform="mastodon")).total == 1
    negative = search_posts(db, admin, SearchFilters(sentiment="negative"))
    assert {post.remote_id for post in negative.posts} == {"1", "3"}
    assert search_posts(db, admin, SearchFilters(intent="complaint")).total == 1
    assert search_posts(db, admin, SearchFilters(text='"); DROP TABLE posts; --')).total == 0
    detail = access_post(db, admin, result.posts[0].id)
    assert detail.enrichment["components"] == {"sentiment": "test1", "intent": "test1"}
    assert detail.duplicates == 1


def test_topics_validate_match_new_posts_and_backfill(
    db: Database, admin: Actor, ingestor: Ingestor, stored: None, tmp_path: Path
) -> None:
    with pytest.raises(TopicQueryError) as error:
        do_create_topic(db, admin, name="Broken", kind="brand", query="mercy AND (er OR", origin=ORIGIN)
    assert "position" in error.value.message
    topic = do_create_topic(
        db,
        admin,
        name="Mercy ER",
        kind="brand",
        query="#mercyer OR (mercy AND wait*) NOT platform:mastodon",
        origin=ORIGIN,
    )
    assert topic.matches == 2  # backfilled: post 1 and its retweet
    assert try_query(db, admin, 'parking AND "st luke\'s"').matched == 1
    fresh = Ingestor(db, admin.organization_id, enricher=ingestor.enricher, screen=ingestor.screen)
    path = write_jsonl(tmp_path / "n.jsonl", [line(9, "Waiting room at Mercy is packed tonight")])
    import_file(db, admin, path, origin=ORIGIN, ingestor=fresh)
    assert [view.matches for view in list_topics(db, admin)] == [3]
    viewer = Actor(
        user_id=None,
        organization_id=admin.organization_id,
        username="v",
        display_name="V",
        role=Role.EXECUTIVE_VIEWER,
    )
    with pytest.raises(Forbidden):
        do_create_topic(db, viewer, name="Nope", kind="brand", query="x", origin=ORIGIN)


def test_emergency_post_alerts_at_once_and_rules_notify_webhooks(
    db: Database, admin: Actor, ingestor: Ingestor, tmp_path: Path
) -> None:
    do_create_rule(
        db,
        admin,
        RuleInput(
            name="Complaints surge",
            intents=["complaint"],
            threshold=2,
            window_minutes=60,
            channels=[Channel(type="webhook", target="https://hooks.example/teams", format="teams")],
        ),
        origin=ORIGIN,
    )
    fresh = Ingestor(db, admin.organization_id, enricher=ingestor.enricher, screen=ingestor.screen)
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            line(31, "The front desk was rude to my mother today", created_at=_now_iso(10)),
            line(32, "i just want to end it all tonight", created_at=_now_iso(9)),
            line(33, "So rude on the phone, never again", created_at=_now_iso(8)),
        ],
    )
    import_file(db, admin, path, origin=ORIGIN, ingestor=fresh)
    with db.session() as session:
        alerts = session.execute(sa.select(Alert).order_by(Alert.id)).scalars().all()
        kinds = [(alert.kind, alert.score) for alert in alerts]
        reasons = " ".join(alert.reason for alert in alerts)
    assert kinds == [("emergency", 0.9), ("rule", 2.0)]
    assert "end it all" not in reasons and "rude" not in reasons  # no post text in alerts

    sent: list[tuple[str, dict[str, object]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        import json

        sent.append((str(request.url), json.loads(request.content)))
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        report = deliver_notifications(db, http=http, send_email=None, base_url="https://rounds.example")
    assert report.sent == 1 and report.failed == 0
    assert sent[0][0] == "https://hooks.example/teams"
    assert sent[0][1]["@type"] == "MessageCard"
    with db.session() as session:
        statuses = session.execute(sa.select(AlertNotification.channel, AlertNotification.status)).all()
    assert sorted(statuses) == [("in_app", "sent"), ("in_app", "sent"), ("webhook:teams", "sent")]
