"""Replies on X: ``POST /2/tweets`` with ``reply.in_reply_to_tweet_id``; hiding: ``PUT /2/tweets/{id}/hidden``.

Credentials: ``access_token``, an OAuth 2.0 user token of the organization's account (scopes ``tweet.read
tweet.write users.read``, plus ``tweet.moderate.write`` to hide replies). The app-only bearer token of the
listening connector cannot post. The parent is the post id ingest stores.

X has no idempotency key. Its answers are mapped as for every platform, and two 403s are told apart by their
``detail``: "duplicate content" means X already holds this very text from us, so the outcome is ``unknown``
(reconcile: it is probably an earlier try that did get through); "reply ... is not allowed" means the author
restricted replies (``rejected``). Any other 403 is ``auth_expired``.

Reconciling: ``GET /2/users/{me}/tweets?since_id=<parent>`` (our posts made after the parent; ids grow with time),
paged with ``pagination_token``, looking for a post that ``replied_to`` the parent with our text (leading
``@mentions`` X adds and ``t.co`` links are ignored in the comparison). If the pages run out of the budget
(``reconcile_pages``) before the timeline does, the outcome stays ``unknown`` (``reconcile_incomplete``).

Hiding works on replies to a conversation our account started (X's rule).
"""

from __future__ import annotations

import re
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

_LEADING_MENTIONS = re.compile(r"^(?:@\w{1,15}\s+)+")
_URL = re.compile(r"https?://\S+")


def x_text_matches(posted: str, ours: str) -> bool:
    """X may prefix the reply with the @mentions of the thread and wraps links in t.co."""

    def fold(text: str) -> str:
        return _URL.sub("<link>", _LEADING_MENTIONS.sub("", text.strip()))

    return same_text(fold(posted), fold(ours))


def _problem_text(response: httpx.Response) -> str:
    body = json_object(response) or {}
    parts = [body.get(name) for name in ("detail", "title", "type")]
    return " ".join(part for part in parts if isinstance(part, str)).lower()


class XReplyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str = "https://api.x.com"
    user_id: str | None = Field(default=None, pattern=r"^[0-9]{1,20}$")
    """Our account's id; looked up with ``/2/users/me`` when not given."""
    reconcile_pages: int = Field(default=5, ge=1, le=32)


class XReplySender(BaseReplySender):
    platform = "x"
    supports_hide = True
    Options = XReplyOptions
    credential_keys = ("access_token",)

    @property
    def base(self) -> str:
        options: XReplyOptions = self.options
        return options.base_url.rstrip("/")

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.require('access_token')}"}

    def classify_send(self, response: httpx.Response, endpoint: str) -> ReplyResult | None:
        if response.status_code != 403:
            return None
        text = _problem_text(response)
        if "duplicate" in text:
            return unknown(
                "duplicate",
                f"HTTP 403 from {endpoint}: X already has this text from our account (an earlier try may "
                "have been posted); reconcile",
            )
        if "reply" in text and "not allowed" in text:
            return failed("rejected", f"HTTP 403 from {endpoint}: the author does not allow this reply")
        return None

    def _send(self, request: ReplyRequest) -> ReplyResult:
        endpoint = "/2/tweets"
        outcome = self.post_once(
            "POST",
            f"{self.base}/2/tweets",
            json={"text": request.text, "reply": {"in_reply_to_tweet_id": request.parent_remote_id}},
            headers=self._headers(),
        )
        if not isinstance(outcome, httpx.Response):
            return outcome
        refused = self.response_result(outcome, endpoint)
        if refused is not None:
            return refused
        body = json_object(outcome) or {}
        data = body.get("data")
        post_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(post_id, str):
            return self.unreadable(endpoint)
        return sent(post_id, f"https://x.com/i/web/status/{post_id}")

    def _me(self) -> str:
        options: XReplyOptions = self.options
        if options.user_id:
            return options.user_id
        body = json_body(self.http.get(f"{self.base}/2/users/me", headers=self._headers()), "/2/users/me")
        data = body.get("data") if isinstance(body, dict) else None
        user_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(user_id, str):
            raise ConnectorProblem(HealthStatus.ERROR, "/2/users/me gave no user id")
        return user_id

    def _find(self, request: ReplyRequest) -> ReplyResult | None:
        options: XReplyOptions = self.options
        me = self._me()
        url = f"{self.base}/2/users/{me}/tweets"
        params: dict[str, Any] = {
            "since_id": request.parent_remote_id,
            "max_results": "100",
            "tweet.fields": "referenced_tweets,conversation_id,created_at",
            "exclude": "retweets",
        }
        for _ in range(options.reconcile_pages):
            body = json_body(
                self.http.get(url, params=params, headers=self._headers()), "/2/users/{id}/tweets"
            )
            if not isinstance(body, dict):
                raise ConnectorProblem(
                    HealthStatus.ERROR, "/2/users/{id}/tweets returned an unexpected shape"
                )
            for post in body.get("data") or []:
                if self._is_ours(post, request):
                    return sent(
                        str(post["id"]), f"https://x.com/i/web/status/{post['id']}", detail="found on X"
                    )
            meta = body.get("meta")
            token = meta.get("next_token") if isinstance(meta, dict) else None
            if not isinstance(token, str):
                return None
            params["pagination_token"] = token
        return unknown(
            "reconcile_incomplete",
            f"our account posted more than {options.reconcile_pages} pages since the parent; check it by hand",
        )

    @staticmethod
    def _is_ours(post: Any, request: ReplyRequest) -> bool:
        if not isinstance(post, dict) or not isinstance(post.get("id"), str):
            return False
        references = post.get("referenced_tweets")
        answers = isinstance(references, list) and any(
            isinstance(ref, dict)
            and ref.get("type") == "replied_to"
            and ref.get("id") == request.parent_remote_id
            for ref in references
        )
        text = post.get("text")
        return answers and isinstance(text, str) and x_text_matches(text, request.text)

    def _hide(self, remote_id: str) -> ModerationResult:
        outcome = self.hide_once(
            "PUT", f"{self.base}/2/tweets/{remote_id}/hidden", json={"hidden": True}, headers=self._headers()
        )
        if isinstance(outcome, ModerationResult):
            return outcome
        body = json_object(outcome) or {}
        data = body.get("data")
        if isinstance(data, dict) and data.get("hidden") is True:
            return ModerationResult(ok=True, detail="hidden on X")
        return ModerationResult(
            ok=False, error_code="rejected", detail="X did not confirm the reply is hidden"
        )
