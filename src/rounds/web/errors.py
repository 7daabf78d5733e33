"""Every error the web app shows is rendered here, in one place (CONVENTIONS.md 9).

Pages get an HTML error page; ``/api/*`` gets ``{"error": {...}}`` with the error's stable code. Two page cases
are redirects instead of pages: no usable session goes to the login form, and an empty installation goes to
first-run setup. Unknown exceptions are logged and shown as a plain 500 without a traceback.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from rounds.domain.errors import (
    AuthenticationFailed,
    BadInput,
    ErrorCode,
    NotFound,
    RoundsError,
    SessionExpired,
    SetupRequired,
    ValidationFailed,
)
from rounds.web.rendering import render
from rounds.web.security import SESSION_COOKIE, clear_session_cookie

logger = logging.getLogger(__name__)


class LoginRequired(AuthenticationFailed):
    """No session cookie at all: pages redirect to the login form, the API answers 401."""

    def __init__(self) -> None:
        super().__init__(
            "You are not logged in.",
            hint="Log in first. API clients: POST /api/session, then send the rounds_session cookie.",
        )


class MethodNotAllowed(RoundsError):
    code = ErrorCode.METHOD_NOT_ALLOWED
    status = 405


class InternalError(RoundsError):
    code = ErrorCode.INTERNAL
    status = 500


def is_api(request: Request) -> bool:
    path = request.url.path
    return path == "/api" or path.startswith("/api/")


def error_response(request: Request, error: RoundsError) -> Response:
    """Render ``error`` as JSON for the API or as a page (or a redirect) for browsers."""
    if is_api(request):
        response: Response = JSONResponse({"error": error.to_dict()}, status_code=error.status)
        if isinstance(error, SessionExpired):
            clear_session_cookie(response, request)
        return response
    if isinstance(error, SetupRequired):
        return RedirectResponse("/setup", status_code=303)
    if isinstance(error, LoginRequired | SessionExpired):
        query: dict[str, str] = {}
        if request.method == "GET" and request.url.path not in ("/", "/login"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            query["next"] = target
        if isinstance(error, SessionExpired):
            query["reason"] = "expired"
        location = "/login" + (f"?{urlencode(query)}" if query else "")
        response = RedirectResponse(location, status_code=303)
        if request.cookies.get(SESSION_COOKIE):
            clear_session_cookie(response, request)
        return response
    return render(
        request,
        "error.html",
        {"error": error, "title": _title_for(error)},
        status_code=error.status,
    )


def _title_for(error: RoundsError) -> str:
    return {
        400: "Bad request",
        401: "Not logged in",
        403: "Not allowed",
        404: "Not found",
        405: "Method not allowed",
        409: "Conflict",
        422: "Check your input",
        429: "Too many attempts",
        500: "Something went wrong",
        503: "Service unavailable",
    }.get(error.status, "Error")


def _validation_details(errors: Any) -> list[dict[str, Any]]:
    details: list[dict[str, Any]] = []
    for item in errors:
        location = [str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path")]
        details.append({"field": ".".join(location) or None, "message": str(item.get("msg", "invalid"))})
    return details


def install_error_handlers(app: FastAPI) -> None:
    async def rounds_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RoundsError)
        if exc.status >= 500:
            logger.warning("%s %s failed: %s (%s)", request.method, request.url.path, exc.code, exc.message)
        return error_response(request, exc)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        error: RoundsError
        if exc.status_code == 404:
            error = NotFound(
                "There is no page at this address." if not is_api(request) else "No such API endpoint.",
                hint="Check the address, or start again from the home page."
                if not is_api(request)
                else "See /docs for the API reference.",
            )
        elif exc.status_code == 405:
            error = MethodNotAllowed(
                f"{request.method} is not allowed here.",
                hint="See /docs for the methods each endpoint accepts.",
            )
        else:
            error = BadInput(str(exc.detail))
            error.status = exc.status_code
        response = error_response(request, error)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        details = _validation_details(exc.errors())
        fields = ", ".join(sorted({d["field"] for d in details if d["field"]}))
        error = ValidationFailed(
            "Some of the input is missing or invalid" + (f": {fields}." if fields else "."),
            hint="Correct the listed fields and try again.",
            details=details,
        )
        return error_response(request, error)

    async def unexpected_error(request: Request, exc: Exception) -> Response:
        reference = secrets.token_hex(4)
        logger.error("Unhandled error %s on %s %s", reference, request.method, request.url.path, exc_info=exc)
        error = InternalError(
            "Rounds hit an unexpected error and could not finish this request.",
            hint=f"Try again. If it keeps happening, give your administrator the reference {reference}; "
            "the details are in the server log.",
        )
        return error_response(request, error)

    app.add_exception_handler(RoundsError, rounds_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected_error)
