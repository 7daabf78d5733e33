from __future__ import annotations

import copy
import json
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from rounds.connectors import default_registry
from rounds.connectors.clock import FakeClock
from rounds.connectors.fakes import FakeServer, Reply
from rounds.connectors.instagram.client import InstagramConnector
from rounds.connectors.instagram.parse import KIND_COMMENTS, KIND_MEDIA, parse_comments, parse_media
from rounds.domain.connectors import Cursor, HealthStatus, RawPayload
from rounds.domain.errors import ConfigurationError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures/connectors/instagram"
COMMENTS = json.loads((FIXTURES / "medias_comments_p1.json").read_bytes())
REPLIES = json.loads((FIXTURES / "comments_replies.json").read_bytes())
HASHTAG_MEDIA = json.loads((FIXTURES / "hashtags_hashtag_recent_medias_p1.json").read_bytes())
CAPTURED_MEDIA = "17846368219941692"  # the media the captured comments belong to (its next URL)
HASHTAG_ID = "17843826142012701"  # the captured hashtag ('love'), from its next URL and hashtags_info
IG_USER = "17841406338772941"  # the captured user_id
TOKEN = "ig-token-secret"
START = datetime(2020, 6, 2, tzinfo=UTC)


def _raw(body: Any, kind: str = KIND_COMMENTS, **meta: str) -> RawPayload:
    encoded = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawPayload(
        platform="instagram", kind=kind, body=encoded, fetched_at=datetime(2026, 1, 1, tzinfo=UTC), meta=meta
    )


def _unix(text: str) -> str:
    return str(int(datetime.fromisoformat(text).timestamp()))


def _own_media(**changes: Any) -> dict[str, Any]:
    """An IG Media object with the documented fields of /{ig-user-id}/media (no capture has them all)."""
    return {
        "id": CAPTURED_MEDIA,
        "caption": "Meet our new NICU team #nurses",
        "media_type": "IMAGE",
        "media_url": "https://scontent.example/nicu.jpg",
        "permalink": "https://www.instagram.com/p/CA1b2c3/",
        "timestamp": "2020-06-01T09:00:00+0000",
        "username": "stmaryshospital",
        "comments_count": 2,
        "like_count": 31,
        **changes,
    }


def test_captured_media_comments_parse() -> None:
    result = parse_comments(
        _raw(COMMENTS, media_id=CAPTURED_MEDIA, media_permalink="https://www.instagram.com/p/CA1b2c3/")
    )
    assert result.ok
    assert [post.remote_id for post in result.posts] == ["17858154961981086", "17874875428706419"]
    first = result.posts[0]
    assert first.text == "Beautiful!"
    assert first.created_at == datetime(2020, 6, 1, 10, 56, 52, tzinfo=UTC)
    assert first.parent_remote_id == first.thread_remote_id == CAPTURED_MEDIA
    assert first.url == "https://www.instagram.com/p/CA1b2c3/"


def test_captured_replies_page_points_at_its_comment() -> None:
    result = parse_comments(_raw(REPLIES, media_id=CAPTURED_MEDIA, parent_id="17858154961981086"))
    (reply,) = result.posts
    assert reply.remote_id == "17847314687296283"
    assert reply.text == "@lixiangguodu123 nihao"
    assert (reply.parent_remote_id, reply.thread_remote_id) == ("17858154961981086", CAPTURED_MEDIA)


def test_expanded_replies_nest_under_their_comment() -> None:
    body = copy.deepcopy(COMMENTS)
    body["data"][0].update(
        username="pat.rn",
        like_count=3,
        **{"from": {"id": "9001", "username": "pat.rn"}},
        replies={
            "data": [*REPLIES["data"], {"id": "2", "text": "", "timestamp": "2020-08-07T03:31:00+0000"}]
        },
    )
    result = parse_comments(_raw(body, media_id=CAPTURED_MEDIA))
    assert result.ok
    comment, reply, second = result.posts
    assert comment.author.handle == "pat.rn"
    assert comment.author.remote_id == "9001"
    assert comment.author.url == "https://www.instagram.com/pat.rn/"
    assert comment.metrics == {"likes": 3}
    assert reply.parent_remote_id == comment.remote_id
    assert reply.thread_remote_id == CAPTURED_MEDIA
    assert second.remote_id == "17874875428706419"
    assert result.skipped == ("item 2: comment with empty text",)


