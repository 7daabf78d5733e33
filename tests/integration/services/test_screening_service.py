"""rounds.services.screening: the organization's profile and policy come from the database, the Screener is
cached per organization and rebuilt when anything it depends on changes, settings changes are audited."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from rounds.db import Database
from rounds.db.models import AuditEvent
from rounds.db.screening_settings import OrganizationScreeningSettings
from rounds.domain.errors import Forbidden, ValidationFailed
from rounds.domain.roles import Role
from rounds.domain.screening import Policy, RuleMode, SpanType, Verdict
from rounds.services import accounts, auth, screening, users
from rounds.services.accounts import AccountInput
from rounds.services.context import Actor, Origin
from rounds.services.screening import ScreeningSettingsInput, TextToScreen
from rounds.settings import Settings

ORIGIN = Origin(ip="192.0.2.20", user_agent="pytest")
PASSWORD = "a-long-test-password"
STAFF_SHOUT_OUT = "Congratulations to Maria Delgado on 20 years of caring for cardiac patients!"
REVIEW_BRIBE = "Get a $10 gift card for a 5-star review!"


@pytest.fixture
def admin(db: Database, settings: Settings) -> Actor:
    screening.invalidate()
    return auth.do_first_run_setup(
        db,
        settings,
        organization_name="Test Health",
        username="admin",
        display_name="Admin",
        email="admin@example.org",
        password=PASSWORD,
        origin=ORIGIN,
    )


def make_user(db: Database, settings: Settings, admin: Actor, role: Role, display_name: str) -> Actor:
    username = display_name.lower().replace(" ", "-")
    users.do_create_user(
        db,
        settings,
        admin,
        username=username,
        display_name=display_name,
        email=f"{username}@example.org",
        password=PASSWORD,
        role=role,
        origin=ORIGIN,
    )
    actor, _token = auth.login(db, settings, username=username, password=PASSWORD, origin=ORIGIN)
    return actor


def add_account(db: Database, admin: Actor, handle: str, status: str = "active") -> None:
    accounts.do_create_account(
        db,
        admin,
        AccountInput.model_validate({"platform": "instagram", "handle": handle, "status": status}),
        origin=ORIGIN,
    )


def settings_input(**changes: object) -> ScreeningSettingsInput:
    return ScreeningSettingsInput.model_validate(changes)


def audit_count(db: Database) -> int:
    with db.session() as session:
        return session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()


def test_profile_is_built_from_the_database(db: Database, settings: Settings, admin: Actor) -> None:
    make_user(db, settings, admin, Role.CONTENT_AUTHOR, "Maria Delgado")
    add_account(db, admin, "@testhealth_heart")
    add_account(db, admin, "@fake_testhealth", status="unofficial_found")
    screening.do_update_screening_settings(
        db,
        admin,
        settings_input(
            other_names=["THS"],
            public_figures=["Gov. Ann Brightwater"],
            phones=["(555) 010-0199"],
            emails=["press@testhealth.example.org"],
            urls=["https://www.testhealth.example.org"],
            patient_relations_contact="Patient Relations at (555) 010-0100",
        ),
        origin=ORIGIN,
    )
    profile = screening.build_profile(db, admin.organization_id)
    assert profile.organization_names == ["Test Health", "THS"]
    assert profile.handles == ["@testhealth_heart"]  # unofficial accounts found are not ours
    assert "Maria Delgado" in profile.staff_names and "Admin" in profile.staff_names
    assert profile.public_figures == ["Gov. Ann Brightwater"]
    assert profile.phones == ["(555) 010-0199"]
    assert profile.emails == ["press@testhealth.example.org"]
    assert profile.urls == ["https://www.testhealth.example.org"]
    assert profile.patient_relations_contact == "Patient Relations at (555) 010-0100"


def test_a_staff_members_name_is_not_a_patient(db: Database, settings: Settings, admin: Actor) -> None:
    before = screening.screen_text(db, admin, STAFF_SHOUT_OUT, "post")
    assert before.verdict is Verdict.BLOCK  # an unknown name: could be a patient
    make_user(db, settings, admin, Role.CLINICIAN_AUTHOR, "Maria Delgado")
    after = screening.screen_text(db, admin, STAFF_SHOUT_OUT, "post")
    assert after.verdict is Verdict.OK
    names = [f for f in after.findings if f.type is SpanType.NAME]
    assert names and all(f.organizational for f in names)
    assert not after.patient_linked


def test_the_organizations_own_handle_is_neutral(db: Database, admin: Actor) -> None:
    text = "Follow @testhealth_heart for heart surgery recovery tips"
    assert screening.screen_text(db, admin, text, "post").verdict is Verdict.BLOCK
    add_account(db, admin, "@testhealth_heart")
    result = screening.screen_text(db, admin, text, "post")
    handles = [f for f in result.findings if f.type is SpanType.HANDLE]
    assert handles and all(f.organizational for f in handles)
    assert result.verdict is not Verdict.BLOCK


def test_policy_mode_off_disables_a_rule(db: Database, admin: Actor) -> None:
    blocked = screening.screen_text(db, admin, REVIEW_BRIBE, "post")
    assert blocked.verdict is Verdict.BLOCK
    assert any(f.type is SpanType.POLICY for f in blocked.findings)
    policy = Policy().model_dump(mode="json")
    policy["review_incentives"]["mode"] = "off"
    screening.do_update_screening_settings(db, admin, settings_input(policy=policy), origin=ORIGIN)
    assert screening.build_policy(db, admin.organization_id).review_incentives.mode is RuleMode.OFF
    allowed = screening.screen_text(db, admin, REVIEW_BRIBE, "post")
    assert allowed.verdict is Verdict.OK
    assert not any(f.type is SpanType.POLICY for f in allowed.findings)


def test_warn_mode_with_our_own_reason(db: Database, admin: Actor) -> None:
    policy = {"review_incentives": {"mode": "warn", "reason": "Ask Marketing before any review campaign."}}
    screening.do_update_screening_settings(db, admin, settings_input(policy=policy), origin=ORIGIN)
    result = screening.screen_text(db, admin, REVIEW_BRIBE, "post")
    assert result.verdict is Verdict.WARN
    assert any("Ask Marketing" in reason for reason in result.reasons)


def test_the_screener_is_cached_and_rebuilt_when_settings_change(db: Database, admin: Actor) -> None:
    first = screening.screener_for(db, admin.organization_id)
    assert screening.screener_for(db, admin.organization_id) is first
    screening.do_update_screening_settings(
        db, admin, settings_input(public_figures=["Gov. Ann Brightwater"]), origin=ORIGIN
    )
    second = screening.screener_for(db, admin.organization_id)
    assert second is not first
    assert "Gov. Ann Brightwater" in second.profile.public_figures
    assert screening.screener_for(db, admin.organization_id) is second


def test_settings_changed_elsewhere_are_noticed(db: Database, admin: Actor) -> None:
    """Another process (scale-out) saved settings: this process's cache entry is stale and is rebuilt."""
    first = screening.screener_for(db, admin.organization_id)
    with db.session() as session:
        session.add(
            OrganizationScreeningSettings(
                organization_id=admin.organization_id, public_figures=["Dr. Someone Famous"]
            )
        )
    assert screening.screener_for(db, admin.organization_id) is not first


