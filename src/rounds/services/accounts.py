"""The account registry: every social account the organization runs, with owners and full history."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from rounds.db import Database
from rounds.db.models import AuditEvent, Department, Membership, SocialAccount, User, utcnow
from rounds.domain.accounts import AccountFlag, AccountPlatform, AccountStatus
from rounds.domain.audit import AuditAction
from rounds.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from rounds.domain.roles import Permission
from rounds.services import audit
from rounds.services.audit import AuditEventView
from rounds.services.context import Actor, Origin
from rounds.services.departments import load_department

CSV_COLUMNS = [
    "platform",
    "handle",
    "url",
    "display_name",
    "department",
    "owner",
    "backup",
    "purpose",
    "audience",
    "status",
    "last_activity_at",
    "requires_approval",
]


def handle_key(handle: str) -> str:
    return handle.strip().lower().lstrip("@").rstrip("/")


class AccountInput(BaseModel):
    """What a person enters for a registry entry (web form, API body, CSV row)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    platform: AccountPlatform
    handle: str = Field(min_length=1, max_length=300)
    url: str = Field(default="", max_length=1000)
    display_name: str = Field(default="", max_length=300)
    department_id: int | None = None
    owner_user_id: int | None = None
    backup_user_id: int | None = None
    purpose: str = Field(default="", max_length=2000)
    audience: str = Field(default="", max_length=2000)
    status: AccountStatus = AccountStatus.ACTIVE
    last_activity_at: datetime | None = None
    requires_approval: bool = True

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.lower().startswith(("https://", "http://")):
            raise ValueError("must start with https:// or http://")
        return value

    @field_validator("last_activity_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry a time zone, e.g. 2026-01-31T09:00:00Z")
        return value


class AccountView(BaseModel):
    id: int
    platform: AccountPlatform
    handle: str
    url: str
    display_name: str
    department_id: int | None
    department_name: str | None
    owner_user_id: int | None
    owner_name: str | None
    backup_user_id: int | None
    backup_name: str | None
    purpose: str
    audience: str
    status: AccountStatus
    last_activity_at: datetime | None
    requires_approval: bool
    retired_reason: str
    flags: list[AccountFlag]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AccountFilter:
    platform: str | None = None
    status: str | None = None
    department_id: int | None = None
    flagged_only: bool = False
    query: str | None = None


def compute_flags(account: SocialAccount, dormant_after_days: int, now: datetime) -> list[AccountFlag]:
    flags: list[AccountFlag] = []
    if account.status == AccountStatus.RETIRED:
        return flags
    if account.owner_user_id is None:
        flags.append(AccountFlag.NO_OWNER)
    if account.backup_user_id is None:
        flags.append(AccountFlag.NO_BACKUP)
    if account.last_activity_at is None or account.last_activity_at < now - timedelta(
        days=dormant_after_days
    ):
        flags.append(AccountFlag.INACTIVE)
    if account.status == AccountStatus.UNOFFICIAL_FOUND:
        flags.append(AccountFlag.UNOFFICIAL)
    return flags


class _Names:
    """Caches department and user names for building views."""

    def __init__(self, session: Session, organization_id: int) -> None:
        self.departments = dict(
            session.execute(
                sa.select(Department.id, Department.name).where(Department.organization_id == organization_id)
            ).all()
        )
        self.users = dict(
            session.execute(
                sa.select(User.id, User.display_name)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.organization_id == organization_id)
            ).all()
        )


def _view(account: SocialAccount, names: _Names, dormant_after_days: int, now: datetime) -> AccountView:
    return AccountView(
        id=account.id,
        platform=AccountPlatform(account.platform),
        handle=account.handle,
        url=account.url,
        display_name=account.display_name,
        department_id=account.department_id,
        department_name=names.departments.get(account.department_id) if account.department_id else None,
        owner_user_id=account.owner_user_id,
        owner_name=names.users.get(account.owner_user_id) if account.owner_user_id else None,
        backup_user_id=account.backup_user_id,
        backup_name=names.users.get(account.backup_user_id) if account.backup_user_id else None,
        purpose=account.purpose,
        audience=account.audience,
        status=AccountStatus(account.status),
        last_activity_at=account.last_activity_at,
        requires_approval=account.requires_approval,
        retired_reason=account.retired_reason,
        flags=compute_flags(account, dormant_after_days, now),
        created_at=account.created_at,
        updated_at=account.updated_at,
    )


