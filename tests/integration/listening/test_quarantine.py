"""The quarantine's ways out: retry after a parser fix (the post is stored once), resolve with a note; audited;
from the service, the pages, the API and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from rounds.cli.main import app
from rounds.connectors.registry import default_registry
from rounds.db import Database
from rounds.db.listening import QuarantinedItem, StoredPost
from rounds.db.models import AuditEvent
from rounds.domain.connectors import ParseResult, RawPayload
from rounds.domain.errors import Conflict, Forbidden, ValidationFailed
from rounds.domain.roles import Role
from rounds.services.context import Actor
from rounds.services.listening_ingest import Ingestor, import_file
from rounds.services.listening_quarantine import ResolveInput, do_resolve_quarantined, do_retry_quarantined
from rounds.services.listening_search import list_quarantine

from .conftest import ORIGIN, RuleEnricher, line, write_jsonl


class BuggyRegistry:
    """The real registry with a parser bug: lines mentioning "crashme" fail as a crashed parser would."""

    def __init__(self) -> None:
        self.inner = default_registry()

    def parse(self, raw: RawPayload) -> ParseResult:
        if b"crashme" in raw.body:
            return ParseResult.failure(
                "parser crashed: KeyError", platform=raw.platform, kind=raw.kind, remote_id=raw.remote_id
            )
        return self.inner.parse(raw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def quarantined(db: Database, admin: Actor, ingestor: Ingestor, tmp_path: Path) -> dict[str, int]:
    buggy = Ingestor(
        db,
        admin.organization_id,
        enricher=RuleEnricher(),
        screen=ingestor.screen,
        registry=BuggyRegistry(),  # type: ignore[arg-type]
    )
    path = write_jsonl(
        tmp_path / "q.jsonl",
        [line(1, "Parking was fine today"), line(2, "crashme: the lobby is lovely"), '{"platform": "x", "id'],
    )
    report = import_file(db, admin, path, origin=ORIGIN, ingestor=buggy)
    assert report.to_dict() == {"read": 3, "stored": 1, "duplicates": 0, "quarantined": 2}
    items, total = list_quarantine(db, admin)
    assert total == 2 and all(item.retryable for item in items)
    return {("crash" if "crashed" in item.reason else "truncated"): item.id for item in items}


def _audit(db: Database, action: str) -> list[dict[str, Any]]:
    with db.session() as session:
        rows = session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars()
        return [dict(row.after or {}) for row in rows]


def test_retry_after_a_parser_fix_stores_the_post_once(
    db: Database, admin: Actor, ingestor: Ingestor, quarantined: dict[str, int]
) -> None:
    result = do_retry_quarantined(db, admin, quarantined["crash"], origin=ORIGIN, ingestor=ingestor)
    assert (result.outcome, result.stored, result.duplicates) == ("stored", 1, 0)
    assert result.item.resolution == "retried" and result.item.resolved_at is not None
    with db.session() as session:
        assert (
            session.execute(
                sa.select(sa.func.count()).select_from(StoredPost).where(StoredPost.remote_id == "2")
            ).scalar_one()
            == 1
        )
    with pytest.raises(Conflict):
        do_retry_quarantined(db, admin, quarantined["crash"], origin=ORIGIN, ingestor=ingestor)
    # the item left is the truncated line; a retry counts the attempt and keeps it open
    still = do_retry_quarantined(db, admin, quarantined["truncated"], origin=ORIGIN, ingestor=ingestor)
    assert still.outcome == "still_failing" and still.item.retry_count == 1 and still.item.resolved_at is None
    assert still.reason is not None and "crashed" not in still.reason
    assert [item.id for item in list_quarantine(db, admin)[0]] == [quarantined["truncated"]]
    assert sorted(event["outcome"] for event in _audit(db, "quarantine.retried")) == [
        "still_failing",
        "stored",
    ]


def test_a_retry_whose_post_is_already_stored_closes_the_item(
    db: Database, admin: Actor, ingestor: Ingestor, quarantined: dict[str, int], tmp_path: Path
) -> None:
    fixed = write_jsonl(tmp_path / "again.jsonl", [line(2, "crashme: the lobby is lovely")])
    import_file(db, admin, fixed, origin=ORIGIN, ingestor=ingestor)  # stored meanwhile, by another import
    result = do_retry_quarantined(db, admin, quarantined["crash"], origin=ORIGIN, ingestor=ingestor)
    assert (result.outcome, result.stored, result.duplicates) == ("stored", 0, 1)


def test_resolve_needs_a_note_and_a_permitted_role(
    db: Database, admin: Actor, quarantined: dict[str, int]
) -> None:
    viewer = Actor(
        user_id=None,
        organization_id=admin.organization_id,
        username="v",
        display_name="V",
        role=Role.EXECUTIVE_VIEWER,
    )
    with pytest.raises(Forbidden):
        do_resolve_quarantined(db, viewer, quarantined["truncated"], ResolveInput(note="junk"), origin=ORIGIN)
    with pytest.raises(Forbidden):
        do_retry_quarantined(db, viewer, quarantined["truncated"], origin=ORIGIN)
    with pytest.raises(ValidationFailed):
        do_resolve_quarantined(db, admin, quarantined["truncated"], ResolveInput(note="   "), origin=ORIGIN)
    view = do_resolve_quarantined(
        db, admin, quarantined["truncated"], ResolveInput(note="Truncated by the export tool"), origin=ORIGIN
    )
    assert view.resolution == "resolved" and view.resolution_note == "Truncated by the export tool"
    with pytest.raises(Conflict):
        do_resolve_quarantined(db, admin, quarantined["truncated"], ResolveInput(note="again"), origin=ORIGIN)
    assert _audit(db, "quarantine.resolved") == [
        {"resolution": "resolved", "note": "Truncated by the export tool"}
    ]
    with db.session() as session:
        row = session.get(QuarantinedItem, quarantined["truncated"])
        assert row is not None and row.resolved_by_user_id == admin.user_id


def test_cli_lists_resolves_and_retries(
    db: Database, admin: Actor, quarantined: dict[str, int], backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the CLI opens the SQLite data directory")
    data_dir = str(db.settings.data_dir)
    runner = CliRunner()
    listed = runner.invoke(app, ["listen", "quarantine", "list", "--json", "--data-dir", data_dir])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output)["total"] == 2
    table = runner.invoke(app, ["listen", "quarantine", "list", "--data-dir", data_dir])
    assert table.exit_code == 0 and "KeyError" in table.output
    retried = runner.invoke(
        app,
        ["listen", "quarantine", "retry", str(quarantined["truncated"]), "--json", "--data-dir", data_dir],
    )
    assert retried.exit_code == 1  # still failing
    assert json.loads(retried.output)[0]["outcome"] == "still_failing"
    resolved = runner.invoke(
        app,
        [
            "listen",
            "quarantine",
            "resolve",
            str(quarantined["truncated"]),
            "--note",
            "junk",
            "--data-dir",
            data_dir,
        ],
    )
    assert resolved.exit_code == 0, resolved.output
    missing = runner.invoke(
        app, ["listen", "quarantine", "resolve", "999", "--note", "x", "--data-dir", data_dir]
    )
    assert missing.exit_code == 2
    after = runner.invoke(app, ["listen", "quarantine", "list", "--json", "--data-dir", data_dir])
    assert [item["id"] for item in json.loads(after.output)["items"]] == [quarantined["crash"]]
