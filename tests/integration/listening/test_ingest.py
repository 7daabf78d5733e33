from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from rounds.db import Database
from rounds.db.listening import (
    DuplicateGroup,
    IngestRun,
    PostEnrichment,
    PostFinding,
    QuarantinedItem,
    RawPayloadRecord,
    StoredPost,
)
from rounds.db.models import AuditEvent
from rounds.services.context import Actor
from rounds.services.listening_ingest import Ingestor, import_file

from .conftest import ORIGIN, line, write_jsonl


def _count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_import_stores_quarantines_and_rerun_stores_nothing(
    db: Database, admin: Actor, ingestor: Ingestor, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "posts.jsonl",
        [
            line(1, "Long wait at the Mercy General emergency room tonight, six hours and counting"),
            '{"platform": "x", "id": "2", "text": "truncated',
            line(3, "Thank you to the cardiology nurses for the kind care this week"),
            line(1, "the same id again with other text should be a duplicate"),
            '{"platform": "x", "text": "no id here", "created_at": "2026-03-01T12:00:00Z"}',
            line(4, "bad date", created_at="2026-02-30T10:00:00Z"),
            line(5, "<p>HTML <b>in</b> text &amp; entities from a blog export</p>"),
        ],
    )
    first = import_file(db, admin, path, origin=ORIGIN, ingestor=ingestor, batch_size=3)
    assert first.to_dict() == {"read": 7, "stored": 3, "duplicates": 1, "quarantined": 3}
    assert _count(db, StoredPost) == 3
    with db.session() as session:
        reasons = {
            row.line: row.reason
            for row in session.execute(sa.select(QuarantinedItem).order_by(QuarantinedItem.line)).scalars()
        }
        html_text = session.execute(
            sa.select(StoredPost.text).where(StoredPost.remote_id == "5")
        ).scalar_one()
    assert set(reasons) == {2, 5, 6}
    assert reasons[2].startswith("truncated JSON")
    assert "'id'" in reasons[5]
    assert "created_at" in reasons[6]
    assert "<" not in html_text and "&" in html_text

    second = import_file(db, admin, path, origin=ORIGIN, ingestor=ingestor, batch_size=3)
    assert second.to_dict() == {"read": 7, "stored": 0, "duplicates": 4, "quarantined": 3}
    assert _count(db, StoredPost) == 3
    assert _count(db, QuarantinedItem) == 3  # not quarantined twice
    assert _count(db, RawPayloadRecord) == 7
    with db.session() as session:
        runs = session.execute(sa.select(IngestRun).order_by(IngestRun.id)).scalars().all()
        actions = session.execute(sa.select(AuditEvent.action)).scalars().all()
    assert [run.status for run in runs] == ["completed", "completed"]
    assert (runs[0].stored, runs[1].stored) == (3, 0)
    assert actions.count("listening.import_completed") == 2


def test_enrichment_and_screening_are_stored_with_components(
    db: Database, admin: Actor, ingestor: Ingestor, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "p.jsonl",
        [line(10, "My son Jacob Miller (MRN 4432187) was in room 412 at Mercy and the nurse was rude")],
    )
    import_file(db, admin, path, origin=ORIGIN, ingestor=ingestor)
    with db.session() as session:
        post = session.execute(sa.select(StoredPost)).scalar_one()
        enrichment = session.get(PostEnrichment, post.id)
        findings = session.execute(sa.select(PostFinding)).scalars().all()
    assert enrichment is not None
    assert post.sentiment == "negative"
    assert enrichment.intents == ["complaint"]
    assert enrichment.components == {"sentiment": "test1", "intent": "test1"}
    assert enrichment.explanations[0]["component"] == "enrich.intent.test1"
    assert enrichment.screening_components  # versioned screening component names
    assert post.verdict in {"block", "warn"} and enrichment.screening_verdict == post.verdict
    assert findings and all(f.component and f.explanation for f in findings)
    assert {f.type for f in findings} & {"MRN", "NAME", "ROOM_BED"}
    assert all(0 <= f.span_start < f.span_end <= len(post.text) for f in findings)


def test_retweets_cross_posts_and_campaign_copies_are_grouped(
    db: Database, admin: Actor, ingestor: Ingestor, tmp_path: Path
) -> None:
    original = "Mercy General cancelled my mother's surgery again without any notice, third time this month"
    path = write_jsonl(
        tmp_path / "dups.jsonl",
        [
            line(20, original + " https://t.co/aaa"),
            line(21, "RT @angry_son: " + original + " https://t.co/bbb"),
            line(22, original + " https://mastodon.example/@x/1", platform="mastodon"),
            line(23, original.replace("third", "fourth") + "!!"),
            line(24, "A completely different post about parking fees at the north campus garage"),
        ],
    )
    report = import_file(db, admin, path, origin=ORIGIN, ingestor=ingestor)
    assert report.to_dict()["stored"] == 5
    assert report.counts.grouped == 3
    with db.session() as session:
        groups = session.execute(sa.select(DuplicateGroup)).scalars().all()
        posts = {p.remote_id: p for p in session.execute(sa.select(StoredPost)).scalars()}
    assert len(groups) == 1
    group = groups[0]
    assert group.size == 4 and group.method == "near"
    assert group.canonical_post_id == posts["20"].id
    assert not posts["20"].is_duplicate
    assert all(posts[r].is_duplicate and posts[r].duplicate_group_id == group.id for r in ("21", "22", "23"))
    assert posts["24"].duplicate_group_id is None

    # a later batch joins the existing group instead of starting a new one
    more = write_jsonl(tmp_path / "more.jsonl", [line(25, "RT @someone: " + original)])
    import_file(db, admin, more, origin=ORIGIN, ingestor=ingestor)
    with db.session() as session:
        group_after = session.get(DuplicateGroup, group.id)
        joined = session.execute(sa.select(StoredPost).where(StoredPost.remote_id == "25")).scalar_one()
    assert group_after is not None and group_after.size == 5
    assert joined.duplicate_group_id == group.id
