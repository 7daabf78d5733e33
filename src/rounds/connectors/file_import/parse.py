"""Pure parsers for file import: canonical JSONL lines and mapped CSV rows.

The canonical line (also read by ``rounds enrich``)::

    {"platform": "x", "id": "123", "text": "...", "author": "someone", "created_at": "2024-05-01T12:00:00Z",
     "url": "...", "parent_id": "...", "lang": "en", "metrics": {"likes": 3}}

Every bad line gets a specific reason naming the field: truncated JSON, wrong types, missing ids, invalid dates
and time zones. Reasons never quote the post text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rounds.connectors.text import clean_text, parse_timestamp, text_too_long
from rounds.domain.connectors import ParseFailure, ParseResult, RawPayload
from rounds.domain.posts import CanonicalLine, Post

KIND_JSONL = "file.jsonl_line"
KIND_CSV = "file.csv_row"

REQUIRED = ("platform", "id", "text", "created_at")
_OPTIONAL_STRINGS = ("author", "url", "parent_id", "lang")


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "boolean",
        int: "number",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }.get(type(value), type(value).__name__)


def canonical_from_mapping(data: dict[str, Any], line: int | None = None) -> Post | ParseFailure:
    """Validate one canonical record (already decoded) into a Post, or a failure naming the field."""

    def fail(reason: str) -> ParseFailure:
        remote_id = data.get("id")
        return ParseFailure(
            reason=reason,
            platform=str(data.get("platform") or ""),
            kind=KIND_JSONL,
            remote_id=str(remote_id)
            if isinstance(remote_id, str | int) and not isinstance(remote_id, bool)
            else None,
            line=line,
        )

    for field in REQUIRED:
        if field not in data or data[field] is None or data[field] == "":
            return fail(f"missing required field '{field}'")
    identifier = data["id"]
    if isinstance(identifier, bool) or not isinstance(identifier, str | int):
        return fail(f"field 'id' must be a string or an integer, got {_type_name(identifier)}")
    for field in ("platform", "text", "created_at"):
        if not isinstance(data[field], str):
            return fail(f"field '{field}' must be a string, got {_type_name(data[field])}")
    for field in _OPTIONAL_STRINGS:
        value = data.get(field)
        if value is not None and not isinstance(value, str):
            return fail(f"field '{field}' must be a string, got {_type_name(value)}")
    metrics = data.get("metrics")
    if metrics is not None:
        if not isinstance(metrics, dict):
            return fail(f"field 'metrics' must be an object of integers, got {_type_name(metrics)}")
        for name, number in metrics.items():
            if isinstance(number, bool) or not isinstance(number, int) or number < 0:
                return fail(f"metric '{name}' must be a non-negative integer, got {_type_name(number)}")
    try:
        created_at = parse_timestamp(data["created_at"], "created_at")
    except ValueError as error:
        return fail(str(error))
    too_long = text_too_long(data["text"])
    if too_long:
        return fail(too_long)
    try:
        canonical = CanonicalLine.model_validate(
            {**data, "created_at": created_at, "text": clean_text(data["text"])}
        )
        return canonical.to_post()
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "line"
        return fail(f"field '{where}': {first['msg']}")


def parse_canonical_line(text: str | bytes, line: int | None = None) -> Post | ParseFailure:
    """One JSONL line -> Post, or a failure with a specific reason."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            return ParseFailure(reason=f"not valid UTF-8 at byte {error.start}", kind=KIND_JSONL, line=line)
    text = text.lstrip("\ufeff").strip()
    if not text:
        return ParseFailure(reason="empty line", kind=KIND_JSONL, line=line)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        truncated = error.pos >= len(text) - 1 or error.msg.startswith("Unterminated")
        prefix = "truncated JSON" if truncated else "invalid JSON"
        return ParseFailure(
            reason=f"{prefix}: {error.msg} (column {error.colno})", kind=KIND_JSONL, line=line
        )
    if not isinstance(data, dict):
        return ParseFailure(
            reason=f"a line must be a JSON object, got {_type_name(data)}", kind=KIND_JSONL, line=line
        )
    return canonical_from_mapping(data, line)


# --- CSV ---------------------------------------------------------------------------------------------------


