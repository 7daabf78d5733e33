from __future__ import annotations

import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from rounds.connectors import default_registry
from rounds.connectors.clock import FakeClock
from rounds.connectors.facebook.client import FacebookPageConnector
from rounds.connectors.facebook.parse import KIND_COMMENTS, KIND_FEED, parse_comments, parse_feed
from rounds.connectors.fakes import FakeServer, Reply
from rounds.domain.connectors import Cursor, HealthStatus, RawPayload
from rounds.domain.errors import ConfigurationError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures/connectors/facebook"
FEED = json.loads((FIXTURES / "posts_feed_fields_p1.json").read_bytes())
COMMENTS = json.loads((FIXTURES / "comments_comments_p1.json").read_bytes())
CREATED = json.loads((FIXTURES / "comments_create_resp.json").read_bytes())
CAPTURED_POST = "19292868552_10158407654328553"  # the post the captured comments belong to (its next URL)
PAGE = "4"
FEED_PATH = f"/v26.0/{PAGE}/feed"
TOKEN = "page-token-secret"
START = datetime(2021, 7, 5, tzinfo=UTC)  # the day after the newest captured post


def _raw(body: Any, kind: str = KIND_FEED, **meta: str) -> RawPayload:
    encoded = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RawPayload(
        platform="facebook", kind=kind, body=encoded, fetched_at=datetime(2026, 1, 1, tzinfo=UTC), meta=meta
    )


def _unix(text: str) -> str:
    return str(int(datetime.fromisoformat(text).timestamp()))


def test_captured_feed_parses() -> None:
    result = parse_feed(_raw(FEED))
    assert result.ok
    assert [post.remote_id for post in result.posts] == [item["id"] for item in FEED["data"]]
    first = result.posts[0]
    assert first.text == "Happy July 4th! 🇺🇸"
    assert first.created_at == datetime(2021, 7, 4, 19, 50, 58, tzinfo=UTC)
    assert first.url == "https://www.facebook.com/4_10113477241177441"
    assert first.thread_remote_id == first.remote_id
    assert first.parent_remote_id is None


def test_captured_comments_rebuild_hidden_ids_and_reply_parents() -> None:
    # Graph hid the comment ids (no MODERATE task): they come back from permalink_url, as Graph writes them
    result = parse_comments(_raw(COMMENTS, KIND_COMMENTS, post_id=CAPTURED_POST))
    assert result.ok
    assert len(result.posts) == 10
    by_id = {post.remote_id: post for post in result.posts}
    top = by_id["10158407654328553_10158407903973553"]
    assert top.text.startswith("Can someone from Instagram please assist me")
    assert top.parent_remote_id == top.thread_remote_id == CAPTURED_POST
    assert top.metrics == {"likes": 0, "replies": 2}
    assert top.created_at == datetime(2021, 8, 10, 19, 38, 44, tzinfo=UTC)
    replies = [post for post in result.posts if post.parent_remote_id == top.remote_id]
    assert [post.remote_id for post in replies] == [
        "10158407654328553_10158409983033553",
        "10158407654328553_10158409984053553",
    ]
    assert all(post.thread_remote_id == CAPTURED_POST for post in result.posts)
    assert sum(post.parent_remote_id == CAPTURED_POST for post in result.posts) == 6
    # without the meta the post comes from the permalink too
    alone = parse_comments(_raw(COMMENTS, KIND_COMMENTS))
    assert [post.key for post in alone.posts] == [post.key for post in result.posts]
    assert alone.posts[0].thread_remote_id == CAPTURED_POST


def test_explicit_ids_win_and_match_the_rebuilt_form() -> None:
    # the captured create response is a comment with its id: the same <post object>_<comment> form we rebuild
    item = {**CREATED, "like_count": 2, "comment_count": 0, "from": {"id": "77", "name": "Pat"}}
    post = parse_comments(_raw({"data": [item]}, KIND_COMMENTS, post_id="245628824887810_245778718206154"))
    (parsed,) = post.posts
    assert parsed.remote_id == "245778718206154_229887283291835"
    assert parsed.author.name == "Pat"
    assert parsed.author.url == "https://www.facebook.com/77"
    rebuilt = {key: value for key, value in item.items() if key != "id"}
    again = parse_comments(
        _raw({"data": [rebuilt]}, KIND_COMMENTS, post_id="245628824887810_245778718206154")
    )
    assert again.posts[0].remote_id == parsed.remote_id


