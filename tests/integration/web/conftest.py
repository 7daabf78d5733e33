"""Fixtures for the web tests.

Each test gets a fresh SQLite database. Building one (migrations, argon2 hashes for a user per role, logins)
takes about a second, so it is built once per session as a *template* and copied into each test's tmp_path,
which takes milliseconds. Sessions were opened in the template, so each role's client is logged in already.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from rounds.db import Database
from rounds.db.migrate import upgrade
from rounds.domain.roles import Role
from rounds.services import accounts, auth, departments, users
from rounds.services.accounts import AccountInput
from rounds.services.context import Actor, Origin
from rounds.settings import Settings, load_settings
from rounds.web.app import create_app

PASSWORD = "correct horse battery staple"
ORIGIN = Origin(ip="127.0.0.1", user_agent="pytest", channel="system")
DB_FILES = ("rounds.sqlite3", "rounds.sqlite3-wal", "rounds.sqlite3-shm")


@dataclass
class World:
    """What the template database holds: ids and an open session (token, csrf) per role."""

    template_dir: Path
    cardiology_id: int = 0
    oncology_id: int = 0
    cardiology_account_id: int = 0
    oncology_account_id: int = 0
    cardiology_author_id: int = 0  # a content author in Cardiology who is nobody's own login in the matrix
    user_ids: dict[Role, int] = field(default_factory=dict)
    sessions: dict[Role, tuple[str, str]] = field(default_factory=dict)


def make_settings(data_dir: Path, database_url: str | None = None) -> Settings:
    return load_settings(data_dir=data_dir, database_url=database_url, environment="test")


def username_for(role: Role) -> str:
    return role.value.replace("_", "-")


def _build_template(directory: Path, database_url: str | None = None) -> World:
    settings = make_settings(directory, database_url)
    db = Database(settings)
    upgrade(db)
    world = World(template_dir=directory)
    admin = auth.do_first_run_setup(
        db,
        settings,
        organization_name="St. Example Health",
        username=username_for(Role.ADMIN),
        display_name="Ada Admin",
        email="admin@example.org",
        password=PASSWORD,
        origin=ORIGIN,
    )
    assert admin.user_id is not None
    world.user_ids[Role.ADMIN] = admin.user_id
    world.cardiology_id = departments.do_create_department(
        db, admin, name="Cardiology", description="Heart care", origin=ORIGIN
    ).id
    world.oncology_id = departments.do_create_department(db, admin, name="Oncology", origin=ORIGIN).id
    for role in Role:
        if role == Role.ADMIN:
            continue
        department = world.cardiology_id if role in (Role.DEPARTMENT_LEAD, Role.CONTENT_AUTHOR) else None
        view = users.do_create_user(
            db,
            settings,
            admin,
            username=username_for(role),
            display_name=role.label + " Person",
            email=f"{username_for(role)}@example.org",
            password=PASSWORD,
            role=role,
            department_id=department,
            origin=ORIGIN,
        )
        world.user_ids[role] = view.id
    world.cardiology_author_id = users.do_create_user(
        db,
        settings,
        admin,
        username="cardio-author",
        display_name="Carla Author",
        email="carla@example.org",
        password=PASSWORD,
        role=Role.CONTENT_AUTHOR,
        department_id=world.cardiology_id,
        origin=ORIGIN,
    ).id
    world.cardiology_account_id = accounts.do_create_account(
        db,
        admin,
        AccountInput.model_validate(
            {
                "platform": "instagram",
                "handle": "@stexample_heart",
                "department_id": world.cardiology_id,
                "owner_user_id": world.user_ids[Role.DEPARTMENT_LEAD],
            }
        ),
        origin=ORIGIN,
    ).id
    world.oncology_account_id = accounts.do_create_account(
        db,
        admin,
        AccountInput.model_validate(
            {"platform": "facebook", "handle": "StExampleCancerCare", "department_id": world.oncology_id}
        ),
        origin=ORIGIN,
    ).id
    for role in Role:
        _actor, token = auth.login(
            db, settings, username=username_for(role), password=PASSWORD, origin=ORIGIN
        )
        world.sessions[role] = (token.token, token.csrf_token)
    db.dispose()
    return world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return _build_template(tmp_path_factory.mktemp("template"))


class Client(TestClient):
    """A TestClient that knows its session's CSRF token."""

    csrf: str = ""

    def form_csrf(self, path: str) -> str:
        """The CSRF token a page's form carries (as a browser would see it)."""
        page = self.get(path)
        match = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
        assert match, f"no csrf_token field on {path}"
        return match.group(1)


