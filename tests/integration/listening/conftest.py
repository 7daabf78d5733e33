from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rounds.db import Database
from rounds.domain.enrichment import Enrichment, Explanation, Intent, Sentiment
from rounds.domain.posts import Post
from rounds.services import auth
from rounds.services.context import Actor, Origin
from rounds.services.listening_ingest import Ingestor, default_screen
from rounds.settings import Settings

ORIGIN = Origin(ip="192.0.2.20", user_agent="pytest")


class RuleEnricher:
    """A small enricher implementing the ingest protocol with explained, versioned keyword rules, so tests
    can state exactly which post gets which sentiment and intent."""

    def enrich_many(self, posts: Iterable[Post]) -> Iterator[Enrichment]:
        for post in posts:
            text = post.text.lower()
            sentiment = Sentiment.NEGATIVE if ("wait" in text or "rude" in text) else Sentiment.NEUTRAL
            intents: tuple[Intent, ...] = (Intent.OTHER,)
            if "end it all" in text:
                intents = (Intent.EMERGENCY_SELF_HARM,)
            elif "rude" in text:
                intents = (Intent.COMPLAINT,)
            yield Enrichment(
                language="en",
                language_confidence=0.9,
                sentiment=sentiment,
                intents=intents,
                intent_scores={intent.value: 0.9 for intent in intents},
                components={"sentiment": "test1", "intent": "test1"},
                explanations=(
                    Explanation(
                        component="enrich.intent.test1",
                        decision=intents[0].value,
                        score=0.9,
                        reason="keyword rule",
                    ),
                ),
            )


@pytest.fixture
def admin(db: Database, settings: Settings) -> Actor:
    return auth.do_first_run_setup(
        db,
        settings,
        organization_name="Test Health",
        username="admin",
        display_name="Admin",
        email="admin@example.org",
        password="a-long-test-password",
        origin=ORIGIN,
    )


@pytest.fixture(scope="session")
def screen_inbound() -> Any:
    return default_screen()


@pytest.fixture
def ingestor(db: Database, admin: Actor, screen_inbound: Any) -> Ingestor:
    return Ingestor(db, admin.organization_id, enricher=RuleEnricher(), screen=screen_inbound)


def line(
    remote_id: str | int, text: str, *, platform: str = "x", author: str = "someone", **extra: Any
) -> str:
    body = {
        "platform": platform,
        "id": str(remote_id),
        "text": text,
        "author": author,
        "created_at": extra.pop("created_at", "2026-03-01T12:00:00Z"),
        **extra,
    }
    return json.dumps(body)


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
