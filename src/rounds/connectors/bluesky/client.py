"""Bluesky: the Jetstream firehose (server-side filters) and authenticated ``app.bsky.feed.searchPosts``.

Jetstream (``BlueskyJetstreamConnector``, v1 ``/subscribe``; no auth): ``wantedCollections`` and ``wantedDids``
filter on the server. Each fetch reads a bounded window (``max_events`` / ``max_seconds``) and hands every frame
over as a raw payload. Cursor: ``time_us`` of the last frame; a resume rewinds a few seconds (Jetstream's own
advice for gapless playback) and the duplicates are absorbed by idempotent processing.

Search (``BlueskySearchConnector``): ``com.atproto.server.createSession`` with an app password, then
``searchPosts`` sorted by ``latest`` with ``since`` = the newest post already seen, paging with ``cursor``. The
cursor moves when a pass completes. Unauthenticated search is blocked by Bluesky, so credentials are required.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import connect

from rounds.connectors.base import BaseConnector, Progress
from rounds.connectors.bluesky import parse
from rounds.connectors.platform_http import ConnectorProblem, PlatformHttp, json_body
from rounds.connectors.text import parse_timestamp
from rounds.domain.connectors import Health, HealthStatus
from rounds.domain.posts import Platform


class JetstreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint: str = Field(default="wss://jetstream2.us-east.bsky.network", pattern=r"^wss?://\S+$")
    wanted_collections: list[str] = Field(default_factory=lambda: [parse.POST_COLLECTION], max_length=100)
    wanted_dids: list[str] = Field(default_factory=list, max_length=10_000)
    max_events: int = Field(default=1000, ge=1, le=100_000)
    max_seconds: float = Field(default=30.0, gt=0, le=600)
    rewind_seconds: float = Field(default=5.0, ge=0, le=3600)


class BlueskyJetstreamConnector(BaseConnector):
    name: ClassVar[str] = "bluesky.jetstream"
    platform: ClassVar[str] = Platform.BLUESKY.value
    parsers = parse.PARSERS
    Options = JetstreamOptions

    def _url(self, cursor_us: int | None) -> str:
        options: JetstreamOptions = self.options
        query = [("wantedCollections", c) for c in options.wanted_collections]
        query += [("wantedDids", d) for d in options.wanted_dids]
        if cursor_us is not None:
            rewind = int(options.rewind_seconds * 1_000_000)
            query.append(("cursor", str(max(cursor_us - rewind, 0))))
        return f"{options.endpoint.rstrip('/')}/subscribe?{urlencode(query)}"

    def _fetch(self, progress: Progress) -> Health:
        options: JetstreamOptions = self.options
        stored = progress.cursor.get("time_us")
        url = self._url(int(stored) if stored and stored.isdigit() else None)
        deadline = self.clock.now() + timedelta(seconds=options.max_seconds)
        count = 0
        try:
            with connect(url, open_timeout=10, close_timeout=2, max_size=2**22) as websocket:
                while count < options.max_events:
                    remaining = (deadline - self.clock.now()).total_seconds()
                    if remaining <= 0:
                        break
                    try:
                        frame = websocket.recv(timeout=remaining)
                    except TimeoutError:
                        break
                    body = frame.encode() if isinstance(frame, str) else frame
                    progress.add(self.raw(parse.KIND_JETSTREAM, body, source="jetstream"))
                    count += 1
                    time_us = _time_us(body)
                    if time_us is not None:
                        progress.cursor = progress.cursor.with_values(time_us=str(time_us))
        except ConnectionClosed:
            pass  # the server ended the window; what was read is kept
        except InvalidStatus as error:
            status = error.response.status_code
            if status == 429:
                raise ConnectorProblem(
                    HealthStatus.RATE_LIMITED, "Jetstream refused the connection (HTTP 429)"
                ) from None
            raise ConnectorProblem(
                HealthStatus.DEGRADED, f"Jetstream refused the connection (HTTP {status})"
            ) from None
        except (OSError, InvalidHandshake, TimeoutError) as error:
            raise ConnectorProblem(
                HealthStatus.DEGRADED, f"cannot reach Jetstream: {type(error).__name__}"
            ) from None
        return self.ok(f"read {count} events")


def _time_us(body: bytes) -> int | None:
    try:
        frame: Any = json.loads(body)
    except ValueError:
        return None
    if not isinstance(frame, dict):
        return None
    value = frame.get("time_us")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    payload = frame.get("payload")
    if isinstance(payload, dict) and isinstance(payload.get("time_us"), int):
        return int(payload["time_us"])
    return None


class BlueskySearchOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=512)
    service_url: str = Field(default="https://bsky.social", pattern=r"^https?://\S+$")
    lang: str | None = None
    limit: int = Field(default=100, ge=1, le=100)
    max_pages: int = Field(default=5, ge=1, le=50)


class BlueskySearchConnector(BaseConnector):
    name: ClassVar[str] = "bluesky.search"
    platform: ClassVar[str] = Platform.BLUESKY.value
    parsers = parse.PARSERS
    Options = BlueskySearchOptions
    credential_keys = ("identifier", "app_password")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._access_jwt: str | None = None

    @property
    def instance_name(self) -> str:
        return f"{self.name}:{self.options.query[:60]}"

    def _session(self, http: PlatformHttp) -> str:
        if self._access_jwt:
            return self._access_jwt
        options: BlueskySearchOptions = self.options
        response = http.client.post(
            f"{options.service_url.rstrip('/')}/xrpc/com.atproto.server.createSession",
            json={
                "identifier": self.credentials.require("identifier"),
                "password": self.credentials.require("app_password"),
            },
        )
        if response.status_code in (400, 401):
            raise ConnectorProblem(
                HealthStatus.AUTH_EXPIRED, "Bluesky refused the app password; enter it again"
            )
        if response.status_code >= 300:
            raise http.problem_for(response, "/xrpc/com.atproto.server.createSession")
        body = json_body(response, "/xrpc/com.atproto.server.createSession")
        token = body.get("accessJwt") if isinstance(body, dict) else None
        if not isinstance(token, str):
            raise ConnectorProblem(HealthStatus.AUTH_EXPIRED, "Bluesky gave no session token")
        self._access_jwt = token
        return token

    def _fetch(self, progress: Progress) -> Health:
        options: BlueskySearchOptions = self.options
        http = PlatformHttp(self.http_client, self.clock, platform=self.platform)
        url = f"{options.service_url.rstrip('/')}/xrpc/app.bsky.feed.searchPosts"
        since = progress.cursor.get("since")
        newest = since
        page_cursor: str | None = None
        for _ in range(options.max_pages):
            params = {"q": options.query, "sort": "latest", "limit": str(options.limit)}
            if since:
                params["since"] = since
            if options.lang:
                params["lang"] = options.lang
            if page_cursor:
                params["cursor"] = page_cursor
            try:
                response = http.get(
                    url, params=params, headers={"Authorization": f"Bearer {self._session(http)}"}
                )
            except ConnectorProblem as problem:
                if problem.status is HealthStatus.AUTH_EXPIRED and self._access_jwt:
                    self._access_jwt = None  # expired session: log in again once
                    response = http.get(
                        url, params=params, headers={"Authorization": f"Bearer {self._session(http)}"}
                    )
                else:
                    raise
            body = json_body(response, "/xrpc/app.bsky.feed.searchPosts")
            posts = body.get("posts") if isinstance(body, dict) else None
            if not isinstance(posts, list):
                raise ConnectorProblem(HealthStatus.ERROR, "searchPosts returned an unexpected shape")
            if posts:
                progress.add(self.raw(parse.KIND_SEARCH, response.content, source=options.query))
            for view in posts:
                record = view.get("record") if isinstance(view, dict) else None
                created = record.get("createdAt") if isinstance(record, dict) else None
                try:
                    when = parse_timestamp(created, "createdAt").isoformat().replace("+00:00", "Z")
                except ValueError:
                    continue
                if newest is None or when > newest:
                    newest = when
            page_cursor = body.get("cursor") if isinstance(body.get("cursor"), str) else None
            if not page_cursor or not posts:
                break
        if newest:
            progress.cursor = progress.cursor.with_values(since=newest)
        return self.ok()
