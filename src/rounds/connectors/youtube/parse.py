"""YouTube Data API v3 ``commentThreads.list`` -> Posts (pure).

``youtube.comment_threads``: ``{"items": [{"id", "snippet": {"videoId", "topLevelComment": {"id", "snippet":
{...}}}, "replies"?: {"comments": [...]}}], "nextPageToken"?}``. Each top-level comment and each reply is a Post;
replies point at their thread. ``textOriginal`` (plain) is preferred; ``textDisplay`` is HTML and is stripped.
"""

from __future__ import annotations

from typing import Any

from rounds.connectors.parsing import (
    guarded,
    list_field,
    load_json_object,
    optional_dict,
    parse_items,
    required_str,
)
from rounds.connectors.text import (
    as_str,
    clean_text,
    html_to_text,
    metrics_from,
    parse_timestamp,
    text_too_long,
)
from rounds.domain.connectors import ParseResult, RawPayload
from rounds.domain.posts import Author, Platform, Post

KIND_THREADS = "youtube.comment_threads"


def comment(item: dict[str, Any], thread_id: str | None, video_id: str | None) -> Post:
    comment_id = required_str(item, "id", "comment id")
    snippet = optional_dict(item, "snippet")
    if not snippet:
        raise ValueError("comment without snippet")
    original = snippet.get("textOriginal")
    display = snippet.get("textDisplay")
    if isinstance(original, str):
        text = clean_text(original)
    elif isinstance(display, str):
        text = html_to_text(display)
    else:
        raise ValueError("missing textOriginal and textDisplay")
    problem = text_too_long(text)
    if problem:
        raise ValueError(problem)
    video = as_str(snippet.get("videoId")) or video_id
    channel = as_str(optional_dict(snippet, "authorChannelId").get("value"))
    return Post(
        platform=Platform.YOUTUBE.value,
        remote_id=comment_id,
        text=text,
        author=Author(
            name=as_str(snippet.get("authorDisplayName")),
            remote_id=channel,
            url=as_str(snippet.get("authorChannelUrl")),
        ),
        created_at=parse_timestamp(snippet.get("publishedAt"), "publishedAt"),
        url=f"https://www.youtube.com/watch?v={video}&lc={comment_id}" if video else None,
        parent_remote_id=as_str(snippet.get("parentId")) or (thread_id if thread_id != comment_id else None),
        thread_remote_id=thread_id,
        metrics=metrics_from(snippet, {"likes": "likeCount"}),
    )


def thread(item: dict[str, Any]) -> list[Post]:
    thread_id = required_str(item, "id", "thread id")
    snippet = optional_dict(item, "snippet")
    top = snippet.get("topLevelComment")
    if not isinstance(top, dict):
        raise ValueError("thread without topLevelComment")
    video_id = as_str(snippet.get("videoId"))
    first = comment(top, thread_id, video_id)
    replies_count = metrics_from(snippet, {"replies": "totalReplyCount"})
    posts = [first.model_copy(update={"metrics": {**first.metrics, **replies_count}})]
    for reply in list_field(optional_dict(item, "replies"), "comments"):
        if isinstance(reply, dict):
            try:
                posts.append(comment(reply, thread_id, video_id))
            except ValueError:
                continue  # a broken reply does not lose its thread
    return posts


@guarded
def parse_threads(raw: RawPayload) -> ParseResult:
    return parse_items(raw, list_field(load_json_object(raw), "items"), thread)


PARSERS = {KIND_THREADS: parse_threads}
