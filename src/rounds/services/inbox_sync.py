"""Stored posts become or join inbox cases.

A post enters the inbox when it is written by someone else and

* answers a post of one of the organization's registered accounts (a comment), or
* @mentions one of their handles (a mention), or
* came in as a direct message (its raw payload's kind names a message), or
* is a review on a review platform where the organization has an account, or
* is a listening match that an active routing rule sends here (topic, intents, platform).

Each post joins the case of its (platform, author, thread); a near or exact duplicate of a post already in a
case joins that case marked as a duplicate. New cases are triaged from the stored enrichment (priority with the
reason, category, due time), routed (queue, assignee, tags, round-robin), and emergencies are escalated at once
with the crisis reply drafted. Sync walks posts by id from a watermark, one committed batch at a time, so it can
run repeatedly and after a crash.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from rounds.db import Database
from rounds.db.inbox import InboxCase, InboxCaseItem, InboxQueue, InboxRoutingRule
from rounds.db.listening import (
    DuplicateGroup,
    PostEnrichment,
    PostFinding,
    RawPayloadRecord,
    StoredPost,
    TopicMatch,
)
from rounds.db.models import SocialAccount, utcnow
from rounds.domain.accounts import AccountStatus
from rounds.domain.audit import AuditAction
from rounds.domain.roles import Permission
from rounds.services import accounts, audit
from rounds.services.context import Actor, Origin
from rounds.services.inbox import (
    AGE_HOURS_PER_POINT,
    AGE_MAX_POINTS,
    HEALTH_TYPES,
    CaseSource,
    CaseStatus,
    Category,
    case_snapshot,
    category_for,
    due_at_for,
    resolution_due_at_for,
    retriaged,
    triage,
)
from rounds.services.inbox_alerts import escalate, settings_row
from rounds.services.inbox_work import apply_assignment, apply_status, notify, pick_round_robin

logger = logging.getLogger(__name__)

REVIEW_PLATFORMS = frozenset({"google_business", "google_business_profile", "yelp", "foursquare"})
_DM_KINDS = ("dm", "direct_message", "message", "conversation")
_MAX_THREAD_DEPTH = 20


def platform_key(platform: str) -> str:
    value = platform.strip().lower()
    return "google_business" if value == "google_business_profile" else value


def handle_key(handle: str | None) -> str:
    """The registry's handle key (:func:`rounds.services.accounts.handle_key`); '' for no handle."""
    return accounts.handle_key(handle or "")


@dataclass
class _Ours:
    accounts: dict[tuple[str, str], SocialAccount] = field(default_factory=dict)
    platforms: dict[str, SocialAccount] = field(default_factory=dict)
    patterns: dict[str, re.Pattern[str]] = field(default_factory=dict)

    def account_for(self, platform: str, handle: str | None) -> SocialAccount | None:
        return self.accounts.get((platform_key(platform), handle_key(handle)))


def _load_ours(session: Session, organization_id: int) -> _Ours:
    ours = _Ours()
    rows = session.execute(
        sa.select(SocialAccount).where(
            SocialAccount.organization_id == organization_id,
            SocialAccount.status.in_([AccountStatus.ACTIVE.value, AccountStatus.DORMANT.value]),
        )
    ).scalars()
    handles: dict[str, list[str]] = {}
    for account in rows:
        key = (platform_key(account.platform), handle_key(account.handle))
        ours.accounts[key] = account
        ours.platforms.setdefault(key[0], account)
        handles.setdefault(key[0], []).append(key[1])
    for platform, names in handles.items():
        alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True) if name)
        if alternatives:
            ours.patterns[platform] = re.compile(rf"(?<![\w@])@(?:{alternatives})(?![\w])", re.IGNORECASE)
    return ours


class SyncReport(BaseModel):
    scanned: int = 0
    created: int = 0
    joined: int = 0
    escalated: int = 0
    case_ids: list[int] = []
    emergency_case_ids: list[int] = []


def _author_key(post: StoredPost) -> str:
    return (post.author_remote_id or handle_key(post.author_handle) or "unknown")[:300]


