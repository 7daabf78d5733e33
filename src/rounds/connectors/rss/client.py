"""RSS/Atom feeds with conditional GET: ``If-None-Match`` (ETag) and ``If-Modified-Since``; a 304 costs nothing.

Cursor: ``etag`` and ``modified`` from the last 200 response. The feed body is handed over whole as one payload
(entries are deduplicated downstream on their ids).
"""

from __future__ import annotations

from typing import ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from rounds.connectors.base import BaseConnector, Progress
from rounds.connectors.platform_http import PlatformHttp
from rounds.connectors.rss import parse
from rounds.domain.connectors import Health
from rounds.domain.posts import Platform


class FeedOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https?://\S+$")
    user_agent: str = "Rounds/1 feed reader (self-hosted health care listening)"


class FeedConnector(BaseConnector):
    name: ClassVar[str] = "rss.feed"
    platform: ClassVar[str] = Platform.RSS.value
    parsers = parse.PARSERS
    Options = FeedOptions

    @property
    def instance_name(self) -> str:
        return f"{self.name}:{httpx.URL(self.options.url).host}"

    def _fetch(self, progress: Progress) -> Health:
        options: FeedOptions = self.options
        headers = {
            "User-Agent": options.user_agent,
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1",
        }
        etag = progress.cursor.get("etag")
        modified = progress.cursor.get("modified")
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        http = PlatformHttp(self.http_client, self.clock, platform=self.platform)
        response = http.get(options.url, headers=headers)
        if response.status_code == 304:
            return self.ok("not modified since the last fetch")
        progress.add(
            self.raw(
                parse.KIND_FEED,
                response.content,
                source=options.url,
                feed_url=str(response.url),
                content_type=response.headers.get("content-type", ""),
            )
        )
        progress.cursor = progress.cursor.with_values(
            etag=response.headers.get("etag"), modified=response.headers.get("last-modified")
        )
        return self.ok()
