"""Replies on Bluesky: ``com.atproto.repo.createRecord`` of an ``app.bsky.feed.post`` with ``reply.root`` and
``reply.parent`` strong refs; hiding: the root post's threadgate ``hiddenReplies``.

What the inbox passes: ``parent_remote_id`` is the parent's ``at://`` uri, as ingest stores it. The sender reads
the parent with ``app.bsky.feed.getPosts`` for its ``cid`` and, when the parent is itself a reply, for the
thread's root ref (a reply to a top-level post uses the parent as root).

Credentials: ``identifier`` and ``app_password`` (``com.atproto.server.createSession``, kept for the sender's
life; a refused or expired session is renewed once, which is safe because a refused write created nothing).
XRPC errors arrive as ``{"error": Name, "message"}``: ``ExpiredToken``/``InvalidToken``/
``AuthenticationRequired`` → ``auth_expired``; other 400s → ``rejected`` naming the error.

No idempotency key exists; reconciling lists our own repository's posts (``com.atproto.repo.listRecords``,
newest first, read from our PDS so nothing lags) back to the parent's ``createdAt``, looking for a post whose
``reply.parent.uri`` is the parent with our text.

Hiding: Bluesky lets the author of a thread's root post hide replies in it, through the root's
``app.bsky.feed.threadgate`` record (``hiddenReplies``, at most 300). ``hide_comment(uri)`` reads the reply,
checks that its root is ours, then writes the threadgate with the reply added (``putRecord`` with
``swapRecord``, so a concurrent change is not overwritten). A reply under someone else's post cannot be hidden
(``not_owner``).
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from rounds.connectors.platform_http import ConnectorProblem, json_body
from rounds.connectors.replies import (
    BaseReplySender,
    NotFoundProblem,
    failed,
    json_object,
    same_text,
    sent,
    unknown,
)
from rounds.domain.connectors import HealthStatus
from rounds.domain.replies import ModerationResult, ReplyRequest, ReplyResult

POST = "app.bsky.feed.post"
THREADGATE = "app.bsky.feed.threadgate"
HIDDEN_LIMIT = 300
_AUTH_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing"})


def _xrpc_error(response: httpx.Response) -> str:
    body = json_object(response) or {}
    error = body.get("error")
    return error if isinstance(error, str) else ""


def _rkey(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def _did(uri: str) -> str:
    return uri.removeprefix("at://").split("/", 1)[0]


def post_url(uri: str) -> str:
    return f"https://bsky.app/profile/{_did(uri)}/post/{_rkey(uri)}"


class BlueskyReplyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service_url: str = Field(default="https://bsky.social", pattern=r"^https?://\S+$")
    reconcile_pages: int = Field(default=5, ge=1, le=20)


class BlueskyReplySender(BaseReplySender):
    platform = "bluesky"
    supports_hide = True
    Options = BlueskyReplyOptions
    credential_keys = ("identifier", "app_password")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session: tuple[str, str] | None = None  # (accessJwt, did)

    def classify(self, response: httpx.Response) -> ConnectorProblem | None:
        if _xrpc_error(response) in _AUTH_ERRORS:
            return ConnectorProblem(HealthStatus.AUTH_EXPIRED, "Bluesky refused the session; log in again")
        return None

    def classify_send(self, response: httpx.Response, endpoint: str) -> ReplyResult | None:
        error = _xrpc_error(response)
        if error in _AUTH_ERRORS:
            return failed("auth_expired", f"{endpoint}: Bluesky says {error}; nothing was sent")
        if response.status_code == 400 and error:
            return failed("rejected", f"HTTP 400 from {endpoint}: Bluesky says {error}")
        return None

    def _xrpc(self, method: str) -> str:
        options: BlueskyReplyOptions = self.options
        return f"{options.service_url.rstrip('/')}/xrpc/{method}"

    def _login(self, *, renew: bool = False) -> tuple[str, str]:
        if self._session and not renew:
            return self._session
        endpoint = "/xrpc/com.atproto.server.createSession"
        response = self.http.client.post(
            self._xrpc("com.atproto.server.createSession"),
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
            raise self.http.problem_for(response, endpoint)
        body = json_body(response, endpoint)
        token = body.get("accessJwt") if isinstance(body, dict) else None
        did = body.get("did") if isinstance(body, dict) else None
        if not isinstance(token, str) or not isinstance(did, str):
            raise ConnectorProblem(HealthStatus.AUTH_EXPIRED, "Bluesky gave no session")
        self._session = (token, did)
        return self._session

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._login()[0]}"}

    def _get(self, method: str, params: dict[str, str]) -> Any:
        try:
            response = self.http.get(self._xrpc(method), params=params, headers=self._headers())
        except ConnectorProblem as problem:
            if problem.status is not HealthStatus.AUTH_EXPIRED:
                raise
            self._login(renew=True)
            response = self.http.get(self._xrpc(method), params=params, headers=self._headers())
        return json_body(response, f"/xrpc/{method}")

    def _post_view(self, uri: str) -> dict[str, Any]:
        body = self._get("app.bsky.feed.getPosts", {"uris": uri})
        posts = body.get("posts") if isinstance(body, dict) else None
        for view in posts if isinstance(posts, list) else []:
            if isinstance(view, dict) and view.get("uri") == uri and isinstance(view.get("cid"), str):
                return view
        raise NotFoundProblem("Bluesky cannot find the post (deleted, or blocked from us)")

    def _send(self, request: ReplyRequest) -> ReplyResult:
        parent = self._post_view(request.parent_remote_id)
        parent_ref = {"uri": parent["uri"], "cid": parent["cid"]}
        record = parent.get("record")
        reply = record.get("reply") if isinstance(record, dict) else None
        root = reply.get("root") if isinstance(reply, dict) else None
        root_ref = (
            {"uri": root["uri"], "cid": root["cid"]}
            if isinstance(root, dict)
            and isinstance(root.get("uri"), str)
            and isinstance(root.get("cid"), str)
            else parent_ref
        )
        endpoint = "/xrpc/com.atproto.repo.createRecord"
        for attempt in (1, 2):
            _, did = self._login()
            payload = {
                "repo": did,
                "collection": POST,
                "record": {
                    "$type": POST,
                    "text": request.text,
                    "createdAt": self._now(),
                    "reply": {"root": root_ref, "parent": parent_ref},
                },
            }
            outcome = self.post_once(
                "POST", self._xrpc("com.atproto.repo.createRecord"), json=payload, headers=self._headers()
            )
            if not isinstance(outcome, httpx.Response):
                return outcome
            refused = self.response_result(outcome, endpoint)
            if refused is not None and refused.error_code == "auth_expired" and attempt == 1:
                self._login(
                    renew=True
                )  # a refused write created nothing: renew the session and write once more
                continue
            if refused is not None:
                return refused
            body = json_object(outcome) or {}
            uri = body.get("uri")
            if not isinstance(uri, str):
                return self.unreadable(endpoint)
            return sent(uri, post_url(uri))
        raise AssertionError("unreachable")  # pragma: no cover

    def _find(self, request: ReplyRequest) -> ReplyResult | None:
        options: BlueskyReplyOptions = self.options
        parent = self._post_view(request.parent_remote_id)
        parent_record = parent.get("record")
        since = parent_record.get("createdAt") if isinstance(parent_record, dict) else None
        _, did = self._login()
        params = {"repo": did, "collection": POST, "limit": "100"}
        for _ in range(options.reconcile_pages):
            body = self._get("com.atproto.repo.listRecords", params)
            records = body.get("records") if isinstance(body, dict) else None
            if not isinstance(records, list):
                raise ConnectorProblem(HealthStatus.ERROR, "listRecords returned an unexpected shape")
            for item in records:
                value = item.get("value") if isinstance(item, dict) else None
                if not isinstance(value, dict) or not isinstance(item.get("uri"), str):
                    continue
                reply = value.get("reply")
                parent_ref = reply.get("parent") if isinstance(reply, dict) else None
                text = value.get("text")
                if (
                    isinstance(parent_ref, dict)
                    and parent_ref.get("uri") == request.parent_remote_id
                    and isinstance(text, str)
                    and same_text(text, request.text)
                ):
                    return sent(item["uri"], post_url(item["uri"]), detail="found in our repository")
                created = value.get("createdAt")
                if isinstance(since, str) and isinstance(created, str) and created < since:
                    return None  # older than the parent: everything after it has been read
            cursor = body.get("cursor")
            if not isinstance(cursor, str) or not records:
                return None
            params["cursor"] = cursor
        return unknown(
            "reconcile_incomplete",
            f"our account posted more than {options.reconcile_pages} pages since the parent; check by hand",
        )

    def _hide(self, remote_id: str) -> ModerationResult:
        view = self._post_view(remote_id)
        record = view.get("record")
        reply = record.get("reply") if isinstance(record, dict) else None
        root = reply.get("root") if isinstance(reply, dict) else None
        root_uri = root.get("uri") if isinstance(root, dict) else None
        _, did = self._login()
        if not isinstance(root_uri, str) or _did(root_uri) != did:
            return ModerationResult(
                ok=False,
                error_code="not_owner",
                detail="only replies in threads our account started can be hidden",
            )
        rkey = _rkey(root_uri)
        gate: dict[str, Any] = {"$type": THREADGATE, "post": root_uri, "createdAt": self._now()}
        swap: str | None = None
        response = self.http.request(
            "GET",
            self._xrpc("com.atproto.repo.getRecord"),
            params={"repo": did, "collection": THREADGATE, "rkey": rkey},
            headers=self._headers(),
            ok_statuses=(400, 404),
        )
        if response.status_code < 300:
            body = json_object(response) or {}
            if isinstance(body.get("value"), dict):
                gate = dict(body["value"])
            swap = body.get("cid") if isinstance(body.get("cid"), str) else None
        hidden = [uri for uri in gate.get("hiddenReplies") or [] if isinstance(uri, str)]
        if remote_id in hidden:
            return ModerationResult(ok=True, detail="already hidden")
        if len(hidden) >= HIDDEN_LIMIT:
            return ModerationResult(
                ok=False, error_code="rejected", detail=f"the thread already hides {HIDDEN_LIMIT} replies"
            )
        gate["hiddenReplies"] = [*hidden, remote_id]
        payload: dict[str, Any] = {"repo": did, "collection": THREADGATE, "rkey": rkey, "record": gate}
        if swap:
            payload["swapRecord"] = swap
        outcome = self.hide_once(
            "POST", self._xrpc("com.atproto.repo.putRecord"), json=payload, headers=self._headers()
        )
        if isinstance(outcome, ModerationResult):
            return outcome
        return ModerationResult(ok=True, detail="hidden through the thread's threadgate")

    def _now(self) -> str:
        return self.clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