def _snapshot(account: SocialAccount) -> dict[str, Any]:
    return {
        "platform": account.platform,
        "handle": account.handle,
        "url": account.url,
        "display_name": account.display_name,
        "department_id": account.department_id,
        "owner_user_id": account.owner_user_id,
        "backup_user_id": account.backup_user_id,
        "purpose": account.purpose,
        "audience": account.audience,
        "status": account.status,
        "last_activity_at": account.last_activity_at.isoformat() if account.last_activity_at else None,
        "requires_approval": account.requires_approval,
        "retired_reason": account.retired_reason,
    }


def _check_manage(actor: Actor, department_id: int | None) -> None:
    if actor.can(Permission.MANAGE_ACCOUNTS):
        return
    if actor.can(Permission.MANAGE_DEPARTMENT_ACCOUNTS):
        if department_id is not None and department_id in actor.department_ids:
            return
        raise Forbidden("A department lead may only manage their own department's accounts.")
    raise Forbidden(
        "Your role does not allow changing the account registry.", hint="Ask a social media manager."
    )


def check_can_manage_accounts(actor: Actor) -> None:
    """Raise Forbidden unless the actor may change some part of the registry (any or their department)."""
    if not (actor.can(Permission.MANAGE_ACCOUNTS) or actor.can(Permission.MANAGE_DEPARTMENT_ACCOUNTS)):
        raise Forbidden(
            "Your role does not allow changing the account registry.", hint="Ask a social media manager."
        )


def check_can_edit_account(actor: Actor, account: AccountView) -> None:
    """Raise Forbidden unless the actor may edit this entry (department leads: their department only)."""
    _check_manage(actor, account.department_id)


def check_can_import_accounts(actor: Actor) -> None:
    if not (actor.can(Permission.IMPORT_EXPORT_ACCOUNTS) or actor.can(Permission.MANAGE_DEPARTMENT_ACCOUNTS)):
        raise Forbidden("Your role does not allow importing accounts.", hint="Ask a social media manager.")


def _load(session: Session, actor: Actor, account_id: int) -> SocialAccount:
    account = session.get(SocialAccount, account_id)
    if account is None or account.organization_id != actor.organization_id:
        raise NotFound(f"Account {account_id} was not found.")
    return account


