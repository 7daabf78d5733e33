"""Reply senders: one per platform whose API allows replies, behind :class:`rounds.domain.replies.ReplySender`.

``reply_sender_for(platform, credentials=..., http_client=..., clock=...)`` builds one; adding a platform is one
class (``src/rounds/connectors/<platform>/reply.py``) and one line in :data:`SENDERS`.

At most once. The POST that creates a reply is made **once** (never through :class:`PlatformHttp`'s retries) and
its outcome is classified the same way on every platform:

* 2xx with the new id → ``sent`` (a 2xx whose id cannot be read → ``unknown``: something was created);
* 401/403 → ``failed`` ``auth_expired``; 404 → ``failed`` ``not_found``; 429 → ``failed`` ``rate_limited``,
  retryable (the refusal time is in ``detail``); other 4xx → ``failed`` ``rejected``;
* 5xx → ``unknown`` ``server_error``: no platform promises that nothing was created, so it is reconciled first;
  a platform hook may say ``failed`` ``degraded`` retryable when the answer proves nothing was created;
* could not connect (nothing left this machine) → ``failed`` ``degraded``, retryable;
* timeout or connection lost after the request went out → ``unknown`` (``timeout`` / ``connection_lost``).

Mastodon is the exception that proves the rule: it honours an ``Idempotency-Key`` for an hour, so its sender
retries a 5xx or a timeout inline with the same key (a resend that cannot duplicate), then says ``unknown``.

Calls made before the POST (log in, resolve the parent) may retry freely; when they fail nothing was sent, so
the result is ``failed`` with the mapped code. Reads for :meth:`find_sent_reply` retry freely too.

``find_sent_reply`` returns a ``sent`` result when the platform has our reply, ``None`` only when the platform
showed every reply of ours that could be it and none matched (then a new send is safe), and an ``unknown``
result (``reconcile_incomplete``, ``auth_expired``, ``rate_limited``...) when it could not tell: the inbox
keeps the reply marked unknown and tries again later, never resends.

Hiding a comment is idempotent, so :meth:`hide_comment` answers a failure the caller may simply repeat.
Neither credentials nor reply text ever reach a log or a ``detail``; details name endpoints and platform codes.
"""

from __future__ import annotations

import importlib
import logging
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from rounds.connectors.base import Credentials
from rounds.connectors.clock import Clock
from rounds.connectors.platform_http import ConnectorProblem, PlatformHttp, RetryPolicy, reset_time
from rounds.domain.connectors import HealthStatus
from rounds.domain.errors import ConfigurationError
from rounds.domain.replies import ModerationResult, ReplyRequest, ReplyResult, ReplySender, SendStatus

logger = logging.getLogger(__name__)

SENDERS: dict[str, str] = {
    "mastodon": "rounds.connectors.mastodon.reply:MastodonReplySender",
    "x": "rounds.connectors.x.reply:XReplySender",
    "reddit": "rounds.connectors.reddit.reply:RedditReplySender",
    "bluesky": "rounds.connectors.bluesky.reply:BlueskyReplySender",
    "youtube": "rounds.connectors.youtube.reply:YouTubeReplySender",
    "facebook": "rounds.connectors.facebook.reply:FacebookReplySender",
    "instagram": "rounds.connectors.instagram.reply:InstagramReplySender",
}
"""Platform → ``module:Class`` of its sender (imported on first use, so this module stays light)."""

REPLY_PLATFORMS: tuple[str, ...] = tuple(SENDERS)


def sender_class(platform: str) -> type[BaseReplySender]:
    target = SENDERS.get(platform)
    if target is None:
        raise ConfigurationError(
            f"no reply sender for platform '{platform}'",
            hint=f"replies are sent on: {', '.join(REPLY_PLATFORMS)}; copy the reply and mark it sent by hand",
        )
    module_name, _, class_name = target.partition(":")
    sender: type[BaseReplySender] = getattr(importlib.import_module(module_name), class_name)
    return sender


def reply_sender_for(
    platform: str,
    *,
    credentials: Credentials | Mapping[str, str],
    http_client: httpx.Client,
    clock: Clock,
    options: Mapping[str, Any] | None = None,
) -> ReplySender:
    """The sender for ``platform``; ``options`` holds non-secret settings (instance URL, base URL, ids)."""
    return sender_class(platform)(credentials, http_client=http_client, clock=clock, options=options)


# --- results ---------------------------------------------------------------------------------------------


def sent(remote_id: str, url: str | None = None, detail: str = "") -> ReplyResult:
    return ReplyResult(status=SendStatus.SENT, remote_id=remote_id, url=url, detail=detail)


