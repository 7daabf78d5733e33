"""RSS/Atom news and blog feeds with conditional GET."""

from rounds.connectors.rss.client import FeedConnector

__all__ = ["FeedConnector"]