def test_feed_with_nested_comments_and_replies() -> None:
    post = {
        **FEED["data"][0],
        "permalink_url": "https://www.facebook.com/4/posts/10113477241177441",
        "from": {"id": "4", "name": "Mark"},
        "comments": {
            "data": [
                {
                    "id": "10113477241177441_1",
                    "message": "Happy 4th to the <b>ER</b> night shift &amp; all",
                    "created_time": "2021-07-04T20:00:00+0000",
                    "comments": {
                        "data": [
                            {
                                "id": "10113477241177441_2",
                                "message": "Thank you!",
                                "created_time": "2021-07-04T20:05:00+0000",
                                "comments": {
                                    "data": [
                                        {
                                            "id": "10113477241177441_3",
                                            "message": "deep",
                                            "created_time": "2021-07-04T20:06:00+0000",
                                        }
                                    ]
                                },
                            },
                            {
                                "id": "10113477241177441_4",
                                "message": "",
                                "created_time": "2021-07-04T20:07:00+0000",
                            },
                        ]
                    },
                }
            ],
            "summary": {"total_count": 3},
        },
        "reactions": {"data": [], "summary": {"total_count": 120}},
        "shares": {"count": 4},
    }
    result = parse_feed(_raw({"data": [post]}))
    assert result.ok
    first, comment, reply, deep = result.posts
    assert first.metrics == {"comments": 3, "reactions": 120, "shares": 4}
    assert first.url == "https://www.facebook.com/4/posts/10113477241177441"
    assert comment.text == "Happy 4th to the ER night shift & all"
    assert (comment.parent_remote_id, comment.thread_remote_id) == (first.remote_id, first.remote_id)
    assert (reply.parent_remote_id, reply.thread_remote_id) == (comment.remote_id, first.remote_id)
    assert deep.parent_remote_id == reply.remote_id
    assert result.skipped == ("item 4: comment without text (sticker, photo or GIF)",)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"created_time": None}, "missing created_time"),
        ({"created_time": "yesterday"}, "created_time is not a valid ISO 8601 date-time"),
        ({"created_time": "2021-08-10T18:45:03"}, "created_time has no time zone"),
        ({"message": 42}, "message must be a string, got int"),
        ({"message": None}, "missing message"),
        ({"message": "x" * 200_001}, "text is 200001 characters; the limit is 200000"),
        ({"permalink_url": None}, "missing id, and permalink_url has no comment_id to rebuild it from"),
        ({"comments": []}, "'comments' must be an object"),
    ],
)
def test_malformed_comment_is_a_specific_failure(change: dict[str, Any], reason: str) -> None:
    body = copy.deepcopy(COMMENTS)
    item = body["data"][2]
    for key, value in change.items():
        if value is None:
            del item[key]
        else:
            item[key] = value
    result = parse_comments(_raw(body, KIND_COMMENTS, post_id=CAPTURED_POST))
    assert len(result.failures) == 1
    failure = result.failures[0]
    assert failure.reason.startswith(reason)
    assert (failure.line, failure.kind, failure.platform) == (2, KIND_COMMENTS, "facebook")
    assert len(result.posts) == (10 if "comments" in change else 9)  # the other items still parse


