from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx

from rounds.connectors import default_registry
from rounds.connectors.clock import FakeClock
from rounds.connectors.fakes import FakeServer, Reply, Seen
from rounds.connectors.rss.client import FeedConnector
from rounds.connectors.rss.parse import KIND_FEED, parse_feed
from rounds.domain.connectors import Cursor, HealthStatus, RawPayload

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "connectors" / "rss"
RSS = (FIXTURES / "newsroom_rss2.xml").read_bytes()
ATOM = (FIXTURES / "blog_atom.xml").read_bytes()
FETCHED = datetime(2026, 1, 1, tzinfo=UTC)


def _raw(body: bytes, url: str = "https://news.example-health.org/feed") -> RawPayload:
    return RawPayload(platform="rss", kind=KIND_FEED, body=body, fetched_at=FETCHED, meta={"feed_url": url})


def test_rss2_entries() -> None:
    result = parse_feed(_raw(RSS))
    first, second = result.posts
    assert first.remote_id == "example-health-2024-0501"
    assert first.text == "New maternity unit opens & welcomes first families\n\nThe unit has 24 rooms."
    assert first.title == "New maternity unit opens & welcomes first families"
    assert first.created_at == datetime(2024, 5, 1, 18, 0, tzinfo=UTC)
    assert first.media[0].url == "https://news.example-health.org/img/unit.jpg"
    assert first.media[0].kind == "image"
    assert second.remote_id == "https://news.example-health.org/2024/05/flu-clinic"  # no guid: the link
    assert second.created_at == FETCHED  # no date: the stored fetch time, so replays agree
    assert [f.reason for f in result.failures] == ["entry has neither title nor text"]


def test_atom_entry_resolves_relative_links() -> None:
    (post,) = parse_feed(_raw(ATOM, "https://blog.example-health.org/atom.xml")).posts
    assert post.url == "https://blog.example-health.org/posts/five-questions"
    assert post.text == "Five questions to ask before surgery\n\nAsk about recovery time."
    assert post.author.name == "Dr. Example"
    assert post.created_at == datetime(2024, 5, 2, 7, 0, tzinfo=UTC)
    assert post.language == "en"


def test_malformed_feeds() -> None:
    broken = parse_feed(_raw(b"<rss><channel><item><title>unclosed"))
    assert broken.failures[0].reason.startswith("malformed feed")
    assert parse_feed(_raw(b"hello, not a feed")).failures


def test_conditional_get_round_trip(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    def feed(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == '"v1"':
            return Reply(304)
        return Reply(
            200,
            RSS,
            {"ETag": '"v1"', "Last-Modified": "Wed, 01 May 2024 18:00:00 GMT"},
            content_type="application/rss+xml",
        )

    server.handle("GET", "/feed.xml", feed)
    connector = FeedConnector({"url": f"{server.url}/feed.xml"}, http=http, clock=clock)
    first = connector.fetch(Cursor())
    assert first.health.status is HealthStatus.OK
    assert first.next_cursor.values == {"etag": '"v1"', "modified": "Wed, 01 May 2024 18:00:00 GMT"}
    assert len(default_registry().parse(first.raw_payloads[0]).posts) == 2
    second = connector.fetch(first.next_cursor)
    assert second.raw_payloads == ()
    assert second.health.detail == "not modified since the last fetch"
    assert second.next_cursor == first.next_cursor
    request = server.seen("/feed.xml")[1]
    assert request.headers["if-modified-since"] == "Wed, 01 May 2024 18:00:00 GMT"


def test_timeouts_degrade_after_retries(server: FakeServer, clock: FakeClock) -> None:
    server.add("GET", "/slow.xml", Reply(200, RSS, delay=0.3))
    with httpx.Client(timeout=0.05) as impatient:
        batch = FeedConnector({"url": f"{server.url}/slow.xml"}, http=impatient, clock=clock).fetch(Cursor())
    assert batch.health.status is HealthStatus.DEGRADED
    assert batch.health.detail == "timeout calling /slow.xml"
    assert clock.sleeps == [1.0, 2.0]
    assert batch.health.retry_after is not None
