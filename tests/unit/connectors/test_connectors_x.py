from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx

from rounds.connectors import default_registry
from rounds.connectors.clock import FakeClock
from rounds.connectors.fakes import FakeServer, Reply
from rounds.connectors.x.client import XRecentSearchConnector
from rounds.connectors.x.parse import KIND_SEARCH, KIND_STREAM, parse_search, parse_stream_line
from rounds.domain.connectors import Cursor, HealthStatus, RawPayload

SEARCH = "/2/tweets/search/recent"
CAPTURED = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures/connectors/x/search_recent.json").read_bytes()
)


def _raw(body: object, kind: str = KIND_SEARCH) -> RawPayload:
    encoded = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawPayload(platform="x", kind=kind, body=encoded, fetched_at=datetime(2026, 1, 1, tzinfo=UTC))


def _connector(
    server: FakeServer, http: httpx.Client, clock: FakeClock, **options: object
) -> XRecentSearchConnector:
    return XRecentSearchConnector(
        {"query": '"St Mary\'s Hospital" -is:retweet', "base_url": server.url, **options},
        {"bearer_token": "secret-token"},
        http=http,
        clock=clock,
    )


def test_captured_search_payload_parses() -> None:
    result = parse_search(_raw(CAPTURED["body"]))
    assert result.ok
    assert [post.remote_id for post in result.posts] == ["1578516068309794817", "1578515564971970560"]
    first = result.posts[0]
    assert first.text == "2022-10-07 22:42:12.637103 tweepy"
    # created_at was not requested in the capture: it comes from the snowflake id, matching the text
    assert first.created_at.replace(microsecond=0) == datetime(2022, 10, 7, 22, 42, 12, tzinfo=UTC)
    assert first.url == "https://x.com/i/web/status/1578516068309794817"


def test_expanded_fields_authors_replies_and_entities() -> None:
    body = {
        "data": [
            {
                "id": "1800000000000000001",
                "text": "Long wait &amp; no parking at @StMarys",
                "created_at": "2024-06-01T10:00:00.000Z",
                "author_id": "42",
                "lang": "en",
                "conversation_id": "1799999999999999999",
                "referenced_tweets": [{"type": "replied_to", "id": "1799999999999999999"}],
                "public_metrics": {"retweet_count": 1, "reply_count": 2, "like_count": 3, "quote_count": 0},
                "attachments": {"media_keys": ["3_1"]},
            },
            {"id": "1800000000000000002", "text": "und language", "lang": "und", "author_id": "404"},
            {"id": "1800000000000000003"},
            {"text": "no id"},
            "not an object",
        ],
        "includes": {
            "users": [
                {"id": "42", "name": "Pat", "username": "pat", "public_metrics": {"followers_count": 10}}
            ],
            "media": [
                {"media_key": "3_1", "type": "photo", "url": "https://pbs.example/1.jpg", "alt_text": "hall"}
            ],
        },
        "meta": {"result_count": 5},
    }
    result = parse_search(_raw(body))
    first, second = result.posts
    assert first.text == "Long wait & no parking at @StMarys"
    assert first.author.handle == "pat"
    assert first.author.followers == 10
    assert first.url == "https://x.com/pat/status/1800000000000000001"
    assert first.parent_remote_id == first.thread_remote_id == "1799999999999999999"
    assert first.metrics == {"reposts": 1, "replies": 2, "likes": 3, "quotes": 0}
    assert first.media[0].kind == "image"
    assert first.media[0].alt_text == "hall"
    assert second.language is None
    assert second.author.remote_id == "404"
    assert [(f.line, f.reason) for f in result.failures] == [
        (2, "missing text"),
        (3, "missing id"),
        (4, "item must be an object, got str"),
    ]


