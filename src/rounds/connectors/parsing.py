"""Helpers shared by the platform parsers (pure functions)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from rounds.domain.connectors import ParseFailure, ParseResult, RawPayload
from rounds.domain.posts import Post


class PayloadError(ValueError):
    """A whole payload cannot be read; its message is the quarantine reason."""


def load_json(raw: RawPayload) -> Any:
    try:
        text = raw.body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PayloadError(f"payload is not valid UTF-8 at byte {error.start}") from None
    if not text.strip():
        raise PayloadError("payload is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        truncated = error.pos >= len(text.rstrip()) - 1 or error.msg.startswith("Unterminated")
        prefix = "truncated JSON" if truncated else "invalid JSON"
        raise PayloadError(f"{prefix}: {error.msg} (line {error.lineno}, column {error.colno})") from None


def load_json_object(raw: RawPayload) -> dict[str, Any]:
    document = load_json(raw)
    if not isinstance(document, dict):
        raise PayloadError(f"payload must be a JSON object, got {type(document).__name__}")
    return document


def list_field(document: dict[str, Any], key: str) -> list[Any]:
    """``document[key]`` as a list; a missing key is an empty list, another type is a payload error."""
    value = document.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"'{key}' must be an array, got {type(value).__name__}")
    return value


def item_failure(
    raw: RawPayload, reason: str, *, index: int | None = None, item: object = None
) -> ParseFailure:
    remote_id = None
    if isinstance(item, dict):
        value = item.get("id")
        remote_id = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
    return ParseFailure(reason=reason, platform=raw.platform, kind=raw.kind, remote_id=remote_id, line=index)


def parse_items(
    raw: RawPayload, items: Iterable[Any], parse_one: Callable[[dict[str, Any]], Post | list[Post]]
) -> ParseResult:
    """Parse each item; an item that raises ValueError (or is not an object) is a failure, the rest go on."""
    posts: list[Post] = []
    failures: list[ParseFailure] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            failures.append(
                item_failure(raw, f"item must be an object, got {type(item).__name__}", index=index)
            )
            continue
        try:
            parsed = parse_one(item)
        except ValueError as error:
            failures.append(item_failure(raw, _reason(error), index=index, item=item))
            continue
        posts.extend(parsed if isinstance(parsed, list) else [parsed])
    return ParseResult(posts=tuple(posts), failures=tuple(failures))


def _reason(error: ValueError) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):  # a pydantic ValidationError from building the Post
        first = errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"invalid {where}: {first['msg']}"
    return str(error)


def guarded(parse: Callable[[RawPayload], ParseResult]) -> Callable[[RawPayload], ParseResult]:
    """Turns a :class:`PayloadError` into a failure for the whole payload."""

    def run(raw: RawPayload) -> ParseResult:
        try:
            return parse(raw)
        except PayloadError as error:
            return ParseResult.failure(
                str(error), platform=raw.platform, kind=raw.kind, remote_id=raw.remote_id
            )

    run.__name__ = getattr(parse, "__name__", "parse")
    run.__doc__ = parse.__doc__
    return run


def required_str(item: dict[str, Any], key: str, what: str = "") -> str:
    value = item.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        label = what or key
        if value is None or value == "":
            raise ValueError(f"missing {label}")
        raise ValueError(f"{label} must be a string, got {type(value).__name__}")
    return value


def optional_dict(item: dict[str, Any], key: str) -> dict[str, Any]:
    value = item.get(key)
    return value if isinstance(value, dict) else {}
