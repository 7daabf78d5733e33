"""Durable ingest: raw payloads stored before cursors move, idempotent processing, dedupe, enrichment, storage.

Per batch, two transactions:

1. **store**: every raw payload is inserted (keyed by a SHA-256 digest, so a payload seen before is not stored
   again) and the cursor (a connector source's, or an import run's) moves past them, in one commit. Nothing is
   parsed yet, so nothing can stop the payloads from being kept.
2. **process**: payloads are parsed (failures go to the quarantine with their reason and line), posts already
   stored under (platform, remote id) are counted as duplicates and skipped, new posts are fingerprinted and
   grouped with exact and near copies, enriched (``enrich_many``), screened, stored with their explanations and
   findings, matched against topics, and checked by alert rules and (for the topics that got new matches) the
   spike and emerging-term detectors (:mod:`rounds.services.listening_signals`); the payloads are marked
   processed.

Every step works on the whole batch: one fingerprinting pass (:func:`fingerprint_many`), one ``IN`` query per
key list for stored posts and duplicate candidates, ``enrich_many`` and ``screen_many`` once, and Core
``executemany`` inserts (no ORM objects, no per-post flush) for posts, enrichments, intents, findings, groups and
topic matches. On SQLite the batch is added to the FTS5 index with one ``INSERT ... SELECT`` in the same
transaction (:func:`rounds.db.listening.index_posts_for_search`, migration 0005).

A crash after (1) leaves payloads ``pending``; they are processed when the same payloads arrive again (file
re-import) or by :meth:`Ingestor.recover` (connector runs), so nothing is lost and, because processing is
idempotent on (platform, remote id), nothing is doubled.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

import httpx
import sqlalchemy as sa
from pydantic import TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rounds.connectors.clock import SystemClock
from rounds.connectors.registry import Registry, default_registry
from rounds.db import Database
from rounds.db.listening import (
    DuplicateGroup,
    IngestRun,
    PostEnrichment,
    PostFinding,
    PostIntent,
    QuarantinedItem,
    RawPayloadRecord,
    StoredPost,
    TopicMatch,
    index_posts_for_search,
    search_index_is_bulk,
)
from rounds.db.models import Base, utcnow
from rounds.domain.connectors import Cursor, HealthStatus, ParseFailure, RawPayload
from rounds.domain.enrichment import ComponentFailure, Enrichment, Explanation
from rounds.domain.errors import ImportFailed, RoundsError, ValidationFailed
from rounds.domain.posts import Post
from rounds.domain.screening import Kind, Screening
from rounds.domain.topics import ListeningAuditAction, MatchDocument
from rounds.services import audit
from rounds.services.context import Actor, Origin
from rounds.services.listening import IMPORT_POSTS, audit_action
from rounds.services.listening_dedupe import (
    NEAR_SIMILARITY,
    decode_signature,
    fingerprint_many,
    similarity_values,
)

logger = logging.getLogger(__name__)

UNSCREENED = "unscreened"


class EnricherLike(Protocol):
    """What ingest needs from :class:`rounds.pipeline.enricher.Enricher`."""

    def enrich_many(self, posts: Iterable[Post]) -> Iterator[Enrichment]: ...


ScreenFunction = Callable[[str], Screening]
"""Screens one inbound text. When the object also has ``screen_many(texts) -> list[Screening]`` (as
:class:`OrganizationScreen` and :func:`default_screen`'s have), ingest screens each batch with one call to it."""


def default_enricher() -> EnricherLike:
    from rounds.pipeline.enricher import Enricher

    return Enricher()


class InboundScreen:
    """Screens inbound posts as comments; one text at a time, or a batch with :meth:`screen_many`."""

    def __init__(self) -> None:
        from rounds.screening import Screener

        self.screener = Screener(None, None)

    def __call__(self, text: str) -> Screening:
        return self.screener.screen(text, Kind.COMMENT)

    def screen_many(self, texts: Sequence[str]) -> list[Screening]:
        return self.screener.screen_many([{"text": text, "kind": Kind.COMMENT} for text in texts])


def default_screen() -> ScreenFunction:
    """The library's default profile and policy: for benchmarks and tests without an organization. Ingest
    itself screens with :class:`OrganizationScreen`."""
    return InboundScreen()


class OrganizationScreen:
    """Screens inbound posts as comments with the organization's profile and policy
    (:func:`rounds.services.screening.screener_for`): its staff's names and its own handles are not a patient's.
    The screener is looked up once per batch (cached there, rebuilt when the profile or policy changes) and
    built on first use, so a run that stores nothing loads no lexicons."""

    REFRESH_SECONDS = 30.0

    def __init__(self, db: Database, organization_id: int) -> None:
        self.db = db
        self.organization_id = organization_id
        self._screener: Any = None
        self._fetched = 0.0

    def screener(self, *, fresh: bool) -> Any:
        import time

        from rounds.services.screening import screener_for

        if fresh or self._screener is None or time.monotonic() - self._fetched > self.REFRESH_SECONDS:
            self._screener = screener_for(self.db, self.organization_id, inbound=True)
            self._fetched = time.monotonic()
        return self._screener

    def __call__(self, text: str) -> Screening:
        screening: Screening = self.screener(fresh=False).screen(text, Kind.COMMENT)
        return screening

    def screen_many(self, texts: Sequence[str]) -> list[Screening]:
        screener = self.screener(fresh=True)
        return list(screener.screen_many([{"text": text, "kind": Kind.COMMENT} for text in texts]))


@dataclass
class IngestCounts:
    read: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    grouped: int = 0
    alerts: int = 0

    def add(self, other: IngestCounts) -> None:
        self.read += other.read
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        self.grouped += other.grouped
        self.alerts += other.alerts

    def to_dict(self) -> dict[str, int]:
        """The scripting contract: exactly these four keys. read = stored + duplicates + quarantined."""
        return {
            "read": self.read,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
        }


@dataclass(frozen=True)
class StoredRaw:
    id: int
    pending: bool
    """True when this occurrence must be processed (a new payload, or one a crash left pending)."""
    payload: RawPayload


@dataclass(eq=False)
class _Canonical:
    post_id: int | None
    batch_index: int | None
    content_hash: str | None
    signature: str | None
    group_id: int | None
    _values: list[int] | None = None

    def values(self) -> list[int] | None:
        """The MinHash values, decoded on first comparison (most candidates are never compared)."""
        if self._values is None and self.signature:
            self._values = decode_signature(self.signature)
        return self._values


def _table(model: type[Base]) -> sa.Table:
    return cast(sa.Table, model.__table__)


RAW_PAYLOADS = _table(RawPayloadRecord)
POSTS = _table(StoredPost)
POST_ENRICHMENTS = _table(PostEnrichment)
POST_INTENTS = _table(PostIntent)
POST_FINDINGS = _table(PostFinding)
DUPLICATE_GROUPS = _table(DuplicateGroup)
TOPIC_MATCHES = _table(TopicMatch)
QUARANTINE = _table(QuarantinedItem)

IN_CHUNK = 900
"""Values per ``IN (...)`` list: under SQLite's oldest bound-parameter limit (999)."""


MAX_CANDIDATES_PER_BAND = 64
"""Near-duplicate candidates compared per band value (the oldest first): bounds the work on popular bands."""


@dataclass
class _NewPost:
    raw_id: int
    post: Post
    content_hash: str | None = None
    signature: str | None = None
    bands: tuple[int, int, int, int] | None = None
    duplicate_of: _Canonical | None = None
    method: str = ""
    enrichment: Enrichment | None = None
    screening: Screening | None = None
    screening_error: str | None = None
    post_id: int = 0
    topic_ids: list[int] = field(default_factory=list)


def stored_payload(record: RawPayloadRecord) -> RawPayload:
    """The payload as the connector gave it, read back from its stored row."""
    return RawPayload(
        platform=record.platform,
        kind=record.kind,
        body=record.body,
        fetched_at=record.fetched_at,
        remote_id=record.remote_id,
        source=record.source,
        meta={str(k): str(v) for k, v in dict(record.meta).items()},
    )


def failure_line(failure: ParseFailure, payload: RawPayload) -> int | None:
    """The file line a parse failure is about: the parser's, else the payload's ``line`` meta."""
    if failure.line is None and payload.meta.get("line", "").isdigit():
        return int(payload.meta["line"])
    return failure.line


def payload_digest(raw: RawPayload) -> str:
    digest = hashlib.sha256()
    digest.update(raw.platform.encode())
    digest.update(b"\x00")
    digest.update(raw.kind.encode())
    digest.update(b"\x00")
    digest.update(raw.body)
    return digest.hexdigest()


def _chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Ingestor:
    """Stores and processes batches for one organization (its topics and alert rules apply)."""

    def __init__(
        self,
        db: Database,
        organization_id: int,
        *,
        enricher: EnricherLike | None = None,
        screen: ScreenFunction | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.db = db
        self.organization_id = organization_id
        self.enricher = enricher if enricher is not None else default_enricher()
        self.screen = screen if screen is not None else OrganizationScreen(db, organization_id)
        self.registry = registry if registry is not None else default_registry()
        from rounds.services.listening_topics import load_matchers

        with db.session() as session:
            self.matchers = load_matchers(session, organization_id)
            self.bulk_search_index = search_index_is_bulk(session)

    # --- transaction 1: keep the payloads, then move the cursor -------------------------------------------

    def store(
        self,
        raws: Sequence[RawPayload],
        *,
        source_id: int | None = None,
        advance: Callable[[Session], None] | None = None,
    ) -> list[StoredRaw]:
        for attempt in range(3):
            try:
                with self.db.session() as session:
                    stored = self._store(session, raws, source_id)
                    if advance is not None:
                        advance(session)
                return stored
            except IntegrityError:  # another process stored the same payload first: look again
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _store(self, session: Session, raws: Sequence[RawPayload], source_id: int | None) -> list[StoredRaw]:
        digests = [payload_digest(raw) for raw in raws]
        known: dict[str, tuple[int, str]] = {}
        for chunk in _chunks(sorted(set(digests))):
            for row_id, digest, status in session.execute(
                sa.select(RawPayloadRecord.id, RawPayloadRecord.digest, RawPayloadRecord.status).where(
                    RawPayloadRecord.digest.in_(chunk)
                )
            ):
                known[digest] = (row_id, status)
        rows: list[dict[str, Any]] = []
        row_digests: list[str] = []
        now = utcnow()
        for raw, digest in zip(raws, digests, strict=True):
            if digest in known or digest in row_digests:
                continue
            row_digests.append(digest)
            rows.append(
                {
                    "digest": digest,
                    "source_id": source_id,
                    "platform": raw.platform[:64],
                    "kind": raw.kind[:120],
                    "source": raw.source[:500],
                    "remote_id": raw.remote_id[:512] if raw.remote_id else None,
                    "meta": dict(raw.meta),
                    "body": raw.body,
                    "fetched_at": raw.fetched_at,
                    "stored_at": now,
                    "status": "pending",
                }
            )
        if rows:
            # Plain executemany (one statement per chunk), then the ids by digest: ordered RETURNING would
            # make SQLAlchemy insert row by row on SQLite.
            session.execute(RAW_PAYLOADS.insert(), rows)
            for chunk in _chunks(row_digests):
                for row_id, digest in session.execute(
                    sa.select(RawPayloadRecord.id, RawPayloadRecord.digest).where(
                        RawPayloadRecord.digest.in_(chunk)
                    )
                ):
                    known[digest] = (row_id, "pending")
        result: list[StoredRaw] = []
        claimed: set[str] = set()
        for raw, digest in zip(raws, digests, strict=True):
            row_id, status = known[digest]
            pending = status == "pending" and digest not in claimed
            claimed.add(digest)
            result.append(StoredRaw(row_id, pending, raw))
        return result

    # --- transaction 2: parse, dedupe, enrich, screen, store, match, alert --------------------------------

    def process(self, stored: Sequence[StoredRaw], *, run_id: int | None = None) -> IngestCounts:
        for attempt in range(3):
            try:
                with self.db.session() as session:
                    counts = self._process(session, stored)
                    if run_id is not None:
                        run = session.get(IngestRun, run_id)
                        if run is not None:
                            run.read_count += counts.read
                            run.stored += counts.stored
                            run.duplicates += counts.duplicates
                            run.quarantined += counts.quarantined
                            run.grouped += counts.grouped
                return counts
            except IntegrityError:  # a concurrent run stored some of the same posts: dedupe again
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def recover(self, *, source_id: int | None = None, batch_size: int = 500) -> IngestCounts:
        """Process payloads a crash left pending (all of them, or one source's)."""
        total = IngestCounts()
        while True:
            with self.db.session() as session:
                query = sa.select(RawPayloadRecord).where(RawPayloadRecord.status == "pending")
                if source_id is not None:
                    query = query.where(RawPayloadRecord.source_id == source_id)
                records = session.execute(query.order_by(RawPayloadRecord.id).limit(batch_size)).scalars()
                stored = [StoredRaw(record.id, True, stored_payload(record)) for record in records]
            if not stored:
                return total
            total.add(self.process(stored))

    def _process(self, session: Session, stored: Sequence[StoredRaw]) -> IngestCounts:
        counts = IngestCounts()
        now = utcnow()
        quarantine: list[dict[str, Any]] = []
        candidates: list[tuple[int, Post]] = []
        for item in stored:
            result = self.registry.parse(item.payload)
            for failure in result.failures:
                counts.read += 1
                counts.quarantined += 1
                if item.pending:
                    quarantine.append(self._quarantine_row(item, failure, now))
            for post in result.posts:
                counts.read += 1
                candidates.append((item.id, post))
        new_posts = self._new_only(session, candidates, counts)
        if new_posts:
            self._fingerprint_and_group(session, new_posts)
            self._enrich_and_screen(new_posts)
            self._insert(session, new_posts, now)
            if self.bulk_search_index:
                index_posts_for_search(session, [item.post_id for item in new_posts])
            counts.stored = len(new_posts)
            counts.grouped = self._link_groups(session, new_posts, now)
            self._match_topics(session, new_posts, now)
            from rounds.services.listening_alerts import on_new_posts

            counts.alerts = on_new_posts(session, self.organization_id, new_posts, now)
            if any(item.topic_ids for item in new_posts):
                from rounds.services.listening_signals import check_signals_in_batch

                counts.alerts += check_signals_in_batch(session, self.organization_id, now)
        if quarantine:
            session.execute(QUARANTINE.insert(), quarantine)
        pending_ids = sorted({item.id for item in stored if item.pending})
        for chunk in _chunks(pending_ids):
            session.execute(
                sa.update(RawPayloadRecord)
                .where(RawPayloadRecord.id.in_(chunk))
                .values(status="processed", processed_at=now)
            )
        return counts

    @staticmethod
    def _quarantine_row(item: StoredRaw, failure: ParseFailure, now: Any) -> dict[str, Any]:
        return {
            "raw_payload_id": item.id,
            "source_id": None,
            "platform": (failure.platform or item.payload.platform)[:64],
            "kind": (failure.kind or item.payload.kind)[:120],
            "source": item.payload.source[:500],
            "remote_id": failure.remote_id[:512] if failure.remote_id else None,
            "line": failure_line(failure, item.payload),
            "reason": failure.reason[:1000],
            "created_at": now,
        }

    @staticmethod
    def _new_only(
        session: Session, candidates: list[tuple[int, Post]], counts: IngestCounts
    ) -> list[_NewPost]:
        by_platform: dict[str, set[str]] = {}
        for _raw_id, post in candidates:
            by_platform.setdefault(post.platform, set()).add(post.remote_id)
        existing: set[tuple[str, str]] = set()
        for platform, remote_ids in by_platform.items():
            for chunk in _chunks(sorted(remote_ids)):
                for (remote_id,) in session.execute(
                    sa.select(StoredPost.remote_id).where(
                        StoredPost.platform == platform, StoredPost.remote_id.in_(chunk)
                    )
                ):
                    existing.add((platform, remote_id))
        new_posts: list[_NewPost] = []
        for raw_id, post in candidates:
            if post.key in existing:
                counts.duplicates += 1
                continue
            existing.add(post.key)
            new_posts.append(_NewPost(raw_id, post))
        return new_posts

    @staticmethod
    def _fingerprint_and_group(session: Session, new_posts: list[_NewPost]) -> None:
        """Fingerprint the batch, fetch every stored candidate (same content hash, or a shared band) with one
        ``IN`` query per key list, then group each new post with the oldest exact copy or the most similar
        near copy, stored or earlier in the batch."""
        for item, fp in zip(new_posts, fingerprint_many(item.post.text for item in new_posts), strict=True):
            item.content_hash, item.signature, item.bands = fp.content_hash, fp.signature, fp.bands
        hashes = sorted({item.content_hash for item in new_posts if item.content_hash})
        bands: list[set[int]] = [set(), set(), set(), set()]
        for item in new_posts:
            if item.bands:
                for index, value in enumerate(item.bands):
                    bands[index].add(value)
        by_hash: dict[str, _Canonical] = {}
        by_band: list[dict[int, list[_Canonical]]] = [{}, {}, {}, {}]

        def remember(canonical: _Canonical, band_values: tuple[int, ...] | None) -> None:
            if canonical.content_hash and canonical.content_hash not in by_hash:
                by_hash[canonical.content_hash] = canonical
            if canonical.signature and band_values:
                for index, value in enumerate(band_values):
                    bucket = by_band[index].setdefault(value, [])
                    if len(bucket) < MAX_CANDIDATES_PER_BAND:
                        bucket.append(canonical)

        posts = POSTS.c
        band_columns = [posts.sim_band0, posts.sim_band1, posts.sim_band2, posts.sim_band3]
        columns = (posts.id, posts.content_hash, posts.minhash, posts.duplicate_group_id, *band_columns)
        lookups: list[Any] = [posts.content_hash.in_(chunk) for chunk in _chunks(hashes)]
        for index, column in enumerate(band_columns):
            lookups.extend(column.in_(chunk) for chunk in _chunks(sorted(bands[index])))
        found: dict[int, tuple[Any, ...]] = {}  # a stored post found by several keys is one candidate
        for condition in lookups:
            for row in session.execute(sa.select(*columns).where(posts.is_duplicate.is_(False), condition)):
                found[row[0]] = tuple(row)
        for post_id in sorted(found):  # the oldest first
            _, content_hash, signature, group_id, *band_values = found[post_id]
            canonical = _Canonical(post_id, None, content_hash, signature, group_id)
            remember(canonical, tuple(int(v) for v in band_values) if signature else None)
        for index, item in enumerate(new_posts):
            target: _Canonical | None = None
            method = ""
            if item.content_hash:
                target = by_hash.get(item.content_hash)
                method = "exact"
            if target is None and item.signature and item.bands:
                best = 0.0
                mine = decode_signature(item.signature)
                for band_index, value in enumerate(item.bands):
                    for candidate in by_band[band_index].get(value, ()):
                        theirs = candidate.values()
                        if theirs is None:
                            continue
                        score = similarity_values(mine, theirs)
                        if score >= NEAR_SIMILARITY and score > best:
                            target, best, method = candidate, score, "near"
            if target is not None:
                item.duplicate_of, item.method = target, method
            else:
                remember(
                    _Canonical(None, index, item.content_hash, item.signature, None),
                    item.bands,
                )

    def _enrich_and_screen(self, new_posts: list[_NewPost]) -> None:
        posts = [item.post for item in new_posts]
        try:
            enrichments = list(self.enricher.enrich_many(posts))
            if len(enrichments) != len(posts):
                raise RuntimeError("enrich_many returned a different number of results")
        except Exception as error:  # one bad batch must not stop ingest: record the failure per post
            logger.exception("enrichment failed for a batch of %d posts", len(posts))
            failure = ComponentFailure(component="enrich", error=type(error).__name__)
            enrichments = [Enrichment(failures=(failure,)) for _ in posts]
        for item, enrichment in zip(new_posts, enrichments, strict=True):
            item.enrichment = enrichment
        screen_many = getattr(self.screen, "screen_many", None)
        if screen_many is not None:
            try:
                screenings = list(screen_many([post.text for post in posts]))
                if len(screenings) != len(posts):
                    raise RuntimeError("screen_many returned a different number of results")
            except Exception as error:  # e.g. one text too long: screen post by post, recording each failure
                logger.info("batch screening failed (%s); screening post by post", type(error).__name__)
            else:
                for item, screening in zip(new_posts, screenings, strict=True):
                    item.screening = screening
                return
        for item in new_posts:
            try:
                item.screening = self.screen(item.post.text)
            except RoundsError as error:
                item.screening_error = f"{error.code}: {error.message}"[:500]
            except Exception as error:  # a screening bug is recorded on the post, never stops the batch
                logger.exception("screening failed on one post")
                item.screening_error = f"screening failed: {type(error).__name__}"

    @staticmethod
    def _insert(session: Session, new_posts: list[_NewPost], now: Any) -> None:
        rows: list[dict[str, Any]] = []
        for item in new_posts:
            post, enrichment = item.post, item.enrichment or _NO_ENRICHMENT
            author = post.author
            bands = item.bands or (None, None, None, None)
            joined = item.duplicate_of
            rows.append(
                {
                    "platform": post.platform[:64],
                    "remote_id": post.remote_id,
                    "raw_payload_id": item.raw_id,
                    "source_id": None,
                    "text": post.text,
                    "title": post.title[:1000] if post.title else None,
                    "url": post.url[:2000] if post.url else None,
                    "author_handle": author.handle[:300] if author.handle else None,
                    "author_name": author.name[:300] if author.name else None,
                    "author_remote_id": author.remote_id[:300] if author.remote_id else None,
                    "author_followers": author.followers,
                    "created_at": post.created_at,
                    "ingested_at": now,
                    "parent_remote_id": post.parent_remote_id,
                    "thread_remote_id": post.thread_remote_id,
                    "metrics": dict(post.metrics),
                    "media": [media.model_dump() for media in post.media] if post.media else [],
                    "language": enrichment.language[:16],
                    "sentiment": enrichment.sentiment.value,
                    "author_kind": enrichment.author_kind.value,
                    "influence": enrichment.influence,
                    "verdict": item.screening.verdict.value if item.screening else UNSCREENED,
                    "content_hash": item.content_hash,
                    "minhash": item.signature,
                    "sim_band0": bands[0],
                    "sim_band1": bands[1],
                    "sim_band2": bands[2],
                    "sim_band3": bands[3],
                    # a post joining a group that already exists links to it now; new groups are linked later
                    "duplicate_group_id": joined.group_id if joined is not None else None,
                    "is_duplicate": joined is not None,
                }
            )
        session.execute(POSTS.insert(), rows)  # executemany; ids looked up by key below
        wanted: dict[str, list[str]] = {}
        for item in new_posts:
            wanted.setdefault(item.post.platform, []).append(item.post.remote_id)
        ids: dict[tuple[str, str], int] = {}
        posts = POSTS.c
        for platform, remote_ids in wanted.items():
            for chunk in _chunks(remote_ids):
                for post_id, remote_id in session.execute(
                    sa.select(posts.id, posts.remote_id).where(
                        posts.platform == platform, posts.remote_id.in_(chunk)
                    )
                ):
                    ids[(platform, remote_id)] = post_id
        for item in new_posts:
            item.post_id = ids[item.post.key]
        explanations = _explanations_adapter()
        enrichment_rows: list[dict[str, Any]] = []
        intent_rows: list[dict[str, Any]] = []
        finding_rows: list[dict[str, Any]] = []
        for item in new_posts:
            enrichment = item.enrichment or _NO_ENRICHMENT
            screening = item.screening
            enrichment_rows.append(
                {
                    "post_id": item.post_id,
                    "language": enrichment.language[:16],
                    "language_confidence": enrichment.language_confidence,
                    "sentiment": enrichment.sentiment.value,
                    "sentiment_scores": dict(enrichment.sentiment_scores),
                    "intents": [intent.value for intent in enrichment.intents],
                    "intent_scores": dict(enrichment.intent_scores),
                    "author_kind": enrichment.author_kind.value,
                    "influence": enrichment.influence,
                    "components": dict(enrichment.components),
                    "explanations": explanations.dump_python(enrichment.explanations, mode="json"),
                    "failures": [f.model_dump(mode="json") for f in enrichment.failures],
                    "screening_verdict": screening.verdict.value if screening else UNSCREENED,
                    "screening_reasons": list(screening.reasons) if screening else [],
                    "screening_components": list(screening.components) if screening else [],
                    "screening_error": item.screening_error,
                    "enriched_at": now,
                }
            )
            for intent in dict.fromkeys(enrichment.intents):
                intent_rows.append(
                    {
                        "post_id": item.post_id,
                        "intent": intent.value,
                        "score": enrichment.intent_scores.get(intent.value),
                    }
                )
            for finding in screening.findings if screening else ():
                finding_rows.append(
                    {
                        "post_id": item.post_id,
                        "type": str(finding.type),
                        "span_start": finding.start,
                        "span_end": finding.end,
                        "component": finding.component[:120],
                        "rule": finding.rule[:120],
                        "score": float(finding.score),
                        "explanation": finding.explanation[:1000],
                        "organizational": finding.organizational,
                    }
                )
        session.execute(POST_ENRICHMENTS.insert(), enrichment_rows)
        if intent_rows:
            session.execute(POST_INTENTS.insert(), intent_rows)
        if finding_rows:
            session.execute(POST_FINDINGS.insert(), finding_rows)

    @staticmethod
    def _link_groups(session: Session, new_posts: list[_NewPost], now: Any) -> int:
        """Create the groups the batch needs (one per canonical post, ever), link the posts that could not be
        linked at insert time, and grow the groups. Returns how many posts joined a group."""
        targets = [item.duplicate_of for item in new_posts if item.duplicate_of is not None]
        if not targets:
            return 0
        fresh: dict[int, _Canonical] = {}  # canonicals that need a group, by identity
        for target in targets:
            if target.group_id is None:
                fresh.setdefault(id(target), target)
        links: list[dict[str, Any]] = []
        if fresh:
            canonical_ids: list[int] = []
            for target in fresh.values():
                canonical_id = target.post_id
                if canonical_id is None and target.batch_index is not None:
                    canonical_id = new_posts[target.batch_index].post_id
                assert canonical_id is not None
                canonical_ids.append(canonical_id)
            session.execute(
                DUPLICATE_GROUPS.insert(),
                [
                    {
                        "canonical_post_id": canonical_id,
                        "method": "exact",
                        "size": 1,
                        "first_seen_at": now,
                        "last_seen_at": now,
                    }
                    for canonical_id in canonical_ids
                ],
            )
            groups = DUPLICATE_GROUPS.c
            by_canonical: dict[int, int] = {}
            for chunk in _chunks(canonical_ids):
                for group_id, canonical_id in session.execute(
                    sa.select(groups.id, groups.canonical_post_id).where(groups.canonical_post_id.in_(chunk))
                ):
                    by_canonical[canonical_id] = group_id  # canonical posts get one group, ever
            for target, canonical_id in zip(fresh.values(), canonical_ids, strict=True):
                target.group_id = by_canonical[canonical_id]
                links.append({"b_id": canonical_id, "b_group": target.group_id})
        growth: dict[int, int] = {}
        near_groups: set[int] = set()
        for item in new_posts:
            joined = item.duplicate_of
            if joined is None or joined.group_id is None:
                continue
            group_id = joined.group_id
            growth[group_id] = growth.get(group_id, 0) + 1
            if item.method == "near":
                near_groups.add(group_id)
            if id(joined) in fresh:  # the group was made just now: the post was inserted without it
                links.append({"b_id": item.post_id, "b_group": group_id})
        if links:
            posts = POSTS.c
            session.execute(
                sa.update(POSTS)
                .where(posts.id == sa.bindparam("b_id"))
                .values(duplicate_group_id=sa.bindparam("b_group")),
                links,
            )
        by_change: dict[tuple[int, bool], list[int]] = {}
        for group_id, extra in growth.items():
            by_change.setdefault((extra, group_id in near_groups), []).append(group_id)
        groups = DUPLICATE_GROUPS.c
        for (extra, near), group_ids_changed in by_change.items():
            values: dict[str, Any] = {"size": groups.size + extra, "last_seen_at": now}
            if near:
                values["method"] = "near"
            for chunk in _chunks(group_ids_changed):
                session.execute(sa.update(DUPLICATE_GROUPS).where(groups.id.in_(chunk)).values(**values))
        return len(targets)

    def _match_topics(self, session: Session, new_posts: list[_NewPost], now: Any) -> None:
        if not self.matchers:
            return
        rows: list[dict[str, Any]] = []
        for item in new_posts:
            language = item.enrichment.language if item.enrichment else None
            doc = MatchDocument.of(item.post, item.post.language or language)
            for topic_id, query in self.matchers:
                if query.matches(doc):
                    item.topic_ids.append(topic_id)
                    rows.append(
                        {
                            "topic_id": topic_id,
                            "post_id": item.post_id,
                            "post_created_at": item.post.created_at,
                            "matched_at": now,
                        }
                    )
        if rows:
            session.execute(TOPIC_MATCHES.insert(), rows)


_NO_ENRICHMENT = Enrichment()
_EXPLANATIONS: list[TypeAdapter[tuple[Explanation, ...]]] = []


def _explanations_adapter() -> TypeAdapter[tuple[Explanation, ...]]:
    """Dumps a post's explanations in one call (built on first use, not at import)."""
    if not _EXPLANATIONS:
        _EXPLANATIONS.append(TypeAdapter(tuple[Explanation, ...]))
    return _EXPLANATIONS[0]


# --- file import ---------------------------------------------------------------------------------------------

ProgressCallback = Callable[[int, int, IngestCounts], None]


@dataclass
class ImportReport:
    counts: IngestCounts
    run_id: int
    file: str

    def to_dict(self) -> dict[str, int]:
        return self.counts.to_dict()


def import_file(
    db: Database,
    actor: Actor,
    path: Path,
    *,
    origin: Origin,
    file_format: str | None = None,
    mapping: dict[str, Any] | None = None,
    batch_size: int = 1000,
    strict: bool = False,
    ingestor: Ingestor | None = None,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Import a CSV/JSONL file. Bad lines go to the quarantine (or, with ``strict``, nothing is imported when
    any line is bad). Re-importing the same file stores nothing new."""
    actor.require(IMPORT_POSTS)
    if not path.is_file():
        raise ValidationFailed(f"{path} is not a readable file.", hint="Check the path.")
    from rounds.connectors.file_import.client import FileImportConnector, iter_file

    options: dict[str, Any] = {"path": path, "batch_size": batch_size}
    if file_format:
        options["format"] = file_format
    if mapping:
        options["mapping"] = mapping
    http = httpx.Client()  # the file connector makes no requests; the protocol wants a client
    try:
        connector = FileImportConnector(options, http=http, clock=SystemClock())
        if strict:
            bad = [
                outcome.line
                for outcome in iter_file(
                    path, file_format=connector.options.format, mapping=connector.options.mapping
                )
                if isinstance(outcome.result, ParseFailure)
            ]
            if bad:
                shown = ", ".join(str(line) for line in bad[:20])
                raise ImportFailed(
                    f"Nothing imported: {len(bad)} bad line(s) ({shown}{', ...' if len(bad) > 20 else ''}).",
                    hint="Fix the lines, or import without --strict to quarantine them.",
                )
        ingestor = ingestor or Ingestor(db, actor.organization_id)
        with db.session() as session:
            run = IngestRun(organization_id=actor.organization_id, connector=connector.name, label=path.name)
            session.add(run)
            session.flush()
            run_id = run.id
        total_bytes = path.stat().st_size
        counts = IngestCounts()
        cursor = Cursor()
        while True:
            batch = connector.fetch(cursor)
            if batch.health.status is not HealthStatus.OK:
                _finish_run(db, run_id, "failed", batch.health.detail)
                raise ImportFailed(f"Import of {path.name} stopped: {batch.health.detail}.")
            if batch.raw_payloads:
                next_cursor = batch.next_cursor

                def advance(session: Session, next_cursor: Cursor = next_cursor) -> None:
                    session.execute(
                        sa.update(IngestRun)
                        .where(IngestRun.id == run_id)
                        .values(cursor=next_cursor.to_json())
                    )

                stored = ingestor.store(batch.raw_payloads, advance=advance)
                counts.add(ingestor.process(stored, run_id=run_id))
            cursor = batch.next_cursor
            if progress is not None:
                progress(int(cursor.get("offset") or total_bytes), total_bytes, counts)
            if cursor.get("done") or not batch.raw_payloads:
                break
    finally:
        http.close()
    with db.session() as session:
        run_row = session.get(IngestRun, run_id)
        assert run_row is not None
        run_row.status = "completed"
        run_row.finished_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action=audit_action(ListeningAuditAction.IMPORT_COMPLETED),
            object_type="ingest_run",
            object_id=run_id,
            after={"file": path.name, **counts.to_dict(), "grouped": counts.grouped},
            origin=origin,
        )
    return ImportReport(counts=counts, run_id=run_id, file=path.name)


def _finish_run(db: Database, run_id: int, status: str, detail: str) -> None:
    with db.session() as session:
        run = session.get(IngestRun, run_id)
        if run is not None:
            run.status = status
            run.detail = detail[:1000]
            run.finished_at = utcnow()
