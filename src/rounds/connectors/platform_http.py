"""HTTP calls with the platforms' rate limits, retries and error classes, over an injected ``httpx.Client``.

Outcomes, the same for every platform:

* 2xx (and 304): returned; rate-limit headers are read so a connector can stop paging before it is refused;
* 401/403: :class:`ConnectorProblem` ``auth_expired`` (platform hooks may refine a 403, e.g. YouTube quota);
* 429: waited out with the injected clock when the platform's wait is short, else ``rate_limited`` with the time
  the platform gave (``Retry-After``, ``x-rate-limit-reset``, ``X-RateLimit-Reset``, ``RateLimit-Reset``);
* 5xx, timeouts, connection errors: retried with exponential backoff, then ``degraded``;
* other 4xx: ``error`` naming the status and endpoint.

Details name the endpoint path only: query strings can hold API keys, and bodies hold post text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from rounds.connectors.clock import Clock
from rounds.domain.connectors import Health, HealthStatus

logger = logging.getLogger(__name__)


class ConnectorProblem(Exception):
    """Raised inside a connector when a call cannot succeed; the connector turns it into its health."""

    def __init__(self, status: HealthStatus, detail: str, *, retry_after: datetime | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.retry_after = retry_after

    def health(self, now: datetime) -> Health:
        return Health(status=self.status, detail=self.detail, checked_at=now, retry_after=self.retry_after)


Classifier = Callable[[httpx.Response], ConnectorProblem | None]
"""A platform hook that looks at a non-2xx response first (Graph error codes, YouTube 403 reasons)."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    """Tries for 5xx and transport errors, the first included."""
    backoff_seconds: float = 1.0
    backoff_factor: float = 2.0
    max_inline_wait_seconds: float = 30.0
    """A 429 whose wait is at most this long is slept out (with the injected clock) and retried once."""
    default_rate_limit_wait_seconds: float = 60.0
    """Used when a 429 carries no header saying how long to wait."""


def _header_number(headers: httpx.Headers, *names: str) -> float | None:
    for name in names:
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return float(raw.strip())
        except ValueError:
            continue
    return None


def reset_time(headers: httpx.Headers, now: datetime) -> datetime | None:
    """When the platform's window resets, from whichever header it uses; None when no header says."""
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        retry_after = retry_after.strip()
        if retry_after.isdigit():
            return now + timedelta(seconds=int(retry_after))
        try:
            when = parsedate_to_datetime(retry_after)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return when if when.tzinfo else when.replace(tzinfo=UTC)
    for name in ("x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset"):
        raw = headers.get(name)
        if raw is None:
            continue
        raw = raw.strip()
        try:
            number = float(raw)
        except ValueError:
            try:  # Mastodon sends an ISO 8601 time
                parsed = datetime.fromisoformat(raw)
            except ValueError:
                continue
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        if number > 1_000_000_000:  # a unix time (X, Bluesky)
            return datetime.fromtimestamp(number, UTC)
        return now + timedelta(seconds=number)  # seconds from now (Reddit)
    return None


def remaining_calls(headers: httpx.Headers) -> float | None:
    return _header_number(headers, "x-rate-limit-remaining", "x-ratelimit-remaining", "ratelimit-remaining")


class PlatformHttp:
    """The one way connectors call a platform."""

    def __init__(
        self,
        client: httpx.Client,
        clock: Clock,
        *,
        platform: str,
        policy: RetryPolicy | None = None,
        classify: Classifier | None = None,
    ) -> None:
        self.client = client
        self.clock = clock
        self.platform = platform
        self.policy = policy or RetryPolicy()
        self.classify = classify
        self.exhausted_until: datetime | None = None
        """Set when a response said no calls remain in this window; connectors stop paging then."""

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        ok_statuses: tuple[int, ...] = (),
    ) -> httpx.Response:
        endpoint = httpx.URL(url).path or url
        waited_for_rate_limit = False
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.client.request(
                    method, url, params=params, headers=headers, data=data, auth=auth
                )
            except httpx.TimeoutException:
                problem = ConnectorProblem(HealthStatus.DEGRADED, f"timeout calling {endpoint}")
            except httpx.TransportError as error:
                problem = ConnectorProblem(
                    HealthStatus.DEGRADED, f"connection error calling {endpoint}: {type(error).__name__}"
                )
            else:
                status = response.status_code
                logger.debug("%s %s %s -> %s", self.platform, method, endpoint, status)
                if status < 300 or status == 304 or status in ok_statuses:
                    self._note_remaining(response)
                    return response
                problem = self.problem_for(response, endpoint)
                if problem.status is HealthStatus.RATE_LIMITED and not waited_for_rate_limit:
                    wait = self._seconds_until(problem.retry_after)
                    if wait <= self.policy.max_inline_wait_seconds:
                        logger.info("%s rate limited on %s; waiting %.0fs", self.platform, endpoint, wait)
                        self.clock.sleep(wait)
                        waited_for_rate_limit = True
                        attempt -= 1
                        continue
                if problem.status is not HealthStatus.DEGRADED:
                    logger.warning("%s %s: %s", self.platform, endpoint, problem.status.value)
                    raise problem
            if attempt >= self.policy.attempts:
                logger.warning("%s %s still failing after %d tries", self.platform, endpoint, attempt)
                problem.retry_after = self.clock.now() + timedelta(
                    seconds=self.policy.backoff_seconds * self.policy.backoff_factor**attempt
                )
                raise problem
            delay = self.policy.backoff_seconds * self.policy.backoff_factor ** (attempt - 1)
            logger.info(
                "%s %s failed (%s); retrying in %.1fs", self.platform, endpoint, problem.detail, delay
            )
            self.clock.sleep(delay)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def _seconds_until(self, when: datetime | None) -> float:
        if when is None:
            return self.policy.default_rate_limit_wait_seconds
        return max(0.0, (when - self.clock.now()).total_seconds())

    def _note_remaining(self, response: httpx.Response) -> None:
        remaining = remaining_calls(response.headers)
        if remaining is not None and remaining < 1:
            self.exhausted_until = reset_time(response.headers, self.clock.now()) or (
                self.clock.now() + timedelta(seconds=self.policy.default_rate_limit_wait_seconds)
            )

    def problem_for(self, response: httpx.Response, endpoint: str) -> ConnectorProblem:
        """How a non-2xx response maps onto health (platform hook first)."""
        if self.classify is not None:
            refined = self.classify(response)
            if refined is not None:
                if refined.status is HealthStatus.RATE_LIMITED and refined.retry_after is None:
                    refined.retry_after = reset_time(response.headers, self.clock.now())
                return refined
        status = response.status_code
        if status in (401, 403):
            return ConnectorProblem(
                HealthStatus.AUTH_EXPIRED,
                f"HTTP {status} from {endpoint}: credentials were refused; enter them again",
            )
        if status == 429:
            when = reset_time(response.headers, self.clock.now()) or (
                self.clock.now() + timedelta(seconds=self.policy.default_rate_limit_wait_seconds)
            )
            return ConnectorProblem(
                HealthStatus.RATE_LIMITED, f"HTTP 429 from {endpoint}: rate limited", retry_after=when
            )
        if status >= 500:
            return ConnectorProblem(HealthStatus.DEGRADED, f"HTTP {status} from {endpoint}")
        return ConnectorProblem(HealthStatus.ERROR, f"HTTP {status} from {endpoint}")


def json_body(response: httpx.Response, endpoint: str) -> Any:
    """The decoded body, or an ``error`` problem naming the endpoint when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        raise ConnectorProblem(HealthStatus.ERROR, f"{endpoint} returned a body that is not JSON") from None
