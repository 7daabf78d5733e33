"""Closing the inbox's known gaps: tag filter in SQL with paging, resolution targets and breaches, re-triage on
each tick, department scope, alert links to the case, deleting queues and rules, on-call webhooks kept.

Cases are written straight to the table where the test is about reading or timing them (fast); the rest goes
through the services. SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from rounds.db import Database
from rounds.db.inbox import InboxCase, InboxSettings
from rounds.db.listening import Alert
from rounds.db.models import AuditEvent, Membership, User, utcnow
from rounds.domain.errors import Forbidden, NotFound, ValidationFailed
from rounds.domain.roles import Role
from rounds.services.accounts import AccountInput, do_create_account
from rounds.services.context import Actor
from rounds.services.departments import do_create_department
from rounds.services.inbox import (
    CaseFilter,
    Category,
    access_case,
    list_cases,
    resolution_due_at_for,
    retriaged,
    triage,
)
from rounds.services.inbox_alerts import check_breaches
from rounds.services.inbox_config import (
    InboxSettingsInput,
    QueueInput,
    RoutingRuleInput,
    do_delete_queue,
    do_delete_routing_rule,
    do_save_queue,
    do_save_routing_rule,
    do_set_resolution_target,
    do_set_response_target,
    do_update_inbox_settings,
    list_queues,
    list_resolution_targets,
    list_response_targets,
    list_routing_rules,
)
from rounds.services.inbox_export import export_metrics_csv, inbox_metrics
from rounds.services.inbox_sync import do_retriage_cases
from rounds.services.inbox_work import do_set_status
from rounds.services.listening_alerts import Channel, deliver_notifications

from .conftest import ORIGIN, actor_of

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


def make_case(db: Database, organization_id: int, n: int, **fields: Any) -> int:
    values: dict[str, Any] = {
        "organization_id": organization_id,
        "platform": "x",
        "author_key": f"author{n}",
        "thread_key": f"thread{n}",
        "source": "mention",
        "status": "new",
        "category": "question",
        "priority": 10,
        "priority_reason": "question (+10)",
        "opened_at": NOW - timedelta(hours=1),
        "last_activity_at": NOW - timedelta(hours=1),
        "created_at": NOW,
        "updated_at": NOW,
        **fields,
    }
    with db.session() as session:
        case = InboxCase(**values)
        session.add(case)
        session.flush()
        return case.id


def _actions(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


# --- 1. tag filter in SQL ------------------------------------------------------------------------------------


def test_tag_filter_is_applied_before_paging(db: Database, admin: Actor) -> None:
    org = admin.organization_id
    for n in range(5):  # higher priority first: these fill page one
        make_case(db, org, n, priority=90 - n, tags=["billing"] if n == 0 else ["other"])
    wanted = [make_case(db, org, 10 + n, priority=5, tags=["vip", "billing"]) for n in range(3)]
    make_case(db, org, 20, priority=1, tags=["vipx"])  # a longer tag is not a match
    make_case(db, org, 21, priority=1, tags=[])

    first, total = list_cases(db, admin, CaseFilter(tag="vip"), limit=2, now=NOW)
    second, _ = list_cases(db, admin, CaseFilter(tag="vip"), limit=2, offset=2, now=NOW)
    assert total == 3
    assert [case.id for case in first + second] == wanted
    _cases, billing = list_cases(db, admin, CaseFilter(tag=" Billing "), limit=1, now=NOW)
    assert billing == 4
    assert list_cases(db, admin, CaseFilter(tag="nothing"), now=NOW) == ([], 0)
    with db.session() as session:  # the filter is SQL: the count query holds it
        assert session.execute(sa.select(sa.func.count()).select_from(InboxCase)).scalar_one() == 10


# --- 2. resolution targets -----------------------------------------------------------------------------------


def test_resolution_targets_default_and_configurable(db: Database, admin: Actor) -> None:
    targets = list_resolution_targets(db, admin)
    assert (targets["emergency"], targets["complaint"], targets["question"], targets["other"]) == (
        4 * 60,
        72 * 60,
        72 * 60,
        7 * 24 * 60,
    )
    do_set_resolution_target(db, admin, "complaint", 48 * 60, origin=ORIGIN)
    do_set_response_target(db, admin, "complaint", 60, origin=ORIGIN)  # the same row, the other column
    assert list_resolution_targets(db, admin)["complaint"] == 48 * 60
    assert list_response_targets(db, admin)["complaint"] == 60
    with pytest.raises(ValidationFailed):
        do_set_resolution_target(db, admin, "complaint", 0, origin=ORIGIN)
    case_id = make_case(db, admin.organization_id, 1, category="complaint")
    with db.session() as session:
        case = session.get(InboxCase, case_id)
        assert case is not None
        assert resolution_due_at_for(session, case) == case.opened_at + timedelta(hours=48)
    assert "inbox.resolution_target_set" in _actions(db)


def test_breach_alerts_for_both_targets_are_raised_once(db: Database, admin: Actor) -> None:
    org = admin.organization_id
    past, future = NOW - timedelta(minutes=30), NOW + timedelta(hours=5)
    unanswered = make_case(db, org, 1, due_at=past, resolution_due_at=future)
    answered_unresolved = make_case(
        db, org, 2, status="waiting", due_at=past, first_response_at=past, resolution_due_at=past
    )
    both = make_case(db, org, 3, category="emergency", emergency=True, due_at=past, resolution_due_at=past)
    make_case(db, org, 4, status="resolved", due_at=past, resolution_due_at=past, resolved_at=past)

    report = check_breaches(db, admin, NOW, origin=ORIGIN)
    assert report.case_ids == [unanswered, both]
    assert report.resolution_case_ids == [answered_unresolved, both]
    assert check_breaches(db, admin, NOW + timedelta(hours=1), origin=ORIGIN).model_dump() == {
        "checked": 0,
        "breached": 0,
        "case_ids": [],
        "resolution_breached": 0,
        "resolution_case_ids": [],
    }
    with db.session() as session:
        kinds = sorted(session.execute(sa.select(Alert.kind)).scalars())
        assert kinds == ["inbox_breach", "inbox_breach", "inbox_resolution_breach", "inbox_resolution_breach"]
        reasons = list(session.execute(sa.select(Alert.reason)).scalars())
        assert all("author" not in reason for reason in reasons)
        row = session.get(InboxCase, answered_unresolved)
        assert row is not None and row.resolution_breached_at is not None and row.breached_at is None
    assert _actions(db).count("inbox.resolution_target_breached") == 2
    detail = access_case(db, admin, answered_unresolved, now=NOW)
    assert detail.case.resolution_overdue and not detail.case.overdue


def test_metrics_report_compliance_for_both_targets(db: Database, admin: Actor) -> None:
    org = admin.organization_id
    now = utcnow()
    opened = now - timedelta(days=2)
    due, resolution_due = opened + timedelta(hours=24), opened + timedelta(hours=30)
    common = {"opened_at": opened, "due_at": due, "resolution_due_at": resolution_due}
    make_case(db, org, 1, status="resolved", first_response_at=opened + timedelta(hours=1),
              resolved_at=opened + timedelta(hours=2), **common)  # fmt: skip
    make_case(db, org, 2, status="resolved", first_response_at=opened + timedelta(hours=25),
              resolved_at=opened + timedelta(hours=40), **common)  # fmt: skip
    make_case(db, org, 3, status="waiting", first_response_at=opened + timedelta(hours=3), **common)
    metrics = inbox_metrics(db, admin)
    overall = metrics.overall
    assert (overall.within_target, overall.missed_target) == (2, 1)
    assert (overall.resolution_within_target, overall.resolution_missed_target) == (1, 2)
    assert overall.resolution_compliance == round(1 / 3, 4)
    assert "resolution_compliance" in export_metrics_csv(db, admin, origin=ORIGIN).splitlines()[0]


# --- 3. re-triage on each tick -------------------------------------------------------------------------------


def test_retriage_raises_priority_with_waiting_time_in_one_batch(db: Database, admin: Actor) -> None:
    org = admin.organization_id

    def opened(hours: float) -> dict[str, Any]:
        return {"opened_at": NOW - timedelta(hours=hours)}

    complaint = make_case(db, org, 1, priority=30, priority_reason="complaint (+20); negative sentiment (+10)",
                          **opened(13))  # fmt: skip
    quiet = make_case(
        db, org, 2, priority=0, priority_reason="no risk signals (0)", status="assigned", **opened(7)
    )
    current = make_case(
        db, org, 3, priority=12, priority_reason="question (+10); waiting 13 h (+2)", **opened(14)
    )
    young = make_case(db, org, 4, priority=10, priority_reason="question (+10)", **opened(2))  # too young
    make_case(db, org, 5, priority=100, priority_reason="capped", **opened(30))
    make_case(db, org, 6, priority=20, priority_reason="question (+10); waiting 70 h (+10)", **opened(80))
    make_case(db, org, 7, priority=10, priority_reason="question (+10)", status="waiting", **opened(30))

    report = do_retriage_cases(db, admin, origin=ORIGIN, now=NOW)
    assert (report.checked, report.changed, report.case_ids) == (3, 2, [complaint, quiet])
    first = access_case(db, admin, complaint, now=NOW).case
    assert first.priority == 32
    assert first.priority_reason == "complaint (+20); negative sentiment (+10); waiting 13 h (+2)"
    second = access_case(db, admin, quiet, now=NOW).case
    assert (second.priority, second.priority_reason) == (1, "waiting 7 h (+1)")
    assert access_case(db, admin, current, now=NOW).case.priority == 12
    assert _actions(db).count("inbox.cases_retriaged") == 1

    assert do_retriage_cases(db, admin, origin=ORIGIN, now=NOW + timedelta(minutes=5)).changed == 0
    assert _actions(db).count("inbox.cases_retriaged") == 1  # nothing changed: no audit event
    later = do_retriage_cases(db, admin, origin=ORIGIN, now=NOW + timedelta(hours=6))
    assert set(later.case_ids) == {complaint, quiet, current, young}
    assert access_case(db, admin, complaint).case.priority == 33
    with db.session() as session:
        event = (
            session.execute(
                sa.select(AuditEvent)
                .where(AuditEvent.action == "inbox.cases_retriaged")
                .order_by(AuditEvent.id)
            )
            .scalars()
            .first()
        )
        assert event is not None and event.after is not None and event.after["changed"] == 2


def test_triage_reason_ends_with_the_age_part() -> None:
    result = triage(
        category=Category.QUESTION,
        sentiment="negative",
        influence=0.0,
        followers=None,
        self_disclosed_phi=False,
        opened_at=NOW - timedelta(hours=12),
        now=NOW,
    )
    assert result.reason.endswith("waiting 12 h (+2)")
    assert retriaged(result.score, result.reason, NOW - timedelta(hours=12), NOW) is None
    again = retriaged(result.score, result.reason, NOW - timedelta(hours=12), NOW + timedelta(hours=6))
    assert again is not None and again.score == result.score + 1


# --- 4. department scope -------------------------------------------------------------------------------------


def _member(
    db: Database, organization_id: int, username: str, role: Role, department_id: int | None
) -> Actor:
    with db.session() as session:
        user = User(username=username, display_name=username, email="", password_hash="x")
        session.add(user)
        session.flush()
        session.add(
            Membership(
                user_id=user.id, organization_id=organization_id, role=role.value, department_id=department_id
            )
        )
    return actor_of(db, username)


def test_department_scope_for_leads_and_department_members(db: Database, admin: Actor) -> None:
    org = admin.organization_id
    cardiology = do_create_department(db, admin, name="Cardiology", origin=ORIGIN).id
    oncology = do_create_department(db, admin, name="Oncology", origin=ORIGIN).id
    lead = _member(db, org, "cardio-lead", Role.DEPARTMENT_LEAD, cardiology)
    onco_responder = _member(db, org, "onco-responder", Role.RESPONDER, oncology)
    central = _member(db, org, "central-responder", Role.RESPONDER, None)
    officer = _member(db, org, "officer", Role.PRIVACY_OFFICER, oncology)  # central whatever the department
    lead_without = _member(db, org, "lead-without", Role.DEPARTMENT_LEAD, None)

    def account(handle: str, department_id: int | None) -> int:
        data = AccountInput(platform="x", handle=handle, department_id=department_id)
        return do_create_account(db, admin, data, origin=ORIGIN).id

    cardio_account, onco_account = account("@heart", cardiology), account("@cancer", oncology)

    def queue(name: str, department_id: int | None, members: list[int]) -> int:
        data = QueueInput(name=name, department_id=department_id, member_user_ids=members)
        return do_save_queue(db, admin, data, origin=ORIGIN).id

    cardio_queue, onco_queue = queue("Heart", cardiology, []), queue("Cancer", oncology, [])
    spanish = queue("Spanish", None, [lead.user_id or 0])
    cases = {
        "cardio_queue": make_case(db, org, 1, queue_id=cardio_queue),
        "onco_account": make_case(db, org, 2, account_id=onco_account),
        "cardio_account_onco_queue": make_case(db, org, 3, account_id=cardio_account, queue_id=onco_queue),
        "cardio_account": make_case(db, org, 4, account_id=cardio_account),
        "nobody": make_case(db, org, 5),
        "assigned_to_lead": make_case(db, org, 6, queue_id=onco_queue, assignee_user_id=lead.user_id),
        "member_queue": make_case(db, org, 7, queue_id=spanish),
    }

    def seen(actor: Actor) -> set[str]:
        views, total = list_cases(db, actor, now=NOW)
        assert total == len(views)
        ids = {view.id for view in views}
        return {name for name, case_id in cases.items() if case_id in ids}

    assert seen(lead) == {"cardio_queue", "cardio_account", "assigned_to_lead", "member_queue"}
    assert seen(onco_responder) == {"onco_account", "cardio_account_onco_queue", "assigned_to_lead"}
    assert seen(central) == seen(officer) == seen(admin) == set(cases)
    assert seen(lead_without) == set()  # no department: only what is assigned to them or their queues
    assert list_cases(db, lead, CaseFilter(tag="x"), now=NOW) == ([], 0)

    assert access_case(db, lead, cases["cardio_account"]).case.id == cases["cardio_account"]
    for name in ("onco_account", "nobody", "cardio_account_onco_queue"):  # forbidden looks like missing
        with pytest.raises(NotFound) as forbidden:
            access_case(db, lead, cases[name])
        assert str(forbidden.value) == f"Case {cases[name]} was not found."
        with pytest.raises(NotFound):
            do_set_status(db, lead, cases[name], "resolved", origin=ORIGIN)
    with pytest.raises(NotFound):
        access_case(db, lead, 999_999)


# --- 6. deleting queues and routing rules; on-call webhooks kept when left blank ------------------------------


def test_delete_queue_and_routing_rule(db: Database, admin: Actor) -> None:
    org = admin.organization_id
    queue = do_save_queue(db, admin, QueueInput(name="Billing"), origin=ORIGIN)
    rule = do_save_routing_rule(
        db,
        admin,
        RoutingRuleInput(name="Ours", applies_to_account_posts=True, queue_id=queue.id, round_robin=True),
        origin=ORIGIN,
    )
    queued = make_case(db, org, 1, queue_id=queue.id, routing_rule_id=rule.id)
    assert do_delete_queue(db, admin, queue.id, origin=ORIGIN) == 1
    assert list_queues(db, admin) == []
    (kept,) = list_routing_rules(db, admin)
    assert (kept.queue_id, kept.round_robin) == (None, False)
    assert access_case(db, admin, queued).case.queue_id is None
    do_delete_routing_rule(db, admin, rule.id, origin=ORIGIN)
    assert list_routing_rules(db, admin) == []
    with db.session() as session:
        case = session.get(InboxCase, queued)
        assert case is not None and case.routing_rule_id is None
    assert {"inbox_queue.deleted", "inbox_routing_rule.deleted"} <= set(_actions(db))
    with pytest.raises(NotFound):
        do_delete_queue(db, admin, queue.id, origin=ORIGIN)
    with pytest.raises(NotFound):
        do_delete_routing_rule(db, admin, rule.id, origin=ORIGIN)
    responder = _member(db, org, "responder", Role.RESPONDER, None)
    other = do_save_queue(db, admin, QueueInput(name="Other"), origin=ORIGIN)
    with pytest.raises(Forbidden):
        do_delete_queue(db, responder, other.id, origin=ORIGIN)


def test_on_call_webhooks_are_kept_when_left_blank(db: Database, admin: Actor) -> None:
    secret = "https://hooks.example.org/services/T000/B000/very-secret"
    breach = "https://chat.example.net/hooks/also-secret"
    view = do_update_inbox_settings(
        db,
        admin,
        InboxSettingsInput(
            on_call_email="oncall@example.org",
            on_call_webhook_url=secret,
            breach_channels=[
                Channel(type="webhook", target=breach),
                Channel(type="email", target="a@example.org"),
            ],
        ),
        origin=ORIGIN,
    )
    assert view.on_call_webhook_host == "hooks.example.org"
    assert {"type": "webhook", "format": "slack", "host": "chat.example.net"} in view.breach_channels
    assert "secret" not in view.model_dump_json()
    # saved again with the webhook fields blank (what the form sends): both URLs are kept
    again = do_update_inbox_settings(
        db,
        admin,
        InboxSettingsInput(on_call_email="oncall@example.org", on_call_webhook_format="teams",
                           keep_breach_webhooks=True),
        origin=ORIGIN,
    )  # fmt: skip
    assert again.on_call_webhook_host == "hooks.example.org" and again.on_call_webhook_format == "teams"
    with db.session() as session:
        row = session.execute(sa.select(InboxSettings)).scalar_one()
        assert row.on_call_webhook_url == secret
        assert [c["target"] for c in row.breach_channels if c["type"] == "webhook"] == [breach]
    cleared = do_update_inbox_settings(
        db, admin, InboxSettingsInput(clear_on_call_webhook=True), origin=ORIGIN
    )
    assert cleared.on_call_webhook_host == "" and cleared.breach_channels == []
    with db.session() as session:
        assert "secret" not in str(session.execute(sa.select(AuditEvent.after, AuditEvent.before)).all())


# --- 5. delivered inbox alerts link to the case ----------------------------------------------------------------


def test_delivered_inbox_alerts_link_to_the_case(db: Database, admin: Actor) -> None:
    do_update_inbox_settings(
        db,
        admin,
        InboxSettingsInput(
            breach_channels=[
                Channel(type="email", target="team@example.org"),
                Channel(type="webhook", target="https://chat.example.net/hooks/x", format="slack"),
            ]
        ),
        origin=ORIGIN,
    )
    past = NOW - timedelta(minutes=5)
    case_id = make_case(db, admin.organization_id, 1, due_at=past, resolution_due_at=past)
    report = check_breaches(db, admin, NOW, origin=ORIGIN)
    assert report.case_ids == report.resolution_case_ids == [case_id]
    emails: list[tuple[str, str, str]] = []
    posted: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        posted.append(json.loads(request.content))
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(answer)) as http:
        delivered = deliver_notifications(
            db,
            http=http,
            send_email=lambda to, subject, body: emails.append((to, subject, body)),
            base_url="https://rounds.example.org/",
            now=NOW,
        )
    assert delivered.sent == 4 and delivered.failed == 0
    link = f"https://rounds.example.org/inbox/cases/{case_id}"
    assert all(body.endswith(link) and subject == "Rounds inbox alert" for _to, subject, body in emails)
    assert all(link in json.dumps(body) for body in posted) and len(posted) == 2
    assert "/listening/alerts/" not in json.dumps(posted) + str(emails)
    with db.session() as session:
        assert set(session.execute(sa.select(Alert.link_path)).scalars()) == {f"/inbox/cases/{case_id}"}
