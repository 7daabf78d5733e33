from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

import httpx
import pytest
from pydantic import BaseModel

from rounds.connectors import default_registry, run_once
from rounds.connectors.base import BaseConnector, ParseFunction, Progress
from rounds.connectors.clock import FakeClock
from rounds.connectors.fakes import FakeServer, Reply
from rounds.domain.connectors import Cursor, Health, HealthStatus, RawPayload
from rounds.domain.errors import ConfigurationError


def test_registry_snapshot() -> None:
    assert default_registry().snapshot() == {
        "bluesky.jetstream": {
            "platform": "bluesky",
            "kinds": ["bluesky.jetstream_event", "bluesky.search_posts"],
            "credentials": [],
        },
        "bluesky.search": {
            "platform": "bluesky",
            "kinds": ["bluesky.jetstream_event", "bluesky.search_posts"],
            "credentials": ["identifier", "app_password"],
        },
        "facebook.page": {
            "platform": "facebook",
            "kinds": ["facebook.comments", "facebook.feed"],
            "credentials": ["page_access_token"],
        },
        "file.import": {"platform": "file", "kinds": ["file.csv_row", "file.jsonl_line"], "credentials": []},
        "instagram.business": {
            "platform": "instagram",
            "kinds": ["instagram.comments", "instagram.media"],
            "credentials": ["access_token"],
        },
        "mastodon.stream": {
            "platform": "mastodon",
            "kinds": ["mastodon.search", "mastodon.sse_event", "mastodon.statuses", "mastodon.ws_message"],
            "credentials": [],
        },
        "mastodon.timeline": {
            "platform": "mastodon",
            "kinds": ["mastodon.search", "mastodon.sse_event", "mastodon.statuses", "mastodon.ws_message"],
            "credentials": [],
        },
        "reddit.listing": {
            "platform": "reddit",
            "kinds": ["reddit.listing"],
            "credentials": ["client_id", "client_secret"],
        },
        "rss.feed": {"platform": "rss", "kinds": ["rss.feed"], "credentials": []},
        "x.recent_search": {
            "platform": "x",
            "kinds": ["x.search_recent", "x.stream_line"],
            "credentials": ["bearer_token"],
        },
        "youtube.comments": {
            "platform": "youtube",
            "kinds": ["youtube.comment_threads"],
            "credentials": ["api_key"],
        },
    }


def test_unknown_names_and_kinds(http: httpx.Client, clock: FakeClock) -> None:
    registry = default_registry()
    with pytest.raises(ConfigurationError, match="unknown connector 'myspace'"):
        registry.create("myspace", {}, http=http, clock=clock)
    raw = RawPayload(platform="x", kind="x.unknown", body=b"{}", fetched_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert registry.parse(raw).failures[0].reason == "no parser for payload kind 'x.unknown'"


class _NoOptions(BaseModel):
    pass


class _Exploding(BaseConnector):
    name: ClassVar[str] = "test.exploding"
    platform: ClassVar[str] = "other"
    parsers: ClassVar[dict[str, ParseFunction]] = {}
    Options = _NoOptions

    def _fetch(self, progress: Progress) -> Health:
        raise RuntimeError("bug")


def test_one_failing_connector_never_stops_the_others(
    server: FakeServer, http: httpx.Client, clock: FakeClock
) -> None:
    registry = default_registry()
    server.add("GET", "/feed.xml", Reply(200, b"<rss><channel><title>t</title></channel></rss>"))
    server.add("GET", "/2/tweets/search/recent", Reply(500, {"title": "boom"}))
    x = registry.create(
        "x.recent_search",
        {"query": "q", "base_url": server.url},
        {"bearer_token": "t"},
        http=http,
        clock=clock,
    )
    feed = registry.create("rss.feed", {"url": f"{server.url}/feed.xml"}, http=http, clock=clock)
    exploding = _Exploding({}, http=http, clock=clock)
    batches = run_once([(x, Cursor()), (exploding, Cursor()), (feed, Cursor())], clock)
    assert [b.health.status for b in batches] == [HealthStatus.DEGRADED, HealthStatus.ERROR, HealthStatus.OK]
    assert batches[1].health.detail == "connector failed unexpectedly: RuntimeError"
    assert len(batches[2].raw_payloads) == 1
