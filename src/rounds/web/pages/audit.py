"""Audit log pages: filterable list, CSV/JSONL export, chain verification (admins and privacy officers)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from rounds.domain.roles import Permission
from rounds.services import audit
from rounds.services.audit import AuditFilter
from rounds.web.context import ActorDep, DbDep, OriginDep
from rounds.web.forms import optional_date, optional_int
from rounds.web.rendering import render

router = APIRouter()

PAGE_SIZE = 50


def audit_filter(
    actor_user_id: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    since: str = "",
    until: str = "",
) -> AuditFilter:
    return AuditFilter(
        actor_user_id=optional_int(actor_user_id, "actor_user_id"),
        action=action.strip() or None,
        object_type=object_type.strip() or None,
        object_id=object_id.strip() or None,
        since=optional_date(since, "since"),
        until=optional_date(until, "until", end_of_day=True),
    )


@router.get("/audit")
def audit_list(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    actor_user_id: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    since: str = "",
    until: str = "",
    page: int = 1,
) -> Response:
    filters = audit_filter(actor_user_id, action, object_type, object_id, since, until)
    page = max(1, page)
    events, total = audit.list_events(db, actor, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    raw: dict[str, Any] = {
        "actor_user_id": actor_user_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "since": since,
        "until": until,
    }
    query = urlencode({key: value for key, value in raw.items() if value})
    return render(
        request,
        "audit/list.html",
        {
            "title": "Audit log",
            "events": events,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "filters": raw,
            "query": query,
            "actions": [(name, name) for name in audit.list_actions()],
            "can_export": actor.can(Permission.EXPORT_AUDIT),
        },
        section="audit",
    )


@router.get("/audit/export.{fmt}")
def audit_export(
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    fmt: str,
    actor_user_id: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    filters = audit_filter(actor_user_id, action, object_type, object_id, since, until)
    text = audit.export_events(db, actor, filters, fmt=fmt, origin=origin)
    media_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson"
    return Response(
        text,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="rounds-audit.{fmt}"'},
    )


@router.get("/audit/verify")
def audit_verify(request: Request, db: DbDep, actor: ActorDep) -> Response:
    result = audit.verify_chain_for(db, actor)
    return render(
        request,
        "audit/verify.html",
        {"title": "Audit chain", "result": result},
        status_code=200,
        section="audit",
    )
