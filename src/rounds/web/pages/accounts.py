"""Account registry pages: list with filters, create, view with history, edit, retire, CSV import/export."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from rounds.domain.accounts import AccountPlatform, AccountStatus
from rounds.domain.errors import Conflict, ValidationFailed
from rounds.domain.roles import Permission
from rounds.services import accounts, departments, users
from rounds.services.accounts import CSV_COLUMNS, AccountFilter, AccountInput, AccountView
from rounds.services.context import Actor
from rounds.web.context import ActorDep, DbDep, OriginDep, SettingsDep
from rounds.web.forms import checkbox, optional_date, optional_int, parse_model
from rounds.web.rendering import render

router = APIRouter()

OptionalForm = Annotated[str | None, Form()]
MAX_IMPORT_BYTES = 5 * 1024 * 1024

PLATFORM_LABELS: dict[AccountPlatform, str] = {
    AccountPlatform.X: "X (Twitter)",
    AccountPlatform.FACEBOOK: "Facebook",
    AccountPlatform.INSTAGRAM: "Instagram",
    AccountPlatform.YOUTUBE: "YouTube",
    AccountPlatform.LINKEDIN: "LinkedIn",
    AccountPlatform.BLUESKY: "Bluesky",
    AccountPlatform.MASTODON: "Mastodon",
    AccountPlatform.REDDIT: "Reddit",
    AccountPlatform.TIKTOK: "TikTok",
    AccountPlatform.BLOG: "Blog",
    AccountPlatform.GOOGLE_BUSINESS_PROFILE: "Google Business Profile",
    AccountPlatform.YELP: "Yelp",
    AccountPlatform.FOURSQUARE: "Foursquare",
    AccountPlatform.OTHER: "Other",
}
PLATFORM_OPTIONS = [(platform.value, PLATFORM_LABELS[platform]) for platform in AccountPlatform]
STATUS_OPTIONS = [(status.value, status.value.replace("_", " ").capitalize()) for status in AccountStatus]


def can_manage_accounts(actor: Actor) -> bool:
    """Whether to *show* registry editing controls; the services decide what is actually allowed."""
    return actor.can(Permission.MANAGE_ACCOUNTS) or actor.can(Permission.MANAGE_DEPARTMENT_ACCOUNTS)


def can_import_accounts(actor: Actor) -> bool:
    return actor.can(Permission.IMPORT_EXPORT_ACCOUNTS) or actor.can(Permission.MANAGE_DEPARTMENT_ACCOUNTS)


def _options(request: Request, actor: Actor) -> dict[str, Any]:
    db = request.app.state.db
    people = users.list_users(db, actor) if actor.can(Permission.VIEW_USERS) else []
    return {
        "platforms": PLATFORM_OPTIONS,
        "statuses": STATUS_OPTIONS,
        "departments": [(str(d.id), d.name) for d in departments.list_departments(db, actor)],
        "people": [(str(p.id), f"{p.display_name} ({p.username})") for p in people if p.is_active],
    }


@router.get("/accounts")
def account_list(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    actor: ActorDep,
    platform: str = "",
    status: str = "",
    department_id: str = "",
    flagged: str = "",
    q: str = "",
) -> Response:
    filters = AccountFilter(
        platform=platform or None,
        status=status or None,
        department_id=optional_int(department_id, "department_id"),
        flagged_only=checkbox(flagged),
        query=q.strip() or None,
    )
    rows = accounts.list_accounts(db, actor, filters, dormant_after_days=settings.dormant_after_days)
    return render(
        request,
        "accounts/list.html",
        {
            "title": "Account registry",
            "accounts": rows,
            "filters": {
                "platform": platform,
                "status": status,
                "department_id": department_id,
                "flagged": filters.flagged_only,
                "q": q,
            },
            "filtered": any([platform, status, department_id, filters.flagged_only, q.strip()]),
            "platforms": PLATFORM_OPTIONS,
            "platform_labels": PLATFORM_LABELS,
            "statuses": STATUS_OPTIONS,
            "departments": [(str(d.id), d.name) for d in departments.list_departments(db, actor)],
            "can_manage": can_manage_accounts(actor),
            "can_import": can_import_accounts(actor),
            "dormant_after_days": settings.dormant_after_days,
        },
        section="accounts",
    )


def _form_values(view: AccountView | None) -> dict[str, Any]:
    if view is None:
        return {"status": AccountStatus.ACTIVE.value, "requires_approval": True}
    return {
        "platform": view.platform.value,
        "handle": view.handle,
        "url": view.url,
        "display_name": view.display_name,
        "department_id": view.department_id or "",
        "owner_user_id": view.owner_user_id or "",
        "backup_user_id": view.backup_user_id or "",
        "purpose": view.purpose,
        "audience": view.audience,
        "status": view.status.value,
        "last_activity_at": view.last_activity_at.date().isoformat() if view.last_activity_at else "",
        "requires_approval": view.requires_approval,
    }


def _form_page(
    request: Request,
    actor: Actor,
    form: dict[str, Any],
    *,
    account: AccountView | None = None,
    error: Exception | None = None,
) -> Response:
    return render(
        request,
        "accounts/form.html",
        {
            "title": f"Edit {account.handle}" if account else "New account",
            "account": account,
            "form": form,
            "error": error,
            **_options(request, actor),
        },
        status_code=getattr(error, "status", 200),
        section="accounts",
    )


def _input_from_form(form: dict[str, Any]) -> AccountInput:
    raw = {
        "platform": form["platform"],
        "handle": form["handle"],
        "url": form["url"],
        "display_name": form["display_name"],
        "department_id": optional_int(form["department_id"], "department_id"),
        "owner_user_id": optional_int(form["owner_user_id"], "owner_user_id"),
        "backup_user_id": optional_int(form["backup_user_id"], "backup_user_id"),
        "purpose": form["purpose"],
        "audience": form["audience"],
        "status": form["status"] or AccountStatus.ACTIVE.value,
        "last_activity_at": optional_date(form["last_activity_at"], "last_activity_at"),
        "requires_approval": form["requires_approval"],
    }
    return parse_model(AccountInput, raw)


def account_form(
    platform: Annotated[str, Form()] = "",
    handle: Annotated[str, Form()] = "",
    url: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    department_id: OptionalForm = None,
    owner_user_id: OptionalForm = None,
    backup_user_id: OptionalForm = None,
    purpose: Annotated[str, Form()] = "",
    audience: Annotated[str, Form()] = "",
    status: Annotated[str, Form()] = "",
    last_activity_at: Annotated[str, Form()] = "",
    requires_approval: OptionalForm = None,
) -> dict[str, Any]:
    """The account form's fields as entered (re-shown on error)."""
    return {
        "platform": platform,
        "handle": handle,
        "url": url,
        "display_name": display_name,
        "department_id": department_id or "",
        "owner_user_id": owner_user_id or "",
        "backup_user_id": backup_user_id or "",
        "purpose": purpose,
        "audience": audience,
        "status": status,
        "last_activity_at": last_activity_at,
        "requires_approval": checkbox(requires_approval),
    }


