"""The whole inbox flow through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from rounds.db import Database
from rounds.db.inbox import InboxReply
from rounds.db.listening import Alert, AlertNotification
from rounds.db.models import AuditEvent
from rounds.domain.errors import Conflict, Forbidden, ValidationFailed
from rounds.services.context import Actor
from rounds.services.inbox import CaseFilter, access_case, list_cases
from rounds.services.inbox_alerts import check_breaches
from rounds.services.inbox_replies import (
    Template,
    do_acknowledge_warning,
    do_approve_reply,
    do_create_reply,
    do_hide_comment,
    do_mark_sent_manually,
    do_override_block,
    do_reconcile_reply,
    do_record_privacy_incident,
    do_send_reply,
    do_update_reply_text,
    no_sender,
)
from rounds.services.inbox_sync import do_sync_cases
from rounds.services.inbox_work import do_assign_case, do_set_status, list_notifications

from .conftest import ORIGIN, FakeReplySender, post

RECENT = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
OUR_POST = post("100", "Our new urgent care clinic opens Monday.", author="MercyHealth", created_at=RECENT)
COMPLAINT = post(
    "101",
    "The nurse at your ER was rude to me on March 3 and I waited six hours with chest pain.",
    parent_id="100",
    created_at=RECENT,
)


def _actions(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


@pytest.fixture
def complaint_case(db: Database, admin: Actor, people: dict[str, Actor], account: int, ingest: Any) -> int:
    ingest(OUR_POST, COMPLAINT)
    report = do_sync_cases(db, admin, origin=ORIGIN)
    assert report.created == 1
    return report.case_ids[0]


def test_complaint_flow_end_to_end(
    db: Database, admin: Actor, people: dict[str, Actor], complaint_case: int
) -> None:
    responder, officer, manager = (
        people["responder"],
        people["privacy_officer"],
        people["social_media_manager"],
    )
    detail = access_case(db, responder, complaint_case)
    case = detail.case
    assert (case.source, case.category, case.status) == ("comment", "complaint", "new")
    assert "complaint (+20)" in case.priority_reason and "negative sentiment (+10)" in case.priority_reason
    assert case.priority >= 30
    assert case.due_at == case.opened_at + timedelta(hours=24)
    assert case.self_disclosed_phi and "disclos" in case.phi_reason
    assert {"hide_comment", "reply_take_offline", "record_privacy_incident"} <= set(detail.offers)
    assert detail.posts[0].parent_text is not None  # the thread's context is shown

    do_assign_case(db, manager, complaint_case, responder.user_id, origin=ORIGIN)
    assert access_case(db, responder, complaint_case).case.status == "assigned"
    assert [n.kind for n in list_notifications(db, responder)] == ["assigned"]

    # A reply naming the visit date is blocked, with the reason, and cannot be sent.
    risky = do_create_reply(
        db,
        responder,
        complaint_case,
        text="Sorry about your visit on March 3, we will look into it.",
        origin=ORIGIN,
    )
    assert risky.status == "blocked" and risky.screening_verdict == "block"
    assert any("date" in reason for reason in risky.screening_reasons)
    assert {f["type"] for f in risky.screening_findings} >= {"DATE"}
    assert all("text" not in f for f in risky.screening_findings)
    sender = FakeReplySender()
    with pytest.raises(Conflict):
        do_send_reply(db, responder, risky.id, sender_factory=sender.factory, origin=ORIGIN)
    with pytest.raises(Forbidden):
        do_override_block(db, responder, risky.id, "I am sure it is fine", origin=ORIGIN)
    with pytest.raises(ValidationFailed):
        do_override_block(db, officer, risky.id, "ok", origin=ORIGIN)
    overridden = do_override_block(
        db, officer, risky.id, "The person posted the date publicly themselves.", origin=ORIGIN
    )
    assert overridden.status == "needs_approval" and overridden.override_by_user_id == officer.user_id
    assert sender.calls == []

    # The safe take-offline template, approved by a second person, is sent through the fake platform.
    safe = do_create_reply(db, responder, complaint_case, template=Template.TAKE_OFFLINE, origin=ORIGIN)
    assert safe.screening_verdict == "ok" and safe.status == "needs_approval"
    assert "Patient Relations" in safe.text
    with pytest.raises(Forbidden):
        do_approve_reply(db, responder, safe.id, origin=ORIGIN)  # responders do not approve
    own = do_create_reply(db, manager, complaint_case, template=Template.THANKS, origin=ORIGIN)
    with pytest.raises(Conflict):
        do_approve_reply(db, manager, own.id, origin=ORIGIN)  # never the author
    approved = do_approve_reply(db, manager, safe.id, origin=ORIGIN)
    assert approved.status == "approved"
    sent = do_send_reply(db, responder, safe.id, sender_factory=sender.factory, origin=ORIGIN)
    assert sent.status == "sent" and sent.remote_id == "reply-1" and sent.sent_at is not None
    assert len(sender.calls) == 1 and sender.calls[0].parent_remote_id == "101"
    with pytest.raises(Conflict):
        do_send_reply(db, responder, safe.id, sender_factory=sender.factory, origin=ORIGIN)
    assert len(sender.calls) == 1

    after = access_case(db, responder, complaint_case).case
    assert after.status == "waiting" and after.first_response_at is not None
    do_set_status(db, responder, complaint_case, "resolved", origin=ORIGIN)
    assert access_case(db, responder, complaint_case).case.resolved_at is not None

    from rounds.services.inbox_export import inbox_metrics

    metrics = inbox_metrics(db, manager)
    row = next(r for r in metrics.by_category if r.category == "complaint")
    assert row.cases == 1 and row.responded == 1 and row.within_target == 1
    assert row.median_first_response_minutes is not None

    actions = _actions(db)
    for name in (
        "inbox.case_created",
        "inbox.case_assigned",
        "inbox.reply_drafted",
        "inbox.reply_block_overridden",
        "inbox.reply_approved",
        "inbox.reply_send_started",
        "inbox.reply_sent",
        "inbox.case_status_changed",
    ):
        assert name in actions
    with db.session() as session:
        events = session.execute(sa.select(AuditEvent.after)).scalars().all()
    assert not any("rude" in str(after_) for after_ in events)  # no post or reply text in the audit log


def test_failed_send_is_kept_and_marked(db: Database, people: dict[str, Actor], complaint_case: int) -> None:
    responder, manager = people["responder"], people["social_media_manager"]
    reply = do_create_reply(db, responder, complaint_case, template="take_offline", origin=ORIGIN)
    do_approve_reply(db, manager, reply.id, origin=ORIGIN)
    sender = FakeReplySender()
    sender.mode = "fail"
    failed = do_send_reply(db, responder, reply.id, sender_factory=sender.factory, origin=ORIGIN)
    assert failed.status == "failed" and failed.last_error_code == "rejected" and failed.sent_at is None
    assert access_case(db, responder, complaint_case).case.first_response_at is None
    sender.mode = "ok"
    again = do_send_reply(db, responder, reply.id, sender_factory=sender.factory, origin=ORIGIN)
    assert again.status == "sent" and again.send_attempts == 2 and len(sender.posted) == 1


@pytest.mark.parametrize("mode", ["timeout", "raise"])
def test_unknown_outcome_is_reconciled_never_sent_twice(
    db: Database, people: dict[str, Actor], complaint_case: int, mode: str
) -> None:
    responder, manager = people["responder"], people["social_media_manager"]
    reply = do_create_reply(db, responder, complaint_case, template="take_offline", origin=ORIGIN)
    do_approve_reply(db, manager, reply.id, origin=ORIGIN)
    sender = FakeReplySender()
    sender.mode = mode
    unknown = do_send_reply(db, responder, reply.id, sender_factory=sender.factory, origin=ORIGIN)
    assert unknown.status == "unknown" and len(sender.posted) == 1
    sender.mode = "ok"
    retried = do_send_reply(db, responder, reply.id, sender_factory=sender.factory, origin=ORIGIN)
    assert retried.status == "sent" and retried.remote_id == "reply-1"
    assert len(sender.calls) == 1  # reconciled, not resent
    assert "inbox.reply_reconciled" in _actions(db)


def test_unknown_not_found_becomes_safe_to_resend(
    db: Database, people: dict[str, Actor], complaint_case: int
) -> None:
    responder, manager = people["responder"], people["social_media_manager"]
    reply = do_create_reply(db, responder, complaint_case, template="take_offline", origin=ORIGIN)
    do_approve_reply(db, manager, reply.id, origin=ORIGIN)
    sender = FakeReplySender()
    sender.mode = "timeout"
    do_send_reply(db, responder, reply.id, sender_factory=sender.factory, origin=ORIGIN)
    sender.posted.clear()  # the platform never kept it
    checked = do_reconcile_reply(db, responder, reply.id, sender_factory=sender.factory, origin=ORIGIN)
    assert checked.status == "failed" and checked.last_error_code == "not_sent"
    sender.mode = "ok"
    assert (
        do_send_reply(db, responder, reply.id, sender_factory=sender.factory, origin=ORIGIN).status == "sent"
    )


def test_crash_while_sending_is_reconciled(
    db: Database, people: dict[str, Actor], complaint_case: int
) -> None:
    responder, manager = people["responder"], people["social_media_manager"]
    reply = do_create_reply(db, responder, complaint_case, template="take_offline", origin=ORIGIN)
    do_approve_reply(db, manager, reply.id, origin=ORIGIN)
    sender = FakeReplySender()
    with db.session() as session:  # the process died after committing the intent
        row = session.get(InboxReply, reply.id)
        assert row is not None
        row.status = "sending"
    view = do_send_reply(db, responder, reply.id, sender_factory=sender.factory, origin=ORIGIN)
    assert view.status == "sent" and len(sender.calls) == 1


def test_warning_needs_acknowledgement(db: Database, people: dict[str, Actor], complaint_case: int) -> None:
    responder = people["responder"]
    reply = do_create_reply(
        db, responder, complaint_case, text="Please DM us your date of birth and phone number.", origin=ORIGIN
    )
    assert reply.screening_verdict == "warn" and reply.status == "needs_ack"
    acknowledged = do_acknowledge_warning(db, responder, reply.id, origin=ORIGIN)
    assert acknowledged.status == "needs_approval" and acknowledged.acknowledged_at is not None
    edited = do_update_reply_text(
        db, responder, reply.id, "Thank you, we are sorry to hear this.", origin=ORIGIN
    )
    assert edited.acknowledged_at is None and edited.idempotency_key != reply.idempotency_key


def test_manual_path_without_sender(db: Database, people: dict[str, Actor], complaint_case: int) -> None:
    responder, manager = people["responder"], people["social_media_manager"]
    reply = do_create_reply(db, responder, complaint_case, template="thanks", origin=ORIGIN)
    do_approve_reply(db, manager, reply.id, origin=ORIGIN)
    with pytest.raises(Conflict) as error:
        do_send_reply(db, responder, reply.id, sender_factory=no_sender, origin=ORIGIN)
    assert "mark it sent by hand" in error.value.hint
    marked = do_mark_sent_manually(db, responder, reply.id, remote_url="https://x.example/1", origin=ORIGIN)
    assert marked.status == "sent" and marked.sent_manually and marked.sent_by_user_id == responder.user_id
    assert access_case(db, responder, complaint_case).case.first_response_at is not None


def test_self_disclosure_offers(db: Database, people: dict[str, Actor], complaint_case: int) -> None:
    responder = people["responder"]
    sender = FakeReplySender()
    post_id = access_case(db, responder, complaint_case).posts[0].post_id
    assert do_hide_comment(
        db, responder, complaint_case, post_id, sender_factory=sender.factory, origin=ORIGIN
    )
    assert sender.hidden == ["101"]
    incident = do_record_privacy_incident(
        db, responder, complaint_case, post_id=post_id, actions=["hid_comment"], origin=ORIGIN
    )
    assert incident > 0
    actions = _actions(db)
    assert "inbox.comment_hidden" in actions and "privacy_incident.recorded" in actions
    with pytest.raises(Conflict):
        do_hide_comment(db, responder, complaint_case, post_id, sender_factory=no_sender, origin=ORIGIN)


def test_join_dedupe_and_mentions(
    db: Database, admin: Actor, people: dict[str, Actor], account: int, ingest: Any
) -> None:
    ingest(
        OUR_POST,
        COMPLAINT,
        post("102", "Also nobody called me back?", parent_id="101"),  # same author, same thread: joins
        post("103", "@mercyhealth thank you for the great care!", author="sam"),  # a mention
        post("104", "Weather is nice today", author="lee"),  # not for us
    )
    report = do_sync_cases(db, admin, origin=ORIGIN)
    assert (report.created, report.joined) == (2, 1)
    again = do_sync_cases(db, admin, origin=ORIGIN)
    assert (again.created, again.joined) == (0, 0)
    cases, total = list_cases(db, people["responder"], CaseFilter(status="open"))
    assert total == 2
    by_source = {case.source: case for case in cases}
    assert by_source["comment"].post_count == 2 and by_source["mention"].category == "praise"
    assert cases[0].source == "comment"  # the complaint ranks first


def test_emergency_escalates_at_once(
    db: Database, admin: Actor, people: dict[str, Actor], account: int, ingest: Any
) -> None:
    from rounds.services.inbox_config import InboxSettingsInput, do_update_inbox_settings

    do_update_inbox_settings(
        db,
        admin,
        InboxSettingsInput(on_call_email="oncall@example.org", on_call_webhook_url="https://hooks.example/x"),
        origin=ORIGIN,
    )
    ingest(OUR_POST, post("105", "I just want to end it all", parent_id="100", author="kim"))
    report = do_sync_cases(db, admin, origin=ORIGIN)
    assert report.escalated == 1
    detail = access_case(db, people["responder"], report.case_ids[0])
    assert detail.case.emergency and detail.case.category == "emergency" and detail.case.escalated_at
    assert detail.case.due_at == detail.case.opened_at + timedelta(minutes=15)
    assert [reply.template for reply in detail.replies] == ["crisis"] and "988" in detail.replies[0].text
    with db.session() as session:
        alert = session.execute(sa.select(Alert).where(Alert.kind == "inbox_emergency")).scalar_one()
        channels = sorted(
            session.execute(
                sa.select(AlertNotification.channel).where(AlertNotification.alert_id == alert.id)
            ).scalars()
        )
    assert channels == ["email", "in_app", "webhook:slack"]
    assert "end it all" not in alert.reason


def test_breach_detection_is_idempotent(
    db: Database, admin: Actor, people: dict[str, Actor], complaint_case: int
) -> None:
    opened = access_case(db, admin, complaint_case).case.opened_at
    assert check_breaches(db, admin, opened + timedelta(hours=23), origin=ORIGIN).breached == 0
    first = check_breaches(db, admin, opened + timedelta(hours=25), origin=ORIGIN)
    assert first.case_ids == [complaint_case]
    second = check_breaches(db, admin, opened + timedelta(hours=30), origin=ORIGIN)
    assert second.breached == 0
    with db.session() as session:
        assert (
            session.execute(
                sa.select(sa.func.count()).select_from(Alert).where(Alert.kind == "inbox_breach")
            ).scalar_one()
            == 1
        )
    assert access_case(db, admin, complaint_case).case.breached_at is not None
