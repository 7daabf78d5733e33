"""Inbox pages, the list side: ``/inbox`` (queues, filters, cases by priority with the reason and the response
timer, bulk actions), its list fragment ``/inbox/list`` (what the page's script reloads), the live-update stream
``/inbox/events`` (Server-Sent Events), sync now, and the actor's notifications.

Everything works without JavaScript: filters are a GET form, bulk actions a POST form with checkboxes, each row
has its own small forms (take, resolve). ``rounds.js`` adds the keyboard (j/k, Enter, a, r, e) and the live
refresh. Post text is never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from rounds.domain.errors import RoundsError, ValidationFailed
from rounds.domain.roles import Permission
from rounds.services import inbox, inbox_config, inbox_sync, inbox_work
from rounds.services.context import Actor
from rounds.services.inbox import CaseFilter, CaseStatus, Category
from rounds.web.context import ActorDep, DbDep, OriginDep
from rounds.web.forms import optional_int
from rounds.web.pages.inbox_support import assignable_people, inbox_signature, timers
from rounds.web.rendering import render

logger = logging.getLogger(__name__)
router = APIRouter()

SECTION = "inbox"
PAGE_SIZE = 50
EVENTS_POLL_SECONDS = 2.0
EVENTS_HEARTBEAT_SECONDS = 15.0
EVENTS_MAX_SECONDS = 300

STATUS_OPTIONS = [("open", "Open (new, assigned, waiting)")] + [
    (s.value, s.value.capitalize()) for s in CaseStatus
]
CATEGORY_OPTIONS = [(c.value, c.value.replace("_", " ").capitalize()) for c in Category]

NOTICES: dict[str, str] = {
    "synced": "Sync finished: new posts became or joined cases.",
    "bulk_done": "Bulk change applied.",
    "notifications_read": "Notifications marked read.",
    "taken": "The case is yours.",
    "resolved": "Case resolved.",
}


def inbox_tabs(actor: Actor) -> list[tuple[str, str, str]]:
    tabs = [("cases", "Cases", "/inbox")] if actor.can(Permission.VIEW_INBOX) else []
    if actor.can(Permission.VIEW_INBOX_METRICS):
        tabs.append(("metrics", "Metrics", "/inbox/metrics"))
    if actor.can(Permission.MANAGE_INBOX_RULES):
        tabs.append(("settings", "Settings", "/inbox/settings"))
    return tabs


def page(
    request: Request, actor: Actor, template: str, tab: str, context: dict[str, Any], **kwargs: Any
) -> Response:
    extra: dict[str, Any] = {"tabs": inbox_tabs(actor), "tab": tab}
    done = request.query_params.get("done", "")
    if done in NOTICES:
        extra["notice"] = NOTICES[done]
    return render(request, template, {**extra, **context}, section=SECTION, **kwargs)


def _filters(
    actor: Actor, status: str, queue: str, assignee: str, category: str, tag: str
) -> tuple[CaseFilter, dict[str, str]]:
    values = {"status": status, "queue": queue, "assignee": assignee, "category": category, "tag": tag}
    assignee_id = actor.user_id if assignee == "me" else optional_int(assignee, "assignee")
    return (
        CaseFilter(
            status=status or None,
            queue_id=optional_int(queue, "queue"),
            assignee_user_id=assignee_id,
            category=category or None,
            tag=tag.strip().lower() or None,
        ),
        {key: value for key, value in values.items() if value},
    )


def _list_context(
    request: Request, db: Any, actor: Actor, status: str, queue: str, assignee: str, category: str, tag: str
) -> tuple[dict[str, Any], RoundsError | None]:
    number = max(1, optional_int(request.query_params.get("page"), "page") or 1)
    error: RoundsError | None = None
    cases: list[inbox.CaseView] = []
    total = 0
    query: dict[str, str] = {}
    try:
        filters, query = _filters(actor, status, queue, assignee, category, tag)
        cases, total = inbox.list_cases(db, actor, filters, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    except ValidationFailed as failure:
        error = failure
    queues = inbox_config.list_queues(db, actor)
    return (
        {
            "cases": cases,
            "timers": {case.id: timers(case) for case in cases},
            "total": total,
            "page": number,
            "pages": max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
            "query": query,
            "queue_names": {queue_row.id: queue_row.name for queue_row in queues},
            "queues": [(str(queue_row.id), queue_row.name) for queue_row in queues],
            "can_take": actor.can(Permission.RESPOND),
            "can_bulk": actor.can(Permission.ASSIGN_CASES),
            "next": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        },
        error,
    )


@router.get("/inbox")
def inbox_page(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    status: str = "open",
    queue: str = "",
    assignee: str = "",
    category: str = "",
    tag: str = "",
) -> Response:
    inbox.check_can_view_inbox(actor)
    context, error = _list_context(request, db, actor, status, queue, assignee, category, tag)
    people = assignable_people(db, actor)
    notifications = inbox_work.list_notifications(db, actor, unread_only=True)
    return page(
        request,
        actor,
        "inbox/list.html",
        "cases",
        {
            **context,
            "title": "Inbox",
            "error": error,
            "values": {
                "status": status,
                "queue": queue,
                "assignee": assignee,
                "category": category,
                "tag": tag,
            },
            "statuses": STATUS_OPTIONS,
            "categories": CATEGORY_OPTIONS,
            "assignees": [("me", "Me"), *people],
            "people": people,
            "bulk_statuses": [(s.value, s.value.capitalize()) for s in CaseStatus],
            "notifications": notifications[:10],
            "can_sync": actor.can(Permission.ASSIGN_CASES),
            "fragment_url": "/inbox/list" + (f"?{request.url.query}" if request.url.query else ""),
        },
        status_code=error.status if error else 200,
    )


@router.get("/inbox/list")
def inbox_list_fragment(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    status: str = "open",
    queue: str = "",
    assignee: str = "",
    category: str = "",
    tag: str = "",
) -> Response:
    """The case table alone (no layout): what the page's script swaps in when the inbox changes."""
    inbox.check_can_view_inbox(actor)
    context, error = _list_context(request, db, actor, status, queue, assignee, category, tag)
    context["next"] = "/inbox" + (f"?{request.url.query}" if request.url.query else "")
    return render(request, "inbox/_cases.html", {**context, "error": error}, section=SECTION)


