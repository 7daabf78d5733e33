"""Reddit listings -> Posts (pure).

``reddit.listing``: the body of a listing endpoint (``/r/{sub}/new``, ``/search``, ``/r/{sub}/comments``:
``{"kind": "Listing", "data": {"children": [...], "after": ...}}``) or of ``/comments/{id}`` (an array of two
listings: the submission, then its comment tree). Submissions are ``t3``, comments ``t1`` with nested ``replies``;
``more`` stubs are skipped. Remote ids are fullnames (``t3_abc``) so ``parent_id`` links without translation.
"""

from __future__ import annotations

from typing import Any

from rounds.connectors.parsing import PayloadError, guarded, item_failure, load_json, required_str
from rounds.connectors.text import as_str, clean_text, metrics_from, parse_epoch, plain_text, text_too_long
from rounds.domain.connectors import ParseFailure, ParseResult, RawPayload
from rounds.domain.posts import Author, Media, Platform, Post

KIND_LISTING = "reddit.listing"
REDDIT = "https://www.reddit.com"


def _author(data: dict[str, Any]) -> Author:
    name = as_str(data.get("author"))
    if name in (None, "[deleted]"):
        return Author()
    return Author(
        handle=name, name=name, remote_id=as_str(data.get("author_fullname")), url=f"{REDDIT}/user/{name}"
    )


def _created(data: dict[str, Any]) -> Any:
    return parse_epoch(data.get("created_utc", data.get("created")), "created_utc")


def _url(data: dict[str, Any]) -> str | None:
    permalink = as_str(data.get("permalink"))
    return f"{REDDIT}{permalink}" if permalink and permalink.startswith("/") else permalink


def _fullname(data: dict[str, Any], prefix: str) -> str:
    name = as_str(data.get("name"))
    if name:
        return name
    return f"{prefix}_{required_str(data, 'id')}"


def _checked(text: str) -> str:
    problem = text_too_long(text)
    if problem:
        raise ValueError(problem)
    return text


def submission(data: dict[str, Any]) -> Post:
    title = plain_text(as_str(data.get("title")) or "")
    body_value = data.get("selftext")
    if body_value is not None and not isinstance(body_value, str):
        raise ValueError("selftext must be a string")
    body = clean_text(body_value or "")
    if not title and not body:
        raise ValueError("submission has neither title nor text")
    media: tuple[Media, ...] = ()
    link = as_str(data.get("url"))
    if link and not data.get("is_self", False):
        media = (Media(kind="link", url=link),)
    return Post(
        platform=Platform.REDDIT.value,
        remote_id=_fullname(data, "t3"),
        text=_checked(f"{title}\n\n{body}" if body else title),
        title=title or None,
        author=_author(data),
        created_at=_created(data),
        url=_url(data),
        thread_remote_id=_fullname(data, "t3"),
        metrics=metrics_from(data, {"score": "score", "comments": "num_comments", "upvotes": "ups"}),
        media=media,
    )


def comment(data: dict[str, Any]) -> Post:
    body = data.get("body")
    if not isinstance(body, str):
        raise ValueError("missing body" if body is None else "body must be a string")
    return Post(
        platform=Platform.REDDIT.value,
        remote_id=_fullname(data, "t1"),
        text=_checked(clean_text(body)),
        author=_author(data),
        created_at=_created(data),
        url=_url(data),
        parent_remote_id=as_str(data.get("parent_id")),
        thread_remote_id=as_str(data.get("link_id")),
        metrics=metrics_from(data, {"score": "score", "upvotes": "ups"}),
    )


def _walk(
    raw: RawPayload, thing: Any, posts: list[Post], failures: list[ParseFailure], counter: list[int]
) -> None:
    index = counter[0]
    counter[0] += 1
    if not isinstance(thing, dict):
        failures.append(
            item_failure(raw, f"thing must be an object, got {type(thing).__name__}", index=index)
        )
        return
    kind = thing.get("kind")
    data = thing.get("data")
    if kind == "Listing":
        children = data.get("children") if isinstance(data, dict) else None
        if not isinstance(children, list):
            failures.append(item_failure(raw, "listing without a children array", index=index))
            return
        for child in children:
            _walk(raw, child, posts, failures, counter)
        return
    if kind == "more":
        return
    if not isinstance(data, dict):
        failures.append(item_failure(raw, f"{kind} thing without a data object", index=index))
        return
    parse_one = {"t3": submission, "t1": comment}.get(str(kind))
    if parse_one is None:
        failures.append(item_failure(raw, f"unknown thing kind {kind!r}", index=index, item=data))
        return
    try:
        posts.append(parse_one(data))
    except ValueError as error:
        failures.append(item_failure(raw, str(error), index=index, item=data))
    replies = data.get("replies")
    if isinstance(replies, dict):
        _walk(raw, replies, posts, failures, counter)


@guarded
def parse_listing(raw: RawPayload) -> ParseResult:
    document = load_json(raw)
    if isinstance(document, dict) and document.get("kind") == "Listing":
        roots: list[Any] = [document]
    elif isinstance(document, list) and all(isinstance(part, dict) for part in document):
        roots = document
    else:
        raise PayloadError("payload is neither a listing nor a list of listings")
    posts: list[Post] = []
    failures: list[ParseFailure] = []
    counter = [0]
    for root in roots:
        _walk(raw, root, posts, failures, counter)
    return ParseResult(posts=tuple(posts), failures=tuple(failures))


PARSERS = {KIND_LISTING: parse_listing}
