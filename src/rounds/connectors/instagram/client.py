"""Instagram business or creator account: comments on its media, media it is tagged in, hashtag media.

Modes (Graph API, "Instagram API with Facebook Login"; set ``base_url`` to ``https://graph.instagram.com`` for a
token from Instagram Login):

* ``comments``: ``/{ig-user-id}/media`` back to the start of the look-back window, then, for each recent media
  with comments, ``/{ig-media-id}/comments`` with replies expanded (``replies{...}``);
* ``mentions``: ``/{ig-user-id}/tags``, media other accounts published and tagged the account in;
* ``hashtag``: ``ig_hashtag_search`` once (the id is kept in the cursor: each new hashtag counts towards the 30
  unique hashtags a week), then ``/{hashtag-id}/recent_media`` (the last 24 hours).

Cursor: unix-second watermarks ``media_since``, ``comments_since``, ``tags_since`` (the newest item handed over of
each kind) and ``hashtag_id``. Graph's ``after`` paging cursors are followed within a fetch; a pass cut short
leaves its watermark, so the next fetch reads again rather than skipping. Errors and usage headers are handled as
for Facebook (:mod:`rounds.connectors.facebook.graph`); Instagram reports ``instagram`` in
``X-Business-Use-Case-Usage``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rounds.connectors.base import BaseConnector, Progress
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
from rounds.connectors.instagram import parse
from rounds.connectors.platform_http import ConnectorProblem
from rounds.domain.connectors import Health, HealthStatus
from rounds.domain.posts import Platform

MEDIA_FIELDS = (
    "id,caption,media_type,media_url,thumbnail_url,permalink,timestamp,username,comments_count,like_count"
)
HASHTAG_MEDIA_FIELDS = "id,caption,media_type,permalink,timestamp,comments_count,like_count"
_COMMENT = "id,text,timestamp,username,from,like_count,parent_id"
COMMENT_FIELDS = f"{_COMMENT},replies{{{_COMMENT}}}"


class InstagramOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ig_user_id: str = Field(pattern=r"^[0-9]{1,30}$")
    mode: Literal["comments", "mentions", "hashtag"] = "comments"
    hashtag: str | None = Field(default=None, pattern=r"^[^\s#]{1,100}$")
    """Without the ``#``; mode ``hashtag`` only."""
    lookback_days: int = Field(default=7, ge=1, le=90)
    limit: int = Field(default=50, ge=1, le=100)
    max_pages: int = Field(default=5, ge=1, le=50)
    max_media_with_comments: int = Field(default=50, ge=1, le=500)
    max_comment_pages: int = Field(default=5, ge=1, le=50)
    usage_ceiling_percent: int = Field(default=90, ge=10, le=100)
    api_version: str = Field(default=GRAPH_VERSION, pattern=VERSION_PATTERN)
    base_url: str = GRAPH_URL

    @model_validator(mode="after")
    def _mode_needs(self) -> InstagramOptions:
        if self.mode == "hashtag" and not self.hashtag:
            raise ValueError("mode 'hashtag' needs a hashtag")
        if self.mode != "hashtag" and self.hashtag:
            raise ValueError("a hashtag is only used in mode 'hashtag'")
        return self


