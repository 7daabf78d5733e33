"""X API v2 recent search (app-only bearer token), paging with ``next_token`` and resuming with ``since_id``.

Cursor: ``since_id`` (the newest post already handed over), and while a pass is unfinished ``next_token`` and
``pending_newest`` (what ``since_id`` becomes when the pass completes). Rate limits: ``x-rate-limit-*`` headers
(``reset`` is a unix time); X sends no ``Retry-After``.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from rounds.connectors.base import BaseConnector, Progress
from rounds.connectors.platform_http import ConnectorProblem, PlatformHttp, json_body
from rounds.connectors.x import parse
from rounds.domain.connectors import Health, HealthStatus
from rounds.domain.posts import Platform

TWEET_FIELDS = (
    "created_at,author_id,lang,public_metrics,conversation_id,referenced_tweets,attachments,note_tweet"
)
USER_FIELDS = "name,username,description,public_metrics,verified"
MEDIA_FIELDS = "type,url,preview_image_url,alt_text"


class XSearchOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=512)
    max_results: int = Field(default=100, ge=10, le=100)
    max_pages: int = Field(default=5, ge=1, le=100)
    base_url: str = "https://api.x.com"


class XRecentSearchConnector(BaseConnector):
    name: ClassVar[str] = "x.recent_search"
    platform: ClassVar[str] = Platform.X.value
    parsers = parse.PARSERS
    Options = XSearchOptions
    credential_keys = ("bearer_token",)

    @property
    def instance_name(self) -> str:
        return f"{self.name}:{self.options.query[:60]}"

    def _fetch(self, progress: Progress) -> Health:
        options: XSearchOptions = self.options
        http = PlatformHttp(self.http_client, self.clock, platform=self.platform)
        headers = {"Authorization": f"Bearer {self.credentials.require('bearer_token')}"}
        url = f"{options.base_url.rstrip('/')}/2/tweets/search/recent"
        since_id = progress.cursor.get("since_id")
        next_token = progress.cursor.get("next_token")
        pending_newest = progress.cursor.get("pending_newest")
        for _ in range(options.max_pages):
            if http.exhausted_until is not None:
                return Health(
                    status=HealthStatus.RATE_LIMITED,
                    detail="no calls left in this rate-limit window; resuming after the reset",
                    checked_at=self.clock.now(),
                    retry_after=http.exhausted_until,
                )
            params = {
                "query": options.query,
                "max_results": str(options.max_results),
                "tweet.fields": TWEET_FIELDS,
                "expansions": "author_id,attachments.media_keys",
                "user.fields": USER_FIELDS,
                "media.fields": MEDIA_FIELDS,
            }
            if since_id:
                params["since_id"] = since_id
            if next_token:
                params["next_token"] = next_token
            response = http.get(url, params=params, headers=headers)
            document = json_body(response, "/2/tweets/search/recent")
            if not isinstance(document, dict):
                raise ConnectorProblem(
                    HealthStatus.ERROR, "/2/tweets/search/recent returned an unexpected shape"
                )
            meta = document.get("meta")
            if not isinstance(meta, dict):
                meta = {}
            if next_token is None and isinstance(meta.get("newest_id"), str):
                pending_newest = meta["newest_id"]
            if document.get("data"):
                progress.add(self.raw(parse.KIND_SEARCH, response.content, source=options.query))
            next_token = meta.get("next_token") if isinstance(meta.get("next_token"), str) else None
            if next_token:
                progress.cursor = progress.cursor.with_values(
                    since_id=since_id, next_token=next_token, pending_newest=pending_newest
                )
            else:
                progress.cursor = progress.cursor.with_values(
                    since_id=pending_newest or since_id, next_token=None, pending_newest=None
                )
                return self.ok()
        return self.ok("page limit reached; more results remain")
