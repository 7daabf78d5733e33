"""YouTube Data API v3 comment threads."""

from rounds.connectors.youtube.client import YouTubeCommentsConnector

__all__ = ["YouTubeCommentsConnector"]
