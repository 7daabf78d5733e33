"""API: the account registry, including CSV import and export."""

from __future__ import annotations

from fastapi import APIRouter, Response

from rounds.domain.accounts import AccountPlatform, AccountStatus
from rounds.domain.errors import ImportFailed
from rounds.services import accounts
from rounds.services.accounts import AccountFilter, AccountInput, AccountView
from rounds.services.audit import AuditEventView
from rounds.web.api.models import ERROR_RESPONSES, ImportLineError, ImportRequest, ImportResult, RetireRequest
from rounds.web.context import ActorDep, DbDep, OriginDep, SettingsDep

router = APIRouter(tags=["accounts"], responses=ERROR_RESPONSES)


@router.get("/accounts", response_model=list[AccountView])
def list_accounts(
    db: DbDep,
    settings: SettingsDep,
    actor: ActorDep,
    platform: AccountPlatform | None = None,
    status: AccountStatus | None = None,
    department_id: int | None = None,
    flagged_only: bool = False,
    q: str | None = None,
) -> list[AccountView]:
    filters = AccountFilter(
        platform=platform.value if platform else None,
        status=status.value if status else None,
        department_id=department_id,
        flagged_only=flagged_only,
        query=q,
    )
    return accounts.list_accounts(db, actor, filters, dormant_after_days=settings.dormant_after_days)


@router.post("/accounts", response_model=AccountView, status_code=201)
def create_account(
    body: AccountInput, db: DbDep, settings: SettingsDep, actor: ActorDep, origin: OriginDep
) -> AccountView:
    return accounts.do_create_account(
        db, actor, body, origin=origin, dormant_after_days=settings.dormant_after_days
    )


@router.post(
    "/accounts/import",
    response_model=ImportResult,
    responses={
        422: {"description": "Bad rows and allow_partial is false: nothing imported; details list lines"}
    },
)
def import_accounts(body: ImportRequest, db: DbDep, actor: ActorDep, origin: OriginDep) -> ImportResult:
    """Validate every row; with any bad row import nothing unless ``allow_partial`` (then only the good rows)."""
    report = accounts.import_accounts_csv(
        db, actor, body.csv, allow_partial=body.allow_partial, origin=origin
    )
    errors = [ImportLineError(line=line, message=message) for line, message in report.errors]
    if not report.imported:
        raise ImportFailed(
            f"Nothing was imported: {len(errors)} of {report.read} rows have problems.",
            hint="Fix the listed lines, or send allow_partial=true to import only the good rows.",
            details=[error.model_dump() for error in errors],
        )
    return ImportResult(read=report.read, created=report.created, imported=report.imported, errors=errors)


@router.get(
    "/accounts/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The registry as CSV"}},
)
def export_accounts(db: DbDep, settings: SettingsDep, actor: ActorDep, origin: OriginDep) -> Response:
    text = accounts.export_accounts_csv(
        db, actor, origin=origin, dormant_after_days=settings.dormant_after_days
    )
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="rounds-accounts.csv"'},
    )


@router.get("/accounts/{account_id}", response_model=AccountView)
def read_account(account_id: int, db: DbDep, settings: SettingsDep, actor: ActorDep) -> AccountView:
    return accounts.access_account(db, actor, account_id, dormant_after_days=settings.dormant_after_days)


@router.put("/accounts/{account_id}", response_model=AccountView)
def update_account(
    account_id: int, body: AccountInput, db: DbDep, settings: SettingsDep, actor: ActorDep, origin: OriginDep
) -> AccountView:
    """Replace the entry's fields (send the whole entry, as from GET)."""
    return accounts.do_update_account(
        db, actor, account_id, body, origin=origin, dormant_after_days=settings.dormant_after_days
    )


@router.post("/accounts/{account_id}/retire", response_model=AccountView)
def retire_account(
    account_id: int, body: RetireRequest, db: DbDep, settings: SettingsDep, actor: ActorDep, origin: OriginDep
) -> AccountView:
    return accounts.do_retire_account(
        db, actor, account_id, body.reason, origin=origin, dormant_after_days=settings.dormant_after_days
    )


@router.get("/accounts/{account_id}/history", response_model=list[AuditEventView])
def account_history(account_id: int, db: DbDep, actor: ActorDep) -> list[AuditEventView]:
    return accounts.account_history(db, actor, account_id)
