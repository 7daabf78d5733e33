"""Shared, pure helpers for parsers: HTML to plain text, dates, limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser

MAX_TEXT_CHARS = 200_000
"""Longer texts are refused with a specific reason instead of being silently cut (100 kB posts pass)."""

_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr", "hr"}
)
_DROP_TAGS = frozenset({"script", "style", "template", "head", "title", "noscript"})
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_TAGS:
            self._dropping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_TAGS:
            self._dropping = max(0, self._dropping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text from HTML: tags removed, entities decoded, block elements as line breaks.

    The result is safe to show as text (no markup survives) and is what classifiers read.
    """
    if "<" not in html and "&" not in html:
        return normalize_text(html)
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return normalize_text("".join(extractor.parts))


def normalize_text(text: str) -> str:
    lines = [
        _SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def plain_text(text: str) -> str:
    """Text that is plain already but may carry HTML entities (X, Reddit without raw_json)."""
    return normalize_text(unescape(text))


def text_too_long(text: str) -> str | None:
    """A failure reason when ``text`` is over the limit, else None."""
    if len(text) > MAX_TEXT_CHARS:
        return f"text is {len(text)} characters; the limit is {MAX_TEXT_CHARS}"
    return None


def parse_timestamp(value: object, field: str) -> datetime:
    """An aware UTC datetime from an ISO 8601 string; ValueError with a specific reason otherwise."""
    if not isinstance(value, str):
        if value is None:
            raise ValueError(f"missing {field}")
        raise ValueError(f"{field} must be an ISO 8601 string, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise ValueError(f"{field} is not a valid ISO 8601 date-time ({error})") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{field} has no time zone (expected Z or an offset such as +00:00)")
    return parsed.astimezone(UTC)


def parse_epoch(value: object, field: str) -> datetime:
    """An aware UTC datetime from unix seconds (int, float or numeric string)."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"missing {field}" if value is None else f"{field} must be a number")
    try:
        seconds = float(value)  # type: ignore[arg-type]
        return datetime.fromtimestamp(seconds, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise ValueError(f"{field} is not a unix timestamp") from None


def as_str(value: object) -> str | None:
    """A non-empty string or None (ids may come as numbers)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value
    return None


def as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def metrics_from(source: object, names: dict[str, str]) -> dict[str, int]:
    """Non-negative integer metrics picked from a mapping: ``names`` maps our name to the platform's key."""
    out: dict[str, int] = {}
    if not isinstance(source, dict):
        return out
    for ours, theirs in names.items():
        number = as_int(source.get(theirs))
        if number is not None and number >= 0:
            out[ours] = number
    return out


_HTML_MARKUP = re.compile(
    r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>|&(?:[a-zA-Z]{2,8}|#\d{1,7}|#x[0-9a-fA-F]{1,6});"
)


def clean_text(text: str) -> str:
    """Plain text from a field that may or may not hold HTML ("I <3 my nurse" is left alone)."""
    if _HTML_MARKUP.search(text):
        return html_to_text(text)
    return normalize_text(text)
