"""Cookies and CSRF tokens.

* ``rounds_session``: the opaque server-side session token issued by :mod:`rounds.services.auth`. HttpOnly,
  SameSite=Lax, Secure when ``settings.secure_cookies``.
* ``rounds_login_csrf``: before there is a session (login and first-run setup forms) a double-submit token: the
  cookie holds the nonce signed with the secret key (itsdangerous), the form carries the bare nonce.

Once logged in, every unsafe request must present the session's own CSRF token, as the ``csrf_token`` form
field or the ``X-CSRF-Token`` header (checked in :mod:`rounds.web.context`).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from rounds.domain.errors import CsrfFailed
from rounds.settings import Settings

SESSION_COOKIE = "rounds_session"
LOGIN_CSRF_COOKIE = "rounds_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_CSRF_MAX_AGE_SECONDS = 2 * 3600
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def set_session_cookie(response: Response, request: Request, token: str, expires_at: datetime) -> None:
    settings = _settings(request)
    max_age = max(0, int((expires_at - datetime.now(UTC)).total_seconds()))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    settings = _settings(request)
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/"
    )


def _login_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt="rounds.login-csrf")


def login_csrf_token(request: Request) -> tuple[str, str | None]:
    """The pre-session CSRF nonce for a form, and the signed cookie value to set (None: cookie is fine)."""
    settings = _settings(request)
    serializer = _login_serializer(settings)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if cookie:
        try:
            nonce = serializer.loads(cookie, max_age=LOGIN_CSRF_MAX_AGE_SECONDS // 2)
            if isinstance(nonce, str):
                return nonce, None
        except BadSignature:
            pass
    nonce = secrets.token_urlsafe(24)
    return nonce, serializer.dumps(nonce)


def set_login_csrf_cookie(response: Response, request: Request, signed: str | None) -> None:
    if signed is None:
        return
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        signed,
        max_age=LOGIN_CSRF_MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=_settings(request).secure_cookies,
        path="/",
    )


def check_login_csrf(request: Request, submitted: str | None) -> None:
    """Double-submit check for the login and setup forms."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    hint = "Reload the form and submit it again (cookies must be enabled)."
    if not cookie or not submitted:
        raise CsrfFailed("The form's security token is missing.", hint=hint)
    try:
        nonce = _login_serializer(_settings(request)).loads(cookie, max_age=LOGIN_CSRF_MAX_AGE_SECONDS)
    except BadSignature:
        raise CsrfFailed("The form's security token has expired or is invalid.", hint=hint) from None
    if not isinstance(nonce, str) or not hmac.compare_digest(nonce, submitted):
        raise CsrfFailed("The form's security token does not match.", hint=hint)


def check_session_csrf(expected: str, submitted: str | None) -> None:
    if not submitted:
        raise CsrfFailed(
            "This request is missing its CSRF token.",
            hint=f"Forms send it in the {CSRF_FIELD!r} field; API clients send the token from "
            f"POST /api/session in the {CSRF_HEADER} header.",
        )
    if not hmac.compare_digest(expected, submitted):
        raise CsrfFailed(
            "This request's CSRF token does not match your session.",
            hint="Reload the page and try again; your session may have been renewed.",
        )
