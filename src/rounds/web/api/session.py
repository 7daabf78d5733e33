"""API session: log in (sets the ``rounds_session`` cookie), who am I, log out, change own password."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from rounds.services import auth
from rounds.web.api.models import ERROR_RESPONSES, LoginRequest, Me, PasswordChange, SessionInfo
from rounds.web.context import ActorDep, DbDep, OriginDep, SettingsDep
from rounds.web.security import clear_session_cookie, set_session_cookie

router = APIRouter(tags=["session"], responses=ERROR_RESPONSES)


@router.post("/session", response_model=SessionInfo)
def create_session(
    body: LoginRequest,
    request: Request,
    response: Response,
    db: DbDep,
    settings: SettingsDep,
    origin: OriginDep,
) -> SessionInfo:
    """Log in. Sets the HttpOnly ``rounds_session`` cookie and returns the CSRF token for unsafe requests.

    Only JSON bodies are accepted, so a cross-site HTML form cannot log a browser in.
    """
    actor, token = auth.login(db, settings, username=body.username, password=body.password, origin=origin)
    set_session_cookie(response, request, token.token, token.expires_at)
    return SessionInfo(user=Me.of(actor), csrf_token=token.csrf_token, expires_at=token.expires_at)


@router.get("/session", response_model=SessionInfo)
def read_session(request: Request, actor: ActorDep) -> SessionInfo:
    """Who is logged in, and the session's CSRF token."""
    return SessionInfo(user=Me.of(actor), csrf_token=request.state.csrf_token)


@router.delete("/session", status_code=204)
def delete_session(
    request: Request, response: Response, db: DbDep, actor: ActorDep, origin: OriginDep
) -> None:
    """Log out (needs the X-CSRF-Token header)."""
    auth.logout(db, request.state.session_token, origin)
    clear_session_cookie(response, request)


@router.post("/session/password", response_model=SessionInfo)
def change_own_password(
    body: PasswordChange,
    request: Request,
    response: Response,
    db: DbDep,
    settings: SettingsDep,
    actor: ActorDep,
    origin: OriginDep,
) -> SessionInfo:
    """Change your own password. Every session ends; a fresh one is returned (new cookie and CSRF token)."""
    auth.do_change_own_password(
        db,
        settings,
        actor,
        current_password=body.current_password,
        new_password=body.new_password,
        origin=origin,
    )
    actor, token = auth.login(
        db, settings, username=actor.username, password=body.new_password, origin=origin
    )
    set_session_cookie(response, request, token.token, token.expires_at)
    return SessionInfo(user=Me.of(actor), csrf_token=token.csrf_token, expires_at=token.expires_at)
