"""One error family with stable codes (CONVENTIONS.md 9).

Every error a user can see is a :class:`RoundsError` with a stable ``code``, a message that says what went
wrong and a ``hint`` that says what to do. The web app renders them as pages or JSON in one place; the CLI
prints them and exits non-zero. Messages never contain post text or other PHI.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    VALIDATION = "validation_failed"
    CONFLICT = "conflict"
    AUTHENTICATION = "authentication_failed"
    SESSION_EXPIRED = "session_expired"
    CSRF = "csrf_failed"
    THROTTLED = "throttled"
    SETUP_REQUIRED = "setup_required"
    SETUP_DONE = "setup_already_done"
    DATABASE_UNAVAILABLE = "database_unavailable"
    DATABASE_LOCKED = "database_locked"
    CONFIGURATION = "configuration_error"
    PORT_IN_USE = "port_in_use"
    IMPORT_FAILED = "import_failed"
    AUDIT_BROKEN = "audit_chain_broken"
    INPUT = "bad_input"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    INTERNAL = "internal_error"


class RoundsError(Exception):
    """Base class. ``status`` is the HTTP status the web layer uses."""

    code: ErrorCode = ErrorCode.INPUT
    status: int = 400

    def __init__(self, message: str, *, hint: str = "", details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details or []

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": str(self.code), "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        if self.details:
            body["details"] = self.details
        return body


class NotFound(RoundsError):
    """Missing and forbidden objects look the same to the caller (``access_*`` contract)."""

    code = ErrorCode.NOT_FOUND
    status = 404


class Forbidden(RoundsError):
    code = ErrorCode.FORBIDDEN
    status = 403


class ValidationFailed(RoundsError):
    code = ErrorCode.VALIDATION
    status = 422


class Conflict(RoundsError):
    code = ErrorCode.CONFLICT
    status = 409


class AuthenticationFailed(RoundsError):
    code = ErrorCode.AUTHENTICATION
    status = 401


class SessionExpired(RoundsError):
    code = ErrorCode.SESSION_EXPIRED
    status = 401


class CsrfFailed(RoundsError):
    code = ErrorCode.CSRF
    status = 403


class Throttled(RoundsError):
    code = ErrorCode.THROTTLED
    status = 429


class SetupRequired(RoundsError):
    code = ErrorCode.SETUP_REQUIRED
    status = 409


class SetupAlreadyDone(RoundsError):
    code = ErrorCode.SETUP_DONE
    status = 409


class DatabaseUnavailable(RoundsError):
    code = ErrorCode.DATABASE_UNAVAILABLE
    status = 503


class DatabaseLocked(RoundsError):
    code = ErrorCode.DATABASE_LOCKED
    status = 503


class ConfigurationError(RoundsError):
    code = ErrorCode.CONFIGURATION
    status = 500


class PortInUse(RoundsError):
    code = ErrorCode.PORT_IN_USE
    status = 500


class ImportFailed(RoundsError):
    code = ErrorCode.IMPORT_FAILED
    status = 422


class BadInput(RoundsError):
    code = ErrorCode.INPUT
    status = 400
