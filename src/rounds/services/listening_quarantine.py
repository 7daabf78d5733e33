"""The quarantine's two ways out: **resolve** (a person closes the item with a note: the payload was junk, the
sender fixed it upstream...) and **retry** (after a parser fix, parse the stored raw payload or file line again;
when it now yields the post, ingest stores it, idempotently on (platform, remote id), and the item is closed).

Both are audited (``quarantine.resolved``, ``quarantine.retried``) with the person who did it; the audit rows
hold ids, outcomes and counts, never the payload or post text. A retry that still fails keeps the item open,
counts the attempt and records the new reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from rounds.connectors.registry import Registry, default_registry
from rounds.db import Database
from rounds.db.listening import QuarantinedItem, RawPayloadRecord
from rounds.db.models import utcnow
from rounds.domain.audit import AuditAction
from rounds.domain.connectors import ParseFailure, RawPayload
from rounds.domain.errors import Conflict, NotFound, ValidationFailed
from rounds.services import audit
from rounds.services.context import Actor, Origin
from rounds.services.listening import IMPORT_POSTS
from rounds.services.listening_ingest import Ingestor, StoredRaw, failure_line, stored_payload
from rounds.services.listening_search import QuarantineView, quarantine_view

MANAGE_QUARANTINE = IMPORT_POSTS
"""Who may resolve or retry: the people who may import posts."""


class ResolveInput(BaseModel):
    note: str = Field(min_length=1, max_length=1000, description="Why the item is closed (no post text).")


class RetryResult(BaseModel):
    item: QuarantineView
    outcome: Literal["stored", "still_failing"]
    stored: int = 0
    """Posts stored by the retry (0 when they were already stored: the retry is idempotent)."""
    duplicates: int = 0
    reason: str | None = None
    """The parser's reason when the retry still fails."""


def check_can_manage_quarantine(actor: Actor) -> None:
    actor.require(MANAGE_QUARANTINE)


def _load(session: Session, actor: Actor, item_id: int) -> QuarantinedItem:
    item = session.get(QuarantinedItem, item_id)
    if item is None:
        raise NotFound(f"Quarantined item {item_id} was not found.")
    return item


def do_resolve_quarantined(
    db: Database, actor: Actor, item_id: int, data: ResolveInput, *, origin: Origin
) -> QuarantineView:
    """Close an item with a note, without storing anything."""
    check_can_manage_quarantine(actor)
    note = data.note.strip()
    if not note:
        raise ValidationFailed(
            "A note is needed to resolve a quarantined item.",
            details=[{"field": "note", "message": "empty"}],
        )
    with db.session() as session:
        item = _load(session, actor, item_id)
        if item.resolved_at is not None:
            raise Conflict(f"Quarantined item {item_id} is already resolved.")
        item.resolved_at = utcnow()
        item.resolution = "resolved"
        item.resolution_note = note[:1000]
        item.resolved_by_user_id = actor.user_id
        audit.record(
            session,
            actor=actor,
            action=AuditAction.QUARANTINE_RESOLVED,
            object_type="quarantined_item",
            object_id=item.id,
            after={"resolution": "resolved", "note": note[:1000]},
            origin=origin,
        )
        return quarantine_view(item)


def _same_item(failure: ParseFailure, payload: RawPayload, item: QuarantinedItem) -> bool:
    remote_id = failure.remote_id[:512] if failure.remote_id else None
    return failure_line(failure, payload) == item.line and remote_id == item.remote_id


def do_retry_quarantined(
    db: Database,
    actor: Actor,
    item_id: int,
    *,
    origin: Origin,
    ingestor: Ingestor | None = None,
    make_ingestor: Callable[[], Ingestor] | None = None,
    registry: Registry | None = None,
) -> RetryResult:
    """Parse the item's stored raw payload again; store what it now yields and close the item, or count the
    attempt and keep the new reason."""
    check_can_manage_quarantine(actor)
    registry = registry or (ingestor.registry if ingestor is not None else default_registry())
    with db.session() as session:
        item = _load(session, actor, item_id)
        if item.resolved_at is not None:
            raise Conflict(f"Quarantined item {item_id} is already resolved.")
        if item.raw_payload_id is None:
            raise ValidationFailed(
                f"Quarantined item {item_id} has no stored payload to parse again.",
                hint="Resolve it with a note instead.",
            )
        record = session.get(RawPayloadRecord, item.raw_payload_id)
        if record is None:
            raise NotFound(f"The payload of quarantined item {item_id} was not found.")
        payload = stored_payload(record)
        raw_id = record.id
    parsed = registry.parse(payload)
    failures = [f for f in parsed.failures if _same_item(f, payload, item)]
    if not failures and not parsed.posts and parsed.failures:
        failures = list(parsed.failures)  # an item we cannot tell apart: the payload as a whole still fails
    stored = duplicates = 0
    if not failures:
        if ingestor is None:
            ingestor = (
                make_ingestor() if make_ingestor is not None else _default_ingestor(db, actor, registry)
            )
        # not pending: no new quarantine rows, the payload's status is left alone; posts already stored are
        # duplicates (idempotent on platform and remote id)
        counts = ingestor.process([StoredRaw(raw_id, False, payload)])
        stored, duplicates = counts.stored, counts.duplicates
    with db.session() as session:
        item = _load(session, actor, item_id)
        if item.resolved_at is not None:  # resolved by someone else meanwhile
            raise Conflict(f"Quarantined item {item_id} is already resolved.")
        now = utcnow()
        item.retry_count = (item.retry_count or 0) + 1
        item.last_retry_at = now
        outcome: Literal["stored", "still_failing"]
        if failures:
            outcome = "still_failing"
            item.reason = failures[0].reason[:1000]
        else:
            outcome = "stored"
            item.resolved_at = now
            item.resolution = "retried"
            item.resolved_by_user_id = actor.user_id
        audit.record(
            session,
            actor=actor,
            action=AuditAction.QUARANTINE_RETRIED,
            object_type="quarantined_item",
            object_id=item.id,
            after={
                "outcome": outcome,
                "stored": stored,
                "duplicates": duplicates,
                "attempt": item.retry_count,
            },
            origin=origin,
        )
        return RetryResult(
            item=quarantine_view(item),
            outcome=outcome,
            stored=stored,
            duplicates=duplicates,
            reason=item.reason if failures else None,
        )


def _default_ingestor(db: Database, actor: Actor, registry: Registry) -> Ingestor:
    from rounds.services.listening_schedule import make_ingestor

    return make_ingestor(db, actor.organization_id, registry)