@dataclass
class Env:
    settings: Settings
    db: Database
    world: World
    reuse_clients: bool = False
    _clients: dict[Role, Client] = field(default_factory=dict)

    def app(self) -> Client:
        app = create_app(self.settings, self.db)
        return Client(app, follow_redirects=False)

    def anonymous(self, *, raise_server_exceptions: bool = True) -> Client:
        app = create_app(self.settings, self.db)
        return Client(app, follow_redirects=False, raise_server_exceptions=raise_server_exceptions)

    def client(self, role: Role) -> Client:
        if self.reuse_clients and role in self._clients:
            return self._clients[role]
        client = self.anonymous()
        token, csrf = self.world.sessions[role]
        client.cookies.set("rounds_session", token)
        client.csrf = csrf
        if self.reuse_clients:
            self._clients[role] = client
        return client

    def actor(self, role: Role) -> Actor:
        token, _csrf = self.world.sessions[role]
        actor, _ = auth.load_session(self.db, self.settings, token)
        return actor


def _copy_of(world: World, directory: Path) -> Env:
    for name in DB_FILES:
        source = world.template_dir / name
        if source.exists():
            shutil.copy2(source, directory / name)
    settings = make_settings(directory)
    return Env(settings=settings, db=Database(settings), world=world)


@pytest.fixture
def env(world: World, tmp_path: Path) -> Iterator[Env]:
    """A fresh copy of the template database for this test."""
    fresh = _copy_of(world, tmp_path)
    yield fresh
    fresh.db.dispose()


@pytest.fixture(scope="module")
def shared_env(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """One copy shared by a module's tests that only read (GET requests change no registry state)."""
    shared = _copy_of(world, tmp_path_factory.mktemp("shared"))
    shared.reuse_clients = True
    yield shared
    shared.db.dispose()


@pytest.fixture
def empty_env(tmp_path: Path) -> Iterator[Env]:
    """A migrated database with nobody in it (first-run setup not done)."""
    settings = make_settings(tmp_path)
    db = Database(settings)
    upgrade(db)
    yield Env(settings=settings, db=db, world=World(template_dir=tmp_path))
    db.dispose()


# --- the same world on PostgreSQL ------------------------------------------------------------------------------
# The template is built once in its own database; each test gets `CREATE DATABASE ... TEMPLATE` of it.


def _server_url(postgres_url: str, name: str) -> str:
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"


def _drop(admin: sa.Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
            {"name": name},
        )
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))


@dataclass
class PgTemplate:
    world: World
    name: str
    postgres_url: str
    admin: sa.Engine


@pytest.fixture(scope="session")
def pg_template(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[PgTemplate]:
    postgres_url: str = request.getfixturevalue("postgres_url")  # skips with the reason when unreachable
    admin = sa.create_engine(_server_url(postgres_url, "postgres"), isolation_level="AUTOCOMMIT")
    name = f"rounds_webtmpl_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    world = _build_template(tmp_path_factory.mktemp("pg-template"), _server_url(postgres_url, name))
    yield PgTemplate(world, name, postgres_url, admin)
    _drop(admin, name)
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_env(request: pytest.FixtureRequest, world: World, tmp_path: Path) -> Iterator[Env]:
    """Like ``env``, on SQLite and on PostgreSQL (a fresh copy of the template database either way)."""
    if request.param == "sqlite":
        fresh = _copy_of(world, tmp_path)
        yield fresh
        fresh.db.dispose()
        return
    template: PgTemplate = request.getfixturevalue("pg_template")
    name = f"rounds_webtest_{uuid.uuid4().hex[:10]}"
    with template.admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template.name}"'))
    settings = make_settings(tmp_path, _server_url(template.postgres_url, name))
    fresh = Env(settings=settings, db=Database(settings), world=template.world)
    yield fresh
    fresh.db.dispose()
    _drop(template.admin, name)
