"""Pieces the inbox pages and the inbox API share: the reply sender factory, response-time timers, the people a
case can be assigned to, and the cheap "has anything changed" signature behind the live updates.

The sender factory is :func:`rounds.services.inbox_replies.default_sender_factory` (the organization's connector
source for the platform, one shared httpx client). A deployment or a test may put its own
``SenderFactory`` on ``app.state.inbox_sender_factory`` (the browser test points it at a loopback fake platform).
"""

from __future__ import annotations

import threading
from datetime import datetime

import httpx
from fastapi import Request

from rounds.db import Database
from rounds.db.models import utcnow
from rounds.domain.errors import Forbidden
from rounds.domain.roles import Permission
from rounds.services import inbox, users
from rounds.services.context import Actor
from rounds.services.inbox_replies import SenderFactory, default_sender_factory
from rounds.settings import Settings

_LOCK = threading.Lock()
SEND_TIMEOUT_SECONDS = 20.0


def sender_factory(request: Request) -> SenderFactory:
    """The app's reply sender factory (built once, on first use)."""
    state = request.app.state
    factory: SenderFactory | None = getattr(state, "inbox_sender_factory", None)
    if factory is not None:
        return factory
    with _LOCK:
        factory = getattr(state, "inbox_sender_factory", None)
        if factory is None:
            db: Database = state.db
            settings: Settings = state.settings
            client = httpx.Client(timeout=SEND_TIMEOUT_SECONDS, follow_redirects=False)
            state.inbox_http_client = client
            factory = default_sender_factory(db, settings, http_client=client)
            state.inbox_sender_factory = factory
    return factory


def _span(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def timer(case: inbox.CaseView, now: datetime | None = None) -> tuple[str, str]:
    """The response-time timer as (css state, words): ``overdue`` / ``due`` / ``answered`` / ``none``."""
    now = now or utcnow()
    if case.first_response_at is not None:
        minutes = max(0, int((case.first_response_at - case.opened_at).total_seconds() // 60))
        return "answered", f"answered in {_span(minutes)}"
    if case.due_at is None or case.status in ("resolved", "closed"):
        return "none", "no timer"
    delta = int((case.due_at - now).total_seconds() // 60)
    if delta < 0:
        return "overdue", f"overdue by {_span(-delta)}"
    return "due", f"due in {_span(delta)}"


def resolution_timer(case: inbox.CaseView, now: datetime | None = None) -> tuple[str, str]:
    """The resolution timer as (css state, words): ``overdue`` / ``due`` / ``answered`` (resolved) / ``none``."""
    now = now or utcnow()
    if case.resolved_at is not None and case.status in ("resolved", "closed"):
        minutes = max(0, int((case.resolved_at - case.opened_at).total_seconds() // 60))
        return "answered", f"resolved in {_span(minutes)}"
    if case.resolution_due_at is None or case.status in ("resolved", "closed"):
        return "none", "no timer"
    delta = int((case.resolution_due_at - now).total_seconds() // 60)
    if delta < 0:
        return "overdue", f"overdue by {_span(-delta)}"
    return "due", f"due in {_span(delta)}"


def timers(case: inbox.CaseView, now: datetime | None = None) -> dict[str, tuple[str, str]]:
    """Both clocks of a case: ``response`` (to the first response) and ``resolution``."""
    now = now or utcnow()
    return {"response": timer(case, now), "resolution": resolution_timer(case, now)}


def assignable_people(db: Database, actor: Actor) -> list[tuple[str, str]]:
    """(user id, name) of the active people who may respond, for the assign selects; empty for those who may
    only take cases themselves (they get the "assign to me" button instead)."""
    if not actor.can(Permission.ASSIGN_CASES):
        return []
    try:
        people = users.list_users(db, actor)
    except Forbidden:
        return []
    from rounds.domain.roles import ROLE_PERMISSIONS

    return [
        (str(person.id), f"{person.display_name} ({person.username})")
        for person in people
        if person.is_active and Permission.RESPOND in ROLE_PERMISSIONS[person.role]
    ]


def inbox_signature(db: Database, actor: Actor) -> str:
    """A cheap fingerprint of the inbox: the number of cases, of open cases, and the most urgent open case.
    New cases, status changes and re-triage all change it."""
    everything, total = inbox.list_cases(db, actor, inbox.CaseFilter(), limit=1)
    top, open_total = inbox.list_cases(db, actor, inbox.CaseFilter(status="open"), limit=1)
    head = top[0] if top else (everything[0] if everything else None)
    marker = f"{head.id}:{head.status}:{head.priority}:{head.assignee_user_id}" if head else "-"
    return f"{total}/{open_total}/{marker}"
