"""Running chosen connector sources: the ones due on their interval (the embedded scheduler) or one source now
(the "Run now" button). Built on :func:`rounds.services.listening_runs.run_source`.

One source's failure, even an unexpected exception, becomes that source's result and never stops the others.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa

from rounds.connectors.clock import Clock, SystemClock
from rounds.connectors.registry import Registry, default_registry
from rounds.db import Database
from rounds.db.listening import ConnectorSource
from rounds.db.models import Organization
from rounds.domain.connectors import HealthStatus
from rounds.domain.enrichment import Enrichment
from rounds.domain.posts import Post
from rounds.domain.screening import Screening
from rounds.domain.topics import ListeningAuditAction
from rounds.services import audit
from rounds.services.context import Actor, Origin
from rounds.services.listening import MANAGE_CONNECTORS, audit_action, load_source
from rounds.services.listening_alerts import DeliveryReport, deliver_notifications, smtp_sender
from rounds.services.listening_ingest import (
    EnricherLike,
    Ingestor,
    OrganizationScreen,
    ScreenFunction,
    default_enricher,
)
from rounds.services.listening_runs import SourceRunResult, run_source
from rounds.settings import Settings

logger = logging.getLogger(__name__)


class LazyEnricher:
    """The enricher, loaded (about two seconds) on the first post to enrich and then kept for the process:
    a run that finds nothing new, or a source that fails, costs no model loading."""

    def __init__(self) -> None:
        self._inner: EnricherLike | None = None
        self._lock = threading.Lock()

    def enrich_many(self, posts: Iterable[Post]) -> Iterator[Enrichment]:
        with self._lock:
            if self._inner is None:
                self._inner = default_enricher()
        return self._inner.enrich_many(posts)


class LazyScreen:
    """An inbound screener, made on first use and then kept; passes batches through to ``screen_many`` so
    connector runs screen each batch with one call."""

    def __init__(self, factory: Callable[[], ScreenFunction]) -> None:
        self._factory = factory
        self._inner: ScreenFunction | None = None
        self._lock = threading.Lock()

    def _load(self) -> ScreenFunction:
        with self._lock:
            if self._inner is None:
                self._inner = self._factory()
            return self._inner

    def __call__(self, text: str) -> Screening:
        return self._load()(text)

    def screen_many(self, texts: Sequence[str]) -> list[Screening]:
        inner = self._load()
        many = getattr(inner, "screen_many", None)
        if many is None:
            return [inner(text) for text in texts]
        return list(many(texts))


_SHARED_ENRICHER = LazyEnricher()
"""One lazily loaded enricher per process, shared by the scheduler and "Run now"."""


def make_ingestor(db: Database, organization_id: int, registry: Registry) -> Ingestor:
    """An ingestor with the process's shared enricher and the organization's screener (its profile and
    policy; built on the first post to screen, batches screened with ``screen_many``)."""
    screen = LazyScreen(lambda: OrganizationScreen(db, organization_id))
    return Ingestor(db, organization_id, enricher=_SHARED_ENRICHER, screen=screen, registry=registry)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def organization_ids(db: Database) -> list[int]:
    with db.session() as session:
        return list(session.execute(sa.select(Organization.id).order_by(Organization.id)).scalars())


def due_source_ids(db: Database, actor: Actor, now: datetime) -> list[int]:
    """Enabled sources of the actor's organization whose interval has passed since their last run and that are
    not waiting out a rate limit."""
    actor.require(MANAGE_CONNECTORS)
    with db.session() as session:
        rows = session.execute(
            sa.select(
                ConnectorSource.id,
                ConnectorSource.interval_seconds,
                ConnectorSource.last_run_at,
                ConnectorSource.retry_after,
            )
            .where(
                ConnectorSource.organization_id == actor.organization_id,
                ConnectorSource.enabled.is_(True),
            )
            .order_by(ConnectorSource.id)
        ).all()
    due = []
    for source_id, interval, last_run_at, retry_after in rows:
        retry = _aware(retry_after)
        if retry is not None and retry > now:
            continue
        last = _aware(last_run_at)
        if last is None or now - last >= timedelta(seconds=interval):
            due.append(source_id)
    return due


def run_sources(
    db: Database,
    settings: Settings,
    actor: Actor,
    source_ids: Sequence[int],
    *,
    origin: Origin,
    http: httpx.Client,
    ingestor: Ingestor,
    clock: Clock | None = None,
    registry: Registry | None = None,
) -> list[SourceRunResult]:
    """Run each source in turn; each failure is recorded as that source's result and health."""
    actor.require(MANAGE_CONNECTORS)
    clock = clock or SystemClock()
    registry = registry or default_registry()
    results: list[SourceRunResult] = []
    for source_id in source_ids:
        with db.session() as session:
            source = load_source(session, actor, source_id)
        try:
            result = run_source(db, settings, source, ingestor, http=http, clock=clock, registry=registry)
        except Exception as error:  # one source never stops the others
            logger.warning("connector source %s failed: %s", source_id, type(error).__name__)
            detail = f"The run failed unexpectedly ({type(error).__name__}); see the server log."
            try:
                with db.session() as session:
                    row = session.get(ConnectorSource, source_id)
                    if row is not None:
                        row.health_status = HealthStatus.ERROR.value
                        row.health_detail = detail
                        row.health_checked_at = clock.now()
                        row.last_run_at = clock.now()
            except Exception as record_error:  # the database itself may be the problem
                logger.warning("recording the failure of source %s failed: %s", source_id, record_error)
            result = SourceRunResult(source_id=source_id, name=source.name, status="error", detail=detail)
        results.append(result)
    if results:
        with db.session() as session:
            audit.record(
                session,
                actor=actor,
                action=audit_action(ListeningAuditAction.LISTEN_RUN_COMPLETED),
                object_type="listening",
                after={
                    "sources": len(results),
                    "stored": sum(r.stored for r in results),
                    "failed": sum(1 for r in results if r.status != "ok" and not r.skipped),
                },
                origin=origin,
            )
    return results


