"""YouTube comments: ``commentThreads.list`` for a video or a channel, newest first, with an API key.

Cursor: ``newest`` (``publishedAt`` of the newest thread handed over); pages are read until a thread at or before
it appears, and the cursor moves when that gap is closed. Quota (10,000 units a day, 1 per call) and disabled
comments arrive as 403 with a reason, mapped to ``rate_limited`` and ``error`` rather than ``auth_expired``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from rounds.connectors.base import BaseConnector, Progress
from rounds.connectors.platform_http import ConnectorProblem, PlatformHttp, json_body
from rounds.connectors.text import parse_timestamp
from rounds.connectors.youtube import parse
from rounds.domain.connectors import Health, HealthStatus
from rounds.domain.posts import Platform


class YouTubeOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    video_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{6,20}$")
    channel_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{10,40}$")
    search_terms: str | None = None
    max_pages: int = Field(default=5, ge=1, le=50)
    base_url: str = "https://www.googleapis.com"

    @model_validator(mode="after")
    def _one_target(self) -> YouTubeOptions:
        if (self.video_id is None) == (self.channel_id is None):
            raise ValueError("give exactly one of video_id and channel_id")
        return self


def _next_pacific_midnight(now: datetime) -> datetime:
    pacific = now.astimezone(ZoneInfo("America/Los_Angeles"))
    midnight = (pacific + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC)


def _classify(response: httpx.Response, now: datetime) -> ConnectorProblem | None:
    try:
        errors = response.json()["error"]["errors"]
        reason = str(errors[0].get("reason", ""))
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
    if reason in ("quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded", "userRateLimitExceeded"):
        when = _next_pacific_midnight(now) if reason != "rateLimitExceeded" else None
        return ConnectorProblem(HealthStatus.RATE_LIMITED, f"YouTube quota: {reason}", retry_after=when)
    if reason == "commentsDisabled":
        return ConnectorProblem(HealthStatus.ERROR, "comments are disabled on this video")
    if reason in ("keyInvalid", "keyExpired"):
        return ConnectorProblem(HealthStatus.AUTH_EXPIRED, "the YouTube API key was refused; enter it again")
    if reason in ("videoNotFound", "channelNotFound"):
        return ConnectorProblem(HealthStatus.ERROR, f"YouTube: {reason}")
    return None


class YouTubeCommentsConnector(BaseConnector):
    name: ClassVar[str] = "youtube.comments"
    platform: ClassVar[str] = Platform.YOUTUBE.value
    parsers = parse.PARSERS
    Options = YouTubeOptions
    credential_keys = ("api_key",)

    @property
    def instance_name(self) -> str:
        return f"{self.name}:{self.options.video_id or self.options.channel_id}"

    def _fetch(self, progress: Progress) -> Health:
        options: YouTubeOptions = self.options
        http = PlatformHttp(
            self.http_client,
            self.clock,
            platform=self.platform,
            classify=lambda response: _classify(response, self.clock.now()),
        )
        url = f"{options.base_url.rstrip('/')}/youtube/v3/commentThreads"
        params = {
            "part": "snippet,replies",
            "order": "time",
            "maxResults": "100",
            "textFormat": "plainText",
            "key": self.credentials.require("api_key"),
        }
        if options.video_id:
            params["videoId"] = options.video_id
        else:
            params["allThreadsRelatedToChannelId"] = options.channel_id or ""
        if options.search_terms:
            params["searchTerms"] = options.search_terms
        watermark = progress.cursor.get("newest")
        newest = watermark
        page_token: str | None = None
        for _ in range(options.max_pages):
            response = http.get(url, params=dict(params, pageToken=page_token) if page_token else params)
            body = json_body(response, "/youtube/v3/commentThreads")
            items = body.get("items") if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise ConnectorProblem(HealthStatus.ERROR, "commentThreads returned an unexpected shape")
            times: list[str] = []
            for item in items:
                try:
                    published = item["snippet"]["topLevelComment"]["snippet"]["publishedAt"]
                    times.append(parse_timestamp(published, "publishedAt").isoformat())
                except (KeyError, TypeError, ValueError):
                    continue
            if items:
                progress.add(self.raw(parse.KIND_THREADS, response.content, source=self.instance_name))
            if times:
                newest = max([*times, *([newest] if newest else [])])
            token = body.get("nextPageToken")
            page_token = token if isinstance(token, str) else None
            if not page_token or not times or (watermark and min(times) <= watermark):
                break
        if newest:
            progress.cursor = progress.cursor.with_values(newest=newest)
        return self.ok()