def test_malformed_posts_and_payloads() -> None:
    body = copy.deepcopy(FEED)
    del body["data"][0]["id"]
    body["data"][1]["created_time"] = 1625233341
    del body["data"][2]["message"]  # a photo post: nothing to read, not an error
    body["data"][3] = "not a post"
    body["data"][4]["message"] = "<p>Long</p>" + "word " * 20_000  # a 100 kB post passes
    result = parse_feed(_raw(body))
    assert [(f.line, f.reason) for f in result.failures] == [
        (0, "missing id"),
        (1, "created_time must be an ISO 8601 string, got int"),
        (3, "post must be an object, got str"),
    ]
    assert result.skipped == ("item 2: post without message (photo, video or share)",)
    assert len(result.posts[0].text) > 100_000
    assert parse_feed(_raw(b'{"data": [{"id": "4_1", "mess')).failures[0].reason.startswith("truncated JSON")
    assert parse_feed(_raw({"data": {"id": "4_1"}})).failures[0].reason == "'data' must be an array, got dict"
    assert parse_feed(_raw([1])).failures[0].reason == "payload must be a JSON object, got list"
    assert parse_feed(_raw({"data": []})).posts == ()


def _connector(
    server: FakeServer,
    http: httpx.Client,
    clock: FakeClock,
    credentials: dict[str, str] | None = None,
    **options: Any,
) -> FacebookPageConnector:
    return FacebookPageConnector(
        {"page_id": PAGE, "base_url": server.url, **options},
        credentials or {"page_access_token": TOKEN},
        http=http,
        clock=clock,
    )


def _comments_path(post_id: str) -> str:
    return f"/v26.0/{post_id}/comments"


def test_fetch_feed_pages_then_comments_of_recent_posts(server: FakeServer, http: httpx.Client) -> None:
    clock = FakeClock(START)
    server.add("GET", FEED_PATH, Reply(200, FEED), Reply(200, {"data": []}))
    recent = [item["id"] for item in FEED["data"]]  # all within the 14-day look-back window
    server.add("GET", _comments_path(recent[0]), Reply(200, COMMENTS), Reply(200, {"data": []}))
    for post_id in recent[1:]:
        server.add("GET", _comments_path(post_id), Reply(200, {"data": []}))
    batch = _connector(server, http, clock, lookback_days=14).fetch(Cursor())
    assert batch.health.status is HealthStatus.OK, batch.health.detail

    first, second = server.seen(FEED_PATH)
    window_start = int((START - timedelta(days=14)).timestamp())
    assert first.param("since") == str(window_start)
    assert "comments.summary(true)" in (first.param("fields") or "")
    assert first.headers["authorization"] == f"Bearer {TOKEN}"
    # the captured time-based next link is replayed against our base URL, without its token
    assert (second.param("until"), second.param("__paging_token")) == ("1624385168", "__paging_token")
    assert second.param("access_token") is None
    comment_calls = server.seen(_comments_path(recent[0]))
    assert (comment_calls[0].param("filter"), comment_calls[0].param("order")) == (
        "stream",
        "reverse_chronological",
    )
    assert comment_calls[1].param("after") == "after"  # Graph's cursor from the captured paging
    assert all(server.seen(_comments_path(post_id)) for post_id in recent)
    for request in server.requests:
        assert TOKEN not in json.dumps(request.query)

    assert [(raw.kind, raw.meta) for raw in batch.raw_payloads] == [
        (KIND_FEED, {"page_id": PAGE}),
        (KIND_COMMENTS, {"post_id": recent[0]}),
    ]
    assert batch.next_cursor.values == {
        "posts_since": _unix("2021-07-04T19:50:58+00:00"),
        "comments_since": _unix("2021-08-12T18:30:51+00:00"),
    }
    registry = default_registry()
    posts = [post for raw in batch.raw_payloads for post in registry.parse(raw).posts]
    assert len(posts) == 15
    assert posts[5].thread_remote_id == recent[0]  # the comments belong to the post they were fetched for


def test_posts_with_no_comments_are_not_asked_and_old_pages_not_stored(
    server: FakeServer, http: httpx.Client
) -> None:
    clock = FakeClock(START)
    feed = copy.deepcopy(FEED)
    feed["paging"] = {}
    for item in feed["data"]:
        item["comments"] = {"data": [], "summary": {"total_count": 0}}
    feed["data"][0]["comments"]["summary"]["total_count"] = 1
    server.add("GET", FEED_PATH, Reply(200, feed))
    server.add("GET", _comments_path(feed["data"][0]["id"]), Reply(200, {"data": [], "paging": {}}))
    cursor = Cursor(values={"posts_since": _unix("2021-07-04T19:50:58+00:00"), "comments_since": "1"})
    batch = _connector(server, http, clock).fetch(cursor)
    assert batch.health.status is HealthStatus.OK
    assert len(server.requests) == 2
    assert [raw.kind for raw in batch.raw_payloads] == [KIND_FEED]  # the newest post sits on the watermark
    later = Cursor(values={"posts_since": _unix("2021-07-05T00:00:00+00:00")})
    assert _connector(server, http, clock).fetch(later).raw_payloads == ()


