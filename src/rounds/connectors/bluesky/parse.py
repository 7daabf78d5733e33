"""Bluesky payloads -> Posts (pure).

* ``bluesky.jetstream_event``: one Jetstream frame. v1 (``/subscribe``):
  ``{"did", "time_us", "kind": "commit"|"identity"|"account", "commit": {"operation", "collection", "rkey",
  "record", "cid"}}``; v2 (``network.bsky.jetstream.subscribeEvents``): ``{"$type": "message", "payload":
  {"$type": "...#commit", "did", "collection", "operation", "rkey", "record", ...}}`` or ``{"$type": "error"}``.
  Creates and updates of ``app.bsky.feed.post`` become Posts; deletes are reported as deleted ids; identity,
  account, sync and info events and other collections are skipped; anything else is "unknown event type X".
* ``bluesky.search_posts``: the body of ``app.bsky.feed.searchPosts`` (``{"posts": [postView], "cursor"}``).

The remote id is the record's ``at://`` URI, the same in both sources.
"""

from __future__ import annotations

from typing import Any

from rounds.connectors.parsing import (
    PayloadError,
    guarded,
    list_field,
    load_json_object,
    optional_dict,
    parse_items,
    required_str,
)
from rounds.connectors.text import as_str, metrics_from, normalize_text, parse_timestamp, text_too_long
from rounds.domain.connectors import ParseResult, RawPayload
from rounds.domain.posts import Author, Media, Platform, Post

KIND_JETSTREAM = "bluesky.jetstream_event"
KIND_SEARCH = "bluesky.search_posts"
POST_COLLECTION = "app.bsky.feed.post"
_QUIET_KINDS = frozenset({"identity", "account", "sync", "info"})


def _media(record: dict[str, Any]) -> tuple[Media, ...]:
    embed = optional_dict(record, "embed")
    kind = embed.get("$type")
    if kind == "app.bsky.embed.images":
        return tuple(
            Media(kind="image", alt_text=as_str(image.get("alt")))
            for image in list_field(embed, "images")
            if isinstance(image, dict)
        )
    if kind == "app.bsky.embed.external":
        external = optional_dict(embed, "external")
        return (Media(kind="link", url=as_str(external.get("uri")), alt_text=as_str(external.get("title"))),)
    if kind == "app.bsky.embed.video":
        return (Media(kind="video", alt_text=as_str(embed.get("alt"))),)
    return ()


def record_post(uri: str, did: str, rkey: str, record: dict[str, Any], author: Author | None = None) -> Post:
    if record.get("$type", POST_COLLECTION) != POST_COLLECTION:
        raise ValueError(f"record type {record.get('$type')!r} is not a post")
    text_value = record.get("text")
    if not isinstance(text_value, str):
        raise ValueError("missing text" if text_value is None else "text must be a string")
    text = normalize_text(text_value)  # post text is plain; facets carry links and mentions
    problem = text_too_long(text)
    if problem:
        raise ValueError(problem)
    reply = optional_dict(record, "reply")
    langs = record.get("langs")
    handle = author.handle if author and author.handle else did
    return Post(
        platform=Platform.BLUESKY.value,
        remote_id=uri,
        text=text,
        author=author or Author(remote_id=did),
        created_at=parse_timestamp(record.get("createdAt"), "createdAt"),
        url=f"https://bsky.app/profile/{handle}/post/{rkey}",
        parent_remote_id=as_str(optional_dict(reply, "parent").get("uri")),
        thread_remote_id=as_str(optional_dict(reply, "root").get("uri")),
        language=langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None,
        media=_media(record),
    )


def _commit(raw: RawPayload, did: str, commit: dict[str, Any]) -> ParseResult:
    collection = commit.get("collection")
    operation = commit.get("operation")
    rkey = as_str(commit.get("rkey"))
    if not isinstance(collection, str) or not rkey:
        raise PayloadError("commit without collection or rkey")
    uri = f"at://{did}/{collection}/{rkey}"
    if collection != POST_COLLECTION:
        return ParseResult(skipped=(f"{collection} commit",))
    if operation == "delete":
        return ParseResult(deleted_remote_ids=(uri,))
    if operation not in ("create", "update"):
        return ParseResult.failure(
            f"unknown commit operation {operation!r}", platform=raw.platform, kind=raw.kind
        )
    record = commit.get("record")
    if not isinstance(record, dict):
        return ParseResult.failure(
            f"{operation} commit without a record", platform=raw.platform, kind=raw.kind
        )
    return parse_items(raw, [record], lambda item: record_post(uri, did, rkey, item))


@guarded
def parse_jetstream_event(raw: RawPayload) -> ParseResult:
    frame = load_json_object(raw)
    frame_type = frame.get("$type")
    if frame_type == "error":
        return ParseResult.failure(
            f"jetstream error {frame.get('error')!s}: {frame.get('message')!s}"[:300],
            platform=raw.platform,
            kind=raw.kind,
        )
    if frame_type == "message":  # v2 envelope
        payload = optional_dict(frame, "payload")
        event_type = str(payload.get("$type", ""))
        kind = event_type.rsplit("#", 1)[-1] if "#" in event_type else event_type
        if kind == "commit":
            return _commit(raw, required_str(payload, "did", "did"), payload)
        if kind in _QUIET_KINDS:
            return ParseResult(skipped=(f"{kind} event",))
        return ParseResult.failure(
            f"unknown event type {event_type or 'missing'}", platform=raw.platform, kind=raw.kind
        )
    event_kind = frame.get("kind")
    if event_kind == "commit":
        commit = frame.get("commit")
        if not isinstance(commit, dict):
            raise PayloadError("commit event without a commit object")
        try:
            did = required_str(frame, "did", "did")
        except ValueError as error:
            raise PayloadError(str(error)) from None
        return _commit(raw, did, commit)
    if event_kind in _QUIET_KINDS:
        return ParseResult(skipped=(f"{event_kind} event",))
    return ParseResult.failure(f"unknown event type {event_kind!s}", platform=raw.platform, kind=raw.kind)


def post_view(view: dict[str, Any]) -> Post:
    uri = required_str(view, "uri", "uri")
    parts = uri.removeprefix("at://").split("/")
    if len(parts) != 3:
        raise ValueError("uri is not an at:// record URI")
    did, _, rkey = parts
    author_view = optional_dict(view, "author")
    handle = as_str(author_view.get("handle"))
    author = Author(
        name=as_str(author_view.get("displayName")) or handle,
        handle=handle,
        remote_id=as_str(author_view.get("did")) or did,
        url=f"https://bsky.app/profile/{handle or did}",
    )
    record = view.get("record")
    if not isinstance(record, dict):
        raise ValueError("missing record")
    post = record_post(uri, did, rkey, record, author)
    metrics = metrics_from(
        view,
        {"replies": "replyCount", "reposts": "repostCount", "likes": "likeCount", "quotes": "quoteCount"},
    )
    return post.model_copy(update={"metrics": metrics})


@guarded
def parse_search(raw: RawPayload) -> ParseResult:
    return parse_items(raw, list_field(load_json_object(raw), "posts"), post_view)


PARSERS = {KIND_JETSTREAM: parse_jetstream_event, KIND_SEARCH: parse_search}
