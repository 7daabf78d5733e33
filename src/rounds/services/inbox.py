"""The engagement inbox: shared pieces (statuses, categories, triage, loading a case) and reading cases.

The use cases live beside this module:

* ``inbox_sync``: stored posts become or join cases (mentions, comments, reviews, DMs on the organization's
  registered accounts; listening matches sent by routing rules), triage, escalation of emergencies;
* ``inbox_work``: assignment (manual, round-robin, by rule), statuses, tags, bulk actions, merges, notes with
  @mentions and in-app notifications;
* ``inbox_replies``: templates, screened replies, acknowledgement, override, approval, sending at most once,
  reconciliation, manual sending, hiding self-disclosing comments, privacy incidents;
* ``inbox_alerts``: escalation to the on-call contact and response-target breach alerts;
* ``inbox_config``: queues, routing rules, response-time targets, inbox settings;
* ``inbox_export``: hand-off exports (PDF / plain text, redacted) and metrics (CSV).

Every state change records an audit event in the same transaction. Post and reply text is never logged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from rounds.db import Database
from rounds.db.inbox import InboxCase, InboxCaseItem, InboxNote, InboxQueue, InboxReply, ResponseTarget
from rounds.db.listening import PostEnrichment, PostFinding, StoredPost
from rounds.db.models import AuditEvent, SocialAccount, User, utcnow
from rounds.domain.enrichment import Intent
from rounds.domain.errors import NotFound, ValidationFailed
from rounds.domain.roles import Permission, Role
from rounds.domain.screening import SpanType
from rounds.services.context import Actor


class CaseStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    WAITING = "waiting"  # answered; waiting for the person
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def open(self) -> bool:
        return self in (CaseStatus.NEW, CaseStatus.ASSIGNED, CaseStatus.WAITING)


class Category(StrEnum):
    EMERGENCY = "emergency"
    COMPLAINT = "complaint"
    QUESTION = "question"
    APPOINTMENT = "appointment"
    ADVERSE_DRUG_EVENT = "adverse_drug_event"
    MISINFORMATION = "misinformation"
    PRAISE = "praise"
    OTHER = "other"


class CaseSource(StrEnum):
    COMMENT = "comment"  # answers one of our accounts' posts
    MENTION = "mention"  # @mentions one of our handles
    REVIEW = "review"  # a review on a review platform where we have an account
    DM = "dm"  # a direct message to one of our accounts
    LISTENING = "listening"  # a listening match a routing rule sent here


DEFAULT_TARGET_MINUTES: dict[Category, int] = {
    Category.EMERGENCY: 15,
    Category.COMPLAINT: 24 * 60,
    Category.QUESTION: 24 * 60,
    Category.APPOINTMENT: 24 * 60,
    Category.ADVERSE_DRUG_EVENT: 24 * 60,
    Category.MISINFORMATION: 72 * 60,
    Category.PRAISE: 72 * 60,
    Category.OTHER: 72 * 60,
}

DEFAULT_RESOLUTION_MINUTES: dict[Category, int] = {
    Category.EMERGENCY: 4 * 60,
    Category.COMPLAINT: 72 * 60,
    Category.QUESTION: 72 * 60,
    Category.APPOINTMENT: 72 * 60,
    Category.ADVERSE_DRUG_EVENT: 72 * 60,
    Category.MISINFORMATION: 7 * 24 * 60,
    Category.PRAISE: 7 * 24 * 60,
    Category.OTHER: 7 * 24 * 60,
}

# Most severe first: a post that is both a complaint and a question is a complaint.
_CATEGORY_ORDER: list[tuple[str, Category]] = [
    (Intent.EMERGENCY_SELF_HARM.value, Category.EMERGENCY),
    (Intent.ADVERSE_DRUG_EVENT.value, Category.ADVERSE_DRUG_EVENT),
    (Intent.COMPLAINT.value, Category.COMPLAINT),
    (Intent.APPOINTMENT_REQUEST.value, Category.APPOINTMENT),
    (Intent.QUESTION.value, Category.QUESTION),
    (Intent.MISINFORMATION.value, Category.MISINFORMATION),
    (Intent.PRAISE.value, Category.PRAISE),
]

HEALTH_TYPES = frozenset({SpanType.CONDITION.value, SpanType.MEDICATION.value, SpanType.CARE_EVENT.value})


def parse_category(value: str) -> Category:
    try:
        return Category(value.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        allowed = ", ".join(c.value for c in Category)
        raise ValidationFailed(f"Unknown category {value!r}.", hint=f"Use one of: {allowed}.") from None


def parse_status(value: str) -> CaseStatus:
    try:
        return CaseStatus(value.strip().lower())
    except ValueError:
        allowed = ", ".join(s.value for s in CaseStatus)
        raise ValidationFailed(f"Unknown case status {value!r}.", hint=f"Use one of: {allowed}.") from None


def category_for(intents: Iterable[str]) -> Category:
    present = set(intents)
    for intent, category in _CATEGORY_ORDER:
        if intent in present:
            return category
    return Category.OTHER


# --- triage --------------------------------------------------------------------------------------------------

_INTENT_POINTS: dict[Category, tuple[int, str]] = {
    Category.EMERGENCY: (60, "emergency or self-harm risk"),
    Category.ADVERSE_DRUG_EVENT: (30, "possible adverse drug event"),
    Category.COMPLAINT: (20, "complaint"),
    Category.MISINFORMATION: (15, "misinformation"),
    Category.APPOINTMENT: (10, "appointment request"),
    Category.QUESTION: (10, "question"),
    Category.PRAISE: (0, "praise"),
    Category.OTHER: (0, "no specific intent"),
}


@dataclass(frozen=True)
class Triage:
    score: int
    reason: str


def triage(
    *,
    category: Category,
    sentiment: str,
    influence: float,
    followers: int | None,
    self_disclosed_phi: bool,
    opened_at: datetime,
    now: datetime,
) -> Triage:
    """Priority 0-100 from the stored enrichment, with the reason in words (each part and its points)."""
    parts: list[tuple[int, str]] = []
    points, label = _INTENT_POINTS[category]
    parts.append((points, label))
    if sentiment == "negative":
        parts.append((10, "negative sentiment"))
    reach = max(influence, 0.0)
    if followers is not None and followers >= 10_000:
        reach = max(reach, 60.0)
    elif followers is not None and followers >= 1_000:
        reach = max(reach, 30.0)
    reach_points = min(15, round(reach * 0.15))
    if reach_points:
        parts.append((reach_points, f"influential author (influence {reach:.0f})"))
    if self_disclosed_phi:
        parts.append((10, "the author disclosed their own health details in public"))
    points_for_age, age_words = age_part(opened_at, now)
    if points_for_age:  # always the last part: re-triage (inbox_sync.do_retriage_cases) replaces it
        parts.append((points_for_age, age_words))
    score = min(100, sum(p for p, _ in parts))
    reason = "; ".join(f"{text} (+{p})" for p, text in parts if p) or "no risk signals (0)"
    return Triage(score, reason)


AGE_HOURS_PER_POINT = 6
AGE_MAX_POINTS = 10
_AGE_REASON = re.compile(r"(?:^|; )waiting \d+ h \(\+(\d+)\)$")


def age_part(opened_at: datetime, now: datetime) -> tuple[int, str]:
    """Points for waiting (one per 6 hours, at most 10) and their words."""
    hours = max(0.0, (now - opened_at).total_seconds() / 3600)
    return min(AGE_MAX_POINTS, int(hours // AGE_HOURS_PER_POINT)), f"waiting {hours:.0f} h"


def retriaged(priority: int, reason: str, opened_at: datetime, now: datetime) -> Triage | None:
    """The priority with the waiting time brought up to ``now``, or None when the score would not change.

    The stored reason ends with the age part (``waiting 13 h (+2)``) when it had points; the rest of the score
    (intent, sentiment, influence, disclosure) is unchanged. A capped score (100) stays 100, which is right:
    the age part only grows."""
    found = _AGE_REASON.search(reason)
    old_points = int(found.group(1)) if found else 0
    points, words = age_part(opened_at, now)
    if points <= old_points or priority >= 100:
        return None
    base = reason[: found.start()] if found else reason
    if base == "no risk signals (0)":
        base = ""
    score = min(100, priority - old_points + points)
    if score == priority:
        return None
    return Triage(score, "; ".join(part for part in (base, f"{words} (+{points})") if part))


def target_minutes(session: Session, organization_id: int, category: Category) -> int:
    row = session.execute(
        sa.select(ResponseTarget.minutes).where(
            ResponseTarget.organization_id == organization_id, ResponseTarget.category == category.value
        )
    ).scalar_one_or_none()
    if row is not None:
        return int(row)
    return DEFAULT_TARGET_MINUTES.get(category, DEFAULT_TARGET_MINUTES[Category.OTHER])


def due_at_for(session: Session, case: InboxCase) -> datetime:
    minutes = target_minutes(session, case.organization_id, Category(case.category))
    return case.opened_at + timedelta(minutes=minutes)


def resolution_target_minutes(session: Session, organization_id: int, category: Category) -> int:
    row = session.execute(
        sa.select(ResponseTarget.resolution_minutes).where(
            ResponseTarget.organization_id == organization_id, ResponseTarget.category == category.value
        )
    ).scalar_one_or_none()
    if row is not None:
        return int(row)
    return DEFAULT_RESOLUTION_MINUTES.get(category, DEFAULT_RESOLUTION_MINUTES[Category.OTHER])


def resolution_due_at_for(session: Session, case: InboxCase) -> datetime:
    minutes = resolution_target_minutes(session, case.organization_id, Category(case.category))
    return case.opened_at + timedelta(minutes=minutes)


# --- loading -------------------------------------------------------------------------------------------------


# Department scope (distributed governance, like the account registry): the central team sees every case; a
# department lead, and anyone else in the inbox who belongs to a department, sees the cases of their department
# plus the cases assigned to them and the cases in queues they are a member of. A case's department is its
# queue's department, or (no queue, or a queue without one) the department of the account it came in on.
# Cases with neither are the central team's.
CENTRAL_ROLES = frozenset({Role.ADMIN, Role.SOCIAL_MEDIA_MANAGER, Role.PRIVACY_OFFICER})


def department_scoped(actor: Actor) -> bool:
    if actor.role in CENTRAL_ROLES:
        return False
    return actor.role is Role.DEPARTMENT_LEAD or bool(actor.department_ids)


def case_department() -> sa.ColumnElement[int | None]:
    queue_department = (
        sa.select(InboxQueue.department_id).where(InboxQueue.id == InboxCase.queue_id).scalar_subquery()
    )
    account_department = (
        sa.select(SocialAccount.department_id)
        .where(SocialAccount.id == InboxCase.account_id)
        .scalar_subquery()
    )
    return sa.func.coalesce(queue_department, account_department)


def visible_cases(session: Session, actor: Actor) -> sa.ColumnElement[bool] | None:
    """The SQL condition for the cases a department-scoped actor may see (None: every case of the
    organization)."""
    if not department_scoped(actor):
        return None
    conditions: list[sa.ColumnElement[bool]] = []
    if actor.department_ids:
        conditions.append(case_department().in_(sorted(actor.department_ids)))
    if actor.user_id is not None:
        conditions.append(InboxCase.assignee_user_id == actor.user_id)
        member_of = [
            queue_id
            for queue_id, members in session.execute(
                sa.select(InboxQueue.id, InboxQueue.member_user_ids).where(
                    InboxQueue.organization_id == actor.organization_id
                )
            )
            if actor.user_id in (members or [])
        ]
        if member_of:
            conditions.append(InboxCase.queue_id.in_(member_of))
    return sa.or_(*conditions) if conditions else sa.false()


def load_case(session: Session, actor: Actor, case_id: int, *, for_update: bool = False) -> InboxCase:
    """The case if the actor may see it (permission and department scope); NotFound for missing and
    forbidden alike."""
    if not actor.can(Permission.VIEW_INBOX):
        raise NotFound(f"Case {case_id} was not found.")
    query = sa.select(InboxCase).where(
        InboxCase.id == case_id, InboxCase.organization_id == actor.organization_id
    )
    scope = visible_cases(session, actor)
    if scope is not None:
        query = query.where(scope)
    if for_update:
        query = query.with_for_update()
    case = session.execute(query).scalar_one_or_none()
    if case is None:
        raise NotFound(f"Case {case_id} was not found.")
    return case


def case_snapshot(case: InboxCase) -> dict[str, Any]:
    """What audit events record about a case: no post text, no author handle."""
    return {
        "status": case.status,
        "category": case.category,
        "priority": case.priority,
        "queue_id": case.queue_id,
        "assignee_user_id": case.assignee_user_id,
        "tags": list(case.tags),
        "self_disclosed_phi": case.self_disclosed_phi,
        "emergency": case.emergency,
        "due_at": case.due_at.isoformat() if case.due_at else None,
        "resolution_due_at": case.resolution_due_at.isoformat() if case.resolution_due_at else None,
    }


# --- views ---------------------------------------------------------------------------------------------------


class CaseView(BaseModel):
    id: int
    platform: str
    author_handle: str | None
    author_name: str | None
    source: str
    status: str
    category: str
    intents: list[str]
    priority: int
    priority_reason: str
    queue_id: int | None
    assignee_user_id: int | None
    assignee_name: str | None
    tags: list[str]
    self_disclosed_phi: bool
    phi_reason: str
    emergency: bool
    opened_at: datetime
    last_activity_at: datetime
    due_at: datetime | None
    overdue: bool
    first_response_at: datetime | None
    resolved_at: datetime | None
    breached_at: datetime | None
    resolution_due_at: datetime | None
    resolution_overdue: bool
    resolution_breached_at: datetime | None
    escalated_at: datetime | None
    merged_into_case_id: int | None
    post_count: int


class FindingSummary(BaseModel):
    type: str
    start: int
    end: int
    component: str
    rule: str
    explanation: str


class CasePostView(BaseModel):
    post_id: int
    platform: str
    remote_id: str
    url: str | None
    author_handle: str | None
    text: str
    created_at: datetime
    is_duplicate: bool
    parent_text: str | None
    parent_author: str | None
    sentiment: str
    intents: list[str]
    enrichment_explanations: list[dict[str, Any]]
    screening_verdict: str
    screening_reasons: list[str]
    findings: list[FindingSummary]


class NoteView(BaseModel):
    id: int
    author_user_id: int | None
    author_name: str | None
    body: str
    mentions: list[int]
    created_at: datetime


class ReplyView(BaseModel):
    id: int
    case_id: int
    parent_post_id: int
    platform: str
    text: str
    template: str | None
    status: str
    screening_verdict: str | None
    screening_reasons: list[str]
    screening_findings: list[dict[str, Any]]
    acknowledged_at: datetime | None
    override_by_user_id: int | None
    override_reason: str
    approval_required: bool
    approved_by_user_id: int | None
    idempotency_key: str
    send_attempts: int
    last_error_code: str | None
    last_error_detail: str
    remote_id: str | None
    remote_url: str | None
    sent_manually: bool
    sent_by_user_id: int | None
    sent_at: datetime | None
    created_by_user_id: int | None
    created_at: datetime

    @classmethod
    def of(cls, reply: InboxReply) -> ReplyView:
        return cls(
            id=reply.id,
            case_id=reply.case_id,
            parent_post_id=reply.parent_post_id,
            platform=reply.platform,
            text=reply.text,
            template=reply.template,
            status=reply.status,
            screening_verdict=reply.screening_verdict,
            screening_reasons=list(reply.screening_reasons),
            screening_findings=list(reply.screening_findings),
            acknowledged_at=reply.acknowledged_at,
            override_by_user_id=reply.override_by_user_id,
            override_reason=reply.override_reason,
            approval_required=reply.approval_required,
            approved_by_user_id=reply.approved_by_user_id,
            idempotency_key=reply.idempotency_key,
            send_attempts=reply.send_attempts,
            last_error_code=reply.last_error_code,
            last_error_detail=reply.last_error_detail,
            remote_id=reply.remote_id,
            remote_url=reply.remote_url,
            sent_manually=reply.sent_manually,
            sent_by_user_id=reply.sent_by_user_id,
            sent_at=reply.sent_at,
            created_by_user_id=reply.created_by_user_id,
            created_at=reply.created_at,
        )


class HistoryEntry(BaseModel):
    occurred_at: datetime
    actor_label: str
    action: str
    object_type: str
    object_id: str
    after: dict[str, Any] | None


class CaseDetail(BaseModel):
    case: CaseView
    posts: list[CasePostView]
    notes: list[NoteView]
    replies: list[ReplyView]
    history: list[HistoryEntry]
    offers: list[str]
    """What the case offers now: ``hide_comment``, ``reply_take_offline``, ``record_privacy_incident``,
    ``reply_crisis``."""


def _names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {uid for uid in user_ids if uid is not None}
    if not wanted:
        return {}
    rows = session.execute(sa.select(User.id, User.display_name).where(User.id.in_(wanted))).all()
    return {uid: name for uid, name in rows}


def _post_counts(session: Session, case_ids: Sequence[int]) -> dict[int, int]:
    if not case_ids:
        return {}
    rows = session.execute(
        sa.select(InboxCaseItem.case_id, sa.func.count())
        .where(InboxCaseItem.case_id.in_(case_ids))
        .group_by(InboxCaseItem.case_id)
    ).all()
    return {case_id: int(count) for case_id, count in rows}


def case_view(case: InboxCase, *, names: dict[int, str], post_count: int, now: datetime) -> CaseView:
    return CaseView(
        id=case.id,
        platform=case.platform,
        author_handle=case.author_handle,
        author_name=case.author_name,
        source=case.source,
        status=case.status,
        category=case.category,
        intents=list(case.intents),
        priority=case.priority,
        priority_reason=case.priority_reason,
        queue_id=case.queue_id,
        assignee_user_id=case.assignee_user_id,
        assignee_name=names.get(case.assignee_user_id) if case.assignee_user_id else None,
        tags=list(case.tags),
        self_disclosed_phi=case.self_disclosed_phi,
        phi_reason=case.phi_reason,
        emergency=case.emergency,
        opened_at=case.opened_at,
        last_activity_at=case.last_activity_at,
        due_at=case.due_at,
        overdue=bool(
            case.due_at is not None
            and case.first_response_at is None
            and CaseStatus(case.status).open
            and case.due_at < now
        ),
        first_response_at=case.first_response_at,
        resolved_at=case.resolved_at,
        breached_at=case.breached_at,
        resolution_due_at=case.resolution_due_at,
        resolution_overdue=bool(
            case.resolution_due_at is not None
            and CaseStatus(case.status).open
            and case.resolution_due_at < now
        ),
        resolution_breached_at=case.resolution_breached_at,
        escalated_at=case.escalated_at,
        merged_into_case_id=case.merged_into_case_id,
        post_count=post_count,
    )


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None  # a status, or "open" for new+assigned+waiting
    queue_id: int | None = None
    assignee_user_id: int | None = None
    category: str | None = None
    tag: str | None = None
    include_merged: bool = False


def has_tag(session: Session, tag: str) -> sa.ColumnElement[bool]:
    """``tag`` is one of the case's tags (a JSON array of strings), tested in SQL so it works with paging:
    ``json_each`` on SQLite, ``json_array_elements_text`` on PostgreSQL (the column is ``json``)."""
    wanted = " ".join(tag.split()).lower()  # tags are stored cleaned (see inbox_work.clean_tags)
    if session.get_bind().dialect.name == "postgresql":
        elements = sa.func.json_array_elements_text(InboxCase.tags).table_valued("value")
    else:
        elements = sa.func.json_each(InboxCase.tags).table_valued("value")
    return sa.exists(sa.select(sa.literal(1)).select_from(elements).where(elements.c.value == wanted))


def check_can_view_inbox(actor: Actor) -> None:
    actor.require(Permission.VIEW_INBOX)


def list_cases(
    db: Database,
    actor: Actor,
    filters: CaseFilter | None = None,
    *,
    limit: int = 100,
    offset: int = 0,
    now: datetime | None = None,
) -> tuple[list[CaseView], int]:
    """Cases, most urgent first (priority, then the oldest), with the total matching the filters."""
    check_can_view_inbox(actor)
    filters = filters or CaseFilter()
    now = now or utcnow()
    with db.session() as session:
        query = sa.select(InboxCase).where(InboxCase.organization_id == actor.organization_id)
        scope = visible_cases(session, actor)
        if scope is not None:
            query = query.where(scope)
        if not filters.include_merged:
            query = query.where(InboxCase.merged_into_case_id.is_(None))
        if filters.status == "open":
            query = query.where(InboxCase.status.in_([s.value for s in CaseStatus if s.open]))
        elif filters.status:
            query = query.where(InboxCase.status == parse_status(filters.status).value)
        if filters.queue_id is not None:
            query = query.where(InboxCase.queue_id == filters.queue_id)
        if filters.assignee_user_id is not None:
            query = query.where(InboxCase.assignee_user_id == filters.assignee_user_id)
        if filters.category:
            query = query.where(InboxCase.category == parse_category(filters.category).value)
        if filters.tag:
            query = query.where(has_tag(session, filters.tag))
        total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
        rows = list(
            session.execute(
                query.order_by(InboxCase.priority.desc(), InboxCase.opened_at, InboxCase.id)
                .limit(max(1, min(limit, 1000)))
                .offset(max(0, offset))
            ).scalars()
        )
        names = _names(session, (row.assignee_user_id for row in rows))
        counts = _post_counts(session, [row.id for row in rows])
        return [case_view(row, names=names, post_count=counts.get(row.id, 0), now=now) for row in rows], total


def _findings(session: Session, post_ids: Sequence[int]) -> dict[int, list[FindingSummary]]:
    out: dict[int, list[FindingSummary]] = {}
    if not post_ids:
        return out
    for finding in session.execute(
        sa.select(PostFinding).where(PostFinding.post_id.in_(post_ids)).order_by(PostFinding.span_start)
    ).scalars():
        out.setdefault(finding.post_id, []).append(
            FindingSummary(
                type=finding.type,
                start=finding.span_start,
                end=finding.span_end,
                component=finding.component,
                rule=finding.rule,
                explanation=finding.explanation,
            )
        )
    return out


def case_posts(session: Session, case: InboxCase) -> list[tuple[InboxCaseItem, StoredPost]]:
    return [
        (item, post)
        for item, post in session.execute(
            sa.select(InboxCaseItem, StoredPost)
            .join(StoredPost, StoredPost.id == InboxCaseItem.post_id)
            .where(InboxCaseItem.case_id == case.id)
            .order_by(StoredPost.created_at, StoredPost.id)
        ).all()
    ]


def parent_of(session: Session, post: StoredPost) -> StoredPost | None:
    if not post.parent_remote_id:
        return None
    return session.execute(
        sa.select(StoredPost).where(
            StoredPost.platform == post.platform, StoredPost.remote_id == post.parent_remote_id
        )
    ).scalar_one_or_none()


def offers_for(case: InboxCase, replies: Sequence[InboxReply]) -> list[str]:
    offers: list[str] = []
    if case.self_disclosed_phi:
        offers += ["hide_comment", "reply_take_offline", "record_privacy_incident"]
    if case.emergency:
        offers.append("reply_crisis")
    return offers


def access_case(db: Database, actor: Actor, case_id: int, *, now: datetime | None = None) -> CaseDetail:
    """The whole case: its posts with their parent, enrichment and screening explanations, notes, replies
    and history. NotFound for missing and forbidden alike."""
    now = now or utcnow()
    with db.session() as session:
        case = load_case(session, actor, case_id)
        pairs = case_posts(session, case)
        post_ids = [post.id for _item, post in pairs]
        enrichments = {
            row.post_id: row
            for row in session.execute(
                sa.select(PostEnrichment).where(PostEnrichment.post_id.in_(post_ids))
            ).scalars()
        }
        findings = _findings(session, post_ids)
        posts: list[CasePostView] = []
        for item, post in pairs:
            enrichment = enrichments.get(post.id)
            parent = parent_of(session, post)
            posts.append(
                CasePostView(
                    post_id=post.id,
                    platform=post.platform,
                    remote_id=post.remote_id,
                    url=post.url,
                    author_handle=post.author_handle,
                    text=post.text,
                    created_at=post.created_at,
                    is_duplicate=item.is_duplicate,
                    parent_text=parent.text if parent else None,
                    parent_author=parent.author_handle if parent else None,
                    sentiment=post.sentiment,
                    intents=list(enrichment.intents) if enrichment else [],
                    enrichment_explanations=list(enrichment.explanations) if enrichment else [],
                    screening_verdict=enrichment.screening_verdict if enrichment else post.verdict,
                    screening_reasons=list(enrichment.screening_reasons) if enrichment else [],
                    findings=findings.get(post.id, []),
                )
            )
        notes = list(
            session.execute(
                sa.select(InboxNote).where(InboxNote.case_id == case.id).order_by(InboxNote.id)
            ).scalars()
        )
        replies = list(
            session.execute(
                sa.select(InboxReply).where(InboxReply.case_id == case.id).order_by(InboxReply.id)
            ).scalars()
        )
        names = _names(session, [case.assignee_user_id, *(note.author_user_id for note in notes)])
        reply_ids = [str(reply.id) for reply in replies]
        history_rows = session.execute(
            sa.select(AuditEvent)
            .where(
                AuditEvent.organization_id == actor.organization_id,
                sa.or_(
                    sa.and_(AuditEvent.object_type == "inbox_case", AuditEvent.object_id == str(case.id)),
                    sa.and_(AuditEvent.object_type == "inbox_reply", AuditEvent.object_id.in_(reply_ids)),
                ),
            )
            .order_by(AuditEvent.id)
        ).scalars()
        history = [
            HistoryEntry(
                occurred_at=row.occurred_at,
                actor_label=row.actor_label,
                action=row.action,
                object_type=row.object_type,
                object_id=row.object_id,
                after=row.after,
            )
            for row in history_rows
        ]
        return CaseDetail(
            case=case_view(case, names=names, post_count=len(pairs), now=now),
            posts=posts,
            notes=[
                NoteView(
                    id=note.id,
                    author_user_id=note.author_user_id,
                    author_name=names.get(note.author_user_id) if note.author_user_id else None,
                    body=note.body,
                    mentions=list(note.mentions),
                    created_at=note.created_at,
                )
                for note in notes
            ],
            replies=[ReplyView.of(reply) for reply in replies],
            history=history,
            offers=offers_for(case, replies),
        )
