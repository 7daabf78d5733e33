"""Replies on YouTube: ``comments.insert`` (``POST /youtube/v3/comments?part=snippet`` with ``snippet.parentId``);
hiding: ``comments.setModerationStatus`` with ``moderationStatus=heldForReview``.

Credentials: ``access_token``, an OAuth token of the channel with scope ``youtube.force-ssl`` (the listening
connector's API key cannot write). YouTube replies only to top-level comments: a reply's id is
``<top-level id>.<reply id>``, so the parent is cut to its top-level part (the reply then lands in the same
thread, as on youtube.com). Inserting costs 50 quota units.

Errors come as ``{"error": {"errors": [{"reason"}]}}``: ``quotaExceeded``/``rateLimitExceeded``... →
``rate_limited``; ``commentsDisabled``, ``forbidden``, ``processingFailure``... → ``rejected`` naming the reason;
``insufficientPermissions``, ``authError``... → ``auth_expired``. No idempotency key exists; 5xx and timeouts are
``unknown``.

Reconciling: ``comments.list?parentId=<top-level>`` (every reply in the thread, all pages up to
``reconcile_pages``), our channel's reply with our text. Our channel id is the ``channel_id`` option, or read from
``channels.list?mine=true``. Google's lists can lag a write by seconds: let a minute pass after an ``unknown``
before reconciling, so ``None`` really means "not posted".

"Hide" maps to ``heldForReview``: the comment leaves public view and waits in YouTube Studio's review queue, where
it can be approved again (``rejected`` would hide it for good; we keep hiding reversible). Only the owner of the
video's channel may do it.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from rounds.connectors.platform_http import ConnectorProblem, json_body
from rounds.connectors.replies import (
    BaseReplySender,
    failed,
    json_object,
    same_text,
    sent,
    unknown,
)
from rounds.domain.connectors import HealthStatus
from rounds.domain.replies import ModerationResult, ReplyRequest, ReplyResult

_RATE = frozenset({"quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded", "userRateLimitExceeded"})
_AUTH = frozenset({"insufficientPermissions", "authError", "unauthorized", "forbiddenByOwner"})


def _reason(response: httpx.Response) -> str:
    body = json_object(response) or {}
    error = body.get("error")
    errors = error.get("errors") if isinstance(error, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("reason", ""))
    return ""


def top_level_id(comment_id: str) -> str:
    return comment_id.split(".", 1)[0]


class YouTubeReplyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str = "https://www.googleapis.com"
    channel_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{10,40}$")
    reconcile_pages: int = Field(default=10, ge=1, le=50)


class YouTubeReplySender(BaseReplySender):
    platform = "youtube"
    supports_hide = True
    Options = YouTubeReplyOptions
    credential_keys = ("access_token",)

    @property
    def api(self) -> str:
        options: YouTubeReplyOptions = self.options
        return f"{options.base_url.rstrip('/')}/youtube/v3"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.require('access_token')}"}

    def classify(self, response: httpx.Response) -> ConnectorProblem | None:
        reason = _reason(response)
        if reason in _RATE:
            return ConnectorProblem(HealthStatus.RATE_LIMITED, f"YouTube quota: {reason}")
        if reason in _AUTH:
            return ConnectorProblem(
                HealthStatus.AUTH_EXPIRED, f"YouTube: {reason}; connect the channel again"
            )
        if reason and response.status_code == 403:
            return ConnectorProblem(HealthStatus.ERROR, f"YouTube refused: {reason}")
        return None

    def classify_send(self, response: httpx.Response, endpoint: str) -> ReplyResult | None:
        reason = _reason(response)
        if reason in _RATE:
            return self.rate_limited(response, endpoint, why=f"YouTube quota ({reason})")
        if reason in _AUTH:
            return failed(
                "auth_expired", f"HTTP {response.status_code} from {endpoint}: YouTube says {reason}"
            )
        if reason and 400 <= response.status_code < 500 and response.status_code not in (401, 404):
            return failed("rejected", f"HTTP {response.status_code} from {endpoint}: YouTube says {reason}")
        return None

    def _send(self, request: ReplyRequest) -> ReplyResult:
        endpoint = "/youtube/v3/comments"
        payload = {
            "snippet": {"parentId": top_level_id(request.parent_remote_id), "textOriginal": request.text}
        }
        outcome = self.post_once(
            "POST", f"{self.api}/comments", params={"part": "snippet"}, json=payload, headers=self._headers()
        )
        if not isinstance(outcome, httpx.Response):
            return outcome
        refused = self.response_result(outcome, endpoint)
        if refused is not None:
            return refused
        body = json_object(outcome) or {}
        if not isinstance(body.get("id"), str):
            return self.unreadable(endpoint)
        return sent(body["id"], self._url(body))

    @staticmethod
    def _url(comment: dict[str, Any]) -> str | None:
        snippet = comment.get("snippet")
        video = snippet.get("videoId") if isinstance(snippet, dict) else None
        return (
            f"https://www.youtube.com/watch?v={video}&lc={comment['id']}" if isinstance(video, str) else None
        )

    def _channel(self) -> str:
        options: YouTubeReplyOptions = self.options
        if options.channel_id:
            return options.channel_id
        body = json_body(
            self.http.get(
                f"{self.api}/channels", params={"part": "id", "mine": "true"}, headers=self._headers()
            ),
            "/youtube/v3/channels",
        )
        items = body.get("items") if isinstance(body, dict) else None
        if (
            isinstance(items, list)
            and items
            and isinstance(items[0], dict)
            and isinstance(items[0].get("id"), str)
        ):
            return str(items[0]["id"])
        raise ConnectorProblem(HealthStatus.AUTH_EXPIRED, "the token belongs to no YouTube channel")

    def _find(self, request: ReplyRequest) -> ReplyResult | None:
        options: YouTubeReplyOptions = self.options
        channel = self._channel()
        params = {
            "part": "snippet",
            "parentId": top_level_id(request.parent_remote_id),
            "maxResults": "100",
            "textFormat": "plainText",
        }
        for _ in range(options.reconcile_pages):
            body = json_body(
                self.http.get(f"{self.api}/comments", params=params, headers=self._headers()),
                "/youtube/v3/comments",
            )
            items = body.get("items") if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise ConnectorProblem(HealthStatus.ERROR, "comments.list returned an unexpected shape")
            for item in items:
                snippet = item.get("snippet") if isinstance(item, dict) else None
                if not isinstance(snippet, dict) or not isinstance(item.get("id"), str):
                    continue
                author = snippet.get("authorChannelId")
                text = snippet.get("textOriginal")
                if (
                    isinstance(author, dict)
                    and author.get("value") == channel
                    and isinstance(text, str)
                    and same_text(text, request.text)
                ):
                    return sent(item["id"], self._url(item), detail="found on YouTube")
            token = body.get("nextPageToken")
            if not isinstance(token, str):
                return None
            params["pageToken"] = token
        return unknown(
            "reconcile_incomplete",
            f"the thread has more than {options.reconcile_pages} pages of replies; check it by hand",
        )

    def _hide(self, remote_id: str) -> ModerationResult:
        outcome = self.hide_once(
            "POST",
            f"{self.api}/comments/setModerationStatus",
            params={"id": remote_id, "moderationStatus": "heldForReview"},
            headers=self._headers(),
        )
        if isinstance(outcome, ModerationResult):
            return outcome
        return ModerationResult(ok=True, detail="held for review: hidden until approved in YouTube Studio")
