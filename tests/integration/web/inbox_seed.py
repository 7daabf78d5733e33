"""Inbox cases and replies in every state, for the inbox page tests and the authorization matrix.

Posts and their enrichment are written straight to the tables (ingest would load the enrichment models); the
cases come from the real sync and the replies from the real reply service (screened), so every state is one a
person could reach. Idempotent: a second call returns the same ids. ``FakeSender`` is a ReplySender that
posts into a dict, for the routes that send, reconcile and hide.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from rounds.db import Database
from rounds.db.inbox import InboxCase, InboxReply
from rounds.db.listening import PostEnrichment, PostFinding, StoredPost
from rounds.db.models import Membership, Organization, SocialAccount, User, utcnow
from rounds.domain.replies import ModerationResult, ReplyRequest, ReplyResult, SendStatus
from rounds.domain.roles import Role
from rounds.services import auth, inbox_config, inbox_replies, inbox_sync
from rounds.services.context import Actor, Origin
from rounds.services.inbox_replies import SenderTarget
from rounds.settings import Settings, load_settings

ORIGIN = Origin(ip="127.0.0.1", user_agent="pytest", channel="system")
OUR_HANDLE = "stexample_heart"
COMPLAINT_TEXT = "The nurse at your ER was rude to me and I waited six hours with chest pain. #stexample"
BLOCKED_TEXT = "Sorry about your visit last Tuesday on 4 West. We hope you feel better."
WARN_TEXT = "You should take 200mg ibuprofen for that pain."
SAFE_TEXT = "We're sorry to hear this. Please contact our patient relations team so we can help."
_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$not-a-real-hash"


@dataclass(frozen=True)
class InboxIds:
    case_id: int  # the complaint (self-disclosed health details)
    other_case_id: int  # a question from someone else
    approved_reply_id: int  # cleared: ready to send
    blocked_reply_id: int
    warn_reply_id: int
    approval_reply_id: int  # waiting for approval, written by a responder who is nobody's login in the matrix
    unknown_reply_id: int  # a send whose outcome is unknown
    queue_id: int
    rule_id: int
    post_id: int  # the complaint post


class FakeSender:
    """A platform that keeps what was posted by idempotency key; ``mode`` ok / fail / timeout."""

    supports_hide = True

    def __init__(self, platform: str = "instagram") -> None:
        self.platform = platform
        self.mode = "ok"
        self.posted: dict[str, str] = {}
        self.calls: list[ReplyRequest] = []
        self.hidden: list[str] = []

    def send_reply(self, request: ReplyRequest) -> ReplyResult:
        self.calls.append(request)
        if self.mode == "fail":
            return ReplyResult(
                status=SendStatus.FAILED, error_code="rejected", detail="HTTP 400 from /replies: refused"
            )
        remote = self.posted.setdefault(request.idempotency_key, f"r{len(self.posted) + 1}")
        if self.mode == "timeout":
            return ReplyResult(status=SendStatus.UNKNOWN, error_code="timeout", detail="no answer in time")
        return ReplyResult(
            status=SendStatus.SENT, remote_id=remote, url=f"https://instagram.example/{remote}"
        )

    def find_sent_reply(self, request: ReplyRequest) -> ReplyResult | None:
        remote = self.posted.get(request.idempotency_key)
        if remote is None:
            return None
        return ReplyResult(
            status=SendStatus.SENT, remote_id=remote, url=f"https://instagram.example/{remote}"
        )

    def hide_comment(self, remote_id: str) -> ModerationResult:
        self.hidden.append(remote_id)
        return ModerationResult(ok=True)

    def factory(self, target: SenderTarget) -> FakeSender | None:
        return self if target.platform == self.platform else None


def _actor(db: Database, username: str) -> Actor:
    with db.session() as session:
        user = session.execute(sa.select(User).where(User.username == username)).scalar_one()
        return auth.actor_for(session, user)


def _existing(db: Database) -> InboxIds | None:
    with db.session() as session:
        cases = list(session.execute(sa.select(InboxCase.id).order_by(InboxCase.id)).scalars())
        if len(cases) < 2:
            return None
        replies = dict(
            session.execute(sa.select(InboxReply.text, InboxReply.id).order_by(InboxReply.id)).all()
        )
        statuses = dict(session.execute(sa.select(InboxReply.id, InboxReply.status)).all())
        unknown = next(rid for rid, status in statuses.items() if status == "unknown")
        approved = next(rid for rid, status in statuses.items() if status == "approved")
        approval = next(rid for rid, status in statuses.items() if status == "needs_approval")
        from rounds.db.inbox import InboxQueue, InboxRoutingRule

        return InboxIds(
            case_id=cases[0],
            other_case_id=cases[1],
            approved_reply_id=approved,
            blocked_reply_id=replies[BLOCKED_TEXT],
            warn_reply_id=replies[WARN_TEXT],
            approval_reply_id=approval,
            unknown_reply_id=unknown,
            queue_id=session.execute(sa.select(sa.func.min(InboxQueue.id))).scalar_one(),
            rule_id=session.execute(sa.select(sa.func.min(InboxRoutingRule.id))).scalar_one(),
            post_id=session.execute(
                sa.select(StoredPost.id).where(StoredPost.remote_id == "ig-complaint")
            ).scalar_one(),
        )


def seed_inbox(db: Database, settings: Settings) -> InboxIds:
    found = _existing(db)
    if found is not None:
        return found
    now = utcnow()
    with db.session() as session:
        organization_id = session.execute(sa.select(sa.func.min(Organization.id))).scalar_one()
        account = session.execute(
            sa.select(SocialAccount).where(SocialAccount.handle.ilike(f"%{OUR_HANDLE}%"))
        ).scalar_one()
        account.requires_approval = True
        if session.execute(sa.select(User.id).where(User.username == "seed-responder")).first() is None:
            user = User(
                username="seed-responder", display_name="Seed Responder", email="", password_hash=_HASH
            )
            session.add(user)
            session.flush()
            session.add(
                Membership(user_id=user.id, organization_id=organization_id, role=Role.RESPONDER.value)
            )

        def add(remote_id: str, text: str, author: str, parent: str | None, intents: list[str]) -> StoredPost:
            row = StoredPost(
                platform="instagram",
                remote_id=remote_id,
                text=text,
                url=f"https://instagram.example/p/{remote_id}",
                author_handle=author,
                created_at=now - timedelta(hours=2),
                parent_remote_id=parent,
                language="en",
                sentiment="negative" if "complaint" in intents else "neutral",
                verdict="warn" if "complaint" in intents else "ok",
            )
            session.add(row)
            session.flush()
            session.add(
                PostEnrichment(
                    post_id=row.id,
                    language="en",
                    language_confidence=0.98,
                    sentiment=row.sentiment,
                    sentiment_scores={},
                    intents=intents,
                    intent_scores={intent: 0.9 for intent in intents},
                    author_kind="patient_public",
                    influence=0.0,
                    components={"intent": "v1"},
                    explanations=[
                        {
                            "component": "enrich.intent.v1",
                            "decision": intents[0] if intents else "other",
                            "score": 0.9,
                            "reason": "describes a bad experience with a service",
                            "evidence": [],
                        }
                    ],
                    failures=[],
                    screening_verdict=row.verdict,
                    screening_reasons=["The author describes their own health."]
                    if row.verdict == "warn"
                    else [],
                    screening_components=["phi.health.v1"],
                )
            )
            return row

        add("ig-ours", "Our new urgent care clinic opens Monday.", OUR_HANDLE, None, [])
        complaint = add("ig-complaint", COMPLAINT_TEXT, "pat_patient", "ig-ours", ["complaint"])
        add("ig-question", "Do you take walk-ins on Sunday?", "sam_asks", "ig-ours", ["question"])
        start = COMPLAINT_TEXT.index("chest pain")
        session.add(
            PostFinding(
                post_id=complaint.id,
                type="CONDITION",
                span_start=start,
                span_end=start + len("chest pain"),
                component="phi.health.v1",
                rule="condition_lexicon",
                score=0.9,
                explanation="A health condition described by its author",
            )
        )
    admin = _actor(db, "admin")
    manager = _actor(db, "social-media-manager")
    report = inbox_sync.do_sync_cases(db, admin, origin=ORIGIN, draft_crisis_replies=False)
    assert report.created >= 2, report
    case_id = report.case_ids[0]
    queue = inbox_config.do_save_queue(
        db,
        admin,
        inbox_config.QueueInput(name="Patient relations", member_user_ids=[manager.user_id or 0]),
        origin=ORIGIN,
    )
    rule = inbox_config.do_save_routing_rule(
        db,
        admin,
        inbox_config.RoutingRuleInput(name="Our accounts", applies_to_account_posts=True, queue_id=queue.id),
        origin=ORIGIN,
    )
    inbox_sync_case_queue(db, admin, case_id, queue.id)

    def draft(text: str, by: Actor) -> int:
        return inbox_replies.do_create_reply(db, by, case_id, text=text, origin=ORIGIN).id

    approved = draft(SAFE_TEXT, admin)
    inbox_replies.do_approve_reply(db, manager, approved, origin=ORIGIN)
    unknown = draft(SAFE_TEXT + " Thank you.", admin)
    inbox_replies.do_approve_reply(db, manager, unknown, origin=ORIGIN)
    timing_out = FakeSender()
    timing_out.mode = "timeout"
    inbox_replies.do_send_reply(db, admin, unknown, sender_factory=timing_out.factory, origin=ORIGIN)
    draft(BLOCKED_TEXT, admin)
    draft(WARN_TEXT, admin)
    draft(SAFE_TEXT + " We're here for you.", _actor(db, "seed-responder"))
    ids = _existing(db)
    assert ids is not None
    assert ids.queue_id == queue.id and ids.rule_id == rule.id
    return ids


def inbox_sync_case_queue(db: Database, admin: Actor, case_id: int, queue_id: int) -> None:
    from rounds.services import inbox_work

    inbox_work.do_set_queue(db, admin, case_id, queue_id, origin=ORIGIN)


# --- a seeded template, copied per test (seeding screens several replies; copying takes milliseconds) -------

_SEEDED: dict[str, Path] = {}
_DB_FILES = ("rounds.sqlite3", "rounds.sqlite3-wal", "rounds.sqlite3-shm")


def seeded_copy(template_dir: Path, data_dir: Path, db: Database) -> None:
    """Replace the (fresh, untouched) test database in ``data_dir`` by a copy of the world template with the
    inbox seeded, built once per template."""
    key = str(template_dir)
    if key not in _SEEDED:
        seeded = Path(tempfile.mkdtemp(prefix="rounds-inbox-seed-"))
        for name in _DB_FILES:
            if (template_dir / name).exists():
                shutil.copy2(template_dir / name, seeded / name)
        settings = load_settings(data_dir=seeded, environment="test")
        seeded_db = Database(settings)
        seed_inbox(seeded_db, settings)
        seeded_db.dispose()
        _SEEDED[key] = seeded
    db.dispose()
    for name in _DB_FILES:
        target = data_dir / name
        if target.exists():
            target.unlink()
        source = _SEEDED[key] / name
        if source.exists():
            shutil.copy2(source, target)
