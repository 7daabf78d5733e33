"""Request and response bodies of the JSON API that services do not already define."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from rounds.domain.roles import Permission, Role
from rounds.services.audit import AuditEventView
from rounds.services.context import Actor


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)


class Me(BaseModel):
    user_id: int | None
    organization_id: int
    username: str
    display_name: str
    role: Role
    department_ids: list[int]
    permissions: list[Permission]

    @classmethod
    def of(cls, actor: Actor) -> Me:
        return cls(
            user_id=actor.user_id,
            organization_id=actor.organization_id,
            username=actor.username,
            display_name=actor.display_name,
            role=actor.role,
            department_ids=sorted(actor.department_ids),
            permissions=sorted(actor.permissions),
        )


class SessionInfo(BaseModel):
    user: Me
    csrf_token: str = Field(description="Send in the X-CSRF-Token header on POST, PUT, PATCH and DELETE.")
    expires_at: datetime | None = None


class PasswordChange(BaseModel):
    current_password: str
    new_password: str


class PasswordReset(BaseModel):
    new_password: str


class UserCreate(BaseModel):
    username: str
    display_name: str
    email: str = ""
    password: str
    role: str = Field(description="One of: " + ", ".join(role.value for role in Role))
    department_id: int | None = None


class UserUpdate(BaseModel):
    """Only the fields present are changed. ``department_id: null`` removes the department."""

    display_name: str | None = None
    email: str | None = None
    role: str | None = None
    department_id: int | None = None
    is_active: bool | None = None


class DepartmentCreate(BaseModel):
    name: str
    description: str = ""


class DepartmentUpdate(BaseModel):
    name: str | None = None
    description: str | None = None


class RetireRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class ImportRequest(BaseModel):
    csv: str = Field(description="The CSV text, header line first.")
    allow_partial: bool = Field(
        default=False, description="Import the good rows even when some rows are bad (they are reported)."
    )


class ImportLineError(BaseModel):
    line: int
    message: str


class ImportResult(BaseModel):
    read: int
    created: int
    imported: bool
    errors: list[ImportLineError]


class AuditPage(BaseModel):
    events: list[AuditEventView]
    total: int
    limit: int
    offset: int


class VerifyResponse(BaseModel):
    ok: bool
    checked: int
    first_bad_id: int | None
    problem: str


class ErrorBody(BaseModel):
    code: str
    message: str
    hint: str | None = None
    details: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in (
        (401, "Not logged in, or the session expired"),
        (403, "Not allowed, or the CSRF token is missing"),
        (404, "Not found"),
        (409, "Conflict (e.g. duplicate handle)"),
        (422, "Invalid input"),
    )
}