class ColumnMapping(BaseModel):
    """How the columns of another tool's CSV export map onto the canonical fields.

    Each value is a column header. ``platform`` may be a column, or ``default_platform`` a constant.
    ``created_at_format`` is ``iso8601`` (default), ``unix`` (seconds) or a ``strptime`` pattern; naive times
    are refused unless ``assume_timezone`` (an IANA name such as ``America/Chicago``) says which zone they are in.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = "id"
    text: str = "text"
    created_at: str = "created_at"
    author: str | None = "author"
    platform: str | None = "platform"
    default_platform: str | None = None
    url: str | None = "url"
    parent_id: str | None = "parent_id"
    lang: str | None = "lang"
    metrics: dict[str, str] = Field(default_factory=dict)
    """Canonical metric name -> column header (``{"likes": "Like Count"}``)."""
    created_at_format: str = "iso8601"
    assume_timezone: str | None = None
    delimiter: str = ","

    @field_validator("assume_timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone '{value}'") from None
        return value

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError("the delimiter must be one character")
        return value

    def required_columns(self) -> list[str]:
        columns = [self.id, self.text, self.created_at]
        if self.default_platform is None and self.platform is not None:
            columns.append(self.platform)
        return columns


CsvFormat = Literal["csv"]


def _csv_datetime(value: str, mapping: ColumnMapping) -> datetime:
    value = value.strip()
    if not value:
        raise ValueError("missing required field 'created_at'")
    fmt = mapping.created_at_format
    if fmt == "unix":
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (ValueError, OverflowError, OSError):
            raise ValueError(f"column '{mapping.created_at}' is not a unix timestamp") from None
    if fmt == "iso8601":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as error:
            raise ValueError(
                f"column '{mapping.created_at}' is not a valid ISO 8601 date-time ({error})"
            ) from None
    else:
        try:
            parsed = datetime.strptime(value, fmt)  # noqa: DTZ007 - the zone is checked or assumed just below
        except ValueError:
            raise ValueError(f"column '{mapping.created_at}' does not match the format '{fmt}'") from None
    if parsed.tzinfo is None:
        if mapping.assume_timezone is None:
            raise ValueError(
                f"column '{mapping.created_at}' has no time zone; set assume_timezone in the column mapping"
            )
        parsed = parsed.replace(tzinfo=ZoneInfo(mapping.assume_timezone))
    return parsed.astimezone(UTC)


def parse_csv_row(
    row: dict[str, str | None], mapping: ColumnMapping, line: int | None = None
) -> Post | ParseFailure:
    """One CSV record (header -> value) -> Post, through the column mapping."""

    def cell(column: str | None) -> str | None:
        if column is None:
            return None
        value = row.get(column)
        return value if value not in (None, "") else None

    if None in row:  # csv.DictReader puts surplus cells under the key None
        return ParseFailure(reason="row has more cells than the header has columns", kind=KIND_CSV, line=line)
    platform = mapping.default_platform or cell(mapping.platform)
    record: dict[str, Any] = {
        "platform": platform,
        "id": cell(mapping.id),
        "text": cell(mapping.text),
        "author": cell(mapping.author),
        "url": cell(mapping.url),
        "parent_id": cell(mapping.parent_id),
        "lang": cell(mapping.lang),
    }
    for field, column in (("platform", mapping.platform), ("id", mapping.id), ("text", mapping.text)):
        if record[field] is None:
            where = f" (column '{column}')" if column else ""
            return ParseFailure(reason=f"missing required field '{field}'{where}", kind=KIND_CSV, line=line)
    metrics: dict[str, int] = {}
    for name, column in mapping.metrics.items():
        value = cell(column)
        if value is None:
            continue
        cleaned = value.strip().replace(",", "")
        if not cleaned.isdigit():
            return ParseFailure(
                reason=f"metric '{name}' (column '{column}') must be a non-negative integer",
                kind=KIND_CSV,
                remote_id=record["id"],
                line=line,
            )
        metrics[name] = int(cleaned)
    try:
        created_at = _csv_datetime(cell(mapping.created_at) or "", mapping)
    except ValueError as error:
        return ParseFailure(reason=str(error), kind=KIND_CSV, remote_id=record["id"], line=line)
    record["metrics"] = metrics
    record["created_at"] = created_at.isoformat()
    result = canonical_from_mapping({k: v for k, v in record.items() if v is not None}, line)
    if isinstance(result, ParseFailure):
        return result.model_copy(update={"kind": KIND_CSV})
    return result


def parse_csv_record(
    row: dict[str, Any], mapping: ColumnMapping, line: int | None = None
) -> Post | ParseFailure:
    """A row as the reader stores it (with its markers for malformed records) -> Post or failure."""
    if "__csv_error__" in row:
        return ParseFailure(reason=f"malformed CSV: {row['__csv_error__']}", kind=KIND_CSV, line=line)
    if "__surplus__" in row:
        return ParseFailure(reason="row has more cells than the header has columns", kind=KIND_CSV, line=line)
    cells = {
        key: value if isinstance(value, str) or value is None else str(value) for key, value in row.items()
    }
    return parse_csv_row(cells, mapping, line)


# --- stored payloads -----------------------------------------------------------------------------------------


def _line_of(raw: RawPayload) -> int | None:
    value = raw.meta.get("line")
    return int(value) if value and value.isdigit() else None


def _result(outcome: Post | ParseFailure) -> ParseResult:
    if isinstance(outcome, ParseFailure):
        return ParseResult(failures=(outcome,))
    return ParseResult(posts=(outcome,))


def parse_jsonl_payload(raw: RawPayload) -> ParseResult:
    return _result(parse_canonical_line(raw.body, _line_of(raw)))


def parse_csv_payload(raw: RawPayload) -> ParseResult:
    line = _line_of(raw)
    try:
        row = json.loads(raw.body)
        mapping = ColumnMapping.model_validate_json(raw.meta.get("mapping", "{}"))
    except (ValueError, ValidationError):
        return ParseResult.failure(
            "stored CSV row or its column mapping is not valid JSON", kind=KIND_CSV, line=line
        )
    if not isinstance(row, dict):
        return ParseResult.failure("stored CSV row is not an object", kind=KIND_CSV, line=line)
    return _result(parse_csv_record(row, mapping, line))


PARSERS = {KIND_JSONL: parse_jsonl_payload, KIND_CSV: parse_csv_payload}
