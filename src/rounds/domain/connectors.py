"""Connector domain types: what a connector run hands to the ingest service.

The contract (DESIGN.md "nothing lost, nothing doubled"):

1. ``Connector.fetch(cursor)`` returns a :class:`FetchBatch`: the raw payloads exactly as the platform sent them,
   the cursor to resume from *after* those payloads are stored, and the connector's health.
2. The ingest service stores every :class:`RawPayload` first, then saves ``next_cursor``. A crash between the two
   re-fetches the same payloads; processing is idempotent on (platform, remote id).
3. Parsing is separate and pure: ``parse(raw) -> ParseResult``; it can be replayed later from stored payloads.

Nothing here holds post text in logs or reprs of health; ``Health.detail`` is written for operators and never
contains post text or credentials.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rounds.domain.posts import Post


class HealthStatus(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    AUTH_EXPIRED = "auth_expired"
    RATE_LIMITED = "rate_limited"
    ERROR = "error"


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("datetimes must carry a time zone")
    return value


class Health(BaseModel):
    """The status shown in the UI for one connector after a run."""

    model_config = ConfigDict(frozen=True)

    status: HealthStatus
    detail: str = ""
    checked_at: datetime
    retry_after: datetime | None = None
    """When the platform said we may call again (rate limits), or when a retry is sensible."""

    _check_checked = field_validator("checked_at")(_aware)
    _check_retry = field_validator("retry_after")(_aware)

    @property
    def ok(self) -> bool:
        return self.status is HealthStatus.OK


class Cursor(BaseModel):
    """Where a connector resumes. Opaque to the caller; store it with :meth:`to_json`."""

    model_config = ConfigDict(frozen=True)

    values: dict[str, str] = Field(default_factory=dict)

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def with_values(self, **changes: str | None) -> Cursor:
        """A new cursor with ``changes`` applied; ``None`` removes a key."""
        merged = dict(self.values)
        for key, value in changes.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        return Cursor(values=merged)

    def to_json(self) -> str:
        return json.dumps(self.values, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Cursor:
        loaded = json.loads(text)
        if not isinstance(loaded, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in loaded.items()
        ):
            raise ValueError("a stored cursor must be a JSON object of strings")
        return cls(values=loaded)


class RawPayload(BaseModel):
    """One payload exactly as received, enough to parse it again later without the connector.

    ``kind`` names the payload shape (``"x.search_recent"``, ``"bluesky.jetstream_event"``...) and selects the
    parser in the registry. ``meta`` carries the non-secret context a parser needs (feed URL, instance, the post a
    comments page belongs to); it never holds credentials.
    """

    model_config = ConfigDict(frozen=True)

    platform: str
    kind: str
    body: bytes
    fetched_at: datetime
    remote_id: str | None = None
    source: str = ""
    meta: dict[str, str] = Field(default_factory=dict)

    _check_fetched = field_validator("fetched_at")(_aware)

    def __repr__(self) -> str:  # never print bodies (they hold post text)
        return (
            f"RawPayload(platform={self.platform!r}, kind={self.kind!r}, remote_id={self.remote_id!r}, "
            f"bytes={len(self.body)})"
        )

    __str__ = __repr__


class FetchBatch(BaseModel):
    """The result of one ``fetch``: store ``raw_payloads`` first, then ``next_cursor``."""

    model_config = ConfigDict(frozen=True)

    connector: str
    raw_payloads: tuple[RawPayload, ...] = ()
    next_cursor: Cursor = Field(default_factory=Cursor)
    health: Health


class ParseFailure(BaseModel):
    """Why a payload (or one item or line in it) could not become a Post. Shown in the quarantine."""

    model_config = ConfigDict(frozen=True)

    reason: str
    platform: str = ""
    kind: str = ""
    remote_id: str | None = None
    line: int | None = None
    """1-based line (file import) or item index within the payload, when known."""


class ParseResult(BaseModel):
    """Posts parsed from one raw payload; failing items are recorded and skipped, the rest go on."""

    model_config = ConfigDict(frozen=True)

    posts: tuple[Post, ...] = ()
    failures: tuple[ParseFailure, ...] = ()
    deleted_remote_ids: tuple[str, ...] = ()
    """Remote ids the platform reported as deleted (Jetstream delete commits)."""
    skipped: tuple[str, ...] = ()
    """Known events that carry no post (heartbeats, identity changes); reasons, no text."""

    @property
    def ok(self) -> bool:
        return not self.failures

    @classmethod
    def failure(
        cls,
        reason: str,
        *,
        platform: str = "",
        kind: str = "",
        remote_id: str | None = None,
        line: int | None = None,
    ) -> ParseResult:
        return cls(
            failures=(
                ParseFailure(reason=reason, platform=platform, kind=kind, remote_id=remote_id, line=line),
            )
        )
