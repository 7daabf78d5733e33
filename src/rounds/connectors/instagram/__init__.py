"""Instagram comments, mentions (tags) and hashtag media over the Graph API."""

from rounds.connectors.instagram.client import InstagramConnector

__all__ = ["InstagramConnector"]
