"""API: audit events, export and chain verification (admins and privacy officers)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query, Response

from rounds.services import audit
from rounds.services.audit import AuditFilter
from rounds.web.api.models import ERROR_RESPONSES, AuditPage, VerifyResponse
from rounds.web.context import ActorDep, DbDep, OriginDep

router = APIRouter(tags=["audit"], responses=ERROR_RESPONSES)


def _filters(
    actor_user_id: int | None,
    action: str | None,
    object_type: str | None,
    object_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> AuditFilter:
    return AuditFilter(
        actor_user_id=actor_user_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        since=since,
        until=until,
    )


@router.get("/audit/events", response_model=AuditPage)
def list_events(
    db: DbDep,
    actor: ActorDep,
    actor_user_id: int | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0),
) -> AuditPage:
    """Newest first. ``since``/``until`` are ISO date-times (with a time zone)."""
    filters = _filters(actor_user_id, action, object_type, object_id, since, until)
    events, total = audit.list_events(db, actor, filters, limit=limit, offset=offset)
    return AuditPage(events=events, total=total, limit=limit, offset=offset)


@router.get(
    "/audit/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
)
def export_events(
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    format: Literal["csv", "jsonl"] = "csv",
    actor_user_id: int | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Response:
    filters = _filters(actor_user_id, action, object_type, object_id, since, until)
    text = audit.export_events(db, actor, filters, fmt=format, origin=origin)
    media_type = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    return Response(
        text,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="rounds-audit.{format}"'},
    )


@router.get("/audit/verify", response_model=VerifyResponse)
def verify(db: DbDep, actor: ActorDep) -> VerifyResponse:
    """Recompute the hash chain; names the first edited, deleted or reordered row."""
    result = audit.verify_chain_for(db, actor)
    return VerifyResponse(**result.to_dict())