def test_captured_hashtag_media_without_captions_are_skipped() -> None:
    result = parse_media(_raw(HASHTAG_MEDIA, KIND_MEDIA))
    assert result.posts == ()
    assert result.failures == ()
    assert result.skipped == tuple(f"item {index}: media without caption" for index in range(5))


def test_media_with_documented_fields() -> None:
    body = copy.deepcopy(HASHTAG_MEDIA)
    body["data"][0].update(
        caption="Thank you <3 to the ER team &amp; #nurses",
        timestamp="2020-06-01T10:00:00+0000",
        permalink="https://www.instagram.com/p/B9xyz/",
        username="visitor",
    )
    body["data"][1].update(caption="Reel", timestamp="2020-06-01T11:00:00+0000", media_type="REELS")
    result = parse_media(_raw(body, KIND_MEDIA))
    first, second = result.posts
    assert first.text == "Thank you <3 to the ER team & #nurses"
    assert first.metrics == {"likes": 804, "comments": 8}
    assert first.media[0].kind == "image"
    assert first.author.handle == "visitor"
    assert first.url == "https://www.instagram.com/p/B9xyz/"
    assert first.thread_remote_id == first.remote_id == "18088158883149835"
    assert second.media[0].kind == "video"
    assert len(result.skipped) == 3


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"timestamp": None}, "missing timestamp"),
        ({"timestamp": "01/06/2020"}, "timestamp is not a valid ISO 8601 date-time"),
        ({"text": None}, "missing text"),
        ({"text": ["Beautiful!"]}, "text must be a string, got list"),
        ({"id": None}, "missing id"),
        ({"replies": "none"}, "'replies' must be an object"),
        ({"replies": {"data": {"id": "1"}}}, "replies: 'data' must be an array, got dict"),
    ],
)
def test_malformed_comment_is_a_specific_failure(change: dict[str, Any], reason: str) -> None:
    body = copy.deepcopy(COMMENTS)
    item = body["data"][1]
    for key, value in change.items():
        if value is None:
            del item[key]
        else:
            item[key] = value
    result = parse_comments(_raw(body, media_id=CAPTURED_MEDIA))
    (failure,) = result.failures
    assert failure.reason.startswith(reason)
    assert (failure.line, failure.kind) == (1, KIND_COMMENTS)
    assert result.posts[0].remote_id == "17858154961981086"  # the other item still parses


def test_malformed_payloads() -> None:
    assert (
        parse_comments(_raw(b'{"data": [{"timestamp": "2020')).failures[0].reason.startswith("truncated JSON")
    )
    assert parse_comments(_raw(b"\xff\xfe")).failures[0].reason == "payload is not valid UTF-8 at byte 0"
    assert (
        parse_media(_raw({"data": [7]}, KIND_MEDIA)).failures[0].reason == "media must be an object, got int"
    )
    assert parse_media(_raw({"data": [_own_media(caption=5)]}, KIND_MEDIA)).failures[0].reason == (
        "caption must be a string, got int"
    )


def _connector(
    server: FakeServer, http: httpx.Client, clock: FakeClock, **options: Any
) -> InstagramConnector:
    return InstagramConnector(
        {"ig_user_id": IG_USER, "base_url": server.url, **options},
        {"access_token": TOKEN},
        http=http,
        clock=clock,
    )


MEDIA_PATH = f"/v26.0/{IG_USER}/media"
COMMENTS_PATH = f"/v26.0/{CAPTURED_MEDIA}/comments"


