"""Replies on Reddit: ``POST /api/comment`` (``thing_id``, ``text``, ``api_type=json``) as the organization's user.

Credentials: ``client_id``, ``client_secret`` and either ``refresh_token`` (an installed or web app authorized
with the ``submit``, ``read`` and ``identity`` scopes) or ``username`` + ``password`` (a script app). The
listening connector's app-only token cannot post. The parent is the fullname ingest stores (``t3_...`` for a
post, ``t1_...`` for a comment).

Reddit answers many refusals with HTTP 200 and ``{"json": {"errors": [[CODE, message, field]]}}``: ``RATELIMIT``
→ ``rate_limited``; ``USER_REQUIRED`` → ``auth_expired``; ``DELETED_COMMENT``, ``DELETED_LINK`` → ``not_found``;
any other code (``THREAD_LOCKED``, ``TOO_OLD``, ``TOO_LONG``...) → ``rejected`` naming the code. A 401 (the token
expired early) is safe to retry, so the token is renewed once and the comment posted again; Reddit has no
idempotency key, so a 5xx or a timeout is ``unknown`` (Reddit is known to answer 5xx after posting).

Reconciling: our user's comments, newest first (``/user/{name}/comments?sort=new``), back to the parent's
``created_utc`` (read from ``/api/info``); a comment whose ``parent_id`` is the parent and whose body is our text
is the reply. Reading stops with ``unknown`` (``reconcile_incomplete``) when ``reconcile_pages`` run out first.

Hiding: only a moderator of the subreddit can remove a comment (``POST /api/remove``), so ``supports_hide`` is
true only when the ``moderator`` option says the account moderates where it answers.
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

REDDIT = "https://www.reddit.com"


class RedditReplyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_url: str = "https://oauth.reddit.com"
    auth_url: str = "https://www.reddit.com"
    user_agent: str = "rounds:replies:v1 (self-hosted health care social media inbox)"
    username: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{3,20}$")
    """Our account's name; read from ``/api/v1/me`` when not given."""
    moderator: bool = False
    """The account moderates the subreddits it answers in, so it may remove comments."""
    reconcile_pages: int = Field(default=5, ge=1, le=10)


