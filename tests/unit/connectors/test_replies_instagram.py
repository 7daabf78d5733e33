"""Instagram replies and hiding against a fake Graph API that keeps the replies it accepted."""

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
from rounds.connectors.instagram.reply import InstagramReplySender
from rounds.connectors.replies import reply_sender_for
from rounds.domain.replies import ReplyRequest, SendStatus

REPLIES = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures/connectors/instagram/comments_replies.json").read_bytes()
)
PARENT = "17858893269000001"
ROOT = "/v26.0"
TEXT = "Thank you! Please DM us and our patient relations team will reach out."


def _form(seen: Seen) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(seen.body.decode()).items()}


class Graph:
    def __init__(self, server: FakeServer) -> None:
        self.replies: list[dict[str, Any]] = list(
            REPLIES["data"]
        )  # captured: someone else's reply, no username
        self.script: list[str] = []
        server.handle("POST", f"{ROOT}/{PARENT}/replies", self.create)
        server.handle("GET", f"{ROOT}/{PARENT}/replies", self.list)
        server.add("GET", f"{ROOT}/me", Reply(200, {"id": "178414", "username": "st.example"}))

    def create(self, seen: Seen) -> Reply:
        mode = self.script.pop(0) if self.script else "ok"
        if mode == "expired":
            return Reply(
                400, {"error": {"message": "x", "type": "OAuthException", "code": 190, "error_subcode": 463}}
            )
        if mode == "limit":
            return Reply(400, {"error": {"message": "x", "type": "OAuthException", "code": 80002}})
        if mode == "invalid":
            return Reply(400, {"error": {"message": "x", "type": "OAuthException", "code": 100}})
        reply = {
            "id": f"1784731468729{len(self.replies):04d}",
            "text": _form(seen)["message"],
            "username": "st.example",
            "timestamp": "2026-01-01T00:00:00+0000",
        }
        self.replies.append(reply)
        if mode == "slow":
            return Reply(200, {"id": reply["id"]}, delay=0.6)
        if mode == "500":
            return Reply(500, b"")
        return Reply(200, {"id": reply["id"]})

    def list(self, seen: Seen) -> Reply:
        return Reply(200, {"data": self.replies})


@pytest.fixture
def graph(server: FakeServer) -> Graph:
    return Graph(server)


@pytest.fixture
def quick() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=0.25) as client:
        yield client


def _sender(server: FakeServer, http: httpx.Client, clock: FakeClock) -> InstagramReplySender:
    sender = reply_sender_for(
        "instagram",
        credentials={"access_token": "ig-token"},
        http_client=http,
        clock=clock,
        options={"base_url": server.url},
    )
    assert isinstance(sender, InstagramReplySender)
    return sender


def _request() -> ReplyRequest:
    return ReplyRequest(
        platform="instagram", parent_remote_id=PARENT, text=TEXT, idempotency_key="reply-0007-abcd"
    )


def test_reply(server: FakeServer, graph: Graph, http: httpx.Client, clock: FakeClock) -> None:
    result = _sender(server, http, clock).send_reply(_request())
    assert result.status is SendStatus.SENT
    assert result.remote_id == graph.replies[-1]["id"]
    (seen,) = server.seen(f"{ROOT}/{PARENT}/replies")
    assert _form(seen) == {"message": TEXT}
    assert seen.headers["authorization"] == "Bearer ig-token"


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("expired", SendStatus.FAILED, "auth_expired"),
        ("limit", SendStatus.FAILED, "rate_limited"),
        ("invalid", SendStatus.FAILED, "rejected"),
        ("500", SendStatus.UNKNOWN, "server_error"),
    ],
)
def test_error_mapping(
    server: FakeServer,
    graph: Graph,
    http: httpx.Client,
    clock: FakeClock,
    mode: str,
    status: SendStatus,
    code: str,
) -> None:
    graph.script = [mode]
    result = _sender(server, http, clock).send_reply(_request())
    assert (result.status, result.error_code) == (status, code)
    assert TEXT not in result.detail and "ig-token" not in result.detail


def test_timeout_is_unknown_then_found(
    server: FakeServer, graph: Graph, quick: httpx.Client, clock: FakeClock
) -> None:
    graph.script = ["slow"]
    sender = _sender(server, quick, clock)
    result = sender.send_reply(_request())
    assert (result.status, result.error_code) == (SendStatus.UNKNOWN, "timeout")
    found = sender.find_sent_reply(_request())
    assert found is not None and found.status is SendStatus.SENT
    assert found.remote_id == graph.replies[-1]["id"]
    assert len(server.seen(f"{ROOT}/{PARENT}/replies")) == 2  # the one POST, then one read
    assert len([seen for seen in server.requests if seen.method == "POST"]) == 1


def test_reconcile_none_reads_the_captured_replies(
    server: FakeServer, graph: Graph, http: httpx.Client, clock: FakeClock
) -> None:
    assert _sender(server, http, clock).find_sent_reply(_request()) is None
    listed = server.seen(f"{ROOT}/{PARENT}/replies")[0]
    assert listed.param("fields") == "id,text,username,timestamp"


def test_hide(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    server.add("POST", f"{ROOT}/{PARENT}", Reply(200, {"success": True}))
    sender = _sender(server, http, clock)
    assert sender.supports_hide
    assert sender.hide_comment(PARENT).ok
    assert _form(server.seen(f"{ROOT}/{PARENT}")[0]) == {"hide": "true"}
