"""Reddit replies against a fake API that keeps the comments it accepted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from rounds.connectors.clock import FakeClock
from rounds.connectors.fakes import FakeServer, Reply, Seen
from rounds.connectors.reddit.reply import RedditReplySender
from rounds.connectors.replies import reply_sender_for
from rounds.domain.replies import ReplyRequest, SendStatus

TOKEN = json.loads(
    (
        Path(__file__).resolve().parents[2] / "fixtures/connectors/reddit/access_token_response.json"
    ).read_bytes()
)
PARENT = "t1_abc123"
TEXT = "Thanks for the feedback. Please message us so we can follow up privately."


class Api:
    def __init__(self, server: FakeServer) -> None:
        self.comments: list[dict[str, Any]] = []
        self.script: list[str] = []
        server.add("POST", "/api/v1/access_token", Reply(200, TOKEN))
        server.handle("POST", "/api/comment", self.comment)
        server.add("GET", "/api/v1/me", Reply(200, {"name": "hospital"}))
        server.add(
            "GET",
            "/api/info",
            Reply(
                200,
                {
                    "kind": "Listing",
                    "data": {
                        "children": [{"kind": "t1", "data": {"name": PARENT, "created_utc": 1767225000.0}}]
                    },
                },
            ),
        )
        server.handle("GET", "/user/hospital/comments", self.listing)

    def comment(self, seen: Seen) -> Reply:
        mode = self.script.pop(0) if self.script else "ok"
        if mode in ("401", "500s"):
            return Reply(int(mode[:3]), {"message": "Unauthorized", "error": int(mode[:3])})
        if mode == "429":
            return Reply(429, b"", headers={"x-ratelimit-reset": "300", "x-ratelimit-remaining": "0"})
        if mode == "ratelimit":
            return Reply(
                200, {"json": {"errors": [["RATELIMIT", "Take a break for 5 minutes.", "ratelimit"]]}}
            )
        if mode == "locked":
            return Reply(200, {"json": {"errors": [["THREAD_LOCKED", "that thread is locked", "parent"]]}})
        form = {key: values[0] for key, values in parse_qs(seen.body.decode()).items()}
        number = f"k{len(self.comments)}"
        comment = {
            "id": number,
            "name": f"t1_{number}",
            "parent_id": form["thing_id"],
            "body": form["text"],
            "created_utc": 1767225600.0 + len(self.comments),
            "permalink": f"/r/AskDocs/comments/xyz/title/{number}/",
        }
        self.comments.insert(0, comment)
        if mode == "slow":
            return Reply(
                200,
                {"json": {"errors": [], "data": {"things": [{"kind": "t1", "data": comment}]}}},
                delay=0.6,
            )
        if mode == "500":
            return Reply(500, b"")
        return Reply(200, {"json": {"errors": [], "data": {"things": [{"kind": "t1", "data": comment}]}}})

    def listing(self, seen: Seen) -> Reply:
        older = {
            "kind": "t1",
            "data": {"name": "t1_old", "parent_id": "t3_x", "body": "old", "created_utc": 1767000000.0},
        }
        children = [{"kind": "t1", "data": comment} for comment in self.comments] + [older]
        return Reply(200, {"kind": "Listing", "data": {"after": "t1_more", "children": children}})


@pytest.fixture
def api(server: FakeServer) -> Api:
    return Api(server)


@pytest.fixture
def quick() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=0.25) as client:
        yield client


def _sender(server: FakeServer, http: httpx.Client, clock: FakeClock, **options: Any) -> RedditReplySender:
    sender = reply_sender_for(
        "reddit",
        credentials={"client_id": "cid", "client_secret": "csecret", "refresh_token": "rtoken"},
        http_client=http,
        clock=clock,
        options={"api_url": server.url, "auth_url": server.url, **options},
    )
    assert isinstance(sender, RedditReplySender)
    return sender


def _request() -> ReplyRequest:
    return ReplyRequest(
        platform="reddit", parent_remote_id=PARENT, text=TEXT, idempotency_key="reply-0003-abcd"
    )


def test_reply_is_posted_as_the_user(
    server: FakeServer, api: Api, http: httpx.Client, clock: FakeClock
) -> None:
    result = _sender(server, http, clock).send_reply(_request())
    assert result.status is SendStatus.SENT
    assert result.remote_id == "t1_k0"
    assert result.url == "https://www.reddit.com/r/AskDocs/comments/xyz/title/k0/"
    (token,) = server.seen("/api/v1/access_token")
    assert parse_qs(token.body.decode())["grant_type"] == ["refresh_token"]
    (post,) = server.seen("/api/comment")
    form = parse_qs(post.body.decode())
    assert form["thing_id"] == [PARENT] and form["api_type"] == ["json"]
    assert post.headers["authorization"] == "bearer <redacted>"


def test_an_expired_token_is_renewed_once(
    server: FakeServer, api: Api, http: httpx.Client, clock: FakeClock
) -> None:
    api.script = ["401"]
    result = _sender(server, http, clock).send_reply(_request())
    assert result.status is SendStatus.SENT
    assert len(server.seen("/api/v1/access_token")) == 2
    assert len(api.comments) == 1


@pytest.mark.parametrize(
    ("script", "status", "code"),
    [
        (["401", "401"], SendStatus.FAILED, "auth_expired"),
        (["429"], SendStatus.FAILED, "rate_limited"),
        (["ratelimit"], SendStatus.FAILED, "rate_limited"),
        (["locked"], SendStatus.FAILED, "rejected"),
        (["500"], SendStatus.UNKNOWN, "server_error"),
    ],
)
def test_error_mapping(
    server: FakeServer,
    api: Api,
    http: httpx.Client,
    clock: FakeClock,
    script: list[str],
    status: SendStatus,
    code: str,
) -> None:
    api.script = list(script)
    result = _sender(server, http, clock).send_reply(_request())
    assert (result.status, result.error_code) == (status, code)
    assert TEXT not in result.detail and "csecret" not in result.detail and "rtoken" not in result.detail
    if code == "rate_limited":
        assert result.retryable
    if code == "rejected":
        assert "THREAD_LOCKED" in result.detail


def test_timeout_is_unknown_then_found(
    server: FakeServer, api: Api, quick: httpx.Client, clock: FakeClock
) -> None:
    api.script = ["slow"]
    sender = _sender(server, quick, clock)
    result = sender.send_reply(_request())
    assert (result.status, result.error_code) == (SendStatus.UNKNOWN, "timeout")
    found = sender.find_sent_reply(_request())
    assert found is not None and found.status is SendStatus.SENT
    assert found.remote_id == "t1_k0"
    assert len(server.seen("/api/comment")) == 1


def test_reconcile_reads_back_to_the_parent_then_says_none(
    server: FakeServer, api: Api, http: httpx.Client, clock: FakeClock
) -> None:
    assert _sender(server, http, clock, username="hospital").find_sent_reply(_request()) is None
    assert server.seen("/api/v1/me") == []
    assert len(server.seen("/user/hospital/comments")) == 1  # stopped at a comment older than the parent


def test_hide_needs_a_moderator(server: FakeServer, api: Api, http: httpx.Client, clock: FakeClock) -> None:
    plain = _sender(server, http, clock)
    assert not plain.supports_hide
    assert plain.hide_comment("t1_zzz").error_code == "unsupported"
    server.add("POST", "/api/remove", Reply(200, {}))
    moderator = _sender(server, http, clock, moderator=True)
    assert moderator.supports_hide
    assert moderator.hide_comment("t1_zzz").ok
    assert parse_qs(server.seen("/api/remove")[0].body.decode())["id"] == ["t1_zzz"]
