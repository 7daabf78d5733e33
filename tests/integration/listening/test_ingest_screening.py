"""Ingest screens with the organization's profile and policy, a batch at a time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa

from rounds.connectors.registry import default_registry
from rounds.db import Database
from rounds.db.listening import PostFinding, StoredPost
from rounds.domain.roles import Role
from rounds.domain.screening import Screening
from rounds.services import accounts, users
from rounds.services.accounts import AccountInput
from rounds.services.context import Actor
from rounds.services.listening_ingest import Ingestor, OrganizationScreen, import_file
from rounds.services.listening_schedule import LazyScreen, make_ingestor
from rounds.settings import Settings

from .conftest import ORIGIN, RuleEnricher, line, write_jsonl

SHOUT_OUT = "Congratulations to Maria Delgado on 20 years of caring for cardiac patients!"
OUR_HANDLE = "Follow @testhealth_heart for heart surgery recovery tips"


def _verdicts(db: Database) -> dict[str, str]:
    with db.session() as session:
        rows = session.execute(sa.select(StoredPost.remote_id, StoredPost.verdict)).all()
        return {remote_id: verdict for remote_id, verdict in rows}


def test_ingest_uses_the_organizations_staff_names_and_handles(
    db: Database, settings: Settings, admin: Actor, tmp_path: Path
) -> None:
    users.do_create_user(
        db,
        settings,
        admin,
        username="maria",
        display_name="Maria Delgado",
        email="maria@example.org",
        password="a-long-test-password",
        role=Role.CLINICIAN_AUTHOR,
        origin=ORIGIN,
    )
    accounts.do_create_account(
        db,
        admin,
        AccountInput.model_validate({"platform": "instagram", "handle": "@testhealth_heart"}),
        origin=ORIGIN,
    )
    ingestor = Ingestor(db, admin.organization_id, enricher=RuleEnricher())  # default: the organization's
    assert isinstance(ingestor.screen, OrganizationScreen)
    path = write_jsonl(tmp_path / "p.jsonl", [line(1, SHOUT_OUT), line(2, OUR_HANDLE)])
    import_file(db, admin, path, origin=ORIGIN, ingestor=ingestor)
    assert _verdicts(db) == {"1": "ok", "2": "ok"}
    with db.session() as session:
        findings = session.execute(
            sa.select(StoredPost.remote_id, PostFinding.type, PostFinding.organizational)
            .join(PostFinding, PostFinding.post_id == StoredPost.id)
            .where(PostFinding.type.in_(["NAME", "HANDLE"]))
        ).all()
    # the library's default profile finds a name and a handle that could be anyone's: here they are ours
    assert sorted((remote_id, kind, organizational) for remote_id, kind, organizational in findings) == [
        ("1", "NAME", True),
        ("2", "HANDLE", True),
    ]


class CountingScreen:
    def __init__(self, inner: OrganizationScreen) -> None:
        self.inner = inner
        self.batches: list[int] = []
        self.singles = 0

    def __call__(self, text: str) -> Screening:
        self.singles += 1
        return self.inner(text)

    def screen_many(self, texts: Sequence[str]) -> list[Screening]:
        self.batches.append(len(texts))
        return self.inner.screen_many(texts)


def test_connector_runs_screen_in_batches_through_the_lazy_screen(
    db: Database, admin: Actor, tmp_path: Path
) -> None:
    counting = CountingScreen(OrganizationScreen(db, admin.organization_id))
    lazy = LazyScreen(lambda: counting)
    ingestor = Ingestor(db, admin.organization_id, enricher=RuleEnricher(), screen=lazy)
    path = write_jsonl(tmp_path / "p.jsonl", [line(i, f"Parking at the clinic, note {i}") for i in range(12)])
    import_file(db, admin, path, origin=ORIGIN, ingestor=ingestor, batch_size=5)
    assert counting.batches == [5, 5, 2] and counting.singles == 0
    made = make_ingestor(db, admin.organization_id, default_registry())
    assert isinstance(made.screen, LazyScreen) and hasattr(made.screen, "screen_many")
