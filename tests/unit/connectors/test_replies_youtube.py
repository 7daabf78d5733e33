"""YouTube replies and hold-for-review against a fake Data API that keeps the comments it accepted."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rounds.connectors.clock import FakeClock
from rounds.connectors.fakes import FakeServer, Reply, Seen
from rounds.connectors.replies import reply_sender_for
from rounds.connectors.youtube.reply import YouTubeReplySender
from rounds.domain.replies import ReplyRequest, SendStatus

THREADS = json.loads(
    (
        Path(__file__).resolve().parents[2] / "fixtures/connectors/youtube/commentThreads_list_by_video.json"
    ).read_bytes()
)
TOP = THREADS["items"][0]["snippet"]["topLevelComment"]  # id UgyZ1jqkHKYvi1-ruOZ4AaABAg
CHANNEL = "UChospital0000000000000"
TEXT = "Thanks for watching. For questions about your care, please call us at 555-0100."
API = "/youtube/v3"


def _error(status: int, reason: str) -> Reply:
    return Reply(
        status, {"error": {"code": status, "errors": [{"reason": reason, "domain": "youtube.comment"}]}}
    )


class Api:
    def __init__(self, server: FakeServer) -> None:
        self.replies: list[dict[str, Any]] = []
        self.script: list[str] = []
        server.handle("POST", API + "/comments", self.insert)
        server.handle("GET", API + "/comments", self.list)
        server.add(
            "GET", API + "/channels", Reply(200, {"items": [{"kind": "youtube#channel", "id": CHANNEL}]})
        )

    def insert(self, seen: Seen) -> Reply:
        mode = self.script.pop(0) if self.script else "ok"
        if mode == "401":
            return _error(401, "authError")
        if mode == "quota":
            return _error(403, "quotaExceeded")
        if mode == "disabled":
            return _error(403, "commentsDisabled")
        if mode == "scope":
            return _error(403, "insufficientPermissions")
        if mode == "429":
            return _error(429, "rateLimitExceeded")
        snippet = json.loads(seen.body)["snippet"]
        comment = copy.deepcopy(TOP)
        comment["id"] = f"{snippet['parentId']}.reply{len(self.replies)}"
        comment["snippet"].update(
            parentId=snippet["parentId"],
            textOriginal=snippet["textOriginal"],
            authorChannelId={"value": CHANNEL},
        )
        self.replies.append(comment)
        if mode == "slow":
            return Reply(200, comment, delay=0.6)
        if mode == "503":
            return _error(503, "backendError")
        return Reply(200, comment)

    def list(self, seen: Seen) -> Reply:
        replies = [reply for reply in self.replies if reply["snippet"]["parentId"] == seen.param("parentId")]
        return Reply(200, {"kind": "youtube#commentListResponse", "items": replies})


@pytest.fixture
def api(server: FakeServer) -> Api:
    return Api(server)


@pytest.fixture
def quick() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=0.25) as client:
        yield client


def _sender(server: FakeServer, http: httpx.Client, clock: FakeClock) -> YouTubeReplySender:
    sender = reply_sender_for(
        "youtube",
        credentials={"access_token": "ya29.token"},
        http_client=http,
        clock=clock,
        options={"base_url": server.url},
    )
    assert isinstance(sender, YouTubeReplySender)
    return sender


def _request(parent: str = TOP["id"]) -> ReplyRequest:
    return ReplyRequest(
        platform="youtube", parent_remote_id=parent, text=TEXT, idempotency_key="reply-0005-abcd"
    )


def test_reply_goes_to_the_top_level_comment(
    server: FakeServer, api: Api, http: httpx.Client, clock: FakeClock
) -> None:
    sender = _sender(server, http, clock)
    result = sender.send_reply(_request(f"{TOP['id']}.someReply"))  # answering a reply: same thread
    assert result.status is SendStatus.SENT
    assert result.remote_id == f"{TOP['id']}.reply0"
    assert result.url == f"https://www.youtube.com/watch?v=F1UP7wRCPH8&lc={TOP['id']}.reply0"
    (seen,) = server.seen(API + "/comments")
    assert seen.param("part") == "snippet"
    assert json.loads(seen.body) == {"snippet": {"parentId": TOP["id"], "textOriginal": TEXT}}
    assert seen.headers["authorization"] == "Bearer ya29.token"


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("401", SendStatus.FAILED, "auth_expired"),
        ("scope", SendStatus.FAILED, "auth_expired"),
        ("quota", SendStatus.FAILED, "rate_limited"),
        ("429", SendStatus.FAILED, "rate_limited"),
        ("disabled", SendStatus.FAILED, "rejected"),
        ("503", SendStatus.UNKNOWN, "server_error"),
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
    assert TEXT not in result.detail and "ya29" not in result.detail
    assert len([seen for seen in server.requests if seen.method == "POST"]) == 1


def test_timeout_is_unknown_then_found(
    server: FakeServer, api: Api, quick: httpx.Client, clock: FakeClock
) -> None:
    api.script = ["slow"]
    sender = _sender(server, quick, clock)
    result = sender.send_reply(_request())
    assert (result.status, result.error_code) == (SendStatus.UNKNOWN, "timeout")
    found = sender.find_sent_reply(_request())
    assert found is not None and found.status is SendStatus.SENT
    assert found.remote_id == api.replies[0]["id"]
    assert len([seen for seen in server.requests if seen.method == "POST"]) == 1


def test_reconcile_none_when_absent(
    server: FakeServer, api: Api, http: httpx.Client, clock: FakeClock
) -> None:
    assert _sender(server, http, clock).find_sent_reply(_request()) is None


def test_hide_holds_the_comment_for_review(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    server.add("POST", API + "/comments/setModerationStatus", Reply(204, b""))
    sender = _sender(server, http, clock)
    assert sender.supports_hide
    assert sender.hide_comment("abc.def").ok
    seen = server.seen(API + "/comments/setModerationStatus")[0]
    assert (seen.param("id"), seen.param("moderationStatus")) == ("abc.def", "heldForReview")
