from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from rounds.connectors import default_registry
from rounds.connectors.clock import FakeClock
from rounds.connectors.fakes import FakeServer, Reply
from rounds.connectors.mastodon.client import MastodonConnector, MastodonStreamConnector
from rounds.connectors.mastodon.parse import (
    KIND_SEARCH,
    KIND_SSE,
    KIND_STATUSES,
    KIND_WS,
    parse_search,
    parse_sse_event,
    parse_statuses,
    parse_ws_message,
)
from rounds.domain.connectors import Cursor, HealthStatus, RawPayload

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "connectors" / "mastodon"
STATUS = json.loads((FIXTURES / "status_entity_example.json").read_bytes())
SSE = (FIXTURES / "streaming_sse_update_event.txt").read_bytes()
WS = (FIXTURES / "streaming_websocket_update_event.json").read_bytes()


def _raw(body: Any, kind: str) -> RawPayload:
    encoded = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawPayload(
        platform="mastodon", kind=kind, body=encoded, fetched_at=datetime(2026, 1, 1, tzinfo=UTC)
    )


def _status(local_id: str, **changes: Any) -> dict[str, Any]:
    item = copy.deepcopy(STATUS)
    item.update(id=local_id, uri=f"https://mastodon.social/users/Gargron/statuses/{local_id}", **changes)
    return item


def test_captured_status_entity_parses() -> None:
    result = parse_statuses(_raw([STATUS], KIND_STATUSES))
    assert result.ok
    (post,) = result.posts
    assert post.remote_id == "https://mastodon.social/users/Gargron/statuses/103270115826048975"
    assert post.text == (
        '"I lost my inheritance with one wrong digit on my sort code"\n\n'
        "https://www.theguardian.com/money/2019/dec/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code"
    )
    assert post.created_at == datetime(2019, 12, 8, 3, 48, 33, 901000, tzinfo=UTC)
    assert post.author.handle == "Gargron"
    assert post.author.followers == 322930
    assert post.author.description is not None
    assert "<p>" not in post.author.description
    assert post.metrics == {"replies": 5, "reposts": 6, "likes": 11, "quotes": 2}
    assert post.language == "en"
    assert post.url == "https://mastodon.social/@Gargron/103270115826048975"


def test_captured_streaming_events_parse() -> None:
    sse = parse_sse_event(_raw(SSE, KIND_SSE))
    assert sse.ok
    assert sse.posts[0].text == "@disarray glad i was able to help"
    assert sse.posts[0].language is None
    ws = parse_ws_message(_raw(WS, KIND_WS))
    assert ws.ok
    assert ws.posts[0].text.startswith("And now I can't exit the inner nvim")
    assert ws.posts[0].author.handle == "tobtobxx@fosstodon.org"


@pytest.mark.parametrize(
    ("body", "outcome"),
    [
        (b"event: delete\ndata: 108914398911648589", "skipped"),
        (b":thump", "skipped"),
        (b"event: frobnicate\ndata: {}", "unknown event type frobnicate"),
        (b'event: update\ndata: {"id": "1", "cont', "update event data is not valid JSON"),
        (b"data: {}", "event has no type"),
    ],
)
def test_sse_edge_cases(body: bytes, outcome: str) -> None:
    result = parse_sse_event(_raw(body, KIND_SSE))
    if outcome == "skipped":
        assert result.skipped
        assert result.ok
    else:
        assert result.failures[0].reason.startswith(outcome)


def test_ws_unknown_event_and_delete() -> None:
    assert (
        parse_ws_message(_raw({"stream": ["public"], "event": "mystery", "payload": "{}"}, KIND_WS))
        .failures[0]
        .reason
        == "unknown event type mystery"
    )
    assert parse_ws_message(
        _raw({"stream": ["public"], "event": "delete", "payload": "123"}, KIND_WS)
    ).skipped


def test_boosts_missing_fields_and_big_html() -> None:
    boost = _status("2", content="", reblog=_status("1"))
    no_date = _status("3")
    del no_date["created_at"]
    bad_zone = _status("4", created_at="2019-12-08T03:48:33")
    big = _status("5", content="<p>" + "word " * 20_000 + "</p><script>alert(1)</script>")
    result = parse_statuses(_raw([boost, no_date, bad_zone, big, {"id": "6"}], KIND_STATUSES))
    assert [p.remote_id.rsplit("/", 1)[-1] for p in result.posts] == ["1", "5"]
    assert len(result.posts[1].text) == 99_999
    assert "alert" not in result.posts[1].text
    assert [(f.line, f.reason) for f in result.failures] == [
        (1, "missing created_at"),
        (2, "created_at has no time zone (expected Z or an offset such as +00:00)"),
        (4, "missing uri"),
    ]
    assert parse_statuses(_raw({"error": "x"}, KIND_STATUSES)).failures[0].reason == (
        "payload must be an array of statuses, got dict"
    )


