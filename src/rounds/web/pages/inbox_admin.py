"""Inbox pages for managers: ``/inbox/metrics`` (first-response and resolution times, response-target compliance
by team and category, volume by intent; CSV export) and ``/inbox/settings`` (queues, routing rules,
response-time targets, the on-call contact and breach channels; admins and social media managers).

Webhook URLs are write-only: the page shows the saved host only; leaving a webhook field blank keeps the stored
URL, and a "remove" box clears it (like the listening sources' credentials).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from rounds.db import Database
from rounds.db.models import utcnow
from rounds.domain.enrichment import Intent
from rounds.domain.errors import RoundsError, ValidationFailed
from rounds.domain.roles import Permission
from rounds.services import departments, inbox_config, inbox_export, listening_topics
from rounds.services.context import Actor
from rounds.services.inbox import Category
from rounds.web.context import ActorDep, DbDep, OriginDep
from rounds.web.forms import checkbox, optional_date, optional_int, parse_model
from rounds.web.pages.inbox import CATEGORY_OPTIONS, page
from rounds.web.pages.inbox_support import assignable_people

router = APIRouter()

PERIODS = {
    "7": "Last 7 days",
    "30": "Last 30 days",
    "90": "Last 90 days",
    "365": "Last year",
    "all": "All time",
}
SETTINGS_NOTICES = {
    "queue_saved": "Queue saved.",
    "rule_saved": "Routing rule saved.",
    "targets_saved": "Response-time targets saved. They apply to cases opened from now on.",
    "on_call_saved": "On-call contact and breach channels saved.",
    "queue_deleted": "Queue deleted; its cases are now unqueued.",
    "rule_deleted": "Routing rule deleted.",
}


def _period(days: str, since: str, until: str) -> tuple[Any, Any]:
    start = optional_date(since, "since")
    end = optional_date(until, "until", end_of_day=True)
    if start is None and end is None and days != "all":
        number = optional_int(days or "30", "days") or 30
        start = utcnow() - timedelta(days=max(1, min(number, 3660)))
    return start, end


@router.get("/inbox/metrics")
def metrics_page(
    request: Request, db: DbDep, actor: ActorDep, days: str = "30", since: str = "", until: str = ""
) -> Response:
    error: RoundsError | None = None
    try:
        start, end = _period(days, since, until)
    except ValidationFailed as failure:
        error, start, end = failure, None, None
    metrics = inbox_export.inbox_metrics(db, actor, since=start, until=end)
    query = "&".join(f"{k}={v}" for k, v in (("days", days), ("since", since), ("until", until)) if v)
    return page(
        request,
        actor,
        "inbox/metrics.html",
        "metrics",
        {
            "title": "Inbox metrics",
            "metrics": metrics,
            "values": {"days": days, "since": since, "until": until},
            "periods": list(PERIODS.items()),
            "csv_url": "/inbox/metrics.csv" + (f"?{query}" if query else ""),
            "error": error,
        },
        status_code=error.status if error else 200,
    )


@router.get("/inbox/metrics.csv")
def metrics_csv(
    db: DbDep, actor: ActorDep, origin: OriginDep, days: str = "30", since: str = "", until: str = ""
) -> Response:
    start, end = _period(days, since, until)
    body = inbox_export.export_metrics_csv(db, actor, since=start, until=end, origin=origin)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="rounds-inbox-metrics.csv"'},
    )


# --- settings ------------------------------------------------------------------------------------------------


def settings_page(
    request: Request, db: Database, actor: Actor, *, error: RoundsError | None = None
) -> Response:
    settings = inbox_config.get_inbox_settings(db, actor)  # MANAGE_INBOX_RULES
    queues = inbox_config.list_queues(db, actor)
    people = assignable_people(db, actor)
    names = dict(people)
    topics = listening_topics.list_topics(db, actor) if actor.can(Permission.VIEW_LISTENING) else []
    context: dict[str, Any] = {
        "title": "Inbox settings",
        "settings": settings,
        "queues": queues,
        "queue_options": [(str(queue.id), queue.name) for queue in queues],
        "queue_names": {queue.id: queue.name for queue in queues},
        "rules": inbox_config.list_routing_rules(db, actor),
        "targets": inbox_config.list_response_targets(db, actor),
        "resolution_targets": inbox_config.list_resolution_targets(db, actor),
        "categories": CATEGORY_OPTIONS,
        "people": people,
        "names": {int(key): value for key, value in names.items()},
        "departments": [(str(d.id), d.name) for d in departments.list_departments(db, actor)],
        "topics": [(str(topic.id), topic.name) for topic in topics],
        "topic_names": {topic.id: topic.name for topic in topics},
        "intents": [(intent.value, intent.value.replace("_", " ")) for intent in Intent],
        "error": error,
    }
    done = request.query_params.get("done", "")
    if done in SETTINGS_NOTICES:
        context["notice"] = SETTINGS_NOTICES[done]
    return page(
        request, actor, "inbox/settings.html", "settings", context, status_code=error.status if error else 200
    )


@router.get("/inbox/settings")
def settings_view(request: Request, db: DbDep, actor: ActorDep) -> Response:
    return settings_page(request, db, actor)


def _saved(done: str) -> Response:
    return RedirectResponse(f"/inbox/settings?done={done}", status_code=303)


def _refused(request: Request, db: Database, actor: Actor, error: RoundsError) -> Response:
    if error.status in (401, 403, 404):
        raise error
    return settings_page(request, db, actor, error=error)


@router.post("/inbox/settings/queues")
@router.post("/inbox/settings/queues/{queue_id}")
def queue_save(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    queue_id: int | None = None,
    name: Annotated[str, Form()] = "",
    department_id: Annotated[str, Form()] = "",
    skill: Annotated[str, Form()] = "",
    members: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        data = parse_model(
            inbox_config.QueueInput,
            {
                "name": name,
                "department_id": optional_int(department_id, "department_id"),
                "skill": skill,
                "member_user_ids": [int(m) for m in (members or []) if m.strip().isdigit()],
            },
        )
        inbox_config.do_save_queue(db, actor, data, queue_id=queue_id, origin=origin)
    except RoundsError as error:
        return _refused(request, db, actor, error)
    return _saved("queue_saved")


@router.post("/inbox/settings/queues/{queue_id}/delete")
def queue_delete(request: Request, db: DbDep, actor: ActorDep, origin: OriginDep, queue_id: int) -> Response:
    try:
        inbox_config.do_delete_queue(db, actor, queue_id, origin=origin)
    except RoundsError as error:
        return _refused(request, db, actor, error)
    return _saved("queue_deleted")


@router.post("/inbox/settings/rules/{rule_id}/delete")
def rule_delete(request: Request, db: DbDep, actor: ActorDep, origin: OriginDep, rule_id: int) -> Response:
    try:
        inbox_config.do_delete_routing_rule(db, actor, rule_id, origin=origin)
    except RoundsError as error:
        return _refused(request, db, actor, error)
    return _saved("rule_deleted")


@router.post("/inbox/settings/rules")
@router.post("/inbox/settings/rules/{rule_id}")
def rule_save(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    rule_id: int | None = None,
    name: Annotated[str, Form()] = "",
    position: Annotated[str, Form()] = "100",
    topic_id: Annotated[str, Form()] = "",
    intents: Annotated[list[str] | None, Form()] = None,
    platform: Annotated[str, Form()] = "",
    applies_to_account_posts: Annotated[str | None, Form()] = None,
    queue_id: Annotated[str, Form()] = "",
    assignee_user_id: Annotated[str, Form()] = "",
    round_robin: Annotated[str | None, Form()] = None,
    tags: Annotated[str, Form()] = "",
    is_active: Annotated[str | None, Form()] = None,
) -> Response:
    try:
        data = parse_model(
            inbox_config.RoutingRuleInput,
            {
                "name": name,
                "position": optional_int(position, "position") or 100,
                "topic_id": optional_int(topic_id, "topic_id"),
                "intents": [i for i in (intents or []) if i],
                "platform": platform.strip().lower() or None,
                "applies_to_account_posts": checkbox(applies_to_account_posts),
                "queue_id": optional_int(queue_id, "queue_id"),
                "assignee_user_id": optional_int(assignee_user_id, "assignee_user_id"),
                "round_robin": checkbox(round_robin),
                "tags": [t.strip() for t in tags.split(",") if t.strip()],
                "is_active": checkbox(is_active),
            },
        )
        inbox_config.do_save_routing_rule(db, actor, data, rule_id=rule_id, origin=origin)
    except RoundsError as error:
        return _refused(request, db, actor, error)
    return _saved("rule_saved")


@router.post("/inbox/settings/targets")
async def targets_save(request: Request, db: DbDep, actor: ActorDep, origin: OriginDep) -> Response:
    form = await request.form()
    wanted: dict[Category, int] = {}
    wanted_resolution: dict[Category, int] = {}
    try:
        for category in Category:
            for prefix, into in (("minutes_", wanted), ("resolution_minutes_", wanted_resolution)):
                raw = form.get(f"{prefix}{category.value}")
                if isinstance(raw, str) and raw.strip():
                    minutes = optional_int(raw, f"{prefix}{category.value}")
                    if minutes is not None:
                        into[category] = minutes
    except RoundsError as error:
        return _refused(request, db, actor, error)
    from starlette.concurrency import run_in_threadpool

    def save() -> Response:
        current = inbox_config.list_response_targets(db, actor)
        current_resolution = inbox_config.list_resolution_targets(db, actor)
        try:
            for category, minutes in wanted.items():
                if current.get(category.value) != minutes:
                    inbox_config.do_set_response_target(db, actor, category, minutes, origin=origin)
            for category, minutes in wanted_resolution.items():
                if current_resolution.get(category.value) != minutes:
                    inbox_config.do_set_resolution_target(db, actor, category, minutes, origin=origin)
        except RoundsError as error:
            return _refused(request, db, actor, error)
        return _saved("targets_saved")

    return await run_in_threadpool(save)


@router.post("/inbox/settings/on-call")
def on_call_save(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    on_call_email: Annotated[str, Form()] = "",
    on_call_webhook_url: Annotated[str, Form()] = "",
    remove_on_call_webhook: Annotated[str | None, Form()] = None,
    on_call_webhook_format: Annotated[str, Form()] = "slack",
    breach_in_app: Annotated[str | None, Form()] = None,
    breach_email: Annotated[str, Form()] = "",
    breach_webhook_url: Annotated[str, Form()] = "",
    remove_breach_webhook: Annotated[str | None, Form()] = None,
) -> Response:
    """Webhook fields left blank keep the stored URLs (they are secrets and never shown); the "remove"
    boxes clear them."""
    channels: list[dict[str, str]] = []
    if checkbox(breach_in_app):
        channels.append({"type": "in_app"})
    if breach_email.strip():
        channels.append({"type": "email", "target": breach_email.strip()})
    if breach_webhook_url.strip():
        channels.append(
            {"type": "webhook", "target": breach_webhook_url.strip(), "format": on_call_webhook_format}
        )
    try:
        data = parse_model(
            inbox_config.InboxSettingsInput,
            {
                "on_call_email": on_call_email,
                "on_call_webhook_url": on_call_webhook_url,
                "clear_on_call_webhook": checkbox(remove_on_call_webhook),
                "on_call_webhook_format": on_call_webhook_format,
                "breach_channels": channels,
                "keep_breach_webhooks": not checkbox(remove_breach_webhook),
            },
        )
        inbox_config.do_update_inbox_settings(db, actor, data, origin=origin)
    except RoundsError as error:
        return _refused(request, db, actor, error)
    return _saved("on_call_saved")