def _check_people(session: Session, actor: Actor, data: AccountInput) -> None:
    if data.department_id is not None:
        load_department(session, actor, data.department_id)
    for field_name in ("owner_user_id", "backup_user_id"):
        user_id = getattr(data, field_name)
        if user_id is None:
            continue
        found = session.execute(
            sa.select(User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(User.id == user_id, Membership.organization_id == actor.organization_id)
        ).first()
        if found is None:
            raise ValidationFailed(
                f"{field_name.replace('_user_id', '').title()} user {user_id} does not exist.",
                details=[{"field": field_name, "message": "unknown user"}],
            )
    if data.owner_user_id is not None and data.owner_user_id == data.backup_user_id:
        raise ValidationFailed(
            "The backup must be a different person from the owner.",
            details=[{"field": "backup_user_id", "message": "same as owner"}],
        )


def _check_unique(session: Session, actor: Actor, data: AccountInput, exclude_id: int | None = None) -> None:
    query = sa.select(SocialAccount.id).where(
        SocialAccount.organization_id == actor.organization_id,
        SocialAccount.platform == data.platform.value,
        SocialAccount.handle_key == handle_key(data.handle),
    )
    if exclude_id is not None:
        query = query.where(SocialAccount.id != exclude_id)
    existing = session.execute(query).scalar_one_or_none()
    if existing is not None:
        raise Conflict(
            f"The {data.platform.value} account {data.handle!r} is already in the registry (entry {existing}).",
            hint="Edit the existing entry instead.",
            details=[{"field": "handle", "message": "duplicate handle"}],
        )


def list_accounts(
    db: Database, actor: Actor, filters: AccountFilter | None = None, *, dormant_after_days: int = 90
) -> list[AccountView]:
    actor.require(Permission.VIEW_ACCOUNTS)
    filters = filters or AccountFilter()
    now = utcnow()
    with db.session() as session:
        query = sa.select(SocialAccount).where(SocialAccount.organization_id == actor.organization_id)
        if filters.platform:
            query = query.where(SocialAccount.platform == filters.platform)
        if filters.status:
            query = query.where(SocialAccount.status == filters.status)
        if filters.department_id is not None:
            query = query.where(SocialAccount.department_id == filters.department_id)
        if filters.query:
            like = f"%{filters.query.strip().lower()}%"
            query = query.where(
                sa.or_(
                    sa.func.lower(SocialAccount.handle).like(like),
                    sa.func.lower(SocialAccount.display_name).like(like),
                )
            )
        names = _Names(session, actor.organization_id)
        views = [
            _view(account, names, dormant_after_days, now)
            for account in session.execute(
                query.order_by(SocialAccount.platform, SocialAccount.handle_key)
            ).scalars()
        ]
    if filters.flagged_only:
        views = [view for view in views if set(view.flags) - {AccountFlag.NO_BACKUP}]
    return views


def access_account(
    db: Database, actor: Actor, account_id: int, *, dormant_after_days: int = 90
) -> AccountView:
    if not actor.can(Permission.VIEW_ACCOUNTS):
        raise NotFound(f"Account {account_id} was not found.")
    with db.session() as session:
        account = _load(session, actor, account_id)
        return _view(account, _Names(session, actor.organization_id), dormant_after_days, utcnow())


def _apply(account: SocialAccount, data: AccountInput) -> None:
    account.platform = data.platform.value
    account.handle = data.handle
    account.handle_key = handle_key(data.handle)
    account.url = data.url
    account.display_name = data.display_name
    account.department_id = data.department_id
    account.owner_user_id = data.owner_user_id
    account.backup_user_id = data.backup_user_id
    account.purpose = data.purpose
    account.audience = data.audience
    account.status = data.status.value
    account.last_activity_at = data.last_activity_at
    account.requires_approval = data.requires_approval


def _create(session: Session, actor: Actor, data: AccountInput, origin: Origin) -> SocialAccount:
    _check_manage(actor, data.department_id)
    _check_people(session, actor, data)
    _check_unique(session, actor, data)
    account = SocialAccount(organization_id=actor.organization_id)
    _apply(account, data)
    session.add(account)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.ACCOUNT_CREATED,
        object_type="social_account",
        object_id=account.id,
        after=_snapshot(account),
        origin=origin,
    )
    return account


def do_create_account(
    db: Database, actor: Actor, data: AccountInput, *, origin: Origin, dormant_after_days: int = 90
) -> AccountView:
    with db.session() as session:
        account = _create(session, actor, data, origin)
        return _view(account, _Names(session, actor.organization_id), dormant_after_days, utcnow())


def do_update_account(
    db: Database,
    actor: Actor,
    account_id: int,
    data: AccountInput,
    *,
    origin: Origin,
    dormant_after_days: int = 90,
) -> AccountView:
    with db.session() as session:
        account = _load(session, actor, account_id)
        _check_manage(actor, account.department_id)  # may manage it now...
        _check_manage(actor, data.department_id)  # ...and where it is going
        _check_people(session, actor, data)
        _check_unique(session, actor, data, exclude_id=account.id)
        before = _snapshot(account)
        _apply(account, data)
        if data.status != AccountStatus.RETIRED:
            account.retired_reason = ""
        after = _snapshot(account)
        if after != before:
            account.updated_at = utcnow()
            audit.record(
                session,
                actor=actor,
                action=AuditAction.ACCOUNT_RETIRED
                if data.status == AccountStatus.RETIRED and before["status"] != "retired"
                else AuditAction.ACCOUNT_UPDATED,
                object_type="social_account",
                object_id=account.id,
                before=before,
                after=after,
                origin=origin,
            )
        return _view(account, _Names(session, actor.organization_id), dormant_after_days, utcnow())


