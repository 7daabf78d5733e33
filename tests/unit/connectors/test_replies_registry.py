"""The reply-sender registry: one line per platform, each sender speaks the protocol."""

from __future__ import annotations

import httpx
import pytest

from rounds.connectors.clock import FakeClock
from rounds.connectors.replies import REPLY_PLATFORMS, reply_sender_for, sender_class
from rounds.domain.errors import ConfigurationError
from rounds.domain.replies import ReplyRequest


def test_registry_snapshot() -> None:
    assert REPLY_PLATFORMS == ("mastodon", "x", "reddit", "bluesky", "youtube", "facebook", "instagram")
    snapshot = {
        platform: (sender_class(platform).platform, sender_class(platform).credential_keys)
        for platform in REPLY_PLATFORMS
    }
    assert snapshot == {
        "mastodon": ("mastodon", ("access_token",)),
        "x": ("x", ("access_token",)),
        "reddit": ("reddit", ("client_id", "client_secret")),
        "bluesky": ("bluesky", ("identifier", "app_password")),
        "youtube": ("youtube", ("access_token",)),
        "facebook": ("facebook", ("page_access_token",)),
        "instagram": ("instagram", ("access_token",)),
    }


def test_unknown_platform_and_missing_credentials_are_configuration_errors() -> None:
    with httpx.Client() as http:
        with pytest.raises(ConfigurationError, match="no reply sender for platform 'linkedin'"):
            reply_sender_for("linkedin", credentials={}, http_client=http, clock=FakeClock())
        with pytest.raises(ConfigurationError, match="missing credential 'access_token'"):
            reply_sender_for("x", credentials={}, http_client=http, clock=FakeClock())
        with pytest.raises(ConfigurationError, match="instance_url"):
            reply_sender_for(
                "mastodon", credentials={"access_token": "t"}, http_client=http, clock=FakeClock()
            )


def test_a_request_for_another_platform_is_refused() -> None:
    with httpx.Client() as http:
        sender = reply_sender_for("x", credentials={"access_token": "t"}, http_client=http, clock=FakeClock())
        request = ReplyRequest(platform="reddit", parent_remote_id="t1_a", text="hi", idempotency_key="k" * 8)
        with pytest.raises(ValueError, match="reddit reply given to the x sender"):
            sender.send_reply(request)


def test_credentials_never_show_in_the_sender_repr() -> None:
    with httpx.Client() as http:
        sender = reply_sender_for(
            "x", credentials={"access_token": "s3cret"}, http_client=http, clock=FakeClock()
        )
        assert "s3cret" not in repr(sender.credentials)  # type: ignore[attr-defined]
