"""Working cases: assignment (manual, round-robin in a queue), statuses, tags, queues, bulk actions, merges,
internal notes with @mentions, and in-app notifications."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from rounds.db import Database
from rounds.db.inbox import InboxCase, InboxCaseItem, InboxNote, InboxNotification, InboxQueue
from rounds.db.models import Membership, User, utcnow
from rounds.domain.audit import AuditAction
from rounds.domain.errors import Conflict, NotFound, ValidationFailed
from rounds.domain.roles import ROLE_PERMISSIONS, Permission, Role
from rounds.services import audit
from rounds.services.context import Actor, Origin
from rounds.services.inbox import (
    CaseStatus,
    case_snapshot,
    load_case,
    parse_status,
)

MAX_TAGS = 30
MAX_TAG_CHARS = 60
MAX_NOTE_CHARS = 10_000
MAX_BULK = 500
_MENTION = re.compile(r"(?<![\w@])@([a-z0-9][a-z0-9_.\-]{0,79})", re.IGNORECASE)


# --- notifications -------------------------------------------------------------------------------------------


def notify(
    session: Session, organization_id: int, user_id: int, case_id: int | None, kind: str, message: str
) -> None:
    """An in-app notice. ``message`` never holds post text."""
    session.add(
        InboxNotification(
            organization_id=organization_id,
            user_id=user_id,
            case_id=case_id,
            kind=kind,
            message=message[:500],
            created_at=utcnow(),
        )
    )


class NotificationView(BaseModel):
    id: int
    case_id: int | None
    kind: str
    message: str
    created_at: datetime
    read_at: datetime | None


def list_notifications(db: Database, actor: Actor, *, unread_only: bool = False) -> list[NotificationView]:
    """The actor's own notices, newest first."""
    if actor.user_id is None:
        return []
    with db.session() as session:
        query = sa.select(InboxNotification).where(
            InboxNotification.user_id == actor.user_id,
            InboxNotification.organization_id == actor.organization_id,
        )
        if unread_only:
            query = query.where(InboxNotification.read_at.is_(None))
        rows = session.execute(query.order_by(InboxNotification.id.desc()).limit(500)).scalars()
        return [
            NotificationView(
                id=row.id,
                case_id=row.case_id,
                kind=row.kind,
                message=row.message,
                created_at=row.created_at,
                read_at=row.read_at,
            )
            for row in rows
        ]


def do_mark_notifications_read(
    db: Database, actor: Actor, notification_ids: Sequence[int] | None = None
) -> int:
    """Mark the actor's notices read (all when no ids). Not audited: a personal view state."""
    if actor.user_id is None:
        return 0
    with db.session() as session:
        query = sa.update(InboxNotification).where(
            InboxNotification.user_id == actor.user_id, InboxNotification.read_at.is_(None)
        )
        if notification_ids is not None:
            query = query.where(InboxNotification.id.in_(list(notification_ids)))
        result = session.execute(query.values(read_at=utcnow()))
        return int(getattr(result, "rowcount", 0) or 0)


# --- assignment ----------------------------------------------------------------------------------------------


def may_work_cases(session: Session, organization_id: int, user_id: int) -> bool:
    row = session.execute(
        sa.select(Membership.role)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.user_id == user_id,
            Membership.organization_id == organization_id,
            User.is_active.is_(True),
        )
    ).scalar_one_or_none()
    if row is None:
        return False
    try:
        return Permission.RESPOND in ROLE_PERMISSIONS[Role(row)]
    except ValueError:
        return False


def check_can_assign(session: Session, actor: Actor, user_id: int | None) -> None:
    """Anyone with ASSIGN_CASES assigns anyone who may respond; a responder may take a case themselves."""
    taking_it = actor.can(Permission.RESPOND) and user_id is not None and user_id == actor.user_id
    if not taking_it:
        actor.require(Permission.ASSIGN_CASES)
    if user_id is not None and not may_work_cases(session, actor.organization_id, user_id):
        raise ValidationFailed(
            f"User {user_id} cannot be assigned cases.",
            hint="Choose an active user whose role may respond (responder, social media manager, lead, admin).",
        )


