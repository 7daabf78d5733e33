"""Listening pages, operating side: alerts (acknowledge), alert rules, connector sources (health, credentials,
run now) and the quarantine.

Credentials are entered in password fields and never sent back to the browser: a source shows which credential
names are *set*, and a blank field on edit keeps what is stored. Webhook URLs are shown masked (host only).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from rounds.domain.enrichment import Intent, Sentiment
from rounds.domain.errors import RoundsError, ValidationFailed
from rounds.domain.roles import Permission
from rounds.services import (
    departments,
    listening,
    listening_alerts,
    listening_dashboard,
    listening_quarantine,
    listening_schedule,
    listening_search,
    listening_topics,
)
from rounds.services.context import Actor
from rounds.services.listening import SourceInput
from rounds.services.listening_alerts import RuleInput
from rounds.services.listening_quarantine import ResolveInput
from rounds.web.context import ActorDep, DbDep, OriginDep, SettingsDep
from rounds.web.forms import checkbox, optional_int, parse_model
from rounds.web.pages.listening import page

router = APIRouter()

WEBHOOK_FORMATS = (("slack", "Slack"), ("teams", "Microsoft Teams"), ("mattermost", "Mattermost"))
HEALTH_LABELS = {
    "ok": "OK",
    "degraded": "Degraded",
    "auth_expired": "Authorization expired",
    "rate_limited": "Rate limited",
    "error": "Error",
    "unknown": "Not run yet",
}
QUARANTINE_PAGE = 50


# --- alerts --------------------------------------------------------------------------------------------------


@router.get("/listening/alerts")
def alert_list(request: Request, db: DbDep, actor: ActorDep) -> Response:
    only_open = checkbox(request.query_params.get("open"))
    alerts = listening_alerts.list_alerts(db, actor, limit=200, unacknowledged=only_open)
    rules = listening_alerts.list_rules(db, actor)
    topics = {topic.id: topic.name for topic in listening_topics.list_topics(db, actor)}
    return page(
        request,
        actor,
        "listening/alerts.html",
        "alerts",
        {
            "title": "Alerts",
            "alerts": alerts,
            "rules": rules,
            "topics": topics,
            "only_open": only_open,
            "can_manage_rules": actor.can(Permission.MANAGE_ALERT_RULES),
        },
    )


@router.get("/listening/alerts/{alert_id}")
def alert_detail(request: Request, db: DbDep, actor: ActorDep, alert_id: int) -> Response:
    alert = listening_dashboard.access_alert(db, actor, alert_id)
    topics = {topic.id: topic.name for topic in listening_topics.list_topics(db, actor)}
    return page(
        request,
        actor,
        "listening/alert.html",
        "alerts",
        {"title": f"Alert {alert.id}", "alert": alert, "topics": topics},
    )


@router.post("/listening/alerts/{alert_id}/acknowledge")
def alert_acknowledge(db: DbDep, actor: ActorDep, origin: OriginDep, alert_id: int) -> Response:
    listening_alerts.do_acknowledge_alert(db, actor, alert_id, origin=origin)
    return RedirectResponse("/listening/alerts?done=alert_acknowledged", status_code=303)


# --- alert rules ---------------------------------------------------------------------------------------------

RULE_KIND_LABELS = [
    ("threshold", "Threshold: a number of posts within a window"),
    ("volume_spike", "Volume spike (signals.volume.v1)"),
    ("negative_spike", "Negative-sentiment spike (signals.negative.v1)"),
    ("emerging_term", "Emerging term (signals.terms.v1)"),
    ("emergency", "Emergency or self-harm post (ignores quiet hours)"),
]


def _rule_form(
    request: Request,
    db: Any,
    actor: Actor,
    values: dict[str, Any],
    *,
    rule_id: int | None = None,
    webhooks_set: dict[str, str] | None = None,
    error: Exception | None = None,
) -> Response:
    listening_dashboard.check_can_manage_alert_rules(actor)
    return page(
        request,
        actor,
        "listening/rule_form.html",
        "alerts",
        {
            "title": "Edit alert rule" if rule_id else "New alert rule",
            "rule_id": rule_id,
            "values": values,
            "error": error,
            "topics": [(str(t.id), t.name) for t in listening_topics.list_topics(db, actor)],
            "intents": [(item.value, item.value.replace("_", " ").capitalize()) for item in Intent],
            "sentiments": [(item.value, item.value.capitalize()) for item in Sentiment],
            "webhook_formats": WEBHOOK_FORMATS,
            "webhooks_set": webhooks_set or {},
            "rule_kinds": RULE_KIND_LABELS,
        },
        status_code=getattr(error, "status", 200),
    )


def _rule_values(form: FormData) -> dict[str, Any]:
    return {
        "name": str(form.get("name") or ""),
        "kind": str(form.get("kind") or "threshold"),
        "topic_id": str(form.get("topic_id") or ""),
        "intents": [str(value) for value in form.getlist("intents")],
        "sentiment": str(form.get("sentiment") or ""),
        "threshold": str(form.get("threshold") or "1"),
        "window_minutes": str(form.get("window_minutes") or "60"),
        "cooldown_minutes": str(form.get("cooldown_minutes") or "60"),
        "quiet_start": str(form.get("quiet_start") or ""),
        "quiet_end": str(form.get("quiet_end") or ""),
        "timezone": str(form.get("timezone") or "UTC"),
        "emails": str(form.get("emails") or ""),
        "webhooks": {fmt: str(form.get(f"webhook_{fmt}") or "").strip() for fmt, _ in WEBHOOK_FORMATS},
        "remove_webhooks": [fmt for fmt, _ in WEBHOOK_FORMATS if checkbox(_str(form.get(f"remove_{fmt}")))],
        "is_active": checkbox(_str(form.get("is_active"))) if "is_active_shown" in form else True,
    }


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _rule_input(values: dict[str, Any], stored_webhooks: dict[str, str]) -> RuleInput:
    channels: list[dict[str, str]] = [{"type": "in_app"}]
    for line in values["emails"].replace(",", "\n").splitlines():
        if line.strip():
            channels.append({"type": "email", "target": line.strip()})
    for fmt, _label in WEBHOOK_FORMATS:
        url = values["webhooks"].get(fmt) or ""
        if not url and fmt not in values["remove_webhooks"]:
            url = stored_webhooks.get(fmt, "")
        if url:
            channels.append({"type": "webhook", "target": url, "format": fmt})
    raw = {
        "name": values["name"],
        "kind": values.get("kind") or "threshold",
        "topic_id": optional_int(values["topic_id"], "topic_id"),
        "intents": values["intents"],
        "sentiment": values["sentiment"] or None,
        "threshold": values["threshold"],
        "window_minutes": values["window_minutes"],
        "cooldown_minutes": values["cooldown_minutes"],
        "quiet_start": values["quiet_start"] or None,
        "quiet_end": values["quiet_end"] or None,
        "timezone": values["timezone"] or "UTC",
        "channels": channels,
        "is_active": values["is_active"],
    }
    return parse_model(RuleInput, raw)


@router.get("/listening/rules/new")
def rule_new(request: Request, db: DbDep, actor: ActorDep) -> Response:
    values = {
        "kind": "threshold",
        "threshold": "5",
        "window_minutes": "60",
        "cooldown_minutes": "60",
        "timezone": "UTC",
        "intents": [],
        "webhooks": {},
        "is_active": True,
    }
    return _rule_form(request, db, actor, values)


@router.post("/listening/rules/new")
async def rule_create(request: Request, db: DbDep, actor: ActorDep, origin: OriginDep) -> Response:
    values = _rule_values(await request.form())
    try:
        body = _rule_input(values, {})
        await run_in_threadpool(listening_alerts.do_create_rule, db, actor, body, origin=origin)
    except RoundsError as error:
        if error.status not in (400, 409, 422):
            raise
        return await run_in_threadpool(_rule_form, request, db, actor, values, error=error)
    return RedirectResponse("/listening/alerts?done=rule_created", status_code=303)


@router.get("/listening/rules/{rule_id}/edit")
def rule_edit(request: Request, db: DbDep, actor: ActorDep, rule_id: int) -> Response:
    rule = listening_dashboard.access_rule(db, actor, rule_id)
    webhooks = {
        channel["format"]: channel["target"] for channel in rule.channels if channel["type"] == "webhook"
    }
    values = {
        "name": rule.name,
        "kind": rule.kind,
        "topic_id": str(rule.topic_id or ""),
        "intents": rule.intents,
        "sentiment": rule.sentiment or "",
        "threshold": str(rule.threshold),
        "window_minutes": str(rule.window_minutes),
        "cooldown_minutes": str(rule.cooldown_minutes),
        "quiet_start": rule.quiet_start or "",
        "quiet_end": rule.quiet_end or "",
        "timezone": rule.timezone,
        "emails": "\n".join(c["target"] for c in rule.channels if c["type"] == "email"),
        "webhooks": {},
        "is_active": rule.is_active,
    }
    return _rule_form(request, db, actor, values, rule_id=rule_id, webhooks_set=webhooks)


@router.post("/listening/rules/{rule_id}/edit")
async def rule_update(
    request: Request, db: DbDep, actor: ActorDep, origin: OriginDep, rule_id: int
) -> Response:
    values = _rule_values(await request.form())
    stored = await run_in_threadpool(listening_dashboard.stored_webhooks, db, actor, rule_id)
    try:
        body = _rule_input(values, stored)
        await run_in_threadpool(listening_alerts.do_update_rule, db, actor, rule_id, body, origin=origin)
    except RoundsError as error:
        if error.status not in (400, 409, 422):
            raise
        masked = {fmt: "set" for fmt in stored}
        return await run_in_threadpool(
            _rule_form,
            request,
            db,
            actor,
            {**values, "webhooks": {}},
            rule_id=rule_id,
            webhooks_set=masked,
            error=error,
        )
    return RedirectResponse("/listening/alerts?done=rule_updated", status_code=303)


# --- connector sources ---------------------------------------------------------------------------------------


@router.get("/listening/sources")
def source_list(request: Request, db: DbDep, settings: SettingsDep, actor: ActorDep) -> Response:
    sources = listening.list_sources(db, settings, actor)
    return page(
        request,
        actor,
        "listening/sources.html",
        "sources",
        {
            "title": "Connector sources",
            "sources": sources,
            "health_labels": HEALTH_LABELS,
            "can_manage": actor.can(Permission.MANAGE_CONNECTORS),
        },
    )


def _source_form(
    request: Request,
    db: Any,
    actor: Actor,
    values: dict[str, Any],
    *,
    source_id: int | None = None,
    credential_keys_set: list[str] | None = None,
    error: Exception | None = None,
) -> Response:
    listening_dashboard.check_can_manage_connectors(actor)
    connectors = listening_schedule.connector_credential_keys()
    return page(
        request,
        actor,
        "listening/source_form.html",
        "sources",
        {
            "title": "Edit connector source" if source_id else "New connector source",
            "source_id": source_id,
            "values": values,
            "error": error,
            "connectors": connectors,
            "connector_options": [(name, name) for name in connectors],
            "credential_keys_set": credential_keys_set or [],
            "departments": [(str(d.id), d.name) for d in departments.list_departments(db, actor)],
        },
        status_code=getattr(error, "status", 200),
    )


def _source_values(form: FormData) -> dict[str, Any]:
    connector = str(form.get("connector") or "")
    return {
        "name": str(form.get("name") or ""),
        "connector": connector,
        "options": str(form.get("options") or "{}"),
        "interval_seconds": str(form.get("interval_seconds") or "300"),
        "department_id": str(form.get("department_id") or ""),
        "enabled": checkbox(_str(form.get("enabled"))),
        "clear_credentials": checkbox(_str(form.get("clear_credentials"))),
        # Only the chosen connector's fields count; the values are never rendered back.
        "credentials": {
            str(key).split("__", 2)[2]: str(value)
            for key, value in form.multi_items()
            if str(key).startswith(f"cred__{connector}__") and isinstance(value, str) and value
        },
    }


def _source_input(values: dict[str, Any], required: list[str], *, editing: bool) -> SourceInput:
    try:
        options = json.loads(values["options"] or "{}")
    except ValueError as error:
        raise ValidationFailed(
            f"Options must be a JSON object: {error}.", details=[{"field": "options", "message": "not JSON"}]
        ) from None
    if not isinstance(options, dict):
        raise ValidationFailed(
            "Options must be a JSON object.", details=[{"field": "options", "message": "not an object"}]
        )
    entered: dict[str, str] = values["credentials"]
    credentials: dict[str, str] | None
    if values["clear_credentials"]:
        credentials = {}
    elif entered:
        missing = [key for key in required if key not in entered]
        if missing:
            raise ValidationFailed(
                "Enter every credential of this connector together: " + ", ".join(missing) + " missing.",
                details=[{"field": f"credentials.{key}", "message": "required"} for key in missing],
            )
        credentials = entered
    else:
        credentials = None  # nothing entered: keep what is stored (or none, for a new source)
    return parse_model(
        SourceInput,
        {
            "name": values["name"],
            "connector": values["connector"],
            "options": options,
            "credentials": credentials,
            "department_id": optional_int(values["department_id"], "department_id"),
            "enabled": values["enabled"],
            "interval_seconds": values["interval_seconds"],
        },
    )


def _safe_values(values: dict[str, Any]) -> dict[str, Any]:
    """What may go back into the form: never the credentials."""
    return {key: value for key, value in values.items() if key != "credentials"}


@router.get("/listening/sources/new")
def source_new(request: Request, db: DbDep, actor: ActorDep) -> Response:
    values = {"options": "{}", "interval_seconds": "300", "enabled": True, "connector": "rss.feed"}
    return _source_form(request, db, actor, values)


@router.post("/listening/sources/new")
async def source_create(
    request: Request, db: DbDep, settings: SettingsDep, actor: ActorDep, origin: OriginDep
) -> Response:
    values = _source_values(await request.form())
    required = listening_schedule.connector_credential_keys().get(values["connector"], [])
    try:
        body = _source_input(values, required, editing=False)
        await run_in_threadpool(listening.do_create_source, db, settings, actor, body, origin=origin)
    except RoundsError as error:
        if error.status not in (400, 409, 422):
            raise
        return await run_in_threadpool(_source_form, request, db, actor, _safe_values(values), error=error)
    return RedirectResponse("/listening/sources?done=source_created", status_code=303)


@router.get("/listening/sources/{source_id}/edit")
def source_edit(
    request: Request, db: DbDep, settings: SettingsDep, actor: ActorDep, source_id: int
) -> Response:
    source = listening_dashboard.access_source(db, settings, actor, source_id)
    values = {
        "name": source.name,
        "connector": source.connector,
        "options": json.dumps(source.options, indent=2, sort_keys=True, default=str),
        "interval_seconds": str(source.interval_seconds),
        "department_id": str(source.department_id or ""),
        "enabled": source.enabled,
    }
    return _source_form(
        request, db, actor, values, source_id=source_id, credential_keys_set=source.credential_keys
    )


@router.post("/listening/sources/{source_id}/edit")
async def source_update(
    request: Request, db: DbDep, settings: SettingsDep, actor: ActorDep, origin: OriginDep, source_id: int
) -> Response:
    values = _source_values(await request.form())
    required = listening_schedule.connector_credential_keys().get(values["connector"], [])
    try:
        body = _source_input(values, required, editing=True)
        await run_in_threadpool(
            listening.do_update_source, db, settings, actor, source_id, body, origin=origin
        )
    except RoundsError as error:
        if error.status not in (400, 409, 422):
            raise
        source = await run_in_threadpool(listening_dashboard.access_source, db, settings, actor, source_id)
        return await run_in_threadpool(
            _source_form,
            request,
            db,
            actor,
            _safe_values(values),
            source_id=source_id,
            credential_keys_set=source.credential_keys,
            error=error,
        )
    return RedirectResponse("/listening/sources?done=source_updated", status_code=303)


@router.post("/listening/sources/{source_id}/run")
def source_run(
    db: DbDep, settings: SettingsDep, actor: ActorDep, origin: OriginDep, source_id: int
) -> Response:
    listening_schedule.run_source_now(db, settings, actor, source_id, origin=origin)
    return RedirectResponse(f"/listening/sources?done=source_ran#source-{source_id}", status_code=303)


# --- quarantine ----------------------------------------------------------------------------------------------


QUARANTINE_NOTICES = {
    "quarantine_resolved": "Item resolved.",
    "quarantine_stored": "Parsed again: the post is stored and the item closed.",
    "quarantine_still_failing": "Parsed again, and it still fails: the reason below is the new one.",
}


def _quarantine_page(
    request: Request, db: Any, actor: Actor, *, error: Exception | None = None, error_item: int | None = None
) -> Response:
    number = max(1, optional_int(request.query_params.get("page"), "page") or 1)
    items, total = listening_search.list_quarantine(
        db, actor, limit=QUARANTINE_PAGE, offset=(number - 1) * QUARANTINE_PAGE
    )
    context: dict[str, Any] = {
        "title": "Quarantine",
        "items": items,
        "total": total,
        "page": number,
        "pages": max(1, (total + QUARANTINE_PAGE - 1) // QUARANTINE_PAGE),
        "can_manage": actor.can(listening_quarantine.MANAGE_QUARANTINE),
        "error": error,
        "error_item": error_item,
    }
    done = request.query_params.get("done", "")
    if done in QUARANTINE_NOTICES:
        context["notice"] = QUARANTINE_NOTICES[done]
    return page(
        request,
        actor,
        "listening/quarantine.html",
        "quarantine",
        context,
        status_code=getattr(error, "status", 200),
    )


@router.get("/listening/quarantine")
def quarantine_list(request: Request, db: DbDep, actor: ActorDep) -> Response:
    return _quarantine_page(request, db, actor)


@router.post("/listening/quarantine/{quarantine_id}/resolve")
async def quarantine_resolve(
    request: Request, db: DbDep, actor: ActorDep, origin: OriginDep, quarantine_id: int
) -> Response:
    form = await request.form()
    try:
        body = parse_model(ResolveInput, {"note": str(form.get("note") or "").strip()})
        await run_in_threadpool(
            listening_quarantine.do_resolve_quarantined, db, actor, quarantine_id, body, origin=origin
        )
    except ValidationFailed as error:
        return await run_in_threadpool(
            _quarantine_page, request, db, actor, error=error, error_item=quarantine_id
        )
    return RedirectResponse("/listening/quarantine?done=quarantine_resolved", status_code=303)


@router.post("/listening/quarantine/{quarantine_id}/retry")
def quarantine_retry(db: DbDep, actor: ActorDep, origin: OriginDep, quarantine_id: int) -> Response:
    result = listening_quarantine.do_retry_quarantined(db, actor, quarantine_id, origin=origin)
    done = "quarantine_stored" if result.outcome == "stored" else "quarantine_still_failing"
    anchor = "" if result.outcome == "stored" else f"#item-{quarantine_id}"
    return RedirectResponse(f"/listening/quarantine?done={done}{anchor}", status_code=303)
