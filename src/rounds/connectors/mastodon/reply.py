"""Replies on Mastodon: ``POST /api/v1/statuses`` with ``in_reply_to_id`` and an ``Idempotency-Key`` header.

The parent: ingest stores a status's ActivityPub ``uri`` as its remote id, and ``in_reply_to_id`` needs the
status's id *on our instance*, so the sender resolves it with ``GET /api/v2/search?q=<uri>&resolve=true``. A
parent given as a bare number is taken as a local id already.

Idempotency: Mastodon keeps the ``Idempotency-Key`` of each account's statuses for an hour and answers a repeat
with the status it already made. So a 5xx, a timeout or a lost connection is retried inline with the same key
(``send_attempts``, backoff on the injected clock); only when every attempt fails is the outcome ``unknown``.

Reconciling: ``GET /api/v1/statuses/{parent}/context``, our account's descendants that answer the parent and whose
text (HTML stripped) is ours. Authenticated context lists up to 4,096 descendants; a thread that large is
reported as ``reconcile_incomplete`` rather than "not there".

Hiding: Mastodon has no way to hide someone else's reply (only mute, block or report), so ``supports_hide`` is
false. The text is sent as written: add the ``@mention`` in the composer to notify the author.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

from rounds.connectors.platform_http import ConnectorProblem, json_body
from rounds.connectors.replies import (
    BaseReplySender,
    NotFoundProblem,
    json_object,
    same_text,
    sent,
    unknown,
)
from rounds.connectors.text import html_to_text
from rounds.domain.connectors import HealthStatus
from rounds.domain.replies import ReplyRequest, ReplyResult, SendStatus

CONTEXT_LIMIT = 4096
"""Mastodon's cap on descendants in an authenticated ``context`` answer."""


class MastodonReplyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instance_url: str = Field(pattern=r"^https?://[^/\s]+/?$")
    visibility: Literal["public", "unlisted", "private", "direct"] | None = None
    """None uses the account's default."""
    send_attempts: int = Field(default=3, ge=1, le=5)
    """Tries with the same Idempotency-Key before the outcome is ``unknown``."""


class MastodonReplySender(BaseReplySender):
    platform = "mastodon"
    supports_hide = False
    Options = MastodonReplyOptions
    credential_keys = ("access_token",)

    @property
    def base(self) -> str:
        options: MastodonReplyOptions = self.options
        return options.instance_url.rstrip("/")

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.require('access_token')}"}

    def _local_id(self, parent: str) -> str:
        if parent.isdigit():
            return parent
        response = self.http.get(
            f"{self.base}/api/v2/search",
            params={"q": parent, "type": "statuses", "resolve": "true", "limit": "5"},
            headers=self._headers(),
        )
        body = json_body(response, "/api/v2/search")
        statuses = body.get("statuses") if isinstance(body, dict) else None
        for status in statuses if isinstance(statuses, list) else []:
            if not isinstance(status, dict) or not isinstance(status.get("id"), str):
                continue
            if parent in (status.get("uri"), status.get("url")):
                return str(status["id"])
        raise NotFoundProblem("the instance cannot find the status being answered")

    def _send(self, request: ReplyRequest) -> ReplyResult:
        options: MastodonReplyOptions = self.options
        parent = self._local_id(request.parent_remote_id)
        payload: dict[str, Any] = {"status": request.text, "in_reply_to_id": parent}
        if options.visibility:
            payload["visibility"] = options.visibility
        headers = {**self._headers(), "Idempotency-Key": request.idempotency_key}
        url = f"{self.base}/api/v1/statuses"
        endpoint = "/api/v1/statuses"
        result: ReplyResult | None = None
        for attempt in range(1, options.send_attempts + 1):
            if attempt > 1:
                policy = self.retry_policy
                self.clock.sleep(policy.backoff_seconds * policy.backoff_factor ** (attempt - 2))
            outcome = self.post_once("POST", url, json=payload, headers=headers)
            if isinstance(outcome, httpx.Response):
                result = self.response_result(outcome, endpoint)
                if result is None:
                    return self._sent(outcome, endpoint)
            else:
                result = outcome
            # the same key makes a resend safe: retry what may be transient, stop on a refusal
            transient = result.status is SendStatus.UNKNOWN or result.error_code == "degraded"
            if not transient:
                return result
        assert result is not None
        if result.status is SendStatus.UNKNOWN:
            return unknown(
                result.error_code or "unknown",
                f"{result.detail} (after {options.send_attempts} tries with the same Idempotency-Key)",
            )
        return result

    def _sent(self, response: httpx.Response, endpoint: str) -> ReplyResult:
        body = json_object(response)
        if body is None or not isinstance(body.get("id"), str):
            return self.unreadable(endpoint)
        url = body.get("url") or body.get("uri")
        return sent(str(body["id"]), url if isinstance(url, str) else None)

    def _find(self, request: ReplyRequest) -> ReplyResult | None:
        parent = self._local_id(request.parent_remote_id)
        me = json_body(
            self.http.get(f"{self.base}/api/v1/accounts/verify_credentials", headers=self._headers()),
            "/api/v1/accounts/verify_credentials",
        )
        my_id = me.get("id") if isinstance(me, dict) else None
        if not isinstance(my_id, str):
            raise ConnectorProblem(HealthStatus.ERROR, "verify_credentials gave no account id")
        endpoint = "/api/v1/statuses/{id}/context"
        context = json_body(
            self.http.get(f"{self.base}/api/v1/statuses/{parent}/context", headers=self._headers()), endpoint
        )
        descendants = context.get("descendants") if isinstance(context, dict) else None
        if not isinstance(descendants, list):
            raise ConnectorProblem(HealthStatus.ERROR, f"{endpoint} returned an unexpected shape")
        for status in descendants:
            if not isinstance(status, dict) or status.get("in_reply_to_id") != parent:
                continue
            account = status.get("account")
            if not isinstance(account, dict) or account.get("id") != my_id:
                continue
            content = status.get("content")
            if isinstance(content, str) and same_text(html_to_text(content), request.text):
                return self._sent_from(status)
        if len(descendants) >= CONTEXT_LIMIT:
            return unknown(
                "reconcile_incomplete",
                f"the thread has {len(descendants)} replies, more than the instance lists; check it by hand",
            )
        return None

    @staticmethod
    def _sent_from(status: dict[str, Any]) -> ReplyResult:
        url = status.get("url") or status.get("uri")
        return sent(str(status["id"]), url if isinstance(url, str) else None, detail="found on the instance")
