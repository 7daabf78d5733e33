"""The one connector protocol, the shared base class and the run helper.

A connector is a class with a registry name, a platform, the parsers for the payload kinds it produces, and
``fetch(cursor) -> FetchBatch``. Parsing never needs the connector instance (nor credentials): stored payloads
are replayed through :meth:`rounds.connectors.registry.Registry.parse`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Protocol, runtime_checkable

import httpx
from pydantic import BaseModel, ValidationError

from rounds.connectors.clock import Clock
from rounds.connectors.platform_http import ConnectorProblem
from rounds.domain.connectors import Cursor, FetchBatch, Health, HealthStatus, ParseResult, RawPayload
from rounds.domain.errors import ConfigurationError

logger = logging.getLogger(__name__)

ParseFunction = Callable[[RawPayload], ParseResult]


class Credentials:
    """A read-only mapping of secrets whose repr never shows the values (they must never reach a log)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values = dict(values or {})

    def require(self, key: str) -> str:
        value = self._values.get(key)
        if not value:
            raise ConfigurationError(
                f"missing credential '{key}'", hint="enter the connector's credentials in settings"
            )
        return value

    def get(self, key: str) -> str | None:
        return self._values.get(key) or None

    def keys(self) -> list[str]:
        return sorted(self._values)

    def __repr__(self) -> str:
        return f"Credentials(keys={self.keys()!r})"

    __str__ = __repr__


@runtime_checkable
class Connector(Protocol):
    """What the run loop and the ingest service see."""

    name: ClassVar[str]
    platform: ClassVar[str]

    @property
    def instance_name(self) -> str:
        """The registry name plus what this instance watches (no secrets), for logs and the UI."""
        ...

    def fetch(self, cursor: Cursor) -> FetchBatch: ...


class Progress:
    """What a fetch has gathered so far; on a failure the batch still hands back the completed pages."""

    def __init__(self, cursor: Cursor) -> None:
        self.raw_payloads: list[RawPayload] = []
        self.cursor = cursor

    def add(self, raw: RawPayload) -> None:
        self.raw_payloads.append(raw)


class BaseConnector:
    """Shared plumbing: options validation, credentials, the clock, and turning problems into health.

    Subclasses set ``name``, ``platform``, ``parsers`` and ``Options`` and implement ``_fetch``, which adds the
    payload of each completed page to ``progress`` and moves ``progress.cursor`` only past stored-able pages.
    """

    name: ClassVar[str]
    platform: ClassVar[str]
    parsers: ClassVar[Mapping[str, ParseFunction]]
    Options: ClassVar[type[BaseModel]]
    credential_keys: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        options: Mapping[str, Any],
        credentials: Credentials | Mapping[str, str] | None = None,
        *,
        http: httpx.Client,
        clock: Clock,
    ) -> None:
        try:
            self.options: Any = self.Options.model_validate(dict(options))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in item['loc']) or 'options'}: {item['msg']}"
                for item in error.errors()
            )
            raise ConfigurationError(
                f"invalid options for connector {self.name}: {problems}",
                hint="fix the connector's settings",
            ) from None
        self.credentials = (
            credentials if isinstance(credentials, Credentials) else Credentials(credentials or {})
        )
        for key in self.credential_keys:
            self.credentials.require(key)
        self.http_client = http
        self.clock = clock

    @property
    def instance_name(self) -> str:
        return self.name

    def fetch(self, cursor: Cursor) -> FetchBatch:
        progress = Progress(cursor)
        try:
            health = self._fetch(progress)
        except ConnectorProblem as problem:
            health = problem.health(self.clock.now())
        return FetchBatch(
            connector=self.instance_name,
            raw_payloads=tuple(progress.raw_payloads),
            next_cursor=progress.cursor,
            health=health,
        )

    def _fetch(self, progress: Progress) -> Health:
        raise NotImplementedError

    def ok(self, detail: str = "") -> Health:
        return Health(status=HealthStatus.OK, detail=detail, checked_at=self.clock.now())

    def raw(
        self, kind: str, body: bytes, *, source: str = "", remote_id: str | None = None, **meta: str
    ) -> RawPayload:
        return RawPayload(
            platform=self.platform,
            kind=kind,
            body=body,
            fetched_at=self.clock.now(),
            remote_id=remote_id,
            source=source,
            meta=meta,
        )


def safe_fetch(connector: Connector, cursor: Cursor, clock: Clock) -> FetchBatch:
    """``connector.fetch`` that never raises: an unexpected exception becomes an ``error`` health."""
    try:
        return connector.fetch(cursor)
    except Exception as error:
        logger.exception("connector %s crashed", connector.instance_name)
        return FetchBatch(
            connector=connector.instance_name,
            next_cursor=cursor,
            health=Health(
                status=HealthStatus.ERROR,
                detail=f"connector failed unexpectedly: {type(error).__name__}",
                checked_at=clock.now(),
            ),
        )


def run_once(jobs: Iterable[tuple[Connector, Cursor]], clock: Clock) -> list[FetchBatch]:
    """Fetch every connector once, in order; one connector's failure never stops the others."""
    return [safe_fetch(connector, cursor, clock) for connector, cursor in jobs]
