"""The web application: Jinja2 pages and a JSON API under ``/api/`` (OpenAPI at ``/openapi.json``).

``create_app(settings, db)`` has no side effects beyond building the app object: the entry point (``rounds
serve``, tests) builds settings and the database, applies migrations, and passes both in.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from rounds.db import Database
from rounds.jobs.scheduler import embedded_lifespan
from rounds.settings import Settings
from rounds.web.api import accounts as api_accounts
from rounds.web.api import audit as api_audit
from rounds.web.api import departments as api_departments
from rounds.web.api import health as api_health
from rounds.web.api import inbox as api_inbox
from rounds.web.api import listening as api_listening
from rounds.web.api import reference as api_reference
from rounds.web.api import screening as api_screening
from rounds.web.api import session as api_session
from rounds.web.api import users as api_users
from rounds.web.context import require_setup_done
from rounds.web.errors import install_error_handlers
from rounds.web.pages import accounts as page_accounts
from rounds.web.pages import audit as page_audit
from rounds.web.pages import auth as page_auth
from rounds.web.pages import departments as page_departments
from rounds.web.pages import home as page_home
from rounds.web.pages import inbox as page_inbox
from rounds.web.pages import inbox_admin as page_inbox_admin
from rounds.web.pages import inbox_case as page_inbox_case
from rounds.web.pages import listening as page_listening
from rounds.web.pages import listening_admin as page_listening_admin
from rounds.web.pages import screening as page_screening
from rounds.web.pages import users as page_users
from rounds.web.rendering import STATIC_DIR, build_templates

API_DESCRIPTION = """
JSON API for Rounds. Errors are `{"error": {"code", "message", "hint"?, "details"?}}` with a stable `code`.

**Authentication**: `POST /api/session` with `{"username", "password"}` sets the HttpOnly `rounds_session`
cookie (the same session the web pages use) and returns a `csrf_token`. Send that cookie with every request,
and the token in the `X-CSRF-Token` header on every POST, PUT, PATCH and DELETE. `DELETE /api/session` logs out.
"""

# Pages, one router per area (CONVENTIONS.md 4: adding an area is one line here).
PAGE_ROUTERS = (
    page_home,
    page_accounts,
    page_departments,
    page_users,
    page_audit,
    page_screening,
    page_listening,
    page_listening_admin,
    page_inbox,
    page_inbox_case,
    page_inbox_admin,
)
API_ROUTERS = (
    api_session,
    api_accounts,
    api_departments,
    api_users,
    api_audit,
    api_screening,
    api_listening,
    api_inbox,
)


def create_app(settings: Settings, db: Database) -> FastAPI:
    app = FastAPI(
        title="Rounds",
        version="0.1.0",
        description=API_DESCRIPTION,
        docs_url=None,  # replaced by a server-rendered reference: Swagger UI would load from a CDN
        redoc_url=None,
        lifespan=embedded_lifespan(settings, db),  # the embedded scheduler runs while the app serves
        openapi_tags=[
            {"name": "session", "description": "Log in and out; who am I."},
            {
                "name": "accounts",
                "description": "The account registry: every social account the organization runs.",
            },
            {"name": "departments", "description": "Departments that own accounts."},
            {"name": "users", "description": "Users and their roles."},
            {"name": "audit", "description": "The append-only, hash-chained audit log."},
            {
                "name": "screening",
                "description": "Screen drafts for patient information and policy problems; screening settings.",
            },
            {
                "name": "listening",
                "description": "Search posts, topics and dashboards, alerts and rules, connector sources, quarantine.",
            },
            {
                "name": "inbox",
                "description": "The engagement inbox: cases, screened replies, notes, metrics and inbox settings.",
            },
            {"name": "health", "description": "Liveness and database health."},
        ],
    )
    app.state.settings = settings
    app.state.db = db
    app.state.templates = build_templates()
    app.state.setup_done = False

    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    app.include_router(api_health.router)
    app.include_router(api_reference.router)
    # Setup, login and logout manage the setup check themselves.
    app.include_router(page_auth.router)
    setup_done = [Depends(require_setup_done)]
    for module in PAGE_ROUTERS:
        app.include_router(module.router, dependencies=setup_done, include_in_schema=False)
    for module in API_ROUTERS:
        app.include_router(module.router, prefix="/api", dependencies=setup_done)
    return app
