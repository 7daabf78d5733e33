from __future__ import annotations

from rounds.db import Database
from rounds.domain.accounts import AccountFlag, AccountStatus
from rounds.domain.roles import Role
from rounds.services import accounts, audit, auth, demo, organizations, users
from rounds.services.context import Origin
from rounds.settings import Settings


def test_demo_has_every_role_and_a_realistic_registry(db: Database, settings: Settings) -> None:
    assert demo.create_demo(db, settings)
    assert not demo.create_demo(db, settings)  # idempotent: an existing demo is kept
    actor = organizations.system_actor(db)
    roles = {view.role for view in users.list_users(db, actor)}
    assert roles == set(Role)
    registry = accounts.list_accounts(db, actor)
    statuses = {view.status for view in registry}
    assert AccountStatus.DORMANT in statuses
    assert AccountStatus.UNOFFICIAL_FOUND in statuses
    assert any(AccountFlag.NO_OWNER in view.flags for view in registry)
    for login in demo.demo_logins():
        logged_in, _ = auth.login(
            db, settings, username=login.username, password=login.password, origin=Origin()
        )
        assert logged_in.role == login.role
    assert audit.verify_chain(db).ok