def deliver_due(db: Database, settings: Settings, *, http: httpx.Client, clock: Clock) -> DeliveryReport:
    """The end of a scheduler tick (and of "Run now"): check topic matches still waiting for the signal
    detectors (a crash or a failure after ingest left them), then send due notifications."""
    from rounds.services.listening_signals import check_pending_signals

    try:
        check_pending_signals(db, clock.now())
    except Exception as error:  # never stops delivery
        logger.warning("checking pending signals failed: %s", type(error).__name__)
    return deliver_notifications(
        db, http=http, send_email=smtp_sender(settings), base_url=settings.base_url, now=clock.now()
    )


def run_source_now(
    db: Database,
    settings: Settings,
    actor: Actor,
    source_id: int,
    *,
    origin: Origin,
    http: httpx.Client | None = None,
    clock: Clock | None = None,
    registry: Registry | None = None,
) -> SourceRunResult:
    """The "Run now" button: run one source at once (even if disabled or not due), then deliver notifications."""
    actor.require(MANAGE_CONNECTORS)
    with db.session() as session:
        load_source(session, actor, source_id)  # NotFound first, before any work
    clock = clock or SystemClock()
    registry = registry or default_registry()
    own_http = http is None
    client = http or httpx.Client(timeout=30.0, follow_redirects=True)
    try:
        ingestor = make_ingestor(db, actor.organization_id, registry)
        ingestor.recover(source_id=source_id)
        [result] = run_sources(
            db,
            settings,
            actor,
            [source_id],
            origin=origin,
            http=client,
            ingestor=ingestor,
            clock=clock,
            registry=registry,
        )
        deliver_due(db, settings, http=client, clock=clock)
    finally:
        if own_http:
            client.close()
    return result


def connector_credential_keys() -> dict[str, list[str]]:
    """Every registered connector and the credential names it needs (for the source form)."""
    registry = default_registry()
    return {name: list(registry.get(name).credential_keys) for name in registry.names()}
