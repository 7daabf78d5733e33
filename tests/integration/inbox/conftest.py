from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from rounds.db import Database
from rounds.db.models import Membership, User
from rounds.domain.enrichment import Enrichment, Explanation, Intent, Sentiment
from rounds.domain.posts import Post
from rounds.domain.replies import ModerationResult, ReplyRequest, ReplyResult, SendStatus
from rounds.domain.roles import Role
from rounds.services import auth
from rounds.services.accounts import AccountInput, do_create_account
from rounds.services.context import Actor, Origin
from rounds.services.departments import do_create_department
from rounds.services.inbox_replies import SenderTarget
from rounds.services.listening_ingest import Ingestor, default_screen, import_file
from rounds.settings import Settings

ORIGIN = Origin(ip="192.0.2.30", user_agent="pytest")
PASSWORD = "a-long-test-password"


class KeywordEnricher:
    """Explained keyword rules, so each test states which post gets which intent and sentiment."""

    def enrich_many(self, posts: Iterable[Post]) -> Iterator[Enrichment]:
        for post in posts:
            text = post.text.lower()
            intents: tuple[Intent, ...] = (Intent.OTHER,)
            sentiment = Sentiment.NEUTRAL
            if "end it all" in text:
                intents, sentiment = (Intent.EMERGENCY_SELF_HARM,), Sentiment.NEGATIVE
            elif "rude" in text or "waited" in text:
                intents, sentiment = (Intent.COMPLAINT,), Sentiment.NEGATIVE
            elif "thank" in text:
                intents, sentiment = (Intent.PRAISE,), Sentiment.POSITIVE
            elif "?" in text:
                intents = (Intent.QUESTION,)
            yield Enrichment(
                language="en",
                language_confidence=0.9,
                sentiment=sentiment,
                intents=intents,
                intent_scores={intent.value: 0.9 for intent in intents},
                components={"intent": "test1"},
                explanations=(
                    Explanation(
                        component="enrich.intent.test1", decision=intents[0].value, score=0.9, reason="rule"
                    ),
                ),
            )


class FakeReplySender:
    """Implements the ReplySender protocol like a platform would: posts are kept by idempotency key, so
    ``find_sent_reply`` finds what was really posted. Modes: ``ok``, ``fail`` (refused, nothing posted),
    ``timeout`` (posted, then the answer is lost), ``raise`` (posted, then the client raises)."""

    def __init__(self, platform: str = "x", supports_hide: bool = True) -> None:
        self.platform = platform
        self.supports_hide = supports_hide
        self.mode = "ok"
        self.posted: dict[str, tuple[ReplyRequest, str]] = {}
        self.calls: list[ReplyRequest] = []
        self.hidden: list[str] = []

    def send_reply(self, request: ReplyRequest) -> ReplyResult:
        self.calls.append(request)
        if self.mode == "fail":
            return ReplyResult(
                status=SendStatus.FAILED, error_code="rejected", detail="refused by the platform"
            )
        if request.idempotency_key in self.posted:  # a platform honouring idempotency keys
            _request, remote = self.posted[request.idempotency_key]
        else:
            remote = f"reply-{len(self.posted) + 1}"
            self.posted[request.idempotency_key] = (request, remote)
        if self.mode == "timeout":
            return ReplyResult(status=SendStatus.UNKNOWN, error_code="timeout", detail="read timed out")
        if self.mode == "raise":
            raise TimeoutError("read timed out")
        return ReplyResult(status=SendStatus.SENT, remote_id=remote, url=f"https://x.example/{remote}")

    def find_sent_reply(self, request: ReplyRequest) -> ReplyResult | None:
        found = self.posted.get(request.idempotency_key)
        if found is None:
            return None
        return ReplyResult(status=SendStatus.SENT, remote_id=found[1], url=f"https://x.example/{found[1]}")

    def hide_comment(self, remote_id: str) -> ModerationResult:
        self.hidden.append(remote_id)
        return ModerationResult(ok=True)

    def factory(self, target: SenderTarget) -> FakeReplySender | None:
        return self if target.platform == self.platform else None


@pytest.fixture
def admin(db: Database, settings: Settings) -> Actor:
    return auth.do_first_run_setup(
        db,
        settings,
        organization_name="Mercy Health",
        username="admin",
        display_name="Admin",
        email="admin@example.org",
        password=PASSWORD,
        origin=ORIGIN,
    )


def actor_of(db: Database, username: str) -> Actor:
    with db.session() as session:
        user = session.execute(sa.select(User).where(User.username == username)).scalar_one()
        return auth.actor_for(session, user)


def _add_user(
    db: Database, organization_id: int, username: str, role: Role, department_id: int | None = None
) -> Actor:
    # Direct rows with one precomputed hash: argon2 per user would make every test slow. User creation
    # itself is tested in tests/integration/foundation.
    with db.session() as session:
        user = User(username=username, display_name=role.label, email="", password_hash=_HASH)
        session.add(user)
        session.flush()
        session.add(
            Membership(
                user_id=user.id, organization_id=organization_id, role=role.value, department_id=department_id
            )
        )
    return actor_of(db, username)


_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$not-a-real-hash"


@pytest.fixture
def department(db: Database, admin: Actor) -> int:
    """Patient experience: the department of our account and of the department lead (see docs/inbox.md,
    department scope)."""
    return do_create_department(db, admin, name="Patient experience", origin=ORIGIN).id


@pytest.fixture
def people(db: Database, admin: Actor, department: int) -> dict[str, Actor]:
    """One user per role, by role name, plus 'responder2' and the admin. The department lead leads the
    account's department."""
    out: dict[str, Actor] = {"admin": admin}
    for role in Role:
        if role is not Role.ADMIN:
            in_department = department if role is Role.DEPARTMENT_LEAD else None
            out[role.value] = _add_user(db, admin.organization_id, role.value, role, in_department)
    out["responder2"] = _add_user(db, admin.organization_id, "responder2", Role.RESPONDER)
    return out


@pytest.fixture
def account(db: Database, admin: Actor, department: int) -> int:
    view = do_create_account(
        db,
        admin,
        AccountInput(
            platform="x",
            handle="@MercyHealth",
            display_name="Mercy Health",
            requires_approval=True,
            department_id=department,
        ),
        origin=ORIGIN,
    )
    return view.id


@pytest.fixture(scope="session")
def screen_inbound() -> Any:
    return default_screen()


@pytest.fixture
def ingest(db: Database, admin: Actor, screen_inbound: Any, tmp_path: Path) -> Any:
    counter = iter(range(1, 1000))

    def run(*lines: dict[str, Any]) -> None:
        path = tmp_path / f"batch{next(counter)}.jsonl"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        ingestor = Ingestor(db, admin.organization_id, enricher=KeywordEnricher(), screen=screen_inbound)
        import_file(db, admin, path, origin=ORIGIN, ingestor=ingestor)

    return run


def post(
    remote_id: str, text: str, *, author: str = "pat", created_at: str = "2026-03-05T12:00:00Z", **extra: Any
) -> dict[str, Any]:
    return {
        "platform": "x",
        "id": remote_id,
        "text": text,
        "author": author,
        "created_at": created_at,
        **extra,
    }