def _thread_key(session: Session, post: StoredPost) -> str:
    if post.thread_remote_id:
        return post.thread_remote_id[:512]
    current, root = post, post.parent_remote_id
    for _ in range(_MAX_THREAD_DEPTH):
        if not current.parent_remote_id:
            break
        parent = session.execute(
            sa.select(StoredPost).where(
                StoredPost.platform == post.platform, StoredPost.remote_id == current.parent_remote_id
            )
        ).scalar_one_or_none()
        if parent is None:
            root = current.parent_remote_id
            break
        root = parent.thread_remote_id or parent.remote_id
        if parent.thread_remote_id:
            break
        current = parent
    return (root or post.remote_id)[:512]


def self_disclosure(enrichment: PostEnrichment | None, findings: Sequence[PostFinding]) -> tuple[bool, str]:
    """The inbound screening found the author's own health details linked to care here."""
    if enrichment is None or enrichment.screening_verdict not in ("warn", "block"):
        return False, ""
    health = [f for f in findings if f.type in HEALTH_TYPES and not f.organizational]
    if not health:
        return False, ""
    reasons = [r for r in enrichment.screening_reasons if "disclos" in r.lower()] or list(
        enrichment.screening_reasons
    )
    return True, " ".join(reasons)[:1000] or "Screening found health details linked to care here."


def _rule_matches(rule: InboxRoutingRule, post: StoredPost, intents: Sequence[str], topics: set[int]) -> bool:
    if rule.platform and platform_key(rule.platform) != platform_key(post.platform):
        return False
    if rule.topic_id is not None and rule.topic_id not in topics:
        return False
    return not (rule.intents and not set(rule.intents) & set(intents))


class RetriageReport(BaseModel):
    checked: int = 0
    changed: int = 0
    case_ids: list[int] = []


def do_retriage_cases(
    db: Database, actor: Actor, *, origin: Origin, now: datetime | None = None
) -> RetriageReport:
    """Raise the priority of cases still waiting for us as their waiting time grows (run on each scheduler
    tick). Reads only the cases whose score could change (new or assigned, not merged, below 100, waiting at
    least 6 hours and not yet at the age maximum), updates only those whose score does change, in one batch,
    and records one audit event for the run (none when nothing changed)."""
    actor.require(Permission.ASSIGN_CASES)
    now = now or utcnow()
    report = RetriageReport()
    with db.session() as session:
        rows = session.execute(
            sa.select(InboxCase.id, InboxCase.priority, InboxCase.priority_reason, InboxCase.opened_at)
            .where(
                InboxCase.organization_id == actor.organization_id,
                InboxCase.status.in_([CaseStatus.NEW.value, CaseStatus.ASSIGNED.value]),
                InboxCase.merged_into_case_id.is_(None),
                InboxCase.priority < 100,
                InboxCase.opened_at <= now - timedelta(hours=AGE_HOURS_PER_POINT),
                InboxCase.priority_reason.not_like(f"%waiting % h (+{AGE_MAX_POINTS})"),
            )
            .order_by(InboxCase.id)
        ).all()
        report.checked = len(rows)
        updates: list[dict[str, object]] = []
        changes: list[dict[str, int]] = []
        for case_id, priority, reason, opened_at in rows:
            result = retriaged(priority, reason, opened_at, now)
            if result is None:
                continue
            updates.append({"id": case_id, "priority": result.score, "priority_reason": result.reason})
            changes.append({"case_id": case_id, "from": priority, "to": result.score})
        if not updates:
            return report
        session.execute(sa.update(InboxCase), updates)  # one executemany by primary key
        report.changed, report.case_ids = len(updates), [change["case_id"] for change in changes]
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INBOX_CASES_RETRIAGED,
            object_type="inbox",
            object_id=actor.organization_id,
            after={"changed": len(changes), "reason": "waiting time", "cases": changes[:500]},
            origin=origin,
        )
    return report


