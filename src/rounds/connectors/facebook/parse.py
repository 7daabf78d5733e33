"""Facebook Graph API Page payloads -> Posts (pure).

``facebook.feed``: the body of ``GET /{page-id}/feed`` (or ``/posts``, ``/published_posts``):
``{"data": [{"id": "<page>_<post>", "message", "created_time", "permalink_url"?, "from"?, "comments"?,
"reactions"?, "shares"?}], "paging": {...}}``. Each post with a message is a Post; embedded ``comments.data``
(field expansion) become Posts too, nested replies included.

``facebook.comments``: the body of ``GET /{post-id}/comments`` (``filter=stream`` gives replies in the same
list, with ``parent``; field expansion gives them nested under ``comments.data``). ``meta["post_id"]`` names the
post. Without the MODERATE task on the Page, Graph hides comment ``id``s (as in the captured payload); the id is
then rebuilt from ``permalink_url`` (``?comment_id=C`` or ``&reply_comment_id=R``) as Graph writes comment ids,
``<post object id>_<comment id>``, so the same comment gets the same remote id either way.

Graph writes times as ``2021-07-04T19:50:58+0000``. A post or comment without text (photo, sticker) is
skipped with a reason, not quarantined; a comment whose ``message`` field is absent is malformed.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from rounds.connectors.parsing import guarded, item_failure, list_field, load_json_object, optional_dict
from rounds.connectors.text import as_str, clean_text, metrics_from, parse_timestamp, text_too_long
from rounds.domain.connectors import ParseFailure, ParseResult, RawPayload
from rounds.domain.posts import Author, Platform, Post

KIND_FEED = "facebook.feed"
KIND_COMMENTS = "facebook.comments"
FACEBOOK = "https://www.facebook.com"

_POSTS_PATH = re.compile(r"^/([^/]+)/posts/([0-9]+)")


class _Walk:
    """Posts, failures and skips of one payload; ``index`` numbers every item, nested ones included."""

    def __init__(self, raw: RawPayload) -> None:
        self.raw = raw
        self.posts: list[Post] = []
        self.failures: list[ParseFailure] = []
        self.skipped: list[str] = []
        self.index = 0

    def result(self) -> ParseResult:
        return ParseResult(
            posts=tuple(self.posts), failures=tuple(self.failures), skipped=tuple(self.skipped)
        )


def _text(value: object, field: str) -> str | None:
    """Clean text, None when empty; ValueError when the field has the wrong type or is too long."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string, got {type(value).__name__}")
    text = clean_text(value)
    problem = text_too_long(text)
    if problem:
        raise ValueError(problem)
    return text or None


def _author(item: dict[str, Any]) -> Author:
    sender = optional_dict(item, "from")
    remote_id = as_str(sender.get("id"))
    return Author(
        name=as_str(sender.get("name")),
        remote_id=remote_id,
        url=f"{FACEBOOK}/{remote_id}" if remote_id else None,
    )


def _summary_count(item: dict[str, Any], edge: str) -> dict[str, Any]:
    return optional_dict(optional_dict(item, edge), "summary")


def post(item: dict[str, Any]) -> Post | None:
    """A Page feed post; None when it has no message (photo, video or share without text)."""
    post_id = as_str(item.get("id"))
    if post_id is None:
        raise ValueError("missing id")
    text = _text(item.get("message"), "message")
    if text is None:
        return None
    metrics = {
        **metrics_from(_summary_count(item, "comments"), {"comments": "total_count"}),
        **metrics_from(_summary_count(item, "reactions"), {"reactions": "total_count"}),
        **metrics_from(item.get("shares"), {"shares": "count"}),
    }
    return Post(
        platform=Platform.FACEBOOK.value,
        remote_id=post_id,
        text=text,
        author=_author(item),
        created_at=parse_timestamp(item.get("created_time"), "created_time"),
        url=as_str(item.get("permalink_url")) or f"{FACEBOOK}/{post_id}",
        thread_remote_id=post_id,
        metrics=metrics,
    )


def _post_object_id(post_id: str | None, path: str) -> str | None:
    """The post's own object id: the part after ``<page>_`` in a post id, else the ``/posts/<id>`` of a link."""
    if post_id:
        return post_id.rsplit("_", 1)[-1]
    match = _POSTS_PATH.match(path)
    return match.group(2) if match else None