def failed(code: str, detail: str, *, retryable: bool = False) -> ReplyResult:
    return ReplyResult(status=SendStatus.FAILED, error_code=code, detail=detail, retryable=retryable)


def unknown(code: str, detail: str) -> ReplyResult:
    """Not known whether the platform has it: reconcile with ``find_sent_reply`` before any resend."""
    return ReplyResult(status=SendStatus.UNKNOWN, error_code=code, detail=detail, retryable=True)


_PROBLEM_CODES = {
    HealthStatus.AUTH_EXPIRED: "auth_expired",
    HealthStatus.RATE_LIMITED: "rate_limited",
    HealthStatus.DEGRADED: "degraded",
    HealthStatus.ERROR: "rejected",
}


def _with_retry_after(detail: str, when: datetime | None) -> str:
    return f"{detail}; retry after {when.isoformat()}" if when is not None else detail


def problem_code(problem: ConnectorProblem) -> str:
    return getattr(problem, "reply_code", None) or _PROBLEM_CODES.get(problem.status, "rejected")


def failed_from_problem(problem: ConnectorProblem) -> ReplyResult:
    """A problem before the POST: nothing was sent."""
    code = problem_code(problem)
    return failed(
        code,
        _with_retry_after(f"{problem.detail}; nothing was sent", problem.retry_after),
        retryable=code in ("rate_limited", "degraded"),
    )


def unknown_from_problem(problem: ConnectorProblem) -> ReplyResult:
    """A problem while reconciling: still unknown, try reconciling again later."""
    code = problem_code(problem)
    return unknown(
        code,
        _with_retry_after(
            f"could not check the platform ({problem.detail}); still unknown, do not resend",
            problem.retry_after,
        ),
    )


class NotFoundProblem(ConnectorProblem):
    """The post being answered (or hidden) is not on the platform."""

    reply_code = "not_found"

    def __init__(self, detail: str) -> None:
        super().__init__(HealthStatus.ERROR, detail)


def same_text(posted: str, ours: str) -> bool:
    """Whether a platform's copy of a text is ours: compared after Unicode NFC and whitespace folding."""

    def fold(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).split())

    return fold(posted) == fold(ours)