def do_sync_cases(
    db: Database,
    actor: Actor,
    *,
    origin: Origin,
    now: datetime | None = None,
    batch_size: int = 500,
    draft_crisis_replies: bool = True,
) -> SyncReport:
    """Create or join cases from the posts stored since the last sync. Safe to run again at any time."""
    actor.require(Permission.ASSIGN_CASES)
    report = SyncReport()
    while True:
        with db.session() as session:
            done = _sync_batch(session, actor, origin, now or utcnow(), batch_size, report)
        if done:
            break
    if draft_crisis_replies and report.emergency_case_ids:
        from rounds.services.inbox_replies import Template, do_create_reply

        for case_id in report.emergency_case_ids:
            try:
                do_create_reply(db, actor, case_id, template=Template.CRISIS, origin=origin)
            except Exception:  # the escalation already went out; a failed draft must not undo the sync
                logger.exception("could not draft the crisis reply on case %s", case_id)
    return report


def _sync_batch(
    session: Session, actor: Actor, origin: Origin, now: datetime, batch_size: int, report: SyncReport
) -> bool:
    organization_id = actor.organization_id
    settings = settings_row(session, organization_id)
    posts = list(
        session.execute(
            sa.select(StoredPost)
            .where(StoredPost.id > settings.synced_post_id)
            .order_by(StoredPost.id)
            .limit(batch_size)
        ).scalars()
    )
    if not posts:
        return True
    ours = _load_ours(session, organization_id)
    rules = list(
        session.execute(
            sa.select(InboxRoutingRule)
            .where(InboxRoutingRule.organization_id == organization_id, InboxRoutingRule.is_active.is_(True))
            .order_by(InboxRoutingRule.position, InboxRoutingRule.id)
        ).scalars()
    )
    post_ids = [post.id for post in posts]
    in_cases = set(
        session.execute(
            sa.select(InboxCaseItem.post_id).where(
                InboxCaseItem.organization_id == organization_id, InboxCaseItem.post_id.in_(post_ids)
            )
        ).scalars()
    )
    enrichments = {
        row.post_id: row
        for row in session.execute(
            sa.select(PostEnrichment).where(PostEnrichment.post_id.in_(post_ids))
        ).scalars()
    }
    findings: dict[int, list[PostFinding]] = {}
    for finding in session.execute(sa.select(PostFinding).where(PostFinding.post_id.in_(post_ids))).scalars():
        findings.setdefault(finding.post_id, []).append(finding)
    topics: dict[int, set[int]] = {}
    for topic_id, post_id in session.execute(
        sa.select(TopicMatch.topic_id, TopicMatch.post_id).where(TopicMatch.post_id.in_(post_ids))
    ):
        topics.setdefault(post_id, set()).add(topic_id)
    raw_kinds = dict(
        session.execute(
            sa.select(StoredPost.id, RawPayloadRecord.kind)
            .join(RawPayloadRecord, RawPayloadRecord.id == StoredPost.raw_payload_id)
            .where(StoredPost.id.in_(post_ids))
        ).all()
    )
    for post in posts:
        report.scanned += 1
        if post.id in in_cases:
            continue
        if ours.account_for(post.platform, post.author_handle) is not None:
            continue  # our own post
        enrichment = enrichments.get(post.id)
        intents = list(enrichment.intents) if enrichment else []
        source, account = _classify(session, organization_id, post, ours, str(raw_kinds.get(post.id, "")))
        rule = next(
            (
                r
                for r in rules
                if (source is not None and r.applies_to_account_posts)
                or (source is None and r.topic_id is not None)
                if _rule_matches(r, post, intents, topics.get(post.id, set()))
            ),
            None,
        )
        if source is None:
            if rule is None:
                continue
            source = CaseSource.LISTENING
        _place(
            session,
            actor,
            origin,
            now,
            post,
            source,
            account,
            rule,
            enrichment,
            findings.get(post.id, []),
            report,
        )
    settings.synced_post_id = posts[-1].id
    return len(posts) < batch_size