def pick_round_robin(session: Session, queue: InboxQueue) -> int | None:
    """The queue's next member after the last one assigned (skipping those who may no longer respond)."""
    members = [
        uid for uid in queue.member_user_ids if may_work_cases(session, queue.organization_id, int(uid))
    ]
    if not members:
        return None
    last = queue.last_assigned_user_id
    index = (members.index(last) + 1) % len(members) if last in members else 0
    chosen = int(members[index])
    queue.last_assigned_user_id = chosen
    return chosen


def apply_assignment(session: Session, actor: Actor | None, case: InboxCase, user_id: int | None) -> None:
    case.assignee_user_id = user_id
    if user_id is not None and case.status == CaseStatus.NEW.value:
        case.status = CaseStatus.ASSIGNED.value
    if user_id is None and case.status == CaseStatus.ASSIGNED.value:
        case.status = CaseStatus.NEW.value
    case.updated_at = utcnow()
    if user_id is not None and (actor is None or actor.user_id != user_id):
        notify(
            session,
            case.organization_id,
            user_id,
            case.id,
            "assigned",
            f"Case {case.id} was assigned to you.",
        )


def _record(
    session: Session,
    actor: Actor,
    action: AuditAction,
    case: InboxCase,
    before: dict[str, object],
    origin: Origin,
    **extra: object,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="inbox_case",
        object_id=case.id,
        before=before,
        after={**case_snapshot(case), **extra},
        origin=origin,
    )


def do_assign_case(db: Database, actor: Actor, case_id: int, user_id: int | None, *, origin: Origin) -> None:
    """Assign (or unassign, with None) a case to a person."""
    with db.session() as session:
        case = load_case(session, actor, case_id, for_update=True)
        check_can_assign(session, actor, user_id)
        if case.assignee_user_id == user_id:
            return
        before = case_snapshot(case)
        apply_assignment(session, actor, case, user_id)
        _record(session, actor, AuditAction.INBOX_CASE_ASSIGNED, case, before, origin, how="manual")


def do_assign_round_robin(
    db: Database, actor: Actor, case_id: int, *, queue_id: int | None = None, origin: Origin
) -> int | None:
    """Assign to the next member of the case's queue (or ``queue_id``, which becomes the case's queue)."""
    actor.require(Permission.ASSIGN_CASES)
    with db.session() as session:
        case = load_case(session, actor, case_id, for_update=True)
        wanted = queue_id if queue_id is not None else case.queue_id
        if wanted is None:
            raise ValidationFailed("The case has no queue to pick an assignee from.", hint="Choose a queue.")
        queue = load_queue(session, actor, wanted)
        user_id = pick_round_robin(session, queue)
        if user_id is None:
            raise Conflict(
                f"Queue {queue.name!r} has no member who may respond.", hint="Add members to the queue."
            )
        before = case_snapshot(case)
        case.queue_id = queue.id
        apply_assignment(session, actor, case, user_id)
        _record(session, actor, AuditAction.INBOX_CASE_ASSIGNED, case, before, origin, how="round_robin")
        return user_id


def load_queue(session: Session, actor: Actor, queue_id: int) -> InboxQueue:
    queue = session.get(InboxQueue, queue_id)
    if queue is None or queue.organization_id != actor.organization_id:
        raise NotFound(f"Queue {queue_id} was not found.")
    return queue


def do_set_queue(db: Database, actor: Actor, case_id: int, queue_id: int | None, *, origin: Origin) -> None:
    actor.require(Permission.ASSIGN_CASES)
    with db.session() as session:
        case = load_case(session, actor, case_id, for_update=True)
        if queue_id is not None:
            load_queue(session, actor, queue_id)
        if case.queue_id == queue_id:
            return
        before = case_snapshot(case)
        case.queue_id = queue_id
        case.updated_at = utcnow()
        _record(session, actor, AuditAction.INBOX_CASE_QUEUE_CHANGED, case, before, origin)


# --- status and tags -----------------------------------------------------------------------------------------


