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
from rounds.connectors.fakes import FakeServer, Reply, Seen
from rounds.connectors.reddit.client import RedditConnector
from rounds.connectors.reddit.parse import KIND_LISTING, parse_listing
from rounds.domain.connectors import Cursor, HealthStatus, RawPayload
from rounds.domain.errors import ConfigurationError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "connectors" / "reddit"
LISTING = json.loads((FIXTURES / "subreddit_new_1.json").read_bytes())["body"]
THREAD = json.loads((FIXTURES / "submission_comments_1.json").read_bytes())["body"]
TOKEN = json.loads((FIXTURES / "access_token_response.json").read_bytes())
CREDENTIALS = {"client_id": "app-id", "client_secret": "app-secret"}


def _raw(body: Any) -> RawPayload:
    encoded = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawPayload(
        platform="reddit", kind=KIND_LISTING, body=encoded, fetched_at=datetime(2026, 1, 1, tzinfo=UTC)
    )


def _connector(server: FakeServer, http: httpx.Client, clock: FakeClock, **options: Any) -> RedditConnector:
    return RedditConnector(
        {"subreddit": "AskReddit", "api_url": server.url, "auth_url": server.url, **options},
        CREDENTIALS,
        http=http,
        clock=clock,
    )


def _token_route(server: FakeServer) -> None:
    server.add("POST", "/api/v1/access_token", Reply(200, {**TOKEN, "access_token": "tok-1"}))


def test_captured_listing_parses() -> None:
    result = parse_listing(_raw(LISTING))
    assert result.ok
    assert len(result.posts) == 100
    first = result.posts[0]
    assert first.remote_id == "t3_48fbm9"
    assert (
        first.text
        == "[Serious] Parents of Reddit, what's the biggest lie about yourself you've told your kids?"
    )
    assert first.title == first.text
    assert first.created_at == datetime.fromtimestamp(1456821458, UTC)
    assert first.author.handle == "RedHeadQc"
    assert (
        first.url
        == "https://www.reddit.com/r/AskReddit/comments/48fbm9/serious_parents_of_reddit_whats_the_biggest_lie/"
    )
    assert first.metrics["comments"] == 1


def test_captured_thread_parses_submission_and_nested_comments() -> None:
    result = parse_listing(_raw(THREAD))
    assert result.ok
    assert [(p.remote_id, p.parent_remote_id) for p in result.posts] == [
        ("t3_2gmzqe", None),
        ("t1_cklfmye", "t3_2gmzqe"),
        ("t1_cklhv0f", "t1_cklfmye"),
    ]
    submission = result.posts[0]
    assert submission.text.startswith("[PRAW] HTTPS enabled PRAW testing needed\n\nPRAW client developers,")
    assert "pip install git+git://github.com/praw-dev/praw.git@praw3" in submission.text
    assert all(p.thread_remote_id == "t3_2gmzqe" for p in result.posts)


def test_bad_things_are_failures_not_crashes() -> None:
    listing = copy.deepcopy(LISTING)
    children = listing["data"]["children"]
    children[0]["kind"] = "t5"
    del children[1]["data"]["created_utc"]
    del children[1]["data"]["created"]
    children[2]["data"]["created_utc"] = "yesterday"
    children[3] = {"kind": "more", "data": {"count": 3, "children": ["a"]}}
    children[4]["data"]["selftext"] = "<p>Hospital &amp; <b>clinic</b></p>"
    result = parse_listing(_raw(listing))
    assert [f.reason for f in result.failures] == [
        "unknown thing kind 't5'",
        "missing created_utc",
        "created_utc is not a unix timestamp",
    ]
    assert len(result.posts) == 96
    assert result.posts[0].text.endswith("Hospital & clinic")
    assert (
        parse_listing(_raw({"kind": "t3"})).failures[0].reason
        == "payload is neither a listing nor a list of listings"
    )
    assert parse_listing(_raw(b'[{"kind": "Listing", "da')).failures[0].reason.startswith("truncated JSON")


def test_options_are_validated_with_clear_messages(http: httpx.Client, clock: FakeClock) -> None:
    with pytest.raises(ConfigurationError, match="mode 'search' needs a query"):
        RedditConnector({"mode": "search"}, CREDENTIALS, http=http, clock=clock)
    with pytest.raises(ConfigurationError, match="missing credential 'client_secret'"):
        RedditConnector({"subreddit": "AskReddit"}, {"client_id": "x"}, http=http, clock=clock)


