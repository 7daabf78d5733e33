"""The audit log: append-only and hash-chained.

Each event's hash is SHA-256 over the previous event's hash and a canonical JSON of the event's own fields
(including its id, so reordering is caught). ``audit_chain_head`` keeps the last id, hash and count, updated in
the same transaction, so deleting the newest rows is caught too. ``verify_chain`` recomputes everything and names
the first row that does not match.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from rounds.db import Database
from rounds.db.models import AuditChainHead, AuditEvent, utcnow
from rounds.domain.audit import AuditAction
from rounds.domain.roles import Permission
from rounds.services.context import Actor, Origin

GENESIS_HASH = "0" * 64


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "id": event.id,
        "organization_id": event.organization_id,
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor_user_id": event.actor_user_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "ip": event.ip,
        "user_agent": event.user_agent,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + _canonical(event)).hexdigest()


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    decoded: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return decoded


def record(
    session: Session,
    *,
    actor: Actor | None,
    action: AuditAction,
    object_type: str,
    object_id: str | int = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    origin: Origin,
    organization_id: int | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append one event inside the caller's transaction (so it commits or rolls back with the change)."""
    head = session.execute(
        sa.select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=1, last_event_id=0, last_hash=GENESIS_HASH, count=0)
        session.add(head)
        session.flush()
    event = AuditEvent(
        organization_id=organization_id
        if organization_id is not None
        else (actor.organization_id if actor else None),
        occurred_at=utcnow(),
        actor_user_id=actor.user_id if actor else None,
        actor_label=actor_label or (actor.label if actor else "anonymous"),
        action=str(action),
        object_type=object_type,
        object_id=str(object_id),
        before=_jsonable(before),
        after=_jsonable(after),
        ip=origin.ip[:64],
        user_agent=origin.user_agent[:300],
        prev_hash=head.last_hash,
        hash=secrets.token_hex(
            32
        ),  # placeholder until the id is known; replaced below in the same flush cycle
    )
    session.add(event)
    session.flush()  # assigns the id, which is part of the hash
    event.hash = compute_hash(head.last_hash, event)
    head.last_event_id = event.id
    head.last_hash = event.hash
    head.count += 1
    session.flush()
    return event


class AuditEventView(BaseModel):
    id: int
    occurred_at: datetime
    actor_user_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    ip: str
    user_agent: str
    hash: str

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventView:
        return cls(
            id=event.id,
            occurred_at=event.occurred_at,
            actor_user_id=event.actor_user_id,
            actor_label=event.actor_label,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            before=event.before,
            after=event.after,
            ip=event.ip,
            user_agent=event.user_agent,
            hash=event.hash,
        )


@dataclass(frozen=True)
class AuditFilter:
    actor_user_id: int | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(actor: Actor, filters: AuditFilter) -> sa.Select[AuditEvent]:
    query = sa.select(AuditEvent).where(
        sa.or_(AuditEvent.organization_id == actor.organization_id, AuditEvent.organization_id.is_(None))
    )
    if filters.actor_user_id is not None:
        query = query.where(AuditEvent.actor_user_id == filters.actor_user_id)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id:
        query = query.where(AuditEvent.object_id == filters.object_id)
    if filters.since is not None:
        query = query.where(AuditEvent.occurred_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.occurred_at < filters.until)
    return query


def list_events(
    db: Database, actor: Actor, filters: AuditFilter | None = None, *, limit: int = 100, offset: int = 0
) -> tuple[list[AuditEventView], int]:
    """Newest first, with the total count matching the filters."""
    actor.require(Permission.VIEW_AUDIT)
    filters = filters or AuditFilter()
    limit = max(1, min(limit, 1000))
    with db.session() as session:
        query = _filtered(actor, filters)
        total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
        rows = session.execute(
            query.order_by(AuditEvent.id.desc()).limit(limit).offset(max(0, offset))
        ).scalars()
        return [AuditEventView.of(row) for row in rows], total


def list_actions() -> list[str]:
    return [action.value for action in AuditAction]


def _iter_all(session: Session, query: sa.Select[AuditEvent]) -> Iterator[AuditEvent]:
    yield from session.execute(query.order_by(AuditEvent.id).execution_options(yield_per=500)).scalars()


EXPORT_FIELDS = [
    "id",
    "occurred_at",
    "actor_user_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "ip",
    "user_agent",
    "hash",
]


def export_events(
    db: Database, actor: Actor, filters: AuditFilter | None, *, fmt: str, origin: Origin
) -> str:
    """Export as ``csv`` or ``jsonl``; the export itself is audited."""
    actor.require(Permission.EXPORT_AUDIT)
    if fmt not in {"csv", "jsonl"}:
        from rounds.domain.errors import ValidationFailed

        raise ValidationFailed(f"Unknown export format {fmt!r}.", hint="Use csv or jsonl.")
    filters = filters or AuditFilter()
    with db.session() as session:
        views = [AuditEventView.of(event) for event in _iter_all(session, _filtered(actor, filters))]
        record(
            session,
            actor=actor,
            action=AuditAction.AUDIT_EXPORTED,
            object_type="audit_log",
            after={"format": fmt, "rows": len(views)},
            origin=origin,
        )
    if fmt == "jsonl":
        return "".join(view.model_dump_json() + "\n" for view in views)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for view in views:
        row = view.model_dump(mode="json")
        row["before"] = json.dumps(row["before"], sort_keys=True) if row["before"] is not None else ""
        row["after"] = json.dumps(row["after"], sort_keys=True) if row["after"] is not None else ""
        writer.writerow(row)
    return buffer.getvalue()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_bad_id": self.first_bad_id,
            "problem": self.problem,
        }


def verify_chain_for(db: Database, actor: Actor) -> VerifyResult:
    """Verify on behalf of a person: those who may read the audit log may check it."""
    actor.require(Permission.VIEW_AUDIT)
    return verify_chain(db)


def verify_chain(db: Database) -> VerifyResult:
    """Recompute the chain from the first row; report the first edited, deleted or reordered row."""
    with db.session() as session:
        prev_hash = GENESIS_HASH
        previous_id = 0
        checked = 0
        for event in _iter_all(session, sa.select(AuditEvent)):
            checked += 1
            if event.prev_hash != prev_hash:
                if event.id != previous_id + 1:
                    problem = (
                        f"row {event.id} does not follow row {previous_id}: "
                        f"a row before it was deleted or the rows were reordered"
                    )
                else:
                    problem = (
                        f"row {event.id} does not link to row {previous_id}: the chain was rewritten here"
                    )
                return VerifyResult(False, checked, event.id, problem)
            expected = compute_hash(prev_hash, event)
            if expected != event.hash:
                return VerifyResult(
                    False,
                    checked,
                    event.id,
                    f"row {event.id} was edited: its content no longer matches its hash",
                )
            prev_hash = event.hash
            previous_id = event.id
        head = session.get(AuditChainHead, 1)
        if head is None:
            if checked:
                return VerifyResult(False, checked, None, "the chain head record is missing")
            return VerifyResult(True, 0)
        if head.count != checked or head.last_event_id != previous_id or head.last_hash != prev_hash:
            return VerifyResult(
                False,
                checked,
                head.last_event_id,
                f"the chain ends at row {previous_id} but its head records row {head.last_event_id} "
                f"({head.count} rows): the newest rows were deleted or the head was altered",
            )
        return VerifyResult(True, checked)
