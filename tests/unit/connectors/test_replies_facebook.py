"""Facebook Page replies and hiding against a fake Graph API that keeps the comments it accepted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from rounds.connectors.clock import FakeClock
from rounds.connectors.facebook.reply import FacebookReplySender
from rounds.connectors.fakes import FakeServer, Reply, Seen
from rounds.connectors.replies import reply_sender_for
from rounds.domain.replies import ReplyRequest, SendStatus

CREATED = json.loads(
    (
        Path(__file__).resolve().parents[2] / "fixtures/connectors/facebook/comments_create_resp.json"
    ).read_bytes()
)
PAGE = "245628824887810"
PARENT = "245778718206154_229880000000000"
ROOT = "/v26.0"
TEXT = "We're sorry to hear that. Please send us a private message so we can help."


def _form(seen: Seen) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(seen.body.decode()).items()}


def graph_error(code: int, subcode: int | None = None, status: int = 400, **extra: Any) -> Reply:
    error: dict[str, Any] = {
        "message": "(#x) something",
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "A",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    error.update(extra)
    return Reply(status, {"error": error})


class Graph:
    def __init__(self, server: FakeServer) -> None:
        self.comments: list[dict[str, Any]] = []
        self.script: list[str] = []
        server.handle("POST", f"{ROOT}/{PARENT}/comments", self.create)
        server.handle("GET", f"{ROOT}/{PARENT}/comments", self.list)
        server.add("GET", f"{ROOT}/me", Reply(200, {"id": PAGE, "name": "St Example"}))

    def create(self, seen: Seen) -> Reply:
        mode = self.script.pop(0) if self.script else "ok"
        errors = {
            "expired": graph_error(190, 463),
            "permission": graph_error(200),
            "page_limit": graph_error(32),
            "blocked": graph_error(368),
            "gone": graph_error(100, 33),
            "transient": graph_error(2, status=500, is_transient=True),
            "http429": Reply(429, b""),
        }
        if mode in errors:
            return errors[mode]
        comment = {
            "id": f"245778718206154_2298800000{len(self.comments):05d}",
            "message": _form(seen)["message"],
            "from": {"id": PAGE, "name": "St Example"},
            "created_time": "2026-01-01T00:00:00+0000",
        }
        self.comments.insert(0, comment)
        if mode == "slow":
            return Reply(200, {"id": comment["id"]}, delay=0.6)
        return Reply(200, {"id": comment["id"]})

    def list(self, seen: Seen) -> Reply:
        return Reply(200, {"data": self.comments, "paging": {"cursors": {"before": "b", "after": "a"}}})


@pytest.fixture
def graph(server: FakeServer) -> Graph:
    return Graph(server)


@pytest.fixture
def quick() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=0.25) as client:
        yield client


def _sender(server: FakeServer, http: httpx.Client, clock: FakeClock) -> FacebookReplySender:
    sender = reply_sender_for(
        "facebook",
        credentials={"page_access_token": "page-token", "app_secret": "app-secret"},
        http_client=http,
        clock=clock,
        options={"base_url": server.url},
    )
    assert isinstance(sender, FacebookReplySender)
    return sender


def _request(parent: str = PARENT) -> ReplyRequest:
    return ReplyRequest(
        platform="facebook", parent_remote_id=parent, text=TEXT, idempotency_key="reply-0006-abcd"
    )


def test_captured_create_answer(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    server.add("POST", f"{ROOT}/{PARENT}/comments", Reply(200, CREATED))
    result = _sender(server, http, clock).send_reply(_request())
    assert result.status is SendStatus.SENT
    assert result.remote_id == "245778718206154_229887283291835"
    assert result.url == CREATED["permalink_url"]
    (seen,) = server.seen(f"{ROOT}/{PARENT}/comments")
    form = _form(seen)
    assert form["message"] == TEXT and len(form["appsecret_proof"]) == 64
    assert seen.query == {}  # neither the text nor the token travels in the URL
    assert seen.headers["authorization"] == "Bearer page-token"


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("expired", SendStatus.FAILED, "auth_expired"),
        ("permission", SendStatus.FAILED, "auth_expired"),
        ("page_limit", SendStatus.FAILED, "rate_limited"),
        ("http429", SendStatus.FAILED, "rate_limited"),
        ("blocked", SendStatus.FAILED, "rejected"),
        ("gone", SendStatus.FAILED, "not_found"),
        ("transient", SendStatus.UNKNOWN, "server_error"),
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
    assert (
        TEXT not in result.detail and "page-token" not in result.detail and "something" not in result.detail
    )
    assert len(server.seen(f"{ROOT}/{PARENT}/comments")) == 1


def test_timeout_is_unknown_then_found(
    server: FakeServer, graph: Graph, quick: httpx.Client, clock: FakeClock
) -> None:
    graph.script = ["slow"]
    sender = _sender(server, quick, clock)
    result = sender.send_reply(_request())
    assert (result.status, result.error_code) == (SendStatus.UNKNOWN, "timeout")
    found = sender.find_sent_reply(_request())
    assert found is not None and found.status is SendStatus.SENT
    assert found.remote_id == graph.comments[0]["id"]
    assert len([seen for seen in server.requests if seen.method == "POST"]) == 1
    listed = next(
        seen for seen in server.requests if seen.method == "GET" and seen.path.endswith("/comments")
    )
    assert listed.param("order") == "reverse_chronological"


def test_reconcile_none_when_absent(
    server: FakeServer, graph: Graph, http: httpx.Client, clock: FakeClock
) -> None:
    graph.comments.append({"id": "1_2", "message": TEXT, "from": {"id": "someone-else"}})
    assert _sender(server, http, clock).find_sent_reply(_request()) is None


def test_hide(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    server.add("POST", f"{ROOT}/1_2", Reply(200, {"success": True}))
    server.add("POST", f"{ROOT}/1_3", graph_error(190, 460))
    sender = _sender(server, http, clock)
    assert sender.supports_hide
    assert sender.hide_comment("1_2").ok
    assert _form(server.seen(f"{ROOT}/1_2")[0])["is_hidden"] == "true"
    refused = sender.hide_comment("1_3")
    assert (refused.ok, refused.error_code) == (False, "auth_expired")