def test_fetch_uses_app_only_oauth_and_stops_at_the_watermark(
    server: FakeServer, http: httpx.Client, clock: FakeClock
) -> None:
    _token_route(server)
    older = copy.deepcopy(LISTING)
    for child in older["data"]["children"]:
        child["data"]["created_utc"] -= 10_000
    older["data"]["after"] = "t3_older"
    server.add(
        "GET",
        "/r/AskReddit/new",
        Reply(200, LISTING, {"X-Ratelimit-Remaining": "99", "X-Ratelimit-Reset": "300"}),
        Reply(200, older),
    )
    batch = _connector(server, http, clock).fetch(Cursor(values={"newest": "1456818242.0"}))
    assert batch.health.status is HealthStatus.OK
    assert len(batch.raw_payloads) == 1  # the first page already reached the watermark
    assert batch.next_cursor.values == {"newest": "1456821458.0"}
    token_request = server.seen("/api/v1/access_token")[0]
    assert token_request.body == b"grant_type=client_credentials"
    assert token_request.headers["authorization"].startswith("Basic ")
    listing_request = server.seen("/r/AskReddit/new")[0]
    assert listing_request.headers["authorization"] == "bearer tok-1"
    assert "rounds" in listing_request.headers["user-agent"]
    assert listing_request.param("raw_json") == "1"


def test_first_run_pages_with_after(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    _token_route(server)
    last = {"kind": "Listing", "data": {"after": None, "children": []}}
    server.add("GET", "/r/AskReddit/new", Reply(200, LISTING), Reply(200, last))
    batch = _connector(server, http, clock).fetch(Cursor())
    assert len(batch.raw_payloads) == 1
    assert [r.param("after") for r in server.seen("/r/AskReddit/new")] == [None, "t3_48f6io"]
    assert batch.next_cursor.values == {"newest": "1456821458.0"}


def test_expired_token_is_refreshed_once(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    tokens = iter(["tok-old", "tok-new"])
    server.handle(
        "POST", "/api/v1/access_token", lambda seen: Reply(200, {**TOKEN, "access_token": next(tokens)})
    )

    def listing(seen: Seen) -> Reply:
        if seen.headers["authorization"] == "bearer tok-old":
            return Reply(401, {"message": "Unauthorized", "error": 401})
        return Reply(
            200, {"kind": "Listing", "data": {"after": None, "children": LISTING["data"]["children"][:2]}}
        )

    server.handle("GET", "/r/AskReddit/new", listing)
    batch = _connector(server, http, clock).fetch(Cursor())
    assert batch.health.status is HealthStatus.OK
    assert len(server.seen("/api/v1/access_token")) == 2
    registry = default_registry()
    assert len(registry.parse(batch.raw_payloads[0]).posts) == 2


def test_refused_credentials_are_auth_expired(
    server: FakeServer, http: httpx.Client, clock: FakeClock
) -> None:
    server.add("POST", "/api/v1/access_token", Reply(401, {"message": "Unauthorized", "error": 401}))
    batch = _connector(server, http, clock).fetch(Cursor())
    assert batch.health.status is HealthStatus.AUTH_EXPIRED
    assert "app-secret" not in batch.health.detail


def test_429_with_long_reset_is_rate_limited(
    server: FakeServer, http: httpx.Client, clock: FakeClock
) -> None:
    _token_route(server)
    server.add(
        "GET", "/r/AskReddit/new", Reply(429, {"message": "Too Many Requests"}, {"X-Ratelimit-Reset": "420"})
    )
    batch = _connector(server, http, clock).fetch(Cursor(values={"newest": "5"}))
    assert batch.health.status is HealthStatus.RATE_LIMITED
    assert batch.health.retry_after == datetime(2026, 1, 1, 0, 7, tzinfo=UTC)
    assert batch.next_cursor.values == {"newest": "5"}


def test_short_429_is_waited_out_on_the_clock(
    server: FakeServer, http: httpx.Client, clock: FakeClock
) -> None:
    _token_route(server)
    last = {"kind": "Listing", "data": {"after": None, "children": LISTING["data"]["children"][:1]}}
    server.add("GET", "/r/AskReddit/new", Reply(429, {}, {"Retry-After": "5"}), Reply(200, last))
    batch = _connector(server, http, clock).fetch(Cursor())
    assert batch.health.status is HealthStatus.OK
    assert clock.sleeps == [5.0]


def test_thread_mode(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    _token_route(server)
    server.add("GET", "/comments/2gmzqe", Reply(200, THREAD))
    batch = _connector(server, http, clock, mode="thread", thread_id="2gmzqe", subreddit=None).fetch(Cursor())
    assert len(default_registry().parse(batch.raw_payloads[0]).posts) == 3
