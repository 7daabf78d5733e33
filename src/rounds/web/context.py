"""Request dependencies: the database, settings, the logged-in actor (with CSRF) and the request's origin.

Handlers never check roles: they take an :class:`Actor` from :func:`current_actor` and pass it to a service,
which raises Forbidden or NotFound. Here we only establish *who* is asking and that an unsafe request really
came from our own form or an API client holding the session's CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from rounds.db import Database
from rounds.domain.errors import SetupRequired
from rounds.services import auth
from rounds.services.context import Actor, Origin
from rounds.settings import Settings
from rounds.web.errors import LoginRequired
from rounds.web.security import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, UNSAFE_METHODS, check_session_csrf


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_origin(request: Request) -> Origin:
    ip = request.client.host if request.client else ""
    channel = "api" if request.url.path.startswith("/api/") else "web"
    return Origin(ip=ip, user_agent=request.headers.get("user-agent", "")[:300], channel=channel)


DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
OriginDep = Annotated[Origin, Depends(get_origin)]


def setup_is_needed(request: Request) -> bool:
    """Whether no organization/admin exists yet. Once setup is done it stays done, so that answer is cached."""
    if getattr(request.app.state, "setup_done", False):
        return False
    needed = auth.setup_needed(get_db(request))
    if not needed:
        request.app.state.setup_done = True
    return needed


def require_setup_done(request: Request) -> None:
    """Router dependency: until the first admin exists, pages redirect to /setup and the API answers 409."""
    if setup_is_needed(request):
        raise SetupRequired(
            "Rounds has not been set up yet.",
            hint="Open /setup in a browser to create the organization and its first administrator.",
        )


def _load_session(request: Request) -> tuple[Actor, str, str]:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired()
    actor, csrf_token = auth.load_session(get_db(request), get_settings(request), token)
    return actor, csrf_token, token


async def current_actor(request: Request) -> Actor:
    """The logged-in actor. Unsafe methods must carry the session's CSRF token (form field or header)."""
    actor, csrf_token, token = await run_in_threadpool(_load_session, request)
    request.state.actor = actor
    request.state.csrf_token = csrf_token
    request.state.session_token = token
    if request.method in UNSAFE_METHODS:
        submitted = request.headers.get(CSRF_HEADER)
        if not submitted:
            content_type = request.headers.get("content-type", "")
            if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                form = await request.form()
                value = form.get(CSRF_FIELD)
                submitted = value if isinstance(value, str) else None
        check_session_csrf(csrf_token, submitted)
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]
