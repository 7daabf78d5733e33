from __future__ import annotations

import pytest

from rounds.db import Database
from rounds.services import auth, departments
from rounds.services.context import Actor, Origin
from rounds.settings import Settings

ORIGIN = Origin(ip="192.0.2.10", user_agent="pytest")
PASSWORD = "a-long-test-password"


@pytest.fixture
def admin(db: Database, settings: Settings) -> Actor:
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


@pytest.fixture
def department_ids(db: Database, admin: Actor) -> dict[str, int]:
    return {
        name: departments.do_create_department(db, admin, name=name, origin=ORIGIN).id
        for name in ("Communications", "Pediatrics", "Cardiology")
    }
