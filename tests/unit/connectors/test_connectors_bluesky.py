from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from rounds.connectors import default_registry
from rounds.connectors.bluesky.client import BlueskyJetstreamConnector, BlueskySearchConnector
from rounds.connectors.bluesky.parse import KIND_JETSTREAM, KIND_SEARCH, parse_jetstream_event, parse_search
from rounds.connectors.clock import FakeClock
from rounds.connectors.fakes import FakeServer, FakeWebSocketServer, Reply, Seen
from rounds.domain.connectors import Cursor, HealthStatus, RawPayload

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "connectors" / "bluesky"
EVENTS = (FIXTURES / "jetstream_v1_events.jsonl").read_text().splitlines()
SEARCH = json.loads((FIXTURES / "search_posts.json").read_bytes())


def _raw(body: Any, kind: str = KIND_JETSTREAM) -> RawPayload:
    encoded = (
        body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
    )
    return RawPayload(
        platform="bluesky", kind=kind, body=encoded, fetched_at=datetime(2026, 1, 1, tzinfo=UTC)
    )


def test_jetstream_v1_events() -> None:
    create, delete, identity, account, like, unknown = (parse_jetstream_event(_raw(line)) for line in EVENTS)
    (post,) = create.posts
    assert post.remote_id == "at://did:plc:eygmaihciaxprqvxpfvl6flk/app.bsky.feed.post/3ldzvs3c2ms2q"
    assert post.text == "Shout-out to the ER nurses working tonight"
    assert post.created_at == datetime(2024, 12, 24, 2, 34, 57, 198000, tzinfo=UTC)
    assert post.language == "en"
    assert post.parent_remote_id == "at://did:plc:parent/app.bsky.feed.post/3ldparent"
    assert post.thread_remote_id == "at://did:plc:root/app.bsky.feed.post/3ldroot"
    assert post.media[0].alt_text == "hallway"
    assert post.url == "https://bsky.app/profile/did:plc:eygmaihciaxprqvxpfvl6flk/post/3ldzvs3c2ms2q"
    assert delete.deleted_remote_ids == (
        "at://did:plc:eygmaihciaxprqvxpfvl6flk/app.bsky.feed.post/3ldzoldpost",
    )
    assert identity.skipped == ("identity event",)
    assert account.skipped == ("account event",)
    assert like.skipped == ("app.bsky.feed.like commit",)
    assert unknown.failures[0].reason == "unknown event type telepathy"


def test_jetstream_v2_envelope_and_errors() -> None:
    commit = {
        "$type": "message",
        "payload": {
            "$type": "network.bsky.jetstream.subscribeEvents#commit",
            "seq": 12,
            "time": "2025-01-01T00:00:00.000001Z",
            "did": "did:plc:abc",
            "collection": "app.bsky.feed.post",
            "operation": "create",
            "rkey": "3k1",
            "record": {"$type": "app.bsky.feed.post", "text": "hello", "createdAt": "2025-01-01T00:00:00Z"},
        },
    }
    assert parse_jetstream_event(_raw(commit)).posts[0].remote_id == "at://did:plc:abc/app.bsky.feed.post/3k1"
    info = {
        "$type": "message",
        "payload": {"$type": "network.bsky.jetstream.subscribeEvents#info", "name": "OutdatedCursor"},
    }
    assert parse_jetstream_event(_raw(info)).skipped
    error = {"$type": "error", "error": "ConsumerTooSlow", "message": "slow down"}
    assert (
        parse_jetstream_event(_raw(error)).failures[0].reason == "jetstream error ConsumerTooSlow: slow down"
    )


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"$type": "app.bsky.feed.post", "createdAt": "2024-12-24T02:34:57Z"}, "missing text"),
        ({"$type": "app.bsky.feed.post", "text": "x"}, "missing createdAt"),
        (
            {"$type": "app.bsky.feed.post", "text": "x", "createdAt": "2024-12-24 02:34"},
            "createdAt has no time zone",
        ),
        (
            {"$type": "app.bsky.feed.post", "text": 5, "createdAt": "2024-12-24T02:34:57Z"},
            "text must be a string",
        ),
    ],
)
def test_jetstream_bad_records(record: dict[str, Any], reason: str) -> None:
    event = json.loads(EVENTS[0])
    event["commit"]["record"] = record
    assert parse_jetstream_event(_raw(event)).failures[0].reason.startswith(reason)