def test_comments_mode_reads_recent_media_then_their_comments(server: FakeServer, http: httpx.Client) -> None:
    clock = FakeClock(START)
    quiet = _own_media(id="17900000000000001", comments_count=0, timestamp="2020-05-30T09:00:00+0000")
    server.add("GET", MEDIA_PATH, Reply(200, {"data": [_own_media(), quiet]}))
    server.add("GET", COMMENTS_PATH, Reply(200, COMMENTS), Reply(200, {"data": []}))
    connector = _connector(server, http, clock)
    batch = connector.fetch(Cursor())
    assert batch.health.status is HealthStatus.OK, batch.health.detail

    (media_call,) = server.seen(MEDIA_PATH)
    assert media_call.param("since") == str(int((START - timedelta(days=7)).timestamp()))
    assert media_call.headers["authorization"] == f"Bearer {TOKEN}"
    first, second = server.seen(COMMENTS_PATH)
    assert "replies{" in (first.param("fields") or "")
    assert second.param("after") == "after"  # the captured paging cursor
    assert second.param("access_token") is None
    assert not server.seen("/v26.0/17900000000000001/comments")  # no comments: not asked
    assert [(raw.kind, raw.meta) for raw in batch.raw_payloads] == [
        (KIND_MEDIA, {}),
        (
            KIND_COMMENTS,
            {"media_id": CAPTURED_MEDIA, "media_permalink": "https://www.instagram.com/p/CA1b2c3/"},
        ),
    ]
    assert batch.next_cursor.values == {
        "media_since": _unix("2020-06-01T09:00:00+00:00"),
        "comments_since": _unix("2020-06-01T10:56:52+00:00"),
    }
    registry = default_registry()
    posts = [post for raw in batch.raw_payloads for post in registry.parse(raw).posts]
    assert [post.remote_id for post in posts] == [
        CAPTURED_MEDIA,
        "17900000000000001",
        "17858154961981086",
        "17874875428706419",
    ]

    # the next fetch stops at the watermark: the newest-first page reaches it, so no second page
    server.routes[("GET", COMMENTS_PATH)] = deque([Reply(200, COMMENTS)])
    before = len(server.seen(COMMENTS_PATH))
    again = connector.fetch(batch.next_cursor)
    assert again.health.status is HealthStatus.OK
    assert len(server.seen(COMMENTS_PATH)) == before + 1
    assert again.next_cursor == batch.next_cursor


def test_mentions_mode_pages_tags_until_the_watermark(server: FakeServer, http: httpx.Client) -> None:
    clock = FakeClock(START)
    path = f"/v26.0/{IG_USER}/tags"
    newest = _own_media(
        id="1",
        username="visitor",
        caption="Great care at @stmaryshospital",
        timestamp="2020-06-01T12:00:00+0000",
    )
    older = _own_media(
        id="2",
        username="other",
        caption="@stmaryshospital parking again",
        timestamp="2020-05-31T12:00:00+0000",
    )
    oldest = _own_media(id="3", username="old", caption="old", timestamp="2020-05-20T12:00:00+0000")
    page_one = {
        "data": [newest],
        "paging": {
            "cursors": {"after": "c1"},
            "next": f"https://graph.facebook.com/v26.0/{path}?access_token=leak&after=c1",
        },
    }
    page_two = {
        "data": [older, oldest],
        "paging": {"cursors": {"after": "c2"}, "next": "https://graph.facebook.com/x?after=c2"},
    }
    server.add("GET", path, Reply(200, page_one), Reply(200, page_two))
    batch = _connector(server, http, clock, mode="mentions").fetch(
        Cursor(values={"tags_since": _unix("2020-05-25T00:00:00+00:00")})
    )
    assert batch.health.status is HealthStatus.OK
    assert [request.param("after") for request in server.seen(path)] == [
        None,
        "c1",
    ]  # stopped at the watermark
    assert batch.next_cursor.values == {"tags_since": _unix("2020-06-01T12:00:00+00:00")}
    posts = [post for raw in batch.raw_payloads for post in default_registry().parse(raw).posts]
    assert [(post.remote_id, post.author.handle) for post in posts] == [
        ("1", "visitor"),
        ("2", "other"),
        ("3", "old"),
    ]


def test_hashtag_mode_searches_once_and_replays_recent_media(
    server: FakeServer, http: httpx.Client, clock: FakeClock
) -> None:
    server.add("GET", "/v26.0/ig_hashtag_search", Reply(200, {"data": [{"id": HASHTAG_ID}]}))
    recent = f"/v26.0/{HASHTAG_ID}/recent_media"
    server.add("GET", recent, Reply(200, HASHTAG_MEDIA), Reply(200, {"data": []}))
    connector = _connector(server, http, clock, mode="hashtag", hashtag="love")
    batch = connector.fetch(Cursor())
    assert batch.health.status is HealthStatus.OK
    (search,) = server.seen("/v26.0/ig_hashtag_search")
    assert (search.param("q"), search.param("user_id")) == ("love", IG_USER)
    first, second = server.seen(recent)
    assert first.param("user_id") == IG_USER
    assert second.param("after") == "after"
    assert batch.next_cursor.values == {"hashtag_id": HASHTAG_ID}  # the capture has no timestamps
    assert default_registry().parse(batch.raw_payloads[0]).skipped[0] == "item 0: media without caption"
    connector.fetch(batch.next_cursor)
    assert len(server.seen("/v26.0/ig_hashtag_search")) == 1  # the id is reused, not searched again


