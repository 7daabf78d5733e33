"""Facebook Page posts and their comments (Graph API, Page access token).

One fetch reads the Page feed back to the start of the look-back window (``since``, unix seconds, time-based
paging), then, for every recent post that has comments, ``/{post-id}/comments?filter=stream`` newest first, which
returns top-level comments and replies in one list.

Cursor: ``posts_since`` (``created_time`` of the newest post handed over) and ``comments_since`` (of the newest
comment handed over), unix seconds. Graph's paging cursors (``after`` and the feed's ``until``/``__paging_token``)
are followed within a fetch; a pass interrupted by an error leaves the watermark where it was, so the next fetch
reads again rather than skipping anything (parsing is idempotent on the remote id). Only pages holding something
at or after a watermark are handed over. Rate limits: Graph error codes and usage headers
(:mod:`rounds.connectors.facebook.graph`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from rounds.connectors.base import BaseConnector, Progress
from rounds.connectors.facebook import parse
from rounds.connectors.facebook.graph import (
    GRAPH_URL,
    GRAPH_VERSION,
    VERSION_PATTERN,
    GraphApi,
    has_new,
    item_time,
    newest_time,
    next_page_params,
    reached,
    watermark,
)
from rounds.connectors.platform_http import ConnectorProblem
from rounds.domain.connectors import Health, HealthStatus
from rounds.domain.posts import Platform

FEED_FIELDS = (
    "id,message,created_time,updated_time,permalink_url,from,"
    "comments.summary(true).limit(0),reactions.summary(true).limit(0),shares"
)
COMMENT_FIELDS = "id,message,created_time,from,like_count,comment_count,permalink_url,parent{id}"


class FacebookPageOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page_id: str = Field(pattern=r"^[A-Za-z0-9.]{1,100}$")
    comments: bool = True
    """Also read the comments (and replies) of recent posts."""
    lookback_days: int = Field(default=7, ge=1, le=90)
    """Posts younger than this are checked for new comments."""
    limit: int = Field(default=50, ge=1, le=100)
    max_feed_pages: int = Field(default=5, ge=1, le=50)
    max_posts_with_comments: int = Field(default=50, ge=1, le=500)
    max_comment_pages: int = Field(default=5, ge=1, le=50)
    """Per post and fetch."""
    usage_ceiling_percent: int = Field(default=90, ge=10, le=100)
    api_version: str = Field(default=GRAPH_VERSION, pattern=VERSION_PATTERN)
    base_url: str = GRAPH_URL


def _comment_count(item: Any) -> int | None:
    """``comments.summary.total_count`` of a feed item; None when unknown (then the comments are read)."""
    if not isinstance(item, dict):
        return None
    comments = item.get("comments")
    summary = comments.get("summary") if isinstance(comments, dict) else None
    count = summary.get("total_count") if isinstance(summary, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None


class FacebookPageConnector(BaseConnector):
    name: ClassVar[str] = "facebook.page"
    platform: ClassVar[str] = Platform.FACEBOOK.value
    parsers = parse.PARSERS
    Options = FacebookPageOptions
    credential_keys = ("page_access_token",)
    """``app_secret`` is optional: when given, calls carry ``appsecret_proof``."""

    @property
    def instance_name(self) -> str:
        return f"{self.name}:{self.options.page_id}"

    def _fetch(self, progress: Progress) -> Health:
        options: FacebookPageOptions = self.options
        graph = GraphApi(
            self.http_client,
            self.clock,
            platform=self.platform,
            base_url=options.base_url,
            version=options.api_version,
            access_token=self.credentials.require("page_access_token"),
            app_secret=self.credentials.get("app_secret"),
            usage_ceiling_percent=options.usage_ceiling_percent,
        )
        window_start = int((self.clock.now() - timedelta(days=options.lookback_days)).timestamp())
        notes: list[str] = []
        recent = self._read_feed(graph, progress, window_start, notes)
        if options.comments:
            self._read_comments(graph, progress, recent, notes)
        return self.ok("; ".join(notes))

    def _read_feed(
        self, graph: GraphApi, progress: Progress, window_start: int, notes: list[str]
    ) -> list[str]:
        """Stores feed pages with new posts; returns the ids of recent posts that have comments."""
        options: FacebookPageOptions = self.options
        posts_since = watermark(progress.cursor.get("posts_since"))
        since = window_start if posts_since is None else min(posts_since, window_start)
        params: dict[str, str] = {"fields": FEED_FIELDS, "since": str(since), "limit": str(options.limit)}
        newest = posts_since
        recent: list[str] = []
        for _ in range(options.max_feed_pages):
            response, document = graph.get(f"{options.page_id}/feed", params)
            items = document.get("data")
            if not isinstance(items, list):
                raise ConnectorProblem(HealthStatus.ERROR, "the Page feed returned an unexpected shape")
            times = [item_time(item, "created_time") for item in items]
            if items and has_new(times, posts_since):
                progress.add(
                    self.raw(
                        parse.KIND_FEED, response.content, source=self.instance_name, page_id=options.page_id
                    )
                )
            for item, created in zip(items, times, strict=True):
                post_id = item.get("id") if isinstance(item, dict) else None
                if isinstance(post_id, str) and _comment_count(item) != 0 and (created or 0) >= window_start:
                    recent.append(post_id)
            newest = newest_time(times, newest)
            params_next = next_page_params(document)
            if not items or params_next is None or reached(times, since):
                break
            params = params_next
        else:
            notes.append("feed page limit reached; older posts remain")
            return recent
        if newest is not None:
            progress.cursor = progress.cursor.with_values(posts_since=str(newest))
        return recent

    def _read_comments(
        self, graph: GraphApi, progress: Progress, recent: list[str], notes: list[str]
    ) -> None:
        options: FacebookPageOptions = self.options
        comments_since = watermark(progress.cursor.get("comments_since"))
        newest = comments_since
        complete = len(recent) <= options.max_posts_with_comments
        for post_id in recent[: options.max_posts_with_comments]:
            params: dict[str, str] = {
                "fields": COMMENT_FIELDS,
                "filter": "stream",
                "order": "reverse_chronological",
                "limit": str(options.limit),
            }
            for _ in range(options.max_comment_pages):
                response, document = graph.get(f"{post_id}/comments", params)
                items = document.get("data")
                if not isinstance(items, list):
                    raise ConnectorProblem(
                        HealthStatus.ERROR, "a post's comments came in an unexpected shape"
                    )
                times = [item_time(item, "created_time") for item in items]
                if items and has_new(times, comments_since):
                    progress.add(
                        self.raw(
                            parse.KIND_COMMENTS, response.content, source=self.instance_name, post_id=post_id
                        )
                    )
                newest = newest_time(times, newest)
                params_next = next_page_params(document)
                if not items or params_next is None or reached(times, comments_since):
                    break
                params = params_next
            else:
                complete = False
        if not complete:
            notes.append("comment page or post limit reached; the comment watermark stays until a full pass")
            return
        if newest is not None:
            progress.cursor = progress.cursor.with_values(comments_since=str(newest))