def _connector(server: FakeServer, http: httpx.Client, clock: FakeClock, **options: Any) -> MastodonConnector:
    return MastodonConnector(
        {"instance_url": server.url, "hashtag": "#hospital", "limit": 2, **options},
        {"access_token": "mast-token"},
        http=http,
        clock=clock,
    )


def test_hashtag_polling_walks_forward_from_min_id(
    server: FakeServer, http: httpx.Client, clock: FakeClock
) -> None:
    path = "/api/v1/timelines/tag/hospital"
    server.add(
        "GET",
        path,
        Reply(200, [_status("110"), _status("109")]),
        Reply(200, [_status("111")]),
    )
    batch = _connector(server, http, clock).fetch(Cursor(values={"min_id": "99"}))
    assert batch.health.status is HealthStatus.OK
    assert batch.next_cursor.values == {"min_id": "111"}
    assert [r.param("min_id") for r in server.seen(path)] == ["99", "110"]
    assert server.seen(path)[0].headers["authorization"] == "Bearer mast-token"
    registry = default_registry()
    ids = [p.remote_id.rsplit("/", 1)[-1] for raw in batch.raw_payloads for p in registry.parse(raw).posts]
    assert ids == ["110", "109", "111"]


def test_first_run_reads_one_page(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    server.add("GET", "/api/v1/timelines/public", Reply(200, [_status("50"), _status("49")]))
    batch = _connector(server, http, clock, source="public", hashtag=None).fetch(Cursor())
    assert len(server.requests) == 1
    assert batch.next_cursor.values == {"min_id": "50"}


def test_search_needs_a_token_and_parses(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    options = {"instance_url": server.url, "source": "search", "query": "st marys hospital"}
    no_token = MastodonConnector(options, http=http, clock=clock).fetch(Cursor())
    assert no_token.health.status is HealthStatus.AUTH_EXPIRED
    server.add(
        "GET", "/api/v2/search", Reply(200, {"accounts": [], "statuses": [_status("7")], "hashtags": []})
    )
    batch = MastodonConnector(options, {"access_token": "t"}, http=http, clock=clock).fetch(Cursor())
    assert server.seen("/api/v2/search")[0].param("type") == "statuses"
    assert batch.raw_payloads[0].kind == KIND_SEARCH
    assert len(parse_search(batch.raw_payloads[0]).posts) == 1


def test_unknown_hashtag_and_server_errors(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    server.add("GET", "/api/v1/timelines/tag/hospital", Reply(404, {"error": "Record not found"}))
    batch = _connector(server, http, clock).fetch(Cursor())
    assert batch.health.status is HealthStatus.ERROR
    assert batch.health.detail == "this hashtag is not known on the instance (HTTP 404)"
    server.routes.clear()
    server.add("GET", "/api/v1/timelines/tag/hospital", Reply(502, "bad gateway"))
    degraded = _connector(server, http, clock).fetch(Cursor(values={"min_id": "5"}))
    assert degraded.health.status is HealthStatus.DEGRADED
    assert degraded.next_cursor.values == {"min_id": "5"}
    assert len(clock.sleeps) == 2


def test_mastodon_rate_limit_reset_is_an_iso_time(
    server: FakeServer, http: httpx.Client, clock: FakeClock
) -> None:
    headers = {
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "2026-01-01T00:05:00.000Z",
    }
    server.add("GET", "/api/v1/timelines/tag/hospital", Reply(200, [_status("3"), _status("2")], headers))
    batch = _connector(server, http, clock).fetch(Cursor(values={"min_id": "1"}))
    assert batch.health.status is HealthStatus.RATE_LIMITED
    assert batch.health.retry_after == datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
    assert batch.next_cursor.values == {"min_id": "3"}


def test_sse_stream_window(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    stream = b":)\n\n" + SSE.rstrip(b"\n") + b"\n\nevent: delete\ndata: 1\n\n:thump\n\n"
    server.add("GET", "/api/v1/streaming/hashtag", Reply(200, stream, content_type="text/event-stream"))
    connector = MastodonStreamConnector(
        {"instance_url": server.url, "hashtag": "hospital"}, {"access_token": "t"}, http=http, clock=clock
    )
    batch = connector.fetch(Cursor())
    assert server.seen("/api/v1/streaming/hashtag")[0].param("tag") == "hospital"
    assert [raw.kind for raw in batch.raw_payloads] == [KIND_SSE, KIND_SSE]
    registry = default_registry()
    results = [registry.parse(raw) for raw in batch.raw_payloads]
    assert results[0].posts[0].text == "@disarray glad i was able to help"
    assert results[1].skipped == ("delete event",)


def test_sse_stream_refused(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    server.add(
        "GET", "/api/v1/streaming/public", Reply(401, {"error": "This method requires an authenticated user"})
    )
    connector = MastodonStreamConnector(
        {"instance_url": server.url, "stream": "public"}, http=http, clock=clock
    )
    assert connector.fetch(Cursor()).health.status is HealthStatus.AUTH_EXPIRED
