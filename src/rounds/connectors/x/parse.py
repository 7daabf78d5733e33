"""X API v2 payloads -> Posts (pure).

``x.search_recent``: the body of ``GET /2/tweets/search/recent``:
``{"data": [tweet...], "includes": {"users": [...], "media": [...]}, "meta": {...}}``.
``x.stream_line``: one line of the filtered stream, ``{"data": tweet, "includes": ..., "matching_rules": [...]}``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rounds.connectors.parsing import (
    guarded,
    list_field,
    load_json_object,
    optional_dict,
    parse_items,
    required_str,
)
from rounds.connectors.text import as_str, metrics_from, parse_timestamp, plain_text, text_too_long
from rounds.domain.connectors import ParseResult, RawPayload
from rounds.domain.posts import Author, Media, Platform, Post

KIND_SEARCH = "x.search_recent"
KIND_STREAM = "x.stream_line"
TWITTER_EPOCH_MS = 1288834974657

_MEDIA_KINDS = {"photo": "image", "video": "video", "animated_gif": "video"}


def snowflake_time(tweet_id: str) -> datetime:
    """The creation time encoded in an X id (used when ``created_at`` was not requested)."""
    if not tweet_id.isdigit():
        raise ValueError("missing created_at and the id is not a snowflake")
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + TWITTER_EPOCH_MS) / 1000, UTC)


def _author(user: dict[str, Any] | None, author_id: str | None) -> Author:
    if not user:
        return Author(remote_id=author_id)
    username = as_str(user.get("username"))
    followers = metrics_from(user.get("public_metrics"), {"followers": "followers_count"}).get("followers")
    verified = user.get("verified")
    return Author(
        name=as_str(user.get("name")),
        handle=username,
        remote_id=as_str(user.get("id")) or author_id,
        url=f"https://x.com/{username}" if username else None,
        description=as_str(user.get("description")),
        followers=followers,
        verified=verified if isinstance(verified, bool) else None,
    )


def _tweet(tweet: dict[str, Any], users: dict[str, dict[str, Any]], media: dict[str, dict[str, Any]]) -> Post:
    tweet_id = required_str(tweet, "id", "id")
    note = optional_dict(tweet, "note_tweet")  # posts over 280 characters carry their full text here
    text_value = note.get("text") if isinstance(note.get("text"), str) else tweet.get("text")
    if not isinstance(text_value, str):
        raise ValueError("missing text" if text_value is None else "text must be a string")
    text = plain_text(text_value)  # v2 text is plain but HTML-escaped (&amp; &lt; &gt;)
    too_long = text_too_long(text)
    if too_long:
        raise ValueError(too_long)
    created_raw = tweet.get("created_at")
    created_at = (
        parse_timestamp(created_raw, "created_at") if created_raw is not None else snowflake_time(tweet_id)
    )
    author_id = as_str(tweet.get("author_id"))
    author = _author(users.get(author_id) if author_id else None, author_id)
    parent = None
    for reference in tweet.get("referenced_tweets") or []:
        if isinstance(reference, dict) and reference.get("type") == "replied_to":
            parent = as_str(reference.get("id"))
    attachments: list[Media] = []
    for key in optional_dict(tweet, "attachments").get("media_keys") or []:
        item = media.get(str(key))
        if item:
            attachments.append(
                Media(
                    kind=_MEDIA_KINDS.get(str(item.get("type")), "other"),
                    url=as_str(item.get("url")) or as_str(item.get("preview_image_url")),
                    alt_text=as_str(item.get("alt_text")),
                )
            )
    language = as_str(tweet.get("lang"))
    return Post(
        platform=Platform.X.value,
        remote_id=tweet_id,
        text=text,
        author=author,
        created_at=created_at,
        url=f"https://x.com/{author.handle}/status/{tweet_id}"
        if author.handle
        else f"https://x.com/i/web/status/{tweet_id}",
        parent_remote_id=parent,
        thread_remote_id=as_str(tweet.get("conversation_id")),
        language=None if language in (None, "und", "qme", "qht", "zxx") else language,
        metrics=metrics_from(
            tweet.get("public_metrics"),
            {
                "reposts": "retweet_count",
                "replies": "reply_count",
                "likes": "like_count",
                "quotes": "quote_count",
                "impressions": "impression_count",
                "bookmarks": "bookmark_count",
            },
        ),
        media=tuple(attachments),
    )


def _includes(document: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    includes = optional_dict(document, "includes")
    users = {str(u["id"]): u for u in list_field(includes, "users") if isinstance(u, dict) and "id" in u}
    media = {
        str(m["media_key"]): m
        for m in list_field(includes, "media")
        if isinstance(m, dict) and "media_key" in m
    }
    return users, media


@guarded
def parse_search(raw: RawPayload) -> ParseResult:
    document = load_json_object(raw)
    users, media = _includes(document)
    return parse_items(raw, list_field(document, "data"), lambda tweet: _tweet(tweet, users, media))


@guarded
def parse_stream_line(raw: RawPayload) -> ParseResult:
    document = load_json_object(raw)
    data = document.get("data")
    if data is None:
        return ParseResult(skipped=("stream line without data (errors or keep-alive)",))
    users, media = _includes(document)
    return parse_items(raw, [data], lambda tweet: _tweet(tweet, users, media))


PARSERS = {KIND_SEARCH: parse_search, KIND_STREAM: parse_stream_line}
