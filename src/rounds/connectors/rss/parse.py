"""RSS 2.0 / RSS 1.0 / Atom feeds -> Posts, through feedparser (pure: the stored body is parsed again).

``rss.feed``: the feed document as fetched; ``meta["feed_url"]`` resolves relative links. Each entry becomes a
Post: title + summary (or content) stripped of HTML, the entry id (or link) as remote id, published/updated as
the time; an entry with neither date takes the fetch time, which is stored with the payload, so a replay gives
the same result. A malformed feed that yields no entries is a failure naming feedparser's complaint.
"""

from __future__ import annotations

import calendar
import hashlib
import time
from datetime import UTC, datetime
from typing import Any

import feedparser

from rounds.connectors.parsing import parse_items
from rounds.connectors.text import html_to_text, text_too_long
from rounds.domain.connectors import ParseResult, RawPayload
from rounds.domain.posts import Author, Media, Platform, Post

KIND_FEED = "rss.feed"


def _when(entry: Any, fallback: datetime) -> datetime:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return fallback


def _entry_text(entry: Any) -> str:
    parts: list[str] = []
    title = entry.get("title")
    if isinstance(title, str) and title.strip():
        parts.append(html_to_text(title))
    body = ""
    content = entry.get("content")
    if isinstance(content, list) and content and isinstance(content[0], dict):
        body = str(content[0].get("value") or "")
    if not body:
        body = str(entry.get("summary") or "")
    if body.strip():
        parts.append(html_to_text(body))
    return "\n\n".join(part for part in parts if part)


def entry_post(entry: Any, feed_url: str, fetched_at: datetime, feed_title: str | None) -> Post:
    text = _entry_text(entry)
    if not text:
        raise ValueError("entry has neither title nor text")
    problem = text_too_long(text)
    if problem:
        raise ValueError(problem)
    link = entry.get("link") if isinstance(entry.get("link"), str) else None
    remote_id = entry.get("id") if isinstance(entry.get("id"), str) and entry.get("id") else link
    if not remote_id:  # no id, no link: a stable id from the feed and the entry's text
        remote_id = "sha256:" + hashlib.sha256(f"{feed_url}\n{text}".encode()).hexdigest()
    author_name = entry.get("author") if isinstance(entry.get("author"), str) else None
    enclosures = entry.get("enclosures") or []
    media = tuple(
        Media(kind="image" if str(e.get("type", "")).startswith("image/") else "other", url=e.get("href"))
        for e in enclosures
        if isinstance(e, dict) and isinstance(e.get("href"), str)
    )
    title = entry.get("title")
    language = None
    detail = entry.get("title_detail")
    if isinstance(detail, dict) and isinstance(detail.get("language"), str):
        language = detail["language"]
    return Post(
        platform=Platform.RSS.value,
        remote_id=remote_id[:512],
        text=text,
        title=html_to_text(title) if isinstance(title, str) and title else None,
        author=Author(name=author_name or feed_title, url=feed_url),
        created_at=_when(entry, fetched_at),
        url=link,
        language=language,
        media=media,
    )


def parse_feed(raw: RawPayload) -> ParseResult:
    feed_url = raw.meta.get("feed_url", raw.source)
    headers = {"content-location": feed_url}
    if raw.meta.get("content_type"):
        headers["content-type"] = raw.meta["content_type"]
    document = feedparser.parse(raw.body, response_headers=headers, sanitize_html=True)
    entries = list(document.get("entries") or [])
    feed_title = document.get("feed", {}).get("title")
    title = feed_title if isinstance(feed_title, str) else None
    result = parse_items(raw, entries, lambda entry: entry_post(entry, feed_url, raw.fetched_at, title))
    if document.get("bozo") and not result.posts:
        problem = document.get("bozo_exception")
        reason = f"malformed feed: {type(problem).__name__}: {problem}" if problem else "malformed feed"
        return ParseResult.failure(reason[:500], platform=raw.platform, kind=raw.kind)
    if not entries and not document.get("feed"):
        return ParseResult.failure(
            "not a feed: no channel and no entries", platform=raw.platform, kind=raw.kind
        )
    return result


PARSERS = {KIND_FEED: parse_feed}
