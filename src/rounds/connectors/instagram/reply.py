"""Replies on Instagram: ``POST /{ig-comment-id}/replies`` with ``message``; hiding: ``POST /{ig-comment-id}``
with ``hide=true``. The Graph plumbing, error mapping and reconciling are Facebook's
(:class:`rounds.connectors.facebook.reply.GraphReplySender`).

Credentials: ``access_token`` (permission ``instagram_manage_comments``; for Instagram Login set ``base_url`` to
``https://graph.instagram.com``), optional ``app_secret``. The parent must be a **comment** id: Instagram replies
only to top-level comments on the account's own media (a reply to a reply is refused by Graph), and answering the
media itself (a new top-level comment, ``POST /{ig-media-id}/comments``) is not offered here.

Reconciling: ``GET /{ig-comment-id}/replies?fields=id,text,username,timestamp``, a reply by our username with our
text. The username is the ``username`` option, else read from ``/{ig_user_id}`` (option) or ``/me``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from rounds.connectors.facebook.graph import GraphApi
from rounds.connectors.facebook.reply import GraphReplyOptions, GraphReplySender
from rounds.connectors.platform_http import ConnectorProblem
from rounds.connectors.replies import same_text
from rounds.domain.connectors import HealthStatus
from rounds.domain.replies import ReplyRequest


class InstagramReplyOptions(GraphReplyOptions):
    ig_user_id: str | None = Field(default=None, pattern=r"^[0-9]{1,30}$")
    username: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._]{1,30}$")


class InstagramReplySender(GraphReplySender):
    platform = "instagram"
    Options = InstagramReplyOptions
    credential_keys = ("access_token",)
    token_key = "access_token"  # noqa: S105 - the name of a credential, not its value
    reply_edge = "replies"
    hide_field = "hide"
    list_fields = "id,text,username,timestamp"

    def _me(self, graph: GraphApi) -> str:
        options: InstagramReplyOptions = self.options
        if options.username:
            return options.username
        _, document = graph.get(options.ig_user_id or "me", {"fields": "id,username"})
        if not isinstance(document.get("username"), str):
            raise ConnectorProblem(HealthStatus.ERROR, "Instagram gave no username for the account")
        return str(document["username"])

    def _is_ours(self, item: dict[str, Any], me: str, request: ReplyRequest) -> bool:
        text = item.get("text")
        return item.get("username") == me and isinstance(text, str) and same_text(text, request.text)
