from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rounds.db import Database
from rounds.domain.accounts import AccountFlag
from rounds.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from rounds.services import accounts, auth, users
from rounds.services.accounts import AccountInput
from rounds.services.context import Actor
from rounds.settings import Settings

from .conftest import ORIGIN, PASSWORD


def test_create_edit_retire_with_history(db: Database, admin: Actor, department_ids: dict[str, int]) -> None:
    view = accounts.do_create_account(
        db,
        admin,
        AccountInput(platform="x", handle="@TestHealth", department_id=department_ids["Communications"]),
        origin=ORIGIN,
    )
    assert AccountFlag.NO_OWNER in view.flags and AccountFlag.INACTIVE in view.flags
    updated = accounts.do_update_account(
        db,
        admin,
        view.id,
        AccountInput(
            platform="x",
            handle="@TestHealth",
            owner_user_id=admin.user_id,
            last_activity_at=datetime.now(UTC) - timedelta(days=1),
        ),
        origin=ORIGIN,
    )
    assert AccountFlag.NO_OWNER not in updated.flags and AccountFlag.INACTIVE not in updated.flags
    accounts.do_retire_account(db, admin, view.id, "Brand consolidated", origin=ORIGIN)
    history = accounts.account_history(db, admin, view.id)
    assert [event.action for event in history] == ["account.created", "account.updated", "account.retired"]
    assert history[1].before is not None and history[1].before["owner_user_id"] is None
    with pytest.raises(Conflict):
        accounts.do_retire_account(db, admin, view.id, "again", origin=ORIGIN)


def test_duplicate_handle_is_case_and_at_insensitive(db: Database, admin: Actor) -> None:
    accounts.do_create_account(db, admin, AccountInput(platform="instagram", handle="@Kids"), origin=ORIGIN)
    with pytest.raises(Conflict):
        accounts.do_create_account(
            db, admin, AccountInput(platform="instagram", handle="kids"), origin=ORIGIN
        )
    accounts.do_create_account(db, admin, AccountInput(platform="x", handle="kids"), origin=ORIGIN)


def test_inactive_flag_uses_setting(db: Database, admin: Actor) -> None:
    old = datetime.now(UTC) - timedelta(days=40)
    view = accounts.do_create_account(
        db,
        admin,
        AccountInput(platform="x", handle="old", last_activity_at=old),
        origin=ORIGIN,
        dormant_after_days=30,
    )
    assert AccountFlag.INACTIVE in view.flags
    assert (
        AccountFlag.INACTIVE not in accounts.access_account(db, admin, view.id, dormant_after_days=60).flags
    )


def test_department_lead_manages_only_own_department(
    db: Database, settings: Settings, admin: Actor, department_ids: dict[str, int]
) -> None:
    users.do_create_user(
        db,
        settings,
        admin,
        username="dana",
        display_name="",
        email="",
        password=PASSWORD,
        role="department_lead",
        department_id=department_ids["Pediatrics"],
        origin=ORIGIN,
    )
    lead, _ = auth.login(db, settings, username="dana", password=PASSWORD, origin=ORIGIN)
    own = accounts.do_create_account(
        db,
        lead,
        AccountInput(platform="instagram", handle="@kids", department_id=department_ids["Pediatrics"]),
        origin=ORIGIN,
    )
    with pytest.raises(Forbidden):
        accounts.do_create_account(
            db,
            lead,
            AccountInput(platform="x", handle="@heart", department_id=department_ids["Cardiology"]),
            origin=ORIGIN,
        )
    with pytest.raises(Forbidden):
        accounts.do_update_account(
            db,
            lead,
            own.id,
            AccountInput(platform="instagram", handle="@kids", department_id=department_ids["Cardiology"]),
            origin=ORIGIN,
        )


def test_executive_cannot_create_and_missing_is_not_found(
    db: Database, settings: Settings, admin: Actor
) -> None:
    users.do_create_user(
        db,
        settings,
        admin,
        username="exec",
        display_name="",
        email="",
        password=PASSWORD,
        role="executive_viewer",
        origin=ORIGIN,
    )
    executive, _ = auth.login(db, settings, username="exec", password=PASSWORD, origin=ORIGIN)
    with pytest.raises(Forbidden):
        accounts.do_create_account(db, executive, AccountInput(platform="x", handle="h"), origin=ORIGIN)
    with pytest.raises(NotFound):
        accounts.access_account(db, executive, 999)


def test_owner_must_exist_and_differ_from_backup(db: Database, admin: Actor) -> None:
    with pytest.raises(ValidationFailed):
        accounts.do_create_account(
            db, admin, AccountInput(platform="x", handle="h", owner_user_id=999), origin=ORIGIN
        )
    with pytest.raises(ValidationFailed):
        accounts.do_create_account(
            db,
            admin,
            AccountInput(platform="x", handle="h", owner_user_id=admin.user_id, backup_user_id=admin.user_id),
            origin=ORIGIN,
        )


CSV_MIXED = """platform,handle,department,owner,status,last_activity_at,requires_approval
x,@good1,Communications,admin,active,2026-01-05T10:00:00Z,yes
myspace,@bad-platform,,,active,,
x,@good2,,,dormant,,no
x,@GOOD1,,,active,,
facebook,page,Nowhere,,active,,
instagram,insta,,,active,not-a-date,
"""


def test_import_reports_each_bad_line_and_imports_nothing(
    db: Database, admin: Actor, department_ids: dict[str, int]
) -> None:
    report = accounts.import_accounts_csv(db, admin, CSV_MIXED, allow_partial=False, origin=ORIGIN)
    assert not report.imported and report.created == 0 and report.read == 6
    lines = [line for line, _ in report.errors]
    assert lines == [3, 5, 6, 7]
    messages = dict(report.errors)
    assert "platform" in messages[3]
    assert "duplicate handle" in messages[5] and "line 2" in messages[5]
    assert "unknown department" in messages[6]
    assert "last_activity_at" in messages[7]
    assert accounts.list_accounts(db, admin) == []


def test_import_partial_imports_good_rows(db: Database, admin: Actor, department_ids: dict[str, int]) -> None:
    report = accounts.import_accounts_csv(db, admin, CSV_MIXED, allow_partial=True, origin=ORIGIN)
    assert report.imported and report.created == 2
    handles = sorted(view.handle for view in accounts.list_accounts(db, admin))
    assert handles == ["@good1", "@good2"]
    exported = accounts.export_accounts_csv(db, admin, origin=ORIGIN)
    assert "@good1" in exported and exported.splitlines()[0].startswith("id,platform,handle")
    again = accounts.import_accounts_csv(db, admin, exported, allow_partial=False, origin=ORIGIN)
    assert not again.imported and all("already in the registry" in message for _, message in again.errors)


def test_import_without_required_columns(db: Database, admin: Actor) -> None:
    with pytest.raises(ValidationFailed, match="handle"):
        accounts.import_accounts_csv(db, admin, "platform,name\nx,y\n", allow_partial=True, origin=ORIGIN)
