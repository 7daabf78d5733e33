"""The batched ingest paths: batch fingerprints equal single ones, the search index holds each ingested post
exactly once (bulk on SQLite, trigger for other writers), and a failing ``screen_many`` falls back post by post."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa

from rounds.db import Database
from rounds.db.listening import PostEnrichment, StoredPost, search_index_is_bulk
from rounds.db.models import utcnow
from rounds.domain.screening import Screening
from rounds.services.context import Actor
from rounds.services.listening_dedupe import fingerprint, fingerprint_many, normalize_tokens
from rounds.services.listening_ingest import Ingestor, import_file
from rounds.services.listening_search import SearchFilters, search_posts

from .conftest import ORIGIN, RuleEnricher, line, write_jsonl

TEXTS = [
    "",
    "too short",
    "RT @clinic: Long wait at the Mercy General emergency room tonight",
    "Long wait at the Mercy General emergency room tonight http://t.co/x via @someone",
    "Café déjà vu: the pédiatrie ward staff were wonderful with our son today",
    "Thank you nurses 🙏🏽 for the kind care this week at the cardiology unit",
    "a bb ccc dddd eeee fffff gggggg hhhhhhh",
]


def test_fingerprint_many_equals_fingerprint_one_by_one() -> None:
    assert fingerprint_many(TEXTS) == [fingerprint(text) for text in TEXTS]
    assert fingerprint_many([]) == []
    assert normalize_tokens(TEXTS[4])[:3] == ["cafe", "deja", "vu"]


def test_signatures_are_stable_across_releases() -> None:
    """Stored signatures and bands are compared with new ones: the values must never change silently."""
    fp = fingerprint("Long wait at the Mercy General emergency room tonight")
    assert fp.content_hash == "68906fbada150c92"
    assert fp.signature == (
        "1ab6f6890221b0030693cc42001e81cc1e03f9c80922a4f80f3d30cd0b0325ea04a69aa939bda240153bde6a1850e73e"
    )
    assert fp.bands == (1354700960, 238050084, 428043709, 336637456)


def _fts_rows(db: Database) -> int:
    with db.session() as session:
        return session.execute(sa.text("SELECT count(*) FROM posts_fts_docsize")).scalar_one()


def test_search_index_holds_each_ingested_post_once(
    db: Database, admin: Actor, ingestor: Ingestor, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "posts.jsonl",
        [line(number, f"Triage nurse number {number} was kind at the clinic") for number in range(1, 8)],
    )
    import_file(db, admin, path, origin=ORIGIN, ingestor=ingestor, batch_size=3)
    import_file(db, admin, path, origin=ORIGIN, ingestor=ingestor, batch_size=3)
    assert search_posts(db, admin, SearchFilters(text="triage", include_duplicates=True)).total == 7
    if db.dialect != "sqlite":
        return
    with db.session() as session:
        assert search_index_is_bulk(session)
        # a post written by anything but ingest (no raw payload) is still indexed by the trigger
        session.add(
            StoredPost(platform="x", remote_id="manual", text="A manual pediatric note", created_at=utcnow())
        )
    assert _fts_rows(db) == 8
    assert search_posts(db, admin, SearchFilters(text="pediatric")).total == 1


class FailingBatchScreen:
    """screen_many fails for the batch (as one over-long text would); one by one, one text fails."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.batches = 0

    def __call__(self, text: str) -> Screening:
        if "poison" in text:
            raise RuntimeError("bug")
        return self.inner(text)  # type: ignore[operator]

    def screen_many(self, texts: Sequence[str]) -> list[Screening]:
        self.batches += 1
        raise RuntimeError("batch failed")


FIRST = "Our patient in bed 12 with sepsis went home today, call 405-512-2831"


@pytest.mark.parametrize("fail", [False, True])
def test_batch_screening_and_its_fallback(
    db: Database, admin: Actor, screen_inbound: object, tmp_path: Path, fail: bool
) -> None:
    screen = FailingBatchScreen(screen_inbound) if fail else screen_inbound
    ingestor = Ingestor(db, admin.organization_id, enricher=RuleEnricher(), screen=screen)  # type: ignore[arg-type]
    path = write_jsonl(
        tmp_path / "posts.jsonl",
        [
            line(1, FIRST),
            line(2, "poison text that breaks the screener"),
            line(3, "Thank you to the cardiology nurses"),
        ],
    )
    report = import_file(db, admin, path, origin=ORIGIN, ingestor=ingestor)
    assert report.counts.stored == 3
    with db.session() as session:
        rows = dict(
            session.execute(
                sa.select(StoredPost.remote_id, PostEnrichment.screening_error).join(
                    PostEnrichment, PostEnrichment.post_id == StoredPost.id
                )
            ).all()
        )
        verdicts = dict(session.execute(sa.select(StoredPost.remote_id, StoredPost.verdict)).all())
    expected = screen_inbound(FIRST).verdict.value  # type: ignore[operator]
    assert verdicts["1"] == expected
    if fail:
        assert isinstance(screen, FailingBatchScreen) and screen.batches == 1
        assert rows == {"1": None, "2": "screening failed: RuntimeError", "3": None}
        assert verdicts["2"] == "unscreened"
    else:
        assert rows == {"1": None, "2": None, "3": None}
