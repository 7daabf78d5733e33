"""Closing the inbox's known gaps: tag filter in SQL with paging, resolution targets and breaches, re-triage on
each tick, department scope, alert links to the case, deleting queues and rules, on-call webhooks kept.

Cases are written straight to the table where the test is about reading or timing them (fast); the rest goes
through the services. SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from rounds.db import Database
from rounds.db.inbox import InboxCase
from rounds.services.context import Actor
from rounds.services.inbox import CaseFilter, list_cases

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
