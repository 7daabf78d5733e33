"""Replies on Facebook Pages: ``POST /{object-id}/comments`` with ``message``; hiding: ``POST /{comment-id}``
with ``is_hidden=true``. :class:`GraphReplySender` is shared with Instagram.

Credentials: ``page_access_token`` of the Page (tasks MODERATE/CREATE_CONTENT; permission
``pages_manage_engagement``), optional ``app_secret`` (every call then carries ``appsecret_proof``). The parent is
the id ingest stores: a post (``<page>_<post>``) gets a top-level comment, a comment gets a reply. The message goes
in the form body, never in the URL, and the token in the ``Authorization`` header.

Errors: Graph error codes decide, as for reading (:mod:`rounds.connectors.facebook.graph`): rate-limit codes →
``rate_limited``; token and permission codes → ``auth_expired``; 100 with subcode 33 (the object is gone) →
``not_found``; other codes → ``rejected`` naming the code; transient codes (1, 2, ``is_transient``) and 5xx →
``unknown``, because Meta does not promise that nothing was created.

Reconciling: ``GET /{parent}/comments?order=reverse_chronological``, a comment ``from`` our Page with our text,
paged up to ``reconcile_pages`` (Graph's cursors; then ``reconcile_incomplete``). The Page id is the ``page_id``
option or ``/me`` of the Page token.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from rounds.connectors.facebook.graph import (
    GRAPH_URL,
    GRAPH_VERSION,
    VERSION_PATTERN,
    GraphApi,
    appsecret_proof,
    classify,
    graph_error,
    next_page_params,
)
from rounds.connectors.platform_http import ConnectorProblem
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


class GraphReplyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str = GRAPH_URL
    api_version: str = Field(default=GRAPH_VERSION, pattern=VERSION_PATTERN)
    reconcile_pages: int = Field(default=5, ge=1, le=50)


class FacebookReplyOptions(GraphReplyOptions):
    page_id: str | None = Field(default=None, pattern=r"^[0-9]{1,30}$")


class GraphReplySender(BaseReplySender):
    """Replies and hiding through the Graph API; subclasses name the edges, fields and our identity."""

    supports_hide = True
    token_key: ClassVar[str]
    reply_edge: ClassVar[str]
    hide_field: ClassVar[str]
    list_fields: ClassVar[str]

    @property
    def root(self) -> str:
        options: GraphReplyOptions = self.options
        return f"{options.base_url.rstrip('/')}/{options.api_version}"

    def classify(self, response: httpx.Response) -> ConnectorProblem | None:
        return classify(response, self.clock.now())

    def _token(self) -> str:
        return self.credentials.require(self.token_key)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token()}"}

    def _form(self, **values: str) -> dict[str, str]:
        secret = self.credentials.get("app_secret")
        if secret:
            values["appsecret_proof"] = appsecret_proof(secret, self._token())
        return values

    def _graph(self) -> GraphApi:
        return GraphApi(
            self.client,
            self.clock,
            platform=self.platform,
            base_url=self.options.base_url,
            version=self.options.api_version,
            access_token=self._token(),
            app_secret=self.credentials.get("app_secret"),
            usage_ceiling_percent=100,
        )

    def classify_send(self, response: httpx.Response, endpoint: str) -> ReplyResult | None:
        error = graph_error(response)
        if error is None:
            return None
        problem = classify(response, self.clock.now())
        if problem is None:  # a Graph error body on a 5xx
            return None
        if error.get("code") == 100 and error.get("error_subcode") == 33:
            return failed("not_found", f"{problem.detail}: the object being answered is gone")
        if problem.status is HealthStatus.RATE_LIMITED:
            return self.rate_limited(response, endpoint, why=problem.detail)
        if problem.status is HealthStatus.AUTH_EXPIRED:
            return failed("auth_expired", f"{problem.detail}; nothing was sent")
        if problem.status is HealthStatus.DEGRADED:
            return unknown(
                "server_error", f"{problem.detail}; the reply may have been posted: reconcile first"
            )
        return failed("rejected", f"{problem.detail}: Meta refused the reply")

    def _send(self, request: ReplyRequest) -> ReplyResult:
        url = f"{self.root}/{request.parent_remote_id}/{self.reply_edge}"
        endpoint = httpx.URL(url).path
        outcome = self.post_once("POST", url, data=self._form(message=request.text), headers=self._headers())
        if not isinstance(outcome, httpx.Response):
            return outcome
        refused = self.response_result(outcome, endpoint)
        if refused is not None:
            return refused
        body = json_object(outcome) or {}
        if not isinstance(body.get("id"), str):
            return self.unreadable(endpoint)
        url_field = body.get("permalink_url")
        return sent(body["id"], url_field if isinstance(url_field, str) else None)

    def _is_ours(self, item: dict[str, Any], me: str, request: ReplyRequest) -> bool:
        raise NotImplementedError

    def _me(self, graph: GraphApi) -> str:
        raise NotImplementedError

    def _find(self, request: ReplyRequest) -> ReplyResult | None:
        options: GraphReplyOptions = self.options
        graph = self._graph()
        me = self._me(graph)
        params: dict[str, str] = {"fields": self.list_fields, "limit": "100"}
        if self.reply_edge == "comments":
            params["order"] = "reverse_chronological"
        for _ in range(options.reconcile_pages):
            _, document = graph.get(f"{request.parent_remote_id}/{self.reply_edge}", params)
            for item in document.get("data") or []:
                if (
                    isinstance(item, dict)
                    and isinstance(item.get("id"), str)
                    and self._is_ours(item, me, request)
                ):
                    link = item.get("permalink_url")
                    return sent(
                        item["id"], link if isinstance(link, str) else None, detail="found on the platform"
                    )
            following = next_page_params(document)
            if following is None:
                return None
            params = following
        return unknown(
            "reconcile_incomplete",
            f"the parent has more than {options.reconcile_pages} pages of replies; check it by hand",
        )

    def _hide(self, remote_id: str) -> ModerationResult:
        outcome = self.hide_once(
            "POST",
            f"{self.root}/{remote_id}",
            data=self._form(**{self.hide_field: "true"}),
            headers=self._headers(),
        )
        if isinstance(outcome, ModerationResult):
            return outcome
        body = json_object(outcome) or {}
        if body.get("success") is True:
            return ModerationResult(ok=True, detail="hidden")
        return ModerationResult(
            ok=False, error_code="rejected", detail="Meta did not confirm the comment is hidden"
        )


class FacebookReplySender(GraphReplySender):
    platform = "facebook"
    Options = FacebookReplyOptions
    credential_keys = ("page_access_token",)
    token_key = "page_access_token"  # noqa: S105 - the name of a credential, not its value
    reply_edge = "comments"
    hide_field = "is_hidden"
    list_fields = "id,message,from,created_time,permalink_url"

    def _me(self, graph: GraphApi) -> str:
        options: FacebookReplyOptions = self.options
        if options.page_id:
            return options.page_id
        _, document = graph.get("me", {"fields": "id"})
        if not isinstance(document.get("id"), str):
            raise ConnectorProblem(HealthStatus.ERROR, "/me gave no Page id")
        return str(document["id"])

    def _is_ours(self, item: dict[str, Any], me: str, request: ReplyRequest) -> bool:
        author = item.get("from")
        message = item.get("message")
        return (
            isinstance(author, dict)
            and author.get("id") == me
            and isinstance(message, str)
            and same_text(message, request.text)
        )
