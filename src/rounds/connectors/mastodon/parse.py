"""Mastodon payloads -> Posts (pure).

Kinds:

* ``mastodon.statuses``: an array of Status (``/api/v1/timelines/public``, ``/timelines/tag/:tag``);
* ``mastodon.search``: ``/api/v2/search`` (``{"accounts", "statuses", "hashtags"}``);
* ``mastodon.sse_event``: one Server-Sent Events block (``event: update`` / ``data: <Status JSON>``);
* ``mastodon.ws_message``: one WebSocket message (``{"stream", "event", "payload": "<JSON as a string>"}``).

``content`` is HTML and is stripped to text. A boost (``reblog``) is parsed as the boosted status, so it dedupes
with the original. The remote id is the status ``uri``: ids in the API are local to each instance, while the URI
is the same everywhere. Streaming events other than ``update`` / ``status.update`` carry no post: ``delete``
and the others are skipped; an event type we do not know is a failure "unknown event type X".
"""

from __future__ import annotations

import json
from typing import Any

from rounds.connectors.parsing import (
    PayloadError,
    guarded,
    list_field,
    load_json,
    load_json_object,
    optional_dict,
    parse_items,
    required_str,
)
from rounds.connectors.text import as_str, html_to_text, metrics_from, parse_timestamp, text_too_long
from rounds.domain.connectors import ParseResult, RawPayload
from rounds.domain.posts import Author, Media, Platform, Post

KIND_STATUSES = "mastodon.statuses"
KIND_SEARCH = "mastodon.search"
KIND_SSE = "mastodon.sse_event"
KIND_WS = "mastodon.ws_message"

POST_EVENTS = frozenset({"update", "status.update"})
NON_POST_EVENTS = frozenset(
    {
        "delete",
        "notification",
        "filters_changed",
        "conversation",
        "announcement",
        "announcement.reaction",
        "announcement.delete",
        "encrypted_message",
        "notifications_merged",
    }
)
_MEDIA_KINDS = {"image": "image", "gifv": "video", "video": "video", "audio": "other", "unknown": "other"}


def _author(account: dict[str, Any]) -> Author:
    followers = metrics_from(account, {"followers": "followers_count"}).get("followers")
    note = as_str(account.get("note"))
    return Author(
        name=as_str(account.get("display_name")) or as_str(account.get("username")),
        handle=as_str(account.get("acct")),
        remote_id=as_str(account.get("url")) or as_str(account.get("id")),
        url=as_str(account.get("url")),
        description=html_to_text(note) if note else None,
        followers=followers,
    )


def status(item: dict[str, Any]) -> Post:
    boosted = item.get("reblog")
    if isinstance(boosted, dict):
        return status(boosted)
    uri = as_str(item.get("uri")) or as_str(item.get("url"))
    if uri is None:
        required_str(item, "id")  # names the missing id when there is none at all
        raise ValueError("missing uri")
    content = item.get("content")
    if not isinstance(content, str):
        raise ValueError("missing content" if content is None else "content must be a string")
    text = html_to_text(content)
    problem = text_too_long(text)
    if problem:
        raise ValueError(problem)
    spoiler = as_str(item.get("spoiler_text"))
    media = tuple(
        Media(
            kind=_MEDIA_KINDS.get(str(attachment.get("type")), "other"),
            url=as_str(attachment.get("url")),
            alt_text=as_str(attachment.get("description")),
        )
        for attachment in list_field(item, "media_attachments")
        if isinstance(attachment, dict)
    )
    return Post(
        platform=Platform.MASTODON.value,
        remote_id=uri,
        text=text,
        title=spoiler,
        author=_author(optional_dict(item, "account")),
        created_at=parse_timestamp(item.get("created_at"), "created_at"),
        url=as_str(item.get("url")) or uri,
        language=as_str(item.get("language")),
        metrics=metrics_from(
            item,
            {
                "replies": "replies_count",
                "reposts": "reblogs_count",
                "likes": "favourites_count",
                "quotes": "quotes_count",
            },
        ),
        media=media,
    )


@guarded
def parse_statuses(raw: RawPayload) -> ParseResult:
    document = load_json(raw)
    if not isinstance(document, list):
        raise PayloadError(f"payload must be an array of statuses, got {type(document).__name__}")
    return parse_items(raw, document, status)


@guarded
def parse_search(raw: RawPayload) -> ParseResult:
    return parse_items(raw, list_field(load_json_object(raw), "statuses"), status)


def _event(raw: RawPayload, event: str | None, data: str | None) -> ParseResult:
    if not event:
        raise PayloadError("event has no type")
    if event in NON_POST_EVENTS:
        return ParseResult(skipped=(f"{event} event",))
    if event not in POST_EVENTS:
        return ParseResult.failure(f"unknown event type {event}", platform=raw.platform, kind=raw.kind)
    if data is None:
        raise PayloadError(f"{event} event without data")
    try:
        item = json.loads(data)
    except json.JSONDecodeError as error:
        raise PayloadError(f"{event} event data is not valid JSON: {error.msg}") from None
    return parse_items(raw, [item], status)


@guarded
def parse_sse_event(raw: RawPayload) -> ParseResult:
    try:
        block = raw.body.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("event is not valid UTF-8") from None
    event: str | None = None
    data_lines: list[str] = []
    for line in block.splitlines():
        if not line or line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data_lines.append(value)
    if event is None and not data_lines:
        return ParseResult(skipped=("heartbeat",))
    return _event(raw, event, "\n".join(data_lines) if data_lines else None)


@guarded
def parse_ws_message(raw: RawPayload) -> ParseResult:
    message = load_json_object(raw)
    event = message.get("event")
    payload = message.get("payload")
    if event is not None and not isinstance(event, str):
        raise PayloadError("event must be a string")
    if payload is not None and not isinstance(payload, str):
        payload = json.dumps(payload)  # some servers send the object itself
    return _event(raw, event, payload)


PARSERS = {
    KIND_STATUSES: parse_statuses,
    KIND_SEARCH: parse_search,
    KIND_SSE: parse_sse_event,
    KIND_WS: parse_ws_message,
}
