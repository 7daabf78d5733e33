"""Reddit over OAuth app-only (client credentials), polling listings newest-first.

Modes: ``new`` (``/r/{sub}/new``), ``search`` (``/r/{sub}/search`` or site-wide ``/search``, sorted by new),
``comments`` (``/r/{sub}/comments``), ``thread`` (``/comments/{id}``: a submission and its comment tree).

Cursor: ``newest`` (``created_utc`` of the newest item handed over). Pages are read newest-first with ``after``
until an item at or before ``newest`` appears; the cursor moves only when that gap is closed, so an interrupted
run re-reads rather than skips. Rate limits: ``X-Ratelimit-Remaining`` / ``X-Ratelimit-Reset`` (seconds).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from rounds.connectors.base import BaseConnector, Progress
from rounds.connectors.platform_http import ConnectorProblem, PlatformHttp
from rounds.connectors.reddit import parse
from rounds.domain.connectors import Health, HealthStatus
from rounds.domain.posts import Platform


class RedditOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["new", "search", "comments", "thread"] = "new"
    subreddit: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_]{2,21}$")
    query: str | None = Field(default=None, min_length=1, max_length=512)
    thread_id: str | None = Field(default=None, pattern=r"^[a-z0-9]{1,12}$")
    limit: int = Field(default=100, ge=1, le=100)
    max_pages: int = Field(default=5, ge=1, le=10)
    user_agent: str = "rounds:listening:v1 (self-hosted health care social media monitoring)"
    api_url: str = "https://oauth.reddit.com"
    auth_url: str = "https://www.reddit.com"

    @model_validator(mode="after")
    def _mode_needs(self) -> RedditOptions:
        if self.mode in ("new", "comments") and not self.subreddit:
            raise ValueError(f"mode '{self.mode}' needs a subreddit")
        if self.mode == "search" and not self.query:
            raise ValueError("mode 'search' needs a query")
        if self.mode == "thread" and not self.thread_id:
            raise ValueError("mode 'thread' needs a thread_id")
        return self


def _newest_created(document: Any) -> tuple[list[float], str | None]:
    """``created_utc`` of the listing's items and its ``after`` token (a light look, not a parse)."""
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict):
        return [], None
    times = []
    for child in data.get("children") or []:
        value = child.get("data", {}).get("created_utc") if isinstance(child, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            times.append(float(value))
    after = data.get("after")
    return times, after if isinstance(after, str) else None


class RedditConnector(BaseConnector):
    name: ClassVar[str] = "reddit.listing"
    platform: ClassVar[str] = Platform.REDDIT.value
    parsers = parse.PARSERS
    Options = RedditOptions
    credential_keys = ("client_id", "client_secret")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._token: str | None = None
        self._token_expires: datetime | None = None

    @property
    def instance_name(self) -> str:
        options: RedditOptions = self.options
        target = options.subreddit or options.thread_id or "all"
        return f"{self.name}:{options.mode}:{target}"

    def _access_token(self, http: PlatformHttp) -> str:
        now = self.clock.now()
        if self._token and self._token_expires and now < self._token_expires:
            return self._token
        options: RedditOptions = self.options
        response = http.request(
            "POST",
            f"{options.auth_url.rstrip('/')}/api/v1/access_token",
            data={"grant_type": "client_credentials"},
            auth=(self.credentials.require("client_id"), self.credentials.require("client_secret")),
            headers={"User-Agent": options.user_agent},
        )
        try:
            body = response.json()
            token = body["access_token"]
            lifetime = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise ConnectorProblem(
                HealthStatus.AUTH_EXPIRED, "Reddit's token endpoint gave no access token"
            ) from None
        if not isinstance(token, str) or not token:
            raise ConnectorProblem(HealthStatus.AUTH_EXPIRED, "Reddit's token endpoint gave no access token")
        self._token = token
        self._token_expires = now + timedelta(seconds=max(lifetime - 60, 0))
        return token

    def _get(self, http: PlatformHttp, path: str, params: dict[str, str]) -> httpx.Response:
        options: RedditOptions = self.options
        url = f"{options.api_url.rstrip('/')}{path}"
        for attempt in (1, 2):
            headers = {
                "Authorization": f"bearer {self._access_token(http)}",
                "User-Agent": options.user_agent,
            }
            try:
                return http.get(url, params=params, headers=headers)
            except ConnectorProblem as problem:
                if problem.status is HealthStatus.AUTH_EXPIRED and attempt == 1:
                    self._token = None  # the token may have expired early: get a new one once
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _path_and_params(self) -> tuple[str, dict[str, str]]:
        options: RedditOptions = self.options
        params = {"limit": str(options.limit), "raw_json": "1"}
        if options.mode == "thread":
            return f"/comments/{options.thread_id}", {"raw_json": "1", "sort": "new", "limit": "500"}
        if options.mode == "search":
            params.update({"q": options.query or "", "sort": "new", "t": "week"})
            if options.subreddit:
                params["restrict_sr"] = "1"
                return f"/r/{options.subreddit}/search", params
            return "/search", params
        return f"/r/{options.subreddit}/{options.mode}", params

    def _fetch(self, progress: Progress) -> Health:
        options: RedditOptions = self.options
        http = PlatformHttp(self.http_client, self.clock, platform=self.platform)
        path, params = self._path_and_params()
        if options.mode == "thread":
            response = self._get(http, path, params)
            progress.add(self.raw(parse.KIND_LISTING, response.content, source=path))
            return self.ok()
        watermark = float(progress.cursor.get("newest") or 0)
        newest = watermark
        after: str | None = None
        for _ in range(options.max_pages):
            if http.exhausted_until is not None:
                return Health(
                    status=HealthStatus.RATE_LIMITED,
                    detail="no calls left in this rate-limit window; resuming after the reset",
                    checked_at=self.clock.now(),
                    retry_after=http.exhausted_until,
                )
            page_params = dict(params, after=after) if after else params
            response = self._get(http, path, page_params)
            try:
                document = response.json()
            except ValueError:
                raise ConnectorProblem(
                    HealthStatus.ERROR, f"{path} returned a body that is not JSON"
                ) from None
            times, after = _newest_created(document)
            if times:
                progress.add(self.raw(parse.KIND_LISTING, response.content, source=path))
                newest = max(newest, *times)
            if not times or min(times) <= watermark or after is None:
                progress.cursor = progress.cursor.with_values(newest=repr(newest))
                return self.ok()
        progress.cursor = progress.cursor.with_values(newest=repr(newest))
        return self.ok(f"read {options.max_pages} pages; older items since the last run may be missed")