AccountFormDep = Annotated[dict[str, Any], Depends(account_form)]


@router.get("/accounts/new")
def account_new_form(request: Request, actor: ActorDep) -> Response:
    accounts.check_can_manage_accounts(actor)
    form = _form_values(None)
    department_id = request.query_params.get("department_id", "")
    if department_id.isdigit():
        form["department_id"] = department_id
    return _form_page(request, actor, form)


@router.post("/accounts/new")
def account_create(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    actor: ActorDep,
    origin: OriginDep,
    form: AccountFormDep,
) -> Response:
    try:
        data = _input_from_form(form)
        created = accounts.do_create_account(
            db, actor, data, origin=origin, dormant_after_days=settings.dormant_after_days
        )
    except (ValidationFailed, Conflict) as error:
        return _form_page(request, actor, form, error=error)
    return RedirectResponse(f"/accounts/{created.id}?done=account_created", status_code=303)


def _import_page(
    request: Request,
    *,
    report: accounts.ImportReport | None = None,
    error: Exception | None = None,
    allow_partial: bool = False,
) -> Response:
    status_code = getattr(error, "status", 200)
    if report is not None and report.errors and not report.imported:
        status_code = 422
    return render(
        request,
        "accounts/import.html",
        {
            "title": "Import accounts",
            "report": report,
            "error": error,
            "columns": CSV_COLUMNS,
            "allow_partial": allow_partial,
        },
        status_code=status_code,
        section="accounts",
    )