# --- the shared sender -----------------------------------------------------------------------------------


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BaseReplySender:
    """Shared plumbing: options, credentials, the one-shot POST and the status mapping.

    Subclasses set ``platform``, ``supports_hide``, ``Options`` and ``credential_keys`` and implement
    ``_send``, ``_find`` and (where supported) ``_hide``. ``_send`` may raise :class:`ConnectorProblem` only
    before its POST; after it, it returns a result built by :meth:`post_once` and :meth:`response_result`.
    """

    platform: str = ""
    supports_hide: bool = False
    Options: ClassVar[type[BaseModel]] = NoOptions
    credential_keys: ClassVar[tuple[str, ...]] = ()
    retry_policy: ClassVar[RetryPolicy] = RetryPolicy()

    def __init__(
        self,
        credentials: Credentials | Mapping[str, str],
        *,
        http_client: httpx.Client,
        clock: Clock,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        try:
            self.options: Any = self.Options.model_validate(dict(options or {}))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in item['loc']) or 'options'}: {item['msg']}"
                for item in error.errors()
            )
            raise ConfigurationError(
                f"invalid reply options for {self.platform}: {problems}",
                hint="fix the account's settings",
            ) from None
        self.credentials = credentials if isinstance(credentials, Credentials) else Credentials(credentials)
        for key in self.credential_keys:
            self.credentials.require(key)
        self.client = http_client
        self.clock = clock
        self.http = PlatformHttp(
            http_client, clock, platform=self.platform, policy=self.retry_policy, classify=self.classify
        )

    # hooks ------------------------------------------------------------------------------------------------

    def classify(self, response: httpx.Response) -> ConnectorProblem | None:
        """Platform hook for reads (PlatformHttp's ``classify``)."""
        return None

    def classify_send(self, response: httpx.Response, endpoint: str) -> ReplyResult | None:
        """Platform hook for a non-2xx answer to the POST; None falls back to the shared mapping."""
        return None

    def _send(self, request: ReplyRequest) -> ReplyResult:
        raise NotImplementedError

    def _find(self, request: ReplyRequest) -> ReplyResult | None:
        raise NotImplementedError

    def _hide(self, remote_id: str) -> ModerationResult:
        return ModerationResult(
            ok=False,
            error_code="unsupported",
            detail=f"{self.platform} has no API to hide someone else's comment",
        )

    # the protocol -----------------------------------------------------------------------------------------

    def send_reply(self, request: ReplyRequest) -> ReplyResult:
        if request.platform != self.platform:
            raise ValueError(f"a {request.platform} reply given to the {self.platform} sender")
        try:
            result = self._send(request)
        except ConnectorProblem as problem:
            result = failed_from_problem(problem)
        logger.info(
            "%s reply %s: %s%s",
            self.platform,
            request.idempotency_key,
            result.status.value,
            f" ({result.error_code})" if result.error_code else "",
        )
        return result

    def find_sent_reply(self, request: ReplyRequest) -> ReplyResult | None:
        if request.platform != self.platform:
            raise ValueError(f"a {request.platform} reply given to the {self.platform} sender")
        try:
            result = self._find(request)
        except ConnectorProblem as problem:
            result = unknown_from_problem(problem)
        logger.info(
            "%s reconcile %s: %s",
            self.platform,
            request.idempotency_key,
            "not on the platform" if result is None else result.status.value,
        )
        return result

    def hide_comment(self, remote_id: str) -> ModerationResult:
        try:
            result = self._hide(remote_id)
        except ConnectorProblem as problem:
            result = ModerationResult(ok=False, error_code=problem_code(problem), detail=problem.detail)
        logger.info("%s hide %s: %s", self.platform, remote_id, "ok" if result.ok else result.error_code)
        return result

    # one-shot calls ---------------------------------------------------------------------------------------

    def post_once(self, method: str, url: str, **kwargs: Any) -> httpx.Response | ReplyResult:
        """One attempt, no retry: the response, or the result of a transport failure."""
        endpoint = httpx.URL(url).path
        try:
            response = self.client.request(method, url, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            return failed(
                "degraded",
                f"could not connect to {endpoint} ({type(error).__name__}); nothing was sent",
                retryable=True,
            )
        except httpx.TimeoutException as error:
            return unknown(
                "timeout",
                f"no answer from {endpoint} in time ({type(error).__name__}); the reply may have been "
                "posted: reconcile before any retry",
            )
        except httpx.TransportError as error:
            return unknown(
                "connection_lost",
                f"connection lost calling {endpoint} ({type(error).__name__}); the reply may have been "
                "posted: reconcile before any retry",
            )
        logger.debug("%s %s %s -> %s", self.platform, method, endpoint, response.status_code)
        return response

    def response_result(self, response: httpx.Response, endpoint: str) -> ReplyResult | None:
        """The result for a non-2xx answer to the POST; None for a 2xx (the caller reads the new id)."""
        status = response.status_code
        if status < 300:
            return None
        refined = self.classify_send(response, endpoint)
        if refined is not None:
            return refined
        if status in (401, 403):
            return failed(
                "auth_expired", f"HTTP {status} from {endpoint}: credentials were refused; nothing was sent"
            )
        if status == 404:
            return failed("not_found", f"HTTP 404 from {endpoint}: the post being answered is gone")
        if status == 429:
            return self.rate_limited(response, endpoint)
        if status >= 500:
            return unknown(
                "server_error",
                f"HTTP {status} from {endpoint}: the platform may have posted the reply; reconcile first",
            )
        return failed("rejected", f"HTTP {status} from {endpoint}: the platform refused the reply")

    def rate_limited(self, response: httpx.Response, endpoint: str, why: str = "rate limited") -> ReplyResult:
        when = reset_time(response.headers, self.clock.now())
        return failed(
            "rate_limited",
            _with_retry_after(f"HTTP {response.status_code} from {endpoint}: {why}; nothing was sent", when),
            retryable=True,
        )

    def unreadable(self, endpoint: str) -> ReplyResult:
        return unknown(
            "unreadable_response",
            f"{endpoint} accepted the reply but its answer has no readable id; reconcile to find it",
        )

    def hide_once(self, method: str, url: str, **kwargs: Any) -> httpx.Response | ModerationResult:
        """One hide call; transport failures become a result (hiding again is harmless)."""
        endpoint = httpx.URL(url).path
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            return ModerationResult(
                ok=False, error_code="timeout", detail=f"no answer from {endpoint}; hiding again is safe"
            )
        except httpx.TransportError as error:
            return ModerationResult(
                ok=False, error_code="degraded", detail=f"cannot reach {endpoint}: {type(error).__name__}"
            )
        if response.status_code < 300:
            return response
        problem = self.http.problem_for(response, endpoint)
        code = problem_code(problem)
        if response.status_code == 404 and code == "rejected":
            code = "not_found"
        return ModerationResult(ok=False, error_code=code, detail=problem.detail)


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