def _comment_ids(item: dict[str, Any], post_id: str | None) -> tuple[str, str | None, str | None]:
    """(remote id, parent from the permalink, post id from the permalink) of a comment."""
    link = as_str(item.get("permalink_url"))
    parts = urlsplit(link) if link else None
    query = parse_qs(parts.query) if parts else {}
    comment = next(iter(query.get("comment_id", [])), None)
    reply = next(iter(query.get("reply_comment_id", [])), None)
    path = parts.path if parts else ""
    match = _POSTS_PATH.match(path)
    post_from_link = f"{match.group(1)}_{match.group(2)}" if match else None
    post_object = _post_object_id(post_id, path)
    parent_from_link = f"{post_object}_{comment}" if reply and comment and post_object else None
    explicit = as_str(item.get("id"))
    if explicit is not None:
        return explicit, parent_from_link, post_from_link
    own = reply or comment
    if own is None:
        raise ValueError("missing id, and permalink_url has no comment_id to rebuild it from")
    if post_object is None:
        raise ValueError("missing id, and neither the payload nor permalink_url names the post")
    return f"{post_object}_{own}", parent_from_link, post_from_link


def comment(item: dict[str, Any], post_id: str | None, parent_id: str | None) -> Post | None:
    """A comment or reply; None when it has no text (a sticker, photo or GIF)."""
    remote_id, parent_from_link, post_from_link = _comment_ids(item, post_id)
    if "message" not in item:
        raise ValueError("missing message")
    text = _text(item.get("message"), "message")
    if text is None:
        return None
    thread = post_id or post_from_link
    parent = as_str(optional_dict(item, "parent").get("id")) or parent_from_link or parent_id or thread
    return Post(
        platform=Platform.FACEBOOK.value,
        remote_id=remote_id,
        text=text,
        author=_author(item),
        created_at=parse_timestamp(item.get("created_time"), "created_time"),
        url=as_str(item.get("permalink_url")),
        parent_remote_id=parent if parent != remote_id else None,
        thread_remote_id=thread,
        metrics=metrics_from(item, {"likes": "like_count", "replies": "comment_count"}),
    )


def _comments(walk: _Walk, items: list[Any], post_id: str | None, parent_id: str | None) -> None:
    for item in items:
        index = walk.index
        walk.index += 1
        if not isinstance(item, dict):
            walk.failures.append(
                item_failure(walk.raw, f"comment must be an object, got {type(item).__name__}", index=index)
            )
            continue
        own_id: str | None = None
        try:
            parsed = comment(item, post_id, parent_id)
        except ValueError as error:
            walk.failures.append(item_failure(walk.raw, str(error), index=index, item=item))
        else:
            if parsed is None:
                walk.skipped.append(f"item {index}: comment without text (sticker, photo or GIF)")
            else:
                walk.posts.append(parsed)
                own_id = parsed.remote_id
        replies = _nested(walk, item, index)
        if replies:
            if own_id is None:  # the replies still belong to the post; their parent is unknown
                own_id = as_str(item.get("id"))
            _comments(walk, replies, post_id, own_id)


def _nested(walk: _Walk, item: dict[str, Any], index: int) -> list[Any]:
    """Embedded ``comments.data`` (field expansion); a wrong shape is a failure, never a crash."""
    edge = item.get("comments")
    if edge is None:
        return []
    if not isinstance(edge, dict):
        walk.failures.append(item_failure(walk.raw, "'comments' must be an object", index=index, item=item))
        return []
    try:
        return list_field(edge, "data")
    except ValueError as error:
        walk.failures.append(item_failure(walk.raw, f"comments: {error}", index=index, item=item))
        return []


@guarded
def parse_feed(raw: RawPayload) -> ParseResult:
    walk = _Walk(raw)
    for item in list_field(load_json_object(raw), "data"):
        index = walk.index
        walk.index += 1
        if not isinstance(item, dict):
            walk.failures.append(
                item_failure(raw, f"post must be an object, got {type(item).__name__}", index=index)
            )
            continue
        try:
            parsed = post(item)
        except ValueError as error:
            walk.failures.append(item_failure(raw, str(error), index=index, item=item))
            continue
        if parsed is None:
            walk.skipped.append(f"item {index}: post without message (photo, video or share)")
        else:
            walk.posts.append(parsed)
        post_id = as_str(item.get("id"))
        _comments(walk, _nested(walk, item, index), post_id, post_id)
    return walk.result()


@guarded
def parse_comments(raw: RawPayload) -> ParseResult:
    walk = _Walk(raw)
    post_id = raw.meta.get("post_id") or None
    _comments(walk, list_field(load_json_object(raw), "data"), post_id, post_id)
    return walk.result()


PARSERS = {KIND_FEED: parse_feed, KIND_COMMENTS: parse_comments}
