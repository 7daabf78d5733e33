"""X replies and hiding against a fake API that keeps the posts it accepted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rounds.connectors.clock import FakeClock
from rounds.connectors.fakes import FakeServer, Reply, Seen
from rounds.connectors.replies import reply_sender_for
from rounds.connectors.x.reply import XReplySender, x_text_matches
from rounds.domain.replies import ReplyRequest, SendStatus

CAPTURED = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures/connectors/x/create_post.json").read_bytes()
)
PARENT = "1456012973835788000"
ME = "77"
TEXT = "We're sorry to hear this. Please DM us so we can help: https://hospital.example/contact"


class Api:
    def __init__(self, server: FakeServer) -> None:
        self.posts: list[dict[str, Any]] = []
        self.texts: list[str] = []
        self.script: list[str] = []
        server.handle("POST", "/2/tweets", self.create)
        server.handle("GET", f"/2/users/{ME}/tweets", self.timeline)
        server.add("GET", "/2/users/me", Reply(200, {"data": {"id": ME, "username": "hospital"}}))

    def create(self, seen: Seen) -> Reply:
        mode = self.script.pop(0) if self.script else "ok"
        if mode == "401":
            return Reply(
                401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
            )
        if mode == "429":
            return Reply(
                429,
                {
                    "title": "Too Many Requests",
                    "type": "about:blank",
                    "status": 429,
                    "detail": "Too Many Requests",
                },
                headers={"x-rate-limit-reset": "1767226500", "x-rate-limit-remaining": "0"},
            )
        if mode == "restricted":
            return Reply(
                403,
                {
                    "detail": "Reply to this conversation is not allowed because you have not been mentioned or "
                    "otherwise engaged by the author of the post you are replying to.",
                    "type": "about:blank",
                    "title": "Forbidden",
                    "status": 403,
                },
            )
        body = json.loads(seen.body)
        if body["text"] in self.texts:
            return Reply(
                403,
                {
                    "detail": "You are not allowed to create a Tweet with duplicate content.",
                    "type": "about:blank",
                    "title": "Forbidden",
                    "status": 403,
                },
            )
        post_id = str(1456012973835789000 + len(self.posts))
        post = {
            "id": post_id,
            "text": f"@pat {body['text'].replace('https://hospital.example/contact', 'https://t.co/abc')}",
            "referenced_tweets": [{"type": "replied_to", "id": body["reply"]["in_reply_to_tweet_id"]}],
        }
        self.posts.insert(0, post)
        self.texts.append(body["text"])
        if mode == "slow":
            return Reply(201, {"data": {"id": post_id, "text": post["text"]}}, delay=0.6)
        if mode == "500":
            return Reply(500, b"")
        return Reply(
            201, {"data": {"id": post_id, "text": post["text"], "edit_history_tweet_ids": [post_id]}}
        )

    def timeline(self, seen: Seen) -> Reply:
        since = seen.param("since_id") or "0"
        data = [post for post in self.posts if int(post["id"]) > int(since)]
        return Reply(
            200,
            {"data": data, "meta": {"result_count": len(data)}} if data else {"meta": {"result_count": 0}},
        )


@pytest.fixture
def api(server: FakeServer) -> Api:
    return Api(server)


@pytest.fixture
def quick() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=0.25) as client:
        yield client


def _sender(server: FakeServer, http: httpx.Client, clock: FakeClock) -> XReplySender:
    sender = reply_sender_for(
        "x",
        credentials={"access_token": "user-token"},
        http_client=http,
        clock=clock,
        options={"base_url": server.url},
    )
    assert isinstance(sender, XReplySender)
    return sender


def _request(text: str = TEXT) -> ReplyRequest:
    return ReplyRequest(platform="x", parent_remote_id=PARENT, text=text, idempotency_key="reply-0002-abcd")


def test_captured_create_answer_gives_the_id(
    server: FakeServer, http: httpx.Client, clock: FakeClock
) -> None:
    server.add("POST", "/2/tweets", Reply(CAPTURED["status"], CAPTURED["body"], headers=CAPTURED["headers"]))
    result = _sender(server, http, clock).send_reply(_request())
    assert result.status is SendStatus.SENT
    assert result.remote_id == "1456012973835788293"
    assert result.url == "https://x.com/i/web/status/1456012973835788293"
    (seen,) = server.seen("/2/tweets")
    assert json.loads(seen.body) == {"text": TEXT, "reply": {"in_reply_to_tweet_id": PARENT}}
    assert seen.headers["authorization"] == "Bearer user-token"


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("401", SendStatus.FAILED, "auth_expired"),
        ("429", SendStatus.FAILED, "rate_limited"),
        ("restricted", SendStatus.FAILED, "rejected"),
        ("500", SendStatus.UNKNOWN, "server_error"),
    ],
)
def test_error_mapping(
    server: FakeServer,
    api: Api,
    http: httpx.Client,
    clock: FakeClock,
    mode: str,
    status: SendStatus,
    code: str,
) -> None:
    api.script = [mode]
    result = _sender(server, http, clock).send_reply(_request())
    assert (result.status, result.error_code) == (status, code)
    assert len(server.seen("/2/tweets")) == 1  # never resent
    assert TEXT not in result.detail and "user-token" not in result.detail
    if mode == "429":
        assert result.retryable and "2026-01-01T00:15:00+00:00" in result.detail


def test_a_500_that_posted_is_found_by_reconciling(
    server: FakeServer, api: Api, http: httpx.Client, clock: FakeClock
) -> None:
    api.script = ["500"]
    sender = _sender(server, http, clock)
    assert sender.send_reply(_request()).status is SendStatus.UNKNOWN
    found = sender.find_sent_reply(_request())
    assert found is not None and found.status is SendStatus.SENT
    assert found.remote_id == api.posts[0]["id"]
    assert server.seen(f"/2/users/{ME}/tweets")[0].param("since_id") == PARENT


def test_timeout_is_unknown_then_found_and_not_sent_twice(
    server: FakeServer, api: Api, quick: httpx.Client, clock: FakeClock
) -> None:
    api.script = ["slow"]
    sender = _sender(server, quick, clock)
    result = sender.send_reply(_request())
    assert (result.status, result.error_code) == (SendStatus.UNKNOWN, "timeout")
    found = sender.find_sent_reply(_request())
    assert found is not None and found.status is SendStatus.SENT
    assert found.remote_id == api.posts[0]["id"]
    assert len(server.seen("/2/tweets")) == 1
    assert len(api.posts) == 1


def test_a_duplicate_refusal_is_unknown(
    server: FakeServer, api: Api, http: httpx.Client, clock: FakeClock
) -> None:
    sender = _sender(server, http, clock)
    assert sender.send_reply(_request()).status is SendStatus.SENT
    again = sender.send_reply(_request())
    assert (again.status, again.error_code) == (SendStatus.UNKNOWN, "duplicate")


def test_reconcile_none_when_not_posted(
    server: FakeServer, api: Api, http: httpx.Client, clock: FakeClock
) -> None:
    sender = _sender(server, http, clock)
    sender.send_reply(_request("a different reply"))
    assert sender.find_sent_reply(_request()) is None


def test_reconcile_out_of_pages_stays_unknown(
    server: FakeServer, http: httpx.Client, clock: FakeClock
) -> None:
    server.add("GET", "/2/users/me", Reply(200, {"data": {"id": ME}}))
    server.add(
        "GET",
        f"/2/users/{ME}/tweets",
        Reply(200, {"data": [{"id": "1", "text": "other"}], "meta": {"next_token": "more"}}),
    )
    found = _sender(server, http, clock).find_sent_reply(_request())
    assert found is not None
    assert (found.status, found.error_code) == (SendStatus.UNKNOWN, "reconcile_incomplete")


def test_hide(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    server.add("PUT", "/2/tweets/555/hidden", Reply(200, {"data": {"hidden": True}}))
    sender = _sender(server, http, clock)
    assert sender.supports_hide
    assert sender.hide_comment("555").ok
    assert json.loads(server.seen("/2/tweets/555/hidden")[0].body) == {"hidden": True}
    server.add("PUT", "/2/tweets/556/hidden", Reply(403, {"title": "Forbidden"}))
    refused = sender.hide_comment("556")
    assert (refused.ok, refused.error_code) == (False, "auth_expired")


def test_text_matching_ignores_mentions_and_links() -> None:
    assert x_text_matches("@pat @sam thanks https://t.co/x", "thanks https://hospital.example/a")
    assert not x_text_matches("@pat thanks", "thank you")
