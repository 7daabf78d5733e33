"""Mastodon replies against a fake instance that keeps statuses and honours Idempotency-Key like Mastodon."""

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
from rounds.connectors.mastodon.reply import MastodonReplySender
from rounds.connectors.replies import reply_sender_for
from rounds.domain.replies import ReplyRequest, SendStatus

STATUS = json.loads(
    (
        Path(__file__).resolve().parents[2] / "fixtures/connectors/mastodon/status_entity_example.json"
    ).read_bytes()
)
PARENT_URI = "https://other.example/users/pat/statuses/42"
PARENT_ID = "110000000000000001"
ME = "900"
TEXT = "Thank you for telling us. Please call Patient Relations at 555-0100."


class Instance:
    """Statuses, keyed replies and a scripted answer for each POST (then ``ok``)."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.statuses: list[dict[str, Any]] = []
        self.keys: dict[str, dict[str, Any]] = {}
        self.script: list[str] = []
        server.handle("GET", "/api/v2/search", self.search)
        server.handle("POST", "/api/v1/statuses", self.post)
        server.handle("GET", f"/api/v1/statuses/{PARENT_ID}/context", self.context)
        server.add(
            "GET", "/api/v1/accounts/verify_credentials", Reply(200, {"id": ME, "username": "hospital"})
        )

    def search(self, seen: Seen) -> Reply:
        if seen.param("q") == PARENT_URI:
            return Reply(
                200, {"accounts": [], "hashtags": [], "statuses": [_status(PARENT_ID, uri=PARENT_URI)]}
            )
        return Reply(200, {"accounts": [], "hashtags": [], "statuses": []})

    def post(self, seen: Seen) -> Reply:
        mode = self.script.pop(0) if self.script else "ok"
        if mode in ("401", "429", "422"):
            headers = {"X-RateLimit-Reset": "2026-01-01T00:05:00.000Z"} if mode == "429" else {}
            return Reply(int(mode), {"error": "refused"}, headers=headers)
        key = seen.headers.get("idempotency-key", "")
        body = json.loads(seen.body)
        status = self.keys.get(key)
        if status is None:  # created, whatever the client hears next
            number = str(200000000000000000 + len(self.statuses))
            status = _status(
                number,
                content=f"<p>{body['status']}</p>",
                in_reply_to_id=body["in_reply_to_id"],
                account={**STATUS["account"], "id": ME},
            )
            self.statuses.append(status)
            self.keys[key] = status
        if mode == "slow":
            return Reply(200, status, delay=0.6)
        if mode == "500":
            return Reply(500, {"error": "oops"})
        return Reply(200, status)

    def context(self, seen: Seen) -> Reply:
        return Reply(200, {"ancestors": [], "descendants": self.statuses})


def _status(local_id: str, **changes: Any) -> dict[str, Any]:
    item = copy.deepcopy(STATUS)
    item.update(
        id=local_id,
        uri=f"https://hospital.example/users/hospital/statuses/{local_id}",
        url=f"https://hospital.example/@hospital/{local_id}",
    )
    item.update(changes)
    return item


@pytest.fixture
def instance(server: FakeServer) -> Instance:
    return Instance(server)


@pytest.fixture
def quick() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=0.25) as client:
        yield client


def _sender(server: FakeServer, http: httpx.Client, clock: FakeClock, **options: Any) -> MastodonReplySender:
    sender = reply_sender_for(
        "mastodon",
        credentials={"access_token": "secret-token"},
        http_client=http,
        clock=clock,
        options={"instance_url": server.url, **options},
    )
    assert isinstance(sender, MastodonReplySender)
    return sender


def _request(key: str = "reply-0001-abcd") -> ReplyRequest:
    return ReplyRequest(platform="mastodon", parent_remote_id=PARENT_URI, text=TEXT, idempotency_key=key)


def test_reply_resolves_the_parent_and_sends_the_key(
    server: FakeServer, instance: Instance, http: httpx.Client, clock: FakeClock
) -> None:
    result = _sender(server, http, clock, visibility="unlisted").send_reply(_request())
    assert result.status is SendStatus.SENT
    assert result.remote_id == instance.statuses[0]["id"]
    assert result.url == f"https://hospital.example/@hospital/{result.remote_id}"
    (post,) = server.seen("/api/v1/statuses")
    assert post.headers["idempotency-key"] == "reply-0001-abcd"
    assert post.headers["authorization"] == "Bearer secret-token"
    assert json.loads(post.body) == {"status": TEXT, "in_reply_to_id": PARENT_ID, "visibility": "unlisted"}
    assert server.seen("/api/v2/search")[0].param("resolve") == "true"


def test_a_local_id_is_used_as_is(
    server: FakeServer, instance: Instance, http: httpx.Client, clock: FakeClock
) -> None:
    request = ReplyRequest(
        platform="mastodon", parent_remote_id=PARENT_ID, text=TEXT, idempotency_key="k" * 8
    )
    assert _sender(server, http, clock).send_reply(request).status is SendStatus.SENT
    assert server.seen("/api/v2/search") == []


def test_an_unknown_parent_is_not_found(
    server: FakeServer, instance: Instance, http: httpx.Client, clock: FakeClock
) -> None:
    request = ReplyRequest(
        platform="mastodon", parent_remote_id="https://gone.example/s/1", text=TEXT, idempotency_key="k" * 8
    )
    result = _sender(server, http, clock).send_reply(request)
    assert (result.status, result.error_code) == (SendStatus.FAILED, "not_found")
    assert server.seen("/api/v1/statuses") == []


@pytest.mark.parametrize(
    ("mode", "code", "retryable"),
    [("401", "auth_expired", False), ("429", "rate_limited", True), ("422", "rejected", False)],
)
def test_refusals_fail_without_posting(
    server: FakeServer,
    instance: Instance,
    http: httpx.Client,
    clock: FakeClock,
    mode: str,
    code: str,
    retryable: bool,
) -> None:
    instance.script = [mode]
    result = _sender(server, http, clock).send_reply(_request())
    assert (result.status, result.error_code, result.retryable) == (SendStatus.FAILED, code, retryable)
    assert instance.statuses == []
    assert len(server.seen("/api/v1/statuses")) == 1
    assert TEXT not in result.detail and "secret-token" not in result.detail
    if mode == "429":
        assert "2026-01-01T00:05:00+00:00" in result.detail


def test_a_500_is_retried_with_the_same_key_and_never_duplicates(
    server: FakeServer, instance: Instance, http: httpx.Client, clock: FakeClock
) -> None:
    instance.script = ["500"]  # Mastodon made the status, then failed to answer
    result = _sender(server, http, clock).send_reply(_request())
    assert result.status is SendStatus.SENT
    assert len(instance.statuses) == 1
    assert result.remote_id == instance.statuses[0]["id"]
    keys = {seen.headers["idempotency-key"] for seen in server.seen("/api/v1/statuses")}
    assert keys == {"reply-0001-abcd"}
    assert clock.sleeps == [1.0]


def test_a_timeout_is_retried_with_the_same_key(
    server: FakeServer, instance: Instance, quick: httpx.Client, clock: FakeClock
) -> None:
    instance.script = ["slow"]
    result = _sender(server, quick, clock).send_reply(_request())
    assert result.status is SendStatus.SENT
    assert len(instance.statuses) == 1


def test_timeouts_on_every_try_are_unknown_then_reconciled(
    server: FakeServer, instance: Instance, quick: httpx.Client, clock: FakeClock
) -> None:
    instance.script = ["slow", "slow"]
    sender = _sender(server, quick, clock, send_attempts=2)
    request = _request()
    result = sender.send_reply(request)
    assert (result.status, result.error_code, result.retryable) == (SendStatus.UNKNOWN, "timeout", True)
    assert TEXT not in result.detail
    found = sender.find_sent_reply(request)
    assert found is not None
    assert found.status is SendStatus.SENT
    assert found.remote_id == instance.statuses[0]["id"]
    assert len(instance.statuses) == 1


def test_reconcile_says_none_when_the_reply_is_not_there(
    server: FakeServer, instance: Instance, http: httpx.Client, clock: FakeClock
) -> None:
    instance.statuses.append(_status("5", in_reply_to_id=PARENT_ID, content="<p>someone else</p>"))
    instance.statuses.append(
        _status("6", in_reply_to_id=PARENT_ID, content=f"<p>{TEXT}</p>", account={"id": "other"})
    )
    assert _sender(server, http, clock).find_sent_reply(_request()) is None


def test_reconcile_that_cannot_read_stays_unknown(
    server: FakeServer, instance: Instance, http: httpx.Client, clock: FakeClock
) -> None:
    server.handle("GET", f"/api/v1/statuses/{PARENT_ID}/context", lambda seen: Reply(503, b""))
    found = _sender(server, http, clock).find_sent_reply(_request())
    assert found is not None
    assert (found.status, found.error_code) == (SendStatus.UNKNOWN, "degraded")


def test_hide_is_not_supported(server: FakeServer, http: httpx.Client, clock: FakeClock) -> None:
    sender = _sender(server, http, clock)
    assert sender.supports_hide is False
    result = sender.hide_comment(PARENT_ID)
    assert (result.ok, result.error_code) == (False, "unsupported")
