"""What the Facebook Page and Instagram connectors share: the Graph API's auth, errors, usage headers and paging.

Both platforms are read through ``graph.facebook.com/{version}``. The token goes in the ``Authorization`` header,
never in a query string, and the ``appsecret_proof`` is added when an app secret is configured.

Errors come as ``{"error": {"message", "type", "code", "error_subcode", "is_transient", "fbtrace_id"}}``, usually
with HTTP 400 whatever the cause, so the code decides the health:

* 4, 17, 32, 341, 613 and the Business Use Case codes 80000-80099 → ``rate_limited``;
* 190 (token expired, revoked, password changed...) and 102 → ``auth_expired``; 10 and 200-299 (a permission
  is missing) → ``auth_expired`` too, because the fix is the same: reconnect and grant it;
* 1, 2 or ``is_transient`` → ``degraded`` (retried with backoff first);
* any other code → ``error`` naming the code (``message`` is not copied: it is free text).

Usage headers are read after every call: ``X-App-Usage`` and ``X-Page-Usage`` (``{"call_count", "total_time",
"total_cputime"}`` in percent of the limit) and ``X-Business-Use-Case-Usage`` (``{"<id>": [{"type",
"call_count", "total_time", "total_cputime", "estimated_time_to_regain_access"}]}``, the wait in minutes). When
any figure reaches the connector's ceiling, no further call is made in this run: the fetch ends ``rate_limited``
with the completed pages, before Meta starts refusing calls.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from rounds.connectors.clock import Clock
from rounds.connectors.platform_http import ConnectorProblem, PlatformHttp, json_body
from rounds.connectors.text import parse_timestamp
from rounds.domain.connectors import HealthStatus

logger = logging.getLogger(__name__)

GRAPH_URL = "https://graph.facebook.com"
GRAPH_VERSION = "v26.0"
VERSION_PATTERN = r"^v[0-9]{1,2}\.[0-9]$"

RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613})
"""4 app, 17 user, 32 Page, 341 application limit, 613 custom limit; 80000-80099 are Business Use Case limits."""
TOKEN_CODES = frozenset({102, 190})
TRANSIENT_CODES = frozenset({1, 2})
FALLBACK_WAIT = timedelta(hours=1)
"""Used when Meta gives no estimate: Platform rate limits are counted over a rolling hour."""

_SUBCODES = {
    458: "the app is no longer installed",
    459: "the account is checkpointed",
    460: "the password was changed",
    463: "the token has expired",
    464: "the user is unconfirmed",
    467: "the token is invalid",
    492: "the user no longer has a role on the Page",
}
_USAGE_FIGURES = ("call_count", "total_time", "total_cputime")
_DROPPED_PAGING_PARAMS = frozenset({"access_token", "appsecret_proof"})


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def appsecret_proof(app_secret: str, access_token: str) -> str:
    """``appsecret_proof``: the HMAC-SHA256 of the token keyed with the app secret."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def graph_error(response: httpx.Response) -> dict[str, Any] | None:
    """The ``error`` object of a Graph error body, or None when the body is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or _number(error.get("code")) is None:
        return None
    return error


def regain_time(headers: httpx.Headers, now: datetime) -> datetime | None:
    """When Meta says access comes back (``estimated_time_to_regain_access``, minutes), if it says."""
    minutes = usage(headers)[1]
    return None if minutes is None else now + timedelta(minutes=minutes)


def classify(response: httpx.Response, now: datetime) -> ConnectorProblem | None:
    """Health for a Graph error response, from its error code (PlatformHttp's platform hook)."""
    error = graph_error(response)
    if error is None:
        return None
    code = int(error["code"])
    subcode_value = _number(error.get("error_subcode"))
    subcode = int(subcode_value) if subcode_value is not None else None
    endpoint = response.request.url.path
    label = f"Graph API error {code}" + (f" (subcode {subcode})" if subcode is not None else "")
    if code in RATE_LIMIT_CODES or 80000 <= code <= 80099:
        return ConnectorProblem(
            HealthStatus.RATE_LIMITED,
            f"{label} from {endpoint}: rate limited",
            retry_after=regain_time(response.headers, now) or now + FALLBACK_WAIT,
        )
    if code in TOKEN_CODES:
        why = _SUBCODES.get(subcode or 0, "the token was refused")
        return ConnectorProblem(
            HealthStatus.AUTH_EXPIRED, f"{label} from {endpoint}: {why}; reconnect the account"
        )
    if code == 10 or 200 <= code <= 299:
        return ConnectorProblem(
            HealthStatus.AUTH_EXPIRED,
            f"{label} from {endpoint}: the token lacks a permission this connector needs; "
            "reconnect and grant it",
        )
    if code in TRANSIENT_CODES or error.get("is_transient") is True:
        return ConnectorProblem(HealthStatus.DEGRADED, f"{label} from {endpoint}: temporary problem at Meta")
    if response.status_code >= 500:
        return None
    return ConnectorProblem(HealthStatus.ERROR, f"{label} from {endpoint}")


def usage(headers: httpx.Headers) -> tuple[float | None, float | None]:
    """(highest usage in percent, longest estimated minutes to regain access) from the usage headers."""
    highest: float | None = None
    regain: float | None = None

    def note(figures: object) -> None:
        nonlocal highest, regain
        if not isinstance(figures, dict):
            return
        for name in _USAGE_FIGURES:
            value = _number(figures.get(name))
            if value is not None:
                highest = value if highest is None else max(highest, value)
        wait = _number(figures.get("estimated_time_to_regain_access"))
        if wait is not None:
            regain = wait if regain is None else max(regain, wait)

    for name in ("x-app-usage", "x-page-usage", "x-business-use-case-usage"):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            document = json.loads(raw)
        except ValueError:
            logger.debug("unreadable %s header", name)
            continue
        if name == "x-business-use-case-usage" and isinstance(document, dict):
            for entries in document.values():
                for entry in entries if isinstance(entries, list) else [entries]:
                    note(entry)
        else:
            note(document)
    return highest, regain


def next_page_params(document: Mapping[str, Any]) -> dict[str, str] | None:
    """The query of ``paging.next`` (cursor or time based), without the token; None on the last page.

    The parameters are replayed against our own base URL and path, so a fake server (or a proxy) keeps working
    and the token never travels in a URL.
    """
    paging = document.get("paging")
    next_url = paging.get("next") if isinstance(paging, dict) else None
    if not isinstance(next_url, str) or not next_url:
        return None
    pairs = parse_qsl(urlsplit(next_url).query, keep_blank_values=True)
    return {key: value for key, value in pairs if key not in _DROPPED_PAGING_PARAMS}


def item_time(item: object, field: str) -> int | None:
    """Unix seconds of an item's time field, or None when it is missing or bad (a light look, not a parse)."""
    if not isinstance(item, dict):
        return None
    try:
        return int(parse_timestamp(item.get(field), field).timestamp())
    except ValueError:
        return None


def watermark(value: str | None) -> int | None:
    """A cursor's unix-second watermark, or None when it is missing or not a whole number."""
    return int(value) if value is not None and value.lstrip("-").isdigit() else None


def newest_time(times: list[int | None], newest: int | None) -> int | None:
    """The latest of ``newest`` and a page's known item times."""
    known = [time for time in times if time is not None]
    if newest is not None:
        known.append(newest)
    return max(known) if known else None


def has_new(times: list[int | None], watermark: int | None) -> bool:
    """Whether a page holds anything not handed over yet (items of unknown time count, so they are stored)."""
    return watermark is None or any(time is None or time >= watermark for time in times)


def reached(times: list[int | None], watermark: int | None) -> bool:
    """Whether a newest-first page went past the watermark, so older pages hold nothing new.

    Only a page that is really newest-first stops the paging; an oldest-first page is read on.
    """
    known = [time for time in times if time is not None]
    if watermark is None or not known or known != sorted(known, reverse=True):
        return False
    return known[-1] < watermark


class GraphApi:
    """Graph API calls for one fetch: auth, usage ceiling and error classes over :class:`PlatformHttp`."""

    def __init__(
        self,
        client: httpx.Client,
        clock: Clock,
        *,
        platform: str,
        base_url: str,
        version: str,
        access_token: str,
        app_secret: str | None,
        usage_ceiling_percent: float,
    ) -> None:
        self.clock = clock
        self.http = PlatformHttp(
            client, clock, platform=platform, classify=lambda response: classify(response, clock.now())
        )
        self.root = f"{base_url.rstrip('/')}/{version}"
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._proof = appsecret_proof(app_secret, access_token) if app_secret else None
        self.ceiling = usage_ceiling_percent
        self.throttled: ConnectorProblem | None = None

    def get(self, path: str, params: Mapping[str, str]) -> tuple[httpx.Response, dict[str, Any]]:
        """GET ``{root}/{path}``; the response and its JSON object, or a :class:`ConnectorProblem`."""
        if self.throttled is not None:
            raise self.throttled
        url = f"{self.root}/{path.lstrip('/')}"
        endpoint = httpx.URL(url).path
        query = dict(params)
        if self._proof:
            query["appsecret_proof"] = self._proof
        response = self.http.get(url, params=query, headers=self._headers)
        self._note_usage(response.headers)
        document = json_body(response, endpoint)
        if not isinstance(document, dict):
            raise ConnectorProblem(HealthStatus.ERROR, f"{endpoint} returned an unexpected shape")
        return response, document

    def _note_usage(self, headers: httpx.Headers) -> None:
        highest, regain = usage(headers)
        if highest is None or highest < self.ceiling:
            return
        now = self.clock.now()
        wait = timedelta(minutes=regain) if regain else FALLBACK_WAIT
        logger.info("%s Graph API usage at %.0f%%; pausing", self.http.platform, highest)
        self.throttled = ConnectorProblem(
            HealthStatus.RATE_LIMITED,
            f"Graph API usage at {highest:.0f}% of the limit (ceiling {self.ceiling:.0f}%); "
            "no further calls until it recovers",
            retry_after=now + wait,
        )
