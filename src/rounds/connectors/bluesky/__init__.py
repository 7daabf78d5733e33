"""Bluesky: Jetstream firehose with server-side filters, and authenticated post search."""

from rounds.connectors.bluesky.client import BlueskyJetstreamConnector, BlueskySearchConnector

__all__ = ["BlueskyJetstreamConnector", "BlueskySearchConnector"]
