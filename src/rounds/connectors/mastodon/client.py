"""Mastodon over plain HTTPS on any instance: hashtag and public timelines, status search, SSE streaming.

Polling (``MastodonConnector``): cursor ``min_id``. With ``min_id`` Mastodon returns the statuses just after it,
so pages walk forward from the watermark and the cursor moves after each page without leaving gaps. The first
run reads only the latest page. Rate limits: ``X-RateLimit-Remaining`` / ``X-RateLimit-Reset`` (ISO time).

Streaming (``MastodonStreamConnector``): reads Server-Sent Events for a bounded window (``max_events`` or
``max_seconds``) and hands each event over as a raw payload. Streams cannot resume, so run a polling connector
on the same timeline to cover the gaps; processing is idempotent, duplicates cost nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from rounds.connectors.base import BaseConnector, Progress
from rounds.connectors.mastodon import parse
from rounds.connectors.platform_http import ConnectorProblem, PlatformHttp
from rounds.domain.connectors import Health, HealthStatus
from rounds.domain.posts import Platform


def _id_key(value: str) -> tuple[int, str]:
    return (len(value), value)  # Mastodon ids are decimal strings of growing length


class MastodonOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instance_url: str = Field(pattern=r"^https?://[^/\s]+/?$")
    source: Literal["hashtag", "public", "search"] = "hashtag"
    hashtag: str | None = Field(default=None, pattern=r"^#?\w{1,100}$")
    query: str | None = Field(default=None, min_length=1, max_length=500)
    local: bool = False
    limit: int = Field(default=40, ge=1, le=40)
    max_pages: int = Field(default=5, ge=1, le=50)

    @model_validator(mode="after")
    def _source_needs(self) -> MastodonOptions:
        if self.source == "hashtag" and not self.hashtag:
            raise ValueError("source 'hashtag' needs a hashtag")
        if self.source == "search" and not self.query:
            raise ValueError("source 'search' needs a query")
        return self

    @property
    def tag(self) -> str:
        return (self.hashtag or "").lstrip("#")


def _classify(response: httpx.Response) -> ConnectorProblem | None:
    if response.status_code == 404 and "/timelines/tag/" in response.url.path:
        return ConnectorProblem(HealthStatus.ERROR, "this hashtag is not known on the instance (HTTP 404)")
    return None


def _auth_headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


class MastodonConnector(BaseConnector):
    name: ClassVar[str] = "mastodon.timeline"
    platform: ClassVar[str] = Platform.MASTODON.value
    parsers = parse.PARSERS
    Options = MastodonOptions

    @property
    def instance_name(self) -> str:
        options: MastodonOptions = self.options
        what = f"#{options.tag}" if options.source == "hashtag" else options.source
        return f"{self.name}:{httpx.URL(options.instance_url).host}:{what}"

    def _request(self) -> tuple[str, dict[str, str], str]:
        options: MastodonOptions = self.options
        base = options.instance_url.rstrip("/")
        params = {"limit": str(options.limit)}
        if options.local:
            params["local"] = "true"
        if options.source == "search":
            params.update({"q": options.query or "", "type": "statuses", "resolve": "false"})
            return f"{base}/api/v2/search", params, parse.KIND_SEARCH
        if options.source == "public":
            return f"{base}/api/v1/timelines/public", params, parse.KIND_STATUSES
        return f"{base}/api/v1/timelines/tag/{options.tag}", params, parse.KIND_STATUSES

    def _fetch(self, progress: Progress) -> Health:
        options: MastodonOptions = self.options
        token = self.credentials.get("access_token")
        if options.source == "search" and not token:
            raise ConnectorProblem(
                HealthStatus.AUTH_EXPIRED, "status search needs an access token for the instance"
            )
        http = PlatformHttp(self.http_client, self.clock, platform=self.platform, classify=_classify)
        url, params, kind = self._request()
        min_id = progress.cursor.get("min_id")
        for _ in range(options.max_pages if min_id else 1):
            if http.exhausted_until is not None:
                return Health(
                    status=HealthStatus.RATE_LIMITED,
                    detail="no calls left in this rate-limit window; resuming after the reset",
                    checked_at=self.clock.now(),
                    retry_after=http.exhausted_until,
                )
            page_params = dict(params, min_id=min_id) if min_id else params
            response = http.get(url, params=page_params, headers=_auth_headers(token))
            ids = self._ids(response, kind)
            if not ids:
                break
            progress.add(
                self.raw(kind, response.content, source=httpx.URL(url).path, instance=options.instance_url)
            )
            min_id = max([*ids, *([min_id] if min_id else [])], key=_id_key)
            progress.cursor = progress.cursor.with_values(min_id=min_id)
            if len(ids) < options.limit:
                break
        return self.ok()

    @staticmethod
    def _ids(response: httpx.Response, kind: str) -> list[str]:
        try:
            document: Any = response.json()
        except ValueError:
            raise ConnectorProblem(
                HealthStatus.ERROR, "the instance returned a body that is not JSON"
            ) from None
        if kind == parse.KIND_SEARCH:
            document = document.get("statuses") if isinstance(document, dict) else None
        if not isinstance(document, list):
            raise ConnectorProblem(HealthStatus.ERROR, "the instance returned an unexpected shape")
        return [item["id"] for item in document if isinstance(item, dict) and isinstance(item.get("id"), str)]


class MastodonStreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instance_url: str = Field(pattern=r"^https?://[^/\s]+/?$")
    streaming_url: str | None = None
    """The streaming host when it differs (``configuration.urls.streaming`` in ``/api/v1/instance``)."""
    stream: Literal["public", "public/local", "hashtag", "hashtag/local"] = "hashtag"
    hashtag: str | None = Field(default=None, pattern=r"^#?\w{1,100}$")
    max_events: int = Field(default=200, ge=1, le=10_000)
    max_seconds: float = Field(default=30.0, gt=0, le=600)

    @model_validator(mode="after")
    def _tag_needed(self) -> MastodonStreamOptions:
        if self.stream.startswith("hashtag") and not self.hashtag:
            raise ValueError(f"stream '{self.stream}' needs a hashtag")
        return self


class MastodonStreamConnector(BaseConnector):
    name: ClassVar[str] = "mastodon.stream"
    platform: ClassVar[str] = Platform.MASTODON.value
    parsers = parse.PARSERS
    Options = MastodonStreamOptions

    @property
    def instance_name(self) -> str:
        options: MastodonStreamOptions = self.options
        return f"{self.name}:{httpx.URL(options.instance_url).host}:{options.stream}"

    def _fetch(self, progress: Progress) -> Health:
        options: MastodonStreamOptions = self.options
        base = (options.streaming_url or options.instance_url).rstrip("/")
        url = f"{base}/api/v1/streaming/{options.stream}"
        params = {"tag": (options.hashtag or "").lstrip("#")} if options.stream.startswith("hashtag") else {}
        http = PlatformHttp(self.http_client, self.clock, platform=self.platform)
        deadline = self.clock.now().timestamp() + options.max_seconds
        timeout = httpx.Timeout(10.0, read=options.max_seconds)
        headers = {"Accept": "text/event-stream", **_auth_headers(self.credentials.get("access_token"))}
        count = 0
        try:
            with self.http_client.stream(
                "GET", url, params=params, headers=headers, timeout=timeout
            ) as response:
                if response.status_code >= 300:
                    response.read()
                    raise http.problem_for(response, httpx.URL(url).path)
                block: list[str] = []
                for line in response.iter_lines():
                    if line:
                        block.append(line)
                        continue
                    if block and any(not part.startswith(":") for part in block):
                        progress.add(
                            self.raw(parse.KIND_SSE, "\n".join(block).encode(), source=options.stream)
                        )
                        count += 1
                    block = []
                    if count >= options.max_events or self.clock.now().timestamp() >= deadline:
                        break
                if block and any(not part.startswith(":") for part in block):
                    progress.add(self.raw(parse.KIND_SSE, "\n".join(block).encode(), source=options.stream))
        except httpx.ReadTimeout:
            pass  # a quiet stream: the window is over
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as error:
            raise ConnectorProblem(
                HealthStatus.DEGRADED, f"cannot stay connected to the stream: {type(error).__name__}"
            ) from None
        return self.ok(f"read {len(progress.raw_payloads)} events")
