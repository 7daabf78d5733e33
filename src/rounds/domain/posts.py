"""A social post as Rounds sees it, whatever platform it came from.

``Post`` is the domain object every connector's parser produces and every pipeline component reads.
``CanonicalLine`` is the documented file-import / ``rounds enrich`` line:
``{"platform", "id", "text", "author", "created_at" (ISO 8601), optional "url", "parent_id", "lang", "metrics"}``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Platform(StrEnum):
    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    YOUTUBE = "youtube"
    LINKEDIN = "linkedin"
    BLUESKY = "bluesky"
    MASTODON = "mastodon"
    REDDIT = "reddit"
    TIKTOK = "tiktok"
    RSS = "rss"
    BLOG = "blog"
    GOOGLE_BUSINESS = "google_business"
    YELP = "yelp"
    FOURSQUARE = "foursquare"
    FILE = "file"
    OTHER = "other"


class Media(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str = "image"  # image | video | link | other
    url: str | None = None
    alt_text: str | None = None


class Author(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str | None = None
    handle: str | None = None
    remote_id: str | None = None
    url: str | None = None
    description: str | None = None
    followers: int | None = Field(default=None, ge=0)
    verified: bool | None = None


class Post(BaseModel):
    """One item of public text: a post, comment, reply, review or news entry."""

    model_config = ConfigDict(frozen=True)

    platform: str
    remote_id: str = Field(min_length=1, max_length=512)
    text: str
    author: Author = Field(default_factory=Author)
    created_at: datetime
    url: str | None = None
    parent_remote_id: str | None = None
    thread_remote_id: str | None = None
    language: str | None = None
    metrics: dict[str, int] = Field(default_factory=dict)
    media: tuple[Media, ...] = ()
    title: str | None = None

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("created_at must carry a time zone (ISO 8601 with offset or Z)")
        return value.astimezone(UTC)

    @property
    def key(self) -> tuple[str, str]:
        """Idempotency key: (platform, remote id)."""
        return (self.platform, self.remote_id)


class CanonicalLine(BaseModel):
    """The canonical JSONL line; validation errors name the field that is wrong."""

    model_config = ConfigDict(extra="ignore")

    platform: str = Field(min_length=1, max_length=64)
    id: str = Field(min_length=1, max_length=512)
    text: str
    author: str | None = None
    created_at: datetime
    url: str | None = None
    parent_id: str | None = None
    lang: str | None = None
    metrics: dict[str, int] = Field(default_factory=dict)

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("created_at must carry a time zone (ISO 8601 with offset or Z)")
        return value.astimezone(UTC)

    def to_post(self) -> Post:
        return Post(
            platform=self.platform,
            remote_id=self.id,
            text=self.text,
            author=Author(handle=self.author, name=self.author),
            created_at=self.created_at,
            url=self.url,
            parent_remote_id=self.parent_id,
            language=self.lang,
            metrics=self.metrics,
        )
