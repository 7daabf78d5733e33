"""The embedded scheduler: inside ``rounds serve`` (embedded mode), run each enabled connector source on its
interval in one background thread, sync the inbox (new posts become cases) and check response-target breaches,
then deliver due alert notifications.

* :meth:`ListeningScheduler.tick` is one pass: for every organization, the sources whose interval has passed (and
  that are not waiting out a rate limit) run one after another; one failing source, even with an unexpected
  exception, never stops the others. Tests call ``tick`` directly with a fake clock; nothing sleeps.
* The thread is started and stopped with the web app's lifespan (:func:`embedded_lifespan`). It is off in
  scale-out mode (a broker is configured: ``rounds scheduler`` does this job there), in the test environment,
  and when ``ROUNDS_SCHEDULER_ENABLED=false``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx

from rounds.connectors.clock import Clock, SystemClock
from rounds.connectors.registry import Registry, default_registry
from rounds.db import Database
from rounds.services.context import Actor, Origin
from rounds.services.listening_runs import SourceRunResult
from rounds.services.listening_schedule import (
    deliver_due,
    due_source_ids,
    make_ingestor,
    organization_ids,
    run_sources,
)
from rounds.settings import Settings

logger = logging.getLogger(__name__)

ORIGIN = Origin(ip="local", user_agent="rounds scheduler", channel="system")


def scheduler_wanted(settings: Settings) -> bool:
    """Whether ``rounds serve`` should run the embedded scheduler with these settings."""
    if settings.broker_url:
        return False  # scale-out: the separate `rounds scheduler` process runs sources
    if settings.scheduler_enabled is None:
        return settings.environment != "test"
    return settings.scheduler_enabled


class ListeningScheduler:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        http: httpx.Client | None = None,
        clock: Clock | None = None,
        registry: Registry | None = None,
        poll_seconds: float | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock or SystemClock()
        self.registry = registry or default_registry()
        self._own_http = http is None
        self.http = http or httpx.Client(timeout=30.0, follow_redirects=True)
        self.poll_seconds = float(poll_seconds or settings.scheduler_poll_seconds)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self, now: Any = None) -> list[SourceRunResult]:
        """One pass over every organization's due sources; returns what ran."""
        moment = now or self.clock.now()
        results: list[SourceRunResult] = []
        try:
            organizations = organization_ids(self.db)
        except Exception as error:
            logger.warning("scheduler: cannot list organizations: %s", type(error).__name__)
            return results
        for organization_id in organizations:
            actor = Actor.system(organization_id)
            try:
                due = due_source_ids(self.db, actor, moment)
                if due:
                    ingestor = make_ingestor(self.db, organization_id, self.registry)
                    results.extend(
                        run_sources(
                            self.db,
                            self.settings,
                            actor,
                            due,
                            origin=ORIGIN,
                            http=self.http,
                            ingestor=ingestor,
                            clock=self.clock,
                            registry=self.registry,
                        )
                    )
            except Exception as error:  # one organization's trouble never stops the others
                logger.warning("scheduler: organization %s failed: %s", organization_id, type(error).__name__)
            self.inbox_tick(actor, moment)
        try:
            deliver_due(self.db, self.settings, http=self.http, clock=self.clock)
        except Exception as error:
            logger.warning("scheduler: delivering notifications failed: %s", type(error).__name__)
        for result in results:
            logger.info(
                "source %s: %s, stored %s, quarantined %s",
                result.source_id,
                result.status,
                result.stored,
                result.quarantined,
            )
        return results

    def inbox_tick(self, actor: Actor, moment: Any) -> None:
        """The inbox after the sources: new stored posts become or join cases (escalating emergencies at
        once), waiting cases are re-triaged (priority grows with the wait), then response and resolution target
        breaches are alerted (idempotent). Each step fails on its own."""
        from rounds.services.inbox_alerts import check_breaches
        from rounds.services.inbox_sync import do_retriage_cases, do_sync_cases

        try:
            report = do_sync_cases(self.db, actor, origin=ORIGIN, now=moment)
            if report.created or report.joined:
                logger.info(
                    "inbox %s: %s new cases, %s joined", actor.organization_id, report.created, report.joined
                )
        except Exception as error:
            logger.warning(
                "scheduler: inbox sync for %s failed: %s", actor.organization_id, type(error).__name__
            )
        try:
            retriage = do_retriage_cases(self.db, actor, origin=ORIGIN, now=moment)
            if retriage.changed:
                logger.info("inbox %s: %s cases re-triaged", actor.organization_id, retriage.changed)
        except Exception as error:
            logger.warning(
                "scheduler: inbox re-triage for %s failed: %s", actor.organization_id, type(error).__name__
            )
        try:
            breaches = check_breaches(self.db, actor, moment, origin=ORIGIN)
            if breaches.breached:
                logger.info("inbox %s: %s response-target breaches", actor.organization_id, breaches.breached)
        except Exception as error:
            logger.warning(
                "scheduler: breach check for %s failed: %s", actor.organization_id, type(error).__name__
            )

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            self.tick()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="rounds-scheduler", daemon=True)
        self._thread.start()
        logger.info("embedded scheduler started (checks every %.0f s)", self.poll_seconds)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._own_http:
            self.http.close()


def embedded_lifespan(settings: Settings, db: Database) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A FastAPI lifespan that runs the scheduler while the app serves (when :func:`scheduler_wanted`)."""

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        scheduler = ListeningScheduler(db, settings) if scheduler_wanted(settings) else None
        if scheduler is not None:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()

    return lifespan