def test_settings_changes_are_audited_with_before_and_after(db: Database, admin: Actor) -> None:
    count = audit_count(db)
    view = screening.do_update_screening_settings(
        db,
        admin,
        settings_input(public_figures=["Gov. Ann Brightwater"], emails=["press@testhealth.example.org"]),
        origin=ORIGIN,
    )
    assert view.public_figures == ["Gov. Ann Brightwater"]
    assert view.updated_by_user_id == admin.user_id
    with db.session() as session:
        event = session.execute(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
        assert event.action == "screening.settings_updated"
        assert event.object_type == "screening_settings"
        assert event.before is not None and event.after is not None
        assert event.before["public_figures"] == []
        assert event.after["public_figures"] == ["Gov. Ann Brightwater"]
        assert event.after["policy"]["review_incentives"]["mode"] == "block"
        assert event.ip == ORIGIN.ip
    assert audit_count(db) == count + 1
    # Saving the same settings again changes nothing and records nothing.
    screening.do_update_screening_settings(
        db,
        admin,
        settings_input(public_figures=["Gov. Ann Brightwater"], emails=["press@testhealth.example.org"]),
        origin=ORIGIN,
    )
    assert audit_count(db) == count + 1


def test_screening_changes_nothing_and_logs_no_text(
    db: Database, admin: Actor, caplog: pytest.LogCaptureFixture
) -> None:
    count = audit_count(db)
    secret = "pt Zebulon Quackenbush in bed 12 keeps pulling his IV"
    with caplog.at_level(logging.DEBUG):
        result = screening.screen_text(db, admin, secret, "post")
        screening.screen_batch(db, admin, [TextToScreen(secret, "reply")])
    assert result.verdict is Verdict.BLOCK
    assert audit_count(db) == count
    assert "Quackenbush" not in caplog.text


def test_who_may_screen_and_manage(db: Database, settings: Settings, admin: Actor) -> None:
    responder = make_user(db, settings, admin, Role.RESPONDER, "Rita Responder")
    officer = make_user(db, settings, admin, Role.PRIVACY_OFFICER, "Paul Privacy")
    viewer = make_user(db, settings, admin, Role.EXECUTIVE_VIEWER, "Eve Executive")
    assert screening.screen_text(db, responder, "Flu shots today in the lobby", "post").verdict is Verdict.OK
    with pytest.raises(Forbidden):
        screening.screen_text(db, viewer, "Flu shots today in the lobby", "post")
    with pytest.raises(Forbidden):
        screening.get_screening_settings(db, responder)
    with pytest.raises(Forbidden):
        screening.do_update_screening_settings(db, responder, settings_input(), origin=ORIGIN)
    screening.do_update_screening_settings(db, officer, settings_input(other_names=["THS"]), origin=ORIGIN)
    assert screening.get_screening_settings(db, officer).other_names == ["THS"]


@pytest.mark.parametrize(
    ("text", "kind", "field"),
    [
        ("", "post", "text"),
        ("   \n\t ", "post", "text"),
        ("x" * 1_000_001, "post", "text"),
        ("é" * 600_000, "post", "text"),  # 1.2 MB in UTF-8
        ("Hello", "tweet", "kind"),
    ],
    ids=["empty", "whitespace", "over-1mb", "over-1mb-utf8", "unknown-kind"],
)
def test_bad_input_is_a_clear_validation_error(
    db: Database, admin: Actor, text: str, kind: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        screening.screen_text(db, admin, text, kind)
    assert raised.value.details[0]["field"] == field
    assert raised.value.status == 422


def test_batches(db: Database, admin: Actor) -> None:
    results = screening.screen_batch(
        db,
        admin,
        [
            TextToScreen("Flu shots today in the lobby"),
            TextToScreen(REVIEW_BRIBE, "post"),
            TextToScreen("Sorry about your stay on 4 West last Tuesday", "reply", "My dad was on 4 West"),
        ],
    )
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.BLOCK, Verdict.BLOCK]
    assert results[2].offline_template
    with pytest.raises(ValidationFailed, match="limit is 500"):
        screening.screen_batch(db, admin, [TextToScreen("hello")] * 501)
    with pytest.raises(ValidationFailed) as raised:
        screening.screen_batch(db, admin, [TextToScreen("ok"), TextToScreen(" "), TextToScreen("x", "nope")])
    assert [d["field"] for d in raised.value.details] == ["items.1.text", "items.2.kind"]


@pytest.mark.parametrize(
    "changes",
    [
        {"urls": ["https://www.facebook.com/testhealth"]},
        {"urls": ["not a url"]},
        {"emails": ["press-at-example"]},
        {"phones": ["call us"]},
        {"policy": {"review_incentives": {"mode": "sometimes", "reason": "x"}}},
        {"policy": {"review_incentives": {"mode": "off", "reason": ""}}},
        {"policy": {"no_such_rule": {"mode": "off", "reason": "x"}}},
        {"public_figures": ["x" * 400]},
    ],
    ids=["shared-host", "bad-url", "bad-email", "bad-phone", "bad-mode", "no-reason", "unknown-rule", "long"],
)
def test_invalid_settings_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ScreeningSettingsInput.model_validate(changes)


def test_a_stored_rule_the_library_no_longer_has_is_ignored(db: Database, admin: Actor) -> None:
    with db.session() as session:
        session.add(
            OrganizationScreeningSettings(
                organization_id=admin.organization_id,
                policy={
                    "retired_rule": {"mode": "block", "reason": "gone"},
                    "review_incentives": {"mode": "off", "reason": "Not for us."},
                },
            )
        )
    policy = screening.build_policy(db, admin.organization_id)
    assert policy.review_incentives.mode is RuleMode.OFF
    assert screening.screen_text(db, admin, REVIEW_BRIBE, "post").verdict is Verdict.OK