class RedditReplySender(BaseReplySender):
    platform = "reddit"
    Options = RedditReplyOptions
    credential_keys = ("client_id", "client_secret")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options: RedditReplyOptions = self.options
        self.supports_hide = options.moderator
        self._token: str | None = None
        if not self.credentials.get("refresh_token"):
            self.credentials.require("username")
            self.credentials.require("password")

    @property
    def api(self) -> str:
        options: RedditReplyOptions = self.options
        return options.api_url.rstrip("/")

    def _grant(self) -> dict[str, str]:
        refresh = self.credentials.get("refresh_token")
        if refresh:
            return {"grant_type": "refresh_token", "refresh_token": refresh}
        return {
            "grant_type": "password",
            "username": self.credentials.require("username"),
            "password": self.credentials.require("password"),
        }

    def _headers(self, *, renew: bool = False) -> dict[str, str]:
        options: RedditReplyOptions = self.options
        if renew or not self._token:
            response = self.http.request(
                "POST",
                f"{options.auth_url.rstrip('/')}/api/v1/access_token",
                data=self._grant(),
                auth=(self.credentials.require("client_id"), self.credentials.require("client_secret")),
                headers={"User-Agent": options.user_agent},
            )
            body = json_object(response) or {}
            token = body.get("access_token")
            if not isinstance(token, str) or not token:  # Reddit answers a bad password with 200 + "error"
                raise ConnectorProblem(
                    HealthStatus.AUTH_EXPIRED, "Reddit gave no user token; authorize the account again"
                )
            self._token = token
        return {"Authorization": f"bearer {self._token}", "User-Agent": options.user_agent}

    def _send(self, request: ReplyRequest) -> ReplyResult:
        endpoint = "/api/comment"
        data = {
            "api_type": "json",
            "thing_id": request.parent_remote_id,
            "text": request.text,
            "raw_json": "1",
        }
        headers = self._headers()
        for attempt in (1, 2):
            outcome = self.post_once("POST", f"{self.api}/api/comment", data=data, headers=headers)
            if not isinstance(outcome, httpx.Response):
                return outcome
            if outcome.status_code == 401 and attempt == 1:
                headers = self._headers(renew=True)  # refused, so nothing was posted: renew and post again
                continue
            refused = self.response_result(outcome, endpoint)
            if refused is not None:
                return refused
            return self._read_comment(outcome, endpoint)
        raise AssertionError("unreachable")  # pragma: no cover

    def _read_comment(self, response: httpx.Response, endpoint: str) -> ReplyResult:
        body = json_object(response) or {}
        answer = body.get("json")
        if not isinstance(answer, dict):
            return self.unreadable(endpoint)
        errors = answer.get("errors")
        if isinstance(errors, list) and errors:
            codes = [str(error[0]) for error in errors if isinstance(error, list) and error]
            return self._refusal(codes, response, endpoint)
        things = answer.get("data", {}).get("things") if isinstance(answer.get("data"), dict) else None
        thing = (
            things[0].get("data")
            if isinstance(things, list) and things and isinstance(things[0], dict)
            else None
        )
        if not isinstance(thing, dict) or not isinstance(thing.get("name"), str):
            return self.unreadable(endpoint)
        permalink = thing.get("permalink")
        return sent(str(thing["name"]), f"{REDDIT}{permalink}" if isinstance(permalink, str) else None)

    def _refusal(self, codes: list[str], response: httpx.Response, endpoint: str) -> ReplyResult:
        named = ", ".join(codes) or "unnamed error"
        if "RATELIMIT" in codes:
            return self.rate_limited(response, endpoint, why=f"Reddit says {named}")
        if "USER_REQUIRED" in codes:
            return failed("auth_expired", f"{endpoint}: Reddit says {named}; authorize the account again")
        if {"DELETED_COMMENT", "DELETED_LINK"} & set(codes):
            return failed("not_found", f"{endpoint}: Reddit says {named}; the post being answered is gone")
        return failed("rejected", f"{endpoint}: Reddit refused the reply ({named})")

    def _get(self, path: str, params: dict[str, str]) -> Any:
        try:
            response = self.http.get(f"{self.api}{path}", params=params, headers=self._headers())
        except ConnectorProblem as problem:
            if problem.status is not HealthStatus.AUTH_EXPIRED:
                raise
            response = self.http.get(f"{self.api}{path}", params=params, headers=self._headers(renew=True))
        return json_body(response, path.split("?")[0])

    def _username(self) -> str:
        options: RedditReplyOptions = self.options
        if options.username:
            return options.username
        me = self._get("/api/v1/me", {})
        name = me.get("name") if isinstance(me, dict) else None
        if not isinstance(name, str):
            raise ConnectorProblem(HealthStatus.ERROR, "/api/v1/me gave no user name")
        return name

    def _parent_created(self, fullname: str) -> float | None:
        info = self._get("/api/info", {"id": fullname, "raw_json": "1"})
        children = info.get("data", {}).get("children") if isinstance(info, dict) else None
        if isinstance(children, list) and children and isinstance(children[0], dict):
            created = children[0].get("data", {}).get("created_utc")
            if isinstance(created, int | float) and not isinstance(created, bool):
                return float(created)
        return None

    def _find(self, request: ReplyRequest) -> ReplyResult | None:
        options: RedditReplyOptions = self.options
        name = self._username()
        since = self._parent_created(request.parent_remote_id)
        params = {"sort": "new", "limit": "100", "raw_json": "1"}
        for _ in range(options.reconcile_pages):
            listing = self._get(f"/user/{name}/comments", params)
            data = listing.get("data") if isinstance(listing, dict) else None
            if not isinstance(data, dict):
                raise ConnectorProblem(
                    HealthStatus.ERROR, "/user/{name}/comments returned an unexpected shape"
                )
            for child in data.get("children") or []:
                comment = child.get("data") if isinstance(child, dict) else None
                if not isinstance(comment, dict):
                    continue
                body = comment.get("body")
                if (
                    comment.get("parent_id") == request.parent_remote_id
                    and isinstance(body, str)
                    and same_text(body, request.text)
                    and isinstance(comment.get("name"), str)
                ):
                    permalink = comment.get("permalink")
                    return sent(
                        str(comment["name"]),
                        f"{REDDIT}{permalink}" if isinstance(permalink, str) else None,
                        detail="found on Reddit",
                    )
                created = comment.get("created_utc")
                if since is not None and isinstance(created, int | float) and created < since:
                    return None  # older than the parent: everything after it has been read
            after = data.get("after")
            if not isinstance(after, str):
                return None
            params["after"] = after
        return unknown(
            "reconcile_incomplete",
            f"our account commented more than {options.reconcile_pages} pages since the parent; check by hand",
        )

    def _hide(self, remote_id: str) -> ModerationResult:
        if not self.supports_hide:
            return ModerationResult(
                ok=False,
                error_code="unsupported",
                detail="only a moderator of the subreddit can remove a comment (set the moderator option)",
            )
        outcome = self.hide_once(
            "POST", f"{self.api}/api/remove", data={"id": remote_id, "spam": "false"}, headers=self._headers()
        )
        if isinstance(outcome, ModerationResult):
            return outcome
        return ModerationResult(ok=True, detail="removed by a moderator of the subreddit")
