"""The one connector registry (CONVENTIONS.md 4-5).

Adding a platform is one class and one line in :func:`default_registry`. The registry creates connectors by
name and replays stored payloads through the parser registered for their ``kind``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import httpx

from rounds.connectors.base import BaseConnector, Credentials, ParseFunction
from rounds.connectors.clock import Clock
from rounds.domain.connectors import ParseResult, RawPayload
from rounds.domain.errors import ConfigurationError

logger = logging.getLogger(__name__)


class Registry:
    def __init__(self) -> None:
        self._types: dict[str, type[BaseConnector]] = {}
        self._parsers: dict[str, ParseFunction] = {}

    def register(self, connector_type: type[BaseConnector]) -> type[BaseConnector]:
        name = connector_type.name
        if name in self._types:
            raise ValueError(f"connector {name} is registered twice")
        for kind in connector_type.parsers:
            if kind in self._parsers and self._parsers[kind] is not connector_type.parsers[kind]:
                raise ValueError(f"payload kind {kind} has two different parsers")
        self._types[name] = connector_type
        self._parsers.update(connector_type.parsers)
        return connector_type

    def names(self) -> list[str]:
        return sorted(self._types)

    def kinds(self) -> list[str]:
        return sorted(self._parsers)

    def get(self, name: str) -> type[BaseConnector]:
        try:
            return self._types[name]
        except KeyError:
            raise ConfigurationError(
                f"unknown connector '{name}'", hint=f"choose one of: {', '.join(self.names())}"
            ) from None

    def create(
        self,
        name: str,
        options: Mapping[str, Any],
        credentials: Credentials | Mapping[str, str] | None = None,
        *,
        http: httpx.Client,
        clock: Clock,
    ) -> BaseConnector:
        return self.get(name)(options, credentials, http=http, clock=clock)

    def parse(self, raw: RawPayload) -> ParseResult:
        """Parse a (stored) payload; never raises: a parser bug becomes a failure with its reason."""
        parser = self._parsers.get(raw.kind)
        if parser is None:
            return ParseResult.failure(
                f"no parser for payload kind '{raw.kind}'", platform=raw.platform, kind=raw.kind
            )
        try:
            return parser(raw)
        except Exception as error:  # a parser bug must not stop ingest; the payload goes to quarantine
            logger.exception("parser for %s crashed", raw.kind)
            return ParseResult.failure(
                f"parser crashed: {type(error).__name__}",
                platform=raw.platform,
                kind=raw.kind,
                remote_id=raw.remote_id,
            )

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Name -> platform, payload kinds and credential keys; a test pins it (CONVENTIONS.md 5)."""
        return {
            name: {
                "platform": connector_type.platform,
                "kinds": sorted(connector_type.parsers),
                "credentials": list(connector_type.credential_keys),
            }
            for name, connector_type in sorted(self._types.items())
        }


def default_registry() -> Registry:
    """All built-in connectors; one line each."""
    from rounds.connectors.bluesky.client import BlueskyJetstreamConnector, BlueskySearchConnector
    from rounds.connectors.facebook.client import FacebookPageConnector
    from rounds.connectors.file_import.client import FileImportConnector
    from rounds.connectors.instagram.client import InstagramConnector
    from rounds.connectors.mastodon.client import MastodonConnector, MastodonStreamConnector
    from rounds.connectors.reddit.client import RedditConnector
    from rounds.connectors.rss.client import FeedConnector
    from rounds.connectors.x.client import XRecentSearchConnector
    from rounds.connectors.youtube.client import YouTubeCommentsConnector

    registry = Registry()
    registry.register(FileImportConnector)
    registry.register(XRecentSearchConnector)
    registry.register(RedditConnector)
    registry.register(MastodonConnector)
    registry.register(MastodonStreamConnector)
    registry.register(FeedConnector)
    registry.register(BlueskyJetstreamConnector)
    registry.register(BlueskySearchConnector)
    registry.register(YouTubeCommentsConnector)
    registry.register(FacebookPageConnector)
    registry.register(InstagramConnector)
    return registry