def test_bad_payloads_and_stream_lines() -> None:
    assert parse_search(_raw(b'{"data": [{"id": "1", "te')).failures[0].reason.startswith("truncated JSON")
    assert parse_search(_raw({"data": {"id": "1"}})).failures[0].reason == "'data' must be an array, got dict"
    assert parse_search(_raw({"meta": {"result_count": 0}})).posts == ()
    line = {
        "data": {"id": "1800000000000000009", "text": "hi"},
        "matching_rules": [{"id": "1", "tag": "brand"}],
    }
    assert parse_stream_line(_raw(line, KIND_STREAM)).posts[0].remote_id == "1800000000000000009"
    assert parse_stream_line(_raw({"errors": [{"title": "x"}]}, KIND_STREAM)).skipped


def test_fetch_pages_then_resumes_with_since_id(
    server: FakeServer, http: httpx.Client, clock: FakeClock
) -> None:
    page_two = {
        "data": [
            {"id": "1578511538419212288", "text": "older", "edit_history_tweet_ids": ["1578511538419212288"]}
        ],
        "meta": {"newest_id": "1578511538419212288", "oldest_id": "1578511538419212288", "result_count": 1},
    }
    server.add("GET", SEARCH, Reply(200, CAPTURED["body"], CAPTURED["headers"]), Reply(200, page_two))
    connector = _connector(server, http, clock)
    batch = connector.fetch(Cursor())
    assert batch.health.status is HealthStatus.OK
    assert len(batch.raw_payloads) == 2
    assert batch.next_cursor.values == {"since_id": "1578516068309794817"}
    first, second = server.seen(SEARCH)
    assert first.headers["authorization"] == "Bearer secret-token"
    assert first.param("query") == '"St Mary\'s Hospital" -is:retweet'
    assert "created_at" in (first.param("tweet.fields") or "")
    assert first.param("since_id") is None
    assert second.param("next_token") == CAPTURED["body"]["meta"]["next_token"]
    registry = default_registry()
    ids = [post.remote_id for raw in batch.raw_payloads for post in registry.parse(raw).posts]
    assert ids == ["1578516068309794817", "1578515564971970560", "1578511538419212288"]

    server.add("GET", SEARCH, Reply(200, {"meta": {"result_count": 0}}))
    server.routes[("GET", SEARCH)].popleft()  # type: ignore[union-attr]
    again = connector.fetch(batch.next_cursor)
    assert again.raw_payloads == ()
    assert server.requests[-1].param("since_id") == "1578516068309794817"
    assert again.next_cursor == batch.next_cursor


def test_interrupted_pass_keeps_next_token_and_pending_newest(
    server: FakeServer, http: httpx.Client, clock: FakeClock
) -> None:
    server.add("GET", SEARCH, Reply(200, CAPTURED["body"]), Reply(503, {"title": "Service Unavailable"}))
    batch = _connector(server, http, clock).fetch(Cursor(values={"since_id": "1"}))
    assert batch.health.status is HealthStatus.DEGRADED
    assert len(batch.raw_payloads) == 1  # the completed page is handed over
    assert batch.next_cursor.values == {
        "since_id": "1",
        "next_token": CAPTURED["body"]["meta"]["next_token"],
        "pending_newest": "1578516068309794817",
    }
    assert clock.sleeps == [1.0, 2.0]  # exponential backoff on the injected clock, no real sleeping


def test_exhausted_window_stops_paging(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    reset = int(clock.now().timestamp()) + 900
    headers = {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}
    server.add("GET", SEARCH, Reply(200, CAPTURED["body"], headers))
    batch = _connector(server, http, clock).fetch(Cursor())
    assert len(server.requests) == 1
    assert batch.health.status is HealthStatus.RATE_LIMITED
    assert batch.health.retry_after == datetime.fromtimestamp(reset, UTC)
    assert len(batch.raw_payloads) == 1


def test_401_is_auth_expired_and_token_never_in_detail(
    server: FakeServer, http: httpx.Client, clock: FakeClock
) -> None:
    server.add("GET", SEARCH, Reply(401, {"title": "Unauthorized", "type": "about:blank", "status": 401}))
    batch = _connector(server, http, clock).fetch(Cursor())
    assert batch.health.status is HealthStatus.AUTH_EXPIRED
    assert "secret-token" not in batch.health.detail
    assert batch.next_cursor == Cursor()
