"""Instagram Graph API payloads -> Posts (pure).

``instagram.media``: a page of IG Media objects, ``{"data": [{"id", "caption"?, "media_type", "media_url"?,
"permalink"?, "timestamp", "username"?, "comments_count"?, "like_count"?}], "paging": {...}}``: the account's own
media (``/{ig-user-id}/media``), media it is tagged in (``/{ig-user-id}/tags``, the mentions) and hashtag media
(``/{hashtag-id}/recent_media``). Media without a caption carry no text and are skipped with a reason.

``instagram.comments``: a page of ``/{ig-media-id}/comments`` (or ``/{ig-comment-id}/replies``),
``{"data": [{"id", "text", "timestamp", "username"?, "from"?: {"id", "username"}, "like_count"?, "parent_id"?,
"replies"?: {"data": [...]}}]}``. ``meta["media_id"]`` is the thread; ``meta["parent_id"]`` is set for a replies
page; ``meta["media_permalink"]`` links the comments (Instagram gives comments no URL of their own).
"""

from __future__ import annotations

from typing import Any

from rounds.connectors.parsing import guarded, item_failure, list_field, load_json_object, optional_dict
from rounds.connectors.text import as_str, clean_text, metrics_from, parse_timestamp, text_too_long
from rounds.domain.connectors import ParseFailure, ParseResult, RawPayload
from rounds.domain.posts import Author, Media, Platform, Post

KIND_MEDIA = "instagram.media"
KIND_COMMENTS = "instagram.comments"
INSTAGRAM = "https://www.instagram.com"

_MEDIA_KINDS = {"IMAGE": "image", "CAROUSEL_ALBUM": "image", "VIDEO": "video", "REELS": "video"}


def _text(value: object, field: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string, got {type(value).__name__}")
    text = clean_text(value)
    problem = text_too_long(text)
    if problem:
        raise ValueError(problem)
    return text or None


def _author(username: str | None, remote_id: str | None = None) -> Author:
    return Author(
        handle=username,
        name=username,
        remote_id=remote_id,
        url=f"{INSTAGRAM}/{username}/" if username else None,
    )


def media(item: dict[str, Any]) -> Post | None:
    """A media object; None when it has no caption."""
    media_id = as_str(item.get("id"))
    if media_id is None:
        raise ValueError("missing id")
    text = _text(item.get("caption"), "caption")
    if text is None:
        return None
    media_type = as_str(item.get("media_type"))
    attachments: tuple[Media, ...] = ()
    if media_type:
        attachments = (
            Media(
                kind=_MEDIA_KINDS.get(media_type, "other"),
                url=as_str(item.get("media_url")) or as_str(item.get("thumbnail_url")),
            ),
        )
    owner = optional_dict(item, "owner")
    return Post(
        platform=Platform.INSTAGRAM.value,
        remote_id=media_id,
        text=text,
        author=_author(as_str(item.get("username")), as_str(owner.get("id"))),
        created_at=parse_timestamp(item.get("timestamp"), "timestamp"),
        url=as_str(item.get("permalink")),
        thread_remote_id=media_id,
        metrics=metrics_from(item, {"likes": "like_count", "comments": "comments_count"}),
        media=attachments,
    )


def comment(
    item: dict[str, Any], media_id: str | None, parent_id: str | None, url: str | None
) -> Post | None:
    """A comment or reply; None when its text is empty."""
    comment_id = as_str(item.get("id"))
    if comment_id is None:
        raise ValueError("missing id")
    if "text" not in item:
        raise ValueError("missing text")
    text = _text(item.get("text"), "text")
    if text is None:
        return None
    sender = optional_dict(item, "from")
    thread = media_id or as_str(optional_dict(item, "media").get("id"))
    return Post(
        platform=Platform.INSTAGRAM.value,
        remote_id=comment_id,
        text=text,
        author=_author(
            as_str(item.get("username")) or as_str(sender.get("username")), as_str(sender.get("id"))
        ),
        created_at=parse_timestamp(item.get("timestamp"), "timestamp"),
        url=url,
        parent_remote_id=as_str(item.get("parent_id")) or parent_id or thread,
        thread_remote_id=thread,
        metrics=metrics_from(item, {"likes": "like_count"}),
    )


class _Walk:
    def __init__(self, raw: RawPayload) -> None:
        self.raw = raw
        self.posts: list[Post] = []
        self.failures: list[ParseFailure] = []
        self.skipped: list[str] = []
        self.index = 0

    def take(self) -> int:
        index = self.index
        self.index += 1
        return index

    def result(self) -> ParseResult:
        return ParseResult(
            posts=tuple(self.posts), failures=tuple(self.failures), skipped=tuple(self.skipped)
        )


def _comments(
    walk: _Walk, items: list[Any], media_id: str | None, parent_id: str | None, url: str | None
) -> None:
    for item in items:
        index = walk.take()
        if not isinstance(item, dict):
            walk.failures.append(
                item_failure(walk.raw, f"comment must be an object, got {type(item).__name__}", index=index)
            )
            continue
        try:
            parsed = comment(item, media_id, parent_id, url)
        except ValueError as error:
            walk.failures.append(item_failure(walk.raw, str(error), index=index, item=item))
        else:
            if parsed is None:
                walk.skipped.append(f"item {index}: comment with empty text")
            else:
                walk.posts.append(parsed)
        replies = item.get("replies")
        if replies is None:
            continue
        if not isinstance(replies, dict):
            walk.failures.append(
                item_failure(walk.raw, "'replies' must be an object", index=index, item=item)
            )
            continue
        try:
            nested = list_field(replies, "data")
        except ValueError as error:
            walk.failures.append(item_failure(walk.raw, f"replies: {error}", index=index, item=item))
            continue
        _comments(walk, nested, media_id, as_str(item.get("id")), url)


@guarded
def parse_media(raw: RawPayload) -> ParseResult:
    walk = _Walk(raw)
    for item in list_field(load_json_object(raw), "data"):
        index = walk.take()
        if not isinstance(item, dict):
            walk.failures.append(
                item_failure(raw, f"media must be an object, got {type(item).__name__}", index=index)
            )
            continue
        try:
            parsed = media(item)
        except ValueError as error:
            walk.failures.append(item_failure(raw, str(error), index=index, item=item))
            continue
        if parsed is None:
            walk.skipped.append(f"item {index}: media without caption")
        else:
            walk.posts.append(parsed)
    return walk.result()


@guarded
def parse_comments(raw: RawPayload) -> ParseResult:
    walk = _Walk(raw)
    media_id = raw.meta.get("media_id") or None
    parent_id = raw.meta.get("parent_id") or None
    url = raw.meta.get("media_permalink") or None
    _comments(walk, list_field(load_json_object(raw), "data"), media_id, parent_id, url)
    return walk.result()


PARSERS = {KIND_MEDIA: parse_media, KIND_COMMENTS: parse_comments}
