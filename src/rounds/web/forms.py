"""Parsing helpers for HTML form values (strings) into the types services take."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from rounds.domain.errors import ValidationFailed

ModelT = TypeVar("ModelT", bound=BaseModel)


def optional_int(value: str | None, field: str) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise ValidationFailed(
            f"{field.replace('_', ' ').capitalize()} must be a number.",
            details=[{"field": field, "message": "not a number"}],
        ) from None


def checkbox(value: str | None) -> bool:
    return value is not None and value.strip().lower() in {"on", "1", "true", "yes"}


def optional_date(value: str | None, field: str, *, end_of_day: bool = False) -> datetime | None:
    """A ``YYYY-MM-DD`` (or ISO datetime) form value as an aware UTC datetime."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"{field.replace('_', ' ').capitalize()} must be a date like 2024-05-31.",
            details=[{"field": field, "message": "not a date"}],
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_model(model: type[ModelT], raw: dict[str, Any]) -> ModelT:
    """Validate ``raw`` into ``model``; pydantic errors become one ValidationFailed naming each field."""
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        details = [
            {
                "field": ".".join(str(part) for part in item["loc"]) or None,
                "message": str(item["msg"]).removeprefix("Value error, "),
            }
            for item in error.errors()
        ]
        fields = ", ".join(sorted({str(detail["field"]) for detail in details if detail["field"]}))
        raise ValidationFailed(
            f"Please correct: {fields}." if fields else "Please correct the form.",
            details=details,
        ) from None
