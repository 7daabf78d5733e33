"""Sending replies and moderating comments on platforms: the contract between the inbox and the connectors.

At most once (DESIGN.md): the inbox records the intent (with an idempotency key) and commits, then calls
``ReplySender.send_reply``; it records the remote id when the platform answers. After a crash or a timeout the
outcome is ``unknown``: the inbox calls ``find_sent_reply`` to reconcile with the platform instead of resending.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field


class SendStatus(StrEnum):
    SENT = "sent"  # the platform accepted it; remote_id is set
    FAILED = "failed"  # the platform refused it (nothing was posted); error_code / detail say why
    UNKNOWN = "unknown"  # timeout or connection lost after sending: reconcile before any retry


class ReplyRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    platform: str
    parent_remote_id: str = Field(min_length=1)
    """The platform id of the post or comment being answered (as stored by ingest)."""
    text: str = Field(min_length=1)
    idempotency_key: str = Field(min_length=8, max_length=128)
    """Stable per reply; senders pass it to platforms that support one and use it to reconcile."""
    account_handle: str | None = None
    """The organization's account that answers (from the registry)."""


class ReplyResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: SendStatus
    remote_id: str | None = None
    url: str | None = None
    # A stable short code: auth_expired, rate_limited, not_found, rejected, timeout...
    error_code: str | None = None
    detail: str = ""  # for operators; never contains the reply text or credentials
    retryable: bool = False


class ModerationResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool
    error_code: str | None = None
    detail: str = ""


class ReplySender(Protocol):
    """One per platform whose API allows replies. Credentials and the HTTP client are injected at construction."""

    platform: str
    supports_hide: bool

    def send_reply(self, request: ReplyRequest) -> ReplyResult: ...

    def find_sent_reply(self, request: ReplyRequest) -> ReplyResult | None:
        """After an ``unknown`` outcome: the reply if the platform has it (matched by idempotency key or by
        our account + parent + text), else None (then it is safe to send again)."""
        ...

    def hide_comment(self, remote_id: str) -> ModerationResult:
        """Hide a public comment (only where ``supports_hide``)."""
        ...
