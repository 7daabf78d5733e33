"""Reddit: subreddit listings, search and comments over OAuth app-only."""

from rounds.connectors.reddit.client import RedditConnector

__all__ = ["RedditConnector"]
