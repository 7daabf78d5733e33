"""Jinja2 rendering: one ``render`` used by every page, which adds the actor, CSRF token and navigation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from rounds.domain.roles import Permission, Role

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    section: str


# Only sections that exist; each shown only when the actor holds its permission.
NAV: tuple[tuple[NavItem, Permission | None], ...] = (
    (NavItem("Home", "/", "home"), Permission.VIEW_DASHBOARD),
    (NavItem("Inbox", "/inbox", "inbox"), Permission.VIEW_INBOX),
    (NavItem("Screen", "/screen", "screen"), Permission.SCREEN_TEXT),
    (NavItem("Listening", "/listening/search", "listening"), Permission.VIEW_LISTENING),
    (NavItem("Accounts", "/accounts", "accounts"), Permission.VIEW_ACCOUNTS),
    (NavItem("Departments", "/departments", "departments"), Permission.VIEW_DEPARTMENTS),
    (NavItem("Users", "/users", "users"), Permission.VIEW_USERS),
    (NavItem("Audit log", "/audit", "audit"), Permission.VIEW_AUDIT),
)

# Messages shown after a redirect, keyed by a short code in ``?done=`` (never free text from the URL).
NOTICES: dict[str, str] = {
    "setup": "Setup complete. Welcome to Rounds.",
    "logged_out": "You have been logged out.",
    "account_created": "Account added to the registry.",
    "account_updated": "Account saved.",
    "account_retired": "Account retired.",
    "user_created": "User created.",
    "user_updated": "User saved.",
    "password_reset": "Password reset. Give the new password to the user through a safe channel.",
    "password_changed": "Your password has been changed.",
    "department_created": "Department created.",
    "department_updated": "Department saved.",
    "screening_settings_saved": "Screening settings saved. They apply to the next text screened.",
}


def _format_datetime(value: datetime | None) -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _format_date(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d")


def _label(value: object) -> str:
    if isinstance(value, Role):
        return value.label
    text = str(getattr(value, "value", value))
    return text.replace("_", " ").capitalize()


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    env = templates.env
    env.filters["datetime"] = _format_datetime
    env.filters["date"] = _format_date
    env.filters["label"] = _label
    env.globals["Permission"] = Permission
    env.globals["Role"] = Role
    return templates


def navigation(request: Request) -> list[NavItem]:
    actor = getattr(request.state, "actor", None)
    if actor is None:
        return []
    return [item for item, permission in NAV if permission is None or actor.can(permission)]


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    section: str = "",
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    actor = getattr(request.state, "actor", None)
    done = request.query_params.get("done", "")
    base: dict[str, Any] = {
        "actor": actor,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "nav": navigation(request),
        "section": section,
        "notice": NOTICES.get(done, ""),
        "organization_name": getattr(actor, "organization_name", "") if actor else "",
    }
    base.update(context or {})
    response: HTMLResponse = templates.TemplateResponse(request, template, base, status_code=status_code)
    return response