def do_retire_account(
    db: Database, actor: Actor, account_id: int, reason: str, *, origin: Origin, dormant_after_days: int = 90
) -> AccountView:
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(
            "Say why the account is retired.", details=[{"field": "reason", "message": "required"}]
        )
    with db.session() as session:
        account = _load(session, actor, account_id)
        _check_manage(actor, account.department_id)
        if account.status == AccountStatus.RETIRED:
            raise Conflict("This account is already retired.")
        before = _snapshot(account)
        account.status = AccountStatus.RETIRED.value
        account.retired_reason = reason[:2000]
        account.updated_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action=AuditAction.ACCOUNT_RETIRED,
            object_type="social_account",
            object_id=account.id,
            before=before,
            after=_snapshot(account),
            origin=origin,
        )
        return _view(account, _Names(session, actor.organization_id), dormant_after_days, utcnow())


def account_history(db: Database, actor: Actor, account_id: int) -> list[AuditEventView]:
    """Every recorded change of one registry entry, oldest first (visible to whoever may see the entry)."""
    if not actor.can(Permission.VIEW_ACCOUNTS):
        raise NotFound(f"Account {account_id} was not found.")
    with db.session() as session:
        account = _load(session, actor, account_id)
        events = session.execute(
            sa.select(AuditEvent)
            .where(
                AuditEvent.organization_id == actor.organization_id,
                AuditEvent.object_type == "social_account",
                AuditEvent.object_id == str(account.id),
            )
            .order_by(AuditEvent.id)
        ).scalars()
        return [AuditEventView.of(event) for event in events]


# --- CSV import / export ---------------------------------------------------------------------------------


