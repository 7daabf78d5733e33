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
from rounds.connectors.youtube.client import YouTubeCommentsConnector
from rounds.connectors.youtube.parse import KIND_THREADS, parse_threads
from rounds.domain.connectors import Cursor, HealthStatus, RawPayload
from rounds.domain.errors import ConfigurationError

CAPTURED = json.loads(
    (
        Path(__file__).resolve().parents[2] / "fixtures/connectors/youtube/commentThreads_list_by_video.json"
    ).read_bytes()
)
PATH = "/youtube/v3/commentThreads"


def _raw(body: Any) -> RawPayload:
    return RawPayload(
        platform="youtube",
        kind=KIND_THREADS,
        body=json.dumps(body).encode(),
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_captured_comment_threads_parse() -> None:
    result = parse_threads(_raw(CAPTURED))
    assert result.ok
    assert len(result.posts) == 5
    first = result.posts[0]
    assert first.remote_id == "UgyZ1jqkHKYvi1-ruOZ4AaABAg"
    assert first.text == "Google.com"  # textOriginal, not the HTML textDisplay
    assert first.author.name == "himani agarwal"
    assert first.author.remote_id == "UCzj-CjKYmGlZ7vTL-vOe57A"
    assert first.created_at == datetime(2019, 11, 26, 15, 51, 44, tzinfo=UTC)
    assert first.url == "https://www.youtube.com/watch?v=F1UP7wRCPH8&lc=UgyZ1jqkHKYvi1-ruOZ4AaABAg"
    assert first.parent_remote_id is None
    assert first.metrics == {"likes": 0, "replies": 0}


def test_replies_html_display_and_broken_threads() -> None:
    body = copy.deepcopy(CAPTURED)
    top = body["items"][0]["snippet"]["topLevelComment"]
    reply = copy.deepcopy(top)
    reply["id"] = "reply-1"
    del reply["snippet"]["textOriginal"]
    reply["snippet"]["textDisplay"] = "Thanks <b>nurse</b> &amp; team"
    reply["snippet"]["parentId"] = body["items"][0]["id"]
    body["items"][0]["replies"] = {"comments": [reply]}
    del body["items"][1]["snippet"]["topLevelComment"]["snippet"]["publishedAt"]
    body["items"][2]["snippet"] = {}
    result = parse_threads(_raw(body))
    assert [p.remote_id for p in result.posts][:2] == ["UgyZ1jqkHKYvi1-ruOZ4AaABAg", "reply-1"]
    assert result.posts[1].text == "Thanks nurse & team"
    assert result.posts[1].parent_remote_id == "UgyZ1jqkHKYvi1-ruOZ4AaABAg"
    assert [(f.line, f.reason) for f in result.failures] == [
        (1, "missing publishedAt"),
        (2, "thread without topLevelComment"),
    ]


def _connector(server: FakeServer, http: httpx.Client, clock: FakeClock) -> YouTubeCommentsConnector:
    return YouTubeCommentsConnector(
        {"video_id": "F1UP7wRCPH8", "base_url": server.url}, {"api_key": "yt-key"}, http=http, clock=clock
    )


def test_fetch_pages_until_watermark(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    server.add("GET", PATH, Reply(200, {**CAPTURED, "nextPageToken": "next-1"}), Reply(200, {"items": []}))
    batch = _connector(server, http, clock).fetch(Cursor())
    assert batch.health.status is HealthStatus.OK
    first = server.seen(PATH)[0]
    assert (first.param("videoId"), first.param("key"), first.param("order")) == (
        "F1UP7wRCPH8",
        "yt-key",
        "time",
    )
    assert server.seen(PATH)[1].param("pageToken") == "next-1"
    assert batch.next_cursor.get("newest") == "2019-11-26T15:51:44+00:00"
    assert len(default_registry().parse(batch.raw_payloads[0]).posts) == 5
    assert "yt-key" not in batch.health.detail


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("quotaExceeded", HealthStatus.RATE_LIMITED),
        ("commentsDisabled", HealthStatus.ERROR),
        ("forbidden", HealthStatus.AUTH_EXPIRED),
    ],
)
def test_403_reasons(
    server: FakeServer, http: httpx.Client, clock: FakeClock, reason: str, status: HealthStatus
) -> None:
    error = {
        "error": {
            "code": 403,
            "message": "x",
            "errors": [{"domain": "youtube.commentThread", "reason": reason}],
        }
    }
    server.add("GET", PATH, Reply(403, error))
    batch = _connector(server, http, clock).fetch(Cursor(values={"newest": "2020-01-01T00:00:00+00:00"}))
    assert batch.health.status is status
    assert batch.next_cursor.values == {"newest": "2020-01-01T00:00:00+00:00"}
    if reason == "quotaExceeded":
        assert batch.health.retry_after == datetime(2026, 1, 1, 8, 0, tzinfo=UTC)  # midnight Pacific


def test_needs_exactly_one_target(http: httpx.Client, clock: FakeClock) -> None:
    with pytest.raises(ConfigurationError, match="give exactly one of video_id and channel_id"):
        YouTubeCommentsConnector({}, {"api_key": "k"}, http=http, clock=clock)
