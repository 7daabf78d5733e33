"""API: the engagement inbox — cases (list, read, assign, status, tags, queue, notes, merge, bulk, sync, hand-off
export), replies (draft, edit, acknowledge, override, approve, send, reconcile, mark sent by hand, discard),
self-disclosure actions, notifications, metrics (JSON and CSV) and the inbox configuration.

The same services as the ``/inbox`` pages; the reply sender comes from the app (see
``rounds.web.pages.inbox_support.sender_factory``). Reply text is never logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from rounds.services import (
    inbox,
    inbox_alerts,
    inbox_config,
    inbox_export,
    inbox_replies,
    inbox_sync,
    inbox_work,
)
from rounds.services.inbox import CaseDetail, CaseFilter, CaseView, ReplyView
from rounds.services.inbox_config import (
    InboxSettingsInput,
    InboxSettingsView,
    QueueInput,
    QueueView,
    RoutingRuleInput,
    RoutingRuleView,
)
from rounds.services.inbox_export import InboxMetrics
from rounds.services.inbox_sync import SyncReport
from rounds.services.inbox_work import NotificationView
from rounds.web.api.models import ERROR_RESPONSES
from rounds.web.context import ActorDep, DbDep, OriginDep
from rounds.web.pages.inbox_support import sender_factory

router = APIRouter(prefix="/inbox", tags=["inbox"], responses=ERROR_RESPONSES)


class CasePage(BaseModel):
    items: list[CaseView]
    total: int
    limit: int
    offset: int


class AssignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: int | None = Field(default=None, description="Who gets the case; null unassigns.")
    round_robin: bool = Field(default=False, description="Pick the next member of the case's queue instead.")


class StatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["new", "assigned", "waiting", "resolved", "closed"]


class TagsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tags: list[str] = Field(max_length=50)


class QueueBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue_id: int | None


class NoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(description="Internal note; @username notifies a colleague who can see the inbox.")


class NoteCreated(BaseModel):
    note_id: int


class MergeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_case_ids: list[int] = Field(min_length=1, max_length=100)


class Moved(BaseModel):
    moved: int


class BulkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_ids: list[int] = Field(min_length=1, max_length=500)
    status: str | None = None
    assignee_user_id: int | None = None
    unassign: bool = False
    queue_id: int | None = None
    add_tags: list[str] = Field(default_factory=list)
    remove_tags: list[str] = Field(default_factory=list)


class Changed(BaseModel):
    changed: int


class ReplyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, description="Own words; or leave out and name a template.")
    template: Literal["thanks", "take_offline", "crisis", "misinformation"] | None = None
    source_url: str | None = Field(default=None, description="Required by the misinformation template.")
    parent_post_id: int | None = Field(default=None, description="The post answered (default: the latest).")


class ReplyEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str


class OverrideBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        description="Why this blocked reply is safe to send (audited; at least 10 characters)."
    )


class MarkSentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    remote_url: str | None = None


class HideBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    post_id: int


class HideResult(BaseModel):
    hidden: bool


class IncidentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = "self_disclosure"
    description: str = ""
    post_id: int | None = None
    actions: list[str] = Field(default_factory=list, max_length=20)


class IncidentCreated(BaseModel):
    incident_id: int


class TemplateText(BaseModel):
    template: str
    text: str


class TargetBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minutes: int = Field(ge=1, le=60 * 24 * 30)


class ResolutionTargetBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minutes: int = Field(ge=1, le=60 * 24 * 90)


class ReadBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notification_ids: list[int] | None = None


class ReadResult(BaseModel):
    marked: int


# --- cases ---------------------------------------------------------------------------------------------------


@router.get("/cases", response_model=CasePage, summary="Cases, most urgent first")
def list_cases(
    db: DbDep,
    actor: ActorDep,
    status: Annotated[str | None, Query(description="A status, or 'open'.")] = None,
    queue_id: int | None = None,
    assignee_user_id: int | None = None,
    category: str | None = None,
    tag: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CasePage:
    filters = CaseFilter(
        status=status,
        queue_id=queue_id,
        assignee_user_id=assignee_user_id,
        category=category,
        tag=tag.strip().lower() if tag else None,
    )
    items, total = inbox.list_cases(db, actor, filters, limit=limit, offset=offset)
    return CasePage(items=items, total=total, limit=limit, offset=offset)


@router.get("/cases/{case_id}", response_model=CaseDetail, summary="A case with its thread, replies, history")
def read_case(case_id: int, db: DbDep, actor: ActorDep) -> CaseDetail:
    return inbox.access_case(db, actor, case_id)


@router.post("/cases/{case_id}/assign", response_model=CaseView)
def assign_case(case_id: int, body: AssignBody, db: DbDep, actor: ActorDep, origin: OriginDep) -> CaseView:
    if body.round_robin:
        inbox_work.do_assign_round_robin(db, actor, case_id, origin=origin)
    else:
        inbox_work.do_assign_case(db, actor, case_id, body.user_id, origin=origin)
    return inbox.access_case(db, actor, case_id).case


@router.post("/cases/{case_id}/status", response_model=CaseView)
def set_status(case_id: int, body: StatusBody, db: DbDep, actor: ActorDep, origin: OriginDep) -> CaseView:
    inbox_work.do_set_status(db, actor, case_id, body.status, origin=origin)
    return inbox.access_case(db, actor, case_id).case


@router.put("/cases/{case_id}/tags", response_model=CaseView)
def set_tags(case_id: int, body: TagsBody, db: DbDep, actor: ActorDep, origin: OriginDep) -> CaseView:
    inbox_work.do_set_tags(db, actor, case_id, body.tags, origin=origin)
    return inbox.access_case(db, actor, case_id).case


@router.put("/cases/{case_id}/queue", response_model=CaseView)
def set_queue(case_id: int, body: QueueBody, db: DbDep, actor: ActorDep, origin: OriginDep) -> CaseView:
    inbox_work.do_set_queue(db, actor, case_id, body.queue_id, origin=origin)
    return inbox.access_case(db, actor, case_id).case


@router.post("/cases/{case_id}/notes", response_model=NoteCreated, status_code=201)
def add_note(case_id: int, body: NoteBody, db: DbDep, actor: ActorDep, origin: OriginDep) -> NoteCreated:
    return NoteCreated(note_id=inbox_work.do_add_note(db, actor, case_id, body.body, origin=origin))


@router.post("/cases/{case_id}/merge", response_model=Moved, summary="Merge duplicate cases into this one")
def merge_cases(case_id: int, body: MergeBody, db: DbDep, actor: ActorDep, origin: OriginDep) -> Moved:
    return Moved(moved=inbox_work.do_merge_cases(db, actor, case_id, body.source_case_ids, origin=origin))


@router.post("/bulk", response_model=Changed, summary="One change to many cases (all or nothing)")
def bulk_update(body: BulkBody, db: DbDep, actor: ActorDep, origin: OriginDep) -> Changed:
    change = inbox_work.BulkChange(
        status=body.status,
        assignee_user_id=body.assignee_user_id,
        unassign=body.unassign,
        queue_id=body.queue_id,
        add_tags=tuple(body.add_tags),
        remove_tags=tuple(body.remove_tags),
    )
    return Changed(changed=inbox_work.do_bulk_update(db, actor, body.case_ids, change, origin=origin))


@router.post("/sync", response_model=SyncReport, summary="Create or join cases from the stored posts")
def sync(db: DbDep, actor: ActorDep, origin: OriginDep) -> SyncReport:
    return inbox_sync.do_sync_cases(db, actor, origin=origin)


@router.post(
    "/breaches", response_model=inbox_alerts.BreachReport, summary="Raise response-target breach alerts"
)
def breaches(db: DbDep, actor: ActorDep, origin: OriginDep) -> inbox_alerts.BreachReport:
    return inbox_alerts.check_breaches(db, actor, origin=origin)


@router.get("/cases/{case_id}/export", summary="Hand-off export (redacted), PDF or text; audited")
def export_case(
    case_id: int,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    audience: Literal["legal_risk", "patient_relations"],
    format: Literal["pdf", "text"] = "pdf",
) -> Response:
    body = inbox_export.export_case(db, actor, case_id, audience=audience, fmt=format, origin=origin)
    return Response(
        body,
        media_type="application/pdf" if format == "pdf" else "text/plain; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )


@router.post("/cases/{case_id}/hide-comment", response_model=HideResult)
def hide_comment(
    case_id: int, body: HideBody, request: Request, db: DbDep, actor: ActorDep, origin: OriginDep
) -> HideResult:
    factory = sender_factory(request)
    hidden = inbox_replies.do_hide_comment(
        db, actor, case_id, body.post_id, sender_factory=factory, origin=origin
    )
    return HideResult(hidden=hidden)


@router.post("/cases/{case_id}/privacy-incidents", response_model=IncidentCreated, status_code=201)
def record_incident(
    case_id: int, body: IncidentBody, db: DbDep, actor: ActorDep, origin: OriginDep
) -> IncidentCreated:
    incident_id = inbox_replies.do_record_privacy_incident(
        db,
        actor,
        case_id,
        kind=body.kind,
        description=body.description,
        post_id=body.post_id,
        actions=body.actions,
        origin=origin,
    )
    return IncidentCreated(incident_id=incident_id)


# --- replies -------------------------------------------------------------------------------------------------


@router.get("/templates/{template}", response_model=TemplateText, summary="A reply template's text")
def template_text(
    template: Literal["thanks", "take_offline", "crisis", "misinformation"],
    db: DbDep,
    actor: ActorDep,
    source_url: str | None = None,
) -> TemplateText:
    return TemplateText(
        template=template, text=inbox_replies.render_template(db, actor, template, source_url=source_url)
    )


@router.post(
    "/cases/{case_id}/replies", response_model=ReplyView, status_code=201, summary="Draft and screen"
)
def create_reply(case_id: int, body: ReplyCreate, db: DbDep, actor: ActorDep, origin: OriginDep) -> ReplyView:
    return inbox_replies.do_create_reply(
        db,
        actor,
        case_id,
        text=body.text,
        template=body.template,
        source_url=body.source_url,
        parent_post_id=body.parent_post_id,
        origin=origin,
    )


@router.patch("/replies/{reply_id}", response_model=ReplyView, summary="Edit (screened again)")
def edit_reply(reply_id: int, body: ReplyEdit, db: DbDep, actor: ActorDep, origin: OriginDep) -> ReplyView:
    return inbox_replies.do_update_reply_text(db, actor, reply_id, body.text, origin=origin)


@router.post("/replies/{reply_id}/acknowledge", response_model=ReplyView)
def acknowledge(reply_id: int, db: DbDep, actor: ActorDep, origin: OriginDep) -> ReplyView:
    return inbox_replies.do_acknowledge_warning(db, actor, reply_id, origin=origin)


@router.post("/replies/{reply_id}/override", response_model=ReplyView, summary="Override a block (audited)")
def override(reply_id: int, body: OverrideBody, db: DbDep, actor: ActorDep, origin: OriginDep) -> ReplyView:
    return inbox_replies.do_override_block(db, actor, reply_id, body.reason, origin=origin)


@router.post("/replies/{reply_id}/approve", response_model=ReplyView)
def approve(reply_id: int, db: DbDep, actor: ActorDep, origin: OriginDep) -> ReplyView:
    return inbox_replies.do_approve_reply(db, actor, reply_id, origin=origin)


@router.post(
    "/replies/{reply_id}/send",
    response_model=ReplyView,
    summary="Send through the platform, at most once",
    description="The answer's `status` is `sent`, `failed` (not sent; `last_error_code` says why) or `unknown` "
    "(reconcile before anything else). 409 when the reply is not cleared or the platform cannot send "
    "(copy it and use mark-sent).",
)
def send(reply_id: int, request: Request, db: DbDep, actor: ActorDep, origin: OriginDep) -> ReplyView:
    factory = sender_factory(request)
    return inbox_replies.do_send_reply(db, actor, reply_id, sender_factory=factory, origin=origin)


@router.post("/replies/{reply_id}/reconcile", response_model=ReplyView)
def reconcile(reply_id: int, request: Request, db: DbDep, actor: ActorDep, origin: OriginDep) -> ReplyView:
    factory = sender_factory(request)
    return inbox_replies.do_reconcile_reply(db, actor, reply_id, sender_factory=factory, origin=origin)


@router.post("/replies/{reply_id}/mark-sent", response_model=ReplyView, summary="Posted by hand")
def mark_sent(reply_id: int, body: MarkSentBody, db: DbDep, actor: ActorDep, origin: OriginDep) -> ReplyView:
    return inbox_replies.do_mark_sent_manually(db, actor, reply_id, remote_url=body.remote_url, origin=origin)


@router.post("/replies/{reply_id}/discard", response_model=ReplyView)
def discard(reply_id: int, db: DbDep, actor: ActorDep, origin: OriginDep) -> ReplyView:
    return inbox_replies.do_discard_reply(db, actor, reply_id, origin=origin)


# --- notifications and metrics -------------------------------------------------------------------------------


@router.get("/notifications", response_model=list[NotificationView], summary="My inbox notifications")
def notifications(db: DbDep, actor: ActorDep, unread_only: bool = False) -> list[NotificationView]:
    inbox.check_can_view_inbox(actor)
    return inbox_work.list_notifications(db, actor, unread_only=unread_only)


@router.post("/notifications/read", response_model=ReadResult)
def notifications_read(body: ReadBody, db: DbDep, actor: ActorDep) -> ReadResult:
    inbox.check_can_view_inbox(actor)
    return ReadResult(marked=inbox_work.do_mark_notifications_read(db, actor, body.notification_ids))


@router.get("/metrics", response_model=InboxMetrics, summary="Response times, target compliance, volume")
def metrics(
    db: DbDep, actor: ActorDep, since: datetime | None = None, until: datetime | None = None
) -> InboxMetrics:
    return inbox_export.inbox_metrics(db, actor, since=since, until=until)


@router.get("/metrics.csv", summary="The metrics as CSV (audited)")
def metrics_csv(
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Response:
    body = inbox_export.export_metrics_csv(db, actor, since=since, until=until, origin=origin)
    return Response(body, media_type="text/csv; charset=utf-8")


# --- configuration -------------------------------------------------------------------------------------------


@router.get("/queues", response_model=list[QueueView])
def list_queues(db: DbDep, actor: ActorDep) -> list[QueueView]:
    return inbox_config.list_queues(db, actor)


@router.post("/queues", response_model=QueueView, status_code=201)
def create_queue(body: QueueInput, db: DbDep, actor: ActorDep, origin: OriginDep) -> QueueView:
    return inbox_config.do_save_queue(db, actor, body, origin=origin)


@router.put("/queues/{queue_id}", response_model=QueueView)
def update_queue(queue_id: int, body: QueueInput, db: DbDep, actor: ActorDep, origin: OriginDep) -> QueueView:
    return inbox_config.do_save_queue(db, actor, body, queue_id=queue_id, origin=origin)


@router.delete("/queues/{queue_id}", status_code=204)
def delete_queue(queue_id: int, db: DbDep, actor: ActorDep, origin: OriginDep) -> Response:
    inbox_config.do_delete_queue(db, actor, queue_id, origin=origin)
    return Response(status_code=204)


@router.get("/routing-rules", response_model=list[RoutingRuleView])
def list_rules(db: DbDep, actor: ActorDep) -> list[RoutingRuleView]:
    return inbox_config.list_routing_rules(db, actor)


@router.post("/routing-rules", response_model=RoutingRuleView, status_code=201)
def create_rule(body: RoutingRuleInput, db: DbDep, actor: ActorDep, origin: OriginDep) -> RoutingRuleView:
    return inbox_config.do_save_routing_rule(db, actor, body, origin=origin)


@router.put("/routing-rules/{rule_id}", response_model=RoutingRuleView)
def update_rule(
    rule_id: int, body: RoutingRuleInput, db: DbDep, actor: ActorDep, origin: OriginDep
) -> RoutingRuleView:
    return inbox_config.do_save_routing_rule(db, actor, body, rule_id=rule_id, origin=origin)


@router.delete("/routing-rules/{rule_id}", status_code=204)
def delete_rule(rule_id: int, db: DbDep, actor: ActorDep, origin: OriginDep) -> Response:
    inbox_config.do_delete_routing_rule(db, actor, rule_id, origin=origin)
    return Response(status_code=204)


@router.get("/targets", response_model=dict[str, int], summary="Minutes to first response per category")
def targets(db: DbDep, actor: ActorDep) -> dict[str, int]:
    return inbox_config.list_response_targets(db, actor)


@router.put("/targets/{category}", response_model=dict[str, int])
def set_target(
    category: str, body: TargetBody, db: DbDep, actor: ActorDep, origin: OriginDep
) -> dict[str, int]:
    inbox_config.do_set_response_target(db, actor, category, body.minutes, origin=origin)
    return inbox_config.list_response_targets(db, actor)


@router.get(
    "/resolution-targets", response_model=dict[str, int], summary="Minutes to resolution per category"
)
def resolution_targets(db: DbDep, actor: ActorDep) -> dict[str, int]:
    return inbox_config.list_resolution_targets(db, actor)


@router.put("/resolution-targets/{category}", response_model=dict[str, int])
def set_resolution_target(
    category: str, body: ResolutionTargetBody, db: DbDep, actor: ActorDep, origin: OriginDep
) -> dict[str, int]:
    inbox_config.do_set_resolution_target(db, actor, category, body.minutes, origin=origin)
    return inbox_config.list_resolution_targets(db, actor)


@router.get("/settings", response_model=InboxSettingsView, summary="On-call contact and breach channels")
def read_settings(db: DbDep, actor: ActorDep) -> InboxSettingsView:
    return inbox_config.get_inbox_settings(db, actor)


@router.put("/settings", response_model=InboxSettingsView)
def update_settings(
    body: InboxSettingsInput, db: DbDep, actor: ActorDep, origin: OriginDep
) -> InboxSettingsView:
    return inbox_config.do_update_inbox_settings(db, actor, body, origin=origin)
