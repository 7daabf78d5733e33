from __future__ import annotations

import pytest
import sqlalchemy as sa

from rounds.db import Database
from rounds.domain.errors import Conflict
from rounds.services import audit, departments
from rounds.services.context import Actor

from .conftest import ORIGIN


def _events(db: Database, admin: Actor, n: int) -> None:
    for index in range(n):
        departments.do_create_department(db, admin, name=f"Dept {index}", origin=ORIGIN)


def test_intact_chain_verifies(db: Database, admin: Actor) -> None:
    _events(db, admin, 3)
    result = audit.verify_chain(db)
    assert result.ok
    assert result.checked == 5  # org + admin + 3 departments


def test_edited_row_is_named(db: Database, admin: Actor) -> None:
    _events(db, admin, 3)
    with db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE audit_events SET actor_label = 'mallory' WHERE id = 4"))
    result = audit.verify_chain(db)
    assert not result.ok
    assert result.first_bad_id == 4
    assert "edited" in result.problem


def test_edited_json_payload_is_caught(db: Database, admin: Actor) -> None:
    _events(db, admin, 2)
    with db.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE audit_events SET after = :after WHERE id = 3"), {"after": '{"name": "Forged"}'}
        )
    assert audit.verify_chain(db).first_bad_id == 3


def test_deleted_middle_row_is_named(db: Database, admin: Actor) -> None:
    _events(db, admin, 3)
    with db.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_events WHERE id = 3"))
    result = audit.verify_chain(db)
    assert not result.ok
    assert result.first_bad_id == 4
    assert "deleted" in result.problem


def test_deleted_newest_row_is_caught(db: Database, admin: Actor) -> None:
    _events(db, admin, 3)
    with db.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_events WHERE id = 5"))
    result = audit.verify_chain(db)
    assert not result.ok
    assert "newest rows were deleted" in result.problem


def test_reordered_rows_are_caught(db: Database, admin: Actor) -> None:
    _events(db, admin, 3)
    with db.engine.begin() as connection:
        rows = connection.execute(
            sa.text("SELECT id, action, object_id, after FROM audit_events WHERE id IN (3, 4) ORDER BY id")
        ).all()
        (first, second) = rows
        for target, source in ((first, second), (second, first)):
            connection.execute(
                sa.text("UPDATE audit_events SET object_id = :object_id, after = :after WHERE id = :id"),
                {
                    "object_id": source.object_id,
                    "after": source.after
                    if isinstance(source.after, str)
                    else __import__("json").dumps(source.after),
                    "id": target.id,
                },
            )
    result = audit.verify_chain(db)
    assert not result.ok
    assert result.first_bad_id == 3


def test_failed_change_leaves_no_audit_event(db: Database, admin: Actor) -> None:
    departments.do_create_department(db, admin, name="Cardiology", origin=ORIGIN)
    before = audit.verify_chain(db).checked
    with pytest.raises(Conflict):
        departments.do_create_department(db, admin, name="cardiology", origin=ORIGIN)
    after = audit.verify_chain(db)
    assert after.ok and after.checked == before


def test_export_formats(db: Database, admin: Actor) -> None:
    _events(db, admin, 1)
    jsonl = audit.export_events(db, admin, None, fmt="jsonl", origin=ORIGIN)
    assert len(jsonl.strip().splitlines()) == 3
    csv_text = audit.export_events(db, admin, None, fmt="csv", origin=ORIGIN)
    assert csv_text.splitlines()[0].startswith("id,occurred_at,actor_user_id")
    events, total = audit.list_events(db, admin, audit.AuditFilter(action="audit.exported"))
    assert total == 2 and events[0].action == "audit.exported"