def test_search_posts_payload() -> None:
    result = parse_search(_raw(SEARCH, KIND_SEARCH))
    first, second = result.posts
    assert first.author.handle == "nurse.example.social"
    assert first.author.name == "A Nurse"
    assert first.url == "https://bsky.app/profile/nurse.example.social/post/3kexample1"
    assert first.metrics == {"replies": 1, "reposts": 2, "likes": 3, "quotes": 0}
    assert first.media[0].url == "https://news.example/er"
    assert second.language is None


@pytest.fixture
def jetstream() -> Iterator[FakeWebSocketServer]:
    fake = FakeWebSocketServer(EVENTS).start()
    yield fake
    fake.stop()


def test_jetstream_consumer_with_server_side_filters(
    jetstream: FakeWebSocketServer, http: httpx.Client
) -> None:
    clock = FakeClock()
    connector = BlueskyJetstreamConnector(
        {"endpoint": jetstream.url, "wanted_dids": ["did:plc:eygmaihciaxprqvxpfvl6flk"], "max_seconds": 5},
        http=http,
        clock=clock,
    )
    batch = connector.fetch(Cursor(values={"time_us": "1735007000000000"}))
    assert batch.health.status is HealthStatus.OK
    assert len(batch.raw_payloads) == 6
    assert batch.next_cursor.values == {"time_us": "1735007698012400"}
    query = parse_qs(urlsplit(jetstream.paths[0]).query)
    assert urlsplit(jetstream.paths[0]).path == "/subscribe"
    assert query["wantedCollections"] == ["app.bsky.feed.post"]
    assert query["wantedDids"] == ["did:plc:eygmaihciaxprqvxpfvl6flk"]
    assert query["cursor"] == ["1735006995000000"]  # rewound 5 s for gapless resumption
    registry = default_registry()
    results = [registry.parse(raw) for raw in batch.raw_payloads]
    assert sum(len(r.posts) for r in results) == 1
    assert sum(len(r.failures) for r in results) == 1


def test_jetstream_max_events(jetstream: FakeWebSocketServer, http: httpx.Client) -> None:
    batch = BlueskyJetstreamConnector(
        {"endpoint": jetstream.url, "max_events": 2}, http=http, clock=FakeClock()
    ).fetch(Cursor())
    assert len(batch.raw_payloads) == 2
    assert batch.next_cursor.values == {"time_us": "1735007698011999"}
    assert "cursor" not in parse_qs(urlsplit(jetstream.paths[0]).query)


def test_jetstream_unreachable_is_degraded(http: httpx.Client) -> None:
    batch = BlueskyJetstreamConnector({"endpoint": "ws://127.0.0.1:9"}, http=http, clock=FakeClock()).fetch(
        Cursor(values={"time_us": "5"})
    )
    assert batch.health.status is HealthStatus.DEGRADED
    assert batch.next_cursor.values == {"time_us": "5"}


def test_search_with_session_and_paging(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    server.add(
        "POST",
        "/xrpc/com.atproto.server.createSession",
        Reply(200, {"accessJwt": "jwt-1", "refreshJwt": "r", "did": "did:plc:me", "handle": "me.example"}),
    )

    def search(seen: Seen) -> Reply:
        if seen.param("cursor") == "page-2":
            return Reply(200, {"posts": []})
        return Reply(200, SEARCH)

    server.handle("GET", "/xrpc/app.bsky.feed.searchPosts", search)
    connector = BlueskySearchConnector(
        {"query": "St Example's", "service_url": server.url},
        {"identifier": "me.example", "app_password": "app-pass"},
        http=http,
        clock=clock,
    )
    batch = connector.fetch(Cursor(values={"since": "2024-05-01T00:00:00Z"}))
    assert batch.health.status is HealthStatus.OK
    session = json.loads(server.seen("/xrpc/com.atproto.server.createSession")[0].body)
    assert session == {"identifier": "me.example", "password": "app-pass"}
    first, second = server.seen("/xrpc/app.bsky.feed.searchPosts")
    assert first.headers["authorization"] == "Bearer jwt-1"
    assert first.param("sort") == "latest"
    assert first.param("since") == "2024-05-01T00:00:00Z"
    assert second.param("cursor") == "page-2"
    assert batch.next_cursor.values == {"since": "2024-06-01T12:00:00Z"}
    assert [raw.kind for raw in batch.raw_payloads] == [KIND_SEARCH]


def test_search_bad_app_password(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    server.add(
        "POST",
        "/xrpc/com.atproto.server.createSession",
        Reply(401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}),
    )
    batch = BlueskySearchConnector(
        {"query": "x", "service_url": server.url},
        {"identifier": "me", "app_password": "wrong"},
        http=http,
        clock=clock,
    ).fetch(Cursor())
    assert batch.health.status is HealthStatus.AUTH_EXPIRED
    assert "wrong" not in batch.health.detail