def _classify(
    session: Session, organization_id: int, post: StoredPost, ours: _Ours, raw_kind: str
) -> tuple[CaseSource | None, SocialAccount | None]:
    platform = platform_key(post.platform)
    if platform not in ours.platforms:
        return None, None
    if post.parent_remote_id:
        parent = session.execute(
            sa.select(StoredPost.id, StoredPost.author_handle).where(
                StoredPost.platform == post.platform, StoredPost.remote_id == post.parent_remote_id
            )
        ).first()
        account = ours.account_for(post.platform, parent[1]) if parent else None
        if account is not None:
            return CaseSource.COMMENT, account
        if parent is not None:  # a reply within a conversation already in the inbox
            in_case = session.execute(
                sa.select(InboxCase.source, InboxCase.account_id)
                .join(InboxCaseItem, InboxCaseItem.case_id == InboxCase.id)
                .where(InboxCaseItem.post_id == parent[0], InboxCase.organization_id == organization_id)
            ).first()
            if in_case is not None:
                found = session.get(SocialAccount, in_case[1]) if in_case[1] is not None else None
                return CaseSource(in_case[0]), found
    kind = raw_kind.lower()
    if any(word in kind for word in _DM_KINDS):
        return CaseSource.DM, ours.platforms[platform]
    pattern = ours.patterns.get(platform)
    if pattern is not None:
        match = pattern.search(post.text or "")
        if match is not None:
            return CaseSource.MENTION, ours.account_for(post.platform, match.group(0)) or ours.platforms[
                platform
            ]
    if platform in REVIEW_PLATFORMS:
        return CaseSource.REVIEW, ours.platforms[platform]
    return None, None


def _place(
    session: Session,
    actor: Actor,
    origin: Origin,
    now: datetime,
    post: StoredPost,
    source: CaseSource,
    account: SocialAccount | None,
    rule: InboxRoutingRule | None,
    enrichment: PostEnrichment | None,
    findings: Sequence[PostFinding],
    report: SyncReport,
) -> None:
    organization_id = actor.organization_id
    intents = list(enrichment.intents) if enrichment else []
    disclosed, phi_reason = self_disclosure(enrichment, findings)
    case: InboxCase | None = None
    duplicate = False
    if post.is_duplicate and post.duplicate_group_id is not None:
        canonical = session.execute(
            sa.select(DuplicateGroup.canonical_post_id).where(DuplicateGroup.id == post.duplicate_group_id)
        ).scalar_one_or_none()
        if canonical is not None:
            case = session.execute(
                sa.select(InboxCase)
                .join(InboxCaseItem, InboxCaseItem.case_id == InboxCase.id)
                .where(InboxCaseItem.post_id == canonical, InboxCase.organization_id == organization_id)
            ).scalar_one_or_none()
            duplicate = case is not None
    author_key, thread_key = _author_key(post), _thread_key(session, post)
    if case is None:
        case = session.execute(
            sa.select(InboxCase).where(
                InboxCase.organization_id == organization_id,
                InboxCase.platform == post.platform,
                InboxCase.author_key == author_key,
                InboxCase.thread_key == thread_key,
            )
        ).scalar_one_or_none()
    while case is not None and case.merged_into_case_id is not None:
        case = session.get(InboxCase, case.merged_into_case_id)
    if case is not None:
        _join(
            session,
            actor,
            origin,
            now,
            case,
            post,
            intents,
            enrichment,
            disclosed,
            phi_reason,
            duplicate,
            report,
        )
        return
    category = category_for(intents)
    result = triage(
        category=category,
        sentiment=post.sentiment,
        influence=post.influence,
        followers=post.author_followers,
        self_disclosed_phi=disclosed,
        opened_at=post.created_at,
        now=now,
    )
    case = InboxCase(
        organization_id=organization_id,
        platform=post.platform,
        author_key=author_key,
        thread_key=thread_key,
        author_handle=post.author_handle,
        author_name=post.author_name,
        author_followers=post.author_followers,
        account_id=account.id if account else None,
        source=source.value,
        routing_rule_id=rule.id if rule else None,
        status=CaseStatus.NEW.value,
        category=category.value,
        intents=intents,
        priority=result.score,
        priority_reason=result.reason,
        tags=list(rule.tags) if rule else [],
        self_disclosed_phi=disclosed,
        phi_reason=phi_reason,
        emergency=category is Category.EMERGENCY,
        opened_at=post.created_at,
        last_activity_at=post.created_at,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    case.due_at = due_at_for(session, case)
    case.resolution_due_at = resolution_due_at_for(session, case)
    session.add(
        InboxCaseItem(organization_id=organization_id, case_id=case.id, post_id=post.id, added_at=now)
    )
    how = None
    if rule is not None:
        case.queue_id = rule.queue_id
        assignee = rule.assignee_user_id
        if assignee is None and rule.round_robin and rule.queue_id is not None:
            queue = session.get(InboxQueue, rule.queue_id)
            assignee = pick_round_robin(session, queue) if queue is not None else None
        if assignee is not None:
            apply_assignment(session, None, case, assignee)
            how = "rule"
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.INBOX_CASE_CREATED,
        object_type="inbox_case",
        object_id=case.id,
        after={
            **case_snapshot(case),
            "source": source.value,
            "post_id": post.id,
            "routing_rule_id": case.routing_rule_id,
            "priority_reason": case.priority_reason,
            **({"assigned_by": how} if how else {}),
        },
        origin=origin,
    )
    report.created += 1
    report.case_ids.append(case.id)
    if case.emergency:
        _escalate(session, actor, origin, now, case, report)


