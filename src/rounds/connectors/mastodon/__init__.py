"""Mastodon: hashtag and public timelines, status search and SSE streaming on any instance."""

from rounds.connectors.mastodon.client import MastodonConnector, MastodonStreamConnector

__all__ = ["MastodonConnector", "MastodonStreamConnector"]