class InstagramConnector(BaseConnector):
    name: ClassVar[str] = "instagram.business"
    platform: ClassVar[str] = Platform.INSTAGRAM.value
    parsers = parse.PARSERS
    Options = InstagramOptions
    credential_keys = ("access_token",)
    """``app_secret`` is optional: when given, calls carry ``appsecret_proof``."""

    @property
    def instance_name(self) -> str:
        options: InstagramOptions = self.options
        target = f"#{options.hashtag}" if options.mode == "hashtag" else options.ig_user_id
        return f"{self.name}:{options.mode}:{target}"

    def _fetch(self, progress: Progress) -> Health:
        options: InstagramOptions = self.options
        graph = GraphApi(
            self.http_client,
            self.clock,
            platform=self.platform,
            base_url=options.base_url,
            version=options.api_version,
            access_token=self.credentials.require("access_token"),
            app_secret=self.credentials.get("app_secret"),
            usage_ceiling_percent=options.usage_ceiling_percent,
        )
        window_start = int((self.clock.now() - timedelta(days=options.lookback_days)).timestamp())
        if options.mode == "mentions":
            return self._mentions(graph, progress, window_start)
        if options.mode == "hashtag":
            return self._hashtag(graph, progress)
        return self._comments(graph, progress, window_start)

    def _read_media(
        self,
        graph: GraphApi,
        progress: Progress,
        path: str,
        params: dict[str, str],
        *,
        watermark: int | None,
        stop_at: int | None,
    ) -> tuple[list[tuple[dict[str, Any], int | None]], int | None, bool]:
        """Pages of media newest first: (items with their times, newest time, whether the pass completed)."""
        seen: list[tuple[dict[str, Any], int | None]] = []
        newest = watermark
        for _ in range(self.options.max_pages):
            response, document = graph.get(path, params)
            items = document.get("data")
            if not isinstance(items, list):
                raise ConnectorProblem(
                    HealthStatus.ERROR, f"{path.split('/')[-1]} returned an unexpected shape"
                )
            times = [item_time(item, "timestamp") for item in items]
            if items and has_new(times, watermark):
                progress.add(self.raw(parse.KIND_MEDIA, response.content, source=self.instance_name))
            seen.extend(
                (item, time) for item, time in zip(items, times, strict=True) if isinstance(item, dict)
            )
            newest = newest_time(times, newest)
            params_next = next_page_params(document)
            if not items or params_next is None or reached(times, stop_at):
                return seen, newest, True
            params = params_next
        return seen, newest, False

    def _comments(self, graph: GraphApi, progress: Progress, window_start: int) -> Health:
        options: InstagramOptions = self.options
        media_since = watermark(progress.cursor.get("media_since"))
        params = {"fields": MEDIA_FIELDS, "since": str(window_start), "limit": str(options.limit)}
        stop_at = window_start if media_since is None else min(media_since, window_start)
        seen, newest_media, complete = self._read_media(
            graph, progress, f"{options.ig_user_id}/media", params, watermark=media_since, stop_at=stop_at
        )
        notes: list[str] = []
        if complete and newest_media is not None:
            progress.cursor = progress.cursor.with_values(media_since=str(newest_media))
        elif not complete:
            notes.append("media page limit reached; older media remain")
        recent = [
            item
            for item, time in seen
            if time is not None and time >= window_start and item.get("comments_count") != 0
        ]
        comments_since = watermark(progress.cursor.get("comments_since"))
        newest = comments_since
        complete = len(recent) <= options.max_media_with_comments
        for item in recent[: options.max_media_with_comments]:
            media_id = item.get("id")
            if not isinstance(media_id, str | int) or isinstance(media_id, bool):
                continue
            meta = {"media_id": str(media_id)}
            if isinstance(item.get("permalink"), str):
                meta["media_permalink"] = item["permalink"]
            page_params: dict[str, str] = {"fields": COMMENT_FIELDS, "limit": str(options.limit)}
            for _ in range(options.max_comment_pages):
                response, document = graph.get(f"{media_id}/comments", page_params)
                items = document.get("data")
                if not isinstance(items, list):
                    raise ConnectorProblem(
                        HealthStatus.ERROR, "a media's comments came in an unexpected shape"
                    )
                times = [item_time(comment, "timestamp") for comment in items]
                if items and has_new(times, comments_since):
                    progress.add(
                        self.raw(parse.KIND_COMMENTS, response.content, source=self.instance_name, **meta)
                    )
                newest = newest_time(times, newest)
                params_next = next_page_params(document)
                if not items or params_next is None or reached(times, comments_since):
                    break
                page_params = params_next
            else:
                complete = False
        if not complete:
            notes.append("comment page or media limit reached; the comment watermark stays until a full pass")
        elif newest is not None:
            progress.cursor = progress.cursor.with_values(comments_since=str(newest))
        return self.ok("; ".join(notes))

    def _mentions(self, graph: GraphApi, progress: Progress, window_start: int) -> Health:
        options: InstagramOptions = self.options
        tags_since = watermark(progress.cursor.get("tags_since"))
        params = {"fields": MEDIA_FIELDS, "limit": str(options.limit)}
        _, newest, complete = self._read_media(
            graph,
            progress,
            f"{options.ig_user_id}/tags",
            params,
            watermark=tags_since,
            stop_at=window_start if tags_since is None else tags_since,
        )
        if not complete:
            return self.ok("page limit reached; older mentions remain")
        if newest is not None:
            progress.cursor = progress.cursor.with_values(tags_since=str(newest))
        return self.ok()

    def _hashtag(self, graph: GraphApi, progress: Progress) -> Health:
        options: InstagramOptions = self.options
        hashtag_id = progress.cursor.get("hashtag_id")
        if hashtag_id is None:
            _, document = graph.get(
                "ig_hashtag_search", {"user_id": options.ig_user_id, "q": options.hashtag or ""}
            )
            found = document.get("data")
            first = found[0] if isinstance(found, list) and found else None
            value = first.get("id") if isinstance(first, dict) else None
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise ConnectorProblem(HealthStatus.ERROR, f"unknown hashtag #{options.hashtag}")
            hashtag_id = str(value)
            progress.cursor = progress.cursor.with_values(hashtag_id=hashtag_id)
        media_since = watermark(progress.cursor.get("media_since"))
        params = {"user_id": options.ig_user_id, "fields": HASHTAG_MEDIA_FIELDS, "limit": str(options.limit)}
        _, newest, complete = self._read_media(
            graph, progress, f"{hashtag_id}/recent_media", params, watermark=media_since, stop_at=media_since
        )
        if not complete:
            return self.ok("page limit reached; older hashtag media remain")
        if newest is not None:
            progress.cursor = progress.cursor.with_values(media_since=str(newest))
        return self.ok()
