"""Facebook Page posts and comments over the Graph API."""

from rounds.connectors.facebook.client import FacebookPageConnector

__all__ = ["FacebookPageConnector"]