@router.get("/inbox/events")
async def inbox_events(
    request: Request, db: DbDep, actor: ActorDep, max_seconds: int = EVENTS_MAX_SECONDS
) -> Response:
    """Server-Sent Events: ``changed`` whenever the inbox's signature changes (checked every couple of seconds
    with two cheap counts), a comment line as a heartbeat, and the stream ends after ``max_seconds`` (the
    browser's EventSource reconnects by itself, which also re-checks the session)."""
    await run_in_threadpool(inbox.check_can_view_inbox, actor)
    lifetime = max(0, min(int(max_seconds), EVENTS_MAX_SECONDS))
    poll = float(getattr(request.app.state, "inbox_events_poll_seconds", EVENTS_POLL_SECONDS))

    async def stream() -> AsyncIterator[str]:
        started = time.monotonic()
        last_beat = started
        signature = await run_in_threadpool(inbox_signature, db, actor)
        yield "retry: 5000\n"
        yield f"event: hello\ndata: {json.dumps({'version': signature})}\n\n"
        while time.monotonic() - started < lifetime:
            await asyncio.sleep(poll)
            if await request.is_disconnected():
                return
            try:
                current = await run_in_threadpool(inbox_signature, db, actor)
            except Exception as error:  # a database hiccup: say nothing, try again on the next tick
                logger.warning("inbox events: check failed: %s", type(error).__name__)
                continue
            if current != signature:
                signature = current
                yield f"event: changed\ndata: {json.dumps({'version': signature})}\n\n"
                last_beat = time.monotonic()
            elif time.monotonic() - last_beat >= EVENTS_HEARTBEAT_SECONDS:
                yield ": heartbeat\n\n"
                last_beat = time.monotonic()
        yield "event: bye\ndata: {}\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _ids(raw: list[str]) -> list[int]:
    out = []
    for value in raw:
        number = optional_int(value, "case_ids")
        if number is not None:
            out.append(number)
    return out


def _back(next_url: str, done: str) -> RedirectResponse:
    target = next_url if next_url.startswith("/inbox") and "//" not in next_url else "/inbox"
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{joiner}done={done}", status_code=303)


@router.post("/inbox/bulk")
def inbox_bulk(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    case_ids: Annotated[list[str] | None, Form()] = None,
    action: Annotated[str, Form()] = "",
    assignee: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    tags: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/inbox",
) -> Response:
    ids = _ids(case_ids or [])
    change: inbox_work.BulkChange
    words = tuple(part.strip() for part in tags.split(",") if part.strip())
    if action == "assign":
        if assignee == "none":
            change = inbox_work.BulkChange(unassign=True)
        else:
            user_id = actor.user_id if assignee == "me" else optional_int(assignee, "assignee")
            if user_id is None:
                raise ValidationFailed("Choose who gets the selected cases.")
            change = inbox_work.BulkChange(assignee_user_id=user_id)
    elif action == "status":
        if not status:
            raise ValidationFailed("Choose the new status.")
        change = inbox_work.BulkChange(status=status)
    elif action == "add_tags":
        change = inbox_work.BulkChange(add_tags=words)
    elif action == "remove_tags":
        change = inbox_work.BulkChange(remove_tags=words)
    else:
        raise ValidationFailed("Choose a bulk action: assign, status, add tags or remove tags.")
    inbox_work.do_bulk_update(db, actor, ids, change, origin=origin)
    return _back(next, "bulk_done")


@router.post("/inbox/sync")
def inbox_sync_now(db: DbDep, actor: ActorDep, origin: OriginDep) -> Response:
    inbox_sync.do_sync_cases(db, actor, origin=origin)
    return RedirectResponse("/inbox?done=synced", status_code=303)


@router.post("/inbox/notifications/read")
def inbox_notifications_read(db: DbDep, actor: ActorDep) -> Response:
    inbox.check_can_view_inbox(actor)
    inbox_work.do_mark_notifications_read(db, actor)
    return RedirectResponse("/inbox?done=notifications_read", status_code=303)
