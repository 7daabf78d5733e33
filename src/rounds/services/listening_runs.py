"""Running connector sources: recover pending payloads, fetch, store (then the cursor), process, record health.

One source's failure (HTTP 401/403/429/500, timeouts, a crash) becomes its health status and never stops the
others. A source told to wait (rate limits) is skipped until its ``retry_after``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import httpx
import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from rounds.connectors.base import Credentials, safe_fetch
from rounds.connectors.clock import Clock, SystemClock
from rounds.connectors.registry import Registry, default_registry
from rounds.db import Database
from rounds.db.listening import ConnectorSource, IngestRun
from rounds.db.models import utcnow
from rounds.domain.connectors import Cursor, FetchBatch, HealthStatus
from rounds.domain.errors import RoundsError
from rounds.domain.topics import ListeningAuditAction
from rounds.services import audit
from rounds.services.context import Actor, Origin
from rounds.services.listening import MANAGE_CONNECTORS, audit_action, decrypt_secret
from rounds.services.listening_alerts import DeliveryReport
from rounds.services.listening_ingest import IngestCounts, Ingestor
from rounds.settings import Settings

logger = logging.getLogger(__name__)


class SourceRunResult(BaseModel):
    source_id: int
    name: str
    status: str
    detail: str
    read: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    skipped: bool = False


class ListenReport(BaseModel):
    recovered: dict[str, int]
    sources: list[SourceRunResult]
    notifications: DeliveryReport


def _record_health(session: Session, source_id: int, batch: FetchBatch | None, now: datetime) -> None:
    source = session.get(ConnectorSource, source_id)
    if source is None:
        return
    source.last_run_at = now
    if batch is not None:
        source.health_status = batch.health.status.value
        source.health_detail = batch.health.detail[:1000]
        source.health_checked_at = batch.health.checked_at
        source.retry_after = batch.health.retry_after


def run_source(
    db: Database,
    settings: Settings,
    source: ConnectorSource,
    ingestor: Ingestor,
    *,
    http: httpx.Client,
    clock: Clock,
    registry: Registry,
    max_batches: int = 50,
) -> SourceRunResult:
    """Fetch until the connector has nothing more (or ``max_batches``), storing before each cursor move."""
    result = SourceRunResult(source_id=source.id, name=source.name, status="ok", detail="")
    counts = IngestCounts()
    try:
        credentials = Credentials(decrypt_secret(settings, source.credentials_encrypted))
        connector = registry.create(source.connector, source.options, credentials, http=http, clock=clock)
    except RoundsError as error:
        with db.session() as session:
            row = session.get(ConnectorSource, source.id)
            if row is not None:
                row.health_status = HealthStatus.ERROR.value
                row.health_detail = error.message[:1000]
                row.health_checked_at = clock.now()
                row.last_run_at = clock.now()
        return SourceRunResult(source_id=source.id, name=source.name, status="error", detail=error.message)
    with db.session() as session:
        run = IngestRun(
            organization_id=source.organization_id,
            source_id=source.id,
            connector=source.connector,
            label=source.name,
        )
        session.add(run)
        session.flush()
        run_id = run.id
    cursor = Cursor.from_json(source.cursor or "{}")
    batch: FetchBatch | None = None
    for _ in range(max_batches):
        batch = safe_fetch(connector, cursor, clock)
        if batch.raw_payloads or batch.next_cursor != cursor:
            next_cursor = batch.next_cursor

            def advance(session: Session, next_cursor: Cursor = next_cursor) -> None:
                session.execute(
                    sa.update(ConnectorSource)
                    .where(ConnectorSource.id == source.id)
                    .values(cursor=next_cursor.to_json(), updated_at=utcnow())
                )
                session.execute(
                    sa.update(IngestRun).where(IngestRun.id == run_id).values(cursor=next_cursor.to_json())
                )

            stored = ingestor.store(batch.raw_payloads, source_id=source.id, advance=advance)
            if stored:
                counts.add(ingestor.process(stored, run_id=run_id))
        moved = batch.next_cursor != cursor
        cursor = batch.next_cursor
        if not batch.health.ok or not batch.raw_payloads or not moved or cursor.get("done"):
            break
    with db.session() as session:
        _record_health(session, source.id, batch, clock.now())
        run_row = session.get(IngestRun, run_id)
        if run_row is not None:
            run_row.status = "completed" if batch is None or batch.health.ok else "failed"
            run_row.detail = (batch.health.detail if batch else "")[:1000]
            run_row.finished_at = clock.now()
    if batch is not None:
        result.status = batch.health.status.value
        result.detail = batch.health.detail
    result.read, result.stored = counts.read, counts.stored
    result.duplicates, result.quarantined = counts.duplicates, counts.quarantined
    return result


def run_once(
    db: Database,
    settings: Settings,
    actor: Actor,
    *,
    origin: Origin,
    http: httpx.Client | None = None,
    clock: Clock | None = None,
    registry: Registry | None = None,
    ingestor: Ingestor | None = None,
    on_source: Callable[[SourceRunResult], None] | None = None,
) -> ListenReport:
    """One pass over every enabled source of the organization, then due notifications are delivered."""
    actor.require(MANAGE_CONNECTORS)
    clock = clock or SystemClock()
    registry = registry or default_registry()
    ingestor = ingestor or Ingestor(db, actor.organization_id, registry=registry)
    own_http = http is None
    client = http or httpx.Client(timeout=30.0, follow_redirects=True)
    try:
        recovered = ingestor.recover()
        with db.session() as session:
            sources = list(
                session.execute(
                    sa.select(ConnectorSource)
                    .where(
                        ConnectorSource.organization_id == actor.organization_id,
                        ConnectorSource.enabled.is_(True),
                    )
                    .order_by(ConnectorSource.id)
                ).scalars()
            )
        results: list[SourceRunResult] = []
        now = clock.now()
        for source in sources:
            if source.retry_after is not None and source.retry_after > now:
                result = SourceRunResult(
                    source_id=source.id,
                    name=source.name,
                    status=source.health_status,
                    detail=f"waiting until {source.retry_after.isoformat()} (rate limited)",
                    skipped=True,
                )
            else:
                try:
                    result = run_source(
                        db, settings, source, ingestor, http=client, clock=clock, registry=registry
                    )
                except RoundsError as error:  # e.g. database busy: this source fails, the others go on
                    logger.warning("source %s failed: %s", source.id, error.code)
                    result = SourceRunResult(
                        source_id=source.id, name=source.name, status="error", detail=error.message
                    )
            results.append(result)
            if on_source is not None:
                on_source(result)
        # The same end as a scheduler tick: signal checks left pending, then due notifications.
        from rounds.services.listening_schedule import deliver_due

        delivery = deliver_due(db, settings, http=client, clock=clock)
        with db.session() as session:
            audit.record(
                session,
                actor=actor,
                action=audit_action(ListeningAuditAction.LISTEN_RUN_COMPLETED),
                object_type="listening",
                after={
                    "sources": len(results),
                    "stored": sum(r.stored for r in results),
                    "failed": sum(1 for r in results if r.status not in ("ok",) and not r.skipped),
                },
                origin=origin,
            )
    finally:
        if own_http:
            client.close()
    return ListenReport(recovered=recovered.to_dict(), sources=results, notifications=delivery)