def test_app_secret_proof(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    server.add("GET", FEED_PATH, Reply(200, {"data": []}))
    credentials = {"page_access_token": TOKEN, "app_secret": "app-secret"}
    _connector(server, http, clock, credentials, comments=False).fetch(Cursor())
    expected = hmac.new(b"app-secret", TOKEN.encode(), hashlib.sha256).hexdigest()
    assert server.requests[0].param("appsecret_proof") == expected


def _graph_error(code: int, subcode: int | None = None, **extra: Any) -> dict[str, Any]:
    error: dict[str, Any] = {
        "message": "Error validating access token: Session has expired on Friday",
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEf",
        **extra,
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


@pytest.mark.parametrize(
    ("status", "body", "headers", "health", "detail"),
    [
        (400, _graph_error(190, 463), {}, HealthStatus.AUTH_EXPIRED, "Graph API error 190 (subcode 463)"),
        (400, _graph_error(190), {}, HealthStatus.AUTH_EXPIRED, "the token was refused; reconnect"),
        (403, _graph_error(200), {}, HealthStatus.AUTH_EXPIRED, "lacks a permission"),
        (
            400,
            _graph_error(4),
            {"X-App-Usage": '{"call_count":100,"total_time":20,"total_cputime":9}'},
            HealthStatus.RATE_LIMITED,
            "Graph API error 4 from",
        ),
        (400, _graph_error(17), {}, HealthStatus.RATE_LIMITED, "rate limited"),
        (400, _graph_error(32), {}, HealthStatus.RATE_LIMITED, "rate limited"),
        (400, _graph_error(613), {}, HealthStatus.RATE_LIMITED, "rate limited"),
        (
            400,
            _graph_error(100, 33),
            {},
            HealthStatus.ERROR,
            f"Graph API error 100 (subcode 33) from {FEED_PATH}",
        ),
        (500, _graph_error(2, is_transient=True), {}, HealthStatus.DEGRADED, "temporary problem at Meta"),
        (500, b"<html>oops</html>", {}, HealthStatus.DEGRADED, f"HTTP 500 from {FEED_PATH}"),
        (503, {"error": "unavailable"}, {}, HealthStatus.DEGRADED, f"HTTP 503 from {FEED_PATH}"),
    ],
)
def test_graph_errors_map_to_health(
    server: FakeServer,
    http: httpx.Client,
    clock: FakeClock,
    status: int,
    body: Any,
    headers: dict[str, str],
    health: HealthStatus,
    detail: str,
) -> None:
    server.add("GET", FEED_PATH, Reply(status, body, headers))
    cursor = Cursor(values={"posts_since": "1625000000"})
    batch = _connector(server, http, clock).fetch(cursor)
    assert batch.health.status is health
    assert detail in batch.health.detail
    assert TOKEN not in batch.health.detail
    assert "Session has expired" not in batch.health.detail  # Meta's free-text message is not copied
    assert batch.next_cursor == cursor
    assert batch.raw_payloads == ()
    if health is HealthStatus.RATE_LIMITED:
        assert batch.health.retry_after == clock.now() + timedelta(hours=1)
    if health is HealthStatus.DEGRADED:
        assert clock.sleeps == [1.0, 2.0]


def test_business_use_case_limit_uses_metas_estimate(
    server: FakeServer, http: httpx.Client, clock: FakeClock
) -> None:
    usage = {
        "4": [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 3,
                "total_time": 4,
                "estimated_time_to_regain_access": 12,
            }
        ]
    }
    server.add(
        "GET", FEED_PATH, Reply(400, _graph_error(80001), {"X-Business-Use-Case-Usage": json.dumps(usage)})
    )
    batch = _connector(server, http, clock).fetch(Cursor())
    assert batch.health.status is HealthStatus.RATE_LIMITED
    assert batch.health.retry_after == clock.now() + timedelta(minutes=12)
    assert len(server.requests) == 1


def test_usage_ceiling_stops_before_meta_refuses(server: FakeServer, http: httpx.Client) -> None:
    clock = FakeClock(START)
    usage = {
        "4": [
            {
                "type": "pages",
                "call_count": 93,
                "total_cputime": 10,
                "total_time": 10,
                "estimated_time_to_regain_access": 7,
            }
        ]
    }
    server.add("GET", FEED_PATH, Reply(200, FEED, {"X-Business-Use-Case-Usage": json.dumps(usage)}))
    batch = _connector(server, http, clock).fetch(Cursor())
    assert len(server.requests) == 1  # no comments asked for
    assert batch.health.status is HealthStatus.RATE_LIMITED
    assert "usage at 93%" in batch.health.detail
    assert batch.health.retry_after == START + timedelta(minutes=7)
    assert len(batch.raw_payloads) == 1  # the completed page is handed over
    # the feed pass was complete (it reached posts older than the window); the comment pass never ran
    assert batch.next_cursor.values == {"posts_since": _unix("2021-07-04T19:50:58+00:00")}


def test_old_posts_get_no_comment_calls(server: FakeServer, http: httpx.Client) -> None:
    clock = FakeClock(START)
    server.add("GET", FEED_PATH, Reply(200, FEED))
    for item in FEED["data"]:
        server.add("GET", _comments_path(item["id"]), Reply(200, {"data": []}))
    batch = _connector(server, http, clock).fetch(Cursor())
    assert batch.health.status is HealthStatus.OK
    assert len(server.seen(FEED_PATH)) == 1  # the page went past the window: no next page
    asked = [item["id"] for item in FEED["data"] if server.seen(_comments_path(item["id"]))]
    assert asked == [item["id"] for item in FEED["data"][:3]]  # the 7-day window


def test_comment_failure_keeps_feed_and_its_cursor(server: FakeServer, http: httpx.Client) -> None:
    clock = FakeClock(START)
    feed = {**FEED, "data": FEED["data"][:1], "paging": {}}
    server.add("GET", FEED_PATH, Reply(200, feed))
    server.add("GET", _comments_path(feed["data"][0]["id"]), Reply(502, {"error": "bad gateway"}))
    batch = _connector(server, http, clock).fetch(Cursor(values={"comments_since": "5"}))
    assert batch.health.status is HealthStatus.DEGRADED
    assert [raw.kind for raw in batch.raw_payloads] == [KIND_FEED]
    assert batch.next_cursor.values == {
        "posts_since": _unix("2021-07-04T19:50:58+00:00"),
        "comments_since": "5",
    }


def test_timeouts_degrade(server: FakeServer, clock: FakeClock) -> None:
    server.add("GET", FEED_PATH, Reply(200, FEED, delay=0.3))
    with httpx.Client(timeout=0.05) as impatient:
        batch = _connector(server, impatient, clock).fetch(Cursor())
    assert batch.health.status is HealthStatus.DEGRADED
    assert batch.health.detail == f"timeout calling {FEED_PATH}"


def test_options_and_credentials_are_checked(http: httpx.Client, clock: FakeClock) -> None:
    with pytest.raises(ConfigurationError, match="missing credential 'page_access_token'"):
        FacebookPageConnector({"page_id": PAGE}, {}, http=http, clock=clock)
    with pytest.raises(ConfigurationError, match="page_id"):
        FacebookPageConnector({"page_id": "a/b"}, {"page_access_token": "t"}, http=http, clock=clock)
    with pytest.raises(ConfigurationError, match="api_version"):
        FacebookPageConnector(
            {"page_id": PAGE, "api_version": "26"}, {"page_access_token": "t"}, http=http, clock=clock
        )
