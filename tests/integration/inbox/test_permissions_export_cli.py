"""Permission checks for each inbox service across roles; hand-off export; metrics CSV; the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rounds.cli.main import app
from rounds.db import Database
from rounds.domain.errors import Forbidden, NotFound
from rounds.domain.roles import ROLE_PERMISSIONS, Permission, Role
from rounds.services.context import Actor
from rounds.services.inbox import access_case, list_cases
from rounds.services.inbox_alerts import check_breaches
from rounds.services.inbox_config import (
    InboxSettingsInput,
    QueueInput,
    do_save_queue,
    do_set_response_target,
    do_update_inbox_settings,
)
from rounds.services.inbox_export import export_case, export_metrics_csv, handoff_text, inbox_metrics
from rounds.services.inbox_replies import (
    do_approve_reply,
    do_create_reply,
    do_override_block,
    do_record_privacy_incident,
)
from rounds.services.inbox_sync import do_sync_cases
from rounds.services.inbox_work import (
    BulkChange,
    do_add_note,
    do_assign_case,
    do_bulk_update,
    do_merge_cases,
    do_set_status,
    do_set_tags,
    list_notifications,
)

from .conftest import ORIGIN, post

RECENT = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
POSTS = (
    post("100", "Our flu clinic is open.", author="MercyHealth", created_at=RECENT),
    post(
        "101",
        "The front desk was rude and I waited for hours at your ER on March 3.",
        parent_id="100",
        created_at=RECENT,
    ),
    post("102", "@MercyHealth is the flu shot free?", author="sam", created_at=RECENT),
)


@pytest.fixture
def cases(db: Database, admin: Actor, people: dict[str, Actor], account: int, ingest: Any) -> list[int]:
    ingest(*POSTS)
    return do_sync_cases(db, admin, origin=ORIGIN).case_ids


def _expect(actor: Actor, permission: Permission, call: Callable[[], object]) -> None:
    if permission in ROLE_PERMISSIONS[actor.role]:
        call()
    else:
        with pytest.raises((Forbidden, NotFound)):
            call()


ROLES = [role.value for role in Role]


@pytest.mark.parametrize("role", ROLES)
def test_permissions_by_role(db: Database, people: dict[str, Actor], cases: list[int], role: str) -> None:
    who = people["admin" if role == "admin" else role]
    manager = people["social_media_manager"]
    complaint, question = cases
    _expect(who, Permission.VIEW_INBOX, lambda: list_cases(db, who))
    _expect(who, Permission.VIEW_INBOX, lambda: access_case(db, who, complaint))
    _expect(who, Permission.RESPOND, lambda: do_add_note(db, who, complaint, "checking", origin=ORIGIN))
    _expect(who, Permission.RESPOND, lambda: do_set_tags(db, who, complaint, ["billing"], origin=ORIGIN))
    _expect(who, Permission.RESPOND, lambda: do_set_status(db, who, question, "waiting", origin=ORIGIN))
    _expect(
        who,
        Permission.ASSIGN_CASES,
        lambda: do_assign_case(db, who, complaint, people["responder2"].user_id, origin=ORIGIN),
    )
    _expect(
        who,
        Permission.ASSIGN_CASES,
        lambda: do_bulk_update(db, who, [complaint], BulkChange(add_tags=("x",)), origin=ORIGIN),
    )
    _expect(
        who, Permission.RESPOND, lambda: do_create_reply(db, who, complaint, template="thanks", origin=ORIGIN)
    )
    drafted = do_create_reply(db, manager, complaint, template="thanks", origin=ORIGIN)
    if who.user_id != manager.user_id:
        _expect(who, Permission.APPROVE_REPLIES, lambda: do_approve_reply(db, who, drafted.id, origin=ORIGIN))
    blocked = do_create_reply(
        db, manager, complaint, text="Sorry about your ER visit on March 3.", origin=ORIGIN
    )
    assert blocked.status == "blocked"
    _expect(
        who,
        Permission.OVERRIDE_SCREENING,
        lambda: do_override_block(
            db, who, blocked.id, "Reviewed: the date is the author's own.", origin=ORIGIN
        ),
    )
    _expect(
        who,
        Permission.REPORT_PRIVACY_INCIDENTS,
        lambda: do_record_privacy_incident(db, who, complaint, origin=ORIGIN),
    )
    _expect(
        who,
        Permission.EXPORT_CASES,
        lambda: export_case(db, who, complaint, audience="legal_risk", fmt="text", origin=ORIGIN),
    )
    _expect(who, Permission.VIEW_INBOX_METRICS, lambda: inbox_metrics(db, who))
    _expect(
        who,
        Permission.MANAGE_INBOX_RULES,
        lambda: do_set_response_target(db, who, "question", 60, origin=ORIGIN),
    )
    _expect(
        who,
        Permission.MANAGE_INBOX_RULES,
        lambda: do_save_queue(db, who, QueueInput(name=f"Q {role}"), origin=ORIGIN),
    )
    _expect(
        who,
        Permission.MANAGE_INBOX_RULES,
        lambda: do_update_inbox_settings(db, who, InboxSettingsInput(), origin=ORIGIN),
    )
    _expect(who, Permission.VIEW_INBOX, lambda: check_breaches(db, who, origin=ORIGIN))
    _expect(who, Permission.ASSIGN_CASES, lambda: do_sync_cases(db, who, origin=ORIGIN))
    _expect(
        who, Permission.ASSIGN_CASES, lambda: do_merge_cases(db, who, complaint, [question], origin=ORIGIN)
    )


def test_only_privacy_officer_and_admin_override() -> None:
    allowed = {
        role for role, permissions in ROLE_PERMISSIONS.items() if Permission.OVERRIDE_SCREENING in permissions
    }
    assert allowed == {Role.ADMIN, Role.PRIVACY_OFFICER}


def test_round_robin_mentions_and_targets(
    db: Database, admin: Actor, people: dict[str, Actor], account: int, ingest: Any
) -> None:
    from rounds.services.inbox_config import RoutingRuleInput, do_save_routing_rule

    queue = do_save_queue(
        db,
        admin,
        QueueInput(
            name="Patient experience",
            member_user_ids=[people["responder"].user_id, people["responder2"].user_id],
        ),
        origin=ORIGIN,
    )
    do_save_routing_rule(
        db,
        admin,
        RoutingRuleInput(
            name="All account posts",
            applies_to_account_posts=True,
            queue_id=queue.id,
            round_robin=True,
            tags=["px"],
        ),
        origin=ORIGIN,
    )
    do_set_response_target(db, admin, "question", 60, origin=ORIGIN)
    ingest(*POSTS)
    report = do_sync_cases(db, admin, origin=ORIGIN)
    views = [access_case(db, admin, case_id).case for case_id in report.case_ids]
    assert {v.assignee_user_id for v in views} == {people["responder"].user_id, people["responder2"].user_id}
    assert all(v.tags == ["px"] and v.status == "assigned" for v in views)
    question = next(v for v in views if v.category == "question")
    assert question.due_at == question.opened_at + timedelta(minutes=60)
    do_add_note(
        db, people["responder"], question.id, "@responder2 can you take the billing part?", origin=ORIGIN
    )
    kinds = [n.kind for n in list_notifications(db, people["responder2"])]
    assert "mention" in kinds


def test_handoff_export_redacts_identifiers(db: Database, people: dict[str, Actor], cases: list[int]) -> None:
    officer = people["privacy_officer"]
    text = handoff_text(db, officer, cases[0], "legal_risk")
    assert "March 3" not in text and "recently" in text
    assert "@pat" not in text and "pat" not in text.split("Timeline:")[0].lower().split()
    pdf = export_case(db, officer, cases[0], audience="patient_relations", fmt="pdf", origin=ORIGIN)
    assert pdf.startswith(b"%PDF")


def test_metrics_csv(db: Database, people: dict[str, Actor], cases: list[int]) -> None:
    csv_text = export_metrics_csv(db, people["social_media_manager"], origin=ORIGIN)
    lines = csv_text.splitlines()
    assert lines[0].startswith("section,team,category,cases")
    assert any(line.startswith("category,all,complaint,1") for line in lines)
    assert any(line.startswith("intent_volume") and "question" in line for line in lines)


def test_cli_sync_list_show_breaches(
    tmp_path: Path, db: Database, admin: Actor, account: int, ingest: Any, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the CLI opens the SQLite data directory")
    ingest(*POSTS)
    data_dir = str(db.settings.data_dir)
    runner = CliRunner()
    synced = runner.invoke(app, ["inbox", "sync", "--json", "--data-dir", data_dir])
    assert synced.exit_code == 0, synced.output
    assert json.loads(synced.output)["created"] == 2
    listed = runner.invoke(app, ["inbox", "list", "--status", "new", "--json", "--data-dir", data_dir])
    assert listed.exit_code == 0 and json.loads(listed.output)["total"] == 2
    case_id = json.loads(listed.output)["cases"][0]["id"]
    shown = runner.invoke(app, ["inbox", "show", str(case_id), "--json", "--data-dir", data_dir])
    assert shown.exit_code == 0 and json.loads(shown.output)["case"]["id"] == case_id
    assert runner.invoke(app, ["inbox", "show", "999", "--data-dir", data_dir]).exit_code == 2
    breaches = runner.invoke(app, ["inbox", "breaches", "--json", "--data-dir", data_dir])
    assert breaches.exit_code == 0 and json.loads(breaches.output)["breached"] == 0
    assert runner.invoke(app, ["inbox", "list", "--data-dir", data_dir]).exit_code == 0