def test_unknown_hashtag_is_an_error(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    server.add("GET", "/v26.0/ig_hashtag_search", Reply(200, {"data": []}))
    batch = _connector(server, http, clock, mode="hashtag", hashtag="nosuchtag").fetch(Cursor())
    assert batch.health.status is HealthStatus.ERROR
    assert batch.health.detail == "unknown hashtag #nosuchtag"


@pytest.mark.parametrize(
    ("status", "body", "health"),
    [
        (
            400,
            {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}},
            HealthStatus.AUTH_EXPIRED,
        ),
        (
            400,
            {"error": {"message": "Application request limit reached", "code": 4}},
            HealthStatus.RATE_LIMITED,
        ),
        (400, {"error": {"message": "limit", "code": 80002}}, HealthStatus.RATE_LIMITED),
        (500, {"error": {"message": "An unknown error occurred", "code": 1}}, HealthStatus.DEGRADED),
        (502, b"", HealthStatus.DEGRADED),
    ],
)
def test_errors_map_to_health(
    server: FakeServer, http: httpx.Client, clock: FakeClock, status: int, body: Any, health: HealthStatus
) -> None:
    server.add("GET", MEDIA_PATH, Reply(status, body))
    cursor = Cursor(values={"comments_since": "1"})
    batch = _connector(server, http, clock).fetch(cursor)
    assert batch.health.status is health
    assert TOKEN not in batch.health.detail
    assert batch.next_cursor == cursor


def test_comment_page_rate_limit_keeps_completed_pages(server: FakeServer, http: httpx.Client) -> None:
    clock = FakeClock(START)
    usage = {
        "17841406338772941": [
            {
                "type": "instagram",
                "call_count": 100,
                "total_cputime": 1,
                "total_time": 1,
                "estimated_time_to_regain_access": 30,
            }
        ]
    }
    server.add("GET", MEDIA_PATH, Reply(200, {"data": [_own_media()]}))
    server.add("GET", COMMENTS_PATH, Reply(200, COMMENTS, {"X-Business-Use-Case-Usage": json.dumps(usage)}))
    batch = _connector(server, http, clock).fetch(Cursor())
    assert batch.health.status is HealthStatus.RATE_LIMITED
    assert batch.health.retry_after == START + timedelta(minutes=30)
    assert len(server.seen(COMMENTS_PATH)) == 1
    assert [raw.kind for raw in batch.raw_payloads] == [KIND_MEDIA, KIND_COMMENTS]
    assert "comments_since" not in batch.next_cursor.values  # the comment pass did not finish


def test_timeouts_degrade(server: FakeServer, clock: FakeClock) -> None:
    server.add("GET", MEDIA_PATH, Reply(200, {"data": []}, delay=0.3))
    with httpx.Client(timeout=0.05) as impatient:
        batch = _connector(server, impatient, clock).fetch(Cursor())
    assert batch.health.status is HealthStatus.DEGRADED
    assert batch.health.detail == f"timeout calling {MEDIA_PATH}"


def test_options_are_checked(http: httpx.Client, clock: FakeClock) -> None:
    with pytest.raises(ConfigurationError, match="mode 'hashtag' needs a hashtag"):
        InstagramConnector(
            {"ig_user_id": IG_USER, "mode": "hashtag"}, {"access_token": "t"}, http=http, clock=clock
        )
    with pytest.raises(ConfigurationError, match="hashtag"):
        InstagramConnector(
            {"ig_user_id": IG_USER, "mode": "hashtag", "hashtag": "#love"},
            {"access_token": "t"},
            http=http,
            clock=clock,
        )
    with pytest.raises(ConfigurationError, match="missing credential 'access_token'"):
        InstagramConnector({"ig_user_id": IG_USER}, {}, http=http, clock=clock)