def apply_status(case: InboxCase, status: CaseStatus, now: datetime) -> None:
    case.status = status.value
    if status is CaseStatus.RESOLVED:
        case.resolved_at = now
    elif status is CaseStatus.CLOSED:
        case.closed_at = now
        case.resolved_at = case.resolved_at or now
    else:
        case.closed_at = None
        if status in (CaseStatus.NEW, CaseStatus.ASSIGNED):
            case.resolved_at = None
    case.updated_at = now


def do_set_status(
    db: Database, actor: Actor, case_id: int, status: CaseStatus | str, *, origin: Origin
) -> None:
    actor.require(Permission.RESPOND)
    wanted = status if isinstance(status, CaseStatus) else parse_status(status)
    with db.session() as session:
        case = load_case(session, actor, case_id, for_update=True)
        if case.merged_into_case_id is not None:
            raise Conflict(f"Case {case.id} was merged into case {case.merged_into_case_id}.")
        if case.status == wanted.value:
            return
        if wanted is CaseStatus.ASSIGNED and case.assignee_user_id is None:
            raise ValidationFailed("Assign the case to someone first.")
        before = case_snapshot(case)
        apply_status(case, wanted, utcnow())
        _record(session, actor, AuditAction.INBOX_CASE_STATUS_CHANGED, case, before, origin)


def clean_tags(tags: Sequence[str]) -> list[str]:
    out: list[str] = []
    for raw in tags:
        tag = " ".join(str(raw).split()).lower()
        if not tag:
            continue
        if len(tag) > MAX_TAG_CHARS:
            raise ValidationFailed(f"A tag is longer than {MAX_TAG_CHARS} characters.")
        if tag not in out:
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise ValidationFailed(f"At most {MAX_TAGS} tags per case.")
    return out


def do_set_tags(
    db: Database, actor: Actor, case_id: int, tags: Sequence[str], *, origin: Origin
) -> list[str]:
    actor.require(Permission.RESPOND)
    cleaned = clean_tags(tags)
    with db.session() as session:
        case = load_case(session, actor, case_id, for_update=True)
        if list(case.tags) == cleaned:
            return cleaned
        before = case_snapshot(case)
        case.tags = cleaned
        case.updated_at = utcnow()
        _record(session, actor, AuditAction.INBOX_CASE_TAGS_CHANGED, case, before, origin)
        return cleaned


# --- bulk ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkChange:
    status: str | None = None
    assignee_user_id: int | None = None
    unassign: bool = False
    queue_id: int | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()


def do_bulk_update(
    db: Database, actor: Actor, case_ids: Sequence[int], change: BulkChange, *, origin: Origin
) -> int:
    """Apply one change to many cases in one transaction (all or nothing); one audit event per changed case."""
    actor.require(Permission.ASSIGN_CASES)
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        raise ValidationFailed("Select at least one case.")
    if len(ids) > MAX_BULK:
        raise ValidationFailed(f"At most {MAX_BULK} cases at once.")
    status = parse_status(change.status) if change.status else None
    add_tags, remove_tags = clean_tags(change.add_tags), clean_tags(change.remove_tags)
    changed = 0
    now = utcnow()
    with db.session() as session:
        if change.assignee_user_id is not None:
            check_can_assign(session, actor, change.assignee_user_id)
        if change.queue_id is not None:
            load_queue(session, actor, change.queue_id)
        for case_id in ids:
            case = load_case(session, actor, case_id, for_update=True)
            before = case_snapshot(case)
            if change.queue_id is not None:
                case.queue_id = change.queue_id
            if change.unassign:
                apply_assignment(session, actor, case, None)
            elif change.assignee_user_id is not None and case.assignee_user_id != change.assignee_user_id:
                apply_assignment(session, actor, case, change.assignee_user_id)
            if status is not None and case.status != status.value:
                if status is CaseStatus.ASSIGNED and case.assignee_user_id is None:
                    raise ValidationFailed(f"Case {case.id} has no assignee; it cannot be 'assigned'.")
                apply_status(case, status, now)
            if add_tags or remove_tags:
                tags = [t for t in case.tags if t not in remove_tags]
                case.tags = clean_tags([*tags, *add_tags])
            if case_snapshot(case) != before:
                case.updated_at = now
                _record(
                    session, actor, AuditAction.INBOX_CASE_STATUS_CHANGED, case, before, origin, bulk=True
                )
                changed += 1
    return changed