@router.get("/accounts/import")
def account_import_form(request: Request, actor: ActorDep) -> Response:
    accounts.check_can_import_accounts(actor)
    return _import_page(request)


@router.post("/accounts/import")
async def account_import(
    request: Request,
    actor: ActorDep,
    origin: OriginDep,
    file: Annotated[UploadFile | None, File()] = None,
    csv_text: Annotated[str, Form()] = "",
    allow_partial: OptionalForm = None,
) -> Response:
    partial = checkbox(allow_partial)
    text = csv_text
    if file is not None and file.filename:
        raw = await file.read(MAX_IMPORT_BYTES + 1)
        if len(raw) > MAX_IMPORT_BYTES:
            return _import_page(
                request,
                error=ValidationFailed("The file is larger than 5 MB.", hint="Split it into smaller files."),
                allow_partial=partial,
            )
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return _import_page(
                request,
                error=ValidationFailed(
                    "The file is not UTF-8 text.", hint="Save the spreadsheet as 'CSV UTF-8' and try again."
                ),
                allow_partial=partial,
            )
    if not text.strip():
        return _import_page(
            request,
            error=ValidationFailed(
                "Choose a CSV file or paste CSV text.", hint="The first line names the columns."
            ),
            allow_partial=partial,
        )
    try:
        report = await run_in_threadpool(
            accounts.import_accounts_csv,
            request.app.state.db,
            actor,
            text,
            allow_partial=partial,
            origin=origin,
        )
    except ValidationFailed as error:
        return _import_page(request, error=error, allow_partial=partial)
    return _import_page(request, report=report, allow_partial=partial)


@router.get("/accounts/export.csv")
def account_export(
    request: Request, db: DbDep, settings: SettingsDep, actor: ActorDep, origin: OriginDep
) -> Response:
    text = accounts.export_accounts_csv(
        db, actor, origin=origin, dormant_after_days=settings.dormant_after_days
    )
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="rounds-accounts.csv"'},
    )


def _detail(request: Request, actor: Actor, account_id: int, error: Exception | None = None) -> Response:
    db = request.app.state.db
    settings = request.app.state.settings
    account = accounts.access_account(db, actor, account_id, dormant_after_days=settings.dormant_after_days)
    history = accounts.account_history(db, actor, account_id)
    return render(
        request,
        "accounts/detail.html",
        {
            "title": account.handle,
            "account": account,
            "history": list(reversed(history)),
            "platform_labels": PLATFORM_LABELS,
            "can_manage": can_manage_accounts(actor),
            "error": error,
            "dormant_after_days": settings.dormant_after_days,
        },
        status_code=getattr(error, "status", 200),
        section="accounts",
    )


@router.get("/accounts/{account_id}")
def account_detail(request: Request, actor: ActorDep, account_id: int) -> Response:
    return _detail(request, actor, account_id)


@router.get("/accounts/{account_id}/edit")
def account_edit_form(
    request: Request, db: DbDep, settings: SettingsDep, actor: ActorDep, account_id: int
) -> Response:
    account = accounts.access_account(db, actor, account_id, dormant_after_days=settings.dormant_after_days)
    accounts.check_can_manage_accounts(actor)
    return _form_page(request, actor, _form_values(account), account=account)


@router.post("/accounts/{account_id}/edit")
def account_update(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    actor: ActorDep,
    origin: OriginDep,
    account_id: int,
    form: AccountFormDep,
) -> Response:
    try:
        data = _input_from_form(form)
        accounts.do_update_account(
            db, actor, account_id, data, origin=origin, dormant_after_days=settings.dormant_after_days
        )
    except (ValidationFailed, Conflict) as error:
        account = accounts.access_account(
            db, actor, account_id, dormant_after_days=settings.dormant_after_days
        )
        return _form_page(request, actor, form, account=account, error=error)
    return RedirectResponse(f"/accounts/{account_id}?done=account_updated", status_code=303)


@router.post("/accounts/{account_id}/retire")
def account_retire(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    actor: ActorDep,
    origin: OriginDep,
    account_id: int,
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        accounts.do_retire_account(
            db, actor, account_id, reason, origin=origin, dormant_after_days=settings.dormant_after_days
        )
    except (ValidationFailed, Conflict) as error:
        return _detail(request, actor, account_id, error)
    return RedirectResponse(f"/accounts/{account_id}?done=account_retired", status_code=303)
