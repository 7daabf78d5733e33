"""The production sender factory finds the organization's connector source for the platform and builds the
platform's reply sender with the source's credentials and the settings that sender accepts."""

from __future__ import annotations

import httpx

from rounds.db import Database
from rounds.services import listening
from rounds.services.context import Actor, Origin
from rounds.services.inbox_replies import SenderTarget, default_sender_factory
from rounds.settings import Settings


def _source(
    db: Database, settings: Settings, admin: Actor, *, enabled: bool = True, credentials: bool = True
) -> None:
    listening.do_create_source(
        db,
        settings,
        admin,
        listening.SourceInput(
            name="Mastodon #riverbend",
            connector="mastodon.timeline",
            options={
                "instance_url": "https://mastodon.example",
                "source": "hashtag",
                "hashtag": "riverbend",
                "reply": {"visibility": "unlisted"},
            },
            credentials={"access_token": "token-for-tests"} if credentials else None,
            enabled=enabled,
        ),
        origin=Origin.system(),
    )


def test_listening_source_gives_the_reply_sender_its_settings(
    db: Database, settings: Settings, admin: Actor
) -> None:
    _source(db, settings, admin)
    with httpx.Client() as client:
        factory = default_sender_factory(db, settings, http_client=client)
        sender = factory(SenderTarget(admin.organization_id, "mastodon", None, "@riverbend"))
        assert sender is not None
        assert sender.platform == "mastodon"
        options = sender.options  # type: ignore[attr-defined]
        assert options.instance_url == "https://mastodon.example"
        assert options.visibility == "unlisted"
        # No source for X and no API for Yelp: both take the copy-and-mark-sent path.
        assert factory(SenderTarget(admin.organization_id, "x", None, None)) is None
        assert factory(SenderTarget(admin.organization_id, "yelp", None, None)) is None


def test_disabled_source_or_missing_credentials_means_manual(
    db: Database, settings: Settings, admin: Actor
) -> None:
    _source(db, settings, admin, enabled=False)
    with httpx.Client() as client:
        factory = default_sender_factory(db, settings, http_client=client)
        assert factory(SenderTarget(admin.organization_id, "mastodon", None, None)) is None
