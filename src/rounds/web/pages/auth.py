"""First-run setup, login and logout pages."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from rounds.domain.errors import (
    AuthenticationFailed,
    RoundsError,
    SessionExpired,
    SetupAlreadyDone,
    ValidationFailed,
)
from rounds.services import auth
from rounds.web.context import DbDep, OriginDep, SettingsDep, setup_is_needed
from rounds.web.rendering import render
from rounds.web.security import (
    SESSION_COOKIE,
    check_login_csrf,
    check_session_csrf,
    clear_session_cookie,
    login_csrf_token,
    set_login_csrf_cookie,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False)

FormStr = Annotated[str, Form()]


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _login_page(
    request: Request,
    *,
    username: str = "",
    next_path: str = "",
    error: RoundsError | None = None,
    expired: bool = False,
) -> Response:
    nonce, signed = login_csrf_token(request)
    response = render(
        request,
        "login.html",
        {
            "title": "Log in",
            "login_csrf": nonce,
            "username": username,
            "next": next_path,
            "error": error,
            "expired": expired,
        },
        status_code=error.status if error else 200,
    )
    set_login_csrf_cookie(response, request, signed)
    return response


@router.get("/setup")
def setup_form(request: Request, settings: SettingsDep) -> Response:
    if not setup_is_needed(request):
        return RedirectResponse("/login", status_code=303)
    return _setup_page(request, settings.password_min_length, {})


def _setup_page(
    request: Request, password_min_length: int, form: dict[str, str], error: RoundsError | None = None
) -> Response:
    nonce, signed = login_csrf_token(request)
    response = render(
        request,
        "setup.html",
        {
            "title": "Set up Rounds",
            "login_csrf": nonce,
            "form": form,
            "error": error,
            "password_min_length": password_min_length,
        },
        status_code=error.status if error else 200,
    )
    set_login_csrf_cookie(response, request, signed)
    return response


@router.post("/setup")
def setup_submit(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    origin: OriginDep,
    organization_name: FormStr,
    username: FormStr,
    display_name: FormStr,
    email: FormStr,
    password: FormStr,
    password_confirm: FormStr,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_login_csrf(request, csrf_token)
    form = {
        "organization_name": organization_name,
        "username": username,
        "display_name": display_name,
        "email": email,
    }
    try:
        if password != password_confirm:
            raise ValidationFailed(
                "The two passwords do not match.",
                details=[{"field": "password_confirm", "message": "does not match the password"}],
            )
        auth.do_first_run_setup(
            db,
            settings,
            organization_name=organization_name,
            username=username,
            display_name=display_name,
            email=email,
            password=password,
            origin=origin,
        )
    except SetupAlreadyDone:
        return RedirectResponse("/login", status_code=303)
    except ValidationFailed as error:
        return _setup_page(request, settings.password_min_length, form, error)
    request.app.state.setup_done = True
    _actor, session_token = auth.login(db, settings, username=username, password=password, origin=origin)
    response = RedirectResponse("/?done=setup", status_code=303)
    set_session_cookie(response, request, session_token.token, session_token.expires_at)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "", reason: str = "") -> Response:
    if setup_is_needed(request):
        return RedirectResponse("/setup", status_code=303)
    return _login_page(request, next_path=safe_next(next) if next else "", expired=reason == "expired")


@router.post("/login")
def login_submit(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    origin: OriginDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    if setup_is_needed(request):
        return RedirectResponse("/setup", status_code=303)
    check_login_csrf(request, csrf_token)
    try:
        if not username or not password:
            raise AuthenticationFailed("Enter your username and password.")
        _actor, session_token = auth.login(db, settings, username=username, password=password, origin=origin)
    except AuthenticationFailed as error:
        return _login_page(request, username=username, next_path=next, error=error)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, request, session_token.token, session_token.expires_at)
    return response


@router.post("/logout")
def logout(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    origin: OriginDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """End the session. Needs the session's CSRF token, so another site cannot log people out."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        try:
            _actor, expected = auth.load_session(db, settings, token)
        except SessionExpired:
            expected = None  # already gone: just clear the cookie
        if expected is not None:
            check_session_csrf(expected, csrf_token)
            auth.logout(db, token, origin)
    response = RedirectResponse("/login?done=logged_out", status_code=303)
    clear_session_cookie(response, request)
    return response
