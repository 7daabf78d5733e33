from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from rounds.db import Database
from rounds.db.models import WebSession
from rounds.domain.errors import (
    AuthenticationFailed,
    Conflict,
    Forbidden,
    SessionExpired,
    SetupAlreadyDone,
    Throttled,
    ValidationFailed,
)
from rounds.domain.roles import Role
from rounds.services import auth, users
from rounds.services.context import Actor
from rounds.settings import Settings

from .conftest import ORIGIN, PASSWORD


def test_setup_only_once(db: Database, settings: Settings, admin: Actor) -> None:
    assert not auth.setup_needed(db)
    with pytest.raises(SetupAlreadyDone):
        auth.do_first_run_setup(
            db,
            settings,
            organization_name="X",
            username="other",
            display_name="",
            email="",
            password=PASSWORD,
            origin=ORIGIN,
        )


def test_login_and_session(db: Database, settings: Settings, admin: Actor) -> None:
    actor, token = auth.login(db, settings, username="ADMIN ", password=PASSWORD, origin=ORIGIN)
    assert actor.role == Role.ADMIN
    loaded, csrf = auth.load_session(db, settings, token.token)
    assert loaded.user_id == admin.user_id and csrf == token.csrf_token
    auth.logout(db, token.token, ORIGIN)
    with pytest.raises(SessionExpired):
        auth.load_session(db, settings, token.token)


def test_wrong_password(db: Database, settings: Settings, admin: Actor) -> None:
    with pytest.raises(AuthenticationFailed):
        auth.login(db, settings, username="admin", password="wrong-password!", origin=ORIGIN)
    with pytest.raises(AuthenticationFailed):
        auth.login(db, settings, username="nobody", password=PASSWORD, origin=ORIGIN)


def test_login_throttling(db: Database, settings: Settings, admin: Actor) -> None:
    for _ in range(settings.login_max_failures):
        with pytest.raises(AuthenticationFailed):
            auth.login(db, settings, username="admin", password="wrong-password!", origin=ORIGIN)
    with pytest.raises(Throttled):
        auth.login(db, settings, username="admin", password=PASSWORD, origin=ORIGIN)


def test_expired_session(db: Database, settings: Settings, admin: Actor) -> None:
    _, token = auth.login(db, settings, username="admin", password=PASSWORD, origin=ORIGIN)
    with db.session() as session:
        web_session = session.execute(sa.select(WebSession)).scalar_one()
        web_session.expires_at = web_session.expires_at - timedelta(days=2)
    with pytest.raises(SessionExpired):
        auth.load_session(db, settings, token.token)


def test_unknown_role_and_duplicate_username(db: Database, settings: Settings, admin: Actor) -> None:
    with pytest.raises(ValidationFailed, match="Unknown role"):
        users.do_create_user(
            db,
            settings,
            admin,
            username="x1",
            display_name="",
            email="",
            password=PASSWORD,
            role="wizard",
            origin=ORIGIN,
        )
    users.do_create_user(
        db,
        settings,
        admin,
        username="sam",
        display_name="",
        email="",
        password=PASSWORD,
        role="responder",
        origin=ORIGIN,
    )
    with pytest.raises(Conflict):
        users.do_create_user(
            db,
            settings,
            admin,
            username="Sam",
            display_name="",
            email="",
            password=PASSWORD,
            role="responder",
            origin=ORIGIN,
        )


def test_short_password_refused(db: Database, settings: Settings, admin: Actor) -> None:
    with pytest.raises(ValidationFailed, match="at least"):
        users.do_create_user(
            db,
            settings,
            admin,
            username="short",
            display_name="",
            email="",
            password="abc",
            role="responder",
            origin=ORIGIN,
        )


def test_department_lead_scope(
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
    created = users.do_create_user(
        db,
        settings,
        lead,
        username="author",
        display_name="",
        email="",
        password=PASSWORD,
        role="content_author",
        department_id=department_ids["Pediatrics"],
        origin=ORIGIN,
    )
    assert created.department_name == "Pediatrics"
    with pytest.raises(Forbidden):
        users.do_create_user(
            db,
            settings,
            lead,
            username="boss",
            display_name="",
            email="",
            password=PASSWORD,
            role="admin",
            department_id=department_ids["Pediatrics"],
            origin=ORIGIN,
        )
    with pytest.raises(Forbidden):
        users.do_create_user(
            db,
            settings,
            lead,
            username="other",
            display_name="",
            email="",
            password=PASSWORD,
            role="content_author",
            department_id=department_ids["Cardiology"],
            origin=ORIGIN,
        )
    with pytest.raises(Forbidden):
        users.do_reset_password(db, settings, lead, created.id, "another-long-password", origin=ORIGIN)


def test_admin_password_reset_ends_sessions(db: Database, settings: Settings, admin: Actor) -> None:
    view = users.do_create_user(
        db,
        settings,
        admin,
        username="rita",
        display_name="",
        email="",
        password=PASSWORD,
        role="responder",
        origin=ORIGIN,
    )
    _, token = auth.login(db, settings, username="rita", password=PASSWORD, origin=ORIGIN)
    users.do_reset_password(db, settings, admin, view.id, "brand-new-password", origin=ORIGIN)
    with pytest.raises(SessionExpired):
        auth.load_session(db, settings, token.token)
    auth.login(db, settings, username="rita", password="brand-new-password", origin=ORIGIN)


def test_last_admin_cannot_be_demoted(db: Database, settings: Settings, admin: Actor) -> None:
    other = users.do_create_user(
        db,
        settings,
        admin,
        username="root2",
        display_name="",
        email="",
        password=PASSWORD,
        role="admin",
        origin=ORIGIN,
    )
    users.do_update_user(db, admin, other.id, role="responder", origin=ORIGIN)
    with pytest.raises(Forbidden):
        users.do_update_user(db, admin, admin.user_id or 0, role="responder", origin=ORIGIN)