@dataclass
class ImportReport:
    read: int = 0
    created: int = 0
    imported: bool = False
    errors: list[tuple[int, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "created": self.created,
            "imported": self.imported,
            "errors": [{"line": line, "message": message} for line, message in self.errors],
        }


_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def _row_to_input(
    row: dict[str, str | None], departments: dict[str, int], users: dict[str, int]
) -> AccountInput:
    def cell(name: str) -> str:
        value = row.get(name)
        return (value or "").strip()

    problems: list[str] = []
    department_id = None
    if cell("department"):
        department_id = departments.get(cell("department").lower())
        if department_id is None:
            problems.append(f"unknown department {cell('department')!r}")
    people: dict[str, int | None] = {}
    for column in ("owner", "backup"):
        people[column] = None
        if cell(column):
            people[column] = users.get(cell(column).lower())
            if people[column] is None:
                problems.append(f"unknown {column} username {cell(column)!r}")
    approval = cell("requires_approval").lower()
    if approval and approval not in _TRUE | _FALSE:
        problems.append(f"requires_approval must be yes or no, not {cell('requires_approval')!r}")
    raw: dict[str, Any] = {
        "platform": cell("platform").lower(),
        "handle": cell("handle"),
        "url": cell("url"),
        "display_name": cell("display_name"),
        "department_id": department_id,
        "owner_user_id": people["owner"],
        "backup_user_id": people["backup"],
        "purpose": cell("purpose"),
        "audience": cell("audience"),
        "status": (cell("status") or "active").lower().replace("-", "_").replace(" ", "_"),
        "last_activity_at": cell("last_activity_at") or None,
        "requires_approval": approval not in _FALSE if approval else True,
    }
    try:
        data = AccountInput.model_validate(raw)
    except ValidationError as error:
        for item in error.errors():
            column = str(item["loc"][0]) if item["loc"] else "row"
            column = {
                "department_id": "department",
                "owner_user_id": "owner",
                "backup_user_id": "backup",
            }.get(column, column)
            problems.append(f"{column}: {item['msg']}")
        data = None
    if problems or data is None:
        raise ValidationFailed("; ".join(problems))
    return data


def import_accounts_csv(
    db: Database, actor: Actor, text: str, *, allow_partial: bool, origin: Origin
) -> ImportReport:
    """Validate every row first. With errors, import nothing unless ``allow_partial`` (then only good rows)."""
    check_can_import_accounts(actor)
    report = ImportReport()
    text = text.removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in ("platform", "handle") if name not in header]
    if missing:
        raise ValidationFailed(
            f"The CSV header lacks the column(s): {', '.join(missing)}.",
            hint="The first line must name the columns: " + ",".join(CSV_COLUMNS),
        )
    reader.fieldnames = header
    good: list[tuple[int, AccountInput]] = []
    with db.session() as session:
        departments = {
            name.lower(): department_id
            for department_id, name in session.execute(
                sa.select(Department.id, Department.name).where(
                    Department.organization_id == actor.organization_id
                )
            ).all()
        }
        users = {
            username: user_id
            for user_id, username in session.execute(
                sa.select(User.id, User.username)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.organization_id == actor.organization_id)
            ).all()
        }
        seen: dict[tuple[str, str], int] = {}
        line = reader.line_num
        for row in reader:
            start_line = line + 1
            line = reader.line_num
            report.read += 1
            if None in row:
                report.errors.append((start_line, "more cells than header columns"))
                continue
            try:
                data = _row_to_input(row, departments, users)
                _check_manage(actor, data.department_id)
                _check_unique(session, actor, data)
            except (ValidationFailed, Conflict, Forbidden) as error:
                report.errors.append((start_line, error.message))
                continue
            key = (data.platform.value, handle_key(data.handle))
            if key in seen:
                report.errors.append((start_line, f"duplicate handle: same as line {seen[key]}"))
                continue
            seen[key] = start_line
            good.append((start_line, data))
        if report.errors and not allow_partial:
            return report
        for _line, data in good:
            _create(session, actor, data, origin)
            report.created += 1
        report.imported = True
        audit.record(
            session,
            actor=actor,
            action=AuditAction.ACCOUNTS_IMPORTED,
            object_type="account_registry",
            after={"read": report.read, "created": report.created, "rejected": len(report.errors)},
            origin=origin,
        )
    return report


def export_accounts_csv(db: Database, actor: Actor, *, origin: Origin, dormant_after_days: int = 90) -> str:
    if not (actor.can(Permission.IMPORT_EXPORT_ACCOUNTS) or actor.can(Permission.VIEW_ACCOUNTS)):
        raise Forbidden("Your role does not allow exporting accounts.")
    views = list_accounts(db, actor, dormant_after_days=dormant_after_days)
    with db.session() as session:
        usernames = dict(
            session.execute(
                sa.select(User.id, User.username)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.organization_id == actor.organization_id)
            ).all()
        )
        audit.record(
            session,
            actor=actor,
            action=AuditAction.ACCOUNTS_EXPORTED,
            object_type="account_registry",
            after={"rows": len(views)},
            origin=origin,
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", *CSV_COLUMNS, "flags"])
    for view in views:
        writer.writerow(
            [
                view.id,
                view.platform.value,
                view.handle,
                view.url,
                view.display_name,
                view.department_name or "",
                usernames.get(view.owner_user_id, "") if view.owner_user_id else "",
                usernames.get(view.backup_user_id, "") if view.backup_user_id else "",
                view.purpose,
                view.audience,
                view.status.value,
                view.last_activity_at.isoformat() if view.last_activity_at else "",
                "yes" if view.requires_approval else "no",
                " ".join(flag.value for flag in view.flags),
            ]
        )
    return buffer.getvalue()