# --- merge ---------------------------------------------------------------------------------------------------


def do_merge_cases(
    db: Database, actor: Actor, target_case_id: int, source_case_ids: Sequence[int], *, origin: Origin
) -> int:
    """Move the posts of duplicate cases into the target; the sources are closed and point at the target."""
    actor.require(Permission.ASSIGN_CASES)
    sources = [cid for cid in dict.fromkeys(source_case_ids) if cid != target_case_id]
    if not sources:
        raise ValidationFailed("Choose at least one other case to merge.")
    now = utcnow()
    moved = 0
    with db.session() as session:
        target = load_case(session, actor, target_case_id, for_update=True)
        if target.merged_into_case_id is not None:
            raise Conflict(f"Case {target.id} was itself merged into case {target.merged_into_case_id}.")
        before = case_snapshot(target)
        for source_id in sources:
            source = load_case(session, actor, source_id, for_update=True)
            items = list(
                session.execute(sa.select(InboxCaseItem).where(InboxCaseItem.case_id == source.id)).scalars()
            )
            for item in items:
                item.case_id = target.id
                item.merged_from_case_id = source.id
            moved += len(items)
            source.merged_into_case_id = target.id
            apply_status(source, CaseStatus.CLOSED, now)
            target.priority = max(target.priority, source.priority)
            target.self_disclosed_phi = target.self_disclosed_phi or source.self_disclosed_phi
            target.emergency = target.emergency or source.emergency
            target.opened_at = min(target.opened_at, source.opened_at)
            target.last_activity_at = max(target.last_activity_at, source.last_activity_at)
            target.tags = clean_tags([*target.tags, *source.tags])
        target.updated_at = now
        _record(
            session, actor, AuditAction.INBOX_CASES_MERGED, target, before, origin, merged_case_ids=sources
        )
    return moved


# --- notes ---------------------------------------------------------------------------------------------------


def do_add_note(db: Database, actor: Actor, case_id: int, body: str, *, origin: Origin) -> int:
    """An internal note; each @username of a colleague who may see the inbox gets an in-app notice."""
    actor.require(Permission.RESPOND)
    text = body.strip()
    if not text:
        raise ValidationFailed("The note is empty.")
    if len(text) > MAX_NOTE_CHARS:
        raise ValidationFailed(f"The note is longer than {MAX_NOTE_CHARS:,} characters.")
    usernames = {match.group(1).lower().rstrip(".") for match in _MENTION.finditer(text)}
    with db.session() as session:
        case = load_case(session, actor, case_id)
        mentioned: list[int] = []
        if usernames:
            rows = session.execute(
                sa.select(User.id, Membership.role)
                .join(Membership, Membership.user_id == User.id)
                .where(
                    User.username.in_(sorted(usernames)),
                    Membership.organization_id == actor.organization_id,
                    User.is_active.is_(True),
                )
            ).all()
            for user_id, role in rows:
                try:
                    allowed = Permission.VIEW_INBOX in ROLE_PERMISSIONS[Role(role)]
                except ValueError:
                    allowed = False
                if allowed:
                    mentioned.append(int(user_id))
        note = InboxNote(
            case_id=case.id,
            author_user_id=actor.user_id,
            body=text,
            mentions=sorted(mentioned),
            created_at=utcnow(),
        )
        session.add(note)
        session.flush()
        for user_id in sorted(mentioned):
            if user_id != actor.user_id:
                notify(
                    session,
                    actor.organization_id,
                    user_id,
                    case.id,
                    "mention",
                    f"{actor.label} mentioned you in a note on case {case.id}.",
                )
        audit.record(
            session,
            actor=actor,
            action=AuditAction.INBOX_NOTE_ADDED,
            object_type="inbox_case",
            object_id=case.id,
            after={"note_id": note.id, "mentions": sorted(mentioned)},
            origin=origin,
        )
        return note.id
