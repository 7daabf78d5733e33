"""X (Twitter) API v2 recent search."""

from rounds.connectors.x.client import XRecentSearchConnector

__all__ = ["XRecentSearchConnector"]