def _escalate(
    session: Session, actor: Actor, origin: Origin, now: datetime, case: InboxCase, report: SyncReport
) -> None:
    alert = escalate(session, case, now)
    if alert is None:
        return
    if case.assignee_user_id is not None:
        notify(
            session,
            case.organization_id,
            case.assignee_user_id,
            case.id,
            "escalation",
            f"Case {case.id} is an emergency: the crisis reply is ready.",
        )
    audit.record(
        session,
        actor=actor,
        action=AuditAction.INBOX_CASE_ESCALATED,
        object_type="inbox_case",
        object_id=case.id,
        after={"alert_id": alert.id, "reason": "emergency_self_harm"},
        origin=origin,
    )
    report.escalated += 1
    report.emergency_case_ids.append(case.id)


def _join(
    session: Session,
    actor: Actor,
    origin: Origin,
    now: datetime,
    case: InboxCase,
    post: StoredPost,
    intents: list[str],
    enrichment: PostEnrichment | None,
    disclosed: bool,
    phi_reason: str,
    duplicate: bool,
    report: SyncReport,
) -> None:
    before = case_snapshot(case)
    session.add(
        InboxCaseItem(
            organization_id=case.organization_id,
            case_id=case.id,
            post_id=post.id,
            is_duplicate=duplicate,
            added_at=now,
        )
    )
    case.last_activity_at = max(case.last_activity_at, post.created_at)
    merged_intents = list(dict.fromkeys([*case.intents, *intents]))
    category = category_for(merged_intents)
    case.intents = merged_intents
    if disclosed and not case.self_disclosed_phi:
        case.self_disclosed_phi, case.phi_reason = True, phi_reason
    if not duplicate and CaseStatus(case.status) in (
        CaseStatus.RESOLVED,
        CaseStatus.CLOSED,
        CaseStatus.WAITING,
    ):
        apply_status(case, CaseStatus.ASSIGNED if case.assignee_user_id else CaseStatus.NEW, now)
    if category.value != case.category:
        case.category = category.value
        case.emergency = case.emergency or category is Category.EMERGENCY
        if case.first_response_at is None:
            case.due_at = due_at_for(session, case)
        if case.resolution_breach_alert_id is None:
            case.resolution_due_at = resolution_due_at_for(session, case)
    result = triage(
        category=Category(case.category),
        sentiment="negative"
        if post.sentiment == "negative"
        else (enrichment.sentiment if enrichment else "neutral"),
        influence=post.influence,
        followers=post.author_followers,
        self_disclosed_phi=case.self_disclosed_phi,
        opened_at=case.opened_at,
        now=now,
    )
    if result.score > case.priority:
        case.priority, case.priority_reason = result.score, result.reason
    case.updated_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.INBOX_CASE_POST_ADDED,
        object_type="inbox_case",
        object_id=case.id,
        before=before,
        after={**case_snapshot(case), "post_id": post.id, "duplicate": duplicate},
        origin=origin,
    )
    report.joined += 1
    if case.emergency and case.escalation_alert_id is None:
        _escalate(session, actor, origin, now, case, report)
