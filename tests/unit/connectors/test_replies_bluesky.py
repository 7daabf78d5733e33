"""Bluesky replies and threadgate hiding against a fake PDS that keeps the records it wrote."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rounds.connectors.bluesky.reply import BlueskyReplySender
from rounds.connectors.clock import FakeClock
from rounds.connectors.fakes import FakeServer, Reply, Seen
from rounds.connectors.replies import reply_sender_for
from rounds.domain.replies import ReplyRequest, SendStatus

SEARCH = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures/connectors/bluesky/search_posts.json").read_bytes()
)
PARENT = copy.deepcopy(SEARCH["posts"][0])  # at://did:plc:abc123/app.bsky.feed.post/3kexample1
ME = "did:plc:hospital"
TEXT = "We're sorry about the wait. Please DM us and we'll look into it."
X = "/xrpc/"


class Pds:
    def __init__(self, server: FakeServer) -> None:
        self.records: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {PARENT["uri"]: PARENT}
        self.gate: dict[str, Any] | None = None
        self.script: list[str] = []
        server.handle("POST", X + "com.atproto.server.createSession", self.session)
        server.handle("GET", X + "app.bsky.feed.getPosts", self.get_posts)
        server.handle("POST", X + "com.atproto.repo.createRecord", self.create)
        server.handle("GET", X + "com.atproto.repo.listRecords", self.list_records)
        server.handle("GET", X + "com.atproto.repo.getRecord", self.get_record)
        server.handle("POST", X + "com.atproto.repo.putRecord", self.put_record)

    def session(self, seen: Seen) -> Reply:
        return Reply(200, {"accessJwt": "jwt", "refreshJwt": "r", "did": ME, "handle": "hospital.example"})

    def get_posts(self, seen: Seen) -> Reply:
        uris = seen.query.get("uris", [])
        return Reply(200, {"posts": [self.views[uri] for uri in uris if uri in self.views]})

    def create(self, seen: Seen) -> Reply:
        mode = self.script.pop(0) if self.script else "ok"
        if mode == "expired":
            return Reply(400, {"error": "ExpiredToken", "message": "Token has expired"})
        if mode == "401":
            return Reply(401, {"error": "AuthenticationRequired", "message": "no"})
        if mode == "429":
            return Reply(429, {"error": "RateLimitExceeded"}, headers={"ratelimit-reset": "1767226000"})
        if mode == "invalid":
            return Reply(
                400,
                {"error": "InvalidRequest", "message": "Record/text must not be longer than 300 graphemes"},
            )
        body = json.loads(seen.body)
        uri = f"at://{ME}/app.bsky.feed.post/3lreply{len(self.records)}"
        self.records.insert(0, {"uri": uri, "cid": f"bafyreply{len(self.records)}", "value": body["record"]})
        if mode == "slow":
            return Reply(200, {"uri": uri, "cid": "c"}, delay=0.6)
        if mode == "502":
            return Reply(502, b"")
        return Reply(
            200, {"uri": uri, "cid": "c", "commit": {"cid": "x", "rev": "y"}, "validationStatus": "valid"}
        )

    def list_records(self, seen: Seen) -> Reply:
        return Reply(200, {"records": self.records})

    def get_record(self, seen: Seen) -> Reply:
        if self.gate is None:
            return Reply(400, {"error": "RecordNotFound", "message": "Could not locate record"})
        return Reply(200, {"uri": "at://gate", "cid": "gatecid", "value": self.gate})

    def put_record(self, seen: Seen) -> Reply:
        self.gate = json.loads(seen.body)["record"]
        return Reply(200, {"uri": "at://gate", "cid": "gatecid2"})


@pytest.fixture
def pds(server: FakeServer) -> Pds:
    return Pds(server)


@pytest.fixture
def quick() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=0.25) as client:
        yield client


def _sender(server: FakeServer, http: httpx.Client, clock: FakeClock) -> BlueskyReplySender:
    sender = reply_sender_for(
        "bluesky",
        credentials={"identifier": "hospital.example", "app_password": "app-pass"},
        http_client=http,
        clock=clock,
        options={"service_url": server.url},
    )
    assert isinstance(sender, BlueskyReplySender)
    return sender


def _request(parent: str = PARENT["uri"]) -> ReplyRequest:
    return ReplyRequest(
        platform="bluesky", parent_remote_id=parent, text=TEXT, idempotency_key="reply-0004-abcd"
    )


def test_reply_to_a_top_level_post_uses_it_as_root(
    server: FakeServer, pds: Pds, http: httpx.Client, clock: FakeClock
) -> None:
    result = _sender(server, http, clock).send_reply(_request())
    assert result.status is SendStatus.SENT
    assert result.remote_id == f"at://{ME}/app.bsky.feed.post/3lreply0"
    assert result.url == f"https://bsky.app/profile/{ME}/post/3lreply0"
    (seen,) = server.seen(X + "com.atproto.repo.createRecord")
    body = json.loads(seen.body)
    assert body["repo"] == ME and body["collection"] == "app.bsky.feed.post"
    ref = {"uri": PARENT["uri"], "cid": PARENT["cid"]}
    assert body["record"]["reply"] == {"root": ref, "parent": ref}
    assert body["record"]["createdAt"] == "2026-01-01T00:00:00.000Z"
    assert seen.headers["authorization"] == "Bearer jwt"


def test_reply_to_a_reply_keeps_the_thread_root(
    server: FakeServer, pds: Pds, http: httpx.Client, clock: FakeClock
) -> None:
    root = {"uri": "at://did:plc:root/app.bsky.feed.post/1", "cid": "rootcid"}
    middle = copy.deepcopy(PARENT)
    middle.update(uri="at://did:plc:abc123/app.bsky.feed.post/2", cid="midcid")
    middle["record"]["reply"] = {"root": root, "parent": root}
    pds.views[middle["uri"]] = middle
    assert _sender(server, http, clock).send_reply(_request(middle["uri"])).status is SendStatus.SENT
    body = json.loads(server.seen(X + "com.atproto.repo.createRecord")[0].body)
    assert body["record"]["reply"] == {"root": root, "parent": {"uri": middle["uri"], "cid": "midcid"}}


def test_a_missing_parent_is_not_found(
    server: FakeServer, pds: Pds, http: httpx.Client, clock: FakeClock
) -> None:
    result = _sender(server, http, clock).send_reply(_request("at://did:plc:x/app.bsky.feed.post/gone"))
    assert (result.status, result.error_code) == (SendStatus.FAILED, "not_found")
    assert server.seen(X + "com.atproto.repo.createRecord") == []


def test_an_expired_session_is_renewed_once(
    server: FakeServer, pds: Pds, http: httpx.Client, clock: FakeClock
) -> None:
    pds.script = ["expired"]
    assert _sender(server, http, clock).send_reply(_request()).status is SendStatus.SENT
    assert len(server.seen(X + "com.atproto.server.createSession")) == 2
    assert len(pds.records) == 1


@pytest.mark.parametrize(
    ("script", "status", "code"),
    [
        (["401", "401"], SendStatus.FAILED, "auth_expired"),
        (["429"], SendStatus.FAILED, "rate_limited"),
        (["invalid"], SendStatus.FAILED, "rejected"),
        (["502"], SendStatus.UNKNOWN, "server_error"),
    ],
)
def test_error_mapping(
    server: FakeServer,
    pds: Pds,
    http: httpx.Client,
    clock: FakeClock,
    script: list[str],
    status: SendStatus,
    code: str,
) -> None:
    pds.script = list(script)
    result = _sender(server, http, clock).send_reply(_request())
    assert (result.status, result.error_code) == (status, code)
    assert TEXT not in result.detail and "app-pass" not in result.detail and "graphemes" not in result.detail


def test_timeout_is_unknown_then_found(
    server: FakeServer, pds: Pds, quick: httpx.Client, clock: FakeClock
) -> None:
    pds.script = ["slow"]
    sender = _sender(server, quick, clock)
    result = sender.send_reply(_request())
    assert (result.status, result.error_code) == (SendStatus.UNKNOWN, "timeout")
    found = sender.find_sent_reply(_request())
    assert found is not None and found.status is SendStatus.SENT
    assert found.remote_id == pds.records[0]["uri"]
    assert len(server.seen(X + "com.atproto.repo.createRecord")) == 1


def test_reconcile_stops_at_the_parent_and_says_none(
    server: FakeServer, pds: Pds, http: httpx.Client, clock: FakeClock
) -> None:
    pds.records = [
        {
            "uri": f"at://{ME}/app.bsky.feed.post/old",
            "cid": "c",
            "value": {"text": TEXT, "createdAt": "2024-01-01T00:00:00.000Z"},
        }
    ]
    assert _sender(server, http, clock).find_sent_reply(_request()) is None


def test_hide_adds_the_reply_to_our_threadgate(
    server: FakeServer, pds: Pds, http: httpx.Client, clock: FakeClock
) -> None:
    ours = {"uri": f"at://{ME}/app.bsky.feed.post/root1", "cid": "rc"}
    comment = copy.deepcopy(PARENT)
    comment.update(uri="at://did:plc:abc123/app.bsky.feed.post/c1", cid="cc")
    comment["record"]["reply"] = {"root": ours, "parent": ours}
    pds.views[comment["uri"]] = comment
    sender = _sender(server, http, clock)
    assert sender.supports_hide
    assert sender.hide_comment(comment["uri"]).ok
    assert pds.gate is not None
    assert pds.gate["hiddenReplies"] == [comment["uri"]] and pds.gate["post"] == ours["uri"]
    assert "allow" not in pds.gate  # no threadgate before: everyone may still reply
    put = json.loads(server.seen(X + "com.atproto.repo.putRecord")[0].body)
    assert put["rkey"] == "root1" and "swapRecord" not in put
    second = copy.deepcopy(comment)
    second["uri"] = "at://did:plc:abc123/app.bsky.feed.post/c2"
    pds.views[second["uri"]] = second
    pds.gate["allow"] = [{"$type": "app.bsky.feed.threadgate#mentionRule"}]
    assert sender.hide_comment(second["uri"]).ok
    assert pds.gate["hiddenReplies"] == [comment["uri"], second["uri"]]
    assert pds.gate["allow"] == [{"$type": "app.bsky.feed.threadgate#mentionRule"}]
    assert json.loads(server.seen(X + "com.atproto.repo.putRecord")[1].body)["swapRecord"] == "gatecid"


def test_hide_under_someone_elses_post_is_refused(
    server: FakeServer, pds: Pds, http: httpx.Client, clock: FakeClock
) -> None:
    comment = copy.deepcopy(PARENT)
    comment.update(uri="at://did:plc:abc123/app.bsky.feed.post/c3")
    comment["record"]["reply"] = {"root": {"uri": "at://did:plc:other/app.bsky.feed.post/r", "cid": "x"}}
    pds.views[comment["uri"]] = comment
    result = _sender(server, http, clock).hide_comment(comment["uri"])
    assert (result.ok, result.error_code) == (False, "not_owner")
    assert server.seen(X + "com.atproto.repo.putRecord") == []
